"""The network as an ONNX model: one MatMul per connection, an Add chain in the engine's order, the bias Add and
the activation, with tensors named after layers (``h__<layer>``) so the graph reads like the editor's.

Opset 17 (ONNX Runtime ≥ 1.13) covers every operator used. GELU (tanh form), Leaky ReLU, ELU and Softplus are
composed from primitives with constants in the network's dtype, for two reasons: ONNX's Gelu keeps its constants
in float32 and LeakyRelu's slope is a float32 attribute, either of which drifts from the engine by ~1e-8 in
float64; and ONNX Runtime's CPU kernels for Elu and Softplus take float32 only (checked with 1.32), while the
engine's default — and so the model's — is float64. The primitives used all have float64 kernels.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from typing import Any  # an ONNX attribute may be a number, a string, a tensor or a list of them

import numpy as np
import onnx
from onnx import helper, numpy_helper

from ..activations import ELU_ALPHA, LEAKY_SLOPE, SOFTPLUS_THRESHOLD
from ..datasets import FEATURES
from ..errors import ExportError
from .spec import GELU_C, GELU_CUBIC, STANDARDIZE_MEAN, STANDARDIZE_STD, Graph

OPSET = 17


class _Builder:
    """Collects nodes and constants; every op returns the name of its output tensor."""

    def __init__(self, dtype: np.dtype):
        self.dtype = dtype
        self.nodes: list[onnx.NodeProto] = []
        self.constants: dict[float, onnx.TensorProto] = {}
        self.columns: dict[str, onnx.TensorProto] = {}  # column tensor name -> its index initialiser
        self.scope = ""

    def op(self, op_type: str, *inputs: str, output: str | None = None, **attrs: Any) -> str:
        name = f"{self.scope}/{op_type}_{len(self.nodes)}"
        output = output or name
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], name=name, **attrs))
        return output

    def column(self, x: str, i: int) -> str:
        """Raw column i of `x` as a (batch, 1) tensor named x1, x2, ... (one Gather per column)."""
        name = f"x{i + 1}"
        if name not in self.columns:
            index = numpy_helper.from_array(np.array([i], np.int64), f"column__{i}")
            self.columns[name] = index
            self.op("Gather", x, index.name, axis=1, output=name)
        return name

    def const(self, value: float) -> str:
        if value not in self.constants:
            self.constants[value] = numpy_helper.from_array(np.asarray(value, self.dtype), f"const__{value!r}")
        return self.constants[value].name


def _leaky_relu(b: _Builder, a: str, out: str) -> str:
    return b.op("Where", b.op("Greater", a, b.const(0.0)), a, b.op("Mul", a, b.const(LEAKY_SLOPE)), output=out)


def _elu(b: _Builder, a: str, out: str) -> str:
    # exp of min(a, 0) only: the branch Where discards must not overflow either
    expm1 = b.op("Sub", b.op("Exp", b.op("Min", a, b.const(0.0))), b.const(1.0))
    return b.op("Where", b.op("Greater", a, b.const(0.0)), a, b.op("Mul", b.const(ELU_ALPHA), expm1), output=out)


def _softplus(b: _Builder, a: str, out: str) -> str:
    # log(1 + e^a) = max(a, 0) + log(1 + e^-|a|), which never overflows; PyTorch's Softplus (and the engine)
    # returns the input itself above the threshold
    tail = b.op("Log", b.op("Add", b.const(1.0), b.op("Exp", b.op("Neg", b.op("Abs", a)))))
    return b.op("Where", b.op("Greater", a, b.const(SOFTPLUS_THRESHOLD)), a, b.op("Add", b.op("Relu", a), tail),
                output=out)


def _gelu(b: _Builder, a: str, out: str) -> str:
    cube = b.op("Mul", b.op("Mul", a, a), a)
    inner = b.op("Mul", b.const(GELU_C), b.op("Add", a, b.op("Mul", b.const(GELU_CUBIC), cube)))
    half_a = b.op("Mul", b.const(0.5), a)
    return b.op("Mul", half_a, b.op("Add", b.const(1.0), b.op("Tanh", inner)), output=out)


def _simple(op_type: str, **attrs: Any) -> Callable[[_Builder, str, str], str]:
    return lambda b, a, out: b.op(op_type, a, output=out, **attrs)


# activation name -> builder(b, pre-activation tensor, output tensor name)
ACTIVATION_OPS: dict[str, Callable[[_Builder, str, str], str]] = {
    "identity": _simple("Identity"),
    "sigmoid": _simple("Sigmoid"),
    "tanh": _simple("Tanh"),
    "relu": _simple("Relu"),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "softplus": _softplus,
    "silu": lambda b, a, out: b.op("Mul", a, b.op("Sigmoid", a), output=out),
    "gelu": _gelu,
    "square": lambda b, a, out: b.op("Mul", a, a, output=out),
    "exp": _simple("Exp"),
    "reciprocal": _simple("Reciprocal"),
    "log": _simple("Log"),
    "sin": _simple("Sin"),
    "softmax": _simple("Softmax", axis=-1),
}


def onnx_model(graph: Graph) -> onnx.ModelProto:
    """A checked model with input "input" (batch × inputs, raw rows) and output "output" (the output layer's h)."""
    b = _Builder(graph.dtype)
    x = "input"
    if graph.features:
        b.scope = "features"
        columns = []
        for name in graph.features:
            f = FEATURES[name]
            column = b.column(x, f.column)
            column = b.op("Sin", column) if f.function == "sin" else column
            columns.append(column if f.times is None else b.op("Mul", column, b.column(x, f.times)))
        x = b.op("Concat", *columns, axis=1, output="x__features")
    if graph.standardizes:
        b.scope = "standardize"
        x = b.op("Div", b.op("Sub", x, STANDARDIZE_MEAN), STANDARDIZE_STD, output="x__standardized")
    tensor = {graph.input.name: x}
    params: list[str] = []  # initialiser names: each layer's weights, then its bias
    for node in graph.nodes[1:]:
        if node.activation not in ACTIVATION_OPS:
            raise ExportError(f"layer {node.name!r}: the {node.activation} activation has no ONNX export yet")
        assert node.bias is not None  # every layer after the input has biases
        params += [*(link.weight for link in node.inputs), node.bias]
        b.scope = node.name
        products = [b.op("MatMul", tensor[link.source], link.weight) for link in node.inputs]
        a = b.op("Add", reduce(lambda x, y: b.op("Add", x, y), products), node.bias, output=f"a__{node.name}")
        tensor[node.name] = "output" if node is graph.output else f"h__{node.name}"
        ACTIVATION_OPS[node.activation](b, a, tensor[node.name])
    elem = helper.np_dtype_to_tensor_dtype(graph.dtype)
    weights = [numpy_helper.from_array(graph.arrays[name], name) for name in params]
    transform = [numpy_helper.from_array(a, name) for name, a in graph.transform_arrays().items()]
    onnx_graph = helper.make_graph(
        b.nodes, "backprop_studio",
        [helper.make_tensor_value_info("input", elem, ["batch", graph.n_raw])],
        [helper.make_tensor_value_info("output", elem, ["batch", graph.output.size])],
        initializer=weights + transform + list(b.columns.values()) + list(b.constants.values()),
        doc_string=graph.summary(),
    )
    opsets = [helper.make_opsetid("", OPSET)]
    model = helper.make_model(onnx_graph, opset_imports=opsets, producer_name="Backprop Studio",
                              ir_version=helper.find_min_ir_version_for(opsets))
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise ExportError(f"the ONNX model did not pass onnx's checker: {exc}") from exc
    return model


def onnx_bytes(graph: Graph) -> bytes:
    return onnx_model(graph).SerializeToString()
