"""The values overlay's numbers: dL/dw against central differences, a and h against the formulas of the notes'
4-3-2-1 network, and for one sample dL/dw = h_i · δ_j exactly."""

from __future__ import annotations

import numpy as np
import pytest

from engine import WeightRef, gradient_check
from engine.explain import network_values
from engine.project import EXAMPLES, load_project


@pytest.fixture
def lecture():
    net = load_project(EXAMPLES["Lecture notes 4-3-2-1 (Iris)"]).network
    rng = np.random.default_rng(0)
    return net, rng.normal(size=(5, 4)), rng.integers(0, 2, size=(5, 1)).astype(float)


def test_every_weight_gradient_matches_central_differences(lecture):
    net, x, t = lecture
    values = network_values(net, x, t, "bce")
    refs = [WeightRef(c.id, i, j) for c in net.connections.values() for i, j in np.ndindex(c.weight.shape)]
    checks = gradient_check(net, x, t, "bce", refs)
    assert len(checks) == 20
    for check in checks:
        ref = check.ref
        assert values.grads[ref.conn][ref.i, ref.j] == pytest.approx(check.numeric, rel=1e-5, abs=1e-9)


def test_a_and_h_follow_the_forward_formulas_and_are_batch_means(lecture):
    net, x, t = lecture
    values = network_values(net, x, t, "bce")
    h = x
    for layer in net.layers.values():
        if layer.kind == "input":
            continue
        (conn,) = net.incoming(layer.id)
        a = h @ conn.weight.value + layer.bias.value
        h = 1 / (1 + np.exp(-a))
        assert values.a[layer.id] == pytest.approx(a.mean(axis=0), rel=1e-12)
        assert values.h[layer.id] == pytest.approx(h.mean(axis=0), rel=1e-12)
    assert values.samples == 5 and net.input_layer.id not in values.delta


def test_for_one_sample_each_gradient_is_its_source_h_times_its_target_delta(lecture):
    net, x, t = lecture
    values = network_values(net, x[2:3], t[2:3], "bce")
    for c in net.connections.values():
        expected = np.outer(values.h[c.source], values.delta[c.target])
        assert values.grads[c.id] == pytest.approx(expected, rel=1e-12)
