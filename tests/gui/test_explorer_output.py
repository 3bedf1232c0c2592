"""'Explain the output y itself' in the real window, on the notes' scalar chain x → x² → e^h1 → 1/h2."""

from __future__ import annotations

import math

from conftest import Canvas
from test_explorer_support import WAIT, open_explorer, plain

from engine.project import open_example


def test_the_scalar_chain_explains_dy_dx_of_a_chosen_sample(qtbot, window):
    ui = open_explorer(qtbot, window, open_example("Scalar chain (notes)"))
    panel, canvas = ui.panel, Canvas(window)
    qtbot.waitUntil(lambda: panel.samples.count() > 1 and not ui.pending, timeout=WAIT)
    panel.output_mode.setChecked(True)
    canvas.click(canvas.neuron(canvas.layer("x"), 0))
    xs, _ = window.document.trainer().last_batch()
    row = next(n for n in range(len(xs)) if xs[n, 0] != 0)  # dy/dx = 0 at x = 0 would prove little
    panel.samples.setCurrentIndex(row + 1)  # the first entry is the batch mean
    x = float(xs[row, 0])
    dydx = -2 * x * math.exp(-x * x)
    qtbot.waitUntil(lambda: plain(panel.output_text).startswith(f"dy/dx = {dydx:.6g}"), timeout=WAIT)
    text = plain(panel.output_text)
    assert "x[0] → h1[0] → h2[0] → y[0]: (−1/h2²) · e^h1 · 2x = " in text
    assert "Check by central differences" in text and panel.stack.currentWidget() is panel.output_page
    panel.output_mode.setChecked(False)  # back to the loss: an input has no gradient of its own
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.message and "is an input" in panel.message.text(),
                    timeout=WAIT)
