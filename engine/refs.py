"""References to one trainable number: a weight of a connection, or a bias of a neuron.

A reference is a small frozen value, so it can key a dict, sit in a set, travel to the training thread and be
compared with `==`; its attributes say what it points at, where a nested tuple had to be taken apart by position.
Its `key` names the parameter *array* it lives in (the key of `Network.param`, `Compiled.slices`, the optimiser's
state), and its `index` the position in that array, so `net.param(ref.key).value[ref.index]` reads the number.

Parameter keys stay plain tuples, ("W", connection id) or ("b", layer id), named by the `ParamKey` alias: they are
internal dict keys (`Network.parameters`, `Compiled.slices`, the history's norms and snapshots, the NPZ and project
codecs) that code passes along rather than takes apart, so a class would add conversions at every codec and no
safety; what users and views hold is a reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

ParamKey: TypeAlias = tuple[str, int]  # ("W", connection id) or ("b", layer id)


@dataclass(frozen=True, order=True, slots=True)
class WeightRef:
    """The weight from neuron `i` of connection `conn`'s source layer to neuron `j` of its target layer."""

    conn: int
    i: int
    j: int

    @property
    def key(self) -> ParamKey:
        return ("W", self.conn)

    @property
    def index(self) -> tuple[int, int]:
        return (self.i, self.j)


@dataclass(frozen=True, order=True, slots=True)
class BiasRef:
    """The bias of neuron `j` of layer `layer`."""

    layer: int
    j: int

    @property
    def key(self) -> ParamKey:
        return ("b", self.layer)

    @property
    def index(self) -> tuple[int]:
        return (self.j,)


ParamRef: TypeAlias = WeightRef | BiasRef


def ref_at(key: ParamKey, index: tuple[int, ...]) -> ParamRef:
    """The reference to entry `index` of parameter array `key`, for code that walks whole arrays."""
    kind, ident = key
    if kind == "W":
        i, j = index
        return WeightRef(ident, int(i), int(j))
    (j,) = index
    return BiasRef(ident, int(j))
