"""The step API a worker thread drives: reproducibility, changes between steps, stop conditions, divergence and the
bounded history."""

from __future__ import annotations

import numpy as np
import pytest

from engine import BiasRef, DivergenceError, History, Network, Trainer, TrainingError, TrainSettings, WeightRef
from engine.datasets import generate


def net_and_data(seed=0, dtype=np.float64, hidden="tanh"):
    net = Network(seed=seed, dtype=dtype)
    i, h = net.add_layer(2, "input"), net.add_layer(6, activation=hidden)
    o = net.add_layer(1, "output", activation="sigmoid")
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


def test_divergence_names_what_overflowed_where_and_never_a_finite_number():
    net = Network(seed=0)
    i, h = net.add_layer(1, "input"), net.add_layer(8, name="hidden", activation="relu")
    h2 = net.add_layer(8, name="hidden2", activation="relu")
    o = net.add_layer(1, "output", activation="identity")
    net.connect(i.id, h.id)
    net.connect(h.id, h2.id)
    net.connect(h2.id, o.id)
    x = np.linspace(-3, 3, 64)[:, None]
    t = Trainer(net, x, 100 * x, TrainSettings(loss="mse", optimizer="sgd", optimizer_params={"lr": 1e6},
                                               batch_size=16))
    with pytest.raises(DivergenceError) as err:
        for _ in range(50):
            t.step()
    message = str(err.value)
    assert err.value.step == t.step_count + 1 and f"diverged at step {t.step_count + 1}" in message
    # the first overflow: a neuron of a named layer, and the value it became (once said the finite loss 2.87e+285)
    assert "the pre-activation of hidden2[" in err.value.where and "forward pass" in err.value.where
    assert message.split(" became ")[1].split(".")[0] in ("inf", "-inf", "nan")
    assert np.isfinite(t.compiled.value).all()


def _poison_next_batch(t: Trainer) -> None:
    """Make every number of the next step NaN, the moments included."""
    t.x = t.x.copy()
    t.x[t._order[t._cursor : t._cursor + t.settings.batch_size]] = np.nan


def _optimizer_state(t: Trainer) -> tuple:
    c = t.compiled
    return t.optimizer.t, c.value.tobytes(), {k: v.tobytes() for k, v in c.state.items()}


@pytest.mark.parametrize("optimizer, params", [
    ("sgd", {"lr": 0.1}), ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True}), ("adam", {"lr": 0.01}), ("adamw", {"lr": 0.01}),
])
def test_a_refused_step_leaves_weights_and_optimizer_state_bit_identical(optimizer, params):
    t = trainer(optimizer=optimizer, optimizer_params=params)
    for _ in range(3):
        t.step()
    before = _optimizer_state(t)
    _poison_next_batch(t)
    with pytest.raises(DivergenceError):
        t.step()
    assert _optimizer_state(t) == before
    # and the run goes on from there exactly as if the refused step had never been tried
    clean = trainer(optimizer=optimizer, optimizer_params=params)
    for _ in range(4):
        clean.step()
    t.x = clean.x
    t.step()
    assert _optimizer_state(t) == _optimizer_state(clean)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("where", ["trained", "frozen", "cut"])
@pytest.mark.parametrize("optimizer, params", [
    ("sgd", {"lr": 0.1}), ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 1.0}),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 0.01}), ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("adam", {"lr": 0.01}), ("adamw", {"lr": 0.01}),
])
@pytest.mark.parametrize("chunk", [8192, 16])
def test_one_non_finite_gradient_is_refused_by_every_optimiser_and_named(monkeypatch, optimizer, params, where, bad,
                                                                          chunk):
    """Past one dot product's worth of numbers (`DOT_CHUNK`) the finiteness check sums the squares of w, Δw and the
    moments, not of dL/dw: one non-finite gradient number must still reach Δw (or a moment) under every optimiser,
    for a trained, a frozen and a cut weight, and the refusal must name the gradient."""
    import engine.training

    monkeypatch.setattr(engine.training, "DOT_CHUNK", chunk)  # 16: this net's 75 numbers take the w, Δw route
    t = trainer(optimizer=optimizer, optimizer_params=params)
    for _ in range(2):
        t.step()
    conn = next(iter(t.network.connections.values()))
    ref = WeightRef(conn.id, 1, 2)
    if where == "frozen":
        t.network.set_frozen(ref, True)
    if where == "cut":
        t.network.set_present(conn.id, 1, 2, False)
    c = t.compiled
    k = c.flat_index(ref)
    backward = c.backward

    def poisoned(*args):
        trace = backward(*args)
        c.grad[k] = np.nan if where == "cut" else bad  # a cut weight's ±∞ is multiplied by its mask 0: NaN
        return trace

    monkeypatch.setattr(c, "backward", poisoned)
    before = t.compiled.value.copy()
    became = "nan" if where == "cut" else bad
    with pytest.raises(DivergenceError, match=rf"the gradient of the weight .* became {became}"):
        t.step()
    np.testing.assert_array_equal(t.compiled.value, before)


def test_a_step_refused_after_momentum_is_switched_off_leaves_the_weights_as_they_were():
    """SGD keeps a moment only with momentum: switched off mid-run, the step has none to remember, and a refused
    step must not try to put back the momentum buffer of the steps before."""
    t = trainer(optimizer="sgd", optimizer_params={"lr": 0.1, "momentum": 0.9})
    for _ in range(3):
        t.step()
    t.optimizer.hyper["momentum"] = 0.0
    t.step()
    before = _optimizer_state(t)
    _poison_next_batch(t)
    with pytest.raises(DivergenceError):
        t.step()
    assert _optimizer_state(t) == before and not t.compiled.state


def test_an_overflowing_adam_moment_is_refused_and_the_project_still_saves(tmp_path):
    """A gradient of 1e160 is finite, but its square in Adam's second moment is not, while the update (m / √v) is
    a finite 0: the step used to be accepted, leaving an infinite moment that no project file can hold."""
    from engine.project import DataSpec, Project, load_project, save_project

    net, x, y = net_and_data(hidden="relu")
    t = Trainer(net, x, y, TrainSettings(loss="bce", optimizer="adam", batch_size=200))
    t.step()
    t.x = t.x * 1e160
    with pytest.raises(DivergenceError, match=r"adam's exp_avg_sq of the weight in\[\d\] → .* became inf"):
        t.step()
    assert all(np.isfinite(s).all() for s in t.compiled.state.values()) and t.optimizer.t == 1
    project = Project(net, t.settings, DataSpec("generator", "circles", {"n_samples": 200, "seed": 3}))
    project.update_from(t)
    save_project(project, tmp_path / "p.bps.json")
    assert load_project(tmp_path / "p.bps.json").optimizer_t == 1


def test_a_step_with_only_a_large_sum_of_squares_is_not_refused():
    """Weights near 1e160 are finite; only the sum of their squares (the cheap check) overflows."""
    t = trainer(optimizer="sgd", optimizer_params={"lr": 1e-3})
    t.compiled.value[0] = 1e160
    t.step()
    assert t.step_count == 1 and np.isfinite(t.compiled.value).all()


def test_a_loss_growing_a_thousandfold_warns_once_and_may_pause_the_run():
    t = trainer(optimizer="adam", optimizer_params={"lr": 1e3}, epochs=3)
    warnings = [(r.step, r.warning) for r in t.run() if r.warning]
    assert warnings and "the loss blew up" in warnings[0][1] and "lower the learning rate" in warnings[0][1]
    assert len(warnings) < 3 and t.stop_reason.startswith("epoch budget")  # warns, does not stop by default
    t = trainer(optimizer="adam", optimizer_params={"lr": 1e3}, epochs=3, pause_on_blowup=True)
    list(t.run())
    assert t.step_count == warnings[0][0] and t.stop_reason == warnings[0][1]
    quiet = trainer(optimizer="adam", optimizer_params={"lr": 1e3}, epochs=3, blowup_factor=None)
    assert not any(r.warning for r in quiet.run())
    # a run that learns never warns, however close to 0 its loss gets
    assert not any(r.warning for r in trainer(optimizer_params={"lr": 0.05}, epochs=30).run())


def test_the_documented_recipes_show_what_docs_training_md_says():
    """docs/training.md: SGD at lr 10⁶ makes Sine regression overflow (the run pauses, naming where) and makes
    Circles' loss blow up without overflowing (the warning)."""
    from dataclasses import replace

    from engine.project import example_path, load_project

    def run(example):
        p = load_project(example_path(example))
        p.settings = replace(p.settings, optimizer="sgd", optimizer_params={"lr": 1e6})
        train, val, _ = p.data.load(p.base_dir)
        t = p.make_trainer(train, val)
        return t, [r.warning for r in t.run() if r.warning]

    with pytest.raises(DivergenceError, match=r"diverged at step .*: the loss \(of outputs up to .*e\+.*\) became inf"):
        run("Sine regression")
    t, warnings = run("Circles")
    assert warnings and np.isfinite(t.compiled.value).all()


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


def test_every_step_trains_on_the_rows_of_its_shuffled_batch_across_gathered_blocks(monkeypatch):
    """The trainer gathers a block of shuffled rows ahead of its steps (`Trainer._batch`); each step must still see
    exactly x[order[cursor : cursor + batch]], through block boundaries, batch-size changes, new epochs and data."""
    import engine.training

    monkeypatch.setattr(engine.training, "BLOCK_BYTES", 7 * 24)  # 7 rows of 2 features + 1 target, in float64
    t = trainer(optimizer="sgd", batch_size=3)
    c = t.compiled
    seen = []
    forward = c.forward
    monkeypatch.setattr(c, "forward", lambda x: seen.append(x.copy()) or forward(x))
    for k in range(200):
        if k == 20:
            t.set_batch_size(5)
        if k == 90:
            t.x = t.x + 1.0  # new data mid-epoch
        expected = t.x[t._order[t._cursor : t._cursor + t.settings.batch_size]]
        t.step()
        np.testing.assert_array_equal(seen[-1], expected)
        np.testing.assert_array_equal(t.last_batch()[0], expected)
    assert t.epoch >= 4


@pytest.mark.parametrize("size", [100, 8192, 8193, 30_000])
def test_the_finiteness_check_in_chunks_sees_every_number(size):
    """`_finite_squares` sums squares in chunks (a long dot product waits for every core): any non-finite number,
    in any chunk, and any square that overflows, must still fail it."""
    from engine.training import _finite_squares

    flat = np.ones(size)
    assert _finite_squares(flat)
    for bad in (np.nan, np.inf, -np.inf, 1e160):
        for k in (0, size // 2, size - 1):
            poisoned = flat.copy()
            poisoned[k] = bad
            with np.errstate(over="ignore", invalid="ignore"):  # as in `Trainer.step`
                assert not _finite_squares(poisoned), (bad, k)


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_the_epoch_meter_fed_batches_in_groups_gives_the_same_figures(monkeypatch, loss):
    """The trainer hands batches to its epoch meter a few hundred at a time (`METER_BATCHES`); epoch figures and a
    mid-epoch save must be exactly what a batch-by-batch meter gives, whenever the groups end."""
    import engine.training

    def run(group: int):
        monkeypatch.setattr(engine.training, "METER_BATCHES", group)
        t = trainer(loss=loss, optimizer="sgd", batch_size=7, epochs=3)
        metrics = [r.epoch_metrics for r in t.run() if r.epoch_done]
        for _ in range(5):
            t.step()
        return metrics, t.progress()["meter"]

    one_by_one, meter = run(1)
    assert meter["n"] == 35 and len(one_by_one) == 3
    for group in (2, 5, 64):
        assert run(group) == (one_by_one, meter)
