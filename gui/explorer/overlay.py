"""Value labels drawn on the canvas during a step-through: a, h, δ and Δb beside each neuron, Δw on each weight.

The labels show what the step has computed *so far*: each neuron's label grows as the step reaches it (a, h
forward; δ backward; Δb at the update), the loss appears beside the output layer, and each weight gets its Δw when
the update reaches it. The current frame's label is outlined in the highlight colour and placed first; the
`LabelLayer` places the rest so that none covers another and all stay in the view (gui/editor/labels.py), the
newest Δw before older ones. Anchors are read from the scene's items, so `relayout` after a layer moved is enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF

from engine import BiasRef, GraphError, WeightRef
from engine.explain import Frame
from gui.editor.labels import Label, LabelLayer
from gui.editor.scene import EditorScene

MAX_EDGE_LABELS = 200  # only the latest Δw labels: more would cover the canvas without being readable
SYMBOLS = {"a": "a", "h": "h", "δ": "δ", "Δw": "Δb"}  # a bias's update frame labels its neuron with Δb


class StepOverlay(LabelLayer):
    def __init__(self, scene: EditorScene):
        super().__init__(scene)
        self._frames: tuple[Frame, ...] = ()

    # ------------------------------------------------------------------ content
    def show_frames(self, frames: Sequence[Frame]) -> None:
        """Labels for these frames (the visited ones; the last is the current one)."""
        self._frames = tuple(frames)
        self.relayout()

    def labels(self) -> list[tuple[str, bool]]:
        """(text, is current) of every label, most important first: what the canvas shows, for tests."""
        return [(label.text, label.current) for label in self.shown_labels()]

    def relayout(self) -> None:
        """Anchor the labels again (the network's layers may have moved or been rebuilt)."""
        self.set_labels(self._layout() if self._frames else [])

    def _layout(self) -> list[Label]:
        neurons: dict[tuple[int, int], dict[str, float]] = {}
        edges: dict[WeightRef, float] = {}
        loss: float | None = None
        for frame in self._frames:
            if frame.phase == "loss":
                loss = frame.value
            elif frame.neuron is not None and frame.layer is not None:
                neurons.setdefault((frame.layer, frame.neuron), {})[SYMBOLS[frame.quantity]] = frame.value
            elif isinstance(frame.ref, WeightRef):
                edges.pop(frame.ref, None)  # re-inserted last: the newest labels are the ones kept
                edges[frame.ref] = frame.value
        last = self._frames[-1]
        current = last.ref if last.ref is not None else (last.layer, last.neuron) if last.neuron is not None else None
        labels = [self.neuron_label(lid, j, "\n".join(f"{symbol} {value:.4g}" for symbol, value in values.items()),
                                    (lid, j) == current or BiasRef(lid, j) == current)
                  for (lid, j), values in neurons.items()]
        labels += [self.weight_label(ref, f"Δw {value:.4g}", ref == current)
                   for ref, value in reversed(list(edges.items())[-MAX_EDGE_LABELS:])]  # newest first
        if loss is not None and (point := self._loss_point()) is not None:
            labels.insert(0, Label(f"L {loss:.4g}", point, "right", current=last.phase == "loss"))
        shown = [label for label in labels if label is not None]  # frames older than an edit the canvas shows
        shown.sort(key=lambda label: not label.current)  # the current label first: it always finds room
        return shown

    def _loss_point(self) -> QPointF | None:
        """Beside the output layer's header."""
        try:
            item = self.canvas.layer_item(self.canvas.network.output_layer.id)
        except (GraphError, KeyError):  # no single output layer (any more): no loss label
            return None
        rect = item.mapRectToScene(item.header_rect())
        return QPointF(rect.right(), rect.center().y())
