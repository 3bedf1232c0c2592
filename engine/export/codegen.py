"""Helpers shared by the two exports that write Python source (the NumPy script and the PyTorch module).

Arrays are embedded as one base64 text of their raw little-endian bytes: a literal list per weight would make a
784-128-10 network's file slow to write and slow to import, while one base64 string is written in milliseconds
and decoded with `frombuffer` by NumPy and PyTorch alike.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import numpy as np

from ..datasets import FEATURES
from .spec import STANDARDIZE_MEAN, STANDARDIZE_STD, Graph, Link, Node

# the array library's name in the generated source -> how it stacks columns into a matrix
STACK = {"np": "np.stack([{}], axis=1)", "torch": "torch.stack([{}], dim=1)"}


def packed(arrays: dict[str, np.ndarray]) -> tuple[str, str]:
    """Source text of (a table of (name, dtype, shape) in packing order, the base64 data as a string literal).

    Callers pass float arrays before boolean ones, so every float starts at a multiple of its size.
    """
    little = {name: np.ascontiguousarray(a, a.dtype.newbyteorder("<")) for name, a in arrays.items()}
    rows = "".join(f"    ({name!r}, {a.dtype.name!r}, {a.shape!r}),\n" for name, a in little.items())
    data = base64.encodebytes(b"".join(a.tobytes() for a in little.values())).decode("ascii")
    return f"[\n{rows}]", f'"""\n{data}"""'


def featured(graph: Graph, x: str, lib: str) -> str:
    """The expression for the input features of the raw rows `x` (a name: it is repeated), with `lib`'s
    functions ("np" or "torch"); `x` itself when there are none."""
    if not graph.features:
        return x
    columns = []
    for name in graph.features:
        f = FEATURES[name]
        column = f"{x}[:, {f.column}]"
        column = f"{lib}.sin({column})" if f.function == "sin" else column
        columns.append(column if f.times is None else f"{column} * {x}[:, {f.times}]")
    return STACK[lib].format(", ".join(columns))


def transformed(graph: Graph, x: str, array: Callable[[str], str], lib: str) -> str:
    """The raw rows `x` (a name) taken through the input transform, features then standardisation, whose arrays
    the code reads as `array(name)`."""
    x = featured(graph, x, lib)
    if not graph.standardizes:
        return x
    return f"({x} - {array(STANDARDIZE_MEAN)}) / {array(STANDARDIZE_STD)}"


def transform_note(graph: Graph, where: str) -> str:
    """A docstring paragraph saying that the model takes raw rows, or nothing when it has no input transform."""
    steps = []
    if graph.features:
        steps.append(f"the input features {', '.join(graph.features)} of the raw x1, x2 (the columns of x)")
    if graph.standardizes:
        steps.append(f"(x - {STANDARDIZE_MEAN}) / {STANDARDIZE_STD}\n({where}), with the training split's "
                     "statistics")
    if not steps:
        return ""
    return f"\nInputs are raw rows, as in the data file: the model first computes {', then '.join(steps)}, " \
           "as Backprop Studio did.\n"


def forward_lines(graph: Graph, x: str, weight: Callable[[Link], str], bias: Callable[[str], str],
                  activation: Callable[[int, Node, str], str]) -> list[str]:
    """Lines computing every layer's h into a dict keyed by layer name, from the input expression `x`.

    Each pre-activation sums its connections in the engine's order and adds the bias last, as the engine does,
    so the generated code reproduces the engine's numbers to rounding. `activation(k, node, a)` wraps the
    pre-activation `a` of the k-th computed layer; `bias(name)` reads the bias array `name`.
    """
    lines = [f"h = {{{graph.input.name!r}: {x}}}"]
    for k, node in enumerate(graph.nodes[1:]):
        assert node.bias is not None  # every layer after the input has biases
        a = " + ".join([*(f"h[{link.source!r}] @ {weight(link)}" for link in node.inputs), bias(node.bias)])
        lines.append(f"h[{node.name!r}] = {activation(k, node, a)}")
    lines.append(f"return h[{graph.output.name!r}]")
    return lines


def indent(lines: list[str], depth: int) -> str:
    return "\n".join("    " * depth + line for line in lines)


def doc_text(text: str) -> str:
    """`text` escaped for a docstring: user-chosen layer names may hold quotes, backslashes or newlines."""
    return json.dumps(text, ensure_ascii=False)[1:-1]
