"""Items the time-travel features add to the loss and accuracy plots: the checked runs' curves, one colour per run
with a legend naming what differs between them, and the timeline's cursor at the step shown.

They are separate items on `LossView`'s plots (the view itself draws the live run only), so this module never
touches how the live curves are drawn. The live view fits its range to its own curves; while runs are overlaid,
this refits after it with theirs included, so an older, longer run is not cut off.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from engine.runs import Run, legend_labels
from engine.studio import Document, Snapshot
from gui.colors import INK, series_color
from gui.follow import follow
from gui.plots.loss import STEP, TRAIN_METRIC, LossView
from gui.plots.style import set_curve

LIVE_COLOURS = 2  # the palette's first two are the live train and validation curves' (gui.colors TRAIN, VALIDATION)


class RunOverlay:
    def __init__(self, document: Document, view: LossView):
        self.document = document
        self.view = view
        self.shown: list[int] = []  # the ids of the runs overlaid, in the runs' order
        self.loss_curves: list[pg.PlotDataItem] = []
        self.metric_curves: list[pg.PlotDataItem] = []
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen(INK, width=2))
        self.cursor.setVisible(False)
        view.loss_plot.getPlotItem().addItem(self.cursor, ignoreBounds=True)
        events = document.events
        follow(view, events.time_changed, self._time_changed)
        follow(view, events.snapshot_published, self._snapshot_published)

    def show_runs(self, run_ids: list[int]) -> None:
        """Draw these runs' loss and metric curves (the Runs dock's checked rows; it says again when runs change)."""
        runs = [run for run in self.document.runs if run.id in set(run_ids)]
        self.shown = [run.id for run in runs]
        loss_plot, metric_plot = self.view.loss_plot.getPlotItem(), self.view.metric_plot.getPlotItem()
        for plot, curves in ((loss_plot, self.loss_curves), (metric_plot, self.metric_curves)):
            for item in curves:
                plot.removeItem(item)
            curves.clear()
        for k, (run, label) in enumerate(zip(runs, self.labels(runs), strict=True)):
            colour = series_color(k + LIVE_COLOURS)
            pen = pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine)
            loss = pg.PlotDataItem(pen=pen, name=label)
            set_curve(loss, run.losses[:, 0], run.losses[:, 1])
            metric = pg.PlotDataItem(pen=pen, symbol="o", symbolSize=4, symbolBrush=colour,
                                     symbolPen=None, name=label)
            set_curve(metric, run.epochs[:, STEP], run.epochs[:, TRAIN_METRIC])
            loss_plot.addItem(loss)
            metric_plot.addItem(metric)
            self.loss_curves.append(loss)
            self.metric_curves.append(metric)
        self.fit()

    @staticmethod
    def labels(runs: list[Run]) -> list[str]:
        """Each run's name, and what sets it apart from the others overlaid ("Run 1: lr 0.1")."""
        return [run.name if said == run.name else f"{run.name}: {said}"
                for run, said in zip(runs, legend_labels(runs), strict=True)]

    def fit(self) -> None:
        if not self.shown:
            return
        view = self.view
        view.loss_range.fit([view.batch_curve, view.train_curve, view.val_curve, *self.loss_curves])
        view.metric_range.fit([view.train_metric_curve, view.val_metric_curve, *self.metric_curves], x=False)

    def _snapshot_published(self, _snap: Snapshot) -> None:
        self.fit()  # after the live view's own fit (it follows the document first)

    def _time_changed(self, step: int | None) -> None:
        self.cursor.setVisible(step is not None)
        if step is not None:
            self.cursor.setPos(step)

