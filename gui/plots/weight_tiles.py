"""Each hidden neuron's incoming weights from an image's pixels, drawn as that image: what the neuron looks for.

A neuron fed by the 64 pixels of an 8×8 digit has 64 weights, one per pixel; laid out as the image they multiply,
they show the strokes the neuron responds to (red: ink there raises its input, blue: lowers it, grey: no effect).
Only a data set that declares its inputs an image (`Dataset.image_shape`, e.g. the bundled digits) is drawn so:
64 numbers need not be 8×8 pixels, and a square count alone would be a guess.

All tiles share one colour scale, symmetric around 0 (the map's middle grey), so a grey tile is a neuron with small
weights, not one drawn at another scale. The view follows the document's snapshots itself, live while training and
for a recorded step; hidden, it keeps only the latest snapshot and draws it when shown.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.studio import Document, LoadedData, Snapshot
from gui.colors import signed_colormap
from gui.follow import follow

GAP = 1  # pixels between tiles, transparent


def tile_grid(images: list[np.ndarray], columns: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The images in rows of `columns`, left to right and top to bottom, NaN (transparent) between them; the
    array and each image's (row, column) of its top-left pixel."""
    rows_px, cols_px = images[0].shape
    rows = math.ceil(len(images) / columns)
    out = np.full((rows * (rows_px + GAP) - GAP, columns * (cols_px + GAP) - GAP), np.nan)
    origins = []
    for k, image in enumerate(images):
        row, col = divmod(k, columns)
        y, x = row * (rows_px + GAP), col * (cols_px + GAP)
        out[y : y + rows_px, x : x + cols_px] = image
        origins.append((y, x))
    return out, origins


class WeightTilesView(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground("w")
        self.box = self.view.addViewBox(lockAspect=True, enableMouse=False, invertY=True)  # row 0 at the top
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setColorMap(signed_colormap())
        self.box.addItem(self.image)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.note)
        self.image_shape: tuple[int, int] | None = None
        self.names: list[str] = []  # the neuron of each tile, named as on the canvas ("h1[3]")
        self.origins: list[tuple[int, int]] = []
        self.scale = 0.0  # the largest |weight| shown: the colour map runs from -scale to +scale
        self._pending: Snapshot | None = None
        events = document.events
        follow(self, events.data_loaded, self._data_loaded)
        follow(self, events.snapshot_published, self._snapshot)
        follow(self, events.project_replaced, lambda _project: self._set_shape(None))
        self._set_shape(None)

    def tile(self, k: int) -> np.ndarray:
        """The pixels of the k-th tile as drawn."""
        assert self.image_shape is not None and self.image.image is not None
        (y, x), (h, w) = self.origins[k], self.image_shape
        return np.asarray(self.image.image[y : y + h, x : x + w])

    def _data_loaded(self, data: LoadedData) -> None:
        self._set_shape(data.train.image_shape)
        if self.document.snapshot is not None:
            self._snapshot(self.document.snapshot)

    def _set_shape(self, shape: tuple[int, int] | None) -> None:
        self.image_shape = shape
        self._pending = None
        self.image.clear()
        self.names, self.origins = [], []
        self.note.setText("" if shape else "Weight images need a data set whose inputs are an image's pixels, such as "
                          "the bundled 8×8 digits (Examples → Digits).")

    def _snapshot(self, snap: Snapshot) -> None:
        if self.image_shape is None:
            return
        self._pending = snap
        if self.isVisible():
            self._draw()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._draw()

    def _draw(self) -> None:
        snap, self._pending = self._pending, None
        if snap is None or self.image_shape is None:
            return
        net = self.document.network
        pixels = self.image_shape[0] * self.image_shape[1]
        inputs = {layer.id for layer in net.layers_of_kind("input")}
        images, names = [], []
        for cid, w in snap.weights.items():  # every layer the input layer feeds directly, in the connections' order
            conn = net.connections.get(cid)
            if conn is None or conn.source not in inputs or w.shape[0] != pixels:
                continue
            target = net.layer(conn.target).name
            images += [w[:, j].reshape(self.image_shape) for j in range(w.shape[1])]
            names += [f"{target}[{j}]" for j in range(w.shape[1])]
        if not images:
            self.image.clear()
            self.names, self.origins = [], []
            self.note.setText(f"The input layer needs {pixels} neurons, one per pixel, and a layer it feeds.")
            return
        grid, self.origins = tile_grid(images, math.ceil(math.sqrt(len(images))))
        self.scale = float(np.nanmax(np.abs(grid))) or 1.0
        self.image.setImage(grid, levels=(-self.scale, self.scale), autoLevels=False)
        if names != self.names:
            self.names = names
            self.box.autoRange(padding=0.02)
        self.note.setText(f"{len(images)} neurons' incoming weights, {names[0]} top left, row by row; "
                          f"blue −{self.scale:.2g}, grey 0, red +{self.scale:.2g}")
