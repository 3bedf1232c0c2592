"""The input-feature toggles of the Data dock (TensorFlow Playground's x1, x2, x1², x2², x1·x2, sin x1, sin x2).

Each toggle is one undoable edit of the data and the input layer together (`gui.commands.features`), pushed through
the canvas's gate like every network edit, so Ctrl+Z takes it back wherever it was made. The boxes only show what
the document has: a refused toggle springs back, and the reason is shown under them.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QVBoxLayout, QWidget

from engine import BackpropError
from engine.datasets import feature_refusal
from engine.project import Project
from engine.studio import Document, LoadedData, RunState
from gui.colors import error_color
from gui.commands import ModelCommand
from gui.commands.features import current_features, toggle_feature
from gui.follow import follow

TIPS = {
    "x1": "the first input as it is",
    "x2": "the second input as it is",
    "x1²": "the first input squared: lets a single neuron draw a boundary curved along x1",
    "x2²": "the second input squared: lets a single neuron draw a boundary curved along x2",
    "x1·x2": "the product of the two inputs: tells the quadrants apart (XOR) with one neuron",
    "sin x1": "the sine of the first input: repeating patterns along x1 (a spiral's arms)",
    "sin x2": "the sine of the second input: repeating patterns along x2",
}
ROWS = (("x1", "x2"), ("x1²", "x2²", "x1·x2"), ("sin x1", "sin x2"))  # the raw inputs, products, sines
RUNNING = "Pause training to change the input features."


class FeatureToggles(QWidget):
    def __init__(self, document: Document, push: Callable[[ModelCommand], str | None], parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.push = push
        self.boxes: dict[str, QCheckBox] = {}
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        for row, names in enumerate(ROWS):
            for column, name in enumerate(names):
                box = QCheckBox(name)
                box.setToolTip(f"{name}: {TIPS[name]}. Adds (or removes) an input column and its input neuron, "
                               "with a row of new weights; undoable.")
                box.toggled.connect(lambda on, name=name: self._toggled(name, on))
                grid.addWidget(box, row, column)
                self.boxes[name] = box
        self.note = QLabel("")  # why the toggles are off, or why the last one was refused
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {error_color(self.palette())};")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(self.note)
        self._inputs: int | None = None  # raw inputs of the data last loaded (None: none loaded yet)
        events = document.events
        follow(self, events.project_replaced, self._project_replaced)
        follow(self, events.data_loaded, self._data_loaded)
        follow(self, events.run_state_changed, lambda _state: self._sync())
        self._sync()

    def _project_replaced(self, _project: Project) -> None:
        self._inputs = None
        self._sync()

    def _data_loaded(self, data: LoadedData) -> None:
        self._inputs = 2 if self.document.project.data.features else data.train.n_features
        self.note.setText("")
        self._sync()

    def refusal(self) -> str | None:
        """Why no feature can be toggled now, or None."""
        if self.document.run_state is RunState.RUNNING:
            return RUNNING
        if self._inputs is None:
            return "Load a data set to choose its input features."
        return feature_refusal(self._inputs)

    def _toggled(self, name: str, on: bool) -> None:
        try:
            reason = self.push(toggle_feature(self.document, name, on))
        except BackpropError as exc:
            reason = str(exc)
        self._sync()
        if reason:
            self.note.setText(reason)

    def _sync(self) -> None:
        """Boxes as the document has them (none for data they do not apply to), disabled with the reason shown;
        the one feature left on cannot be turned off."""
        chosen = current_features(self.document)
        refusal = self.refusal()
        applies = self._inputs is not None and feature_refusal(self._inputs) is None
        for name, box in self.boxes.items():
            was = box.blockSignals(True)
            box.setChecked(applies and name in chosen)
            box.setEnabled(refusal is None and chosen != (name,))
            box.blockSignals(was)
        self.note.setText(refusal or "")
