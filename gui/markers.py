"""How a data point looks wherever data is drawn (the decision boundary, the fit plot, the Data preview), so a
training point and a validation point read the same in every view.

A training point is a filled disc with a white edge: it stays visible on a region of its own colour. A validation
point is a slightly larger filled diamond with a dark edge, so the two differ at a glance even in one colour.
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg

from gui.colors import INK

TRAIN_EDGE = pg.mkPen("w", width=1.5)
VALIDATION_EDGE = pg.mkPen(INK, width=1.5)


def training_points(**options: Any) -> pg.ScatterPlotItem:
    """A scatter of training points; `options` as ScatterPlotItem's (data, brush, name)."""
    return pg.ScatterPlotItem(size=7, symbol="o", pen=TRAIN_EDGE, **options)


def validation_points(**options: Any) -> pg.ScatterPlotItem:
    """A scatter of validation points; `options` as ScatterPlotItem's (data, brush, name)."""
    return pg.ScatterPlotItem(size=9, symbol="d", pen=VALIDATION_EDGE, **options)
