"""What the network computes over the input plane, for data sets with two inputs: the decision boundary.

The output is painted as a heatmap under the data points with the signed colour map of gui/colors.py (a sigmoid
output runs blue at 0 to red at 1, so the points' classes use the same two ends); a softmax output paints each
pixel in its winning class's colour, paler where the network is unsure. Beside it, each hidden neuron's output
over the same plane, which is how a learner sees the boundary being assembled from simpler pieces. The neurons are
tiles of one image, at most `THUMBNAIL_PIXELS` a side: as one full-resolution `ImageItem` each, 32 of them cost
6.7 ms a repaint (a colour table built per image), most of the decision-boundary view's share of the GUI's time
while training.

Two read-outs as in TensorFlow Playground, off by default: *Show test data* adds the validation points (diamonds
with a dark edge, where the training points are white-edged discs), and *Discretize output* paints the
predicted class instead of the probability (the accuracy's rule: a sigmoid output above 0.5, a softmax output's
arg-max; a regression has no classes, so the box is disabled and says why). Every point has an edge in contrast
with its fill, so a point stays visible on a region of its own colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.metrics import predicted_class
from gui.colors import INK, class_colors, point_brushes, signed_colormap, training_points, validation_points

from .style import plot_widget, side_by_side

THUMBNAIL_COLUMNS_MAX = 8
THUMBNAIL_PIXELS = 32  # a tile's side at most: tiles show at 20-40 px, and painting scales with the pixels drawn
GAP_X, GAP_Y = 0.1, 0.55  # between tiles, as a fraction of a tile; the vertical gap holds the neuron's index
LABEL_POINTS = 7
NAME_WIDTH = 1.0  # room for the layer's name left of its tiles, in tiles
DISCRETIZE_TIP = "Paint the predicted class (the accuracy's rule) instead of the network's probability."
NO_CLASSES_TIP = "A regression has no classes to discretize: the background shows the predicted value."


def softmax_image(probabilities: np.ndarray, discrete: bool = False) -> np.ndarray:
    """(h, w, k) class probabilities to (h, w, 3) RGB: the winner's colour, fading to white towards a tie unless
    `discrete` (then the winner's colour throughout)."""
    k = probabilities.shape[-1]
    colors = np.array([(c.red(), c.green(), c.blue()) for c in class_colors(k)], float)
    winner = predicted_class(probabilities)
    sure = 1.0 if discrete else (probabilities.max(axis=-1) - 1.0 / k) / (1.0 - 1.0 / k)
    sure = np.broadcast_to(sure, winner.shape)
    rgb = 255.0 + (colors[winner] - 255.0) * sure[..., None]
    return np.clip(rgb, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class Mosaic:
    """Neuron images as tiles of one array, a layer's tiles starting a new row, the first layer at the top (the
    view's y axis points up); room on the left for each layer's name and above each tile for its index."""

    image: np.ndarray
    origins: list[tuple[int, int]]  # (row, column) in `image` of each tile's first pixel
    size: int  # pixels of a tile's side
    gap: int  # pixels above each tile, where its index goes
    layers: list[tuple[str, int]]  # each layer's name and the row in `image` of its first tile's top

    def tile(self, k: int) -> np.ndarray:
        y, x = self.origins[k]
        return self.image[y : y + self.size, x : x + self.size]


def mosaic(layers: list[tuple[str, list[np.ndarray]]], columns: int) -> Mosaic:
    """Each layer's (res, res) images in rows of `columns`, each scaled by its own largest |value| to -1..1 (0 stays
    the middle of the map for every neuron), NaN (transparent) around them."""
    res = layers[0][1][0].shape[0]
    gap_x, gap_y, left = max(1, round(res * GAP_X)), max(1, round(res * GAP_Y)), round(res * NAME_WIDTH)
    rows = [math.ceil(len(images) / columns) for _, images in layers]
    height = sum(rows) * (res + gap_y)
    out = np.full((height, left + columns * (res + gap_x) - gap_x), np.nan)
    origins, names, top = [], [], height
    for (name, images), n_rows in zip(layers, rows, strict=True):
        names.append((name, top))
        for k, image in enumerate(images):
            row, col = divmod(k, columns)
            y, x = top - (row + 1) * (res + gap_y), left + col * (res + gap_x)
            out[y : y + res, x : x + res] = image / (float(np.abs(image).max()) or 1.0)
            origins.append((y, x))
        top -= n_rows * (res + gap_y)
    return Mosaic(out, origins, res, gap_y, names)


class BoundaryView(QWidget):
    option_toggled = Signal(str)  # the key in `options` of the box the user ticked or unticked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.plot = plot_widget(left="x2", bottom="x1")
        item = self.plot.getPlotItem()
        item.setAspectLocked(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(signed_colormap())
        self.points = training_points()
        self.test_points = validation_points()
        self.test_points.setVisible(False)
        item.addItem(self.image)
        item.addItem(self.points)
        item.addItem(self.test_points)
        self.show_test = QCheckBox("Show test data")
        self.show_test.setToolTip("Draw the validation points too, as diamonds: the network never trains on them.")
        self.discretize = QCheckBox("Discretize output")
        self.discretize.setToolTip(DISCRETIZE_TIP)
        self.boxes = {"show_test_data": self.show_test, "discretize": self.discretize}  # keys of `options`
        for key, box in self.boxes.items():
            box.toggled.connect(partial(self._option_toggled, key))
        self.thumbnail_view = pg.GraphicsLayoutWidget()
        self.thumbnail_view.setBackground("w")
        self.thumbnail_box = self.thumbnail_view.addViewBox(row=0, col=0, lockAspect=True, enableMouse=False)
        self.thumbnails = pg.ImageItem(axisOrder="row-major")
        self.thumbnails.setColorMap(signed_colormap())
        self.thumbnail_box.addItem(self.thumbnails)
        self._shape: list[tuple[str, int]] = []  # (layer name, neurons shown) of the labelled mosaic
        self.mosaic: Mosaic | None = None
        self._labels: list[pg.TextItem] = []
        self.thumbnail_note = self.thumbnail_view.addLabel("", row=1, col=0, color=INK)
        self.note = QLabel("The decision boundary needs a data set with two inputs.")
        self.note.setWordWrap(True)

        options = QHBoxLayout()
        options.addWidget(self.show_test)
        options.addWidget(self.discretize)
        options.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(options)
        layout.addWidget(side_by_side(self.plot, self.thumbnail_view), 1)
        layout.addWidget(self.note)
        self._task = "classification"
        self._n_classes = 2
        self._y_levels = (0.0, 1.0)
        self._shown: tuple[QRectF, np.ndarray] | None = None  # the last output drawn, redrawn when a box is ticked

    # ------------------------------------------------------------ the read-outs' boxes
    @property
    def options(self) -> dict[str, bool]:
        return {key: box.isChecked() for key, box in self.boxes.items()}

    def set_options(self, options: object) -> None:
        """Tick the boxes as `options` says, without `option_toggled`; it comes from a project file's free-form
        GUI state, so anything but a mapping to `true` is off."""
        known = options if isinstance(options, dict) else {}
        for key, box in self.boxes.items():
            box.blockSignals(True)
            box.setChecked(known.get(key) is True)
            box.blockSignals(False)
        self._apply_options()

    def _option_toggled(self, key: str, _checked: bool) -> None:
        self._apply_options()
        self.option_toggled.emit(key)

    def _apply_options(self) -> None:
        self.test_points.setVisible(self.show_test.isChecked())
        if self._shown is not None:
            self._draw_output(*self._shown)

    # ------------------------------------------------------------ data points
    def set_points(self, x: np.ndarray | None, y: np.ndarray | None, task: str = "classification",
                   n_classes: int = 2, val: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """The training points and the validation ones (`val`, shown when Show test data is ticked), or None when
        the data set does not have two inputs."""
        self._task, self._n_classes = task, n_classes
        classes = task == "classification"
        self.discretize.setEnabled(classes)
        self.discretize.setToolTip(DISCRETIZE_TIP if classes else NO_CLASSES_TIP)
        if x is None or y is None or x.shape[1] != 2:
            self.points.clear()
            self.test_points.clear()
            self.image.clear()
            self._shown = None
            self._clear_thumbnails()
            # no axes left over from the last data set
            self.plot.getPlotItem().getViewBox().setRange(xRange=(-1.0, 1.0), yRange=(-1.0, 1.0), padding=0)
            self.note.setVisible(True)
            return
        self.note.setVisible(False)
        if task != "classification":
            target = self._targets(y)
            lo, hi = float(target.min()), float(target.max())
            self._y_levels = (lo, hi if hi > lo else lo + 1.0)
        self.points.setData(x[:, 0], x[:, 1], brush=point_brushes(self._colors(y)))
        if val is None or len(val[0]) == 0:
            self.test_points.clear()
        else:
            vx, vy = val
            self.test_points.setData(vx[:, 0], vx[:, 1], brush=point_brushes(self._colors(vy)))

    @staticmethod
    def _targets(y: np.ndarray) -> np.ndarray:
        return np.asarray(y, float).reshape(len(y), -1)[:, 0]

    def _colors(self, y: np.ndarray) -> list:
        """Each sample's colour: its class's, or its target's on the training targets' scale (regression)."""
        if self._task == "classification":
            colors = class_colors(self._n_classes)
            return [colors[int(label)] for label in y]
        unit = (self._targets(y) - self._y_levels[0]) / (self._y_levels[1] - self._y_levels[0])
        return list(signed_colormap().map(unit, mode=pg.ColorMap.QCOLOR))

    # ------------------------------------------------------------ the network over the plane
    def set_boundary(self, extent: tuple[float, float, float, float], output: np.ndarray,
                     layers: list[tuple[str, list[np.ndarray]]], n_hidden: int) -> None:
        """`output` (res, res, n_outputs) rows along x2; `layers` each hidden layer's name and its neurons' (res, res)
        images."""
        x0, x1, y0, y1 = extent
        self._shown = QRectF(x0, y0, x1 - x0, y1 - y0), output
        self._draw_output(*self._shown)
        if not layers:
            self._clear_thumbnails()
            return
        shape = [(name, len(images)) for name, images in layers]
        columns = min(THUMBNAIL_COLUMNS_MAX, max(1, math.ceil(math.sqrt(sum(n for _, n in shape)))))
        step = math.ceil(layers[0][1][0].shape[0] / THUMBNAIL_PIXELS)
        self.mosaic = mosaic([(name, [image[::step, ::step] for image in images]) for name, images in layers], columns)
        self.thumbnails.setImage(self.mosaic.image, levels=(-1.0, 1.0), autoLevels=False)
        if shape != self._shape:
            self._label_thumbnails(shape, n_hidden)

    def _draw_output(self, rect: QRectF, output: np.ndarray) -> None:
        discrete = self.discretize.isChecked() and self._task == "classification"
        if output.shape[-1] == 1:
            levels = (0.0, 1.0) if self._task == "classification" else self._y_levels
            values = predicted_class(output).astype(float) if discrete else output[..., 0]
            self.image.setImage(values, levels=levels, autoLevels=False)
        else:
            # RGB bytes: levels (0, 255), not the (0, 1) a one-output boundary left behind (it turned all white)
            self.image.setImage(softmax_image(output, discrete), levels=(0, 255), autoLevels=False)
        self.image.setRect(rect)

    @property
    def thumbnail_names(self) -> list[str]:
        """The neurons shown, named as on the canvas ("h1[3]")."""
        return [f"{name}[{k}]" for name, n in self._shape for k in range(n)]

    def clear(self) -> None:
        self.image.clear()
        self.thumbnails.clear()
        self._shown = None

    def _clear_thumbnails(self) -> None:
        self.thumbnails.clear()
        self._label_thumbnails([], 0)

    def _label_thumbnails(self, shape: list[tuple[str, int]], n_hidden: int) -> None:
        """The layer's name left of its first row, each neuron's index above its tile (static text, cached)."""
        for label in self._labels:
            self.thumbnail_box.removeItem(label)
        self._labels = []
        m = self.mosaic
        font = QFont()
        font.setPointSize(LABEL_POINTS)
        texts = []
        if shape:
            assert m is not None, "a shape comes with the mosaic it was read from"
            texts = [(name, (0.0, top - m.gap - m.size / 2), (0.0, 0.5)) for name, top in m.layers]
            indices = [str(k) for _, n in shape for k in range(n)]
            texts += [(index, (x + m.size / 2, y + m.size + m.gap / 2), (0.5, 0.5))
                      for index, (y, x) in zip(indices, m.origins, strict=True)]
        for text, (x, y), anchor in texts:
            label = pg.TextItem(text, color=INK, anchor=anchor)
            label.setFont(font)
            label.setPos(x, y)
            label.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.thumbnail_box.addItem(label)
            self._labels.append(label)
        self._shape = shape
        shown = sum(n for _, n in shape)
        self.thumbnail_note.setText(f"first {shown} of {n_hidden} hidden neurons" if n_hidden > shown else "")
        if shape:
            self.thumbnail_box.autoRange(padding=0.02)
