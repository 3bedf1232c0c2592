""""Highlight all paths": the union of every path from a parameter to the loss, against a brute-force walk."""

from __future__ import annotations

import numpy as np

from engine import BiasRef, Network, WeightRef
from engine.explain import path_union


def tangled_net() -> Network:
    """Skips over one and two layers, a hidden layer that leads nowhere, and cut weights."""
    net = Network(seed=1)
    inp, h1, h2 = net.add_layer(3, "input"), net.add_layer(4, name="h1"), net.add_layer(3, name="h2")
    dead, out = net.add_layer(2, name="dead"), net.add_layer(2, "output", "sigmoid")
    for a, b in ((inp, h1), (h1, h2), (h2, out), (h1, out), (h1, dead), (inp, h2)):
        net.connect(a.id, b.id)
    c12 = net.find_connection(h1.id, h2.id)
    for i, j in ((0, 0), (0, 1), (0, 2), (2, 1)):  # h1[0] now reaches the output only through the skip
        net.set_present(c12.id, i, j, False)
    net.set_present(net.find_connection(h2.id, out.id).id, 1, 0, False)
    return net


def brute_force(net: Network, ref) -> set:
    """Walk every path from the parameter's neuron to an output neuron, one by one."""
    is_weight = isinstance(ref, WeightRef)
    start = (net.connection(ref.conn).target if is_weight else ref.layer, ref.j)
    found: set = {ref} if is_weight else set()

    def walk(neuron, edges, neurons):
        lid, j = neuron
        if net.layer(lid).kind == "output":
            found.update(edges, neurons)
            return
        for c in net.outgoing(lid):
            for k in np.flatnonzero(c.weight.mask[j]):
                walk((c.target, int(k)), [*edges, WeightRef(c.id, j, int(k))], [*neurons, BiasRef(c.target, int(k))])

    walk(start, [], [BiasRef(start[0], start[1])])
    return found if len(found) > is_weight else set()


def test_the_union_of_all_paths_is_what_walking_every_path_finds():
    net = tangled_net()
    refs = [BiasRef(lid, j) for lid, layer in net.layers.items() if layer.kind != "input" for j in range(layer.size)]
    refs += [WeightRef(c.id, int(i), int(j)) for c in net.connections.values() for i, j in np.argwhere(c.weight.mask)]
    checked = 0
    for ref in refs:
        union = path_union(net, ref)
        expected = brute_force(net, ref)
        assert len(union) == len(set(union))
        if expected:
            assert set(union) == expected, net.ref_name(ref)
            checked += 1
        else:  # no path to the loss (the dead-end layer): only the weight itself is marked
            assert union == ([ref] if isinstance(ref, WeightRef) else []), net.ref_name(ref)
    assert checked > 30
    h1 = net.layer_by_name("h1").id
    union = path_union(net, BiasRef(h1, 0))
    assert {r.conn for r in union if isinstance(r, WeightRef)} == {net.find_connection(h1, net.output_layer.id).id}
