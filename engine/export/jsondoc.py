"""The network as a readable JSON document: the graph and every weight, one matrix row per line.

Numbers are written with Python's shortest round-trip repr, so reading the document back gives the exact
weights. Cut and frozen weights are listed as [i, j] pairs rather than as boolean matrices, which keeps a dense
network's document free of thousands of ``true``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .spec import FORMAT_VERSION, Graph


def json_document(graph: Graph) -> dict[str, Any]:
    arrays = graph.arrays
    layers = []
    for n in graph.nodes:
        entry = {"name": n.name, "kind": n.kind, "size": n.size, "activation": n.activation}
        if n.bias is not None and n.bias_frozen is not None:  # every layer but the input
            entry.update(bias=arrays[n.bias].tolist(), frozen=_pairs(arrays[n.bias_frozen]))
        layers.append(entry)
    connections = [
        {"source": link.source, "target": link.target, "shape": list(arrays[link.weight].shape),
         "weight": arrays[link.weight].tolist(), "cut": _pairs(~arrays[link.mask]),
         "frozen": _pairs(arrays[link.frozen])}
        for link in graph.links
    ]
    return {"format": "backprop-studio-network", "version": FORMAT_VERSION, "dtype": graph.dtype.name,
            "input": graph.input.name, "output": graph.output.name, "layers": layers, "connections": connections,
            "input_transform": graph.transform_steps(lambda name: arrays[name].tolist())}


def json_bytes(graph: Graph) -> bytes:
    return (_render(json_document(graph), 0) + "\n").encode()


def _pairs(flags: np.ndarray) -> list[Any]:
    """Indices where `flags` is set: [[i, j], ...] for a matrix, [j, ...] for a vector."""
    found = np.argwhere(flags)
    return found.tolist() if flags.ndim > 1 else found.ravel().tolist()


def _render(value: object, depth: int) -> str:
    """JSON with containers of containers indented and flat lists (a matrix row, a bias vector) on one line."""
    if isinstance(value, dict) and value:
        items = [f"{json.dumps(k, ensure_ascii=False)}: {_render(v, depth + 1)}" for k, v in value.items()]
    elif isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value):
        items = [_render(v, depth + 1) for v in value]
    else:
        return json.dumps(value, ensure_ascii=False)
    inner, outer = "  " * (depth + 1), "  " * depth
    brackets = "{}" if isinstance(value, dict) else "[]"
    return brackets[0] + "\n" + ",\n".join(inner + item for item in items) + "\n" + outer + brackets[1]
