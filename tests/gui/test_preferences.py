"""Edit → Preferences…: the timeline's memory budget is set, states the memory in use, and is remembered."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox
from test_training_support import make_project
from test_training_ui import step_epochs

from engine.recording import DEFAULT_BUDGET
from gui.preferences import MB, PreferencesDialog


def test_the_budget_is_applied_states_the_memory_in_use_and_is_remembered(qtbot, project_windows):
    window = project_windows(make_project(batch_size=16, n_samples=200))
    document = window.document
    step_epochs(qtbot, window.training, 2)
    assert document.recording_budget == DEFAULT_BUDGET
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    next(a for a in edit.actions() if a.text() == "&Preferences…").trigger()
    dialog = window.findChild(PreferencesDialog)
    memory = document.recorder.memory
    assert dialog.budget.value() == DEFAULT_BUDGET // MB
    assert dialog.usage.text().startswith(f"{memory / MB:,.1f} MB in use of 200 MB: 21 steps recorded")
    dialog.budget.selectAll()
    QTest.keyClicks(dialog.budget, "0")  # 0 MB: record nothing
    QTest.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert document.recording_budget == 0 and document.recorder.memory == 0 < memory
    assert window.settings.value("recording/budget_mb") in (0, "0")
    again = project_windows(make_project())
    assert again.document.recording_budget == 0
