"""The Runs dock on the real window: two runs with different learning rates are listed, overlaid on the loss and
accuracy plots with a legend that names what differs, renamed in place, deleted and restored with undo."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from test_training_support import WAIT, make_project
from test_training_ui import step_epochs

from engine.studio import RunState
from gui.panels.runs_panel import NAME, SETTINGS, STEPS


def stop(qtbot, window) -> None:
    window.training.panel.run_actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.STOPPED, timeout=WAIT)


@pytest.fixture
def two_runs(qtbot, project_windows):
    """Run 1 at lr 0.1 (2 epochs, stopped), then run 2 at lr 0.01 (1 epoch, stopped)."""
    window = project_windows(make_project(batch_size=16, n_samples=200, lr=0.1))
    ui = window.training
    step_epochs(qtbot, ui, 2)
    stop(qtbot, window)
    ui.panel.lr.setValue(0.01)
    step_epochs(qtbot, ui, 1)
    stop(qtbot, window)
    assert [run.name for run in window.document.runs] == ["Run 1", "Run 2"]
    return window


def check(panel, run_id: int) -> None:
    """Click the name cell's check box."""
    table = panel.table
    item = table.item(panel.row_of(run_id), NAME)
    rect = table.visualItemRect(item)
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(rect.left() + 8, rect.center().y()))


def test_the_runs_are_listed_and_their_checked_curves_are_overlaid_with_what_differs(qtbot, two_runs):
    window = two_runs
    panel, overlay = window.training.runs, window.training.overlay
    runs = window.document.runs
    assert panel.table.rowCount() == 2
    assert panel.table.item(panel.row_of(runs[0].id), STEPS).text() == "20"
    assert "adam lr 0.1" in panel.table.item(panel.row_of(runs[0].id), SETTINGS).text()
    for run in runs:
        check(panel, run.id)
    assert panel.checked == [runs[0].id, runs[1].id]
    assert len(overlay.loss_curves) == len(overlay.metric_curves) == 2
    for run, loss, metric in zip(runs, overlay.loss_curves, overlay.metric_curves, strict=True):
        x, y = loss.getData()
        np.testing.assert_array_equal(x, run.losses[:, 0])
        np.testing.assert_array_equal(y, run.losses[:, 1])
        x, y = metric.getData()
        np.testing.assert_array_equal(x, run.epochs[:, 1])
        np.testing.assert_array_equal(y, run.epochs[:, 3])
    legend = window.training.loss.loss_plot.getPlotItem().legend
    labels = [label.text for _, label in legend.items]
    assert "Run 1: lr 0.1" in labels and "Run 2: lr 0.01" in labels
    assert "lr 0.1 vs 0.01" in panel.caption.text()
    check(panel, runs[0].id)  # unchecked: its curves go
    assert len(overlay.loss_curves) == 1
    np.testing.assert_array_equal(overlay.loss_curves[0].getData()[0], runs[1].losses[:, 0])


def test_sorting_renaming_deleting_and_restoring_a_run_with_undo(qtbot, two_runs):
    window, document = two_runs, two_runs.document
    panel = window.training.runs
    table = panel.table
    header = table.horizontalHeader()
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(header.sectionViewportPosition(STEPS) + 5, header.height() // 2))  # sort by steps
    if header.sortIndicatorOrder() is Qt.SortOrder.DescendingOrder:
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(header.sectionViewportPosition(STEPS) + 5, header.height() // 2))
    assert [table.item(row, NAME).text() for row in range(2)] == ["Run 2", "Run 1"]  # 10 steps before 20

    first = document.runs[0]
    table.setFocus()
    table.setCurrentCell(panel.row_of(first.id), NAME)
    QTest.keyClick(table, Qt.Key.Key_F2)  # edit in place
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and editor.text() == "Run 1"
    editor.selectAll()
    QTest.keyClicks(editor, "lr 0.1")
    QTest.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on a queued call
    qtbot.waitUntil(lambda: document.run(first.id).name == "lr 0.1", timeout=WAIT)
    assert table.item(panel.row_of(first.id), NAME).text() == "lr 0.1"

    table.selectRow(panel.row_of(first.id))
    QTest.mouseClick(panel.restore_button, Qt.MouseButton.LeftButton)
    for key, p in window.network.parameters():
        np.testing.assert_array_equal(p.value, first.weights[key])
    assert document.trainer().step_count == 0 and document.trainer().optimizer.t == 0

    table.selectRow(panel.row_of(first.id))
    QTest.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert [run.id for run in document.runs] == [document.runs[0].id] and first.id not in panel.checked
    assert table.rowCount() == 1
    for _ in range(3):  # delete, restore, rename
        QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [run.name for run in document.runs] == ["Run 1", "Run 2"]
    assert document.trainer().step_count == 30


def test_runs_survive_save_and_open_through_the_window(qtbot, two_runs, project_windows, tmp_path, monkeypatch):
    window, path = two_runs, tmp_path / "runs.bps.json"
    runs = window.document.runs
    live = {key: p.value.copy() for key, p in window.network.parameters()}
    window.document.view_step(5)  # a recorded step shown (keys on the timeline) is not what Save writes
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(path), ""))
    QTest.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert path.exists() and window.document.viewing is None

    other = project_windows(make_project())
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), ""))
    QTest.keyClick(other, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    opened = other.document.runs
    assert [(r.id, r.name, r.start_step, r.end_step) for r in opened] == [
        (r.id, r.name, r.start_step, r.end_step) for r in runs]
    for saved, loaded in zip(runs, opened, strict=True):
        np.testing.assert_array_equal(loaded.losses, saved.losses)
        np.testing.assert_array_equal(loaded.epochs, saved.epochs)
    for key, p in other.network.parameters():
        np.testing.assert_array_equal(p.value, live[key])
    panel = other.training.runs
    assert [panel.table.item(row, NAME).text() for row in range(panel.table.rowCount())] == ["Run 1", "Run 2"]
    check(panel, opened[1].id)
    np.testing.assert_array_equal(other.training.overlay.loss_curves[0].getData()[1], runs[1].losses[:, 1])
