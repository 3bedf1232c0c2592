"""What an edit of the network changed, as one event class per kind of change.

Views follow `network.events` (a `Signal[NetworkEvent]`) and dispatch on the class: `isinstance(event,
LayerMoved)`. Whether compiled plans went stale is the network's `version`, not the event's kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class NetworkEvent:
    pass


@dataclass(frozen=True)
class LayerAdded(NetworkEvent):
    layer: int


@dataclass(frozen=True)
class LayerRemoved(NetworkEvent):
    layer: int


@dataclass(frozen=True)
class LayerChanged(NetworkEvent):
    """Name, activation or frozen biases."""

    layer: int


@dataclass(frozen=True)
class LayerResized(NetworkEvent):
    layer: int


@dataclass(frozen=True)
class LayerMoved(NetworkEvent):
    """A position on the canvas: nothing that trains changes (a drag sends one per mouse move)."""

    layer: int


@dataclass(frozen=True)
class ConnectionAdded(NetworkEvent):
    connection: int


@dataclass(frozen=True)
class ConnectionRemoved(NetworkEvent):
    connection: int


@dataclass(frozen=True)
class ConnectionChanged(NetworkEvent):
    """`what` changed: the mask (a weight cut or drawn, which sets its value, gradient and moments too), frozen
    weights, the initialiser or the penalty. Only a change of mask changes numbers that train, so only it makes
    a recorded frame stale (`Document._network_edited`): a retake copies every buffer, 34 MB on a 1M-weight net."""

    connection: int
    what: Literal["mask", "frozen", "init", "penalty"]


@dataclass(frozen=True)
class ValuesChanged(NetworkEvent):
    """Weights or biases set by hand, imported, reset or converted to another dtype."""
