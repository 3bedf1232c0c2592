"""The timeline of a run: copies of every parameter, its gradient and the optimiser's state at recorded steps.

A learner scrubs back to any recorded step and sees the network as it was then, or trains on from there
("continue from here"). That needs, per recorded step, the plan's flat buffers (w, dL/dw and Δw in one block), the
optimiser's moments and the trainer's `progress()` (step, epoch, Adam's step count, shuffling state, position in
the epoch), plus the indices of the batch that step used, so the chain-rule explorer explains the same batch.

Memory is bounded by `budget` bytes. Every step is kept up to `dense`, and beyond it step s is kept when it is a
multiple of 2^⌊log₂(s / dense)⌋: `dense` steps per doubling of the step count, so the kept steps thin out
geometrically and a run of S steps holds about dense · (1 + log₂(S / dense)) of them. When a new step would exceed
the budget, `dense` halves and the steps the stricter rule no longer keeps are dropped (about half of those past the
new `dense`); the rule is decided before anything is copied, so a step that is not kept costs a few integer
operations. Step 0 (the weights before the first step) is always kept.

Threads: the training worker records (`record`, from `Trainer.step`) while the GUI thread reads (`steps`, `frame`,
`memory`); a lock guards the list of frames.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .compile import Compiled
from .errors import TrainingError
from .refs import ParamKey, ParamRef

if TYPE_CHECKING:
    from .training import Trainer

DEFAULT_BUDGET = 200 * 2**20  # bytes
DEFAULT_DENSE = 128  # every step is kept up to here, then this many per doubling of the step count (at most)
HORIZON = 2**20  # steps a run is assumed to last when `dense` is chosen for a network's frame size
FRAME_OVERHEAD = 2048  # bytes of Python objects per frame (progress dict, RNG state) besides its arrays

Layout = tuple[tuple[ParamKey, tuple[int, ...]], ...]


def layout_of(c: Compiled) -> Layout:
    """Which parameter arrays, in which order and shape, a plan's flat buffers hold."""
    return tuple((key, tuple(c.shapes[key])) for key in c.keys)


class Progress(NamedTuple):
    """`Trainer.progress()` held by reference instead of copied: the shuffling order and the RNG state change only
    at the end of an epoch (new objects then, never written in place), so the frames of one epoch share them, and
    the epoch meter's sums are replaced, not updated in place. `as_dict` builds `progress()`'s form when needed.

    Frames are named tuples, not dataclasses: a tuple is built in C (a frozen dataclass's fields cost a call each),
    and a frame is taken every step early in a run."""

    step: int
    epoch: int
    optimizer_steps: int
    best: float
    stale: int
    shuffle: tuple[str, int, int, int, int]  # the PCG64 state: name, state, inc, has_uint32, uinteger (see `as_dict`)
    order: np.ndarray
    cursor: int
    meter: tuple[int, float, int, Any, Any, Any]  # n, loss_sum, correct, t_sum, t_sq, res_sq

    def as_dict(self) -> dict[str, Any]:
        n, loss_sum, correct, *sums = self.meter
        names = ("t_sum", "t_sq", "res_sq")
        meter = None
        if self.cursor:
            meter = {"n": n, "loss_sum": loss_sum, "correct": correct,
                     **{k: np.atleast_1d(v).tolist() for k, v in zip(names, sums, strict=True)}}
        return {"step": self.step, "epoch": self.epoch, "optimizer_steps": self.optimizer_steps,
                "best": float(self.best) if np.isfinite(self.best) else None, "stale": self.stale,
                "shuffle": _shuffle_dict(self.shuffle), "order": self.order.copy(), "cursor": self.cursor,
                "meter": meter}


class Frame(NamedTuple):
    """The state after step `step`: what a live snapshot taken then showed, and what training needs to go on."""

    step: int
    layout: Layout
    # the plan's w, dL/dw (of this step) and Δw (this step's update), then the optimiser's moments, back to back:
    # one copy per step
    data: np.ndarray
    moment_names: tuple[str, ...]
    state: Progress
    batch: np.ndarray | None  # indices of this step's batch (`Trainer.last_batch`); None before the first step
    nbytes: int  # bytes of the arrays this frame holds alone (the shuffling order is shared within an epoch)

    @property
    def epoch(self) -> int:
        return self.state.epoch

    @property
    def progress(self) -> dict[str, Any]:
        """`Trainer.progress()` after this step (a fresh copy)."""
        return self.state.as_dict()

    @property
    def buffers(self) -> np.ndarray:
        """The plan's buffers at this step: w, dL/dw and Δw (a view)."""
        return self.data[: 3 * self._size]

    @property
    def moments(self) -> dict[str, np.ndarray]:
        """The optimiser's moments by name, flat in the plan's order (views)."""
        n = self._size
        return {name: self.data[(3 + k) * n : (4 + k) * n] for k, name in enumerate(self.moment_names)}

    @property
    def _size(self) -> int:
        return len(self.data) // (3 + len(self.moment_names))


def dense_for(frame_bytes: int, budget: int, most: int = DEFAULT_DENSE) -> int:
    """The largest power of two up to `most` whose thinning keeps a run of `HORIZON` steps within `budget`.

    Copying a frame costs far more than its share of a step once it is large (fresh memory, page by page: 0.4× a
    step of 2-64-64-1, measured), so a large network starts thinned rather than filling the budget step by step
    and then dropping most of what it copied."""
    dense = most
    while dense > 1 and dense * (1 + math.log2(HORIZON / dense)) * frame_bytes > budget:
        dense //= 2
    return dense


def keeps(step: int, dense: int) -> bool:
    """Whether the thinning rule keeps `step` (see the module's docstring)."""
    if step < dense:
        return True
    return step % (1 << ((step // dense).bit_length() - 1)) == 0


class Recorder:
    """The recorded steps of the current timeline, dense early and thinned later, within `budget` bytes."""

    def __init__(self, budget: int = DEFAULT_BUDGET, dense: int = DEFAULT_DENSE):
        self._lock = threading.Lock()
        self._frames: list[Frame] = []
        self._steps: list[int] = []
        self._budget = int(budget)
        self._initial_dense = dense
        self.dense = dense
        self._memory = 0
        self._capture = Capture()

    # ------------------------------------------------------------ the budget
    @property
    def budget(self) -> int:
        return self._budget

    @budget.setter
    def budget(self, value: int) -> None:
        if not (isinstance(value, (int, np.integer)) and value >= 0):
            raise TrainingError(f"the recording budget must be a whole number of bytes ≥ 0, not {value!r}")
        with self._lock:
            self._budget = int(value)
            self._fit()

    @property
    def memory(self) -> int:
        """Bytes the recorded frames hold now (always ≤ `budget`)."""
        return self._memory

    # ------------------------------------------------------------ reading (any thread)
    def steps(self) -> list[int]:
        """The recorded steps, oldest first."""
        with self._lock:
            return list(self._steps)

    def __len__(self) -> int:
        return len(self._steps)

    def frame(self, step: int) -> Frame:
        """The frame of a recorded step (`TrainingError` if that step is not recorded)."""
        with self._lock:
            k = bisect.bisect_left(self._steps, step)
            if k == len(self._steps) or self._steps[k] != step:
                raise TrainingError(f"step {step} is not recorded")
            return self._frames[k]

    def values(self, c: Compiled, refs: Sequence[ParamRef]) -> np.ndarray:
        """(n, 1 + len(refs)): each recorded step laid out like the plan `c`, and the refs' values then — the path
        any weights took, watched or not (a frame recorded before the network changed shape is left out)."""
        flat = [c.flat_index(ref) for ref in refs]
        layout = layout_of(c)
        with self._lock:
            rows = [(frame.step, *frame.data[flat]) for frame in self._frames if frame.layout == layout]
        return np.array(rows, float).reshape(-1, 1 + len(refs))

    def nearest(self, step: int) -> int | None:
        """The recorded step closest to `step` (the earlier one on a tie), or None when nothing is recorded."""
        with self._lock:
            if not self._steps:
                return None
            k = bisect.bisect_left(self._steps, step)
            candidates = self._steps[max(k - 1, 0) : k + 1]
            return min(candidates, key=lambda s: (abs(s - step), s))

    # ------------------------------------------------------------ recording (the trainer's thread)
    def record(self, trainer: Trainer) -> None:
        """Called by `Trainer.step` after each step; copies the state only when the thinning rule keeps the step."""
        step = trainer.step_count
        if not keeps(step, self.dense):
            return
        frame = self._capture.take(trainer, zeros_untouched=not self._frames)
        with self._lock:
            first = self._frames[0] if self._frames else None
            if first is not None and first.layout is not frame.layout and first.layout != frame.layout:
                self._drop_all()  # the network's shape changed: the earlier weights no longer fit it
            if not self._frames:  # a new timeline
                self.dense = dense_for(frame.nbytes, self._budget, self.dense)
            if self._steps and self._steps[-1] >= step:
                self._truncate(step - 1)  # a step recorded again (after a rebuilt trainer, say) replaces the old
            frames = self._frames
            order = frame.state.order
            shared = frames and frames[-1].state.order is order
            frames.append(frame)
            self._steps.append(step)
            self._memory += frame.nbytes if shared else frame.nbytes + order.nbytes
            if self._memory > self._budget:
                self._fit()

    def begin(self, trainer: Trainer) -> None:
        """Record the trainer's current state unless its step is recorded already (the start of a timeline)."""
        with self._lock:
            known = trainer.step_count in self._steps
        if not known:
            self.record(trainer)

    def retake(self, trainer: Trainer) -> None:
        """Take the trainer's current step again if it is recorded: a value edited while idle (a typed weight, an
        import, a cut) is part of the state training goes on from, and that step's frame must show it. A frame
        of another layout is left be (a structure edit: the timeline ends when a step is recorded under it)."""
        with self._lock:
            k = bisect.bisect_left(self._steps, trainer.step_count)
            if k == len(self._steps) or self._steps[k] != trainer.step_count:
                return
            layout = self._frames[k].layout
        frame = self._capture.take(trainer)
        if frame.layout != layout:
            return
        with self._lock:
            self._frames[k] = frame
            self._recount()

    # ------------------------------------------------------------ editing the timeline (GUI thread, idle)
    def clear(self) -> None:
        with self._lock:
            self._drop_all()

    def split(self, step: int) -> list[Frame]:
        """Remove and return the frames after `step` (continue-from-here): `restore_frames` puts them back."""
        with self._lock:
            k = bisect.bisect_right(self._steps, step)
            tail = self._frames[k:]
            self._truncate(step)
            return tail

    def state(self) -> tuple[list[Frame], int]:
        """Everything needed to put the timeline back as it is now (`restore_state`)."""
        with self._lock:
            return list(self._frames), self.dense

    def restore_state(self, state: tuple[list[Frame], int]) -> None:
        frames, dense = state
        with self._lock:
            self._frames = list(frames)
            self._steps = [f.step for f in frames]
            self.dense = dense
            self._recount()

    # ------------------------------------------------------------ internals (lock held)
    def _drop_all(self) -> None:
        self._frames, self._steps, self._memory = [], [], 0
        self.dense = self._initial_dense

    def _truncate(self, step: int) -> None:
        k = bisect.bisect_right(self._steps, step)
        del self._frames[k:], self._steps[k:]
        self._recount()

    def _recount(self) -> None:
        orders = {id(f.state.order): f.state.order.nbytes for f in self._frames}
        self._memory = sum(f.nbytes for f in self._frames) + sum(orders.values())

    def _fit(self) -> None:
        """Thin the frames until they fit the budget: halve `dense` while it can, then drop the oldest frames
        (step 0 last). A budget below one frame records nothing."""
        while self._memory > self._budget and self._frames:
            if self.dense > 1:
                self.dense //= 2
                kept = [k for k, s in enumerate(self._steps) if keeps(s, self.dense)]
                self._frames = [self._frames[k] for k in kept]
                self._steps = [self._steps[k] for k in kept]
            else:
                drop = 1 if len(self._frames) > 1 else 0
                del self._frames[drop], self._steps[drop]
            self._recount()


class Capture:
    """Takes frames from a trainer cheaply: the layout is worked out once per compiled plan and the RNG state once
    per shuffling order. It reads the trainer's own bookkeeping (order, cursor, epoch meter), like the history
    does: `Trainer.progress()` copies the order and converts the meter to lists, which cost more than the step on
    a small network."""

    def __init__(self) -> None:
        self._plan: Compiled | None = None
        self._layout: Layout = ()
        self._trainer: Trainer | None = None
        self._order: np.ndarray | None = None
        self._shuffle: tuple[str, int, int, int, int] = ("", 0, 0, 0, 0)

    def take(self, trainer: Trainer, zeros_untouched: bool = False) -> Frame:
        """`zeros_untouched`: sections of zeros (a fresh optimiser's moments, the gradients and update before the
        first step) are left as the kernel's untouched zero pages instead of copied. A timeline's first frame is
        taken in the GUI thread when a project opens, and on a 1M-weight network its 34 MB, four fifths of them
        zeros, cost 20-26 ms of page faults; checking the sections costs a read of each."""
        c = trainer.compiled
        if c is not self._plan:
            self._plan, self._layout = c, layout_of(c)
        order = trainer._order
        if order is not self._order or trainer is not self._trainer:
            self._trainer, self._order, self._shuffle = trainer, order, _shuffle_tuple(trainer._rng.bit_generator.state)
        trainer._flush_meter()  # the batches the meter has not been handed yet are part of the epoch's sums
        m = trainer._meter
        state = Progress(trainer.step_count, trainer.epoch, trainer.optimizer.t, trainer._best, trainer._stale,
                         self._shuffle, order, trainer._cursor, (m.n, m.loss_sum, m.correct, m.t_sum, m.t_sq, m.res_sq))
        moments = c.state or {}
        names = tuple(moments)
        if zeros_untouched:
            n = len(c.buffers) // 3
            sections = [c.buffers[k * n : (k + 1) * n] for k in range(3)] + list(moments.values())
            data = np.zeros(3 * n + sum(len(m) for m in moments.values()), c.buffers.dtype)  # calloc: not touched
            start = 0
            for section in sections:
                if section.any():
                    data[start : start + len(section)] = section
                start += len(section)
        elif moments:
            data = np.concatenate((c.buffers, *moments.values()))
        else:
            data = c.buffers.copy()
        return Frame(trainer.step_count, self._layout, data, names, state, trainer._last_idx,
                     FRAME_OVERHEAD + data.nbytes)


def _shuffle_tuple(state: Mapping[str, Any]) -> tuple[str, int, int, int, int]:
    """The RNG state as an immutable tuple, since frames share it (a dict could be changed through any of them)."""
    inner = state["state"]
    return (state["bit_generator"], int(inner["state"]), int(inner["inc"]), int(state["has_uint32"]),
            int(state["uinteger"]))


def _shuffle_dict(shuffle: tuple[str, int, int, int, int]) -> dict[str, Any]:
    name, state, inc, has_uint32, uinteger = shuffle
    return {"bit_generator": name, "state": {"state": state, "inc": inc}, "has_uint32": has_uint32,
            "uinteger": uinteger}


def capture(trainer: Trainer) -> Frame:
    """The trainer's state now, as a frame (copies)."""
    return Capture().take(trainer)


def check_fits(c: Compiled, frame: Frame) -> None:
    if layout_of(c) != frame.layout:
        raise TrainingError(f"step {frame.step} was recorded before the network's shape was edited; "
                            "its weights no longer fit the network")


class Peek:
    """Shows recorded frames in a trainer's own plan and puts the live state back afterwards, bit for bit.

    Showing the past in the live buffers (rather than in a copy) is what lets every consumer of the network — the
    inspector's values, the chain-rule explorer (weights and `last_batch`), the loss surface — show that step
    without knowing about time. The caller makes sure nothing trains or edits meanwhile.
    """

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        c = self._plan = trainer.compiled
        self._buffers = c.buffers.copy()
        self._moments = {name: arr.copy() for name, arr in (c.state or {}).items()}
        self._batch = trainer._last_idx

    def show(self, frame: Frame) -> None:
        c = self.trainer.compiled
        if c is not self._plan:
            raise TrainingError("the network was edited while a recorded step was shown")
        check_fits(c, frame)
        np.copyto(c.buffers, frame.buffers)
        for name, arr in (c.state or {}).items():
            if name in frame.moments:
                np.copyto(arr, frame.moments[name])
            else:
                arr[...] = 0
        self.trainer._last_idx = frame.batch

    def restore(self) -> None:
        c = self._plan
        np.copyto(c.buffers, self._buffers)
        for name, arr in (c.state or {}).items():
            if name in self._moments:
                np.copyto(arr, self._moments[name])
        self.trainer._last_idx = self._batch


def restore_frame(trainer: Trainer, frame: Frame) -> None:
    """Make a (fresh) trainer continue from `frame`: weights, gradients, moments, step counts, shuffling state and
    position in the epoch, so it trains on bit-identically to the run that recorded the frame."""
    c = trainer.compiled
    check_fits(c, frame)
    np.copyto(c.buffers, frame.buffers)
    state = c.ensure_state(trainer.optimizer.state_names)
    for name, arr in state.items():
        if name in frame.moments:
            np.copyto(arr, frame.moments[name])
        else:
            arr[...] = 0
    trainer.restore_progress(frame.progress)
    trainer._last_idx = frame.batch
