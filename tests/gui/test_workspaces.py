"""Workspaces: each one fits a laptop screen unscrolled, Ctrl+1/2/3/4 switch, and each keeps the user's arrangement."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from conftest import destroy
from plotcheck import legend_clear_of_data
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTabBar

from engine import WeightRef
from engine.lessons import catalogue
from engine.studio import RunState
from gui.main_window import MainWindow
from gui.workspaces import WORKSPACES, content

Area = Qt.DockWidgetArea
KEYS = {"build": Qt.Key.Key_1, "train": Qt.Key.Key_2, "explain": Qt.Key.Key_3}


def shown(window) -> set[str]:
    """The docks View → Panels says are shown (a tab behind another counts: one click brings it forward)."""
    return {name for name, dock in window._docks.items() if dock.toggleViewAction().isChecked()}


def press(window, name: str) -> None:
    window.view.setFocus()
    QTest.keyClick(window.view.viewport(), KEYS[name], Qt.KeyboardModifier.ControlModifier)
    QApplication.processEvents()


def short_of_room(window, name: str) -> list[str]:
    """What of the dock `name` cannot be read without scrolling: smaller than its content's minimum size hint (the
    form's, for a form in a scroll area), or a list (the palette) whose rows do not all show."""
    dock = window._docks[name]
    dock.raise_()  # a tab behind another is checked in front
    QApplication.processEvents()
    assert not dock.visibleRegion().isEmpty(), f"{name} is not on screen"
    have, need = dock.widget().size(), content(dock).minimumSizeHint()
    problems = []
    if have.width() < need.width() or have.height() < need.height():
        problems.append(f"{name}: {have.toTuple()} < {need.toTuple()}")
    if isinstance(area := dock.widget(), QAbstractItemView):
        for bar in (area.horizontalScrollBar(), area.verticalScrollBar()):
            if bar.maximum() > 0:
                problems.append(f"{name}: scrolls {bar.orientation().name} by {bar.maximum()} px")
    return problems


def legends_over_data(window, name: str) -> list[str]:
    """Each plot of the dock `name` (with its tab in front) whose legend covers the data it shows."""
    dock = window._docks[name]
    dock.raise_()
    QApplication.processEvents()
    problems = []
    for plot in dock.findChildren(pg.PlotWidget):
        if plot.isVisible():
            try:
                legend_clear_of_data(plot.getPlotItem())
            except AssertionError as error:
                problems.append(f"{name}: {error}")
    return problems


def elided_tabs(window) -> list[str]:
    """The dock tabs whose title is cut short ("R…" for Runs): narrower than the tab bar would make them."""
    return [f"{bar.tabText(i)!r}: {bar.tabRect(i).width()} < {bar.tabSizeHint(i).width()} px"
            for bar in window.findChildren(QTabBar) if bar.isVisible()
            for i in range(bar.count()) if bar.tabRect(i).width() < bar.tabSizeHint(i).width()]


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_every_dock_of_every_workspace_has_the_room_its_content_needs(qtbot, window, size):
    """Room for every dock's content, and no plot's legend over its data, with data in every plot: a trained
    epoch, three weights watched."""
    network = window.network
    into = next(iter(network.connections.values()))
    window.document.set_watched([WeightRef(into.id, i, 0) for i in range(2)])
    window.training.controller.step_epoch()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.PAUSED, timeout=20_000)
    window.showNormal()
    window.resize(*size)
    QApplication.processEvents()
    assert window.size().toTuple() == size
    for space in WORKSPACES:
        window.workspaces.switch(space.name)
        window.workspaces.reset()  # the default arrangement at this window size
        QApplication.processEvents()
        assert shown(window) == space.docks
        assert window.size().toTuple() == size, f"{space.title}'s docks need a larger window than {size}"
        problems = [p for name in sorted(space.docks) for p in short_of_room(window, name)]
        problems += [p for name in sorted(space.docks) for p in legends_over_data(window, name)]
        problems += elided_tabs(window)
        assert not problems, f"{space.title} at {size}: {problems}"


def test_ctrl_1_2_3_show_exactly_the_workspace_s_docks(window):
    assert window.workspaces.current.name == "train"  # a first start: the app opens on an example to train
    for name in ("build", "explain", "train", "explain"):
        press(window, name)
        space = window.workspaces.workspace(name)
        assert window.workspaces.current is space
        assert window.workspaces.actions[name].isChecked()
        assert shown(window) == space.docks
    assert shown(window) == {"explorer", "gradients", "surface"}
    assert window.training.gradients.currentWidget() is window.training.weights  # what Explain is for


def test_a_rearrangement_is_kept_across_switches_and_windows_and_reset_restores_the_default(qtbot, window, settings):
    docks = window._docks
    press(window, "train")
    window.addDockWidget(Area.LeftDockWidgetArea, docks["loss"])
    docks["boundary"].close()
    press(window, "build")
    assert window.dockWidgetArea(docks["palette"]) == Area.LeftDockWidgetArea and shown(window) == {"palette",
                                                                                                     "inspector"}
    press(window, "train")
    assert window.dockWidgetArea(docks["loss"]) == Area.LeftDockWidgetArea
    assert "boundary" not in shown(window)

    window.close()  # it keeps the current workspace's arrangement, and which one it was
    again = MainWindow(settings=settings)
    again.show()
    qtbot.waitExposed(again)
    try:
        assert again.workspaces.current.name == "train"
        assert again.dockWidgetArea(again._docks["loss"]) == Area.LeftDockWidgetArea
        assert shown(again) == window.workspaces.workspace("train").docks - {"boundary"}

        again.workspaces.reset_action.trigger()
        assert again.dockWidgetArea(again._docks["loss"]) == Area.BottomDockWidgetArea
        assert shown(again) == again.workspaces.workspace("train").docks
        press(again, "build")
        press(again, "train")  # the default is what Train now keeps
        assert again.dockWidgetArea(again._docks["loss"]) == Area.BottomDockWidgetArea
        assert "boundary" in shown(again)
    finally:
        again.mark_saved()
        again.close()
        destroy(again)


def test_no_other_action_takes_the_workspace_keys(window):
    from gui.shortcuts import shortcuts
    taken = [row for row in shortcuts(window) if {"Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4"} & set(row.keys.split(", "))]
    assert sorted(row.text for row in taken) == ["Build", "Explain", "Learn", "Train"]


@pytest.mark.parametrize("modifiers", [Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier])
def test_asking_for_an_explanation_brings_up_the_explain_workspace(qtbot, window, canvas, modifiers):
    """E (explain the selected weight) and Shift+E (step through a sample) from any workspace: the chain rule
    dock they fill is Explain's."""
    press(window, "build")
    conn = next(iter(window.network.connections.values()))
    canvas.click(canvas.weight(WeightRef(conn.id, 0, 0)))
    canvas.key(Qt.Key.Key_E, modifiers)
    assert window.workspaces.current.name == "explain"
    assert shown(window) == window.workspaces.workspace("explain").docks
    qtbot.waitUntil(lambda: window.explorer.on_screen)


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
@pytest.mark.parametrize("name", ["explain", "learn"])
def test_the_chain_rule_shows_an_explanation_unscrolled_sideways(qtbot, window, canvas, name, size):
    """The chain rule's explanation scrolls inside its dock, so its minimum size hint says nothing of the width its
    tables need: Learn sized the dock by it and cut the local form and the path list off on the right."""
    window.resize(*size)
    press(window, "build")
    conn = next(iter(window.network.connections.values()))
    canvas.click(canvas.weight(WeightRef(conn.id, 0, 0)))
    canvas.key(Qt.Key.Key_E)
    qtbot.waitUntil(lambda: window.explorer.panel.explanation is not None)
    window.workspaces.switch(name)
    window.workspaces.reset()
    QApplication.processEvents()
    assert not clipped_explanation(window), f"{name} at {size}: the explanation is cut off on the right"


def clipped_explanation(window) -> bool:
    area = window.explorer.panel.content
    assert area.isVisible()
    return area.widget().width() > area.viewport().width()


def test_the_chain_rule_widens_for_an_explanation_a_lesson_brings_after_the_layout(qtbot, window):
    """Learn is laid out while the chain rule is still empty; the lesson's first step then selects its weight and
    the explanation arrives: the dock grows to show it whole instead of cutting its tables off."""
    window.lessons.action.trigger()  # Help → Lessons: the Learn workspace
    window.workspaces.reset()
    QApplication.processEvents()
    assert window.explorer.panel.explanation is None
    window.lessons.start(next(k for k, e in enumerate(catalogue()) if "two paths" in e.lesson.title))
    qtbot.waitUntil(lambda: window.explorer.panel.explanation is not None)
    assert window.workspaces.current.name == "learn"
    qtbot.waitUntil(lambda: not clipped_explanation(window), timeout=2000)  # the layouts settle in a few passes
