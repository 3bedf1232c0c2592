"""Weights as a NumPy ``.npz`` archive, and loading them back into a network of the same structure.

Loading checks the whole file before it changes anything, so a bad file never leaves a half-loaded network.
Values are written into the parameters' existing arrays (which compiled networks view), and the frozen flags go
through `Network.assign`, which also tells compiled plans and views that masks or flags changed.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import ExportError
from ..graph.model import Network
from .spec import STANDARDIZE_MEAN, STANDARDIZE_STD, Graph, named_params

META = "__meta__"


def npz_bytes(graph: Graph) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **graph.arrays, **{META: np.array(json.dumps(graph.meta()))})
    return buffer.getvalue()


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an archive, read eagerly so a corrupt member fails here and not halfway through a load."""
    try:
        # np.load is given an open file because, given a path, it leaks the handle when the zip is corrupt
        with open(path, "rb") as f:
            if f.read(2) != b"PK":  # every zip starts so; np.load would take anything else for a pickle
                raise ExportError(f"{path}: not an .npz archive")
            f.seek(0)
            with np.load(f, allow_pickle=False) as archive:
                return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise ExportError(f"{path}: cannot read the weights file ({reason})") from None


def import_npz(network: Network, path: str | Path) -> None:
    """Load weights, biases, masks and frozen flags saved by `export_network(..., "npz")`.

    The network must have the same layer names and sizes and the same connections; any missing, extra or
    misshapen array raises `ExportError` naming it, and the network is left untouched. The input transform's
    arrays are not the network's: the project's data settings decide its transform.
    """
    arrays = read_npz(path)
    for name in (META, STANDARDIZE_MEAN, STANDARDIZE_STD):
        arrays.pop(name, None)
    named = named_params(network)
    missing = [name for name in named if name not in arrays]
    if missing:
        raise ExportError(f"{path}: array {missing[0]!r} is missing (the network expects it)")
    extra = [name for name in arrays if name not in named]
    if extra:
        raise ExportError(f"{path}: array {extra[0]!r} does not match any layer or connection of the network")
    groups: dict[tuple[str, int], dict[str, tuple[str, np.ndarray]]] = {}
    for name, (key, param, field) in named.items():
        array = _checked(path, name, arrays[name], param.shape, field, network.dtype)
        groups.setdefault(key, {})[field] = (name, array)
    for fields in groups.values():
        if "mask" in fields:
            _check_cut_zero(path, *fields["value"], fields["mask"][1])
    _apply(network, {key: {field: array for field, (_, array) in fields.items()} for key, fields in groups.items()})


def _checked(path: str | Path, name: str, array: np.ndarray, shape: tuple[int, ...], field: str,
             dtype: np.dtype) -> np.ndarray:
    if array.shape != shape:
        raise ExportError(f"{path}: array {name!r} has shape {array.shape}, the network needs {shape}")
    if field == "value":
        if array.dtype.kind not in "fiu":
            raise ExportError(f"{path}: array {name!r} holds {array.dtype} values, not numbers")
        if not np.isfinite(array).all():
            raise ExportError(f"{path}: array {name!r} holds NaN or infinite values")
        return array.astype(dtype)
    if array.dtype != bool:
        raise ExportError(f"{path}: array {name!r} must hold booleans, not {array.dtype}")
    return array


def _check_cut_zero(path: str | Path, name: str, value: np.ndarray, mask: np.ndarray) -> None:
    """A cut weight is exactly 0 everywhere in the engine; a file breaking that would change the model silently."""
    stray = np.argwhere(~mask & (value != 0))
    if len(stray):
        i, j = stray[0]
        raise ExportError(f"{path}: array {name!r} has {value[i, j]} at [{i}, {j}], a weight its mask cuts")


def _apply(network: Network, params: dict[tuple[str, int], dict[str, np.ndarray]]) -> None:
    network.assign({key: (f["value"], f.get("mask"), f["frozen"]) for key, f in params.items()})
