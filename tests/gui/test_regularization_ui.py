"""Regularisation in the window: the Training panel's choice and rate and the inspector's per-connection override
(both undoable), the loss plot's data loss and penalty curves, and the penalty's term in the chain-rule explorer."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from test_inspector import choose
from test_training_support import WAIT, first_weight_ref, make_project

from engine.explain import explain_weight
from engine.explain.text import number
from engine.regularization import NO_PENALTY, Penalty
from engine.studio import RunState, Selection
from gui.colors import text_ink
from gui.explorer import render
from gui.plots.loss import DATA_LOSS_NAME, PENALTY_NAME


def type_rate(box, text: str) -> None:
    box.setFocus()
    box.selectAll()
    QTest.keyClicks(box, text)
    QTest.keyClick(box, Qt.Key.Key_Return)


@pytest.fixture
def window(project_windows):
    return project_windows(make_project(optimizer="sgd", lr=0.1))


def test_the_training_panels_penalty_is_an_undoable_settings_edit(window):
    panel, settings = window.training.panel, window.project.settings
    editor = panel.penalty
    assert settings.penalty == NO_PENALTY and not editor.rate.isEnabled()
    choose(editor.kind, "l2")
    assert settings.penalty == Penalty("l2", 1e-3) and editor.rate.isEnabled()
    type_rate(editor.rate, "0.05")
    assert settings.penalty == Penalty("l2", 0.05)
    assert window.undo_stack.undoText() == "Regularisation L2 λ = 0.05 (λ/2·Σw²)"
    assert window.document.trainer().settings.penalty == Penalty("l2", 0.05)  # the next command trains with it
    window.scene.undo()
    assert settings.penalty == Penalty("l2", 1e-3) and editor.rate.value() == pytest.approx(1e-3)
    window.scene.undo()
    assert settings.penalty == NO_PENALTY and editor.kind.currentData() == "none" and not editor.rate.isEnabled()
    window.scene.redo()
    window.scene.redo()
    assert settings.penalty == Penalty("l2", 0.05) and editor.kind.currentData() == "l2"
    assert editor.rate.value() == pytest.approx(0.05)


def test_a_connection_override_from_the_inspector_is_undoable(window):
    ref = first_weight_ref(window.project)
    window.document.select(Selection(weights=(ref,)))
    ins = window.inspector
    connection = window.network.connection(ref.conn)
    assert ins.pages.currentWidget() is ins.weight_page and ins.penalty_editor.kind.currentData() == "inherit"
    choose(ins.penalty_editor.kind, "l1")
    assert connection.penalty == Penalty("l1", 1e-3)
    type_rate(ins.penalty_editor.rate, "0.2")
    assert connection.penalty == Penalty("l1", 0.2)
    choose(ins.penalty_editor.kind, "none")  # its own "none" even if the network has one
    assert connection.penalty == NO_PENALTY
    assert window.undo_stack.undoText().startswith("Regularisation of in → h")
    for expected in (Penalty("l1", 0.2), Penalty("l1", 1e-3), None):
        window.scene.undo()
        assert connection.penalty == expected
    assert ins.penalty_editor.kind.currentData() == "inherit" and not ins.penalty_editor.rate.isEnabled()
    window.scene.redo()
    assert connection.penalty == Penalty("l1", 1e-3) and ins.penalty_editor.kind.currentData() == "l1"


def test_the_loss_plot_draws_data_loss_and_penalty_as_separate_curves(qtbot, window):
    window.document.edit_settings(penalty=Penalty("l2", 0.01))
    ui = window.training
    legend = ui.loss.loss_plot.getPlotItem().legend
    assert legend.getLabel(ui.loss.penalty_curve) is None  # no penalty recorded yet: no curve in the legend
    ui.panel.run_actions["step_epoch"].trigger()
    qtbot.waitUntil(lambda: window.document.trainer().epoch == 1 and window.document.run_state is RunState.PAUSED,
                    timeout=WAIT)
    history = window.project.history
    losses, penalties = history.losses.data(), history.penalties.data()
    assert len(penalties) == len(losses) > 0
    np.testing.assert_array_equal(penalties[:, 0], losses[:, 0])
    x, y = ui.loss.penalty_curve.getData()
    np.testing.assert_array_equal(x, penalties[:, 0])
    np.testing.assert_array_equal(y, penalties[:, 1])
    np.testing.assert_array_equal(ui.loss.batch_curve.getData()[1], losses[:, 1])  # the data loss alone
    weights = np.concatenate([c.weight.value.ravel() for c in window.network.connections.values()])
    assert 0 < penalties[-1, 1] < 0.01 / 2 * 2 * (weights @ weights)  # λ/2·Σw² of weights one step earlier
    assert legend.getLabel(ui.loss.penalty_curve).text == PENALTY_NAME
    assert legend.getLabel(ui.loss.batch_curve).text == DATA_LOSS_NAME
    step, loss, penalty = int(losses[3, 0]), losses[3, 1], penalties[3, 1]
    assert f"data loss {loss:.6g} + penalty {penalty:.6g} = {loss + penalty:.6g}" in ui.loss.hover_text(step)
    ui.panel.run_actions["reset"].trigger()  # a new curve: the penalty's goes too
    qtbot.waitUntil(lambda: not len(history.penalties.data()), timeout=WAIT)
    qtbot.waitUntil(lambda: legend.getLabel(ui.loss.penalty_curve) is None, timeout=WAIT)
    assert legend.getLabel(ui.loss.batch_curve).text == "batch"


def test_the_explorer_shows_the_penalty_term_that_makes_the_paths_the_training_gradient(qtbot, window):
    window.document.edit_settings(penalty=Penalty("l1", 0.02))
    ref = first_weight_ref(window.project)
    trainer = window.document.trainer()
    x, t = trainer.last_batch()
    e = explain_weight(window.network, ref, x, t, trainer.settings.loss, penalty=trainer.settings.penalty)
    w = float(window.network.param(ref.key).value[ref.index])
    html = render.local_form(e, text_ink(window.palette()))
    assert f"λ·sign(w) = 0.02 · {number(float(np.sign(w)))} = {0.02 * np.sign(w):.6g}" in html
    assert e.gradient == pytest.approx(e.paths.total + 0.02 * np.sign(w), rel=1e-10)
    window.explorer.explain_selection()
    window.document.select(Selection(weights=(ref,)))
    panel = window.explorer.panel
    qtbot.waitUntil(lambda: panel.explanation is not None and panel.explanation.ref == ref, timeout=WAIT)
    assert panel.explanation.penalty is not None
    rows = [panel.paths.topLevelItem(k).text(1) for k in range(panel.paths.topLevelItemCount())]
    assert any(row.startswith("+ penalty λ·sign(w)") for row in rows)
    total = panel.paths.topLevelItem(panel.paths.topLevelItemCount() - 1)
    assert "+ the penalty together" in total.text(1)
    assert float(total.text(0)) == pytest.approx(panel.explanation.gradient, rel=1e-5)
