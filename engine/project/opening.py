"""What a project opens with selected: the GUI-state key `ui.selection`, checked against the network.

The notes' two-path example opens with its weight selected, so the chain-rule explorer explains it at once. The
key lives in the free-form GUI state, but it names layers, neurons and weights by id, so it is checked like every
other field when the file is loaded: a wrong id is a `ProjectError` naming its place, not a silent nothing.
"""

from __future__ import annotations

from typing import Any

from ..errors import BackpropError, ProjectError
from ..graph.model import Network
from ..refs import WeightRef

KEY = "selection"
Opening = tuple[tuple[int, ...], tuple[tuple[int, int], ...], tuple[WeightRef, ...]]  # layers, neurons, weights


def opening_selection(network: Network, ui: dict[str, Any]) -> Opening:
    """(layer ids, (layer id, neuron) pairs, weights) of `ui["selection"]`; all empty when there is none."""
    raw = ui.get(KEY, {})
    if not isinstance(raw, dict):
        raise ProjectError("expected an object with layers, neurons and weights", field=f"ui.{KEY}")
    unknown = sorted(set(raw) - {"layers", "neurons", "weights"})
    if unknown:
        raise ProjectError(f"unknown key {unknown[0]!r}; expected layers, neurons and weights", field=f"ui.{KEY}")
    layers = tuple(_each(raw, "layers", 1, lambda v: network.layer(v[0]) and v[0]))
    neurons = tuple(_each(raw, "neurons", 2, lambda v: _neuron(network, v[0], v[1])))
    weights = tuple(_each(raw, "weights", 3, lambda v: _weight(network, WeightRef(*v))))
    return layers, neurons, weights


def _each(raw: dict[str, Any], key: str, width: int, build: Any) -> list[Any]:
    entries = raw.get(key, [])
    if not isinstance(entries, list):
        raise ProjectError(f"expected a list, not {entries!r}", field=f"ui.{KEY}.{key}")
    found = []
    for k, entry in enumerate(entries):
        where = f"ui.{KEY}.{key}[{k}]"
        values = [entry] if width == 1 else entry
        if not (isinstance(values, list) and len(values) == width
                and all(isinstance(v, int) and not isinstance(v, bool) for v in values)):
            shape = "a layer id" if width == 1 else f"a list of {width} whole numbers"
            raise ProjectError(f"expected {shape}, not {entry!r}", field=where)
        try:
            found.append(build(values))
        except BackpropError as exc:
            raise ProjectError(str(exc), field=where) from None
    return found


def _neuron(network: Network, lid: int, j: int) -> tuple[int, int]:
    size = network.layer(lid).size
    if not 0 <= j < size:
        raise ProjectError(f"layer {network.layer(lid).name} has {size} neurons: there is no neuron {j}")
    return lid, j


def _weight(network: Network, ref: WeightRef) -> WeightRef:
    network.check_ref(ref)
    return ref
