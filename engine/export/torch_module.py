"""A self-contained PyTorch source file: an `nn.Module` that rebuilds the DAG, with the weights embedded.

Parameters keep the engine's layout and the .npz names (``W__h1__out`` of shape source × target, ``b__out``)
rather than nn.Linear's transposed one, so the same array has the same name and shape in every export. Activation
modules carry the engine's constants (PyTorch's defaults, written out). Connections with cut weights multiply by
their mask, a buffer: the product is exact, and the cut weights stay at zero if the user trains on in PyTorch.
"""

from __future__ import annotations

from string import Template

from ..activations import ELU_ALPHA, LEAKY_SLOPE, SOFTPLUS_THRESHOLD
from ..errors import ExportError
from .codegen import doc_text, forward_lines, indent, packed, transform_note, transformed
from .spec import Graph, Link

ACTIVATION_MODULES: dict[str, str] = {
    "identity": "nn.Identity()",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
    "relu": "nn.ReLU()",
    "leaky_relu": f"nn.LeakyReLU(negative_slope={LEAKY_SLOPE!r})",
    "elu": f"nn.ELU(alpha={ELU_ALPHA!r})",
    "softplus": f"nn.Softplus(beta=1.0, threshold={SOFTPLUS_THRESHOLD!r})",
    "silu": "nn.SiLU()",
    "gelu": 'nn.GELU(approximate="tanh")',
    "square": "Elementwise(torch.square)",
    "exp": "Elementwise(torch.exp)",
    "reciprocal": "Elementwise(torch.reciprocal)",
    "log": "Elementwise(torch.log)",
    "sin": "Elementwise(torch.sin)",
    "softmax": "nn.Softmax(dim=-1)",
}
# torch.nn has no module for the plain element-wise functions; written into the source only when a layer uses one,
# so the source of every other network stays as it was
_ELEMENTWISE = '''\
class Elementwise(nn.Module):
    """An element-wise torch function as a module, so every layer's activation is one entry of Net.act."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return self.fn(a)


'''

_TEMPLATE = Template('''\
"""PyTorch module exported from Backprop Studio: $summary

Self-contained, needs only PyTorch:
    net = Net().eval()
    y = net(torch.as_tensor(x, dtype=$dtype))  # x of shape (n, $n_in); y of shape (n, $n_out)

Parameters follow Backprop Studio's convention rather than nn.Linear's: net.params["W__<source>__<target>"] has
shape (source size, target size), and a layer computes act(sum of h_source @ W + b). Names are those of the .npz
export, with "." in a layer name written "_". The arrays are embedded below as base64 of their raw bytes.
Cut weights are zeros; the masks (buffers "mask__<source>__<target>") keep them at zero if you train on.
$transform"""

import base64
import math

import torch
from torch import nn

DTYPE = $dtype
# (name, dtype, shape) in the order the arrays are packed in _DATA
_ARRAYS = $table
_DATA = $data


def _unpack():
    raw = bytearray(base64.b64decode(_DATA))
    arrays, offset = {}, 0
    for name, dtype, shape in _ARRAYS:
        dtype = getattr(torch, dtype)
        count = math.prod(shape)
        arrays[name] = torch.frombuffer(raw, dtype=dtype, count=count, offset=offset).reshape(shape).clone()
        offset += count * dtype.itemsize
    return arrays


${helpers}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        arrays = _unpack()
        learned = [name for name in arrays if name.startswith(("W__", "b__"))]
        self.params = nn.ParameterDict({name: nn.Parameter(arrays[name]) for name in learned})
        for name, a in arrays.items():
            if name not in self.params:
                self.register_buffer(name, a)
        self.act = nn.ModuleList([
$modules
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.params
$body
''')


def torch_key(name: str) -> str:
    """PyTorch refuses "." in parameter and buffer names."""
    return name.replace(".", "_")


def torch_source(graph: Graph) -> bytes:
    unknown = [n for n in graph.nodes[1:] if n.activation not in ACTIVATION_MODULES]
    if unknown:
        raise ExportError(f"layer {unknown[0].name!r}: the {unknown[0].activation} activation has no PyTorch export")
    masks = [link.mask for link in graph.links if link.has_cuts]
    names = [name for name in graph.arrays if name.startswith(("W__", "b__"))] + masks
    keys = {name: torch_key(name) for name in names}
    if len(set(keys.values())) < len(keys):
        raise ExportError("two arrays would get the same PyTorch name; rename the layers whose names differ "
                          "only by '.' and '_'")
    table, data = packed({**graph.transform_arrays(), **{keys[name]: graph.arrays[name] for name in names}})

    def weight(link: Link) -> str:
        w = f"p[{keys[link.weight]!r}]"
        return f"({w} * self.get_buffer({keys[link.mask]!r}))" if link.has_cuts else w

    x = transformed(graph, "x", lambda name: f"self.get_buffer({name!r})", "torch")
    body = forward_lines(graph, x, weight, lambda name: f"p[{keys[name]!r}]",
                         lambda k, node, a: f"self.act[{k}]({a})")
    modules = [f"{ACTIVATION_MODULES[n.activation]},  # layer {n.name!r}" for n in graph.nodes[1:]]
    helpers = _ELEMENTWISE if any(m.startswith("Elementwise(") for m in modules) else ""
    dtype = f"torch.{graph.dtype.name}"
    text = _TEMPLATE.substitute(summary=doc_text(graph.summary()), transform=transform_note(graph, "buffers"),
                                dtype=dtype, n_in=graph.n_raw, helpers=helpers,
                                n_out=graph.output.size, table=table, data=data, modules=indent(modules, 3),
                                body=indent(body, 2))
    return text.encode()
