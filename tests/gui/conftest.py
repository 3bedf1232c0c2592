"""GUI test setup: offscreen Qt, settings that never touch the user's, no blocking dialogs, and canvas helpers.

Palette drags are simulated by sending the drag-enter/move/drop events with the palette's own mime data to the
view's viewport: `QDrag.exec` runs a nested platform drag loop that waits for real mouse input, which the
offscreen platform never delivers, so it would block the test.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before any QApplication exists

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QToolTip

from engine import Network
from gui.main_window import MainWindow

# Belt and braces: even a QSettings() made without a file goes to a throwaway directory during the tests.
_SETTINGS_DIR = tempfile.mkdtemp(prefix="bps-test-settings-")
for _fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
    for _scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(_fmt, _scope, _SETTINGS_DIR)


def pytest_collection_modifyitems(items) -> None:
    """The offscreen platform warns that it cannot propagate size hints (whenever a main window lays itself out)
    or raise a window (a tooltip); that says nothing about our code, and every other Qt warning still fails."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)\(\)"))


@pytest.fixture(autouse=True)
def no_blocking_dialogs(monkeypatch):
    """A modal dialog would hang an offscreen test: any one a test did not expect fails it instead."""

    def unexpected(*args, **kwargs):
        raise AssertionError(f"unexpected dialog: {args[1:3]}")

    for name in ("warning", "critical", "question", "information", "about"):
        monkeypatch.setattr(QMessageBox, name, unexpected)
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, unexpected)


@pytest.fixture(autouse=True)
def no_paint_errors(caplog):
    """Our paint overrides log their exceptions instead of raising them (gui/editor/painting.py): a test during
    which one did fails, as it would have if the exception had reached it."""
    yield
    failed = [r for r in caplog.get_records("call") if r.name == "gui.editor.painting" and r.levelno >= logging.ERROR]
    assert not failed, f"a paint override raised: {failed[0].getMessage()}\n{failed[0].exc_text or ''}"


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings) -> MainWindow:
    """The app's main window on a fresh project, shown (offscreen) at 1280×800 whatever the test screen's size (the
    laptop the canvas tests are written for), with a temporary settings file."""
    win = MainWindow(settings=settings)
    win.setWindowState(Qt.WindowState.WindowNoState)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    yield win
    win.mark_saved()  # closing at teardown must not ask about unsaved changes
    win.close()
    destroy(win)


@pytest.fixture
def project_windows(qtbot, settings):
    """Main windows on given projects, shown and active (window shortcuts need an active window); at teardown each
    one's training is shut down and the window closed."""
    made: list[MainWindow] = []

    def make(project) -> MainWindow:
        window = MainWindow(project, settings=settings)
        window.setWindowState(Qt.WindowState.WindowNoState)
        window.resize(1400, 900)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.training.shutdown()
        window.mark_saved()
        window.close()
        destroy(window)


def destroy(widget) -> None:
    """Delete a window now, not at some later test's event loop: destroying a window calls into Python for each of
    its thousands of objects, and doing that while a later test's training thread runs starved that thread (a
    test took 90 s instead of 0.2)."""
    widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def canvas(window) -> Canvas:
    return Canvas(window)


class Canvas:
    """Drive the canvas as a user would: mouse on the viewport at scene points, keys, palette drops."""

    def __init__(self, window: MainWindow):
        self.window = window
        self.view = window.view
        self.scene = window.scene
        self.net: Network = window.network

    # where things are
    def to_view(self, p: QPointF) -> QPoint:
        return self.view.mapFromScene(p)

    def snapped(self, p: QPointF) -> tuple[float, float]:
        """The scene point a mouse at p really lands on (the mouse only knows whole pixels)."""
        q = self.view.mapToScene(self.to_view(p))
        return q.x(), q.y()

    def port(self, layer_id: int, side: str) -> QPointF:
        return self.scene.layer_item(layer_id).ports[side].scenePos()

    def neuron(self, layer_id: int, j: int) -> QPointF:
        return self.scene.layer_item(layer_id).neurons[j].scenePos()

    def header(self, layer_id: int) -> QPointF:
        item = self.scene.layer_item(layer_id)
        return item.mapToScene(item.header_rect().center() + QPointF(0, 8))

    def weight(self, ref) -> QPointF:
        line = self.scene.edge_layer.edges.lines[self.scene.edge_row(ref)]
        return QPointF((line[0] + line[2]) / 2, (line[1] + line[3]) / 2)

    def layer(self, name: str) -> int:
        return self.net.layer_by_name(name).id

    # gestures
    def click(self, p: QPointF, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        QTest.mouseClick(self.view.viewport(), Qt.MouseButton.LeftButton, modifiers, self.to_view(p))

    def drag(self, start: QPointF, end: QPointF, button=Qt.MouseButton.LeftButton,
             modifiers=Qt.KeyboardModifier.NoModifier, steps: int = 6) -> None:
        viewport = self.view.viewport()
        a, b = self.to_view(start), self.to_view(end)
        QTest.mousePress(viewport, button, modifiers, a)
        for k in range(1, steps + 1):
            QTest.mouseMove(viewport, a + (b - a) * (k / steps))
        QTest.mouseRelease(viewport, button, modifiers, b)

    def hover(self, p: QPointF) -> str:
        """The tooltip the canvas shows when the mouse rests at p."""
        QToolTip.hideText()
        local = self.to_view(p)
        event = QHelpEvent(QEvent.Type.ToolTip, local, self.view.viewport().mapToGlobal(local))
        QApplication.sendEvent(self.view.viewport(), event)
        return QToolTip.text()

    def key(self, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        self.view.setFocus()
        QTest.keyClick(self.view.viewport(), key, modifiers)

    def drop(self, entry: str, p: QPointF) -> bool:
        """Drop a palette entry at scene point p; returns whether the view accepted the drag."""
        palette = self.window.palette_panel
        mime: QMimeData = palette.mimeData([palette.item_for(entry)])
        pos = QPointF(self.to_view(p))
        action, buttons = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
        mods = Qt.KeyboardModifier.NoModifier
        viewport = self.view.viewport()
        enter = QDragEnterEvent(pos.toPoint(), action, mime, buttons, mods)
        QApplication.sendEvent(viewport, enter)
        QApplication.sendEvent(viewport, QDragMoveEvent(pos.toPoint(), action, mime, buttons, mods))
        drop = QDropEvent(pos, action, mime, buttons, mods)
        QApplication.sendEvent(viewport, drop)
        return enter.isAccepted() and drop.isAccepted()


def _fingerprint(net: Network):
    """Everything the user built: structure, names, positions, and every value, mask and flag, exactly."""
    layers = sorted(
        (lay.id, lay.name, lay.kind, lay.activation, lay.size, tuple(lay.position),
         None if lay.bias is None else (lay.bias.value.tolist(), lay.bias.frozen.tolist()))
        for lay in net.layers.values()
    )
    conns = sorted(
        (c.id, c.source, c.target, c.init, c.dense, c.weight.value.tolist(), c.weight.mask.tolist(),
         c.weight.frozen.tolist())
        for c in net.connections.values()
    )
    return layers, conns


@pytest.fixture
def fingerprint():
    return _fingerprint


@pytest.fixture
def small_net() -> Network:
    """in(2) → h(3) → out(1), dense, at fixed places."""
    net = Network(seed=3)
    a = net.add_layer(2, "input", position=(0.0, 0.0))
    h = net.add_layer(3, "hidden", "tanh", position=(240.0, 0.0))
    o = net.add_layer(1, "output", "sigmoid", position=(480.0, 0.0))
    net.connect(a.id, h.id)
    net.connect(h.id, o.id)
    return net
