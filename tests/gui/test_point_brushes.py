"""Data points get their colours from brushes shared per colour (pyqtgraph renders a symbol per brush object)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from gui.colors import class_colors, point_brushes, training_points


def test_each_point_keeps_its_colour_and_a_colour_has_one_brush(qapp):
    palette = class_colors(3)
    labels = [0, 2, 1, 0, 0, 2, 1, 1, 2, 0]
    brushes = point_brushes([palette[k] for k in labels])
    assert [b.color().rgba() for b in brushes] == [palette[k].rgba() for k in labels]
    assert len({id(b) for b in brushes}) == 3
    assert all(brushes[i] is brushes[j] for i in range(10) for j in range(10) if labels[i] == labels[j])


def test_a_scatter_shows_each_point_in_its_colour(qapp):
    colours = [QColor("red"), QColor("blue")] * 200
    scatter = training_points(x=list(range(400)), y=list(range(400)), brush=point_brushes(colours))
    assert [spot.brush().color().rgba() for spot in scatter.points()] == [c.rgba() for c in colours]
