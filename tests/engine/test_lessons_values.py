"""Each value a lesson can ask for, against an independent computation: a forward pass written out with NumPy,
central differences of the loss, the closed form of the notes' scalar chain, and a trainer's own epoch."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Trainer, WeightRef, compiled, encode_targets
from engine.errors import BackpropError
from engine.lessons import Prediction, Problem, compute
from engine.lessons.values import param_ref
from engine.losses import get_loss
from engine.project import open_example

H = 1e-6


def problem(name: str) -> Problem:
    project = open_example(name)
    train, _, _ = project.data.load(project.base_dir)
    s = project.settings
    return Problem(project.network, train.X, train.y, s.loss, float(s.optimizer_params["lr"]), s.batch_size)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def layers_by_hand(p: Problem, k: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(a, h) of every layer of a layered sigmoid chain for sample k, written out with NumPy."""
    net = p.network
    h = p.x[k]
    out = {"in": (h, h)}
    for conn in net.connections.values():  # a layered network's connections run in order, layer to layer
        a = h @ conn.weight.value + net.layer(conn.target).bias.value
        h = sigmoid(a)
        out[net.layer(conn.target).name] = (a, h)
    return out


def loss_of(p: Problem, rows: slice) -> float:
    loss = get_loss(p.loss)
    plan = compiled(p.network)
    t = encode_targets(loss, p.y[rows], p.network.output_layer.size, p.network.dtype)
    return plan.loss(plan.forward(p.x[rows]), t, loss)


def central(p: Problem, ref, rows: slice) -> float:
    net = p.network
    w = float(net.param(ref.key).value[ref.index])
    net.set_value(ref, w + H)
    up = loss_of(p, rows)
    net.set_value(ref, w - H)
    down = loss_of(p, rows)
    net.set_value(ref, w)
    return (up - down) / (2 * H)


@pytest.fixture(scope="module")
def lecture() -> Problem:
    return problem("Lecture notes 4-3-2-1 (Iris)")


@pytest.mark.parametrize("sample", [0, 5])
def test_neuron_values_match_a_forward_pass_by_hand(lecture, sample):
    by_hand = layers_by_hand(lecture, sample)
    for name, j in (("h1", 0), ("h1", 2), ("h2", 1), ("out", 0)):
        a, h = by_hand[name]
        assert compute(Prediction("preactivation", f"{name}[{j}]", sample=sample), lecture).value == \
            pytest.approx(a[j], rel=1e-12)
        assert compute(Prediction("activation", f"{name}[{j}]", sample=sample), lecture).value == \
            pytest.approx(h[j], rel=1e-12)
        assert compute(Prediction("slope", f"{name}[{j}]", sample=sample), lecture).value == \
            pytest.approx(h[j] * (1 - h[j]), rel=1e-12)


def test_the_loss_is_binary_cross_entropy_of_the_sample(lecture):
    y_hat = layers_by_hand(lecture, 3)["out"][1][0]
    t = lecture.y[3]
    expected = -(t * math.log(y_hat) + (1 - t) * math.log(1 - y_hat))
    assert compute(Prediction("loss", sample=3), lecture).value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["in[0] -> h1[0]", "h1[2] -> h2[1]", "h2[0] -> out[0]", "h1[1]", "out[0]"])
def test_gradient_and_update_match_central_differences(lecture, name):
    answer = compute(Prediction("gradient", name, sample=4), lecture)
    ref = param_ref(lecture.network, name)
    numeric = central(lecture, ref, slice(4, 5))
    assert answer.value == pytest.approx(numeric, rel=1e-6, abs=1e-10)
    w = float(lecture.network.param(ref.key).value[ref.index])
    update = compute(Prediction("update", name, sample=4), lecture).value
    assert update == pytest.approx(w - lecture.lr * numeric, rel=1e-6, abs=1e-9)
    assert update == pytest.approx(w - lecture.lr * answer.value, rel=1e-12)


def test_the_two_paths_multiply_out_by_hand_and_sum_to_the_gradient():
    p = problem("Two paths (notes)")
    by_hand = layers_by_hand(p, 0)
    net = p.network
    _, w2, w3 = (c.weight.value for c in net.connections.values())
    h1, h2, out = by_hand["h1"][1], by_hand["h2"][1], by_hand["out"][1]
    delta_out = out[0] - p.y[0]  # sigmoid output with cross-entropy: ∂L/∂a = ŷ − t
    products = []
    for k in (0, 1):
        by_path = delta_out * w3[k, 0] * h2[k] * (1 - h2[k]) * w2[0, k] * h1[0] * (1 - h1[0]) * p.x[0, 0]
        found = compute(Prediction("path", "in[0] -> h1[0]", through=(f"h2[{k}]", "out[0]")), p).value
        assert found == pytest.approx(by_path, rel=1e-10)
        products.append(by_path)
    gradient = compute(Prediction("gradient", "in[0] -> h1[0]"), p).value
    assert gradient == pytest.approx(sum(products), rel=1e-10)
    assert gradient == pytest.approx(central(p, WeightRef(3, 0, 0), slice(0, 1)), rel=1e-6)


def test_a_path_that_does_not_exist_is_named():
    p = problem("Two paths (notes)")
    with pytest.raises(BackpropError, match=r"no path through h1\[1\]"):
        compute(Prediction("path", "in[0] -> h1[0]", through=("h1[1]",)), p)
    with pytest.raises(BackpropError, match="its paths are"):  # two paths: which one must be said
        compute(Prediction("path", "in[0] -> h1[0]"), p)


@pytest.mark.parametrize("sample", range(5))
def test_the_scalar_chain_derivative_is_the_closed_form(sample):
    p = problem("Scalar chain (notes)")
    x = p.x[sample, 0]
    answer = compute(Prediction("derivative", "x[0]", sample=sample), p)
    assert answer.value == pytest.approx(-2 * x * math.exp(-x * x), rel=1e-9, abs=1e-12)
    assert "(−1/h2²) · e^h1 · 2x" in answer.working


def test_the_norm_is_that_of_the_connections_central_differences(lecture):
    conn = lecture.network.find_connection(lecture.network.layer_by_name("h1").id,
                                           lecture.network.layer_by_name("h2").id)
    grads = [central(lecture, WeightRef(conn.id, i, j), slice(None)) for i in range(3) for j in range(2)]
    answer = compute(Prediction("norm", "h1 -> h2"), lecture)
    assert answer.value == pytest.approx(float(np.linalg.norm(grads)), rel=1e-6)


def test_deep_sigmoid_gradients_vanish_and_relu_ones_do_not():
    ratios = {}
    for name in ("Deep sigmoid chain", "Deep ReLU chain"):
        p = problem(name)
        first, last = (compute(Prediction("norm", of), p).value for of in ("in -> h1", "h6 -> out"))
        ratios[name] = first / last
    assert ratios["Deep sigmoid chain"] < 1e-2 < ratios["Deep ReLU chain"]


def test_steps_per_epoch_is_what_a_trainer_takes(lecture):
    project = open_example("Lecture notes 4-3-2-1 (Iris)")
    train, _, _ = project.data.load(project.base_dir)
    trainer = Trainer(project.network, train.X, train.y, project.settings)
    steps = 1
    while not trainer.step().epoch_done:
        steps += 1
    assert compute(Prediction("steps_per_epoch"), lecture).value == steps


def test_a_sample_outside_the_training_set_is_refused(lecture):
    with pytest.raises(BackpropError, match=f"sample 999 is outside the training set of {len(lecture.x)} rows"):
        compute(Prediction("activation", "h1[0]", sample=999), lecture)


def test_the_outputs_derivative_with_respect_to_a_weight_matches_central_differences():
    p = problem("Two paths (notes)")
    ref = WeightRef(3, 1, 0)  # in[1] → h1[0]: two paths to the output, no loss

    def y() -> float:
        return float(compiled(p.network).predict(p.x[2:3])[0, 0])

    w = float(p.network.param(ref.key).value[ref.index])
    p.network.set_value(ref, w + H)
    up = y()
    p.network.set_value(ref, w - H)
    down = y()
    p.network.set_value(ref, w)
    answer = compute(Prediction("derivative", "in[1] -> h1[0]", sample=2), p)
    assert answer.value == pytest.approx((up - down) / (2 * H), rel=1e-6)
