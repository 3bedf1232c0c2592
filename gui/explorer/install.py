"""The chain-rule explorer feature: its dock and actions, kept in step with the document.

`ExplorerFeature` is the switchboard between the document (selection, run state, the trainer with its last batch
and optimiser), the canvas (highlights and step-through labels out) and the panel. Every trigger — a new
selection, a training step, a pause, an edit, New/Open — only schedules one refresh on a zero timer, so a burst of
triggers costs one explanation. The explanation itself is computed on a thread of its own (`gui.offthread.OffThread`)
and shown when it arrives, unless something asked for a newer one meanwhile. While training runs, the network
belongs to the training thread: nothing is computed and the panel says so until the next pause.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from engine import (
    BackpropError,
    BiasRef,
    CheckResult,
    LayerMoved,
    Network,
    NetworkEvent,
    ParamRef,
    Trainer,
    WeightRef,
    compiled,
    gradient_check,
)
from engine.explain import (
    Explanation,
    Frame,
    OutputExplanation,
    StepThrough,
    explain_output,
    explain_weight,
    path_union,
)
from engine.project import Project
from engine.studio import Document, RunState, Selection
from gui.docks import Area, DockSpec
from gui.editor import EditorScene
from gui.follow import Follower, follow
from gui.offthread import OffThread

from .overlay import StepOverlay
from .panel import EMPTY, ExplorerPanel
from .path_list import ALL_PATHS
from .values import ValuesOverlay

RUNNING_NOTE = "Pause training to explore (updates when paused)."
OUTPUT_EMPTY = "Select an input neuron (for dy/dx), or a weight or a neuron's bias (for dy/dw)."
COMPUTING_NOTE = "Computing the explanation…"
COMPUTING_AFTER_MS = 100  # a quicker explanation just appears: the note would only flicker
STEP_LIMIT = 10_000  # weights and biases: a step-through has a frame for each (784-128-10: 103k frames, 1.2 s)


def input_column(network: Network, ref: ParamRef, columns: tuple[str, ...]) -> str:
    """The input feature (`columns`: the data's, `DataSpec.features`) that a weight out of the input layer carries
    ("x1·x2"), or "" for any other weight or bias, and when no feature is on (the inputs are the data's own)."""
    if not isinstance(ref, WeightRef):
        return ""
    source = network.layer(network.connection(ref.conn).source)
    return columns[ref.i] if source.kind == "input" and len(columns) == source.size else ""


def explained_target(network: Network, selection: Selection) -> tuple[ParamRef | None, str]:
    """The parameter the selection asks about (a weight first, else a neuron's bias) and a note for the reader."""
    weights, neurons = selection.weights, selection.neurons
    if weights:
        note = f"{len(weights)} weights are selected: this is the first." if len(weights) > 1 else ""
        return weights[0], note
    if neurons:
        lid, j = neurons[0]
        layer = network.layer(lid)
        if layer.bias is None:
            return None, (f"{layer.name}[{j}] is an input: it has no bias. Select a weight (edge), or a hidden or "
                          "output neuron for its bias.")
        note = f"{len(neurons)} neurons are selected: this is the first one's bias." if len(neurons) > 1 else ""
        return BiasRef(lid, j), note
    return None, EMPTY


def check_gradient(network: Network, batch: tuple[Trainer, np.ndarray, np.ndarray], e: Explanation) -> CheckResult:
    """Backprop against central differences for what `e` explains, on the samples it explains."""
    trainer, x, t = batch
    rows = slice(None) if e.sample is None else slice(e.sample, e.sample + 1)
    settings = trainer.settings
    return gradient_check(network, x[rows], t[rows], settings.loss, [e.ref], penalty=settings.penalty)[0]


def frame_refs(network: Network, frame: Frame) -> list[ParamRef]:
    """What a step-through frame marks on the canvas: its weight, or its neuron (as a bias ref), or the outputs."""
    if frame.ref is not None:
        return [frame.ref]
    if frame.neuron is not None and frame.layer is not None:
        return [BiasRef(frame.layer, frame.neuron)]
    out = network.output_layer
    return [BiasRef(out.id, k) for k in range(out.size)]


class ExplorerFeature(QObject):
    raise_requested = Signal()  # Explain Selection or Step Through: the dock should come up

    def __init__(self, document: Document, scene: EditorScene):
        super().__init__(scene)
        self.document = document
        self.scene = scene
        self.panel = ExplorerPanel()
        self.dock: QDockWidget | None = None  # placed by the window (`attach`)
        self.on_screen = False  # a dock behind another's tab is still `isVisible()`: `visibilityChanged` tells
        self.overlay = StepOverlay(scene)
        self.values = ValuesOverlay(document, scene, self.panel)
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        self.worker = OffThread(self)
        self.worker.busy_changed.connect(self._busy_changed)
        self._computing = QTimer(self, singleShot=True, interval=COMPUTING_AFTER_MS)
        self._computing.timeout.connect(self._show_computing)
        self._computing_shown = False
        self._events = Follower(self, self._on_event, document.network.events)
        # (trainer, x, t) of the last refresh, while the network was the GUI thread's
        self._batch: tuple[Trainer, np.ndarray, np.ndarray] | None = None
        self._checked: ParamRef | None = None  # the parameter whose check the user asked for: kept up to date
        self._hover = None  # what the mouse over the panel asks to highlight
        self._union: list[ParamRef] | None = None  # every path of the shown explanation, computed on demand
        self._step_stale = True  # the step-through is rebuilt when its tab is next shown
        self._wire()

    @property
    def dock_spec(self) -> DockSpec:
        """A tab beside Training and Data: the explorer needs height, and the inspector stays in view above it."""
        return DockSpec(self.panel, "Chain rule", Area.RightDockWidgetArea, "explorer", tab_with="training")

    def attach(self, dock: QDockWidget) -> None:
        """The window placed the dock: follow whether it is on screen."""
        self.dock = dock
        dock.visibilityChanged.connect(self._visibility_changed)
        self.schedule()

    @property
    def network(self) -> Network:
        return self.document.network

    def _wire(self) -> None:
        panel, events = self.panel, self.document.events
        follow(self, events.selection_changed, self._selection_changed)
        follow(self, events.run_state_changed, self.schedule)
        follow(self, events.snapshot_published, self.schedule)
        follow(self, events.settings_changed, self.schedule)
        follow(self, events.project_replaced, self.set_project)
        panel.sample_changed.connect(self.schedule)
        panel.check_requested.connect(self.check)
        panel.highlight_all_toggled.connect(self._mark_canvas)
        panel.hovered.connect(self._hovered)
        panel.weight_clicked.connect(self._select_weight)
        panel.tab_changed.connect(self._tab_changed)
        panel.step.frame_changed.connect(self._frame_changed)
        self.actions = self._menu_actions()

    def _menu_actions(self) -> list[QAction]:
        """The Explore menu: window-wide E and Shift+E bring the explorer up; the rest work while the focus is in
        the panel and are listed here so their keys can be found."""
        specs = (("&Explain Selection", "E", "Show why the selected weight's gradient has its value",
                  self.explain_selection),
                 ("&Step Through One Sample", "Shift+E", "Show one training step, neuron by neuron",
                  self.step_through))
        actions = []
        for text, key, tip, slot in specs:
            action = QAction(text, self.panel)
            action.setShortcut(QKeySequence(key))
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(slot)
            actions.append(action)
        actions.append(self.values.action)
        step = self.panel.step.actions_by_name
        return [*actions, _separator(self.panel), self.panel.check_action, self.panel.highlight_action,
                _separator(self.panel), *(step[name] for name in ("first", "previous", "play", "next", "last"))]

    def explain_selection(self) -> None:
        self._raise_tab(0)

    def step_through(self) -> None:
        self._raise_tab(1)

    def _raise_tab(self, index: int) -> None:
        self.raise_requested.emit()  # the window brings up the workspace this dock belongs to
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()
        self.panel.tabs.setCurrentIndex(index)
        self.panel.tabs.currentWidget().setFocus()

    # ------------------------------------------------------------------ following the app
    def schedule(self, *_) -> None:
        self.worker.invalidate()  # whatever it is computing answers the question as it was
        self._timer.start()

    @property
    def pending(self) -> bool:
        """Whether a refresh is scheduled or an explanation is on its way: what the panel shows may change."""
        return self._timer.isActive() or self.worker.busy

    def set_project(self, project: Project) -> None:
        self._events.follow(project.network.events)
        self._checked = None
        self.panel.step.set_frames((), "", keep=False)
        self.schedule()

    def _on_event(self, event: NetworkEvent) -> None:
        if isinstance(event, LayerMoved):  # a drag sends one per mouse move: only the labels move
            self.overlay.relayout()
        else:
            self.schedule()

    def _selection_changed(self, selection: Selection) -> None:
        ref, _ = explained_target(self.network, selection)
        if ref != self._checked:
            self._checked = None
        self._hover = None
        self.schedule()

    def _visibility_changed(self, visible: bool) -> None:
        self.on_screen = visible
        if visible:
            self.schedule()
        else:
            self.panel.step.stop()
            self._mark_canvas()

    # ------------------------------------------------------------------ computing
    def refresh(self) -> None:
        """Explain the selected parameter (and rebuild the step-through) from the network as it is now."""
        self._timer.stop()
        panel = self.panel
        if not self.on_screen:
            return  # hidden: `visibilityChanged` brings it up to date when it is shown again
        if self.document.run_state is RunState.RUNNING:
            panel.show_notice(RUNNING_NOTE)
            panel.set_busy(True)
            panel.step.stop()
            return
        panel.set_busy(False)
        self._union = None
        try:
            trainer = self.document.trainer()
            x, t = trainer.last_batch()
            image_shape = self.document.session.data()[0].image_shape
        except BackpropError as exc:
            self._batch = None
            panel.show_notice(f"Nothing to explain yet: {exc}", error=True)
            panel.show_empty("The network cannot run on its data yet (see above).", error=True)
            panel.step.set_frames((), "")
            self._mark_canvas()
            return
        panel.show_notice(None)
        panel.set_samples(x, t, image_shape)
        self._batch = trainer, x, t
        self._explain()
        self._step_stale = True
        if panel.step_through_shown():
            self._build_steps()
        self._mark_canvas()

    def _explain(self) -> None:
        network, panel = self.network, self.panel
        if panel.output_mode.isChecked():
            self._explain_output()
            return
        ref, note = explained_target(network, self.document.selection)
        if ref is None:
            panel.show_empty(note)
            return
        assert self._batch is not None, "refresh sets the batch before it explains"
        batch = self._batch
        trainer, x, t = batch
        loss, optimizer, sample = trainer.settings.loss, trainer.optimizer, panel.sample()
        penalty = trainer.settings.penalty
        checked = self._checked == ref

        def job() -> tuple[Explanation, CheckResult | None]:
            e = explain_weight(network, ref, x, t, loss, sample, optimizer=optimizer, check=False, penalty=penalty)
            return e, check_gradient(network, batch, e) if checked else None

        column = input_column(network, ref, self.document.project.data.features)
        self._submit(job, lambda shown: self._show_explanation(shown, note, column))

    def _show_explanation(self, shown: tuple[Explanation, CheckResult | None], note: str, column: str) -> None:
        e, result = shown
        self.panel.show_explanation(e, note, column)
        self.panel.show_check(result)
        self._union = None
        self._mark_canvas()

    def _submit(self, job, show) -> None:
        """Compute on the worker thread, on the plan as the GUI thread sees it now: compiled here, so the worker
        only ever copies it (two threads compiling one network would bind its arrays to two plans)."""
        compiled(self.network)
        self.worker.submit(job, show, self._explain_failed)

    def _explain_failed(self, exc: BackpropError) -> None:
        self.panel.show_empty(str(exc), error=True)
        self._mark_canvas()

    def _busy_changed(self, busy: bool) -> None:
        if busy:
            self._computing.start()
            return
        self._computing.stop()
        if self._computing_shown:
            self._computing_shown = False
            self.panel.show_notice(None)

    def _show_computing(self) -> None:
        self._computing_shown = True
        self.panel.show_notice(COMPUTING_NOTE)

    def _explain_output(self) -> None:
        """"Explain the output y itself": dy/dx for a selected input neuron, else dy/dw for the selected weight or
        bias, on the chosen sample (or the batch's mean), with its check."""
        network, panel, neurons = self.network, self.panel, self.document.selection.neurons
        target: ParamRef | int | None
        if neurons and network.layer(neurons[0][0]).kind == "input":
            target, note = neurons[0][1], ""
        else:
            target, note = explained_target(network, self.document.selection)
        if target is None:
            panel.show_empty(note if note != EMPTY else OUTPUT_EMPTY)
            return
        assert self._batch is not None, "refresh sets the batch before it explains"
        _, x, _ = self._batch
        chosen = panel.sample()
        rows = x if chosen is None else x[chosen : chosen + 1]

        def job() -> OutputExplanation:
            return explain_output(network, target, rows)

        self._submit(job, self._show_output)

    def _show_output(self, e: OutputExplanation) -> None:
        self.panel.show_output(e)
        self._mark_canvas()  # "Highlight all paths" belongs to a loss's gradient

    def check(self) -> None:
        """Backprop against central differences for the parameter shown; redone with every refresh after that."""
        e = self.panel.explanation
        if e is None or self._batch is None or not self.document.idle:
            return
        try:
            result = check_gradient(self.network, self._batch, e)
        except BackpropError as exc:
            self.panel.show_notice(str(exc), error=True)
            return
        self._checked = e.ref
        self.panel.show_check(result)

    def _build_steps(self) -> None:
        view, network = self.panel.step, self.network
        if self._batch is None:
            return
        self._step_stale = False
        n = network.n_weights + network.n_biases
        if n > STEP_LIMIT:
            view.set_frames((), f"This network has {n:,} weights and biases, and a step-through shows a frame for "
                                f"each. It is meant for small networks (up to {STEP_LIMIT:,} parameters).")
            return
        trainer, x, t = self._batch
        chosen = self.panel.sample()
        k = 0 if chosen is None else chosen
        try:
            frames = StepThrough(network, x[k], t[k], trainer.settings.loss, optimizer=trainer.optimizer,
                                 penalty=trainer.settings.penalty).frames
        except BackpropError as exc:
            view.set_frames((), str(exc))
            return
        hint = " (choose another under Samples)" if chosen is None else ""
        view.set_frames(frames, f"One training step on <b>sample {k}</b>{hint}: each neuron's a and h layer by "
                                "layer, the loss, each δ in reverse order, then each weight's Δw.")

    # ------------------------------------------------------------------ the canvas
    def _tab_changed(self) -> None:
        if not self.panel.step_through_shown():
            self.panel.step.stop()
        elif self._step_stale:
            self.schedule()
        self._mark_canvas()

    def _frame_changed(self) -> None:
        self.overlay.show_frames(self.panel.step.visited())
        self._mark_canvas()

    def _hovered(self, refs) -> None:
        self._hover = refs
        self._mark_canvas()

    def _mark_canvas(self) -> None:
        """Highlight what the mouse points at in the panel, else the step-through's frame, else every path (when
        asked for); show the step-through's labels while its tab is up."""
        shown = self.on_screen
        stepping = shown and self.panel.step_through_shown()
        self.overlay.setVisible(stepping)
        e, frame, hover = self.panel.explanation, self.panel.step.current(), self._hover if shown else None
        refs: list[ParamRef] = []
        if hover == ALL_PATHS or (hover is None and shown and not stepping and self.panel.highlight_all.isChecked()):
            refs = self._all_paths(e)
        elif hover is not None:
            refs = hover
        elif stepping and frame is not None:
            refs = frame_refs(self.network, frame)
        self.scene.highlight_weights(refs)

    def _all_paths(self, e: Explanation | None) -> list[ParamRef]:
        if e is None:
            return []
        if self._union is None:
            try:
                self._union = path_union(self.network, e.ref)
            except BackpropError:  # the weight went with an edit the next refresh has not seen yet
                self._union = []
        return self._union

    def _select_weight(self, ref: WeightRef) -> None:
        scene = self.scene
        scene.clear_selection()
        scene.select_weights([ref])


def _separator(parent: QObject) -> QAction:
    action = QAction(parent)
    action.setSeparator(True)
    return action
