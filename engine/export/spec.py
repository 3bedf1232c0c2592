"""The one description of a network that every export format serialises: layers in evaluation order, their
incoming connections, and every array under a stable name built from layer names.

Formats differ only in how they write this description, so they cannot disagree about which array is which or in
which order sums are taken (the exported models add terms in the engine's order, which keeps them bit-close to it).

Array names (see docs/export.md): ``W__<source>__<target>``, ``mask__<source>__<target>``,
``frozen__<source>__<target>`` for a connection; ``b__<layer>`` and ``frozen__<layer>`` for a layer's biases;
``standardize__mean`` and ``standardize__std`` for the input transform, when the project standardises its inputs.
The input features (x1², x1·x2, sin x1, ...) have no arrays: each is named, and defined by `Feature`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..datasets import FEATURES, InputTransform
from ..errors import ExportError, ValidationError
from ..graph.model import Network
from ..graph.params import Param
from ..graph.validate import validate

# 2: the input transform ("input_transform"); a version-1 file has none. 3: its "features" step
FORMAT_VERSION = 3
# GELU's tanh form, 0.5·x·(1 + tanh(GELU_C·(x + GELU_CUBIC·x³))), which the exports write out term by term
GELU_C = math.sqrt(2.0 / math.pi)
GELU_CUBIC = 0.044715


# the input transform's arrays, float64 as the app holds them: exported models compute (x − mean) / std first
STANDARDIZE_MEAN, STANDARDIZE_STD = "standardize__mean", "standardize__std"


def weight_names(source: str, target: str) -> tuple[str, str, str]:
    """Names of a connection's (weights, mask, frozen flags)."""
    return f"W__{source}__{target}", f"mask__{source}__{target}", f"frozen__{source}__{target}"


def bias_names(layer: str) -> tuple[str, str]:
    """Names of a layer's (biases, frozen flags)."""
    return f"b__{layer}", f"frozen__{layer}"


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    weight: str
    mask: str
    frozen: str
    has_cuts: bool  # some weight of the connection is cut (exactly 0 and meant to stay so)


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    size: int
    activation: str
    bias: str | None  # None for the input layer
    bias_frozen: str | None
    inputs: tuple[Link, ...]  # in the order the engine sums them


@dataclass(frozen=True)
class Graph:
    dtype: np.dtype
    nodes: tuple[Node, ...]  # evaluation order: the input layer first, the output layer last
    arrays: dict[str, np.ndarray]  # copies, so a file describes one moment even while training goes on
    features: tuple[str, ...] = ()  # the input features computed from the raw rows first (FEATURES' names)

    @property
    def input(self) -> Node:
        return self.nodes[0]

    @property
    def n_raw(self) -> int:
        """How many numbers a raw row holds: what an exported model takes."""
        return 2 if self.features else self.input.size

    @property
    def output(self) -> Node:
        return self.nodes[-1]

    @property
    def standardizes(self) -> bool:
        """Whether raw inputs are standardised first, as the app standardises this project's rows."""
        return STANDARDIZE_MEAN in self.arrays

    @property
    def links(self) -> list[Link]:
        return [link for node in self.nodes for link in node.inputs]

    def summary(self) -> str:
        """One line a generated file can open with: ``in (2) → h1 (8, tanh) → out (3, softmax)``."""
        parts = [f"{n.name} ({n.size})" if n.kind == "input" else f"{n.name} ({n.size}, {n.activation})"
                 for n in self.nodes]
        return " → ".join(parts)

    def meta(self) -> dict[str, Any]:
        """The graph with array names in place of arrays: enough for a reader to rebuild the computation."""
        layers = []
        for n in self.nodes:
            entry = {"name": n.name, "kind": n.kind, "size": n.size, "activation": n.activation}
            if n.bias is not None:
                entry.update(bias=n.bias, bias_frozen=n.bias_frozen)
            layers.append(entry)
        connections = [{"source": link.source, "target": link.target, "weight": link.weight, "mask": link.mask,
                        "frozen": link.frozen} for link in self.links]
        return {"format": "backprop-studio-weights", "version": FORMAT_VERSION, "dtype": self.dtype.name,
                "input": self.input.name, "output": self.output.name, "layers": layers, "connections": connections,
                "input_transform": self.transform_steps(lambda name: name)}

    def transform_arrays(self) -> dict[str, np.ndarray]:
        """The input transform's arrays in the network's dtype, the one an exported model computes in."""
        return {name: self.arrays[name].astype(self.dtype) for name in (STANDARDIZE_MEAN, STANDARDIZE_STD)
                if name in self.arrays}

    def transform_steps(self, array: Callable[[str], object]) -> list[dict[str, object]]:
        """The input transform as steps applied in order to raw rows, each array given as `array(name)`; a feature
        is `function` (identity or sin) of the raw column `column`, times the raw column `times` unless null."""
        steps: list[dict[str, object]] = []
        if self.features:
            steps.append({"step": "features", "features": [
                {"name": name, "function": FEATURES[name].function, "column": FEATURES[name].column,
                 "times": FEATURES[name].times} for name in self.features]})
        if self.standardizes:
            steps.append({"step": "standardize", "mean": array(STANDARDIZE_MEAN), "std": array(STANDARDIZE_STD)})
        return steps


def named_params(network: Network) -> dict[str, tuple[tuple[str, int], Param, str]]:
    """Every array name → (parameter key, parameter, field), in evaluation order.

    Raises `ExportError` if two names coincide, which only layer names containing ``__`` can cause.
    """
    named: dict[str, tuple[tuple[str, int], Param, str]] = {}

    def add(names: tuple[str, ...], key: tuple[str, int], param: Param, fields: tuple[str, ...]) -> None:
        for name, field in zip(names, fields, strict=True):
            if name in named:
                raise ExportError(f"two arrays would both be named {name!r}; rename a layer so that its name "
                                  f"does not contain '__'")
            named[name] = (key, param, field)

    for lid in network.topological_order():
        layer = network.layer(lid)
        for c in network.incoming(lid):
            add(weight_names(network.layer(c.source).name, layer.name), ("W", c.id), c.weight,
                ("value", "mask", "frozen"))
        if layer.bias is not None:
            add(bias_names(layer.name), ("b", lid), layer.bias, ("value", "frozen"))
    return named


def describe(network: Network, transform: InputTransform | None = None) -> Graph:
    """The network as the export formats see it, taking raw rows through `transform` first (the project's
    `DataSpec.input_transform`); `ExportError` if it cannot compute an output yet."""
    try:
        validate(network)
    except ValidationError as exc:
        raise ExportError(f"the network cannot be exported yet: {exc}") from None
    arrays = {name: getattr(param, field).copy() for name, (_, param, field) in named_params(network).items()}
    scaler = transform.standardizer if transform is not None else None
    features = transform.features if transform is not None else ()
    if features and len(features) != network.input_layer.size:
        raise ExportError(f"the data has {len(features)} input features, the network's input layer "
                          f"{network.input_layer.size}")
    if scaler is not None:
        if len(scaler.mean) != network.input_layer.size:
            raise ExportError(f"the data has {len(scaler.mean)} input columns, the network's input layer "
                              f"{network.input_layer.size}")
        arrays.update({STANDARDIZE_MEAN: scaler.mean.copy(), STANDARDIZE_STD: scaler.std.copy()})
    bad = next((name for name, a in arrays.items() if not np.isfinite(a).all()), None)
    if bad:
        raise ExportError(f"array {bad!r} holds NaN or infinite values; reset or retrain the network first")
    nodes = []
    for lid in network.topological_order():
        layer = network.layer(lid)
        links = []
        for c in network.incoming(lid):
            names = weight_names(network.layer(c.source).name, layer.name)
            links.append(Link(network.layer(c.source).name, layer.name, *names, not c.weight.mask.all()))
        bias, bias_frozen = bias_names(layer.name) if layer.bias is not None else (None, None)
        nodes.append(Node(layer.name, layer.kind, layer.size, layer.activation, bias, bias_frozen, tuple(links)))
    return Graph(network.dtype, tuple(nodes), arrays, features)
