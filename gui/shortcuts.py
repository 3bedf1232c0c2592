"""Help → Keyboard Shortcuts: the table is read from the window's QAction objects each time it opens.

A hand-written list went stale (F1 once omitted the training and explorer keys); reading the actions themselves
means a feature's new shortcut shows up here with no edit. Each row says where the action lives (its menu) and,
for a key that acts only while the focus is in one panel, which panel.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QHeaderView,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

HEADERS = ("Action", "Shortcut", "Menu", "Works")


@dataclass(frozen=True)
class Shortcut:
    text: str  # the action's text without its & mnemonic
    keys: str  # every shortcut of the action, in the platform's own notation, ", "-separated
    menu: str  # "File › Examples", or "" for an action in no menu
    scope: str  # "anywhere", or "in the <panel>" for a key bound to one widget


def action_text(action: QAction) -> str:
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def key_text(action: QAction) -> str:
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())


def shortcuts(window: QMainWindow) -> list[Shortcut]:
    """Every action with a shortcut that the window owns or shows in a menu, in the menus' order."""
    menus = _menu_paths(window)
    found: dict[int, QAction] = {id(a): a for a in window.findChildren(QAction)}
    for action in menus:
        found.setdefault(id(action), action)
    rows = {Shortcut(action_text(a), key_text(a), menus.get(a, ""), _scope(window, a))
            for a in found.values() if a.shortcuts()}
    order = {path: k for k, path in enumerate(dict.fromkeys(menus.values()))}
    return sorted(rows, key=lambda r: (order.get(r.menu, len(order)), r.text))


def _menu_paths(window: QMainWindow) -> dict[QAction, str]:
    paths: dict[QAction, str] = {}

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if isinstance(sub := action.menu(), QMenu):
                walk(sub, f"{path} › {action_text(action)}")
            else:
                paths.setdefault(action, path)

    for top in window.menuBar().actions():
        if isinstance(menu := top.menu(), QMenu):
            walk(menu, action_text(top))
    return paths


def _scope(window: QMainWindow, action: QAction) -> str:
    """Where a key works: a window-wide action anywhere; one bound to its widget only while that widget (the
    canvas, or the panel of the dock it sits in) has the focus."""
    if action.shortcutContext() is not Qt.ShortcutContext.WidgetWithChildrenShortcut:
        return "anywhere"
    owner: QObject | None = action.parent()
    while owner is not None and owner is not window:
        if owner is window.centralWidget():
            return "in the canvas"
        if isinstance(owner, QDockWidget):
            return f"in the {owner.windowTitle()} panel"
        owner = owner.parent()
    return "in its panel"


class ShortcutsDialog(QDialog):
    def __init__(self, window: QMainWindow, parent: QWidget | None = None):
        super().__init__(parent or window)
        self.setWindowTitle("Keyboard shortcuts")
        self.rows = shortcuts(window)
        self.table = QTableWidget(len(self.rows), len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(self.rows):
            for c, value in enumerate((row.text, row.keys, row.menu, row.scope)):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(720, 560)
