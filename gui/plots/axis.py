"""An axis whose tick labels never run together, at any dock size.

pyqtgraph picks the tick spacing from the axis's length alone (about two intervals per 300 px) and always draws
every top-level label, so a narrow dock read "5001000 1500". Here the spacing grows, along the 1-2-5 series, until
the widest label plus a gap fits between two ticks; labels placed by hand (`setTicks`, the colour bar) that still
collide are dropped, earlier ones winning, so a caller lists the labels it most wants first.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontMetricsF

NICE = (1.0, 2.0, 5.0)


def next_nice(interval: float) -> float:
    """The next larger number of the 1-2-5 series (1, 2, 5, 10, 20, ...)."""
    exponent = math.floor(math.log10(interval))
    mantissa = interval / 10**exponent
    for step in (*NICE, 10.0):
        if step > mantissa * (1 + 1e-9):
            return step * 10**exponent
    return 10.0 ** (exponent + 1)


class ReadableAxis(pg.AxisItem):  # type: ignore[misc]  # pyqtgraph ships no types: its classes are Any
    def __init__(self, orientation: str, **kwargs):
        # set before pyqtgraph's constructor, which already sizes the axis
        self.width_group: list[ReadableAxis] = [self]  # vertical axes that keep one width (stacked plots)
        self._syncing = False
        super().__init__(orientation, **kwargs)

    # ------------------------------------------------------------ spacing
    def tickSpacing(self, minVal: float, maxVal: float, size: float):
        levels = super().tickSpacing(minVal, maxVal, size)
        if self._tickSpacing is not None or not levels or size <= 0:
            return levels
        dif = abs(maxVal - minVal)
        major = levels[0][0]
        while major < dif and major * size / dif < self._room(minVal, maxVal, major):
            major = next_nice(major)
        if major == levels[0][0]:
            return levels
        mantissa = round(major / 10 ** math.floor(math.log10(major)))
        minor = major / (2 if mantissa == 2 else 5)
        return [(major, 0.0), (minor, 0.0)][: self.style["maxTickLevel"] + 1]

    def _room(self, lo: float, hi: float, spacing: float) -> float:
        """Pixels a label needs between two ticks `spacing` apart: its extent along the axis and a gap."""
        metrics = QFontMetricsF(self.style["tickFont"] or QFont())
        gap = metrics.horizontalAdvance("M")
        if self.orientation in ("left", "right"):
            return metrics.height() + gap / 2
        lo, hi = min(lo, hi), max(lo, hi)
        values = np.arange(math.ceil(lo / spacing), math.floor(hi / spacing) + 1) * spacing
        strings = self.tickStrings(list(values), self.autoSIPrefixScale * self.scale, spacing)
        return max((metrics.horizontalAdvance(s) for s in strings), default=0.0) + gap

    # ------------------------------------------------------------ the labels drawn
    def generateDrawSpecs(self, p):
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, text_specs = specs
        if (scene := self.scene()) is not None:  # a label past the widget's edge would be cut in half ("10" for 1000)
            shown = self.mapRectFromScene(scene.sceneRect())
            text_specs = [spec for spec in text_specs if shown.contains(spec[0])]
        return axis_spec, tick_specs, apart(text_specs, self.orientation in ("left", "right"))

    # ------------------------------------------------------------ one width for stacked plots
    def share_width(self, axes: list[ReadableAxis]) -> None:
        """Keep these vertical axes (this one among them) as wide as the widest needs, so the plots above each
        other start at the same x and their steps line up."""
        for axis in axes:
            axis.width_group = axes

    def _updateWidth(self):  # pyqtgraph sizes a vertical axis to its own labels here
        if self._syncing or len(self.width_group) == 1:
            super()._updateWidth()
            return
        widest = max(axis.textWidth for axis in self.width_group)
        for axis in self.width_group:
            axis.textWidth = widest
            axis._syncing = True
            try:
                axis._updateWidth()
            finally:
                axis._syncing = False


def apart(text_specs: list, vertical: bool) -> list:
    """The labels that keep a gap to every label kept before them."""
    kept: list[QRectF] = []
    out = []
    for spec in text_specs:
        rect: QRectF = spec[0]
        gap = rect.height() / 2 if vertical else rect.height()
        padded = rect.adjusted(0, -gap / 2, 0, gap / 2) if vertical else rect.adjusted(-gap / 2, 0, gap / 2, 0)
        if not any(padded.intersects(other) for other in kept):
            kept.append(rect)
            out.append(spec)
    return out
