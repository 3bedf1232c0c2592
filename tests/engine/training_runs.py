"""A small project and the way the GUI's controller drives a document through training, for the timeline and runs
tests."""

from __future__ import annotations

import numpy as np

from engine import compiled, layered
from engine.project import DataSpec, Project
from engine.studio import Document, RunState
from engine.training import TrainSettings


def project(optimizer: str = "adam", epochs: int = 50, seed: int = 3) -> Project:
    net = layered([2, 6, 1], output="sigmoid", seed=1)
    params = {"lr": 0.05, **({"momentum": 0.9} if optimizer == "sgd" else {})}
    settings = TrainSettings(loss="bce", optimizer=optimizer, optimizer_params=params, batch_size=16, epochs=epochs,
                             seed=seed)
    return Project(net, settings, DataSpec("generator", "circles", {"n_samples": 72}))


def train(document: Document, steps: int) -> None:
    """`steps` steps as the GUI's controller runs them: RUNNING, the trainer's steps, then PAUSED."""
    document.set_run_state(RunState.RUNNING)
    trainer = document.session.trainer()
    for _ in range(steps):
        trainer.step()
    document.take_over(trainer)
    document.set_run_state(RunState.PAUSED)


def buffers(document: Document) -> np.ndarray:
    return compiled(document.network).buffers.copy()
