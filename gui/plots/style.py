"""One look for every live plot: light background to match the canvas, dark axes, and a categorical palette.

Set per widget rather than with `pg.setConfigOption`, which would change every pyqtgraph widget in the process,
including ones this package does not own.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSplitter, QWidget

from gui.colors import INK

from .axis import ReadableAxis
from .hover import HoverReadout
from .legend import OutsideLegend

MAX_POINTS = 600  # per curve on screen: a plot is a few hundred pixels wide


def style_plot(plot: pg.PlotItem, *, left: str = "", bottom: str = "step") -> pg.PlotItem:
    for name, label in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(name)
        axis.setPen(INK)
        axis.setTextPen(INK)
        axis.enableAutoSIPrefix(False)  # "loss (x0.001)" over ticks of 700 misleads; ticks show the real values
        # text for the major ticks only, one level of minor ticks: laying out tick text was most of a live plot's
        # repaint (measured up to 20 ms an axis, and the longest GUI pauses while training)
        axis.setStyle(maxTextLevel=0, maxTickLevel=1)
        if label:
            axis.setLabel(label)
    # no grid: measured 14 ms a repaint for a grid versus 0.3 ms without, on a 500×400 plot
    plot.setMenuEnabled(False)
    return plot


def plot_widget(*, left: str = "", bottom: str = "step", min_height: int = 120) -> pg.PlotWidget:
    """A plot with axes whose labels never collide and a read-out of the point under the mouse (`.hover`)."""
    widget = pg.PlotWidget(background="w", axisItems={"left": ReadableAxis("left"), "bottom": ReadableAxis("bottom")})
    style_plot(widget.getPlotItem(), left=left, bottom=bottom)
    widget.setMinimumSize(160, min_height)
    widget.hover = HoverReadout(widget)
    return widget


def add_legend(plot: pg.PlotItem) -> pg.LegendItem:
    """The plot's legend, above its data (legend.py); curves added with a name join it."""
    return plot.legend if isinstance(plot.legend, OutsideLegend) else OutsideLegend(plot)


def side_by_side(main: QWidget, beside: QWidget) -> QSplitter:
    """The main plot and a companion beside it (metric, thumbnails), 3 : 2, the user free to move the divide."""
    split = QSplitter(Qt.Orientation.Horizontal)
    split.addWidget(main)
    split.addWidget(beside)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 2)
    return split


def curve(plot: pg.PlotItem, color: str | QColor, name: str | None = None) -> pg.PlotDataItem:
    """A one-pixel line: measured 5-7× cheaper to paint than a 1.5 or 2 pixel one (Qt strokes wide pens)."""
    item = pg.PlotDataItem(pen=pg.mkPen(color, width=1), name=name)
    plot.addItem(item)
    return item


def set_curve(item: pg.PlotDataItem, x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> None:
    """Show (x, y), decimated to at most `max_points` (the extremes of every bin, so spikes stay visible).

    Decimating here rather than with pyqtgraph's own downsampling measured ~10× cheaper per update for a 20,000
    point history, which is what lets a dozen curves redraw while training without stealing its time.
    An all-NaN series (no validation set) leaves the curve empty: pyqtgraph warns on NaN-only ranges.
    """
    if len(y) == 0 or not np.isfinite(y).any():
        item.setData([], [])
        return
    if len(y) > max_points:
        x, y = decimate(x, y, max_points)
    item.setData(x, y)


def decimate(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Min and max of y in each of max_points // 2 equal bins, in order, plus the last point."""
    size = -(-len(y) // (max_points // 2))  # ceil: samples per bin
    whole = len(y) // size * size
    blocks = y[:whole].reshape(-1, size)
    starts = np.arange(0, whole, size)[:, None]
    picks = np.sort(np.column_stack([blocks.argmin(axis=1), blocks.argmax(axis=1)]) + starts, axis=1).ravel()
    picks = np.append(picks, len(y) - 1)
    return x[picks], y[picks]


class StableRange:
    """Moves a plot's view only when its data leave it (or shrink to a small part of it), with room to grow.

    pyqtgraph's auto-range refits the view on every update, which makes the axes regenerate their ticks and text
    on every repaint: measured as the largest part of a live plot's cost. Here the axes change a few times per
    decade of steps instead. Once the user pans or zooms, the view is theirs; the plot's "A" button gives it back.
    """

    GROW = 0.5  # room left ahead of the newest step, as a fraction of the steps shown
    PAD = 0.08  # vertical margin around the data
    SHRINK = 0.3  # refit when the data span less than this fraction of the view

    def __init__(self, plot: pg.PlotItem):
        self.box = plot.getViewBox()
        self.box.disableAutoRange()
        self.following = True
        self.box.sigRangeChangedManually.connect(self._taken)

    def _taken(self, *_) -> None:
        self.following = False

    def reset(self) -> None:
        """A new run or project: forget the last one's range (and the user's pan or zoom over it)."""
        self.following = True
        self.box.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0)

    def fit(self, items: list[pg.PlotDataItem], x: bool = True) -> None:
        """Keep the items' displayed data (log-mapped on a log axis) in view; `x=False` for a plot whose x axis is
        linked to another's."""
        if any(self.box.autoRangeEnabled()):  # the user pressed "A": follow the data again
            self.box.disableAutoRange()
            self.following = True
        if not self.following:
            return
        xs, ys = [], []
        for x_data, y_data in (item.getData() for item in items):
            if y_data is None or not len(y_data):
                continue
            finite = np.isfinite(y_data)
            if len(x_data) == len(y_data) + 1:  # a histogram: x are the bin edges
                finite = np.append(finite, finite[-1])
            if finite.any():
                xs.append(x_data[finite])
                ys.append(y_data[finite[: len(y_data)]])
        if not xs or not ys:
            return
        x_lo, x_hi = min(float(x.min()) for x in xs), max(float(x.max()) for x in xs)
        y_lo, y_hi = min(float(y.min()) for y in ys), max(float(y.max()) for y in ys)
        (vx_lo, vx_hi), (vy_lo, vy_hi) = self.box.viewRange()
        if x and (x_lo < vx_lo or x_hi > vx_hi or x_hi - x_lo < self.SHRINK * (vx_hi - vx_lo)):
            span = max(x_hi - x_lo, 1.0)
            self.box.setXRange(x_lo, x_hi + self.GROW * span, padding=0)
        if y_lo < vy_lo or y_hi > vy_hi or y_hi - y_lo < self.SHRINK * (vy_hi - vy_lo):
            pad = self.PAD * (y_hi - y_lo) if y_hi > y_lo else max(abs(y_hi) * 0.1, 1e-12)
            self.box.setYRange(y_lo - pad, y_hi + pad, padding=0)
