"""The document's side of time travel: where a run began, and checkpoints that undo continue-from-here.

A `Checkpoint` is everything continue-from-here (or restoring a run's weights) changes: the live weights,
gradients and moments with the trainer's progress (a `Frame`), the loss history, the recorded timeline and the
runs. Restoring it puts the document back bit for bit, which is what the GUI's undo stack needs.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from ..history import History
from ..losses import get_loss
from ..metrics import metric_name
from ..project import Project
from ..recording import Frame, Recorder, capture, restore_frame
from ..runs import MAX_POINTS, Run, decimate, final_metrics
from .session import Session


@dataclass
class RunStart:
    """The run in progress: where it started, and the seconds it has spent training so far."""

    step: int
    started: str
    parent: int | None = None
    seconds: float = 0.0
    _since: float | None = field(default=None, repr=False)

    @classmethod
    def now(cls, step: int, parent: int | None = None) -> RunStart:
        return cls(step, datetime.now(UTC).isoformat(timespec="seconds"), parent)

    def resume(self) -> None:
        self._since = time.monotonic()

    def pause(self) -> None:
        if self._since is not None:
            self.seconds += time.monotonic() - self._since
            self._since = None


def finish_run(project: Project, start: RunStart) -> Run | None:
    """The run from `start` to where the project's history ends now (None when it made no step)."""
    start.pause()
    history = project.history
    losses, epochs = history.losses.data(), history.epochs.data()
    end = int(losses[-1, 0]) if len(losses) else 0
    if end <= start.step:
        return None
    net, settings = project.network, project.settings
    losses = losses[losses[:, 0] > start.step]
    epochs = epochs[epochs[:, 1] > start.step]
    project.runs_made += 1
    return Run(
        id=project.runs_made, name=f"Run {project.runs_made}", started=start.started,
        settings=copy.deepcopy(asdict(settings)), data=copy.deepcopy(asdict(project.data)), network_seed=net.seed,
        architecture="-".join(str(net.layer(lid).size) for lid in net.topological_order()),
        start_step=start.step, end_step=end, losses=decimate(losses, MAX_POINTS), epochs=decimate(epochs, MAX_POINTS),
        final=final_metrics(epochs, metric_name(get_loss(settings.loss))), duration=start.seconds,
        weights={key: p.value.copy() for key, p in net.parameters()}, parent=start.parent,
    )


@dataclass(frozen=True, eq=False)
class Checkpoint:
    """The document's training state at one moment (see the module's docstring); `Document.restore` takes it."""

    frame: Frame
    history: History
    timeline: tuple[list[Frame], int]
    runs: tuple[Run, ...]
    runs_made: int
    run: RunStart | None
    elapsed: float


def take_checkpoint(project: Project, session: Session, recorder: Recorder, run: RunStart | None,
                    elapsed: float) -> Checkpoint:
    trainer = session.trainer(read_only=True)
    project.update_from(trainer)
    return Checkpoint(capture(trainer), copy.deepcopy(project.history), recorder.state(), tuple(project.runs),
                      project.runs_made, copy.deepcopy(run), elapsed)


def continue_trainer(project: Project, session: Session, frame: Frame, history: History) -> None:
    """Make the session's trainer the one that recorded `frame`, at that step, with `history` as its history.

    The trainer is rebuilt (a fresh epoch meter and optimiser) with the recorder detached while it is built, so
    that building it does not record the state it is about to leave."""
    session.invalidate()
    project.history = history
    project.progress = frame.progress
    project.optimizer_t = int(project.progress["optimizer_steps"])
    recorder, session.recorder = session.recorder, None
    try:
        trainer = session.trainer(read_only=True)
    finally:
        session.recorder = recorder
    trainer.recorder = recorder
    restore_frame(trainer, frame)
    project.update_from(trainer)
