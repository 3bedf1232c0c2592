"""The read-out views on the real window: the fit plot of a 1-input regression (its curve is the engine's forward
pass, its residuals the targets minus the outputs) with R² and RMSE under the loss; the confusion matrix of a
classifier (its cells are counts of the network's predictions), whose cell, clicked with the mouse, rings exactly
its samples in the Data preview; and both showing a recorded step when the timeline goes back to it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from test_timeline_dock import drag_to, release
from test_training_support import WAIT, make_project
from test_training_ui import step_epochs

from engine import compiled
from engine.metrics import predicted_class
from engine.studio import RunState, SampleSelection
from engine.studio import document as document_module
from gui.panels.dataset_panel import scatter_coordinates


def regression(project_windows):
    return project_windows(make_project("sine", (8,), "mse", "identity", n_inputs=1, n_samples=200))


def counts(window, split: str) -> np.ndarray:
    """The confusion matrix counted here, from the network's outputs on the loaded data."""
    train, val = window.document.session.data()
    data = train if split == "train" else val
    predicted = predicted_class(compiled(window.network).predict(data.X))
    k = max(window.network.output_layer.size, 2)
    return np.array([[np.sum((data.y == i) & (predicted == j)) for j in range(k)] for i in range(k)])


def table_counts(view) -> np.ndarray:
    table = view.table
    return np.array([[int(table.item(i, j).text()) for j in range(table.columnCount())]
                     for i in range(table.rowCount())])


def show_dock(qtbot, window, name: str) -> None:
    dock = window._docks[name]
    dock.show()
    dock.raise_()
    qtbot.waitUntil(dock.isVisible, timeout=WAIT)


# ---------------------------------------------------------------------------------------------- the fit plot
def test_one_input_regression_shows_the_fit_plot_whose_curve_is_the_forward_pass(qtbot, project_windows):
    window = regression(project_windows)
    ui = window.training
    assert ui.plane.currentWidget() is ui.fit and window._docks["boundary"].windowTitle() == "Fit"
    step_epochs(qtbot, ui, 2)
    fit = ui.fit
    x, y = fit.curve.getData()
    assert len(x) == 200
    np.testing.assert_allclose(y, compiled(window.network).predict(x[:, None])[:, 0], rtol=1e-12)
    train, val = window.document.session.data()
    assert x[0] < train.X.min() and x[-1] > train.X.max()
    px, py = fit.train_points.getData()
    np.testing.assert_array_equal(px, train.X[:, 0])
    np.testing.assert_array_equal(py, train.y[:, 0])
    vx, _ = fit.val_points.getData()
    np.testing.assert_array_equal(vx, val.X[:, 0])
    assert fit.val_points.opts["symbol"] != fit.train_points.opts["symbol"]

    # residuals on demand: y − ŷ for each point, under the fit
    assert not fit.residual_plot.isVisible()
    QTest.mouseClick(fit.show_residuals, Qt.MouseButton.LeftButton)
    assert fit.residual_plot.isVisible()
    rx, ry = fit.train_residuals.getData()
    np.testing.assert_array_equal(rx, train.X[:, 0])
    np.testing.assert_allclose(ry, train.y[:, 0] - compiled(window.network).predict(train.X)[:, 0], rtol=1e-12)

    # R² and RMSE under the loss, by their formulas
    h = compiled(window.network).predict(val.X)[:, 0]
    r2 = 1 - np.sum((val.y[:, 0] - h) ** 2) / np.sum((val.y[:, 0] - val.y[:, 0].mean()) ** 2)
    text = ui.scores.text()
    assert ui.scores.isVisible() and text.startswith("R²: train ")
    assert f"validation {r2:.3f}" in text
    assert f"validation {np.sqrt(np.mean((val.y[:, 0] - h) ** 2)):.4g}" in text


def test_a_classifier_keeps_the_decision_boundary_and_hides_the_scores(qtbot, project_windows):
    window = project_windows(make_project())
    ui = window.training
    assert ui.plane.currentWidget() is ui.boundary
    assert window._docks["boundary"].windowTitle() == "Decision boundary"
    assert not ui.scores.isVisible()


# ---------------------------------------------------------------------------------------------- confusion matrix
@pytest.mark.parametrize("softmax", [False, True])
def test_the_confusion_matrix_counts_the_predictions_per_split(qtbot, project_windows, softmax):
    project = (make_project("blobs", (6,), "cross_entropy", "softmax", n_outputs=3) if softmax else make_project())
    window = project_windows(project)
    ui = window.training
    show_dock(qtbot, window, "confusion")
    step_epochs(qtbot, ui, 1)
    view = ui.confusion
    np.testing.assert_array_equal(table_counts(view), counts(window, "train"))
    view.split.setCurrentIndex(view.split.findData("validation"))
    np.testing.assert_array_equal(table_counts(view), counts(window, "validation"))
    assert view.table.rowCount() == (3 if softmax else 2)


def test_clicking_a_cell_rings_exactly_its_samples_in_the_data_preview(qtbot, project_windows):
    window = project_windows(make_project())
    ui = window.training
    show_dock(qtbot, window, "confusion")
    step_epochs(qtbot, ui, 1)
    view = ui.confusion
    train, _ = window.document.session.data()
    predicted = predicted_class(compiled(window.network).predict(train.X))
    # the cell of actual 1 predicted 0 (or, if the network already gets none wrong that way, actual 1 predicted 1)
    j = 0 if np.any((train.y == 1) & (predicted == 0)) else 1
    expected = tuple(int(s) for s in np.flatnonzero((train.y == 1) & (predicted == j)))
    assert expected
    table = view.table
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     table.visualItemRect(table.item(1, j)).center())
    picked = window.document.sample_selection
    assert picked.split == "train" and picked.indices == expected
    panel = ui.dataset_panel
    qtbot.waitUntil(panel.isVisible, timeout=WAIT)  # the Data dock came to the front
    x, y, _ = scatter_coordinates(train)
    rx, ry = panel.picked.getData()
    np.testing.assert_array_equal(rx, x[list(expected)])
    np.testing.assert_array_equal(ry, y[list(expected)])
    assert panel.picked in panel.preview.getPlotItem().items
    names = train.target_names  # the cells are named by class
    assert panel.picked_note.text() == (f"{len(expected)} training samples selected: actual {names[1]}, "
                                        f"predicted {names[j]}")

    # a new, smaller data set: the indices meant the old one, so the selection and its rings go
    window.document.select_samples(SampleSelection("train", (train.n_samples - 1,)))
    assert panel.picked_note.text().startswith("1 training sample selected")
    panel.param_boxes["n_samples"].setValue(40)
    assert window.document.session.data()[0].n_samples < train.n_samples
    assert window.document.sample_selection == SampleSelection()
    assert len(panel.picked.getData()[0]) == 0 and panel.picked_note.text() == ""
    assert not table.selectedItems()  # the clicked cell is no longer marked either

    # the keyboard: Enter on the current cell selects its samples too
    table.setFocus()
    table.setCurrentCell(0, 0)
    QTest.keyClick(table, Qt.Key.Key_Return)
    assert window.document.sample_selection.indices == view.confusion.samples(0, 0)



def test_costly_readouts_are_cleared_with_the_snapshot_and_shown_in_the_next_turn(qtbot, project_windows, monkeypatch):
    """Over `READ_OUT_AT_ONCE` an idle refresh leaves the read-outs to the next turn; until then the views show
    none, rather than a matrix of the old data whose cells would select samples that are gone."""
    monkeypatch.setattr(document_module, "READ_OUT_AT_ONCE", 0)
    window = project_windows(make_project())
    ui = window.training
    show_dock(qtbot, window, "confusion")
    step_epochs(qtbot, ui, 1)
    assert ui.confusion.confusion is not None
    ui.dataset_panel.param_boxes["n_samples"].setValue(40)  # new data: the refresh publishes without read-outs
    assert window.document.snapshot.readouts is None
    assert ui.confusion.confusion is None and ui.confusion.table.rowCount() == 0
    qtbot.waitUntil(lambda: ui.confusion.confusion is not None, timeout=WAIT)
    np.testing.assert_array_equal(table_counts(ui.confusion), counts(window, "train"))
    assert table_counts(ui.confusion).sum() == window.document.session.data()[0].n_samples

# ---------------------------------------------------------------------------------------------- the timeline
@pytest.mark.parametrize("kind", ["confusion", "fit"])
def test_both_views_show_a_recorded_step_and_come_back_live(qtbot, project_windows, kind):
    project = make_project(batch_size=16, n_samples=200) if kind == "confusion" else \
        make_project("sine", (8,), "mse", "identity", n_inputs=1, n_samples=200, batch_size=16)
    window = project_windows(project)
    ui = window.training
    show_dock(qtbot, window, "confusion" if kind == "confusion" else "boundary")
    step_epochs(qtbot, ui, 3)

    def shown():
        return table_counts(ui.confusion) if kind == "confusion" else ui.fit.curve.getData()[1].copy()

    def expected():
        if kind == "confusion":
            return counts(window, "train")
        return compiled(window.network).predict(ui.fit.curve.getData()[0][:, None])[:, 0]

    live = shown()
    np.testing.assert_allclose(live, expected(), rtol=1e-12)
    drag_to(qtbot, window, 2)
    assert window.document.viewing == 2
    past = shown()
    np.testing.assert_allclose(past, expected(), rtol=1e-12)  # the recorded step's weights are in the plan now
    assert not np.array_equal(past, live)
    release(window)
    qtbot.waitUntil(lambda: window.document.viewing is None, timeout=WAIT)
    np.testing.assert_array_equal(shown(), live)


def test_the_worker_takes_the_readouts_only_for_the_views_that_show_them(project_windows):
    """A regression: the fit plot (in the boundary's dock), the scores under the loss and the confusion matrix's
    note read them; the gradients (on the norms tab) and the edges do not. The views that read costly parts take
    turns of their own, one a snapshot that carries them."""
    window = regression(project_windows)
    ui = window.training
    ui.gradients.setCurrentWidget(ui.norms)
    parts = []
    ui.controller.request_parts = parts.append
    costly = []
    for _ in range(6):
        costly.append(ui._costly_view())
        ui.show_snapshot(dataclasses.replace(window.document.snapshot, final=False))  # it carries read-outs
    assert costly == ["loss", "boundary", "confusion"] * 2  # each in turn; never the gradients or the edges
    # one input: the dock shows the fit (read-outs), and there is no decision boundary's grid to ask for
    wanted = {"boundary": {"readouts"}, "loss": {"readouts"}, "confusion": {"readouts"}}
    assert parts == [frozenset(wanted[view]) for view in [*costly[1:], ui._costly_view()]]


def test_views_with_costly_parts_take_turns_whatever_the_step_of_the_slow_snapshots(qtbot, project_windows):
    """The worker takes the costly parts (boundary, read-outs) in a slow snapshot every 0.2 s. Asked for by the
    rotation of every view, they all went to one view whenever the slow snapshots fell in step with it (a slow one
    every fifth snapshot, five views shown): the others' parts never came, and the confusion matrix stood still."""
    window = project_windows(make_project())
    ui = window.training
    show_dock(qtbot, window, "confusion")
    show_dock(qtbot, window, "boundary")
    shown = [view for view, widget in ui._views.items() if widget.isVisible()]
    assert {"boundary", "confusion"} <= set(shown)
    requested: list[frozenset] = []
    ui.controller.request_parts = requested.append
    ui._request_parts()
    idle = window.document.snapshot
    got = {"boundary": 0, "confusion": 0}
    boundary, confusion = ui.boundary.set_boundary, ui.confusion.show_readouts
    ui.boundary.set_boundary = lambda *a: (got.__setitem__("boundary", got["boundary"] + 1), boundary(*a))
    ui.confusion.show_readouts = lambda r: (got.__setitem__("confusion", got["confusion"] + 1), confusion(r))
    for k in range(10 * len(shown)):
        slow = k % len(shown) == len(shown) - 1  # in step with the rotation
        asked = requested[-1]
        ui.show_snapshot(dataclasses.replace(  # what the worker takes: the parts asked for, in slow snapshots
            idle, final=False, boundary=idle.boundary if slow and "boundary" in asked else None,
            readouts=idle.readouts if slow and "readouts" in asked else None,
            watched=[] if slow and "watched" in asked else None))
    assert got["boundary"] >= 3 and got["confusion"] >= 3

@pytest.mark.parametrize("kind", ["confusion", "fit"])
def test_the_views_follow_live_snapshots_while_training(qtbot, project_windows, kind):
    """Not only the state a command ends in: while training runs, live snapshots carry read-outs to the view."""
    window = project_windows(make_project() if kind == "confusion" else
                             make_project("sine", (8,), "mse", "identity", n_inputs=1))
    ui = window.training
    show_dock(qtbot, window, "confusion" if kind == "confusion" else "boundary")
    view = ui.confusion if kind == "confusion" else ui.fit
    live = []
    window.document.events.snapshot_published.connect(
        lambda snap: live.append(snap.readouts) if not snap.final and snap.readouts is not None else None)
    shown = []
    real = view.show_readouts
    view.show_readouts = lambda readouts: (shown.append(readouts), real(readouts))
    ui.panel.run_actions["train"].trigger()
    qtbot.waitUntil(lambda: any(r is snap for r in shown for snap in live), timeout=WAIT)
    ui.panel.run_actions["pause"].trigger()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.PAUSED, timeout=WAIT)


def test_every_view_of_data_points_draws_training_discs_and_validation_diamonds(qtbot, project_windows):
    """The Data preview, the decision boundary and the fit plot mark the two splits alike (gui/colors.py); the
    preview's points are exactly the loaded data."""
    window = project_windows(make_project())
    panel, boundary = window.training.dataset_panel, window.training.boundary
    train, val = window.document.session.data()
    scatters = [item for item in panel.preview.getPlotItem().items if item is not panel.picked
                and hasattr(item, "data") and hasattr(item, "getData")]
    shown = {item.opts["symbol"]: item for item in scatters}
    assert set(shown) == {"o", "d"}
    for symbol, data in (("o", train), ("d", val)):
        x, y = shown[symbol].getData()
        np.testing.assert_array_equal(np.c_[x, y], np.c_[scatter_coordinates(data)[:2]])
    for symbol, item in (("o", boundary.points), ("d", boundary.test_points)):
        assert item.opts["symbol"] == symbol and item.opts["pen"] == shown[symbol].opts["pen"]
    fit = window.training.fit
    assert (fit.train_points.opts["symbol"], fit.val_points.opts["symbol"]) == ("o", "d")
