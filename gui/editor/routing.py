"""Skip connections drawn as arches around the layers they pass, so they never run behind those layers' neurons.

A connection is a skip connection when some other layer stands strictly between its source's and its target's
column. Each of its weights then leaves its source neuron on an S-curve down (or up) to a lane below (or above)
every layer it passes, runs along the lane, and comes back on another S-curve into its target neuron. Each curve
is a cubic Bézier whose control points lie in the free gap between two columns, so by the convex-hull property it
stays in that gap: the arch cannot touch a passed layer, whatever the layers' sizes. The side is the one nearer to
the connection's ends; the weights of one connection take lanes a few pixels apart, ordered by the height of their
ends so their curves do not cross each other, and one band behind the lanes shows them as one connection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF

from engine import Network

ARCH_GAP = 22.0  # between the innermost lane and the layers it passes
KNEE_GAP = 16.0  # between where the arch reaches its lane and the first (last) layer it passes
LANE_STEP = 4.0  # between the lanes of two weights of one connection
LANE_SPREAD = 32.0  # at most, between a connection's first and last lane
CURVE_STEPS = 10  # segments per S-curve
SEGMENTS = 2 * CURVE_STEPS + 1  # of every routed weight: down, along, up
BAND_PAD = 5.0


@dataclass
class Routes:
    rows: np.ndarray  # (m,) edge rows that are routed, ascending
    lines: np.ndarray  # (m, SEGMENTS, 4) each one's segments x1, y1, x2, y2
    bands: list[tuple[float, float, float, float]]  # (left, top, right, bottom) behind each routed connection's lanes

    @classmethod
    def none(cls) -> Routes:
        return cls(np.zeros(0, np.int64), np.zeros((0, SEGMENTS, 4)), [])


def passed_layers(network: Network, source: int, target: int) -> list[int]:
    """Layers whose column lies strictly between the source's and the target's: what a straight weight would cross."""
    x0, x1 = network.layer(source).position[0], network.layer(target).position[0]
    return [lid for lid, layer in network.layers.items()
            if lid not in (source, target) and x0 < layer.position[0] < x1]


def route_skips(network: Network, lines: np.ndarray, slices: dict[int, slice], rects: dict[int, QRectF]) -> Routes:
    """Arches for the weights of every skip connection; `lines` are the straight (n, 4) weights, `rects` the layers'
    scene rects (header and ports included)."""
    rows, parts, bands = [], [], []
    for c in network.connections.values():
        sl = slices.get(c.id)
        passed = passed_layers(network, c.source, c.target)
        if sl is None or sl.stop == sl.start or not passed:
            continue
        box = rects[passed[0]]
        for lid in passed[1:]:
            box = box.united(rects[lid])
        part = lines[sl]
        ends = part[:, [1, 3]].mean(axis=1)
        below = box.bottom() - ends.mean() <= ends.mean() - box.top()
        step = min(LANE_STEP, LANE_SPREAD / max(len(part) - 1, 1))
        rank = np.argsort(np.argsort(ends if below else -ends, kind="stable"))
        lane = box.bottom() + ARCH_GAP + rank * step if below else box.top() - ARCH_GAP - rank * step
        xa = _knee(float(part[:, 0].max()), box.left() - KNEE_GAP)
        xb = _knee(float(part[:, 2].min()), box.right() + KNEE_GAP)
        down = _s_curve(part[:, 0], part[:, 1], np.full(len(part), xa), lane)
        up = _s_curve(np.full(len(part), xb), lane, part[:, 2], part[:, 3])
        points = np.concatenate([down, up], axis=1)  # (k, 2 * (CURVE_STEPS + 1), 2): the lane joins the two
        parts.append(np.concatenate([points[:, :-1], points[:, 1:]], axis=2))
        rows.append(np.arange(sl.start, sl.stop))
        bands.append((xa, float(lane.min()) - BAND_PAD, xb, float(lane.max()) + BAND_PAD))
    if not rows:
        return Routes.none()
    return Routes(np.concatenate(rows), np.ascontiguousarray(np.concatenate(parts)), bands)


def _knee(end: float, wanted: float) -> float:
    """Where the arch meets its lane: `wanted`, unless the gap between the columns is too narrow for a curve."""
    return wanted if abs(wanted - end) >= 2 * KNEE_GAP else (end + wanted) / 2


def _s_curve(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """(k, CURVE_STEPS + 1, 2) points of cubic Béziers leaving (x0, y0) and reaching (x1, y1) horizontally; their
    control points share the middle x, so each curve stays between x0 and x1."""
    t = np.linspace(0.0, 1.0, CURVE_STEPS + 1)[None, :]
    mid = (x0 + x1)[:, None] / 2
    b0, b1, b2, b3 = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    xs = b0 * x0[:, None] + (b1 + b2) * mid + b3 * x1[:, None]
    ys = (b0 + b1) * y0[:, None] + (b2 + b3) * y1[:, None]
    return np.stack([xs, ys], axis=2)
