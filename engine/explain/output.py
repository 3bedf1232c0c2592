"""Explaining the output y itself, with no loss: dy/dx or dy/dw, as the lecture notes' scalar chain does.

The notes' first example is x → h1 = x² → h2 = e^h1 → y = 1/h2, with dy/dx = dy/dh2 · dh2/dh1 · dh1/dx =
(−1/h2²) · e^h1 · 2x. The explorer's machinery (backprop's δ, the path search, the check) is reused unchanged by
treating "y itself" as a loss: L = the batch mean of output k, so ∂L/∂ŷ_k is 1 per sample (0 for the other
outputs), every δ is dy/da and every path product is a product of y's elementary derivatives. That loss lives
here and not among `LOSSES`: it is nothing a user trains towards.

An input x_j is explained like a weight, as the root of its paths: an input neuron passes x on unchanged
(∂h/∂a = 1) and the start factor ∂x/∂x is 1, so its paths are exactly the chain of dy/dx.

The notes' form of a path writes each factor as the formula the notes write, named by the neuron values it
reads: an activation's derivative names its argument by the one neuron feeding it when that neuron arrives
through a frozen weight of exactly 1 and a frozen bias of 0 (a "pass-through", as in the scalar chain), and by a
otherwise. Frozen unit weights are left out of the printed product: they multiply it by exactly 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..compile import Compiled
from ..errors import DataError
from ..gradcheck import CheckResult, default_eps, gradient_check
from ..graph.model import Network
from ..losses import Loss
from ..refs import BiasRef, ParamRef, WeightRef
from .batch import PerSample, Quantity, private_plan
from .explanation import _target
from .paths import Path, PathForm, path_form
from .text import number

Target = ParamRef | int  # a weight, a bias, or the index of an input feature x_j


def output_loss(k: int) -> Loss:
    """"L = y_k", the batch mean of output k, so that backprop's δ is dy_k/da."""

    def value(a: np.ndarray, h: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.asarray(np.mean(h[..., k], axis=-1))

    def grad_h(h: np.ndarray, t: np.ndarray) -> np.ndarray:
        g = np.zeros_like(h)
        g[:, k] = 1.0 / len(h)
        return g

    return Loss("output", f"the output y[{k}] itself", "regression", value, grad_h)


@dataclass(frozen=True)
class NotesForm:
    """One path as the notes write it: each factor's formula with its value, y's derivative first, and the product
    (with several samples, each value is a batch mean and the product the mean of per-sample products)."""

    factors: tuple[tuple[str, float], ...]  # (formula, value), e.g. ("e^h1", 2.718)
    product: float

    def sides(self, write: Callable[[str], str] = str) -> tuple[str, str]:
        """The product of the formulas (each written by `write`, e.g. typeset) and the product of their numbers."""
        symbols = " · ".join(write(s) for s, _ in self.factors) or "1"
        numbers = " · ".join(number(v, 4) for _, v in self.factors) or "1"
        return symbols, numbers

    def __str__(self) -> str:
        symbols, numbers = self.sides()
        return f"{symbols} = {numbers} = {self.product:.6g}"


@dataclass(frozen=True, eq=False)
class OutputExplanation:
    target: Target
    name: str  # "x[0]" or a weight's or bias's name
    output: str  # "y[0]"
    n_samples: int
    derivative: float  # dy/dx or dy/dw, the mean over the samples
    paths: PathForm  # every path from the target to y
    forms: tuple[NotesForm, ...]  # each listed path in the notes' form, with its numbers
    check: CheckResult | None  # central differences, when asked for

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(map(str, self.forms))

    @property
    def heading(self) -> str:
        """"dy/dx = …" for an input, "∂y/∂w[x[0] → h1[0]] = …" for a weight (y also depends on the others)."""
        if isinstance(self.target, int):
            what = f"dy/d{self.name}"
        else:
            what = f"∂y/∂{'w' if isinstance(self.target, WeightRef) else 'b'}[{self.name}]"
        scope = "one sample" if self.n_samples == 1 else f"the mean over {self.n_samples} samples"
        return f"{what} = {self.derivative:.6g}   (the output {self.output} itself, no loss; {scope})"

    def as_text(self) -> str:
        lines = [self.heading, "", f"Paths to the output: {len(self.paths.paths)} of {self.paths.count} listed"]
        lines += [f"  {n}. {path.name.removesuffix(' → L')}: {form}"
                  for n, (path, form) in enumerate(zip(self.paths.paths, self.notes, strict=True), 1)]
        if self.paths.remainder_count:
            lines.append(f"  the other {self.paths.remainder_count} add up to {self.paths.remainder:.6g}")
        lines.append(f"  all paths together: {self.paths.total:.6g}")
        if self.check is not None:
            lines += ["", f"Check by central differences: {self.check.numeric:.6g} "
                          f"(relative error {self.check.rel_error:.1e})"]
        return "\n".join(lines)


def explain_output(network: Network, target: Target, x: npt.ArrayLike, output: int = 0, *, max_paths: int = 50,
                   check: bool = True) -> OutputExplanation:
    """Explain d y_output / d target on the batch x (its mean over samples; one row is one sample's own)."""
    out = network.output_layer
    if out.activation == "softmax":
        raise DataError(f"the output {out.name} is a softmax, whose neurons are coupled: explaining y itself needs "
                        "an element-wise output activation (or choose a loss)")
    if not (isinstance(output, (int, np.integer)) and 0 <= output < out.size):
        raise DataError(f"output {output} is outside the output layer {out.name} of {out.size} neurons")
    x = np.asarray(x, network.dtype)
    loss = output_loss(int(output))
    zeros = np.zeros((x.shape[0] if x.ndim else 1, out.size))  # no targets: `PerSample` checks x's shape
    plan = private_plan(network)
    ps = PerSample(network, plan, x, zeros, loss)
    if isinstance(target, (int, np.integer)):
        pos, j, start = _input_root(ps, int(target))
        name = _value_name(ps, pos, j)
    else:
        network.check_ref(target)
        pos, j, start = _target(ps, target)
        name = network.ref_name(target)
    paths = path_form(ps, pos, j, start, max_paths)
    forms = tuple(_notes_form(ps, path, target) for path in paths.paths)
    checked = _check(network, plan, target, name, x, zeros, loss, paths.total) if check else None
    return OutputExplanation(target, name, _value_name(ps, ps.out, int(output)), ps.n, paths.total, paths, forms,
                             checked)


def _input_root(ps: PerSample, j: int) -> tuple[int, int, Quantity]:
    """Make input neuron j a path root: ∂h/∂a = 1 (it passes x on) and δ = dy/dx, backprop's δ one layer further."""
    inp = ps.network.input_layer
    if not 0 <= j < inp.size:
        raise DataError(f"input {j} is outside the input layer {inp.name} of {inp.size} neurons")
    pos = ps.plan.pos[inp.id]
    ps.fprime[pos] = np.ones_like(ps.h[pos])
    ps.delta[pos] = sum((ps.delta[ps.plan.pos[c.target]] @ (c.weight.value * c.weight.mask).T
                         for c in ps.consumers[pos]), np.zeros_like(ps.h[pos]))
    return pos, j, Quantity("∂x/∂x", ps.neuron(pos, j), np.ones(ps.n))


def _check(network: Network, plan: Compiled, target: Target, name: str, x: np.ndarray, zeros: np.ndarray,
           loss: Loss, backprop: float) -> CheckResult:
    if not isinstance(target, (int, np.integer)):
        return gradient_check(network, x, zeros, loss, [target])[0]
    eps, step = default_eps(network), np.zeros_like(x)
    step[:, target] = eps
    plus, minus = (plan.loss(plan.forward(x + s), zeros, loss) for s in (step, -step))
    return CheckResult(int(target), name, backprop, (plus - minus) / (2 * eps))


# ------------------------------------------------------------------ the notes' form
DERIVATIVES = {  # f'(u) written as the notes write it, u the argument and v the value
    "identity": "1", "square": "2{u}", "exp": "e^{u}", "reciprocal": "(−1/{u}²)", "log": "1/{u}", "sin": "cos {u}",
    "sigmoid": "{v}(1−{v})", "tanh": "(1−{v}²)",
}


def _value_name(ps: PerSample, pos: int, k: int) -> str:
    """A one-neuron layer's value is named by the layer, as the notes name h1; a wider layer's by the neuron."""
    layer = ps.network.layer(ps.layer_id(pos))
    return layer.name if layer.size == 1 else ps.neuron(pos, k)


def _is_unit(ps: PerSample, ref: ParamRef) -> bool:
    """A frozen weight of exactly 1 (or a frozen bias of 0): a factor that passes its input on unchanged."""
    param = ps.network.param(ref.key)
    return bool(param.frozen[ref.index]) and param.value[ref.index] == (1.0 if isinstance(ref, WeightRef) else 0.0)


def _argument(ps: PerSample, pos: int, k: int) -> str:
    """The name of neuron k's pre-activation: its one source's value when it passes through, else a."""
    lid = ps.layer_id(pos)
    feeding = [(c, int(i)) for c in ps.network.incoming(lid) for i in np.flatnonzero(c.weight.mask[:, k])]
    if len(feeding) == 1 and _is_unit(ps, WeightRef(feeding[0][0].id, feeding[0][1], k)) \
            and _is_unit(ps, BiasRef(lid, k)):
        conn, i = feeding[0]
        return _value_name(ps, ps.plan.pos[conn.source], i)
    return f"a_{_value_name(ps, pos, k)}"


def _derivative(ps: PerSample, pos: int, k: int) -> str:
    activation = ps.network.layer(ps.layer_id(pos)).activation
    u, v = _argument(ps, pos, k), _value_name(ps, pos, k)
    return DERIVATIVES.get(activation, f"{activation}'({{u}})").format(u=u if u.isidentifier() else f"({u})", v=v)


def _notes_form(ps: PerSample, path: Path, target: Target) -> NotesForm:
    """The path as the notes write it: y's derivative first, back to the target, symbols then numbers."""
    chain = [(ps.plan.pos[lid], k) for lid, k in path.neurons]
    parts: list[tuple[str, float]] = []
    for n in range(len(chain) - 1, -1, -1):
        p, k = chain[n]
        if n > 0 or not isinstance(target, (int, np.integer)):  # an input root passes x on: ∂h/∂a = 1
            parts.append((_derivative(ps, p, k), float(np.mean(ps.fprime[p][:, k]))))
        if n > 0:
            q, j = chain[n - 1]
            conn = ps.network.connection(_link(ps, q, p))
            if not _is_unit(ps, WeightRef(conn.id, j, k)):
                parts.append((f"w[{ps.network.weight_name(conn.id, j, k)}]", float(conn.weight.value[j, k])))
    if isinstance(target, WeightRef):
        source = ps.plan.pos[ps.network.connection(target.conn).source]
        parts.append((_value_name(ps, source, target.i), float(np.mean(ps.h[source][:, target.i]))))
    return NotesForm(tuple(parts), path.contribution)


def _link(ps: PerSample, source: int, target: int) -> int:
    return next(c.id for c in ps.consumers[source] if ps.plan.pos[c.target] == target)
