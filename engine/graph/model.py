"""The network the user edits: layers of neurons joined by connections, forming a DAG.

A neuron's pre-activation sums every incoming connection, from any earlier layer (`a_j = Σ_S Σ_i w_ij h_i + b_j`),
so skip connections and branches need no special case. A connection stores a full source × target matrix and a
mask: a dense connection has every pair, a sparse one only the pairs the user drew. Cut weights leave the mask
(value 0, gradient 0); frozen weights keep their value and gradient but are never updated.

Every edit keeps the weights that still make sense, so editing never silently resets training, and emits an
event for views. `version` changes whenever compiled plans become stale (structure, masks, frozen flags).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..activations import get_activation
from ..errors import CycleError, GraphError
from ..init import check_initializer, initialize
from ..observe import Signal
from ..refs import BiasRef, ParamKey, ParamRef, WeightRef
from ..regularization import Penalty
from .events import (
    ConnectionAdded,
    ConnectionChanged,
    ConnectionRemoved,
    LayerAdded,
    LayerChanged,
    LayerMoved,
    LayerRemoved,
    LayerResized,
    NetworkEvent,
    ValuesChanged,
)
from .params import Param

if TYPE_CHECKING:
    from ..compile import Compiled

KINDS = ("input", "hidden", "output")
MAX_NAME_LENGTH = 64


def check_layer_name(name: str) -> None:
    """A name is printed on the canvas, in terminals and in exported files: it must be printable text (no control
    characters such as NUL or ESC, no lone surrogates, no invisible formatting characters) of 1 to 64 characters."""
    if not name:
        raise GraphError("a layer name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise GraphError(f"a layer name has at most {MAX_NAME_LENGTH} characters, not {len(name)}")
    bad = next((ch for ch in name if not ch.isprintable()), None)
    if bad is not None:
        raise GraphError(f"a layer name cannot hold the character {bad!a} (control characters, surrogates "
                         "and invisible formatting characters are not allowed)")


@dataclass(eq=False)
class Layer:
    id: int
    name: str
    kind: str
    activation: str
    bias: Param | None  # None for the input layer, which only holds the data
    size: int
    position: tuple[float, float] = (0.0, 0.0)


@dataclass(eq=False)
class Connection:
    id: int
    source: int
    target: int
    weight: Param
    init: str = "glorot_uniform"
    dense: bool = True  # drawn as a whole (layer to layer) rather than as single neuron pairs
    penalty: Penalty | None = None  # its weights' own L1/L2 penalty; None: the network's (engine.regularization)


@dataclass
class RemovedNeuron:
    """Everything `remove_neuron` took away, so `insert_neuron` can put it back exactly (undo)."""

    layer: int
    index: int
    bias: dict[str, np.ndarray] | None
    weights: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)


class Network:
    def __init__(self, seed: int = 0, dtype: npt.DTypeLike = np.float64):
        self.seed = int(seed)
        self.dtype = np.dtype(dtype)
        self.layers: dict[int, Layer] = {}
        self.connections: dict[int, Connection] = {}
        self.events: Signal[NetworkEvent] = Signal()
        self.version = 0
        # owned by engine.compile: one plan per structure version, shared by all callers
        self.compiled_plan: Compiled | None = None
        self._next_id = 1
        self._draws = 0  # counts random draws after creation, so edits are reproducible too

    def __getstate__(self) -> dict[str, object]:
        """A pickled network (a project saved by a child process, engine.project.apart) is a network of its own:
        the views and the document following this one stay here (they hold locks and Qt objects), and the compiled
        plan, whose buffers hold every array a second time, is rebuilt when it is wanted."""
        return {**self.__dict__, "events": Signal(), "compiled_plan": None}

    # ----------------------------------------------------------------- queries
    def layer(self, layer_id: int) -> Layer:
        try:
            return self.layers[layer_id]
        except KeyError:
            raise GraphError(f"there is no layer with id {layer_id}") from None

    def connection(self, connection_id: int) -> Connection:
        try:
            return self.connections[connection_id]
        except KeyError:
            raise GraphError(f"there is no connection with id {connection_id}") from None

    def layer_by_name(self, name: str) -> Layer:
        for layer in self.layers.values():
            if layer.name == name:
                return layer
        raise GraphError(f"there is no layer named {name!r}")

    def layers_of_kind(self, kind: str) -> list[Layer]:
        return [layer for layer in self.layers.values() if layer.kind == kind]

    @property
    def input_layer(self) -> Layer:
        return self._single("input")

    @property
    def output_layer(self) -> Layer:
        return self._single("output")

    def _single(self, kind: str) -> Layer:
        found = self.layers_of_kind(kind)
        if len(found) != 1:
            raise GraphError(f"the network needs exactly one {kind} layer (it has {len(found)})")
        return found[0]

    def incoming(self, layer_id: int) -> list[Connection]:
        return [c for c in self.connections.values() if c.target == layer_id]

    def outgoing(self, layer_id: int) -> list[Connection]:
        return [c for c in self.connections.values() if c.source == layer_id]

    def find_connection(self, source: int, target: int) -> Connection | None:
        return next((c for c in self.connections.values() if c.source == source and c.target == target), None)

    def reaches(self, start: int, goal: int) -> bool:
        """Whether a directed path leads from layer `start` to layer `goal`."""
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(c.target for c in self.outgoing(node))
        return False

    def topological_order(self) -> list[int]:
        """Layer ids, every layer after all its sources (Kahn's algorithm; ties keep creation order)."""
        indegree = {lid: 0 for lid in self.layers}
        for c in self.connections.values():
            indegree[c.target] += 1
        ready = [lid for lid, d in indegree.items() if d == 0]
        order = []
        while ready:
            lid = ready.pop(0)
            order.append(lid)
            for c in self.outgoing(lid):
                indegree[c.target] -= 1
                if indegree[c.target] == 0:
                    ready.append(c.target)
        return order

    def parameters(self) -> list[tuple[ParamKey, Param]]:
        """Every trainable array keyed ("W", connection id) or ("b", layer id), in a stable order."""
        params: list[tuple[ParamKey, Param]] = [(("W", c.id), c.weight) for c in self.connections.values()]
        params += [(("b", lay.id), lay.bias) for lay in self.layers.values() if lay.bias is not None]
        return params

    def param(self, key: ParamKey) -> Param:
        kind, ident = key
        return self.connection(ident).weight if kind == "W" else self._bias(ident)

    def _bias(self, layer_id: int) -> Param:
        layer = self.layer(layer_id)
        if layer.bias is None:
            raise GraphError(f"the input layer {layer.name!r} has no biases")
        return layer.bias

    @property
    def n_weights(self) -> int:
        return int(sum(c.weight.mask.sum() for c in self.connections.values()))

    @property
    def n_biases(self) -> int:
        return sum(lay.size for lay in self.layers.values() if lay.bias is not None)

    def weight_name(self, connection_id: int, i: int, j: int) -> str:
        c = self.connection(connection_id)
        return f"{self.layer(c.source).name}[{i}] → {self.layer(c.target).name}[{j}]"

    def bias_name(self, layer_id: int, j: int) -> str:
        return f"b {self.layer(layer_id).name}[{j}]"

    def ref_name(self, ref: ParamRef) -> str:
        """Readable name of a weight or a bias."""
        if isinstance(ref, WeightRef):
            return self.weight_name(ref.conn, ref.i, ref.j)
        return self.bias_name(ref.layer, ref.j)

    def check_ref(self, ref: ParamRef) -> None:
        """Raise `GraphError` unless `ref` is a weight or bias reference naming one that exists."""
        if not isinstance(ref, WeightRef | BiasRef):
            raise GraphError(f"{ref!r} is neither a weight, WeightRef(conn, i, j), nor a bias, BiasRef(layer, j)")
        param = self.param(ref.key)
        if not all(0 <= i < n for i, n in zip(ref.index, param.shape, strict=True)):
            raise GraphError(f"{ref} is outside the parameter's shape {param.shape}")
        if not param.mask[ref.index]:
            raise GraphError(f"the weight {self.ref_name(ref)} is cut")

    # ----------------------------------------------------------------- layer edits
    def add_layer(
        self,
        size: int,
        kind: str = "hidden",
        activation: str | None = None,
        name: str | None = None,
        position: tuple[float, float] = (0.0, 0.0),
    ) -> Layer:
        if kind not in KINDS:
            raise GraphError(f"unknown layer kind {kind!r}; choose one of {', '.join(KINDS)}")
        if kind != "hidden" and self.layers_of_kind(kind):
            raise GraphError(f"the network already has an {kind} layer ({self.layers_of_kind(kind)[0].name!r})")
        self._check_size(size, name or kind)
        if name is not None:
            check_layer_name(name)
        activation = "identity" if kind == "input" else (activation or "tanh")
        self._check_activation(activation, kind, name or kind)
        lid = self._take_id()
        name = name or self._fresh_name({"input": "in", "hidden": "h", "output": "out"}[kind], lid)
        if any(lay.name == name for lay in self.layers.values()):
            raise GraphError(f"a layer named {name!r} exists already")
        bias = None if kind == "input" else Param(np.zeros(size, self.dtype))
        layer = Layer(lid, name, kind, activation, bias, int(size), (float(position[0]), float(position[1])))
        self.layers[lid] = layer
        self._changed(LayerAdded(lid))
        return layer

    def remove_layer(self, layer_id: int) -> tuple[Layer, list[Connection]]:
        """Remove a layer and its connections; the returned objects restore it with `restore_layer`."""
        layer = self.layer(layer_id)
        attached = [c for c in self.connections.values() if layer_id in (c.source, c.target)]
        for c in attached:
            self.remove_connection(c.id)
        del self.layers[layer_id]
        self._changed(LayerRemoved(layer_id))
        return layer, attached

    def restore_layer(self, layer: Layer, connections: Sequence[Connection] = ()) -> None:
        self.layers[layer.id] = layer
        self._changed(LayerAdded(layer.id))
        for c in connections:
            self.restore_connection(c)

    def rename_layer(self, layer_id: int, name: str) -> None:
        name = name.strip()
        check_layer_name(name)
        if any(lay.name == name and lay.id != layer_id for lay in self.layers.values()):
            raise GraphError(f"a layer named {name!r} exists already")
        self.layer(layer_id).name = name
        self.events.emit(LayerChanged(layer_id))

    def set_activation(self, layer_id: int, activation: str) -> None:
        layer = self.layer(layer_id)
        if layer.kind == "input":
            raise GraphError(f"the input layer {layer.name!r} has no activation")
        self._check_activation(activation, layer.kind, layer.name)
        layer.activation = activation
        self._changed(LayerChanged(layer_id))

    def move_layer(self, layer_id: int, position: tuple[float, float]) -> None:
        self.layer(layer_id).position = (float(position[0]), float(position[1]))
        self.events.emit(LayerMoved(layer_id))

    def resize_layer(self, layer_id: int, size: int) -> list[RemovedNeuron]:
        """Grow or shrink at the end; surviving neurons keep their weights. Returns what a shrink removed."""
        layer = self.layer(layer_id)
        self._check_size(size, layer.name)
        removed = []
        while layer.size > size:
            removed.append(self.remove_neuron(layer_id, layer.size - 1))
        while layer.size < size:
            self.insert_neuron(layer_id)
        return removed

    def insert_neuron(self, layer_id: int, index: int | None = None, restore: RemovedNeuron | None = None) -> int:
        """Add a neuron (at the end by default). New weights are drawn with the connection's initialiser."""
        layer = self.layer(layer_id)
        index = layer.size if index is None else index
        if not 0 <= index <= layer.size:
            raise GraphError(f"layer {layer.name!r} has no neuron position {index}")
        if layer.bias is not None:
            layer.bias.insert(0, index, restore.bias if restore and restore.bias is not None else {})
        for c in self.connections.values():
            if layer_id not in (c.source, c.target):
                continue
            axis = 0 if c.source == layer_id else 1
            slices = restore.weights.get(c.id) if restore else None
            c.weight.insert(axis, index, slices or self._fresh_slice(c, axis))
        layer.size += 1
        self._changed(LayerResized(layer_id))
        return index

    def remove_neuron(self, layer_id: int, index: int) -> RemovedNeuron:
        layer = self.layer(layer_id)
        if not 0 <= index < layer.size:
            raise GraphError(f"layer {layer.name!r} has no neuron {index}")
        if layer.size == 1:
            raise GraphError(f"layer {layer.name!r} must keep at least one neuron; delete the layer instead")
        record = RemovedNeuron(layer_id, index, layer.bias.delete(0, index) if layer.bias else None)
        for c in self.connections.values():
            if layer_id in (c.source, c.target):
                record.weights[c.id] = c.weight.delete(0 if c.source == layer_id else 1, index)
        layer.size -= 1
        self._changed(LayerResized(layer_id))
        return record

    def _fresh_slice(self, c: Connection, axis: int) -> dict[str, np.ndarray]:
        n_other = c.weight.shape[1 - axis]
        mask = np.full(n_other, c.dense)
        values = initialize(c.init, mask[None, :] if axis == 0 else mask[:, None], self._rng(c.id), self.dtype)
        return {"value": values.reshape(-1), "mask": mask}

    # ----------------------------------------------------------------- connection edits
    def connect(self, source: int, target: int, *, dense: bool = True, init: str = "glorot_uniform") -> Connection:
        """Join two layers. A dense connection has every pair; a sparse one starts empty (see `add_weight`)."""
        self._check_link(source, target)
        src, dst = self.layer(source), self.layer(target)
        mask = np.full((src.size, dst.size), dense)
        cid = self._take_id()
        values = initialize(init, mask, np.random.default_rng([self.seed, cid]), self.dtype)
        c = Connection(cid, source, target, Param(values, mask), init, dense)
        self.connections[cid] = c
        self._changed(ConnectionAdded(cid))
        return c

    def remove_connection(self, connection_id: int) -> Connection:
        c = self.connections.pop(self.connection(connection_id).id)
        self._changed(ConnectionRemoved(connection_id))
        return c

    def restore_connection(self, c: Connection) -> None:
        self._check_link(c.source, c.target)
        self.connections[c.id] = c
        self._changed(ConnectionAdded(c.id))

    def add_weight(self, source: int, i: int, target: int, j: int) -> Connection:
        """Draw one neuron-to-neuron weight, inside the existing connection of the two layers or a new sparse one."""
        c = self.find_connection(source, target) or self.connect(source, target, dense=False)
        self._check_pair(c, i, j)
        if c.weight.mask[i, j]:
            raise GraphError(f"the weight {self.weight_name(c.id, i, j)} exists already")
        self.set_present(c.id, i, j, True)
        return c

    def set_present(self, connection_id: int, i: int, j: int, present: bool) -> None:
        """Cut a weight (it becomes exactly 0 and stops learning) or bring it back with a fresh initial value."""
        c = self.connection(connection_id)
        self._check_pair(c, i, j)
        w = c.weight
        w.mask[i, j] = present
        if present:
            w.value[i, j] = initialize(c.init, w.mask, self._rng(c.id), self.dtype)[i, j]
        else:
            w.value[i, j] = 0.0
            w.grad[i, j] = 0.0
            for arr in w.state.values():
                arr[i, j] = 0.0
        self._changed(ConnectionChanged(connection_id, "mask"))

    def set_frozen(self, ref: ParamRef, frozen: bool) -> None:
        self.param(ref.key).frozen[ref.index] = frozen
        self._changed(ConnectionChanged(ref.conn, "frozen") if isinstance(ref, WeightRef)
                      else LayerChanged(ref.layer))

    def set_value(self, ref: ParamRef, value: float) -> None:
        """Set one weight or bias by hand (the inspector does this)."""
        param = self.param(ref.key)
        if not param.mask[ref.index]:
            raise GraphError(f"the weight {self.ref_name(ref)} is cut; restore it first")
        if not np.isfinite(value):
            raise GraphError(f"a weight must be a finite number, not {value}")
        param.value[ref.index] = value
        self.events.emit(ValuesChanged())

    def assign(self, params: dict[ParamKey, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]) -> None:
        """Overwrite whole parameters at once — an import, an undo — as {key: (value, mask, frozen)}.

        Masks and frozen flags go through here too (None keeps them), so compiled plans learn that they changed;
        a newly cut weight loses its gradient and optimiser history with its value. One `values_changed` event.
        """
        for key, (value, mask, frozen) in params.items():
            param = self.param(key)
            mask = param.mask if mask is None else np.asarray(mask, bool)
            frozen = param.frozen if frozen is None else np.asarray(frozen, bool)
            if np.any(np.asarray(value)[~mask] != 0):
                raise GraphError(f"{key[0]} {key[1]}: a cut weight must be exactly 0")
            mask_changed = not np.array_equal(mask, param.mask)
            if mask_changed or not np.array_equal(frozen, param.frozen):
                param.mask[...] = mask
                param.frozen[...] = frozen
                for arr in (param.grad, param.delta, *param.state.values()):
                    arr[~mask] = 0.0
                if key[0] == "W":
                    self._changed(ConnectionChanged(key[1], "mask" if mask_changed else "frozen"))
                else:
                    self._changed(LayerChanged(key[1]))
            param.value[...] = value
        self.events.emit(ValuesChanged())

    def set_init(self, connection_id: int, init: str) -> None:
        c = self.connection(connection_id)
        check_initializer(init)
        c.init = init
        self.events.emit(ConnectionChanged(connection_id, "init"))

    def set_penalty(self, connection_id: int, penalty: Penalty | None) -> None:
        """Put a connection's weights under their own penalty, or back under the network's (None). The trainer
        lays out its penalties per compiled plan, so this counts as a structure edit."""
        self.connection(connection_id).penalty = penalty
        self._changed(ConnectionChanged(connection_id, "penalty"))

    def reinitialize(self, seed: int | None = None) -> None:
        """Fresh weights for every connection and zero biases, deterministically from the seed (Reset weights)."""
        if seed is not None:
            self.seed = int(seed)
        self._draws = 0
        for c in self.connections.values():
            w = c.weight
            w.value[...] = initialize(c.init, w.mask, np.random.default_rng([self.seed, c.id]), self.dtype)
        for _, param in self.parameters():
            for arr in (param.grad, param.delta, *param.state.values()):
                arr[...] = 0.0
            if param.value.ndim == 1:
                param.value[...] = 0.0
        self.events.emit(ValuesChanged())

    def set_dtype(self, dtype: npt.DTypeLike) -> None:
        """Switch every parameter to float64 (exact gradients) or float32 (speed)."""
        self.dtype = np.dtype(dtype)
        for _, param in self.parameters():
            param.astype(self.dtype)
        self._changed(ValuesChanged())

    # ----------------------------------------------------------------- helpers
    def _changed(self, event: NetworkEvent) -> None:
        """An edit that makes compiled plans stale."""
        self.version += 1
        self.events.emit(event)

    def _take_id(self) -> int:
        ident = self._next_id
        self._next_id += 1
        return ident

    def _fresh_name(self, prefix: str, ident: int) -> str:
        names = {lay.name for lay in self.layers.values()}
        if prefix in ("in", "out") and prefix not in names:
            return prefix
        n = 1
        while f"{prefix}{n}" in names:
            n += 1
        return f"{prefix}{n}"

    def _rng(self, ident: int) -> np.random.Generator:
        self._draws += 1
        return np.random.default_rng([self.seed, ident, self._draws])

    @staticmethod
    def _check_size(size: int, name: str) -> None:
        if not isinstance(size, (int, np.integer)) or size < 1:
            raise GraphError(f"layer {name!r}: size must be a whole number ≥ 1, not {size!r}")

    @staticmethod
    def _check_activation(activation: str, kind: str, name: str) -> None:
        act = get_activation(activation)
        if act.output_only and kind != "output":
            raise GraphError(f"layer {name!r}: {act.label} is only available on the output layer")

    def _check_link(self, source: int, target: int) -> None:
        src, dst = self.layer(source), self.layer(target)
        if source == target:
            raise CycleError(f"layer {src.name!r} cannot be connected to itself")
        if dst.kind == "input":
            raise GraphError(f"the input layer {dst.name!r} cannot receive connections")
        if src.kind == "output":
            raise GraphError(f"the output layer {src.name!r} cannot feed other layers")
        if self.find_connection(source, target):
            raise GraphError(f"{src.name!r} is already connected to {dst.name!r}")
        if self.reaches(target, source):
            raise CycleError(f"connecting {src.name!r} → {dst.name!r} would make a cycle")

    def _check_pair(self, c: Connection, i: int, j: int) -> None:
        n_src, n_dst = c.weight.shape
        if not (0 <= i < n_src and 0 <= j < n_dst):
            raise GraphError(
                f"{self.layer(c.source).name}[{i}] → {self.layer(c.target).name}[{j}] is outside the layers "
                f"({n_src} × {n_dst} neurons)"
            )
