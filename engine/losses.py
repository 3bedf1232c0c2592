"""Loss functions, averaged as PyTorch averages them (``reduction="mean"``).

A loss gives its value and dL/da for the output layer's pre-activation `a`. Where the output activation and the
loss fuse into a simpler, exact and stable expression (softmax + cross-entropy, sigmoid + binary cross-entropy),
the loss works from the logits `a` directly: that is both exact and free of log(0). Other pairs go through the
generic route dL/dh · f'(a).

Targets `t` are always 2-D floats of the output's shape; class labels arrive one-hot (see `encode_targets`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .activations import get_activation, softmax, softmax_backward
from .errors import DataError, GraphError

HUBER_DELTA = 1.0


@dataclass(frozen=True)
class Loss:
    name: str
    label: str
    task: str  # "regression" or "classification": which metric and which target encoding apply
    # (a, h, t) -> L of each batch in a stack of them, (..., batch, outputs) -> (...): the loss surface evaluates
    # thousands of weight settings in one call; a single batch gives a 0-d array
    batch_value: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    grad_h: Callable[[np.ndarray, np.ndarray], np.ndarray] | None  # (h, t) -> dL/dh, the generic route
    fused: tuple[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] | None = None

    def value(self, a: np.ndarray, h: np.ndarray, t: np.ndarray) -> float:
        """L of one batch (the mean over its samples and outputs)."""
        return float(self.batch_value(a, h, t))

    def check_output(self, activation: str) -> str | None:
        """Why this loss cannot follow that output activation, or None when it can."""
        if self.fused and self.grad_h is None and activation != self.fused[0]:
            return f"{self.label} needs a {self.fused[0]} output layer (it is {activation})"
        if self.fused is None and activation == "softmax":
            return f"a softmax output pairs with cross-entropy, not {self.label}"
        return None

    def fuses_with(self, activation: str) -> bool:
        """Whether dL/da comes straight from the logits (the chain-rule explorer shows one factor for it)."""
        return self.fused is not None and activation == self.fused[0]

    def grad_a(self, a: np.ndarray, h: np.ndarray, t: np.ndarray, activation: str) -> np.ndarray:
        """dL/da of the output layer for the whole batch."""
        if self.fused is not None and self.fuses_with(activation):
            return self.fused[1](a, h, t)
        assert self.grad_h is not None, self.check_output(activation)  # validation refuses this pairing first
        dh = self.grad_h(h, t)
        act = get_activation(activation)
        if act.derivative is None:
            return softmax_backward(h, dh)
        da: np.ndarray = dh * act.derivative(a, h)
        return da


_BATCH = (-2, -1)  # the axes of one batch: samples and outputs


def _batch_mean(x: np.ndarray) -> np.ndarray:
    """`np.mean(x, axis=_BATCH)` without its Python wrapper (half of its time on a small batch, every step): the
    same sum, divided as it divides (by the count as an intp, rounded back to the sum's dtype), the same bits."""
    total = np.add.reduce(x, axis=_BATCH)
    return np.asarray(total / np.intp(x.shape[-2] * x.shape[-1])).astype(total.dtype, copy=False)


def _mse(a: np.ndarray, h: np.ndarray, t: np.ndarray) -> np.ndarray:
    return _batch_mean((h - t) ** 2)


def _mae(a: np.ndarray, h: np.ndarray, t: np.ndarray) -> np.ndarray:
    return _batch_mean(np.abs(h - t))


def _huber(a: np.ndarray, h: np.ndarray, t: np.ndarray) -> np.ndarray:
    d = np.abs(h - t)
    return _batch_mean(np.where(d < HUBER_DELTA, 0.5 * d * d, HUBER_DELTA * (d - 0.5 * HUBER_DELTA)))


def _huber_grad(h: np.ndarray, t: np.ndarray) -> np.ndarray:
    d = h - t
    dh: np.ndarray = np.clip(d, -HUBER_DELTA, HUBER_DELTA) / d.size
    return dh


def _bce(a: np.ndarray, h: np.ndarray, t: np.ndarray) -> np.ndarray:
    # BCEWithLogits: max(a,0) - a·t + log(1 + e^-|a|), exact for any logit.
    return _batch_mean(np.maximum(a, 0) - a * t + np.log1p(np.exp(-np.abs(a))))


def _cross_entropy(a: np.ndarray, h: np.ndarray, t: np.ndarray) -> np.ndarray:
    log_p = a - a.max(axis=-1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=-1, keepdims=True))
    log_p *= t  # in place: the loss surface runs this on thousands of batches at once
    return np.asarray(-log_p.sum(axis=_BATCH) / a.shape[-2])


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", "Mean squared error", "regression", _mse, lambda h, t: 2.0 * (h - t) / h.size),
        Loss("mae", "Mean absolute error", "regression", _mae, lambda h, t: np.sign(h - t) / h.size),
        Loss("huber", "Huber (δ=1)", "regression", _huber, _huber_grad),
        Loss(
            "bce",
            "Binary cross-entropy",
            "classification",
            _bce,
            None,
            fused=("sigmoid", lambda a, h, t: (h - t) / h.size),
        ),
        Loss(
            "cross_entropy",
            "Cross-entropy",
            "classification",
            _cross_entropy,
            None,
            fused=("softmax", lambda a, h, t: (h - t) / h.shape[0]),
        ),
    )
}


def get_loss(name: str) -> Loss:
    try:
        return LOSSES[name]
    except KeyError:
        raise GraphError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}") from None


def encode_targets(loss: Loss, y: np.ndarray, n_outputs: int, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
    """Targets as the loss wants them: one-hot rows for cross-entropy, a column per output otherwise."""
    y = np.asarray(y)
    if loss.name == "cross_entropy":
        labels = y.reshape(-1).astype(np.int64) if y.ndim == 1 or y.shape[1] == 1 else y.argmax(axis=1)
        if labels.size and (labels.min() < 0 or labels.max() >= n_outputs):
            bad = int(labels.max() if labels.max() >= n_outputs else labels.min())
            fix = f": give it one neuron per class ({bad + 1})" if bad >= n_outputs else ""
            raise DataError(f"class {bad} does not fit an output layer of {n_outputs} neurons (classes 0 to "
                            f"{n_outputs - 1}){fix}")
        out = np.zeros((labels.size, n_outputs), dtype=dtype)
        out[np.arange(labels.size), labels] = 1.0
        return out
    t = y.reshape(len(y), -1).astype(dtype)
    if t.shape[1] != n_outputs:
        raise DataError(f"the targets have {t.shape[1]} columns but the output layer has {n_outputs} neurons")
    if loss.name == "bce" and t.size and (t.min() < 0 or t.max() > 1):  # a class index of 2 is no probability
        raise DataError(
            f"binary cross-entropy takes targets from 0 to 1 (two classes), but the data's run from {t.min():g} to "
            f"{t.max():g}: for more classes give the output layer one neuron per class, with softmax, and choose "
            "the cross-entropy loss"
        )
    return t


__all__ = ["LOSSES", "Loss", "encode_targets", "get_loss", "softmax"]
