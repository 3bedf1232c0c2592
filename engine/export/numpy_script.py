"""A standalone Python script that needs only NumPy: the weights embedded, `predict(x)`, and a command line that
reads a CSV of inputs and prints one row of outputs per input row.

The activations are written out with the engine's constants (engine/activations.py, PyTorch's definitions) in
forms that keep full relative precision, such as the two-branch sigmoid, so the script matches the engine to
rounding; the tests compare every activation, which keeps the two from drifting.
"""

from __future__ import annotations

from string import Template

from ..activations import ELU_ALPHA, LEAKY_SLOPE, SOFTPLUS_THRESHOLD
from ..errors import ExportError
from .codegen import doc_text, forward_lines, indent, packed, transform_note, transformed
from .spec import GELU_C, GELU_CUBIC, Graph

# activation name -> its definition
ACTIVATION_SOURCE: dict[str, str] = {
    "identity": "def identity(a):\n    return a\n",
    "sigmoid": ("def sigmoid(a):\n    e = np.exp(-np.abs(a))  # exp of a non-positive number only: no overflow\n"
                "    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))\n"),
    "tanh": "def tanh(a):\n    return np.tanh(a)\n",
    "relu": "def relu(a):\n    return np.maximum(a, 0.0)\n",
    "leaky_relu": f"def leaky_relu(a):\n    return np.where(a > 0, a, {LEAKY_SLOPE!r} * a)\n",
    "elu": f"def elu(a):\n    return np.where(a > 0, a, {ELU_ALPHA!r} * np.expm1(np.minimum(a, 0.0)))\n",
    "softplus": f"def softplus(a):\n    return np.where(a > {SOFTPLUS_THRESHOLD!r}, a, np.logaddexp(0.0, a))\n",
    "silu": "def silu(a):\n    return a * sigmoid(a)\n",
    "gelu": f"def gelu(a):\n    return 0.5 * a * (1.0 + np.tanh({GELU_C!r} * (a + {GELU_CUBIC!r} * a**3)))\n",
    "square": "def square(a):\n    return a * a\n",
    "exp": "def exp(a):\n    return np.exp(a)\n",
    "reciprocal": "def reciprocal(a):\n    return 1.0 / a\n",
    "log": "def log(a):\n    return np.log(a)\n",
    "sin": "def sin(a):\n    return np.sin(a)\n",
    "softmax": ("def softmax(a):\n    e = np.exp(a - a.max(axis=-1, keepdims=True))\n"
                "    return e / e.sum(axis=-1, keepdims=True)\n"),
}

_NEEDS = {"silu": ("sigmoid", "silu")}  # definitions an activation calls, before its own

_TEMPLATE = Template('''\
"""Neural network exported from Backprop Studio: $summary

Needs only NumPy. In Python: `from this_module import predict; y = predict(x)` with x of shape (n, $n_in).
From a shell: `python <this file> inputs.csv` prints one comma-separated row of $n_out outputs per input row
(the CSV holds $n_in numbers per row; a header line is skipped).
Weights follow Backprop Studio's convention: W__<source>__<target> has shape (source size, target size) and
a layer computes act(sum of h_source @ W + b). They are embedded below as base64 of the raw arrays.
$transform"""

import base64
import math
import sys

import numpy as np

DTYPE = np.$dtype
INPUT_SIZE = $n_in
# (name, dtype, shape) in the order the arrays are packed in _DATA
_ARRAYS = $table
_DATA = $data


def _unpack():
    raw = base64.b64decode(_DATA)
    arrays, offset = {}, 0
    for name, dtype, shape in _ARRAYS:
        dtype = np.dtype(dtype).newbyteorder("<")
        count = math.prod(shape)
        arrays[name] = np.frombuffer(raw, dtype, count, offset).reshape(shape).astype(dtype.newbyteorder("="))
        offset += count * dtype.itemsize
    return arrays


P = _unpack()


$activations

def predict(x):
    """The output layer's activations for inputs x of shape (n, $n_in)."""
$body


def _read_csv(path):
    with open(path) as f:
        lines = [line for line in f if line.strip()]
    if lines:
        try:
            [float(v) for v in lines[0].split(",")]
        except ValueError:
            lines = lines[1:]  # a header
    if not lines:
        raise ValueError(f"{path}: no rows of numbers")
    return np.loadtxt(lines, delimiter=",", ndmin=2, dtype=DTYPE)


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: python {sys.argv[0]} INPUTS.csv", file=sys.stderr)
        return 2
    try:
        x = _read_csv(args[0])
    except (OSError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if x.shape[1] != INPUT_SIZE:
        print(f"{args[0]}: rows have {x.shape[1]} columns, the network takes {INPUT_SIZE}", file=sys.stderr)
        return 1
    np.savetxt(sys.stdout, predict(x), delimiter=",", fmt="%.17g")
    return 0


if __name__ == "__main__":
    sys.exit(main())
''')


def numpy_script(graph: Graph) -> bytes:
    used = [node.activation for node in graph.nodes[1:]]
    missing = [name for name in used if name not in ACTIVATION_SOURCE]
    if missing:
        raise ExportError(f"the {missing[0]} activation has no NumPy export yet")
    defs = dict.fromkeys(d for name in used for d in _NEEDS.get(name, (name,)))
    weights = {name: a for name, a in graph.arrays.items() if name.startswith(("W__", "b__"))}
    table, data = packed({**graph.transform_arrays(), **weights})
    x = transformed(graph, "x", lambda name: f"P[{name!r}]", "np")
    body = ["x = np.asarray(x, DTYPE)",
            *forward_lines(graph, x, lambda link: f"P[{link.weight!r}]", lambda name: f"P[{name!r}]",
                           lambda k, node, a: f"{node.activation}({a})")]
    text = _TEMPLATE.substitute(
        summary=doc_text(graph.summary()), n_in=graph.n_raw, n_out=graph.output.size, dtype=graph.dtype.name,
        transform=transform_note(graph, "arrays P[...]"), table=table, data=data,
        activations="\n\n".join(ACTIVATION_SOURCE[d] for d in defs), body=indent(body, 1),
    )
    return text.encode()
