"""What a run leaves behind, in memory that stays bounded however long it runs.

Every series is a ring buffer of `capacity` rows: the per-step loss, the per-epoch metrics, the norm of dL/dW
per parameter array, and (step, w, dL/dw, Δw) for each *watched* weight; plus the last `snapshots_kept` copies of
all parameters, taken every `snapshot_every` steps. The bound is stated in docs/engine.md.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .refs import ParamKey, ParamRef

if TYPE_CHECKING:
    from .compile import Compiled

EPOCH_COLUMNS = ("epoch", "step", "train_loss", "train_metric", "val_loss", "val_metric")


class Ring:
    """Fixed-capacity rows of floats; `data()` returns them oldest first."""

    def __init__(self, capacity: int, width: int):
        self.buf = np.full((capacity, width), np.nan)
        self.count = 0  # rows ever appended

    def append(self, row: npt.ArrayLike) -> None:
        self.next_row()[:] = row

    def next_row(self) -> np.ndarray:
        """The row to fill next, as a view: the hot path writes into it instead of building a row to copy."""
        row: np.ndarray = self.buf[self.count % len(self.buf)]
        self.count += 1
        return row

    def data(self, columns: list[int] | None = None) -> np.ndarray:
        """A copy of the rows, of only `columns` if given (copying a wide ring whole to read a few columns cost
        0.5 ms per read at 20,000 rows)."""
        cols = slice(None) if columns is None else columns
        cap = len(self.buf)
        if self.count <= cap:
            return self.buf[: self.count, cols].copy()
        start = self.count % cap
        return np.concatenate([self.buf[start:, cols], self.buf[:start, cols]])

    def clear(self) -> None:
        self.count = 0


@dataclass
class Snapshot:
    step: int
    values: dict[ParamKey, np.ndarray]


class History:
    def __init__(self, capacity: int = 20_000, snapshot_every: int = 500, snapshots_kept: int = 20):
        self.capacity = capacity
        self.snapshot_every = snapshot_every
        self.losses = Ring(capacity, 2)  # step, batch loss (the data loss: the L1/L2 penalty is not in it)
        self.penalties = Ring(capacity, 2)  # step, the weights' penalty (engine.regularization), on steps that had one
        self.epochs = Ring(capacity, len(EPOCH_COLUMNS))
        self.snapshots: deque[Snapshot] = deque(maxlen=snapshots_kept)
        self.watched: list[ParamRef] = []
        self._watch_ring = Ring(capacity, 1)
        self._norm_keys: list[ParamKey] = []
        self._norm_ring = Ring(capacity, 1)
        self._squares = np.zeros(0)

    # ------------------------------------------------------------ watching
    def watch(self, ref: ParamRef) -> None:
        if ref not in self.watched:
            self._rewatch([*self.watched, ref])

    def unwatch(self, ref: ParamRef) -> None:
        if ref in self.watched:
            self._rewatch([r for r in self.watched if r != ref])

    def _rewatch(self, refs: list[ParamRef]) -> None:
        """Re-lay the watch ring for a new set of weights, keeping the series of those still watched."""
        old = self._watch_ring.data()
        ring = Ring(self.capacity, 1 + 3 * len(refs))
        for row in old:
            new = np.full(1 + 3 * len(refs), np.nan)
            new[0] = row[0]
            for k, ref in enumerate(refs):
                if ref in self.watched:
                    j = self.watched.index(ref)
                    new[1 + 3 * k : 4 + 3 * k] = row[1 + 3 * j : 4 + 3 * j]
            ring.append(new)
        self.watched = refs
        self._watch_ring = ring

    def weight_series(self, ref: ParamRef) -> np.ndarray:
        """(n, 4) rows of step, w, dL/dw, Δw for one watched weight (rows from before it was watched dropped)."""
        k = self.watched.index(ref)
        rows = self._watch_ring.data([0, 1 + 3 * k, 2 + 3 * k, 3 + 3 * k])
        missing = np.isnan(rows[:, 1])
        return rows[~missing] if missing.any() else rows  # the filter costs 25× the test

    # ------------------------------------------------------------ norms
    def grad_norms(self) -> tuple[list[ParamKey], np.ndarray]:
        """Parameter keys and an (n, 1 + len(keys)) array of step and ‖dL/dW‖ per key, since the last restructure."""
        norms = self._norm_ring.data()
        np.sqrt(norms[:, 1:], out=norms[:, 1:])  # recorded squared: the square root is paid on reading only
        return list(self._norm_keys), norms

    # ------------------------------------------------------------ recording (the trainer calls these)
    def record_step(self, step: int, loss: float, compiled: Compiled, watch_index: np.ndarray) -> None:
        """`watch_index`: `compiled.watch_index(self.watched)`, kept by the caller (building it costs more than
        the rest of this)."""
        row = self.losses.next_row()  # two scalar writes: appending a tuple converts it to an array first
        row[0] = step
        row[1] = loss
        if self.watched:
            row = self._watch_ring.next_row()
            row[0] = step
            row[1:] = compiled.buffers[watch_index]
        if compiled.keys != self._norm_keys:
            self._norm_keys = list(compiled.keys)
            self._norm_ring = Ring(self.capacity, 1 + len(self._norm_keys))
        g = compiled.grad
        row = self._norm_ring.next_row()
        row[0] = step
        if g.size:
            if self._squares.shape != g.shape or self._squares.dtype != g.dtype:
                self._squares = np.empty_like(g)  # kept: a 1M-weight net would otherwise allocate 8 MB a step
            np.add.reduceat(np.multiply(g, g, out=self._squares), compiled.starts, out=row[1:])
        if step % self.snapshot_every == 0:
            self.snapshots.append(
                Snapshot(step, {key: compiled.value[sl].copy() for key, sl in compiled.slices.items()})
            )

    def record_epoch(self, row: tuple[float, ...]) -> None:
        self.epochs.append(row)

    def clear(self) -> None:
        """Forget the run (Reset weights starts a new curve); watched weights stay watched."""
        for ring in (self.losses, self.penalties, self.epochs, self._watch_ring, self._norm_ring):
            ring.clear()
        self.snapshots.clear()

    def truncate(self, step: int) -> None:
        """Forget what was recorded after `step`: continue-from-here goes back to that step and trains on."""
        for ring, column in ((self.losses, 0), (self.penalties, 0), (self.epochs, 1), (self._watch_ring, 0),
                             (self._norm_ring, 0)):
            rows = ring.data()
            kept = rows[rows[:, column] <= step]
            ring.buf[: len(kept)] = kept
            ring.count = len(kept)
        kept_snapshots = [s for s in self.snapshots if s.step <= step]
        self.snapshots.clear()
        self.snapshots.extend(kept_snapshots)

    def memory_bound(self, n_params: int) -> int:
        """Upper bound in bytes of everything recorded, for a network of `n_params` parameters."""
        rows = 8 * self.capacity
        per_row = 2 + 2 + len(EPOCH_COLUMNS) + 1 + 3 * len(self.watched) + 1 + len(self._norm_keys)
        return rows * per_row + 8 * n_params * (self.snapshots.maxlen or 0)
