"""The canvas driven like a user: palette drops, port and neuron drags, clicks, rubber band, keys, undo."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from engine import BiasRef, CycleError, WeightRef
from engine.studio import Selection


def test_the_app_opens_on_a_ready_network(window, canvas):
    net = window.network
    assert [(lay.kind, lay.size) for lay in net.layers.values()] == [
        ("input", 2), ("hidden", 8), ("hidden", 8), ("output", 1)]
    assert len(canvas.scene.layer_items()) == 4
    assert len(canvas.scene.edge_layer.edges) == net.n_weights == 2 * 8 + 8 * 8 + 8
    visible = canvas.view.mapToScene(canvas.view.viewport().rect()).boundingRect()
    whole = canvas.scene.itemsBoundingRect()
    assert visible.contains(whole) and whole.width() > 0.6 * visible.width()  # fitted once the window had a size


def test_dropping_palette_entries_creates_layers_and_neurons_where_they_land(window, canvas):
    net, scene = window.network, canvas.scene
    n_layers = len(net.layers)
    assert canvas.drop("hidden", QPointF(300.0, 400.0))
    new = max(net.layers.values(), key=lambda lay: lay.id)
    assert (new.kind, new.size, new.activation) == ("hidden", 4, "tanh")
    assert new.position == canvas.snapped(QPointF(300.0, 400.0))
    assert scene.layer_item(new.id).pos() == QPointF(*new.position)
    # a neuron onto that layer grows it, onto empty canvas starts a one-neuron layer
    assert canvas.drop("neuron", canvas.neuron(new.id, 2))
    assert new.size == 5 and len(scene.layer_item(new.id).neurons) == 5
    assert canvas.drop("neuron", QPointF(900.0, -500.0))
    lone = max(net.layers.values(), key=lambda lay: lay.id)
    assert (lone.kind, lone.size, lone.position) == ("hidden", 1, canvas.snapped(QPointF(900.0, -500.0)))
    assert len(net.layers) == n_layers + 2
    assert window.undo_stack.count() == 3
    assert window.undo_stack.undoText() == "Add hidden layer"


def test_a_second_input_layer_is_refused_with_the_engines_message_at_the_cursor(window, canvas, fingerprint):
    before = fingerprint(window.network)
    canvas.drop("input", QPointF(-300.0, 300.0))
    assert fingerprint(window.network) == before
    assert canvas.view.message.isVisible()
    assert "already has an input layer" in canvas.view.message.text()
    assert window.undo_stack.count() == 0


def test_dragging_from_an_output_port_to_an_input_port_connects_the_layers_densely(window, canvas):
    net = window.network
    canvas.drop("hidden", QPointF(220.0, 400.0))
    new = max(net.layers.values(), key=lambda lay: lay.id)
    source = canvas.layer("in")
    canvas.drag(canvas.port(source, "out"), canvas.port(new.id, "in"))
    c = net.find_connection(source, new.id)
    assert c is not None and c.dense and c.weight.mask.all() and c.weight.shape == (2, 4)
    assert canvas.scene.edge_layer.edges.slices[c.id].stop - canvas.scene.edge_layer.edges.slices[c.id].start == 8
    assert window.undo_stack.undoText() == f"Connect in → {new.name}"


@pytest.mark.parametrize(("source", "target", "message"), [
    ("h2", "h1", "would make a cycle"),
    ("h1", "h1", "cannot be connected to itself"),
])
def test_a_connection_that_would_make_a_cycle_is_refused(window, canvas, fingerprint, source, target, message):
    net = window.network
    before = fingerprint(net)
    a, b = canvas.layer(source), canvas.layer(target)
    with pytest.raises(CycleError, match=message):  # what the engine says, independently of the GUI
        net._check_link(a, b)
    canvas.drag(canvas.port(a, "out"), canvas.header(b))
    assert fingerprint(net) == before and window.undo_stack.count() == 0
    assert canvas.view.message.isVisible() and message in canvas.view.message.text()


def test_dragging_from_neuron_to_neuron_draws_one_weight(window, canvas):
    net = window.network
    src, dst = canvas.layer("in"), canvas.layer("h2")  # a skip: no connection yet
    canvas.drag(canvas.neuron(src, 1), canvas.neuron(dst, 5))
    c = net.find_connection(src, dst)
    assert c is not None and not c.dense
    assert np.argwhere(c.weight.mask).tolist() == [[1, 5]]
    assert c.weight.value[1, 5] != 0
    assert canvas.scene.edge_row(WeightRef(c.id, 1, 5)) is not None
    assert len(canvas.scene.edge_layer.edges) == net.n_weights
    canvas.drag(canvas.neuron(src, 0), canvas.neuron(dst, 5))  # a second one joins the same connection
    assert np.argwhere(c.weight.mask).tolist() == [[0, 5], [1, 5]]
    canvas.drag(canvas.neuron(dst, 0), canvas.neuron(canvas.layer("h1"), 0))  # backwards: a cycle
    assert "would make a cycle" in canvas.view.message.text()
    assert window.undo_stack.count() == 2


def test_clicks_select_layers_neurons_and_weights_and_delete_removes_them(window, canvas, fingerprint):
    net, scene = window.network, canvas.scene
    original = fingerprint(net)
    h1, h2 = canvas.layer("h1"), canvas.layer("h2")
    c = net.find_connection(h1, h2)
    canvas.click(canvas.header(h1))
    assert scene.selection() == ([h1], [], [])
    canvas.click(canvas.neuron(h2, 3), Qt.KeyboardModifier.ControlModifier)
    ref = WeightRef(net.find_connection(canvas.layer("in"), h1).id, 0, 4)
    canvas.click(canvas.weight(ref), Qt.KeyboardModifier.ControlModifier)
    assert scene.selection() == ([h1], [(h2, 3)], [ref])
    assert window.inspector.summary.text().startswith("<b>1 layer, 1 neuron, 1 weight selected.")
    canvas.key(Qt.Key.Key_Delete)
    assert h1 not in net.layers and net.layer(h2).size == 7 and c.id not in net.connections
    assert scene.selection() == ([], [], [])
    assert window.undo_stack.undoText() == "Delete 1 layer, 1 neuron"
    canvas.key(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert fingerprint(net) == original


def test_deleting_some_weights_cuts_them_and_all_of_a_connection_removes_it(window, canvas, fingerprint):
    net, scene = window.network, canvas.scene
    original = fingerprint(net)
    h2, out = canvas.layer("h2"), canvas.layer("out")
    c = net.find_connection(h2, out)
    scene.select_weights([WeightRef(c.id, k, 0) for k in (1, 4)])
    canvas.key(Qt.Key.Key_Delete)
    assert not c.weight.mask[[1, 4], 0].any() and c.weight.mask.sum() == 6 and (c.weight.value[[1, 4], 0] == 0).all()
    assert scene.edge_bins()[scene.edge_row(WeightRef(c.id, 1, 0))] == -1  # still drawn, as cut
    scene.select_weights([WeightRef(c.id, k, 0) for k in range(8)])
    canvas.key(Qt.Key.Key_Delete)
    assert c.id not in net.connections
    window.scene.undo()
    window.scene.undo()
    assert fingerprint(net) == original


def test_a_rubber_band_selects_what_it_encloses(window, canvas):
    scene = canvas.scene
    out = canvas.layer("out")
    item = scene.layer_item(out)
    box = item.sceneBoundingRect().adjusted(-30, -30, 30, 30)
    canvas.drag(box.topLeft(), box.bottomRight())
    layers, neurons, weights = scene.selection()
    assert layers == [out] and neurons == [(out, 0)]
    assert weights == []  # the edges into `out` start outside the band
    h2 = canvas.layer("h2")
    both = scene.layer_item(h2).sceneBoundingRect().united(box).adjusted(-10, -10, 10, 10)
    canvas.drag(both.topLeft(), both.bottomRight())
    c = window.network.find_connection(h2, out)
    assert sorted(scene.selection()[2]) == [WeightRef(c.id, i, 0) for i in range(8)]


def test_dragging_a_layer_moves_it_in_one_undoable_step(window, canvas):
    net, stack = window.network, window.undo_stack
    h1, h2 = canvas.layer("h1"), canvas.layer("h2")
    start = {lid: net.layer(lid).position for lid in (h1, h2)}
    canvas.click(canvas.header(h1))
    canvas.click(canvas.header(h2), Qt.KeyboardModifier.ControlModifier)
    lines_before = canvas.scene.edge_layer.edges.lines.copy()
    canvas.drag(canvas.header(h2), canvas.header(h2) + QPointF(40.0, 90.0), steps=8)
    for lid in (h1, h2):
        x, y = net.layer(lid).position
        assert (x - start[lid][0], y - start[lid][1]) == pytest.approx((40.0, 90.0), abs=1.0)
        assert canvas.scene.layer_item(lid).pos() == QPointF(x, y)
    assert stack.count() == 1 and stack.undoText() == "Move 2 layers"
    window.scene.undo()
    assert {lid: net.layer(lid).position for lid in (h1, h2)} == start
    np.testing.assert_allclose(canvas.scene.edge_layer.edges.lines, lines_before)
    # there and back in one drag: nothing to undo
    viewport, a = canvas.view.viewport(), canvas.to_view(canvas.header(h1))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    for step in (QPoint(30, 0), QPoint(60, 20), QPoint(0, 0)):
        QTest.mouseMove(viewport, a + step)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, a)
    assert {lid: net.layer(lid).position for lid in (h1, h2)} == start
    assert not stack.canUndo()  # the drag left no step (and, as any new edit, dropped the undone one)


def test_keys_and_wheel_zoom_fit_and_arrange(window, canvas):
    view, net = canvas.view, window.network
    scale = view.current_scale()
    canvas.key(Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.current_scale() == pytest.approx(scale * 1.25)
    canvas.key(Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    canvas.key(Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.current_scale() == pytest.approx(scale / 1.25)
    QTest.qWait(0)
    view.wheelEvent(_Wheel(120))
    assert view.current_scale() == pytest.approx(scale / 1.25 * 1.0015**120)
    net.move_layer(canvas.layer("h1"), (5000.0, 5000.0))  # far away: fit must zoom out to show it
    canvas.key(Qt.Key.Key_F)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in canvas.scene.layer_items():
        assert visible.contains(item.sceneBoundingRect())
    # a skip connection in → out: arrange still puts layers by their longest path from the input
    canvas.drag(canvas.neuron(canvas.layer("in"), 0), canvas.neuron(canvas.layer("out"), 0))
    canvas.key(Qt.Key.Key_L)
    xs = {lay.name: lay.position[0] for lay in net.layers.values()}
    assert xs["in"] < xs["h1"] < xs["h2"] < xs["out"]
    assert window.undo_stack.undoText() == "Arrange layers"
    count = window.undo_stack.count()
    canvas.key(Qt.Key.Key_L)  # already arranged: no empty step
    assert window.undo_stack.count() == count


def test_middle_drag_and_space_drag_pan_the_view(window, canvas):
    view = canvas.view
    center = lambda: view.mapToScene(view.viewport().rect().center())  # noqa: E731
    before = center()
    a, b = QPointF(100, 100), QPointF(200, 150)
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, view.mapFromScene(a))
    QTest.mouseMove(viewport, view.mapFromScene(b))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, view.mapFromScene(b))
    moved = center() - before
    scale = view.current_scale()
    assert (moved.x(), moved.y()) == pytest.approx((-100.0, -50.0), abs=2 / scale)
    QTest.keyPress(viewport, Qt.Key.Key_Space)
    start = center()
    canvas.drag(QPointF(start.x() + 300, start.y() + 300), QPointF(start.x() + 250, start.y() + 300))
    QTest.keyRelease(viewport, Qt.Key.Key_Space)
    assert center().x() - start.x() == pytest.approx(50.0, abs=2 / scale)
    assert window.undo_stack.count() == 0


def test_hovering_shows_a_weights_value_and_a_neurons_bias(window, canvas):
    net = window.network
    h1, out = canvas.layer("h1"), canvas.layer("out")
    c = net.find_connection(canvas.layer("h2"), out)
    ref = WeightRef(c.id, 3, 0)
    assert canvas.hover(canvas.weight(ref)) == (f"h2[3] → out[0]\nw = {c.weight.value[3, 0]:.6g}\n"
                                                f"dL/dw (last step) = {c.weight.grad[3, 0]:.6g}")
    net.set_value(BiasRef(h1, 2), -0.125)
    assert canvas.hover(canvas.neuron(h1, 2)).startswith("h1[2]\nbias b = -0.125")
    assert "Output port" in canvas.hover(canvas.port(h1, "out"))


def test_every_kind_of_edit_undoes_back_to_the_original_model_and_redoes(window, canvas, fingerprint):
    net, scene, stack = window.network, canvas.scene, window.undo_stack
    original = fingerprint(net)
    h1, h2, out = canvas.layer("h1"), canvas.layer("h2"), canvas.layer("out")
    canvas.drop("hidden", QPointF(300.0, 500.0))
    new = max(net.layers)
    canvas.drop("neuron", canvas.neuron(h2, 0))
    canvas.drag(canvas.port(h1, "out"), canvas.port(new, "in"))
    canvas.drag(canvas.neuron(new, 1), canvas.neuron(out, 0))
    canvas.drag(canvas.header(new), canvas.header(new) + QPointF(0.0, 60.0))
    scene.select_weights([WeightRef(net.find_connection(h1, h2).id, 0, 0)])
    canvas.key(Qt.Key.Key_Delete)
    canvas.click(canvas.neuron(h1, 7))
    canvas.key(Qt.Key.Key_Delete)
    canvas.key(Qt.Key.Key_L)
    edited = fingerprint(net)
    assert stack.count() == 8
    for _ in range(8):
        canvas.key(Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert fingerprint(net) == original
    for _ in range(8):
        window.scene.redo()
    assert fingerprint(net) == edited
    assert len(scene.edge_layer.edges) == sum(c.weight.mask.size if c.dense else c.weight.mask.sum()
                                               for c in net.connections.values())


def test_the_edit_menu_names_the_command_and_the_shortcuts_are_the_usual_ones(window, canvas):
    canvas.drop("hidden", QPointF(300.0, 500.0))
    assert window._undo.text() == "&Undo Add hidden layer"
    assert window._undo.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert QKeySequence("Ctrl+Shift+Z") in window._redo.shortcuts()
    window.scene.undo()
    assert window._redo.text() == "&Redo Add hidden layer" and window._redo.isEnabled()


class _Wheel:
    """The one thing `wheelEvent` reads; a real QWheelEvent would need a platform pointing device."""

    def __init__(self, delta: int):
        self._delta = delta

    def angleDelta(self):
        return QPointF(0, self._delta)


def test_a_selected_neuron_is_drawn_as_selected_and_back_when_deselected(window, canvas):
    """The layer draws its neurons: selecting one (by click, or from the document) must repaint it."""
    h2 = canvas.layer("h2")
    centre = canvas.to_view(canvas.neuron(h2, 3))

    def pixel() -> int:
        canvas.view.viewport().repaint()
        return canvas.view.viewport().grab().toImage().pixel(centre.x(), centre.y())

    plain = pixel()
    canvas.click(canvas.neuron(h2, 3))
    assert canvas.scene.selection()[1] == [(h2, 3)]
    selected = pixel()
    assert selected != plain
    canvas.scene.clear_selection()
    assert pixel() == plain
    window.document.select(Selection(neurons=((h2, 3),)))
    assert pixel() == selected
