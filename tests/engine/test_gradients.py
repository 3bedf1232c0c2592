"""Backprop against central differences on random DAGs, float64: the engine's central promise."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from random_nets import HIDDEN_ACTIVATIONS, OUT_OF_RANGE, OUTPUT_PAIRS, near_kink, networks

from engine import CheckResult, WeightRef, compiled, encode_targets, gradient_check
from engine.gradcheck import GRAD_ATOL, all_refs
from engine.losses import get_loss

EPS = 1e-6


def assert_matches(net, loss, x, y):
    """Relative error below 1e-6, or an absolute one within what rounding leaves of a central difference: L's
    last bits over the step, |L|·10 ulp / ε (hypothesis found a piecewise-linear net with L = 6.5, where the
    difference is exact but for 1.3e-9 of rounding, over a fixed 1e-9 bound)."""
    lossfn = get_loss(loss)
    c = compiled(net)
    value = c.loss(c.forward(x), encode_targets(lossfn, y, net.output_layer.size, net.dtype), lossfn)
    rounding = 10 * np.finfo(np.float64).eps * max(1.0, abs(value)) / EPS
    results = gradient_check(net, x, y, loss, eps=EPS)
    assert len(results) == len(all_refs(net))
    for r in results:
        assert r.rel_error < 1e-6 or abs(r.backprop - r.numeric) < rounding, (r.name, r.backprop, r.numeric)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(networks())
def test_backprop_matches_central_differences(case):
    net, loss, x, y = case
    assume(not near_kink(net, loss, x, y, margin=1e-4))
    assert_matches(net, loss, x, y)


def skip_net(hidden_act: str, out_act: str, n_out: int):
    """in(3) → h1 → h2 → out, plus a dense skip in → out, a sparse pair in → h2, one cut and one frozen weight."""
    from engine import Network

    net = Network(seed=7)
    i, h1 = net.add_layer(3, "input"), net.add_layer(4, activation=hidden_act)
    h2, o = net.add_layer(3, activation=hidden_act), net.add_layer(n_out, "output", activation=out_act)
    net.connect(i.id, h1.id)
    c = net.connect(h1.id, h2.id)
    net.connect(h2.id, o.id)
    net.connect(i.id, o.id)
    net.add_weight(i.id, 2, h2.id, 1)
    net.set_present(c.id, 0, 0, False)
    net.set_frozen(WeightRef(c.id, 1, 1), True)
    for layer in (h1, h2, o):
        layer.bias.value[...] = np.linspace(-0.3, 0.4, layer.size)
    return net


@pytest.mark.parametrize("hidden_act", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize(("loss", "out_act"), [p for p in OUTPUT_PAIRS if p[1] in ("softmax", "sigmoid", "tanh",
                                                                                   "identity", "softplus")])
def test_every_activation_and_loss_on_a_skip_net(hidden_act, loss, out_act):
    """Deterministic coverage of every activation × every loss, which random examples cannot promise."""
    n_out = 3 if loss == "cross_entropy" else 2
    net = skip_net(hidden_act, out_act, n_out)
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, (6, 3))
    y = rng.integers(0, n_out, 6) if loss == "cross_entropy" else (
        rng.integers(0, 2, (6, n_out)).astype(float) if loss == "bce" else rng.normal(0, 1, (6, n_out)))
    assert not near_kink(net, loss, x, y, margin=1e-4)
    assert_matches(net, loss, x, y)


@pytest.mark.parametrize("act", sorted(OUT_OF_RANGE | {"sin"}))
@pytest.mark.parametrize("where", ["hidden", "output"])
def test_the_notes_elementwise_activations_where_they_are_defined(act, where):
    """x², eˣ, 1/x, log and sin, hidden and on the output, fed pre-activations in (0.2, 2.3): after a sigmoid layer
    through positive weights and biases."""
    from engine import Network

    net = Network(seed=5)
    i, s = net.add_layer(3, "input"), net.add_layer(3, activation="sigmoid")
    h = net.add_layer(2, activation=act if where == "hidden" else "tanh")
    o = net.add_layer(2, "output", activation=act if where == "output" else "identity")
    c = [net.connect(i.id, s.id), net.connect(s.id, h.id), net.connect(h.id, o.id)]
    rng = np.random.default_rng(2)
    for conn in c[1:]:
        conn.weight.value[...] = rng.uniform(0.1, 0.6, conn.weight.shape)
    for layer in (s, h, o):
        layer.bias.value[...] = 0.2
    if where == "output":
        net.connect(s.id, o.id)  # a second path into it
        net.outgoing(s.id)[-1].weight.value[...] = 0.2
    x = rng.normal(0, 1, (5, 3))
    assert_matches(net, "mse", x, rng.normal(0, 1, (5, 2)))


def test_cut_weights_have_zero_gradient_and_frozen_weights_keep_theirs():
    from engine import Network

    net = Network(seed=3)
    i, h, o = net.add_layer(2, "input"), net.add_layer(3), net.add_layer(1, "output", activation="identity")
    c1, c2 = net.connect(i.id, h.id), net.connect(h.id, o.id)
    net.set_present(c1.id, 0, 1, False)
    net.set_frozen(WeightRef(c2.id, 2, 0), True)
    x, y = np.random.default_rng(0).normal(size=(5, 2)), np.random.default_rng(1).normal(size=(5, 1))
    c = compiled(net)
    lossfn = get_loss("mse")
    c.backward(c.forward(x), encode_targets(lossfn, y, 1), lossfn)
    assert c1.weight.grad[0, 1] == 0.0 and c1.weight.value[0, 1] == 0.0
    assert c2.weight.grad[2, 0] != 0.0  # a frozen weight still has a gradient; it is just not applied


def test_a_tiny_gradient_off_by_rounding_agrees_and_a_wrong_one_does_not():
    """Central differences carry an absolute rounding error of ~1e-10 in float64, so a correct gradient of 1e-4
    can show a relative error of 1.9e-6; the explorer and `gradcheck` both judge by `CheckResult.agrees`."""
    ref = WeightRef(1, 0, 0)
    rounding = CheckResult(ref, "w", 1.0e-4, 1.0e-4 * (1 + 1.9e-6))
    assert rounding.rel_error > 1e-6 and rounding.agrees(1e-6)
    wrong = CheckResult(ref, "w", 1.0e-4, 1.2e-4)  # off by far more than rounding
    assert not wrong.agrees(1e-6) and not wrong.agrees(1e-3)
    large = CheckResult(ref, "w", 2.0, 2.0 * (1 + 1.9e-6))  # the floor is absolute: a large gradient is judged
    assert not large.agrees(1e-6) and large.agrees(1e-5)  # by its relative error
    assert not CheckResult(ref, "w", float("nan"), 0.0).agrees(1e-6)
    assert GRAD_ATOL == 1e-8
