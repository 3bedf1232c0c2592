"""The one entry point the main window calls: build the training docks and wire them to a controller.

Nothing here owns state; it is the switchboard between the controller (commands in, snapshots out), the panels
(settings and buttons), the plots (arrays in) and the canvas (lock, edge colours, selection). The main window is
used through a small protocol: `add_dock`, `project`, `project_changed`, `scene`, `statusBar()`, `mark_modified`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QTabWidget, QWidget

from engine.datasets import Dataset
from engine.project import Project
from gui.panels.dataset_panel import DatasetPanel
from gui.panels.training_panel import RunStatus, TrainingPanel
from gui.plots.boundary import BoundaryView
from gui.plots.connections import GradHistogramView, GradNormView
from gui.plots.gradients import WatchedWeightsView
from gui.plots.loss import LossView

from .controller import PAUSED, RUNNING, TrainingController
from .edges import EdgeColouring
from .snapshot import Snapshot

LOCK_REASON = "Pause training to edit the network"
STATUS_MS = 8000
Area = Qt.DockWidgetArea


@dataclass
class TrainingUi:
    window: QMainWindow
    controller: TrainingController
    panel: TrainingPanel
    dataset_panel: DatasetPanel
    status: RunStatus
    loss: LossView
    weights: WatchedWeightsView
    norms: GradNormView
    histogram: GradHistogramView
    boundary: BoundaryView
    edges: EdgeColouring
    gradients: QTabWidget
    _turn: int = 0
    _running: bool = False
    _last: Snapshot | None = None  # the latest snapshot, for a gradients tab brought to the front
    _fresh: dict = field(default_factory=dict)  # the latest costly parts not shown yet: "watched", "boundary"

    @property
    def _views(self) -> dict[str, QWidget]:
        """Each view group and the widget whose visibility says whether it is on screen (the canvas for edges)."""
        return {"loss": self.loss, "gradients": self.gradients, "boundary": self.boundary,
                "edges": self.window.centralWidget()}

    def shutdown(self) -> None:
        """Stop training and its thread (also done on window close and application quit)."""
        self.controller.shutdown()

    # ------------------------------------------------------------ controller → views
    def show_snapshot(self, snap: Snapshot) -> None:
        """A final snapshot updates every view; a live one the status bar and the next visible view in turn.

        Qt paints every dirty widget of a window in one pass, so updating all views from one snapshot made one
        long block in the GUI thread; taking turns keeps each block short (the timer-gap benchmark measures it)
        and costs a view only its refresh rate: with four views shown and turns of ~8 ms (2-16-16-1), the worker's
        `GUI_SHARE` allows ~9 turns a second, so each view redraws about twice a second.
        """
        self.status.show_progress(snap.epoch, snap.epoch_budget, snap.steps_per_second, snap.elapsed)
        if snap.watched is not None:
            self._fresh["watched"] = snap.watched
        if snap.boundary is not None:
            self._fresh["boundary"] = snap.boundary
        if snap.final:
            self._show_gradients(snap, every_tab=True)
            chosen = [v for v in self._views if v != "gradients"]
        else:
            chosen = [self._upcoming()]
            self._turn += 1
        for view in chosen:
            getattr(self, f"_show_{view}")(snap)
        self._request_parts()

    def _upcoming(self) -> str:
        """The view group whose turn is next: the visible ones in rotation (all of them if none is visible)."""
        shown = [v for v, widget in self._views.items() if widget.isVisible()] or list(self._views)
        return shown[self._turn % len(shown)]

    def _request_parts(self) -> None:
        """Ask for the costly parts only the view whose turn is next will show: measured on 2-16-16-1, taking
        both for every snapshot cost the worker 6 ms each, mostly for views that were not going to show them."""
        upcoming = self._upcoming()
        parts = {"boundary"} if upcoming == "boundary" else set()
        if upcoming == "gradients" and self.gradients.currentWidget() is self.weights:
            parts.add("watched")
        self.controller.request_parts(frozenset(parts))

    def _show_loss(self, snap: Snapshot) -> None:
        self.loss.set_history(snap.losses, snap.epochs, snap.metric)

    def _show_gradients(self, snap: Snapshot, every_tab: bool = False) -> None:
        """The visible tab only while training; the others catch up when shown (see `install_training`)."""
        self._last = snap
        shown = self.gradients.currentWidget()
        if (every_tab or shown is self.weights) and (watched := self._fresh.pop("watched", None)) is not None:
            self.weights.set_series(watched)
        if every_tab or shown is self.norms:
            self.norms.set_norms(snap.norm_names, snap.norms)
        if every_tab or shown is self.histogram:
            self.histogram.set_gradients(snap.weight_grads)

    def _tab_changed(self) -> None:
        if self._last is not None:
            self._show_gradients(self._last)
        self._request_parts()

    def _show_boundary(self, snap: Snapshot) -> None:
        if (b := self._fresh.pop("boundary", None)) is not None:
            self.boundary.set_boundary(b.extent, b.output, b.layers, b.n_hidden)

    def _show_edges(self, snap: Snapshot) -> None:
        self.edges.show_snapshot(snap)

    def show_state(self, state: str) -> None:
        running = state == RUNNING
        if self._running and not running:
            self.window.mark_modified()  # a run, a step or an epoch changed the weights
            if state == PAUSED:  # a divergence or an error says why right after this
                self.panel.show_message("Paused: the network can be edited; Resume continues from these weights.")
        self._running = running
        self.window.scene.set_structure_locked(running, LOCK_REASON if running else "")
        self.panel.set_state(state)
        self.dataset_panel.setEnabled(not running)
        if running:
            self.panel.show_message("Training… (the canvas is locked: pause to edit the network)")

    def show_data(self, train: Dataset, val: Dataset) -> None:
        two = train.n_features == 2
        self.boundary.set_points(train.X if two else None, train.y, train.task, train.n_classes)

    def clear_views(self) -> None:
        for view in (self.loss, self.weights, self.norms, self.histogram, self.boundary):
            view.clear()

    def show_message(self, text: str, error: bool = False) -> None:
        self.panel.show_message(text, error)
        self.window.statusBar().showMessage(text, STATUS_MS)

    # ------------------------------------------------------------ views → controller
    def run_action(self, name: str) -> None:
        c = self.controller
        if name == "reset":
            self.window.mark_modified()
        {"train": c.train, "pause": c.pause, "step": c.step, "step_epoch": c.step_epoch, "stop": c.stop,
         "reset": c.reset_weights}[name]()

    def watch_selected(self) -> None:
        refs = self.window.scene.selected_weight_refs()
        if not refs:
            self.show_message("Select one or more weights (edges) on the canvas first.")
            return
        self.controller.watch(refs)

    def set_project(self, project: Project) -> None:
        """Follow New / Open: the controller, the panels and the views all switch to `project`."""
        self.controller.set_project(project)
        self.panel.set_settings(project.settings)
        self.dataset_panel.set_spec(project.data, project.base_dir)

    def data_edited(self, spec) -> None:
        self.window.project.data = spec
        self.window.mark_modified()
        self.controller.settings_changed(data=True)


def install_training(window: QMainWindow) -> TrainingUi:
    """Build the Training, Data, Loss, Gradients, Decision boundary and Edge colours docks on `window`.

    They show nothing until the window's `project_changed` hands them a project, as it does for the first one at
    the end of the window's construction: loading the data and taking a snapshot then happens once.
    """
    project = window.project
    controller = TrainingController(project, window)
    ui = TrainingUi(window, controller, TrainingPanel(project.settings), DatasetPanel(), RunStatus(), LossView(),
                    WatchedWeightsView(), GradNormView(), GradHistogramView(), BoundaryView(),
                    EdgeColouring(window.scene), QTabWidget())
    gradients = ui.gradients
    gradients.addTab(ui.weights, "Watched weights")
    gradients.addTab(ui.norms, "Per connection")
    gradients.addTab(ui.histogram, "Histogram")
    gradients.currentChanged.connect(ui._tab_changed)
    training = window.add_dock(ui.panel, "Training", Area.RightDockWidgetArea, "training", scroll=True)
    window.add_dock(ui.dataset_panel, "Data", Area.RightDockWidgetArea, "dataset", tab_with=training, scroll=True)
    training.raise_()
    window.add_dock(ui.edges, "Edge colours", Area.LeftDockWidgetArea, "edge_colours", scroll=True)
    window.add_dock(ui.loss, "Loss", Area.BottomDockWidgetArea, "loss")
    window.add_dock(gradients, "Gradients", Area.BottomDockWidgetArea, "gradients")
    window.add_dock(ui.boundary, "Decision boundary", Area.BottomDockWidgetArea, "boundary")
    window.statusBar().addPermanentWidget(ui.status)
    window.add_menu("&Training", list(ui.panel.run_actions.values()))  # the shortcuts work wherever the focus is

    controller.snapshot_ready.connect(ui.show_snapshot)
    controller.state_changed.connect(ui.show_state)
    controller.data_loaded.connect(ui.show_data)
    controller.run_reset.connect(ui.clear_views)
    controller.message_posted.connect(ui.show_message)
    controller.error_raised.connect(lambda text: ui.show_message(text, error=True))
    ui.panel.action_triggered.connect(ui.run_action)
    ui.panel.settings_edited.connect(controller.settings_changed)
    ui.panel.learning_rate_edited.connect(controller.set_learning_rate)
    ui.panel.batch_size_edited.connect(controller.set_batch_size)
    for edited in (ui.panel.settings_edited, ui.panel.learning_rate_edited, ui.panel.batch_size_edited):
        edited.connect(window.mark_modified)
    ui.dataset_panel.data_edited.connect(ui.data_edited)
    ui.weights.watch_requested.connect(ui.watch_selected)
    ui.weights.unwatch_requested.connect(lambda: controller.unwatch(controller.watched))
    window.project_changed.connect(ui.set_project)
    QApplication.instance().aboutToQuit.connect(controller.shutdown)
    return ui
