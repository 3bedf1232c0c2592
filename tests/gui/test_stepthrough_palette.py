"""The step-through's phase names are coloured text on the panel: readable on a light and on a dark palette, and
recoloured when the palette switches."""

from __future__ import annotations

import re

import numpy as np
import pytest
from coloraide import Color
from PySide6.QtGui import QPalette
from test_dark_palette import AA, dark_palette

from engine import layered
from engine.explain import StepThrough
from engine.explain.stepthrough import PHASES
from gui.colors import phase_colors
from gui.explorer.stepthrough import StepThroughView


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_each_phase_colour_reads_on_the_palette_and_follows_a_switch(qtbot, dark):
    net = layered([2, 2, 1], "tanh", "sigmoid", seed=0)
    frames = StepThrough(net, np.array([0.5, -0.2]), np.array([1.0]), "mse", lr=0.1).frames
    view = StepThroughView()
    qtbot.addWidget(view)
    view.set_frames(frames, "")
    palette = dark_palette() if dark else QPalette()
    window = Color(palette.window().color().name())
    assert {f.phase for f in frames} == set(PHASES)
    for phase, colour in phase_colors(palette).items():
        assert window.contrast(Color(colour), method="wcag21") >= AA, phase
    view.setPalette(palette)
    for k, frame in enumerate(frames):
        view.go(k)
        shown = re.search(r"color:(#[0-9a-fA-F]{6})", view.position.text())
        assert shown and shown.group(1) == phase_colors(palette)[frame.phase]
