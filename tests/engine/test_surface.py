"""The loss surface against the loss computed one weight setting at a time, and against the trainer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from random_nets import networks

from engine import BiasRef, GraphError, Trainer, TrainSettings, WeightRef, compiled, encode_targets, layered
from engine.errors import ValidationError
from engine.gradcheck import all_refs
from engine.losses import get_loss
from engine.surface import default_span, gradient_slice, loss_surface


def loss_by_hand(net, x, y, loss, settings_: dict) -> float:
    """The loss with some weights set by hand, one forward pass, on a copy of the plan."""
    c = compiled(net).private_copy()
    for ref, value in settings_.items():
        c.value[c.flat_index(ref)] = value
    lossfn = get_loss(loss)
    return c.loss(c.forward(x), encode_targets(lossfn, y, net.output_layer.size, net.dtype), lossfn)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.data())
def test_every_grid_point_is_the_loss_with_those_weights_set_by_hand(case, data):
    net, loss, x, y = case
    refs = data.draw(st.lists(st.sampled_from(all_refs(net)), min_size=1, max_size=2, unique=True))
    before = compiled(net).buffers.copy()
    s = loss_surface(net, x, y, loss, refs, points=5, span=0.7)
    assert np.array_equal(compiled(net).buffers, before)  # the buffers that train are untouched
    assert s.loss.shape == (5,) * len(refs)
    for index in np.ndindex(s.loss.shape):
        values = {ref: s.axes[k][index[k]] for k, ref in enumerate(refs)}
        assert s.loss[index] == pytest.approx(loss_by_hand(net, x, y, loss, values), rel=1e-12, abs=1e-12)
    assert s.center_loss == pytest.approx(loss_by_hand(net, x, y, loss, {}), rel=1e-12, abs=1e-12)


def trained_net():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 1, (200, 8))
    y = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 1).astype(int)
    net = layered([8, 6, 3], "tanh", "softmax", seed=1)
    trainer = Trainer(net, x, y, TrainSettings(loss="cross_entropy", optimizer="sgd",
                                               optimizer_params={"lr": 0.3}, batch_size=50))
    for _ in range(5):
        trainer.step()
    return net, trainer


def test_the_surface_at_the_current_point_is_the_loss_the_trainer_reports_for_that_batch():
    net, trained = trained_net()
    trainer = Trainer(net, trained.x, trained.t.argmax(axis=1), trained.settings)
    x, t = trainer.last_batch()  # before its first step: the batch that step uses
    conn = next(iter(net.connections.values()))
    refs = [WeightRef(conn.id, 0, 1), BiasRef(net.output_layer.id, 2)]
    y = t.argmax(axis=1)
    s = loss_surface(net, x, y, "cross_entropy", refs, points=65)
    reported = trainer.step().loss  # the loss of that batch before the step's update
    assert abs(s.center_loss - reported) < 1e-12
    assert abs(s.loss[32, 32] - reported) < 1e-12  # the grid's middle is the current point
    assert s.center == (s.axes[0][32], s.axes[1][32])


def test_the_default_span_is_three_times_the_weight_and_at_least_one():
    net, trainer = trained_net()
    conn = next(iter(net.connections.values()))
    ref = WeightRef(conn.id, 2, 0)
    w = float(conn.weight.value[2, 0])
    s = loss_surface(net, trainer.x, trainer.t.argmax(axis=1), "cross_entropy", [ref], points=7)
    assert s.axes[0][0] == pytest.approx(w - default_span(w)) and s.axes[0][-1] == pytest.approx(w + default_span(w))
    assert default_span(0.1) == 1.0 and default_span(-2.0) == 6.0


def test_the_gradient_slice_falls_at_t_0_with_slope_minus_lr_times_the_squared_gradient():
    net, trainer = trained_net()
    x, y = trainer.x, trainer.t.argmax(axis=1)
    lr, h = 0.3, 1e-5
    sl = gradient_slice(net, x, y, "cross_entropy", lr, t=np.array([-h, 0.0, h, 1.0]))
    slope = (sl.loss[2] - sl.loss[0]) / (2 * h)
    assert sl.grad_norm2 > 0
    assert slope == pytest.approx(-lr * sl.grad_norm2, rel=1e-6)
    # t = 1 is one plain SGD step on that batch
    c = compiled(net).private_copy()
    lossfn = get_loss("cross_entropy")
    t = encode_targets(lossfn, y, 3)
    c.backward(c.forward(x), t, lossfn)
    c.value -= lr * c.grad
    assert sl.loss[3] == pytest.approx(c.loss(c.forward(x), t, lossfn), rel=1e-12)


def test_the_gradient_slice_of_one_weight_moves_only_that_weight():
    net, trainer = trained_net()
    x, y = trainer.x, trainer.t.argmax(axis=1)
    conn = next(iter(net.connections.values()))
    ref = WeightRef(conn.id, 1, 1)
    sl = gradient_slice(net, x, y, "cross_entropy", 0.5, t=np.array([2.0]), refs=[ref])
    c = compiled(net).private_copy()
    lossfn = get_loss("cross_entropy")
    c.backward(c.forward(x), encode_targets(lossfn, y, 3), lossfn)
    g = c.grad[c.flat_index(ref)]
    assert sl.grad_norm2 == pytest.approx(g * g)
    w = conn.weight.value[1, 1] - 2.0 * 0.5 * g
    assert sl.loss[0] == pytest.approx(loss_by_hand(net, x, y, "cross_entropy", {ref: w}), rel=1e-12)


@pytest.mark.parametrize("refs, message", [
    ([], "one or two weights"),
    (["a", "a"], "two different weights"),
])
def test_bad_requests_say_what_is_wrong(refs, message):
    net, trainer = trained_net()
    conn = next(iter(net.connections.values()))
    refs = [WeightRef(conn.id, 0, 0) for _ in refs]
    with pytest.raises(GraphError, match=message):
        loss_surface(net, trainer.x, trainer.t.argmax(axis=1), "cross_entropy", refs)


@pytest.mark.parametrize("along", ["surface", "slice"])
def test_data_that_no_longer_fits_the_input_layer_is_named_not_a_numpy_error(along):
    """The loss surface dock computes on the trainer's last batch; an input layer resized since (the data has 2
    columns, the layer now 3) must give the one sentence the trainer and the explorer give."""
    net, trainer = trained_net()
    conn = next(iter(net.connections.values()))
    net.resize_layer(net.input_layer.id, net.input_layer.size + 1)
    x, y = trainer.x, trainer.t.argmax(axis=1)
    with pytest.raises(ValidationError, match=f"the data has {x.shape[1]} input columns but the input layer"):
        if along == "surface":
            loss_surface(net, x, y, "cross_entropy", [WeightRef(conn.id, 0, 0)])
        else:
            gradient_slice(net, x, y, "cross_entropy", 0.5)


def penalised_net():
    """The trained net under L2 everywhere, its first connection under L1 of its own."""
    from engine.regularization import Penalty

    net, trainer = trained_net()
    first = next(iter(net.connections.values()))
    net.set_penalty(first.id, Penalty("l1", 0.05))
    return net, trainer, Penalty("l2", 0.1), first


def objective_by_hand(net, x, y, network_penalty, values: dict) -> float:
    """Data loss plus every weight's penalty, with `values` set by hand: what training minimises."""
    penalty = 0.0
    for conn in net.connections.values():
        w = conn.weight.value.astype(np.float64)
        for ref, value in values.items():
            if isinstance(ref, WeightRef) and ref.conn == conn.id:
                w[ref.i, ref.j] = value
        own = network_penalty if conn.penalty is None else conn.penalty
        penalty += own.rate * (np.abs(w).sum() if own.kind == "l1" else (w * w).sum() / 2)
    return loss_by_hand(net, x, y, "cross_entropy", values) + penalty


def test_under_a_penalty_every_grid_point_is_data_loss_plus_penalty_of_those_weights():
    net, trainer, l2, first = penalised_net()
    x, y = trainer.x, trainer.t.argmax(axis=1)
    second = list(net.connections.values())[1]
    refs = [WeightRef(first.id, 0, 1), WeightRef(second.id, 2, 0)]  # one under L1 (its own), one under L2
    s = loss_surface(net, x, y, "cross_entropy", refs, points=5, span=0.8, penalty=l2)
    assert s.penalty > 0
    for index in np.ndindex(s.loss.shape):
        values = {ref: s.axes[k][index[k]] for k, ref in enumerate(refs)}
        assert s.loss[index] == pytest.approx(objective_by_hand(net, x, y, l2, values), rel=1e-12)
    assert s.center_loss == pytest.approx(objective_by_hand(net, x, y, l2, {}), rel=1e-12)
    # a bias is never penalised: its axis changes the data loss only
    bias = BiasRef(net.output_layer.id, 1)
    sb = loss_surface(net, x, y, "cross_entropy", [bias], points=3, span=0.5, penalty=l2)
    assert sb.loss[0] == pytest.approx(objective_by_hand(net, x, y, l2, {bias: sb.axes[0][0]}), rel=1e-12)


def test_under_a_penalty_the_gradient_slice_descends_the_penalised_objective_as_training_does():
    net, trainer, l2, _ = penalised_net()
    x, y = trainer.x, trainer.t.argmax(axis=1)
    lr, h = 0.3, 1e-5
    sl = gradient_slice(net, x, y, "cross_entropy", lr, t=np.array([-h, 0.0, h, 1.0]), penalty=l2)
    assert sl.loss[1] == pytest.approx(objective_by_hand(net, x, y, l2, {}), rel=1e-12)
    slope = (sl.loss[2] - sl.loss[0]) / (2 * h)
    assert slope == pytest.approx(-lr * sl.grad_norm2, rel=1e-5)  # ∇ of the same objective the values follow
    # t = 1 is the step a plain-SGD trainer under these penalties takes on this batch
    stepper = Trainer(net, x, y, TrainSettings(loss="cross_entropy", optimizer="sgd", optimizer_params={"lr": lr},
                                               batch_size=len(x), penalty=l2))  # one batch: all of x
    stepper.step()
    assert sl.loss[3] == pytest.approx(objective_by_hand(net, x, y, l2, {}), rel=1e-10)
