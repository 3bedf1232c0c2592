"""The explained sample drawn as the picture it is, for data whose inputs are an image's pixels (the 8×8 digits).

A row of 64 numbers in the sample chooser says nothing to a learner; the digit it is says which sample the chain
rule is being applied to. Pixels are shaded from the sample's own lowest value (white) to its highest (black), so a
standardised input shows the same strokes as the raw one.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel

PIXEL = 5  # screen pixels per image pixel: an 8×8 digit is 40 px, the height of two rows of the dock's text


class SampleImage(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pixels: np.ndarray | None = None  # the grey levels shown (rows × columns, 0 white … 255 black)
        self.hide()

    def show_sample(self, row: np.ndarray | None, shape: tuple[int, int] | None, name: str = "") -> None:
        """`row` (one sample's inputs) as an image of `shape`; None for either hides the picture."""
        if row is None or shape is None:
            self.pixels = None
            self.hide()
            return
        values = np.asarray(row, float).reshape(shape)
        lo, span = values.min(), np.ptp(values)
        ink = (values - lo) / span if span > 0 else np.zeros(shape)
        self.pixels = np.ascontiguousarray(255 - np.rint(255 * ink).astype(np.uint8))
        height, width = shape
        image = QImage(self.pixels.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
        self.setPixmap(QPixmap.fromImage(image).scaled(width * PIXEL, height * PIXEL))
        self.setToolTip(f"{name} as its {height}×{width} image")
        self.show()
