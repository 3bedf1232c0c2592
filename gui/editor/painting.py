"""Painting helpers: NumPy coordinate blocks straight to QPainter, and a guard for our paint overrides.

QLineF is four doubles and QPointF two, laid out exactly like a C-contiguous float64 (n, 4) or (n, 2) array, so
PySide6 (≥ 6.4.3) can take a pointer to the array's memory and a count (pyqtgraph does the same internally): no
Python object per line or point.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import cast

import numpy as np
import shiboken6
from PySide6.QtCore import QLineF, QPointF
from PySide6.QtGui import QPainter


def draw_lines(painter: QPainter, lines: np.ndarray) -> None:
    """`lines`: C-contiguous float64 (n, 4) rows x1, y1, x2, y2."""
    if len(lines):
        painter.drawLines(cast(QLineF, shiboken6.wrapInstance(lines.ctypes.data, QLineF)), len(lines))


def draw_points(painter: QPainter, points: np.ndarray) -> None:
    """`points`: C-contiguous float64 (n, 2); with a wide round-capped pen each point is a disc."""
    if len(points):
        painter.drawPoints(cast(QPointF, shiboken6.wrapInstance(points.ctypes.data, QPointF)), len(points))


log = logging.getLogger(__name__)


def guarded_paint(paint: Callable) -> Callable:
    """Wrap a Python override that Qt calls to paint (`paint`, `drawBackground`): a bug in it is logged, never raised.

    An exception escaping such an override while Python code is further up the stack — as in every training turn,
    whose `sendPostedEvents()` paints the views — is stored by shiboken and re-raised there; one raised by NumPy
    (an IndexError from an empty array, say) instead crashed the process in PySide6 6.11 (a segfault in
    `PepException_GetArgs`, reproduced outside the app). A half-drawn item and a log entry are better than either.
    """

    @functools.wraps(paint)
    def guarded(self, *args) -> None:
        try:
            paint(self, *args)
        except Exception:
            log.exception("painting %s failed", type(self).__name__)

    return guarded
