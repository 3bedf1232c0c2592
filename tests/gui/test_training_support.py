"""Shared pieces of the training tests: small projects, a weight reference, and controllers shut down at teardown.
It holds no test itself."""

from __future__ import annotations

import numpy as np
import pytest

from engine import History, TrainSettings, layered
from engine.project import DataSpec, Project


def make_project(
    generator: str = "circles",
    hidden: tuple[int, ...] = (6,),
    loss: str = "bce",
    out_activation: str = "sigmoid",
    n_outputs: int = 1,
    *,
    optimizer: str = "adam",
    lr: float = 0.05,
    epochs: int = 1_000_000,  # a run never ends by itself while a test waits to pause it, however loaded the machine
    batch_size: int = 16,
    n_samples: int = 200,
    n_inputs: int = 2,
) -> Project:
    net = layered((n_inputs, *hidden, n_outputs), "tanh", out_activation)
    settings = TrainSettings(loss=loss, optimizer=optimizer, optimizer_params={"lr": lr}, batch_size=batch_size,
                             epochs=epochs, seed=1)
    data = DataSpec("generator", generator, {"n_samples": n_samples, "seed": 3})
    return Project(net, settings, data, History())


def first_weight_ref(project: Project, k: int = 0):
    """The ((\"W\", cid), (i, j)) of the k-th weight of the first connection."""
    c = next(iter(project.network.connections.values()))
    i, j = np.unravel_index(k, c.weight.shape)
    return ("W", c.id), (int(i), int(j))


@pytest.fixture
def controllers(qtbot):
    """Builds controllers and shuts every one down at teardown, so no thread outlives a test."""
    from gui.training.controller import TrainingController

    made: list[TrainingController] = []

    def make(project: Project) -> TrainingController:
        controller = TrainingController(project)
        made.append(controller)
        return controller

    yield make
    for controller in made:
        controller.shutdown()
