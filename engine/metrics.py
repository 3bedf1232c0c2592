"""Per-epoch metrics accumulated batch by batch, so an epoch's figures cost no extra pass over the data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .losses import Loss


def metric_name(loss: Loss) -> str:
    return "accuracy" if loss.task == "classification" else "r2"


def predicted_class(h: np.ndarray) -> np.ndarray:
    """The class each row of outputs (last axis) stands for, by the accuracy's rule: the arg-max of several outputs
    (softmax), 1 where a single output is over 0.5 (sigmoid). The decision boundary's "discretize" paints this."""
    return h.argmax(axis=-1) if h.shape[-1] > 1 else (h[..., 0] > 0.5).astype(np.int64)


def correct(loss: Loss, h: np.ndarray, t: np.ndarray) -> int:
    """How many rows are classified right: arg-max for softmax outputs, a 0.5 threshold per output otherwise."""
    # count_nonzero, and no row-wise `all` for one output: this runs every training step
    if loss.name == "cross_entropy":
        return int(np.count_nonzero(predicted_class(h) == t.argmax(axis=1)))
    hit = (h > 0.5) == (t > 0.5)
    return int(np.count_nonzero(hit if hit.shape[1] == 1 else hit.all(axis=1)))


class EpochMeter:
    """Mean loss and accuracy or R² (1 − SS_res/SS_tot, averaged over outputs) over the batches added."""

    def __init__(self, loss: Loss):
        self.loss = loss
        self.reset()

    def reset(self) -> None:
        self.n = 0
        self.loss_sum = 0.0
        self.correct = 0
        self.t_sum = self.t_sq = self.res_sq = 0.0

    def add(self, loss_value: float, h: np.ndarray, t: np.ndarray) -> None:
        self._add_loss(loss_value, len(t))
        if self.loss.task == "classification":
            self.correct += correct(self.loss, h, t)
        else:
            self.t_sum = self.t_sum + t.sum(axis=0)
            self.t_sq = self.t_sq + (t * t).sum(axis=0)
            self.res_sq = self.res_sq + ((h - t) ** 2).sum(axis=0)

    def add_batches(self, batches: Sequence[tuple[float, np.ndarray, np.ndarray]]) -> None:
        """`add` for each (loss, h, t) in turn, with the right answers of classification batches counted in one
        pass over all of them: the same sums and the same count, without a few small array operations per batch
        (a tenth of a small net's training step)."""
        if self.loss.task != "classification":
            for batch in batches:
                self.add(*batch)
            return
        for loss_value, _, t in batches:
            self._add_loss(loss_value, len(t))
        if batches:
            self.correct += correct(self.loss, np.concatenate([h for _, h, _ in batches]),
                                    np.concatenate([t for _, _, t in batches]))

    def _add_loss(self, loss_value: float, n: int) -> None:
        self.n += n
        self.loss_sum += loss_value * n

    def result(self) -> tuple[float, float]:
        if self.n == 0:
            return float("nan"), float("nan")
        mean_loss = self.loss_sum / self.n
        if self.loss.task == "classification":
            return mean_loss, self.correct / self.n
        ss_tot = self.t_sq - self.t_sum**2 / self.n
        r2 = 1.0 - self.res_sq / np.where(ss_tot > 0, ss_tot, np.nan)
        return mean_loss, float(np.nanmean(r2)) if np.isfinite(r2).any() else float("nan")
