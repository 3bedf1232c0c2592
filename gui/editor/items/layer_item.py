"""A layer node: a header (name, size, activation) with its two ports, above a column of neuron circles.

The item holds a reference to the model's `Layer` and reads it when it paints, so a rename or a new activation
only needs a repaint; `sync()` brings the neuron circles in line after the layer was resized.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from engine import ACTIVATIONS, Layer

from ..painting import draw_points, guarded_paint
from .neuron_item import NeuronItem
from .style import (
    COLUMN_PAD,
    HEADER_GAP,
    HEADER_H,
    HEADER_W,
    HIGHLIGHT,
    KIND_COLORS,
    PORT_R,
    SELECTED,
    TEXT,
    column_half_height,
    neuron_offsets,
    neuron_radius,
)


class PortItem(QGraphicsItem):
    """Where a layer-to-layer connection starts ("out", right) or ends ("in", left). An input port that several
    connections reach is drawn as a summing junction (⊕): a branch or a skip merging into the layer, whose
    pre-activation adds up what each brings, can be told at a glance from a layer fed by one."""

    def __init__(self, parent: LayerItem, side: str):
        super().__init__(parent)
        self.side = side
        self.layer_id = parent.layer.id
        self._hovered = False
        self._border = KIND_COLORS[parent.layer.kind][1]
        self.sources: tuple[str, ...] = ()  # names of the layers whose connections end here
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(1)

    def boundingRect(self) -> QRectF:
        r = PORT_R + 2
        return QRectF(-r, -r, 2 * r, 2 * r)

    @guarded_paint
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(self._border, 1.5))
        painter.setBrush(QBrush(self._border if self._hovered or self.side == "out" else Qt.GlobalColor.white))
        r = PORT_R * (1.25 if self._hovered else 1.0)
        if self.merges:
            r = PORT_R + 2
            painter.setBrush(QBrush(self._border))
            painter.drawEllipse(QRectF(-r, -r, 2 * r, 2 * r))
            painter.setPen(QPen(Qt.GlobalColor.white, 1.5))
            painter.drawLine(QPointF(-r + 2, 0), QPointF(r - 2, 0))
            painter.drawLine(QPointF(0, -r + 2), QPointF(0, r - 2))
            return
        painter.drawEllipse(QRectF(-r, -r, 2 * r, 2 * r))

    @property
    def merges(self) -> bool:
        return len(self.sources) > 1

    def set_sources(self, names: list[str]) -> None:
        if tuple(names) == self.sources:
            return
        self.sources = tuple(names)
        self.setToolTip(f"Sums {len(names)} incoming connections (from {', '.join(names)}): each adds its "
                        "h·w to this layer's a" if self.merges else "")
        self.update()

    def hoverEnterEvent(self, event) -> None:
        self._hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hovered = False
        self.update()


NAME_W = 56.0  # room left of the input neurons for their names
NAME_GAP = 4.0
MAX_NAMES = 16  # more input neurons than this are too close together to name (the digits' 64 pixels)


class LayerItem(QGraphicsItem):
    def __init__(self, layer: Layer):
        super().__init__()
        self.layer = layer
        self.neurons: list[NeuronItem] = []
        self.names: tuple[str, ...] = ()  # the data's input columns ("x1·x2"), for the input layer
        self._half = 0.0  # half height of the neuron column, frame included
        self._radius = 0.0  # of each neuron circle
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(1)
        # Painted from a pixmap until it changes (everything that changes it calls update()): while training, the
        # edges are recoloured many times a second and the layers not at all. Measured on the 5k-weight bench
        # canvas: a full repaint 18.0 → 10.6 ms.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # the input layer receives nothing, the output layer feeds nothing
        sides = [side for side, barred in (("in", "input"), ("out", "output")) if layer.kind != barred]
        self.ports = {side: PortItem(self, side) for side in sides}
        self.setPos(*layer.position)
        self.sync()

    @property
    def layer_id(self) -> int:
        return self.layer.id

    # ------------------------------------------------------------------ following the model
    def sync(self) -> None:
        """Match the neuron circles to the layer's size (after a resize, or a neuron inserted or removed)."""
        size = self.layer.size
        self.prepareGeometryChange()
        self._half, self._radius = column_half_height(size), neuron_radius(size)
        while len(self.neurons) > size:
            item = self.neurons.pop()
            item.setParentItem(None)  # type: ignore[arg-type]  # stub bug: Qt takes nullptr, "no parent"
            if item.scene() is not None:
                item.scene().removeItem(item)
        while len(self.neurons) < size:
            self.neurons.append(NeuronItem(self, self.layer.id, len(self.neurons)))
        for index, (item, y) in enumerate(zip(self.neurons, neuron_offsets(size), strict=True)):
            item.place(index, float(y), self._radius)
        header_y = self.header_rect().center().y()
        for side, port in self.ports.items():
            port.setPos((HEADER_W / 2) * (1 if side == "out" else -1), header_y)
        self.update()

    def anchors(self) -> tuple[np.ndarray, np.ndarray]:
        """Scene points where outgoing and incoming weights meet each neuron: (size, 2) arrays, right and left."""
        x, y, r = self.pos().x(), self.pos().y(), self._radius
        ys = neuron_offsets(len(self.neurons)) + y
        return (np.column_stack([np.full_like(ys, x + r), ys]), np.column_stack([np.full_like(ys, x - r), ys]))

    def set_names(self, names: tuple[str, ...]) -> None:
        """Name the input neurons after the data's columns; drawn while there is one name per neuron."""
        if names != self.names:
            self.prepareGeometryChange()
            self.names = names
            self.update()

    def _named(self) -> bool:
        return self.layer.kind == "input" and len(self.names) == len(self.neurons) <= MAX_NAMES

    # ------------------------------------------------------------------ geometry
    def _names_rect(self) -> QRectF:
        left = self._column_rect().left() - NAME_GAP - NAME_W
        return QRectF(left, -self._half, NAME_W, 2 * self._half)

    def header_rect(self) -> QRectF:
        return QRectF(-HEADER_W / 2, -self._half - HEADER_GAP - HEADER_H, HEADER_W, HEADER_H)

    def _column_rect(self) -> QRectF:
        w = self._radius + COLUMN_PAD
        return QRectF(-w, -self._half, 2 * w, 2 * self._half)

    def boundingRect(self) -> QRectF:
        rect = self.header_rect().united(self._column_rect())
        rect = rect.united(self._names_rect()) if self._named() else rect
        return rect.adjusted(-PORT_R - 3, -3, PORT_R + 3, 3)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRect(self.header_rect())
        path.addRect(self._column_rect())
        return path

    @guarded_paint
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        fill, border = KIND_COLORS[self.layer.kind]
        selected = self.isSelected()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(SELECTED if selected else border, 2.5 if selected else 1.2))
        painter.setBrush(QBrush(fill))
        header = self.header_rect()
        painter.drawRoundedRect(header, 7, 7)
        column_fill = fill.lighter(106)
        column_fill.setAlpha(235)
        painter.setBrush(QBrush(column_fill))
        painter.drawRoundedRect(self._column_rect(), 6, 6)
        self._paint_text(painter, header)
        self._paint_neurons(painter, fill, border)
        if self._named():
            self._paint_names(painter)

    def _paint_names(self, painter: QPainter) -> None:
        """Each input's name right-aligned just left of its neuron."""
        painter.setPen(TEXT)
        font = QFont(painter.font())
        font.setPointSizeF(8.0)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        left, height = self._names_rect().left(), metrics.height()
        for name, y in zip(self.names, neuron_offsets(len(self.neurons)), strict=True):
            text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, NAME_W)
            painter.drawText(QRectF(left, float(y) - height / 2, NAME_W, height),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_neurons(self, painter: QPainter, fill: QColor, border: QColor) -> None:
        """All circles in two calls (a border disc under a fill disc per neuron), then the marked ones on top."""
        size, r = len(self.neurons), self._radius
        points = np.column_stack([np.zeros(size), neuron_offsets(size)])
        for color, diameter in ((border, 2 * r + 2.4), (fill.lighter(104), 2 * r)):
            pen = QPen(color, diameter)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            draw_points(painter, points)
        for neuron in self.neurons:
            if neuron.marked:
                painter.setPen(QPen(HIGHLIGHT if neuron.highlighted else SELECTED if neuron.isSelected() else border,
                                    3.0 if neuron.highlighted else 2.5 if neuron.isSelected() else 1.8))
                painter.setBrush(QBrush(SELECTED.lighter(170) if neuron.isSelected() else fill.lighter(104)))
                painter.drawEllipse(neuron.pos(), r, r)

    def _paint_text(self, painter: QPainter, header: QRectF) -> None:
        painter.setPen(TEXT)
        font = QFont(painter.font())
        font.setPointSizeF(9.5)
        font.setBold(True)
        painter.setFont(font)
        inner = header.adjusted(PORT_R + 3, 2, -PORT_R - 3, -2)
        top = QRectF(inner.x(), inner.y(), inner.width(), inner.height() / 2)
        bottom = top.translated(0, top.height())
        name = QFontMetricsF(font).elidedText(self.layer.name, Qt.TextElideMode.ElideRight, inner.width())
        painter.drawText(top, Qt.AlignmentFlag.AlignCenter, name)
        font.setBold(False)
        font.setPointSizeF(8.0)
        painter.setFont(font)
        painter.drawText(bottom, Qt.AlignmentFlag.AlignCenter, self.summary())

    def summary(self) -> str:
        size = self.layer.size
        if self.layer.kind == "input":
            return f"{size} input{'s' if size > 1 else ''}"
        return f"{size} · {ACTIVATIONS[self.layer.activation].label}"

    def port_scene_pos(self, side: str) -> QPointF:
        return self.ports[side].scenePos()
