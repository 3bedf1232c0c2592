"""explain_weight: hand-computed numbers, the notes' 4-3-2-1 net, the optimiser's own steps, a live trainer."""

from __future__ import annotations

import numpy as np
import pytest

from engine import (
    BackpropError,
    BiasRef,
    DataError,
    GraphError,
    Trainer,
    TrainSettings,
    ValidationError,
    WeightRef,
    gradient_check,
    layered,
)
from engine.explain import StepThrough, explain_weight
from engine.explain.text import number
from engine.project import EXAMPLES, load_project


def chain(sizes: list[int], hidden: str = "tanh", output: str = "identity", seed: int = 0):
    net = layered(sizes, hidden, output, seed=seed)
    return net, list(net.layers.values()), list(net.connections.values())


@pytest.fixture
def hand():
    """2-2-1, ReLU hidden, identity output, MSE. Two samples:
    x = (1, 2), t = 1:  a1 = (1·0.5 + 2·0.25 + 0.1, 1·(−1) + 2·0.5 − 0.2) = (1.1, −0.2), h1 = (1.1, 0),
                        ŷ = 1.1·2 + 0·3 + 0.5 = 2.7, ℓ = 1.7² = 2.89, ∂ℓ/∂ŷ = 2·1.7 = 3.4
    x = (0, 1), t = 2:  a1 = (0.25 + 0.1, 0.5 − 0.2) = (0.35, 0.3), h1 = (0.35, 0.3),
                        ŷ = 0.7 + 0.9 + 0.5 = 2.1, ℓ = 0.01, ∂ℓ/∂ŷ = 0.2
    """
    net, layers, (c1, c2) = chain([2, 2, 1], hidden="relu")
    c1.weight.value[:] = [[0.5, -1.0], [0.25, 0.5]]
    c2.weight.value[:] = [[2.0], [3.0]]
    layers[1].bias.value[:] = [0.1, -0.2]
    layers[2].bias.value[:] = [0.5]
    return net, c1, c2, np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[1.0], [2.0]])


def test_hand_computed_first_sample(hand):
    net, c1, _, x, y = hand
    e = explain_weight(net, WeightRef(c1.id, 0, 0), x, y, "mse", sample=0, lr=0.1)
    # δ_h1[0] = f'(1.1) · w · δ_out = 1 · 2 · 3.4 = 6.8;  dL/dw = x0 · δ = 1 · 6.8
    assert e.gradient == pytest.approx(6.8)
    assert e.local.source.value == 1.0 and e.local.a.value == pytest.approx(1.1)
    assert e.local.f_prime.value == 1.0 and e.local.delta.value == pytest.approx(6.8)
    (term,) = e.local.terms
    assert (term.weight.where, term.weight.value, term.delta.value) == ("h1[0] → out[0]", 2.0, pytest.approx(3.4))
    (path,) = e.paths.paths
    assert path.name == "h1[0] → out[0] → L"
    assert [f.symbol for f in path.factors] == ["∂L/∂ŷ", "∂ŷ/∂a", "∂a/∂h", "∂h/∂a", "∂a/∂w = h"]
    assert [f.value for f in path.factors] == pytest.approx([3.4, 1.0, 2.0, 1.0, 1.0])
    assert e.update.formula() == "w' = w − α·∂L/∂w = 0.5 − 0.1 · 6.8 = -0.18"
    assert e.check.rel_error < 1e-8


def test_hand_computed_batch_is_the_mean_of_per_sample_products(hand):
    net, c1, c2, x, y = hand
    # dL/dW2[0,0] = mean(h1[0] · ∂ℓ/∂ŷ) = (1.1 · 3.4 + 0.35 · 0.2) / 2 = (3.74 + 0.07) / 2
    e = explain_weight(net, WeightRef(c2.id, 0, 0), x, y, "mse", lr=0.1)
    assert e.gradient == pytest.approx(1.905)
    assert e.local.source.value == pytest.approx((1.1 + 0.35) / 2)
    assert e.local.delta.value == pytest.approx((3.4 + 0.2) / 2)  # note 0.725 · 1.8 ≠ 1.905: products first
    assert e.local.product.samples == pytest.approx([1.1 * 3.4, 0.35 * 0.2])  # one per sample, as the table shows
    assert [q.symbol for q in e.local.delta_factors] == ["∂L/∂ŷ", "∂ŷ/∂a"]  # the output's δ: the loss's factors
    hidden = explain_weight(net, WeightRef(c1.id, 0, 0), x, y, "mse").local  # δ = relu'(a) · w · δ_out per sample
    f_prime, terms = hidden.delta_factors
    assert (f_prime.samples.tolist(), terms.samples.tolist()) == ([1.0, 1.0], pytest.approx([2 * 3.4, 2 * 0.2]))
    assert e.update.new_value == pytest.approx(2.0 - 0.1 * 1.905)
    # a dead ReLU: h1[1] is 0 on sample 0 and f'(a) = 1 on sample 1, so only sample 1 counts:
    # dL/dW1[1,1] = mean(x1 · f'(a) · w · ∂ℓ/∂ŷ) = (2 · 0 · 3 · 3.4 + 1 · 1 · 3 · 0.2) / 2 = 0.3
    dead = explain_weight(net, WeightRef(c1.id, 1, 1), x, y, "mse")
    assert dead.gradient == pytest.approx(0.3)
    np.testing.assert_allclose(dead.paths.paths[0].samples, [0.0, 0.6])
    text = dead.as_text()
    assert "in[1] → h1[1] = 0.3" in text and "batch of 2 samples" in text and "1 of 1 listed" in text


def test_hand_computed_step_through(hand):
    net, _, _, x, y = hand
    step = StepThrough(net, x[0], y[0], "mse", lr=0.1)
    formulas = {(f.item, f.quantity): f.formula for f in step.frames}
    assert formulas["h1[0]", "a"] == "a = Σ w·h + b = 0.5·1 + 0.25·2 + 0.1 = 1.1"
    assert formulas["h1[0]", "h"] == "h = relu(a) = relu(1.1) = 1.1"
    assert formulas["h1[1]", "a"] == "a = Σ w·h + b = (-1)·1 + 0.5·2 + (-0.2) = -0.2"
    assert formulas["loss", "L"] == "L = Mean squared error(ŷ = [2.7], t = [1]) = 2.89"
    assert formulas["out[0]", "δ"] == "δ = ∂L/∂ŷ · f'(a) = 3.4 · 1 = 3.4"
    assert formulas["h1[0]", "δ"] == "δ = f'(a) · Σ w·δ = 1 · (2·3.4) = 6.8"
    assert formulas["in[0] → h1[0]", "Δw"] == "w' = w − α·∂L/∂w = 0.5 − 0.1 · 6.8 = -0.18"
    assert [f.value for f in step.phase("backward")] == pytest.approx([3.4, 6.8, 0.0])


def test_batch_gradient_is_the_mean_of_the_samples_own_gradients():
    net, _, conns = chain([3, 4, 2], output="sigmoid", seed=2)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, (5, 2)).astype(float)
    ref = WeightRef(conns[0].id, 2, 1)
    batch = explain_weight(net, ref, x, y, "bce")
    alone = [explain_weight(net, ref, x, y, "bce", sample=s) for s in range(5)]
    assert batch.gradient == pytest.approx(np.mean([e.gradient for e in alone]), rel=1e-12)
    for s, e in enumerate(alone):  # each sample's own loss: the check on that row alone agrees
        (check,) = gradient_check(net, x[s : s + 1], y[s : s + 1], "bce", [ref])
        assert e.gradient == pytest.approx(check.backprop, rel=1e-12)
        assert e.n_samples == 1 and e.sample == s


def test_the_notes_4_3_2_1_network():
    net, layers, conns = chain([4, 3, 2, 1], hidden="sigmoid", output="sigmoid")
    assert (net.n_weights, net.n_biases) == (20, 6)
    x, y = np.random.default_rng(0).normal(size=(3, 4)), np.array([[1.0], [0.0], [1.0]])
    first = explain_weight(net, WeightRef(conns[0].id, 3, 1), x, y, "bce")
    # from h1[1] to the loss: through h2[0] or h2[1], then out[0]
    assert first.paths.count == 2
    assert {p.name for p in first.paths.paths} == {"h1[1] → h2[0] → out[0] → L", "h1[1] → h2[1] → out[0] → L"}
    assert sum(p.contribution for p in first.paths.paths) == pytest.approx(first.gradient, rel=1e-12)
    assert len(first.paths.paths[0].factors) == 6  # ∂L/∂a (fused) · w · f' · w · f' · h
    assert explain_weight(net, WeightRef(conns[2].id, 0, 0), x, y, "bce").paths.count == 1
    assert explain_weight(net, BiasRef(layers[1].id, 2), x, y, "bce").paths.count == 2


def test_the_notes_example_updates_the_notes_way():
    """The shipped 4-3-2-1 example trains with plain SGD, so its update reads w' = w − α·∂L/∂w with the numbers."""
    project = load_project(EXAMPLES["Lecture notes 4-3-2-1 (Iris)"])
    train, val, _ = project.data.load(project.base_dir)
    trainer = project.make_trainer(train, val)
    net = project.network
    ref = WeightRef(next(iter(net.connections.values())).id, 0, 0)
    e = explain_weight(net, ref, train.X[:8], train.y[:8], project.settings.loss, optimizer=trainer.optimizer)
    lr = project.settings.optimizer_params["lr"]
    w = float(net.param(ref.key).value[0, 0])
    assert e.update.formula() == (f"w' = w − α·∂L/∂w = {w:.6g} − {lr:g} · {number(e.gradient)} = "
                                  f"{w - lr * e.gradient:.6g}")


OPTIMIZERS = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("adam", {"lr": 0.01}),
    ("adamw", {"lr": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize(("name", "params"), OPTIMIZERS)
def test_update_is_what_the_optimiser_then_applies(name, params):
    net, layers, conns = chain([2, 3, 1], seed=3)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    settings = TrainSettings(loss="mse", optimizer=name, optimizer_params=params, batch_size=8)
    trainer = Trainer(net, x, y, settings)
    for _ in range(3):
        trainer.step()
    net.set_frozen(WeightRef(conns[1].id, 2, 0), True)
    refs = [WeightRef(conns[0].id, 1, 2), BiasRef(layers[1].id, 0), WeightRef(conns[1].id, 2, 0)]
    explained = [explain_weight(net, ref, x, y, "mse", optimizer=trainer.optimizer) for ref in refs]
    trainer.step()  # a full batch: the same samples, only in another order
    for ref, e in zip(refs, explained, strict=True):
        param = net.param(ref.key)
        assert e.update.t == trainer.optimizer.t
        assert e.update.gradient == pytest.approx(param.grad[ref.index], rel=1e-12)
        assert e.update.step == pytest.approx(param.delta[ref.index], rel=1e-9, abs=1e-300)
        assert e.update.new_value == pytest.approx(param.value[ref.index], rel=1e-12)
        assert e.update.state_after == pytest.approx({k: v[ref.index] for k, v in param.state.items()}, rel=1e-9)
    frozen = explained[2].update
    assert frozen.frozen and frozen.step == 0.0 and "frozen" in frozen.formula()
    assert explained[0].update.state_before.keys() == explained[0].update.state_after.keys()


def test_explaining_leaves_the_network_and_a_live_trainer_alone():
    net, _, conns = chain([2, 3, 2], output="softmax", seed=4)
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(6, 2)), rng.integers(0, 2, 6)
    trainer = Trainer(net, x, y, TrainSettings(loss="cross_entropy", optimizer="adam", batch_size=6))
    trainer.step()
    before = {key: {k: a.copy() for k, a in p.arrays().items()} for key, p in net.parameters()}
    explain_weight(net, WeightRef(conns[0].id, 0, 1), x, y, "cross_entropy", optimizer=trainer.optimizer)
    for key, p in net.parameters():
        for k, a in p.arrays().items():
            np.testing.assert_array_equal(a, before[key][k], err_msg=f"{key} {k}")
    assert trainer.optimizer.t == 1
    trainer.step()  # the trainer's plan still owns the network's arrays: the step shows in the model
    w = conns[0].weight
    assert np.shares_memory(trainer.compiled.value, w.value)
    assert not np.array_equal(w.value, before[("W", conns[0].id)]["value"])


def test_bad_requests_say_what_is_wrong():
    net, layers, conns = chain([2, 2, 1])
    x, y = np.zeros((3, 2)), np.zeros((3, 1))
    net.set_present(conns[0].id, 0, 1, False)
    with pytest.raises(GraphError, match="cut"):
        explain_weight(net, WeightRef(conns[0].id, 0, 1), x, y, "mse")
    with pytest.raises(GraphError, match="outside"):
        explain_weight(net, BiasRef(layers[1].id, 5), x, y, "mse")
    with pytest.raises(GraphError, match="neither a weight"):
        explain_weight(net, ("W", 1), x, y, "mse")
    with pytest.raises(GraphError, match="neither a weight"):  # the nested tuples of old are refused, not guessed
        explain_weight(net, (("W", conns[1].id), (0, 0)), x, y, "mse")
    with pytest.raises(GraphError, match="no connection with id 99"):
        explain_weight(net, WeightRef(99, 0, 0), x, y, "mse")
    with pytest.raises(GraphError, match="input layer"):
        explain_weight(net, BiasRef(layers[0].id, 0), x, y, "mse")
    ref = WeightRef(conns[1].id, 0, 0)
    with pytest.raises(DataError, match="sample 3 is outside the batch of 3"):
        explain_weight(net, ref, x, y, "mse", sample=3)
    with pytest.raises(DataError, match="3 samples but y"):
        explain_weight(net, ref, x, y[:2], "mse")
    with pytest.raises(ValidationError, match="3 input columns"):
        explain_weight(net, ref, np.zeros((3, 3)), y, "mse")
    with pytest.raises(ValidationError, match="needs a softmax output"):
        explain_weight(net, ref, x, [0, 0, 0], "cross_entropy")
    with pytest.raises(BackpropError, match="max_paths"):
        explain_weight(net, ref, x, y, "mse", max_paths=-1)


@pytest.mark.parametrize(("name", "params"), OPTIMIZERS)
def test_previewing_one_weight_gives_the_full_previews_numbers_and_leaves_the_optimiser_alone(name, params):
    """`preview_step` on one position reads only the parameter array holding it (and copies no undo buffers); each
    position, the first and last of every array included, must still get exactly the full preview's numbers."""
    from engine import compiled
    from engine.explain.update import preview_step

    net, _, _ = chain([2, 3, 2, 1], seed=4)
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    trainer = Trainer(net, x, y, TrainSettings(loss="mse", optimizer=name, optimizer_params=params, batch_size=8))
    for _ in range(3):
        trainer.step()
    plan = compiled(net)
    undo = {k: v.copy() for k, v in trainer.optimizer._undo.items()}
    state = {k: v.copy() for k, v in plan.state.items()}
    full = preview_step(plan, trainer.optimizer, plan.grad)
    for k in range(plan.value.size):
        one = preview_step(plan, trainer.optimizer, plan.grad, slice(k, k + 1))
        for field in ("value", "grad", "delta", "new_value"):
            assert getattr(one, field).tolist() == getattr(full, field)[k : k + 1].tolist(), (field, k)
        for moments in ("state_before", "state_after"):
            assert {n: a.tolist() for n, a in getattr(one, moments).items()} == \
                {n: a[k : k + 1].tolist() for n, a in getattr(full, moments).items()}, (moments, k)
    assert trainer.optimizer.t == 3
    assert all(np.array_equal(trainer.optimizer._undo[k], v) for k, v in undo.items())
    assert all(np.array_equal(plan.state[k], v) for k, v in state.items())
