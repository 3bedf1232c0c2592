"""The Runs dock: every recorded run as a row (sortable), to rename in place, delete, restore the weights of, or
overlay on the loss and accuracy plots.

The runs are the document's (`Document.runs`, followed through `runs_changed`); the table is rebuilt from them and
keeps only which rows are checked for the overlay, which is a way of looking, not part of the project. Renaming,
deleting and restoring are undoable commands over the document's operations.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.runs import Run, differences, legend_labels
from engine.studio import Document, RunState
from gui.commands.document import DocumentCommand
from gui.follow import follow

COLUMNS = ("Name", "Settings", "Steps", "Duration", "Final loss", "Final metric", "Started")
NAME, SETTINGS, STEPS, STARTED = 0, 1, 2, 6


def metric_of(run: Run) -> tuple[str, float | None]:
    """The run's final training metric and its name ("accuracy", "r2")."""
    for key, value in run.final.items():
        if key.startswith("train_") and key != "train_loss":
            return key.removeprefix("train_"), value
    return "metric", None


def settings_summary(run: Run) -> str:
    s = run.settings
    lr = (s.get("optimizer_params") or {}).get("lr")
    parts = [f"{s.get('optimizer', '?')} lr {lr:g}" if isinstance(lr, (int, float)) else str(s.get("optimizer")),
             f"batch {s.get('batch_size')}", str(run.data.get("name", "?")), run.architecture, f"seed {run.seed}"]
    return " · ".join(parts)


class Cell(QTableWidgetItem):
    """A cell that sorts by its value (a number, a date), not by the text it shows."""

    def __init__(self, text: str, key: object):
        super().__init__(text)
        self.key = key
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        if isinstance(other, Cell):
            mine, theirs = self.key, other.key
            if mine is None or theirs is None:  # not measured sorts first
                return mine is None and theirs is not None
            return mine < theirs  # type: ignore[operator]
        return super().__lt__(other)


class RunsPanel(QWidget):
    overlay_changed = Signal(list)  # the ids of the runs checked for the overlay, in the runs' order

    def __init__(self, document: Document, push: Callable[[DocumentCommand], str | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self._push = push
        self.checked: list[int] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(STARTED, Qt.SortOrder.AscendingOrder)  # oldest first, as the document lists them
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.restore_button = QPushButton("Restore weights")
        self.restore_button.setToolTip("Train on from the selected run's final weights (a fresh optimiser and a new "
                                       "curve); Undo takes it back")
        self.restore_button.clicked.connect(self.restore_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Remove the selected runs from the project; Undo brings them back")
        self.delete_button.clicked.connect(self.delete_selected)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.caption)
        follow(self, document.events.runs_changed, self._show_runs)
        follow(self, document.events.run_state_changed, lambda _state: self._update_buttons())
        self._show_runs(document.runs)

    # ------------------------------------------------------------ from the document
    def _show_runs(self, runs: tuple[Run, ...]) -> None:
        ids = {run.id for run in runs}
        self.checked = [i for i in self.checked if i in ids]
        table = self.table
        blocked = table.blockSignals(True)
        table.setSortingEnabled(False)  # rows are filled by index; sorting while filling would move them
        table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            metric, value = metric_of(run)
            loss = run.final.get("train_loss")
            minutes, seconds = divmod(run.duration, 60)
            started = run.started.replace("T", " ").replace("+00:00", " UTC")
            cells = [Cell(run.name, run.name.lower()), Cell(settings_summary(run), settings_summary(run)),
                     Cell(f"{run.end_step - run.start_step:,}", run.end_step - run.start_step),
                     Cell(f"{int(minutes):02d}:{seconds:04.1f}", run.duration),
                     Cell("–" if loss is None else f"{loss:.4g}", loss),
                     Cell("–" if value is None else f"{metric} {value:.4g}", value),
                     Cell(started, (run.started, run.id))]
            name = cells[NAME]
            name.setFlags(name.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Checked if run.id in self.checked else Qt.CheckState.Unchecked)
            name.setData(Qt.ItemDataRole.UserRole, run.id)
            name.setToolTip("Check to draw this run's curves in the loss and accuracy plots; double-click to rename")
            for column, cell in enumerate(cells):
                table.setItem(row, column, cell)
        table.setSortingEnabled(True)
        table.blockSignals(blocked)
        self._update_buttons()
        self._overlay_changed()

    # ------------------------------------------------------------ the user
    def row_of(self, run_id: int) -> int:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, NAME)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == run_id:
                return row
        raise KeyError(run_id)

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [item.data(Qt.ItemDataRole.UserRole) for row in rows if (item := self.table.item(row, NAME))]

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() != NAME:
            return
        run_id = item.data(Qt.ItemDataRole.UserRole)
        run = self.document.run(run_id)
        checked = item.checkState() is Qt.CheckState.Checked
        if checked != (run_id in self.checked):
            ids = {*self.checked, run_id} if checked else set(self.checked) - {run_id}
            self.checked = [r.id for r in self.document.runs if r.id in ids]
            self._overlay_changed()
        name = item.text().strip()
        if name != run.name:
            if not name:
                item.setText(run.name)
                return
            document = self.document
            command = DocumentCommand(f"Rename run “{run.name}” to “{name}”", lambda: document.rename_run(run_id, name),
                                      lambda _token: document.rename_run(run_id, run.name))
            # after this signal: the rename rebuilds the table, which would delete the item being edited under it
            QTimer.singleShot(0, self, lambda: self._push(command))

    def delete_selected(self) -> None:
        document = self.document
        for run_id in self.selected_ids():
            name = document.run(run_id).name
            self._push(DocumentCommand(f"Delete run “{name}”", partial(document.delete_run, run_id),
                                       lambda token: document.insert_run(*token)))

    def restore_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) != 1:
            return
        document = self.document
        self._push(DocumentCommand(f"Restore the weights of “{document.run(ids[0]).name}”",
                                   partial(document.restore_run, ids[0]), document.restore))

    def _update_buttons(self) -> None:
        selected = len(self.selected_ids())
        idle = self.document.run_state is not RunState.RUNNING
        self.restore_button.setEnabled(idle and selected == 1)
        self.delete_button.setEnabled(selected > 0)

    def _overlay_changed(self) -> None:
        runs = [run for run in self.document.runs if run.id in self.checked]
        if len(runs) == 2:
            self.caption.setText(f"Overlaid: {runs[0].name} and {runs[1].name}, {differences(*runs)}")
        elif runs:
            self.caption.setText("Overlaid: " + " · ".join(legend_labels(runs)))
        elif self.document.runs:
            self.caption.setText("Check runs to draw their curves in the loss and accuracy plots.")
        else:
            self.caption.setText("Each run (Train … Stop, Reset weights or Continue from here) is listed here.")
        self.overlay_changed.emit(list(self.checked))
