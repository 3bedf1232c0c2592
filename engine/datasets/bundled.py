"""Real data sets shipped with the app as plain CSV files, so they load offline and without extra packages."""

from __future__ import annotations

from engine.datasets.csv_import import load_csv
from engine.datasets.dataset import Dataset
from engine.errors import DataError
from engine.resources import resource_path

BUNDLED = ("iris",)


def load_bundled(name: str) -> Dataset:
    if name not in BUNDLED:
        raise DataError(f"unknown bundled data set {name!r}; the bundled sets are: {', '.join(BUNDLED)}")
    return load_csv(resource_path("datasets", f"{name}.csv"))
