"""Checks that a plot reads well, on real pyqtgraph items as laid out on screen (for any test that shows plots).

Everything is compared in scene coordinates, where the legend, the axes and the data are drawn.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, QRectF
from PySide6.QtGui import QImage, QPainter


def data_rect(plot: pg.PlotItem) -> QRectF | None:
    """The bounding box of every finite point of the plot's data items, in the scene, as far as the view shows it."""
    box = plot.getViewBox()
    rect: QRectF | None = None
    for item in plot.listDataItems():
        if not item.isVisible():
            continue
        x, y = item.getData()
        if x is None or y is None or not len(y):
            continue
        x, y = np.asarray(x, float)[: len(y)], np.asarray(y, float)
        finite = np.isfinite(x) & np.isfinite(y)
        if not finite.any():
            continue
        x, y = x[finite], y[finite]
        view = QRectF(QPointF(x.min(), y.min()), QPointF(x.max(), y.max()))
        scene = box.mapViewToScene(view).boundingRect()
        rect = scene if rect is None else rect.united(scene)
    if rect is None:
        return None
    shown = rect.intersected(box.sceneBoundingRect())
    return shown if shown.width() > 0 or shown.height() > 0 else None


def legend_clear_of_data(plot: pg.PlotItem) -> None:
    """Assert that the plot's legend, if it shows any entry, does not intersect its data's bounding box."""
    legend = plot.legend
    if legend is None or not legend.isVisible() or not legend.items:
        return
    data = data_rect(plot)
    if data is None:
        return
    rect = legend.sceneBoundingRect()
    assert not rect.intersects(data), f"legend {rect} covers data {data} of {plot.getAxis('left').labelText!r}"


def tick_label_rects(axis: pg.AxisItem) -> list[QRectF]:
    """The rectangles the axis draws its tick labels in, laid out as its paint() does."""
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        if axis.style["tickFont"]:
            painter.setFont(axis.style["tickFont"])
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [rect for rect, _, _ in specs[2]]


def overlapping(rects: list[QRectF]) -> list[tuple[QRectF, QRectF]]:
    return [(a, b) for k, a in enumerate(rects) for b in rects[k + 1 :] if a.intersects(b)]


def pixel_of(widget: pg.PlotWidget, x: float, y: float) -> QPoint:
    """Where the data point (x, y) (view coordinates: log10 on a log axis) is on the widget's viewport."""
    scene = widget.getPlotItem().getViewBox().mapViewToScene(QPointF(x, y))
    return widget.mapFromScene(scene)
