"""Paint mode of the decision boundary: points drawn with the mouse become the data set ("painted", saved in the
project), so a learner can pose the problem the network must solve and watch the boundary bend to it.

The points live in the document's data recipe (engine/project/painted.py), never here: a stroke is one undoable
`DocumentCommand` that swaps the recipe (`document.set_data`), and every view follows the data it loads. While
the stroke is drawn it shows as an overlay only, so a drag of fifty points reloads the data once, not fifty
times. A stroke finished while training runs pauses the run, applies the points and resumes it, so the run goes
on from its next step with the new data; the class count is checked as for any data set (the status line says
when the output layer no longer fits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QMouseEvent, QPixmap
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QMenu, QToolButton, QWidget

from engine import BackpropError
from engine.datasets import Dataset, Standardizer
from engine.project import DataSpec, Project
from engine.project.painted import MAX_CLASSES, painted_params, point_row
from engine.studio import Document, LoadedData, RunState
from gui.colors import INK, class_colors
from gui.commands.document import DocumentCommand
from gui.follow import follow
from gui.plots.boundary import BoundaryView

from .controller import TrainingController

SPACING = 8  # pixels between two points of one drag
REACH = 8  # pixels: a right-click or Delete removes the nearest point at most this far from the mouse
PAINT_TIP = ("Paint your own data: left-click adds a point of the chosen class at the mouse, dragging paints a "
             "trail of them; right-click on a point (or Delete with the mouse on it) removes it. Each stroke is "
             "one undo step, and the data set becomes \"painted\" (saved in the project).")
NEEDS_TWO_INPUTS = "Painting needs a data set with two inputs (x1, x2)."

Points = list[list[float]]


def swatch(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(color)
    return QIcon(pixmap)


class PaintTool(QObject):
    """The Paint toggle, the class picker and the mouse on the boundary plot; `bar` is their row of widgets."""

    def __init__(self, document: Document, boundary: BoundaryView, controller: TrainingController,
                 push: Callable[[DocumentCommand], str | None]):
        super().__init__(boundary)
        self.document, self.boundary, self.controller, self._push = document, boundary, controller, push
        # one compact button, its menu holding the two ways to start: the row stays narrower than the view's
        self.toggle = QToolButton()
        self.toggle.setText("Paint")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip(PAINT_TIP)
        self.toggle.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.classes = QComboBox()
        self.classes.setToolTip("The class a left-click paints")
        self.value = QDoubleSpinBox(minimum=-1e6, maximum=1e6, decimals=3, value=1.0, singleStep=0.1)
        self.value.setToolTip("The target value a left-click paints (a regression)")
        self.value.setKeyboardTracking(False)
        menu = QMenu(self.toggle)
        self.from_data = menu.addAction("Start from current data")
        self.from_data.setToolTip("Make the current data set's points a painting, to edit point by point")
        self.clear = menu.addAction("Clear (start empty)")
        self.clear.setToolTip("Start an empty painting: the current data stays until the first stroke replaces it")
        menu.setToolTipsVisible(True)
        self.toggle.setMenu(menu)
        self.classes.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.bar = QWidget()
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.toggle, self.classes, self.value):
            row.addWidget(widget)
        row.addStretch(1)
        self.stroke_item = pg.ScatterPlotItem(size=9, pen=pg.mkPen(INK, width=1.5))
        self.stroke_item.setZValue(10)
        self.plot = boundary.plot
        self.view_box = self.plot.getPlotItem().getViewBox()
        self.view_box.addItem(self.stroke_item, ignoreBounds=True)
        self._stroke: Points = []  # view coordinates of the stroke being drawn
        self._last: QPointF | None = None  # the pixel of the stroke's last point
        self._hover: QPointF | None = None  # the mouse over the plot, for Delete
        self._empty = False  # Clear: the next stroke starts a painting of its own points only
        self._pending: DataSpec | None = None  # strokes finished while training, applied once paused
        self._scaler: Standardizer | None = None  # what training does to the raw points (the view shows that)
        self._task, self._n_classes = "classification", 2
        self.toggle.toggled.connect(self._toggled)
        self.from_data.triggered.connect(self.start_from_data)
        self.clear.triggered.connect(self.start_empty)
        self.plot.viewport().installEventFilter(self)
        self.plot.installEventFilter(self)
        events = document.events
        follow(self.bar, events.data_loaded, self._data_loaded)
        follow(self.bar, events.run_state_changed, self._run_state_changed)
        follow(self.bar, events.project_replaced, self._project_replaced)
        self._toggled(False)

    # ------------------------------------------------------------ following the document
    def _data_loaded(self, data: LoadedData) -> None:
        train, plane = data.train, data.plane
        spec = self.document.project.data
        can = plane is not None and (train.task == "classification" or train.y.shape[1] == 1)
        # the plane is the raw x1, x2 under input features (engine.studio.plane), else the inputs as training sees
        # them; the standardiser is read only when it matters: the statistics cost another load of the data
        standardized = can and plane is not None and plane.lift is None and spec.standardize
        self._scaler = spec.input_transform(self.document.project.base_dir).standardizer if standardized else None
        self.toggle.setEnabled(can)
        self.toggle.setToolTip(PAINT_TIP if can else NEEDS_TWO_INPUTS)
        if not can:
            self.toggle.setChecked(False)
        self._show_picker(train)

    def _show_picker(self, train: Dataset) -> None:
        """Each class in its colour, and one class more (a new one) while the palette has colours left."""
        self._task = train.task
        self.classes.setVisible(train.task == "classification")
        self.value.setVisible(train.task == "regression")
        if train.task != "classification":
            return
        chosen, n = self.classes.currentIndex(), train.n_classes
        self._n_classes = n
        self.classes.blockSignals(True)
        self.classes.clear()
        colors = class_colors(n)
        for k, name in enumerate(train.target_names):
            self.classes.addItem(swatch(colors[k]), name, k)
        if n < MAX_CLASSES:
            self.classes.addItem(swatch(class_colors(n + 1)[n]), "new class", n)
        self.classes.setCurrentIndex(min(max(chosen, 0), self.classes.count() - 1))
        self.classes.blockSignals(False)

    def _run_state_changed(self, state: RunState) -> None:
        """A stroke made while training is applied once the worker has stopped, after the controller has
        published the run's last snapshot and status (hence the zero timer), then a paused run resumes."""
        if self._pending is not None and state is not RunState.RUNNING:
            QTimer.singleShot(0, self, self._apply_pending)

    def _apply_pending(self) -> None:
        if self._pending is None or self.document.run_state is RunState.RUNNING:
            return
        after, self._pending = self._pending, None
        resume = self.document.run_state is RunState.PAUSED
        if self._apply("Paint while training", after) and resume:
            self.controller.train()

    def _project_replaced(self, _project: Project) -> None:
        self._pending = None
        self._painted()
        self._end_stroke()

    def _toggled(self, on: bool) -> None:
        for widget in (self.classes, self.value):
            widget.setEnabled(on)
        self.plot.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        if not on:
            self._end_stroke()
            self._painted()

    # ------------------------------------------------------------ the painting as it is now
    def _painting(self) -> tuple[str, Points, list[str]] | None:
        """(task, points, class names) the next edit starts from: the painted points, none after Clear, or the
        current data's samples (painting on a generator's points converts them); None, the reason said in the
        status line, when the data cannot be painted."""
        try:
            return self._read_painting()
        except BackpropError as exc:
            self.document.post(str(exc), error=True)
            return None

    def _read_painting(self) -> tuple[str, Points, list[str]]:
        spec = self._pending or self.document.project.data
        if spec.kind == "painted":
            task, params = spec.name, spec.params
        elif self._empty:  # nothing to convert: only the task and the class names go on
            train = self.document.session.data()[0]
            task, params = train.task, {"points": [], "classes": list(train.target_names)}
        else:
            task, params = painted_params(spec.dataset(self.document.project.base_dir))
        points = [] if self._empty else [list(p) for p in params["points"]]
        return task, points, list(params.get("classes", []))

    def _commit(self, text: str, task: str, points: Points, classes: list[str]) -> None:
        params: dict = {"points": points, **({"classes": classes} if task == "classification" else {})}
        after = replace(self._pending or self.document.project.data, kind="painted", name=task, params=params)
        if self.document.run_state is RunState.RUNNING:
            self._pending = after  # strokes made before the worker pauses add up
            self.controller.pause()
            return
        self._apply(text, after)

    def _apply(self, text: str, after: DataSpec) -> bool:
        """One undo step from the data set as it is to `after`; False (the reason said) if it is refused."""
        before = self.document.project.data
        command = DocumentCommand(text, lambda: self.document.set_data(after),
                                  lambda _token: self.document.set_data(before))
        if self._push(command) is not None:
            return False
        self._painted()
        return True

    def _painted(self) -> None:
        """The painting is the data set now: Clear's hiding of the old points is over."""
        self._empty = False
        self._show_data(True)

    def _show_data(self, shown: bool) -> None:
        self.boundary.points.setVisible(shown)
        self.boundary.test_points.setVisible(shown and self.boundary.show_test.isChecked())

    def start_from_data(self) -> None:
        """The current data set, every sample, as a painting (one undo step)."""
        self.toggle.setChecked(True)
        self._painted()
        if self.document.project.data.kind == "painted":
            self.document.post("The data set is a painting already.")
            return
        if (painting := self._painting()) is not None:
            self._commit("Start painting from the current data", *painting)

    def start_empty(self) -> None:
        """The next stroke makes a painting of its own points; the data shown stays (hidden) until then."""
        self.toggle.setChecked(True)
        self._empty = True
        self._show_data(False)
        self.document.post("Cleared: paint points on the decision boundary (the data set changes with the first "
                           "stroke; undo brings the old data back).")

    # ------------------------------------------------------------ the mouse
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.toggle.isChecked():
            return False
        if isinstance(event, QKeyEvent):
            if watched is self.plot and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                if self._hover is not None:
                    self.remove_at(self._hover)
                return True
            return False
        if not isinstance(event, QMouseEvent) or watched is self.plot:
            return False
        kind, pos = event.type(), event.position()
        if kind == QEvent.Type.MouseButtonPress:
            if not self._inside(pos):
                return False
            self.plot.setFocus()
            if event.button() == Qt.MouseButton.LeftButton:
                self._stroke, self._last = [], None
                self._add(pos)
            elif event.button() == Qt.MouseButton.RightButton:
                self.remove_at(pos)
            return True
        if kind == QEvent.Type.MouseMove:
            self._hover = pos
            if self._last is None:
                return False  # hovering: the plot's read-out of the point under the mouse goes on
            delta = pos - self._last
            if (delta.x() ** 2 + delta.y() ** 2) ** 0.5 >= SPACING and self._inside(pos):
                self._add(pos)
            return True
        if kind == QEvent.Type.MouseButtonRelease and self._last is not None:
            self._finish()
            return True
        return kind in (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick)

    def _inside(self, pos: QPointF) -> bool:
        return self.view_box.sceneBoundingRect().contains(self.plot.mapToScene(pos.toPoint()))

    def _at(self, pos: QPointF) -> tuple[float, float]:
        """The view coordinates under the viewport pixel `pos`."""
        point = self.view_box.mapSceneToView(self.plot.mapToScene(pos.toPoint()))
        return point.x(), point.y()

    def _add(self, pos: QPointF) -> None:
        self._stroke.append(list(self._at(pos)))
        self._last = pos
        xy = np.array(self._stroke)
        self.stroke_item.setData(xy[:, 0], xy[:, 1], brush=pg.mkBrush(self._color()))

    def _color(self) -> QColor:
        if self._task != "classification":
            return QColor(INK)
        k = self.chosen_class
        return class_colors(max(self._n_classes, k + 1))[k]

    @property
    def chosen_class(self) -> int:
        return int(self.classes.currentData() or 0)

    def _finish(self) -> None:
        stroke = np.array(self._stroke)
        self._end_stroke()
        if (painting := self._painting()) is None:
            return
        task, points, classes = painting
        raw = self._raw(stroke)
        value = self.chosen_class if task == "classification" else self.value.value()
        points += [point_row(a, b, value, task) for a, b in raw.tolist()]
        n = len(raw)
        self._commit(f"Paint {n} point{'s' if n > 1 else ''}", task, points, classes)

    def _end_stroke(self) -> None:
        self._stroke, self._last = [], None
        self.stroke_item.clear()

    def _raw(self, xy: np.ndarray) -> np.ndarray:
        """View coordinates to the data's own: the view shows the inputs as training sees them (standardised when
        the data set asks for it)."""
        return xy if self._scaler is None else xy * self._scaler.std + self._scaler.mean

    def remove_at(self, pos: QPointF) -> None:
        """Remove the point nearest the viewport pixel `pos`, if one is within `REACH` pixels."""
        if (painting := self._painting()) is None or not painting[1]:
            return
        task, points, classes = painting
        xy = np.array(points, float)[:, :2]
        view = xy if self._scaler is None else self._scaler.transform(xy)
        x, y = self._at(pos)
        width, height = self.view_box.viewPixelSize()
        distance = np.hypot((view[:, 0] - x) / width, (view[:, 1] - y) / height)
        k = int(np.argmin(distance))
        if distance[k] > REACH:
            return
        if len(points) == 1:
            self.document.post("A painting keeps at least one point: paint another before removing this one.")
            return
        del points[k]
        self._commit("Remove a painted point", task, points, classes)
