"""A loss that blows up without overflowing is said in the window, during and after the run, and may pause it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.studio import RunState

WAIT = 20_000


def run_to_the_end(qtbot, window) -> None:
    QTest.keyClick(window.view.viewport(), Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.document.run_state is not RunState.RUNNING, timeout=WAIT)


def blowing_up(window) -> None:
    """docs/training.md's recipe: circles with SGD at a learning rate of 10⁶ (the loss grows to millions)."""
    window.document.edit_settings(optimizer="sgd", optimizer_params={"lr": 1e6}, epochs=3)


def test_the_warning_shows_while_training_and_stays_in_the_final_message(qtbot, window):
    blowing_up(window)
    said = []
    window.document.events.status_changed.connect(lambda status: said.append(status))
    run_to_the_end(qtbot, window)
    warnings = [s for s in said if s.text.startswith("Warning:")]
    assert warnings and all(s.error for s in warnings) and "loss" in warnings[0].text
    final = window.training.panel.message.text()
    assert final.startswith("Training stopped: epoch budget of 3 reached.") and "Warning during the run" in final
    assert window.document.status.error


def test_with_pause_on_blowup_checked_the_run_stops_there(qtbot, window):
    blowing_up(window)
    window.training.panel.pause_on_blowup.click()
    assert window.document.project.settings.pause_on_blowup
    run_to_the_end(qtbot, window)
    doc = window.document
    assert doc.run_state is RunState.STOPPED and doc.snapshot.epoch < 3
    assert doc.status.text.startswith("Training stopped:") and "Warning during the run" not in doc.status.text
    assert "loss" in doc.status.text and doc.status.error
