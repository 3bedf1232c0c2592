"""Optimisers with PyTorch's formulas and defaults, working on the compiled network's flat buffers.

Each optimiser writes the update it will apply into `compiled.delta` (so users can see the Δw actually applied),
then `apply` adds it to the weights, masked so cut and frozen weights never move. Moments live in
`compiled.state`, whose per-parameter views the model exposes as `Param.state` (the chain-rule explorer shows
them). Hyper-parameters are plain attributes and may change between steps.
"""

from __future__ import annotations

import copy

import numpy as np

from .compile import Compiled
from .errors import TrainingError

SUBNORMAL_SWEEP = 64  # optimiser steps between two sweeps of subnormal moments to zero (see `Optimizer.compute`)


class Optimizer:
    name = ""
    defaults: dict[str, float | bool] = {}

    def __init__(self, **hyper: float | bool):
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            raise TrainingError(f"{self.name}: unknown setting(s) {', '.join(sorted(unknown))}")
        self.hyper = {**self.defaults, **hyper}
        if not self.hyper["lr"] > 0:
            raise TrainingError(f"{self.name}: the learning rate must be > 0, not {self.hyper['lr']}")
        self.t = 0  # steps taken (Adam's bias correction counts them)
        self._undo_t = 0
        self._undo: dict[str, np.ndarray] = {}  # the moments before the last `compute`, for `undo`

    @property
    def state_names(self) -> tuple[str, ...]:
        """The moments this optimiser keeps; some depend on its settings (SGD keeps none without momentum)."""
        return ()

    @property
    def lr(self) -> float:
        return float(self.hyper["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        if not value > 0:
            raise TrainingError(f"the learning rate must be > 0, not {value}")
        self.hyper["lr"] = float(value)

    def settings(self) -> dict[str, str | float | bool]:
        return {"name": self.name, **self.hyper}

    def preview_copy(self) -> Optimizer:
        """A copy with the same settings and step count for a preview step (the chain-rule explorer's update),
        without the buffers kept for `undo`: a deep copy duplicated a 1M-weight net's moments to preview one weight."""
        other = copy.copy(self)
        other.hyper, other._undo = dict(self.hyper), {}
        return other

    def compute(self, c: Compiled) -> None:
        """Fill `c.delta` with the update for the current gradients (moving the moments and the step count, which
        `undo` puts back if the trainer refuses the step)."""
        state = c.ensure_state(self.state_names)
        self._remember(state)
        self.t += 1
        self._compute(c, self._decayed_grad(c), state)
        if state and self.t % SUBNORMAL_SWEEP == 0:
            _zero_subnormals(state)

    def undo(self, c: Compiled) -> None:
        """Put the moments and the step count back as they were before the last `compute`, bit for bit."""
        state = c.ensure_state(self.state_names)
        for name, saved in self._undo.items():
            np.copyto(state[name], saved)
        self.t = self._undo_t

    def _remember(self, state: dict[str, np.ndarray]) -> None:
        # buffers kept from step to step: a copy into them costs no allocation (big nets' moments are megabytes);
        # nothing to compare with no moments before or now (plain SGD: the comparison was a third of `compute`)
        undo = self._undo
        if state or undo:
            if undo.keys() != state.keys() or any(undo[k].shape != v.shape or undo[k].dtype != v.dtype
                                                   for k, v in state.items()):
                undo = self._undo = {name: np.empty_like(arr) for name, arr in state.items()}
            for name, arr in state.items():
                np.copyto(undo[name], arr)
        self._undo_t = self.t

    def apply(self, c: Compiled) -> None:
        if c.trainable is not None:
            c.delta *= c.trainable
        c.value += c.delta

    def _decayed_grad(self, c: Compiled) -> np.ndarray:
        wd = self.hyper.get("weight_decay", 0.0)
        return c.grad + wd * c.value if wd and self.name != "adamw" else c.grad

    def _compute(self, c: Compiled, g: np.ndarray, s: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


def _zero_subnormals(state: dict[str, np.ndarray]) -> None:
    """Set the moments smaller than the smallest normal float to zero, as a CPU flushing subnormals would.

    A dead ReLU unit's weights get a gradient of exactly 0, so their moments only decay (m by β₁ = 0.9 a step) and
    end a few units in the last place above zero, where `m * 0.9` rounds back to m: subnormal for good. Operations
    with subnormal numbers are tens of times slower on this CPU: with 452 such moments (2-64-64-1) Adam's compute
    and apply took 84 µs instead of 32 and the finiteness check 46 instead of 5, and the Trainer ran at 0.6 of its
    speed. PyTorch keeps the same subnormals but touches them in two fused passes (`lerp_`, `addcdiv_`): its step
    slowed by a few percent. Zeroing them moves a moment, and the update made from it, by less than the smallest
    normal float (2.2e-308, float32 1.2e-38): far inside any tolerance against PyTorch, and the weights stay the
    same bit for bit unless one is itself that close to zero. Every `SUBNORMAL_SWEEP` steps, not every step: its
    passes over the moments would cost a healthy step more than the subnormals cost between two sweeps."""
    for arr in state.values():
        np.copyto(arr, 0, where=np.abs(arr) < np.finfo(arr.dtype).tiny)


class SGD(Optimizer):
    name = "sgd"
    defaults = {"lr": 0.001, "momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}

    @property
    def state_names(self) -> tuple[str, ...]:
        return ("momentum_buffer",) if self.hyper["momentum"] else ()

    def _compute(self, c: Compiled, g: np.ndarray, s: dict[str, np.ndarray]) -> None:
        mu = self.hyper["momentum"]
        if mu:
            buf = s["momentum_buffer"]
            if self.t == 1:
                buf[...] = g  # PyTorch starts the buffer at the first gradient, undamped
            else:
                buf *= mu
                buf += (1.0 - self.hyper["dampening"]) * g
            g = g + mu * buf if self.hyper["nesterov"] else buf
        np.multiply(g, -self.hyper["lr"], out=c.delta)


class RMSprop(Optimizer):
    name = "rmsprop"
    defaults = {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0, "centered": False}

    @property
    def state_names(self) -> tuple[str, ...]:
        names: tuple[str, ...] = ("square_avg",)
        names += ("momentum_buffer",) if self.hyper["momentum"] else ()
        return names + (("grad_avg",) if self.hyper["centered"] else ())

    def _compute(self, c: Compiled, g: np.ndarray, s: dict[str, np.ndarray]) -> None:
        alpha, eps, lr, mu = (self.hyper[k] for k in ("alpha", "eps", "lr", "momentum"))
        sq = s["square_avg"]
        sq *= alpha
        sq += (1.0 - alpha) * g * g
        if self.hyper["centered"]:
            ga = s["grad_avg"]
            ga *= alpha
            ga += (1.0 - alpha) * g
            avg = np.sqrt(sq - ga * ga) + eps
        else:
            avg = np.sqrt(sq) + eps
        if mu:
            buf = s["momentum_buffer"]
            buf *= mu
            buf += g / avg
            np.multiply(buf, -lr, out=c.delta)
        else:
            np.divide(g, avg, out=c.delta)
            c.delta *= -lr


class Adam(Optimizer):
    name = "adam"
    state_names = ("exp_avg", "exp_avg_sq")
    defaults = {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}

    _tmp = np.zeros(0)

    def _compute(self, c: Compiled, g: np.ndarray, s: dict[str, np.ndarray]) -> None:
        b1, b2, eps, lr = (self.hyper[k] for k in ("beta1", "beta2", "eps", "lr"))
        m, v = s["exp_avg"], s["exp_avg_sq"]
        # every product into one kept buffer: four temporaries of the parameters' size a step were a fifth of a
        # 100k-weight step's time (the same operations in the same order: the same numbers, bit for bit)
        tmp = self._tmp if self._tmp.shape == g.shape and self._tmp.dtype == g.dtype else np.empty_like(g)
        self._tmp = tmp
        m *= b1
        m += np.multiply(g, 1.0 - b1, out=tmp)
        v *= b2
        np.multiply(g, 1.0 - b2, out=tmp)
        tmp *= g
        v += tmp
        bc1 = 1.0 - b1**self.t
        bc2 = 1.0 - b2**self.t
        denom = np.sqrt(v, out=tmp)
        denom /= np.sqrt(bc2)
        denom += eps
        np.divide(m, denom, out=c.delta)
        c.delta *= -lr / bc1
        if self.name == "adamw" and self.hyper["weight_decay"]:
            # decoupled decay: w ← w(1 − lr·wd) before the Adam step, so Δw gains −lr·wd·w
            c.delta -= (lr * self.hyper["weight_decay"]) * c.value


class AdamW(Adam):
    name = "adamw"
    defaults = {**Adam.defaults, "weight_decay": 0.01}


OPTIMIZERS: dict[str, type[Optimizer]] = {cls.name: cls for cls in (SGD, RMSprop, Adam, AdamW)}


def make_optimizer(name: str, **hyper: float | bool) -> Optimizer:
    try:
        cls = OPTIMIZERS[name]
    except KeyError:
        raise TrainingError(f"unknown optimiser {name!r}; choose one of {', '.join(OPTIMIZERS)}") from None
    return cls(**hyper)
