"""The canvas as a projection of the model, and the edge layer's public API (colours, widths, highlights, lock)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter, QUndoStack

from engine import BiasRef, Network, TrainSettings, WeightRef, layered
from engine.project import DataSpec, Project
from engine.studio import Document, RunState
from gui import commands
from gui.colors import N_BINS
from gui.editor import EditorScene
from gui.editor.edge_layer import LOD_KEEP


def scene_of(net: Network) -> EditorScene:
    """A canvas on a document of `net` alone (nothing here loads the data or trains)."""
    return EditorScene(Document(Project(net, TrainSettings(), DataSpec("generator", "circles"))), QUndoStack())


@pytest.fixture
def scene(qtbot, small_net) -> EditorScene:
    return scene_of(small_net)


def anchors_of(scene: EditorScene, layer_id: int, side: str) -> np.ndarray:
    """Independently of the edge layer: where the neuron circles are, and their left/right edges."""
    points = []
    for neuron in scene.layer_item(layer_id).neurons:
        p = neuron.scenePos()
        points.append((p.x() + (neuron.radius if side == "out" else -neuron.radius), p.y()))
    return np.array(points)


def expected_lines(scene: EditorScene, net: Network) -> dict[tuple[int, int, int], np.ndarray]:
    out = {}
    for c in net.connections.values():
        src, dst = anchors_of(scene, c.source, "out"), anchors_of(scene, c.target, "in")
        for i, j in np.argwhere(c.weight.mask | c.dense):
            out[(c.id, int(i), int(j))] = np.concatenate([src[i], dst[j]])
    return out


def drawn_lines(scene: EditorScene) -> dict[tuple[int, int, int], np.ndarray]:
    e = scene.edge_layer.edges
    return {(int(c), int(i), int(j)): e.lines[k] for k, (c, i, j) in enumerate(zip(e.conn, e.i, e.j, strict=True))}


def assert_projection(scene: EditorScene, net: Network) -> None:
    assert {item.layer_id for item in scene.layer_items()} == set(net.layers)
    for item in scene.layer_items():
        assert len(item.neurons) == net.layer(item.layer_id).size
        assert (item.pos().x(), item.pos().y()) == net.layer(item.layer_id).position
    want, got = expected_lines(scene, net), drawn_lines(scene)
    assert want.keys() == got.keys()
    for key, line in want.items():
        np.testing.assert_allclose(got[key], line)


def test_the_scene_draws_every_layer_neuron_and_weight_where_the_model_puts_them(scene, small_net):
    assert_projection(scene, small_net)
    assert len(scene.edge_layer.edges) == 2 * 3 + 3 * 1


def test_edits_made_on_the_model_directly_show_up_on_the_canvas(scene, small_net):
    net = small_net
    h, o = net.layer_by_name("h1"), net.output_layer
    extra = net.add_layer(2, "hidden", position=(240.0, 300.0))
    net.connect(net.input_layer.id, extra.id)
    net.add_weight(extra.id, 1, o.id, 0)  # a sparse connection with one drawn weight
    net.resize_layer(h.id, 5)
    net.move_layer(o.id, (600.0, -40.0))
    assert_projection(scene, net)
    net.remove_layer(h.id)
    assert_projection(scene, net)
    assert scene.edge_layer.edges.slices.keys() == net.connections.keys()


def test_moving_a_layer_updates_only_the_rows_of_its_connections(scene, small_net):
    net = small_net
    before = scene.edge_layer.edges.lines.copy()
    out = net.output_layer
    net.move_layer(out.id, (out.position[0] + 30, out.position[1] - 50))
    after = scene.edge_layer.edges.lines
    moved = scene.edge_layer.edges.conn == net.incoming(out.id)[0].id
    np.testing.assert_array_equal(after[~moved], before[~moved])
    np.testing.assert_allclose(after[moved, 2:] - before[moved, 2:], np.tile([30.0, -50.0], (moved.sum(), 1)))
    np.testing.assert_array_equal(after[moved, :2], before[moved, :2])
    assert_projection(scene, net)


def test_magnitude_colours_follow_log10_of_the_values(qtbot, scene, small_net):
    c1, c2 = small_net.connections.values()
    g1 = np.array([[1e-6, 1e-3, 1.0], [0.0, 1e-2, 1e-1]])
    g2 = np.array([[1e-4], [1e-5], [1e-6]])
    with qtbot.waitSignal(scene.color_scale_changed) as signal:
        scene.set_edge_values({c1.id: g1, c2.id: g2}, mode="magnitude")
    lo, hi, mode = signal.args
    assert (mode, lo, hi) == ("magnitude", pytest.approx(1e-6), pytest.approx(1.0))
    bins = scene.edge_bins()
    for c, g in ((c1, g1), (c2, g2)):
        for (i, j), v in np.ndenumerate(g):
            row = scene.edge_row(WeightRef(c.id, i, j))
            # log10 from 1e-6 (bin 0) to 1 (top bin); an exact zero goes to the bottom
            want = 0 if v == 0 else min(int((np.log10(v) + 6) / 6 * N_BINS), N_BINS - 1)
            assert bins[row] == want, (c.id, i, j)


def test_per_connection_normalisation_stretches_each_connection_over_the_whole_map(scene, small_net):
    c1, c2 = small_net.connections.values()
    g1, g2 = np.full((2, 3), 1e-8), np.full((3, 1), 1.0)
    g1[0, 0], g2[0, 0] = 1e-6, 100.0
    scene.set_edge_values({c1.id: g1, c2.id: g2}, mode="magnitude")
    row = lambda c, i, j: scene.edge_row(WeightRef(c.id, i, j))  # noqa: E731
    bins = scene.edge_bins()
    # one scale over 10 decades (1e-8 .. 100): c1's strongest, 1e-6, is low on it
    assert bins[row(c1, 0, 0)] == int(2 / 10 * N_BINS) and bins[row(c1, 1, 1)] == 0
    assert bins[row(c2, 0, 0)] == N_BINS - 1 and bins[row(c2, 1, 0)] == int(8 / 10 * N_BINS)
    scene.set_normalisation("connection")
    bins = scene.edge_bins()
    assert bins[row(c1, 0, 0)] == N_BINS - 1 and bins[row(c1, 1, 1)] == 0  # the strongest of its own connection
    assert bins[row(c2, 0, 0)] == N_BINS - 1 and bins[row(c2, 1, 0)] == 0
    with pytest.raises(ValueError, match="normalisation"):
        scene.set_normalisation("per-layer")


def test_signed_colours_put_zero_in_the_middle_and_the_sign_on_either_side(scene, small_net):
    c1 = next(iter(small_net.connections.values()))
    w = np.array([[-2.0, 0.0, 2.0], [-1.0, 1.0, 0.5]])
    scene.set_edge_values({c1.id: w}, mode="signed")
    bins = scene.edge_bins()
    row = {(i, j): scene.edge_row(WeightRef(c1.id, i, j)) for i in range(2) for j in range(3)}
    assert bins[row[0, 0]] == 0 and bins[row[0, 2]] == N_BINS - 1
    assert bins[row[0, 1]] == N_BINS // 2
    assert bins[row[1, 0]] == int(0.25 * N_BINS) and bins[row[1, 1]] == int(0.75 * N_BINS)
    with pytest.raises(ValueError, match="colouring"):
        scene.set_edge_values({c1.id: w}, mode="rainbow")


def test_by_default_edges_show_the_weights_and_follow_value_edits(scene, small_net):
    c = next(iter(small_net.connections.values()))
    small_net.set_value(WeightRef(c.id, 0, 0), 50.0)  # far above every other weight: the top bin
    assert scene.edge_bins()[scene.edge_row(WeightRef(c.id, 0, 0))] == N_BINS - 1
    small_net.set_value(WeightRef(c.id, 0, 0), -50.0)
    assert scene.edge_bins()[scene.edge_row(WeightRef(c.id, 0, 0))] == 0


def test_a_cut_weight_stays_drawn_as_cut_and_can_be_selected(scene, small_net):
    c = next(iter(small_net.connections.values()))
    ref = WeightRef(c.id, 1, 2)
    small_net.set_present(c.id, 1, 2, False)
    assert scene.edge_bins()[scene.edge_row(ref)] == -1
    scene.select_weights([ref])
    assert scene.selected_weight_refs() == [ref]


def test_changes_in_one_turn_colour_the_edges_once_with_the_last_values(qtbot, scene, small_net):
    """Opening a network colours it by the weights and then, in the same turn, by the first snapshot: only the
    last is worked out (48 ms each on 860k edges), at the next paint or turn, or when the colours are read."""
    c1, c2 = small_net.connections.values()
    scales: list[tuple] = []
    scene.color_scale_changed.connect(lambda *args: scales.append(args))
    qtbot.wait(10)
    scales.clear()
    scene.set_edge_values({c1.id: np.full((2, 3), 0.5), c2.id: np.full((3, 1), 0.5)}, mode="signed")
    scene.set_edge_values({c1.id: np.full((2, 3), 1e-3), c2.id: np.full((3, 1), 1e-1)}, mode="magnitude")
    assert scales == []
    qtbot.waitUntil(lambda: len(scales) == 1)
    qtbot.wait(10)
    assert scales == [(pytest.approx(1e-3), pytest.approx(1e-1), "magnitude")]
    scene.set_edge_values({c1.id: np.full((2, 3), 0.25), c2.id: np.full((3, 1), -0.25)}, mode="signed")
    assert scene.edge_layer.mode == "signed" and scene.edge_bins()[scene.edge_row(WeightRef(c2.id, 0, 0))] == 0
    assert len(scales) == 2  # read at once: worked out at once, and not again in the next turn
    qtbot.wait(10)
    assert len(scales) == 2


def test_a_new_structure_is_drawn_from_the_next_turn_and_read_at_once(qtbot, scene, small_net, monkeypatch):
    """The turn that opens a 1M-weight network already builds the document's state and 2,084 neurons; its 860k
    edges (47 ms) are built in the next turn, and a paint in between draws none rather than building them."""
    import gui.editor.scene as scene_module

    built: list[int] = []
    build = scene_module.build_edges
    monkeypatch.setattr(scene_module, "build_edges", lambda net, anchors: built.append(1) or build(net, anchors))
    net = layered((3, 4, 2))
    scene.set_network(net)
    assert built == [] and scene.edge_layer.edges_pending
    image = QImage(200, 200, QImage.Format.Format_ARGB32_Premultiplied)
    painter = QPainter(image)
    scene.render(painter, QRectF(image.rect()), scene.itemsBoundingRect())
    painter.end()
    assert built == [] and scene.edge_layer.drawn == 0
    qtbot.waitUntil(lambda: not scene.edge_layer.edges_pending)
    assert built == [1] and len(scene.edge_layer.edges) == net.n_weights == 3 * 4 + 4 * 2
    assert_projection(scene, net)
    extra = net.add_layer(3, "hidden", position=(500.0, 300.0))
    net.connect(net.input_layer.id, extra.id)
    assert len(scene.edge_layer.edges) == net.n_weights  # read in the turn of the change: built then
    assert built == [1, 1]
    qtbot.wait(10)
    assert built == [1, 1]


def test_new_edges_wait_for_their_first_colours_in_a_turn_of_their_own_even_in_the_old_ones_number(qtbot, scene):
    """A paint between building new edges and colouring them draws none rather than colouring them inside the
    paint (its 70-105 ms on 860k edges made one stall with the building); opening a network of the same size
    must not pass for one whose colours are merely stale."""
    colourings: list[tuple] = []
    scene.color_scale_changed.connect(lambda *args: colourings.append(args))
    for _ in range(2):  # a first network, then another of the same shape
        scene.set_network(layered((3, 4, 2)))
        scene.edge_layer.ensure_edges()  # the building turn
        colourings.clear()
        image = QImage(200, 200, QImage.Format.Format_ARGB32_Premultiplied)
        painter = QPainter(image)
        scene.render(painter, QRectF(image.rect()), scene.itemsBoundingRect())
        painter.end()
        assert colourings == [] and scene.edge_layer.drawn == 0
        qtbot.waitUntil(lambda: len(colourings) == 1)
        render(scene, scene.itemsBoundingRect())
        assert scene.edge_layer.drawn == 3 * 4 + 4 * 2


def test_width_by_values_gives_the_largest_values_the_widest_lines(scene, small_net):
    c1, _ = small_net.connections.values()
    scene.set_width_by({c1.id: np.array([[0.01, 0.5, 1.0], [0.0, 0.3, 0.9]])})
    widths = scene.edge_layer.widths
    row = lambda i, j: scene.edge_row(WeightRef(c1.id, i, j))  # noqa: E731
    assert widths[row(0, 2)] == 3 and widths[row(0, 0)] == 0 and widths[row(0, 1)] == 2
    scene.set_width_by(None)
    assert scene.edge_layer.widths is None


def test_highlighted_weights_and_biases_are_marked_until_cleared(scene, small_net):
    _, c2 = small_net.connections.values()
    h = small_net.layer_by_name("h1")
    scene.highlight_weights([WeightRef(c2.id, 1, 0), BiasRef(h.id, 2)])
    assert list(scene.edge_layer.marked("highlighted")) == [scene.edge_row(WeightRef(c2.id, 1, 0))]
    assert [n.highlighted for n in scene.layer_item(h.id).neurons] == [False, False, True]
    scene.clear_highlight()
    assert len(scene.edge_layer.marked("highlighted")) == 0
    assert not any(n.highlighted for n in scene.layer_item(h.id).neurons)


def test_selecting_weights_reports_their_refs_and_signals(qtbot, scene, small_net):
    c1, c2 = small_net.connections.values()
    refs = [WeightRef(c1.id, 0, 1), WeightRef(c2.id, 2, 0)]
    with qtbot.waitSignal(scene.selection_changed):
        scene.select_weights(refs)
    assert scene.selected_weight_refs() == refs
    assert scene.selection() == ([], [], refs)
    small_net.remove_connection(c2.id)  # a selected weight that disappears leaves the selection
    assert scene.selected_weight_refs() == refs[:1]


def test_the_structure_lock_refuses_edits_with_its_reason_but_allows_moves(qtbot, scene, small_net, fingerprint):
    net = small_net
    scene.document.set_run_state(RunState.RUNNING)
    before = fingerprint(net)
    with qtbot.waitSignal(scene.edit_refused) as refused:
        reason = scene.push(commands.add_layer(net, "hidden", (10.0, 10.0)))
    assert reason == refused.args[0] == "Pause training to edit the network"
    assert scene.push(commands.set_value(net, WeightRef(1 + len(net.layers), 0, 0), 1.0)) is not None
    assert fingerprint(net) == before and scene.undo_stack.count() == 0
    out = net.output_layer.id
    assert scene.push(commands.move(net, {out: (0.0, 99.0)}, object())) is None
    assert net.layer(out).position == (0.0, 99.0)
    scene.undo()  # undo is an edit too
    assert net.layer(out).position == (0.0, 99.0)
    scene.document.set_run_state(RunState.PAUSED)
    scene.undo()
    assert fingerprint(net) == before


def test_weights_and_tooltips_are_found_under_the_cursor(scene, small_net):
    c1 = next(iter(small_net.connections.values()))
    ref = WeightRef(c1.id, 1, 2)
    line = scene.edge_layer.edges.lines[scene.edge_row(ref)]
    middle = QRectF(line[0], line[1], line[2] - line[0], line[3] - line[1]).center()
    assert scene.weight_at(middle, 2.0) == ref
    value = small_net.connection(c1.id).weight.value[1, 2]
    assert scene.tooltip_at(middle, 2.0) == f"in[1] → h1[2]\nw = {value:.6g}"
    h = small_net.layer_by_name("h1")
    neuron = scene.layer_item(h.id).neurons[1].scenePos()
    small_net.set_value(BiasRef(h.id, 1), 0.25)
    assert scene.tooltip_at(neuron, 2.0).startswith("h1[1]\nbias b = 0.25")


def render(scene: EditorScene, source: QRectF, size=(800, 600)) -> QImage:
    image = QImage(*size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0xFFFFFFFF)
    scene.edge_layer.ensure_colours()  # what a window's canvas does in the turns after a change: build, colour
    painter = QPainter(image)
    try:
        scene.render(painter, QRectF(image.rect()), source)
    finally:  # an item's paint that raises must fail the test, not leave the image painted on (a crash)
        painter.end()
    return image


def test_a_mnist_sized_net_draws_its_strongest_edges_when_zoomed_out_and_all_when_zoomed_in(qtbot):
    net = layered((784, 128, 10), spacing=600.0)
    scene = scene_of(net)
    assert len(scene.edge_layer.edges) == net.n_weights == 101_632
    render(scene, scene.itemsBoundingRect())
    assert scene.edge_layer.lod_active
    assert scene.edge_layer.drawn == LOD_KEEP
    render(scene, QRectF(1100, -250, 150, 500))  # zoomed in on the output layer: all its 1,280 edges
    assert not scene.edge_layer.lod_active
    assert scene.edge_layer.drawn == 128 * 10


def test_a_zoomed_out_view_draws_each_connections_band_where_its_edges_are_after_a_layer_moves(qtbot):
    """The bands behind the strongest edges are kept between paints: after a move the picture must be the one a
    fresh canvas of the moved network draws."""
    net = layered((784, 128, 10), spacing=600.0)
    scene = scene_of(net)
    out = net.output_layer
    x, y = out.position
    view = QRectF(-200, -3000, 1600, 6000)
    before = render(scene, view)
    assert scene.edge_layer.lod_active
    net.move_layer(out.id, (x, y + 2000))
    after = render(scene, view)
    assert after != before
    assert after == render(scene_of(net), view)

def test_a_zoomed_in_view_draws_the_edges_that_cross_it_after_a_layer_moves_and_none_when_none_do(qtbot):
    """The layer keeps which edges cross the visible rect between paints; moving a layer must renew it. A view
    that no edge crosses once raised inside `paint` (NumPy's IndexError: a crash during a training turn)."""
    net = layered((784, 128, 10), spacing=600.0)
    scene = scene_of(net)
    window = QRectF(1100, -250, 150, 500)
    render(scene, window)
    assert scene.edge_layer.drawn == 128 * 10
    out = net.output_layer
    x, y = out.position
    net.move_layer(out.id, (x, y + 5000))  # far below: its edges pass under the window
    image = render(scene, window)
    assert scene.edge_layer.drawn == 0
    assert all(image.pixelColor(px, py).name() == "#ffffff" for px in range(0, 800, 40) for py in range(0, 600, 40))
    net.move_layer(out.id, (x, y))
    render(scene, window)
    assert scene.edge_layer.drawn == 128 * 10
