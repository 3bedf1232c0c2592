"""Reversible steps of a model edit, each remembering exactly what it took away.

The engine hands back what its removals took (`remove_layer`, `remove_connection`, `resize_layer`...), so an undo
restores the very same weights, and a redo after an undo puts back the very objects the first run created (same
ids, same values) instead of drawing new random weights. Nothing here knows Qt: a step works on the `Network`
alone, which keeps the undo logic testable on the model and keeps the canvas a mere projection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from engine import Connection, Layer, Network, RemovedNeuron, WeightRef

# every parameter as `Network.assign` takes them: {key: (value, mask, frozen)}
Arrays = dict[tuple[str, int], tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]


class Edit(Protocol):
    def do(self, net: Network) -> None: ...

    def undo(self, net: Network) -> None: ...


@dataclass
class AddLayer:
    kind: str
    size: int
    position: tuple[float, float]
    activation: str | None = None
    layer: Layer | None = None  # the layer the first run created, put back as it was on redo

    def do(self, net: Network) -> None:
        if self.layer is None:
            self.layer = net.add_layer(self.size, self.kind, self.activation, position=self.position)
        else:
            net.restore_layer(self.layer)

    def undo(self, net: Network) -> None:
        assert self.layer is not None, "undo runs after do"
        net.remove_layer(self.layer.id)


@dataclass
class RemoveLayer:
    layer_id: int
    taken: tuple[Layer, list[Connection]] | None = None

    def do(self, net: Network) -> None:
        self.taken = net.remove_layer(self.layer_id)

    def undo(self, net: Network) -> None:
        assert self.taken is not None, "undo runs after do"
        net.restore_layer(*self.taken)


@dataclass
class Connect:
    source: int
    target: int
    connection: Connection | None = None

    def do(self, net: Network) -> None:
        if self.connection is None:
            self.connection = net.connect(self.source, self.target)
        else:
            net.restore_connection(self.connection)

    def undo(self, net: Network) -> None:
        assert self.connection is not None, "undo runs after do"
        net.remove_connection(self.connection.id)


@dataclass
class RemoveConnection:
    connection_id: int
    taken: Connection | None = None

    def do(self, net: Network) -> None:
        self.taken = net.remove_connection(self.connection_id)

    def undo(self, net: Network) -> None:
        assert self.taken is not None, "undo runs after do"
        net.restore_connection(self.taken)


@dataclass
class Presence:
    """Cut a weight or bring it back; a weight brought back again gets the value it had, not a fresh draw."""

    connection_id: int
    i: int
    j: int
    present: bool
    value: float | None = None

    def do(self, net: Network) -> None:
        self._set(net, self.present)

    def undo(self, net: Network) -> None:
        self._set(net, not self.present)

    def _set(self, net: Network, present: bool) -> None:
        weight = net.connection(self.connection_id).weight
        if not present:
            self.value = float(weight.value[self.i, self.j])
            net.set_present(self.connection_id, self.i, self.j, False)
            return
        net.set_present(self.connection_id, self.i, self.j, True)
        if self.value is None:
            self.value = float(weight.value[self.i, self.j])
        else:
            net.set_value(WeightRef(self.connection_id, self.i, self.j), self.value)


@dataclass
class AddWeight:
    """One drawn weight: inside the layers' connection if there is one, else in a new sparse connection."""

    source: int
    i: int
    target: int
    j: int
    created: Connection | None = None
    presence: Presence | None = None

    def do(self, net: Network) -> None:
        if self.created is not None:
            net.restore_connection(self.created)
        elif self.presence is not None:
            self.presence.do(net)
        else:
            existed = net.find_connection(self.source, self.target) is not None
            c = net.add_weight(self.source, self.i, self.target, self.j)
            if existed:
                self.presence = Presence(c.id, self.i, self.j, True, float(c.weight.value[self.i, self.j]))
            else:
                self.created = c

    def undo(self, net: Network) -> None:
        if self.created is not None:
            net.remove_connection(self.created.id)
        else:
            assert self.presence is not None, "undo runs after do"
            self.presence.undo(net)


@dataclass
class Resize:
    """Grow or shrink a layer at its end; whichever direction removed neurons keeps them for the way back."""

    layer_id: int
    old: int
    new: int
    _for_undo: list[RemovedNeuron] = field(default_factory=list)
    _for_redo: list[RemovedNeuron] = field(default_factory=list)

    def do(self, net: Network) -> None:
        self._for_undo = self._resize(net, self.new, self._for_redo)
        self._for_redo = []

    def undo(self, net: Network) -> None:
        self._for_redo = self._resize(net, self.old, self._for_undo)
        self._for_undo = []

    def _resize(self, net: Network, size: int, records: list[RemovedNeuron]) -> list[RemovedNeuron]:
        if not records:
            return net.resize_layer(self.layer_id, size)
        for record in reversed(records):  # removed last-first, so put back first-last
            net.insert_neuron(record.layer, record.index, restore=record)
        return []


@dataclass
class RemoveNeuron:
    layer_id: int
    index: int
    taken: RemovedNeuron | None = None

    def do(self, net: Network) -> None:
        self.taken = net.remove_neuron(self.layer_id, self.index)

    def undo(self, net: Network) -> None:
        net.insert_neuron(self.layer_id, self.index, restore=self.taken)


@dataclass
class Set:
    """Any engine setter called as ``net.<method>(*args, value)``: rename, activation, initialiser, value, frozen,
    position. The command builder reads `old` from the model before the edit runs."""

    method: str
    args: tuple
    new: Any
    old: Any = None

    def do(self, net: Network) -> None:
        getattr(net, self.method)(*self.args, self.new)

    def undo(self, net: Network) -> None:
        getattr(net, self.method)(*self.args, self.old)


@dataclass
class LoadParams:
    """Every weight and bias at once (importing weights). The first run calls `load`, which may refuse (raise)
    without changing anything; values, masks and frozen flags before and after are kept for undo and redo."""

    load: Callable[[Network], object]
    before: Arrays | None = None
    after: Arrays | None = None

    def do(self, net: Network) -> None:
        if self.after is None:
            self.before = snapshot(net)
            self.load(net)
            self.after = snapshot(net)
        else:
            net.assign(self.after)

    def undo(self, net: Network) -> None:
        assert self.before is not None, "undo runs after do"
        net.assign(self.before)


def snapshot(net: Network) -> Arrays:
    return {key: (p.value.copy(), p.mask.copy(), p.frozen.copy()) for key, p in net.parameters()}

