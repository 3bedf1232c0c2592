"""Automatic left-to-right arrangement: each layer in the column of its longest path from the input.

The longest path (not the shortest) keeps every connection pointing right, skip connections included. The
output layer always takes the last column, even before it is wired, so a half-built net already reads left to
right. Within a column, layers keep their current top-to-bottom order.
"""

from __future__ import annotations

from engine import Network

from .items.style import HEADER_GAP, HEADER_H, column_half_height

COLUMN_GAP = 240.0
ROW_GAP = 40.0


def layered_positions(network: Network) -> dict[int, tuple[float, float]]:
    depth: dict[int, int] = {}
    for lid in network.topological_order():
        depth[lid] = max((depth[c.source] + 1 for c in network.incoming(lid)), default=0)
    outputs = network.layers_of_kind("output")
    others = [d for lid, d in depth.items() if network.layers[lid].kind != "output"]
    for out in outputs:
        depth[out.id] = max(depth[out.id], 1 + max(others, default=-1))
    columns: dict[int, list[int]] = {}
    for lid in sorted(depth, key=lambda lid: network.layers[lid].position[1]):
        columns.setdefault(depth[lid], []).append(lid)
    tallest = max((2 * column_half_height(lay.size) for lay in network.layers.values()), default=0.0)
    gap = max(COLUMN_GAP, 0.35 * tallest)  # tall columns need room, or their edges become a wall
    positions = {}
    for col, lids in columns.items():
        # a layer spans from its header's top (above its position) to its column's bottom (below)
        above = [column_half_height(network.layers[lid].size) + HEADER_GAP + HEADER_H for lid in lids]
        below = [column_half_height(network.layers[lid].size) for lid in lids]
        ys, y = [], 0.0
        for up, down in zip(above, below, strict=True):
            ys.append(y + up)
            y += up + down + ROW_GAP
        # centre the neurons, not the headers: a column of one layer then sits exactly on y = 0
        middle = (ys[0] - below[0] + ys[-1] + below[-1]) / 2
        positions.update({lid: (col * gap, y - middle) for lid, y in zip(lids, ys, strict=True)})
    return positions
