"""A trainable array together with everything that must follow it through an edit.

When a neuron is removed, its row or column must leave the weights *and* their gradients, masks, frozen flags
and optimiser moments at once, or training silently resumes from misaligned state. Keeping all of them on one
object, edited by one method, makes that impossible to forget.

Between edits the arrays are views into the compiled network's flat buffers (see `engine.compile`), so an
optimiser updates every parameter with a few vector operations while the model still reads its own arrays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FIELDS = ("value", "grad", "delta", "mask", "frozen")


class Param:
    __slots__ = ("delta", "frozen", "grad", "mask", "state", "value")

    def __init__(self, value: np.ndarray, mask: np.ndarray | None = None):
        self.value = value
        self.grad = np.zeros_like(value)
        self.delta = np.zeros_like(value)
        self.mask = np.ones(value.shape, bool) if mask is None else mask.astype(bool)
        self.frozen = np.zeros(value.shape, bool)
        self.state: dict[str, np.ndarray] = {}

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array of the same shape as the value, by name (optimiser state as ``state:<name>``)."""
        out = {name: getattr(self, name) for name in FIELDS}
        out.update({f"state:{k}": v for k, v in self.state.items()})
        return out

    def _assign(self, arrays: dict[str, np.ndarray]) -> None:
        for name, arr in arrays.items():
            if name.startswith("state:"):
                self.state[name[6:]] = arr
            else:
                setattr(self, name, arr)

    def delete(self, axis: int, index: int) -> dict[str, np.ndarray]:
        """Remove one row/column from every array; returns the removed slices so `insert` can undo it."""
        removed = {}
        kept = {}
        for name, arr in self.arrays().items():
            removed[name] = np.take(arr, index, axis=axis).copy()
            kept[name] = np.delete(arr, index, axis=axis)
        self._assign(kept)
        return removed

    def insert(self, axis: int, index: int, slices: dict[str, np.ndarray]) -> None:
        """Insert one row/column into every array; missing slices (new optimiser state) are zeros."""
        new = {}
        for name, arr in self.arrays().items():
            piece = slices.get(name)
            if piece is None:
                piece = np.zeros(np.delete(arr.shape, axis), arr.dtype)
            new[name] = np.insert(arr, index, piece.astype(arr.dtype), axis=axis)
        self._assign(new)

    def astype(self, dtype: npt.DTypeLike) -> None:
        for name, arr in self.arrays().items():
            if arr.dtype != bool:
                self._assign({name: arr.astype(dtype)})
