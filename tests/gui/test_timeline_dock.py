"""The timeline under the loss plot, driven with the mouse and keys on the real window: the views show a recorded
step's values (checked against the recorder's frame), End and releasing return to the live state, and
Continue from here is undone with Ctrl+Z."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyle, QStyleOptionSlider, QToolButton
from test_training_support import WAIT, first_weight_ref, make_project
from test_training_ui import expected_bins, step_epochs

from engine.studio import RunState, Selection
from gui import commands


@pytest.fixture
def trained(qtbot, project_windows):
    """A window whose network has trained 3 epochs of 10 steps each, paused: steps 0-30 are recorded."""
    window = project_windows(make_project(batch_size=16, n_samples=200))
    step_epochs(qtbot, window.training, 3)
    assert window.document.recorder.steps() == list(range(31))
    return window


def handle_point(slider, value: int) -> QPoint:
    """Where the handle's centre is when the slider shows `value`."""
    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    handle = slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, option,
                                           QStyle.SubControl.SC_SliderHandle, slider)
    span = slider.width() - handle.width()
    x = QStyle.sliderPositionFromValue(slider.minimum(), slider.maximum(), value, span) + handle.width() // 2
    return QPoint(x, slider.height() // 2)


def drag_to(qtbot, window, step: int) -> None:
    """Press the handle and drag it to `step`, holding the button, until the document shows that step."""
    slider = window.training.timeline.slider
    start = handle_point(slider, slider.value())
    QTest.mousePress(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    end = handle_point(slider, step)
    for k in range(1, 6):
        QTest.mouseMove(slider, start + (end - start) * (k / 5))
    qtbot.waitUntil(lambda: window.document.viewing is not None and abs(window.document.viewing - step) <= 1,
                    timeout=WAIT)


def release(window) -> None:
    slider = window.training.timeline.slider
    QTest.mouseRelease(slider, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       handle_point(slider, slider.value()))


def weight_grads(window, source) -> dict:
    """dL/dW per connection id, from `source(key)`."""
    return {c.id: source(("W", c.id)) for c in window.network.connections.values()}


def recorded_param(window, frame, key, part: str = "value") -> np.ndarray:
    """One parameter's array as the frame recorded it: its part of the frame's flat w | dL/dw | Δw buffers."""
    plan = window.document.trainer().compiled
    n = len(frame.buffers) // 3
    k = ("value", "grad", "delta").index(part)
    return plan.view(frame.buffers[k * n : (k + 1) * n], key)


def test_dragging_shows_the_recorded_step_in_every_view_and_releasing_returns_to_live(qtbot, trained):
    window, document = trained, trained.document
    ref = first_weight_ref(window.project)
    explorer = window.explorer
    explorer.dock.show()  # Train (the timeline, the boundary) with the chain rule brought up too (View → Panels)
    explorer.dock.raise_()
    qtbot.waitUntil(lambda: explorer.on_screen, timeout=WAIT)
    document.select(Selection(weights=(ref,)))
    live_boundary = window.training.boundary.image.image.copy()
    live_value = float(window.network.connection(ref.conn).weight.value[ref.i, ref.j])
    params = dict(window.network.parameters())
    live_grads = {cid: g.copy() for cid, g in weight_grads(window, lambda k: params[k].grad).items()}

    drag_to(qtbot, window, 8)
    frame = document.recorder.frame(document.viewing)
    recorded = recorded_param(window, frame, ref.key)[ref.i, ref.j]
    assert recorded != live_value
    # the edges are coloured by that step's gradients, the inspector shows that step's weight and gradient
    then = weight_grads(window, lambda k: recorded_param(window, frame, k, "grad"))
    np.testing.assert_array_equal(window.scene.edge_bins(), expected_bins(window, then))
    assert window.inspector.value_edit.text() == f"{recorded:.6g}"
    assert window.inspector.grad_label.text() == f"{recorded_param(window, frame, ref.key, 'grad')[ref.i, ref.j]:.4g}"
    # the chain-rule explorer explains that step (its weight), the boundary is the network's output then
    qtbot.waitUntil(lambda: not explorer.pending and explorer.panel.explanation is not None
                    and explorer.panel.explanation.update.value == recorded, timeout=WAIT)
    boundary = window.training.boundary.image.image
    np.testing.assert_array_equal(boundary, document.snapshot.boundary.output[..., 0])
    assert not np.array_equal(boundary, live_boundary)
    assert window.training.timeline.label.text().startswith(f"Showing step {frame.step}")
    assert window.training.overlay.cursor.isVisible() and window.training.overlay.cursor.value() == frame.step
    # read-only: an edit is refused with the reason, and changes nothing
    hidden = window.network.layer_by_name("h1")
    assert "press End" in window.scene.push(commands.resize(window.network, hidden.id, 3))
    assert hidden.size == 6

    release(window)
    qtbot.waitUntil(lambda: document.viewing is None, timeout=WAIT)
    assert window.inspector.value_edit.text() == f"{live_value:.6g}"
    np.testing.assert_array_equal(window.scene.edge_bins(), expected_bins(window, live_grads))
    np.testing.assert_array_equal(window.training.boundary.image.image, live_boundary)
    qtbot.waitUntil(lambda: not explorer.pending and explorer.panel.explanation.update.value == live_value,
                    timeout=WAIT)
    assert window.training.timeline.marked == frame.step  # the handle stays on the step it marks
    assert not window.training.overlay.cursor.isVisible()


def test_keys_step_through_the_recorded_run_and_end_returns_to_live(qtbot, trained):
    window, document = trained, trained.document
    ref = first_weight_ref(window.project)
    live_value = window.network.connection(ref.conn).weight.value[ref.i, ref.j]
    slider = window.training.timeline.slider
    slider.setFocus()
    for _ in range(5):
        QTest.keyClick(slider, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: document.viewing == 25, timeout=WAIT)
    assert window.network.connection(ref.conn).weight.value[ref.i, ref.j] == recorded_param(
        window, document.recorder.frame(25), ref.key)[ref.i, ref.j]
    QTest.keyClick(window, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: document.viewing is None, timeout=WAIT)
    assert window.network.connection(ref.conn).weight.value[ref.i, ref.j] == live_value
    assert slider.value() == slider.maximum() and window.training.timeline.marked is None


def test_continue_from_here_then_ctrl_z_restores_the_run(qtbot, trained):
    window, document = trained, trained.document
    before = {key: p.value.copy() for key, p in window.network.parameters()}
    drag_to(qtbot, window, 10)
    release(window)
    qtbot.waitUntil(lambda: document.viewing is None, timeout=WAIT)
    marked = window.training.timeline.marked
    frame = document.recorder.frame(marked)
    button = next(b for b in window.training.timeline.findChildren(QToolButton)
                  if b.defaultAction() is window.training.timeline.continue_action)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert document.trainer().step_count == marked
    for key, p in window.network.parameters():
        np.testing.assert_array_equal(p.value, recorded_param(window, frame, key))
    assert [run.end_step for run in document.runs] == [30]
    assert window.undo_stack.undoText() == f"Continue from step {marked}"

    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert document.trainer().step_count == 30 and document.runs == ()
    for key, p in window.network.parameters():
        np.testing.assert_array_equal(p.value, before[key])
    assert document.recorder.steps() == list(range(31))
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert document.trainer().step_count == marked
    assert document.run_state is not RunState.RUNNING


def test_replay_plays_the_recorded_steps_forward_then_returns_to_live(qtbot, trained):
    window, document = trained, trained.document
    timeline = window.training.timeline
    shown: list = []
    document.events.time_changed.connect(shown.append)
    # as if the 30 steps had trained at 2500 steps/s: 100× slower is 25 steps/s, one step per 40 ms tick however
    # fast this machine trained them (the replay advances per tick, so a loaded machine slows it, never skips)
    document.elapsed = 30 / 2500
    timeline.replay_speed.setCurrentIndex(timeline.replay_speed.findData(100))
    button = next(b for b in timeline.findChildren(QToolButton) if b.defaultAction() is timeline.replay_action)
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    assert timeline.replay_action.isChecked() and document.viewing == 0  # from the start
    qtbot.waitUntil(lambda: not timeline.replay_action.isChecked(), timeout=WAIT)
    document.events.time_changed.disconnect(shown.append)
    steps = [s for s in shown if s is not None]
    assert steps == sorted(set(steps)) and len(steps) >= 25  # forward, each step once, (nearly) every one
    assert shown[-1] is None and document.viewing is None  # live again at the end
