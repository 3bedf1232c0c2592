"""Edits of the network: weights that still make sense survive, undo records restore exactly, bad edits are refused
with messages that name the culprit."""

from __future__ import annotations

import numpy as np
import pytest

from engine import (
    CycleError,
    GraphError,
    LayerChanged,
    LayerMoved,
    LayerResized,
    Network,
    Trainer,
    TrainSettings,
    ValidationError,
    WeightRef,
    layered,
    validate,
)


def mlp(*sizes, seed=0):
    net = layered(sizes, seed=seed)
    return net, list(net.layers.values())


def fingerprint(net: Network):
    """Everything that defines the network, for exact comparisons."""
    layers = sorted((lay.id, lay.name, lay.kind, lay.size, lay.activation, lay.position,
                     None if lay.bias is None else lay.bias.value.tobytes()) for lay in net.layers.values())
    conns = sorted((c.id, c.source, c.target, c.init, c.weight.value.tobytes(), c.weight.mask.tobytes(),
                    c.weight.frozen.tobytes()) for c in net.connections.values())
    return layers, conns


def test_lecture_net_has_20_weights_and_6_biases():
    net, _ = mlp(4, 3, 2, 1)
    assert (net.n_weights, net.n_biases) == (20, 6)


def test_resize_mid_training_keeps_untouched_weights():
    net, (_i, h, _o) = mlp(2, 5, 1)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 2)), rng.normal(size=(64, 1))
    trainer = Trainer(net, x, y, TrainSettings(loss="mse", optimizer="adam", batch_size=16))
    for _ in range(10):
        trainer.step()
    w_in, w_out = net.incoming(h.id)[0].weight, net.outgoing(h.id)[0].weight
    before_in, before_out = w_in.value.copy(), w_out.value.copy()
    moments = w_in.state["exp_avg"].copy()
    net.resize_layer(h.id, 3)
    np.testing.assert_array_equal(w_in.value, before_in[:, :3])
    np.testing.assert_array_equal(w_out.value, before_out[:3])
    np.testing.assert_array_equal(w_in.state["exp_avg"], moments[:, :3])  # optimiser state follows its weights
    net.resize_layer(h.id, 6)
    np.testing.assert_array_equal(w_in.value[:, :3], before_in[:, :3])
    assert w_in.value.shape == (2, 6) and np.all(w_in.state["exp_avg"][:, 3:] == 0)
    trainer.step()  # training goes on after the edit without a reset
    assert trainer.step_count == 11


def test_remove_neuron_and_restore_is_exact():
    net, (_i, h, _o) = mlp(2, 4, 1)
    before = fingerprint(net)
    record = net.remove_neuron(h.id, 1)
    assert h.size == 3 and net.incoming(h.id)[0].weight.shape == (2, 3)
    net.insert_neuron(h.id, record.index, restore=record)
    assert fingerprint(net) == before


def test_remove_layer_and_connection_then_restore():
    net, (i, h, o) = mlp(2, 3, 1)
    skip = net.connect(i.id, o.id)
    before = fingerprint(net)
    layer, conns = net.remove_layer(h.id)
    assert h.id not in net.layers and all(c.id not in net.connections for c in conns)
    net.restore_layer(layer, conns)
    removed = net.remove_connection(skip.id)
    net.restore_connection(removed)
    assert fingerprint(net) == before


def test_cycles_and_self_links_are_refused_with_names():
    net, (i, h1, _o) = mlp(2, 3, 1)
    h2 = net.add_layer(2, name="h2")
    net.connect(h1.id, h2.id)
    with pytest.raises(CycleError, match="'h2' → 'h1' would make a cycle"):
        net.connect(h2.id, h1.id)
    with pytest.raises(CycleError, match="'h1' cannot be connected to itself"):
        net.connect(h1.id, h1.id)
    with pytest.raises(GraphError, match="input layer 'in' cannot receive"):
        net.connect(h1.id, i.id)
    with pytest.raises(GraphError, match="already has an input layer"):
        net.add_layer(2, "input")


def test_single_weights_build_a_sparse_connection():
    net, (i, _h, o) = mlp(3, 2, 1)
    c = net.add_weight(i.id, 2, o.id, 0)
    assert not c.dense and c.weight.mask.sum() == 1 and c.weight.mask[2, 0]
    assert c.weight.value[2, 0] != 0
    net.add_weight(i.id, 0, o.id, 0)
    assert c.weight.mask.sum() == 2
    with pytest.raises(GraphError, match=r"in\[0\] → out\[0\] exists already"):
        net.add_weight(i.id, 0, o.id, 0)
    with pytest.raises(GraphError, match=r"in\[5\] → out\[0\] is outside"):
        net.add_weight(i.id, 5, o.id, 0)


def test_cut_restores_with_a_fresh_value_and_set_value_checks():
    net, (_i, _o) = mlp(2, 1)
    c = next(iter(net.connections.values()))
    net.set_present(c.id, 0, 0, False)
    assert c.weight.value[0, 0] == 0 and not c.weight.mask[0, 0]
    with pytest.raises(GraphError, match="is cut"):
        net.set_value(WeightRef(c.id, 0, 0), 1.0)
    net.set_present(c.id, 0, 0, True)
    net.set_value(WeightRef(c.id, 0, 0), 0.25)
    assert c.weight.value[0, 0] == 0.25
    with pytest.raises(GraphError, match="finite"):
        net.set_value(WeightRef(c.id, 0, 0), float("nan"))


def test_edits_emit_events_and_bump_the_version():
    net, (_i, h, _o) = mlp(2, 3, 1)
    seen = []
    net.events.connect(seen.append)
    v = net.version
    net.resize_layer(h.id, 4)
    net.set_activation(h.id, "relu")
    net.rename_layer(h.id, "hidden")
    net.move_layer(h.id, (10, 20))
    assert seen == [LayerResized(h.id), LayerChanged(h.id), LayerChanged(h.id), LayerMoved(h.id)]
    assert net.version > v and h.position == (10.0, 20.0)


def test_ids_are_stable_and_never_reused():
    net, (i, h, o) = mlp(2, 3, 1)
    net.remove_layer(h.id)
    h2 = net.add_layer(3)
    assert h2.id not in (i.id, h.id, o.id)


def test_validation_names_every_problem():
    net = Network()
    _i, _h, _o = net.add_layer(2, "input"), net.add_layer(3, name="lonely"), net.add_layer(2, "output")
    with pytest.raises(ValidationError) as err:
        validate(net, loss="cross_entropy", n_features=3)
    problems = err.value.problems
    assert any("not reachable from the input" in p for p in problems)
    assert any("'lonely' has no incoming connection" in p for p in problems)
    assert any("'lonely' feeds nothing" in p for p in problems)
    assert any("Cross-entropy needs a softmax output layer" in p for p in problems)
    assert any("3 input columns but the input layer 'in' has 2 neurons" in p for p in problems)


def test_bad_edits_are_refused():
    net, (_i, h, _o) = mlp(2, 3, 1)
    with pytest.raises(GraphError, match="size must be a whole number"):
        net.resize_layer(h.id, 0)
    with pytest.raises(GraphError, match="unknown activation 'swish2'"):
        net.set_activation(h.id, "swish2")
    with pytest.raises(GraphError, match="Softmax is only available on the output layer"):
        net.set_activation(h.id, "softmax")
    with pytest.raises(GraphError, match="no layer with id 999"):
        net.layer(999)
    with pytest.raises(GraphError, match="unknown initialiser"):
        net.set_init(next(iter(net.connections)), "ones")


def test_layered_builds_the_classic_shape_and_refuses_less_than_two_sizes():
    net = layered([4, 3, 2, 1], "sigmoid", "sigmoid", seed=6)
    kinds = [(layer.kind, layer.size, layer.activation) for layer in net.layers.values()]
    assert kinds == [("input", 4, "identity"), ("hidden", 3, "sigmoid"), ("hidden", 2, "sigmoid"),
                     ("output", 1, "sigmoid")]
    assert net.n_weights == 20 and sum(layer.size for layer in net.layers.values() if layer.bias is not None) == 6
    assert [layer.position[0] for layer in net.layers.values()] == [0.0, 220.0, 440.0, 660.0]
    with pytest.raises(GraphError, match="at least an input and an output"):
        layered([3])


@pytest.mark.parametrize(("name", "words"), [
    ("h\ud800", r"'\ud800'"), ("a\x00b", r"'\x00'"), ("\x1b[31mred", r"'\x1b'"), ("zero\u200bwidth", r"'\u200b'"),
    ("x" * 65, "at most 64 characters"), ("   ", "cannot be empty"),
])
def test_a_layer_name_must_be_printable_text_of_at_most_64_characters(name, words):
    net = Network()
    layer = net.add_layer(2, "input")
    with pytest.raises(GraphError) as info:
        net.rename_layer(layer.id, name)
    assert words in str(info.value) and layer.name == "in"
    if name.strip():
        with pytest.raises(GraphError, match="layer name"):
            net.add_layer(3, name=name)
    assert len(net.layers) == 1


def test_names_in_any_script_are_fine():
    net = Network()
    for name in ("Schicht ü", "層 1", "طبقة", "x" * 64):
        net.add_layer(2, name=name)
    net.rename_layer(net.layer_by_name("層 1").id, "h-1 (skip)")
    assert {lay.name for lay in net.layers.values()} == {"Schicht ü", "h-1 (skip)", "طبقة", "x" * 64}
