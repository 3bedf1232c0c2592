"""The confusion matrix of a classifier, live: which classes the network mixes up, on the training or the
validation data.

Each cell counts the samples of an actual class (row) the network assigns to a predicted class (column), by the
accuracy's rule (engine.metrics.predicted_class), so the diagonal sums to the accuracy's count. The colour is the
cell's share of its row: a class the network gets mostly right has a dark diagonal cell whatever its size, which raw
counts would hide for a small class. Clicking a cell picks its samples out in the Data preview, through the
document's sample selection (the one owner of which samples are picked; the preview follows it).

A table rather than a plot: its cells are the numbers themselves, readable, selectable and clickable by row and
column without mapping mouse positions to an image.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.studio import Confusion, Document, Readouts, SampleSelection
from gui.colors import INK, TRAIN
from gui.follow import follow

SPLITS = {"train": "Training data", "validation": "Validation data"}
WHITE_TEXT_ABOVE = 0.55  # a cell's row share past which its count is written in white on the dark fill
HINT = "Rows: actual class; columns: predicted class; colour: share of the row. Click a cell to select its samples."
NO_CLASSES = "A confusion matrix needs a classification: this network's loss is a regression's."
NO_VALIDATION = "No data are held out for validation (the Data tab's validation fraction is 0)."


SHARES = pg.ColorMap([0.0, 1.0], [QColor("white"), QColor(TRAIN)])  # a cell's share of its row: none → all


def cell_color(share: float) -> QColor:
    return SHARES.map(share, mode=SHARES.QCOLOR)


class ConfusionView(QWidget):
    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.split = QComboBox()
        for key, text in SPLITS.items():
            self.split.addItem(text, key)
        self.split.setToolTip("Count the training samples, or the held-out validation samples")
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        for header in (self.table.horizontalHeader(), self.table.verticalHeader()):
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setToolTip("predicted class")
        self.table.verticalHeader().setToolTip("actual class")
        self.note = QLabel(HINT)
        self.note.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.split)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        self.names: tuple[str, ...] = ()
        self._shown: Readouts | None = None
        self.split.currentIndexChanged.connect(self._draw)
        self.table.cellClicked.connect(self._cell_clicked)
        self.table.cellActivated.connect(self._cell_clicked)  # Enter on the current cell, for the keyboard
        follow(self, document.events.sample_selection_changed, self._samples_picked)

    @property
    def confusion(self) -> Confusion | None:
        """The matrix on screen: the shown read-outs' of the chosen split (None: nothing, or not a classifier)."""
        return None if self._shown is None else self._shown.confusion.get(self.split.currentData())

    def set_class_names(self, names: tuple[str, ...]) -> None:
        """The data set's class names, in class order (a sigmoid output's two classes included)."""
        self.names = tuple(names)
        self._draw()

    def show_readouts(self, readouts: Readouts) -> None:
        self._shown = readouts
        self._draw()

    def clear(self) -> None:
        self._shown = None
        self._draw()

    def _name(self, k: int) -> str:
        return self.names[k] if k < len(self.names) else str(k)

    def _draw(self) -> None:
        shown, confusion = self._shown, self.confusion
        if confusion is None:
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.note.setText(HINT if shown is None else NO_CLASSES if shown.scores else NO_VALIDATION)
            return
        self.note.setText(HINT)
        matrix = confusion.matrix
        k = len(matrix)
        if self.table.rowCount() != k:
            self.table.setRowCount(k)
            self.table.setColumnCount(k)
            for i in range(k):
                for j in range(k):
                    cell = QTableWidgetItem()
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.table.setItem(i, j, cell)
        labels = [self._name(i) for i in range(k)]
        self.table.setHorizontalHeaderLabels(labels)
        self.table.setVerticalHeaderLabels(labels)
        rows = matrix.sum(axis=1, keepdims=True)
        shares = matrix / np.maximum(rows, 1)
        for i in range(k):
            for j in range(k):
                item = self.table.item(i, j)
                assert item is not None, "every cell got an item when the table took this size"
                share = float(shares[i, j])
                item.setText(str(int(matrix[i, j])))
                item.setBackground(cell_color(share))
                item.setForeground(QColor("white" if share > WHITE_TEXT_ABOVE else INK))
                item.setToolTip(f"actual {labels[i]}, predicted {labels[j]}: {int(matrix[i, j])} of {int(rows[i, 0])} "
                                f"samples ({share:.0%} of the row)")

    def _samples_picked(self, selection: SampleSelection) -> None:
        """The document's selection went (new data): the cell that chose it is no longer marked."""
        if not selection.indices:
            self.table.clearSelection()

    def _cell_clicked(self, row: int, column: int) -> None:
        confusion = self.confusion
        if confusion is None:
            return
        label = f"actual {self._name(row)}, predicted {self._name(column)}"
        self.document.select_samples(SampleSelection(self.split.currentData(), confusion.samples(row, column), label))
