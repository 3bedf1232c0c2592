"""The explorer's Gradient tab on a 2-2-1 network whose every number is worked out by hand below.

The network: inputs in[0], in[1]; hidden h (ReLU) with W1 = [[0.5, -0.25], [0.25, 0.5]], b1 = [0.1, 0]; output out
(identity) with W2 = [[1], [2]], b2 = [0.2]; mean squared error; plain SGD, α = 0.1; the batch is both rows:

    sample A: x = (1, 2),  t = 1:  a_h = (0.5+0.5+0.1, -0.25+1+0) = (1.1, 0.75), h = (1.1, 0.75)
                                   ŷ = 1.1·1 + 0.75·2 + 0.2 = 2.8,   δ_out = ∂ℓ/∂ŷ = 2(ŷ − t) = 3.6
    sample B: x = (2, -1), t = 0:  a_h = (1−0.25+0.1, −0.5−0.5) = (0.85, −1), h = (0.85, 0)
                                   ŷ = 0.85 + 0 + 0.2 = 1.05,        δ_out = 2.1
    δ_h = relu'(a_h) · W2[:, 0] · δ_out:  A (3.6, 7.2),  B (2.1, 0)

    dL/dW1[0,0] = mean(x0 · δ_h0) = mean(1·3.6, 2·2.1) = mean(3.6, 4.2) = 3.9   (mean(x0)·mean(δ_h0) = 4.275)
    dL/db1[0]   = mean(δ_h0) = 2.85
    dL/dW2[1,0] = mean(h1 · δ_out) = mean(0.75·3.6, 0·2.1) = 1.35
    SGD:  W1[0,0]' = 0.5 − 0.1 · 3.9 = 0.11
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import Canvas
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from test_explorer_support import (
    WAIT,
    along,
    csv_data,
    flat,
    open_explorer,
    plain,
    project,
    samples_table,
    set_params,
    wait_for,
)
from test_inspector import type_into

from engine import BiasRef, Network, WeightRef
from engine.studio import RunState
from gui.explorer.install import RUNNING_NOTE
from gui.explorer.panel import EMPTY

X = np.array([[1.0, 2.0], [2.0, -1.0]])
T = np.array([[1.0], [0.0]])


def hand_net() -> Network:
    net = Network(seed=0)
    inp = net.add_layer(2, "input", name="in", position=(0.0, 0.0))
    hid = net.add_layer(2, "hidden", "relu", name="h", position=(240.0, 0.0))
    out = net.add_layer(1, "output", "identity", name="out", position=(480.0, 0.0))
    c1, c2 = net.connect(inp.id, hid.id), net.connect(hid.id, out.id)
    set_params(net, {("W", c1.id): [[0.5, -0.25], [0.25, 0.5]], ("b", hid.id): [0.1, 0.0],
                     ("W", c2.id): [[1.0], [2.0]], ("b", out.id): [0.2]})
    return net


def reference(w1, b1, w2, b2, x=X, t=T):
    """Loss and batch-mean gradients of the 2-2-1 net, from the formulas in the module docstring."""
    a1 = x @ w1 + b1
    h1 = np.maximum(a1, 0.0)
    y = h1 @ w2 + b2
    dy = 2.0 * (y - t) / len(x)
    da1 = (dy @ w2.T) * (a1 > 0)
    return float(np.mean((y - t) ** 2)), x.T @ da1, da1.sum(axis=0), h1.T @ dy, dy.sum(axis=0)


@pytest.fixture
def hand(qtbot, window, tmp_path):
    """The window on the hand-computed project, the explorer up; returns (ui, canvas, refs by name)."""
    net = hand_net()
    proj = project(net, csv_data(tmp_path, [(1, 2, 1), (2, -1, 0)], "regression"), "mse", lr=0.1, batch_size=2)
    ui = open_explorer(qtbot, window, proj, batch_mean=True)
    (c1, c2), h = net.connections.values(), net.layer_by_name("h").id
    refs = {"w00": WeightRef(c1.id, 0, 0), "w11": WeightRef(c1.id, 1, 1), "v10": WeightRef(c2.id, 1, 0),
            "b0": BiasRef(h, 0)}
    return ui, Canvas(window), refs


def test_the_reference_formulas_agree_with_the_hand_computed_numbers():
    loss, gw1, gb1, gw2, _ = reference(np.array([[0.5, -0.25], [0.25, 0.5]]), np.array([0.1, 0.0]),
                                       np.array([[1.0], [2.0]]), np.array([0.2]))
    assert loss == pytest.approx((1.8**2 + 1.05**2) / 2)
    assert (gw1[0, 0], gb1[0], gw2[1, 0]) == pytest.approx((3.9, 2.85, 1.35))


def test_the_empty_state_says_what_to_select(qtbot, window):
    ui = open_explorer(qtbot, window)
    qtbot.waitUntil(lambda: not ui.pending, timeout=WAIT)
    assert ui.panel.explanation is None
    assert plain(ui.panel.message) == EMPTY
    canvas = Canvas(window)
    canvas.click(canvas.neuron(canvas.layer("in"), 1))
    qtbot.waitUntil(lambda: "in[1] is an input: it has no bias" in plain(ui.panel.message), timeout=WAIT)


def test_clicking_an_edge_shows_the_hand_computed_local_form_paths_and_update(qtbot, hand):
    ui, canvas, refs = hand
    canvas.click(canvas.weight(refs["w00"]))
    wait_for(qtbot, ui, refs["w00"])
    panel = ui.panel
    assert flat(panel.heading).startswith("∂L ∂w for in[0] → h[0] = 3.9 ")
    assert "the mean over the batch of 2 samples" in plain(panel.heading)
    local = flat(panel.local)
    for line in ("∂L ∂w = ∂aj ∂w · δj averaged over the batch, for neuron j = h[0]",
                 "k wjk mean δk w·δ out[0] 1 2.85 2.85", "∂L/∂w = mean(h · δ) = 3.9",
                 "mean(h) · mean(δ) = 4.275 is not the gradient"):
        assert line in local, (line, local)
    # per sample: h_i = x0, relu'(a) = 1, Σ w·δ = 1 · δ_out, δ_j, and h_i · δ_j (A: 1 · 3.6, B: 2 · 2.1)
    header, *samples, mean = samples_table(panel.batch_table)
    assert header == ["n", "hᵢ", "f′(aⱼ)", "Σ wⱼₖδₖ", "δⱼ", "hᵢ·δⱼ"]
    assert sorted(row[1:] for row in samples) == [["1", "1", "3.6", "3.6", "3.6"], ["2", "1", "2.1", "2.1", "4.2"]]
    assert mean == ["mean", "", "", "", "3.9", ""]  # under the products, spanning two columns
    rows = [(panel.paths.topLevelItem(k).text(0), plain(panel.paths.topLevelItem(k).text(1)))
            for k in range(panel.paths.topLevelItemCount())]
    assert rows == [("3.9", "1. h[0] → out[0] → L\n∂L/∂ŷ 2.85 · ∂ŷ/∂a 1 · ∂a/∂h 1 · ∂h/∂a 1 · h 1.5"),
                    ("3.9", "all 1 path together: ∂L/∂w")]
    assert plain(panel.update_label).startswith("w' = w − α·∂L/∂w = 0.5 − 0.1 · 3.9 = 0.11\n")


def test_a_weight_whose_neuron_is_dead_for_one_sample_and_an_output_weight(qtbot, hand):
    ui, canvas, refs = hand
    canvas.click(canvas.weight(refs["w11"]))
    wait_for(qtbot, ui, refs["w11"])  # mean(x1 · δ_h1) = mean(2·7.2, (−1)·0) = 7.2
    assert flat(ui.panel.heading).startswith("∂L ∂w for in[1] → h[1] = 7.2 ")
    _, *samples, _ = samples_table(ui.panel.batch_table)  # relu' is 1 for A and 0 for B
    assert sorted(row[1:] for row in samples) == [["-1", "0", "4.2", "0", "0"], ["2", "1", "7.2", "7.2", "14.4"]]
    canvas.click(canvas.weight(refs["v10"]))
    wait_for(qtbot, ui, refs["v10"])
    local = flat(ui.panel.local)
    assert flat(ui.panel.heading).startswith("∂L ∂w for h[1] → out[0] = 1.35 ")
    assert "δj comes from the loss: ∂L/∂ŷ[out[0]] 2.85 · ∂ŷ/∂a[out[0]] 1" in local
    _, *samples, _ = samples_table(ui.panel.batch_table)  # h_i, ∂L/∂ŷ = 2(ŷ − t), ∂ŷ/∂a = 1, δ, h_i · δ
    assert sorted(row[1:] for row in samples) == [["0", "2.1", "1", "2.1", "0"], ["0.75", "3.6", "1", "3.6", "2.7"]]


def test_a_neurons_bias_and_one_sample_alone(qtbot, hand):
    ui, canvas, refs = hand
    canvas.click(canvas.neuron(canvas.layer("h"), 0))
    wait_for(qtbot, ui, refs["b0"])
    assert flat(ui.panel.heading).startswith("∂L ∂b for b h[0] = 2.85 ")
    assert "∂L ∂b = ∂aj ∂b · δj averaged over the batch" in flat(ui.panel.local)
    header, *samples, _ = samples_table(ui.panel.batch_table)  # no h_i: ∂a_j/∂b = 1, so the product is δ_j itself
    assert header == ["n", "f′(aⱼ)", "Σ wⱼₖδₖ", "δⱼ"]
    assert sorted(row[1:] for row in samples) == [["1", "2.1", "2.1"], ["1", "3.6", "3.6"]]
    assert "∂L/∂b = mean(δ) = 2.85" in flat(ui.panel.local)
    canvas.click(canvas.weight(refs["w00"]))
    wait_for(qtbot, ui, refs["w00"])
    combo = ui.panel.samples
    labels = [combo.itemText(k) for k in range(combo.count())]
    assert labels[0] == "batch mean (2 samples)" and len(labels) == 3
    b = next(k for k, text in enumerate(labels) if text.endswith("x = [2, -1], t = [0]"))
    combo.setCurrentIndex(b)
    wait_for(qtbot, ui, refs["w00"], sample=b - 1)  # sample B's own gradient: 2 · 2.1
    assert flat(ui.panel.heading).startswith("∂L ∂w for in[0] → h[0] = 4.2 ")
    assert f"sample {b - 1} alone" in plain(ui.panel.heading)
    assert "∂L/∂w = h · δ = 4.2" in plain(ui.panel.local) and "mean(h)" not in plain(ui.panel.local)
    assert "∂aj/∂w hi = h[in[0]] = 2 aj 0.85 f′(aj) 1" in flat(ui.panel.local)  # its own factors, no table
    assert ui.panel.batch_table.isHidden()


def test_the_check_button_compares_backprop_with_central_differences(qtbot, hand):
    ui, canvas, refs = hand
    canvas.click(canvas.weight(refs["w00"]))
    wait_for(qtbot, ui, refs["w00"])
    assert not ui.panel.check_label.isVisible()
    qtbot.mouseClick(ui.panel.check_button, Qt.MouseButton.LeftButton)
    result = ui.panel.check_result
    w1, b1, w2, b2 = (np.array(v) for v in ([[0.5, -0.25], [0.25, 0.5]], [0.1, 0.0], [[1.0], [2.0]], [0.2]))
    eps = 1e-6
    plus, minus = w1.copy(), w1.copy()
    plus[0, 0] += eps
    minus[0, 0] -= eps
    numeric = (reference(plus, b1, w2, b2)[0] - reference(minus, b1, w2, b2)[0]) / (2 * eps)
    assert result.backprop == pytest.approx(3.9, abs=1e-12)
    assert result.numeric == pytest.approx(numeric, rel=1e-12)
    assert result.rel_error == pytest.approx(abs(3.9 - numeric) / 3.9, rel=1e-6, abs=1e-15) and result.rel_error < 1e-8
    text = plain(ui.panel.check_label)
    assert text == f"backprop 3.9 · central difference {numeric:.10g} · relative error {result.rel_error:.1e}"
    assert ui.panel.check_label.isVisible()


def test_an_edit_in_the_inspector_updates_the_numbers_and_the_check(qtbot, hand, window):
    ui, canvas, refs = hand
    canvas.click(canvas.weight(refs["w00"]))
    wait_for(qtbot, ui, refs["w00"])
    ui.panel.paths.setFocus()
    QTest.keyClick(ui.panel.paths, Qt.Key.Key_C)  # the panel's shortcut for Check
    assert ui.panel.check_result.backprop == pytest.approx(3.9)
    # W1[0,0] = 1: A: a_h0 = 1+0.5+0.1 = 1.6, ŷ = 3.3, δ = 4.6; B: a_h0 = 2−0.25+0.1 = 1.85, ŷ = 2.05, δ = 4.1
    type_into(window.inspector.value_edit, "1")
    qtbot.waitUntil(lambda: flat(ui.panel.heading).startswith("∂L ∂w for in[0] → h[0] = 6.4 "), timeout=WAIT)
    assert plain(ui.panel.update_label).startswith("w' = w − α·∂L/∂w = 1 − 0.1 · 6.4 = 0.36\n")
    assert ui.panel.check_result.backprop == pytest.approx(6.4) and ui.panel.check_result.rel_error < 1e-8


def test_a_training_step_updates_the_explanation_from_the_new_weights(qtbot, hand, window):
    ui, canvas, refs = hand
    canvas.click(canvas.weight(refs["w00"]))
    wait_for(qtbot, ui, refs["w00"])
    canvas.key(Qt.Key.Key_F10)  # one step of SGD on the batch of both rows
    qtbot.waitUntil(lambda: ui.document.run_state is RunState.PAUSED, timeout=WAIT)
    qtbot.waitUntil(lambda: not ui.pending and "0.5 − 0.1 · 3.9" not in plain(ui.panel.update_label),
                    timeout=WAIT)
    w1, b1, w2, b2 = (np.array(v) for v in ([[0.5, -0.25], [0.25, 0.5]], [0.1, 0.0], [[1.0], [2.0]], [0.2]))
    _, gw1, gb1, gw2, gb2 = reference(w1, b1, w2, b2)
    w1, b1, w2, b2 = w1 - 0.1 * gw1, b1 - 0.1 * gb1, w2 - 0.1 * gw2, b2 - 0.1 * gb2
    assert w1[0, 0] == pytest.approx(0.11)
    expected = reference(w1, b1, w2, b2)[1][0, 0]
    heading = flat(ui.panel.heading)
    assert heading.startswith(f"∂L ∂w for in[0] → h[0] = {expected:.8g} "), heading
    shown = f"{expected:.6g}" if expected >= 0 else f"({expected:.6g})"  # negative factors in parentheses
    assert plain(ui.panel.update_label).startswith(f"w' = w − α·∂L/∂w = 0.11 − 0.1 · {shown} = ")


def test_while_training_runs_the_panel_waits_for_a_pause(qtbot, window):
    ui = open_explorer(qtbot, window)
    canvas = Canvas(window)
    c = window.network.find_connection(canvas.layer("h1"), canvas.layer("h2"))
    ref = WeightRef(c.id, 2, 3)
    canvas.click(along(canvas, ref))
    before = wait_for(qtbot, ui, ref, sample=0)  # the first sample, by default
    QTest.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: ui.document.run_state is RunState.RUNNING and ui.panel.notice.isVisible(), timeout=WAIT)
    assert ui.panel.notice.text() == RUNNING_NOTE and not ui.panel.tabs.isEnabled()
    assert ui.panel.explanation is before  # nothing computed while the worker owns the network
    QTest.keyClick(window, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: ui.document.run_state is RunState.PAUSED and ui.panel.explanation is not before,
                    timeout=WAIT)
    assert not ui.panel.notice.isVisible() and ui.panel.tabs.isEnabled()
    assert ui.panel.explanation.update.value == c.weight.value[2, 3]


def test_an_engine_error_is_a_message_not_a_traceback(qtbot, hand, window):
    ui, canvas, refs = hand
    canvas.click(canvas.neuron(canvas.layer("h"), 0))
    wait_for(qtbot, ui, refs["b0"])
    window.network.resize_layer(canvas.layer("in"), 3)  # the data has 2 features
    qtbot.waitUntil(lambda: ui.panel.explanation is None and not ui.pending, timeout=WAIT)
    assert plain(ui.panel.message).startswith("the data has 2 input columns but the input layer 'in' has 3 neurons")
