"""Slow motion: the Training dock's Speed box paces the worker, and every view shows every step."""

from __future__ import annotations

import numpy as np
from test_training_support import WAIT, make_project

from engine.studio import RunState


def test_at_five_steps_a_second_every_step_is_shown_by_every_view(qtbot, project_windows):
    window = project_windows(make_project())
    ui, document = window.training, window.document
    ui.panel.speed.setCurrentIndex(ui.panel.speed.findData(5.0))
    assert ui.controller.pace == 5.0
    shown = []  # per live snapshot: its step, the loss plot's last step, and whether the boundary shows its output

    def note(snap) -> None:  # connected after the training feature's own follower, so the views are updated
        if snap.final:
            return
        x, _ = ui.loss.batch_curve.getData()
        same = snap.boundary is not None and np.array_equal(ui.boundary.image.image, snap.boundary.output[..., 0])
        shown.append((snap.step, int(x[-1]), same))

    document.events.snapshot_published.connect(note)
    ui.panel.run_actions["train"].trigger()
    qtbot.wait(2000)  # 2 s at 5 steps/s: about 10 steps (as fast as possible, this net takes thousands)
    ui.panel.run_actions["pause"].trigger()
    qtbot.waitUntil(lambda: document.run_state is RunState.PAUSED, timeout=WAIT)
    document.events.snapshot_published.disconnect(note)

    steps = [step for step, _, _ in shown]
    assert steps == list(range(1, len(steps) + 1))  # none skipped
    assert 3 <= len(steps) <= 12
    assert all(plotted == step and same for step, plotted, same in shown)
    assert document.trainer().step_count <= steps[-1] + 1  # the pause came at once, not after the step's wait


def test_as_fast_as_possible_is_the_default_and_can_be_chosen_again(qtbot, project_windows):
    window = project_windows(make_project())
    ui = window.training
    assert ui.panel.speed.currentData() is None and ui.controller.pace is None
    ui.panel.speed.setCurrentIndex(ui.panel.speed.findData(1.0))
    ui.panel.run_actions["train"].trigger()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.RUNNING, timeout=WAIT)
    ui.panel.speed.setCurrentIndex(ui.panel.speed.findData(None))  # the running loop speeds up at its next step
    qtbot.waitUntil(lambda: window.document.snapshot is not None and window.document.snapshot.step > 200,
                    timeout=WAIT)
    ui.panel.run_actions["pause"].trigger()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.PAUSED, timeout=WAIT)
