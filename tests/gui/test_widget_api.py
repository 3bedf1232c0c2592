"""Our widgets keep the Qt API they inherit, and the Qt properties we give them.

An attribute named like an inherited method (`palette`, `cursor`) turns every call of that method from Python
into a TypeError; mypy flags it as "Cannot assign to a method", and these tests pin what it found. Inherited
properties are set through their setters (PySide6's stubs know only a class's own constructor keywords).
"""

from __future__ import annotations

from PySide6.QtGui import QCursor, QPalette
from PySide6.QtWidgets import QAbstractSpinBox

from gui.plots.loss import LossView


def test_the_main_window_still_answers_qwidget_palette(window):
    assert isinstance(window.palette(), QPalette)
    assert window.palette_panel.item_for("hidden") is not None  # the layer palette lives on under its own name


def test_the_loss_view_still_answers_qwidget_cursor(qtbot):
    view = LossView()
    qtbot.addWidget(view)
    assert isinstance(view.cursor(), QCursor)


def test_every_spin_box_edits_when_typing_ends_not_on_each_keystroke(window):
    boxes = window.findChildren(QAbstractSpinBox)
    assert len(boxes) >= 10  # training, optimiser, data split, generator and inspector fields
    assert [box for box in boxes if box.keyboardTracking()] == []
