"""One training step on one sample as an ordered list of frames that a learner steps through.

Forward: every neuron's a, then its h, layer by layer in topological order (input neurons just take x); then the
loss; backward: every neuron's δ, layers in reverse topological order — a layer's δ needs the δ of every layer it
feeds, skip connections included, and those all come later in a topological order; update: every weight and bias
gets its Δw from plain SGD or the trainer's own optimiser, from dL/dw plus the L1/L2 penalty's term where one is set.
Values are the sample's own (a batch of size 1).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..graph.model import Network
from ..optim import Optimizer, make_optimizer
from ..refs import BiasRef, ParamRef, ref_at
from ..regularization import NO_PENALTY, Penalty, Regularizer
from .batch import PerSample, private_plan
from .text import number
from .update import StepPreview, preview_step

PHASES = ("forward", "loss", "backward", "update")
MAX_TERMS = 4  # terms written out in a formula before "… (n more)"


@dataclass(frozen=True)
class Frame:
    phase: str  # one of PHASES
    item: str  # what gets the value: "h1[2]", "loss", "h1[2] → out[0]", "b h1[2]"
    quantity: str  # "a", "h", "L", "δ" or "Δw"
    value: float
    formula: str  # one line, with the numbers
    layer: int | None = None  # the neuron's (or the bias's) layer id
    neuron: int | None = None
    ref: ParamRef | None = None  # for update frames


class StepThrough:
    """The frames of one step on the sample (x_row, y_row); the network is left exactly as it was."""

    def __init__(self, network: Network, x_row: npt.ArrayLike, y_row: npt.ArrayLike, loss: str, *, lr: float = 0.01,
                 optimizer: Optimizer | None = None, penalty: Penalty = NO_PENALTY):
        x = np.asarray(x_row, network.dtype).reshape(1, -1)
        y = np.asarray(y_row).reshape(1, -1)
        plan = private_plan(network)
        ps = PerSample(network, plan, x, y, loss)
        frames = [*_forward(ps), _loss(ps), *_backward(ps)]
        Regularizer().add_gradient(plan, penalty)  # the private plan's dL/dw becomes the one training steps with
        frames += _update(ps, preview_step(plan, optimizer or make_optimizer("sgd", lr=lr), plan.grad))
        self.frames: tuple[Frame, ...] = tuple(frames)

    def phase(self, name: str) -> tuple[Frame, ...]:
        return tuple(f for f in self.frames if f.phase == name)


def _num(v: float) -> str:
    return number(v, 4)


def _sum(pairs: list[tuple[float, float]]) -> str:
    """The products written out, like "w·h + w·h + …", up to MAX_TERMS of them."""
    if not pairs:
        return "0"
    text = " + ".join(f"{_num(u)}·{_num(v)}" for u, v in pairs[:MAX_TERMS])
    return text + (f" + … ({len(pairs) - MAX_TERMS} more)" if len(pairs) > MAX_TERMS else "")


def _vector(v: np.ndarray) -> str:
    shown = ", ".join(f"{x:.4g}" for x in v[:MAX_TERMS])
    return f"[{shown}{', …' if len(v) > MAX_TERMS else ''}]"


def _forward(ps: PerSample) -> Iterator[Frame]:
    net, plan = ps.network, ps.plan
    for p, lid in enumerate(plan.order):
        layer = net.layer(lid)
        for j in range(layer.size):
            name, h = ps.neuron(p, j), float(ps.h[p][0, j])
            if layer.bias is None:  # the input layer
                yield Frame("forward", name, "h", h, f"h = x[{j}] = {h:.4g}", lid, j)
                continue
            pairs = [(c.weight.value[i, j], ps.h[plan.pos[c.source]][0, i])
                     for c in net.incoming(lid) for i in np.flatnonzero(c.weight.mask[:, j])]
            a, b = float(ps.a[p][0, j]), float(layer.bias.value[j])
            yield Frame("forward", name, "a", a, f"a = Σ w·h + b = {_sum(pairs)} + {_num(b)} = {a:.4g}", lid, j)
            f = layer.activation
            rule = f"softmax(a)[{j}] = e^a[{j}] / Σ_k e^a[k]" if f == "softmax" else f"{f}(a) = {f}({a:.4g})"
            yield Frame("forward", name, "h", h, f"h = {rule} = {h:.4g}", lid, j)


def _loss(ps: PerSample) -> Frame:
    out = ps.out
    value = ps.loss.value(ps.a[out], ps.h[out], ps.t)
    text = f"L = {ps.loss.label}(ŷ = {_vector(ps.h[out][0])}, t = {_vector(ps.t[0])}) = {value:.4g}"
    return Frame("loss", "loss", "L", value, text)


def _backward(ps: PerSample) -> Iterator[Frame]:
    net, plan = ps.network, ps.plan
    for p in reversed(range(len(plan.order))):
        lid = plan.order[p]
        layer = net.layer(lid)
        if layer.kind == "input":
            continue
        for j in range(layer.size):
            d = float(ps.delta[p][0, j])
            if p != ps.out:
                pairs = [(c.weight.value[j, k], ps.delta[plan.pos[c.target]][0, k])
                         for c in ps.consumers[p] for k in np.flatnonzero(c.weight.mask[j])]
                text = f"δ = f'(a) · Σ w·δ = {_num(ps.fprime[p][0, j])} · ({_sum(pairs)}) = {d:.4g}"
            elif ps.dldy is None:  # fused
                text = (f"δ = ∂L/∂a = {d:.4g}   ({ps.loss.label} fused with {layer.activation}: "
                        f"ŷ = {ps.h[p][0, j]:.4g}, t = {ps.t[0, j]:.4g})")
            else:
                text = f"δ = ∂L/∂ŷ · f'(a) = {_num(ps.dldy[0, j])} · {_num(ps.fprime[p][0, j])} = {d:.4g}"
            yield Frame("backward", ps.neuron(p, j), "δ", d, text, lid, j)


def _update(ps: PerSample, preview: StepPreview) -> list[Frame]:
    frames = []
    for key, param in ps.network.parameters():
        start = ps.plan.slices[key].start
        for flat, index in zip(np.flatnonzero(param.mask), np.argwhere(param.mask), strict=True):
            ref = ref_at(key, tuple(index))
            update = preview.update(start + int(flat), bool(param.frozen[ref.index]))
            layer, neuron = (ref.layer, ref.j) if isinstance(ref, BiasRef) else (None, None)
            frames.append(Frame("update", ps.network.ref_name(ref), "Δw", update.step, update.formula(),
                                layer, neuron, ref))
    return frames
