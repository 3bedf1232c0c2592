"""Skip connections go around the layers they pass: checked geometrically, on every example that has one and on a
net with a branch, against each passed neuron's scene rect."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QPainterPath, QPainterPathStroker, QUndoStack

from engine import Network, TrainSettings
from engine.project import EXAMPLES, DataSpec, Project, load_project
from engine.studio import Document
from gui.editor import EditorScene
from gui.editor.layout import layered_positions

PEN = 1.4  # the widest pen a small net's weights are drawn with


def branched() -> Network:
    """in → (a | b) → m → out: a branch that merges into m, and two skips: in → out and a → out."""
    net = Network(seed=3)
    inp, a, b = net.add_layer(2, "input", name="in"), net.add_layer(3, "hidden", "tanh", "a"), \
        net.add_layer(4, "hidden", "tanh", "b")
    m, out = net.add_layer(3, "hidden", "tanh", "m"), net.add_layer(1, "output", "sigmoid", "out")
    for source, target in ((inp, a), (inp, b), (a, m), (b, m), (m, out), (inp, out), (a, out)):
        net.connect(source.id, target.id)
    for lid, position in layered_positions(net).items():
        net.move_layer(lid, position)
    return net


def skip_examples() -> list[str]:
    return [name for name, path in EXAMPLES.items() if skips(load_project(path).network)]


def skips(net: Network) -> list[tuple[int, list[int]]]:
    """(connection id, the layers standing strictly between its two ends' columns) of every skip connection."""
    found = []
    for c in net.connections.values():
        x0, x1 = net.layer(c.source).position[0], net.layer(c.target).position[0]
        passed = [lid for lid, lay in net.layers.items()
                  if lid not in (c.source, c.target) and x0 < lay.position[0] < x1]
        if passed:
            found.append((c.id, passed))
    return found


def drawn(scene: EditorScene, row: int) -> QPainterPath:
    """The outline of a weight as drawn (a stroke, so `intersects` tests the line, not the area it encloses)."""
    points = scene.edge_layer.edges.polyline(row)
    path = QPainterPath(QPointF(*points[0]))
    for x, y in points[1:]:
        path.lineTo(x, y)
    stroker = QPainterPathStroker()
    stroker.setWidth(PEN)
    return stroker.createStroke(path)


def collisions(scene: EditorScene) -> list[str]:
    net, edges = scene.network, scene.edge_layer.edges
    found = skips(net)
    assert found, "the case must have a skip connection"
    hits = []
    for cid, passed in found:
        for row in range(edges.slices[cid].start, edges.slices[cid].stop):
            path = drawn(scene, row)
            for lid in passed:
                for neuron in scene.layer_item(lid).neurons:
                    if path.intersects(neuron.sceneBoundingRect()):
                        hits.append(f"{net.weight_name(*edges.keys([row])[0])} crosses {net.layer(lid).name}"
                                    f"[{neuron.index}]")
    return hits


def scene_of(net: Network, qtbot) -> EditorScene:
    return EditorScene(Document(Project(net, TrainSettings(), DataSpec("generator", "circles"))), QUndoStack())


@pytest.mark.parametrize("name", skip_examples())
def test_no_skip_weight_of_an_example_runs_behind_a_neuron_it_passes(name, qtbot):
    assert collisions(scene_of(load_project(EXAMPLES[name]).network, qtbot)) == []


def test_no_skip_weight_of_a_branched_net_runs_behind_a_neuron_it_passes(qtbot):
    assert collisions(scene_of(branched(), qtbot)) == []


def test_skip_weights_are_routed_again_when_a_passed_layer_moves(qtbot):
    net = branched()
    scene = scene_of(net, qtbot)
    m = next(lay for lay in net.layers.values() if lay.name == "m")
    lane = scene.edge_layer.edges.bands[0]
    net.move_layer(m.id, (m.position[0], (lane[1] + lane[3]) / 2))  # onto the lane the arches ran along
    assert collisions(scene) == []


def test_a_skip_weight_is_picked_on_its_arch_not_on_the_straight_line(qtbot):
    net = load_project(EXAMPLES["Skip connection"]).network
    scene = scene_of(net, qtbot)
    edges = scene.edge_layer.edges
    (cid, _), = skips(net)
    row = edges.slices[cid].start
    on_arch = QPointF(*edges.point_along(row, 0.5))
    straight = edges.lines[row]
    assert scene.weight_at(on_arch, 2.0) == edges.ref(row)
    assert scene.weight_at(QPointF((straight[0] + straight[2]) / 2, (straight[1] + straight[3]) / 2), 2.0) \
        != edges.ref(row)


def test_there_is_an_example_with_a_skip_connection():
    assert skip_examples()


def test_a_layer_two_connections_reach_shows_a_summing_junction_that_follows_the_graph(qtbot):
    net = branched()
    scene = scene_of(net, qtbot)
    by_name = {lay.name: lid for lid, lay in net.layers.items()}
    ports = {name: scene.layer_item(lid).ports.get("in") for name, lid in by_name.items()}
    assert {name for name, port in ports.items() if port is not None and port.merges} == {"m", "out"}
    assert sorted(ports["out"].sources) == ["a", "in", "m"]
    assert ports["out"].toolTip().startswith("Sums 3 incoming connections")
    assert not ports["a"].merges and ports["a"].toolTip() == ""
    b_to_m = next(c.id for c in net.connections.values()
                  if (c.source, c.target) == (by_name["b"], by_name["m"]))
    net.remove_connection(b_to_m)
    assert not ports["m"].merges and ports["m"].sources == ("a",)
