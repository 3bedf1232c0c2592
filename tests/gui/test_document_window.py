"""The window holds together: every view follows the one document (issue 12's eight symptoms, on the real window).

Each test drives the window as a user would (menu actions, keys, clicks on the canvas) and asserts that what a
view shows is the document's current state, not the previous project's, run's or step's.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtTest import QTest

from engine import WeightRef, gradient_check, layered
from engine.project import DataSpec, Project, new_project
from engine.studio import RunState
from engine.training import TrainSettings

WAIT = 20_000


def menu_action(window, text: str) -> QAction:
    """The menus' action whose text (without the & marks and the number prefix) starts with `text`."""
    todo = list(window.menuBar().actions())
    while todo:
        action = todo.pop(0)
        if action.menu() is not None:
            todo.extend(action.menu().actions())
            continue
        label = action.text().replace("&", "")
        if label.startswith(text) or label.partition(" ")[2].startswith(text):
            return action
    raise AssertionError(f"no menu action {text!r}")


def press(window, key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(window.view.viewport(), key, modifiers)


def train_until_idle(qtbot, window, key=Qt.Key.Key_F5) -> None:
    """Press a run key and wait for the run to end by itself (epoch budget) or pause."""
    press(window, key)
    qtbot.waitUntil(lambda: window.document.run_state is not RunState.RUNNING, timeout=WAIT)


def short_budget(window, epochs: int = 3) -> None:
    window.document.edit_settings(epochs=epochs)


def discard_changes(monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: QMessageBox.StandardButton.Discard)


# ---------------------------------------------------------------------------------------------------- symptom 1
def test_an_example_opened_from_the_menu_trains_with_f5_whatever_the_working_directory(
        qtbot, window, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example's CSV is not here: it must be found beside the example
    before = window.training.dataset_panel.summary.text()
    menu_action(window, "Lecture notes").trigger()
    doc = window.document
    assert doc.project.path is None and not doc.status.error, doc.status
    assert window.training.dataset_panel.summary.text() != before  # the preview shows the notes' data now
    assert "4 input" in window.training.dataset_panel.summary.text()
    boundary = window.training.boundary
    assert boundary.note.isVisible() and boundary.points.data.size == 0  # four inputs: no boundary, none left over
    ranges = boundary.plot.getPlotItem().getViewBox().viewRange()  # nor the circles' axes (aspect kept: one is ±1)
    assert any(r == pytest.approx([-1.0, 1.0]) for r in ranges), ranges
    assert window.training.status.progress.value() == 0
    train_until_idle(qtbot, window)
    assert doc.snapshot.step > 0 and doc.snapshot.epoch > 0
    assert not doc.status.error, doc.status


# ---------------------------------------------------------------------------------------------------- symptom 2
def non_white_share(widget) -> float:
    image = widget.grab().toImage()
    step = 4
    pixels = [QColor(image.pixel(x, y)) for x in range(0, image.width(), step) for y in range(0, image.height(), step)]
    return sum(min(c.red(), c.green(), c.blue()) < 200 for c in pixels) / len(pixels)


def test_the_multi_class_boundary_is_drawn_after_a_binary_one(qtbot, window):
    boundary = window.training.boundary
    binary = non_white_share(boundary.plot)  # the start-up circles: a one-output boundary was drawn
    assert binary > 0.2
    menu_action(window, "Spiral").trigger()
    short_budget(window, 2)
    train_until_idle(qtbot, window)
    assert window.document.snapshot.boundary.output.shape[-1] == 3
    assert non_white_share(boundary.plot) > 0.2  # the three classes' colours, not a white square


# ---------------------------------------------------------------------------------------------------- symptom 3
def test_the_inspector_follows_reset_and_training_without_a_new_click(qtbot, window, canvas):
    net = window.network
    c = next(iter(net.connections.values()))
    ref = WeightRef(c.id, 0, 0)
    canvas.click(canvas.weight(ref))
    assert window.document.selection.weights == (ref,)
    inspector = window.inspector
    menu_action(window, "Reset weights").trigger()
    assert inspector.value_edit.text() == f"{c.weight.value[0, 0]:.6g}"
    assert inspector.grad_label.text() == "0"
    shown = []
    window.document.events.snapshot_published.connect(
        lambda snap: shown.append((inspector.value_edit.text(), f"{snap.weights[c.id][0, 0]:.6g}", snap.final)))
    short_budget(window, 300)
    train_until_idle(qtbot, window)
    assert shown and all(text == expected for text, expected, _ in shown)  # live: every snapshot, while running
    assert any(not final for _, _, final in shown)
    assert inspector.value_edit.text() == f"{c.weight.value[0, 0]:.6g}"
    assert inspector.grad_label.text() == f"{c.weight.grad[0, 0]:.4g}" != "0"


# ---------------------------------------------------------------------------------------------------- symptom 4
def unfinished(tmp_path) -> Project:
    """in → h1 → ?, out unconnected: 'h1' feeds nothing."""
    net = layered([2, 3, 1])
    out = net.output_layer
    net.set_activation(out.id, "sigmoid")
    for c in list(net.incoming(out.id)):
        net.remove_connection(c.id)
    return Project(net, TrainSettings(loss="bce", optimizer="sgd", optimizer_params={"lr": 0.1}, epochs=2),
                   DataSpec("generator", "circles", {"n_samples": 60}))


def test_the_cannot_train_message_goes_when_the_last_wire_is_drawn(qtbot, window, canvas, tmp_path):
    window.set_project(unfinished(tmp_path))
    doc, panel = window.document, window.training.panel
    assert doc.status.error and "feeds nothing" in doc.status.text
    assert "feeds nothing" in panel.message.text()
    net = window.network
    hidden = net.layers_of_kind("hidden")[0]
    canvas.drag(canvas.port(hidden.id, "out"), canvas.port(net.output_layer.id, "in"))  # the last wire
    assert net.find_connection(hidden.id, net.output_layer.id) is not None
    qtbot.waitUntil(lambda: "feeds nothing" not in panel.message.text(), timeout=WAIT)
    assert not doc.status.error
    train_until_idle(qtbot, window)
    assert doc.snapshot.step > 0


def test_a_new_project_does_not_keep_the_last_runs_messages(qtbot, window, monkeypatch):
    discard_changes(monkeypatch)
    short_budget(window, 1)
    train_until_idle(qtbot, window)
    assert "epoch budget" in window.training.panel.message.text()
    menu_action(window, "XOR").trigger()
    assert "epoch budget" not in window.training.panel.message.text()
    press(window, Qt.Key.Key_F10)  # one batch, then paused
    qtbot.waitUntil(lambda: window.document.run_state is RunState.PAUSED, timeout=WAIT)
    assert "Paused" in window.training.panel.message.text()
    press(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.document.run_state is RunState.STOPPED
    assert "Paused" not in window.training.panel.message.text()
    assert window.training.panel.run_actions["train"].text() == "Train"


# ---------------------------------------------------------------------------------------------------- symptom 5
def test_f5_after_the_budget_extends_it_and_says_so(qtbot, window):
    short_budget(window, 2)
    train_until_idle(qtbot, window)
    doc = window.document
    assert doc.snapshot.epoch == 2
    train_until_idle(qtbot, window)  # the same key again: before, nothing happened at all
    assert doc.snapshot.epoch == 4
    assert doc.project.settings.epochs == 4
    assert window.training.panel.epochs.value() == 4


# ---------------------------------------------------------------------------------------------------- symptom 6
@pytest.mark.parametrize("how", ["reset", "new", "open"])
def test_plot_axes_start_over(qtbot, window, how, monkeypatch, tmp_path):
    discard_changes(monkeypatch)
    short_budget(window, 30)
    train_until_idle(qtbot, window)
    box = window.training.loss.loss_plot.getPlotItem().getViewBox()
    assert box.viewRange()[0][1] > 100  # steps of the last run
    if how == "reset":
        menu_action(window, "Reset weights").trigger()
    elif how == "new":
        menu_action(window, "New").trigger()
    else:
        menu_action(window, "XOR").trigger()
    assert box.viewRange()[0][1] < 10


# ---------------------------------------------------------------------------------------------------- symptom 7
def test_the_inspector_and_the_explorer_say_which_gradient_each_shows(qtbot, window, canvas):
    short_budget(window, 1)
    train_until_idle(qtbot, window)
    net = window.network
    c = next(iter(net.connections.values()))
    ref = WeightRef(c.id, 0, 0)
    canvas.click(canvas.weight(ref))
    inspector = window.inspector
    assert inspector.grad_label.text() == f"{c.weight.grad[0, 0]:.4g}"  # the last step's own gradient
    assert "before its update" in inspector.grad_label.toolTip()
    explorer = window.explorer
    window.workspaces.switch("explain")
    explorer.dock.raise_()
    qtbot.waitUntil(lambda: explorer.panel.samples.count() > 1, timeout=WAIT)
    explorer.panel.samples.setCurrentIndex(0)  # the batch mean (the dock explains one sample by default)
    qtbot.waitUntil(lambda: explorer.panel.explanation is not None and explorer.panel.explanation.ref == ref
                    and explorer.panel.explanation.sample is None, timeout=WAIT)
    e = explorer.panel.explanation
    assert "current weights" in explorer.panel.heading.text()
    x, t = window.document.trainer().last_batch()
    y = t if t.shape[1] > 1 else t[:, 0]
    check = gradient_check(net, x, y, window.document.project.settings.loss, [ref])[0]
    assert e.gradient == pytest.approx(check.numeric, rel=1e-6, abs=1e-9)  # at the current weights, that batch
    assert not np.isclose(e.gradient, c.weight.grad[0, 0], rtol=1e-9)  # ...which is not the last step's


# ---------------------------------------------------------------------------------------------------- symptom 8
def test_new_gives_an_empty_canvas_and_the_starter_is_a_choice(qtbot, window, monkeypatch):
    discard_changes(monkeypatch)
    press(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.network.layers == {} and window.scene.layer_items() == []
    assert window.windowTitle().startswith("Untitled")
    menu_action(window, "New from Starter").trigger()
    starter = len(new_project().network.layers)
    assert len(window.network.layers) == starter and len(window.scene.layer_items()) == starter
    assert window.document.snapshot is not None and not window.document.status.error
