"""Colours and sizes shared by the canvas items, so a layer's look is decided in one place."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

# kind -> (fill, border): green for data coming in, blue for hidden work, orange for the answer
KIND_COLORS = {
    "input": (QColor("#e3f4dc"), QColor("#4c9a3f")),
    "hidden": (QColor("#e0ebf8"), QColor("#3d6fb0")),
    "output": (QColor("#fde7d6"), QColor("#c8642a")),
}
SELECTED = QColor("#1f6feb")
HIGHLIGHT = QColor("#e0218a")
TEXT = QColor("#1d2330")

HEADER_W = 118.0
HEADER_H = 36.0
HEADER_GAP = 8.0  # between the header and the neuron column
COLUMN_PAD = 5.0  # between the neurons and the column's frame
PORT_R = 7.0


def neuron_spacing(size: int) -> float:
    """Roomy for the small nets people draw by hand, squeezed for MNIST-sized layers so they stay on screen."""
    return 30.0 if size <= 12 else max(3.0, 360.0 / size)


def neuron_radius(size: int) -> float:
    return min(10.0, 0.4 * neuron_spacing(size))


def neuron_offsets(size: int) -> np.ndarray:
    """Vertical offsets of the neurons from the layer's position (its column is centred on it)."""
    return (np.arange(size) - (size - 1) / 2.0) * neuron_spacing(size)


def column_half_height(size: int) -> float:
    return (size - 1) / 2.0 * neuron_spacing(size) + neuron_radius(size) + COLUMN_PAD


def layer_height(size: int) -> float:
    """Total height of a layer node (header and column), for the automatic layout."""
    return 2 * column_half_height(size) + HEADER_GAP + HEADER_H
