"""How to train: loss, optimiser and its settings, budget and stop condition, and the run buttons.

Every edit is announced (`settings_edited`) for the training feature to make it an undoable edit of the document
(`Document.edit_settings`, which says whether it is allowed now); the learning rate and batch size also reach a
running loop (the training controller follows `settings_changed`). The panel shows the document's settings, run
state and status line and keeps none of them.
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
from engine.studio import Document, RunState, Status
from gui.colors import error_color
from gui.follow import follow

from .penalty_editor import PenaltyEditor

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
# slow motion: the Speed box's choices, in steps per second (None: as fast as possible, the default)
SPEEDS: tuple[float | None, ...] = (None, 30.0, 10.0, 5.0, 2.0, 1.0)
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
    action_triggered = Signal(str)  # one of ACTIONS
    pace_chosen = Signal(object)  # steps per second (float), or None: as fast as possible
    settings_edited = Signal(dict)  # `Document.edit_settings` keywords: the training feature makes them undoable

    def __init__(self, document: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
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
        self.batch_size = QSpinBox(minimum=1, maximum=1_000_000)
        self.epochs = QSpinBox(minimum=1, maximum=10_000_000)
        self.target_on = QCheckBox("stop at loss ≤")
        self.target = NumberBox(1e-12, 1e6)
        self.patience = QSpinBox(minimum=0, maximum=1_000_000)
        self.patience.setSpecialValueText("off")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.penalty = PenaltyEditor(NumberBox(1e-12, 1e3))
        self.speed = QComboBox()
        for pace in SPEEDS:
            self.speed.addItem("as fast as possible" if pace is None else f"{pace:g} steps/s", pace)
        self.speed.setToolTip("Slow motion: at a set speed every view shows every step, so you can watch the "
                              "network learn; it applies at once, also while training")
        self.speed.currentIndexChanged.connect(lambda _i: self.pace_chosen.emit(self.speed.currentData()))
        self.pause_on_blowup = QCheckBox("pause when the loss blows up")
        self.pause_on_blowup.setToolTip("The loss's running average grown 1000-fold over its best: a warning in any "
                                        "case; with this on, the run also stops there")
        for box in (self.batch_size, self.epochs, self.patience, self.seed):
            box.setKeyboardTracking(False)
        self.hyper_box = QGroupBox("Optimiser settings")
        self.hyper_form = QFormLayout(self.hyper_box)
        self.hyper: dict[str, QWidget] = {}
        self._hyper_shown: dict = {}  # the optimiser settings the hyper-parameter form was built for

        form = QFormLayout()
        form.addRow("Speed", self.speed)
        form.addRow("Loss", self.loss)
        form.addRow("Optimiser", self.optimizer)
        form.addRow("Learning rate", self.lr)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Epoch budget", self.epochs)
        form.addRow(self.target_on, self.target)
        form.addRow("Regularisation", self.penalty)
        form.addRow("Patience (epochs)", self.patience)
        form.addRow("Shuffle seed", self.seed)
        form.addRow(self.pause_on_blowup)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addLayout(form)
        layout.addWidget(self.hyper_box)
        layout.addStretch(1)

        self.set_settings(document.project.settings)
        self.loss.currentIndexChanged.connect(self._edited)
        self.optimizer.currentIndexChanged.connect(self._optimizer_changed)
        self.epochs.valueChanged.connect(self._edited)
        self.target_on.toggled.connect(self._edited)
        self.target.valueChanged.connect(self._edited)
        self.patience.valueChanged.connect(self._edited)
        self.pause_on_blowup.toggled.connect(self._edited)
        self.seed.valueChanged.connect(self._edited)
        self.penalty.edited.connect(lambda penalty: self._edit(penalty=penalty))
        self.lr.valueChanged.connect(lambda lr: self._edit(lr=lr))
        self.batch_size.valueChanged.connect(lambda size: self._edit(batch_size=size))
        events = document.events
        follow(self, events.project_replaced, lambda project: self.set_settings(project.settings))
        follow(self, events.settings_changed, self.set_settings)  # e.g. F5 extended the epoch budget
        follow(self, events.run_state_changed, self.set_state)
        follow(self, events.status_changed, self.show_status)
        self.set_state(document.run_state)
        self.show_status(document.status)

    @property
    def settings(self) -> TrainSettings:
        return self.document.project.settings

    # ------------------------------------------------------------ from the project
    def set_settings(self, settings: TrainSettings) -> None:
        """Show `settings` (a new project was opened) without emitting edits."""
        widgets = (self.loss, self.optimizer, self.lr, self.batch_size, self.epochs, self.target_on, self.target,
                   self.patience, self.seed, self.pause_on_blowup)
        blocked = [w.blockSignals(True) for w in widgets]
        self.loss.setCurrentIndex(self.loss.findData(settings.loss))
        self.optimizer.setCurrentIndex(self.optimizer.findData(settings.optimizer))
        self.lr.setValue(self._hyper_values()["lr"])
        self.batch_size.setValue(settings.batch_size)
        self.epochs.setValue(settings.epochs)
        self.target_on.setChecked(settings.target_loss is not None)
        self.target.setValue(settings.target_loss if settings.target_loss is not None else 0.01)
        self.patience.setValue(settings.patience or 0)
        self.pause_on_blowup.setChecked(settings.pause_on_blowup)
        self.seed.setValue(settings.seed)
        self.penalty.show_penalty(settings.penalty)
        for widget, was in zip(widgets, blocked, strict=True):
            widget.blockSignals(was)
        if self._hyper_shown != self._form_values():  # rebuilding would take the focus from a field being edited
            self._build_hyper_form()

    # ------------------------------------------------------------ state
    def set_state(self, state: RunState) -> None:
        """Running locks everything but the learning rate and batch size; paused turns Train into Resume."""
        running = state is RunState.RUNNING
        for widget in (self.loss, self.optimizer, self.epochs, self.target_on, self.target, self.patience, self.seed,
                       self.pause_on_blowup, self.hyper_box, self.penalty):
            widget.setEnabled(not running)
        self.target.setEnabled(not running and self.target_on.isChecked())
        self.run_actions["train"].setText("Resume" if state is RunState.PAUSED else "Train")
        for name in ("train", "step", "step_epoch"):
            self.run_actions[name].setEnabled(not running)
        self.run_actions["pause"].setEnabled(running)
        self.run_actions["stop"].setEnabled(state is not RunState.STOPPED)

    def show_status(self, status: Status) -> None:
        self.message.setStyleSheet(f"color: {error_color(self.palette())};" if status.error else "")
        self.message.setText(status.text)

    def _edit(self, **changes) -> None:
        self.settings_edited.emit(changes)

    # ------------------------------------------------------------ edits
    def _hyper_values(self) -> dict:
        return self.settings.hyper

    def _form_values(self) -> dict:
        """The optimiser's settings but the learning rate, which has its own box above the form."""
        return {name: value for name, value in self._hyper_values().items() if name != "lr"}

    def _build_hyper_form(self) -> None:
        while self.hyper_form.rowCount():
            self.hyper_form.removeRow(0)
        self.hyper = {}
        self._hyper_shown = self._form_values()
        for name, value in self._hyper_shown.items():
            widget: QWidget
            if isinstance(value, bool):
                widget = QCheckBox()
                widget.setChecked(value)
                widget.toggled.connect(lambda on, name=name: self._hyper_edited(name, on))
            else:
                widget = QDoubleSpinBox(decimals=10 if name == "eps" else 4)
                widget.setKeyboardTracking(False)
                widget.setRange(0.0, 1.0 if name in _UNIT_INTERVAL else 1e3)
                widget.setSingleStep(1e-8 if name == "eps" else 0.01)
                widget.setValue(float(value))
                widget.valueChanged.connect(lambda v, name=name: self._hyper_edited(name, v))
            self.hyper_form.addRow(name, widget)
            self.hyper[name] = widget

    def _hyper_edited(self, name: str, value: float | bool) -> None:
        self._edit(optimizer_params={**self.settings.optimizer_params, name: value})

    def _optimizer_changed(self) -> None:
        """A new optimiser starts from its own defaults; only the learning rate carries over."""
        self._edit(optimizer=self.optimizer.currentData(), optimizer_params={"lr": self.lr.value()})
        self._build_hyper_form()

    def _edited(self) -> None:
        self.target.setEnabled(self.target_on.isChecked())
        self._edit(loss=self.loss.currentData(), epochs=self.epochs.value(),
                   target_loss=self.target.value() if self.target_on.isChecked() else None,
                   patience=self.patience.value() or None, seed=self.seed.value(),
                   pause_on_blowup=self.pause_on_blowup.isChecked())


class RunStatus(QWidget):
    """For the status bar: epoch progress against the budget, steps per second and training time."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.progress = QProgressBar()
        self.progress.setFormat("epoch %v / %m")
        # room for the widest text it shows, so "epoch 100 / 100" never wraps (it did once the timer took its room)
        self.progress.setMinimumWidth(self.progress.fontMetrics().horizontalAdvance("epoch 000,000 / 000,000") + 16)
        self.progress.setMaximumWidth(max(180, self.progress.minimumWidth()))
        self.rate = QLabel("")
        # room for a fast run's rate, so the status bar does not shift as the numbers grow
        self.rate.setMinimumWidth(self.rate.fontMetrics().horizontalAdvance("000,000 steps/s · 00:00"))
        self.rate.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
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
