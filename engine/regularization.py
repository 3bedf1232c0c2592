"""L1 and L2 penalties on the weights, added to the loss that training minimises, named as what they are.

The objective is  data loss + Σ over weights of the weight's penalty, with

- L1: λ · Σ |w|      gradient λ · sign(w)   (0 at w = 0: the subgradient training uses)
- L2: λ/2 · Σ w²     gradient λ · w

λ/2 for L2 makes its gradient λ·w, which is exactly what `weight_decay = λ` adds to the gradient in PyTorch's SGD
(and TensorFlow Playground's L2 is ½w² too), so "L2 with rate λ under SGD" and "SGD with weight decay λ" take the
same steps. Under Adam they do not (Adam rescales the penalty's gradient with the data's), and AdamW's decay is
applied to the weights beside the gradient, not through it; docs/training.md has the table. Only weights are
penalised, never biases: a bias shifts a neuron, it does not make the network more complex.

A rate is set for the whole network (`TrainSettings.penalty`) and may be overridden per connection
(`Connection.penalty`; None inherits). This module is the one place that knows the formulas: the trainer adds the
gradient through `Regularizer`, the chain-rule explorer adds `gradient`, the gradient check differentiates `value`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .errors import TrainingError
from .refs import ParamRef, WeightRef

if TYPE_CHECKING:
    from .compile import Compiled
    from .graph.model import Network

KINDS = ("none", "l1", "l2")
LABELS = {"none": "None", "l1": "L1", "l2": "L2"}
FORMULAS = {"l1": "λ·Σ|w|", "l2": "λ/2·Σw²"}


@dataclass(frozen=True)
class Penalty:
    kind: str = "none"  # one of KINDS
    rate: float = 0.0  # λ ≥ 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TrainingError(f"unknown regularisation {self.kind!r}; choose one of {', '.join(KINDS)}")
        if not (isinstance(self.rate, int | float) and math.isfinite(self.rate) and self.rate >= 0):
            raise TrainingError(f"the regularisation rate must be a finite number ≥ 0, not {self.rate!r}")

    @property
    def active(self) -> bool:
        """Whether it changes anything: a kind other than none, with a rate above 0."""
        return self.kind != "none" and self.rate > 0

    def __str__(self) -> str:
        return "none" if not self.active else f"{LABELS[self.kind]} λ = {self.rate:g} ({FORMULAS[self.kind]})"

    def value(self, w: np.ndarray) -> float:
        """The penalty of the weights `w`."""
        if not self.active:
            return 0.0
        w64 = np.asarray(w, np.float64).ravel()
        return self.rate * float(np.abs(w64).sum()) if self.kind == "l1" else self.rate / 2 * float(w64 @ w64)

    def each(self, w: np.ndarray) -> np.ndarray:
        """The penalty of each weight of `w` on its own (float64, `w`'s shape): `value` is their sum."""
        w64 = np.asarray(w, np.float64)
        if not self.active:
            return np.zeros_like(w64)
        return self.rate * np.abs(w64) if self.kind == "l1" else self.rate / 2 * w64 * w64

    def gradient(self, w: float) -> float:
        """d(penalty)/dw for one weight."""
        g = np.zeros(1)
        self.add_gradient(np.array([w]), g)
        return float(g[0])

    def add_gradient(self, w: np.ndarray, g: np.ndarray) -> None:
        """g += d(penalty)/dw, in place, for the weights `w`."""
        if not self.active:
            return
        g += self.rate * (np.sign(w) if self.kind == "l1" else w)


NO_PENALTY = Penalty()


def effective(network: Network, ref: ParamRef, default: Penalty) -> Penalty:
    """The penalty one parameter is under: its connection's own, else the network's; a bias is never penalised."""
    return connection_penalty(network, ref.conn, default) if isinstance(ref, WeightRef) else NO_PENALTY


def connection_penalty(network: Network, connection_id: int, default: Penalty) -> Penalty:
    """The penalty a connection's weights are under: its own (`Connection.penalty`), else the network's."""
    own = network.connection(connection_id).penalty
    return default if own is None else own


class Regularizer:
    """The trainer's hook: adds the penalty's gradient to the flat gradient after backprop, and says the penalty.

    The parts of the flat buffer under each active penalty are worked out once per compiled plan (a penalty
    override is a structure edit: it recompiles) and per network-wide setting, and neighbouring connections under
    one penalty merge into one slice, so a network-wide L2 costs a few vector operations a step. With no penalty
    anywhere a step pays one call and two identity checks.
    """

    def __init__(self) -> None:
        self._plan: Compiled | None = None
        self._default: Penalty | None = None
        self._parts: list[tuple[Penalty, slice]] = []

    def add_gradient(self, c: Compiled, default: Penalty) -> float | None:
        """Add d(penalty)/dw to `c.grad` and return the penalty at the current weights; None when none is set."""
        parts = self._parts_of(c, default)
        if not parts:
            return None
        for penalty, part in parts:
            penalty.add_gradient(c.value[part], c.grad[part])
        return self.value_at(c, default, c.value)

    def value_at(self, c: Compiled, default: Penalty, flat: np.ndarray) -> float:
        """The penalty of the weights `flat`, a buffer laid out as `c.value` (the current weights, or the loss
        surface's points away from them)."""
        return sum((penalty.value(flat[part]) for penalty, part in self._parts_of(c, default)), 0.0)

    def _parts_of(self, c: Compiled, default: Penalty) -> list[tuple[Penalty, slice]]:
        if c is not self._plan or default is not self._default:
            self._plan, self._default, self._parts = c, default, self._parts_for(c, default)
        return self._parts

    @staticmethod
    def _parts_for(c: Compiled, default: Penalty) -> list[tuple[Penalty, slice]]:
        parts: list[tuple[Penalty, slice]] = []
        for key in c.keys:
            kind, ident = key
            if kind != "W":
                continue
            penalty = connection_penalty(c.network, ident, default)
            if not penalty.active:
                continue
            part = c.slices[key]
            if parts and parts[-1][0] == penalty and parts[-1][1].stop == part.start:
                parts[-1] = (penalty, slice(parts[-1][1].start, part.stop))
            else:
                parts.append((penalty, part))
        return parts
