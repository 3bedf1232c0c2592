"""Generators, the Dataset invariants, the train/validation split and the Standardizer."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from engine.datasets import (
    GENERATOR_PARAMS,
    GENERATORS,
    Dataset,
    Standardizer,
    blobs,
    circles,
    generate,
    linear,
    plane,
    sine,
    spiral,
    split,
    xor,
)
from engine.errors import DataError

CLASSIFIERS = ["xor", "circles", "moons", "spiral", "blobs", "linear"]
REGRESSIONS = ["sine", "plane"]


def labelled(n: int = 100, n_classes: int = 3) -> Dataset:
    """A classification set whose single input is the row number, so rows can be traced through a split."""
    X = np.arange(n, dtype=float)[:, None]
    y = np.arange(n) % n_classes
    return Dataset("rows", X, y, "classification", ("row",), tuple(f"c{k}" for k in range(n_classes)))


def test_the_registry_covers_every_generator_and_its_defaults() -> None:
    assert sorted(GENERATORS) == sorted(CLASSIFIERS + REGRESSIONS)
    assert GENERATOR_PARAMS["spiral"] == {"n_samples": 300, "noise": 0.05, "seed": 0, "n_classes": 3}
    for name, params in GENERATOR_PARAMS.items():
        assert {"n_samples", "noise", "seed"} <= set(params), name
        assert np.array_equal(generate(name, **params).X, generate(name).X)


@pytest.mark.parametrize("name", CLASSIFIERS + REGRESSIONS)
def test_generators_are_seeded_and_small(name: str) -> None:
    data = generate(name, n_samples=120, seed=3)
    again = generate(name, n_samples=120, seed=3)
    other = generate(name, n_samples=120, seed=4)
    assert data.n_samples == 120 and data.name == name
    assert np.array_equal(data.X, again.X) and np.array_equal(data.y, again.y)
    assert not np.array_equal(data.X, other.X)
    assert np.abs(data.X).max() < 4
    if name in CLASSIFIERS:
        assert data.task == "classification" and data.y.dtype == np.int64 and data.n_features == 2
        assert set(data.y.tolist()) == set(range(data.n_classes))
    else:
        assert data.task == "regression" and data.y.shape == (120, 1) and data.n_outputs == 1


def test_xor_labels_follow_the_quadrants() -> None:
    data = xor(noise=0.0)
    assert np.array_equal(data.y, (data.X[:, 0] * data.X[:, 1] < 0).astype(int))
    assert np.abs(data.X).min() >= 0.1


def test_circles_classes_are_separated_by_radius() -> None:
    data = circles(n_samples=400, factor=0.4, noise=0.05, seed=1)
    radius = np.hypot(*data.X.T)
    assert radius[data.y == 1].max() < radius[data.y == 0].min()
    assert data.target_names == ("outer", "inner")


@pytest.mark.parametrize("k", [2, 3, 5])
def test_spiral_and_blobs_have_k_balanced_classes(k: int) -> None:
    for data in (spiral(n_samples=301, n_classes=k), blobs(n_samples=301, n_classes=k)):
        counts = np.bincount(data.y)
        assert data.n_classes == data.n_outputs == len(counts) == k
        assert counts.max() - counts.min() <= 1


def test_linear_is_linearly_separable() -> None:
    data = linear(seed=7)
    Z = np.column_stack((data.X, np.ones(data.n_samples)))
    sign = np.where(data.y == 1, 1.0, -1.0)
    w = np.zeros(3)
    for _ in range(2000):  # the perceptron converges on separable data; the margin bounds the updates
        wrong = np.flatnonzero(sign * (Z @ w) <= 0)
        if not len(wrong):
            break
        w += sign[wrong[0]] * Z[wrong[0]]
    assert np.all(sign * (Z @ w) > 0)


def test_regressions_follow_their_formula_without_noise() -> None:
    wave = sine(noise=0.0)
    assert np.allclose(wave.y[:, 0], np.sin(wave.X[:, 0]))
    assert wave.X.min() >= -np.pi and wave.X.max() <= np.pi
    flat = plane(noise=0.0, a=2.0, b=-1.0, c=0.5)
    assert np.allclose(flat.y[:, 0], 2 * flat.X[:, 0] - flat.X[:, 1] + 0.5)


@pytest.mark.parametrize(
    ("name", "params", "fragment"),
    [
        ("nope", {}, "xor, circles"),
        ("xor", {"factor": 0.3}, "'factor'"),
        ("xor", {"n_samples": 1}, "n_samples"),
        ("xor", {"n_samples": 2.5}, "n_samples"),
        ("circles", {"noise": -0.1}, "noise"),
        ("circles", {"factor": 1.5}, "factor"),
        ("spiral", {"n_classes": 1}, "n_classes"),
        ("plane", {"a": float("nan")}, "a must be a finite number"),
        ("sine", {"seed": -1}, "seed"),
    ],
)
def test_bad_generator_requests_are_data_errors(name: str, params: dict, fragment: str) -> None:
    with pytest.raises(DataError, match=fragment):
        generate(name, **params)


def test_dataset_is_frozen_and_read_only() -> None:
    data = labelled()
    assert (data.n_samples, data.n_features, data.n_classes, data.n_outputs) == (100, 1, 3, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.name = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        data.X[0, 0] = 1.0
    assert sine().n_classes == 0


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"task": "clustering"}, "unknown task"),
        ({"X": np.zeros(4)}, "2-D"),
        ({"X": np.zeros((4, 2))}, "feature names"),
        ({"X": [[0.0], [np.nan], [0.0], [0.0]]}, "non-finite value at sample 1"),
        ({"y": np.array([0, 1, 0])}, "4 input rows but 3 targets"),
        ({"y": np.array([0.0, 1.0, 0.0, 1.0])}, "class indices"),
        ({"y": np.array([0, 1, 2, 1])}, "class index 2 at sample 2"),
        ({"target_names": ("only",)}, "at least 2 classes"),
        ({"task": "regression"}, "2-D array"),
    ],
)
def test_dataset_refuses_inconsistent_data(changes: dict, fragment: str) -> None:
    fields = {
        "name": "d",
        "X": np.zeros((4, 1)),
        "y": np.array([0, 1, 0, 1]),
        "task": "classification",
        "feature_names": ("x",),
        "target_names": ("a", "b"),
    }
    with pytest.raises(DataError, match=fragment):
        Dataset(**(fields | changes))


def test_subset_keeps_names_and_order() -> None:
    part = labelled().subset([5, 2])
    assert part.X[:, 0].tolist() == [5.0, 2.0] and part.y.tolist() == [2, 2]
    assert part.target_names == ("c0", "c1", "c2")


def test_split_sizes_are_disjoint_and_cover_everything() -> None:
    train, val = split(labelled(), 0.25, seed=1)
    rows = np.concatenate((train.X[:, 0], val.X[:, 0]))
    assert (train.n_samples, val.n_samples) == (75, 25)
    assert sorted(rows.tolist()) == list(range(100))


def test_split_is_seeded() -> None:
    first, second, other = (split(labelled(), 0.3, seed=s)[1].X[:, 0] for s in (5, 5, 6))
    assert np.array_equal(first, second) and not np.array_equal(first, other)


def test_split_is_stratified_for_classification() -> None:
    data = labelled(n=200, n_classes=4)
    for fraction in (0.1, 0.2, 0.5):
        train, val = split(data, fraction, seed=2)
        assert np.bincount(val.y, minlength=4).tolist() == [round(50 * fraction)] * 4
        assert np.bincount(train.y, minlength=4).tolist() == [round(50 * (1 - fraction))] * 4


def test_split_of_regression_and_an_empty_validation_set() -> None:
    train, val = split(sine(n_samples=50), 0.2, seed=0)
    assert (train.n_samples, val.n_samples) == (40, 10)
    train, val = split(labelled(), 0.0, seed=0)
    assert train.n_samples == 100
    assert val.X.shape == (0, 1) and val.y.shape == (0,) and val.n_classes == 3


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 0.999])
def test_split_refuses_fractions_that_leave_no_training_data(fraction: float) -> None:
    with pytest.raises(DataError, match="fraction"):
        split(labelled(), fraction, seed=0)


def test_standardizer_from_the_training_split() -> None:
    train, val = split(plane(n_samples=300), 0.2, seed=0)
    X = train.X * [3.0, 0.01] + [10.0, -5.0]
    scaler = Standardizer.fit(X)
    scaled = scaler.transform(X)
    assert np.allclose(scaled.mean(axis=0), 0.0) and np.allclose(scaled.std(axis=0), 1.0)
    assert scaler.transform(val.X * [3.0, 0.01] + [10.0, -5.0]).shape == val.X.shape


def test_standardizer_leaves_constant_columns_unscaled() -> None:
    X = np.column_stack((np.full(10, 0.1), np.arange(10.0)))
    scaler = Standardizer.fit(X)
    assert scaler.std[0] == 1.0
    assert np.allclose(scaler.transform(X)[:, 0], 0.0)


def test_standardizer_round_trips_through_json() -> None:
    scaler = Standardizer.fit(blobs().X)
    again = Standardizer.from_dict(json.loads(json.dumps(scaler.to_dict())))
    assert np.array_equal(again.mean, scaler.mean) and np.array_equal(again.std, scaler.std)


@pytest.mark.parametrize(
    "data",
    [{}, {"mean": [0.0]}, {"mean": [0.0], "std": [0.0]}, {"mean": [0.0, 1.0], "std": [1.0]}, ["x"]],
)
def test_standardizer_refuses_bad_dicts(data: object) -> None:
    with pytest.raises(DataError):
        Standardizer.from_dict(data)  # type: ignore[arg-type]


def test_standardizer_refuses_the_wrong_width_and_empty_data() -> None:
    with pytest.raises(DataError, match="fitted on 2 columns"):
        Standardizer.fit(blobs().X).transform(np.zeros((3, 4)))
    with pytest.raises(DataError, match="non-empty"):
        Standardizer.fit(np.zeros((0, 2)))
