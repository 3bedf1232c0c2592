"""Paint mode on the decision boundary, driven with the mouse on the plot's viewport: points land where the mouse
is, in the chosen class; a stroke is one undo step; the painting is saved, and training uses it."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from test_training_support import make_project

from engine.project import load_project, save_project
from engine.studio import RunState


class Painter:
    """The boundary's plot as a user sees it: data coordinates to viewport pixels, clicks, drags, keys."""

    def __init__(self, window, qtbot):
        self.window, self.tool = window, window.training.paint
        dock = window._docks["boundary"]
        dock.show()
        dock.raise_()
        qtbot.waitUntil(lambda: window.training.boundary.plot.isVisible())
        self.tool.toggle.setChecked(True)
        self.viewport = self.tool.plot.viewport()

    def pixel(self, x: float, y: float) -> QPoint:
        scene = self.tool.view_box.mapViewToScene(QPointF(x, y))
        return self.tool.plot.mapFromScene(scene)

    def click(self, x: float, y: float, button=Qt.MouseButton.LeftButton) -> None:
        QTest.mouseClick(self.viewport, button, Qt.KeyboardModifier.NoModifier, self.pixel(x, y))

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 20) -> None:
        a, b = self.pixel(*start), self.pixel(*end)
        QTest.mousePress(self.viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
        for k in range(1, steps + 1):
            self.move(a + (b - a) * (k / steps), Qt.MouseButton.LeftButton)
        QTest.mouseRelease(self.viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, b)

    def move(self, pos: QPoint, buttons=Qt.MouseButton.NoButton) -> None:
        """Sent, not `QTest.mouseMove`, which drops a move beyond the offscreen screen's 800 pixels."""
        event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos), QPointF(self.viewport.mapToGlobal(pos)),
                            Qt.MouseButton.NoButton, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(self.viewport, event)

    def pick(self, k: int) -> None:
        self.tool.classes.setCurrentIndex(self.tool.classes.findData(k))

    @property
    def points(self) -> np.ndarray:
        data = self.window.document.project.data
        assert data.kind == "painted"
        return np.array(data.params["points"], float)

    @property
    def pixel_size(self) -> float:
        return max(self.tool.view_box.viewPixelSize())


@pytest.fixture
def painter(project_windows, qtbot):
    def make(project=None) -> Painter:
        return Painter(project_windows(project or make_project(n_samples=40, lr=0.01)), qtbot)

    return make


def test_a_click_paints_one_point_of_the_chosen_class_under_the_mouse_and_undo_takes_it_back(painter):
    p = painter()
    window = p.window
    before = window.document.project.data
    n = window.document.session.data()[0].n_samples + window.document.session.data()[1].n_samples
    p.pick(1)
    p.click(0.3, -0.2)
    assert p.points.shape == (n + 1, 3)  # the generator's points became a painting, plus the new one
    x1, x2, label = p.points[-1]
    assert abs(x1 - 0.3) <= p.pixel_size and abs(x2 + 0.2) <= p.pixel_size and label == 1
    p.pick(0)
    p.click(-0.4, 0.5)
    assert p.points[-1][2] == 0 and len(p.points) == n + 2
    panel = window.training.dataset_panel
    assert panel.source.currentData() == "painted:classification"  # the Data dock says what the data is
    assert "painted" in panel.source.currentText()
    stack = window.undo_stack
    assert stack.undoText() == "Paint 1 point"
    window.scene.undo()
    assert len(p.points) == n + 1
    window.scene.undo()
    assert window.document.project.data == before and panel.source.currentData() == "generator:circles"
    window.scene.redo()
    window.scene.redo()
    assert len(p.points) == n + 2


def test_a_drag_paints_a_spaced_trail_as_one_undo_step(painter):
    p = painter()
    p.click(0.0, 0.9)  # a painting to start from
    start = len(p.points)
    steps = p.window.undo_stack.count()
    p.drag((-0.8, 0.0), (0.8, 0.0))
    trail = p.points[start:]
    length = 1.6 / p.pixel_size  # pixels along the drag
    assert 4 <= len(trail) <= length / 8 + 2, "a point every 8 pixels or so, not one per mouse move"
    assert np.all(np.abs(trail[:, 1]) <= p.pixel_size) and np.all(np.diff(trail[:, 0]) > 0)
    assert p.window.undo_stack.count() == steps + 1
    p.window.scene.undo()
    assert len(p.points) == start


def test_right_click_or_delete_on_a_point_removes_it(painter):
    p = painter()
    p.click(0.25, 0.25)
    p.click(-0.6, 0.6)
    n = len(p.points)
    x1, x2, _ = p.points[-2]
    p.click(x1, x2, Qt.MouseButton.RightButton)
    assert len(p.points) == n - 1 and not np.any(np.all(np.isclose(p.points[:, :2], [x1, x2]), axis=1))
    x1, x2, _ = p.points[-1]
    p.move(p.pixel(x1, x2))
    QTest.keyClick(p.tool.plot, Qt.Key.Key_Delete)
    assert len(p.points) == n - 2
    assert p.window.undo_stack.undoText() == "Remove a painted point"
    p.window.scene.undo()
    assert len(p.points) == n - 1


def test_clear_then_paint_makes_a_painting_of_only_the_new_points(painter):
    p = painter()
    p.tool.clear.trigger()
    assert not p.window.training.boundary.points.isVisible()
    p.pick(0)
    p.click(-0.5, 0.0)
    p.pick(1)
    p.click(0.5, 0.0)
    assert p.points[:, 2].tolist() == [0, 1] and p.window.training.boundary.points.isVisible()


def test_the_painting_survives_save_and_open(painter, tmp_path):
    p = painter()
    p.tool.clear.trigger()
    p.drag((-0.5, 0.5), (0.5, -0.5), steps=10)
    path = tmp_path / "painted.bps.json"
    save_project(p.window.document.project, path)
    loaded = load_project(path)
    assert loaded.data == p.window.document.project.data
    p.window.set_project(loaded)
    xs, _ = p.window.training.boundary.points.getData()
    train, val = p.window.document.session.data()
    assert len(xs) == train.n_samples and train.n_samples + val.n_samples == len(p.points)


def test_training_uses_the_painted_points_also_when_painted_while_running(painter, qtbot):
    p = painter()
    window, controller = p.window, p.window.training.controller
    p.tool.clear.trigger()
    p.drag((-0.9, -0.9), (0.9, 0.9), steps=12)
    controller.step()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.PAUSED)
    trainer = window.document.trainer()
    train, val = window.document.session.data()
    assert np.array_equal(trainer.x, train.X) and train.n_samples + val.n_samples == len(p.points)
    controller.train()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.RUNNING)
    n = len(p.points)
    p.pick(1)
    p.click(0.8, -0.8)  # while training: the run pauses, takes the points, and goes on
    p.click(-0.8, 0.8)  # before the worker has paused: added to the first
    qtbot.waitUntil(lambda: len(p.points) == n + 2 and window.document.run_state is RunState.RUNNING)
    controller.pause()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.PAUSED)
    train, val = window.document.session.data()
    both = np.vstack([train.X, val.X])
    assert all(any(np.allclose(row, point) for row in both) for point in p.points[-2:, :2])
    assert np.array_equal(window.document.trainer().x, train.X)


def test_painting_a_third_class_for_a_one_sigmoid_output_says_what_to_do(painter):
    p = painter()
    assert p.tool.classes.count() == 3  # the two classes and a new one
    p.pick(2)
    p.click(0.1, 0.1)
    status = p.window.document.status
    assert status.error and "one neuron per class" in status.text and "softmax" in status.text
    assert "one neuron per class" in p.window.training.panel.message.text()  # said in the Training dock
    p.window.training.controller.train()
    assert p.window.document.run_state is RunState.STOPPED
    assert p.tool.classes.count() == 4 and p.tool.classes.itemText(2) == "class 2"  # painted: a class of its own


def test_start_from_current_data_makes_every_sample_a_painted_point_in_one_step(painter):
    p = painter()
    data = p.window.document.project.data.dataset()
    p.tool.from_data.trigger()
    assert np.allclose(p.points[:, :2], data.X, rtol=1e-5) and np.array_equal(p.points[:, 2], data.y)
    assert p.window.undo_stack.undoText() == "Start painting from the current data"


def test_on_standardised_inputs_the_point_stored_is_the_raw_one_under_the_mouse(painter):
    project = make_project(n_samples=40)
    project.data.standardize = True
    p = painter(project)
    scaler = p.window.document.project.data.input_transform().standardizer
    p.click(0.5, -1.0)  # the view shows the inputs as training sees them: standardised
    raw = np.array([0.5, -1.0]) * scaler.std + scaler.mean
    assert np.allclose(p.points[-1][:2], raw, atol=2 * p.pixel_size * scaler.std.max())


def test_a_painted_regression_takes_the_value_chosen(painter):
    p = painter(make_project("plane", loss="mse", out_activation="identity", n_samples=40))
    assert p.tool.value.isVisibleTo(p.tool.bar) and not p.tool.classes.isVisibleTo(p.tool.bar)
    p.tool.value.setValue(2.5)
    p.click(0.2, 0.2)
    assert p.points[-1][2] == 2.5 and p.window.document.project.data.name == "regression"


def test_with_input_features_the_plane_is_the_raw_inputs_and_a_click_stores_the_point_under_the_mouse(painter):
    """Under features the boundary is drawn over the raw x1, x2 (engine.studio.plane), standardised or not: painting
    stays on, and the point stored is the view's point itself, not un-standardised a second time."""
    project = make_project(n_samples=40)
    project.data.standardize = True
    p = painter(project)
    p.tool.toggle.setChecked(False)
    p.window.training.dataset_panel.features.boxes["x1·x2"].click()
    assert p.window.document.project.data.features == ("x1", "x2", "x1·x2")
    assert p.tool.toggle.isEnabled()
    p.tool.toggle.setChecked(True)
    p.click(0.5, -0.4)
    assert np.allclose(p.points[-1][:2], [0.5, -0.4], atol=2 * p.pixel_size)
    train = p.window.document.session.data()[0]
    assert train.n_features == 3  # the painting trains with the feature column too
