"""Which weights and neurons lie on some path from a parameter to the loss: "Highlight all paths".

The paths themselves are never all built (there can be 2⁶⁴ of them); their union is found the way the engine
counts them, layer by layer: a neuron is on a path when it is reachable from the explained neuron *and* reaches
an output neuron through existing weights (a hidden layer that leads nowhere carries no path). A weight is on a
path when both its ends are.
"""

from __future__ import annotations

import numpy as np

from ..graph.model import Network
from ..refs import BiasRef, ParamRef, WeightRef


def _reaching_output(network: Network, order: list[int]) -> dict[int, np.ndarray]:
    """Per layer, which neurons reach the output layer through existing weights."""
    out = network.output_layer.id
    alive: dict[int, np.ndarray] = {}
    for lid in reversed(order):
        if lid == out:
            alive[lid] = np.ones(network.layer(lid).size, bool)
            continue
        found = np.zeros(network.layer(lid).size, bool)
        for c in network.outgoing(lid):
            found |= (c.weight.mask & alive[c.target]).any(axis=1)
        alive[lid] = found
    return alive


def path_union(network: Network, ref: ParamRef) -> list[ParamRef]:
    """Every weight on a path from `ref` to the loss (`ref` itself first), then the path's neurons as bias refs
    (the scene highlights a bias ref's neuron)."""
    start = network.connection(ref.conn).target if isinstance(ref, WeightRef) else ref.layer
    order = network.topological_order()
    alive = _reaching_output(network, order)
    reached = {start: np.zeros(network.layer(start).size, bool)}
    reached[start][ref.j] = alive[start][ref.j]
    weights: list[ParamRef] = [ref] if isinstance(ref, WeightRef) else []
    neurons: list[ParamRef] = []
    for lid in order[order.index(start):]:
        here = reached.get(lid)
        if here is None or not here.any():
            continue
        neurons += [BiasRef(lid, int(j)) for j in np.flatnonzero(here)]
        for c in network.outgoing(lid):
            on_path = c.weight.mask & here[:, None] & alive[c.target][None, :]
            weights += [WeightRef(c.id, int(i), int(k)) for i, k in np.argwhere(on_path)]
            reached[c.target] = reached.get(c.target, np.zeros(on_path.shape[1], bool)) | on_path.any(axis=0)
    return weights + neurons
