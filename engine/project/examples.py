"""The example projects shipped in resources/examples/ (built by resources/examples/make_examples.py)."""

from __future__ import annotations

from pathlib import Path

from ..errors import ProjectError
from ..graph.model import Network
from ..resources import resource_path
from .files import load_project
from .project import Project

EXAMPLES: dict[str, Path] = {
    name: resource_path("examples", file)
    for name, file in (
        ("XOR", "xor.bps.json"),
        ("Circles", "circles.bps.json"),
        ("Spiral (3 arms)", "spiral.bps.json"),
        ("Sine regression", "sine.bps.json"),
        ("Skip connection", "skip.bps.json"),
        ("Lecture notes 4-3-2-1 (Iris)", "lecture_4321.bps.json"),
        ("Scalar chain (notes)", "scalar_chain.bps.json"),
        ("Two paths (notes)", "two_paths.bps.json"),
        ("Deep sigmoid chain", "deep_sigmoid.bps.json"),
        ("Deep ReLU chain", "deep_relu.bps.json"),
        ("Skip chain", "skip_chain.bps.json"),
        ("Digits (8×8)", "digits.bps.json"),
    )
}
NEW_PROJECT_EXAMPLE = "Circles"


def example_path(name: str) -> Path:
    try:
        return EXAMPLES[name]
    except KeyError:
        raise ProjectError(f"there is no example named {name!r}; the examples are: {', '.join(EXAMPLES)}") from None


def open_example(name: str) -> Project:
    """An example, detached from its file (`Project.detach`)."""
    project = load_project(example_path(name))
    project.detach()
    return project


def new_project() -> Project:
    """The starter the app opens on: the circles example, ready to train."""
    return open_example(NEW_PROJECT_EXAMPLE)


def empty_project() -> Project:
    """An empty canvas (File → New) with the starter's data set and settings, so a network built on it trains."""
    starter = new_project()
    return Project(Network(seed=starter.network.seed), starter.settings, starter.data)
