"""Export trained networks (NumPy archive, JSON, ONNX, PyTorch source, standalone NumPy script) and load weights
back from the archive. docs/export.md describes every format and how to load it elsewhere.

Every format is written from one description of the network (`spec.describe`) and computes the output layer's h,
after its activation (softmax included), exactly as `compiled(network).predict(transform.apply(x))` does: given
the project's input transform, an exported model takes raw rows, as they are in the CSV or come from a generator.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..datasets import InputTransform
from ..errors import ExportError
from ..graph.model import Network
from .jsondoc import json_bytes
from .npz import import_npz, npz_bytes
from .numpy_script import numpy_script
from .spec import Graph, describe
from .torch_module import torch_source

# key -> (description for a file dialog, file suffix); a Qt filter is f"{description} (*{suffix})"
FORMATS: dict[str, tuple[str, str]] = {
    "npz": ("NumPy weights archive", ".npz"),
    "json": ("JSON document with the graph and weights", ".json"),
    "onnx": ("ONNX model", ".onnx"),
    "torch": ("PyTorch module (Python source)", ".py"),
    "numpy": ("Standalone NumPy predict script", ".py"),
}


def _onnx_bytes(graph: Graph) -> bytes:
    from .onnx_model import onnx_bytes  # importing onnx takes ~1.7 s: only an ONNX export pays for it

    return onnx_bytes(graph)


_WRITERS: dict[str, Callable[[Graph], bytes]] = {
    "npz": npz_bytes,
    "json": json_bytes,
    "onnx": _onnx_bytes,
    "torch": torch_source,
    "numpy": numpy_script,
}


def export_network(network: Network, path: str | Path, fmt: str, transform: InputTransform | None = None) -> None:
    """Write `network` to `path` in format `fmt` (a key of FORMATS), replacing the file only once it is complete.

    `transform` is what the app does to raw rows before the network sees them (`DataSpec.input_transform`); the
    export applies it too. Without it, the exported model expects the network's inputs as they are.
    """
    if fmt not in _WRITERS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    data = _WRITERS[fmt](describe(network, transform))
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")  # a crash mid-write must not leave a truncated export
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ExportError(f"{path}: cannot write the file ({exc.strerror or exc})") from None


__all__ = ["FORMATS", "ExportError", "InputTransform", "export_network", "import_npz"]
