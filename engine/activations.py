"""Activation functions and their derivatives, vectorised over a whole batch.

Each derivative receives both the pre-activation `a` and the output `h = f(a)`: several derivatives are cheapest in
terms of `h` (sigmoid, tanh), the rest in terms of `a`. Formulas and constants follow PyTorch (LeakyReLU slope
0.01, ELU alpha 1, Softplus with its threshold of 20, GELU in its tanh form `approximate="tanh"`) so an exported
model computes the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import GraphError

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0
SOFTPLUS_THRESHOLD = 20.0
_GELU_C = float(np.sqrt(2.0 / np.pi))  # a Python float: a NumPy float64 scalar would promote float32 layers


@dataclass(frozen=True)
class Activation:
    name: str
    label: str
    forward: Callable[[np.ndarray], np.ndarray]
    # derivative(a, h) -> f'(a), elementwise; None for softmax, whose Jacobian is not diagonal.
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
    output_only: bool = False


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # σ(a) = exp(−log(1 + e^−a)): never overflows, keeps full relative precision far into the negative side
    # (where (1 + tanh(a/2))/2 rounds to 0), and is three ufunc calls instead of the two-branch form's six.
    h: np.ndarray = np.logaddexp(0.0, -a)
    np.negative(h, out=h)
    np.exp(h, out=h)
    return h


def _softplus(a: np.ndarray) -> np.ndarray:
    return np.where(a > SOFTPLUS_THRESHOLD, a, np.logaddexp(0.0, a))


def _gelu_inner(a: np.ndarray) -> np.ndarray:
    return _GELU_C * (a + 0.044715 * a**3)


def _gelu(a: np.ndarray) -> np.ndarray:
    h: np.ndarray = 0.5 * a * (1.0 + np.tanh(_gelu_inner(a)))
    return h


def _gelu_derivative(a: np.ndarray, h: np.ndarray) -> np.ndarray:
    t = np.tanh(_gelu_inner(a))
    d: np.ndarray = 0.5 * (1.0 + t) + 0.5 * a * (1.0 - t * t) * _GELU_C * (1.0 + 3 * 0.044715 * a * a)
    return d


def softmax(a: np.ndarray) -> np.ndarray:
    z = a - a.max(axis=-1, keepdims=True)
    e = np.exp(z)
    h: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return h


def softmax_backward(h: np.ndarray, dh: np.ndarray) -> np.ndarray:
    """dL/da from dL/dh for softmax: J^T dh = h * (dh - <dh, h>), row by row."""
    da: np.ndarray = h * (dh - (dh * h).sum(axis=-1, keepdims=True))
    return da


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("identity", "Identity", lambda a: a, lambda a, h: np.ones_like(a)),
        Activation("sigmoid", "Sigmoid", _sigmoid, lambda a, h: h * (1.0 - h)),
        Activation("tanh", "Tanh", np.tanh, lambda a, h: 1.0 - h * h),
        Activation("relu", "ReLU", lambda a: np.maximum(a, 0.0), lambda a, h: (a > 0).astype(a.dtype)),
        Activation(
            "leaky_relu",
            "Leaky ReLU",
            lambda a: np.where(a > 0, a, LEAKY_SLOPE * a),
            lambda a, h: np.where(a > 0, 1.0, LEAKY_SLOPE).astype(a.dtype),
        ),
        Activation(
            "elu",
            "ELU",
            lambda a: np.where(a > 0, a, ELU_ALPHA * np.expm1(np.minimum(a, 0.0))),
            lambda a, h: np.where(a > 0, 1.0, h + ELU_ALPHA).astype(a.dtype),
        ),
        Activation(
            "softplus",
            "Softplus",
            _softplus,
            lambda a, h: np.where(a > SOFTPLUS_THRESHOLD, 1.0, _sigmoid(a)).astype(a.dtype),
        ),
        Activation("silu", "SiLU / Swish", lambda a: a * _sigmoid(a), lambda a, h: _silu_derivative(a)),
        Activation("gelu", "GELU (tanh)", _gelu, _gelu_derivative),
        # the element-wise functions of the lecture notes' scalar chain (x → x² → e^x → 1/x) and two more: log and
        # 1/x are defined only for a > 0 and a ≠ 0, and give NaN or ±inf outside, as in PyTorch
        Activation("square", "Square (x²)", lambda a: a * a, lambda a, h: 2.0 * a),
        Activation("exp", "Exp (eˣ)", np.exp, lambda a, h: h),
        Activation("reciprocal", "Reciprocal (1/x)", lambda a: 1.0 / a, lambda a, h: -(h * h)),
        Activation("log", "Log (ln x)", np.log, lambda a, h: 1.0 / a),
        Activation("sin", "Sine", np.sin, lambda a, h: np.cos(a)),
        Activation("softmax", "Softmax", softmax, None, output_only=True),
    )
}


def _silu_derivative(a: np.ndarray) -> np.ndarray:
    s = _sigmoid(a)
    return s * (1.0 + a * (1.0 - s))


def get_activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise GraphError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None
