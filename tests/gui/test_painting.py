"""The guard on our paint overrides (gui/editor/painting.py)."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QCoreApplication, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView

from gui.editor.painting import guarded_paint


class Broken(QGraphicsItem):
    """Fills its square red, then fails as a NumPy bug would (an IndexError raised in C)."""

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, 40, 40)

    @guarded_paint
    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.fillRect(self.boundingRect(), QColor("red"))
        np.zeros(0)[0]


def test_a_paint_that_raises_during_a_training_turns_repaint_is_logged_and_what_it_drew_stays(qtbot, caplog):
    """Unguarded, this very paint crashed the process (PySide6 6.11) when `sendPostedEvents()` was called from
    Python — which is how every training turn paints its views."""
    scene = QGraphicsScene(0, 0, 100, 100)
    scene.addItem(Broken())
    view = QGraphicsView(scene)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    view.resize(120, 120)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    with caplog.at_level(logging.ERROR, logger="gui.editor.painting"):
        scene.update()
        QCoreApplication.sendPostedEvents()
        image = view.grab().toImage()
    assert any("painting Broken failed" in r.getMessage() and r.exc_info[0] is IndexError for r in caplog.records)
    corner = view.mapFromScene(10, 10)
    assert image.pixelColor(corner).name() == "#ff0000"
    caplog.clear()  # expected here: the autouse `no_paint_errors` fails any other test that logs one
