"""'Explain the output y itself' in the real window, on the notes' scalar chain x → x² → e^h1 → 1/h2."""

from __future__ import annotations

import math

from conftest import Canvas
from test_explorer_support import WAIT, flat, open_explorer

from engine.explain.text import number
from engine.project import open_example
from gui.explorer.render import fraction


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
    qtbot.waitUntil(lambda: flat(panel.output_text).startswith(f"dy dx = {dydx:.6g} "), timeout=WAIT)
    assert fraction("dy", "dx") in panel.output_text.text()  # stacked, as the notes write it
    # the notes' (−1/h2²) · e^h1 · 2x, typeset, then its numbers: −1/h2² = −e^(−2x²), e^h1 = e^(x²), 2x
    assert "(−1/h<sub>2</sub><sup>2</sup>) · e<sup>h₁</sup> · 2x = " in panel.output_text.text()
    numbers = " · ".join(number(v, 4) for v in (-math.exp(-2 * x * x), math.exp(x * x), 2 * x))
    text = flat(panel.output_text)
    assert f"1. x[0] → h1[0] → h2[0] → y[0]: (−1/h22) · eh₁ · 2x = {numbers} = {dydx:.6g} " in text, text
    assert "Check by central differences" in text and panel.stack.currentWidget() is panel.output_page
    panel.output_mode.setChecked(False)  # back to the loss: an input has no gradient of its own
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.message and "is an input" in panel.message.text(),
                    timeout=WAIT)
