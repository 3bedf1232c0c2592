"""The exact numbers under the mouse, on every curve of every plot.

The pointer snaps to the nearest point drawn (nearest in pixels, over all the plot's curves and scatters) and a
small label beside it reads that point's x and y as recorded, not a value interpolated along the line. Long
curves are drawn decimated (style.set_curve keeps each bin's extremes, which are recorded points themselves), so
what can be read is exactly what can be seen.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF
from PySide6.QtGui import QColor

from gui.colors import INK

REACH = 30  # pixels: farther from every point than this, nothing is read


def number(v: float) -> str:
    """Whole numbers (steps) in full, anything else to six significant digits."""
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def drawn_points(item) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, y) in view coordinates (log10 on a log axis) and as recorded, of one plot item; a histogram's points
    are its bins' centres."""
    x, y = item.getData()
    if x is None or y is None or not len(y):
        empty = np.zeros(0)
        return empty, empty, empty, empty
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) == len(y) + 1:  # stepMode="center": x are the bin edges
        x = (x[:-1] + x[1:]) / 2
    log_x, log_y = getattr(item, "opts", {}).get("logMode", (False, False))
    return x, y, 10**x if log_x else x, 10**y if log_y else y


class HoverReadout(QObject):
    """Follows the mouse over one plot; `text` is what the label reads (empty when it is hidden)."""

    def __init__(self, widget: pg.PlotWidget):
        super().__init__(widget)
        self.plot: pg.PlotItem = widget.getPlotItem()
        self.label = pg.TextItem(color=INK, fill=pg.mkBrush(255, 255, 255, 225), border=pg.mkPen(INK, width=0.5))
        self.marker = pg.ScatterPlotItem(size=8, pen=pg.mkPen(INK))
        for item in (self.label, self.marker):
            item.setZValue(1000)
            item.setVisible(False)
        self.plot.vb.addItem(self.marker, ignoreBounds=True)  # on the view box: not one of the plot's data items
        self.label.setParentItem(self.plot)  # not clipped to the view box: a narrow plot has no room for it there
        # the viewport's own events: the scene's sigMouseMoved drops moves closer than 20 ms apart, so the label
        # could stay at a point the mouse had already left
        self.widget = widget
        widget.viewport().installEventFilter(self)

    @property
    def text(self) -> str:
        return self.label.toPlainText() if self.label.isVisible() else ""

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.MouseMove:
            self.moved(self.widget.mapToScene(event.position().toPoint()))
        elif event.type() == QEvent.Type.Leave:
            self.hide()
        return False

    def hide(self) -> None:
        self.label.setVisible(False)
        self.marker.setVisible(False)

    def moved(self, pos: QPointF) -> None:
        box = self.plot.vb
        if not box.sceneBoundingRect().contains(pos):
            self.hide()
            return
        found = self.nearest(box.mapSceneToView(pos))
        if found is None:
            self.hide()
            return
        item, (vx, vy), (x, y) = found
        name = item.name() if hasattr(item, "name") else None  # a scatter has none
        left, bottom = self.plot.getAxis("left").labelText or "y", self.plot.getAxis("bottom").labelText or "x"
        self.label.setText("\n".join([*([name] if name else []), f"{bottom} {number(x)}", f"{left} {number(y)}"]))
        # above and right of the point, or wherever the plot has room for it
        at, size, room = box.mapViewToScene(QPointF(vx, vy)), self.label.boundingRect(), self.plot.sceneBoundingRect()
        self.label.setAnchor((1.0 if at.x() + size.width() > room.right() else 0.0,
                              0.0 if at.y() - size.height() < room.top() else 1.0))
        self.label.setPos(self.plot.mapFromScene(at))
        self.marker.setData([vx], [vy], brush=pg.mkBrush(self._color(item)))
        self.label.setVisible(True)
        self.marker.setVisible(True)

    def nearest(self, at: QPointF):
        """(item, view point, recorded point) of the drawn point nearest `at`, within REACH pixels, or None."""
        pixel_w, pixel_h = self.plot.vb.viewPixelSize()
        best, best_d = None, float(REACH) ** 2
        for item in self.plot.listDataItems():
            if not item.isVisible():
                continue
            vx, vy, x, y = drawn_points(item)
            if not len(vx):
                continue
            d = ((vx - at.x()) / pixel_w) ** 2 + ((vy - at.y()) / pixel_h) ** 2
            d[~np.isfinite(d)] = np.inf
            k = int(np.argmin(d))
            if d[k] <= best_d:
                best, best_d = (item, (float(vx[k]), float(vy[k])), (float(x[k]), float(y[k]))), float(d[k])
        return best

    @staticmethod
    def _color(item) -> QColor:
        pen = item.opts.get("pen") if hasattr(item, "opts") else None
        return pg.mkPen(pen).color() if pen is not None else QColor(INK)
