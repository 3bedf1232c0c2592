"""The window's first size follows the screen, and the canvas keeps the whole network in view as the window grows
until the user zooms or pans."""

from __future__ import annotations

import pytest
from conftest import destroy
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QScreen, QWheelEvent
from PySide6.QtWidgets import QApplication

from gui.editor.view import FIT_MAX_SCALE
from gui.main_window import MainWindow
from gui.screen_fit import MAXIMISE_BELOW, first_geometry


def opened(qtbot, settings) -> MainWindow:
    win = MainWindow(settings=settings)
    win.show()
    qtbot.waitExposed(win)
    return win


def closed(win: MainWindow) -> None:
    win.mark_saved()
    win.close()
    destroy(win)


def test_a_laptop_screen_is_filled_and_a_large_one_gets_a_large_centred_window():
    assert first_geometry(QRect(0, 0, 1366, 740)) is None
    assert first_geometry(QRect(0, 0, MAXIMISE_BELOW - 1, 1000)) is None
    rect = first_geometry(QRect(0, 30, 1920, 1050))
    assert rect == QRect(96, 82, 1728, 945)
    assert rect.center() == QRect(0, 30, 1920, 1050).center()


def test_the_window_opens_maximised_on_the_small_test_screen(qtbot, settings):
    available = QApplication.primaryScreen().availableGeometry()
    assert available.width() < MAXIMISE_BELOW  # the offscreen platform's screen: 800 px wide
    win = opened(qtbot, settings)
    try:
        assert win.isMaximized()
        qtbot.waitUntil(lambda: win.frameGeometry().size() == available.size())
    finally:
        closed(win)


@pytest.mark.parametrize("size", [(1920, 1080), (2560, 1440)])
def test_the_window_opens_large_and_centred_on_a_large_screen(qtbot, settings, monkeypatch, size):
    available = QRect(0, 0, *size)
    monkeypatch.setattr(QScreen, "availableGeometry", lambda screen: available)
    win = opened(qtbot, settings)
    try:
        assert not win.isMaximized()
        assert win.geometry() == first_geometry(available)
        assert win.width() >= 0.85 * size[0] and win.height() >= 0.85 * size[1]
    finally:
        closed(win)


def test_a_saved_geometry_wins_over_the_screen_rule(qtbot, settings, monkeypatch):
    monkeypatch.setattr(QScreen, "availableGeometry", lambda screen: QRect(0, 0, 1920, 1080))
    win = opened(qtbot, settings)
    win.showMaximized()  # where the rule alone would open a window of 90 %
    qtbot.waitUntil(win.isMaximized)
    closed(win)  # saves the geometry
    again = opened(qtbot, settings)
    try:
        assert again.isMaximized()
    finally:
        closed(again)


def shows_every_layer(win: MainWindow) -> bool:
    visible = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    layers = QRectF()
    for item in win.scene.layer_items():
        layers = layers.united(item.sceneBoundingRect())
    return visible.contains(layers)


def test_the_canvas_refits_as_the_window_grows_until_the_user_zooms(qtbot, window):
    window.resize(900, 600)
    qtbot.waitUntil(lambda: shows_every_layer(window))
    small = window.view.current_scale()

    window.resize(1800, 1100)
    qtbot.waitUntil(lambda: window.view.current_scale() > small * 1.2)
    assert shows_every_layer(window)
    grown = window.view.current_scale()

    wheel(window.view, 120)  # one notch in
    zoomed = window.view.current_scale()
    assert zoomed > grown
    window.resize(1300, 800)
    QApplication.processEvents()
    assert window.view.current_scale() == pytest.approx(zoomed)

    window.view.fit()  # F, File → New, Open or an example: the view follows the window again
    fitted = window.view.current_scale()
    window.resize(1800, 1100)
    qtbot.waitUntil(lambda: window.view.current_scale() > fitted * 1.2)


def test_a_pan_also_stops_the_refitting(qtbot, window, canvas):
    window.resize(900, 600)
    qtbot.waitUntil(lambda: shows_every_layer(window))
    start = QPointF(window.view.mapToScene(QPoint(20, 20)))
    canvas.drag(start, start + QPointF(60.0, 30.0), button=Qt.MouseButton.MiddleButton)
    panned = window.view.current_scale()
    window.resize(1800, 1100)
    QApplication.processEvents()
    assert window.view.current_scale() == pytest.approx(panned)


def test_opening_an_example_lets_the_canvas_refit_again(qtbot, window):
    wheel(window.view, -240)
    # a network drawn below the fit's largest scale: XOR's three small layers already reach it on a laptop's
    # canvas, where no growth could show
    window.files.open_example("Spiral (3 arms)")
    assert window.view.current_scale() < FIT_MAX_SCALE
    fitted = window.view.current_scale()
    window.resize(1900, 1150)
    qtbot.waitUntil(lambda: window.view.current_scale() != pytest.approx(fitted))
    assert shows_every_layer(window)


def wheel(view, delta: int) -> None:
    pos = QPointF(view.viewport().rect().center())
    event = QWheelEvent(pos, QPointF(view.viewport().mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, delta),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)
