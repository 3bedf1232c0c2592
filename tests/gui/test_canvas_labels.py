"""Canvas labels never pile up: on the notes' 4-3-2-1 example every step-through frame's labels, and the values
overlay's, are pairwise disjoint and inside the view, in the view's own pixels; the placement itself is checked
on random anchors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QRectF, Qt
from PySide6.QtTest import QTest
from test_explorer_support import WAIT, open_explorer

from engine import WeightRef, gradient_check
from engine.project import EXAMPLES, load_project
from gui.editor.labels import place

LECTURE = "Lecture notes 4-3-2-1 (Iris)"


def overlaps(rects: list[QRectF]) -> list[tuple[int, int]]:
    return [(a, b) for a in range(len(rects)) for b in range(a + 1, len(rects)) if rects[a].intersects(rects[b])]


def check_placed(layer, view) -> list[QRectF]:
    """The labels as the view shows them: none over another, all inside the viewport."""
    rects = [rect for _, rect in layer.placed_in(view)]
    visible = QRectF(view.viewport().rect())
    assert overlaps(rects) == []
    assert all(visible.contains(rect) for rect in rects)
    return rects


def test_every_step_through_frame_places_its_labels_apart_and_in_the_view(qtbot, project_windows):
    window = project_windows(load_project(EXAMPLES[LECTURE]))
    ui = open_explorer(qtbot, window)
    ui.step_through()
    view = ui.panel.step
    qtbot.waitUntil(lambda: len(view.frames) > 0 and not ui.pending, timeout=WAIT)
    assert len(view.frames) == 4 + 2 * 6 + 1 + 6 + 26  # h of 4 inputs, a and h of 6 neurons, L, 6 δ, 26 updates
    for k in range(len(view.frames)):
        view.go(k)
        check_placed(ui.overlay, window.view)
        shown = [label for label, _ in ui.overlay.placed_in(window.view)]
        assert [label.current for label in shown].count(True) == 1  # the current frame's label always shows
        # every neuron's values and the loss find room; only the oldest Δw may be left out when the view is full
        wanted = [label for label in ui.overlay.shown_labels() if not label.text.startswith("Δw")]
        assert all(label in shown for label in wanted), k
    assert len(shown) >= 25  # of 31 at the last frame (10 neurons, the loss, 20 Δw), in a 680×540 canvas


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 400), st.floats(0, 300), st.floats(10, 120), st.floats(8, 40),
                          st.sampled_from(["right", "centre"])), min_size=1, max_size=40))
def test_placed_rects_are_disjoint_inside_the_bounds_and_clear_of_obstacles(labels):
    anchors = np.array([label[:2] for label in labels])
    sizes = np.array([label[2:4] for label in labels])
    obstacles = np.array([[100.0, 100.0, 140.0, 140.0]])
    rects = place(anchors, sizes, np.full(len(labels), 5.0), [label[4] for label in labels], (0, 0, 400, 300),
                  obstacles)
    shown = rects[~np.isnan(rects[:, 0])]
    boxes = [QRectF(r[0], r[1], r[2] - r[0], r[3] - r[1]) for r in shown]
    assert overlaps([*boxes, QRectF(100, 100, 40, 40)]) == []
    assert all(QRectF(0, 0, 400, 300).contains(box) for box in boxes)
    placed = ~np.isnan(rects[:, 0])
    assert np.allclose(rects[placed, 2] - rects[placed, 0], sizes[placed, 0])
    assert placed[0]  # the first label always finds room on an almost empty canvas (its anchor is in view)


def shown_values(qtbot, window) -> list[str]:
    """The values overlay's label texts once it is up to date with the document."""
    values = window.explorer.values
    qtbot.waitUntil(lambda: not values.pending and window.document.idle and bool(values.layer.labels()),
                    timeout=WAIT)
    return values.layer.labels()


def test_the_values_overlay_places_every_label_apart_and_in_the_view(qtbot, project_windows):
    window = project_windows(load_project(EXAMPLES[LECTURE]))
    QTest.keyClick(window, Qt.Key.Key_V)  # Explore > Show Values on the Canvas
    texts = shown_values(qtbot, window)
    assert len(texts) == 10 + 20  # every neuron and every weight
    assert len(check_placed(window.explorer.values.layer, window.view)) == 30  # all of them found room
    window.view.zoom_by(3.0)  # zoomed in: the labels keep their pixel size and stay in the view
    check_placed(window.explorer.values.layer, window.view)
    QTest.keyClick(window, Qt.Key.Key_V)
    qtbot.waitUntil(lambda: not window.explorer.values.layer.isVisible())


def test_a_training_step_changes_the_shown_numbers_to_the_new_ones(qtbot, project_windows):
    window = project_windows(load_project(EXAMPLES[LECTURE]))
    window.explorer.values.action.trigger()
    before = shown_values(qtbot, window)
    window.training.controller.step()
    qtbot.waitUntil(lambda: window.document.snapshot is not None and window.document.snapshot.step == 1, timeout=WAIT)
    after = shown_values(qtbot, window)
    net, trainer = window.network, window.document.trainer()
    x, t = trainer.last_batch()  # the batch of the step just taken, the weights after it
    chosen = window.explorer.panel.sample()
    rows = slice(None) if chosen is None else slice(chosen, chosen + 1)
    refs = [WeightRef(c.id, i, j) for c in net.connections.values() for i, j in np.ndindex(c.weight.shape)]
    for check in gradient_check(net, x[rows], t[rows], trainer.settings.loss, refs):
        w = net.connection(check.ref.conn).weight.value[check.ref.i, check.ref.j]
        shown = next(text for text in after if text.startswith(f"w {w:.4g}\n"))
        assert float(shown.split("∂L/∂w ")[1]) == pytest.approx(check.numeric, rel=2e-3, abs=1e-6)
        assert shown not in before  # the step moved every weight: no number of before the step is left


def test_the_values_overlay_is_for_small_networks_and_says_so(qtbot, project_windows):
    window = project_windows(load_project(EXAMPLES["Spiral (3 arms)"]))
    action = window.explorer.values.action
    assert not action.isEnabled() and "small networks" in action.toolTip() and "336 weights" in action.toolTip()
    window.set_project(load_project(EXAMPLES[LECTURE]))
    qtbot.waitUntil(action.isEnabled, timeout=WAIT)


def test_the_label_layers_leave_the_scene_bounds_to_the_network_unless_they_show_labels(qtbot, project_windows):
    window = project_windows(load_project(EXAMPLES[LECTURE]))
    scene = window.scene
    network_rect = scene.itemsBoundingRect()
    assert network_rect.width() < 5000  # the step-through and values layers are there, with no labels
    window.explorer.values.action.trigger()
    shown_values(qtbot, window)
    assert scene.itemsBoundingRect().width() > 5000  # showing labels: they may go wherever the view shows
    window.explorer.values.action.trigger()
    qtbot.waitUntil(lambda: not window.explorer.values.layer.isVisible())
    assert scene.itemsBoundingRect() == network_rect
