"""Names a teacher writes for what is on the canvas, resolved against a network.

A layer is its name (``h1``), a neuron its layer's name and 0-based index (``h1[2]``), a weight its two neurons
(``in[0] -> h1[2]``, or with →, as the app writes weight names), a connection its two layers (``h1 -> h2``).
Names, not ids: they are what the canvas shows, and they stay readable in a lesson.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import BackpropError
from ..graph.model import Network
from ..refs import WeightRef

ARROW = r"\s*(?:->|→)\s*"
WEIGHT = re.compile(rf"^(.+?)\[(\d+)\]{ARROW}(.+?)\[(\d+)\]$")
NEURON = re.compile(r"^(.+?)\[(\d+)\]$")
CONNECTION = re.compile(rf"^(.+?){ARROW}(.+)$")
Neuron = tuple[int, int]  # (layer id, index)


class UnknownItemError(BackpropError):
    """A name in a lesson that names nothing in the project's network."""


@dataclass(frozen=True)
class Items:
    """What a list of names resolved to, in the document's `Selection` shape."""

    layers: tuple[int, ...] = ()
    neurons: tuple[Neuron, ...] = ()
    weights: tuple[WeightRef, ...] = ()


def resolve(network: Network, names: tuple[str, ...] | list[str]) -> Items:
    layers: list[int] = []
    neurons: list[Neuron] = []
    weights: list[WeightRef] = []
    for name in names:
        item = resolve_one(network, name)
        if isinstance(item, WeightRef):
            weights.append(item)
        elif isinstance(item, tuple):
            neurons.append(item)
        else:
            layers.append(item)
    return Items(tuple(layers), tuple(neurons), tuple(weights))


def resolve_one(network: Network, name: str) -> int | Neuron | WeightRef:
    """A layer id, a (layer id, neuron) pair or a weight."""
    text = name.strip()
    match = WEIGHT.match(text)
    if match:
        source = neuron(network, f"{match.group(1)}[{match.group(2)}]")
        target = neuron(network, f"{match.group(3)}[{match.group(4)}]")
        conn = network.find_connection(source[0], target[0])
        if conn is None or not conn.weight.mask[source[1], target[1]]:
            raise UnknownItemError(f"there is no weight {text!r}: {match.group(1)}[{match.group(2)}] is not connected "
                             f"to {match.group(3)}[{match.group(4)}]")
        return WeightRef(conn.id, source[1], target[1])
    if NEURON.match(text):
        return neuron(network, text)
    return layer(network, text)


def layer(network: Network, name: str) -> int:
    for candidate in network.layers.values():
        if candidate.name == name.strip():
            return candidate.id
    known = ", ".join(candidate.name for candidate in network.layers.values())
    raise UnknownItemError(f"there is no layer {name.strip()!r}; the layers are {known}")


def neuron(network: Network, name: str) -> Neuron:
    match = NEURON.match(name.strip())
    if match is None:
        raise UnknownItemError(f"{name!r} is not a neuron: write the layer's name and the neuron's index, e.g. h1[0]")
    lid, j = layer(network, match.group(1)), int(match.group(2))
    size = network.layer(lid).size
    if j >= size:
        raise UnknownItemError(f"{match.group(1)} has {size} neurons, numbered from 0: there is no {name.strip()}")
    return lid, j


def connection(network: Network, name: str) -> int:
    """The connection between two layers, named ``h1 -> h2``."""
    match = CONNECTION.match(name.strip())
    if match is None or NEURON.match(match.group(1)):
        raise UnknownItemError(f"{name!r} is not a connection: name its two layers, e.g. h1 -> h2")
    source, target = layer(network, match.group(1)), layer(network, match.group(2))
    conn = network.find_connection(source, target)
    if conn is None:
        raise UnknownItemError(f"no connection joins {match.group(1).strip()} to {match.group(2).strip()}")
    return conn.id
