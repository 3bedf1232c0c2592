"""The colour bar's caption says what is true of the values the edges show, not just the ends of a scale."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from test_training_support import WAIT, make_project

from engine import BiasRef, WeightRef, layered
from engine.studio import RunState


def step_once(qtbot, window) -> None:
    steps = window.document.snapshot.step + 1
    window.training.panel.run_actions["step"].trigger()
    qtbot.waitUntil(lambda: window.document.snapshot.step >= steps
                    and window.document.run_state is RunState.PAUSED, timeout=WAIT)
    QApplication.processEvents()


def caption(window) -> str:
    return window.training.edges.colorbar.caption.text()


def says(qtbot, window, check) -> None:
    """The caption follows the scene's colours, which are worked out at the next paint or turn."""
    qtbot.waitUntil(lambda: check(caption(window)), timeout=WAIT)


def test_no_step_yet_until_a_step_and_again_after_reset_weights(qtbot, project_windows):
    window = project_windows(make_project())
    says(qtbot, window, lambda text: text == "|dL/dw|: no step yet")
    step_once(qtbot, window)
    says(qtbot, window, lambda text: text.startswith("|dL/dw| (log scale, "))
    window.training.panel.run_actions["reset"].trigger()
    qtbot.waitUntil(lambda: window.document.snapshot.step == 0, timeout=WAIT)
    says(qtbot, window, lambda text: text == "|dL/dw|: no step yet")


def test_dead_relus_say_every_gradient_is_zero(qtbot, project_windows):
    project = make_project()
    net = layered((2, 4, 1), "relu", "sigmoid", seed=1)
    hidden = sorted(net.layers.values(), key=lambda layer: layer.position[0])[1]
    for j in range(hidden.size):
        net.set_value(BiasRef(hidden.id, j), -100.0)  # no input of the circles set lifts a unit above 0
    project.network = net
    window = project_windows(project)
    step_once(qtbot, window)
    assert not window.document.snapshot.weight_grads.any()
    says(qtbot, window, lambda text: text == "every |dL/dw| is 0 — dead units?")


def test_one_weight_everywhere_is_called_all_equal(qtbot, project_windows):
    project = make_project()
    for c in project.network.connections.values():
        for i in range(c.weight.shape[0]):
            for j in range(c.weight.shape[1]):
                project.network.set_value(WeightRef(c.id, i, j), 0.25)
    window = project_windows(project)
    edges = window.training.edges
    edges.quantity.setCurrentIndex(edges.quantity.findData("weight"))
    says(qtbot, window, lambda text: text == "w: all equal: 0.25")
    project.network.set_value(WeightRef(next(iter(project.network.connections)), 0, 0), -0.5)
    window.document.refresh()
    says(qtbot, window, lambda text: text.startswith("w ("))
