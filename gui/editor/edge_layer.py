"""One canvas item that draws every weight: NumPy line arrays sorted by colour bin, one `drawLines` per bin.

Measured (design.md §3): one item per edge costs 28–44 ms a frame at 5k edges, this layer 12 ms. A paint draws
the lines in (strength, bin, width) order so each pen's lines are one contiguous block handed to Qt as a pointer
(no Python object per edge) and the strongest edges are drawn last, on top. Past `LOD_LIMIT` visible edges the
layer draws a translucent band per connection and only the `LOD_KEEP` strongest edges; zooming in until fewer
edges are visible brings back every edge.

A recolour only sorts the keys; the paint gathers the lines it draws in that order. Gathering all 101,770 lines
of a 784-128-10 net at every recolour cost 5 ms of its 9 ms, while a zoomed-out paint draws 2,000 of them. Which
lines cross the visible rect is kept until the view or the lines move: training recolours, it moves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from itertools import pairwise

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from gui.colors import N_BINS, bin_colors, magnitude_colormap, signed_colormap

from .edges import WIDTH_LEVELS, EdgeArrays, crossing, strength
from .items.style import HIGHLIGHT, SELECTED
from .painting import draw_lines, guarded_paint
from .routing import Routes

LOD_LIMIT = 10_000
LOD_KEEP = 2_000
AA_LIMIT = 600  # antialiasing costs 5-15x per line (design.md §3): only for the small nets people draw by hand
WIDTH_SCALE = (0.5, 1.0, 1.8, 2.8)
CUT_COLOR = QColor("#b9bec8")
BUNDLE_COLOR = QColor(90, 110, 150, 38)
SKIP_COLOR = QColor(124, 77, 160, 30)  # the explorer's backward-pass violet, faint: a path the signal skips along
SKIP_BORDER = QColor(124, 77, 160, 110)


@cache
def _pens(mode: str, n_widths: int, base: float) -> tuple[QPen, ...]:
    """Pens indexed by bin * n_widths + width level."""
    colors = bin_colors(magnitude_colormap() if mode == "magnitude" else signed_colormap(), N_BINS)
    scales = WIDTH_SCALE if n_widths == WIDTH_LEVELS else (1.0,)
    return tuple(_pen(color, base * s) for color in colors for s in scales)


def _pen(color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(color, width, style)
    pen.setCosmetic(True)  # same thickness at any zoom
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    return pen


def _visible(painter: QPainter, exposed: QRectF) -> QRectF:
    """The exposed part of the item that lands on the paint device (`QGraphicsScene.render` exposes it all)."""
    inverse, invertible = painter.worldTransform().inverted()
    device = painter.device()
    if not invertible or device is None:
        return exposed
    return exposed.intersected(inverse.mapRect(QRectF(0, 0, device.width(), device.height())))


class _Pending:
    """Work left for later: the last `job` set runs once, at the first `run` after it."""

    def __init__(self) -> None:
        self.job: Callable[[], None] | None = None

    def run(self) -> None:
        if (job := self.job) is not None:
            self.job = None
            job()


class EdgeLayer(QGraphicsItem):
    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # for option.exposedRect
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks on weights are picked by the view
        self._edges = EdgeArrays.empty()
        self._uncoloured = False  # new edges not coloured yet (`set_edges` until `set_bins`)
        self._bins = np.zeros(0, np.int64)
        self._mode = "signed"
        self.lod_active = False  # whether the last paint left edges out
        self.drawn = 0  # edges the last paint drew
        self._widths: np.ndarray | None = None
        self._keys = np.zeros(0, np.int64)  # draw keys, in draw order
        self._order = np.zeros(0, np.int64)  # edge rows in draw order
        self._crossing: tuple[tuple[float, float, float, float], np.ndarray] | None = None  # (rect, rows crossing it)
        self._bundles: list[QPolygonF] | None = None  # the LOD bands, until the lines move
        self._marked: dict[str, np.ndarray] = {}
        self._rect = QRectF()
        self._build = _Pending()  # the owner's edge building, while the edges are stale
        self._colour = _Pending()  # the owner's colouring, while the colours are stale

    # ---------------------------------------------------------------- data in
    def set_edges(self, edges: EdgeArrays) -> None:
        """New structure; `set_bins` must follow before the next paint."""
        self._edges = edges
        self._uncoloured = True  # until `set_bins`
        self._marked = {}
        self._update_rect()

    def edges_stale(self, build: Callable[[], None]) -> None:
        """The edges no longer match the network: `build` (which calls `set_edges`) runs at `ensure_edges` or when
        `edges` is read, once however many changes came first. Until then none is drawn, so the paint that follows
        the change does not build them in the same stall: opening a 1M-weight network built its 860k edges (47 ms)
        in the turn that also built the document's state and the layers (150 ms), and the window froze for both."""
        self._build.job = build
        self.set_edges(EdgeArrays.empty())

    @property
    def edges_pending(self) -> bool:
        """Whether the edges are stale: built from the layers' positions when they are next needed."""
        return self._build.job is not None

    def ensure_edges(self) -> None:
        self._build.run()

    @property
    def edges(self) -> EdgeArrays:
        """The edges as the network has them: reading them builds stale ones first."""
        self.ensure_edges()
        return self._edges

    def colours_stale(self, colour: Callable[[], None]) -> None:
        """The colours no longer match the edges or their values: `colour` (which calls `set_bins`) runs at the next
        paint or `ensure_colours`, once however many changes came first. Opening a network coloured its 860k edges
        by the weights and then, in the same turn, by the first snapshot's gradients: 48 ms each."""
        self._colour.job = colour
        self.update()

    def ensure_colours(self) -> None:
        self.ensure_edges()
        self._colour.run()

    @property
    def bins(self) -> np.ndarray:
        """Colour bin per edge (-1 for a cut weight), up to date: reading them works stale colours out first."""
        self.ensure_colours()
        return self._bins

    @property
    def widths(self) -> np.ndarray | None:
        self.ensure_colours()
        return self._widths

    @property
    def mode(self) -> str:
        self.ensure_colours()
        return self._mode

    def set_bins(self, bins: np.ndarray, widths: np.ndarray | None, mode: str) -> None:
        """Colour bin per edge (-1 for cut weights) and optional width level; re-sorts the draw order."""
        self._bins, self._widths, self._mode = bins, widths, mode
        self._uncoloured = False
        n_widths = WIDTH_LEVELS if widths is not None else 1
        shown = np.clip(bins, 0, N_BINS - 1)
        keys = 1 + (strength(shown, mode) * N_BINS + shown) * n_widths + (widths if widths is not None else 0)
        keys[bins < 0] = 0
        self._order = np.argsort(keys.astype(np.int16), kind="stable")  # small ints: NumPy uses a radix sort
        self._keys = keys[self._order]
        self.update()

    def shift(self, rows: slice, end: int, dx: float, dy: float) -> None:
        """Move one end (0 = source, 1 = target) of a block of edges; only those rows are touched."""
        self.edges.lines[rows, slice(2 * end, 2 * end + 2)] += (dx, dy)
        self._crossing = self._bundles = None

    def finish_shift(self) -> None:
        self._update_rect()

    def set_routes(self, routes: Routes) -> None:
        """Skip connections' arches (the scene routes them after every structure change or move)."""
        if not len(routes.rows) and not len(self.edges.route_lines):
            return  # no skip connection before or now: nothing to redraw (a layer move in a 100k net: 2 ms saved)
        self.edges.set_routes(routes.rows, routes.lines, routes.bands)
        self._update_rect()

    def set_marked(self, name: str, rows: np.ndarray) -> None:
        """Edges drawn on top of the rest: "selected" or "highlighted"."""
        self._marked[name] = np.asarray(rows, np.int64)
        self.update()

    def marked(self, name: str) -> np.ndarray:
        return self._marked.get(name, np.zeros(0, np.int64))

    def _update_rect(self) -> None:
        self._crossing = self._bundles = None
        self.prepareGeometryChange()
        lines = self._edges.lines  # not `edges`: this runs while they are marked stale too
        if len(lines) == 0:
            self._rect = QRectF()
            return
        xs, ys = lines[:, 0::2], lines[:, 1::2]
        left, top = float(xs.min()), float(ys.min())
        rect = QRectF(left, top, float(xs.max()) - left, float(ys.max()) - top)
        for x1, y1, x2, y2 in self._edges.bands:
            rect = rect.united(QRectF(x1, y1, x2 - x1, y2 - y1))
        self._rect = rect.adjusted(-4, -4, 4, 4)
        self.update()

    # ---------------------------------------------------------------- drawing
    def boundingRect(self) -> QRectF:
        return self._rect

    @guarded_paint
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if self.edges_pending or (self._colour.job is not None and self._uncoloured):
            # Not in this turn: the owner builds the edges (`edges_stale`) and gives new edges their first colours
            # (`colours_stale`) in turns of their own, each followed by a repaint. Drawing new edges meant colouring
            # them in the same turn: 40-57 ms of building and 70-105 ms of this paint made one stall of 115-170 ms.
            self.drawn = 0
            return
        self.ensure_colours()
        order, keys = self._order, self._keys
        self.lod_active = False
        if len(keys) > LOD_LIMIT:
            visible = np.flatnonzero(self._crossing_rows(_visible(painter, option.exposedRect))[order])
            if len(visible) > LOD_LIMIT:
                self.lod_active = True
                self._paint_bundles(painter)
                visible = visible[-LOD_KEEP:]  # in draw order, weakest first: the tail is the strongest
            order, keys = order[visible], keys[visible]
        self.drawn = len(keys)
        small = len(keys) <= AA_LIMIT
        n_widths = WIDTH_LEVELS if self._widths is not None else 1
        pens = _pens(self._mode, n_widths, 1.4 if small else 1.0)
        edges = self.edges
        if len(edges.route_lines):  # skip connections: their bands, then their arches, under the straight weights
            self._paint_bands(painter)
            arched = edges.routed[order] >= 0
            segments = edges.route_lines[edges.routed[order[arched]]]
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            self._paint_blocks(painter, segments.reshape(-1, 4), np.repeat(keys[arched], segments.shape[1]), pens)
            order, keys = order[~arched], keys[~arched]
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, small)
        self._paint_blocks(painter, edges.lines[order], keys, pens)  # a C-contiguous copy, in draw order
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for name, color, width in (("selected", SELECTED, 3.0), ("highlighted", HIGHLIGHT, 3.5)):
            rows = self._marked.get(name)
            if rows is not None and len(rows):
                painter.setPen(_pen(color, width))
                draw_lines(painter, edges.segments(rows))

    def _paint_blocks(self, painter: QPainter, lines: np.ndarray, keys: np.ndarray, pens: tuple[QPen, ...]) -> None:
        """`lines` in draw order, `keys` their pens: one `drawLines` per run of one pen."""
        n_widths = WIDTH_LEVELS if self._widths is not None else 1
        cut_pen = _pen(CUT_COLOR, 1.0, Qt.PenStyle.DashLine)
        bounds = [0, *(np.flatnonzero(np.diff(keys)) + 1), len(keys)] if len(keys) else []  # one block per pen
        for start, stop in pairwise(bounds):
            key = int(keys[start])
            painter.setPen(cut_pen if key == 0 else pens[(key - 1) % (N_BINS * n_widths)])
            draw_lines(painter, np.ascontiguousarray(lines[start:stop]))

    def _paint_bands(self, painter: QPainter) -> None:
        """A soft band behind each skip connection's lanes: its weights read as one connection going around."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(_pen(SKIP_BORDER, 1.0, Qt.PenStyle.DashLine))
        painter.setBrush(QBrush(SKIP_COLOR))
        for x1, y1, x2, y2 in self.edges.bands:
            painter.drawRoundedRect(QRectF(x1, y1, x2 - x1, y2 - y1), 6, 6)

    def _crossing_rows(self, rect: QRectF) -> np.ndarray:
        """Which edges cross `rect` (a mask over edge rows), from the last paint's answer if nothing moved."""
        key = (rect.left(), rect.top(), rect.right(), rect.bottom())
        if self._crossing is None or self._crossing[0] != key:
            self._crossing = key, crossing(self.edges.lines, key)
        return self._crossing[1]

    def _paint_bundles(self, painter: QPainter) -> None:
        """A band per connection from its source column to its target column, so omitted edges leave a trace.
        The bands are kept until the lines move: finding them reads every line (13-23 ms a paint on 860k edges,
        and training repaints while nothing moves)."""
        if self._bundles is None:
            self._bundles = []
            for sl in self.edges.slices.values():
                part = self.edges.lines[sl]
                if len(part):
                    x1, x2 = float(part[0, 0]), float(part[0, 2])
                    y1, y2 = part[:, 1], part[:, 3]
                    self._bundles.append(QPolygonF([QPointF(x1, float(y1.min())), QPointF(x2, float(y2.min())),
                                                    QPointF(x2, float(y2.max())), QPointF(x1, float(y1.max()))]))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(BUNDLE_COLOR))
        for bundle in self._bundles:
            painter.drawPolygon(bundle)
