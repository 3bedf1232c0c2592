"""The small values the document hands its views: the run state, the selection, the status line, loaded data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..datasets import Dataset
from ..refs import WeightRef
from .plane import Plane


class RunState(Enum):
    STOPPED = "stopped"  # no run in progress
    RUNNING = "running"  # the worker executes a command and owns the network until it ends
    PAUSED = "paused"  # a run is in progress but idle: the network may be edited


@dataclass(frozen=True)
class Selection:
    """What is selected on the canvas: layer ids, (layer id, neuron index) pairs and weight references."""

    layers: tuple[int, ...] = ()
    neurons: tuple[tuple[int, int], ...] = ()
    weights: tuple[WeightRef, ...] = ()

    @property
    def count(self) -> int:
        return len(self.layers) + len(self.neurons) + len(self.weights)


@dataclass(frozen=True)
class Status:
    """The one line that says what the app is doing or why it cannot; `blocking` marks a "cannot train yet"
    that the next successful check clears by itself."""

    text: str = ""
    error: bool = False
    blocking: bool = False


@dataclass(frozen=True, eq=False)
class LoadedData:
    """The project's data set as loaded: training and validation splits (validation may be empty)."""

    train: Dataset
    val: Dataset
    plane: Plane | None = None  # the decision boundary's points (raw x1, x2 with input features); None: not 2 inputs
