"""The paths from a weight to the loss, largest |contribution| first, one row each, hoverable.

A row shows the path's neurons, its chain of factors with their values and its contribution, behind which a bar
proportional to |contribution| is coloured by sign. Two closing rows give the sum of the paths not listed and of
all paths (the gradient). Hovering a row asks for its weights to be highlighted on the canvas (`hovered`).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate, QStyleOptionViewItem, QTreeWidget, QTreeWidgetItem

from engine import BiasRef, ParamRef, WeightRef
from engine.explain import Explanation, Path
from gui.editor.painting import guarded_paint

from .render import NEGATIVE, POSITIVE, factor_chain, factor_lines, fmt, remainder_text

BAR_ROLE = Qt.ItemDataRole.UserRole + 1  # contribution / max |contribution|, signed
REFS_ROLE = Qt.ItemDataRole.UserRole + 2  # what hovering the row highlights
ALL_PATHS = "all"  # REFS_ROLE of the "all paths" row: the union of every path, computed when asked for


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
            colour = QColor(POSITIVE if share >= 0 else NEGATIVE)
            colour.setAlpha(48)
            painter.fillRect(rect, colour)
        super().paint(painter, option, index)


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
        self.setColumnWidth(0, 96)
        self.setToolTip("Hover a path to highlight it on the canvas")
        self.itemEntered.connect(lambda item, _column: self.hovered.emit(item.data(0, REFS_ROLE)))

    def show_paths(self, e: Explanation) -> None:
        self.clear()
        pf = e.paths
        biggest = max((abs(p.contribution) for p in pf.paths), default=0.0) or 1.0
        items = []
        for n, path in enumerate(pf.paths, 1):
            item = QTreeWidgetItem([fmt(path.contribution), f"{n}. {path.name}\n{factor_chain(path)}"])
            item.setData(0, BAR_ROLE, path.contribution / biggest)
            item.setData(0, REFS_ROLE, path_refs(e, path))
            item.setForeground(0, QColor(POSITIVE if path.contribution >= 0 else NEGATIVE))
            item.setToolTip(1, factor_lines(path))
            items.append(item)
        if pf.remainder_count:
            rest = QTreeWidgetItem([fmt(pf.remainder), f"{remainder_text(e)} ({pf.remainder_method})"])
            rest.setToolTip(1, "Summed exactly, not as the gradient minus the listed paths")
            _style(rest, italic=True)
            items.append(rest)
        symbol = "∂L/∂b" if isinstance(e.ref, BiasRef) else "∂L/∂w"
        paths = f"all {pf.count} path{'s' if pf.count != 1 else ''}"
        total = QTreeWidgetItem([fmt(pf.total), f"{paths} together: {symbol}"])
        total.setData(0, REFS_ROLE, ALL_PATHS)
        total.setToolTip(1, "Hover to highlight every path on the canvas")
        _style(total, bold=True)
        items.append(total)
        self.addTopLevelItems(items)

    def leaveEvent(self, event) -> None:
        self.hovered.emit(None)
        super().leaveEvent(event)


def _style(item: QTreeWidgetItem, *, bold: bool = False, italic: bool = False) -> None:
    font = QFont(item.font(1))
    font.setBold(bold)
    font.setItalic(italic)
    for column in (0, 1):
        item.setFont(column, font)
