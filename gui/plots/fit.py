"""The fit plot: for a regression with one input, the data and the network's curve through them.

With one input there is no plane for a decision boundary, but the whole function the network computes fits on one
plot: the training points (discs), the validation points (diamonds), and the network's output along the input's
range, redrawn as it trains and for whichever step the timeline shows. *Residuals* adds a plot of y − ŷ against x
under it, where a pattern left in the errors (a bend the curve has not yet learnt) shows plainly. Everything drawn
comes from a snapshot's read-outs (engine/studio/readouts.py); the view keeps only what it draws.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from engine.studio import Readouts
from gui.colors import INK, TRAIN, VALIDATION, training_points, validation_points

from .style import add_legend, plot_widget

CURVE_PEN = pg.mkPen(INK, width=2)  # one curve of 200 points: a wide pen costs nothing here, and reads at a glance
RESIDUALS_TIP = "Plot each point's residual y − ŷ (target minus the network's output) against x, under the fit."


class FitView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = plot_widget(left="y", bottom="x")
        item = self.plot.getPlotItem()
        add_legend(item)
        self.train_points = training_points(brush=pg.mkBrush(TRAIN), name="train")
        self.val_points = validation_points(brush=pg.mkBrush(VALIDATION), name="validation")
        self.curve = pg.PlotDataItem(pen=CURVE_PEN, name="network")
        for part in (self.train_points, self.val_points, self.curve):
            item.addItem(part)
        self.residual_plot = plot_widget(left="y − ŷ", bottom="x")
        residuals = self.residual_plot.getPlotItem()
        residuals.setXLink(item)
        residuals.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen(INK, style=Qt.PenStyle.DashLine)))
        self.train_residuals = training_points(brush=pg.mkBrush(TRAIN))
        self.val_residuals = validation_points(brush=pg.mkBrush(VALIDATION))
        residuals.addItem(self.train_residuals)
        residuals.addItem(self.val_residuals)
        self.residual_plot.setVisible(False)
        self.show_residuals = QCheckBox("Residuals")
        self.show_residuals.setToolTip(RESIDUALS_TIP)
        self.show_residuals.toggled.connect(self.residual_plot.setVisible)
        self.note = QLabel("")
        self.note.setWordWrap(True)

        options = QHBoxLayout()
        options.addWidget(self.show_residuals)
        options.addWidget(self.note, 1)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.plot)
        plots.addWidget(self.residual_plot)
        plots.setStretchFactor(0, 3)
        plots.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(options)
        layout.addWidget(plots, 1)

    def show_readouts(self, readouts: Readouts) -> None:
        """The points, the curve and the residuals of one snapshot (its first output, when it has several)."""
        fit = readouts.fit
        if fit is None:
            self.clear()
            return
        self.curve.setData(fit.x, fit.y[:, 0])
        for name, points, residuals in (("train", self.train_points, self.train_residuals),
                                        ("validation", self.val_points, self.val_residuals)):
            scores = readouts.scores.get(name)
            if scores is None:
                points.clear()
                residuals.clear()
                continue
            target = scores.target[:, 0]
            points.setData(scores.x, target)
            residuals.setData(scores.x, target - scores.prediction[:, 0])
        outputs = fit.y.shape[1]
        self.note.setText(f"The first of {outputs} outputs is shown." if outputs > 1 else "")

    def clear(self) -> None:
        for part in (self.curve, self.train_points, self.val_points, self.train_residuals, self.val_residuals):
            part.setData(x=np.zeros(0), y=np.zeros(0))
