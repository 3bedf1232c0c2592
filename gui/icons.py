"""Our icons, by name: one helper every part of the window uses (not the app module, which sits above them)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from engine.resources import resource_path


def icon(name: str) -> QIcon:
    """One of the icons in resources/icons/, by file name without ".svg"."""
    return QIcon(str(resource_path("icons", f"{name}.svg")))
