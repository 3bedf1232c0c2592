"""The one in-memory form every data source ends in, and the two steps between it and training.

Generators, CSV files and bundled sets all produce a `Dataset`, so the trainer and the GUI never care where
the numbers came from. Validation happens once, here, so later code can trust shapes and finiteness.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from engine.errors import DataError

TASKS = ("classification", "regression")

# A column whose spread is this small next to its magnitude is constant up to rounding; dividing by that
# spread would blow rounding noise up into values of order 1.
_CONSTANT_TOLERANCE = 1e-12


def _read_only(array: np.ndarray) -> np.ndarray:
    """A read-only view, so a frozen Dataset is frozen all the way down without copying the caller's array."""
    view = array.view()
    view.flags.writeable = False
    return view


def _as_array(values: Any, dtype: type, what: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} cannot be read as {np.dtype(dtype).name} numbers: {exc}") from exc


def _check_finite(values: np.ndarray, what: str, column_names: tuple[str, ...]) -> None:
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        row, column = bad[0]
        raise DataError(f"{what} holds a non-finite value at sample {row}, column {column_names[column]!r}")


@dataclass(frozen=True, eq=False)
class Dataset:
    """Inputs `X` (N × d) and targets `y`: class indices (N,) for classification, values (N × k) otherwise.

    `target_names` are the class names in index order, or the regression target columns, so a prediction can
    always be shown with a human name. `image_shape` (rows, columns) says the inputs are the pixels of an image,
    row by row, so views can draw a sample or a neuron's incoming weights as that image; only a data set that
    declares it is drawn so (64 numbers need not be 8×8 pixels).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    task: str
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    image_shape: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise DataError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")
        X = _as_array(self.X, np.float64, "the inputs")
        feature_names = tuple(self.feature_names)
        target_names = tuple(self.target_names)
        if X.ndim != 2:
            raise DataError(f"the inputs must be a 2-D array (samples × features), got shape {X.shape}")
        if len(feature_names) != X.shape[1]:
            raise DataError(f"{len(feature_names)} feature names for {X.shape[1]} input columns")
        _check_finite(X, "the inputs", feature_names)
        self._check_image_shape(X.shape[1])
        y = self._checked_targets(target_names)
        if len(y) != len(X):
            raise DataError(f"{len(X)} input rows but {len(y)} targets")
        object.__setattr__(self, "X", _read_only(X))
        object.__setattr__(self, "y", _read_only(y))
        object.__setattr__(self, "feature_names", feature_names)
        object.__setattr__(self, "target_names", target_names)

    def _check_image_shape(self, n_features: int) -> None:
        if self.image_shape is None:
            return
        shape = tuple(self.image_shape)
        if len(shape) != 2 or not all(isinstance(n, int) and n > 0 for n in shape) or shape[0] * shape[1] != n_features:
            raise DataError(f"an image shape of {self.image_shape} does not hold the {n_features} inputs "
                            "(rows × columns must equal the number of inputs)")
        object.__setattr__(self, "image_shape", shape)

    def _checked_targets(self, target_names: tuple[str, ...]) -> np.ndarray:
        if self.task == "regression":
            y = _as_array(self.y, np.float64, "the targets")
            if y.ndim != 2:
                raise DataError(
                    f"regression targets must be a 2-D array (samples × outputs), got shape {y.shape}"
                )
            if len(target_names) != y.shape[1]:
                raise DataError(f"{len(target_names)} target names for {y.shape[1]} target columns")
            _check_finite(y, "the targets", target_names)
            return y
        y = np.asarray(self.y)
        if y.ndim != 1 or y.dtype.kind not in "iu":
            raise DataError(
                f"classification targets must be a 1-D array of class indices, got {y.dtype} {y.shape}"
            )
        if len(target_names) < 2:
            raise DataError(
                f"classification needs at least 2 classes, got {len(target_names)}: {target_names}"
            )
        outside = np.flatnonzero((y < 0) | (y >= len(target_names)))
        if len(outside):
            i = outside[0]
            raise DataError(f"class index {y[i]} at sample {i} is not one of the {len(target_names)} classes")
        return y.astype(np.int64, copy=False)

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        """0 for regression, so `if dataset.n_classes:` reads as "is this classification"."""
        return len(self.target_names) if self.task == "classification" else 0

    @property
    def n_outputs(self) -> int:
        """Width of the network's output layer: one unit per class, or per regression target."""
        return self.n_classes or self.y.shape[1]

    def subset(self, indices: np.ndarray | list[int]) -> Dataset:
        """The rows at `indices` (in that order), keeping every class name even if a class is absent."""
        index = np.asarray(indices, dtype=np.intp)
        return replace(self, X=self.X[index], y=self.y[index])


@dataclass(frozen=True, eq=False)
class Standardizer:
    """Maps every input column to mean 0 and std 1, which keeps small nets with default learning rates stable.

    Fit it on the training split only: statistics that have seen the validation rows leak them into training.
    """

    mean: np.ndarray
    std: np.ndarray

    def __post_init__(self) -> None:
        mean = _as_array(self.mean, np.float64, "the standardizer mean")
        std = _as_array(self.std, np.float64, "the standardizer std")
        if mean.ndim != 1 or mean.shape != std.shape:
            raise DataError(
                f"the standardizer needs two equal 1-D arrays, got shapes {mean.shape} and {std.shape}"
            )
        if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
            raise DataError("the standardizer needs finite means and positive finite stds")
        object.__setattr__(self, "mean", _read_only(mean))
        object.__setattr__(self, "std", _read_only(std))

    @classmethod
    def fit(cls, X: np.ndarray) -> Standardizer:
        """Constant columns get std 1: they carry no information, and dividing by ~0 would create some."""
        X = _as_array(X, np.float64, "the inputs")
        if X.ndim != 2 or len(X) == 0:
            raise DataError(f"a standardizer is fitted on a non-empty 2-D array, got shape {X.shape}")
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        constant = std <= _CONSTANT_TOLERANCE * np.maximum(np.abs(mean), 1.0)
        return cls(mean, np.where(constant, 1.0, std))

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = _as_array(X, np.float64, "the inputs")
        if X.ndim != 2 or X.shape[1] != len(self.mean):
            raise DataError(f"the standardizer was fitted on {len(self.mean)} columns, got shape {X.shape}")
        standard: np.ndarray = (X - self.mean) / self.std
        return standard

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, list[float]]) -> Standardizer:
        try:
            return cls(data["mean"], data["std"])  # type: ignore[arg-type]  # __post_init__ converts and checks
        except (KeyError, TypeError) as exc:
            raise DataError(f"a standardizer needs 'mean' and 'std' lists, got {data!r}") from exc


def _stratified_order(labels: np.ndarray) -> np.ndarray:
    """Orders samples so that every prefix holds each class in proportion.

    Each sample's key is its rank within its class as a fraction of the class size; sorting by it (stably, so
    ties keep the shuffled order) interleaves the classes evenly.
    """
    counts = np.bincount(labels)
    by_class = np.argsort(labels, kind="stable")
    ranks = np.empty(len(labels))
    ranks[by_class] = np.arange(len(labels)) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.argsort((ranks + 0.5) / counts[labels], kind="stable")


def split(dataset: Dataset, val_fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """Seeded, shuffled (train, validation) split; stratified for classification so each class is in both."""
    if not 0.0 <= val_fraction < 1.0:
        raise DataError(f"the validation fraction must be at least 0 and below 1, got {val_fraction}")
    n_val = round(dataset.n_samples * val_fraction)
    if n_val >= dataset.n_samples:
        raise DataError(
            f"a validation fraction of {val_fraction} leaves no training samples out of {dataset.n_samples}"
        )
    order = np.random.default_rng(seed).permutation(dataset.n_samples)
    if dataset.task == "classification":
        order = order[_stratified_order(dataset.y[order])]
    return dataset.subset(order[n_val:]), dataset.subset(order[:n_val])
