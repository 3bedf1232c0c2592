"""Weight initialisers (Glorot/Xavier, He/Kaiming, LeCun; uniform and normal), as in PyTorch's `nn.init`.

Fan-in and fan-out count only the weights that exist, so a sparse connection of a few drawn weights gets the
scale its neurons actually see.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .errors import GraphError

# name -> (which fan, gain², distribution)
_SCHEMES = {
    "glorot_uniform": ("avg", 1.0, "uniform"),
    "glorot_normal": ("avg", 1.0, "normal"),
    "he_uniform": ("in", 2.0, "uniform"),
    "he_normal": ("in", 2.0, "normal"),
    "lecun_uniform": ("in", 1.0, "uniform"),
    "lecun_normal": ("in", 1.0, "normal"),
}
INITIALIZERS = tuple(_SCHEMES)


def check_initializer(name: str) -> None:
    if name not in _SCHEMES:
        raise GraphError(f"unknown initialiser {name!r}; choose one of {', '.join(INITIALIZERS)}")


def initialize(name: str, mask: np.ndarray, rng: np.random.Generator, dtype: npt.DTypeLike = np.float64) -> np.ndarray:
    """Fresh values for a (source × target) weight matrix; entries outside `mask` are exactly 0."""
    check_initializer(name)
    fan, gain2, dist = _SCHEMES[name]
    n = max(int(mask.sum()), 1)
    fan_in = n / max(mask.shape[1], 1)
    fan_out = n / max(mask.shape[0], 1)
    variance = gain2 / ((fan_in + fan_out) / 2 if fan == "avg" else fan_in)
    std = np.sqrt(variance)
    if dist == "uniform":
        bound = np.sqrt(3.0) * std
        values = rng.uniform(-bound, bound, size=mask.shape)
    else:
        values = rng.normal(0.0, std, size=mask.shape)
    return np.where(mask, values, 0.0).astype(dtype)
