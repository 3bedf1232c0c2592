"""Help → Keyboard Shortcuts: the table is the window's actions, so it lists every key the window answers to."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from gui.shortcuts import ShortcutsDialog


def _menu_actions(menu: QMenu) -> list[QAction]:
    found = []
    for action in menu.actions():
        found.append(action)
        if action.menu() is not None:
            found += _menu_actions(action.menu())
    return found


def _open(window) -> ShortcutsDialog:
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    next(a for a in help_menu.actions() if a.text() == "&Keyboard Shortcuts").trigger()
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_the_dialog_lists_every_action_with_a_shortcut(window):
    dialog = _open(window)
    table = dialog.table
    shown = {(table.item(r, 0).text(), table.item(r, 1).text()) for r in range(table.rowCount())}

    reachable = set(window.findChildren(QAction))
    for top in window.menuBar().actions():
        reachable |= set(_menu_actions(top.menu()))
    native = QKeySequence.SequenceFormat.NativeText
    expected = {(a.text().replace("&", "").rstrip("…").strip(), ", ".join(k.toString(native) for k in a.shortcuts()))
                for a in reachable if a.shortcuts()}
    assert shown == expected
    assert table.rowCount() == len(expected)
    keys = {k for _, keys in shown for k in keys.split(", ")}
    assert {"F5", "F6", "F10", "Shift+F10", "E", "Shift+E", "F", "L", "Ctrl+/"} <= keys
    dialog.close()


def test_a_key_bound_to_a_panel_says_where_it_works(window):
    dialog = _open(window)
    scopes = {(row.text, row.scope) for row in dialog.rows}
    assert ("Fit to View", "in the canvas") in scopes
    assert ("Next", "in the Chain rule panel") in scopes
    assert ("Train", "anywhere") in scopes
    dialog.close()


def test_the_editor_guide_no_longer_claims_to_list_the_keys(window):
    from gui.main_window import GUIDE
    assert "Keyboard Shortcuts" in GUIDE and "F: fit" not in GUIDE
