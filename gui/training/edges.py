"""Colours the canvas's edges from each snapshot, with the options and the colour bar that explain them.

By default every edge shows |dL/dw| on a log scale: a global linear scale hides the vanishing gradients of early
layers, which is what a learner most needs to see (design.md §3). The alternative shows the weight itself, by
sign and size. The scene does the binning and reports the scale; the colour bar listens to it directly.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QVBoxLayout, QWidget

from engine.studio import Document, Snapshot
from gui.plots.colorbar import ColorBar

QUANTITIES = {"gradient": ("|dL/dw|", "magnitude"), "weight": ("w", "signed")}
HOVER_LABELS = {"gradient": "dL/dw (last step)", "weight": None}  # the tooltip shows w anyway
NORMALISATIONS = {"global": "one scale for all", "connection": "per connection"}


class EdgeScene(Protocol):
    """What this module needs of the editor's scene."""

    color_scale_changed: SignalInstance

    def set_edge_values(self, per_connection: dict[int, np.ndarray], mode: str = "magnitude",
                        label: str | None = None) -> None: ...
    def set_normalisation(self, normalisation: str) -> None: ...
    def set_width_by(self, values: dict[int, np.ndarray] | None) -> None: ...


class EdgeColouring(QWidget):
    def __init__(self, scene: EdgeScene, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.scene = scene
        self.document = document
        self.live = QCheckBox("colour edges live while training")
        self.live.setChecked(True)
        self.quantity = QComboBox()
        self.quantity.addItem("gradient |dL/dw| (log scale)", "gradient")
        self.quantity.addItem("weight w (sign and size)", "weight")
        self.normalisation = QComboBox()
        for key, text in NORMALISATIONS.items():
            self.normalisation.addItem(text, key)
        self.width_by_weight = QCheckBox("edge width by |w|")
        self.colorbar = ColorBar()
        form = QFormLayout()
        form.addRow(self.live)
        form.addRow("Colour by", self.quantity)
        form.addRow("Scale", self.normalisation)
        form.addRow(self.width_by_weight)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.colorbar)
        layout.addStretch(1)
        scene.color_scale_changed.connect(self.colorbar.set_scale)
        self.quantity.currentIndexChanged.connect(self._options_changed)
        self.normalisation.currentIndexChanged.connect(self._normalisation_changed)
        self.width_by_weight.toggled.connect(self._options_changed)
        self.live.toggled.connect(self._options_changed)

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Recolour the canvas from the snapshot's gradients or weights (and widths from its weights)."""
        if not self.live.isChecked():
            return
        quantity = self.quantity.currentData()
        label, mode = QUANTITIES[quantity]
        self.colorbar.set_quantity(label)
        if self.width_by_weight.isChecked():
            self.scene.set_width_by(snapshot.weights)
        values = snapshot.grads if mode == "magnitude" else snapshot.weights
        self.colorbar.set_values(self._present(snapshot, mode))
        self.scene.set_edge_values(values, mode, HOVER_LABELS[quantity])

    def _present(self, snapshot: Snapshot, mode: str) -> np.ndarray | None:
        """The shown values of the weights that exist (a cut weight shows nothing), for the colour bar's caption;
        None for gradients before the first step, when there are none to show."""
        if mode == "magnitude":
            return np.abs(snapshot.weight_grads) if snapshot.step > 0 else None
        connections = self.document.network.connections
        return np.concatenate([np.zeros(0), *(w[connections[cid].weight.mask] for cid, w in snapshot.weights.items()
                                             if cid in connections and connections[cid].weight.shape == w.shape)])

    def _options_changed(self) -> None:
        if not self.width_by_weight.isChecked():
            self.scene.set_width_by(None)
        if (snapshot := self.document.snapshot) is not None:
            self.show_snapshot(snapshot)

    def _normalisation_changed(self) -> None:
        self.colorbar.set_normalisation(self.normalisation.currentData())
        self.scene.set_normalisation(self.normalisation.currentData())
