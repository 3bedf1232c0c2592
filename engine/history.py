"""What a run leaves behind, in memory that stays bounded however long it runs.

Every series is a ring buffer of `capacity` rows: the per-step loss, the per-epoch metrics, the norm of dL/dW
per parameter array, and (step, w, dL/dw, Δw) for each *watched* weight; plus the last `snapshots_kept` copies of
all parameters, taken every `snapshot_every` steps. The bound is stated in docs/engine.md.
"""

from __future__ import annotations

import weakref
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .refs import ParamKey, ParamRef

if TYPE_CHECKING:
    from .compile import Compiled

EPOCH_COLUMNS = ("epoch", "step", "train_loss", "train_metric", "val_loss", "val_metric")
PENDING_BYTES = 1 << 18  # squared gradients of steps whose norms are reduced together (see `History.record_step`)


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

    def extend(self, rows: np.ndarray) -> None:
        """`append` for each row in turn, in at most two copies."""
        cap = len(self.buf)
        skipped = max(0, len(rows) - cap)  # rows a full turn of the ring would overwrite anyway
        rows, self.count = rows[skipped:], self.count + skipped
        start = self.count % cap
        first = min(len(rows), cap - start)
        self.buf[start : start + first] = rows[:first]
        self.buf[: len(rows) - first] = rows[first:]
        self.count += len(rows)

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
        self._losses = Ring(capacity, 2)  # step, batch loss (the data loss: the L1/L2 penalty is not in it)
        self.penalties = Ring(capacity, 2)  # step, the weights' penalty (engine.regularization), on steps that had one
        self.epochs = Ring(capacity, len(EPOCH_COLUMNS))
        self.snapshots: deque[Snapshot] = deque(maxlen=snapshots_kept)
        self.watched: list[ParamRef] = []
        self._watch_ring = Ring(capacity, 1)
        self._norm_keys: list[ParamKey] = []
        self._norm_ring = Ring(capacity, 1)
        # steps recorded but not yet in `_losses` and `_norm_ring` (see `record_step`): (step, loss) and the squares
        # of their gradients, a row each, under the plan `_plan` (weak: a copy of the history must not copy the
        # network) whose parameter arrays begin at `_starts`
        self._pending: list[tuple[int, float]] = []
        self._squares = np.zeros((1, 0))
        self._plan: weakref.ref[Compiled] | None = None
        self._starts = np.zeros(0, np.int64)

    @property
    def losses(self) -> Ring:
        """(step, batch loss) rows."""
        self._flush()
        return self._losses

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
        self._flush()
        norms = self._norm_ring.data()
        np.sqrt(norms[:, 1:], out=norms[:, 1:])  # recorded squared: the square root is paid on reading only
        return list(self._norm_keys), norms

    # ------------------------------------------------------------ recording (the trainer calls these)
    def record_step(self, step: int, loss: float, compiled: Compiled, watch_index: np.ndarray) -> None:
        """`watch_index`: `compiled.watch_index(self.watched)`, kept by the caller (building it costs more than
        the rest of this).

        The loss and the gradient's squares wait in `_pending` and `_squares`, and the norms of up to
        `PENDING_BYTES` of squares are reduced in one `np.add.reduceat` when it fills or when anything reads the
        series (`_flush`): one reduction per step was a tenth of a small net's step. The same numbers, bit for bit
        (the same reduction of the same squares, row by row). A large net's gradient fills it at once."""
        if self._plan is None or self._plan() is not compiled:
            self._new_plan(compiled)
        if self.watched:
            row = self._watch_ring.next_row()
            row[0] = step
            row[1:] = compiled.buffers[watch_index]
        pending = self._pending
        squares = self._squares
        g = compiled.grad
        np.multiply(g, g, out=squares[len(pending)])
        pending.append((step, loss))
        if len(pending) == len(squares):
            self._flush()
        if step % self.snapshot_every == 0:
            self.snapshots.append(
                Snapshot(step, {key: compiled.value[sl].copy() for key, sl in compiled.slices.items()})
            )

    def _new_plan(self, compiled: Compiled) -> None:
        """Reduce what was recorded under the last plan, then lay the norms out for this one: a new ring when its
        parameter arrays differ, rows of squares as many as fit `PENDING_BYTES` (at least one)."""
        self._flush()
        if compiled.keys != self._norm_keys:
            self._norm_keys = list(compiled.keys)
            self._norm_ring = Ring(self.capacity, 1 + len(self._norm_keys))
        g = compiled.grad
        if self._squares.shape[1:] != g.shape or self._squares.dtype != g.dtype:
            # kept: a 1M-weight net would allocate 8 MB a step; no more rows than the ring keeps
            rows = max(1, min(self.capacity, PENDING_BYTES // max(64, g.nbytes)))
            self._squares = np.empty((rows, *g.shape), g.dtype)
        self._plan, self._starts = weakref.ref(compiled), compiled.starts

    def _flush(self) -> None:
        """Move the pending steps' losses and gradient norms into their rings."""
        pending = self._pending
        if not pending:
            return
        steps = np.array(pending, np.float64)
        self._losses.extend(steps)
        norms = np.empty((len(steps), 1 + len(self._norm_keys)))
        norms[:, 0] = steps[:, 0]
        if self._squares.shape[1]:
            np.add.reduceat(self._squares[: len(steps)], self._starts, axis=1, out=norms[:, 1:])
        self._norm_ring.extend(norms)
        pending.clear()

    def record_epoch(self, row: tuple[float, ...]) -> None:
        self.epochs.append(row)

    def clear(self) -> None:
        """Forget the run (Reset weights starts a new curve); watched weights stay watched."""
        self._pending.clear()
        for ring in (self._losses, self.penalties, self.epochs, self._watch_ring, self._norm_ring):
            ring.clear()
        self.snapshots.clear()

    def truncate(self, step: int) -> None:
        """Forget what was recorded after `step`: continue-from-here goes back to that step and trains on."""
        self._flush()
        for ring, column in ((self._losses, 0), (self.penalties, 0), (self.epochs, 1), (self._watch_ring, 0),
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
        pending = min(self.capacity * 8 * n_params, max(PENDING_BYTES, 8 * n_params))  # `record_step`'s block
        return rows * per_row + 8 * n_params * (self.snapshots.maxlen or 0) + pending
