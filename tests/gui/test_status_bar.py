"""The status bar: a long message is elided before the run's progress and timer, never drawn into them."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication


def test_a_long_message_is_elided_before_the_timer_and_kept_whole_in_the_tooltip(window, qtbot):
    window.resize(1280, 800)
    text = ("The data set could not be read: " + "column 3 holds 'n/a' where a number was expected; " * 6)[:300]
    assert len(text) == 300
    window.statusBar().showMessage(text)
    QApplication.processEvents()
    bar, label, status = window.statusBar(), window.statusBar().message, window.training.status
    qtbot.waitUntil(lambda: label.text().endswith("…"))

    assert not label.geometry().intersects(status.geometry())
    assert label.geometry().right() < status.geometry().left()
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()
    assert label.toolTip() == text
    for part in (status.rate, status.progress):  # the timer and the epoch bar keep the room they ask for
        assert part.width() >= part.minimumSizeHint().width()
    assert status.geometry().right() <= bar.width()


def test_a_short_message_is_shown_whole_with_no_tooltip(window, qtbot):
    window.statusBar().showMessage("Saved")
    qtbot.waitUntil(lambda: window.statusBar().message.text() == "Saved")
    assert window.statusBar().message.toolTip() == ""
    window.statusBar().clearMessage()
    assert window.statusBar().message.text() == ""


def test_the_epoch_progress_text_fits_its_bar(window):
    status = window.training.status
    status.show_progress(100, 100, 1234.0, 61.0)
    bar = status.progress
    text = bar.text()
    assert text == "epoch 100 / 100"
    assert bar.fontMetrics().horizontalAdvance(text) < bar.width()  # one line: no wrap inside the bar
