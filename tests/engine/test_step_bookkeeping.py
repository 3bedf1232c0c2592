"""The training step's bookkeeping is kept cheap (deferred, batched, written out by hand): it must still record
exactly what a step-by-step computation gives, and a diverging step must still say what and where."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from engine import DivergenceError, History, Network, Trainer, TrainSettings
from engine.datasets import generate
from engine.history import Ring


def _trainer(dtype, history: History) -> Trainer:
    net = Network(seed=0, dtype=dtype)
    i, h = net.add_layer(2, "input"), net.add_layer(6, activation="tanh")
    o = net.add_layer(1, "output", activation="sigmoid")
    net.connect(i.id, h.id)
    net.connect(h.id, o.id)
    data = generate("circles", n_samples=100, seed=3)
    return Trainer(net, data.X, data.y, TrainSettings(loss="bce", optimizer="adam", batch_size=16, epochs=100),
                   history=history)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pending_bytes", [0, 3 * 200, 1 << 20])
def test_deferred_gradient_norms_and_losses_are_bit_identical_to_per_step_ones(monkeypatch, dtype, pending_bytes):
    """`History.record_step` reduces the squared gradients of many steps at once; whatever the block's size, a read
    in the middle of a block, a new plan (a resized layer) or the ring wrapping, every row must be the one the
    per-step formula gives."""
    import engine.history

    monkeypatch.setattr(engine.history, "PENDING_BYTES", pending_bytes)  # 0: one step a block; 600: three (float64)
    history = History(capacity=40)
    t = _trainer(dtype, history)
    expected_losses, expected_norms = [], []
    for k in range(70):
        if k == 23:
            t.network.resize_layer(t.network.layers_of_kind("hidden")[0].id, 9)  # same arrays, new sizes
        if k in (11, 30):
            history.grad_norms()  # a read mid-block
        result = t.step()
        c = t.compiled
        row = np.empty(1 + len(c.keys))
        row[0] = result.step
        np.add.reduceat(c.grad * c.grad, c.starts, out=row[1:])  # what each step computed before the deferral
        expected_norms.append(row)
        expected_losses.append((result.step, result.loss))
    keys, norms = history.grad_norms()
    assert keys == t.compiled.keys
    reference = np.array(expected_norms[-40:])
    np.sqrt(reference[:, 1:], out=reference[:, 1:])
    np.testing.assert_array_equal(norms, reference)
    np.testing.assert_array_equal(history.losses.data(), np.array(expected_losses[-40:]))
    assert len(history._squares) <= history.capacity  # no more steps wait than the ring would keep


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_arrays_norms_by_dot_product_are_exact_to_the_rounding_of_their_sum(monkeypatch, dtype):
    """A parameter array of `DOT_NUMBERS` or more has its squared norm taken by a dot product, in another order than
    the short arrays' `reduceat`: its norm must be the exact one to within n·ε (the bound of a sum of n squares) and
    the short arrays' stay bit for bit what the per-step formula gives, across new plans and mid-block reads."""
    import engine.history

    monkeypatch.setattr(engine.history, "DOT_NUMBERS", 7)  # the 2-6-1 net: W 12 and W 6 of 6 + 1 biases, a mix
    monkeypatch.setattr(engine.history, "PENDING_BYTES", 3 * 200)
    history = History(capacity=40)
    t = _trainer(dtype, history)
    expected = []
    for k in range(60):
        if k == 23:
            t.network.resize_layer(t.network.layers_of_kind("hidden")[0].id, 9)  # W 18, W 9, b 9 long; b 1 short
        if k in (11, 30):
            history.grad_norms()
        t.step()
        c = t.compiled
        sizes = np.diff(c.offsets)
        exact = [math.fsum(float(v) ** 2 for v in c.grad[a:b]) for a, b in itertools.pairwise(c.offsets)]
        reduced = np.empty(len(sizes))
        np.add.reduceat(c.grad * c.grad, c.starts, out=reduced)
        expected.append((sizes, np.array(exact), reduced))
    norms = history.grad_norms()[1]
    assert len(history._dots) == 3 and len(history._runs) == 1
    for (sizes, exact, reduced), row in zip(expected[-40:], norms, strict=True):
        squared = row[1:] ** 2  # read back as norms; squared again here
        long = sizes >= 7
        np.testing.assert_array_equal(row[1:][~long], np.sqrt(reduced[~long]))
        bound = sizes[long] * np.finfo(dtype).eps * exact[long] + 4 * np.finfo(np.float64).eps * exact[long]
        assert np.all(np.abs(squared[long] - exact[long]) <= bound), (squared[long], exact[long])


def test_a_deep_copy_of_the_history_records_the_live_gradients_norms(monkeypatch):
    """The timeline's checkpoints deep-copy the history and train on with the copy: the copy must square and dot
    the gradient the plan holds now, not the copies of it the history had when it was copied."""
    import copy

    import engine.history

    monkeypatch.setattr(engine.history, "DOT_NUMBERS", 7)  # W 12 dotted, the rest squared
    t = _trainer(np.float64, History(capacity=50))
    for _ in range(5):
        t.step()
    t.history = copy.deepcopy(t.history)  # with steps still pending
    expected = []
    for _ in range(5):
        t.step()
        c = t.compiled
        expected.append([math.fsum(float(v) ** 2 for v in c.grad[a:b]) for a, b in itertools.pairwise(c.offsets)])
    norms = t.history.grad_norms()[1]
    assert norms[:, 0].tolist() == list(range(1, 11))
    np.testing.assert_allclose(norms[5:, 1:] ** 2, expected, rtol=1e-13)


def test_steps_recorded_but_not_yet_reduced_survive_truncate_and_vanish_with_clear():
    history = History(capacity=100)
    t = _trainer(np.float64, history)
    for _ in range(10):
        t.step()
    history.truncate(6)
    assert history.losses.data()[:, 0].tolist() == [1, 2, 3, 4, 5, 6]
    assert history.grad_norms()[1][:, 0].tolist() == [1, 2, 3, 4, 5, 6]
    t.step()
    history.clear()
    assert len(history.losses.data()) == 0 and len(history.grad_norms()[1]) == 0


@pytest.mark.parametrize("blocks", [[1] * 12, [3, 5, 2, 9], [25], [4, 0, 11, 30]])
def test_a_ring_extended_by_blocks_holds_what_appending_row_by_row_holds(blocks):
    rows = np.arange(2 * sum(blocks), dtype=float).reshape(-1, 2)
    one, many = Ring(7, 2), Ring(7, 2)
    for row in rows:
        one.append(row)
    start = 0
    for n in blocks:
        many.extend(rows[start : start + n])
        start += n
    assert many.count == one.count
    np.testing.assert_array_equal(many.data(), one.data())


def test_a_diverging_step_says_where_whatever_numpys_error_state_outside_it():
    """The step ignores overflow itself (`engine.quiet`): a caller's `np.errstate(all="raise")` must not turn the
    trainer's own report into a bare FloatingPointError, and the caller's state must be back afterwards."""
    net = Network(seed=0)
    i, h = net.add_layer(1, "input"), net.add_layer(8, name="hidden", activation="relu")
    o = net.add_layer(1, "output", activation="identity")
    net.connect(i.id, h.id)
    net.connect(h.id, o.id)
    x = np.linspace(-3, 3, 64)[:, None]
    t = Trainer(net, x, 100 * x, TrainSettings(loss="mse", optimizer="sgd", optimizer_params={"lr": 1e6},
                                               batch_size=16))
    with np.errstate(all="raise"):
        outside = np.geterr()
        with pytest.raises(DivergenceError, match=r"diverged at step \d+: .* became (inf|-inf|nan)\. The step was"):
            for _ in range(50):
                t.step()
        assert np.geterr() == outside
    assert np.isfinite(t.compiled.value).all()


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_a_step_restored_mid_epoch_from_the_timeline_ends_its_epoch_with_the_uninterrupted_runs_figures(loss):
    """The epoch meter takes batches in groups (`Trainer._count`); a timeline frame taken mid-epoch must hold the
    batches not yet handed over, or a run continued from it ends the epoch with the figures of its last few batches
    only (it did: train loss 0.6955 against 0.7066)."""
    from engine.recording import Recorder, restore_frame

    def fresh() -> Trainer:
        t = _trainer(np.float64, History())
        t.settings.loss = loss
        return Trainer(t.network, t.x, t.t[:, 0], t.settings)

    run = fresh()
    run.recorder = Recorder(dense=10**6)
    run.recorder.begin(run)
    for _ in range(7 + 3):  # 100 samples in batches of 16: 7 steps an epoch, step 10 is in the second
        run.step()
    frame = next(f for f in run.recorder._frames if f.step == 10)
    continued = fresh()
    restore_frame(continued, frame)
    while not (expected := run.step()).epoch_done:
        assert not continued.step().epoch_done
    assert continued.step().epoch_metrics == expected.epoch_metrics


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(32, 1), (256, 10), (5, 3, 16, 4), (1, 1)])
def test_the_losses_mean_without_numpys_wrapper_is_np_mean_bit_for_bit(dtype, shape):
    from engine.losses import _batch_mean

    rng = np.random.default_rng(7)
    for scale in (1e-30, 1e-3, 1.0, 1e3, 1e30):
        x = (rng.normal(size=shape) * scale).astype(dtype)
        expected = np.asarray(np.mean(x, axis=(-2, -1)))
        got = _batch_mean(x)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relus_backward_through_its_mask_gives_the_bits_of_its_derivative(dtype):
    """`Compiled.backward` multiplies a ReLU layer's dL/dh by the mask a > 0 in place instead of by f'(a) as an
    array: the gradients must be those of dL/dh · f'(a), bit for bit, negative zeros included."""
    from engine import compiled, layered
    from engine.activations import get_activation
    from engine.losses import encode_targets, get_loss

    net = layered((3, 7, 5, 2), "relu", "softmax", dtype=dtype)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(16, 3)).astype(dtype)
    x[:4] = 0.0  # rows whose pre-activations sit at 0, where f' is 0
    loss = get_loss("cross_entropy")
    t = encode_targets(loss, rng.integers(0, 2, 16), 2, dtype)
    c = compiled(net)
    trace = c.backward(c.forward(x), t, loss)
    relu = get_activation("relu")
    for plan in c.plans[:-1]:  # the hidden layers: recompute δ from the next layer's δ the general way
        p = plan.pos
        [up] = [trace.da[q.pos] @ w.T for q in c.plans for src, w, _ in q.incoming if src == p]
        expected = up * relu.derivative(trace.a[p], trace.h[p])
        assert trace.da[p].dtype == expected.dtype and trace.da[p].tobytes() == expected.tobytes()


def test_the_last_steps_batch_read_later_is_that_steps_after_a_new_epoch_a_new_batch_size_and_a_restore():
    """A step keeps only where its batch lies in the shuffled order (`Trainer._last_idx` slices it when read). Read
    after the step that ended an epoch (and drew a new order), after the batch size changed and after later steps
    of other sizes, the indices and `last_batch` must be those of the rows that step trained on; a timeline frame
    restores the indices it holds."""
    t = _trainer(np.float64, History())
    seen, epochs = [], 0
    for k in range(60):  # 100 samples in batches of 16, then of 5 to 8: an epoch ends every 15 steps or so
        bs = t.settings.batch_size
        expected = t._order[t._cursor : t._cursor + bs].copy()
        order = t._order
        result = t.step()
        t.set_batch_size(5 + k % 4)  # the next step's size, not this one's
        seen.append((t._last_idx, t.last_batch()))
        np.testing.assert_array_equal(t._last_idx, expected)
        np.testing.assert_array_equal(t.last_batch()[0], t.x[expected])
        np.testing.assert_array_equal(t.last_batch()[1], t.t[expected])
        if result.epoch_done:
            assert t._order is not order  # the step drew the next epoch's order: the indices are the old one's
            epochs += 1
    assert epochs >= 3
    for idx, (x, target) in seen:  # read then: unchanged by the steps since
        np.testing.assert_array_equal(x, t.x[idx])
        np.testing.assert_array_equal(target, t.t[idx])
    t._last_idx = np.array([3, 1, 4])
    np.testing.assert_array_equal(t._last_idx, [3, 1, 4])
    np.testing.assert_array_equal(t.last_batch()[0], t.x[[3, 1, 4]])
