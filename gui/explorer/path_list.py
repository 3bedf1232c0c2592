"""The paths from a weight to the loss, largest |contribution| first, one row each, hoverable.

A row shows the path's neurons, its chain of factors with their values and its contribution, behind which a bar
proportional to |contribution| is coloured by sign. Two closing rows give the sum of the paths not listed and of
all paths (the gradient). Hovering a row asks for its weights to be highlighted on the canvas (`hovered`).

The path column is rich text (`render.path_row`) drawn by `_RichDelegate`, wrapped to the column's width: a long
chain of factors takes more lines in a narrow dock rather than being cut off with "…". The list is as tall as its
first `max_rows` rows (then scrolls), refitted when its width changes the rows' heights.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QFont, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
)

from engine import BiasRef, ParamRef, WeightRef
from engine.explain import Explanation, Path
from gui.colors import text_ink
from gui.editor.painting import guarded_paint

from .render import factor_lines, fmt, path_row, remainder_text

BAR_ROLE = Qt.ItemDataRole.UserRole + 1  # contribution / max |contribution|, signed
REFS_ROLE = Qt.ItemDataRole.UserRole + 2  # what hovering the row highlights
ALL_PATHS = "all"  # REFS_ROLE of the "all paths" row: the union of every path, computed when asked for
PAD = 3  # around a rich-text cell's text
MAX_DOCUMENTS = 512  # laid-out rows kept (`_RichDelegate.documents`): a few widths of a 10⁶-path weight's rows


def path_refs(e: Explanation, path: Path) -> list[ParamRef]:
    """The explained weight, the path's weights and its neurons (as bias refs, which the scene marks)."""
    own: list[ParamRef] = [e.ref] if isinstance(e.ref, WeightRef) else []
    weights = [q.ref for q in path.factors if q.ref is not None]
    return own + weights + [BiasRef(lid, k) for lid, k in path.neurons]


class _BarDelegate(QStyledItemDelegate):
    @guarded_paint
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        share = index.data(BAR_ROLE)
        if share is not None:
            rect: QRect = option.rect.adjusted(2, 3, -2, -3)
            rect.setWidth(max(1, round(rect.width() * min(abs(share), 1.0))))
            ink = text_ink(option.palette)
            colour = QColor(ink.positive if share >= 0 else ink.negative)
            colour.setAlpha(48)
            painter.fillRect(rect, colour)
        super().paint(painter, option, index)


class _RichDelegate(QStyledItemDelegate):
    """Draws the cell's text as rich text, wrapped to the column's width; its height follows."""

    def __init__(self, tree: QTreeWidget):
        super().__init__(tree)
        self.tree = tree
        # laid-out documents by (text, width, font): Qt asks each row's size several times and then paints it, and
        # laying out a row's rich text anew each time made showing a 10⁶-path weight's 50 rows a long turn
        self.documents: dict[tuple[str, int, str], QTextDocument] = {}

    def _document(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex,
                  width: int) -> QTextDocument:
        html, width = index.data() or "", max(width, 1)
        key = (html, width, option.font.key())
        if (doc := self.documents.get(key)) is None:
            if len(self.documents) >= MAX_DOCUMENTS:  # a dock dragged narrower and wider lays them out anew
                self.documents.clear()
            doc = self.documents[key] = QTextDocument()
            doc.setDocumentMargin(PAD)
            doc.setDefaultFont(option.font)
            doc.setHtml(html)
            doc.setTextWidth(width)
        return doc

    @guarded_paint
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        doc = self._document(opt, index, opt.rect.width())
        context = QAbstractTextDocumentLayout.PaintContext()
        context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(QPalette.ColorRole.Text))
        painter.save()
        painter.translate(opt.rect.topLeft())
        painter.setClipRect(opt.rect.translated(-opt.rect.topLeft()))
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = self.tree.columnWidth(index.column())
        return QSize(width, math.ceil(self._document(opt, index, width).size().height()))


class PathList(QTreeWidget):
    hovered = Signal(object)  # the refs of the row under the mouse, ALL_PATHS, or None when it left the list

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["contribution", "path: its factors, loss first"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setMouseTracking(True)  # itemEntered while merely hovering
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setItemDelegateForColumn(0, _BarDelegate(self))
        self._rich = _RichDelegate(self)
        self.setItemDelegateForColumn(1, self._rich)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the text wraps instead
        self.setColumnWidth(0, 84)
        self.max_rows = 8  # the list grows with its rows up to this many, then scrolls
        self._fitted_width = -1
        self.setToolTip("Hover a path to highlight it on the canvas")
        self.itemEntered.connect(lambda item, _column: self.hovered.emit(item.data(0, REFS_ROLE)))

    def show_paths(self, e: Explanation) -> None:
        self.clear()
        self._rich.documents.clear()  # only the rows shown are kept
        pf = e.paths
        biggest = max((abs(p.contribution) for p in pf.paths), default=0.0) or 1.0
        items = []
        for n, path in enumerate(pf.paths, 1):
            item = QTreeWidgetItem([fmt(path.contribution), path_row(n, path)])
            item.setData(0, BAR_ROLE, path.contribution / biggest)
            item.setData(0, REFS_ROLE, path_refs(e, path))
            item.setData(0, Qt.ItemDataRole.UserRole, path.contribution)  # its sign colours the number
            item.setToolTip(1, factor_lines(path))
            items.append(item)
        if pf.remainder_count:
            rest = QTreeWidgetItem([fmt(pf.remainder), f"{remainder_text(e)} ({pf.remainder_method})"])
            rest.setToolTip(1, "Summed exactly, not as the gradient minus the listed paths")
            _style(rest, italic=True)
            items.append(rest)
        symbol = "∂L/∂b" if isinstance(e.ref, BiasRef) else "∂L/∂w"
        paths = f"all {pf.count} path{'s' if pf.count != 1 else ''}"
        if e.penalty is not None:  # the paths give the data loss's part; the penalty adds its own term
            term = QTreeWidgetItem([fmt(e.penalty.value), f"+ penalty {e.penalty.formula}"])
            term.setData(0, Qt.ItemDataRole.UserRole, e.penalty.value)
            term.setToolTip(1, f"The weight's {e.penalty.penalty} adds this to the data loss's gradient")
            items.append(term)
            paths += " + the penalty"
        together = pf.total + (e.penalty.value if e.penalty is not None else 0.0)
        total = QTreeWidgetItem([fmt(together), f"{paths} together: {symbol}"])
        total.setData(0, REFS_ROLE, ALL_PATHS)
        total.setToolTip(1, "Hover to highlight every path on the canvas")
        _style(total, bold=True)
        items.append(total)
        self.addTopLevelItems(items)
        self._colour_numbers()
        self.fit()

    def _colour_numbers(self) -> None:
        """The contributions in the palette's blue or red, by sign."""
        ink = text_ink(self.palette())
        for k in range(self.topLevelItemCount()):
            item = self.topLevelItem(k)
            if item is not None and (value := item.data(0, Qt.ItemDataRole.UserRole)) is not None:
                item.setForeground(0, QColor(ink.positive if value >= 0 else ink.negative))

    def fit(self) -> None:
        """As tall as the first `max_rows` rows at the current width."""
        self._fitted_width = self.viewport().width()
        self.doItemsLayout()  # the rows' heights depend on the width they wrap to
        shown = min(self.topLevelItemCount(), self.max_rows)
        height = sum(self.sizeHintForIndex(self.model().index(k, 1)).height() for k in range(shown))
        self.setFixedHeight(height + self.header().height() + 2 * self.frameWidth() + 4)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.viewport().width() != self._fitted_width:
            self.fit()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._colour_numbers()

    def leaveEvent(self, event) -> None:
        self.hovered.emit(None)
        super().leaveEvent(event)


def _style(item: QTreeWidgetItem, *, bold: bool = False, italic: bool = False) -> None:
    font = QFont(item.font(1))
    font.setBold(bold)
    font.setItalic(italic)
    for column in (0, 1):
        item.setFont(column, font)
