"""The batch's samples as a table: why a batch-mean gradient is what it is, in numbers that multiply out.

Each row is one sample n: ∂a_j/∂w (h_i), δ_j's factors (f′(a_j) and Σ_k w_jk δ_k, or the loss's own factors at the
output), δ_j and the product h_i · δ_j, to `DIGITS` significant digits; the last row is the products' mean, the
gradient training uses. Batch means of the factors never multiply to the mean of the products; these rows do.

A table widget rather than rich text: Qt lays out a rich-text table of a 64-sample batch (450 cells) in about
0.2 s, a table widget in a few milliseconds.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from engine.explain import Explanation, Quantity
from gui.colors import text_ink

from .render import fmt, is_bias

DIGITS = 4  # seven columns of them fit a 360-pixel dock
PAD = 4  # pixels either side of a column's widest text (the style draws 3 of them as its margin)
MAX_ROWS = 17  # the table grows with its rows up to this many (16 samples and the mean), then scrolls
HEADERS = {"f'(a)": "f′(aⱼ)", "Σ w·δ": "Σ wⱼₖδₖ", "∂L/∂ŷ": "∂L/∂ŷ", "∂ŷ/∂a": "∂ŷ/∂a", "∂L/∂a": "∂L/∂a"}


def columns(e: Explanation) -> list[tuple[str, Quantity]]:
    """The table's columns after n: (header, per-sample quantity); the last is the product, whose mean is dL/dw."""
    loc = e.local
    bias = is_bias(e)
    cols = [] if bias else [("hᵢ", loc.source)]
    cols += [(HEADERS.get(q.symbol, q.symbol), q) for q in loc.delta_factors]
    return cols + ([("δⱼ", loc.product)] if bias else [("δⱼ", loc.delta), ("hᵢ·δⱼ", loc.product)])


def _number(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class BatchTable(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.verticalHeader().hide()
        self.setShowGrid(False)
        self.setWordWrap(False)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.8)  # seven columns of numbers in a narrow dock
        self.setFont(font)
        self.horizontalHeader().setMinimumSectionSize(16)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)  # to copy numbers
        self.setAlternatingRowColors(True)
        self.setToolTip("One row per sample of the batch: each row's factors multiply to its product, and the mean of "
                        "the products is the gradient")
        self._shown: Explanation | None = None

    def show_batch(self, e: Explanation) -> None:
        self._shown = e
        cols = columns(e)
        ink = text_ink(self.palette())
        self.clear()
        self.clearSpans()
        self.setColumnCount(len(cols) + 1)
        self.setRowCount(e.n_samples + 1)
        self.setHorizontalHeaderLabels(["n", *(name for name, _ in cols)])
        product = cols[-1][1]
        for n in range(e.n_samples):
            self.setItem(n, 0, QTableWidgetItem(str(n)))
            for c, (_, q) in enumerate(cols, 1):
                self.setItem(n, c, _number(fmt(float(q.samples[n]), DIGITS)))
            self._colour(self.item(n, len(cols)), float(product.samples[n]), ink)
        mean = [QTableWidgetItem("mean"), _number(fmt(e.local.gradient, 8))]
        for item in mean:
            font = QFont(item.font())
            font.setBold(True)
            item.setFont(font)
        self.setItem(e.n_samples, 0, mean[0])
        self.setItem(e.n_samples, len(cols) - 1, mean[1])
        self._colour(mean[1], e.local.gradient, ink)
        self.setSpan(e.n_samples, len(cols) - 1, 1, 2)  # the gradient's 8 digits, under the products
        self._fit_columns()
        self.resizeRowsToContents()
        shown = min(self.rowCount(), MAX_ROWS)
        height = sum(self.rowHeight(k) for k in range(shown))
        self.setFixedHeight(height + self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth() + 2)

    def _fit_columns(self) -> None:
        """Each column as wide as its widest text and a little air: the style's own margins and the header's
        would push seven columns of numbers past a narrow dock."""
        bold = QFont(self.font())
        bold.setBold(True)
        plain, strong = QFontMetrics(self.font()), QFontMetrics(bold)
        for c in range(self.columnCount()):
            header = self.horizontalHeaderItem(c)
            texts = [strong.horizontalAdvance(header.text()) if header else 0]
            texts += [(strong if item.font().bold() else plain).horizontalAdvance(item.text())
                      for r in range(self.rowCount())
                      if (item := self.item(r, c)) is not None and self.columnSpan(r, c) == 1]
            self.setColumnWidth(c, max(texts) + 2 * PAD)

    @staticmethod
    def _colour(item: QTableWidgetItem | None, value: float, ink) -> None:
        if item is not None:
            item.setForeground(QColor(ink.positive if value >= 0 else ink.negative))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and self._shown is not None:
            self.show_batch(self._shown)
