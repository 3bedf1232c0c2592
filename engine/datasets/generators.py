"""Seeded toy problems, each chosen to show one thing a network can or cannot learn.

Inputs stay within a few units of 0 so small nets with default settings train on them without standardising.
Every generator is a plain function of keyword arguments with defaults; `GENERATOR_PARAMS` is read off the
signatures, so the GUI builds its forms from the same source the code runs and the two cannot drift apart.
`noise` is the std of Gaussian noise added to the inputs (classification) or to the target (regression).
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable

import numpy as np

from engine.datasets.dataset import Dataset
from engine.errors import DataError

_XY = ("x1", "x2")


def _integer(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise DataError(f"{name} must be an integer of at least {minimum}, got {value!r}")
    return int(value)


def _real(name: str, value: object, low: float = -math.inf, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise DataError(f"{name} must be a finite number, got {value!r}")
    number = float(value)
    if not low <= number <= high:
        allowed = f"at least {low}" if high == math.inf else f"from {low} to {high}"
        raise DataError(f"{name} must be {allowed}, got {value!r}")
    return number


def _start(
    n_samples: int, noise: float, seed: int, min_samples: int = 2
) -> tuple[int, float, np.random.Generator]:
    """Checks the parameters every generator shares, because the GUI passes them straight from a form."""
    n = _integer("n_samples", n_samples, min_samples)
    return n, _real("noise", noise, low=0.0), np.random.default_rng(_integer("seed", seed, 0))


def _balanced_labels(n: int, n_classes: int) -> np.ndarray:
    """Class indices with class sizes differing by at most one, so accuracy is never fooled by imbalance."""
    sizes = np.full(n_classes, n // n_classes) + (np.arange(n_classes) < n % n_classes)
    return np.repeat(np.arange(n_classes), sizes)


def _classification(
    name: str,
    X: np.ndarray,
    labels: np.ndarray,
    noise: float,
    rng: np.random.Generator,
    classes: tuple[str, ...],
) -> Dataset:
    X = X + rng.normal(0.0, noise, X.shape)
    return Dataset(name, X, labels, "classification", _XY, classes)


def _on_circle(angles: np.ndarray, radii: np.ndarray | float = 1.0) -> np.ndarray:
    points: np.ndarray = np.column_stack((np.cos(angles), np.sin(angles))) * np.reshape(radii, (-1, 1))
    return points


def xor(*, n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Four quadrants, opposite ones alike: the classic problem no single neuron can solve."""
    n, noise, rng = _start(n_samples, noise, seed)
    labels = _balanced_labels(n, 2)
    first = rng.choice([-1.0, 1.0], n)
    signs = np.column_stack((first, np.where(labels == 1, -first, first)))
    # Magnitudes from 0.1 keep the points off the axes, so the quadrants are visible before noise.
    return _classification("xor", signs * rng.uniform(0.1, 1.0, (n, 2)), labels, noise, rng, ("0", "1"))


def circles(*, n_samples: int = 300, noise: float = 0.05, seed: int = 0, factor: float = 0.5) -> Dataset:
    """Two concentric circles, the inner one of radius `factor`: separable only by a curved boundary."""
    n, noise, rng = _start(n_samples, noise, seed)
    factor = _real("factor", factor, 0.05, 0.95)
    labels = _balanced_labels(n, 2)
    X = _on_circle(rng.uniform(0.0, 2 * np.pi, n), np.where(labels == 0, 1.0, factor))
    return _classification("circles", X, labels, noise, rng, ("outer", "inner"))


def moons(*, n_samples: int = 300, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaved half circles, centred on 0."""
    n, noise, rng = _start(n_samples, noise, seed)
    labels = _balanced_labels(n, 2)
    upper = _on_circle(rng.uniform(0.0, np.pi, n))
    X = np.where(labels[:, None] == 0, upper, [1.0, 0.5] - upper) - [0.5, 0.25]
    return _classification("moons", X, labels, noise, rng, ("upper", "lower"))


def spiral(*, n_samples: int = 300, noise: float = 0.05, seed: int = 0, n_classes: int = 3) -> Dataset:
    """`n_classes` arms winding once around the origin: needs several hidden layers or many units."""
    n_classes = _integer("n_classes", n_classes, 2)
    n, noise, rng = _start(n_samples, noise, seed, min_samples=n_classes)
    labels = _balanced_labels(n, n_classes)
    along = rng.uniform(0.0, 1.0, n)  # 0 at the centre, 1 at the tip of the arm
    angles = 2 * np.pi * (along + labels / n_classes)
    X = _on_circle(angles, 0.1 + 0.9 * along)
    return _classification("spiral", X, labels, noise, rng, tuple(f"arm {k + 1}" for k in range(n_classes)))


def blobs(*, n_samples: int = 300, noise: float = 0.2, seed: int = 0, n_classes: int = 3) -> Dataset:
    """Gaussian clouds centred on the unit circle: the easy case, separable by straight lines."""
    n_classes = _integer("n_classes", n_classes, 2)
    n, noise, rng = _start(n_samples, noise, seed, min_samples=n_classes)
    labels = _balanced_labels(n, n_classes)
    X = _on_circle(2 * np.pi * labels / n_classes)
    return _classification("blobs", X, labels, noise, rng, tuple(f"blob {k + 1}" for k in range(n_classes)))


def linear(*, n_samples: int = 200, noise: float = 0.0, seed: int = 0, margin: float = 0.1) -> Dataset:
    """Two classes on either side of a random line, at least `margin` from it: one neuron is enough.

    With `noise` 0 the classes are linearly separable; noise can push points across the line.
    """
    n, noise, rng = _start(n_samples, noise, seed)
    margin = _real("margin", margin, 0.0, 1.0)
    labels = _balanced_labels(n, 2)
    normal = _on_circle(rng.uniform(0.0, 2 * np.pi, 1))[0]
    along = rng.uniform(-1.0, 1.0, n)
    across = np.where(labels == 1, 1.0, -1.0) * rng.uniform(margin, margin + 1.0, n)
    X = np.outer(along, [-normal[1], normal[0]]) + np.outer(across, normal) + rng.uniform(-0.25, 0.25, 2)
    return _classification("linear", X, labels, noise, rng, ("below", "above"))


def sine(*, n_samples: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """y = sin(x) on [-π, π]: the smallest regression that needs a hidden layer."""
    n, noise, rng = _start(n_samples, noise, seed)
    x = rng.uniform(-np.pi, np.pi, (n, 1))
    return Dataset("sine", x, np.sin(x) + rng.normal(0.0, noise, (n, 1)), "regression", ("x",), ("y",))


def plane(
    *,
    n_samples: int = 200,
    noise: float = 0.1,
    seed: int = 0,
    a: float = 1.0,
    b: float = -0.5,
    c: float = 0.25,
) -> Dataset:
    """y = a·x1 + b·x2 + c: a linear regression a network without hidden layers solves exactly."""
    n, noise, rng = _start(n_samples, noise, seed)
    weights = np.array([_real("a", a), _real("b", b)])
    X = rng.uniform(-1.0, 1.0, (n, 2))
    y = X @ weights + _real("c", c) + rng.normal(0.0, noise, n)
    return Dataset("plane", X, y[:, None], "regression", _XY, ("y",))


GENERATORS: dict[str, Callable[..., Dataset]] = {
    f.__name__: f for f in (xor, circles, moons, spiral, blobs, linear, sine, plane)
}

GENERATOR_PARAMS: dict[str, dict[str, int | float]] = {
    name: {p.name: p.default for p in inspect.signature(f).parameters.values()}
    for name, f in GENERATORS.items()
}


def generate(name: str, **params: int | float) -> Dataset:
    """Runs a generator by name, as the GUI and project files refer to them."""
    if name not in GENERATORS:
        raise DataError(f"unknown data set generator {name!r}; the generators are: {', '.join(GENERATORS)}")
    unknown = sorted(set(params) - set(GENERATOR_PARAMS[name]))
    if unknown:
        raise DataError(
            f"{name} has no parameter {', '.join(map(repr, unknown))}; its parameters are: "
            f"{', '.join(GENERATOR_PARAMS[name])}"
        )
    return GENERATORS[name](**params)
