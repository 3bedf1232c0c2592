"""Shared pieces of the training tests: small projects, a weight reference, controllers shut down at teardown, and
waiting on the document's signals. It holds no test itself."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest

from engine import History, TrainSettings, WeightRef, layered
from engine.observe import Signal
from engine.project import DataSpec, Project

WAIT = 10_000  # ms; generous for a loaded 2-core CI machine, returns as soon as the signal arrives


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


def first_weight_ref(project: Project, k: int = 0) -> WeightRef:
    """The k-th weight of the first connection."""
    c = next(iter(project.network.connections.values()))
    i, j = np.unravel_index(k, c.weight.shape)
    return WeightRef(c.id, int(i), int(j))


@contextmanager
def emitted(qtbot, signal: Signal, check: Callable[[object], bool] = lambda _value: True,
            timeout: int = WAIT) -> Iterator[list]:
    """`qtbot.waitSignal` for a document `Signal`: after the block, waits until `signal` has emitted a value
    `check` accepts; the yielded list then holds the accepted values, the first one first."""
    seen: list = []

    def note(value) -> None:
        if check(value):
            seen.append(value)

    signal.connect(note)
    try:
        yield seen
        qtbot.waitUntil(lambda: bool(seen), timeout=timeout)
    finally:
        signal.disconnect(note)


@pytest.fixture
def controllers(qtbot):
    """Builds controllers, each on a document of its own project, and shuts every one down at teardown, so no
    thread outlives a test."""
    from engine.studio import Document
    from gui.training.controller import TrainingController

    made: list[TrainingController] = []

    def make(project: Project) -> TrainingController:
        controller = TrainingController(Document(project))
        made.append(controller)
        return controller

    yield make
    for controller in made:
        controller.shutdown()
