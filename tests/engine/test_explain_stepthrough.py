"""StepThrough: one sample's forward pass, loss, backward pass and update, frame by frame, on a DAG with skips."""

from __future__ import annotations

import numpy as np
import pytest

from engine import ACTIVATIONS, LOSSES, BiasRef, Network, Trainer, TrainSettings, gradient_check
from engine.explain import StepThrough
from engine.explain.stepthrough import PHASES
from engine.gradcheck import all_refs


@pytest.fixture
def skip_net():
    """in(2) → h1(3, tanh) → h2(2, sigmoid) → out(2, identity), plus skips in → h2 and h1 → out (sparse)."""
    net = Network(seed=7)
    inp = net.add_layer(2, "input")
    h1 = net.add_layer(3, activation="tanh")
    h2 = net.add_layer(2, activation="sigmoid")
    out = net.add_layer(2, "output", "identity")
    for a, b in ((inp, h1), (h1, h2), (h2, out), (inp, h2)):
        net.connect(a.id, b.id)
    net.add_weight(h1.id, 0, out.id, 1)
    net.add_weight(h1.id, 2, out.id, 0)
    rng = np.random.default_rng(7)
    for layer in (h1, h2, out):
        layer.bias.value[:] = rng.normal(0, 0.3, layer.size)
    return net, np.array([0.4, -1.3]), np.array([0.2, -0.5])


def plain_forward(net: Network, x: np.ndarray) -> tuple[dict, dict]:
    """a and h per layer id, summing every incoming connection, straight from the model's arrays."""
    a, h = {}, {}
    for lid in net.topological_order():
        layer = net.layer(lid)
        if layer.kind == "input":
            h[lid] = x
            continue
        a[lid] = sum(h[c.source] @ c.weight.value for c in net.incoming(lid)) + layer.bias.value
        h[lid] = ACTIVATIONS[layer.activation].forward(a[lid])
    return a, h


def test_frames_visit_every_neuron_forward_then_backward(skip_net):
    net, x, y = skip_net
    frames = StepThrough(net, x, y, "mse", lr=0.1).frames
    phases = [f.phase for f in frames]
    assert phases == sorted(phases, key=PHASES.index)
    order = net.topological_order()
    expected_forward = []
    for lid in order:
        layer = net.layer(lid)
        for j in range(layer.size):
            expected_forward += [(lid, j, "h")] if layer.kind == "input" else [(lid, j, "a"), (lid, j, "h")]
    forward = [f for f in frames if f.phase == "forward"]
    assert [(f.layer, f.neuron, f.quantity) for f in forward] == expected_forward
    backward = [f for f in frames if f.phase == "backward"]
    expected_backward = [(lid, j) for lid in reversed(order) if net.layer(lid).kind != "input"
                         for j in range(net.layer(lid).size)]
    assert [(f.layer, f.neuron) for f in backward] == expected_backward
    assert [f.quantity for f in frames if f.phase == "loss"] == ["L"]
    assert [f.ref for f in frames if f.phase == "update"] == all_refs(net)


def test_frame_values_match_an_independent_computation(skip_net):
    net, x, y = skip_net
    step = StepThrough(net, x, y, "mse", lr=0.1)
    a, h = plain_forward(net, x[None, :])
    for f in step.phase("forward"):
        expected = (a if f.quantity == "a" else h)[f.layer][0, f.neuron]
        assert f.value == pytest.approx(expected, rel=1e-12)
        assert f.formula.endswith(f"= {f.value:.4g}")
    (loss,) = step.phase("loss")
    out = net.output_layer.id
    assert loss.value == pytest.approx(LOSSES["mse"].value(a[out], h[out], y[None, :]), rel=1e-12)
    checks = {c.ref: c for c in gradient_check(net, x[None, :], y[None, :], "mse")}
    for f in step.phase("backward"):  # δ_j is dL/db_j, for the one sample
        check = checks[BiasRef(f.layer, f.neuron)]
        assert f.value == pytest.approx(check.backprop, rel=1e-12)
        assert f.value == pytest.approx(check.numeric, rel=1e-6, abs=1e-9)
    for f in step.phase("update"):
        assert f.value == pytest.approx(-0.1 * checks[f.ref].backprop, rel=1e-12)
        assert f.formula.startswith("w' = w − α·∂L/∂w")


def test_hidden_delta_formula_lists_every_consumer_including_the_skip(skip_net):
    net, x, y = skip_net
    h1 = net.layer_by_name("h1")
    frame = next(f for f in StepThrough(net, x, y, "mse").phase("backward") if (f.layer, f.neuron) == (h1.id, 0))
    # h1[0] feeds h2[0], h2[1] and, through the drawn skip weight, out[1]: three products in its sum
    assert frame.formula.startswith("δ = f'(a) · Σ w·δ = ") and frame.formula.count(" + ") == 2
    skip = net.find_connection(h1.id, net.output_layer.id).weight.value[0, 1]
    assert f"{skip:.4g}" in frame.formula


def test_update_frames_use_the_trainers_optimiser(skip_net):
    net, x, y = skip_net
    trainer = Trainer(net, x[None, :], y[None, :], TrainSettings(loss="mse", optimizer="adam", batch_size=1,
                                                                optimizer_params={"lr": 0.05}))
    trainer.step()
    step = StepThrough(net, x, y, "mse", optimizer=trainer.optimizer)
    trainer.step()
    for f in step.phase("update"):
        assert f.value == pytest.approx(net.param(f.ref.key).delta[f.ref.index], rel=1e-12)
        assert "(adam, step 2)" in f.formula


def test_classification_sample_with_a_label():
    net = Network(seed=2)
    inp, out = net.add_layer(2, "input"), net.add_layer(3, "output", "softmax")
    net.connect(inp.id, out.id)
    step = StepThrough(net, [1.0, -1.0], 2, "cross_entropy")
    deltas = [f.value for f in step.phase("backward")]
    h = [f.value for f in step.phase("forward") if f.quantity == "h" and f.layer == out.id]
    np.testing.assert_allclose(deltas, np.array(h) - [0, 0, 1], rtol=1e-12)  # ŷ − t, the fused softmax + CE
    assert "fused with softmax" in step.phase("backward")[0].formula
