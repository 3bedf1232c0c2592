"""Mouse gestures on the canvas, one small object each, from press to release (the Orange canvas's pattern).

The view creates a gesture on a mouse press and forwards moves and the release to it; a gesture ends in at most
one command (or one merged series of move commands), so each gesture is one undo step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPoint, QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QApplication, QGraphicsLineItem

from gui import commands

from .items import NeuronItem, PortItem
from .items.style import SELECTED
from .scene import EditorScene

if TYPE_CHECKING:
    from .view import EditorView


class Interaction:
    def __init__(self, view: EditorView, press: QPoint):
        self.view = view
        self.scene: EditorScene = view.scene()
        self.press = press  # viewport coordinates

    def move(self, pos: QPoint) -> None:
        """Mouse moved to viewport point `pos` with the button held."""

    def release(self, pos: QPoint) -> None:
        """Button released at `pos`: finish the gesture."""

    def cancel(self) -> None:
        """Escape pressed mid-gesture: leave the model as it was before the gesture."""

    def dragged(self, pos: QPoint) -> bool:
        return (pos - self.press).manhattanLength() >= QApplication.startDragDistance()

    def refuse(self, reason: str | None, pos: QPoint) -> None:
        if reason:
            self.view.show_message(reason, pos)


class Pan(Interaction):
    """Middle-button drag, or space + left drag: scroll the view."""

    def __init__(self, view: EditorView, press: QPoint):
        super().__init__(view, press)
        self._last = press
        view.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)

    def move(self, pos: QPoint) -> None:
        delta = pos - self._last
        self._last = pos
        self.view.pan_by(delta)

    def release(self, pos: QPoint) -> None:
        self.cancel()

    def cancel(self) -> None:
        self.view.viewport().unsetCursor()


class MoveLayers(Interaction):
    """Drag the selected layers; every step is a move command, merged into one because they share a gesture."""

    def __init__(self, view: EditorView, press: QPoint, layer_ids: list[int]):
        super().__init__(view, press)
        net = self.scene.network
        self.start = {lid: net.layer(lid).position for lid in layer_ids}
        self._origin = view.mapToScene(press)
        self._gesture = object()  # what makes this drag's move commands merge
        self._started = False

    def move(self, pos: QPoint) -> None:
        if not (self._started or self.dragged(pos)):  # a click must not nudge the layer by a pixel
            return
        self._started = True
        d = self.view.mapToScene(pos) - self._origin
        positions = {lid: (x + d.x(), y + d.y()) for lid, (x, y) in self.start.items()}
        self.scene.push(commands.move(self.scene.network, positions, gesture=self._gesture))

    def cancel(self) -> None:
        """Put the layers back where the drag started (still one merged, undoable step)."""
        if any(self.scene.network.layer(lid).position != pos for lid, pos in self.start.items()):
            self.scene.push(commands.move(self.scene.network, self.start, gesture=self._gesture))


class _Rubber(Interaction):
    """A gesture that draws a dashed line from where it started to the cursor until it is released."""

    def __init__(self, view: EditorView, press: QPoint, start: QPointF):
        super().__init__(view, press)
        self.start = start
        self.line: QGraphicsLineItem | None = None

    def move(self, pos: QPoint) -> None:
        if self.line is None:
            if not self.dragged(pos):
                return
            self.line = QGraphicsLineItem()
            pen = QPen(SELECTED, 2, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            self.line.setPen(pen)
            self.line.setZValue(10)
            self.scene.addItem(self.line)
        self.line.setLine(QLineF(self.start, self.view.mapToScene(pos)))

    def cancel(self) -> None:
        if self.line is not None:
            self.scene.removeItem(self.line)
            self.line = None


class ConnectLayers(_Rubber):
    """From a layer's output port to another layer: connect them densely (`network.connect`)."""

    def __init__(self, view: EditorView, press: QPoint, port: PortItem):
        super().__init__(view, press, port.scenePos())
        self.source = port.layer_id

    def release(self, pos: QPoint) -> None:
        was_dragged = self.line is not None
        self.cancel()
        target = self.scene.layer_at(self.view.mapToScene(pos))
        if target is None or not was_dragged:
            return
        net = self.scene.network
        self.refuse(self.scene.push(commands.connect(net, self.source, target)), pos)


class DrawWeight(_Rubber):
    """From one neuron to another: one weight (`network.add_weight`). Without a drag it is a click: select."""

    def __init__(self, view: EditorView, press: QPoint, neuron: NeuronItem, toggle: bool):
        super().__init__(view, press, neuron.scenePos())
        self.neuron = neuron
        self.toggle = toggle

    def release(self, pos: QPoint) -> None:
        if self.line is None:
            self._click()
            return
        self.cancel()
        target = self.scene.item_at(self.view.mapToScene(pos), NeuronItem)
        if target is None or target is self.neuron:
            return
        src, dst = self.neuron, target
        cmd = commands.add_weight(self.scene.network, src.layer_id, src.index, dst.layer_id, dst.index)
        self.refuse(self.scene.push(cmd), pos)

    def _click(self) -> None:
        if self.toggle:
            self.neuron.setSelected(not self.neuron.isSelected())
        else:
            self.scene.clear_selection()
            self.neuron.setSelected(True)
