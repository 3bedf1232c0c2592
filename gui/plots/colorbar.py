"""The key to the canvas's edge colours: the same colour map as the edges, over the scale the scene reports.

The scene emits `color_scale_changed(lo, hi, mode)` whenever it recolours; "magnitude" is a log10 scale of |v|
from lo to hi (the axis reads in powers of ten), "signed" a linear scale from -max|v| to +max|v|. A scale cannot
say why it is empty or flat, so the caption also reads the values themselves (`set_values`): no step yet, every
gradient 0 (dead units), or one value everywhere.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.colors import magnitude_colormap, signed_colormap

from .style import plot_widget

GRADIENT_STEPS = 256


class ColorBar(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = plot_widget(bottom="")
        self.plot.setFixedHeight(64)
        item = self.plot.getPlotItem()
        item.hideAxis("left")
        item.setMouseEnabled(x=False, y=False)
        self.image = pg.ImageItem(np.linspace(0.0, 1.0, GRADIENT_STEPS)[None, :], axisOrder="row-major",
                                  levels=(0.0, 1.0))
        item.addItem(self.image)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.plot)
        layout.addWidget(self.caption)
        self.mode = "magnitude"
        self.normalisation = "global"
        self.quantity = "|dL/dw|"
        self.range = (0.0, 1.0)  # data coordinates of the bar's ends (log10 for "magnitude")
        self.values: np.ndarray | None = None  # what the edges show, present weights only; None: no step yet
        self.set_scale(0.0, 0.0, "signed")

    def set_scale(self, lo: float, hi: float, mode: str) -> None:
        """Slot for the scene's `color_scale_changed`."""
        self.mode = mode
        log = mode == "magnitude"
        if log and lo > 0 and hi > 0:
            a, b = math.log10(lo), math.log10(hi)
        else:
            a, b = lo, hi
        if not b > a:
            a, b = a - 0.5, a + 0.5  # one value (or none): a bar of unit width around it
        self.range = (a, b)
        self.image.setColorMap(magnitude_colormap() if log else signed_colormap())
        self.image.setRect(QRectF(a, 0.0, b - a, 1.0))
        item = self.plot.getPlotItem()
        item.getAxis("bottom").setTicks([ticks(a, b, log)])
        item.setXRange(a, b, padding=0)
        item.setYRange(0.0, 1.0, padding=0)
        self._caption(lo, hi)

    def set_quantity(self, quantity: str) -> None:
        """What the edges show, for the caption: "|dL/dw|" or "w"."""
        self.quantity = quantity

    def set_normalisation(self, normalisation: str) -> None:
        self.normalisation = normalisation

    def set_values(self, values: np.ndarray | None) -> None:
        """The values the edges are about to show (of present weights), or None before the first step; the
        caption follows at the scene's next `color_scale_changed`."""
        self.values = values

    def _caption(self, lo: float, hi: float) -> None:
        if (note := self._note()) is not None:
            self.caption.setText(note)
            return
        scale = f"log scale, {lo:.3g} to {hi:.3g}" if self.mode == "magnitude" else f"{lo:.3g} to {hi:.3g}"
        if self.normalisation == "connection":
            scale += "; each connection stretched over the whole bar"
        self.caption.setText(f"{self.quantity} ({scale})")

    def _note(self) -> str | None:
        """What the values say that the scale cannot, or None when the scale says it all."""
        values, q = self.values, self.quantity
        if values is None:
            return f"{q}: no step yet"
        if values.size == 0:
            return f"{q}: no weights to show"
        if not values.any():
            return f"every {q} is 0 — dead units?" if self.mode == "magnitude" else f"every {q} is 0"
        if np.ptp(values) == 0:
            return f"{q}: all equal: {values.flat[0]:.3g}"
        return None


def ticks(a: float, b: float, log: bool, most: int = 6) -> list[tuple[float, str]]:
    """A few labelled ticks from a to b: powers of ten on a log scale (a and b are log10 there), else round
    numbers; the ends are always labelled, so a narrow range still reads."""
    if log:
        first, last = math.ceil(a), math.floor(b)
        stride = max(1, math.ceil((last - first + 1) / most))
        inner = [(float(e), f"1e{e}") for e in range(first, last + 1, stride)]
        ends = [(a, f"{10**a:.2g}"), (b, f"{10**b:.2g}")]
    else:
        inner = [(float(v), f"{v:.3g}") for v in np.linspace(a, b, 5)[1:-1]]
        ends = [(a, f"{a:.3g}"), (b, f"{b:.3g}")]
    span = (b - a) / (2 * most)  # leave out inner ticks that would overlap an end label
    return [ends[0], *(t for t in inner if a + span < t[0] < b - span), ends[1]]
