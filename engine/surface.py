"""The loss surface: the loss over a grid of values of one or two weights, or along the gradient's step.

A learner sees why training goes where it goes: the valley the two weights roll down, and, along the step
w − t·α·∇L, whether the learning rate α overshoots the valley's floor (t = 1 past the minimum) or creeps towards it.
Under an L1/L2 penalty L is what training minimises, the data loss plus the penalty (engine.regularization), so
the valley shown is the one the run rolls down.

Every grid point is a whole network pass, so a 64 × 64 grid is 4,096 passes; a Python loop over them would take
minutes on a digit-sized network. The points are evaluated together instead: the weights at point g are
w0 + Σ_k s[g, k]·d_k (d_k a direction in the flat parameter buffer: one weight, or the gradient), so only the layers
that one of the d_k reaches, and the layers after them, differ between points. Those are computed as a stack over
points, (G, N, width), and only as far as they differ: a change of one weight moves one neuron's pre-activation, and
through an elementwise activation that neuron alone, so a layer that is fed by the moved weights is carried as its
moved columns until a matrix product spreads them. The stack is chunked so that memory stays bounded whatever G is.

Everything runs on `compiled(network).private_copy()`: the buffers that train are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .compile import Compiled, compiled
from .errors import GraphError
from .graph.model import Network
from .graph.validate import validate
from .losses import Loss, encode_targets, get_loss
from .refs import ParamKey, ParamRef
from .regularization import NO_PENALTY, Penalty, Regularizer, effective

CHUNK_BYTES = 64 * 2**20  # the largest stack of one layer's values over grid points held at once
SPARSE_ENTRIES = 8  # a direction touching at most this many entries of a parameter is applied entry by entry
DEFAULT_POINTS = 64
_quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")


def default_span(value: float) -> float:
    """How far either side of a weight's value its axis reaches: ±3|w|, and at least ±1 so a weight near 0 still
    shows its neighbourhood."""
    return max(1.0, 3.0 * abs(value))


@dataclass(frozen=True)
class Surface:
    """The loss over a grid of one or two weights (`loss[i]` or `loss[i, k]` at `axes[0][i]`, `axes[1][k]`)."""

    refs: tuple[ParamRef, ...]
    names: tuple[str, ...]
    axes: tuple[np.ndarray, ...]
    loss: np.ndarray
    center: tuple[float, ...]  # the weights' current values
    center_loss: float  # the loss there (the penalty included)
    penalty: float = 0.0  # the L1/L2 penalty at the current weights, part of every `loss` value


@dataclass(frozen=True)
class GradientSlice:
    """The loss along the gradient step, L(w − t·α·∇L), over `t`: t = 1 is the step plain SGD would take."""

    t: np.ndarray
    loss: np.ndarray
    lr: float
    grad_norm2: float  # |∇L|² over the parameters that move: the slope at t = 0 is −α·|∇L|²


# what one direction moves in one parameter array: (direction k, the entry's index, its amount), or (k, None, the
# direction's whole part of that array) when it moves more than SPARSE_ENTRIES entries
_Move = tuple[int, tuple[int, ...] | None, np.ndarray]


@dataclass
class _Moved:
    """A layer's values over the grid points where only columns `cols` differ from the base pass (cols None: all)."""

    cols: np.ndarray | None
    a: np.ndarray  # (G, N, len(cols)) or (G, N, width)
    h: np.ndarray


class _Batch:
    """A compiled plan, a batch (x, t) and its base pass: what every grid point shares."""

    def __init__(self, c: Compiled, x: np.ndarray, t: np.ndarray, loss: Loss):
        self.c, self.x, self.t, self.lossfn = c, x, t, loss
        self.base = c.forward(x)
        self.width = max(plan.bias.size for plan in c.plans)  # the input layer is never stacked over points
        # a loss that fuses with the output activation reads the logits alone: softmax over every point is skipped
        self.fused = loss.fuses_with(c.plans[-1].activation.name) if c.plans else False
        # the connection id of each plan's incoming matrix, in the plan's order
        self.conns = {plan.pos: [conn.id for conn in c.network.incoming(plan.layer_id)] for plan in c.plans}

    @_quiet
    def losses(self, coords: np.ndarray, directions: np.ndarray) -> np.ndarray:
        """L at w0 + coords[g] @ directions for each grid point g: coords (G, K), directions (K, P) over the flat
        parameter buffer. Returns (G,)."""
        c = self.c
        coords = np.asarray(coords, c.dtype).reshape(len(coords), -1)
        if c.mask is not None:
            directions = directions * c.mask  # a cut weight stays cut
        moves = self._moves(directions)
        per_point = max(1, len(self.x) * self.width * self.x.itemsize)
        chunk = max(1, CHUNK_BYTES // per_point)
        out = np.empty(len(coords), np.float64)
        for start in range(0, len(coords), chunk):
            out[start : start + chunk] = self._chunk(coords[start : start + chunk], moves)
        return out

    def _moves(self, directions: np.ndarray) -> dict[ParamKey, list[_Move]]:
        c = self.c
        moves: dict[ParamKey, list[_Move]] = {}
        for key in c.keys:
            for k, d in enumerate(directions):
                part = c.view(d, key)
                nz = np.argwhere(part)
                if len(nz) > SPARSE_ENTRIES:
                    moves.setdefault(key, []).append((k, None, part))
                for idx in nz if len(nz) <= SPARSE_ENTRIES else ():
                    index = tuple(int(i) for i in idx)
                    moves.setdefault(key, []).append((k, index, part[index]))
        return moves

    def _chunk(self, s: np.ndarray, moves: dict[ParamKey, list[_Move]]) -> np.ndarray:
        c, base = self.c, self.base
        g, n = len(s), len(self.x)
        moved: dict[int, _Moved] = {}

        def full(pos: int, which: str) -> np.ndarray:
            """A layer's a or h at every point, (G, N, width), or the base's (N, width) when it did not move."""
            b: np.ndarray = getattr(base, which)[pos]
            m = moved.get(pos)
            if m is None:
                return b
            values: np.ndarray = getattr(m, which)
            if m.cols is None:
                return values
            out = np.broadcast_to(b, (g, *b.shape)).copy()
            out[..., m.cols] = values
            return out

        def column(pos: int, i: int) -> np.ndarray:
            """Neuron i's output at every point, (G, N), or the base's (N,) when it did not move."""
            m = moved.get(pos)
            if m is None:
                return base.h[pos][:, i]
            if m.cols is None:
                return m.h[..., i]
            hit = np.flatnonzero(m.cols == i)
            return m.h[..., hit[0]] if len(hit) else base.h[pos][:, i]

        for plan in c.plans:
            p = plan.pos
            dense: list[np.ndarray] = []  # terms of Δa over all columns, (G, N, width)
            sparse: dict[int, np.ndarray] = {}  # terms of Δa in one column, (G, N)
            for (src, w, _), conn in zip(plan.incoming, self.conns[p], strict=True):
                m = moved.get(src)
                if m is not None:  # the source moved: (h(g) − h0) @ W0
                    h0 = base.h[src] if m.cols is None else base.h[src][:, m.cols]
                    dense.append((m.h - h0) @ (w if m.cols is None else w[m.cols]))
                for k, index, amount in moves.get(("W", conn), []):  # and the weights moved: s·h(g) @ D
                    if index is None:
                        dense.append(s[:, k, None, None] * (full(src, "h") @ amount))
                    else:
                        i, j = index
                        sparse[j] = sparse.get(j, 0) + (s[:, k] * amount)[:, None] * column(src, i)
            for k, index, amount in moves.get(("b", plan.layer_id), []):
                if index is None:
                    dense.append(s[:, k, None, None] * amount)
                else:
                    (j,) = index
                    sparse[j] = sparse.get(j, 0) + np.broadcast_to((s[:, k] * amount)[:, None], (g, n))
            if not dense and not sparse:
                continue
            act = plan.activation
            forward = (lambda a: a) if p == c.output_pos and self.fused else act.forward
            if not dense and act.derivative is not None:  # elementwise: only the moved neurons move
                cols = np.array(sorted(sparse), np.int64)
                a = base.a[p][:, cols] + np.stack([sparse[j] for j in cols], axis=-1)
                moved[p] = _Moved(cols, a, forward(a))
                continue
            a = base.a[p] + dense[0] if dense else np.broadcast_to(base.a[p], (g, *base.a[p].shape)).copy()
            for term in dense[1:]:
                a += term
            for j, term in sparse.items():
                a[..., j] += term
            moved[p] = _Moved(None, a, forward(a))
        out = c.output_pos
        if out not in moved:
            return np.full(g, c.loss(base, self.t, self.lossfn))
        a = full(out, "a")
        return self.lossfn.batch_value(a, a if self.fused else full(out, "h"), self.t)


def _batch(network: Network, x: np.ndarray, y: np.ndarray, loss: str) -> _Batch:
    # a batch kept from before an edit (the input layer resized) gets the sentence the trainer would give
    validate(network, loss, n_features=np.shape(x)[1])
    c = compiled(network).private_copy()  # never the buffers that train
    lossfn = get_loss(loss)
    t = encode_targets(lossfn, y, network.output_layer.size, network.dtype)
    return _Batch(c, np.asarray(x, network.dtype), t, lossfn)


def loss_surface(network: Network, x: np.ndarray, y: np.ndarray, loss: str, refs: Sequence[ParamRef],
                 points: int = DEFAULT_POINTS, span: float | None = None, penalty: Penalty = NO_PENALTY) -> Surface:
    """The loss on (x, y) over a `points`-wide grid of one or two weights (or biases) around their current values,
    ± `span` (default: `default_span` of each), every other weight as it is; plus the L1/L2 penalty (`penalty` the
    network's, a connection's own where it has one) at each point."""
    if not 1 <= len(refs) <= 2:
        raise GraphError(f"a loss surface is over one or two weights, not {len(refs)}")
    if len(set(refs)) != len(refs):
        raise GraphError(f"a loss surface needs two different weights, not {network.ref_name(refs[0])} twice")
    if points < 2:
        raise GraphError(f"a loss surface needs at least 2 points per axis, not {points}")
    for ref in refs:
        network.check_ref(ref)
    b = _batch(network, x, y, loss)
    c = b.c
    center = tuple(float(c.value[c.flat_index(ref)]) for ref in refs)
    offsets = [np.linspace(-r, r, points) for r in (span or default_span(w) for w in center)]
    directions = np.zeros((len(refs), c.value.size), c.dtype)
    for k, ref in enumerate(refs):
        directions[k, c.flat_index(ref)] = 1.0
    grid = np.stack([o.ravel() for o in np.meshgrid(*offsets, indexing="ij")], axis=-1)
    coords = np.vstack([grid, np.zeros(len(refs))])
    values = b.losses(coords, directions)
    # the penalty of every weight but the moved ones is the same at every point: only theirs changes
    here = Regularizer().value_at(c, penalty, c.value)
    values += here
    for k, ref in enumerate(refs):
        own = effective(network, ref, penalty)
        values += own.each(center[k] + coords[:, k]) - own.each(np.array(center[k]))
    return Surface(tuple(refs), tuple(network.ref_name(r) for r in refs),
                   tuple(w + o for w, o in zip(center, offsets, strict=True)),
                   values[:-1].reshape((points,) * len(refs)), center, float(values[-1]), here)


def gradient_slice(network: Network, x: np.ndarray, y: np.ndarray, loss: str, lr: float,
                   t: np.ndarray | None = None, refs: Sequence[ParamRef] | None = None,
                   penalty: Penalty = NO_PENALTY) -> GradientSlice:
    """L(w − t·lr·∇L) on (x, y) for each t (default −1 … 3), ∇L on that batch, moving only `refs` (default: every
    trainable weight and bias); L and ∇L include the L1/L2 penalty (`penalty` the network's), as training's do."""
    b = _batch(network, x, y, loss)
    c = b.c
    c.backward(b.base, b.t, b.lossfn)
    regularizer = Regularizer()
    regularizer.add_gradient(c, penalty)
    grad = c.grad.copy()
    if refs is not None:
        keep = np.zeros_like(grad)
        for ref in refs:
            network.check_ref(ref)
            keep[c.flat_index(ref)] = 1.0
        grad *= keep
    elif c.trainable is not None:
        grad *= c.trainable
    ts = np.linspace(-1.0, 3.0, 81) if t is None else np.asarray(t, np.float64)
    values = b.losses(ts[:, None], -lr * grad[None, :])
    values += [regularizer.value_at(c, penalty, c.value - (s * lr) * grad) for s in ts]
    return GradientSlice(ts, values, lr, float(grad @ grad))
