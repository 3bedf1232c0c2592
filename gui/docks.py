"""What a feature hands the main window to place: a dock's widget, title and place. The window owns placing."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

Area = Qt.DockWidgetArea


@dataclass(frozen=True, eq=False)
class DockSpec:
    widget: QWidget
    title: str
    area: Area
    name: str  # the object name saveState/restoreState key the dock by, and View → Panels' entry
    tab_with: str | None = None  # the name of a dock to stack this one over, as a tab
    scroll: bool = False  # a tall form that may shrink below its natural height, inside a scroll area
