"""The lecture notes' own examples in the explorer: the scalar chain's dy/dx, and a weight with two paths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import DataError, WeightRef, layered
from engine.explain import explain_output, explain_weight
from engine.explain.text import number
from engine.project import load_project
from engine.project.examples import EXAMPLES


def _project(name: str):
    return load_project(EXAMPLES[name])


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@pytest.mark.parametrize("x", [-2.0, -0.7, 0.3, 1.0, 1.5])
def test_the_scalar_chain_explains_dy_dx_as_the_closed_form(x):
    e = explain_output(_project("Scalar chain (notes)").network, 0, [[x]])
    closed = -2 * x * math.exp(-x * x)
    assert e.derivative == pytest.approx(closed, rel=1e-12, abs=1e-15)
    assert e.paths.count == 1 and e.paths.paths[0].contribution == pytest.approx(closed, rel=1e-12, abs=1e-15)
    assert e.check is not None and e.check.agrees(1e-6)
    assert e.check.numeric == pytest.approx(closed, rel=1e-6)


def test_the_scalar_chain_reads_like_the_notes():
    x = 1.3
    e = explain_output(_project("Scalar chain (notes)").network, 0, [[x]])
    h1 = x * x
    h2 = math.exp(h1)
    numbers = " · ".join(number(v, 4) for v in (-1 / h2**2, math.exp(h1), 2 * x))
    assert e.notes == (f"(−1/h2²) · e^h1 · 2x = {numbers} = {-2 * x * math.exp(-x * x):.6g}",)
    text = e.as_text()
    assert text.startswith(f"dy/dx = {-2 * x * math.exp(-x * x):.6g}   (the output y itself, no loss")
    assert "x[0] → h1[0] → h2[0] → y[0]: (−1/h2²) · e^h1 · 2x" in text
    assert "Check by central differences" in text


def test_the_scalar_chains_first_weight_adds_its_input_as_the_last_factor():
    net = _project("Scalar chain (notes)").network
    conn = net.incoming(net.layer_by_name("h1").id)[0]
    xs = np.array([[0.5], [-1.2]])
    e = explain_output(net, WeightRef(conn.id, 0, 0), xs)
    # a_h1 = w·x with w = 1, so dy/dw = dy/dx · x, averaged over the two samples
    assert e.derivative == pytest.approx(np.mean([-2 * x * math.exp(-x * x) * x for x in xs[:, 0]]), rel=1e-12)
    assert e.notes[0].startswith("(−1/h2²) · e^h1 · 2x · x = ")
    assert e.check is not None and e.check.agrees(1e-6)


def test_explaining_the_output_refuses_what_it_cannot_explain():
    net = _project("Scalar chain (notes)").network
    with pytest.raises(DataError, match="input 1 is outside the input layer x"):
        explain_output(net, 1, [[1.0]])
    with pytest.raises(DataError, match="output 1 is outside"):
        explain_output(net, 0, [[1.0]], output=1)
    with pytest.raises(DataError, match="softmax"):
        explain_output(layered([2, 3], "tanh", "softmax"), 0, [[1.0, 2.0]])


def test_the_two_path_weight_is_the_sum_of_the_notes_two_chain_products():
    project = _project("Two paths (notes)")
    net = project.network
    w1, w2, w3 = (c.weight.value for c in (net.outgoing(lid)[0] for lid in net.topological_order()[:3]))
    b1, b2, b3 = (net.layer(lid).bias.value for lid in net.topological_order()[1:])
    x, t = np.array([[0.4, -0.9]]), np.array([[1.0]])
    i, j = 0, 1  # the weight in[0] → h1[1] of layer 1
    ref = WeightRef(net.outgoing(net.input_layer.id)[0].id, i, j)
    e = explain_weight(net, ref, x, t, project.settings.loss)
    assert e.paths.count == 2 and len(e.paths.paths) == 2
    # by hand, as the notes write it (BCE fused with the sigmoid output: ∂L/∂a_y = y − t):
    # dL/dw = Σ over k of ∂L/∂a_y · ∂a_y/∂h2k · ∂h2k/∂a2k · ∂a2k/∂h1j · ∂h1j/∂a1j · x_i
    h1 = _sigmoid(x[0] @ w1 + b1)
    h2 = _sigmoid(h1 @ w2 + b2)
    y = _sigmoid(h2 @ w3 + b3)[0]
    by_hand = sorted(float((y - t[0, 0]) * w3[k, 0] * h2[k] * (1 - h2[k]) * w2[j, k] * h1[j] * (1 - h1[j]) * x[0, i])
                     for k in range(2))
    listed = sorted(p.contribution for p in e.paths.paths)
    assert listed == pytest.approx(by_hand, rel=1e-12)
    assert math.fsum(listed) == pytest.approx(e.gradient, rel=1e-12)
    assert e.gradient == pytest.approx(e.paths.total, rel=1e-12) and e.check is not None and e.check.agrees(1e-6)
