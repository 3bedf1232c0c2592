"""Every training setting on the Training panel is an undoable edit: typed or picked like a user would, undone and
redone through the window's one undo stack, with the panel and the next trainer following the document."""

from __future__ import annotations

import pytest
from test_inspector import choose
from test_regularization_ui import type_rate
from test_training_support import make_project

from engine.studio import RunState


@pytest.fixture
def window(project_windows):
    return project_windows(make_project(optimizer="sgd", lr=0.1))


def test_a_typed_learning_rate_is_one_undo_step_and_the_trainer_follows(window):
    panel, document = window.training.panel, window.document
    type_rate(panel.lr, "0.05")
    assert document.current_settings(["lr"]) == {"lr": 0.05}
    assert window.undo_stack.undoText() == "Learning rate 0.05" and window.undo_stack.count() == 1
    window.scene.undo()
    assert document.current_settings(["lr"]) == {"lr": 0.1} and panel.lr.value() == pytest.approx(0.1)
    assert document.trainer().lr == pytest.approx(0.1)
    window.scene.redo()
    assert panel.lr.value() == pytest.approx(0.05) and document.trainer().lr == pytest.approx(0.05)


def test_the_loss_optimiser_and_budget_come_back_on_undo_in_reverse_order(window):
    panel, settings = window.training.panel, window.project.settings
    before = (settings.loss, settings.optimizer, settings.epochs)
    choose(panel.loss, "mae")
    choose(panel.optimizer, "adam")
    type_rate(panel.epochs, "7")
    assert (settings.loss, settings.optimizer, settings.epochs) == ("mae", "adam", 7)
    assert window.undo_stack.count() == 3 and window.undo_stack.undoText() == "Epoch budget 7"
    window.scene.undo()
    assert settings.epochs == before[2] and panel.epochs.value() == before[2]
    window.scene.undo()
    assert settings.optimizer == "sgd" and panel.optimizer.currentData() == "sgd"
    assert panel.lr.value() == pytest.approx(0.1)  # the learning rate the SGD had, not Adam's default
    window.scene.undo()
    assert (settings.loss, settings.optimizer, settings.epochs) == before and panel.loss.currentData() == before[0]
    assert window.document.trainer().loss.name == before[0]


def test_showing_the_settings_of_an_opened_project_pushes_nothing(window, project_windows):
    assert window.undo_stack.count() == 0
    window.set_project(make_project(optimizer="adam", lr=0.003))
    assert window.undo_stack.count() == 0 and window.training.panel.lr.value() == pytest.approx(0.003)


def test_a_setting_refused_while_training_runs_leaves_no_step(window, qtbot):
    panel = window.training.panel
    window.training.controller.train()
    qtbot.waitUntil(lambda: window.document.run_state is RunState.RUNNING)
    panel.loss.setEnabled(True)  # as if the lock came late: the document still refuses the change
    choose(panel.loss, "mae")
    assert window.undo_stack.count() == 0 and window.project.settings.loss != "mae"
    assert panel.loss.currentData() == window.project.settings.loss  # the panel shows what is true again
    assert "only when paused" in window.document.status.text
    window.training.controller.stop()
