"""A `Network` to JSON and back, with every weight bit for bit and every id unchanged.

Ids must survive a reload because everything else refers to them: watched weights in the GUI state, weight
references in the history, undo records. Values are written as Python floats, whose `repr` round-trips exactly;
a float32 value widens to float64 exactly, so it narrows back to the identical float32.

The loaded network is rebuilt through the model's own edit API (`add_layer`, `connect`, `assign`), so its rules
(one input layer, no cycles, softmax only on the output...) are checked by the code that defines them. Only the
ids need a hook the model lacks: see `_next_id_will_be`.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypedDict

import numpy as np

from ..activations import ACTIVATIONS
from ..errors import CycleError, GraphError, ProjectError
from ..graph.model import KINDS, Network, check_layer_name
from ..graph.params import Param
from ..init import INITIALIZERS
from ..regularization import KINDS as PENALTY_KINDS
from ..regularization import Penalty
from .fields import Field

DTYPES = ("float64", "float32")
MAX_SEED = 2**63 - 1
MAX_LAYER_SIZE = 1_000_000  # an input layer holds no array to check its size against: bound what it may claim


def _floats(arr: np.ndarray) -> list[Any]:
    values: list[Any] = arr.astype(np.float64).tolist()
    return values


def _flags(arr: np.ndarray) -> list[Any]:
    flags: list[Any] = arr.astype(np.int8).tolist()
    return flags


def encode_param(param: Param, with_mask: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"value": _floats(param.value)}
    if with_mask:
        out["mask"] = _flags(param.mask)
    out["frozen"] = _flags(param.frozen)
    out["state"] = {name: _floats(arr) for name, arr in param.state.items()}
    return out


def encode_network(net: Network) -> dict[str, Any]:
    """The ``network``, ``layers`` and ``connections`` keys of a project document (see docs/project-format.md)."""
    layers = []
    for lay in net.layers.values():
        entry = {"id": lay.id, "name": lay.name, "kind": lay.kind, "size": lay.size, "activation": lay.activation,
                 "position": [float(lay.position[0]), float(lay.position[1])]}
        if lay.bias is not None:
            entry["bias"] = encode_param(lay.bias, with_mask=False)
        layers.append(entry)
    connections = [
        {"id": c.id, "source": c.source, "target": c.target, "init": c.init, "dense": c.dense,
         "weights": encode_param(c.weight, with_mask=True),
         **({} if c.penalty is None else {"penalty": encode_penalty(c.penalty)})}
        for c in net.connections.values()
    ]
    network = {"seed": net.seed, "dtype": net.dtype.name, "next_id": net._next_id, "draws": net._draws}
    return {"network": network, "layers": layers, "connections": connections}


def encode_penalty(penalty: Penalty) -> dict[str, Any]:
    return {"kind": penalty.kind, "rate": penalty.rate}


# ---------------------------------------------------------------------------------------------------- decoding
def decode_penalty(f: Field) -> Penalty:
    """An L1/L2 penalty: {"kind": "none" | "l1" | "l2", "rate": λ ≥ 0}."""
    return Penalty(f["kind"].str(PENALTY_KINDS), f["rate"].float(minimum=0.0))


class ParamArrays(NamedTuple):
    value: np.ndarray
    mask: np.ndarray | None  # None for a bias, which has no cut entries
    frozen: np.ndarray
    state: dict[str, np.ndarray]  # optimiser moments by name


class _LayerSpec(TypedDict):
    id: int
    name: str
    kind: str
    size: int
    activation: str
    position: tuple[float, float]


class _ConnectionSpec(TypedDict):
    id: int
    source: int
    target: int
    init: str
    dense: bool


def _read_param(f: Field, shape: tuple[int, ...], dtype: np.dtype, with_mask: bool) -> ParamArrays:
    """Every array of one parameter, checked against `shape`; a cut weight must hold exactly 0."""
    value = f["value"].array(shape, dtype)
    mask = None
    if with_mask:
        mf = f.get("mask", None)
        mask = np.ones(shape, bool) if mf.value is None else mf.array(shape, bool)
        stray = np.argwhere(~mask & (value != 0))
        if len(stray):
            where = "".join(f"[{i}]" for i in stray[0])
            raise ProjectError("a cut weight (mask 0) must have the value 0", field=f"{f.path}.value{where}")
    ff = f.get("frozen", None)
    frozen = np.zeros(shape, bool) if ff.value is None else ff.array(shape, bool)
    state = {name: sf.array(shape, dtype) for name, sf in f.get("state", {}).entries()}
    return ParamArrays(value, mask, frozen, state)


def _next_id_will_be(net: Network, ident: int) -> None:
    """Make the next `add_layer`/`connect` create id `ident`.

    Known wart: the model has no public way to create an object with a given id, so this sets its private id
    counter. The clean fix is a keyword `ident=` on `Network.add_layer` and `Network.connect`.
    """
    net._next_id = ident


def _read_layer(f: Field, dtype: np.dtype, ids: set[int], names: set[str]) -> tuple[_LayerSpec, ParamArrays | None]:
    ident = f["id"].int(minimum=1)
    if ident in ids:
        raise f["id"].error(f"the id {ident} is used twice")
    ids.add(ident)
    name = f["name"].str()
    try:
        check_layer_name(name)
    except GraphError as exc:
        raise f["name"].error(str(exc)) from None
    if name in names:
        raise f["name"].error(f"two layers are named {name!r}")
    names.add(name)
    kind = f["kind"].str(KINDS)
    size = f["size"].int(minimum=1, maximum=MAX_LAYER_SIZE)
    activation = f["activation"].str(("identity",) if kind == "input" else tuple(ACTIVATIONS))
    if ACTIVATIONS[activation].output_only and kind != "output":
        raise f["activation"].error(f"{activation} is only available on the output layer")
    pos = f["position"].array((2,), np.float64)
    spec: _LayerSpec = {"id": ident, "name": name, "kind": kind, "size": size, "activation": activation,
            "position": (float(pos[0]), float(pos[1]))}
    if kind == "input":
        if f.has("bias"):
            raise f["bias"].error("the input layer has no biases")
        return spec, None
    return spec, _read_param(f["bias"], (size,), dtype, with_mask=False)


def decode_network(doc: Field) -> Network:
    """Check everything, then build: sizes are known to agree before any array is allocated."""
    f = doc["network"]
    seed = f["seed"].int(minimum=0, maximum=MAX_SEED)
    dtype = np.dtype(f["dtype"].str(DTYPES))
    ids: set[int] = set()
    names: set[str] = set()
    layer_fields = doc["layers"].items()
    layers = [_read_layer(lf, dtype, ids, names) for lf in layer_fields]
    sizes = {spec["id"]: spec["size"] for spec, _ in layers}
    connections = []
    for cf in doc["connections"].items():
        ident = cf["id"].int(minimum=1)
        if ident in ids:
            raise cf["id"].error(f"the id {ident} is used twice (ids are shared by layers and connections)")
        ids.add(ident)
        source, target = (cf[end].int() for end in ("source", "target"))
        for end, lid in (("source", source), ("target", target)):
            if lid not in sizes:
                raise cf[end].error(f"there is no layer with id {lid}")
        link: _ConnectionSpec = {"id": ident, "source": source, "target": target, "init": cf["init"].str(INITIALIZERS),
                "dense": cf["dense"].bool()}
        own = cf.get("penalty", None).optional()  # absent: the network's penalty
        connections.append((cf, link, _read_param(cf["weights"], (sizes[source], sizes[target]), dtype, True),
                            None if own is None else decode_penalty(own)))
    next_id = f["next_id"].int(minimum=max(ids, default=0) + 1)
    draws = f["draws"].int(minimum=0)

    net = Network(seed, dtype)
    params: dict[tuple[str, int], ParamArrays] = {}
    for lf, (spec, bias) in zip(layer_fields, layers, strict=True):
        _next_id_will_be(net, spec["id"])
        try:
            net.add_layer(spec["size"], spec["kind"], spec["activation"], spec["name"], spec["position"])
        except GraphError as exc:
            raise ProjectError(str(exc), field=lf.path) from None
        if bias is not None:
            params["b", spec["id"]] = bias
    for cf, link, weights, penalty in connections:
        _next_id_will_be(net, link["id"])
        try:
            net.connect(link["source"], link["target"], dense=link["dense"], init=link["init"]).penalty = penalty
        except CycleError as exc:
            raise ProjectError(str(exc), field=f"{cf.path}.target") from None
        except GraphError as exc:
            raise ProjectError(str(exc), field=cf.path) from None
        params["W", link["id"]] = weights
    net.assign({key: (p.value, p.mask, p.frozen) for key, p in params.items()})
    for key, p in params.items():
        net.param(key).state = p.state  # the model has no edit for optimiser moments: they are plain arrays
    net._next_id = next_id
    net._draws = draws
    return net
