"""The loss curve (every batch, plus train and validation loss per epoch) and accuracy or R² beside it.

Under an L1/L2 penalty (engine.regularization) the batch curve is the data loss alone and the penalty is a curve of
its own: a penalty that grows while the data loss falls is the trade-off regularisation makes, which one summed
curve would hide.

Both plots share the step axis, so an epoch's figures sit where that epoch ended. The arrays come straight from
the History rings (via a snapshot), so the plot shows exactly what the engine recorded; hovering reads the exact
recorded numbers back rather than what a downsampled line happens to pass through.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from gui.colors import BATCH, INK, PENALTY, TRAIN, VALIDATION

from .style import StableRange, add_legend, curve, plot_widget, set_curve, side_by_side

METRIC_LABELS = {"accuracy": "accuracy", "r2": "R²"}
# columns of History.epochs (engine.history.EPOCH_COLUMNS)
EPOCH, STEP, TRAIN_LOSS, TRAIN_METRIC, VAL_LOSS, VAL_METRIC = range(6)
BATCH_NAME, DATA_LOSS_NAME, PENALTY_NAME = "batch", "data loss (batch)", "penalty"


class LossView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.loss_plot = plot_widget(left="loss")
        loss = self.loss_plot.getPlotItem()
        add_legend(loss)
        self.batch_curve = curve(loss, BATCH, "batch")
        self.train_curve = curve(loss, TRAIN, "train (epoch)")
        self.val_curve = curve(loss, VALIDATION, "validation (epoch)")
        self.penalty_curve = curve(loss, PENALTY)  # in the legend only while a penalty is recorded (`_name_curves`)
        self.penalty_curve.opts["name"] = PENALTY_NAME  # what hovering over it reads
        self.metric_plot = plot_widget(left="accuracy")
        metric = self.metric_plot.getPlotItem()
        add_legend(metric)
        metric.setXLink(loss)
        self.train_metric_curve = curve(metric, TRAIN, "train")
        self.val_metric_curve = curve(metric, VALIDATION, "validation")
        self.loss_range, self.metric_range = StableRange(loss), StableRange(metric)
        self.hover_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(INK, style=Qt.PenStyle.DotLine))
        self.hover_line.setVisible(False)
        loss.addItem(self.hover_line, ignoreBounds=True)

        self.log_y = QCheckBox("log scale")
        self.log_y.toggled.connect(self.set_log_y)
        self.readout = QLabel("Hover over the curve to read exact values.")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setWordWrap(True)

        bar = QHBoxLayout()
        bar.addWidget(self.log_y)
        bar.addWidget(self.readout, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(side_by_side(self.loss_plot, self.metric_plot), 1)
        layout.addLayout(bar)

        self._losses = np.zeros((0, 2))
        self._penalties = np.zeros((0, 2))
        self._epochs = np.zeros((0, 6))
        self._metric = "accuracy"
        self.loss_plot.scene().sigMouseMoved.connect(self._mouse_moved)

    # ------------------------------------------------------------ data
    def set_history(self, losses: np.ndarray, epochs: np.ndarray, metric: str,
                    penalties: np.ndarray | None = None) -> None:
        """Plot (step, loss) rows, History epoch rows and (step, penalty) rows; called with each snapshot."""
        self._losses, self._epochs = losses, epochs
        self._penalties = np.zeros((0, 2)) if penalties is None else penalties
        if metric != self._metric:
            self._metric = metric
            self.metric_plot.getPlotItem().getAxis("left").setLabel(METRIC_LABELS.get(metric, metric))
        self._name_curves(len(self._penalties) > 0)
        set_curve(self.batch_curve, losses[:, 0], losses[:, 1])
        set_curve(self.penalty_curve, self._penalties[:, 0], self._penalties[:, 1])
        steps = epochs[:, STEP]
        set_curve(self.train_curve, steps, epochs[:, TRAIN_LOSS])
        set_curve(self.val_curve, steps, epochs[:, VAL_LOSS])
        set_curve(self.train_metric_curve, steps, epochs[:, TRAIN_METRIC])
        set_curve(self.val_metric_curve, steps, epochs[:, VAL_METRIC])
        self._fit()

    def _name_curves(self, penalised: bool) -> None:
        """With a penalty the batch curve is named "data loss (batch)" and the penalty joins the legend."""
        legend = self.loss_plot.getPlotItem().legend
        if penalised == (legend.getLabel(self.penalty_curve) is not None):
            return
        if penalised:
            legend.addItem(self.penalty_curve, PENALTY_NAME)
        else:
            legend.removeItem(self.penalty_curve)
        name = DATA_LOSS_NAME if penalised else BATCH_NAME
        self.batch_curve.opts["name"] = name
        legend.getLabel(self.batch_curve).setText(name)
        legend.flow()

    def _fit(self) -> None:
        self.loss_range.fit([self.batch_curve, self.train_curve, self.val_curve, self.penalty_curve])
        self.metric_range.fit([self.train_metric_curve, self.val_metric_curve], x=False)

    def clear(self) -> None:
        """A new run (Reset weights): the curves start over."""
        self.loss_range.reset()
        self.metric_range.reset()
        self.set_history(np.zeros((0, 2)), np.zeros((0, 6)), self._metric)
        self.hover_line.setVisible(False)
        self.readout.setText("")

    def set_log_y(self, on: bool) -> None:
        self.loss_plot.getPlotItem().setLogMode(x=False, y=on)
        self._fit()
        if self.log_y.isChecked() != on:
            self.log_y.setChecked(on)

    # ------------------------------------------------------------ hover read-out
    def hover_text(self, step: float) -> str:
        """The recorded values nearest to `step`: that batch's loss and the last epoch ended by then."""
        if not len(self._losses):
            return ""
        k = int(np.clip(np.searchsorted(self._losses[:, 0], step), 0, len(self._losses) - 1))
        if k > 0 and abs(self._losses[k - 1, 0] - step) <= abs(self._losses[k, 0] - step):
            k -= 1
        at, loss = self._losses[k]
        parts = [f"step {int(at)}: batch loss {loss:.6g}"]
        penalty = self._penalties[self._penalties[:, 0] == at, 1]
        if len(penalty):
            parts[0] = f"step {int(at)}: data loss {loss:.6g} + penalty {penalty[0]:.6g} = {loss + penalty[0]:.6g}"
        ended = self._epochs[self._epochs[:, STEP] <= at]
        if len(ended):
            row = ended[-1]
            metric = METRIC_LABELS.get(self._metric, self._metric)
            text = f"epoch {int(row[EPOCH])}: train loss {row[TRAIN_LOSS]:.6g}, {metric} {row[TRAIN_METRIC]:.4g}"
            if np.isfinite(row[VAL_LOSS]):
                text += f"; validation loss {row[VAL_LOSS]:.6g}, {metric} {row[VAL_METRIC]:.4g}"
            parts.append(text)
        return " · ".join(parts)

    def _mouse_moved(self, pos: QPointF) -> None:
        plot = self.loss_plot.getPlotItem()
        if not plot.sceneBoundingRect().contains(pos) or not len(self._losses):
            return
        step = plot.getViewBox().mapSceneToView(pos).x()
        self.hover_line.setPos(step)
        self.hover_line.setVisible(True)
        self.readout.setText(self.hover_text(step))
