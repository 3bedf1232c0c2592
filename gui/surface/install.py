"""The Loss surface feature: its dock and action, kept in step with the document.

It computes on the GUI thread, from the trainer's last batch, and only while no run owns the network: a new
selection or a final snapshot (a pause, the end of a run, an edit, a reset) schedules one computation on a zero timer
while the dock is on screen, and Explore → Loss Surface or Recompute computes at once. A 41 × 41 grid keeps that
to milliseconds on the starter network and well under a second on a digit-sized one (docs/benchmarks.md: 64 × 64
on 784-128-10 in 0.7–1.0 s). Nothing of the project is kept here: each computation reads the document afresh.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget

from engine import BackpropError, BiasRef, Network, ParamRef
from engine.studio import Document, RunState, Selection, Snapshot
from engine.surface import GradientSlice, Surface, gradient_slice, loss_surface
from gui.docks import Area, DockSpec
from gui.editor import EditorScene
from gui.follow import follow
from gui.offthread import OffThread

from .panel import EMPTY, SurfacePanel

POINTS = 41  # per axis: 1,681 network passes over the batch, on the GUI thread
RUNNING_NOTE = "Pause training to compute: the surface is drawn again when the run pauses or ends."


def surface_refs(network: Network, selection: Selection) -> tuple[tuple[ParamRef, ...], str]:
    """The one or two parameters the selection names (weights, then selected neurons' biases), or a note why none."""
    refs: list[ParamRef] = list(selection.weights)
    inputs = []
    for lid, j in selection.neurons:
        layer = network.layer(lid)
        if layer.bias is None:
            inputs.append(f"{layer.name}[{j}]")
        else:
            refs.append(BiasRef(lid, j))
    if not refs:
        return (), (f"{', '.join(inputs)} is an input: it has no bias. {EMPTY}" if inputs else EMPTY)
    if len(refs) > 2:
        return (), f"{len(refs)} weights and biases are selected: a loss surface is over one or two. {EMPTY}"
    return tuple(refs), ""


class SurfaceFeature(QObject):
    def __init__(self, document: Document, scene: EditorScene):
        super().__init__(scene)
        self.document = document
        self.scene = scene
        self.panel = SurfacePanel()
        self.dock: QDockWidget | None = None  # placed by the window (`attach`)
        self.on_screen = False
        self.seconds: float | None = None  # how long the last computation took
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        self.worker = OffThread(self)  # the grid is computed off the GUI thread (0.5–1.3 s on a 1M-weight net)
        events = document.events
        follow(self, events.selection_changed, self.schedule)
        follow(self, events.snapshot_published, self._snapshot_published)
        follow(self, events.run_state_changed, self._run_state_changed)
        follow(self, events.project_replaced, self.schedule)
        self.panel.recompute_requested.connect(self.compute)
        action = QAction("Loss &Surface", self.panel)
        action.setShortcut(QKeySequence("Ctrl+Shift+L"))
        tip = "The loss over a grid of the one or two selected weights, with the path the run took"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(self.open)
        separator = QAction(self.panel)
        separator.setSeparator(True)
        self.actions = [separator, action]

    @property
    def dock_spec(self) -> DockSpec:
        """A tab beside the decision boundary: both are pictures of the loss that want width."""
        return DockSpec(self.panel, "Loss surface", Area.BottomDockWidgetArea, "surface", tab_with="boundary")

    def attach(self, dock: QDockWidget) -> None:
        self.dock = dock
        dock.visibilityChanged.connect(self._visibility_changed)

    # ------------------------------------------------------------------ following the document
    def open(self) -> None:
        """Explore → Loss Surface: bring the dock up and compute now."""
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()
        self.compute()

    def schedule(self, *_) -> None:
        # stale at once, not when the timer fires: a grid already on its way would be shown first
        self.worker.invalidate()
        if self.on_screen:
            self._timer.start()

    def _snapshot_published(self, snapshot: Snapshot) -> None:
        if snapshot.final:
            self.schedule()

    def _run_state_changed(self, state: RunState) -> None:
        if state is RunState.RUNNING:
            self._timer.stop()
            self.worker.invalidate()  # it read the weights training now changes
            self.panel.show_notice(RUNNING_NOTE)

    def _visibility_changed(self, visible: bool) -> None:
        self.on_screen = visible
        self.schedule()

    # ------------------------------------------------------------------ computing
    def refresh(self) -> None:
        """A scheduled computation: only while the dock is on screen (showing it brings it up to date)."""
        if self.on_screen:
            self.compute()

    @property
    def pending(self) -> bool:
        """A computation is scheduled or on its way: what the dock shows is about to change."""
        return self._timer.isActive() or self.worker.busy

    def compute(self) -> None:
        """The surface of the selected weights on the last batch, from the network as it is now (idle only), on
        the worker thread; the dock keeps what it shows until the result arrives."""
        self._timer.stop()
        self.worker.invalidate()
        panel, document = self.panel, self.document
        if not document.idle:
            panel.show_notice(RUNNING_NOTE)
            return
        panel.show_notice(None)
        network = document.network
        refs, note = surface_refs(network, document.selection)
        if not refs:
            panel.show_empty(note)
            return
        try:
            trainer = document.trainer()  # compiles the plan here: the worker only copies it
            x, t = trainer.last_batch()
            loss, lr = trainer.settings.loss, trainer.lr
        except BackpropError as exc:
            self._failed(exc)
            return

        def job() -> tuple[Surface, GradientSlice | None, float]:
            start = time.perf_counter()
            surface = loss_surface(network, x, t, loss, refs, points=POINTS)
            gradient = None if len(refs) == 2 else gradient_slice(network, x, t, loss, lr)
            return surface, gradient, time.perf_counter() - start

        self.worker.submit(job, lambda result: self._show(refs, len(x), *result), self._failed)

    def _failed(self, exc: BackpropError) -> None:
        self.panel.show_empty(f"No loss surface: {exc}", error=True)

    def _show(self, refs: tuple[ParamRef, ...], samples: int, surface: Surface, gradient: GradientSlice | None,
              seconds: float) -> None:
        panel = self.panel
        self.seconds = seconds
        grid = f"{POINTS} × {POINTS} grid" if len(refs) == 2 else f"{POINTS} points"
        caption = (f"L = {surface.center_loss:.4g} at the current point; {grid} on the last batch "
                   f"({samples} samples), every other weight fixed; computed in {seconds * 1000:.0f} ms.")
        if gradient is None:
            path = self._path(refs)
            if path is None:
                caption += " Train to see the path the run takes (the timeline's recorded steps)."
            panel.show_plane(surface, path, caption)
        else:
            caption += (f" Right: every weight along −∇L, scaled by the learning rate α = {gradient.lr:g}; t = 1 is "
                        "the step plain SGD takes.")
            panel.show_line(surface, gradient, caption)

    def _path(self, refs: tuple[ParamRef, ...]) -> np.ndarray | None:
        """(n, 2) values the two weights took during the run: every step when both are watched (the history),
        else the timeline's recorded steps (dense early, thinned later), so any two weights show their path."""
        history = self.document.project.history
        if all(ref in history.watched for ref in refs):
            a, b = (history.weight_series(ref) for ref in refs)
            _, ia, ib = np.intersect1d(a[:, 0], b[:, 0], return_indices=True)
            path = np.column_stack([a[ia, 1], b[ib, 1]])
        else:
            path = self.document.recorder.values(self.document.trainer().compiled, refs)[:, 1:]
        return path if len(path) > 1 else None
