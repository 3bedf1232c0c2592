"""The edge arrays' geometry and colour maths, checked against brute-force computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Network, WeightRef
from gui.editor.edges import EdgeArrays, build_edges, colour_units, crossing, distances, inside, width_levels

coords = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
segment = st.tuples(coords, coords, coords, coords)


def sampled(line, k: int = 2001) -> np.ndarray:
    t = np.linspace(0.0, 1.0, k)[:, None]
    return np.asarray(line[:2]) * (1 - t) + np.asarray(line[2:]) * t


@settings(max_examples=150, deadline=None)
@given(st.lists(segment, min_size=1, max_size=8), coords, coords)
def test_distances_match_the_nearest_of_many_points_on_each_segment(lines, x, y):
    got = distances(np.array(lines, float), x, y)
    for line, d in zip(lines, got, strict=True):
        brute = np.hypot(*(sampled(line) - (x, y)).T).min()
        assert d <= brute + 1e-9 and d == pytest.approx(brute, abs=0.2)


@settings(max_examples=150, deadline=None)
@given(st.lists(segment, min_size=1, max_size=8), segment)
def test_crossing_and_inside_agree_with_points_sampled_along_each_segment(lines, corners):
    left, right = sorted(corners[0::2])
    top, bottom = sorted(corners[1::2])
    rect = (left, top, right, bottom)
    array = np.array(lines, float)
    hits, within = crossing(array, rect), inside(array, rect)
    for line, hit, whole in zip(lines, hits, within, strict=True):
        pts = sampled(line)
        in_rect = (pts[:, 0] >= left) & (pts[:, 0] <= right) & (pts[:, 1] >= top) & (pts[:, 1] <= bottom)
        if in_rect.any():
            assert hit  # a sampled point inside: it surely crosses (the converse may miss a grazing touch)
        assert whole == bool(in_rect[0] and in_rect[-1])
        if whole:
            assert hit


def test_edges_of_dense_and_sparse_connections_and_their_rows():
    net = Network()
    a, b, c = net.add_layer(2, "input"), net.add_layer(3), net.add_layer(2, "output")
    dense = net.connect(a.id, b.id)
    net.set_present(dense.id, 1, 2, False)
    sparse = net.add_weight(b.id, 2, c.id, 1)
    net.add_weight(b.id, 0, c.id, 0)
    anchors = {lay.id: (np.array([[10.0 * lay.id + 1, k] for k in range(lay.size)]),
                        np.array([[10.0 * lay.id - 1, k] for k in range(lay.size)])) for lay in (a, b, c)}
    edges = build_edges(net, anchors)
    assert len(edges) == 6 + 2
    assert edges.cut.tolist() == [False] * 5 + [True] + [False] * 2
    assert [edges.ref(k) for k in range(6, 8)] == [WeightRef(sparse.id, 0, 0), WeightRef(sparse.id, 2, 1)]
    for k in range(len(edges)):
        ref = edges.ref(k)
        cid, i, j = ref.conn, ref.i, ref.j
        src, dst = net.connection(cid).source, net.connection(cid).target
        np.testing.assert_array_equal(edges.lines[k], [10.0 * src + 1, i, 10.0 * dst - 1, j])
        assert edges.index(cid, i, j) == k
    assert edges.index(sparse.id, 1, 1) is None and edges.index(999, 0, 0) is None
    values, known = edges.gather({dense.id: np.arange(6.0).reshape(2, 3), sparse.id: np.ones((2, 2))})
    assert values[:6].tolist() == list(range(6)) and known.tolist() == [True] * 6 + [False] * 2  # stale shape
    assert len(EdgeArrays.empty()) == 0


def test_every_edge_gathers_its_own_weights_value_whichever_way_its_connection_is_stored():
    """Dense, sparse with every weight drawn (both in row-major order: read without indexing) and sparse with some."""
    net = Network()
    a, b, c, d = net.add_layer(3, "input"), net.add_layer(4), net.add_layer(2), net.add_layer(2, "output")
    dense = net.connect(a.id, b.id)
    net.set_present(dense.id, 2, 1, False)
    for i in range(4):
        for j in range(2):
            full = net.add_weight(b.id, i, c.id, j)
    partial = net.add_weight(c.id, 1, d.id, 0)
    net.add_weight(c.id, 0, d.id, 1)
    anchors = {lay.id: (np.zeros((lay.size, 2)), np.ones((lay.size, 2))) for lay in (a, b, c, d)}
    edges = build_edges(net, anchors)
    rng = np.random.default_rng(5)
    arrays = {conn.id: rng.normal(size=conn.weight.shape) for conn in (dense, full, partial)}
    values, known = edges.gather(arrays)
    assert known.all() and len(edges) == 12 + 8 + 2
    for k in range(len(edges)):
        ref = edges.ref(k)
        assert values[k] == arrays[ref.conn][ref.i, ref.j]


def test_colour_scales_with_nothing_to_show_and_with_a_single_value():
    slices = {1: slice(0, 3)}
    unit, lo, hi = colour_units(np.zeros(3), np.ones(3, bool), slices, "magnitude", "global")
    assert unit.tolist() == [0, 0, 0] and (lo, hi) == (0.0, 0.0)
    unit, lo, hi = colour_units(np.full(3, 0.5), np.ones(3, bool), slices, "signed", "connection")
    assert unit.tolist() == [1, 1, 1] and (lo, hi) == (-0.5, 0.5)
    assert width_levels(np.array([0.0, -2.0, 1.0]), np.ones(3, bool)).tolist() == [0, 3, 2]
