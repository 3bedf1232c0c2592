"""What the network makes of its data set at one moment: the read-outs a learner checks a fit or a classifier by.

A classifier gets a confusion matrix per split (training, validation), kept with each sample's actual and predicted
class so a cell can name the samples it counts; a regression gets R² and RMSE per split, with each sample's input,
target and prediction (its residual), and, when it has one input, the network's curve over that input's range (the
fit plot, the 1-D counterpart of the decision boundary). Everything is computed here, from the trainer's own
arrays, so a snapshot of a recorded step (the timeline) carries that step's read-outs like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..metrics import confusion_matrix, predicted_class, r2_score, rmse
from ..training import Trainer

SPLITS = ("train", "validation")
FIT_POINTS = 200  # along the input: a smooth curve at any plot width, and a forward pass of 200 rows costs nothing
FIT_MARGIN = 0.1  # of the inputs' range, either side, so the curve shows where the data end


@dataclass(frozen=True, eq=False)
class Confusion:
    """One split's confusion matrix and the per-sample classes it counts."""

    matrix: np.ndarray  # (k, k) counts: row = actual class, column = predicted class
    actual: np.ndarray  # (n,) each sample's class (its encoded target, by the accuracy's rule)
    predicted: np.ndarray  # (n,)

    def samples(self, actual: int, predicted: int) -> tuple[int, ...]:
        """The samples a cell counts (indices into the split), in data order."""
        hit = (self.actual == actual) & (self.predicted == predicted)
        return tuple(int(i) for i in np.flatnonzero(hit))


@dataclass(frozen=True, eq=False)
class Scores:
    """One split of a regression: how well the outputs fit, and what the residual plot draws."""

    r2: float
    rmse: float
    x: np.ndarray  # (n,) the first input
    target: np.ndarray  # (n, outputs)
    prediction: np.ndarray  # (n, outputs)


@dataclass(frozen=True, eq=False)
class Fit:
    """The network's outputs along its one input: `y[i]` is the output row at `x[i]`."""

    x: np.ndarray  # (FIT_POINTS,)
    y: np.ndarray  # (FIT_POINTS, outputs)


@dataclass(frozen=True, eq=False)
class Readouts:
    """Per split ("train", "validation"; validation only when data are held out): `confusion` for a classifier,
    `scores` for a regression; `fit` for a regression with one input."""

    confusion: dict[str, Confusion]
    scores: dict[str, Scores]
    fit: Fit | None = None


def fit_inputs(x: np.ndarray) -> np.ndarray:
    """The fit curve's inputs: the data's range of its one input plus a margin, as a (FIT_POINTS, 1) column."""
    lo, hi = float(x.min()), float(x.max())
    pad = max((hi - lo) * FIT_MARGIN, 1e-3)
    return np.linspace(lo - pad, hi + pad, FIT_POINTS)[:, None]


def read_out(trainer: Trainer, rows: int) -> Readouts:
    """The read-outs of the trainer's network on its training and validation data, forward passes of at most
    `rows` rows (`snapshot.one_thread_rows`). The arrays are fresh: the snapshot that carries them is read by
    another thread while training goes on. A diverged run's outputs give inf or NaN scores, without a warning."""
    c = trainer.compiled

    def predict(x: np.ndarray) -> np.ndarray:
        return np.concatenate([c.predict(x[i : i + rows]) for i in range(0, len(x), rows)]).astype(np.float64)

    splits = {"train": (trainer.x, trainer.t)}
    if trainer.x_val is not None and trainer.t_val is not None:
        splits["validation"] = (trainer.x_val, trainer.t_val)
    outputs = {name: (x, t.astype(np.float64), predict(x)) for name, (x, t) in splits.items()}
    if trainer.loss.task == "classification":
        k = max(trainer.t.shape[1], 2)  # one sigmoid output stands for two classes
        confusion = {}
        for name, (_, t, h) in outputs.items():
            actual, predicted = predicted_class(t), predicted_class(h)
            confusion[name] = Confusion(confusion_matrix(actual, predicted, k), actual, predicted)
        return Readouts(confusion, {})
    with np.errstate(over="ignore", invalid="ignore"):
        scores = {name: Scores(r2_score(t, h), rmse(t, h), x[:, 0].astype(np.float64), t, h)
                  for name, (x, t, h) in outputs.items()}
    fit = None
    if trainer.x.shape[1] == 1:
        grid = fit_inputs(np.concatenate([x for x, _ in splits.values()]))
        fit = Fit(grid[:, 0], predict(grid.astype(c.dtype)))
    return Readouts({}, scores, fit)
