"""Every number the values overlay writes on the canvas: each neuron's a, h and δ and each weight's w and dL/dw,
for one sample or as a batch's mean, from one forward and backward pass on a private copy of the plan.

δ is each sample's own δ (`PerSample`), and dL/dw = mean over samples of h_i·δ_j, which is the batch's gradient:
so for one sample the three numbers beside a weight and its two neurons multiply as the notes say, dL/dw = h_i·δ_j.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..graph.model import Network
from .batch import PerSample, private_plan


@dataclass(frozen=True)
class NetworkValues:
    a: dict[int, np.ndarray]  # layer id -> (size,) pre-activations; the input layer's are its x
    h: dict[int, np.ndarray]  # layer id -> (size,) outputs
    delta: dict[int, np.ndarray]  # layer id -> (size,) δ = ∂ℓ/∂a; the input layer has none
    grads: dict[int, np.ndarray]  # connection id -> (n_src, n_dst) dL/dw
    samples: int  # how many samples the numbers are a mean over


def network_values(network: Network, x: npt.ArrayLike, y: npt.ArrayLike, loss: str) -> NetworkValues:
    """Means over the rows of `x` (one row: that sample's own numbers); the network is left as it was."""
    ps = PerSample(network, private_plan(network), x, y, loss)
    pos = ps.plan.pos
    a = {lid: ps.a[p].mean(axis=0) for lid, p in pos.items()}
    h = {lid: ps.h[p].mean(axis=0) for lid, p in pos.items()}
    delta = {lid: ps.delta[p].mean(axis=0) for lid, p in pos.items() if p in ps.delta}
    grads = {c.id: ps.h[pos[c.source]].T @ ps.delta[pos[c.target]] / ps.n for c in network.connections.values()}
    return NetworkValues(a, h, delta, grads, ps.n)
