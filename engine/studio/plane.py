"""The plane the decision boundary is drawn over: the two inputs of a 2-input data set.

With input features on, the network's inputs are no longer a plane (x1, x2, x1², sin x1, ...), but the data still
is: the boundary is drawn over the raw x1, x2, and each grid point goes through the same input transform as the
data rows (features, then standardisation) before the network sees it. Without features the plane is the inputs
as the network gets them, as it always was.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..datasets import Dataset, InputTransform, split
from ..project import DataSpec


@dataclass(frozen=True, eq=False)
class Plane:
    train: np.ndarray  # (n, 2): the training rows' points
    val: np.ndarray  # (m, 2): the validation rows' points
    lift: InputTransform | None  # plane points → the network's inputs; None: they are the inputs


def data_plane(spec: DataSpec, base_dir: Path | None, train: Dataset, val: Dataset) -> Plane | None:
    """The plane of the loaded `train`/`val` sets of `spec`, or None when the data has no two inputs. With
    features, the raw rows and the transform are read once more (2-input data is small)."""
    if not spec.features:
        return Plane(train.X, val.X, None) if train.n_features == 2 else None
    raw_train, raw_val = split(spec.dataset(base_dir), spec.val_fraction, spec.split_seed)
    return Plane(raw_train.X, raw_val.X, spec.input_transform(base_dir))
