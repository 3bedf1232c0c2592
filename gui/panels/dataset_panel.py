"""What to train on: a seeded generator, a CSV file with its column mapping, or a bundled real data set.

The panel builds a `DataSpec` (the recipe the project stores) from its widgets, loads it once to preview it, and
only hands it on when it loads: a recipe that fails shows the engine's message (which names the line and column
of a bad CSV cell) and changes nothing. Generator forms are built from `GENERATOR_PARAMS`, read off the generator
signatures, so a new generator parameter appears here without a change.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine import BackpropError
from engine.datasets import BUNDLED, GENERATOR_PARAMS, Dataset, describe_csv
from engine.project import DataSpec, Project
from engine.studio import Document, LoadedData, RunState, SampleSelection
from gui.colors import INK, TRAIN, class_colors, error_color, point_brushes, training_points, validation_points
from gui.commands import ModelCommand
from gui.follow import follow

from .input_features import FeatureToggles

CSV = "csv:"
AUTO = "auto"
_HEADER_KEYS = {None: AUTO, True: "yes", False: "no"}  # load_csv's `header` <-> the combo's keys
PICKED_PEN = pg.mkPen(INK, width=2.5)  # a ring around each selected sample, clear of every class colour


class CsvDialog(QDialog):
    """Choose the target and input columns of a CSV file, seeing its first rows (`describe_csv`)."""

    def __init__(self, path: Path, params: dict | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Columns of {path.name}")
        self.path = path
        params = params or {}
        self.delimiter = QLineEdit(params.get("delimiter", ","))
        self.delimiter.setMaxLength(1)
        self.header = QComboBox()
        for text, key in (("detect", AUTO), ("first row is a header", "yes"), ("no header", "no")):
            self.header.addItem(text, key)
        self.header.setCurrentIndex(self.header.findData(_HEADER_KEYS[params.get("header")]))
        self.task = QComboBox()
        for key in (AUTO, "classification", "regression"):
            self.task.addItem("detect" if key == AUTO else key, key)
        self.task.setCurrentIndex(self.task.findData(params.get("task") or AUTO))
        self.target = QComboBox()
        self.inputs = QListWidget()
        self.table = QTableWidget()
        self.error = QLabel("")
        self.error.setStyleSheet(f"color: {error_color(self.palette())};")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Delimiter", self.delimiter)
        form.addRow("Header", self.header)
        form.addRow("Target column", self.target)
        form.addRow("Input columns", self.inputs)
        form.addRow("Task", self.task)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._columns: tuple[str, ...] = ()
        self._has_header = False
        self.describe(params.get("target_column"), params.get("input_columns"))
        self.delimiter.editingFinished.connect(self.describe)

    def describe(self, target=None, inputs=None) -> None:
        """(Re)read the file's first rows with the current delimiter and offer its columns."""
        try:
            preview = describe_csv(self.path, delimiter=self.delimiter.text() or ",")
        except BackpropError as exc:
            self.error.setText(str(exc))
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            return
        self.error.setText("")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)
        self._columns, self._has_header = preview.columns, preview.has_header
        self.table.setColumnCount(len(preview.columns))
        self.table.setRowCount(len(preview.rows))
        self.table.setHorizontalHeaderLabels(list(preview.columns))
        for r, row in enumerate(preview.rows):
            for c, cell in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(cell))
        self.target.clear()
        self.target.addItems(list(preview.columns))
        self.target.setCurrentIndex(self._index(target, len(preview.columns) - 1))
        self.inputs.clear()
        chosen = None if inputs is None else {self._index(key, -1) for key in inputs}
        for k, name in enumerate(preview.columns):
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = k != self.target.currentIndex() if chosen is None else k in chosen
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.inputs.addItem(item)

    def _index(self, key, default: int) -> int:
        if isinstance(key, str) and key in self._columns:
            return self._columns.index(key)
        if isinstance(key, int) and -len(self._columns) <= key < len(self._columns):
            return key % len(self._columns)
        return default

    def params(self) -> dict:
        """`load_csv`'s keyword arguments for the current choice; columns by name when the file has a header."""
        target = self.target.currentIndex()
        checked = [k for k in range(self.inputs.count())
                   if self.inputs.item(k).checkState() == Qt.CheckState.Checked and k != target]
        key = (lambda k: self._columns[k]) if self._has_header else (lambda k: k)
        all_others = checked == [k for k in range(len(self._columns)) if k != target]
        return {
            "target_column": key(target),
            "input_columns": None if all_others else [key(k) for k in checked],
            "header": {key: value for value, key in _HEADER_KEYS.items()}[self.header.currentData()],
            "task": None if self.task.currentData() == AUTO else self.task.currentData(),
            "delimiter": self.delimiter.text() or ",",
        }


class DatasetPanel(QWidget):
    def __init__(self, document: Document, push: Callable[[ModelCommand], str | None], parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.features = FeatureToggles(document, push)  # `push`: the canvas's gate (the input layer changes too)
        self.source = QComboBox()
        for name in GENERATOR_PARAMS:
            self.source.addItem(f"{name} (generated)", f"generator:{name}")
        for name in BUNDLED:
            self.source.addItem(f"{name} (real data)", f"bundled:{name}")
        self.source.addItem("CSV file…", CSV)
        self.params_widget = QWidget()
        self.params_form = QFormLayout(self.params_widget)
        self.params_form.setContentsMargins(0, 0, 0, 0)
        self.param_boxes: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self.csv_path = QLabel("")
        self.csv_path.setWordWrap(True)
        self.csv_choose = QPushButton("Choose file…")
        self.csv_columns = QPushButton("Columns…")
        csv_row = QHBoxLayout()
        csv_row.addWidget(self.csv_choose)
        csv_row.addWidget(self.csv_columns)
        self.csv_widget = QWidget()
        csv_layout = QVBoxLayout(self.csv_widget)
        csv_layout.setContentsMargins(0, 0, 0, 0)
        csv_layout.addWidget(self.csv_path)
        csv_layout.addLayout(csv_row)
        self.val_fraction = QDoubleSpinBox(minimum=0.0, maximum=0.9, singleStep=0.05, decimals=2)
        self.split_seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        for box in (self.val_fraction, self.split_seed):
            box.setKeyboardTracking(False)
        self.standardize = QCheckBox("standardise inputs (statistics of the training split)")
        self.preview = pg.PlotWidget(background="w")
        self.preview.setMinimumHeight(160)
        self.preview.getPlotItem().setMenuEnabled(False)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        # the document's sample selection (a confusion-matrix cell), ringed over the preview's points
        self.picked = pg.ScatterPlotItem(size=15, pen=PICKED_PEN, brush=None)
        self.picked_note = QLabel("")
        self.picked_note.setWordWrap(True)
        self.error = QLabel("")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {error_color(self.palette())};")
        form = QFormLayout()
        form.addRow("Data set", self.source)
        form.addRow(self.params_widget)
        form.addRow(self.csv_widget)
        form.addRow("Validation fraction", self.val_fraction)
        form.addRow("Split seed", self.split_seed)
        form.addRow(self.standardize)
        form.addRow("Input features", self.features)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.summary)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.picked_note)

        self._csv: tuple[str, dict] = ("", {})  # path and load_csv mapping of the CSV choice
        self._painted: dict = {}  # the points of the painted data set last shown (drawn on the decision boundary)
        self.source.currentIndexChanged.connect(self._source_changed)
        self.csv_choose.clicked.connect(self.choose_csv)
        self.csv_columns.clicked.connect(self.edit_columns)
        self.val_fraction.valueChanged.connect(self.apply)
        self.split_seed.valueChanged.connect(self.apply)
        self.standardize.toggled.connect(self.apply)
        events = document.events
        follow(self, events.project_replaced, self._project_replaced)
        follow(self, events.data_loaded, self._data_loaded)
        follow(self, events.run_state_changed, self._run_state_changed)
        follow(self, events.sample_selection_changed, self._show_picked)
        self._project_replaced(document.project)

    @property
    def base_dir(self) -> Path | None:
        return self.document.project.base_dir

    # ------------------------------------------------------------ from the document
    def _project_replaced(self, project: Project) -> None:
        """Show the project's data recipe without emitting an edit; the preview follows when the data loads."""
        spec = project.data
        self.error.setText("")
        self.summary.setText("")
        self.preview.getPlotItem().clear()
        widgets = (self.source, self.val_fraction, self.split_seed, self.standardize)
        blocked = [w.blockSignals(True) for w in widgets]
        key = CSV if spec.kind == "csv" else f"{spec.kind}:{spec.name}"
        if spec.kind == "painted" and self.source.findData(key) < 0:
            self.source.addItem(f"painted points ({spec.name})", key)
        self.source.setCurrentIndex(max(self.source.findData(key), 0))
        self.val_fraction.setValue(spec.val_fraction)
        self.split_seed.setValue(spec.split_seed)
        self.standardize.setChecked(spec.standardize)
        for widget, was in zip(widgets, blocked, strict=True):
            widget.blockSignals(was)
        if spec.kind == "csv":
            self._csv = (spec.name, dict(spec.params))
        if spec.kind == "painted":
            self._painted = dict(spec.params)
        self._build_params(spec.params if spec.kind == "generator" else {})

    def _data_loaded(self, data: LoadedData) -> None:
        if self.current_spec() != self.document.project.data:  # changed elsewhere: painted, or an undo
            self._project_replaced(self.document.project)
        self._show_preview(data)

    def _run_state_changed(self, state: RunState) -> None:
        self.setEnabled(state is not RunState.RUNNING)

    # ------------------------------------------------------------ edits
    def current_spec(self) -> DataSpec:
        kind, name = self._choice()
        if kind == "generator":
            params = {key: box.value() for key, box in self.param_boxes.items()}
        elif kind == "csv":
            name, params = self._csv[0], dict(self._csv[1])
        elif kind == "painted":
            params = dict(self._painted)
        else:
            params = {}
        return DataSpec(kind, name, params, self.val_fraction.value(), self.split_seed.value(),
                        self.standardize.isChecked(), features=self.document.project.data.features)

    def apply(self) -> bool:
        """Load the widgets' recipe; on success make it the data set and say so, else show why and keep the old."""
        spec = self.current_spec()
        if spec.kind == "csv" and not spec.name:
            self.error.setText("Choose a CSV file.")
            return False
        try:
            self.document.set_data(spec)  # the preview follows `data_loaded`
        except BackpropError as exc:
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        return True

    def choose_csv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV file", str(self.base_dir or Path.home()),
                                              "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self._csv = (path, {})
            self.edit_columns()

    def edit_columns(self) -> None:
        if not self._csv[0]:
            self.choose_csv()
            return
        dialog = CsvDialog(Path(self._csv[0]), self._csv[1], self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._csv = (self._csv[0], dialog.params())
            self.apply()

    def _choice(self) -> tuple[str, str]:
        """(kind, name) of the source combo's entry ("csv", "" for the CSV entry)."""
        kind, _, name = self.source.currentData().partition(":")
        return kind, name

    def _source_changed(self) -> None:
        kind, name = self._choice()
        self._build_params(GENERATOR_PARAMS[name] if kind == "generator" else {})
        if kind == "csv" and not self._csv[0]:
            self._show_kind("csv")
            self.choose_csv()
            return
        self.apply()

    def _build_params(self, values: dict) -> None:
        kind, name = self._choice()
        self._show_kind(kind)
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.param_boxes = {}
        if kind != "generator":
            return
        for key, default in GENERATOR_PARAMS[name].items():
            value = values.get(key, default)
            box: QSpinBox | QDoubleSpinBox
            if isinstance(default, int):
                box = QSpinBox(minimum=0, maximum=1_000_000)
            else:
                box = QDoubleSpinBox(minimum=-100.0, maximum=100.0, decimals=3, singleStep=0.05)
            box.setKeyboardTracking(False)
            box.setValue(value)
            box.valueChanged.connect(self.apply)
            self.params_form.addRow(key, box)
            self.param_boxes[key] = box

    def _show_kind(self, kind: str) -> None:
        self.params_widget.setVisible(kind == "generator")
        self.csv_widget.setVisible(kind == "csv")
        self.csv_path.setText(self._csv[0] or "no file chosen")

    # ------------------------------------------------------------ preview
    def _show_preview(self, loaded: LoadedData) -> None:
        """The data over the plane the decision boundary is drawn on: the raw x1, x2 under input features."""
        train, val, plane = loaded.train, loaded.val, loaded.plane
        self.summary.setText(describe(train, val, featured=plane is not None and plane.lift is not None))
        plot = self.preview.getPlotItem()
        plot.clear()
        for k, (data, points) in enumerate(((train, training_points), (val, validation_points))):
            if data.n_samples:
                x, y, colors = scatter_coordinates(data, None if plane is None else (plane.train, plane.val)[k])
                plot.addItem(points(x=x, y=y, brush=point_brushes(colors)))
        plot.addItem(self.picked)
        self._show_picked(self.document.sample_selection)

    def _show_picked(self, selection: SampleSelection) -> None:
        """Ring the selected samples where the preview draws them (the training or the validation points)."""
        self.picked_note.setText(selection.describe())
        if not selection.indices:
            self.picked.clear()
            return
        train, val = self.document.session.data()
        plane = self.document.session.plane
        training = selection.split == "train"
        x, y, _ = scatter_coordinates(train if training else val,
                                      None if plane is None else plane.train if training else plane.val)
        index = np.array(selection.indices, dtype=np.int64)
        self.picked.setData(x[index], y[index])


def describe(train: Dataset, val: Dataset, featured: bool = False) -> str:
    total = train.n_samples + val.n_samples
    kind = (f"classification, {train.n_classes} classes" if train.task == "classification"
            else f"regression, {train.y.shape[1]} target(s)")
    shown = ("; the preview shows the raw x1, x2" if featured
             else "" if train.n_features <= 2 else f"; the preview shows the first two of {train.n_features} inputs")
    return (f"{total} samples ({train.n_samples} training, {val.n_samples} validation as diamonds), "
            f"{train.n_features} input(s), {kind}{shown}")


def scatter_coordinates(data: Dataset, plane: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[QColor]]:
    """x, y and colours (by class, as the decision boundary colours them): the rows' points on the boundary's
    `plane` when there is one (engine.studio.plane), else the first two inputs, or the input against the target
    when there is one input."""
    if plane is not None:
        x, y = plane[:, 0], plane[:, 1]
    elif data.n_features >= 2:
        x, y = data.X[:, 0], data.X[:, 1]
    else:
        x, y = data.X[:, 0], data.y[:, 0] if data.task == "regression" else data.y.astype(float)
    if data.task == "classification":
        palette = class_colors(data.n_classes)
        return x, y, [palette[int(c)] for c in data.y]
    return x, y, [QColor(TRAIN)] * data.n_samples
