"""The training feature: its docks, its actions, and the switchboard from the document to its views.

It owns no state the views show: snapshots, the run state and the status line come from the document. What it
keeps is scheduling — whose turn it is to redraw while training, and which costly snapshot parts a view has not
shown yet.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDockWidget, QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from engine import BackpropError
from engine.project import Project
from engine.studio import Document, LoadedData, Readouts, SampleSelection, Snapshot
from gui.commands.document import DocumentCommand, SettingsCommand, push_document, settings_changes
from gui.docks import Area, DockSpec
from gui.editor import EditorScene
from gui.follow import follow
from gui.later import later
from gui.panels.dataset_panel import DatasetPanel
from gui.panels.runs_panel import RunsPanel
from gui.panels.training_panel import RunStatus, TrainingPanel
from gui.plots.boundary import BoundaryView
from gui.plots.confusion import ConfusionView
from gui.plots.connections import GradHistogramView, GradNormView
from gui.plots.fit import FitView
from gui.plots.gradients import WatchedWeightsView
from gui.plots.loss import LossView
from gui.plots.scores import ScoresLabel
from gui.plots.weight_tiles import WeightTilesView

from .controller import TrainingController
from .edges import EdgeColouring
from .paint import PaintTool
from .run_overlay import RunOverlay
from .timeline import Timeline
from .worker import PARTS

BOUNDARY_TITLE, FIT_TITLE = "Decision boundary", "Fit"  # the plane dock's title, after what it shows


class TrainingFeature:
    def __init__(self, document: Document, scene: EditorScene, canvas: QWidget):
        self.document = document
        self.controller = TrainingController(document, scene)
        self.panel = TrainingPanel(document)
        self.dataset_panel = DatasetPanel(document, scene.push)
        self.status = RunStatus()
        self.loss = LossView()
        self.weights = WatchedWeightsView()
        self.norms = GradNormView()
        self.histogram = GradHistogramView()
        self.boundary = BoundaryView()
        self.fit = FitView()  # instead of the boundary, for a regression with one input
        self.plane = QStackedWidget()  # the Decision boundary dock's content: the boundary or the fit plot
        self.plane.addWidget(self.boundary)
        self.plane.addWidget(self.fit)
        self.confusion = ConfusionView(document)
        self.scores = ScoresLabel()
        self.edges = EdgeColouring(scene, document)
        self.gradients = QTabWidget()
        self.gradients.addTab(self.weights, "Watched weights")
        self.gradients.addTab(self.norms, "Per connection")
        self.gradients.addTab(self.histogram, "Histogram")
        self._canvas = canvas
        self._scene = scene
        self._turn = 0  # the rotation of every view, one a live snapshot
        self._costly_turn = 0  # the rotation of the views with costly parts, one a snapshot that carries them
        self._fresh: dict = {}  # the latest costly parts not shown yet: "watched", "boundary", "fit", "confusion"
        self._wire()
        # time travel: the timeline under the loss plot, the runs; the overlay follows the document after the views
        self.timeline = Timeline(document, self._push)
        self.loss_box = QWidget()
        box = QVBoxLayout(self.loss_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.loss, 1)
        box.addWidget(self.scores)
        box.addWidget(self.timeline)
        self.overlay = RunOverlay(document, self.loss)
        self.runs = RunsPanel(document, self._push)
        self.runs.overlay_changed.connect(self.overlay.show_runs)
        self.weight_images = WeightTilesView(document)  # follows the document's snapshots itself
        self.paint = PaintTool(document, self.boundary, self.controller, self._push)  # Paint mode on the boundary
        rows = self.boundary.layout()
        assert isinstance(rows, QVBoxLayout), "the boundary view stacks its rows"
        rows.insertWidget(1, self.paint.bar)  # a row under the read-outs' boxes

    # ------------------------------------------------------------ what the window places
    @property
    def docks(self) -> list[DockSpec]:
        return [
            DockSpec(self.panel, "Training", Area.RightDockWidgetArea, "training", scroll=True),
            DockSpec(self.dataset_panel, "Data", Area.RightDockWidgetArea, "dataset", tab_with="training",
                     scroll=True),
            DockSpec(self.edges, "Edge colours", Area.LeftDockWidgetArea, "edge_colours", scroll=True),
            DockSpec(self.loss_box, "Loss", Area.BottomDockWidgetArea, "loss"),
            DockSpec(self.gradients, "Gradients", Area.BottomDockWidgetArea, "gradients"),
            DockSpec(self.plane, BOUNDARY_TITLE, Area.BottomDockWidgetArea, "boundary"),
            # tabs behind the loss, whose curves the runs overlay and whose accuracy the confusion matrix breaks
            # down (the workspaces place them so too); a dock of their own would make the window's minimum taller
            DockSpec(self.runs, "Runs", Area.BottomDockWidgetArea, "runs", tab_with="loss"),
            DockSpec(self.weight_images, "Weight images", Area.BottomDockWidgetArea, "weight_images",
                     tab_with="boundary"),
            DockSpec(self.confusion, "Confusion matrix", Area.BottomDockWidgetArea, "confusion", tab_with="loss"),
        ]

    @property
    def actions(self) -> list[QAction]:
        """The Training menu (its shortcuts work wherever the focus is): the run buttons, then the timeline's."""
        separator = QAction(self.panel)
        separator.setSeparator(True)
        return [*self.panel.run_actions.values(), separator, *self.timeline.menu_actions]

    def shutdown(self) -> None:
        """Stop training and its thread (on window close, application quit, and before the project changes)."""
        self.controller.shutdown()

    def _wire(self) -> None:
        events = self.document.events
        follow(self.panel, events.snapshot_published, self.show_snapshot)
        follow(self.panel, events.data_loaded, self._data_loaded)
        follow(self.panel, events.run_reset, self._clear_views)
        follow(self.panel, events.project_replaced, self._project_replaced)
        follow(self.panel, events.sample_selection_changed, self._samples_picked)
        c = self.controller
        self.panel.action_triggered.connect(
            lambda name: {"train": c.train, "pause": c.pause, "step": c.step, "step_epoch": c.step_epoch,
                          "stop": c.stop, "reset": c.reset_weights}[name]())
        self.panel.pace_chosen.connect(self._pace_chosen)
        self.panel.settings_edited.connect(self._settings_edited)
        self.gradients.currentChanged.connect(self._tab_changed)
        self.weights.watch_requested.connect(self._watch_selected)
        self.weights.unwatch_requested.connect(lambda: self.document.set_watched(()))
        self.boundary.set_options(self.document.project.ui.get("boundary", {}))
        self.boundary.option_toggled.connect(self._boundary_option_toggled)
        if (app := QApplication.instance()) is not None:  # widgets need one, but the type says it may be absent
            app.aboutToQuit.connect(c.shutdown)

    # ------------------------------------------------------------ document → views
    @property
    def _views(self) -> dict[str, QWidget]:
        """Each view group and the widget whose visibility says whether it is on screen (the canvas for edges)."""
        return {"loss": self.loss, "gradients": self.gradients, "boundary": self.plane, "confusion": self.confusion,
                "edges": self._canvas}

    def show_snapshot(self, snap: Snapshot) -> None:
        """A final snapshot updates every view, and so does each one in slow motion (the worker waits for them);
        a live one the status bar and the next visible view in turn.

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
        if snap.readouts is not None:
            self._take_readouts(snap.readouts)
        elif snap.final:  # worked out in the next turn (`Document.readouts`); until then none is shown
            for reader in (self.scores, self.fit, self.confusion):
                reader.clear()
            self._fresh.pop("fit", None)
            self._fresh.pop("confusion", None)
            later(self.panel, self._show_idle_readouts)
        if snap.final or self.controller.pace is not None:
            self._show_gradients(snap, every_tab=snap.final)
            chosen = [v for v in self._views if v != "gradients"]
        elif (costly := self._costly_view()) is not None and any(
                part is not None for part in (snap.boundary, snap.readouts, snap.watched)):
            chosen = [costly]  # the view these parts were asked for
            self._costly_turn += 1
        else:
            chosen = [self._upcoming()]
            self._turn += 1
        for view in chosen:
            getattr(self, f"_show_{view}")(snap)
        self._request_parts()

    def _take_readouts(self, readouts: Readouts) -> None:
        self.scores.show_readouts(readouts)  # one line of text: shown with every snapshot that has it
        self._fresh["fit"] = self._fresh["confusion"] = readouts

    def _show_idle_readouts(self) -> None:
        if (snap := self.document.snapshot) is not None and (readouts := self.document.readouts()) is not None:
            self._take_readouts(readouts)
            self._show_boundary(snap)
            self._show_confusion(snap)

    def _shown_views(self) -> list[str]:
        """The visible view groups (all of them if none is visible)."""
        return [v for v, widget in self._views.items() if widget.isVisible()] or list(self._views)

    def _upcoming(self) -> str:
        """The view group whose turn is next: the visible ones in rotation."""
        shown = self._shown_views()
        return shown[self._turn % len(shown)]

    def _costly_parts(self, view: str) -> set[str]:
        """The parts of a snapshot that cost the worker a forward pass or a copy, which `view` shows."""
        # the boundary's grid exists for data with a plane to draw (Session.grid); asked for without one, it
        # would never come, and the views after it would wait for ever
        parts = {"boundary"} if view == "boundary" and self.document.session.plane is not None else set()
        # the read-outs (a forward pass over the data) for the confusion matrix, the fit plot, the scores line
        readers = {"confusion": True, "boundary": self.plane.currentWidget() is self.fit,
                   "loss": bool(self.scores.text())}
        if readers.get(view, False):
            parts.add("readouts")
        if view == "gradients" and self.gradients.currentWidget() is self.weights:
            parts.add("watched")
        return parts

    def _costly_view(self) -> str | None:
        """The visible view whose costly parts the worker's next slow snapshot takes. Those views take turns of
        their own: asked for by the rotation of every view, the parts all went to one view whenever the slow
        snapshots fell in step with it (one in five, five views shown), and the other views' never came."""
        costly = [view for view in self._shown_views() if self._costly_parts(view)]
        return costly[self._costly_turn % len(costly)] if costly else None

    def _request_parts(self) -> None:
        """Ask for the costly parts of one view only: measured on 2-16-16-1, taking both for every snapshot cost
        the worker 6 ms each, mostly for views that were not going to show them."""
        if self.controller.pace is not None:
            self.controller.request_parts(frozenset(PARTS))
            return
        view = self._costly_view()
        self.controller.request_parts(frozenset(() if view is None else self._costly_parts(view)))

    def _show_loss(self, snap: Snapshot) -> None:
        self.loss.set_history(snap.losses, snap.epochs, snap.metric, snap.penalties)

    def _show_gradients(self, snap: Snapshot, every_tab: bool = False) -> None:
        """The visible tab only while training; the others catch up when shown (`_tab_changed`)."""
        shown = self.gradients.currentWidget()
        if (every_tab or shown is self.weights) and (watched := self._fresh.pop("watched", None)) is not None:
            self.weights.set_series(watched)
        if every_tab or shown is self.norms:
            self.norms.set_norms(snap.norm_names, snap.norms)
        if every_tab or shown is self.histogram:
            self.histogram.set_gradients(snap.weight_grads)

    def _tab_changed(self) -> None:
        if (snap := self.document.snapshot) is not None:
            self._show_gradients(snap)
        self._request_parts()

    def _show_boundary(self, snap: Snapshot) -> None:
        if (b := self._fresh.pop("boundary", None)) is not None:
            self.boundary.set_boundary(b.extent, b.output, b.layers, b.n_hidden)
        if (readouts := self._fresh.pop("fit", None)) is not None:
            self.fit.show_readouts(readouts)

    def _show_confusion(self, snap: Snapshot) -> None:
        if (readouts := self._fresh.pop("confusion", None)) is not None:
            self.confusion.show_readouts(readouts)

    def _show_edges(self, snap: Snapshot) -> None:
        self.edges.show_snapshot(snap)

    def _pace_chosen(self, steps_per_second: float | None) -> None:
        self.controller.set_pace(steps_per_second)
        self._request_parts()

    def _data_loaded(self, data: LoadedData) -> None:
        train, val, plane = data.train, data.val, data.plane
        self.boundary.set_points(None if plane is None else plane.train, train.y, train.task, train.n_classes,
                                 None if plane is None else (plane.val, val.y))
        fitting = train.n_features == 1 and train.task == "regression"
        self.plane.setCurrentWidget(self.fit if fitting else self.boundary)
        if isinstance(plane_dock := self.plane.parentWidget(), QDockWidget):
            plane_dock.setWindowTitle(FIT_TITLE if fitting else BOUNDARY_TITLE)
        self.confusion.set_class_names(train.target_names if train.task == "classification" else ())
        dock = self.weight_images.parentWidget()
        if train.image_shape is not None and isinstance(dock, QDockWidget) and not dock.isHidden():
            dock.raise_()  # image data have no decision boundary to show: their weight images come to the front

    def _samples_picked(self, selection: SampleSelection) -> None:
        """Samples picked (a confusion-matrix cell): bring the Data preview, which rings them, to the front."""
        widget: QWidget | None = self.dataset_panel
        while widget is not None and not isinstance(widget, QDockWidget):
            widget = widget.parentWidget()
        if selection.indices and widget is not None and not widget.isHidden():
            widget.raise_()

    def _clear_views(self, _project: Project) -> None:
        """A new run or a new project: nothing of the last one stays on screen until its first snapshot."""
        self._fresh.clear()
        self.status.show_progress(0, self.document.project.settings.epochs, 0.0, 0.0)
        for view in (self.loss, self.weights, self.norms, self.histogram, self.boundary, self.fit, self.confusion,
                     self.scores):
            view.clear()

    def _project_replaced(self, project: Project) -> None:
        self._clear_views(project)
        self.boundary.set_points(None, None)  # the new project's points come with its data
        self.boundary.set_options(project.ui.get("boundary", {}))

    def _boundary_option_toggled(self, key: str) -> None:
        """A ticked read-out box is an undoable edit of the project's GUI state (`ui.boundary`), saved with it."""
        box = self.boundary.boxes[key]
        before, after = self.document.project.ui.get("boundary", {}), self.boundary.options
        self._push(DocumentCommand(f"{box.text()} {'on' if box.isChecked() else 'off'}",
                                   lambda: self._set_boundary_options(after),
                                   lambda _token: self._set_boundary_options(before)))

    def _settings_edited(self, changes: dict) -> None:
        """A training setting changed on the panel: an undoable edit; a refused one shows the settings as they are."""
        changes = settings_changes(self.document, changes)
        if changes and self._push(SettingsCommand(self.document, changes)):
            self.panel.set_settings(self.document.project.settings)

    def _set_boundary_options(self, options: object) -> None:
        self.document.project.ui["boundary"] = options
        self.boundary.set_options(options)

    # ------------------------------------------------------------ views → document
    def _push(self, command: DocumentCommand) -> str | None:
        """An undoable operation of the document onto the window's undo stack; a refusal is said, not raised."""
        try:
            push_document(self._scene.undo_stack, command)
        except BackpropError as exc:
            self.document.post(str(exc), error=True)
            return str(exc)
        return None

    def _watch_selected(self) -> None:
        refs = self.document.selection.weights
        if not refs:
            self.document.post("Select one or more weights (edges) on the canvas first.")
            return
        self.document.set_watched(self.document.watched + refs)
