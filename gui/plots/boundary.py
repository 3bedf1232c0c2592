"""What the network computes over the input plane, for data sets with two inputs: the decision boundary.

The output is painted as a heatmap under the data points with the signed colour map of gui/colors.py (a sigmoid
output runs blue at 0 to red at 1, so the points' classes use the same two ends); a softmax output paints each
pixel in its winning class's colour, paler where the network is unsure. Beside it, each hidden neuron's output
over the same plane, which is how a learner sees the boundary being assembled from simpler pieces.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.colors import signed_colormap

from .style import INK, PALETTE, plot_widget, side_by_side

THUMBNAIL_COLUMNS_MAX = 8


def class_colors(n_classes: int) -> list[QColor]:
    """Two classes take the ends of the signed map (matching a sigmoid heatmap), more take the palette."""
    if n_classes <= 2:
        cmap = signed_colormap()
        return [cmap.map(x, mode=pg.ColorMap.QCOLOR) for x in (0.0, 1.0)]
    return [QColor(PALETTE[k % len(PALETTE)]) for k in range(n_classes)]


def softmax_image(probabilities: np.ndarray) -> np.ndarray:
    """(h, w, k) class probabilities to (h, w, 3) RGB: the winner's colour, fading to white towards a tie."""
    k = probabilities.shape[-1]
    colors = np.array([c.getRgb()[:3] for c in class_colors(k)], float)
    winner = probabilities.argmax(axis=-1)
    sure = (probabilities.max(axis=-1) - 1.0 / k) / (1.0 - 1.0 / k)
    rgb = 255.0 + (colors[winner] - 255.0) * sure[..., None]
    return np.clip(rgb, 0, 255).astype(np.uint8)


class BoundaryView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = plot_widget(left="x2", bottom="x1")
        item = self.plot.getPlotItem()
        item.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(signed_colormap())
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen(INK, width=0.5))
        item.addItem(self.image)
        item.addItem(self.points)
        self.thumbnail_view = pg.GraphicsLayoutWidget()
        self.thumbnail_view.setBackground("w")
        self.thumbnails: list[tuple[str, pg.ImageItem]] = []
        self.note = QLabel("The decision boundary needs a data set with two inputs.")
        self.note.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(side_by_side(self.plot, self.thumbnail_view), 1)
        layout.addWidget(self.note)
        self._task = "classification"
        self._y_levels = (0.0, 1.0)

    # ------------------------------------------------------------ data points
    def set_points(self, x: np.ndarray | None, y: np.ndarray | None, task: str = "classification",
                   n_classes: int = 2) -> None:
        """The training points, or None when the data set does not have two inputs."""
        self._task = task
        if x is None or x.shape[1] != 2:
            self.points.clear()
            self.image.clear()
            self._clear_thumbnails()
            self.note.setVisible(True)
            return
        self.note.setVisible(False)
        if task == "classification":
            colors = class_colors(n_classes)
            brushes = [pg.mkBrush(colors[int(label)]) for label in y]
        else:
            target = np.asarray(y, float).reshape(len(y), -1)[:, 0]
            lo, hi = float(target.min()), float(target.max())
            self._y_levels = (lo, hi if hi > lo else lo + 1.0)
            unit = (target - self._y_levels[0]) / (self._y_levels[1] - self._y_levels[0])
            cmap = signed_colormap()
            brushes = [pg.mkBrush(c) for c in cmap.map(unit, mode=pg.ColorMap.QCOLOR)]
        self.points.setData(x[:, 0], x[:, 1], brush=brushes)

    # ------------------------------------------------------------ the network over the plane
    def set_boundary(self, extent: tuple[float, float, float, float], output: np.ndarray,
                     neurons: list[tuple[str, np.ndarray]], n_hidden: int) -> None:
        """`output` (res, res, n_outputs) rows along x2; `neurons` (name, (res, res)) per hidden neuron."""
        x0, x1, y0, y1 = extent
        rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        if output.shape[-1] == 1:
            levels = (0.0, 1.0) if self._task == "classification" else self._y_levels
            self.image.setImage(output[..., 0], levels=levels, autoLevels=False)
        else:
            self.image.setImage(softmax_image(output), autoLevels=False)
        self.image.setRect(rect)
        if [name for name, _ in neurons] != [name for name, _ in self.thumbnails]:
            self._build_thumbnails([name for name, _ in neurons], n_hidden)
        for (_, values), (_, thumb) in zip(neurons, self.thumbnails, strict=True):
            m = float(np.abs(values).max()) or 1.0  # symmetric levels: 0 is grey for every activation
            thumb.setImage(values, levels=(-m, m), autoLevels=False)
            thumb.setRect(rect)

    def clear(self) -> None:
        self.image.clear()
        for _, thumb in self.thumbnails:
            thumb.clear()

    def _clear_thumbnails(self) -> None:
        self.thumbnail_view.clear()
        self.thumbnails = []

    def _build_thumbnails(self, names: list[str], n_hidden: int) -> None:
        self._clear_thumbnails()
        columns = min(THUMBNAIL_COLUMNS_MAX, max(1, math.ceil(math.sqrt(len(names)))))
        cmap = signed_colormap()
        for k, name in enumerate(names):
            row, col = divmod(k, columns)
            self.thumbnail_view.addLabel(name, row=2 * row, col=col, color=INK, size="8pt")
            box = self.thumbnail_view.addViewBox(row=2 * row + 1, col=col, lockAspect=True, enableMouse=False)
            thumb = pg.ImageItem(axisOrder="row-major")
            thumb.setColorMap(cmap)
            box.addItem(thumb)
            self.thumbnails.append((name, thumb))
        if n_hidden > len(names):
            self.thumbnail_view.addLabel(f"first {len(names)} of {n_hidden} hidden neurons",
                                         row=2 * math.ceil(len(names) / columns), col=0, colspan=columns, color=INK)
