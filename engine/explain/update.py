"""The update a weight would get: the optimiser's own step, previewed on copies.

The step is never re-derived here: a copy of the trainer's optimiser (`Optimizer.preview_copy`) runs its own
`compute` and `apply` on a copy of the compiled plan's buffers and moments. So what the explorer shows is, by
construction, what the next training step on the same batch applies.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..compile import Compiled
from ..optim import Optimizer
from .text import number


@dataclass(frozen=True)
class Update:
    optimizer: str
    hyper: dict[str, float | bool]
    t: int  # which optimiser step this is (Adam's bias correction counts them)
    value: float  # w
    gradient: float  # dL/dw
    step: float  # Δw, exactly as the optimiser computes it (0 for a frozen weight)
    new_value: float  # w' = w + Δw
    state_before: dict[str, float]  # the optimiser's moments for this weight, before and after the step
    state_after: dict[str, float]
    frozen: bool

    @property
    def plain_sgd(self) -> bool:
        return self.optimizer == "sgd" and not self.state_after and not self.hyper.get("weight_decay")

    def formula(self) -> str:
        w, new = f"{self.value:.6g}", f"{self.new_value:.6g}"
        if self.frozen:
            return f"w' = w = {w} (frozen: never updated)"
        if self.plain_sgd:
            return f"w' = w − α·∂L/∂w = {w} − {self.hyper['lr']:g} · {number(self.gradient)} = {new}"
        return f"w' = w + Δw = {w} + {number(self.step)} = {new}   ({self.optimizer}, step {self.t})"


@dataclass(frozen=True, eq=False)
class StepPreview:
    """One optimiser step on copies of part of the plan's buffers: values, gradient, update and moments."""

    optimizer: Optimizer  # the copy, after its step
    value: np.ndarray
    grad: np.ndarray
    delta: np.ndarray
    new_value: np.ndarray
    state_before: dict[str, np.ndarray]
    state_after: dict[str, np.ndarray]

    def update(self, k: int, frozen: bool) -> Update:
        """The update of the k-th previewed parameter."""
        opt = self.optimizer
        return Update(
            opt.name, dict(opt.hyper), opt.t, float(self.value[k]), float(self.grad[k]), float(self.delta[k]),
            float(self.new_value[k]), {n: float(a[k]) for n, a in self.state_before.items()},
            {n: float(a[k]) for n, a in self.state_after.items()}, frozen,
        )


def preview_step(plan: Compiled, optimizer: Optimizer, grad: np.ndarray, part: slice = slice(None)) -> StepPreview:
    """Run a copy of `optimizer` for one step with gradient `grad`, on copies of `plan`'s buffers at `part`.

    The copy shares the plan's structure but has its own values, update and moments (read from the parameters,
    where they live between plans), so neither the network nor the optimiser's state changes. Optimisers work
    element by element, so previewing one weight (`part` = slice(k, k + 1)) gives the very numbers a full step
    gives it, without a full step's cost.
    """
    opt = optimizer.preview_copy()
    scratch = copy.copy(plan)
    scratch.value, scratch.grad = plan.value[part].copy(), grad[part].copy()
    scratch.delta = np.zeros_like(scratch.value)
    scratch.trainable = None if plan.trainable is None else plan.trainable[part]
    # only the parameter arrays `part` overlaps: one weight of a 1M-weight net reads one array's moments, not all
    lo, hi, stride = part.indices(plan.value.size)
    assert stride == 1, "a preview takes a contiguous part"
    bounds = zip(plan.offsets[:-1].tolist(), plan.offsets[1:].tolist(), strict=True)
    params = [p for _, p in plan.network.parameters()]
    overlap = [(p, max(lo - start, 0), min(hi, end) - start)
               for p, (start, end) in zip(params, bounds, strict=True) if start < hi and end > lo]
    scratch.state = {
        name: np.concatenate([p.state.get(name, np.zeros(p.shape)).ravel()[a:b] for p, a, b in overlap],
                             dtype=plan.dtype)
        for name in opt.state_names
    }
    before = {name: arr.copy() for name, arr in scratch.state.items()}
    value = scratch.value.copy()
    opt.compute(scratch)
    opt.apply(scratch)
    return StepPreview(opt, value, scratch.grad, scratch.delta, scratch.value, before, scratch.state)
