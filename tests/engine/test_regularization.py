"""L1/L2 penalties: the trainer's step against NumPy by hand, the gradient against finite differences of data loss
plus penalty, per network and per connection, the explorer's term, and the project file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import BiasRef, ProjectError, Trainer, TrainingError, TrainSettings, WeightRef, gradient_check, layered
from engine.datasets import generate
from engine.explain import explain_weight
from engine.project import load_project, new_project, save_project
from engine.regularization import NO_PENALTY, Penalty

L1, L2 = Penalty("l1", 0.03), Penalty("l2", 0.2)


def net_and_data(seed=0):
    net = layered([2, 3, 1], hidden="tanh", output="identity", seed=seed)
    data = generate("circles", n_samples=40, seed=1)
    return net, data.X, data.y.astype(float)


def sgd_trainer(penalty=NO_PENALTY, lr=0.1, seed=0, optimizer="sgd", **kw):
    net, x, y = net_and_data(seed)
    params = {"lr": lr, **kw.pop("optimizer_params", {})}
    settings = TrainSettings(loss="mse", optimizer=optimizer, optimizer_params=params, batch_size=8, penalty=penalty,
                             **kw)
    return Trainer(net, x, y, settings)


def connections(net):
    first, second = net.connections.values()
    return first, second


def by_hand(penalty: Penalty, w: np.ndarray) -> float:
    return {"none": 0.0, "l1": penalty.rate * np.abs(w).sum(), "l2": penalty.rate / 2 * (w**2).sum()}[penalty.kind]


def network_penalty(trainer: Trainer) -> float:
    """Σ over connections of its own penalty, else the network's, by hand."""
    return sum(by_hand(trainer.settings.penalty if c.penalty is None else c.penalty, c.weight.value)
               for c in trainer.network.connections.values())


def objective(trainer: Trainer, x, t) -> float:
    """Data loss on (x, t) plus the penalty, by NumPy from the weights (the mse of a 2-3-1 tanh net)."""
    first, second = connections(trainer.network)
    _, hidden, out = trainer.network.layers.values()
    h = np.tanh(x @ first.weight.value + hidden.bias.value)
    y = h @ second.weight.value + out.bias.value
    return float(np.mean((y - t) ** 2)) + network_penalty(trainer)


def test_an_l2_step_is_the_hand_computed_numpy_step():
    trainer = sgd_trainer(L2)
    x, t = trainer.last_batch()
    first, second = connections(trainer.network)
    layers = list(trainer.network.layers.values())
    w1, b1, w2, b2 = first.weight.value.copy(), layers[1].bias.value.copy(), second.weight.value.copy(), \
        layers[2].bias.value.copy()
    # by hand: forward, mse's gradient (batch mean), backward, plus λ·w on the weights only, then SGD
    h = np.tanh(x @ w1 + b1)
    y = h @ w2 + b2
    dy = 2 * (y - t) / len(x)
    da = (dy @ w2.T) * (1 - h**2)
    grads = {"w1": x.T @ da + L2.rate * w1, "b1": da.sum(0), "w2": h.T @ dy + L2.rate * w2, "b2": dy.sum(0)}
    penalty = L2.rate / 2 * (np.sum(w1**2) + np.sum(w2**2))

    result = trainer.step()

    assert result.loss == pytest.approx(np.mean((y - t) ** 2), rel=1e-12)  # the data loss alone
    assert result.penalty == pytest.approx(penalty, rel=1e-12)
    np.testing.assert_allclose(first.weight.value, w1 - 0.1 * grads["w1"], rtol=1e-12)
    np.testing.assert_allclose(second.weight.value, w2 - 0.1 * grads["w2"], rtol=1e-12)
    np.testing.assert_allclose(layers[1].bias.value, b1 - 0.1 * grads["b1"], rtol=1e-12)  # biases: no penalty
    np.testing.assert_allclose(layers[2].bias.value, b2 - 0.1 * grads["b2"], rtol=1e-12)
    np.testing.assert_array_equal(trainer.history.penalties.data(), [[1, result.penalty]])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_l2_takes_the_steps_of_pytorch_style_coupled_weight_decay_on_the_weights(optimizer):
    """L2 with rate λ = weight_decay λ under SGD and Adam (both add λ·w to the gradient, as PyTorch's do); the
    optimisers' weight_decay also decays the biases, so they are frozen to compare the weights alone."""
    ours = sgd_trainer(L2, optimizer=optimizer)
    decayed = sgd_trainer(optimizer=optimizer, optimizer_params={"weight_decay": L2.rate})
    for t in (ours, decayed):
        for layer in t.network.layers.values():
            for j in range(layer.size if layer.bias is not None else 0):
                t.network.set_frozen(BiasRef(layer.id, j), True)
        for _ in range(5):
            t.step()
    for a, b in zip(ours.network.connections.values(), decayed.network.connections.values(), strict=True):
        np.testing.assert_allclose(a.weight.value, b.weight.value, rtol=1e-12)


def test_the_l1_gradient_adds_rate_times_sign_at_nonzero_weights():
    plain, penalised = sgd_trainer(), sgd_trainer(L1)
    before = penalised.compiled.value.copy()
    assert np.all(before[: penalised.network.n_weights] != 0)
    plain.step()
    penalised.step()
    n = penalised.network.n_weights  # weights come first in the flat buffers, then the biases
    np.testing.assert_allclose(penalised.compiled.grad[:n], plain.compiled.grad[:n] + L1.rate * np.sign(before[:n]),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(penalised.compiled.grad[n:], plain.compiled.grad[n:])


def test_no_penalty_or_a_zero_rate_trains_bit_identically_to_no_regularisation():
    runs = [sgd_trainer(p, epochs=2) for p in (NO_PENALTY, Penalty("l2", 0.0), Penalty("l1", 0.0))]
    for t in runs:
        results = list(t.run())
        assert all(r.penalty is None for r in results)
        assert not len(t.history.penalties.data())
    first, *others = (t.compiled.buffers.tobytes() for t in runs)
    assert all(other == first for other in others)


def test_a_connection_override_replaces_the_networks_penalty_for_its_weights_only():
    plain, mixed = sgd_trainer(), sgd_trainer(L2)
    first, second = connections(mixed.network)
    mixed.network.set_penalty(first.id, L1)
    mixed.network.set_penalty(second.id, NO_PENALTY)  # its own "none" beats the network's L2
    w1 = first.weight.value.copy()
    expected = L1.value(w1)
    plain.step()
    result = mixed.step()
    assert result.penalty == pytest.approx(expected, rel=1e-12)
    g_plain, g_mixed = (dict(t.network.connections) for t in (plain, mixed))
    np.testing.assert_allclose(g_mixed[first.id].weight.grad, g_plain[first.id].weight.grad + L1.rate * np.sign(w1),
                               rtol=1e-12)
    np.testing.assert_array_equal(g_mixed[second.id].weight.grad, g_plain[second.id].weight.grad)
    mixed.network.set_penalty(first.id, None)  # back to the network's: the next step sees it (a recompile)
    mixed.network.set_penalty(second.id, None)
    expected = network_penalty(mixed)
    assert expected == pytest.approx(by_hand(L2, mixed.compiled.value[: mixed.network.n_weights]), rel=1e-12)
    assert mixed.step().penalty == pytest.approx(expected, rel=1e-12)


def test_a_penalty_is_refused_with_a_clear_message():
    with pytest.raises(TrainingError, match="unknown regularisation 'l3'"):
        Penalty("l3", 0.1)
    with pytest.raises(TrainingError, match="rate must be a finite number ≥ 0"):
        Penalty("l2", -1.0)


# ---------------------------------------------------------------------------------------------- the explorer
@pytest.mark.parametrize("network_wide, override", [(L1, None), (L2, None), (NO_PENALTY, L1), (L1, L2)])
def test_the_explorers_paths_plus_penalty_term_is_the_gradient_training_uses(network_wide, override):
    trainer = sgd_trainer(network_wide)
    net = trainer.network
    first, second = connections(net)
    if override is not None:
        net.set_penalty(second.id, override)
    x, t = trainer.last_batch()  # the batch the next step trains on, at the weights it starts from
    for ref in (WeightRef(first.id, 1, 2), WeightRef(second.id, 0, 0)):
        e = explain_weight(net, ref, x, t, "mse", optimizer=trainer.optimizer, penalty=network_wide)
        under = override if (override is not None and ref.conn == second.id) else network_wide
        w = float(net.param(ref.key).value[ref.index])
        if under.active:
            assert e.penalty is not None and e.penalty.penalty == under
            assert e.penalty.value == pytest.approx(under.gradient(w), rel=1e-15)
            sign = "λ·sign(w)" if under.kind == "l1" else "λ·w"
            assert sign in e.penalty.formula and sign in e.as_text()
        else:
            assert e.penalty is None
        assert e.paths.total + under.gradient(w) == pytest.approx(e.gradient, rel=1e-10)
        assert e.local.gradient == pytest.approx(e.data_gradient, rel=1e-10)
        # central differences of (data loss + penalty), computed here from the weights alone
        k = trainer.compiled.flat_index(ref)
        eps, buf = 1e-6, trainer.compiled.value
        buf[k] += eps
        plus = objective(trainer, x, t)
        buf[k] -= 2 * eps
        minus = objective(trainer, x, t)
        buf[k] += eps
        assert e.gradient == pytest.approx((plus - minus) / (2 * eps), rel=1e-6)
        assert e.check is not None and e.check.agrees(1e-6) and e.check.backprop == pytest.approx(e.gradient)
        # the explorer's update previews the step training takes with this gradient
        assert e.update.gradient == pytest.approx(e.gradient, rel=1e-12)
    explained = {ref: explain_weight(net, ref, x, t, "mse", penalty=network_wide, check=False).gradient
                 for ref in (WeightRef(first.id, 1, 2), WeightRef(second.id, 0, 0))}
    trainer.step()
    for ref, gradient in explained.items():
        assert trainer.compiled.grad[trainer.compiled.flat_index(ref)] == pytest.approx(gradient, rel=1e-12)


def test_a_bias_is_never_penalised_in_the_explorer_or_the_check():
    trainer = sgd_trainer(L2)
    x, t = trainer.last_batch()
    hidden = list(trainer.network.layers.values())[1]
    e = explain_weight(trainer.network, BiasRef(hidden.id, 0), x, t, "mse", penalty=L2)
    assert e.penalty is None and e.gradient == e.data_gradient
    plain = gradient_check(trainer.network, x, t, "mse", [BiasRef(hidden.id, 0)])[0]
    assert gradient_check(trainer.network, x, t, "mse", [BiasRef(hidden.id, 0)], penalty=L2)[0] == plain


# ---------------------------------------------------------------------------------------------- project files
def test_the_penalties_survive_a_save_and_an_open(tmp_path):
    project = new_project()
    project.settings.penalty = L2
    first = next(iter(project.network.connections.values()))
    project.network.set_penalty(first.id, Penalty("l1", 0.5))
    project.history.penalties.append((3, 0.25))
    save_project(project, tmp_path / "p.bps.json")
    again = load_project(tmp_path / "p.bps.json")
    assert again.settings.penalty == L2
    assert [c.penalty for c in again.network.connections.values()] == \
        [c.penalty for c in project.network.connections.values()]
    assert again.network.connection(first.id).penalty == Penalty("l1", 0.5)
    np.testing.assert_array_equal(again.history.penalties.data(), [[3, 0.25]])


def test_a_file_from_before_penalties_opens_with_none(tmp_path):
    path = tmp_path / "old.bps.json"
    save_project(new_project(), path)
    doc = json.loads(path.read_text())
    assert "penalty" not in doc["settings"] and "penalties" not in doc["history"]  # written only when set
    assert all("penalty" not in c for c in doc["connections"])
    project = load_project(path)
    assert project.settings.penalty == NO_PENALTY
    assert all(c.penalty is None for c in project.network.connections.values())


@pytest.mark.parametrize("where, value, message", [
    ("settings", {"kind": "l5", "rate": 1}, "settings.penalty.kind: unknown value 'l5'"),
    ("settings", {"kind": "l1", "rate": -1}, "settings.penalty.rate: must be ≥ 0.0"),
    ("connection", {"kind": "l2"}, "connections[0].penalty.rate: this required key is missing"),
])
def test_a_bad_penalty_in_a_file_names_its_field(tmp_path, where, value, message):
    path = tmp_path / "bad.bps.json"
    save_project(new_project(), path)
    doc = json.loads(path.read_text())
    (doc["settings"] if where == "settings" else doc["connections"][0])["penalty"] = value
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    assert message in str(caught.value)


def test_the_step_throughs_update_steps_with_the_penalised_gradient():
    from engine.explain import StepThrough

    trainer = sgd_trainer(L2)
    net = trainer.network
    x, t = trainer.last_batch()
    first, _ = connections(net)
    ref = WeightRef(first.id, 0, 1)
    frames = {f.ref: f for f in StepThrough(net, x[0], t[0], "mse", lr=0.1, penalty=L2).phase("update")}
    plain = {f.ref: f for f in StepThrough(net, x[0], t[0], "mse", lr=0.1).phase("update")}
    w = float(first.weight.value[0, 1])
    assert frames[ref].value == pytest.approx(plain[ref].value - 0.1 * L2.rate * w, rel=1e-12)
    bias = next(r for r in plain if isinstance(r, BiasRef))
    assert frames[bias].value == plain[bias].value
