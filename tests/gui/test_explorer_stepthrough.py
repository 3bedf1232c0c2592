"""The explorer on a network with a skip connection: its paths on the canvas, and the step-through.

in(2) → h1(2, tanh) → h2(2, sigmoid) → out(1, sigmoid), plus the skip h1 → out; binary cross-entropy, SGD α = 0.5.
Every expected value comes from the explicit formulas of `forward_backward`:

    a1 = x W1 + b1, h1 = tanh(a1);  a2 = h1 W2 + b2, h2 = σ(a2);  a3 = h2 W3 + h1 Ws + b3, ŷ = σ(a3)
    δ3 = ŷ − t (sigmoid with BCE);  δ2 = h2(1 − h2) · W3 δ3;  δ1 = (1 − h1²) · (W2 δ2 + Ws δ3)
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from conftest import Canvas
from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from test_explorer_support import WAIT, along, csv_data, hover, open_explorer, project, set_params, wait_for

from engine import Network, WeightRef
from engine.refs import ref_at
from gui.explorer.render import weight_link

PARAMS = {"W1": [[0.3, -0.6], [0.8, 0.2]], "b1": [0.1, -0.2], "W2": [[0.5, -0.4], [0.9, 0.7]], "b2": [0.05, 0.0],
          "W3": [[1.2], [-0.8]], "b3": [0.1], "Ws": [[0.6], [-1.1]]}
LR = 0.5


def skip_net() -> tuple[Network, dict]:
    net = Network(seed=0)
    inp = net.add_layer(2, "input", name="in", position=(0.0, 0.0))
    h1 = net.add_layer(2, "hidden", "tanh", name="h1", position=(240.0, 0.0))
    h2 = net.add_layer(2, "hidden", "sigmoid", name="h2", position=(480.0, 60.0))
    out = net.add_layer(1, "output", "sigmoid", name="out", position=(720.0, 0.0))
    conns = {"W1": net.connect(inp.id, h1.id), "W2": net.connect(h1.id, h2.id), "W3": net.connect(h2.id, out.id),
             "Ws": net.connect(h1.id, out.id)}
    keys = {**{name: ("W", c.id) for name, c in conns.items()}, "b1": ("b", h1.id), "b2": ("b", h2.id),
            "b3": ("b", out.id)}
    set_params(net, {keys[name]: value for name, value in PARAMS.items()})
    return net, keys


def forward_backward(x: np.ndarray, t: np.ndarray) -> dict:
    """Per-sample a, h, δ of every layer and the per-sample gradients, rows = samples."""
    p = {name: np.array(v) for name, v in PARAMS.items()}
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    a1 = x @ p["W1"] + p["b1"]
    h1 = np.tanh(a1)
    a2 = h1 @ p["W2"] + p["b2"]
    h2 = sig(a2)
    a3 = h2 @ p["W3"] + h1 @ p["Ws"] + p["b3"]
    y = sig(a3)
    d3 = y - t
    d2 = h2 * (1 - h2) * (d3 @ p["W3"].T)
    d1 = (1 - h1**2) * (d2 @ p["W2"].T + d3 @ p["Ws"].T)
    loss = -(t * np.log(y) + (1 - t) * np.log(1 - y))
    grads = {"W1": x[:, :, None] * d1[:, None, :], "W2": h1[:, :, None] * d2[:, None, :],
             "W3": h2[:, :, None] * d3[:, None, :], "Ws": h1[:, :, None] * d3[:, None, :],
             "b1": d1, "b2": d2, "b3": d3}
    return {"a1": a1, "h1": h1, "a2": a2, "h2": h2, "a3": a3, "y": y, "d1": d1, "d2": d2, "d3": d3, "loss": loss,
            "grads": grads}


@pytest.fixture
def skip(qtbot, window, tmp_path):
    net, keys = skip_net()
    data = csv_data(tmp_path, [(0.5, -1.0, 1), (1.5, 0.25, 0)], "classification")
    ui = open_explorer(qtbot, window, project(net, data, "bce", lr=LR, batch_size=2), batch_mean=True)
    x, t = ui.document.trainer().last_batch()  # the batch, in the trainer's shuffled order
    return SimpleNamespace(ui=ui, canvas=Canvas(window), net=net, keys=keys, x=x, t=t)


def test_hovering_a_path_marks_it_on_the_canvas_and_all_paths_can_be_marked(qtbot, skip):
    ui, canvas, keys, x, t = skip.ui, skip.canvas, skip.keys, skip.x, skip.t
    ref = ref_at(keys["W1"], (0, 0))
    canvas.click(along(canvas, ref))
    wait_for(qtbot, ui, ref)
    r = forward_backward(x, t)
    f1 = 1 - r["h1"][:, 0] ** 2
    w = {name: np.array(v) for name, v in PARAMS.items()}
    skip_path = x[:, 0] * f1 * w["Ws"][0, 0] * r["d3"][:, 0]
    via = [x[:, 0] * f1 * w["W2"][0, m] * r["h2"][:, m] * (1 - r["h2"][:, m]) * w["W3"][m, 0] * r["d3"][:, 0]
           for m in (0, 1)]
    contributions = sorted([float(np.mean(p)) for p in (skip_path, *via)], key=abs, reverse=True)
    paths = ui.panel.paths
    shown = [float(paths.topLevelItem(k).text(0)) for k in range(paths.topLevelItemCount())]
    gradient = float(np.mean(r["grads"]["W1"][:, 0, 0]))
    assert shown == pytest.approx([*contributions, gradient], rel=1e-5)
    assert sum(contributions) == pytest.approx(gradient, rel=1e-12)
    row = next(k for k in range(3) if paths.topLevelItem(k).text(1).startswith(f"{k + 1}. h1[0] → out[0] → L"))
    scene = canvas.scene
    hover(paths.viewport(), paths.visualItemRect(paths.topLevelItem(row)).center())
    edges = lambda: sorted(scene.edge_layer.marked("highlighted").tolist())  # noqa: E731
    marked_neurons = lambda: {(n.layer_id, n.index) for item in scene.layer_items() for n in item.neurons  # noqa: E731
                              if n.highlighted}
    skip_weight = ref_at(keys["Ws"], (0, 0))
    qtbot.waitUntil(lambda: edges() == sorted(scene.edge_row(r) for r in (ref, skip_weight)), timeout=WAIT)
    assert marked_neurons() == {(keys["b1"][1], 0), (keys["b3"][1], 0)}
    QApplication.sendEvent(paths, QEvent(QEvent.Type.Leave))
    qtbot.waitUntil(lambda: edges() == [], timeout=WAIT)
    ui.panel.paths.setFocus()
    QTest.keyClick(ui.panel.paths, Qt.Key.Key_A)  # the panel's shortcut for "Highlight all paths"
    assert ui.panel.highlight_all.isChecked()
    w2, w3 = keys["W2"][1], keys["W3"][1]
    union = [ref, WeightRef(w2, 0, 0), WeightRef(w2, 0, 1), WeightRef(w3, 0, 0), WeightRef(w3, 1, 0), skip_weight]
    assert edges() == sorted(scene.edge_row(r) for r in union)
    assert marked_neurons() == {(keys["b1"][1], 0), (keys["b2"][1], 0), (keys["b2"][1], 1), (keys["b3"][1], 0)}
    ui.panel.highlight_all.click()
    assert edges() == []
    term = ref_at(keys["W2"], (0, 1))  # one of δ_j's terms in the local form: its name is a link
    link = weight_link(term)
    assert f'<a href="{link}">h2[1]</a>' in ui.panel.local.text()  # the weight j → k, named by k
    ui.panel.local.linkHovered.emit(link)
    assert edges() == [scene.edge_row(term)]
    ui.panel.local.linkHovered.emit("")
    assert edges() == []
    ui.panel.local.linkActivated.emit(link)  # a click explains that weight
    assert wait_for(qtbot, ui, term).name == "h1[0] → h2[1]" and scene.selected_weight_refs() == [term]


def test_step_through_visits_every_neuron_forward_then_backward_then_every_weight(qtbot, skip, window):
    ui, canvas, net, keys, x, t = skip.ui, skip.canvas, skip.net, skip.keys, skip.x, skip.t
    QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ShiftModifier)  # Explore > Step Through
    view = ui.panel.step
    qtbot.waitUntil(lambda: len(view.frames) == 35, timeout=WAIT)  # 12 forward, the loss, 5 δ, 17 parameters
    r = {name: v[0] for name, v in forward_backward(x[:1], t[:1]).items() if name != "grads"}
    grads = {name: g[0] for name, g in forward_backward(x[:1], t[:1])["grads"].items()}
    ids = {name: net.layer_by_name(name).id for name in ("in", "h1", "h2", "out")}
    expected = [("forward", "in", 0, "h", x[0, 0]), ("forward", "in", 1, "h", x[0, 1])]
    for layer, a, h in (("h1", "a1", "h1"), ("h2", "a2", "h2"), ("out", "a3", "y")):
        for j in range(len(r[a])):
            expected += [("forward", layer, j, "a", r[a][j]), ("forward", layer, j, "h", r[h][j])]
    expected.append(("loss", None, None, "L", r["loss"][0]))
    for layer, d in (("out", "d3"), ("h2", "d2"), ("h1", "d1")):  # reverse order: h1 needs h2 and, by the skip, out
        expected += [("backward", layer, j, "δ", r[d][j]) for j in range(len(r[d]))]
    order = ["W1", "W2", "W3", "Ws", "b1", "b2", "b3"]  # the network's parameter order
    updates = [(ref_at(keys[name], index), -LR * g) for name in order for index, g in np.ndenumerate(grads[name])]

    seen = []
    scene = canvas.scene

    def record() -> None:
        frame = view.current()
        current = [text for text, now in ui.overlay.labels() if now]
        if frame.neuron is not None:
            marked = [(n.layer_id, n.index) for item in scene.layer_items() for n in item.neurons if n.highlighted]
        else:
            marked = scene.edge_layer.marked("highlighted").tolist()
        seen.append((frame, current, marked))

    assert view.isAncestorOf(QApplication.focusWidget())  # Shift+E put the focus in the step-through
    qtbot.mouseClick(view.buttons["next"], Qt.MouseButton.LeftButton)
    record()
    for k in range(1, 35):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_N if k % 2 else Qt.Key.Key_Right)
        record()
    assert view.index == 34
    for (frame, current, marked), (phase, layer, j, quantity, value) in zip(seen[:18], expected, strict=True):
        assert (frame.phase, frame.quantity) == (phase, quantity)
        assert frame.value == pytest.approx(value, rel=1e-12)
        assert len(current) == 1 and f"{quantity} {value:.4g}" in current[0]
        if layer is not None:
            assert (frame.layer, frame.neuron) == (ids[layer], j)
            assert marked == [(ids[layer], j)]  # the canvas marks the neuron whose value is being computed
    for (frame, current, marked), (ref, step) in zip(seen[18:], updates, strict=True):
        assert frame.ref == ref and frame.value == pytest.approx(step, rel=1e-10)
        if isinstance(ref, WeightRef):
            assert marked == [scene.edge_row(ref)] and current == [f"Δw {step:.4g}"]
        else:
            assert marked == [(ref.layer, ref.j)] and f"Δb {step:.4g}" in current[0]
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Left)
    assert view.index == 33
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Home)
    assert view.index == -1 and ui.overlay.labels() == []


def test_play_runs_the_frames_until_paused(qtbot, skip):
    ui = skip.ui
    ui.step_through()
    view = ui.panel.step
    qtbot.waitUntil(lambda: len(view.frames) == 35, timeout=WAIT)
    view.speed.setCurrentIndex(view.speed.count() - 1)  # the fastest
    qtbot.mouseClick(view.buttons["play"], Qt.MouseButton.LeftButton)
    assert view.playing and view.actions_by_name["play"].text() == "Pause"
    qtbot.waitUntil(lambda: view.index >= 3, timeout=WAIT)
    qtbot.mouseClick(view.buttons["play"], Qt.MouseButton.LeftButton)
    stopped = view.index
    qtbot.wait(250)
    assert not view.playing and view.index == stopped and view.actions_by_name["play"].text() == "Play"
    view.go(31)
    qtbot.mouseClick(view.buttons["play"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.playing, timeout=WAIT)  # it stops by itself at the last frame
    assert view.index == 34
    qtbot.mouseClick(view.buttons["play"], Qt.MouseButton.LeftButton)  # at the end, Play starts over
    assert view.playing and view.index == -1
    view.stop()


def test_a_network_too_big_for_a_step_through_says_so(qtbot, window, monkeypatch):
    monkeypatch.setattr("gui.explorer.install.STEP_LIMIT", 100)  # the circles net has 88 weights and 17 biases
    ui = open_explorer(qtbot, window)
    ui.step_through()
    qtbot.waitUntil(lambda: "This network has 105 weights and biases" in ui.panel.step.note.text(), timeout=WAIT)
    assert "up to 100 parameters" in ui.panel.step.note.text()
    assert ui.panel.step.frames == () and not ui.panel.step.actions_by_name["next"].isEnabled()
