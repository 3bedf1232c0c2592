"""Path form of the chain rule on random DAGs: every path found once, counted, summed exactly to backprop."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from random_nets import networks

from engine import Network, WeightRef, gradient_check
from engine.explain import ENUMERATE_LIMIT, PathSearch, explain_weight
from engine.explain.batch import PerSample, private_plan
from engine.gradcheck import all_refs


def brute_force_paths(net: Network, layer_id: int, j: int) -> list[tuple[tuple[int, int], ...]]:
    """Every path from neuron j of a layer to an output neuron, by plain recursion over existing weights."""
    if net.layer(layer_id).kind == "output":
        return [((layer_id, j),)]
    return [((layer_id, j), *rest) for c in net.outgoing(layer_id) for k in np.flatnonzero(c.weight.mask[j])
            for rest in brute_force_paths(net, c.target, int(k))]


def target_neuron(net: Network, ref) -> tuple[int, int]:
    return (net.connection(ref.conn).target, ref.j) if isinstance(ref, WeightRef) else (ref.layer, ref.j)


def close(a: float, b: float, scale: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= rel * scale + 1e-300


@settings(max_examples=60, deadline=None)
@given(networks())
def test_paths_are_all_found_once_ordered_and_sum_to_backprop(problem):
    net, loss, x, y = problem
    for check in gradient_check(net, x, y, loss):  # independent backprop values (the check's own compile)
        e = explain_weight(net, check.ref, x, y, loss, max_paths=10**6, check=False)
        expected = brute_force_paths(net, *target_neuron(net, check.ref))
        assert e.paths.count == len(expected) == len(e.paths.paths)
        assert sorted(p.neurons for p in e.paths.paths) == sorted(expected)
        sizes = [abs(p.contribution) for p in e.paths.paths]
        assert sizes == sorted(sizes, reverse=True)
        # rounding scales with the per-sample terms, which may cancel to a mean of 0 that backprop's matmul (another
        # summation order) leaves at 1e-18
        terms = math.fsum(float(np.abs(p.samples).mean()) for p in e.paths.paths)
        scale = max(math.fsum(sizes), terms, abs(check.backprop))
        assert close(e.paths.listed, check.backprop, scale)
        assert close(e.paths.total, check.backprop, scale)
        assert e.paths.remainder == 0.0 and e.paths.remainder_count == 0
        assert close(e.local.gradient, check.backprop, scale)
        assert e.gradient == check.backprop
        for path in e.paths.paths:  # a path's value is the per-sample product of the factors it shows
            product = np.prod([np.broadcast_to(f.samples, (len(x),)) for f in path.factors], axis=0)
            np.testing.assert_allclose(path.samples, product, rtol=1e-12, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(networks())
def test_local_form_rebuilds_delta_from_its_terms(problem):
    net, loss, x, y = problem
    for ref in all_refs(net):
        loc = explain_weight(net, ref, x, y, loss, max_paths=0, check=False).local
        if loc.f_prime is None:
            rebuilt = np.prod([f.samples for f in loc.loss_factors], axis=0)
        else:
            rebuilt = loc.f_prime.samples * sum((t.weight.samples * t.delta.samples for t in loc.terms), 0.0)
        scale = np.abs(loc.delta.samples).max() + sum(abs(t.value) for t in loc.terms)
        np.testing.assert_allclose(rebuilt, loc.delta.samples, rtol=0, atol=1e-12 * scale + 1e-300)
        # the factors the samples table shows multiply to δ per sample, and its products average to the gradient
        shown = np.prod([np.broadcast_to(f.samples, rebuilt.shape) for f in loc.delta_factors], axis=0)
        np.testing.assert_allclose(shown, loc.delta.samples, rtol=0, atol=1e-12 * scale + 1e-300)
        np.testing.assert_array_equal(loc.product.samples, loc.source.samples * loc.delta.samples)
        assert loc.product.value == loc.gradient


@settings(max_examples=60, deadline=None)
@given(networks(), st.integers(0, 3))
def test_remainder_of_capped_paths_is_exact_by_both_methods(problem, cap):
    net, loss, x, y = problem
    for ref in all_refs(net):
        full = explain_weight(net, ref, x, y, loss, max_paths=10**6, check=False).paths.paths
        capped = explain_weight(net, ref, x, y, loss, max_paths=cap, check=False)
        listed = {p.neurons for p in capped.paths.paths}
        rest = [p.contribution for p in full if p.neurons not in listed]
        expected = math.fsum(rest)
        scale = math.fsum(abs(c) for c in rest) + 1e-15 * math.fsum(abs(p.contribution) for p in full)
        assert capped.paths.remainder_count == len(rest)
        assert capped.paths.remainder_method == "enumerated"
        assert close(capped.paths.remainder, expected, scale)
        plan = private_plan(net)  # the general method, which explain_weight keeps for many paths
        lid, j = target_neuron(net, ref)
        search = PathSearch(PerSample(net, plan, x, y, loss), plan.pos[lid], j, capped.local.source)
        assert close(search.branch_remainder(capped.paths.paths), expected, scale)


def test_paths_are_found_lazily_among_more_paths_than_int64_can_count():
    """17 hidden layers of 16 neurons: 16**16 = 2**64 paths from a first-layer neuron, five of them listed."""
    net = Network(seed=5)
    layers = [net.add_layer(2, "input"), *(net.add_layer(16, activation="tanh") for _ in range(17)),
              net.add_layer(1, "output", "identity")]
    first = None
    for a, b in itertools.pairwise(layers):
        c = net.connect(a.id, b.id)
        first = first or c
    rng = np.random.default_rng(0)
    e = explain_weight(net, WeightRef(first.id, 0, 3), rng.normal(size=(1, 2)), [[0.5]], "mse", max_paths=5,
                       check=False)
    assert e.paths.count == 16**16 > np.iinfo(np.int64).max
    assert e.paths.remainder_count == 16**16 - 5
    assert e.paths.remainder_method == "branch sums"
    assert all(len(p.neurons) == 18 for p in e.paths.paths)
    sizes = [abs(p.contribution) for p in e.paths.paths]
    assert sizes == sorted(sizes, reverse=True)
    assert close(e.paths.listed + e.paths.remainder, e.gradient, abs(e.gradient))


def test_enumeration_limit_is_where_the_method_switches():
    net = Network(seed=1)
    layers = [net.add_layer(1, "input"), net.add_layer(8), net.add_layer(8), net.add_layer(8),
              net.add_layer(4, "output", "identity")]
    conns = [net.connect(a.id, b.id) for a, b in itertools.pairwise(layers)]
    e = explain_weight(net, WeightRef(conns[0].id, 0, 0), [[1.0]], [[0.1, 0.2, 0.3, 0.4]], "mse", max_paths=0,
                       check=False)
    assert e.paths.count == 8 * 8 * 4 <= ENUMERATE_LIMIT and e.paths.remainder_method == "enumerated"
    assert close(e.paths.remainder, e.gradient, abs(e.gradient))


def test_a_weight_with_a_million_paths_lists_a_bounded_few_and_an_exact_remainder():
    """3-40-100-100-100-1 (ReLU): a first-layer weight reaches the loss along 100³ = 10⁶ paths. The explanation
    lists 50 of them and sums the rest by branches (no path-by-path enumeration); listed + remainder is the
    gradient, which central differences confirm."""
    net = Network(seed=7)
    layers = [net.add_layer(3, "input"), net.add_layer(40, activation="relu"),
              *(net.add_layer(100, activation="relu") for _ in range(3)), net.add_layer(1, "output", "identity")]
    conns = [net.connect(a.id, b.id) for a, b in itertools.pairwise(layers)]
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    e = explain_weight(net, WeightRef(conns[0].id, 1, 5), x, y, "mse")
    assert e.paths.count == 100**3
    assert len(e.paths.paths) == 50 and e.paths.remainder_count == 100**3 - 50
    assert e.paths.remainder_method == "branch sums"
    assert close(e.paths.listed + e.paths.remainder, e.gradient, abs(e.gradient))
    assert e.check.rel_error < 1e-6


@given(st.integers(1, 40), st.sampled_from([np.float32, np.float64]), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_the_search_keys_are_np_means_to_the_bit(n, dtype, seed):
    """`PathSearch._queue` averages over samples with np.add.reduce / n instead of np.mean (its wrapper cost a third
    of the search); the keys, which order the listed paths, must be the same numbers in either dtype."""
    x = np.random.default_rng(seed).normal(size=(n, 7)).astype(dtype) * 10.0 ** np.arange(-3, 4)
    assert (np.add.reduce(x, axis=0) / n).tobytes() == x.mean(axis=0).tobytes()
