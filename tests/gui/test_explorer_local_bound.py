"""δ_j's table of consumers is bounded: a neuron feeding hundreds lists the largest w·δ and the exact sum of the
rest (issue 18: a 400-row rich-text table took a second to lay out and froze the window).

The network, worked out by hand: in (1) → j (1 neuron, tanh) → k (20 neurons, identity) → out (1, identity), mean
squared error, one sample x = 0.5, t = 1. W_in,j = 0.8, so h_j = tanh(0.4); W_j,k = v_k = linspace(−1, 1.5, 20)
(no two of the same size); W_k,out = 0.5 for every k; no biases. ŷ = Σ_k 0.5 · v_k · h_j, δ_out = 2(ŷ − t),
δ_k = 0.5 · δ_out, and the terms are w_jk · δ_k = v_k · δ_k.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtGui import QPalette
from test_explorer_support import plain, set_params

from engine import Network, WeightRef
from engine.explain import explain_weight
from gui.colors import text_ink
from gui.explorer.render import local_form

LISTED = 12  # render.MAX_TERMS
V = np.linspace(-1.0, 1.5, 20)
H = np.tanh(0.4)
DELTA_K = 0.5 * 2 * (0.5 * H * V.sum() - 1.0)


def test_a_wide_consumer_table_lists_the_largest_terms_and_the_sum_of_the_rest(qapp):
    net = Network(seed=0)
    inp = net.add_layer(1, "input", name="in", position=(0.0, 0.0))
    j = net.add_layer(1, "hidden", "tanh", name="j", position=(200.0, 0.0))
    k = net.add_layer(20, "hidden", "identity", name="k", position=(400.0, 0.0))
    out = net.add_layer(1, "output", "identity", name="out", position=(600.0, 0.0))
    c1, c2, c3 = net.connect(inp.id, j.id), net.connect(j.id, k.id), net.connect(k.id, out.id)
    set_params(net, {("W", c1.id): [[0.8]], ("b", j.id): [0.0], ("W", c2.id): [V], ("b", k.id): np.zeros(20),
                     ("W", c3.id): np.full((20, 1), 0.5), ("b", out.id): [0.0]})
    e = explain_weight(net, WeightRef(c1.id, 0, 0), [[0.5]], [[1.0]], "mse", 0, check=False)
    text = " ".join(plain(local_form(e, text_ink(QPalette()))).split())
    rows = re.findall(r"k\[(\d+)\] (\S+) (\S+) (\S+)", text)
    terms = V * DELTA_K  # w_jk · δ_k, by hand (module docstring)
    largest = sorted(range(20), key=lambda n: -abs(terms[n]))[:LISTED]
    assert len(rows) == LISTED
    assert sorted(int(n) for n, *_ in rows) == sorted(largest)
    for n, w, delta, product in rows:
        assert (float(w), float(delta), float(product)) == pytest.approx((V[int(n)], DELTA_K, terms[int(n)]), rel=1e-5)
    rest = re.search(r"8 more (\S+)", text)
    assert rest is not None, text
    others = [terms[n] for n in range(20) if n not in largest]
    assert float(rest[1]) == pytest.approx(sum(others), rel=1e-5) and abs(sum(others)) > 1e-3
    assert "The 12 largest |w·δ| are listed; the last row is the sum of the other 8." in text
    # the shown rows still add up to δ_j = f′(a_j) · Σ_k w_jk δ_k
    f_prime = 1 - H**2
    delta_j = float(re.search(r"δj = (\S+) ∂L/∂w", text)[1])
    assert f_prime * (sum(float(p) for *_, p in rows) + float(rest[1])) == pytest.approx(delta_j, rel=1e-5)
