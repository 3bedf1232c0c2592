"""The training loop, drivable one mini-batch at a time.

`Trainer.step()` runs one batch; `Trainer.run()` is a generator of steps until a stop condition, so a worker
thread can pause, single-step, stop, or change the learning rate or batch size between any two steps without a
reset. The network may also be edited between steps: the next step recompiles and the optimiser keeps the
moments of every surviving weight. Same seed, same data, same edits → bit-identical weights.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .compile import Compiled, LayerPlan, Trace, compiled
from .errors import DivergenceError, TrainingError
from .graph.model import Network
from .graph.validate import validate
from .history import History
from .losses import encode_targets, get_loss
from .metrics import EpochMeter, metric_name
from .optim import OPTIMIZERS, Optimizer, make_optimizer
from .quiet import quiet
from .refs import ParamRef
from .regularization import NO_PENALTY, Penalty, Regularizer

if TYPE_CHECKING:
    from .recording import Recorder

EVAL_BATCH = 4096
DOT_CHUNK = 8192  # under OpenBLAS's threading threshold for dot products (see `_finite_squares`)
METER_BATCHES = 256  # batches handed to the epoch meter together (see `Trainer._count`)
BLOCK_BYTES = 1 << 20  # training rows gathered ahead of the steps that use them (see `Trainer._batch`)
BLOWUP_SMOOTHING = 0.9  # the blow-up watch follows an exponential average of batch losses: one bad batch is no trend


def _finite_squares(flat: np.ndarray) -> bool:
    """Whether the sum of squares of `flat` is finite, from dot products of at most `DOT_CHUNK` numbers.

    OpenBLAS spreads a dot product of more than 10,000 numbers over every core; on a machine whose other core is
    busy, the wait for it made this check 0.7 ms of a 2-64-64-1 step's 0.9 ms (its buffers hold 13,251 numbers).
    """
    if flat.size <= DOT_CHUNK:
        return math.isfinite(flat.dot(flat))  # the method: half the call of `@` (0.4 against 0.7 µs)
    for k in range(0, flat.size, DOT_CHUNK):
        part = flat[k : k + DOT_CHUNK]
        if not math.isfinite(part.dot(part)):
            return False
    return True


@dataclass
class TrainSettings:
    loss: str = "mse"
    optimizer: str = "adam"
    optimizer_params: dict[str, float | bool] = field(default_factory=dict)  # lr and the rest, PyTorch names
    batch_size: int = 32
    epochs: int = 100  # budget: `run()` stops after this many epochs in total
    target_loss: float | None = None  # stop once the epoch loss (validation if any) is at or below it
    patience: int | None = None  # stop after this many epochs without improving by `min_delta`
    min_delta: float = 1e-4
    seed: int = 0  # shuffling
    # warn when the smoothed loss grows more than this many times over its best (and past where it started)
    blowup_factor: float | None = 1e3
    pause_on_blowup: bool = False  # and then end `run()`, as a stop condition does
    penalty: Penalty = NO_PENALTY  # L1/L2 on every weight whose connection sets none of its own (engine.regularization)

    @property
    def hyper(self) -> dict[str, float | bool]:
        """The optimiser's settings as it will run with them: its PyTorch defaults under the ones set here."""
        return {**OPTIMIZERS[self.optimizer].defaults, **self.optimizer_params}


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 1 µs, 2 % of a small net's step
class StepResult:
    step: int
    epoch: int  # epochs completed
    loss: float  # this batch's loss, before the update
    epoch_done: bool
    epoch_metrics: dict[str, float] | None = None  # at the end of an epoch: train/val loss and metric
    warning: str | None = None  # the loss blew up at this step (see `TrainSettings.blowup_factor`)
    penalty: float | None = None  # the weights' L1/L2 penalty before the update (`loss` is the data loss alone)


class Trainer:
    def __init__(self, network: Network, x: np.ndarray, y: np.ndarray, settings: TrainSettings | None = None,
                 x_val: np.ndarray | None = None, y_val: np.ndarray | None = None, history: History | None = None):
        self.network = network
        self.settings = settings or TrainSettings()
        self.loss = get_loss(self.settings.loss)
        out = network.output_layer
        validate(network, self.settings.loss, n_features=np.shape(x)[1], n_outputs=out.size)
        self.x = np.asarray(x, network.dtype)
        self.t = encode_targets(self.loss, y, out.size, network.dtype)
        self.x_val: np.ndarray | None = None
        self.t_val: np.ndarray | None = None
        if x_val is not None and len(x_val):
            if y_val is None:
                raise TrainingError("the validation set x_val was given without its targets y_val")
            self.x_val = np.asarray(x_val, network.dtype)
            self.t_val = encode_targets(self.loss, y_val, out.size, network.dtype)
        self.optimizer: Optimizer = make_optimizer(self.settings.optimizer, **self.settings.optimizer_params)
        self.history = history or History()
        self.metric = metric_name(self.loss)
        self.step_count = 0
        self.epoch = 0
        self.stop_reason: str | None = None
        self._rng = np.random.default_rng(self.settings.seed)
        self._order = self._rng.permutation(len(self.x))
        self._cursor = 0
        self._meter = EpochMeter(self.loss)
        self._uncounted: list[tuple[float, np.ndarray, np.ndarray]] = []  # batches not yet in the meter (`_count`)
        self._best = np.inf
        self._stale = 0
        self._watch_key: tuple[Compiled | None, list[ParamRef] | None] = (None, None)
        self._watch_index = np.zeros(0, np.int64)
        self._last: tuple[np.ndarray, int, int] | None = None  # the last step's batch: order, start, size (`_last_idx`)
        self._block_source: tuple[np.ndarray | None, ...] = (None,) * 3  # `_batch`'s block: of which order, x, t
        self._block_start = 0
        self._block_x = self._block_t = np.zeros((0, 0))
        self._smoothed = self._smoothed_best = self._smoothed_start = math.nan
        self.recorder: Recorder | None = None  # the timeline (engine.recording): called once at the end of each step
        self.regularizer = Regularizer()
        self.set_batch_size(self.settings.batch_size)

    # ------------------------------------------------------------ settings that may change mid-run
    @property
    def lr(self) -> float:
        return self.optimizer.lr

    @lr.setter
    def lr(self, value: float) -> None:
        self.optimizer.lr = value

    def set_batch_size(self, size: int) -> None:
        if not (isinstance(size, (int, np.integer)) and size >= 1):
            raise TrainingError(f"the batch size must be a whole number ≥ 1, not {size!r}")
        self.settings.batch_size = int(size)

    def watch(self, ref: ParamRef) -> None:
        self.network.check_ref(ref)
        self.history.watch(ref)

    # ------------------------------------------------------------ stepping
    @property
    def compiled(self) -> Compiled:
        return compiled(self.network)

    @quiet
    def step(self) -> StepResult:
        """One mini-batch: forward, loss, backward, update; at the end of an epoch, the epoch's metrics."""
        c = self.compiled
        bs = self.settings.batch_size
        self._last = (self._order, self._cursor, bs)
        x, t = self._batch(bs)
        trace = c.forward(x)
        loss = c.loss(trace, t, self.loss)
        c.backward(trace, t, self.loss)
        penalty = self.regularizer.add_gradient(c, self.settings.penalty)
        self.optimizer.compute(c)
        if not self._all_finite(c, loss):
            self._refuse_overflow(c, trace, loss)
        self.optimizer.apply(c)
        step = self.step_count = self.step_count + 1
        self._count(loss, trace.h[c.output_pos], t)
        self.history.record_step(step, loss, c, self._watched_index(c))
        if penalty is not None:
            self.history.penalties.append((step, penalty))
        warning = self._watch_blowup(loss)
        cursor = self._cursor = self._cursor + bs
        if cursor < len(self.x):
            result = StepResult(step, self.epoch, loss, False, None, warning, penalty)
        else:
            result = StepResult(step, self.epoch + 1, loss, True, self._end_epoch(), warning, penalty)
        if self.recorder is not None:
            self.recorder.record(self)
        return result

    def _batch(self, bs: int) -> tuple[np.ndarray, np.ndarray]:
        """The next batch's rows of x and t, sliced from a block of the shuffled order gathered ahead (about a
        megabyte): one gather per block instead of two per step, the same numbers. The block belongs to the order
        and the arrays it was cut from, so a new order (a new epoch, a restored run) or new data gathers afresh."""
        start = self._cursor
        s = start - self._block_start
        order, x, t = self._order, self.x, self.t
        source = self._block_source  # compared one by one: a generator over the three cost a microsecond a step
        if order is not source[0] or x is not source[1] or t is not source[2] or s < 0 or s + bs > len(self._block_x):
            rows = order[start : start + max(bs, BLOCK_BYTES // max(1, x[:1].nbytes + t[:1].nbytes))]
            self._block_x, self._block_t = x.take(rows, axis=0), t.take(rows, axis=0)  # 4× faster than x[rows]
            self._block_source, self._block_start, s = (order, x, t), start, 0
        return self._block_x[s : s + bs], self._block_t[s : s + bs]

    def _count(self, loss: float, h: np.ndarray, t: np.ndarray) -> None:
        """Hand a batch to the epoch's meter, `METER_BATCHES` at a time (`EpochMeter.add_batches`: the same
        figures); whoever reads the meter first calls `_flush_meter`."""
        self._uncounted.append((loss, h, t))
        if len(self._uncounted) >= METER_BATCHES:
            self._flush_meter()

    def _flush_meter(self) -> None:
        self._meter.add_batches(self._uncounted)
        self._uncounted = []

    @property
    def _last_idx(self) -> np.ndarray | None:
        """Indices of the last step's batch (None before the first step), sliced from its order when read: a step
        keeps only the order, start and size, a slice of the order every step cost more than every read of it.
        The order is the one the step drew its batch from, even when the step ended the epoch and shuffled anew."""
        last = self._last
        return None if last is None else last[0][last[1] : last[1] + last[2]]

    @_last_idx.setter
    def _last_idx(self, idx: np.ndarray | None) -> None:  # the timeline restores a frame's batch
        self._last = None if idx is None else (idx, 0, len(idx))

    def last_batch(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, encoded targets) of the batch the last step used — the gradients the network holds are this batch's,
        which is what the chain-rule explorer explains; before the first step, the batch the next step will use."""
        idx = self._last_idx
        if idx is None:
            idx = self._order[self._cursor : self._cursor + self.settings.batch_size]
        return self.x[idx], self.t[idx]

    def run_epoch(self) -> StepResult:
        while not (result := self.step()).epoch_done:
            pass
        return result

    def run(self) -> Iterator[StepResult]:
        """Steps until the epoch budget, the target loss or a plateau stops the run (see `stop_reason`)."""
        self.stop_reason = None
        while self.stop_reason is None and self.epoch < self.settings.epochs:
            result = self.step()
            if result.warning is not None and self.settings.pause_on_blowup:
                self.stop_reason = result.warning
            yield result
        self.stop_reason = self.stop_reason or f"epoch budget of {self.settings.epochs} reached"

    @quiet
    def evaluate(self, x: np.ndarray, t: np.ndarray) -> tuple[float, float]:
        """Loss and metric over a whole set, in bounded-memory chunks (`t` already encoded)."""
        c = self.compiled
        meter = EpochMeter(self.loss)
        for start in range(0, len(x), EVAL_BATCH):
            trace = c.forward(x[start : start + EVAL_BATCH])
            tt = t[start : start + EVAL_BATCH]
            meter.add(c.loss(trace, tt, self.loss), trace.h[c.output_pos], tt)
        return meter.result()

    # ------------------------------------------------------------ saving and resuming (project files)
    def progress(self) -> dict[str, Any]:
        """Where the run stands, as plain values: enough to resume it bit-identically after a save and a load."""
        self._flush_meter()
        m = self._meter
        meter = None
        if self._cursor:  # mid-epoch: the epoch's partial sums are part of the state
            meter = {"n": m.n, "loss_sum": m.loss_sum, "correct": m.correct,
                     **{k: np.atleast_1d(getattr(m, k)).tolist() for k in ("t_sum", "t_sq", "res_sq")}}
        return {
            "step": self.step_count, "epoch": self.epoch, "optimizer_steps": self.optimizer.t,
            "best": float(self._best) if np.isfinite(self._best) else None, "stale": self._stale,
            "shuffle": self._rng.bit_generator.state, "order": self._order.copy(), "cursor": self._cursor,
            "meter": meter,
        }

    def restore_progress(self, progress: dict[str, Any]) -> None:
        """Continue a run saved with `progress()`. If the data changed size since, the next epoch starts afresh."""
        self._uncounted = []  # batches of the run this one replaces
        self.step_count, self.epoch = int(progress["step"]), int(progress["epoch"])
        self.optimizer.t = int(progress["optimizer_steps"])
        self._best = np.inf if progress["best"] is None else float(progress["best"])
        self._stale = int(progress["stale"])
        self._rng.bit_generator.state = progress["shuffle"]
        order = np.asarray(progress["order"], np.int64)
        cursor = int(progress["cursor"])
        fits = (len(order) == len(self.x) and cursor < len(order)
                and np.array_equal(np.sort(order), np.arange(len(order))))
        if not fits:
            self._order, self._cursor = self._rng.permutation(len(self.x)), 0
            return
        self._order, self._cursor = order, cursor
        meter = progress.get("meter")
        if cursor and meter:
            m = self._meter
            m.n, m.loss_sum, m.correct = int(meter["n"]), float(meter["loss_sum"]), int(meter["correct"])
            for k in ("t_sum", "t_sq", "res_sq"):
                setattr(m, k, np.asarray(meter[k], np.float64))

    # ------------------------------------------------------------ internals
    def _end_epoch(self) -> dict[str, float]:
        self.epoch += 1
        self._flush_meter()
        train_loss, train_metric = self._meter.result()
        x_val, t_val = self.x_val, self.t_val
        val_loss, val_metric = self.evaluate(x_val, t_val) if x_val is not None and t_val is not None else (np.nan,) * 2
        self.history.record_epoch((self.epoch, self.step_count, train_loss, train_metric, val_loss, val_metric))
        self._meter.reset()
        self._order = self._rng.permutation(len(self.x))
        self._cursor = 0
        self._check_stop(val_loss if self.x_val is not None else train_loss)
        return {"train_loss": train_loss, f"train_{self.metric}": train_metric,
                "val_loss": val_loss, f"val_{self.metric}": val_metric}

    def _check_stop(self, loss: float) -> None:
        s = self.settings
        if s.target_loss is not None and loss <= s.target_loss:
            self.stop_reason = f"target loss {s.target_loss:g} reached (loss {loss:.6g})"
        if loss < self._best - s.min_delta:
            self._best, self._stale = loss, 0
        else:
            self._stale += 1
            if s.patience is not None and self._stale >= s.patience:
                self.stop_reason = f"no improvement for {s.patience} epochs (best loss {self._best:.6g})"

    def _watched_index(self, c: Compiled) -> np.ndarray:
        """`c.watch_index` of the watched weights, rebuilt when the plan or the watch list changes (`History`
        replaces its list on every change, so identity tells)."""
        watched = self.history.watched
        plan, refs = self._watch_key
        if c is not plan or watched is not refs:
            self._watch_index = c.watch_index(watched)
            self._watch_key = (c, watched)
        return self._watch_index

    def _watch_blowup(self, loss: float) -> str | None:
        """A warning when the smoothed loss has grown `blowup_factor` times over its best and past its start.

        A diverging run often stays finite for a long time (Adam at lr 1e3 on circles: 0.72 → 310,417), so waiting
        for NaN says nothing. Measuring against the start as well keeps a converged run's noise near 0 quiet.
        After a warning the watch starts from the current loss: it warns again only after another such growth.
        """
        factor = self.settings.blowup_factor
        if factor is None:
            return None
        # min and max written out (with their NaN behaviour): the builtins' calls were a fifth of this every step
        s = self._smoothed
        s = self._smoothed = loss if s != s else BLOWUP_SMOOTHING * s + (1 - BLOWUP_SMOOTHING) * loss
        start = self._smoothed_start
        if start != start:
            start = self._smoothed_start = self._smoothed_best = s
        best = self._smoothed_best
        if s < best:
            best = self._smoothed_best = s
        floor = start / factor
        if not s > factor * (floor if floor > best else best):
            return None
        self._smoothed_best = s
        return (f"the loss blew up: its running average grew from {best:.3g} to {s:.3g} (over {factor:g}×) by step "
                f"{self.step_count}; lower the learning rate")

    @staticmethod
    def _all_finite(c: Compiled, loss: float) -> bool:
        """Whether the step may be applied, in a few vector operations: a finite sum of squares of the weights,
        updates and moments means every one of them is finite and w + Δw cannot overflow.

        The gradients need no sum of their own: every optimiser's update (before the trainable mask, which
        `apply` multiplies in later) is a non-finite number wherever the gradient, or a moment made from it, is
        one — −lr·g, m / (√v + ε) with m or v infinite or NaN, momentum with dampening 1 as 0·∞ = NaN — and a
        cut weight's gradient is multiplied by its mask 0, which makes NaN of ∞ too. Leaving them out is a third
        of the check (2-64-64-1: 2.2 µs a step); where all three fit one dot product, one call over the whole
        block costs less than two."""
        if not math.isfinite(loss):
            return False
        buffers = c.buffers
        if buffers.size <= DOT_CHUNK:
            if not math.isfinite(buffers.dot(buffers)):  # `_finite_squares` of one chunk, without its call
                return False
        elif not (_finite_squares(c.value) and _finite_squares(c.delta)):
            return False
        state = c.state  # none for plain SGD: no generator to start
        return not state or all(_finite_squares(s) for s in state.values())

    def _refuse_overflow(self, c: Compiled, trace: Trace, loss: float) -> None:
        """Refuse the step if a number overflowed, leaving the weights and the optimiser's moments and step count
        exactly as they were, and say which number, where, and what it became."""
        found = self._first_overflow(c, trace, loss)
        if found is None:  # every number is finite; only a sum of squares overflowed
            return
        self.optimizer.undo(c)
        where, value = found
        step = self.step_count + 1
        raise DivergenceError(
            f"training diverged at step {step}: {where} became {value:g}. The step was refused: the weights and the "
            f"optimiser's state are those after step {self.step_count}. Lower the learning rate and resume.",
            step=step, where=where,
        )

    def _first_overflow(self, c: Compiled, trace: Trace, loss: float) -> tuple[str, float] | None:
        """The first non-finite number in the order the step computed them: forward pass, loss, backward pass,
        gradients, moments, update, new weights (an overflow early on makes NaN of everything after it)."""
        forward = [(f"the {stage} of {{}} in the forward pass", plan, arr) for plan in c.plans
                   for stage, arr in (("pre-activation", trace.a[plan.pos]), ("output", trace.h[plan.pos]))]
        found = self._first_bad_neuron(forward)
        if found is None and not math.isfinite(loss):
            found = f"the loss (of outputs up to {np.abs(trace.h[c.output_pos]).max():.3g} in size)", loss
        da = trace.da or []  # filled by the backward pass, which ran
        backward = [("dL/da of {} in the backward pass", plan, da[plan.pos]) for plan in reversed(c.plans)]
        found = found or self._first_bad_neuron(backward)
        if found is not None:
            return found
        new_value = c.value + (c.delta if c.trainable is None else c.delta * c.trainable)
        opt = self.optimizer.name
        params = [("the gradient", c.grad), *((f"{opt}'s {k}", s) for k, s in (c.state or {}).items()),
                  ("the update", c.delta), ("the new value", new_value)]
        for what, flat in params:
            bad = np.flatnonzero(~np.isfinite(flat))
            if len(bad):
                return f"{what} of {self._param_at(c, int(bad[0]))}", flat[bad[0]]
        return None

    def _first_bad_neuron(self, arrays: Sequence[tuple[str, LayerPlan, np.ndarray | None]]) -> tuple[str, float] | None:
        """(what, value) for the first non-finite entry of per-layer (batch, neurons) arrays."""
        for what, plan, arr in arrays:
            if arr is None:
                continue
            bad = np.flatnonzero(~np.isfinite(arr))
            if len(bad):
                neuron = f"{self.network.layer(plan.layer_id).name}[{bad[0] % arr.shape[1]}]"
                return what.format(neuron), arr.flat[bad[0]]
        return None

    def _param_at(self, c: Compiled, k: int) -> str:
        """'the weight in[0] → hidden[2]' or 'the bias of hidden[2]' for position `k` of the flat buffers."""
        n = int(np.searchsorted(c.offsets, k, side="right")) - 1
        (kind, ident), local = c.keys[n], k - int(c.offsets[n])
        index = np.unravel_index(local, self.network.param(c.keys[n]).shape)
        if kind == "W":
            return f"the weight {self.network.weight_name(ident, *map(int, index))}"
        return f"the bias of {self.network.layer(ident).name}[{int(index[0])}]"
