"""Why dL/dw has the value it has: the local form, the paths, the penalty's term, the update and a numerical check,
for one weight."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import BackpropError, DataError
from ..gradcheck import CheckResult, gradient_check
from ..graph.model import Network
from ..optim import Optimizer, make_optimizer
from ..refs import ParamRef, WeightRef
from ..regularization import NO_PENALTY, Penalty, effective
from .batch import PerSample, Quantity, batch_arrays, private_plan
from .local import LocalForm, local_form
from .paths import PathForm, path_form
from .text import number
from .update import Update, preview_step


@dataclass(frozen=True)
class PenaltyTerm:
    """What a weight's L1/L2 penalty adds to dL/dw: `value` = d(penalty)/dw at the weight `w`."""

    penalty: Penalty
    w: float
    value: float

    @property
    def formula(self) -> str:
        """E.g. "λ·sign(w) = 0.01 · (-1) = -0.01" or "λ·w = 0.2 · 0.5 = 0.1"."""
        rate = f"{self.penalty.rate:g}"
        if self.penalty.kind == "l1":
            return f"λ·sign(w) = {rate} · {number(float(np.sign(self.w)))} = {self.value:.6g}"
        return f"λ·w = {rate} · {number(self.w)} = {self.value:.6g}"


@dataclass(frozen=True, eq=False)
class Explanation:
    ref: ParamRef
    name: str  # e.g. "h1[2] → out[0]" or "b h1[2]"
    loss: str
    n_samples: int  # samples the gradient averages over (1 for one sample)
    sample: int | None  # the row explained, or None for the whole batch
    gradient: float  # dL/dw on those samples as training uses it: backprop's, plus the penalty's term if any
    local: LocalForm
    paths: PathForm
    update: Update
    check: CheckResult | None  # central differences, when asked for
    penalty: PenaltyTerm | None = None  # the weight's L1/L2 penalty, when it is under one

    @property
    def data_gradient(self) -> float:
        """The data loss's part of dL/dw: what the local form and the paths add up to."""
        return self.gradient - (self.penalty.value if self.penalty is not None else 0.0)

    def as_text(self) -> str:
        from .text import render

        return render(self)


def explain_weight(network: Network, ref: ParamRef, x: npt.ArrayLike, y: npt.ArrayLike, loss: str,
                   sample: int | None = None, max_paths: int = 50, *, optimizer: Optimizer | None = None,
                   lr: float = 0.01, check: bool = True, penalty: Penalty = NO_PENALTY) -> Explanation:
    """Explain dL/dw for a weight (a `WeightRef`) or a bias (a `BiasRef`) on the batch (x, y).

    The loss is the batch mean, so dL/dw = Σ_n h_i⁽ⁿ⁾ · dL/da_j⁽ⁿ⁾ = mean over samples of h_i⁽ⁿ⁾ δ_j⁽ⁿ⁾, where
    δ_j⁽ⁿ⁾ is the derivative of sample n's own loss; every per-sample factor is shown by its batch mean, and
    products are always taken per sample before averaging. With `sample`, the explanation is that row's own
    gradient — the loss of a batch of size 1 holding only it — not its 1/N share of the batch gradient.

    `penalty` is the network's L1/L2 penalty (`TrainSettings.penalty`; a connection's own overrides it): under
    one, a weight's dL/dw is the paths' sum plus the penalty's term, as training adds it (`PenaltyTerm`).

    The update is that of `optimizer` (e.g. the trainer's, with its moments and step count) or else of plain SGD
    with learning rate `lr`, for this same gradient. The network is left exactly as it was.
    """
    network.check_ref(ref)
    x, y = batch_arrays(network, x, y)
    if sample is not None:
        if not (isinstance(sample, (int, np.integer)) and 0 <= sample < len(x)):
            raise DataError(f"sample {sample} is outside the batch of {len(x)} rows")
        x, y = x[sample : sample + 1], y[sample : sample + 1]
    if not (isinstance(max_paths, (int, np.integer)) and max_paths >= 0):
        raise BackpropError(f"max_paths must be a whole number ≥ 0, not {max_paths!r}")
    optimizer = optimizer or make_optimizer("sgd", lr=lr)
    plan = private_plan(network)
    ps = PerSample(network, plan, x, y, loss)
    pos, j, source = _target(ps, ref)
    k = plan.flat_index(ref)
    local = local_form(ps, pos, j, source)
    paths = path_form(ps, pos, j, source, max_paths)
    under = effective(network, ref, penalty)
    term = None
    if under.active:
        w = float(plan.value[k])
        term = PenaltyTerm(under, w, under.gradient(w))
        ps.grad[k] += term.value  # the explanation's own copy: the update below previews the gradient training uses
    gradient = float(ps.grad[k])
    preview = preview_step(plan, optimizer, ps.grad, slice(k, k + 1))
    update = preview.update(0, bool(network.param(ref.key).frozen[ref.index]))
    checked = gradient_check(network, x, y, loss, [ref], penalty=penalty)[0] if check else None
    return Explanation(ref, network.ref_name(ref), loss, ps.n, sample, gradient, local, paths, update, checked, term)


def _target(ps: PerSample, ref: ParamRef) -> tuple[int, int, Quantity]:
    """The neuron j the parameter feeds (its layer position) and ∂a_j/∂w: h_i for a weight, 1 for a bias."""
    if not isinstance(ref, WeightRef):
        pos = ps.plan.pos[ref.layer]
        return pos, ref.j, Quantity("∂a/∂b", ps.neuron(pos, ref.j), np.ones(ps.n))
    conn = ps.network.connection(ref.conn)
    src = ps.plan.pos[conn.source]
    return ps.plan.pos[conn.target], ref.j, Quantity("∂a/∂w = h", ps.neuron(src, ref.i), ps.h[src][:, ref.i])
