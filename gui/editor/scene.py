"""The canvas: a projection of the `Network`, and the one gate through which edits reach the model.

The scene owns no network state. It subscribes to `network.events` and brings its items in line: one
`LayerItem` per layer and one `EdgeLayer` for every weight (napari's model/view split, the Orange canvas's
`set_scheme`). Every edit is a command pushed through `push()`, which refuses it while the structure is locked
(training runs) and turns the engine's refusal into a message instead of a half-made change. Edits that fire
many model events (a resize by 100 neurons) are batched: items and edges are rebuilt once, at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from engine import (
    BackpropError,
    BiasRef,
    ConnectionAdded,
    ConnectionChanged,
    ConnectionRemoved,
    LayerAdded,
    LayerChanged,
    LayerMoved,
    LayerRemoved,
    LayerResized,
    Network,
    NetworkEvent,
    ParamRef,
    ValuesChanged,
    WeightRef,
)
from engine.project import Project
from engine.studio import Document, LoadedData, RunState, Selection
from gui import commands
from gui.colors import to_bins
from gui.follow import Follower, follow
from gui.later import later

from .edge_layer import EdgeLayer
from .edges import NORMALISATIONS, build_edges, colour_units, inside, width_levels
from .items import LayerItem, NeuronItem, PortItem
from .layout import layered_positions
from .routing import route_skips

SCENE_EXTENT = 200_000.0
LOCK_REASON = "Pause training to edit the network"
NO_KEYS = np.zeros((0, 3), np.int64)
Item = TypeVar("Item", bound=QGraphicsItem)


def _keys(refs: list[WeightRef]) -> np.ndarray:
    return np.array([(ref.conn, ref.i, ref.j) for ref in refs], np.int64).reshape(-1, 3)


class EditorScene(QGraphicsScene):
    selection_changed = Signal()  # layers, neurons or weights selected or deselected
    color_scale_changed = Signal(float, float, str)  # lo, hi, mode of the edge colours, for a colour bar
    edit_refused = Signal(str)  # an edit was refused: the engine's (or the lock's) reason

    def __init__(self, document: Document, undo_stack: QUndoStack, parent=None):
        super().__init__(parent)
        self.document = document
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)  # BSP re-indexing kills dynamic scenes
        self.setSceneRect(-SCENE_EXTENT / 2, -SCENE_EXTENT / 2, SCENE_EXTENT, SCENE_EXTENT)
        self.undo_stack = undo_stack
        self.edge_layer = EdgeLayer()
        self.addItem(self.edge_layer)
        self.network: Network  # set by set_network below, and again for each new project
        self._events = Follower(self, self._on_event)
        self._items: dict[int, LayerItem] = {}
        self._weights = NO_KEYS  # selected weights: sorted unique (connection id, i, j) rows
        self._highlighted: list[ParamRef] = []
        self._values: dict[int, np.ndarray] | None = None  # None: colour by the weights themselves
        self._mode = "signed"
        self._label: str | None = None  # what the hover read-out calls the colouring values
        self._normalisation = "global"
        self._width_values: dict[int, np.ndarray] | None = None
        self._batch = 0
        self._dirty_layers: set[int] = set()
        self._dirty: set[str] = set()
        self._input_names: tuple[str, ...] = ()  # the loaded data's input columns, for the input layer's neurons
        self._selected_neurons: set[tuple[int, int]] = set()  # as the layers last drew them
        self.selectionChanged.connect(self._repaint_selected_neurons)
        self.selectionChanged.connect(self.selection_changed)
        self.selection_changed.connect(self._publish_selection)
        self.set_network(document.network)
        follow(self, document.events.project_replaced, self._project_replaced)
        follow(self, document.events.selection_changed, self._show_selection)
        follow(self, document.events.data_loaded, self._data_loaded)

    def _project_replaced(self, project: Project) -> None:
        self._input_names = ()
        self.set_network(project.network)

    def _data_loaded(self, data: LoadedData) -> None:
        self._input_names = data.train.feature_names
        for item in self._items.values():
            item.set_names(self._input_names)

    def _show_selection(self, selection: Selection) -> None:
        """A selection the document got from elsewhere (a lesson, a project's opening selection), on the canvas."""
        layers, neurons, weights = self.selection()
        if (set(layers), set(neurons), set(weights)) == (set(selection.layers), set(selection.neurons),
                                                         set(selection.weights)):
            return  # the canvas made it (or already shows it)
        with _blocked(self):
            self.clearSelection()
            for lid in selection.layers:
                self._items[lid].setSelected(True)
            for lid, j in selection.neurons:
                self._items[lid].neurons[j].setSelected(True)
            self._weights = np.unique(_keys(list(selection.weights)), axis=0)
        self._repaint_selected_neurons()
        self._remark()

    def _repaint_selected_neurons(self) -> None:
        """Repaint the layers whose neurons were selected or deselected: a layer draws its neurons' circles. Done
        here, not in each neuron's `itemChange`: Qt calls that for every change of every neuron, and through Python
        it made the 2,084 neurons of a 1M-weight network take 52 ms to create instead of 15."""
        neurons = {(item.layer_id, item.index) for item in self.selectedItems() if isinstance(item, NeuronItem)}
        for lid in {lid for lid, _ in neurons ^ self._selected_neurons}:
            if (item := self._items.get(lid)) is not None:
                item.update()
        self._selected_neurons = neurons

    def _publish_selection(self) -> None:
        """The document owns the selection; the canvas is where it is made."""
        layers, neurons, weights = self.selection()
        self.document.select(Selection(tuple(layers), tuple(neurons), tuple(weights)))

    # ================================================================== projection of the model
    def set_network(self, network: Network) -> None:
        self.clear_selection()
        for item in self._items.values():
            self.removeItem(item)
        self._items.clear()
        self._values, self._width_values, self._highlighted = None, None, []
        self.network = network
        self._events.follow(network.events)
        for lid in network.layers:
            self._add_item(lid)
        self._dirty.add("edges")
        self._flush()

    def layer_item(self, layer_id: int) -> LayerItem:
        return self._items[layer_id]

    def layer_items(self) -> list[LayerItem]:
        return list(self._items.values())

    def _add_item(self, layer_id: int) -> None:
        item = LayerItem(self.network.layer(layer_id))
        item.set_names(self._input_names)
        self._items[layer_id] = item
        self.addItem(item)

    def _on_event(self, event: NetworkEvent) -> None:
        if isinstance(event, LayerAdded):
            self._add_item(event.layer)
        elif isinstance(event, LayerRemoved):
            self.removeItem(self._items.pop(event.layer))
        elif isinstance(event, LayerChanged):
            self._items[event.layer].update()
        elif isinstance(event, LayerMoved):
            self._moved(event.layer)
        elif isinstance(event, LayerResized):
            self._dirty_layers.add(event.layer)
            self._forget_weights_of(event.layer)
        if isinstance(event, (ConnectionAdded, ConnectionRemoved, ConnectionChanged, LayerAdded, LayerRemoved,
                              LayerResized)):
            self._dirty.add("edges")
        elif isinstance(event, ValuesChanged):
            self._dirty.add("colours")
        if not self._batch:
            self._flush()

    def _moved(self, layer_id: int) -> None:
        item = self._items[layer_id]
        old = item.pos()
        item.setPos(*self.network.layer(layer_id).position)
        if "edges" in self._dirty or self.edge_layer.edges_pending:
            return  # they will be built where the layers are now
        d = item.pos() - old
        for c in self.network.connections.values():
            if layer_id in (c.source, c.target):
                self.edge_layer.shift(self.edge_layer.edges.slices[c.id], int(c.target == layer_id), d.x(), d.y())
        self.edge_layer.finish_shift()
        self._route()

    def _route(self) -> None:
        """Arch the skip connections around the layers they pass (any move may change what they pass)."""
        edges = self.edge_layer.edges
        rects = {lid: item.sceneBoundingRect() for lid, item in self._items.items()}
        self.edge_layer.set_routes(route_skips(self.network, edges.lines, edges.slices, rects))

    def _mark_merges(self) -> None:
        for lid, item in self._items.items():
            if (port := item.ports.get("in")) is not None:
                port.set_sources([self.network.layer(c.source).name for c in self.network.incoming(lid)])

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Model events inside only mark what is stale; items and edges are brought up to date once, at the end."""
        self._batch += 1
        try:
            yield
        finally:
            self._batch -= 1
            if not self._batch:
                self._flush()

    def _flush(self) -> None:
        for lid in self._dirty_layers & self._items.keys():
            for neuron in self._items[lid].neurons:  # after a resize an index may name another neuron
                neuron.setSelected(False)
            self._items[lid].sync()
        if "edges" in self._dirty:
            self._mark_merges()
            self.edge_layer.edges_stale(self._build_edges)
            if len(self._weights):
                self.edge_layer.ensure_edges()  # the selection (the document's too) loses removed weights now
            else:
                later(self, self.edge_layer.ensure_edges)
        elif self._dirty:
            self._recolour()
            self._remark()
        self._dirty_layers.clear()
        self._dirty.clear()

    def _build_edges(self) -> None:
        anchors = {lid: item.anchors() for lid, item in self._items.items()}
        self.edge_layer.set_edges(build_edges(self.network, anchors))
        self._route()
        self._recolour()
        self._remark()

    # ================================================================== edits
    def push(self, command: commands.ModelCommand) -> str | None:
        """Apply and record an edit; returns None, or the reason it was refused (also sent as `edit_refused`)."""
        if self.structure_locked and not command.allowed_while_locked:
            reason = self.lock_reason
        else:
            try:
                with self.batch():
                    commands.push(self.undo_stack, command)
                return None
            except BackpropError as exc:
                reason = str(exc)
        self.edit_refused.emit(reason)
        return reason

    def undo(self) -> None:
        self._step(self.undo_stack.undo)

    def redo(self) -> None:
        self._step(self.undo_stack.redo)

    def _step(self, action) -> None:
        if self.structure_locked:
            self.edit_refused.emit(self.lock_reason)
            return
        with self.batch():
            action()

    @property
    def structure_locked(self) -> bool:
        """While training runs (the worker owns the network), or a recorded step is shown in the network's buffers
        (the timeline), every edit but moving layers is refused."""
        return self.document.run_state is RunState.RUNNING or self.document.viewing is not None

    @property
    def lock_reason(self) -> str:
        return LOCK_REASON if self.document.viewing is None else str(self.document.edit_refusal)

    def delete_selection(self) -> str | None:
        command = commands.delete(self.network, *self.selection())
        return self.push(command) if command.steps else None  # nothing selected, or only weights already cut

    def add_from_palette(self, key: str, pos: QPointF) -> str | None:
        """A palette entry dropped at `pos`: a layer there; a neuron into the layer under it, else a new layer."""
        net = self.network
        if key != "neuron":
            return self.push(commands.add_layer(net, key, (pos.x(), pos.y())))
        target = self.layer_at(pos)
        if target is not None:
            return self.push(commands.add_neuron(net, target))
        return self.push(commands.add_layer(net, "hidden", (pos.x(), pos.y()), size=1))

    def arrange(self) -> str | None:
        positions = layered_positions(self.network)
        if all(self.network.layer(lid).position == xy for lid, xy in positions.items()):
            return None  # already arranged: no empty undo step
        return self.push(commands.move(self.network, positions, object(), "Arrange layers"))

    # ================================================================== selection
    def selection(self) -> tuple[list[int], list[tuple[int, int]], list[WeightRef]]:
        """Selected layer ids, (layer id, neuron index) pairs and weight references."""
        items = self.selectedItems()
        layers = [item.layer_id for item in items if isinstance(item, LayerItem)]
        neurons = [(item.layer_id, item.index) for item in items if isinstance(item, NeuronItem)]
        return layers, neurons, self.selected_weight_refs()

    def selected_weight_refs(self) -> list[WeightRef]:
        return [WeightRef(cid, i, j) for cid, i, j in self._weights.tolist()]

    def select_weights(self, refs: list[WeightRef], add: bool = False) -> None:
        self.select_weight_keys(_keys(refs), add)

    def weight_keys(self) -> np.ndarray:
        """The selected weights as (connection id, i, j) rows: the form rubber bands over 100k weights need."""
        return self._weights.copy()

    def select_weight_keys(self, keys: np.ndarray, add: bool = False) -> None:
        keys = keys[self.edge_layer.edges.rows(keys) >= 0]
        new = np.unique(np.concatenate([self._weights, keys]) if add else keys, axis=0)
        if not np.array_equal(new, self._weights):
            self._weights = new
            self._remark()
            self.selection_changed.emit()

    def toggle_weight(self, ref: WeightRef) -> None:
        key = _keys([ref])
        chosen = (self._weights == key).all(axis=1)
        if chosen.any():
            self.select_weight_keys(self._weights[~chosen])
        else:
            self.select_weight_keys(key, add=True)

    def weights_in(self, rect: QRectF) -> np.ndarray:
        """Keys of the weights with both ends inside `rect`."""
        edges = self.edge_layer.edges
        return edges.keys(np.flatnonzero(inside(edges.lines, (rect.left(), rect.top(), rect.right(), rect.bottom()))))

    def clear_selection(self) -> None:
        """Deselect items and weights, with one `selection_changed`."""
        with _blocked(self):
            self.clearSelection()
            self._weights = NO_KEYS
        self._repaint_selected_neurons()
        self._remark()
        self.selection_changed.emit()

    def _forget_weights_of(self, layer_id: int) -> None:
        """Indices of a resized layer's weights no longer name the same weights."""
        touched = [c.id for c in self.network.connections.values() if layer_id in (c.source, c.target)]
        self._weights = self._weights[~np.isin(self._weights[:, 0], touched)]

    def _remark(self) -> None:
        """Re-find selected and highlighted weights after the edges were rebuilt; drop those that are gone."""
        biases = {(ref.layer, ref.j) for ref in self._highlighted if isinstance(ref, BiasRef)}
        for item in self._items.values():
            for neuron in item.neurons:
                neuron.set_highlighted((neuron.layer_id, neuron.index) in biases)
        if self.edge_layer.edges_pending and not len(self._weights):
            return  # the edges are marked when they are built (`_build_edges`), no selected weight can be gone
        edges = self.edge_layer.edges
        rows = edges.rows(self._weights)
        gone = bool((rows < 0).any())
        self._weights = self._weights[rows >= 0]
        self.edge_layer.set_marked("selected", rows[rows >= 0])
        rows = edges.rows(_keys([ref for ref in self._highlighted if isinstance(ref, WeightRef)]))
        self.edge_layer.set_marked("highlighted", rows[rows >= 0])
        if gone:
            self.selection_changed.emit()

    # ================================================================== edge colours (training views call these)
    def set_edge_values(self, per_connection: dict[int, np.ndarray], mode: str = "magnitude",
                        label: str | None = None) -> None:
        """Colour edges by per-connection (n_src, n_dst) arrays (e.g. |dL/dW| or W): "magnitude" by log10|v|,
        "signed" by sign and size. Connections missing from the dict, or with a stale shape, take the lowest bin.
        With a `label` (e.g. "dL/dw"), hovering an edge also reads out its value under that name."""
        colour_units(np.zeros(0), np.zeros(0, bool), {}, mode, self._normalisation)  # validates `mode`
        self._values, self._mode, self._label = dict(per_connection), mode, label
        self._recolour()

    def set_normalisation(self, normalisation: str) -> None:
        if normalisation not in NORMALISATIONS:
            raise ValueError(f"unknown normalisation {normalisation!r}; choose one of {', '.join(NORMALISATIONS)}")
        self._normalisation = normalisation
        self._recolour()

    def set_width_by(self, values: dict[int, np.ndarray] | None) -> None:
        """Edge width by |value| (per-connection arrays, e.g. the weights), or one width for all (None)."""
        self._width_values = None if values is None else dict(values)
        self._recolour()

    def edge_bins(self) -> np.ndarray:
        """Colour bin of every edge (-1 for a cut weight), rows as `edge_row` numbers them."""
        return self.edge_layer.bins.copy()

    def edge_row(self, ref: WeightRef) -> int | None:
        return self.edge_layer.edges.index(ref.conn, ref.i, ref.j)

    def highlight_weights(self, refs: list[ParamRef]) -> None:
        """Draw these weights (and the neurons of bias refs) on top in the highlight colour."""
        self._highlighted = list(refs)
        self._remark()

    def clear_highlight(self) -> None:
        self.highlight_weights([])

    def _recolour(self) -> None:
        self.edge_layer.colours_stale(self._colour_edges)  # worked out at the next paint, or in a turn of their own
        later(self, self.edge_layer.ensure_colours)  # at the latest (the colour bar follows)

    def _colour_edges(self) -> None:
        edges = self.edge_layer.edges
        weights = {cid: c.weight.value for cid, c in self.network.connections.items()}
        values, known = edges.gather(weights if self._values is None else self._values)
        shown = known & ~edges.cut
        unit, lo, hi = colour_units(values, shown, edges.slices, self._mode, self._normalisation)
        bins = np.where(edges.cut, -1, to_bins(unit))
        widths = None
        if self._width_values is not None:
            width_values, width_known = edges.gather(self._width_values)
            widths = width_levels(width_values, width_known & ~edges.cut)
        self.edge_layer.set_bins(bins, widths, self._mode)
        self.color_scale_changed.emit(lo, hi, self._mode)

    # ================================================================== what is where
    def item_at(self, pos: QPointF, *types: type[Item]) -> Item | None:
        return next((item for item in self.items(pos) if isinstance(item, types)), None)

    def layer_at(self, pos: QPointF) -> int | None:
        """The layer under a point (its header, column, neurons or ports)."""
        item = self.item_at(pos, LayerItem, NeuronItem, PortItem)
        return item.layer_id if isinstance(item, (LayerItem, NeuronItem, PortItem)) else None

    def weight_at(self, pos: QPointF, tolerance: float) -> WeightRef | None:
        if len(self.edge_layer.edges) == 0:
            return None
        dist = self.edge_layer.edges.distances(pos.x(), pos.y())
        row = int(np.argmin(dist))
        return self.edge_layer.edges.ref(row) if dist[row] <= tolerance else None

    def tooltip_at(self, pos: QPointF, tolerance: float) -> str | None:
        """What hovering shows: a weight's value, a neuron's bias, a layer's summary or what a port is for."""
        net = self.network
        item = self.item_at(pos, NeuronItem, PortItem, LayerItem)
        if isinstance(item, NeuronItem):
            layer = net.layer(item.layer_id)
            if layer.bias is None:
                return f"{layer.name}[{item.index}]: input {item.index + 1} of {layer.size}"
            bias = layer.bias.value[item.index]
            frozen = " (frozen)" if layer.bias.frozen[item.index] else ""
            return f"{layer.name}[{item.index}]\nbias b = {bias:.6g}{frozen}\nDrag to another neuron to draw a weight"
        if isinstance(item, PortItem):
            return ("Output port: drag onto another layer's input port to connect the two layers densely"
                    if item.side == "out" else "Input port: drop a connection from another layer's output port here")
        if isinstance(item, LayerItem):
            return f"{item.layer.name}: {item.layer.kind} layer, {item.summary()}"
        ref = self.weight_at(pos, tolerance)
        if ref is None:
            return None
        cid, i, j = ref.conn, ref.i, ref.j
        weight = net.connection(cid).weight
        state = " (cut)" if not weight.mask[i, j] else " (frozen)" if weight.frozen[i, j] else ""
        text = f"{net.weight_name(cid, i, j)}\nw = {weight.value[i, j]:.6g}{state}"
        values = self._values.get(cid) if self._values is not None and self._label else None
        if values is not None and np.shape(values) == weight.shape:
            text += f"\n{self._label} = {values[i, j]:.6g}"
        return text


@contextmanager
def _blocked(scene: EditorScene) -> Iterator[None]:
    was = scene.blockSignals(True)
    try:
        yield
    finally:
        scene.blockSignals(was)
