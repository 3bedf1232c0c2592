"""The decision boundary's read-outs, as in TensorFlow Playground: the test data, the discretized output, and
points that stay visible on a region of their own colour."""

from __future__ import annotations

import numpy as np
import pytest
from test_training_support import make_project

from engine.project import load_project, save_project
from engine.studio import BoundaryGrid
from gui.colors import class_colors


@pytest.fixture
def boundary(project_windows):
    """The boundary view of a main window on a project, with its document."""

    def make(project=None):
        window = project_windows(project or make_project())
        return window, window.training.boundary

    return make


def network_output(window) -> np.ndarray:
    """The engine's own forward pass over the boundary's grid: (100, 100, n_outputs)."""
    train, _ = window.document.session.data()
    grid = BoundaryGrid(train.X)
    c = window.document.trainer().compiled
    out = c.forward(grid.points.astype(c.dtype)).h[c.output_pos]
    return np.asarray(out, float).reshape(grid.resolution, grid.resolution, -1)


def rgb(color) -> tuple[int, int, int]:
    return color.red(), color.green(), color.blue()


def test_show_test_data_adds_exactly_the_validation_points(boundary):
    window, view = boundary()
    train, val = window.document.session.data()
    assert len(val.X) > 0 and not view.show_test.isChecked() and not view.test_points.isVisible()  # off by default
    view.show_test.setChecked(True)
    assert view.test_points.isVisible()
    xs, ys = view.test_points.getData()
    np.testing.assert_array_equal(np.column_stack([xs, ys]), val.X)
    colors = class_colors(2)  # filled with their class's colour
    assert [rgb(spot.brush().color()) for spot in view.test_points.points()] == [rgb(colors[int(k)]) for k in val.y]
    assert {spot.symbol() for spot in view.test_points.points()} != {spot.symbol() for spot in view.points.points()}
    np.testing.assert_array_equal(np.column_stack(view.points.getData()), train.X)  # the training points stay
    view.show_test.setChecked(False)
    assert not view.test_points.isVisible()


def test_discretize_paints_the_class_a_sigmoid_output_predicts(boundary):
    window, view = boundary(make_project(hidden=(4,)))
    probability = network_output(window)[..., 0]
    np.testing.assert_allclose(view.image.image, probability, atol=1e-12)  # shaded while unticked
    predicted = (probability > 0.5).astype(float)
    assert 0 < predicted.mean() < 1, "the test needs both classes on the grid"
    view.discretize.setChecked(True)
    np.testing.assert_array_equal(view.image.image, predicted)
    view.discretize.setChecked(False)
    np.testing.assert_allclose(view.image.image, probability, atol=1e-12)


def test_discretize_paints_the_arg_max_of_a_softmax_output_in_its_class_colour(boundary):
    window, view = boundary(make_project("blobs", hidden=(5,), loss="cross_entropy", out_activation="softmax",
                                         n_outputs=3))
    view.discretize.setChecked(True)
    winner = network_output(window).argmax(axis=-1)
    assert len(np.unique(winner)) > 1, "the test needs more than one class on the grid"
    colors = np.array([rgb(c) for c in class_colors(3)], np.uint8)
    np.testing.assert_array_equal(view.image.image, colors[winner])


def test_a_regression_cannot_be_discretized_and_says_why(boundary):
    window, view = boundary(make_project("plane", loss="mse", out_activation="identity"))
    assert not view.discretize.isEnabled() and "regression" in view.discretize.toolTip().lower()
    np.testing.assert_allclose(view.image.image, network_output(window)[..., 0], atol=1e-12)


def test_every_point_has_an_edge_in_contrast_with_its_fill(boundary):
    _, view = boundary()
    assert_contrasting_edges(view.points.points())
    view.show_test.setChecked(True)
    assert_contrasting_edges(view.test_points.points())


def assert_contrasting_edges(spots) -> None:
    assert len(spots) > 0
    for spot in spots:
        pen, fill = spot.pen(), spot.brush().color()
        assert pen.widthF() >= 1.0  # a hairline edge is lost against a saturated region
        assert np.linalg.norm(np.subtract(rgb(pen.color()), rgb(fill))) > 100, (rgb(pen.color()), rgb(fill))


def test_the_read_outs_are_undoable_edits_saved_with_the_project(boundary, tmp_path):
    window, view = boundary()
    window.mark_saved()
    view.show_test.setChecked(True)
    view.discretize.setChecked(True)
    assert window.project.ui["boundary"] == {"show_test_data": True, "discretize": True} and window.is_modified()
    assert window.undo_stack.undoText() == "Discretize output on"
    window.undo_stack.undo()
    assert view.show_test.isChecked() and not view.discretize.isChecked()
    assert window.project.ui["boundary"] == {"show_test_data": True, "discretize": False}
    window.undo_stack.undo()
    assert not view.show_test.isChecked() and not view.test_points.isVisible() and not window.is_modified()
    window.undo_stack.redo()
    window.undo_stack.redo()
    assert view.show_test.isChecked() and view.discretize.isChecked()
    save_project(window.project, tmp_path / "readouts.bps.json")
    _, reopened = boundary(load_project(tmp_path / "readouts.bps.json"))
    assert reopened.show_test.isChecked() and reopened.discretize.isChecked() and reopened.test_points.isVisible()
    _, fresh = boundary()
    assert not fresh.show_test.isChecked() and not fresh.discretize.isChecked()
    odd = make_project()
    odd.ui["boundary"] = ["show_test_data"]  # the file's GUI state is free-form: what is not understood is off
    _, opened = boundary(odd)
    assert not opened.show_test.isChecked() and not opened.discretize.isChecked()

