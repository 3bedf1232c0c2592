"""One forward and backward pass kept per sample and per neuron: the raw material of every explanation.

Backprop's δ = dL/da (`Trace.da`) carries the 1/N of the batch-mean loss. Here every per-sample quantity is the
derivative of that sample's *own* loss ℓ_n (the loss of a batch of size 1), so δ⁽ⁿ⁾ = N · dL/da⁽ⁿ⁾, and every
batch gradient is a plain mean over samples of per-sample products: dL/dw = (1/N) Σ_n h_i⁽ⁿ⁾ δ_j⁽ⁿ⁾, which is
backprop's Σ_n h_i⁽ⁿ⁾ · dL/da_j⁽ⁿ⁾. For one sample the mean is that sample's own gradient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..activations import get_activation
from ..compile import Compiled, compiled
from ..errors import DataError
from ..graph.model import Connection, Network
from ..graph.validate import validate
from ..losses import Loss, encode_targets, get_loss
from ..refs import WeightRef


def private_plan(network: Network) -> Compiled:
    """The network's compiled plan on buffers of its own (`Compiled.private_copy`): an explanation runs backprop on
    its own batch, and must leave the last training step's dL/dw (the edges are coloured by them), the weights and
    a run's moments exactly as they were, by construction rather than by putting them back."""
    return compiled(network).private_copy()


@dataclass(frozen=True, eq=False)
class Quantity:
    """One named number, per sample; `value` is what a reader sees: the sample's own value or the batch mean."""

    symbol: str  # e.g. "h", "δ", "∂L/∂ŷ", "∂a/∂h"
    where: str  # the neuron or weight it belongs to, e.g. "h1[2]" or "h1[2] → out[0]"
    samples: np.ndarray  # (N,)
    ref: WeightRef | None = None  # the weight, for factors that are weights

    @property
    def value(self) -> float:
        return float(np.mean(self.samples))

    def __str__(self) -> str:
        return f"{self.symbol}[{self.where}] = {self.value:.6g}"


def batch_arrays(network: Network, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """x as a 2-D float batch and y with one entry per sample, or a `DataError` saying what does not fit."""
    x = np.asarray(x, network.dtype)
    y = np.asarray(y)
    if x.ndim != 2 or len(x) == 0:
        raise DataError(f"x must be a non-empty (samples × features) array, not shape {x.shape}")
    if y.ndim == 0 or len(y) != len(x):
        raise DataError(f"x has {len(x)} samples but y has shape {y.shape}")
    return x, y


class PerSample:
    """Everything a chain-rule explanation reads, per sample: a, h, δ, f'(a), and the loss's own factors."""

    def __init__(self, network: Network, plan: Compiled, x: npt.ArrayLike, y: npt.ArrayLike, loss: str | Loss):
        self.network = network
        self.plan = plan
        self.loss = loss if isinstance(loss, Loss) else get_loss(loss)  # a `Loss`: the output itself (output.py)
        x, y = batch_arrays(network, x, y)
        validate(network, loss if isinstance(loss, str) else None, n_features=x.shape[1])
        out = network.output_layer
        self.t = encode_targets(self.loss, y, out.size, network.dtype)
        self.n = len(x)
        trace = plan.backward(plan.forward(x), self.t, self.loss)
        assert trace.da is not None  # backward fills it
        self.grad = plan.grad.copy()  # dL/dw of every parameter on this batch, flat
        self.a, self.h = trace.a, trace.h
        self.delta = {p: d * self.n for p, d in enumerate(trace.da) if d is not None}  # every layer but the input
        self.out = plan.output_pos
        self.fprime: dict[int, np.ndarray] = {}
        for lid in plan.order:
            layer = network.layer(lid)
            p = plan.pos[lid]
            derivative = get_activation(layer.activation).derivative  # None only for softmax, always fused
            if derivative is not None and (layer.kind == "hidden" or (layer.kind == "output" and not self.fused)):
                self.fprime[p] = derivative(self.a[p], self.h[p])
        # ∂L/∂ŷ per sample; None when the loss fuses with the output activation into one factor ∂L/∂a (the fused
        # losses have no generic grad_h)
        grad_h = None if self.fused else self.loss.grad_h
        self.dldy = None if grad_h is None else grad_h(self.h[self.out], self.t) * self.n
        self.consumers: dict[int, list[Connection]] = {
            plan.pos[lid]: network.outgoing(lid) for lid in plan.order
        }

    @property
    def fused(self) -> bool:
        """Whether ∂L/∂a of the output is one exact factor (softmax + cross-entropy, sigmoid + BCE).

        A softmax output always pairs with cross-entropy (validation refuses anything else), so the Jacobian that
        couples its neurons is folded exactly into ∂L/∂a_k = (ŷ_k − t_k) per sample.
        """
        return self.loss.fuses_with(self.network.output_layer.activation)

    # ------------------------------------------------------------ naming
    def layer_id(self, pos: int) -> int:
        return self.plan.order[pos]

    def neuron(self, pos: int, k: int) -> str:
        return f"{self.network.layer(self.layer_id(pos)).name}[{k}]"

    # ------------------------------------------------------------ quantities
    def quantity(self, symbol: str, pos: int, k: int,
                 arrays: Sequence[np.ndarray] | Mapping[int, np.ndarray]) -> Quantity:
        return Quantity(symbol, self.neuron(pos, k), arrays[pos][:, k])

    def weight(self, conn: Connection, j: int, k: int, symbol: str = "w") -> Quantity:
        w = np.broadcast_to(conn.weight.value[j, k], (self.n,))
        return Quantity(symbol, self.network.weight_name(conn.id, j, k), w, WeightRef(conn.id, j, k))

    def tail(self, k: int) -> tuple[Quantity, ...]:
        """The loss's factors for output neuron k, loss first; their product is δ_k."""
        if self.dldy is None:  # fused
            return (self.quantity("∂L/∂a", self.out, k, self.delta),)
        return (Quantity("∂L/∂ŷ", self.neuron(self.out, k), self.dldy[:, k]),
                self.quantity("∂ŷ/∂a", self.out, k, self.fprime))

    def tail_products(self) -> np.ndarray:
        """(N, outputs): the product of each output neuron's loss factors, as the paths multiply them."""
        return self.delta[self.out] if self.dldy is None else self.dldy * self.fprime[self.out]
