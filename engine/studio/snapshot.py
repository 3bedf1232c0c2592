"""A self-contained copy of everything the live views show, taken by whichever thread owns the trainer.

`Signal(object)` hands the receiver the very objects the sender made, so a snapshot copies every array it takes
from the trainer: the worker keeps writing into the trainer's buffers while the GUI thread paints the copy. Names
(of watched weights, of connections) are resolved here too, so the views never need the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..compile import Compiled
from ..datasets import InputTransform
from ..graph.model import Network
from ..refs import ParamKey, ParamRef
from ..training import Trainer
from .readouts import Readouts, read_out

BOUNDARY_RESOLUTION = 100  # grid points per axis: a 100×100 forward costs 1.3-2.5 ms on 2-16-16-1
# OpenBLAS multiplies on one thread while M·N·K ≤ 65,536 × GEMM_MULTITHREAD_THRESHOLD (4 by default). A net so wide
# that MIN_CHUNK rows (a batch's worth) pass it multithreads its training steps anyway: its grid goes in one piece
# (measured: 2-64-64-1 in 64-row chunks 1.00 core busy instead of 1.44; 2-128-128-1 at 1.98 either way, and 40 %
# slower to evaluate in 16-row chunks)
BLAS_ONE_THREAD = 65_536 * 4
MIN_CHUNK = 32
MAX_THUMBNAILS = 64  # hidden neurons shown as thumbnails; wider layers are cut off (and say so)


@dataclass(frozen=True)
class Boundary:
    """The network over the input plane: `output` is (res, res, n_outputs), rows along x2, columns along x1."""

    extent: tuple[float, float, float, float]  # x1 min, x1 max, x2 min, x2 max
    output: np.ndarray
    layers: list[tuple[str, list[np.ndarray]]]  # each hidden layer's name and its neurons' (res, res) images, up to
    # MAX_THUMBNAILS images in all
    n_hidden: int  # hidden neurons in the network, shown or not


@dataclass(frozen=True)
class Snapshot:
    step: int
    epoch: int
    epoch_budget: int
    lr: float
    batch_size: int
    metric: str  # "accuracy" or "r2"
    losses: np.ndarray  # (n, 2): step, batch loss
    epochs: np.ndarray  # (m, 6): History.EPOCH_COLUMNS
    watched: list[tuple[ParamRef, str, np.ndarray]] | None  # (ref, name, rows of step, w, dL/dw, Δw); None: not taken
    norm_names: list[str]  # one per column after the first of `norms`
    norms: np.ndarray  # (n, 1 + len(norm_names)): step, ‖dL/dW‖ per parameter array
    grads: dict[int, np.ndarray]  # connection id -> dL/dW of the last step
    weights: dict[int, np.ndarray]  # connection id -> W
    biases: dict[int, np.ndarray]  # layer id -> b
    bias_grads: dict[int, np.ndarray]  # layer id -> dL/db of the last step
    weight_grads: np.ndarray  # dL/dw of every present (uncut) weight, for the histogram
    boundary: Boundary | None = None  # None: not taken this time (or no two-input data set)
    final: bool = False  # the state after a command or an edit (every view should show it), not a live one
    steps_per_second: float = 0.0
    elapsed: float = 0.0  # seconds spent training since the last Reset
    past: bool = False  # a recorded step the document shows (`Document.view_step`), not the live state
    penalties: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # (k, 2): step, L1/L2 penalty
    readouts: Readouts | None = None  # None: not taken this time (confusion matrices or R², RMSE and the fit)


class BoundaryGrid:
    """A fixed grid over the training inputs (plus a margin), evaluated with the trainer's compiled network."""

    def __init__(self, x: np.ndarray, resolution: int = BOUNDARY_RESOLUTION, margin: float = 0.15,
                 lift: InputTransform | None = None):
        """`x`: the points (n, 2) the grid spans; `lift` turns grid points into the network's inputs (the input
        features of raw x1, x2), once: the grid is fixed."""
        lo, hi = x.min(axis=0), x.max(axis=0)
        pad = np.maximum((hi - lo) * margin, 1e-3)
        lo, hi = lo - pad, hi + pad
        self.extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
        self.resolution = resolution
        g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
        self.points = np.column_stack([g1.ravel(), g2.ravel()])
        self.inputs = self.points if lift is None else lift.apply(self.points)

    def evaluate(self, trainer: Trainer) -> Boundary:
        """The forward pass goes in chunks small enough for OpenBLAS to keep each product on one thread.

        In one piece, the grid was the only product in a small net's run big enough to wake OpenBLAS's second
        thread, which then spun for ~0.1 s after each evaluation: 1.46 cores busy instead of 1.00, and the run's
        speed against the bare engine 0.76 instead of 0.92 (2-16-16-1, median of interleaved measurements).
        Setting OpenBLAS's thread count around the call instead is linked to hangs in its tracker.
        """
        c = trainer.compiled
        points = self.inputs.astype(c.dtype, copy=False)
        rows = one_thread_rows(c, len(points))
        chunks = [c.forward(points[i : i + rows]).h for i in range(0, len(points), rows)]
        h = [np.concatenate(layer) for layer in zip(*chunks, strict=True)]
        res = self.resolution
        net = trainer.network
        hidden = [net.layer(lid) for lid in c.order if net.layer(lid).kind == "hidden"]
        # the forward pass made fresh arrays: the images are views of them (copying them cost more than the pass)
        layers, shown = [], 0
        for layer in hidden:
            act = h[c.pos[layer.id]].astype(np.float64, copy=False)
            if count := min(layer.size, MAX_THUMBNAILS - shown):
                layers.append((layer.name, [act[:, j].reshape(res, res) for j in range(count)]))
                shown += count
        out = h[c.output_pos].reshape(res, res, -1).astype(np.float64, copy=False)
        return Boundary(self.extent, out, layers, sum(layer.size for layer in hidden))


def one_thread_rows(c: Compiled, n: int) -> int:
    """Rows per forward pass that keep OpenBLAS on one thread (`BoundaryGrid.evaluate` says why), or all `n` rows
    for a net so wide that a batch's worth would not."""
    widest = max((w.shape[0] * w.shape[1] for plan in c.plans for _, w, _ in plan.incoming), default=1)
    rows = BLAS_ONE_THREAD // widest
    return rows if rows >= MIN_CHUNK else max(n, 1)


def connection_name(network: Network, key: ParamKey) -> str:
    """Names a parameter array; the history may still hold one an edit has removed since its last step."""
    kind, ident = key
    if kind == "b":
        return f"b {network.layers[ident].name}" if ident in network.layers else f"b (removed layer {ident})"
    c = network.connections.get(ident)
    if c is None:
        return f"(removed connection {ident})"
    return f"{network.layer(c.source).name} → {network.layer(c.target).name}"


def take_snapshot(trainer: Trainer, grid: BoundaryGrid | None = None, *, watched: bool = True, final: bool = True,
                  rate: float = 0.0, elapsed: float = 0.0, readouts: bool = True) -> Snapshot:
    """Copy the trainer's state. The three costly parts are optional: `grid` adds the decision boundary (a forward
    pass over the grid), `watched` the watched weights' series (History copies its whole ring per weight),
    `readouts` the confusion matrices or the regression's scores and fit (a forward pass over the data)."""
    net, hist = trainer.network, trainer.history
    conns = list(net.connections.values())
    biases = {layer.id: layer.bias for layer in net.layers.values() if layer.bias is not None}
    keys, norms = hist.grad_norms()
    return Snapshot(
        step=trainer.step_count,
        epoch=trainer.epoch,
        epoch_budget=trainer.settings.epochs,
        lr=trainer.lr,
        batch_size=trainer.settings.batch_size,
        metric=trainer.metric,
        losses=hist.losses.data(),
        penalties=hist.penalties.data(),
        epochs=hist.epochs.data(),
        watched=[(ref, net.ref_name(ref), hist.weight_series(ref)) for ref in hist.watched] if watched else None,
        norm_names=[connection_name(net, key) for key in keys],
        norms=norms,
        grads={c.id: c.weight.grad.astype(np.float64) for c in conns},
        weights={c.id: c.weight.value.astype(np.float64) for c in conns},
        biases={lid: b.value.astype(np.float64) for lid, b in biases.items()},
        bias_grads={lid: b.grad.astype(np.float64) for lid, b in biases.items()},
        weight_grads=np.concatenate([c.weight.grad[c.weight.mask] for c in conns]).astype(np.float64)
        if conns else np.zeros(0),
        boundary=grid.evaluate(trainer) if grid is not None else None,
        final=final,
        steps_per_second=rate,
        elapsed=elapsed,
        readouts=readouts_of(trainer) if readouts else None,
    )


def readouts_of(trainer: Trainer) -> Readouts:
    return read_out(trainer, one_thread_rows(trainer.compiled, len(trainer.x)))
