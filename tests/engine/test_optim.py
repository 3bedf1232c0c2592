"""Optimiser updates against PyTorch's documented formulas, written out by hand in scalar arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Network, WeightRef, compiled, make_optimizer

GRADS = [0.5, -1.5, 0.25, 2.0, -0.75]


def one_weight_net(w0: float):
    """in(1) → out(1): one weight and one bias; the weight is the parameter we follow."""
    net = Network()
    i, o = net.add_layer(1, "input"), net.add_layer(1, "output", activation="identity")
    c = net.connect(i.id, o.id)
    c.weight.value[0, 0] = w0
    return net, c


def run(name: str, w0: float, **hyper) -> list[float]:
    net, conn = one_weight_net(w0)
    c = compiled(net)
    opt = make_optimizer(name, **hyper)
    out = []
    for g in GRADS:
        c.grad[...] = 0.0
        conn.weight.grad[0, 0] = g
        opt.compute(c)
        opt.apply(c)
        out.append(float(conn.weight.value[0, 0]))
    return out


def sgd_expected(w, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    out, buf = [], None
    for g in GRADS:
        g = g + weight_decay * w
        if momentum:
            buf = g if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        w = w - lr * g
        out.append(w)
    return out


@pytest.mark.parametrize(
    "hyper",
    [
        {"lr": 0.1},
        {"lr": 0.1, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.01},
    ],
)
def test_sgd(hyper):
    assert run("sgd", 0.3, **hyper) == pytest.approx(sgd_expected(0.3, **hyper), rel=1e-12)


def test_rmsprop_plain_and_centered_with_momentum():
    for centered, momentum in [(False, 0.0), (True, 0.9)]:
        w, sq, ga, buf, out = 0.3, 0.0, 0.0, 0.0, []
        lr, alpha, eps, wd = 0.01, 0.99, 1e-8, 0.001
        for g in GRADS:
            g = g + wd * w
            sq = alpha * sq + (1 - alpha) * g * g
            if centered:
                ga = alpha * ga + (1 - alpha) * g
                avg = math.sqrt(sq - ga * ga) + eps
            else:
                avg = math.sqrt(sq) + eps
            if momentum:
                buf = momentum * buf + g / avg
                w = w - lr * buf
            else:
                w = w - lr * g / avg
            out.append(w)
        got = run("rmsprop", 0.3, lr=lr, centered=centered, momentum=momentum, weight_decay=wd)
        assert got == pytest.approx(out, rel=1e-12)


@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_adam_and_adamw(name):
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.05
    w, m, v, out = 0.3, 0.0, 0.0, []
    for t, g in enumerate(GRADS, start=1):
        if name == "adamw":
            w = w * (1 - lr * wd)  # decoupled decay
        else:
            g = g + wd * w  # L2 added to the gradient
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat_sqrt = m / (1 - b1**t), math.sqrt(v) / math.sqrt(1 - b2**t)
        w = w - lr * m_hat / (v_hat_sqrt + eps)
        out.append(w)
    assert run(name, 0.3, lr=lr, weight_decay=wd) == pytest.approx(out, rel=1e-12)


def test_defaults_are_pytorchs():
    # torch.optim.SGD's lr defaults to 1e-3 in PyTorch 2.x (it was a required argument in 1.x)
    assert make_optimizer("sgd").hyper == {"lr": 0.001, "momentum": 0.0, "dampening": 0.0, "nesterov": False,
                                           "weight_decay": 0.0}
    assert make_optimizer("rmsprop").hyper["lr"] == 0.01
    assert make_optimizer("adam").hyper == {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                            "weight_decay": 0.0}
    assert make_optimizer("adamw").hyper["weight_decay"] == 0.01
    assert make_optimizer("rmsprop").hyper["alpha"] == 0.99


def test_state_is_readable_per_weight_and_delta_is_what_was_applied():
    net, conn = one_weight_net(0.3)
    c = compiled(net)
    opt = make_optimizer("adam", lr=0.1)
    conn.weight.grad[0, 0] = 2.0
    before = conn.weight.value.copy()
    opt.compute(c)
    opt.apply(c)
    assert set(conn.weight.state) == {"exp_avg", "exp_avg_sq"}
    assert conn.weight.state["exp_avg"][0, 0] == pytest.approx(0.2)
    assert conn.weight.state["exp_avg_sq"][0, 0] == pytest.approx(0.004)
    np.testing.assert_array_equal(conn.weight.value, before + conn.weight.delta)


def test_frozen_and_cut_weights_never_move_even_with_weight_decay():
    net = Network()
    i, o = net.add_layer(2, "input"), net.add_layer(1, "output", activation="identity")
    conn = net.connect(i.id, o.id)
    net.set_frozen(WeightRef(conn.id, 0, 0), True)
    net.set_present(conn.id, 1, 0, False)
    c = compiled(net)
    frozen_value = conn.weight.value[0, 0]
    opt = make_optimizer("adamw", lr=0.1, weight_decay=0.5)
    for _ in range(3):
        c.grad[...] = 1.0
        opt.compute(c)
        opt.apply(c)
    assert conn.weight.value[0, 0] == frozen_value and conn.weight.value[1, 0] == 0.0


def test_bad_settings_are_refused():
    from engine import TrainingError

    with pytest.raises(TrainingError, match="learning rate"):
        make_optimizer("sgd", lr=0)
    with pytest.raises(TrainingError, match="unknown setting"):
        make_optimizer("adam", momentum=0.9)
    with pytest.raises(TrainingError, match="unknown optimiser 'lbfgs'"):
        make_optimizer("lbfgs")


@pytest.mark.parametrize("name", ["adam", "adamw"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_on_many_weights_is_bit_identical_to_its_formula_with_temporaries(name, dtype):
    """Adam computes into one kept buffer instead of fresh temporaries; the numbers must not change by a bit."""
    from engine import layered

    net = layered((5, 7, 3), dtype=dtype)
    c = compiled(net)
    opt = make_optimizer(name, lr=0.01, weight_decay=0.05)
    rng = np.random.default_rng(5)
    w = c.value.copy()
    m, v = np.zeros_like(w), np.zeros_like(w)
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.05
    for t in range(1, 6):
        c.grad[...] = rng.normal(size=c.grad.shape) * 10.0 ** rng.uniform(-6, 2, c.grad.shape)
        g = c.grad if name == "adamw" else c.grad + wd * w
        opt.compute(c)
        opt.apply(c)
        m *= b1
        m += (1.0 - b1) * g
        v *= b2
        v += (1.0 - b2) * g * g
        denom = np.sqrt(v)
        denom /= np.sqrt(1.0 - b2**t)
        denom += eps
        delta = m / denom
        delta *= -lr / (1.0 - b1**t)
        if name == "adamw":
            delta -= (lr * wd) * w
        w += delta
        assert c.value.tobytes() == w.tobytes(), t


@pytest.mark.parametrize("name", ["adam", "sgd"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_moments_of_weights_whose_gradient_stays_zero_are_swept_to_zero_and_nothing_else_changes(monkeypatch, name,
                                                                                                 dtype):
    """A dead ReLU unit's weights get a gradient of exactly 0 for good: their moments decay into the subnormal floats
    and stay there (m · 0.9 rounds back to m a few units in the last place above zero), where every operation on
    them is many times slower. `Optimizer.compute` sweeps them to zero every `SUBNORMAL_SWEEP` steps. Nothing else
    may change: the other weights' moments bit for bit, every weight's value bit for bit, and the dead weights'
    last update by less than the smallest normal float."""
    import engine.optim
    from engine import layered

    hyper = {"lr": 0.01} if name == "adam" else {"lr": 0.01, "momentum": 0.9}
    steps = 7_300 if dtype == np.float64 else 1_100  # from ~1 to stuck at 0.9ⁿ: 7,090 and 980 steps
    tiny = np.finfo(dtype).tiny

    def train(sweep: int):
        monkeypatch.setattr(engine.optim, "SUBNORMAL_SWEEP", sweep)
        c = compiled(layered((3, 4, 2), dtype=dtype))
        opt = make_optimizer(name, **hyper)
        rng = np.random.default_rng(2)
        dead = np.arange(c.grad.size) % 3 == 0
        for t in range(steps):
            c.grad[...] = rng.normal(size=c.grad.shape)
            if t >= 5:
                c.grad[dead] = 0.0
            opt.compute(c)
            opt.apply(c)
        return c, dead

    kept, dead = train(10**9)
    swept, _ = train(64)
    first = "exp_avg" if name == "adam" else "momentum_buffer"
    stuck = kept.state[first][dead]
    assert np.all((stuck != 0) & (np.abs(stuck) < tiny))  # without sweeps: subnormal for good
    assert np.all(swept.state[first][dead] == 0)
    for moment, arr in swept.state.items():
        assert arr[~dead].tobytes() == kept.state[moment][~dead].tobytes(), moment
    assert swept.value.tobytes() == kept.value.tobytes()
    assert swept.delta[~dead].tobytes() == kept.delta[~dead].tobytes()
    assert np.all(np.abs(swept.delta[dead] - kept.delta[dead]) < tiny)
