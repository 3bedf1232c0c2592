"""The canvas widget: zoom, pan, fit, keyboard actions, palette drops, hover tooltips, and the mouse gestures.

Mouse presses pick a gesture by what lies under the cursor (output port: connect; neuron: draw a weight; layer:
select and move; weight: select; empty canvas: rubber band). The actions (Delete, F, L, zoom) live here with
their shortcuts and are also put in the main window's menus, so the canvas works the same on its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QCursor, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import QGraphicsView, QLabel, QToolTip

from gui.icons import icon

from .interactions import ConnectLayers, DrawWeight, Interaction, MoveLayers, Pan
from .items import LayerItem, NeuronItem, PortItem
from .painting import guarded_paint
from .palette import palette_entry
from .scene import EditorScene

MIN_SCALE, MAX_SCALE, FIT_MAX_SCALE = 0.02, 8.0, 1.4
ZOOM_STEP = 1.25
PICK_PIXELS = 5.0  # how close (on screen) the cursor must be to a weight to hover or click it
MESSAGE_MS = 4000
GRID = 40.0


class EditorView(QGraphicsView):
    def __init__(self, scene: EditorScene, parent=None):
        super().__init__(scene, parent)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.ContainsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setAcceptDrops(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # pan by dragging instead
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setToolTip("")  # tooltips come from what is under the cursor (viewportEvent)
        self._interaction: Interaction | None = None
        self._space = False
        self._band: tuple[QPointF, np.ndarray] | None = None  # rubber band: its start, the weights selected before
        self._keep_fit = False  # showing the last fit: refit as the viewport resizes, until the user zooms or pans
        self.message = QLabel(self.viewport())
        self.message.setObjectName("canvasMessage")
        self.message.setWordWrap(True)
        self.message.setMaximumWidth(360)
        self.message.setStyleSheet("QLabel#canvasMessage { background: #fff4d6; color: #5b3a00;"
                                   " border: 1px solid #e0b252; border-radius: 4px; padding: 4px 6px; }")
        self.message.hide()
        self._message_timer = QTimer(self, singleShot=True, interval=MESSAGE_MS)
        self._message_timer.timeout.connect(self.message.hide)
        self._actions = self._make_actions()

    def scene(self) -> EditorScene:
        return cast(EditorScene, super().scene())  # the scene it was built with

    # ------------------------------------------------------------------ actions
    def _make_actions(self) -> dict[str, QAction]:
        # name: (text, shortcuts, tooltip, slot); an icon resources/icons/<name>.svg if there is one
        specs: dict[str, tuple[str, list[QKeySequence.StandardKey | str], str, Callable[[], object]]] = {
            "delete": ("&Delete", [QKeySequence.StandardKey.Delete, "Backspace"],
                       "Delete the selected layers, neurons and weights", self.delete_selection),
            "select_all": ("Select &All", [QKeySequence.StandardKey.SelectAll],
                           "Select every layer", self.select_all),
            "zoom_in": ("Zoom &In", ["Ctrl+=", "Ctrl++"], "Zoom in on the canvas", self.zoom_in),
            "zoom_out": ("Zoom &Out", ["Ctrl+-"], "Zoom out", self.zoom_out),
            "fit": ("&Fit to View", ["F"], "Show the whole network", self.fit),
            "arrange": ("Arrange &Layers", ["L"],
                        "Place layers left to right by their longest path from the input (undoable)", self.arrange),
        }
        actions = {}
        for name, (text, keys, tip, slot) in specs.items():
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(slot)
            if name in ("fit", "arrange"):
                action.setIcon(icon(name))
            self.addAction(action)
            actions[name] = action
        return actions

    def action(self, name: str) -> QAction:
        return self._actions[name]

    def delete_selection(self) -> None:
        self.show_message(self.scene().delete_selection())

    def select_all(self) -> None:
        for item in self.scene().layer_items():
            item.setSelected(True)

    def arrange(self) -> None:
        self.show_message(self.scene().arrange())
        self.fit()

    def zoom_in(self) -> None:
        self.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / ZOOM_STEP)

    def zoom_by(self, factor: float) -> None:
        """The user's zoom (or a restored one): the view is theirs, and no longer refits as the window grows."""
        self._keep_fit = False
        self._scale_by(factor)

    def pan_by(self, delta: QPoint) -> None:
        """Move the canvas with the mouse by `delta` pixels; the view is the user's from now on."""
        self._keep_fit = False
        for bar, step in ((self.horizontalScrollBar(), delta.x()), (self.verticalScrollBar(), delta.y())):
            bar.setValue(bar.value() - step)

    def _scale_by(self, factor: float) -> None:
        current = self.current_scale()
        factor = min(max(current * factor, MIN_SCALE), MAX_SCALE) / current
        self.scale(factor, factor)

    def current_scale(self) -> float:
        return self.transform().m11()

    def fit(self) -> None:
        """Show the whole network, and keep showing it as the viewport grows or shrinks (a window that opens small
        and is then maximised, a dock closed) until the user zooms or pans."""
        self._keep_fit = True
        self._fit_now()

    def _fit_now(self) -> None:
        items = self.scene().layer_items()
        if not items or not self.isVisible():  # not shown: the viewport has no final size yet, its resize fits
            return
        rect = self.scene().edge_layer.sceneBoundingRect()  # skip connections' arches reach beyond the layers
        for item in items:
            rect = rect.united(item.sceneBoundingRect())
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.current_scale() > FIT_MAX_SCALE:  # a tiny net should not fill the screen with huge circles
            self._scale_by(FIT_MAX_SCALE / self.current_scale())
            self.centerOn(rect.center())

    def add_entry_at_center(self, key: str) -> None:
        """Palette double-click: the entry as if dropped in the middle of the visible canvas."""
        center = self.viewport().rect().center()
        self.show_message(self.scene().add_from_palette(key, self.mapToScene(center)), center)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.viewport().update()  # labels are placed in the viewport's pixels (labels.py): a scrolled copy is stale

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._keep_fit:
            self._fit_now()

    # ------------------------------------------------------------------ messages
    def show_message(self, text: str | None, pos: QPoint | None = None) -> None:
        """A transient note at the cursor (or `pos`), e.g. why an edit was refused."""
        if not text:
            return
        if pos is None:
            pos = self.viewport().mapFromGlobal(QCursor.pos())
        self.message.setText(text)
        self.message.adjustSize()
        area = self.viewport().rect()
        x = min(max(pos.x() + 14, 0), max(area.width() - self.message.width(), 0))
        y = min(max(pos.y() + 14, 0), max(area.height() - self.message.height(), 0))
        self.message.move(x, y)
        self.message.show()
        self.message.raise_()
        self._message_timer.start()

    # ------------------------------------------------------------------ mouse
    def pick_tolerance(self) -> float:
        return PICK_PIXELS / self.current_scale()

    def mousePressEvent(self, event) -> None:
        pos = event.position().toPoint()
        if self._interaction is not None:
            return
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space):
            self._interaction = Pan(self, pos)
            return
        if button != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        scene = self.scene()
        scene_pos = self.mapToScene(pos)
        toggle = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        item = scene.item_at(scene_pos, PortItem, NeuronItem, LayerItem)
        if isinstance(item, PortItem) and item.side == "out":
            self._interaction = ConnectLayers(self, pos, item)
        elif isinstance(item, NeuronItem):
            self._interaction = DrawWeight(self, pos, item, toggle)
        elif isinstance(item, (LayerItem, PortItem)):  # a layer's header, column or input port
            self._press_layer(scene.layer_item(item.layer_id), pos, toggle)
        elif (ref := scene.weight_at(scene_pos, self.pick_tolerance())) is not None:
            if toggle:
                scene.toggle_weight(ref)
            else:
                scene.clear_selection()
                scene.select_weights([ref])
        else:
            if not toggle:
                scene.clear_selection()
            self._band = (scene_pos, scene.weight_keys())
            super().mousePressEvent(event)  # nothing under the cursor: Qt's rubber band selects the items

    def _press_layer(self, layer: LayerItem, pos: QPoint, toggle: bool) -> None:
        scene = self.scene()
        if toggle:
            layer.setSelected(not layer.isSelected())
        elif not layer.isSelected():
            scene.clear_selection()
            layer.setSelected(True)
        if layer.isSelected():
            chosen = [item.layer_id for item in scene.selectedItems() if isinstance(item, LayerItem)]
            self._interaction = MoveLayers(self, pos, chosen)

    def mouseMoveEvent(self, event) -> None:
        if self._interaction is not None:
            self._interaction.move(event.position().toPoint())
            return
        super().mouseMoveEvent(event)
        self._select_band_weights(event.position().toPoint())

    def mouseReleaseEvent(self, event) -> None:
        if self._interaction is not None:
            interaction, self._interaction = self._interaction, None
            interaction.release(event.position().toPoint())
            return
        self._select_band_weights(event.position().toPoint())
        self._band = None
        super().mouseReleaseEvent(event)

    def _select_band_weights(self, pos: QPoint) -> None:
        """Weights with both ends inside the rubber band join the selection (Qt's band only knows items)."""
        if self._band is not None:
            origin, before = self._band
            band = QRectF(origin, self.mapToScene(pos)).normalized()
            self.scene().select_weight_keys(np.concatenate([before, self.scene().weights_in(band)]))

    def wheelEvent(self, event) -> None:
        self.zoom_by(math.pow(1.0015, event.angleDelta().y()))

    # ------------------------------------------------------------------ keyboard
    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif event.key() == Qt.Key.Key_Escape:
            if self._interaction is not None:
                self._interaction.cancel()
                self._interaction = None
            else:
                self.scene().clear_selection()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        else:
            super().keyReleaseEvent(event)

    # ------------------------------------------------------------------ palette drops and tooltips
    def dragEnterEvent(self, event) -> None:
        if palette_entry(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        key = palette_entry(event.mimeData())
        if key is None:
            event.ignore()
            return
        event.acceptProposedAction()
        pos = event.position().toPoint()
        self.show_message(self.scene().add_from_palette(key, self.mapToScene(pos)), pos)

    def viewportEvent(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            text = self.scene().tooltip_at(self.mapToScene(event.pos()), self.pick_tolerance())
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    @guarded_paint
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, QColor("#f6f7f9"))
        if self.current_scale() < 0.35:
            return
        pen = QPen(QColor("#e3e6eb"), 0)
        painter.setPen(pen)
        left, top = math.floor(rect.left() / GRID) * GRID, math.floor(rect.top() / GRID) * GRID
        xs = [left + k * GRID for k in range(int(rect.width() / GRID) + 2)]
        ys = [top + k * GRID for k in range(int(rect.height() / GRID) + 2)]
        for x in xs:
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        for y in ys:
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
