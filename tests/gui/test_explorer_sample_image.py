"""For image data the chain-rule explorer draws the sample it explains as its image (issue 15: the digits)."""

from __future__ import annotations

import numpy as np
from test_explorer_support import WAIT, open_explorer

from engine import WeightRef
from engine.project import open_example
from engine.studio import Selection


def shown_ink(ui) -> np.ndarray:
    """The picture's grey levels as drawn: 0 white … 255 black, one value per image pixel."""
    image = ui.panel.sample_image.pixmap().toImage()
    step = image.width() // 8
    return np.array([[255 - image.pixelColor(c * step, r * step).value() for c in range(8)] for r in range(8)])


def test_a_digit_is_drawn_as_its_image_and_follows_the_chosen_sample(qtbot, window):
    ui = open_explorer(qtbot, window, open_example("Digits (8×8)"))
    conn = next(iter(window.network.connections.values()))
    window.document.select(Selection(weights=(WeightRef(conn.id, 0, 0),)))
    qtbot.waitUntil(lambda: ui.panel.samples.count() > 2 and not ui.pending, timeout=WAIT)
    x, _ = window.document.trainer().last_batch()
    for k in (0, 2):
        ui.panel.samples.setCurrentIndex(k + 1)  # index 0 is the batch mean
        assert ui.panel.sample_image.isVisible()
        row = x[k].reshape(8, 8)
        expected = np.rint(255 * (row - row.min()) / np.ptp(row))
        np.testing.assert_array_equal(shown_ink(ui), expected)
    ui.panel.samples.setCurrentIndex(0)  # the batch mean is no one picture
    assert not ui.panel.sample_image.isVisible()


def test_data_that_is_not_an_image_draws_no_picture(qtbot, window):
    ui = open_explorer(qtbot, window)  # the starter: two coordinates per sample
    conn = next(iter(window.network.connections.values()))
    window.document.select(Selection(weights=(WeightRef(conn.id, 0, 0),)))
    qtbot.waitUntil(lambda: ui.panel.samples.count() > 2 and not ui.pending, timeout=WAIT)
    assert not ui.panel.sample_image.isVisible() and ui.panel.sample_image.pixels is None
