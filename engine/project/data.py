"""Where a project's data comes from, stored as a recipe rather than as numbers.

A project file names its data (a seeded generator, a bundled set, or a CSV file beside the project) instead of
embedding it: the file stays small and diffable, and the same recipe always rebuilds the same split, because the
split and every generator are seeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..datasets import Dataset, InputTransform, Standardizer, generate, load_bundled, load_csv, split
from ..datasets.transform import with_features
from ..errors import DataError
from .painted import painted_dataset

KINDS = ("generator", "csv", "bundled", "painted")


@dataclass
class DataSpec:
    kind: str  # "generator" | "csv" | "bundled" | "painted" (points stored in `params`: painted.py)
    name: str  # generator or bundled name, or the CSV path (relative to the project file's directory when saved)
    params: dict[str, Any] = field(default_factory=dict)  # generator parameters, or load_csv's keyword arguments
    val_fraction: float = 0.2
    split_seed: int = 0
    standardize: bool = False
    # derived input columns (engine.datasets.FEATURES, for 2-input data), before standardising; () = the raw inputs
    features: tuple[str, ...] = ()

    def csv_path(self, base_dir: Path | None) -> Path:
        """The CSV file, a relative name being taken relative to `base_dir` (the project file's directory)."""
        path = Path(self.name).expanduser()
        return path if path.is_absolute() or base_dir is None else Path(base_dir) / path

    def dataset(self, base_dir: Path | None = None) -> Dataset:
        """The whole data set, before splitting."""
        if self.kind == "generator":
            return generate(self.name, **self.params)
        if self.kind == "bundled":
            return load_bundled(self.name)
        if self.kind == "csv":
            return load_csv(self.csv_path(base_dir), **self.params)
        if self.kind == "painted":
            return painted_dataset(self.name, self.params)
        raise DataError(f"unknown data source kind {self.kind!r}; expected one of {', '.join(KINDS)}")

    def load(self, base_dir: Path | None = None) -> tuple[Dataset, Dataset, Standardizer | None]:
        """Training and validation sets, their inputs turned into the chosen features first; standardised with the
        training split's statistics when asked, so the validation rows never leak into what the network sees as
        "normal"."""
        train, val = split(self.dataset(base_dir), self.val_fraction, self.split_seed)
        train, val = with_features(train, self.features), with_features(val, self.features)
        if not self.standardize:
            return train, val, None
        scaler = Standardizer.fit(train.X)
        return replace(train, X=scaler.transform(train.X)), replace(val, X=scaler.transform(val.X)), scaler

    def input_transform(self, base_dir: Path | None = None) -> InputTransform:
        """What `load` does to every input row, for an export to do the same to raw rows; the data is read only
        when the transform depends on it."""
        scaler = self.load(base_dir)[2] if self.standardize else None
        return InputTransform(scaler, self.features)
