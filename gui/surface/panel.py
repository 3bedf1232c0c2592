"""The Loss surface dock: a 2-D landscape with contours for two weights, or two curves for one weight.

It shows what it is handed (an engine `Surface`, a `GradientSlice`, a path) and reads nothing itself, so the
feature decides when to compute and the panel can be looked at in a test as the user sees it.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from engine.surface import GradientSlice, Surface
from gui.colors import INK, PALETTE, error_color, magnitude_colormap
from gui.plots.style import curve, plot_widget, side_by_side

CONTOURS = (0.05, 0.15, 0.3, 0.5, 0.7, 0.9)  # quantiles of the grid's loss: lines where the valley is, whatever
# the loss's scale (evenly spaced levels put every line on a steep wall and none on the floor)
PATH = PALETTE[3]
POINT = PALETTE[2]
EMPTY = ("Select one weight (or a neuron, for its bias) on the canvas for the loss along it, or two for the loss "
         "over both (Ctrl+click adds to the selection).")


class SurfacePanel(QWidget):
    recompute_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.recompute = QPushButton("Recompute")
        self.recompute.setToolTip("Compute the surface again from the current weights and the last batch")
        self.recompute.clicked.connect(self.recompute_requested)

        self.empty = QLabel(EMPTY)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.plane = plot_widget(min_height=160)
        self.image = pg.ImageItem(axisOrder="col-major")  # image[i, k] at (axes[0][i], axes[1][k]), as the engine
        self.image.setColorMap(magnitude_colormap())
        plane = self.plane.getPlotItem()
        plane.addItem(self.image)
        self.contours = [pg.IsocurveItem(level=0.0, pen=pg.mkPen(INK, width=1), axisOrder="col-major")
                         for _ in CONTOURS]
        for item in self.contours:
            plane.addItem(item)
        self.path = curve(plane, PATH, None)
        self.point = pg.ScatterPlotItem(size=11, symbol="o", pen=pg.mkPen(INK), brush=pg.mkBrush(POINT))
        plane.addItem(self.point)

        self.along = plot_widget(left="loss", min_height=160)
        self.along_curve = curve(self.along.getPlotItem(), PALETTE[0])
        self.along_point = pg.ScatterPlotItem(size=10, pen=pg.mkPen(INK), brush=pg.mkBrush(POINT))
        self.along.addItem(self.along_point)
        self.step = plot_widget(left="loss", bottom="t  (w − t·α·∇L)", min_height=160)
        step = self.step.getPlotItem()
        self.step_curve = curve(step, PALETTE[1])
        self.step_points = pg.ScatterPlotItem(size=10, pen=pg.mkPen(INK), brush=pg.mkBrush(POINT))
        step.addItem(self.step_points)
        self.sgd_line = pg.InfiniteLine(pos=1.0, angle=90, label="SGD step (t = 1)",
                                        labelOpts={"position": 0.95, "color": INK, "anchors": [(0, 0), (0, 0)]},
                                        pen=pg.mkPen(INK, style=Qt.PenStyle.DashLine))
        step.addItem(self.sgd_line, ignoreBounds=True)

        self.line_page = side_by_side(self.along, self.step)
        self.pages = QStackedWidget()
        for page in (self.empty, self.plane, self.line_page):
            self.pages.addWidget(page)
        bar = QHBoxLayout()
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.recompute)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.notice)
        layout.addWidget(self.pages, 1)
        layout.addLayout(bar)
        self.show_notice(None)
        self.show_empty(EMPTY)

    # ------------------------------------------------------------------ what is shown
    def show_notice(self, text: str | None, *, error: bool = False) -> None:
        """A line above the plots: why nothing is computed now (training runs), or what went wrong."""
        self.notice.setVisible(bool(text))
        self.notice.setText(text or "")
        self.notice.setStyleSheet(f"color: {error_color(self.palette())};" if error else "")

    def show_empty(self, text: str, *, error: bool = False) -> None:
        self.empty.setText(text)
        self.empty.setStyleSheet(f"color: {error_color(self.palette())};" if error else "")
        self.caption.setText("")
        self.pages.setCurrentWidget(self.empty)

    def show_plane(self, surface: Surface, path: np.ndarray | None, caption: str) -> None:
        """Two weights: the loss as an image with contours, the current point, and the run's path (n, 2) if any."""
        (xs, ys), loss = surface.axes, surface.loss
        dx, dy = xs[1] - xs[0], ys[1] - ys[0]
        finite = loss[np.isfinite(loss)]
        levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        self.image.setImage(loss, levels=levels, autoLevels=False)
        # pixel i covers axes[0][i] ± dx/2; a contour's vertex at index i lies at axes[0][i] itself
        self.image.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys)))
        grid = QTransform(dx, 0, 0, dy, xs[0], ys[0])
        for item, q in zip(self.contours, CONTOURS, strict=True):
            item.setData(loss, float(np.quantile(finite, q)) if finite.size else 0.0)
            item.setTransform(grid)
        self.point.setData([surface.center[0]], [surface.center[1]])
        if path is None:
            self.path.setData([], [])
        else:
            self.path.setData(path[:, 0], path[:, 1])
        plane = self.plane.getPlotItem()
        plane.setLabel("bottom", surface.names[0])
        plane.setLabel("left", surface.names[1])
        plane.autoRange()
        self.caption.setText(caption)
        self.pages.setCurrentWidget(self.plane)

    def show_line(self, surface: Surface, gradient: GradientSlice, caption: str) -> None:
        """One weight: the loss along it with the current point, and along the gradient step with t = 0 and t = 1."""
        self.along.getPlotItem().setLabel("bottom", surface.names[0])
        self.along_curve.setData(surface.axes[0], surface.loss)
        self.along_point.setData([surface.center[0]], [surface.center_loss])
        self.step_curve.setData(gradient.t, gradient.loss)
        at = [float(np.interp(t, gradient.t, gradient.loss)) for t in (0.0, 1.0)]
        self.step_points.setData([0.0, 1.0], at)
        for plot in (self.along, self.step):
            plot.getPlotItem().autoRange()
        self.caption.setText(caption)
        self.pages.setCurrentWidget(self.line_page)
