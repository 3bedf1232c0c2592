"""Checks that a network can run, with every problem named, before anything runs.

Edits already refuse cycles and impossible links; what remains are states a user passes through while building
(a layer not yet wired, an output not yet reachable), which are legal to draw but not to train.
"""

from __future__ import annotations

from ..errors import GraphError, ValidationError
from ..losses import get_loss
from .model import Network


def problems(network: Network, loss: str | None = None, n_features: int | None = None,
             n_outputs: int | None = None) -> list[str]:
    """Every reason the network cannot train, one plain sentence each (empty when it can)."""
    found = []
    try:
        inp, out = network.input_layer, network.output_layer
    except GraphError as exc:
        return [str(exc)]
    if not network.reaches(inp.id, out.id):
        found.append(f"the output layer {out.name!r} is not reachable from the input layer {inp.name!r}")
    for layer in network.layers_of_kind("hidden"):
        if not network.incoming(layer.id):
            found.append(f"hidden layer {layer.name!r} has no incoming connection")
        elif not network.reaches(inp.id, layer.id):
            found.append(f"hidden layer {layer.name!r} is not reachable from the input layer")
        if not network.outgoing(layer.id):
            found.append(f"hidden layer {layer.name!r} feeds nothing (no outgoing connection)")
        elif not network.reaches(layer.id, out.id):
            found.append(f"hidden layer {layer.name!r} does not lead to the output layer")
    for c in network.connections.values():
        if not c.weight.mask.any():
            names = network.layer(c.source).name, network.layer(c.target).name
            found.append(f"connection {names[0]!r} → {names[1]!r} has no weights left")
    if loss is not None:
        reason = get_loss(loss).check_output(out.activation)
        if reason:
            found.append(f"output layer {out.name!r}: {reason}")
    if n_features is not None and n_features != inp.size:
        found.append(f"the data has {n_features} input columns but the input layer {inp.name!r} has {inp.size} neurons")
    if n_outputs is not None and n_outputs != out.size:
        found.append(f"the data needs {n_outputs} outputs but the output layer {out.name!r} has {out.size} neurons")
    return found


def validate(network: Network, loss: str | None = None, n_features: int | None = None,
             n_outputs: int | None = None) -> None:
    """Raise `ValidationError` listing every problem, or return quietly."""
    found = problems(network, loss, n_features, n_outputs)
    if found:
        raise ValidationError(found)
