"""Gradients connection by connection: ‖dL/dW‖ of each parameter array over time, and this step's dL/dw spread.

Both use log scales because the point is to compare magnitudes across layers: a vanishing gradient in an early
layer sits orders of magnitude below the last layer's, invisible on a linear axis.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.colors import TRAIN, series_color

from .style import StableRange, add_legend, curve, plot_widget, set_curve

HISTOGRAM_BINS = 40


class GradNormView(QWidget):
    """‖dL/dW‖ per connection (and per bias vector) at every step, log y."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = plot_widget(left="‖dL/dW‖")
        item = self.plot.getPlotItem()
        add_legend(item)
        item.setLogMode(x=False, y=True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.range = StableRange(item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.plot)

    def set_norms(self, names: list[str], norms: np.ndarray) -> None:
        """`norms` rows are step, then one norm per name (History.grad_norms)."""
        item = self.plot.getPlotItem()
        for name in [n for n in self.curves if n not in names]:
            item.removeItem(self.curves.pop(name))
        for k, name in enumerate(names):
            if name not in self.curves:
                color = series_color(len(self.curves))
                self.curves[name] = curve(item, color, name)
                if name.startswith("b "):  # biases dashed: a layer's weights and biases read as a pair
                    self.curves[name].setPen(pg.mkPen(color, width=1, dash=[4, 3]))
            set_curve(self.curves[name], norms[:, 0], norms[:, k + 1])
        self.range.fit(list(self.curves.values()))

    def clear(self) -> None:
        self.range.reset()
        self.set_norms([], np.zeros((0, 1)))


class GradHistogramView(QWidget):
    """How this step's dL/dw are spread over orders of magnitude, across all present weights."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = plot_widget(left="weights", bottom="log10 |dL/dw|")
        self.bars = pg.PlotDataItem(stepMode="center", fillLevel=0, brush=pg.mkBrush(TRAIN + "80"),
                                    pen=pg.mkPen(TRAIN))
        self.plot.getPlotItem().addItem(self.bars)
        self.range = StableRange(self.plot.getPlotItem())
        self.summary = QLabel("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.plot)
        layout.addWidget(self.summary)
        self.counts = np.zeros(0, np.int64)
        self.edges = np.zeros(0)

    def set_gradients(self, grads: np.ndarray) -> None:
        nonzero = np.abs(grads[(grads != 0) & np.isfinite(grads)])  # a refused step's gradients may hold inf/NaN
        zeros = grads.size - nonzero.size
        if nonzero.size:
            self.counts, self.edges = np.histogram(np.log10(nonzero), bins=HISTOGRAM_BINS)
            self.bars.setData(self.edges, self.counts)
            self.range.fit([self.bars])
            self.summary.setText(f"{grads.size} weights; |dL/dw| from {nonzero.min():.3g} to {nonzero.max():.3g}"
                                 + (f"; {zeros} exactly 0" if zeros else ""))
        else:
            self.counts, self.edges = np.zeros(0, np.int64), np.zeros(0)
            self.bars.clear()
            self.summary.setText(f"{grads.size} weights, every dL/dw is 0" if grads.size else "no weights")

    def clear(self) -> None:
        self.range.reset()
        self.set_gradients(np.zeros(0))
