"""Per-weight history: for each watched weight, its value w, its gradient dL/dw and the update Δw actually applied.

The three quantities get three stacked plots sharing the step axis rather than one plot with three scales: w
drifts slowly while dL/dw and Δw jump every batch, and on one axis the slow one would flatten the others. Each
weight keeps one colour in all three, and the legend names it as the canvas does (``h1[2] → out[0]``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine import ParamRef
from gui.colors import series_color

from .stack import PlotStack
from .style import StableRange, add_legend, curve, plot_widget, set_curve

QUANTITIES = ("w", "dL/dw", "Δw")  # columns 1, 2, 3 of History.weight_series rows


class WatchedWeightsView(QWidget):
    watch_requested = Signal()  # "watch the weights selected on the canvas"
    unwatch_requested = Signal()  # "stop watching every weight"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # three stacked plots with the same room for their curves: small minimums, so the dock fits a laptop screen
        self.plots = [plot_widget(left=name, min_height=60) for name in QUANTITIES]
        add_legend(self.plots[0].getPlotItem())
        for plot in self.plots[1:]:
            plot.getPlotItem().setXLink(self.plots[0].getPlotItem())
        for plot in self.plots[:-1]:  # x-linked: the bottom plot's step values serve all three
            axis = plot.getPlotItem().getAxis("bottom")
            axis.setStyle(showValues=False)  # (and their text was the slow part)
            axis.showLabel(False)  # named "step" still, for the hover read-out
        self.ranges = [StableRange(plot.getPlotItem()) for plot in self.plots]
        self.curves: dict[ParamRef, list[pg.PlotDataItem]] = {}
        self.names: dict[ParamRef, str] = {}
        self._colors: dict[ParamRef, int] = {}  # a weight keeps its colour while it stays watched

        watch = QPushButton("Watch selected weights")
        watch.setToolTip("Record w, dL/dw and Δw of the weights selected on the canvas at every step")
        watch.clicked.connect(self.watch_requested)
        unwatch = QPushButton("Stop watching")
        unwatch.clicked.connect(self.unwatch_requested)
        self.hint = QLabel("Select weights (edges) on the canvas, then Watch.")
        self.hint.setWordWrap(True)  # unwrapped, this sentence set the dock's minimum width to 582 px
        bar = QHBoxLayout()
        bar.addWidget(watch)
        bar.addWidget(unwatch)
        bar.addWidget(self.hint, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(PlotStack(self.plots), 1)

    def set_series(self, series: list[tuple[ParamRef, str, np.ndarray]]) -> None:
        """(ref, name, rows of step, w, dL/dw, Δw) per watched weight; weights no longer listed disappear."""
        wanted = {ref for ref, _, _ in series}
        for ref in [r for r in self.curves if r not in wanted]:
            self._remove(ref)
        for ref, name, rows in series:
            if ref not in self.curves or self.names[ref] != name:
                self._remove(ref)
                used = set(self._colors.values())
                self._colors[ref] = next(k for k in range(len(used) + 1) if k not in used)
                color = series_color(self._colors[ref])
                # named in all three (the hover read-out says whose), listed once: only the w plot has a legend
                self.curves[ref] = [curve(plot.getPlotItem(), color, name) for plot in self.plots]
                self.names[ref] = name
            for q, item in enumerate(self.curves[ref]):
                set_curve(item, rows[:, 0], rows[:, q + 1])
        for q, stable in enumerate(self.ranges):
            stable.fit([items[q] for items in self.curves.values()], x=q == 0)
        self.hint.setText(f"{len(series)} weight(s) watched." if series else
                          "Select weights (edges) on the canvas, then Watch.")

    def clear(self) -> None:
        """A new run: keep the watched weights, drop their points and the axes' ranges."""
        for view_range in self.ranges:
            view_range.reset()
        for items in self.curves.values():
            for item in items:
                item.setData([], [])

    def _remove(self, ref: ParamRef) -> None:
        for plot, item in zip(self.plots, self.curves.pop(ref, []), strict=False):
            plot.getPlotItem().removeItem(item)
        self.names.pop(ref, None)
        self._colors.pop(ref, None)
