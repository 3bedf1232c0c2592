"""Shared pieces of the explorer tests: small projects on CSV data written out in the test, and text helpers.

Holds no test itself. Every expected number in the explorer tests comes from the explicit formulas in the tests
(or is written out by hand there), never from the engine's explainer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget, QWidget

from engine import History, Network, TrainSettings
from engine.project import DataSpec, Project

WAIT = 10_000


def csv_data(folder: Path, rows: list[tuple[float, ...]], task: str) -> DataSpec:
    """Every row in the training set (no validation split), the last column the target."""
    path = folder / "data.csv"
    n = len(rows[0]) - 1
    lines = [",".join([*(f"x{k + 1}" for k in range(n)), "t"])] + [",".join(map(str, row)) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return DataSpec("csv", str(path), {"task": task}, val_fraction=0.0)


def project(net: Network, data: DataSpec, loss: str, lr: float, batch_size: int) -> Project:
    settings = TrainSettings(loss=loss, optimizer="sgd", optimizer_params={"lr": lr}, batch_size=batch_size, seed=0)
    return Project(net, settings, data, History())


def set_params(net: Network, params: dict) -> None:
    net.assign({key: (np.array(value, float), None, None) for key, value in params.items()})


def along(canvas, ref, t: float = 0.3) -> QPointF:
    """A point on the weight's line away from its middle, where the weights i→j and j→i of a dense connection
    cross (the conftest's `Canvas.weight` clicks the middle)."""
    x1, y1, x2, y2 = canvas.scene.edge_layer.edges.lines[canvas.scene.edge_row(ref)]
    return QPointF(x1 + t * (x2 - x1), y1 + t * (y2 - y1))


def hover(widget: QWidget, pos: QPoint) -> None:
    """The mouse moving over `widget` at `pos`, sent to it directly: the offscreen screen is 800 pixels wide and
    `QTest.mouseMove` drops a move beyond it, where the right-hand docks of a 1280-pixel window are."""
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos), QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.NoButton,
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def plain(label: QLabel | str) -> str:
    """What a rich-text label (or a rich text) reads as on screen: no-break spaces as spaces, no word joiners."""
    doc = QTextDocument()
    doc.setHtml(label if isinstance(label, str) else label.text())
    return doc.toPlainText().replace("\u00a0", " ").replace("\u2060", "")


def samples_table(table: QTableWidget) -> list[list[str]]:
    """The batch's samples table, row by row, the header first."""
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return [header] + [[item.text() if (item := table.item(r, c)) else "" for c in range(table.columnCount())]
                       for r in range(table.rowCount())]


def flat(label: QLabel) -> str:
    """The label's text with table cells and line breaks as single spaces."""
    return " ".join(plain(label).split())


def open_explorer(qtbot, window, proj: Project | None = None, *, batch_mean: bool = False):
    """The window on `proj`, with the explorer's tab up, explaining the batch mean if asked (else sample 0)."""
    if proj is not None:
        window.set_project(proj)
    ui = window.explorer
    window.workspaces.switch("explain")  # the Chain rule dock's workspace
    ui.dock.raise_()
    qtbot.waitUntil(lambda: ui.on_screen, timeout=WAIT)
    if batch_mean:
        qtbot.waitUntil(lambda: ui.panel.samples.count() > 1 and not ui.pending, timeout=WAIT)
        ui.panel.samples.setCurrentIndex(0)
    return ui


def wait_for(qtbot, ui, ref, sample=None):
    """Until the panel explains `ref` (for `sample`) with the network as it is now."""
    def shown() -> bool:
        e = ui.panel.explanation
        return e is not None and e.ref == ref and e.sample == sample and not ui.pending

    qtbot.waitUntil(shown, timeout=WAIT)
    return ui.panel.explanation
