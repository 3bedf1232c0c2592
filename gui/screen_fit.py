"""The size a window opens at when the user has not left one: as much of the screen as helps.

A laptop screen (under ~1400 px of available width) has no room to spare for a desktop around the docks, so the
window takes all of it (maximised). A larger screen gets a large window centred on it, leaving a margin so the
window still reads as a window that can be moved and resized. A geometry the user left (QSettings) is restored
over this.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

MAXIMISE_BELOW = 1400  # available width, in device-independent pixels
SHARE = 0.9  # of the available width and height, on a larger screen


def first_geometry(available: QRect) -> QRect | None:
    """The window's rectangle on a screen whose available area is `available`; None: maximise instead."""
    if available.width() < MAXIMISE_BELOW:
        return None
    rect = QRect(available.topLeft(), QSize(round(available.width() * SHARE), round(available.height() * SHARE)))
    rect.moveCenter(available.center())
    return rect


def fit_to_screen(window: QWidget) -> None:
    """Size `window` (not shown yet) for its screen: maximised, or the large centred rectangle."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    available = screen.availableGeometry()
    rect = first_geometry(available)
    if rect is None:
        window.resize(available.size())  # what the docks' first sizes are set against before it is shown
        window.setWindowState(window.windowState() | Qt.WindowState.WindowMaximized)
    else:
        window.setGeometry(rect)
