"""A legend above the plot area, never over the data.

pyqtgraph anchors its legend inside the view box, where the curves are (the loss legend covered the first steps of
every run). A corner the data leave free moves as they arrive and vanishes once they fill the view, so the legend
sits in the plot's title row instead, its entries flowing into as many columns as the plot's width holds; the row
grows by a line when they need more. Curves added to the plot with a name join it, as with `PlotItem.addLegend`.
"""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

from gui.colors import INK

ROW = 0  # PlotItem's layout: row 0 the title (unused by our plots), 1 the top axis, 2 the view box, 3 the bottom axis
SPACING = 14  # pixels between entries
GAP = 4  # pixels between an entry's line and its name


class OutsideLegend(pg.LegendItem):  # type: ignore[misc]  # pyqtgraph ships no types: its classes are Any
    def __init__(self, plot: pg.PlotItem):
        super().__init__(offset=None, labelTextColor=INK, verSpacing=0)
        self.plot = plot
        self.layout.setContentsMargins(2, 0, 2, 0)
        plot.legend = self  # PlotItem.addItem(name=...) and addLegend() find it there
        plot.layout.removeItem(plot.titleLabel)  # its cell is the legend's
        plot.titleLabel.setVisible(False)
        plot.layout.addItem(self, ROW, 0, 1, 3)  # over the left axis too: more room for the names
        plot.layout.setAlignment(self, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        # as wide as its entries, not the row (right-aligned), and never widening the plot: flow() fits the columns
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(0)
        plot.vb.sigResized.connect(self.flow)
        self.flow()

    def addItem(self, item, name):
        super().addItem(item, name)
        self.flow()

    def removeItem(self, item):
        super().removeItem(item)
        self.flow()

    def clear(self):
        super().clear()
        self.flow()

    def updateSize(self):  # pyqtgraph moves the legend to (0, 0) here; the plot's layout places it
        self.updateGeometry()

    def _addItemToLayout(self, sample, label):  # pyqtgraph's placing ignores a shrinking grid: flow() places
        pass

    def flow(self, *_) -> None:
        """As many columns as the plot's width holds, and the title row as tall as the rows they need."""
        if not self.items:
            self.plot.layout.setRowFixedHeight(ROW, 0)
            self.setVisible(False)
            return
        self.setVisible(True)
        entry = max(sample.boundingRect().width() + GAP + label.item.boundingRect().width() + SPACING
                    for sample, label in self.items)
        columns = max(1, min(len(self.items), int((self.plot.width() + SPACING) // entry)))
        for k in range(self.layout.count() - 1, -1, -1):
            self.layout.removeAt(k)
        for k, (sample, label) in enumerate(self.items):
            row, column = divmod(k, columns)
            self.layout.addItem(sample, row, 2 * column, alignment=Qt.AlignmentFlag.AlignVCenter)
            self.layout.addItem(label, row, 2 * column + 1)
            self.layout.setColumnSpacing(2 * column, GAP)
            self.layout.setColumnSpacing(2 * column + 1, SPACING)
        self.columnCount, self.rowCount = columns, math.ceil(len(self.items) / columns)
        self.layout.invalidate()
        self.plot.layout.setRowFixedHeight(ROW, self.layout.effectiveSizeHint(Qt.SizeHint.PreferredSize).height())
