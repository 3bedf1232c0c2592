"""Hand NumPy coordinate blocks straight to QPainter: no Python object per line or point.

QLineF is four doubles and QPointF two, laid out exactly like a C-contiguous float64 (n, 4) or (n, 2) array, so
PySide6 (≥ 6.4.3) can take a pointer to the array's memory and a count (pyqtgraph does the same internally).
"""

from __future__ import annotations

import numpy as np
import shiboken6
from PySide6.QtCore import QLineF, QPointF
from PySide6.QtGui import QPainter


def draw_lines(painter: QPainter, lines: np.ndarray) -> None:
    """`lines`: C-contiguous float64 (n, 4) rows x1, y1, x2, y2."""
    if len(lines):
        painter.drawLines(shiboken6.wrapInstance(lines.ctypes.data, QLineF), len(lines))


def draw_points(painter: QPainter, points: np.ndarray) -> None:
    """`points`: C-contiguous float64 (n, 2); with a wide round-capped pen each point is a disc."""
    if len(points):
        painter.drawPoints(shiboken6.wrapInstance(points.ctypes.data, QPointF), len(points))
