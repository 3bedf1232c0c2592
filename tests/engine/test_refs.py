"""Weight and bias references: small frozen values whose key and index find the one number they name."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine import BiasRef, GraphError, WeightRef, compiled, layered
from engine.gradcheck import all_refs
from engine.refs import ref_at


def test_key_and_index_find_the_same_number_as_the_flat_buffers():
    net = layered([3, 4, 2], seed=1)
    c = next(iter(net.connections.values()))
    net.set_present(c.id, 1, 2, False)
    plan = compiled(net)
    refs = all_refs(net)
    assert WeightRef(c.id, 1, 2) not in refs and len(refs) == net.n_weights + net.n_biases
    for ref in refs:
        assert plan.value[plan.flat_index(ref)] == net.param(ref.key).value[ref.index]
        assert ref_at(ref.key, ref.index) == ref
    assert len({plan.flat_index(ref) for ref in refs}) == len(refs)


def test_refs_are_values():
    ref = WeightRef(3, 1, 2)
    assert ref == WeightRef(3, 1, 2) and len({ref, WeightRef(3, 1, 2), BiasRef(3, 1)}) == 2
    assert (ref.key, ref.index) == (("W", 3), (1, 2)) and (BiasRef(4, 0).key, BiasRef(4, 0).index) == (("b", 4), (0,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.i = 0  # type: ignore[misc]
    assert sorted([WeightRef(2, 0, 1), WeightRef(1, 5, 0), WeightRef(2, 0, 0)]) == [
        WeightRef(1, 5, 0), WeightRef(2, 0, 0), WeightRef(2, 0, 1)]


def test_edits_through_a_ref_reach_the_right_array():
    net = layered([2, 3, 1], seed=0)
    c = next(iter(net.connections.values()))  # input → hidden (3 neurons)
    lid = c.target
    net.set_value(BiasRef(lid, 2), 0.5)
    net.set_frozen(WeightRef(c.id, 1, 0), True)
    assert net.layer(lid).bias.value[2] == 0.5 and c.weight.frozen[1, 0] and c.weight.frozen.sum() == 1
    net.set_present(c.id, 0, 0, False)
    with pytest.raises(GraphError, match="is cut"):
        net.set_value(WeightRef(c.id, 0, 0), 1.0)
    assert np.isfinite(c.weight.value).all()


@pytest.mark.parametrize("old", [(("W", 1), (0, 0)), (("b", 2), (0,)), ("W", 1)])
def test_the_old_nested_tuples_are_refused_with_one_message(old):
    net = layered([2, 2, 1], seed=0)
    with pytest.raises(GraphError, match="neither a weight, WeightRef"):
        net.check_ref(old)  # type: ignore[arg-type]
