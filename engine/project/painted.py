"""Points a learner drew in the decision-boundary view: the one data source a project file holds as numbers.

Every other source is a recipe that rebuilds its samples; painted points have nothing to be rebuilt from, so they
live in the spec's `params` (`{"points": [[x1, x2, class or target], …], "classes": [names]}`, the task as the
spec's `name`). `MAX_POINTS` bounds them: a file stays small, and a hostile one cannot make us allocate much.
They are split into training and validation sets like any source, with the spec's seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..datasets import TASKS, Dataset
from ..errors import DataError
from .fields import Field

MAX_POINTS = 5_000
MAX_CLASSES = 10  # the palette's distinguishable colours: a painted class must be told apart on screen
FEATURES = ("x1", "x2")
TARGET = "y"
DIGITS = 6  # significant digits kept per coordinate: a click is not more precise, and the file stays small


def class_names(named: list[str] | tuple[str, ...], n_classes: int) -> tuple[str, ...]:
    """The names given, then "class k" for classes painted beyond them; at least two (classification's minimum)."""
    n = max(len(named), n_classes, 2)
    return tuple(named[k] if k < len(named) else f"class {k}" for k in range(n))


def painted_dataset(task: str, params: dict[str, Any]) -> Dataset:
    points = np.asarray(params.get("points", []), dtype=np.float64).reshape(-1, 3)
    if len(points) == 0:
        raise DataError("the painted data set has no points yet: paint some in the Decision boundary (Paint)")
    if len(points) > MAX_POINTS:
        raise DataError(f"a painted data set holds at most {MAX_POINTS:,} points, not {len(points):,}")
    if task == "regression":
        return Dataset("painted", points[:, :2], points[:, 2:], "regression", FEATURES, (TARGET,))
    labels = points[:, 2].astype(np.int64)
    return Dataset("painted", points[:, :2], labels, "classification", FEATURES,
                   class_names(list(params.get("classes", [])), int(labels.max()) + 1))


def point_row(x1: float, x2: float, value: float, task: str) -> list[float]:
    """One stored point: coordinates to `DIGITS` significant digits, a class as a whole number."""
    label: float = int(value) if task == "classification" else float(f"{value:.{DIGITS}g}")
    return [float(f"{x1:.{DIGITS}g}"), float(f"{x2:.{DIGITS}g}"), label]


def painted_params(dataset: Dataset) -> tuple[str, dict[str, Any]]:
    """(task, params) of a painted copy of `dataset` ("Start from current data"): its two inputs and its class or
    single target, every sample (training and validation alike, split again by the painted spec)."""
    if dataset.n_features != 2:
        raise DataError(f"only data with two inputs can be painted; this data set has {dataset.n_features}")
    if dataset.n_samples > MAX_POINTS:
        raise DataError(f"this data set has {dataset.n_samples:,} samples; a painted one holds at most "
                        f"{MAX_POINTS:,} (lower n_samples first)")
    if dataset.task == "regression":
        if dataset.y.shape[1] != 1:
            raise DataError(f"only data with one target can be painted; this data set has {dataset.y.shape[1]}")
        values = dataset.y[:, 0]
    else:
        if dataset.n_classes > MAX_CLASSES:
            raise DataError(f"a painted data set has at most {MAX_CLASSES} classes; this one has {dataset.n_classes}")
        values = dataset.y
    points = [point_row(a, b, v, dataset.task) for (a, b), v in zip(dataset.X.tolist(), values.tolist(), strict=True)]
    params: dict[str, Any] = {"points": points}
    if dataset.task == "classification":
        params["classes"] = list(dataset.target_names)
    return dataset.task, params


def decode_painted(name: Field, params: Field) -> tuple[str, dict[str, Any]]:
    """The task and params of a painted spec in a project file, each bad value named by its JSON path."""
    task = name.str(TASKS)
    for key, f in params.entries():
        if key not in ("points", "classes"):
            raise f.error(f"unknown painted-data setting {key!r}; expected points or classes")
    pf = params["points"]
    n = len(pf.items())
    if n > MAX_POINTS:
        raise pf.error(f"a painted data set holds at most {MAX_POINTS:,} points, not {n:,}")
    pf.array((n, 3), np.float64)  # three finite numbers per point, or the path of the first that is not
    out: dict[str, Any] = {"points": pf.value}
    if task == "classification":
        for row in pf.items():
            row.items()[2].int(0, MAX_CLASSES - 1)
        classes = [c.str() for c in params.get("classes", []).items()]
        if len(classes) > MAX_CLASSES:
            raise params["classes"].error(f"at most {MAX_CLASSES} class names, not {len(classes)}")
        out["classes"] = classes
    elif params.has("classes"):
        raise params["classes"].error("a painted regression has no classes")
    return task, out
