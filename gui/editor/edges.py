"""Every weight of the canvas as rows of NumPy arrays, so drawing, colouring and picking cost NumPy time only.

Edges of one connection are contiguous rows (`slices`), in row-major (i, j) order, which makes a weight's row a
binary search and a layer move an update of a few slices. A dense connection shows all its pairs, cut ones
flagged (so a cut weight can still be selected and restored); a sparse connection shows only the weights drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine import Network, WeightRef
from gui.colors import N_BINS, log_scale

MODES = ("magnitude", "signed")
NORMALISATIONS = ("global", "connection")
WIDTH_LEVELS = 4


@dataclass
class EdgeArrays:
    conn: np.ndarray  # (n,) connection id of each edge
    i: np.ndarray  # (n,) source neuron
    j: np.ndarray  # (n,) target neuron
    cut: np.ndarray  # (n,) bool: a cut weight of a dense connection
    lines: np.ndarray  # (n, 4) float64: x1, y1, x2, y2
    slices: dict[int, slice]
    shapes: dict[int, tuple[int, int]]  # (n_src, n_dst) of each connection
    # skip connections' arches (routing.py): each routed row's segments, and the bands behind their lanes
    route_lines: np.ndarray = field(default_factory=lambda: np.zeros((0, 1, 4)))
    bands: list[tuple[float, float, float, float]] = field(default_factory=list)
    routed: np.ndarray = field(init=False)  # (n,) index into route_lines, -1 for a straight weight

    def __post_init__(self) -> None:
        self.routed = np.full(len(self.conn), -1, np.int64)

    @classmethod
    def empty(cls) -> EdgeArrays:
        ints = np.zeros(0, np.int64)
        return cls(ints, ints, ints, np.zeros(0, bool), np.zeros((0, 4)), {}, {})

    def __len__(self) -> int:
        return len(self.conn)

    def index(self, connection_id: int, i: int, j: int) -> int | None:
        """Row of weight (i, j) of a connection, or None when it is not drawn."""
        row = int(self.rows(np.array([[connection_id, i, j]]))[0])
        return None if row < 0 else row

    def rows(self, keys: np.ndarray) -> np.ndarray:
        """Rows of (connection id, i, j) keys, -1 where a key is not drawn; a binary search per connection."""
        keys = np.asarray(keys, np.int64).reshape(-1, 3)
        out = np.full(len(keys), -1, np.int64)
        for cid in np.unique(keys[:, 0]).tolist():
            sl = self.slices.get(cid)
            if sl is None or sl.stop == sl.start:
                continue
            ns, nd = self.shapes[cid]
            pick = np.flatnonzero(keys[:, 0] == cid)
            i, j = keys[pick, 1], keys[pick, 2]
            want = i * nd + j
            codes = self.i[sl] * nd + self.j[sl]  # ascending: rows are in row-major (i, j) order
            k = np.minimum(np.searchsorted(codes, want), len(codes) - 1)
            found = (codes[k] == want) & (i >= 0) & (i < ns) & (j >= 0) & (j < nd)
            out[pick[found]] = sl.start + k[found]
        return out

    def keys(self, rows: np.ndarray) -> np.ndarray:
        """(connection id, i, j) of each row, as an (n, 3) array."""
        return np.column_stack([self.conn[rows], self.i[rows], self.j[rows]]).astype(np.int64)

    def ref(self, row: int) -> WeightRef:
        return WeightRef(int(self.conn[row]), int(self.i[row]), int(self.j[row]))

    def set_routes(self, rows: np.ndarray, lines: np.ndarray, bands: list[tuple[float, float, float, float]]) -> None:
        """Draw these rows along `lines` (m, k, 4) instead of straight; every other row goes straight again."""
        self.routed = np.full(len(self.conn), -1, np.int64)
        self.routed[rows] = np.arange(len(rows))
        self.route_lines, self.bands = lines, bands

    def segments(self, rows: np.ndarray) -> np.ndarray:
        """The segments these rows are drawn with, C-contiguous (p, 4): one per straight weight, an arch's several."""
        rows = np.asarray(rows, np.int64)
        if not len(self.route_lines):
            return np.ascontiguousarray(self.lines[rows])
        k = self.routed[rows]
        arched = self.route_lines[k[k >= 0]].reshape(-1, 4)
        return np.ascontiguousarray(np.concatenate([self.lines[rows[k < 0]], arched]))

    def polyline(self, row: int) -> np.ndarray:
        """The (p, 2) points a weight is drawn through, from its source neuron to its target neuron."""
        k = int(self.routed[row])
        segments = self.lines[row : row + 1] if k < 0 else self.route_lines[k]
        return np.vstack([segments[:, :2], segments[-1:, 2:]])

    def point_along(self, row: int, t: float) -> tuple[float, float]:
        """The point a fraction `t` of the drawn length along a weight (on its arch, for a skip connection)."""
        points = self.polyline(row)
        lengths = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(points, axis=0).T))])
        s = t * lengths[-1]
        k = int(np.clip(np.searchsorted(lengths, s, side="right") - 1, 0, len(points) - 2))
        span = lengths[k + 1] - lengths[k]
        x, y = points[k] + (points[k + 1] - points[k]) * ((s - lengths[k]) / span if span > 0 else 0.0)
        return float(x), float(y)

    def distances(self, x: float, y: float) -> np.ndarray:
        """Distance from (x, y) to every weight as drawn."""
        d = distances(self.lines, x, y)
        if len(self.route_lines):
            rows = np.flatnonzero(self.routed >= 0)
            arches = distances(self.route_lines.reshape(-1, 4), x, y).reshape(len(self.route_lines), -1).min(axis=1)
            d[rows] = arches[self.routed[rows]]
        return d

    def gather(self, per_connection: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Per-edge values picked from (n_src, n_dst) arrays, and which edges got one (a stale shape gets none)."""
        values = np.zeros(len(self))
        known = np.zeros(len(self), bool)
        for cid, sl in self.slices.items():
            array = per_connection.get(cid)
            if array is not None and np.shape(array) == self.shapes[cid]:
                if sl.stop - sl.start == np.size(array):  # every weight drawn, in row-major order: no indexing
                    values[sl] = np.ravel(array)
                else:
                    values[sl] = np.asarray(array)[self.i[sl], self.j[sl]]
                known[sl] = True
        return values, known


def build_edges(network: Network, anchors: dict[int, tuple[np.ndarray, np.ndarray]]) -> EdgeArrays:
    """Edges of every connection; `anchors[layer id]` gives the (out, in) points of its neurons.

    The arrays are allocated once at their final size and each connection writes its rows in place: on a
    1M-weight network a fresh page costs more than the arithmetic (stacking per connection and concatenating
    touched three times the memory, and the first build took 575 ms against 53 ms for a repeat)."""
    connections = list(network.connections.values())
    counts = [c.weight.mask.size if c.dense else int(np.count_nonzero(c.weight.mask)) for c in connections]
    n = sum(counts)
    if not n:
        return EdgeArrays.empty()
    conn, i, j = (np.empty(n, np.int64) for _ in range(3))
    cut = np.zeros(n, bool)
    lines = np.empty((n, 4), np.float64)
    slices: dict[int, slice] = {}
    shapes: dict[int, tuple[int, int]] = {}
    start = 0
    for c, count in zip(connections, counts, strict=True):
        mask = c.weight.mask
        ns, nd = mask.shape
        sl = slice(start, start + count)
        conn[sl] = c.id
        if c.dense:  # every pair in row-major order: broadcasts instead of gathers by index (3× faster)
            i[sl].reshape(ns, nd)[...] = np.arange(ns)[:, None]
            j[sl].reshape(ns, nd)[...] = np.arange(nd)
            np.logical_not(mask.ravel(), out=cut[sl])
            lines[sl, :2].reshape(ns, nd, 2)[...] = anchors[c.source][0][:, None, :]
            lines[sl, 2:].reshape(ns, nd, 2)[...] = anchors[c.target][1][None, :, :]
        else:
            i[sl], j[sl] = np.nonzero(mask)
            np.take(anchors[c.source][0], i[sl], axis=0, out=lines[sl, :2])
            np.take(anchors[c.target][1], j[sl], axis=0, out=lines[sl, 2:])
        slices[c.id] = sl
        shapes[c.id] = (ns, nd)
        start += count
    return EdgeArrays(conn, i, j, cut, lines, slices, shapes)


def colour_units(values: np.ndarray, shown: np.ndarray, slices: dict[int, slice], mode: str,
                 normalisation: str) -> tuple[np.ndarray, float, float]:
    """Each edge's place (0..1) on the colour map, and the ends of the scale for a colour bar.

    "magnitude" puts log10|v| on the scale (zeros at the bottom, outside the log range); "signed" puts v on a
    scale symmetric around 0. Per-connection normalisation stretches each connection over the whole map, so a
    layer whose gradients vanish still shows which of its weights matter most.
    """
    if mode not in MODES:
        raise ValueError(f"unknown edge colouring {mode!r}; choose one of {', '.join(MODES)}")
    if normalisation not in NORMALISATIONS:
        raise ValueError(f"unknown normalisation {normalisation!r}; choose one of {', '.join(NORMALISATIONS)}")
    unit = np.zeros(len(values)) if mode == "magnitude" else np.full(len(values), 0.5)
    groups = [slice(0, len(values))] if normalisation == "global" else list(slices.values())
    mags = np.abs(values)
    for sl in groups:
        part = unit[sl]  # a view: writing into it writes into `unit`
        if mode == "magnitude":
            sel = shown[sl] & (mags[sl] > 0)
            if sel.any():
                part[sel] = log_scale(mags[sl][sel])[0]
        else:
            top = mags[sl][shown[sl]].max(initial=0.0)
            if top > 0:
                part[shown[sl]] = 0.5 + 0.5 * values[sl][shown[sl]] / top
    nonzero = mags[shown & (mags > 0)] if mode == "magnitude" else mags[shown]
    if nonzero.size == 0:
        return unit, 0.0, 0.0
    lo, hi = float(nonzero.min()), float(nonzero.max())
    return (unit, lo, hi) if mode == "magnitude" else (unit, -hi, hi)


def strength(bins: np.ndarray, mode: str) -> np.ndarray:
    """How strong a bin looks: its height on the magnitude map, its distance from 0 on the signed one."""
    return bins if mode == "magnitude" else np.abs(2 * bins - (N_BINS - 1)) // 2


def width_levels(values: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """0..WIDTH_LEVELS-1 by |value| relative to the largest shown value."""
    mags = np.abs(values)
    top = mags[shown].max(initial=0.0)
    if top == 0:
        return np.zeros(len(values), np.int64)
    return np.clip((mags / top * WIDTH_LEVELS).astype(np.int64), 0, WIDTH_LEVELS - 1)


def distances(lines: np.ndarray, x: float, y: float) -> np.ndarray:
    """Distance from (x, y) to every segment."""
    p0 = lines[:, :2]
    d = lines[:, 2:] - p0
    length2 = np.einsum("ij,ij->i", d, d)
    w = np.array([x, y]) - p0
    t = np.clip(np.einsum("ij,ij->i", w, d) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0)
    return np.hypot(*(w - t[:, None] * d).T)


def inside(lines: np.ndarray, rect: tuple[float, float, float, float]) -> np.ndarray:
    """Edges with both ends inside rect = (left, top, right, bottom)."""
    left, top, right, bottom = rect
    xs, ys = lines[:, 0::2], lines[:, 1::2]
    return np.all((xs >= left) & (xs <= right) & (ys >= top) & (ys <= bottom), axis=1)


def crossing(lines: np.ndarray, rect: tuple[float, float, float, float]) -> np.ndarray:
    """Edges that pass through rect = (left, top, right, bottom): their bounding box meets it, and the rect's
    corners do not all lie on one side of their line.

    Only boolean temporaries span every edge: an edge with both ends inside passes at once, and the side test runs
    on the few whose box meets the rect otherwise (the first paint of a 1M-weight canvas took 339 ms in float
    temporaries, most of it faulting in fresh pages)."""
    left, top, right, bottom = rect
    x1, y1, x2, y2 = lines.T
    in1 = (x1 >= left) & (x1 <= right) & (y1 >= top) & (y1 <= bottom)
    in2 = (x2 >= left) & (x2 <= right) & (y2 >= top) & (y2 <= bottom)
    result = in1 & in2
    box = ~((x1 < left) & (x2 < left)) & ~((x1 > right) & (x2 > right))
    box &= ~((y1 < top) & (y2 < top)) & ~((y1 > bottom) & (y2 > bottom))
    rows = np.flatnonzero(box & ~result)
    ax, ay, bx, by = (lines[rows, k] for k in range(4))
    dx, dy = bx - ax, by - ay
    sides = [np.sign(dy * (cx - ax) - dx * (cy - ay)) for cx in (left, right) for cy in (top, bottom)]
    one_side = (sides[0] == sides[1]) & (sides[1] == sides[2]) & (sides[2] == sides[3]) & (sides[0] != 0)
    result[rows] = ~one_side
    return result
