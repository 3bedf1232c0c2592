"""The "show values" overlay: a, h and δ beside every neuron and w and dL/dw beside every weight, on the canvas.

The numbers are those of the sample the explorer explains (its Samples choice; the batch's mean when none is
chosen), on the batch the last training step used, with the network as it is now; they are recomputed whenever
the document publishes a snapshot (a step, an epoch, a reset), the network changes or another sample is chosen, so
they are never those of a past step. While training runs the network is the worker's, so the labels are taken
down until it pauses. Meant for small networks: above `WEIGHT_LIMIT` weights or `NEURON_LIMIT` neurons the action
is disabled and its tooltip says why.
"""

from __future__ import annotations

from contextlib import suppress

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QKeySequence

from engine import BackpropError, LayerMoved, NetworkEvent, WeightRef
from engine.explain import network_values
from engine.project import Project
from engine.studio import Document, RunState
from gui.editor.labels import Label, LabelLayer
from gui.editor.scene import EditorScene
from gui.follow import Follower, follow

from .panel import ExplorerPanel

WEIGHT_LIMIT = 64  # a 680×540 canvas has room for about 60 labels (the skip example's 109 left half out)
NEURON_LIMIT = 32
TIP = "Write a, h and δ beside every neuron and w and dL/dw beside every weight, for the explained sample (V)"


class ValueLabels(LabelLayer):
    def labels(self) -> list[str]:
        """The text of every label, neurons first: what the canvas shows, for tests."""
        return [label.text for label in self.shown_labels()]


class ValuesOverlay(QObject):
    def __init__(self, document: Document, scene: EditorScene, panel: ExplorerPanel):
        super().__init__(scene)
        self.document = document
        self.scene = scene
        self.panel = panel
        self.layer = ValueLabels(scene)
        self.layer.setVisible(False)
        self.action = QAction("Show &Values on the Canvas", panel)
        self.action.setCheckable(True)
        self.action.setShortcut(QKeySequence("V"))
        self.action.toggled.connect(self.schedule)
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        self._last: list[tuple[tuple, str]] = []  # the texts shown, to re-anchor when a layer moves
        self._events = Follower(self, self._on_event, document.network.events)
        events = document.events
        follow(self, events.snapshot_published, self.schedule)
        follow(self, events.run_state_changed, self.schedule)
        follow(self, events.settings_changed, self.schedule)
        follow(self, events.project_replaced, self._project_replaced)
        panel.sample_changed.connect(self.schedule)
        self._sync_action()

    def schedule(self, *_) -> None:
        self._timer.start()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def _project_replaced(self, project: Project) -> None:
        self._events.follow(project.network.events)
        self.schedule()

    def _on_event(self, event: NetworkEvent) -> None:
        if isinstance(event, LayerMoved):  # a drag sends one per mouse move: the numbers stay, the labels move
            self.layer.set_labels(self._anchored(self._last))
        else:
            self.schedule()

    def _sync_action(self) -> str | None:
        """Enable the action for small networks only; returns why it is disabled."""
        network = self.document.network
        neurons = sum(layer.size for layer in network.layers.values())
        reason = None
        if network.n_weights > WEIGHT_LIMIT or neurons > NEURON_LIMIT:
            reason = (f"Values are written on the canvas for small networks (up to {WEIGHT_LIMIT} weights and "
                      f"{NEURON_LIMIT} neurons); this one has {network.n_weights} weights and {neurons} neurons")
        self.action.setEnabled(reason is None)
        self.action.setToolTip(reason or TIP)
        self.action.setStatusTip(reason or TIP)
        return reason

    def refresh(self) -> None:
        self._timer.stop()
        reason = self._sync_action()
        shown = self.action.isChecked() and reason is None and self.document.run_state is not RunState.RUNNING
        self.layer.setVisible(shown)
        self._last = []
        if shown:
            with suppress(BackpropError):  # nothing to run on yet (no data, a half-built net): nothing to write
                self._last = self._texts()
        self.layer.set_labels(self._anchored(self._last))

    def _texts(self) -> list[tuple[tuple, str]]:
        """(what a label belongs to, its text): ("neuron", layer id, j) or ("weight", ref), neurons first."""
        network = self.document.network
        x, t = self.document.trainer().last_batch()
        chosen = self.panel.sample()
        rows = slice(None) if chosen is None else slice(chosen, chosen + 1)
        values = network_values(network, x[rows], t[rows], self.document.trainer().settings.loss)
        texts: list[tuple[tuple, str]] = []
        for lid, layer in network.layers.items():
            for j in range(layer.size):
                if layer.kind == "input":
                    text = f"h {values.h[lid][j]:.4g}"
                else:
                    text = f"a {values.a[lid][j]:.4g}\nh {values.h[lid][j]:.4g}\nδ {values.delta[lid][j]:.4g}"
                texts.append((("neuron", lid, j), text))
        for cid, c in network.connections.items():
            w, grad = c.weight.value, values.grads[cid]
            for i, j in zip(*c.weight.mask.nonzero(), strict=True):
                texts.append((("weight", WeightRef(cid, int(i), int(j))), f"w {w[i, j]:.4g}\n∂L/∂w {grad[i, j]:.4g}"))
        return texts

    def _anchored(self, texts: list[tuple[tuple, str]]) -> list[Label]:
        labels = [self.layer.neuron_label(key[1], key[2], text) if key[0] == "neuron"
                  else self.layer.weight_label(key[1], text) for key, text in texts]
        return [label for label in labels if label is not None]
