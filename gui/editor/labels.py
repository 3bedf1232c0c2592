"""Number labels on the canvas that stay readable: a fixed pixel size at any zoom, none on top of another or of a
neuron, all inside the view.

A `LabelLayer` holds labels anchored at scene points and places them in the pixels of whatever it paints on: the
anchors go through the painter's transform, and `place` tries, for each label in turn (the caller's order is its
priority), candidate rects around its anchor — its preferred side first, then the other sides, then rings further
out — and keeps the first one inside the visible rect that meets no label placed before it and no neuron. A label
with no free place is left out rather than drawn over another, and so is one whose anchor is out of view. A label
pushed away from its anchor gets a thin leader line back to it. The placement is kept until the transform, the
visible rect or the labels change, so a repaint while training (edges recoloured, nothing moved) costs only the
drawing. Both the step-through's labels and the values overlay are layers of this kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView, QStyleOptionGraphicsItem, QWidget

from engine import WeightRef

from .items.style import HIGHLIGHT, TEXT
from .painting import guarded_paint
from .scene import EditorScene

FONT_PX = 11
PAD_X, PAD_Y = 4.0, 1.0  # inside a label's box
GAP = 4.0  # between a label and its anchor's neuron, and between two labels
RINGS = 8  # candidate distances around the anchor
MARGIN = 3.0  # between a label and the edge of the view
BOX = QColor(255, 255, 255, 232)
BORDER = QColor("#9aa3b0")
LEADER = QColor(90, 100, 120, 150)
# unit directions, in the order tried: beside (right, left), above and below, then the diagonals
SIDES = {"right": ((1, 0), (-1, 0), (0, -1), (0, 1), (1, -1), (1, 1), (-1, -1), (-1, 1)),
         "centre": ((0, 0), (0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (1, 1), (-1, -1), (-1, 1))}


@dataclass(frozen=True)
class Label:
    text: str  # one or more lines
    anchor: QPointF  # the scene point it belongs to (a neuron's centre, a point on a weight)
    side: str = "right"  # "right": beside a neuron (clear of `clear` pixels around it); "centre": on the point
    clear: float = 0.0  # the anchor's own radius in scene units (a neuron's), kept free
    current: bool = False  # drawn bold with a highlighted border, and placed first by the callers


def place(anchors: np.ndarray, sizes: np.ndarray, clears: np.ndarray, sides: Sequence[str],
          bounds: tuple[float, float, float, float], obstacles: np.ndarray) -> np.ndarray:
    """Greedy placement in pixels: (n, 4) rects (left, top, right, bottom), NaN rows for labels left out.

    `anchors` (n, 2), `sizes` (n, 2) and `clears` (n,) in pixels; `bounds` the visible rect; `obstacles` (k, 4)
    rects no label may cover. Each label's candidates are checked against everything placed so far at once; a
    label whose anchor is outside `bounds` is left out.
    """
    n = len(anchors)
    left, top, right, bottom = bounds
    seen = (anchors[:, 0] >= left) & (anchors[:, 0] <= right) & (anchors[:, 1] >= top) & (anchors[:, 1] <= bottom)
    taken = np.empty((len(obstacles) + n, 4))
    taken[: len(obstacles)] = obstacles
    count = len(obstacles)
    out = np.full((n, 4), np.nan)
    rings = np.arange(RINGS)[:, None]  # (RINGS, 1)
    for k in np.flatnonzero(seen).tolist():  # a label far from its anchor's place would only mislead
        (w, h), clear = sizes[k], clears[k]
        units = np.array(SIDES[sides[k]], float)
        # centre of the candidate: its near side `clear + GAP` from the anchor, further by a line per ring
        reach = clear + GAP + rings[..., None] * h + np.array([w, h]) / 2  # (RINGS, 1, 2)
        centres = (anchors[k] + units[None] * reach).reshape(-1, 2)  # ring by ring, each in the sides' order
        half = np.array([w, h]) / 2
        boxes = np.column_stack([centres - half, centres + half])
        fits = (boxes[:, 0] >= left) & (boxes[:, 1] >= top) & (boxes[:, 2] <= right) & (boxes[:, 3] <= bottom)
        others = taken[:count]
        hits = ((boxes[:, None, 0] < others[None, :, 2] + GAP) & (boxes[:, None, 2] + GAP > others[None, :, 0])
                & (boxes[:, None, 1] < others[None, :, 3] + GAP / 2)
                & (boxes[:, None, 3] + GAP / 2 > others[None, :, 1])).any(axis=1)
        free = np.flatnonzero(fits & ~hits)
        if len(free):
            out[k] = taken[count] = boxes[free[0]]
            count += 1
    return out


class LabelLayer(QGraphicsItem):
    """Labels drawn in device pixels over the whole scene, clear of every neuron and layer header."""

    def __init__(self, scene: EditorScene) -> None:
        super().__init__()
        self.canvas = scene
        self.setZValue(10)  # above the layers (z 1) and the edges
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self._font = QFont()
        self._font.setPixelSize(FONT_PX)
        self._bold = QFont(self._font)
        self._bold.setBold(True)
        self._labels: tuple[Label, ...] = ()
        self._sizes = np.zeros((0, 2))
        self._cache: tuple[tuple, list[tuple[Label, QRectF]]] | None = None
        scene.addItem(self)

    # ------------------------------------------------------------------ content
    def set_labels(self, labels: Sequence[Label]) -> None:
        """New labels, most important first (a label that finds no room is left out, so the last ones go first)."""
        self.prepareGeometryChange()
        self._labels = tuple(labels)
        sizes = []
        for label in self._labels:
            metrics = QFontMetricsF(self._bold if label.current else self._font)
            lines = label.text.split("\n")
            sizes.append((max(metrics.horizontalAdvance(line) for line in lines) + 2 * PAD_X,
                          metrics.height() * len(lines) + 2 * PAD_Y))
        self._sizes = np.array(sizes, float).reshape(-1, 2)
        self._cache = None
        self.update()

    def shown_labels(self) -> tuple[Label, ...]:
        return self._labels

    def neuron_label(self, layer_id: int, j: int, text: str, current: bool = False) -> Label | None:
        """A label beside neuron j of a layer, or None when the canvas has no such neuron (any more)."""
        try:
            neuron = self.canvas.layer_item(layer_id).neurons[j]
        except (KeyError, IndexError):
            return None
        return Label(text, neuron.scenePos(), "right", neuron.radius, current)

    def weight_label(self, ref: WeightRef, text: str, current: bool = False) -> Label | None:
        """A label on a weight as drawn (on its arch, for a skip connection), at a fraction of its length that
        depends on its target neuron, so the labels of one dense connection do not all start from its middle."""
        row = self.canvas.edge_row(ref)
        if row is None:
            return None
        size = self.canvas.network.layer(self.canvas.network.connection(ref.conn).target).size
        point = self.canvas.edge_layer.edges.point_along(row, 0.3 + 0.4 * (ref.j + 0.5) / size)
        return Label(text, QPointF(*point), "centre", current=current)

    def obstacles(self) -> list[QRectF]:
        """Scene rects no label may cover: the neurons and the layers' headers."""
        rects = []
        for item in self.canvas.layer_items():
            rects.append(item.mapRectToScene(item.header_rect()))
            rects += [neuron.sceneBoundingRect() for neuron in item.neurons]
        return rects

    def invalidate(self) -> None:
        """Place the labels again at the next paint (something they avoid or are anchored to moved)."""
        self._cache = None
        self.update()

    # ------------------------------------------------------------------ placement
    def placed(self, transform: QTransform, visible: QRectF) -> list[tuple[Label, QRectF]]:
        """Each label that found room, with its rect in the pixels `transform` maps the scene to."""
        key = (transform.m11(), transform.m12(), transform.m21(), transform.m22(), transform.dx(), transform.dy(),
               visible.left(), visible.top(), visible.right(), visible.bottom())
        if self._cache is None or self._cache[0] != key:
            self._cache = key, self._place(transform, visible)
        return self._cache[1]

    def placed_in(self, view: QGraphicsView) -> list[tuple[Label, QRectF]]:
        """The labels as `view` shows them, in its viewport's pixels."""
        return self.placed(view.viewportTransform(), QRectF(view.viewport().rect()))

    def _place(self, transform: QTransform, visible: QRectF) -> list[tuple[Label, QRectF]]:
        if not self._labels:
            return []
        scale = max(abs(transform.m11()), 1e-9)
        anchors = np.array([transform.map(label.anchor).toTuple() for label in self._labels], float)
        clears = np.array([label.clear * scale for label in self._labels])
        obstacles = [transform.mapRect(rect) for rect in self.obstacles()]
        bounds = visible.adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        rects = place(anchors, self._sizes, clears, [label.side for label in self._labels],
                      (bounds.left(), bounds.top(), bounds.right(), bounds.bottom()),
                      np.array([(r.left(), r.top(), r.right(), r.bottom()) for r in obstacles], float).reshape(-1, 4))
        return [(label, QRectF(QPointF(r[0], r[1]), QPointF(r[2], r[3])))
                for label, r in zip(self._labels, rects, strict=True) if not np.isnan(r[0])]

    # ------------------------------------------------------------------ drawing
    def boundingRect(self) -> QRectF:
        """All of the scene while there are labels to show (they go wherever the view shows), else nothing, so
        that `itemsBoundingRect` (a fit, a screenshot) is the network's."""
        scene = self.scene()
        return scene.sceneRect() if scene is not None and self._labels and self.isVisible() else QRectF()

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemVisibleChange:
            self.prepareGeometryChange()  # the bounding rect depends on visibility
        return super().itemChange(change, value)

    @guarded_paint
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        device = painter.device()
        if not self._labels or device is None:
            return
        transform = painter.worldTransform()
        placed = self.placed(transform, QRectF(0, 0, device.width(), device.height()))
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for label, rect in placed:
            anchor = transform.map(label.anchor)
            reach = label.clear * abs(transform.m11()) + 2 * GAP
            if not rect.adjusted(-reach, -reach, reach, reach).contains(anchor):
                painter.setPen(QPen(LEADER, 1.0))
                painter.drawLine(QLineF(anchor, _nearest(rect, anchor)))
                painter.setBrush(LEADER)
                painter.drawEllipse(anchor, 2.0, 2.0)  # where on the weight the label belongs
            painter.setPen(QPen(HIGHLIGHT if label.current else BORDER, 1.6 if label.current else 0.8))
            painter.setBrush(BOX)
            painter.drawRoundedRect(rect, 3, 3)
            painter.setFont(self._bold if label.current else self._font)
            painter.setPen(TEXT)
            painter.drawText(rect.adjusted(PAD_X, PAD_Y, -PAD_X, -PAD_Y),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label.text)
        painter.restore()


def _nearest(rect: QRectF, point: QPointF) -> QPointF:
    return QPointF(min(max(point.x(), rect.left()), rect.right()), min(max(point.y(), rect.top()), rect.bottom()))
