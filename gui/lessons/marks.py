"""What a lesson step points at on the canvas: a halo around layers and neurons, a broad stroke under weights.

One item of its own, drawn in the lessons' colour, rather than the scene's highlight: the chain-rule explorer
owns that one and redraws it whenever it refreshes, and a lesson's marks must stay while the explorer explains the
very weight the lesson is about. Positions are read from the scene's items when the marks are laid out, so
`relayout` after a layer moved or was resized is enough.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from engine.lessons import Items
from gui.editor.painting import guarded_paint
from gui.editor.scene import EditorScene

COLOR = QColor(240, 150, 0, 170)  # amber: apart from the selection's blue and the explorer's highlight
HALO = 4.0  # pixels around a marked neuron or layer
STROKE = 7.0  # width of a marked weight's stroke


class LessonMarks(QGraphicsItem):
    def __init__(self, scene: EditorScene):
        super().__init__()
        self._scene = scene
        self.setZValue(1.5)  # above the layers (z 1): a halo around a neuron shows over its layer's column
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._items = Items()
        self._rings: list[QRectF] = []  # neurons
        self._boxes: list[QRectF] = []  # layers
        self._lines: list[QLineF] = []  # weights
        self._rect = QRectF()
        scene.addItem(self)

    def show_items(self, items: Items) -> None:
        self._items = items
        self.relayout()

    def marked(self) -> Items:
        """What is marked and found on the canvas now: for tests, and for a reader of the scene."""
        return self._items if (self._rings or self._boxes or self._lines) else Items()

    def relayout(self) -> None:
        self.prepareGeometryChange()
        scene, items = self._scene, self._items
        try:
            self._boxes = [scene.layer_item(lid).sceneBoundingRect().adjusted(-HALO, -HALO, HALO, HALO)
                           for lid in items.layers]
            self._rings = [self._neuron_rect(lid, j).adjusted(-HALO, -HALO, HALO, HALO) for lid, j in items.neurons]
            self._lines = []
            for ref in items.weights:  # from rim to rim, so the stroke never covers a neuron
                conn = scene.network.connection(ref.conn)
                a, b = self._neuron_rect(conn.source, ref.i), self._neuron_rect(conn.target, ref.j)
                line = QLineF(a.center(), b.center())
                if line.length() > a.width() / 2 + b.width() / 2:
                    start = line.pointAt(a.width() / 2 / line.length())
                    end = line.pointAt(1 - b.width() / 2 / line.length())
                    self._lines.append(QLineF(start, end))
        except (KeyError, IndexError):  # the network changed under the step: its names no longer resolve
            self._boxes, self._rings, self._lines = [], [], []
        rect = QRectF()
        for box in (*self._boxes, *self._rings):
            rect = rect.united(box)
        for line in self._lines:
            rect = rect.united(QRectF(line.p1(), line.p2()).normalized())
        self._rect = QRectF() if rect.isNull() else rect.adjusted(-STROKE, -STROKE, STROKE, STROKE)
        self.update()

    def _neuron_rect(self, lid: int, j: int) -> QRectF:
        neuron = self._scene.layer_item(lid).neurons[j]
        r = neuron.radius
        center = neuron.mapToScene(QPointF(0.0, 0.0))
        return QRectF(center.x() - r, center.y() - r, 2 * r, 2 * r)

    def boundingRect(self) -> QRectF:
        return self._rect

    @guarded_paint
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(COLOR, STROKE)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawLines(self._lines)
        painter.setPen(QPen(COLOR, 3.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for box in self._boxes:
            painter.drawRoundedRect(box, 8.0, 8.0)
        for ring in self._rings:
            painter.drawEllipse(ring)
