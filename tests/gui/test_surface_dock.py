"""Explore → Loss Surface on the real window: weights clicked on the canvas, the dock's pictures against the engine's
own numbers for the same batch, the run's path, and waiting while a run owns the network."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from test_document_window import WAIT, menu_action, press, short_budget, train_until_idle

from engine import BiasRef, WeightRef
from engine.studio import RunState
from engine.surface import gradient_slice, loss_surface
from gui.surface.install import POINTS, RUNNING_NOTE


def two_weights(window) -> tuple[WeightRef, WeightRef]:
    """A weight into the first hidden layer and one out of it (edge midpoints of one connection may coincide)."""
    first, second = list(window.network.connections.values())[:2]
    return WeightRef(first.id, 0, 0), WeightRef(second.id, 0, 0)


def select(canvas, *refs) -> None:
    canvas.click(canvas.weight(refs[0]))
    for ref in refs[1:]:
        canvas.click(canvas.weight(ref), Qt.KeyboardModifier.ControlModifier)


def engine_surface(window, refs):
    trainer = window.document.trainer()
    x, t = trainer.last_batch()
    return loss_surface(window.network, x, t, trainer.settings.loss, refs, points=POINTS)


def settled(qtbot, window) -> None:
    """The surface is computed off the GUI thread: wait for the result to be shown."""
    qtbot.waitUntil(lambda: not window.surface.pending, timeout=WAIT)


def show_surface(qtbot, window, canvas, refs) -> None:
    """Select `refs` on the canvas, Explore → Loss Surface, and wait for the picture."""
    select(canvas, *refs)
    menu_action(window, "Loss Surface").trigger()
    settled(qtbot, window)


def value(network, ref) -> float:
    if isinstance(ref, BiasRef):
        return float(network.layer(ref.layer).bias.value[ref.j])
    return float(network.connection(ref.conn).weight.value[ref.i, ref.j])


def test_two_clicked_weights_give_the_engines_loss_grid_with_the_current_point(qtbot, window, canvas):
    refs = two_weights(window)
    select(canvas, *refs)
    assert window.document.selection.weights == refs
    menu_action(window, "Loss Surface").trigger()
    settled(qtbot, window)
    panel = window.surface.panel
    assert window._docks["surface"].isVisible()
    assert panel.pages.currentWidget() is panel.plane
    expected = engine_surface(window, refs)
    np.testing.assert_array_equal(panel.image.image, expected.loss)
    assert panel.image.image.shape == (POINTS, POINTS)
    xs, ys = panel.point.getData()
    assert (xs[0], ys[0]) == (value(window.network, refs[0]), value(window.network, refs[1]))
    plane = panel.plane.getPlotItem()
    assert plane.getAxis("bottom").labelText == window.network.ref_name(refs[0])
    assert plane.getAxis("left").labelText == window.network.ref_name(refs[1])
    levels = sorted(item.level for item in panel.contours)
    assert expected.loss.min() < levels[0] < levels[-1] < expected.loss.max()
    assert "ms" in panel.caption.text() and "Train to see the path" in panel.caption.text()
    assert panel.path.getData()[0] is None or len(panel.path.getData()[0]) == 0


def test_the_path_of_two_watched_weights_is_drawn_and_a_finished_run_redraws(qtbot, window, canvas):
    refs = two_weights(window)
    select(canvas, *refs)
    window.document.set_watched(refs)
    menu_action(window, "Loss Surface").trigger()
    settled(qtbot, window)
    panel = window.surface.panel
    before = panel.image.image.copy()
    short_budget(window, 3)
    train_until_idle(qtbot, window)
    history = window.document.project.history
    a, b = (history.weight_series(ref) for ref in refs)
    assert len(a) > 1
    qtbot.waitUntil(lambda: not np.array_equal(panel.image.image, before), timeout=WAIT)  # the final snapshot
    np.testing.assert_array_equal(panel.image.image, engine_surface(window, refs).loss)
    px, py = panel.path.getData()
    np.testing.assert_array_equal(px, a[:, 1])
    np.testing.assert_array_equal(py, b[:, 1])
    xs, ys = panel.point.getData()
    assert (xs[0], ys[0]) == (value(window.network, refs[0]), value(window.network, refs[1]))
    assert (px[-1], py[-1]) == pytest.approx((xs[0], ys[0]))  # the path ends where the weights are now
    assert "Train to see the path" not in panel.caption.text()


def test_the_path_of_two_unwatched_weights_comes_from_the_timeline_s_recorded_steps(qtbot, window, canvas):
    refs = two_weights(window)
    show_surface(qtbot, window, canvas, refs)
    panel = window.surface.panel
    short_budget(window, 3)
    train_until_idle(qtbot, window)
    recorder, plan = window.document.recorder, window.document.trainer().compiled
    steps = recorder.steps()
    assert len(steps) > 1 and not set(refs) & set(window.document.project.history.watched)
    qtbot.waitUntil(lambda: panel.path.getData()[0] is not None and len(panel.path.getData()[0]) == len(steps),
                    timeout=WAIT)
    px, py = panel.path.getData()
    for k, step in enumerate(steps):  # each point is the frame's own weights (its flat w buffer) at that step
        weights = recorder.frame(step).buffers[: plan.value.size]
        assert (px[k], py[k]) == (weights[plan.flat_index(refs[0])], weights[plan.flat_index(refs[1])])
    assert (px[-1], py[-1]) == (value(window.network, refs[0]), value(window.network, refs[1]))


def test_one_weight_gives_the_loss_along_it_and_the_gradient_step(qtbot, window, canvas):
    ref = two_weights(window)[0]
    select(canvas, ref)
    press(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    settled(qtbot, window)
    panel = window.surface.panel
    assert panel.pages.currentWidget() is panel.line_page
    expected = engine_surface(window, [ref])
    xs, ys = panel.along_curve.getData()
    np.testing.assert_array_equal(xs, expected.axes[0])
    np.testing.assert_array_equal(ys, expected.loss)
    assert panel.along_point.getData()[0][0] == value(window.network, ref)
    trainer = window.document.trainer()
    x, t = trainer.last_batch()
    step = gradient_slice(window.network, x, t, trainer.settings.loss, trainer.lr)
    ts, losses = panel.step_curve.getData()
    np.testing.assert_array_equal(ts, step.t)
    np.testing.assert_array_equal(losses, step.loss)
    marked_t, marked_loss = panel.step_points.getData()
    assert list(marked_t) == [0.0, 1.0]
    assert marked_loss[1] == step.loss[list(step.t).index(1.0)]
    assert panel.sgd_line.value() == 1.0
    assert marked_loss[0] == pytest.approx(expected.center_loss)  # t = 0 is the current point of both curves


def test_a_neurons_bias_counts_and_three_parameters_are_refused(qtbot, window, canvas):
    net = window.network
    hidden = net.layers_of_kind("hidden")[0]
    canvas.click(canvas.neuron(hidden.id, 0))
    menu_action(window, "Loss Surface").trigger()
    settled(qtbot, window)
    panel = window.surface.panel
    assert panel.pages.currentWidget() is panel.line_page
    assert panel.along_point.getData()[0][0] == value(net, BiasRef(hidden.id, 0))
    select(canvas, *two_weights(window))
    canvas.click(canvas.neuron(hidden.id, 0), Qt.KeyboardModifier.ControlModifier)
    window.surface.compute()
    settled(qtbot, window)
    assert panel.pages.currentWidget() is panel.empty
    assert "3 weights and biases are selected" in panel.empty.text()


def test_while_training_runs_the_dock_waits_and_computes_at_the_pause(qtbot, window, canvas):
    refs = two_weights(window)
    show_surface(qtbot, window, canvas, refs)
    panel = window.surface.panel
    short_budget(window, 100_000)
    press(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.document.run_state is RunState.RUNNING, timeout=WAIT)
    assert panel.notice.isVisible() and panel.notice.text() == RUNNING_NOTE
    assert "Pause training to compute" in RUNNING_NOTE
    shown = panel.image.image.copy()
    menu_action(window, "Loss Surface").trigger()  # asked while running: it still waits
    np.testing.assert_array_equal(panel.image.image, shown)
    press(window, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: window.document.run_state is RunState.PAUSED, timeout=WAIT)
    qtbot.waitUntil(lambda: not panel.notice.isVisible(), timeout=WAIT)
    settled(qtbot, window)
    np.testing.assert_array_equal(panel.image.image, engine_surface(window, refs).loss)


def grab(qtbot, window, path: str):
    """Open the dock floating at a readable size and save what it shows (for a person to look at)."""
    menu_action(window, "Loss Surface").trigger()
    settled(qtbot, window)
    dock = window._docks["surface"]
    dock.setFloating(True)
    dock.resize(760, 420)
    qtbot.wait(50)
    image = dock.grab().toImage()
    assert image.save(path)
    return image


def test_the_dock_grabbed_to_a_png_shows_the_landscape(qtbot, window, canvas):
    refs = two_weights(window)
    select(canvas, *refs)
    window.document.set_watched(refs)
    short_budget(window, 5)
    train_until_idle(qtbot, window)
    image = grab(qtbot, window, "/tmp/surface-dock.png")
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20  # a coloured landscape, not a blank panel


def test_one_weights_curves_grabbed_to_a_png(qtbot, window, canvas):
    select(canvas, two_weights(window)[1])
    grab(qtbot, window, "/tmp/surface-dock-1d.png")


def test_the_surface_is_computed_off_the_gui_thread_and_a_stale_one_is_dropped(qtbot, window, canvas, monkeypatch):
    """The engine call waits for the test's go-ahead: the GUI thread keeps running meanwhile, and a surface of a
    selection changed during the computation is never shown (a 1M-weight net's grid takes 0.5–1.3 s)."""
    import threading

    from gui.surface import install
    go, calls = threading.Event(), []
    real = install.loss_surface

    def held(network, x, t, loss, refs, **kwargs):
        calls.append((refs, threading.current_thread()))
        go.wait(5.0)
        return real(network, x, t, loss, refs, **kwargs)

    monkeypatch.setattr(install, "loss_surface", held)
    panel = window.surface.panel
    planes: list[object] = []
    show_plane = panel.show_plane
    monkeypatch.setattr(panel, "show_plane", lambda *args: (planes.append(args), show_plane(*args)))
    first, second = two_weights(window)
    select(canvas, first, second)
    menu_action(window, "Loss Surface").trigger()
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=WAIT)
    assert calls[0][1] is not threading.main_thread() and window.surface.pending
    ticks: list[int] = []
    qtbot.waitUntil(lambda: ticks.append(1) or len(ticks) > 5, timeout=WAIT)  # the event loop turns meanwhile
    select(canvas, first)  # a new question while the first grid is still on its way
    # stale at once, not when the zero timer fires: a loaded machine delivers the finished grid's queued result
    # before a zero timer, and the old grid would be drawn for the new question
    assert not window.surface.worker.busy
    go.set()
    # the stale grid arrives before the event loop turns again (as on a busy machine): Qt hands over a queued
    # result before it fires the timer that recomputes, so the new question must already have made it stale
    window.surface.worker._pool.waitForDone(WAIT)
    settled(qtbot, window)
    assert [refs for refs, _ in calls] == [(first, second), (first,)]
    assert planes == []  # the two-weight grid arrived after the question changed: dropped, never drawn
    assert panel.pages.currentWidget() is panel.line_page  # the one-weight answer, not the stale two-weight grid
    xs, _ = panel.along_curve.getData()
    np.testing.assert_array_equal(xs, engine_surface(window, [first]).axes[0])


def test_under_a_penalty_the_dock_shows_the_objective_training_minimises(qtbot, window, canvas):
    """The Training panel's L2 reaches the surface: the picture is the engine's data loss + penalty grid, and the
    caption says the penalty is in it."""
    from engine.regularization import Penalty

    refs = two_weights(window)
    show_surface(qtbot, window, canvas, refs)
    data_only = engine_surface(window, refs)
    window.training.panel.penalty.edited.emit(Penalty("l2", 0.5))  # as the panel's editor does
    assert window.project.settings.penalty == Penalty("l2", 0.5)
    window.surface.compute()
    settled(qtbot, window)
    trainer = window.document.trainer()
    x, t = trainer.last_batch()
    expected = loss_surface(window.network, x, t, trainer.settings.loss, refs, points=POINTS,
                            penalty=Penalty("l2", 0.5))
    np.testing.assert_array_equal(window.surface.panel.image.image, expected.loss)
    assert np.all(expected.loss > data_only.loss)  # every point pays the penalty of the weights
    assert f"penalty {expected.penalty:.4g}" in window.surface.panel.caption.text()
