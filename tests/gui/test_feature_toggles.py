"""The Data dock's input-feature toggles: one undoable edit of the data and the input layer, its weights kept or
restored exactly, the new column trained on, and the input neurons named after their features on the canvas."""

from __future__ import annotations

import numpy as np
import pytest
from test_explorer_support import open_explorer, plain, wait_for
from test_training_support import WAIT, make_project

from engine import WeightRef
from engine.datasets import FEATURES, split
from engine.project import load_project, save_project
from engine.studio import RunState, Selection


@pytest.fixture
def circles(project_windows):
    return project_windows(make_project("circles"))


def first_weights(window) -> np.ndarray:
    net = window.network
    return net.outgoing(net.input_layer.id)[0].weight.value.copy()


def toggle(window, name: str) -> None:
    window.training.dataset_panel.features.boxes[name].click()


def test_a_toggle_adds_a_column_and_a_neuron_as_one_undoable_edit(circles):
    window = circles
    before = first_weights(window)
    toggle(window, "x1²")
    assert window.project.data.features == ("x1", "x2", "x1²")
    assert window.network.input_layer.size == 3
    assert window.document.trainer().x.shape[1] == 3
    after = first_weights(window)
    np.testing.assert_array_equal(after[:2], before)  # x1 and x2 keep their weights; x1² gets a new row
    assert np.all(after[2] != 0) and np.all(np.abs(after[2]) < 2)
    assert window.undo_stack.count() == 1 and window.undo_stack.undoText() == "Add the input feature x1²"
    assert window.is_modified()

    window.scene.undo()
    assert window.project.data.features == () and window.network.input_layer.size == 2
    assert window.document.trainer().x.shape[1] == 2
    np.testing.assert_array_equal(first_weights(window), before)
    assert not window.training.dataset_panel.features.boxes["x1²"].isChecked()

    window.scene.redo()  # the same weights as the first time, not a fresh draw
    assert window.project.data.features == ("x1", "x2", "x1²")
    np.testing.assert_array_equal(first_weights(window), after)
    assert window.training.dataset_panel.features.boxes["x1²"].isChecked()


def test_turning_a_feature_off_removes_its_row_and_undo_puts_it_back(circles):
    window = circles
    toggle(window, "x1·x2")
    toggle(window, "sin x1")
    assert window.project.data.features == ("x1", "x2", "x1·x2", "sin x1")
    before = first_weights(window)
    toggle(window, "x1")  # the first column: every other row moves up one place, unchanged
    assert window.project.data.features == ("x2", "x1·x2", "sin x1")
    np.testing.assert_array_equal(first_weights(window), before[1:])
    assert window.document.session.data()[0].feature_names == ("x2", "x1·x2", "sin x1")
    window.scene.undo()
    np.testing.assert_array_equal(first_weights(window), before)
    assert window.network.input_layer.size == 4


def test_the_last_feature_left_cannot_be_turned_off(circles):
    window = circles
    boxes = window.training.dataset_panel.features.boxes
    assert list(boxes) == list(FEATURES)  # a box for each feature, in the columns' order
    assert all(boxes[name].toolTip().startswith(f"{name}: ") for name in FEATURES)
    toggle(window, "x1")
    assert window.project.data.features == ("x2",) and window.network.input_layer.size == 1
    assert not boxes["x2"].isEnabled() and boxes["x1"].isEnabled()


def test_training_picks_up_the_new_columns(qtbot, circles):
    window = circles
    for name in ("x1²", "x2²"):
        toggle(window, name)
    window.training.panel.run_actions["step"].trigger()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.PAUSED and window.document.snapshot.step == 1,
                    timeout=WAIT)
    x = window.document.trainer().x
    np.testing.assert_allclose(x[:, 2], x[:, 0] ** 2)
    np.testing.assert_allclose(x[:, 3], x[:, 1] ** 2)


def test_the_input_neurons_are_named_after_their_features_on_the_canvas(circles):
    window = circles
    item = window.scene.layer_item(window.network.input_layer.id)
    assert item.names == ("x1", "x2")
    toggle(window, "x1·x2")
    assert item.names == ("x1", "x2", "x1·x2")
    assert item.boundingRect().left() < item.header_rect().left()  # the names sit left of the neurons
    window.scene.undo()
    assert item.names == ("x1", "x2")


def test_the_toggles_are_off_with_a_reason_for_one_input_data_and_while_training(qtbot, project_windows):
    window = project_windows(make_project("sine", loss="mse", out_activation="identity", n_inputs=1))
    toggles = window.training.dataset_panel.features
    assert not any(box.isEnabled() or box.isChecked() for box in toggles.boxes.values())
    assert "defined for data with 2 inputs (x1, x2); this data has 1" in toggles.note.text()

    window = project_windows(make_project("circles"))
    toggles = window.training.dataset_panel.features
    window.training.panel.run_actions["train"].trigger()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.RUNNING, timeout=WAIT)
    assert not any(box.isEnabled() for box in toggles.boxes.values())
    assert toggles.boxes["x1"].isChecked()
    assert toggles.note.text() == "Pause training to change the input features."
    window.training.panel.run_actions["stop"].trigger()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.STOPPED, timeout=WAIT)
    assert toggles.boxes["x1²"].isEnabled() and toggles.note.text() == ""


def test_another_source_with_features_on_says_to_turn_them_off(circles):
    window = circles
    toggle(window, "x1²")
    panel = window.training.dataset_panel
    panel.source.setCurrentIndex(panel.source.findData("generator:sine"))
    assert "turn the input features off first" in panel.error.text()
    assert window.project.data.name == "circles"


def test_the_decision_boundary_stays_over_the_raw_inputs(qtbot, circles):
    window = circles
    toggle(window, "x1²")
    spec = window.project.data
    raw_train, _ = split(spec.dataset(), spec.val_fraction, spec.split_seed)
    boundary = window.training.boundary
    qtbot.waitUntil(lambda: len(boundary.points.getData()[0]) == len(raw_train.X), timeout=WAIT)
    np.testing.assert_array_equal(boundary.points.getData()[0], raw_train.X[:, 0])
    np.testing.assert_array_equal(boundary.points.getData()[1], raw_train.X[:, 1])
    assert not boundary.note.isVisible()
    qtbot.waitUntil(lambda: window.document.snapshot.boundary is not None, timeout=WAIT)


def test_the_explorer_names_the_feature_a_first_layer_weight_carries(qtbot, circles):
    window = circles
    toggle(window, "x1·x2")
    ui = open_explorer(qtbot, window)
    net = window.network
    conn = net.outgoing(net.input_layer.id)[0]
    ref = WeightRef(conn.id, 2, 0)
    window.document.select(Selection(weights=(ref,)))
    wait_for(qtbot, ui, ref, sample=0)
    assert f"h[{net.input_layer.name}[2]], the input x1·x2 = " in plain(ui.panel.local)
    other = WeightRef(net.outgoing(conn.target)[0].id, 0, 0)  # a hidden layer's weight carries no data column
    window.document.select(Selection(weights=(other,)))
    wait_for(qtbot, ui, other, sample=0)
    assert "the input" not in plain(ui.panel.local)


def test_a_saved_project_opens_with_its_features_ticked_and_named(tmp_path, circles):
    window = circles
    toggle(window, "x1·x2")
    save_project(window.project, tmp_path / "p.bps.json")
    window.mark_saved()
    window.set_project(make_project("xor"))  # another project in between: nothing of the first stays ticked
    toggles = window.training.dataset_panel.features
    assert [name for name, box in toggles.boxes.items() if box.isChecked()] == ["x1", "x2"]
    window.set_project(load_project(tmp_path / "p.bps.json"))  # as File ▸ Open does
    assert [name for name, box in toggles.boxes.items() if box.isChecked()] == ["x1", "x2", "x1·x2"]
    assert window.scene.layer_item(window.network.input_layer.id).names == ("x1", "x2", "x1·x2")
    assert window.document.trainer().x.shape[1] == 3


def test_the_new_row_of_weights_is_drawn_from_the_networks_seed(project_windows):
    rows = []
    for _ in range(2):  # the same project in two windows: the same new weights
        window = project_windows(make_project("circles"))
        toggle(window, "sin x2")
        rows.append(first_weights(window)[2])
    np.testing.assert_array_equal(rows[0], rows[1])
    window = project_windows(make_project("circles"))
    window.network.seed = 99
    toggle(window, "sin x2")
    assert not np.array_equal(first_weights(window)[2], rows[0])


def test_the_data_preview_stays_on_the_raw_x1_x2_with_features_on_and_x1_off(circles):
    """The preview plots the plane the boundary is drawn on: the raw x1, x2, not the network's first two columns
    (which, with x1 turned off, would be x2 against x1²)."""
    window = circles
    panel = window.training.dataset_panel
    toggle(window, "x1²")
    toggle(window, "x1")
    assert window.project.data.features == ("x2", "x1²")
    spec = window.project.data
    raw_train, raw_val = split(spec.dataset(window.project.base_dir), spec.val_fraction, spec.split_seed)
    items = [item for item in panel.preview.getPlotItem().items if item is not panel.picked
             and hasattr(item, "getData") and hasattr(item, "opts") and "symbol" in item.opts]
    shown = {item.opts["symbol"]: np.c_[item.getData()] for item in items}
    np.testing.assert_array_equal(shown["o"], raw_train.X)
    np.testing.assert_array_equal(shown["d"], raw_val.X)
    assert "the preview shows the raw x1, x2" in panel.summary.text()
