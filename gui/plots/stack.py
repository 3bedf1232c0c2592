"""Plots one above the other on a shared step axis, each with the same room for its data.

In a plain box layout each plot got the same height, axes included, so the bottom one, which alone shows the step
axis, kept ~40 px less for its curves: the Δw plot was a 20-px strip under two 60-px ones in a laptop's dock. And
each left axis sized itself to its own labels, so the plots started at different x and their steps did not line up.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

from .axis import ReadableAxis

GAP = 4  # pixels between two plots


class PlotStack(QWidget):
    def __init__(self, plots: list[pg.PlotWidget], parent: QWidget | None = None):
        super().__init__(parent)
        self.plots = plots
        # the stack keeps the plots' minimums (its own minimum is their sum) and shares what it gets out itself
        self.minimums = [plot.minimumSizeHint().expandedTo(plot.minimumSize()) for plot in plots]
        for plot in plots:
            plot.setParent(self)
            plot.setMinimumSize(0, 0)
        left: list[ReadableAxis] = [plot.getPlotItem().getAxis("left") for plot in plots]  # style.plot_widget's
        left[0].share_width(left)
        for plot in plots:  # an axis or a legend that changes height changes the room left for the data
            plot.getPlotItem().vb.sigResized.connect(self.place)

    def minimumSizeHint(self) -> QSize:
        sizes = self.minimums
        return QSize(max(s.width() for s in sizes), sum(s.height() for s in sizes) + GAP * (len(sizes) - 1))

    def sizeHint(self) -> QSize:
        return self.minimumSizeHint()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.place()

    def place(self, *_) -> None:
        """Equal heights for the plots' data: each plot is as much taller as what it holds besides (the step axis
        of the last, the legend of the first). Measured from the last layout, so a change settles in a second pass
        (setting an unchanged geometry does not resize, so it stops there)."""
        overhead = [max(0, plot.height() - round(plot.getPlotItem().vb.height())) for plot in self.plots]
        share = max(0, self.height() - sum(overhead) - GAP * (len(self.plots) - 1)) // len(self.plots)
        y = 0
        for plot, extra in zip(self.plots, overhead, strict=True):
            plot.setGeometry(0, y, self.width(), share + extra)
            y += share + extra + GAP
