"""The numbers a lesson asks the learner to predict, computed by the engine from a small vocabulary.

A lesson never writes the number itself: it names a kind and what it is about (`Prediction`), and the value comes
from the network as it is when the learner checks, with the working that explains it (Markdown), so a lesson stays
right after its example project changes or the learner trains it. Gradients, paths and updates come from the
chain-rule explorer (`engine.explain`), which runs on a private copy of the network's buffers: nothing here
changes the network or disturbs a run.

Every kind except `norm` and `steps_per_epoch` is about one row of the training set (`sample`): one sample's own
loss and gradient, the numbers a learner can follow by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..activations import get_activation
from ..errors import DataError
from ..explain import ENUMERATE_LIMIT, explain_output, explain_weight
from ..explain.batch import private_plan
from ..graph.model import Network
from ..losses import encode_targets, get_loss
from ..optim import make_optimizer
from ..refs import BiasRef, ParamRef, WeightRef
from . import items
from .format import Prediction

KINDS: dict[str, str] = {  # kind → what its `of` names ("" for none)
    "activation": "a neuron, e.g. h1[0]",
    "preactivation": "a neuron, e.g. h1[0]",
    "slope": "a hidden or output neuron, e.g. h1[0]",
    "loss": "",
    "gradient": "a weight (in[0] -> h1[0]) or a neuron (its bias)",
    "path": "a weight (in[0] -> h1[0]) or a neuron (its bias)",
    "update": "a weight (in[0] -> h1[0]) or a neuron (its bias)",
    "derivative": "an input neuron (for dy/dx) or a weight (for dy/dw)",
    "norm": "a connection, e.g. h1 -> h2",
    "steps_per_epoch": "",
}


NOTES_SHOWN = 4  # a derivative's working lists its largest paths; the rest are counted


def _n(value: float) -> str:
    """A number inside a sum or product: negative ones in brackets, so "+ (−0.47)" never reads as "+ -0.47"."""
    return f"({value:.4g})" if value < 0 else f"{value:.4g}"


@dataclass(frozen=True)
class Problem:
    """What the values are computed from: the network, the training set and the project's settings."""

    network: Network
    x: np.ndarray
    y: np.ndarray
    loss: str
    lr: float
    batch_size: int


@dataclass(frozen=True)
class Answer:
    value: float
    working: str  # Markdown: how the value comes about, with the numbers


def question(p: Prediction) -> str:
    """What the learner is asked for, in words (names with the app's arrow, as the canvas and explorer write them)."""
    of, at = (p.of or "").replace("->", "→"), f"for sample {p.sample}"
    return {
        "activation": f"the activation h of {of} {at}",
        "preactivation": f"the pre-activation a of {of} {at}",
        "slope": f"the slope f′(a) of {of}'s activation {at}",
        "loss": f"the loss L {at}",
        "gradient": f"∂L/∂w of {of} {at}",
        "path": f"the product along the path {' → '.join((of, *p.through))} {at}",
        "update": f"the new value w′ = w − α·∂L/∂w of {of} after a step on sample {p.sample} alone",
        "derivative": f"the derivative of the output y[{p.output}] with respect to {of} {at}",
        "norm": f"‖∂L/∂W‖ of the connection {of}, over the whole training set",
        "steps_per_epoch": "the number of steps in one epoch",
    }[p.value]


def compute(p: Prediction, problem: Problem) -> Answer:
    """The value and its working; raises a `BackpropError` saying what is wrong (a name, a sample, the network)."""
    if p.value == "steps_per_epoch":
        n, b = len(problem.x), problem.batch_size
        return Answer(float(math.ceil(n / b)),
                      f"One step takes a mini-batch of B = {b} samples; the {n} training samples make "
                      f"⌈{n} / {b}⌉ = **{math.ceil(n / b)}** steps, the last one with what is left.")
    if p.value == "norm":
        return _norm(p, problem)
    if not p.sample < len(problem.x):
        raise DataError(f"sample {p.sample} is outside the training set of {len(problem.x)} rows (numbered from 0)")
    x, y = problem.x[p.sample : p.sample + 1], problem.y[p.sample : p.sample + 1]
    if p.value in ("activation", "preactivation", "slope"):
        return _neuron(p, problem, x)
    if p.value == "loss":
        return _loss(problem, x, y)
    if p.value == "derivative":
        return _derivative(p, problem, x)
    return _weight(p, problem, x, y)


def param_ref(network: Network, name: str) -> ParamRef:
    """A weight by its two neurons, or a neuron's bias by the neuron."""
    item = items.resolve_one(network, name)
    if isinstance(item, WeightRef):
        return item
    if isinstance(item, tuple):
        lid, j = item
        if network.layer(lid).bias is None:
            raise items.UnknownItemError(f"{name.strip()} is an input neuron: it has no bias; name a weight instead")
        return BiasRef(lid, j)
    raise items.UnknownItemError(f"{name.strip()!r} is a layer: name one weight (in[0] -> h1[0]) or neuron (h1[0])")


def _neuron(p: Prediction, problem: Problem, x: np.ndarray) -> Answer:
    network = problem.network
    lid, j = items.neuron(network, p.of or "")
    layer = network.layer(lid)
    plan = private_plan(network)
    trace = plan.forward(x)
    pos = plan.pos[lid]
    a, h = float(trace.a[pos][0, j]), float(trace.h[pos][0, j])
    name = f"{layer.name}[{j}]"
    if layer.kind == "input":
        if p.value == "slope":
            raise items.UnknownItemError(f"{name} is an input neuron: it has no activation function")
        return Answer(h, f"{name} is an input: its value is the sample's feature, **{h:.6g}**.")
    terms = [f"{_n(trace.h[plan.pos[conn.source]][0, i])} · {_n(conn.weight.value[i, j])}"
             for conn in network.incoming(lid) for i in np.flatnonzero(conn.weight.mask[:, j])]
    sum_text = " + ".join(terms) if len(terms) <= 8 else f"(the sum of {len(terms)} products h·w)"
    bias = float(layer.bias.value[j]) if layer.bias is not None else 0.0
    pre = f"a = Σ h·w + b = {sum_text} + {_n(bias)} = **{a:.6g}**" if p.value == "preactivation" else \
        f"a = Σ h·w + b = {sum_text} + {_n(bias)} = {a:.6g}"
    if p.value == "preactivation":
        return Answer(a, f"The weighted sum into {name}: {pre}.")
    if p.value == "activation":
        return Answer(h, f"The weighted sum into {name}: {pre}; then h = {layer.activation}(a) = **{h:.6g}**.")
    derivative = get_activation(layer.activation).derivative
    if derivative is None:
        raise DataError(f"{layer.name} is a softmax layer: its neurons have no slope of their own")
    slope = float(derivative(trace.a[pos], trace.h[pos])[0, j])
    return Answer(slope, f"{pre}; h = {layer.activation}(a) = {h:.6g}, and its slope there is "
                         f"f′(a) = **{slope:.6g}**.")


def _loss(problem: Problem, x: np.ndarray, y: np.ndarray) -> Answer:
    network = problem.network
    loss = get_loss(problem.loss)
    plan = private_plan(network)
    trace = plan.forward(x)
    t = encode_targets(loss, y, network.output_layer.size, network.dtype)
    value = plan.loss(trace, t, loss)
    out = ", ".join(f"{v:.4g}" for v in trace.h[plan.output_pos][0])
    target = ", ".join(f"{v:.4g}" for v in t[0])
    return Answer(value, f"The network's output ŷ = ({out}) against the target t = ({target}): "
                         f"{loss.label} = **{value:.6g}**.")


def _weight(p: Prediction, problem: Problem, x: np.ndarray, y: np.ndarray) -> Answer:
    network = problem.network
    ref = param_ref(network, p.of or "")
    sgd = make_optimizer("sgd", lr=problem.lr)
    e = explain_weight(network, ref, x, y, problem.loss, max_paths=ENUMERATE_LIMIT, optimizer=sgd,
                       check=p.value == "gradient")
    name, g = e.name, e.gradient
    if p.value == "gradient":
        source = "1" if isinstance(ref, BiasRef) else f"h {_n(e.local.source.value)}"
        check = "" if e.check is None else f" Central differences agree: {e.check.numeric:.6g}."
        return Answer(g, f"∂L/∂w = ∂a/∂w · δ = {source} · δ {_n(e.local.delta.value)} = **{g:.6g}** "
                         f"(the sum over its {e.paths.count} path{'s' * (e.paths.count != 1)} to the loss).{check}")
    if p.value == "update":
        u = e.update
        return Answer(u.new_value, f"w′ = w − α·∂L/∂w = {u.value:.6g} − {problem.lr:g} · {_n(g)} = "
                                   f"**{u.new_value:.6g}**")
    wanted = tuple(items.neuron(network, name) for name in p.through)
    paths = e.paths.paths
    if not wanted and len(paths) == 1:
        path = paths[0]
    else:
        found = [path for path in paths if path.neurons[1:] == wanted]
        if not found:
            listed = "; ".join(path.name for path in paths)
            raise items.UnknownItemError(f"{name} has no path through {', '.join(p.through) or 'nothing'}: "
                                         f"name the neurons after its own with through = [...]; its paths are "
                                         f"{listed}")
        path = found[0]
    factors = " · ".join(f"{f.symbol}[{f.where}] {_n(f.value)}" for f in path.factors)
    share = "" if len(paths) == 1 else f" All {e.paths.count} paths together give ∂L/∂w = {g:.6g}."
    return Answer(path.contribution, f"{path.name}: {factors} = **{path.contribution:.6g}**.{share}")


def _derivative(p: Prediction, problem: Problem, x: np.ndarray) -> Answer:
    network = problem.network
    item = items.resolve_one(network, p.of or "")
    if isinstance(item, tuple) and network.layer(item[0]).kind == "input":
        target: int | ParamRef = item[1]
    else:
        target = param_ref(network, p.of or "")
    e = explain_output(network, target, x, p.output, max_paths=ENUMERATE_LIMIT)
    forms = "\n".join(f"- {note}" for note in e.notes[:NOTES_SHOWN])
    if len(e.notes) > NOTES_SHOWN:
        forms += f"\n- … and {e.paths.count - NOTES_SHOWN} more paths"
    check = "" if e.check is None else f"\n\nCentral differences agree: {e.check.numeric:.6g}."
    return Answer(e.derivative, f"d{e.output}/d{e.name} = **{e.derivative:.6g}**, the sum over its paths:\n\n"
                                f"{forms}{check}")


def _norm(p: Prediction, problem: Problem) -> Answer:
    network = problem.network
    cid = items.connection(network, p.of or "")
    loss = get_loss(problem.loss)
    plan = private_plan(network)
    t = encode_targets(loss, problem.y, network.output_layer.size, network.dtype)
    plan.backward(plan.forward(problem.x), t, loss)
    grad = plan.view(plan.grad, ("W", cid))
    value = float(np.linalg.norm(grad))
    return Answer(value, f"‖∂L/∂W‖ = √(Σ (∂L/∂w)²) over the {grad.size} weights of {p.of}, on all "
                         f"{len(problem.x)} training samples: **{value:.4g}**.")
