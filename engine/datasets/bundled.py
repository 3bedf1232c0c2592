"""Real data sets shipped with the app as plain CSV files, so they load offline and without extra packages."""

from __future__ import annotations

from dataclasses import replace

from engine.datasets.csv_import import load_csv
from engine.datasets.dataset import Dataset
from engine.errors import DataError
from engine.resources import resource_path

BUNDLED = ("iris", "digits")
# the sets whose inputs are an image's pixels, row by row: their shape is declared here, never guessed from a count
IMAGE_SHAPES: dict[str, tuple[int, int]] = {"digits": (8, 8)}


def load_bundled(name: str) -> Dataset:
    if name not in BUNDLED:
        raise DataError(f"unknown bundled data set {name!r}; the bundled sets are: {', '.join(BUNDLED)}")
    dataset = load_csv(resource_path("datasets", f"{name}.csv"))
    return replace(dataset, image_shape=IMAGE_SHAPES.get(name))
