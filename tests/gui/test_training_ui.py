"""The training docks of the main window: buttons and shortcuts drive the engine, views show what it recorded."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from conftest import Canvas
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QMessageBox
from test_training_support import WAIT, emitted, first_weight_ref, make_project

from engine.project import DataSpec
from engine.studio import RunState
from gui.colors import N_BINS, log_scale, to_bins
from gui.plots.boundary import THUMBNAIL_PIXELS
from gui.training.controller import REFRESH_DELAY_MS

PAUSED, RUNNING, STOPPED = RunState.PAUSED, RunState.RUNNING, RunState.STOPPED


@pytest.fixture
def docks(project_windows):
    """The main window on a small project, with its training feature."""

    def make(project=None):
        window = project_windows(project or make_project())
        return window, window.training

    return make


def expected_bins(window, per_connection, normalisation="global"):
    """Colour bins of the canvas's edges for |values| on a log scale, computed here from the values alone."""
    edges = window.scene.edge_layer.edges
    values, _ = edges.gather(per_connection)
    groups = [slice(0, len(values))] if normalisation == "global" else list(edges.slices.values())
    return np.concatenate([to_bins(log_scale(np.abs(values[sl]))[0]) for sl in groups])


def wait_state(qtbot, ui, state):
    qtbot.waitUntil(lambda: ui.document.run_state == state, timeout=WAIT)


def train_a_while(qtbot, ui, steps=30):
    """Train from the panel's button until the snapshot says `steps`, then pause from its button."""
    seen = []
    ui.document.events.snapshot_published.connect(seen.append)
    ui.panel.run_actions["train"].trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].step >= steps, timeout=WAIT)
    ui.panel.run_actions["pause"].trigger()
    wait_state(qtbot, ui, PAUSED)
    ui.document.events.snapshot_published.disconnect(seen.append)


def step_epochs(qtbot, ui, n):
    """Press Step epoch n times: a known number of steps (10 an epoch here), however fast the machine."""
    for epoch in range(ui.document.trainer().epoch + 1, ui.document.trainer().epoch + n + 1):
        ui.panel.run_actions["step_epoch"].trigger()
        qtbot.waitUntil(lambda e=epoch: ui.document.trainer().epoch == e and ui.document.run_state == PAUSED,
                        timeout=WAIT)


def test_install_adds_the_docks_and_the_shortcuts(docks):
    window, ui = docks()
    names = {dock.objectName() for dock in window.findChildren(QDockWidget) if dock.isVisible()}
    assert {"training", "dataset", "edge_colours", "loss", "gradients", "boundary"} <= names
    shortcuts = {name: action.shortcut().toString() for name, action in ui.panel.run_actions.items()}
    assert shortcuts == {"train": "F5", "pause": "F6", "step": "F10", "step_epoch": "Shift+F10", "stop": "Shift+F5",
                         "reset": "Ctrl+Shift+R"}
    menus = {action.text(): action.menu() for action in window.menuBar().actions()}
    assert list(menus)[:4] == ["&File", "&Edit", "&View", "&Training"] and list(menus)[-1] == "&Help"
    actions = menus["&Training"].actions()
    assert actions[:len(ui.panel.run_actions)] == list(ui.panel.run_actions.values())
    assert actions[len(ui.panel.run_actions) + 1:] == ui.timeline.menu_actions


def test_the_keyboard_shortcuts_run_pause_and_step(qtbot, docks):
    window, ui = docks()
    QTest.keyClick(window, Qt.Key.Key_F10)
    wait_state(qtbot, ui, PAUSED)
    assert ui.document.trainer().step_count == 1
    QTest.keyClick(window, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: ui.document.trainer().epoch == 1 and ui.document.run_state == PAUSED, timeout=WAIT)
    QTest.keyClick(window, Qt.Key.Key_F5)
    wait_state(qtbot, ui, RUNNING)
    QTest.keyClick(window, Qt.Key.Key_F6)
    wait_state(qtbot, ui, PAUSED)
    QTest.keyClick(window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    wait_state(qtbot, ui, STOPPED)


def test_the_canvas_is_locked_exactly_while_training_runs(qtbot, docks):
    window, ui = docks()
    locks: list[bool] = []
    window.document.events.run_state_changed.connect(lambda _state: locks.append(window.scene.structure_locked))
    assert not window.is_modified()
    train_a_while(qtbot, ui)
    assert True in locks
    assert locks[-1] is False
    assert window.is_modified() and window.windowTitle().startswith("Untitled[*]")  # trained weights are unsaved work
    assert ui.panel.run_actions["train"].text() == "Resume"
    assert ui.panel.loss.isEnabled()  # paused: every setting is editable again


def test_the_loss_plot_shows_the_engines_history(qtbot, docks):
    window, ui = docks()
    step_epochs(qtbot, ui, 4)
    history = window.project.history
    losses, epochs = history.losses.data(), history.epochs.data()
    assert len(losses) == 40 and len(epochs) == 4  # 160 training samples in batches of 16; nothing decimated
    x, y = ui.loss.batch_curve.getData()
    np.testing.assert_array_equal(x, losses[:, 0])
    np.testing.assert_array_equal(y, losses[:, 1])
    x, y = ui.loss.val_curve.getData()
    np.testing.assert_array_equal(x, epochs[:, 1])
    np.testing.assert_array_equal(y, epochs[:, 4])
    x, y = ui.loss.train_metric_curve.getData()
    np.testing.assert_array_equal(y, epochs[:, 3])
    ui.loss.log_y.setChecked(True)
    np.testing.assert_allclose(ui.loss.batch_curve.getData()[1], np.log10(losses[:, 1]))
    step = int(losses[17, 0])
    assert f"step {step}: batch loss {losses[17, 1]:.6g}" in ui.loss.hover_text(step + 0.3)


def test_a_long_history_is_drawn_with_its_extremes(qtbot, docks):
    _, ui = docks()
    n = 20_000
    losses = np.column_stack([np.arange(1, n + 1), np.linspace(1.0, 0.1, n)])
    losses[12_345, 1] = 7.0  # a spike must survive the decimation
    ui.loss.set_history(losses, np.zeros((0, 6)), "accuracy")
    x, y = ui.loss.batch_curve.getData()
    assert len(x) <= 601 and y.max() == 7.0 and x[np.argmax(y)] == 12_346
    assert x[-1] == n and y.min() == losses[-1, 1]


def test_reset_weights_starts_a_new_curve(qtbot, docks):
    _, ui = docks()
    train_a_while(qtbot, ui)
    with emitted(qtbot, ui.document.events.run_reset):
        ui.panel.run_actions["reset"].trigger()
    assert len(ui.loss.batch_curve.getData()[0] or []) == 0
    assert ui.panel.run_actions["train"].text() == "Train"


def test_a_watched_weights_plotted_series_is_the_engines_gradient_history(qtbot, docks):
    window, ui = docks()
    refs = [first_weight_ref(window.project, k) for k in (0, 11)]  # the outermost edges: nothing crosses there
    canvas = Canvas(window)
    canvas.click(canvas.weight(refs[0]))
    canvas.click(canvas.weight(refs[1]), Qt.KeyboardModifier.ControlModifier)
    assert window.scene.selected_weight_refs() == refs
    ui.weights.watch_requested.emit()  # the "Watch selected weights" button
    step_epochs(qtbot, ui, 3)  # 30 steps: every point plotted, none decimated
    history = window.project.history
    assert history.watched == refs
    for ref in refs:
        series = history.weight_series(ref)
        assert len(series) == 30
        for q, item in enumerate(ui.weights.curves[ref]):
            x, y = item.getData()
            np.testing.assert_array_equal(x, series[:, 0])
            np.testing.assert_array_equal(y, series[:, q + 1])
    names = [item.opts["name"] for item in (ui.weights.curves[ref][0] for ref in refs)]
    assert names == [window.project.network.ref_name(ref) for ref in refs] == ["in[0] → h1[0]", "in[1] → h1[5]"]
    ui.weights.unwatch_requested.emit()
    qtbot.waitUntil(lambda: not ui.weights.curves, timeout=WAIT)
    assert history.watched == []


class _PaintLog(QObject):
    """Notes each paint of the widgets it filters, in one log with the other events of a turn."""

    def __init__(self, log: list, name: str):
        super().__init__()
        self.log, self.name = log, name

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.log.append(("paint", self.name))
        return False


def test_a_live_turn_paints_its_view_before_the_worker_goes_on(qtbot, docks, monkeypatch):
    """Painting after the hand-back would fight the training thread for the GIL (see controller._end_turn)."""
    from gui.training.worker import TrainingWorker

    _, ui = docks()
    log: list = []
    monkeypatch.setattr(TrainingWorker, "acknowledge", lambda self: (log.append(("ack",)), self._delivered.set()))
    shown = ui._show_loss
    monkeypatch.setattr(ui, "_show_loss", lambda snap: (log.append(("shown", "loss")), shown(snap)))
    painted = _PaintLog(log, "loss")
    ui.loss.loss_plot.viewport().installEventFilter(painted)
    train_a_while(qtbot, ui, steps=1)
    ui.panel.run_actions["train"].trigger()
    qtbot.waitUntil(lambda: log.count(("shown", "loss")) >= 3, timeout=WAIT)
    ui.panel.run_actions["pause"].trigger()
    wait_state(qtbot, ui, PAUSED)
    turns = [i for i, entry in enumerate(log) if entry == ("shown", "loss")]
    acks = [i for i, entry in enumerate(log) if entry == ("ack",)]
    live = [(i, next(j for j in acks if j > i)) for i in turns if any(j > i for j in acks)]
    assert len(live) >= 2
    for start, ack in live:
        assert ("paint", "loss") in log[start:ack], log[start : ack + 1]


def test_the_worker_computes_the_costly_parts_only_for_the_views_that_show_them_in_turn(docks):
    _, ui = docks()
    parts = []
    ui.controller.request_parts = parts.append
    ui.gradients.setCurrentWidget(ui.weights)
    costly = []
    for _ in range(8):
        costly.append(ui._costly_view())
        ui.show_snapshot(dataclasses.replace(ui.document.snapshot, final=False))  # it carries every costly part
    visible = [v for v, widget in ui._views.items() if widget.isVisible()]
    assert "boundary" in visible and "gradients" in visible
    wanted = {"boundary": {"boundary"}, "gradients": {"watched"}, "confusion": {"readouts"}}
    readers = [view for view in visible if view in wanted]
    assert costly == [readers[k % len(readers)] for k in range(8)]
    assert parts == [frozenset(wanted[view]) for view in [*costly[1:], ui._costly_view()]]


def test_watch_without_a_selection_says_what_to_do(docks):
    _, ui = docks()
    ui.weights.watch_requested.emit()
    assert "Select one or more weights" in ui.panel.message.text()


def test_the_edge_colours_follow_the_gradients(qtbot, docks):
    window, ui = docks()
    train_a_while(qtbot, ui)
    net, scene = window.project.network, window.scene
    grads = {c.id: c.weight.grad for c in net.connections.values()}
    assert scene.edge_layer.mode == "magnitude"
    np.testing.assert_array_equal(scene.edge_bins(), expected_bins(window, grads))
    flat = np.concatenate([g.ravel() for g in grads.values()])
    lo, hi = np.abs(flat).min(), np.abs(flat).max()
    qtbot.waitUntil(lambda: ui.edges.colorbar.range == pytest.approx((np.log10(lo), np.log10(hi))), timeout=WAIT)
    ui.edges.normalisation.setCurrentIndex(ui.edges.normalisation.findData("connection"))
    np.testing.assert_array_equal(scene.edge_bins(), expected_bins(window, grads, "connection"))
    ui.edges.quantity.setCurrentIndex(ui.edges.quantity.findData("weight"))
    assert scene.edge_layer.mode == "signed"
    weights, _ = scene.edge_layer.edges.gather({c.id: c.weight.value for c in net.connections.values()})
    bins = scene.edge_bins()
    # the signed scale is symmetric around 0 (the middle bin), per connection here: not around half the largest
    # bin, which is below N_BINS - 1 when every connection's largest |w| is negative (that made this flaky)
    assert np.all(bins[weights > 0] >= N_BINS // 2) and np.all(bins[weights < 0] < N_BINS // 2)
    ui.edges.width_by_weight.setChecked(True)
    widths = scene.edge_layer.widths
    assert widths is not None and widths[np.argmax(np.abs(weights))] > widths[np.argmin(np.abs(weights))]
    ui.edges.width_by_weight.setChecked(False)
    assert scene.edge_layer.widths is None


def test_the_colour_bar_listens_to_the_scene(docks):
    window, ui = docks()
    ui.edges.colorbar.set_values(np.array([1e-6, 1e-2]))  # after a step: the caption gives the scale
    window.scene.color_scale_changed.emit(1e-6, 1e-2, "magnitude")
    assert ui.edges.colorbar.range == pytest.approx((-6.0, -2.0))
    assert "1e-06 to 0.01" in ui.edges.colorbar.caption.text()
    window.scene.color_scale_changed.emit(-0.5, 0.5, "signed")
    assert ui.edges.colorbar.range == (-0.5, 0.5)


def test_the_decision_boundary_is_the_networks_output_over_the_plane(qtbot, docks):
    window, ui = docks(make_project(hidden=(3,)))
    net = window.project.network
    image = ui.boundary.image.image
    assert image.shape == (100, 100)
    x0, x1, y0, y1 = ui.document.session.grid().extent
    g1, g2 = np.meshgrid(np.linspace(x0, x1, 100), np.linspace(y0, y1, 100))
    inp, hid, out = (net.layer_by_name(name) for name in ("in", "h1", "out"))
    w1, w2 = net.find_connection(inp.id, hid.id).weight.value, net.find_connection(hid.id, out.id).weight.value
    h = np.tanh(np.column_stack([g1.ravel(), g2.ravel()]) @ w1 + hid.bias.value)
    expected = 1 / (1 + np.exp(-(h @ w2 + out.bias.value)))
    np.testing.assert_allclose(image, expected.reshape(100, 100), rtol=1e-12, atol=1e-12)
    assert ui.boundary.thumbnail_names == ["h1[0]", "h1[1]", "h1[2]"]
    step = math.ceil(100 / THUMBNAIL_PIXELS)  # thumbnails show every step-th grid point
    for k in range(3):  # each neuron scaled by its own largest |value|, so 0 is the map's middle for all
        tile = h[:, k].reshape(100, 100)[::step, ::step]
        np.testing.assert_allclose(ui.boundary.mosaic.tile(k), tile / np.abs(tile).max(), atol=1e-12)
    (y0, x0), (y1, x1), (y2, x2) = ui.boundary.mosaic.origins  # two columns, the first neuron at the top left
    assert y0 == y1 > y2 and x0 == x2 < x1
    shown = ui.boundary.thumbnails.image
    assert np.isnan(shown).sum() == shown.size - 3 * tile.size  # nothing but the tiles is painted
    train, _, _ = window.project.data.load()
    np.testing.assert_array_equal(ui.boundary.points.getData()[0], train.X[:, 0])


def test_a_learning_rate_typed_in_the_panel_mid_run_reaches_the_engine(qtbot, docks):
    window, ui = docks()
    seen = []
    ui.document.events.snapshot_published.connect(seen.append)
    ui.panel.run_actions["train"].trigger()
    wait_state(qtbot, ui, RUNNING)
    ui.panel.lr.setValue(0.0123)
    ui.panel.batch_size.setValue(7)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].lr == 0.0123 and seen[-1].batch_size == 7, timeout=WAIT)
    assert not ui.panel.optimizer.isEnabled() and not ui.panel.loss.isEnabled()  # the rest waits for a pause
    ui.panel.run_actions["pause"].trigger()
    wait_state(qtbot, ui, PAUSED)
    assert ui.document.trainer().lr == 0.0123 and window.project.settings.batch_size == 7


def test_settings_changed_while_paused_apply_to_the_next_run(qtbot, docks):
    window, ui = docks()
    train_a_while(qtbot, ui)
    before = ui.document.trainer()
    steps = before.step_count
    ui.panel.optimizer.setCurrentIndex(ui.panel.optimizer.findData("sgd"))
    ui.panel.hyper["momentum"].setValue(0.9)
    assert window.project.settings.optimizer_params == {"lr": 0.05, "momentum": 0.9}
    with emitted(qtbot, ui.document.events.run_state_changed, lambda s: s == PAUSED):
        ui.panel.run_actions["step"].trigger()
    trainer = ui.document.trainer()
    assert trainer is not before and trainer.optimizer.name == "sgd" and trainer.optimizer.hyper["momentum"] == 0.9
    assert trainer.step_count == steps + 1  # the same curve goes on


def test_a_diverging_run_is_shown_in_red_and_pauses(qtbot, docks):
    project = make_project("sine", hidden=(8,), loss="mse", out_activation="identity", optimizer="sgd", lr=1e6,
                           n_inputs=1)
    window, ui = docks(project)
    ui.panel.run_actions["train"].trigger()
    wait_state(qtbot, ui, PAUSED)
    assert "diverged at step" in ui.panel.message.text() and "#b2182b" in ui.panel.message.styleSheet()
    assert "diverged at step" in window.statusBar().currentMessage()
    assert ui.plane.currentWidget() is ui.fit and ui.fit.isVisible()  # one input: the fit plot, not a boundary
    assert "nan" in ui.scores.text() or "inf" in ui.scores.text()  # the diverged network's scores say so


def test_choosing_another_data_set_reloads_the_trainer_and_the_points(qtbot, docks):
    window, ui = docks()
    panel = ui.dataset_panel
    old_trainer = ui.document.trainer()
    panel.source.setCurrentIndex(panel.source.findData("generator:moons"))
    assert window.project.data == DataSpec("generator", "moons", {"n_samples": 300, "noise": 0.1, "seed": 0})
    train, _, _ = window.project.data.load()
    qtbot.waitUntil(lambda: len(ui.boundary.points.getData()[1]) == train.n_samples, timeout=WAIT)
    np.testing.assert_array_equal(ui.boundary.points.getData()[1], train.X[:, 1])
    assert window.is_modified()
    assert ui.document.trainer() is not old_trainer and len(ui.document.trainer().x) == train.n_samples
    panel.param_boxes["n_samples"].setValue(1)  # refused by the generator: nothing changes, the reason shows
    assert "n_samples must be an integer of at least 2" in panel.error.text()
    assert window.project.data.params["n_samples"] == 300


def test_the_data_panel_is_locked_while_training(qtbot, docks):
    _, ui = docks()
    ui.panel.run_actions["train"].trigger()
    wait_state(qtbot, ui, RUNNING)
    assert not ui.dataset_panel.isEnabled()
    ui.panel.run_actions["stop"].trigger()
    wait_state(qtbot, ui, STOPPED)
    assert ui.dataset_panel.isEnabled()


def test_closing_the_window_mid_training_stops_the_thread_and_offers_to_save(qtbot, docks, monkeypatch):
    window, ui = docks()
    asked = []
    discard = QMessageBox.StandardButton.Discard
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kw: asked.append(args[1]) or discard)
    ui.panel.run_actions["train"].trigger()
    wait_state(qtbot, ui, RUNNING)
    thread = ui.controller._thread
    assert window.close()
    assert thread.isFinished() and ui.controller._thread is None
    assert ui.document.run_state == PAUSED
    assert asked == ["Unsaved changes"]  # the trained weights are not thrown away silently


def test_a_new_project_replaces_the_old_one_everywhere(qtbot, docks):
    window, ui = docks()
    ui.panel.run_actions["train"].trigger()
    wait_state(qtbot, ui, RUNNING)
    other = make_project("xor", hidden=(5,), lr=0.2)
    window.set_project(other)
    assert ui.document.run_state == STOPPED and ui.document.project is other
    assert ui.panel.lr.value() == 0.2 and ui.dataset_panel.source.currentData() == "generator:xor"
    with emitted(qtbot, ui.document.events.run_state_changed, lambda s: s == PAUSED):
        ui.panel.run_actions["step"].trigger()
    assert other.history.losses.count == 1



def test_a_large_project_is_shown_first_and_its_first_snapshot_follows_in_a_turn_of_its_own(qtbot, docks,
                                                                                             monkeypatch):
    """Over `REFRESH_APART` weights the turn that shows an opened project leaves the first snapshot (its trainer,
    the timeline's first frame, the copies of the weights: 40 ms of a 1M-weight network's 90 ms turn) to the next;
    until then the views show the new project with no snapshot, nothing of the old one."""
    import gui.main_window as main_window

    monkeypatch.setattr(main_window, "REFRESH_APART", 0)
    window, ui = docks()
    with emitted(qtbot, ui.document.events.run_state_changed, lambda s: s == PAUSED):
        ui.panel.run_actions["step"].trigger()
    assert len(ui.loss.batch_curve.getData()[0]) == 1
    seen: list = []
    ui.document.events.snapshot_published.connect(seen.append)
    other = make_project("xor", hidden=(5,), lr=0.2)
    window.set_project(other)
    assert ui.document.project is other and ui.document.snapshot is None and seen == []
    steps, _ = ui.loss.batch_curve.getData()
    assert steps is None or len(steps) == 0  # nothing of the old project's run
    qtbot.waitUntil(lambda: ui.document.snapshot is not None, timeout=WAIT)
    ui.document.events.snapshot_published.disconnect(seen.append)
    assert len(seen) == 1 and seen[0].step == 0 and len(seen[0].grads) == len(other.network.connections)
    with emitted(qtbot, ui.document.events.run_state_changed, lambda s: s == PAUSED):
        ui.panel.run_actions["step"].trigger()
    assert other.history.losses.count == 1

def test_opening_a_project_publishes_its_snapshot_once(qtbot, docks):
    """Opening schedules a refresh for the new watch list, then publishes: that snapshot shows it already, and a
    second refresh would redo the forward pass (65–84 ms on a 1M-weight network)."""
    window, ui = docks()
    seen: list = []
    ui.document.events.snapshot_published.connect(seen.append)
    window.set_project(make_project())
    qtbot.wait(4 * REFRESH_DELAY_MS)
    ui.document.events.snapshot_published.disconnect(seen.append)
    assert len(seen) == 1 and seen[0].step == 0
    window.document.set_watched([first_weight_ref(window.project)])  # a later change still refreshes
    with emitted(qtbot, ui.document.events.snapshot_published) as later:
        pass
    assert later and [ref for ref, _name, _rows in later[0].watched] == [first_weight_ref(window.project)]
