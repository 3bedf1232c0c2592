"""Application-wide setup: names (QSettings derives the user's settings location from them) and icons."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from engine.resources import resource_path

ORGANIZATION = "BackpropStudio"
APPLICATION = "Backprop Studio"


def icon(name: str) -> QIcon:
    """One of our icons in resources/icons/, by file name without ".svg"."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))


def create_app(argv: list[str]) -> QApplication:
    app = QApplication.instance() or QApplication(argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setWindowIcon(icon("backprop-studio"))
    return app
