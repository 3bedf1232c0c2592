"""How to train: loss, optimiser and its settings, budget and stop condition, and the run buttons.

The panel edits the project's `TrainSettings` in place for everything that takes effect at the next run, and
only *asks* (signals) for the learning rate and batch size, which the controller hands to a running loop. It
knows nothing of threads: `set_state` tells it what is allowed.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine import LOSSES, OPTIMIZERS, TrainSettings

# action name -> (text, shortcut, tip)
ACTIONS = {
    "train": ("Train", "F5", "Train from the current weights, or resume a paused run (F5)"),
    "pause": ("Pause", "F6", "Pause after the current step; the network can then be edited (F6)"),
    "step": ("Step", "F10", "Train on one mini-batch, then pause (F10)"),
    "step_epoch": ("Step epoch", "Shift+F10", "Train to the end of the current epoch, then pause (Shift+F10)"),
    "stop": ("Stop", "Shift+F5", "End the run; the weights stay as they are (Shift+F5)"),
    "reset": ("Reset weights", "Ctrl+Shift+R", "Fresh initial weights, a fresh optimiser and a new loss curve "
              "(Ctrl+Shift+R)"),
}
# hyper-parameters bounded to [0, 1]; any other one is a non-negative number
_UNIT_INTERVAL = {"momentum", "dampening", "alpha", "beta1", "beta2"}


class NumberBox(QDoubleSpinBox):
    """A spin box that shows numbers the way people write them (0.001, 1e-06) rather than with fixed decimals,
    and steps by a factor, which is how learning rates are explored."""

    def __init__(self, minimum: float, maximum: float, factor: float = math.sqrt(10.0)):
        super().__init__()
        self.setDecimals(12)
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)
        self._factor = factor

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:
        if self.value() > 0 and self.minimum() > 0:
            self.setValue(self.value() * self._factor**steps)
        else:
            super().stepBy(steps)


class TrainingPanel(QWidget):
    settings_edited = Signal()  # loss, optimiser, its settings, budget, target, seed: they apply at the next run
    learning_rate_edited = Signal(float)
    batch_size_edited = Signal(int)
    action_triggered = Signal(str)  # one of ACTIONS

    def __init__(self, settings: TrainSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.run_actions: dict[str, QAction] = {}
        buttons = QGridLayout()
        for k, (name, (text, shortcut, tip)) in enumerate(ACTIONS.items()):
            action = QAction(text, self)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.setToolTip(tip)
            action.setStatusTip(tip)
            action.triggered.connect(lambda _=False, name=name: self.action_triggered.emit(name))
            self.run_actions[name] = action
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            buttons.addWidget(button, k // 3, k % 3)

        self.loss = QComboBox()
        for key, loss in LOSSES.items():
            self.loss.addItem(loss.label, key)
        self.optimizer = QComboBox()
        for key in OPTIMIZERS:
            self.optimizer.addItem({"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}.get(key, key),
                                   key)
        self.lr = NumberBox(1e-8, 1e6)
        self.batch_size = QSpinBox(minimum=1, maximum=1_000_000, keyboardTracking=False)
        self.epochs = QSpinBox(minimum=1, maximum=10_000_000, keyboardTracking=False)
        self.target_on = QCheckBox("stop at loss ≤")
        self.target = NumberBox(1e-12, 1e6)
        self.patience = QSpinBox(minimum=0, maximum=1_000_000, keyboardTracking=False, specialValueText="off")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, keyboardTracking=False)
        self.hyper_box = QGroupBox("Optimiser settings")
        self.hyper_form = QFormLayout(self.hyper_box)
        self.hyper: dict[str, QWidget] = {}

        form = QFormLayout()
        form.addRow("Loss", self.loss)
        form.addRow("Optimiser", self.optimizer)
        form.addRow("Learning rate", self.lr)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epoch budget", self.epochs)
        form.addRow(self.target_on, self.target)
        form.addRow("Patience (epochs)", self.patience)
        form.addRow("Shuffle seed", self.seed)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.hyper_box)
        layout.addStretch(1)

        self.settings = settings
        self.set_settings(settings)
        self.loss.currentIndexChanged.connect(self._edited)
        self.optimizer.currentIndexChanged.connect(self._optimizer_changed)
        self.epochs.valueChanged.connect(self._edited)
        self.target_on.toggled.connect(self._edited)
        self.target.valueChanged.connect(self._edited)
        self.patience.valueChanged.connect(self._edited)
        self.seed.valueChanged.connect(self._edited)
        self.lr.valueChanged.connect(self.learning_rate_edited)
        self.batch_size.valueChanged.connect(self.batch_size_edited)
        self.set_state("stopped")

    # ------------------------------------------------------------ from the project
    def set_settings(self, settings: TrainSettings) -> None:
        """Show `settings` (a new project was opened) without emitting edits."""
        self.settings = settings
        widgets = (self.loss, self.optimizer, self.lr, self.batch_size, self.epochs, self.target_on, self.target,
                   self.patience, self.seed)
        blocked = [w.blockSignals(True) for w in widgets]
        self.loss.setCurrentIndex(self.loss.findData(settings.loss))
        self.optimizer.setCurrentIndex(self.optimizer.findData(settings.optimizer))
        self.lr.setValue(self._hyper_values()["lr"])
        self.batch_size.setValue(settings.batch_size)
        self.epochs.setValue(settings.epochs)
        self.target_on.setChecked(settings.target_loss is not None)
        self.target.setValue(settings.target_loss if settings.target_loss is not None else 0.01)
        self.patience.setValue(settings.patience or 0)
        self.seed.setValue(settings.seed)
        for widget, was in zip(widgets, blocked, strict=True):
            widget.blockSignals(was)
        self._build_hyper_form()

    # ------------------------------------------------------------ state
    def set_state(self, state: str) -> None:
        """"running" locks everything but the learning rate and batch size; "paused" turns Train into Resume."""
        running = state == "running"
        for widget in (self.loss, self.optimizer, self.epochs, self.target_on, self.target, self.patience, self.seed,
                       self.hyper_box):
            widget.setEnabled(not running)
        self.target.setEnabled(not running and self.target_on.isChecked())
        self.run_actions["train"].setText("Resume" if state == "paused" else "Train")
        for name in ("train", "step", "step_epoch"):
            self.run_actions[name].setEnabled(not running)
        self.run_actions["pause"].setEnabled(running)
        self.run_actions["stop"].setEnabled(state != "stopped")

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b2182b;" if error else "")
        self.message.setText(text)

    # ------------------------------------------------------------ edits
    def _hyper_values(self) -> dict:
        return {**OPTIMIZERS[self.settings.optimizer].defaults, **self.settings.optimizer_params}

    def _build_hyper_form(self) -> None:
        while self.hyper_form.rowCount():
            self.hyper_form.removeRow(0)
        self.hyper = {}
        for name, value in self._hyper_values().items():
            if name == "lr":
                continue
            if isinstance(value, bool):
                widget = QCheckBox()
                widget.setChecked(value)
                widget.toggled.connect(lambda on, name=name: self._hyper_edited(name, on))
            else:
                widget = QDoubleSpinBox(decimals=10 if name == "eps" else 4, keyboardTracking=False)
                widget.setRange(0.0, 1.0 if name in _UNIT_INTERVAL else 1e3)
                widget.setSingleStep(1e-8 if name == "eps" else 0.01)
                widget.setValue(float(value))
                widget.valueChanged.connect(lambda v, name=name: self._hyper_edited(name, v))
            self.hyper_form.addRow(name, widget)
            self.hyper[name] = widget

    def _hyper_edited(self, name: str, value: float | bool) -> None:
        self.settings.optimizer_params[name] = value
        self.settings_edited.emit()

    def _optimizer_changed(self) -> None:
        """A new optimiser starts from its own defaults; only the learning rate carries over."""
        self.settings.optimizer = self.optimizer.currentData()
        self.settings.optimizer_params = {"lr": self.lr.value()}
        self._build_hyper_form()
        self.settings_edited.emit()

    def _edited(self) -> None:
        s = self.settings
        s.loss = self.loss.currentData()
        s.epochs = self.epochs.value()
        s.target_loss = self.target.value() if self.target_on.isChecked() else None
        self.target.setEnabled(self.target_on.isChecked())
        s.patience = self.patience.value() or None
        s.seed = self.seed.value()
        self.settings_edited.emit()


class RunStatus(QWidget):
    """For the status bar: epoch progress against the budget, steps per second and training time."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setFormat("epoch %v / %m")
        self.rate = QLabel("")
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.rate, 0, 0)
        layout.addWidget(self.progress, 0, 1)
        self.show_progress(0, 1, 0.0, 0.0)

    def show_progress(self, epoch: int, budget: int, steps_per_second: float, elapsed: float) -> None:
        self.progress.setRange(0, max(budget, 1))
        self.progress.setValue(min(epoch, max(budget, 1)))
        minutes, seconds = divmod(int(elapsed), 60)
        rate = f"{steps_per_second:,.0f} steps/s · " if steps_per_second else ""
        self.rate.setText(f"{rate}{minutes:02d}:{seconds:02d}")
