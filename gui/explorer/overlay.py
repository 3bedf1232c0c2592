"""Value labels drawn on the canvas during a step-through: a, h, δ and Δb beside each neuron, Δw on each weight.

One item draws every label (the edge layer's lesson, design.md §3: one item per thing does not scale). The labels
show what the step has computed *so far*: each neuron's label grows as the step reaches it (a, h forward; δ
backward; Δb at the update), the loss appears beside the output layer, and each weight gets its Δw when the
update reaches it. The current frame's label is outlined in the highlight colour. Positions are read from the
scene's items when the labels are laid out, so `relayout` after a layer moved is enough.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from engine import BiasRef, GraphError
from engine.explain import Frame
from gui.editor.items.style import HIGHLIGHT, TEXT
from gui.editor.painting import guarded_paint
from gui.editor.scene import EditorScene

MAX_EDGE_LABELS = 200  # only the latest Δw labels: more would cover the canvas without being readable
SYMBOLS = {"a": "a", "h": "h", "δ": "δ", "Δw": "Δb"}  # a bias's update frame labels its neuron with Δb
BOX = QColor(255, 255, 255, 225)
BORDER = QColor("#9aa3b0")


class StepOverlay(QGraphicsItem):
    def __init__(self, scene: EditorScene):
        super().__init__()
        self._scene = scene
        self.setZValue(10)  # above the layers (z 1) and the edges
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self._font = QFont()
        self._font.setPixelSize(9)
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self._frames: tuple[Frame, ...] = ()
        self._labels: list[tuple[QRectF, str, bool]] = []  # rect, text, current
        self._rect = QRectF()
        scene.addItem(self)

    # ------------------------------------------------------------------ content
    def show_frames(self, frames: Sequence[Frame]) -> None:
        """Labels for these frames (the visited ones; the last is the current one)."""
        self._frames = tuple(frames)
        self.relayout()

    def labels(self) -> list[tuple[str, bool]]:
        """(text, is current) of every label, in drawing order: what the canvas shows, for tests."""
        return [(text, current) for _, text, current in self._labels]

    def relayout(self) -> None:
        """Place the labels again (the network's layers may have moved or been rebuilt)."""
        self.prepareGeometryChange()
        self._labels = [] if not self._frames else self._layout()
        rect = QRectF()
        for box, _, _ in self._labels:
            rect = rect.united(box)
        self._rect = rect.adjusted(-2, -2, 2, 2)
        self.update()

    def _layout(self) -> list[tuple[QRectF, str, bool]]:
        neurons: dict[tuple[int, int], dict[str, float]] = {}
        edges: dict = {}
        loss: float | None = None
        for frame in self._frames:
            if frame.phase == "loss":
                loss = frame.value
            elif frame.neuron is not None and frame.layer is not None:
                neurons.setdefault((frame.layer, frame.neuron), {})[SYMBOLS[frame.quantity]] = frame.value
            elif frame.ref is not None:
                edges.pop(frame.ref, None)  # re-inserted last: the newest labels are the ones kept
                edges[frame.ref] = frame.value
        last = self._frames[-1]
        current = last.ref if last.ref is not None else (last.layer, last.neuron) if last.neuron is not None else None
        labels = []
        for (lid, j), values in neurons.items():
            point = self._neuron_point(lid, j)
            if point is not None:
                text = "  ".join(f"{symbol} {value:.4g}" for symbol, value in values.items())
                labels.append(self._label(text, point, (lid, j) == current or BiasRef(lid, j) == current))
        for ref, value in list(edges.items())[-MAX_EDGE_LABELS:]:
            point = self._edge_point(ref)
            if point is not None:
                labels.append(self._label(f"Δw {value:.4g}", point, ref == current, centred=True))
        if loss is not None and (point := self._loss_point()) is not None:
            labels.append(self._label(f"L {loss:.4g}", point, last.phase == "loss"))
        labels.sort(key=lambda label: label[2])  # the current label last, on top
        return labels

    def _label(self, text: str, anchor: QPointF, current: bool, *, centred: bool = False) -> tuple[QRectF, str, bool]:
        metrics = QFontMetricsF(self._bold if current else self._font)
        w, h = metrics.horizontalAdvance(text) + 6, metrics.height() + 2
        x = anchor.x() - w / 2 if centred else anchor.x()
        return QRectF(x, anchor.y() - h / 2, w, h), text, current

    # ------------------------------------------------------------------ where labels go
    def _neuron_point(self, layer_id: int, j: int) -> QPointF | None:
        try:
            neuron = self._scene.layer_item(layer_id).neurons[j]
        except (KeyError, IndexError):
            return None  # the frame is older than an edit the scene already shows
        return neuron.scenePos() + QPointF(neuron.radius + 3, 0)

    def _edge_point(self, ref) -> QPointF | None:
        """Along the weight, at a fraction that depends on its target neuron, so labels of one dense connection
        do not all sit on the crossing in the middle."""
        row = self._scene.edge_row(ref)
        if row is None:
            return None
        x1, y1, x2, y2 = self._scene.edge_layer.edges.lines[row]
        size = self._scene.network.layer(self._scene.network.connection(ref.conn).target).size
        t = 0.3 + 0.4 * (ref.j + 0.5) / size
        return QPointF(x1 + t * (x2 - x1), y1 + t * (y2 - y1))

    def _loss_point(self) -> QPointF | None:
        try:
            item = self._scene.layer_item(self._scene.network.output_layer.id)
        except (GraphError, KeyError):  # no single output layer (any more): no loss label
            return None
        rect = item.sceneBoundingRect()
        return QPointF(rect.right() + 50, rect.center().y())

    # ------------------------------------------------------------------ drawing
    def boundingRect(self) -> QRectF:
        return self._rect

    @guarded_paint
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for rect, text, current in self._labels:
            painter.setPen(QPen(HIGHLIGHT if current else BORDER, 1.6 if current else 0.8))
            painter.setBrush(BOX)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setFont(self._bold if current else self._font)
            painter.setPen(TEXT)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
