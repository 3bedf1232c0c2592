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
DOT_NUMBERS = 1024  # a parameter array at least this long has its squared norm taken by a dot product (`_new_plan`)


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
        # steps recorded but not yet in `_losses` and `_norm_ring` (see `record_step`): (step, loss), a row each of
        # the squares of the short parameter arrays' gradients and of the long ones' squared norms, under the plan
        # `_plan` (weak: a copy of the history must not copy the network), laid out by `_new_plan`
        self._pending: list[tuple[int, float]] = []
        self._squares = np.zeros((1, 0))
        self._dotted = np.zeros((1, 0))
        self._plan: weakref.ref[Compiled] | None = None
        self._runs: list[tuple[np.ndarray, list[np.ndarray]]] = []  # (gradient part, its part of each block row)
        self._dots: list[np.ndarray] = []  # the long arrays' gradients
        self._starts = np.zeros(0, np.int64)  # where each short array begins in a row of `_squares`
        self._short_cols = self._long_cols = np.zeros(0, np.int64)  # their columns in `_norm_ring`

    def __getstate__(self) -> dict[str, object]:
        """A copy (the timeline's checkpoints deep-copy the history) lays its views of the gradient out again on its
        first step: copied, `_runs` and `_dots` would be frozen copies of the gradient, not views of it."""
        state = self.__dict__.copy()
        state.update(_plan=None, _runs=[], _dots=[])
        return state

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

        The loss and the gradient's squared norms wait in `_pending`, `_squares` and `_dotted`, and reach the
        rings when `PENDING_BYTES` of them are waiting or when anything reads the series (`_flush`). A short
        parameter array's gradient is squared into `_squares`, and the squares of many steps are summed in one
        `np.add.reduceat` (one reduction per step was a tenth of a small net's step); a long one's squared norm is
        one dot product at once (`_new_plan` says why)."""
        if self._plan is None or self._plan() is not compiled:
            self._new_plan(compiled)
        if self.watched:
            row = self._watch_ring.next_row()
            row[0] = step
            row[1:] = compiled.buffers[watch_index]
        pending = self._pending
        k = len(pending)
        squares = self._squares
        for part, rows in self._runs:  # most often one
            np.multiply(part, part, out=rows[k])
        if self._dots:
            dotted = self._dotted[k]
            for j, part in enumerate(self._dots):
                dotted[j] = part.dot(part)
        pending.append((step, loss))
        if k + 1 == len(squares):
            self._flush()
        if step % self.snapshot_every == 0:
            self.snapshots.append(
                Snapshot(step, {key: compiled.value[sl].copy() for key, sl in compiled.slices.items()})
            )

    def _new_plan(self, compiled: Compiled) -> None:
        """Reduce what was recorded under the last plan, then lay the norms out for this one: a new ring when its
        parameter arrays differ, and which arrays are squared into `_squares` and which dotted.

        Squaring a gradient writes it again and `reduceat` reads that once more, one number after another; a dot
        product reads it once (2-64-64-1, whose 4,096-weight matrix is dotted: the history 10–15 % of a step →
        8–10 %), but each call costs as much as squaring a thousand numbers, so arrays shorter than `DOT_NUMBERS`
        keep the block: a small net squares all its arrays in one call and reduces hundreds of steps at once.
        A dot product sums in another order than `reduceat`: the same norms to within the rounding of the sum
        (docs/engine.md)."""
        self._flush()
        if compiled.keys != self._norm_keys:
            self._norm_keys = list(compiled.keys)
            self._norm_ring = Ring(self.capacity, 1 + len(self._norm_keys))
        g = compiled.grad
        sizes = np.diff(compiled.offsets)
        long = sizes >= DOT_NUMBERS
        self._dots = [g[compiled.offsets[j] : compiled.offsets[j + 1]] for j in np.flatnonzero(long)]
        self._short_cols, self._long_cols = np.flatnonzero(~long), np.flatnonzero(long)
        self._starts = np.concatenate([[0], np.cumsum(sizes[~long])])[:-1].astype(np.int64)
        spans: list[list[int]] = []  # [start, stop] in the gradient of each run of consecutive short arrays
        for j in self._short_cols:
            a, b = int(compiled.offsets[j]), int(compiled.offsets[j + 1])
            if spans and spans[-1][1] == a:
                spans[-1][1] = b
            else:
                spans.append([a, b])
        width = sum(b - a for a, b in spans)
        rows = max(1, min(self.capacity, PENDING_BYTES // max(64, g.itemsize * width + 8 * len(self._dots))))
        if self._squares.shape != (rows, width) or self._squares.dtype != g.dtype:
            # kept: a 1M-weight net would allocate 8 MB a step; no more rows than the ring keeps
            self._squares = np.empty((rows, width), g.dtype)
        # each run's part of every row as a view made here, not indexed out of the block every step (0.17 µs)
        self._runs, col = [], 0
        for a, b in spans:
            self._runs.append((g[a:b], list(self._squares[:, col : col + b - a])))
            col += b - a
        self._dotted = np.empty((rows, len(self._dots)))
        self._plan = weakref.ref(compiled)

    def _flush(self) -> None:
        """Move the pending steps' losses and gradient norms into their rings."""
        pending = self._pending
        if not pending:
            return
        steps = np.array(pending, np.float64)
        n = len(steps)
        self._losses.extend(steps)
        norms = np.empty((n, 1 + len(self._norm_keys)))
        norms[:, 0] = steps[:, 0]
        if len(self._starts):
            short = np.empty((n, len(self._starts)))
            np.add.reduceat(self._squares[:n], self._starts, axis=1, out=short)
            norms[:, 1 + self._short_cols] = short
        norms[:, 1 + self._long_cols] = self._dotted[:n]
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
