"""What the app does to a raw data row before the network sees it, as one value an export can bake in.

A network trained on standardised inputs expects standardised inputs; exported alone, it gives wrong answers on the
raw rows a user has. Every export writes this transform in front of the network, so the exported model takes raw
rows and gives the app's own predictions. Steps are fields applied in a fixed order, and every exporter writes each
step it finds:

1. **features** (TensorFlow Playground's input features): the two raw inputs x1, x2 become the chosen columns
   among x1, x2, x1², x2², x1·x2, sin x1, sin x2, in that order;
2. **standardisation**: (x − mean) / std per column, with the training split's statistics *of those columns*.

Features come first so that a squared or crossed column is standardised like any other (x1² of a spread-out data
set would otherwise dwarf the rest), and so an export is "raw row → features → standardise → network".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from engine.datasets.dataset import Dataset, Standardizer
from engine.errors import DataError


@dataclass(frozen=True)
class Feature:
    """One derived column: `function` (identity or sin) of raw column `column`, times raw column `times` if set.

    Each exporter writes these three parts with its own operators, so a feature is defined once, here.
    """

    function: str  # "identity" | "sin"
    column: int
    times: int | None = None

    def of(self, X: np.ndarray) -> np.ndarray:
        v = X[:, self.column]
        v = np.sin(v) if self.function == "sin" else v
        return v if self.times is None else v * X[:, self.times]


# every feature, in the order the columns appear (TensorFlow Playground's set)
FEATURES: dict[str, Feature] = {
    "x1": Feature("identity", 0),
    "x2": Feature("identity", 1),
    "x1²": Feature("identity", 0, 0),
    "x2²": Feature("identity", 1, 1),
    "x1·x2": Feature("identity", 0, 1),
    "sin x1": Feature("sin", 0),
    "sin x2": Feature("sin", 1),
}
RAW_FEATURES = ("x1", "x2")  # what the network gets without a feature step
FEATURE_INPUTS = 2  # the features are defined for data with exactly two inputs


def feature_set(names: Iterable[str]) -> tuple[str, ...]:
    """`names` in the columns' order, checked; () when they are just the raw inputs (no feature step at all)."""
    chosen = set(names)
    unknown = sorted(chosen - set(FEATURES))
    if unknown:
        raise DataError(f"unknown input feature {unknown[0]!r}; the features are {', '.join(FEATURES)}")
    ordered = tuple(name for name in FEATURES if name in chosen)
    return () if ordered == RAW_FEATURES else ordered


def feature_refusal(n_inputs: int) -> str | None:
    """Why data with `n_inputs` raw inputs cannot have features (None when it can)."""
    if n_inputs == FEATURE_INPUTS:
        return None
    return (f"input features are defined for data with {FEATURE_INPUTS} inputs (x1, x2); this data has {n_inputs}")


def apply_features(X: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Raw rows (n × 2) → the chosen feature columns (n × len(names)); the rows as they are for no features."""
    if not names:
        return X
    refusal = feature_refusal(X.shape[1])
    if refusal:
        raise DataError(refusal)
    return np.column_stack([FEATURES[name].of(X) for name in names])


def with_features(data: Dataset, names: tuple[str, ...]) -> Dataset:
    """`data` with its inputs replaced by the feature columns, each named after its feature."""
    if not names:
        return data
    refusal = feature_refusal(data.n_features)
    if refusal:
        raise DataError(f"{refusal}: turn the input features off first")
    return replace(data, X=apply_features(data.X, names), feature_names=names)


@dataclass(frozen=True)
class InputTransform:
    standardizer: Standardizer | None = None  # (x − mean) / std with the training split's statistics
    features: tuple[str, ...] = ()  # feature_set's names, applied before the standardizer; () for the raw inputs

    def apply(self, X: np.ndarray) -> np.ndarray:
        """Raw rows → the network's inputs, exactly as training and evaluation compute them."""
        X = apply_features(X, self.features)
        return X if self.standardizer is None else self.standardizer.transform(X)
