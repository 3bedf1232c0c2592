"""R² and RMSE of a regression, on the training and the validation data, in one line under the loss plot.

The loss is what training minimises; R² (the share of the targets' variance the network explains, 1 at best) and
RMSE (the typical error, in the targets' units) are what a learner reads the fit by. They are the network's at the
snapshot shown (engine/studio/readouts.py), not averages over an epoch's batches like the R² curve beside the loss.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from engine.studio import Readouts

SPLIT_LABELS = {"train": "train", "validation": "validation"}


def scores_text(readouts: Readouts) -> str:
    """"R²: train 0.981, validation 0.975 · RMSE: train 0.0612, validation 0.0704", or "" for a classifier."""
    scores = readouts.scores
    if not scores:
        return ""
    r2 = ", ".join(f"{SPLIT_LABELS[name]} {s.r2:.3f}" for name, s in scores.items())
    rmse = ", ".join(f"{SPLIT_LABELS[name]} {s.rmse:.4g}" for name, s in scores.items())
    return f"R²: {r2} · RMSE: {rmse}"


class ScoresLabel(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setToolTip("The network's fit at the step shown: R² (1 is a perfect fit, 0 no better than the mean) "
                        "and RMSE (the root mean squared error, in the targets' units).")
        self.setVisible(False)

    def show_readouts(self, readouts: Readouts) -> None:
        text = scores_text(readouts)
        self.setText(text)
        self.setVisible(bool(text))

    def clear(self) -> None:
        self.setText("")
        self.setVisible(False)
