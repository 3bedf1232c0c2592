"""The Weight images dock on the real window: the digits example's hidden neurons' incoming weights as 8×8 tiles,
pixel for pixel the network's weights, following training; nothing drawn for data that are not images."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from test_document_window import WAIT, menu_action, press, train_until_idle

from engine.studio import RunState


def show_weight_images(window):
    dock = window._docks["weight_images"]
    dock.show()
    dock.raise_()
    return window.training.weight_images


def drawn_weights(window) -> np.ndarray:
    """The input → h1 weights, one column per hidden neuron."""
    net = window.network
    (conn,) = [c for c in net.connections.values() if c.source == net.input_layer.id]
    return np.array(conn.weight.value)


def test_each_tile_is_a_hidden_neurons_incoming_weights_as_the_8_by_8_image_after_a_step(qtbot, window):
    menu_action(window, "Digits").trigger()
    view = show_weight_images(window)
    qtbot.waitUntil(lambda: len(view.names) == 32, timeout=WAIT)
    before = drawn_weights(window)
    np.testing.assert_array_equal(view.tile(5), before[:, 5].reshape(8, 8))
    press(window, Qt.Key.Key_F10)  # one step
    qtbot.waitUntil(lambda: window.document.run_state is not RunState.RUNNING and window.document.snapshot.step == 1,
                    timeout=WAIT)
    after = drawn_weights(window)
    assert not np.array_equal(after, before)
    assert view.names[:2] == ["h1[0]", "h1[1]"] and view.image_shape == (8, 8)
    for k in range(32):
        np.testing.assert_array_equal(view.tile(k), after[:, k].reshape(8, 8))
    assert view.scale == np.abs(after).max()
    assert view.image.levels is not None and tuple(view.image.levels) == (-view.scale, view.scale)  # 0 in the middle


def test_image_data_bring_the_weight_images_to_the_front_of_the_train_workspace(qtbot, window):
    view, boundary = window.training.weight_images, window.training.boundary
    on_screen = lambda widget: not widget.visibleRegion().isEmpty()  # noqa: E731 (a tab behind is "visible" too)
    assert on_screen(boundary) and not on_screen(view)  # the circles: the boundary in front
    menu_action(window, "Digits").trigger()
    qtbot.waitUntil(lambda: len(view.names) == 32, timeout=WAIT)
    assert on_screen(view) and not on_screen(boundary)


def test_the_tiles_follow_training_and_the_timeline(qtbot, window):
    menu_action(window, "Digits").trigger()
    view = show_weight_images(window)
    window.document.edit_settings(epochs=2)
    train_until_idle(qtbot, window)
    assert window.document.snapshot.epoch == 2
    final = drawn_weights(window)
    for k in (0, 31):
        np.testing.assert_array_equal(view.tile(k), final[:, k].reshape(8, 8))
    shown = window.document.view_step(1)  # the timeline on an early recorded step: the tiles show its weights
    assert shown == 1 and window.document.snapshot.past
    early = drawn_weights(window)
    assert not np.array_equal(early, final)
    np.testing.assert_array_equal(view.tile(3), early[:, 3].reshape(8, 8))
    window.document.view_live()
    np.testing.assert_array_equal(view.tile(3), final[:, 3].reshape(8, 8))


def test_no_tiles_for_data_that_are_not_images(qtbot, window):
    view = show_weight_images(window)  # the starter: circles, two inputs
    qtbot.waitUntil(lambda: window.document.snapshot is not None, timeout=WAIT)
    assert view.image_shape is None and view.names == [] and view.image.image is None
    assert "image" in view.note.text()
    menu_action(window, "Digits").trigger()
    qtbot.waitUntil(lambda: len(view.names) == 32, timeout=WAIT)
    menu_action(window, "Lecture notes").trigger()  # four inputs, no image
    qtbot.waitUntil(lambda: view.image_shape is None and view.names == [], timeout=WAIT)
    assert view.image.image is None
