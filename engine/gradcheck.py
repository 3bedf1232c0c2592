"""Gradient check: backprop's dL/dw against central differences (L(w+ε) − L(w−ε)) / 2ε.

It runs the same compiled forward pass as training, so it checks exactly the code that trains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .compile import compiled
from .graph.model import Network
from .losses import Loss, encode_targets, get_loss
from .refs import ParamRef, ref_at
from .regularization import NO_PENALTY, Penalty, effective

# Central differences in float64 carry an absolute rounding error of ~1e-10 (the loss's rounding over 2ε), which
# is a large relative error for a small gradient; below this difference they cannot tell a gradient from noise.
GRAD_ATOL = 1e-8


@dataclass(frozen=True)
class CheckResult:
    ref: ParamRef | int  # an int is an input feature's index: the explorer also checks dy/dx
    name: str
    backprop: float
    numeric: float

    @property
    def rel_error(self) -> float:
        """|a − n| / max(|a|, |n|), with a floor of 1e-12 so two exact zeros compare as equal."""
        return abs(self.backprop - self.numeric) / max(abs(self.backprop), abs(self.numeric), 1e-12)

    def agrees(self, rtol: float) -> bool:
        """Within `rtol` relative error, or within GRAD_ATOL absolute: the one rule for every pass/fail verdict
        (`python -m engine gradcheck`, the explorer's Check). NaN never agrees."""
        return self.rel_error <= rtol or abs(self.backprop - self.numeric) <= GRAD_ATOL


def all_refs(network: Network) -> list[ParamRef]:
    """Every existing weight and every bias."""
    return [ref_at(key, tuple(index)) for key, param in network.parameters() for index in np.argwhere(param.mask)]


def default_eps(network: Network) -> float:
    """The step that balances truncation error against rounding: 1e-6 in float64, 1e-3 in float32 (whose
    resolution is ~1e-7, so a 1e-6 step would measure mostly rounding noise)."""
    return 1e-6 if network.dtype == np.float64 else 1e-3


def gradient_check(network: Network, x: np.ndarray, y: np.ndarray, loss: str | Loss,
                   refs: list[ParamRef] | None = None, eps: float | None = None,
                   penalty: Penalty = NO_PENALTY) -> list[CheckResult]:
    """Check `refs` (default: all) on the batch (x, y) with a step of `default_eps`; the network is left exactly
    as it was. `loss` may be a `Loss` itself, for the explorer's "the output y itself". With `penalty` (the
    network's L1/L2, engine.regularization) the objective is the loss plus the weights' penalty, on both sides."""
    c = compiled(network).private_copy()  # perturbing a weight must never touch the buffers that train
    eps = eps if eps is not None else default_eps(network)
    lossfn = loss if isinstance(loss, Loss) else get_loss(loss)
    t = encode_targets(lossfn, y, network.output_layer.size, network.dtype)
    c.backward(c.forward(x), t, lossfn)
    results = []
    for ref in refs if refs is not None else all_refs(network):
        k = c.flat_index(ref)
        under = effective(network, ref, penalty)  # only this weight's share of the penalty changes
        original = c.value[k]
        c.value[k] = original + eps
        plus = c.loss(c.forward(x), t, lossfn) + under.value(c.value[k : k + 1])
        c.value[k] = original - eps
        minus = c.loss(c.forward(x), t, lossfn) + under.value(c.value[k : k + 1])
        c.value[k] = original
        backprop = float(c.grad[k]) + under.gradient(float(original))
        results.append(CheckResult(ref, network.ref_name(ref), backprop, (plus - minus) / (2 * eps)))
    return results
