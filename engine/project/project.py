"""Everything a user's work consists of: the network, how it trains, on what data, and how the run went so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..datasets import Dataset
from ..graph.model import Network
from ..history import History
from ..runs import Run
from ..training import Trainer, TrainSettings
from .data import DataSpec


@dataclass
class Project:
    network: Network
    settings: TrainSettings
    data: DataSpec
    history: History = field(default_factory=History)
    optimizer_t: int = 0  # optimiser steps taken: Adam's bias correction needs it to resume where it stopped
    ui: dict[str, Any] = field(default_factory=dict)  # free-form GUI state (watched weights, view...), JSON-compatible
    path: Path | None = None  # the file it was loaded from or last saved to
    # `Trainer.progress()` of the last trainer (shuffling, position in the epoch, patience), so a reload resumes
    # bit-identically; ignored once it no longer matches the history and optimizer_t (after a reset, say)
    progress: dict[str, Any] | None = None
    # where a relative CSV path is looked up while the project has no file of its own (see `detach`)
    data_dir: Path | None = None
    runs: list[Run] = field(default_factory=list)  # finished runs, oldest first (engine.runs)
    runs_made: int = 0  # runs ever recorded in this project: the next run's id, so ids are never reused

    @property
    def base_dir(self) -> Path | None:
        """The directory a relative CSV path in `data` is relative to."""
        return self.path.parent if self.path is not None else self.data_dir

    def detach(self) -> None:
        """Forget the file (Save must then ask where, never overwrite a shipped example) but keep finding the
        data beside it: an example's relative CSV path must not be looked up from the working directory."""
        self.data_dir = self.base_dir
        self.path = None

    def make_trainer(self, train: Dataset, val: Dataset) -> Trainer:
        """A trainer that continues this project's run rather than starting a new one: the history goes on
        from its last step and epoch, and Adam's bias correction from the saved step count."""
        trainer = Trainer(self.network, train.X, train.y, self.settings, val.X, val.y, self.history)
        losses, epochs = self.history.losses.data(), self.history.epochs.data()
        last_step = int(losses[-1, 0]) if len(losses) else 0
        if self.progress is not None and self._resumes(last_step):
            trainer.restore_progress(self.progress)
            return trainer
        trainer.optimizer.t = self.optimizer_t
        trainer.step_count = last_step
        if len(epochs):
            trainer.epoch = int(epochs[-1, 0])
        return trainer

    def _resumes(self, last_step: int) -> bool:
        """Whether `progress` is where this project's run stands, not a leftover from before a reset (the history
        and optimizer_t were cleared) or from data with another number of outputs."""
        p = self.progress
        if p is None or p["optimizer_steps"] != self.optimizer_t or p["step"] != last_step:
            return False
        return p["meter"] is None or len(p["meter"]["t_sum"]) in (1, self.network.output_layer.size)

    def update_from(self, trainer: Trainer) -> None:
        """Take over what a trainer changed outside the network and history (which it shares with the project)."""
        self.optimizer_t = trainer.optimizer.t
        self.progress = trainer.progress()
