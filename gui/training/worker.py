"""The training loop's thread: runs commands (train, one batch, one epoch) and publishes throttled snapshots.

Measured (design.md §2): emitting a snapshot every step made training 14× slower through a GIL convoy with the GUI,
so snapshots go out at most `EMIT_INTERVAL` apart. After each one the loop *waits* until the GUI has shown it
(painted included), up to `TURN_TIMEOUT`: the GUI then runs without fighting this thread for the GIL. Measured
without the wait, every GIL hand-back inside the GUI's code (numpy, pyqtgraph) cost it up to a switch interval
(5 ms), so a 5 ms update took 20-65 ms and timer ticks lagged 100-200 ms. The interval then stretches so that
these turns take at most `GUI_SHARE` of the wall time, whatever the views cost: a slow GUI gets fewer, not late,
snapshots, and the queue never grows. The costly parts (the decision boundary, a
forward pass over a grid; the watched weights' series) ride along at most every `SLOW_INTERVAL`, and only when the
view whose turn is next shows them (`parts`, set by the GUI).

Slow motion (`pace`, steps per second, set by the GUI) turns this around: every step is shown, with every part the
GUI asks for, the loop waits as long as the GUI needs to show it (no step is skipped), then waits out the rest of
the step's time on the interrupt event, so a pause never waits for the next tick.

The loop runs inside one slot, so queued signals would not reach it: the GUI talks to it through a
`queue.SimpleQueue` of commands, a `threading.Event` to interrupt and `LiveSettings` for changes between steps.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from engine import BackpropError, DivergenceError, Trainer
from engine.studio import BoundaryGrid, Snapshot, take_snapshot

from .live import LiveSettings, Requests, sync_watched

EMIT_INTERVAL = 1 / 30
# at most this fraction of the wall time goes to the GUI's turns (taking + showing snapshots). Measured on
# 2-16-16-1 (bench/training_gui_bench.py): 0.10 left the run 0.84 of the bare engine's speed, 0.07 left 0.86; with
# turns of ~8 ms, 0.07 gives ~9 snapshots a second (what that means for each view: TrainingFeature.show_snapshot)
GUI_SHARE = 0.07
MAX_INTERVAL = 0.5  # s; however slow the views, the status bar still moves twice a second
TURN_TIMEOUT = 0.25  # s; a GUI busy elsewhere (a dialog, a long repaint) does not stall training for longer
SLOW_INTERVAL = 1 / 5  # the costly parts: decision boundary (1.3-2.5 ms, a 100×100 grid on 2-16-16-1), watched series
PACE_POLL = 0.05  # s; how soon a paced step's wait notices a new speed
KINDS = ("run", "step", "epoch")
PARTS = ("boundary", "watched", "readouts")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    kind: str  # "run" until paused or a stop condition, "step" one batch, "epoch" to the end of the epoch
    trainer: Trainer
    grid: BoundaryGrid | None = None
    elapsed_before: float = 0.0  # training seconds already spent in this run, for the clock


@dataclass(frozen=True)
class Outcome:
    kind: str
    snapshot: Snapshot | None  # the state after the command (None only if even that could not be taken)
    stop_reason: str | None = None  # the run ended by itself: epoch budget, target loss, plateau
    error: str | None = None
    diverged: bool = False
    seconds: float = 0.0


class TrainingWorker(QObject):
    """Lives in its own QThread; the controller calls its thread-safe methods and listens to its signals."""

    snapshot_taken = Signal(object)  # Snapshot, at most every EMIT_INTERVAL while a command runs
    command_finished = Signal(object)  # Outcome
    warned = Signal(str)  # the loss blew up (`StepResult.warning`): said at once, not with the next snapshot

    def __init__(self, live: LiveSettings):
        super().__init__()  # no parent: it is moved to the worker thread
        self._live = live
        self._commands: queue.SimpleQueue[Command | None] = queue.SimpleQueue()
        self._interrupted = threading.Event()
        self._delivered = threading.Event()
        self._delivered.set()
        self.parts: frozenset[str] = frozenset(PARTS)  # costly parts the GUI shows; assigned whole (atomic)
        self.pace: float | None = None  # steps per second (slow motion), None: as fast as possible; read each step
        # seconds per GUI turn, smoothed (one slow repaint is no trend), kept across commands: a resumed run
        # starts at the pace the last one ended with, not at 30 snapshots a second
        self._turn = 0.0

    # ------------------------------------------------------------ called from the GUI thread
    def submit(self, command: Command) -> None:
        if command.kind not in KINDS:
            raise ValueError(f"unknown worker command {command.kind!r}")
        self._interrupted.clear()
        self._commands.put(command)

    def interrupt(self) -> None:
        """Finish the current step, then end the command (pause and stop both start here)."""
        self._interrupted.set()
        self._delivered.set()  # do not sit out a GUI turn first

    def shut_down(self) -> None:
        self._interrupted.set()
        self._commands.put(None)

    def acknowledge(self) -> None:
        """The GUI has taken the last snapshot: the next one may go."""
        self._delivered.set()

    # ------------------------------------------------------------ the worker thread
    @Slot()
    def run(self) -> None:
        while (command := self._commands.get()) is not None:
            self.command_finished.emit(self._execute(command))

    def _execute(self, cmd: Command) -> Outcome:
        start = time.perf_counter()
        stop_reason = error = None
        diverged = False
        try:
            stop_reason = self._loop(cmd, start)
        except DivergenceError as exc:
            error, diverged = str(exc), True
        except BackpropError as exc:
            error = str(exc)
        except Exception as exc:  # a bug: say so to the user and in the log, and keep the app alive
            log.exception("training failed")
            error = f"internal error ({type(exc).__name__}): {exc}"
        seconds = time.perf_counter() - start
        try:
            snapshot = take_snapshot(cmd.trainer, cmd.grid, elapsed=cmd.elapsed_before + seconds)
        except BackpropError as exc:  # e.g. the network was left invalid: the outcome still reports
            snapshot, error = None, error or str(exc)
        return Outcome(cmd.kind, snapshot, stop_reason, error, diverged, seconds)

    def _loop(self, cmd: Command, start: float) -> str | None:
        trainer = cmd.trainer
        steps = trainer.run() if cmd.kind == "run" else None
        seen = -1
        last_emit = last_slow = start
        interval = self._interval_after(self._turn)
        last_step = trainer.step_count
        while not self._interrupted.is_set():
            if self._live.version != seen:
                seen = self._live.version
                apply_requests(trainer, self._live.take())
            began = time.perf_counter()
            result = trainer.step() if steps is None else next(steps, None)
            if result is None:  # the run ended
                return trainer.stop_reason
            if result.warning is not None:
                self.warned.emit(result.warning)
            if cmd.kind == "step" or (cmd.kind == "epoch" and result.epoch_done):
                return None
            now = time.perf_counter()
            if (pace := self.pace) is not None:
                self._show(cmd, self.parts, trainer.step_count - last_step, now - last_emit, now - start)
                self._wait_for_the_gui()
                self._wait_out(began + 1 / pace, pace)
                last_emit, last_step = now, trainer.step_count
            elif now - last_emit >= interval and self._delivered.is_set():
                slow = now - last_slow >= SLOW_INTERVAL
                self._show(cmd, self.parts if slow else frozenset(), trainer.step_count - last_step, now - last_emit,
                           now - start)
                self._delivered.wait(TURN_TIMEOUT)  # the GUI's turn
                last_emit, last_step = time.perf_counter(), trainer.step_count
                self._turn = 0.7 * self._turn + 0.3 * (last_emit - now)
                interval = self._interval_after(self._turn)
                last_slow = now if slow else last_slow
        return None

    def _show(self, cmd: Command, parts: frozenset[str], steps: int, seconds: float, elapsed: float) -> None:
        """Hand the GUI a snapshot; its turn starts (it acknowledges when it has shown it)."""
        self._delivered.clear()
        self.snapshot_taken.emit(take_snapshot(
            cmd.trainer, cmd.grid if "boundary" in parts else None, watched="watched" in parts, final=False,
            readouts="readouts" in parts,
            rate=steps / seconds if seconds > 0 else 0.0, elapsed=cmd.elapsed_before + elapsed))

    def _wait_out(self, due: float, pace: float) -> None:
        """Until the step's time is up, a pause or stop comes, or the speed changes (1 step/s to as fast as possible
        should not first sit out the second)."""
        while (left := due - time.perf_counter()) > 0 and self.pace == pace:
            if self._interrupted.wait(min(left, PACE_POLL)):
                return

    def _wait_for_the_gui(self) -> None:
        """However long the GUI takes to show a slow-motion step (no step goes unseen), but not past a pause or a
        shutdown, which sets only the interrupt."""
        while not self._delivered.wait(TURN_TIMEOUT) and not self._interrupted.is_set():
            pass

    @staticmethod
    def _interval_after(turn: float) -> float:
        return min(max(EMIT_INTERVAL, turn / GUI_SHARE), MAX_INTERVAL)


def apply_requests(trainer: Trainer, requests: Requests) -> None:
    """Apply what the GUI asked for between two steps (also used by the GUI thread while the worker is idle)."""
    if requests.lr is not None:
        trainer.lr = requests.lr
    if requests.batch_size is not None:
        trainer.set_batch_size(requests.batch_size)
    if requests.watched is not None:
        sync_watched(trainer.history, requests.watched)
