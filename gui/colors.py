"""One colour map for everything that shows a magnitude: edges, the colour bar and heatmaps.

Gradients span many orders of magnitude and a global linear scale hides the vanishing gradients of early layers,
which is what a learner most needs to see; so magnitudes go through log10 before they are binned. Values are
binned into `N_BINS` colours so the edge layer can draw each bin with a single pen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor, QPalette

INK = "#333333"
TRAIN = "#1f77b4"
VALIDATION = "#ff7f0e"
BATCH = "#9ecae1"
PENALTY = "#2ca02c"  # the L1/L2 penalty's curve beside the data loss
# tab10: distinguishable, and the same series keeps its colour in every plot that shows it
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]
# error text on the panels, which follow the system palette: dark red on a light one, light red on a dark one
# (both >= 4.5:1 WCAG contrast with the usual window colours); the canvas and the plots keep their light paper
ERROR_ON_LIGHT, ERROR_ON_DARK = "#b2182b", "#ff9e94"
N_BINS = 64
# dark blue (tiny) → teal → yellow → red (large): readable on the light canvas and in grayscale prints
_MAGNITUDE_STOPS = ["#1b2a6b", "#1f7a8c", "#7fc97f", "#f6d743", "#e4572e", "#a4161a"]
# blue (negative) → light grey (0) → red (positive), for colouring by the weight's sign and size
_SIGNED_STOPS = ["#2166ac", "#67a9cf", "#d9d9d9", "#ef8a62", "#b2182b"]


def error_color(palette: QPalette) -> str:
    """The error red that reads on this palette's window colour."""
    return ERROR_ON_DARK if is_dark(palette) else ERROR_ON_LIGHT


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


@dataclass(frozen=True)
class TextInk:
    """Coloured text on the panels (the chain-rule explorer's signed numbers, notes and verdicts): one set per kind
    of palette, each colour >= 4.5:1 WCAG contrast with that palette's window and base colours."""

    positive: str  # blue > 0 and red < 0, as the canvas colours signed values
    negative: str
    muted: str
    good: str
    fair: str
    bad: str


INK_ON_LIGHT = TextInk("#1d5fa8", ERROR_ON_LIGHT, "#5f6b7a", "#1e7b34", "#8a5c00", ERROR_ON_LIGHT)
INK_ON_DARK = TextInk("#7cb8f0", ERROR_ON_DARK, "#a9b1bb", "#7fd18b", "#e0b050", ERROR_ON_DARK)


# the step-through's phases (forward, loss, backward, update), each >= 4.5:1 on its kind of palette's window
PHASE_ON_LIGHT = {"forward": "#276b2b", "loss": "#a04a17", "backward": "#7b3fa0", "update": "#1d5fa8"}
PHASE_ON_DARK = {"forward": "#7fd18b", "loss": "#f0a070", "backward": "#cfa6ee", "update": "#7cb8f0"}


def phase_colors(palette: QPalette) -> dict[str, str]:
    return PHASE_ON_DARK if is_dark(palette) else PHASE_ON_LIGHT


def text_ink(palette: QPalette) -> TextInk:
    return INK_ON_DARK if is_dark(palette) else INK_ON_LIGHT


def series_color(k: int) -> QColor:
    return QColor(PALETTE[k % len(PALETTE)])


def class_colors(n_classes: int) -> list[QColor]:
    """Two classes take the ends of the signed map (matching a sigmoid heatmap), more take the palette."""
    if n_classes <= 2:
        cmap = signed_colormap()
        return [cmap.map(x, mode=pg.ColorMap.QCOLOR) for x in (0.0, 1.0)]
    return [series_color(k) for k in range(n_classes)]


def magnitude_colormap() -> pg.ColorMap:
    return pg.ColorMap(np.linspace(0, 1, len(_MAGNITUDE_STOPS)), [QColor(c) for c in _MAGNITUDE_STOPS])


def signed_colormap() -> pg.ColorMap:
    return pg.ColorMap(np.linspace(0, 1, len(_SIGNED_STOPS)), [QColor(c) for c in _SIGNED_STOPS])


def bin_colors(cmap: pg.ColorMap, n_bins: int = N_BINS) -> list[QColor]:
    """The `n_bins` colours the edge layer draws with, lowest first."""
    return [cmap.map(x, mode=pg.ColorMap.QCOLOR) for x in np.linspace(0.0, 1.0, n_bins)]


def log_scale(magnitudes: np.ndarray, floor: float = 1e-12) -> tuple[np.ndarray, float, float]:
    """log10 of |values| mapped to 0..1, with the (lo, hi) magnitudes of the ends for a colour bar."""
    logs = np.log10(np.maximum(np.abs(magnitudes), floor))
    if logs.size == 0:
        return logs, floor, floor
    lo, hi = float(logs.min()), float(logs.max())
    span = hi - lo if hi > lo else 1.0
    return (logs - lo) / span, 10.0**lo, 10.0**hi


def to_bins(unit: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Bin indices 0..n_bins-1 for values in 0..1."""
    return np.clip((unit * n_bins).astype(np.int64), 0, n_bins - 1)


# How a data point looks wherever data is drawn (the decision boundary, the fit plot, the Data preview), so the two
# splits read alike in every view: a training point is a filled disc with a white edge (it stays visible on a region
# of its own colour), a validation point a slightly larger filled diamond with a dark edge.
TRAIN_EDGE = pg.mkPen("w", width=1.5)
VALIDATION_EDGE = pg.mkPen(INK, width=1.5)


def point_brushes(colors: list[QColor]) -> list[QBrush]:
    """A brush per point, one shared by all points of a colour: pyqtgraph renders a symbol for each distinct brush
    object, so 1,000 points of 3 classes took 80 ms with a brush each and take 7 ms with 3."""
    shared: dict[int, QBrush] = {}
    brushes = []
    for color in colors:
        brush = shared.get(rgba := color.rgba())
        if brush is None:
            brush = shared[rgba] = pg.mkBrush(color)
        brushes.append(brush)
    return brushes


def training_points(**options) -> pg.ScatterPlotItem:
    """A scatter of training points; `options` as ScatterPlotItem's (data, brush, name)."""
    return pg.ScatterPlotItem(size=7, symbol="o", pen=TRAIN_EDGE, **options)


def validation_points(**options) -> pg.ScatterPlotItem:
    """A scatter of validation points; `options` as ScatterPlotItem's (data, brush, name)."""
    return pg.ScatterPlotItem(size=9, symbol="d", pen=VALIDATION_EDGE, **options)
