"""The controller drives the engine from a worker thread: every command is checked against the engine's own state."""

from __future__ import annotations

import gc
import math
import sys
import time

import numpy as np
import pytest
from test_training_support import WAIT, emitted, first_weight_ref, make_project

from engine import Trainer, TrainingError, WeightRef
from engine.studio import RunState
from gui.training.gil import SWITCH_INTERVAL
from gui.training.worker import EMIT_INTERVAL

pytest_plugins = ("test_training_support",)  # the `controllers` fixture
PAUSED, RUNNING, STOPPED = RunState.PAUSED, RunState.RUNNING, RunState.STOPPED


def values(project) -> np.ndarray:
    return np.concatenate([p.value.ravel() for _, p in project.network.parameters()])


def run_until(qtbot, controller, predicate):
    """Train, wait (on the document's snapshots) until `predicate(snapshot)`, then pause and wait for it."""
    seen = []
    controller.document.events.snapshot_published.connect(seen.append)
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == RUNNING):
        controller.train()
    qtbot.waitUntil(lambda: bool(seen) and predicate(seen[-1]), timeout=WAIT)
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == PAUSED):
        controller.pause()
    controller.document.events.snapshot_published.disconnect(seen.append)
    return seen


def test_train_then_pause_changes_the_engine_and_records_every_step(qtbot, controllers):
    project = make_project()
    controller = controllers(project)
    before = values(project)
    run_until(qtbot, controller, lambda s: s.step >= 50)
    trainer = controller.document.trainer()
    assert controller.document.run_state == PAUSED and not controller.busy
    assert trainer.step_count >= 50
    losses = project.history.losses.data()
    # every step up to the last, in the history's ring (which keeps the newest when a loaded machine was slow to pause)
    np.testing.assert_array_equal(losses[:, 0], np.arange(trainer.step_count - len(losses) + 1, trainer.step_count + 1))
    assert not np.array_equal(values(project), before)
    assert project.optimizer_t == trainer.optimizer.t == trainer.step_count


def test_step_runs_exactly_one_batch_and_step_epoch_to_the_end_of_the_epoch(qtbot, controllers):
    project = make_project(batch_size=16, n_samples=200)  # 160 training rows: 10 batches an epoch
    controller = controllers(project)
    with emitted(qtbot, controller.document.events.snapshot_published) as blocker:
        controller.step()
    assert blocker[0].step == 1
    qtbot.waitUntil(lambda: controller.document.run_state == PAUSED, timeout=WAIT)
    trainer = controller.document.trainer()
    assert (trainer.step_count, trainer.epoch) == (1, 0)
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == PAUSED):
        controller.step_epoch()
    assert (trainer.step_count, trainer.epoch) == (10, 1)
    assert project.history.epochs.data()[:, :2].tolist() == [[1.0, 10.0]]


def test_the_same_steps_through_the_worker_give_the_same_weights_as_the_engine_alone(qtbot, controllers):
    project, reference = make_project(), make_project()
    controller = controllers(project)
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == PAUSED):
        controller.step_epoch()
    train, val, _ = reference.data.load()
    alone = Trainer(reference.network, train.X, train.y, reference.settings, val.X, val.y, reference.history)
    alone.run_epoch()
    np.testing.assert_array_equal(values(project), values(reference))


def test_resume_continues_the_same_curve_and_stop_ends_the_run(qtbot, controllers):
    controller = controllers(make_project())
    run_until(qtbot, controller, lambda s: s.step >= 20)
    first = controller.document.trainer().step_count
    run_until(qtbot, controller, lambda s: s.step >= first + 20)
    steps = controller.document.project.history.losses.data()[:, 0]
    np.testing.assert_array_equal(steps, np.arange(1, len(steps) + 1))  # no gap, no restart
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == STOPPED):
        controller.stop()
    with emitted(qtbot, controller.document.events.snapshot_published, lambda s: s.step > len(steps)):
        controller.train()  # a new run from the current weights, on the same curve
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == STOPPED):
        controller.stop()
    steps = controller.document.project.history.losses.data()[:, 0]
    np.testing.assert_array_equal(steps, np.arange(1, len(steps) + 1))


def test_a_learning_rate_and_batch_size_change_mid_run_reach_the_engine(qtbot, controllers):
    project = make_project(lr=0.01)
    controller = controllers(project)
    seen = []
    controller.document.events.snapshot_published.connect(seen.append)
    controller.train()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].step > 5, timeout=WAIT)
    controller.document.edit_settings(lr=0.0234)
    controller.document.edit_settings(batch_size=8)
    qtbot.waitUntil(lambda: seen[-1].lr == 0.0234 and seen[-1].batch_size == 8, timeout=WAIT)
    assert controller.document.run_state == RUNNING  # no reset, no restart
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == PAUSED):
        controller.pause()
    trainer = controller.document.trainer()
    assert trainer.optimizer.hyper["lr"] == 0.0234 and trainer.settings.batch_size == 8
    assert project.settings.optimizer_params["lr"] == 0.0234 and project.settings.batch_size == 8


def test_a_bad_learning_rate_is_refused_with_the_engines_message(qtbot, controllers):
    controller = controllers(make_project(lr=0.01))
    with pytest.raises(TrainingError, match="learning rate must be > 0"):
        controller.document.edit_settings(lr=-1.0)
    assert controller.document.project.settings.optimizer_params["lr"] == 0.01


def test_a_diverging_run_pauses_with_the_step_and_layer_and_keeps_finite_weights(qtbot, controllers):
    project = make_project("sine", hidden=(8,), loss="mse", out_activation="identity", optimizer="sgd", lr=1e6,
                           n_inputs=1)
    controller = controllers(project)
    # the loss's blow-up is said first (a warning), then the overflow that pauses the run
    with emitted(qtbot, controller.document.events.status_changed, lambda s: "diverged" in s.text) as blocker:
        controller.train()
    message = blocker[0].text
    assert blocker[0].error
    trainer = controller.document.trainer()
    assert f"diverged at step {trainer.step_count + 1}" in message
    assert "the weights" in message or "the biases" in message or "the loss" in message
    assert controller.document.run_state == PAUSED
    assert np.isfinite(values(project)).all()
    controller.document.edit_settings(lr=1e-3)  # and the app keeps working: lower the rate and resume
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == PAUSED):
        controller.step()
    assert np.isfinite(values(project)).all()


def test_the_epoch_budget_stops_the_run_and_says_why(qtbot, controllers):
    controller = controllers(make_project(epochs=2))
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == STOPPED):
        controller.train()
    assert "epoch budget of 2 reached" in controller.document.status.text
    assert controller.document.run_state == STOPPED and controller.document.trainer().epoch == 2


def test_reset_weights_restores_the_initial_weights_and_clears_the_curve(qtbot, controllers):
    project = make_project()
    initial = values(project)
    controller = controllers(project)
    run_until(qtbot, controller, lambda s: s.step >= 10)
    with emitted(qtbot, controller.document.events.run_reset):
        controller.reset_weights()
    np.testing.assert_array_equal(values(project), initial)
    assert project.history.losses.count == 0 and project.optimizer_t == 0
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == PAUSED):
        controller.step()
    assert controller.document.trainer().step_count == 1


def test_reset_while_running_stops_first(qtbot, controllers):
    project = make_project()
    initial = values(project)
    controller = controllers(project)
    controller.train()
    with emitted(qtbot, controller.document.events.run_reset):
        controller.reset_weights()
    assert controller.document.run_state == STOPPED
    np.testing.assert_array_equal(values(project), initial)


def test_editing_while_paused_then_resuming_continues_from_the_current_weights(qtbot, controllers):
    project = make_project(hidden=(4,))
    controller = controllers(project)
    run_until(qtbot, controller, lambda s: s.step >= 10)
    hidden = project.network.layer_by_name("h1")
    project.network.insert_neuron(hidden.id)
    kept = values(project)
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == PAUSED):
        controller.step()
    trainer = controller.document.trainer()
    assert trainer.compiled.value.size == kept.size
    assert hidden.size == 5 and trainer.step_count >= 11
    applied = np.concatenate([p.delta.ravel() for _, p in project.network.parameters()])
    np.testing.assert_allclose(values(project), kept + applied, rtol=0, atol=1e-12)  # one step from the edit


def test_watching_a_weight_mid_run_records_its_series_from_then_on(qtbot, controllers):
    project = make_project()
    controller = controllers(project)
    seen = []
    controller.document.events.snapshot_published.connect(seen.append)
    controller.train()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].step > 5, timeout=WAIT)
    ref = first_weight_ref(project)
    controller.document.set_watched([ref])
    qtbot.waitUntil(lambda: bool(seen[-1].watched) and len(seen[-1].watched[0][2]) > 3, timeout=WAIT)
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == PAUSED):
        controller.pause()
    assert project.history.watched == [ref]
    series = project.history.weight_series(ref)
    w = project.network.param(ref.key)
    assert (series[-1, 1:] == [w.value[ref.index], w.grad[ref.index], w.delta[ref.index]]).all()
    assert series[0, 0] > 1  # recorded from the step after the request, not back-filled


def test_an_edit_that_removes_a_watched_weight_stops_watching_it(qtbot, controllers):
    project = make_project(hidden=(4,))
    controller = controllers(project)
    hidden = project.network.layer_by_name("h1")
    ref = WeightRef(project.network.incoming(hidden.id)[0].id, 0, 3)
    controller.document.set_watched([ref])
    assert project.history.watched == [ref]
    project.network.remove_neuron(hidden.id, 3)
    assert controller.document.watched == () and project.history.watched == []


def test_a_network_that_does_not_fit_the_data_is_refused_with_the_reason(qtbot, controllers):
    project = make_project(n_inputs=3)
    controller = controllers(project)
    with emitted(qtbot, controller.document.events.status_changed, lambda s: s.error) as blocker:
        controller.train()
    message = blocker[0].text
    assert "2 input columns" in message and "'in'" in message
    assert controller.document.run_state == STOPPED and controller.document.session.trainer_or_none is None


def test_shutdown_mid_run_stops_the_thread_and_keeps_a_consistent_model(qtbot, controllers):
    project = make_project()
    controller = controllers(project)
    run_until(qtbot, controller, lambda s: s.step >= 5)
    controller.train()
    thread = controller._thread
    controller.shutdown()
    assert thread.isFinished() and controller.document.run_state == PAUSED
    trainer = controller.document.trainer()
    assert project.history.losses.data()[-1, 0] == trainer.step_count
    assert math.isfinite(project.history.losses.data()[-1, 1])


@pytest.mark.parametrize("kind", ["train", "step"])
def test_the_final_snapshot_holds_copies_of_the_engine_state(qtbot, controllers, kind):
    project = make_project()
    controller = controllers(project)
    seen = []
    controller.document.events.snapshot_published.connect(seen.append)
    with emitted(qtbot, controller.document.events.run_state_changed, lambda s: s == RUNNING):
        getattr(controller, kind)()
    if kind == "train":
        qtbot.waitUntil(lambda: bool(seen) and seen[-1].step > 3, timeout=WAIT)
        controller.pause()
    qtbot.waitUntil(lambda: controller.document.run_state == PAUSED, timeout=WAIT)
    last = seen[-1]
    for c in project.network.connections.values():
        np.testing.assert_array_equal(last.grads[c.id], c.weight.grad)
        np.testing.assert_array_equal(last.weights[c.id], c.weight.value)
        assert not np.shares_memory(last.weights[c.id], c.weight.value)
    np.testing.assert_array_equal(last.losses, project.history.losses.data())
    assert last.boundary is not None and last.boundary.output.shape == (100, 100, 1)


def test_while_the_training_thread_lives_the_gil_changes_hands_faster_and_the_gui_thread_collects(qtbot, controllers):
    before = sys.getswitchinterval()
    controller = controllers(make_project())
    run_until(qtbot, controller, lambda s: s.step >= 5)
    assert sys.getswitchinterval() == SWITCH_INTERVAL and not gc.isenabled()
    controller.shutdown()
    assert sys.getswitchinterval() == before and gc.isenabled()


def test_a_resumed_run_keeps_the_pace_a_slow_gui_set(qtbot, controllers):
    """The worker spaces snapshots so the GUI's turns stay a small share of the time; after Pause and Resume it
    must not start over at 30 a second (every resume would then steal a burst of turns from training)."""
    controller = controllers(make_project())
    arrivals = []

    def slow_view(snapshot) -> None:
        if not snapshot.final:
            arrivals.append(time.perf_counter())
            time.sleep(0.04)  # a view that takes 40 ms to show a snapshot

    controller.document.events.snapshot_published.connect(slow_view)
    run_until(qtbot, controller, lambda snapshot: len(arrivals) >= 3)
    arrivals.clear()
    resumed = time.perf_counter()
    run_until(qtbot, controller, lambda snapshot: len(arrivals) >= 1)
    assert arrivals[0] - resumed > 5 * EMIT_INTERVAL  # paced by the 40 ms turns (~0.3 s), not by EMIT_INTERVAL


def evaluate_grid(controllers, monkeypatch, hidden: tuple[int, ...]):
    """(trainer, grid, boundary, the rows of each forward pass the grid's evaluation made) for a 2-input net."""
    from engine.compile import Compiled
    from engine.studio.snapshot import BoundaryGrid

    project = make_project(hidden=hidden)
    trainer = controllers(project).document.trainer()
    grid = BoundaryGrid(project.data.load()[0].X)
    rows = []
    forward = Compiled.forward
    monkeypatch.setattr(Compiled, "forward", lambda self, x: (rows.append(len(x)), forward(self, x))[1])
    boundary = grid.evaluate(trainer)
    monkeypatch.undo()
    return trainer, grid, boundary, rows


def test_the_boundary_grid_keeps_every_product_on_one_blas_thread(controllers, monkeypatch):
    """In one piece the grid woke OpenBLAS's second thread, which then spun against the worker (snapshot.py): each
    chunk's rows times the widest weight matrix stay under OpenBLAS's threading threshold, and the chunks together
    give the one-piece pass."""
    from engine.studio.snapshot import BLAS_ONE_THREAD

    trainer, grid, boundary, rows = evaluate_grid(controllers, monkeypatch, hidden=(16, 16))
    assert len(rows) > 1 and max(rows) * 16 * 16 <= BLAS_ONE_THREAD and sum(rows) == len(grid.points)
    whole = trainer.compiled.forward(grid.points).h[trainer.compiled.output_pos]
    np.testing.assert_allclose(boundary.output.reshape(-1, 1), whole, rtol=1e-12, atol=1e-15)


def test_a_net_too_wide_for_one_blas_thread_gets_its_grid_in_one_piece(controllers, monkeypatch):
    """Its training steps multithread anyway; in chunks of a few rows the grid only got slower (snapshot.py)."""
    _, grid, _, rows = evaluate_grid(controllers, monkeypatch, hidden=(128, 128))
    assert rows == [len(grid.points)]


def test_a_turn_hands_back_to_the_worker_even_when_painting_raises(controllers, monkeypatch):
    """Otherwise each turn would end only at the worker's timeout, and training would crawl."""
    import gui.training.controller as module

    controller = controllers(make_project("xor", hidden=(4,)))
    acknowledged = []

    class Worker:
        def acknowledge(self) -> None:
            acknowledged.append(1)

    monkeypatch.setattr(controller, "_worker", Worker())

    def paint_fails() -> None:
        raise RuntimeError("a view's paint failed")

    monkeypatch.setattr(module.QCoreApplication, "sendPostedEvents", staticmethod(paint_fails))
    with pytest.raises(RuntimeError, match="a view's paint failed"):
        controller._end_turn()
    assert acknowledged == [1]
