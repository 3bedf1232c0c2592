"""The step API a worker thread drives: reproducibility, changes between steps, stop conditions, divergence and the
bounded history."""

from __future__ import annotations

import numpy as np
import pytest

from engine import BiasRef, DivergenceError, History, Network, Trainer, TrainingError, TrainSettings, WeightRef
from engine.datasets import generate


def net_and_data(seed=0, dtype=np.float64):
    net = Network(seed=seed, dtype=dtype)
    i, h, o = net.add_layer(2, "input"), net.add_layer(6), net.add_layer(1, "output", activation="sigmoid")
    net.connect(i.id, h.id)
    net.connect(h.id, o.id)
    data = generate("circles", n_samples=200, seed=3)
    return net, data.X, data.y


def trainer(seed=0, history=None, dtype=np.float64, **settings):
    net, x, y = net_and_data(seed, dtype)
    opts = {"loss": "bce", "optimizer": "adam", "optimizer_params": {"lr": 0.01}, "batch_size": 16, "epochs": 5,
            "seed": seed, **settings}
    return Trainer(net, x, y, TrainSettings(**opts), history=history)


def weights(t: Trainer) -> bytes:
    return t.compiled.value.tobytes()


def test_same_seed_gives_bit_identical_weights_and_another_seed_does_not():
    a, b, c = trainer(1), trainer(1), trainer(2)
    for t in (a, b, c):
        for _ in t.run():
            pass
    assert weights(a) == weights(b)
    assert weights(a) != weights(c)


def test_run_stops_at_the_epoch_budget_and_counts_steps():
    t = trainer(epochs=3)
    results = list(t.run())
    assert t.epoch == 3 and results[-1].epoch_done and "epoch budget of 3" in t.stop_reason
    assert len(results) == 3 * int(np.ceil(200 / 16)) == t.step_count


def test_learning_rate_change_between_steps_reaches_the_update():
    t = trainer(optimizer="sgd", optimizer_params={"lr": 0.1})
    t.step()
    t.lr = 0.5
    t.step()
    np.testing.assert_allclose(t.compiled.delta, -0.5 * t.compiled.grad)


def test_batch_size_change_mid_epoch_continues_the_epoch():
    t = trainer(batch_size=50)
    t.step()
    t.set_batch_size(30)
    sizes = []
    while not (r := t.step()).epoch_done:
        sizes.append(r.step)
    # 200 samples: 50, then 30-sample batches for the remaining 150 → 5 more steps, the last one ending the epoch
    assert t.step_count == 6 and t.epoch == 1
    with pytest.raises(TrainingError, match="batch size"):
        t.set_batch_size(0)


def test_validation_inputs_without_their_targets_are_refused_with_a_message():
    # found by the type checker: y_val=None reached encode_targets and failed there with a bare TypeError
    net, x, y = net_and_data()
    with pytest.raises(TrainingError, match="x_val was given without its targets y_val"):
        Trainer(net, x, y, TrainSettings(loss="bce"), x_val=x[:20])


def test_target_loss_and_plateau_stop_the_run():
    t = trainer(epochs=1000, target_loss=0.6)
    list(t.run())
    assert t.epoch < 1000 and t.stop_reason.startswith("target loss 0.6 reached")
    t = trainer(epochs=1000, patience=3, min_delta=10.0)
    list(t.run())
    assert t.epoch == 4 and "no improvement for 3 epochs" in t.stop_reason  # epoch 1 sets the best


def test_divergence_names_the_step_and_layer_and_keeps_finite_weights():
    net = Network(seed=0)
    i, h = net.add_layer(1, "input"), net.add_layer(4, name="hidden")
    o = net.add_layer(1, "output", activation="identity")
    net.connect(i.id, h.id)
    net.connect(h.id, o.id)
    x = np.linspace(-3, 3, 64)[:, None]
    t = Trainer(net, x, 100 * x, TrainSettings(loss="mse", optimizer="sgd", optimizer_params={"lr": 1e6},
                                               batch_size=64))
    with pytest.raises(DivergenceError) as err:
        for _ in range(50):
            t.step()
    assert err.value.step == t.step_count + 1
    assert "diverged at step" in str(err.value) and ("'hidden'" in err.value.where or "loss" in err.value.where)
    assert np.isfinite(t.compiled.value).all()


def test_watched_weights_record_w_grad_and_the_applied_delta():
    t = trainer()
    conn = next(iter(t.network.connections.values()))
    ref = WeightRef(conn.id, 1, 2)
    t.watch(ref)
    expected = []
    for _ in range(5):
        before = conn.weight.value[1, 2]
        t.step()
        expected.append((t.step_count, before + conn.weight.delta[1, 2], conn.weight.grad[1, 2],
                         conn.weight.delta[1, 2]))
    np.testing.assert_array_equal(t.history.weight_series(ref), np.array(expected))


def test_history_is_bounded_whatever_the_run_length():
    history = History(capacity=50, snapshot_every=10, snapshots_kept=3)
    t = trainer(history=history, epochs=20)
    t.watch(BiasRef(t.network.output_layer.id, 0))
    list(t.run())
    assert t.step_count == 20 * 13
    assert len(history.losses.data()) == 50 and history.losses.data()[-1, 0] == t.step_count
    keys, norms = history.grad_norms()
    assert norms.shape == (50, 1 + len(keys)) and len(history.snapshots) == 3
    assert len(history.weight_series(BiasRef(t.network.output_layer.id, 0))) == 50
    # the norm per parameter array equals the norm of the final gradient
    last = {key: np.linalg.norm(t.network.param(key).grad) for key in keys}
    np.testing.assert_allclose(norms[-1, 1:], [last[k] for k in keys])
    assert history.memory_bound(t.compiled.value.size) < 1_000_000


def test_a_weight_watched_late_has_rows_from_then_on_before_and_after_the_ring_wraps():
    history = History(capacity=30)
    t = trainer(history=history)
    first, second = BiasRef(t.network.output_layer.id, 0), WeightRef(next(iter(t.network.connections)), 0, 0)
    t.watch(first)
    for _ in range(10):
        t.step()
    t.watch(second)
    for _ in range(5):
        t.step()
    assert history.weight_series(first)[:, 0].tolist() == list(range(1, 16))
    assert history.weight_series(second)[:, 0].tolist() == list(range(11, 16))
    for _ in range(40):  # the ring wraps: both keep its last 30 steps, oldest first
        t.step()
    for ref in (first, second):
        np.testing.assert_array_equal(history.weight_series(ref)[:, 0], np.arange(26, 56))
    full = history._watch_ring.data()
    np.testing.assert_array_equal(history._watch_ring.data([0, 4, 5]), full[:, [0, 4, 5]])


def test_float32_trains_in_float32():
    t = trainer(dtype=np.float32, epochs=2)
    list(t.run())
    assert t.compiled.value.dtype == np.float32 and t.history.epochs.data()[-1, 3] > 0.5


def test_editing_between_steps_keeps_training_state():
    t = trainer()
    for _ in range(3):
        t.step()
    h = t.network.layers_of_kind("hidden")[0]
    t.network.resize_layer(h.id, 8)
    t.step()
    assert t.optimizer.t == 4 and h.bias.state["exp_avg"].shape == (8,)


def test_other_callers_of_compiled_share_the_trainers_plan():
    """A gradient check (or the GUI's decision boundary) between steps must not detach the trainer's buffers."""
    from engine import compiled, gradient_check

    t = trainer()
    t.step()
    gradient_check(t.network, t.x[:4], t.t[:4, 0], "bce")
    assert compiled(t.network) is t.compiled
    conn = next(iter(t.network.connections.values()))
    before = conn.weight.value.copy()
    t.step()
    assert not np.array_equal(conn.weight.value, before)  # the model sees the trainer's updates


def test_gradient_check_works_in_float32_too():
    from engine import gradient_check

    t = trainer(dtype=np.float32)
    worst = max(r.rel_error for r in gradient_check(t.network, t.x[:8], t.t[:8, 0], "bce"))
    assert worst < 5e-2


def test_last_batch_is_the_batch_whose_gradients_the_network_holds():
    t = trainer()
    upcoming_x, _ = t.last_batch()
    c = t.compiled
    before = c.value.copy()
    t.step()
    x, target = t.last_batch()
    np.testing.assert_array_equal(x, upcoming_x)
    held = c.grad.copy()
    c.value[:] = before  # the gradients were taken at the weights before the update
    trace = c.forward(x)
    c.backward(trace, target, t.loss)
    np.testing.assert_array_equal(c.grad, held)
