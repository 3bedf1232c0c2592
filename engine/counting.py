"""A network's weights and biases counted the way the lecture notes count them: 4·3 + 3·2 + 2·1 = 20 weights.

A student checks a count by the layer sizes that make it, so the total comes with its terms: one per connection
(source size · target size, or the number of drawn weights when only some pairs are connected) and one bias term
per layer that has biases, in the order the data flows.
"""

from __future__ import annotations

from .graph.model import Network


def _counted(total: int, noun: str, terms: list[str]) -> str:
    text = f"{total} {noun}"
    return f"{text} ({' + '.join(terms)})" if terms else text


def parameter_count(network: Network) -> str:
    """E.g. "20 weights (4·3 + 3·2 + 2·1), 6 biases (3 + 2 + 1)"."""
    order = network.topological_order()
    rank = {lid: k for k, lid in enumerate(order)}
    weights = []
    for c in sorted(network.connections.values(), key=lambda c: (rank[c.source], rank[c.target])):
        drawn, (rows, cols) = int(c.weight.mask.sum()), c.weight.mask.shape
        weights.append(f"{rows}·{cols}" if drawn == rows * cols else str(drawn))
    biases = [str(network.layer(lid).size) for lid in order if network.layer(lid).bias is not None]
    n_w, n_b = network.n_weights, network.n_biases
    return (f"{_counted(n_w, 'weight' if n_w == 1 else 'weights', weights)}, "
            f"{_counted(n_b, 'bias' if n_b == 1 else 'biases', biases)}")
