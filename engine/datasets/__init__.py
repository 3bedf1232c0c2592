"""Data sets for training: toy generators, CSV import and the bundled sets, all ending in a `Dataset`."""

from engine.datasets.bundled import BUNDLED, load_bundled
from engine.datasets.csv_import import CsvPreview, describe_csv, load_csv
from engine.datasets.dataset import TASKS, Dataset, Standardizer, split
from engine.datasets.generators import (
    GENERATOR_PARAMS,
    GENERATORS,
    blobs,
    circles,
    generate,
    linear,
    moons,
    plane,
    sine,
    spiral,
    xor,
)
from engine.datasets.transform import (
    FEATURES,
    RAW_FEATURES,
    InputTransform,
    apply_features,
    feature_refusal,
    feature_set,
    with_features,
)

__all__ = [
    "BUNDLED",
    "FEATURES",
    "GENERATORS",
    "GENERATOR_PARAMS",
    "RAW_FEATURES",
    "TASKS",
    "CsvPreview",
    "Dataset",
    "InputTransform",
    "Standardizer",
    "apply_features",
    "blobs",
    "circles",
    "describe_csv",
    "feature_refusal",
    "feature_set",
    "generate",
    "linear",
    "load_bundled",
    "load_csv",
    "moons",
    "plane",
    "sine",
    "spiral",
    "split",
    "with_features",
    "xor",
]
