"""A network compiled for fast passes: topological order, per-layer matmul plans, flat parameter buffers.

Compiling packs every parameter (and its gradient, applied update and optimiser moments) into one flat buffer
and turns the model's arrays into views of it. The optimiser then updates all parameters with a handful of
vector operations, whatever the number of layers, while the model keeps reading and editing its own arrays.
A plan is valid while `network.version` is unchanged; `compiled(network)` recompiles when it is not.

Who owns the arrays: the network's plan (`compiled(network)`) owns the one set of buffers that trains, and the
network's `Param` arrays are views of it. Everything else that runs passes — an explanation, a gradient check, an
optimiser preview — runs them on `plan.private_copy()`, buffers of its own that nobody else sees, so it cannot
disturb the weights, the gradients the views show, or the moments of a run.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .activations import Activation, get_activation
from .graph.model import Network
from .graph.validate import validate
from .losses import Loss
from .refs import ParamKey, ParamRef


@dataclass
class LayerPlan:
    pos: int
    layer_id: int
    activation: Activation
    bias: np.ndarray
    bias_grad: np.ndarray
    # (source position, W, dL/dW) per incoming connection
    incoming: list[tuple[int, np.ndarray, np.ndarray]]


@dataclass
class Trace:
    """One forward (and optionally backward) pass: per layer position, a = pre-activation, h = output.

    The input layer's a and h are both the batch x (its activation is the identity); it alone has no δ.
    """

    a: list[np.ndarray]
    h: list[np.ndarray]
    da: list[np.ndarray | None] | None = None  # dL/da per layer, filled by backward (the δ of the notes)


class Compiled:
    def __init__(self, network: Network):
        validate(network)
        self.network = network
        self.version = network.version
        self.order = network.topological_order()
        self.pos = {lid: k for k, lid in enumerate(self.order)}
        self.input_pos = self.pos[network.input_layer.id]
        self.output_pos = self.pos[network.output_layer.id]
        self.dtype = network.dtype
        self._pack()

    # ------------------------------------------------------------ flat buffers
    def _pack(self) -> None:
        params = self.network.parameters()
        self.keys = [key for key, _ in params]
        sizes = [p.value.size for _, p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.starts = self.offsets[:-1]  # where each parameter array begins (the history's per-array reduceat)
        self.slices = {key: slice(self.offsets[k], self.offsets[k + 1]) for k, key in enumerate(self.keys)}
        self.shapes = {key: p.shape for key, p in params}
        # w, dL/dw and Δw of all parameters, back to back in one block: a watched weight's three numbers are one
        # gather for the history (`watch_index`), not three
        buffers = np.zeros(3 * int(self.offsets[-1]), self.dtype)
        buffers[: self.offsets[-1]] = self._flat([p.value for _, p in params], self.dtype)
        self._bind(buffers)
        mask = self._flat([p.mask for _, p in params], bool)
        trainable = mask & ~self._flat([p.frozen for _, p in params], bool)
        # None means "all ones", which lets the hot path skip a multiply on plain dense networks
        self.mask = None if mask.all() else mask.astype(self.dtype)
        self.trainable = None if trainable.all() else trainable.astype(self.dtype)
        self.state: dict[str, np.ndarray] | None = None
        for key, p in params:
            p.value, p.grad, p.delta = (self.view(arr, key) for arr in (self.value, self.grad, self.delta))

    def _bind(self, buffers: np.ndarray) -> None:
        """Make `buffers` this plan's w, dL/dw and Δw, and the layer plans' matrices views of them."""
        self.buffers = buffers
        self.value, self.grad, self.delta = buffers.reshape(3, -1)
        self.plans = [self._plan(lid) for lid in self.order if self.network.layer(lid).kind != "input"]

    def view(self, flat: np.ndarray, key: ParamKey) -> np.ndarray:
        """One parameter's part of a flat buffer (values, gradients, updates or a moment), in its own shape."""
        return flat[self.slices[key]].reshape(self.shapes[key])

    def private_copy(self) -> Compiled:
        """The same plan on buffers of its own (values, last gradients, updates and moments copied), which no
        view and no run sees; the network stays bound to this plan's buffers."""
        other = copy.copy(self)
        other._bind(self.buffers.copy())
        if self.state is not None:
            other.state = {name: arr.copy() for name, arr in self.state.items()}
        return other

    @staticmethod
    def _flat(arrays: list[np.ndarray], dtype: npt.DTypeLike) -> np.ndarray:
        return np.concatenate([a.ravel() for a in arrays]).astype(dtype) if arrays else np.zeros(0, dtype)

    def ensure_state(self, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Give every parameter optimiser moments `names` (kept where they exist, zero where new) as flat views."""
        if self.state is not None and tuple(self.state) == names:
            return self.state
        params = self.network.parameters()
        self.state = {}
        for name in names:
            flat = self._flat(
                [p.state.get(name, np.zeros(p.shape)) for _, p in params], self.dtype
            )
            self.state[name] = flat
        for (_, p), sl in zip(params, self.slices.values(), strict=True):
            p.state = {name: self.state[name][sl].reshape(p.shape) for name in names}
        return self.state

    def flat_index(self, ref: ParamRef) -> int:
        """Position of one weight or bias in the flat buffers."""
        shape = self.network.param(ref.key).shape
        return int(self.offsets[self.keys.index(ref.key)] + np.ravel_multi_index(ref.index, shape))

    def watch_index(self, refs: list[ParamRef]) -> np.ndarray:
        """Positions in `buffers` of (w, dL/dw, Δw) for each weight ref, in that order, weight after weight."""
        k = np.array([self.flat_index(ref) for ref in refs], np.int64).reshape(-1, 1)
        return (k + self.value.size * np.arange(3)).ravel()

    def _plan(self, lid: int) -> LayerPlan:
        layer = self.network.layer(lid)
        incoming = [(self.pos[c.source], self.view(self.value, ("W", c.id)), self.view(self.grad, ("W", c.id)))
                    for c in self.network.incoming(lid)]
        return LayerPlan(self.pos[lid], lid, get_activation(layer.activation), self.view(self.value, ("b", lid)),
                         self.view(self.grad, ("b", lid)), incoming)

    # ------------------------------------------------------------ passes
    def forward(self, x: np.ndarray) -> Trace:
        x = np.asarray(x, self.dtype)
        a = [x] * len(self.order)  # each position but the input's is set below, a layer after all its sources
        h = [x] * len(self.order)
        for plan in self.plans:
            z = None
            for src, w, _ in plan.incoming:
                if z is None:
                    z = h[src] @ w
                else:
                    z += h[src] @ w
            z += plan.bias
            a[plan.pos] = z
            h[plan.pos] = plan.activation.forward(z)
        return Trace(a, h)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x).h[self.output_pos]

    def loss(self, trace: Trace, t: np.ndarray, loss: Loss) -> float:
        p = self.output_pos
        return loss.value(trace.a[p], trace.h[p], t)

    def backward(self, trace: Trace, t: np.ndarray, loss: Loss) -> Trace:
        """Fill every dL/dW and dL/db (as batch means, like the loss) and record dL/da per layer in the trace."""
        a, h = trace.a, trace.h
        dh: list[np.ndarray | None] = [None] * len(self.order)
        da: list[np.ndarray | None] = [None] * len(self.order)
        for plan in reversed(self.plans):
            p = plan.pos
            act = plan.activation
            if p == self.output_pos:
                d = loss.grad_a(a[p], h[p], t, act.name)
            else:
                up = dh[p]
                # validation: every hidden layer feeds on to the output, and softmax (no f') is output-only
                assert up is not None and act.derivative is not None
                if act.name == "identity":
                    d = up
                elif act.name == "relu":  # f' is 0 or 1: multiply by the mask a > 0 instead (the same bits)
                    d = np.multiply(up, a[p] > 0, out=up)
                else:
                    d = up * act.derivative(a[p], h[p])
            da[p] = d
            np.add.reduce(d, axis=0, out=plan.bias_grad)  # np.sum's Python wrapper costs more than the sum here
            for src, w, grad in plan.incoming:
                np.matmul(h[src].T, d, out=grad)
                if src != self.input_pos:
                    back = d @ w.T
                    if dh[src] is None:
                        dh[src] = back
                    else:
                        dh[src] += back
        if self.mask is not None:
            self.grad *= self.mask
        trace.da = da
        return trace


def compiled(network: Network) -> Compiled:
    """The network's compiled plan, rebuilt only when its structure changed.

    The plan is cached on the network, not by each caller: compiling re-points the model's arrays into new flat
    buffers, so two live plans of one network would silently train one buffer while the model shows the other.
    """
    plan = network.compiled_plan
    if plan is None or plan.version != network.version:
        plan = network.compiled_plan = Compiled(network)
    return plan
