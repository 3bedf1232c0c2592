"""NumPy's floating-point warnings switched off around a call, cheaply enough to wrap every training step.

A diverging run overflows; the trainer finds and reports that itself (`Trainer._refuse_overflow`), so NumPy's
warnings would only be noise. `np.errstate` as a decorator builds its error state anew on every call: 1.1 µs, and
four times that inside a small net's training loop, a tenth of its step. NumPy ≥ 2 keeps the state in a context
variable, so `quiet` prepares the state once and only sets and resets the variable (0.15 µs). The same state as
`np.errstate(over=, invalid=, divide="ignore")`, through NumPy's own helpers; older NumPy gets `np.errstate`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import numpy as np

_P = ParamSpec("_P")
_R = TypeVar("_R")

try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj  # type: ignore[attr-defined]
except ImportError:  # NumPy 1.x
    _extobj_contextvar = None


def quiet(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """`func` with overflow, invalid values and division by zero ignored, as `np.errstate` would."""
    if _extobj_contextvar is None:
        return np.errstate(over="ignore", invalid="ignore", divide="ignore")(func)
    state = _make_extobj(over="ignore", invalid="ignore", divide="ignore")
    var = _extobj_contextvar

    @functools.wraps(func)
    def inner(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        token = var.set(state)
        try:
            return func(*args, **kwargs)
        finally:
            var.reset(token)

    return inner
