"""Edit → Preferences…: settings of the app rather than of a project, kept in QSettings.

The one there is so far is the timeline's memory budget: how many bytes the recorded steps (weights, gradients and
optimiser state) may hold. The dialog says how much they hold now, so the learner sees what the budget buys.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from engine.studio import Document

BUDGET_KEY = "recording/budget_mb"
MB = 2**20


def apply_saved(document: Document, settings: QSettings) -> None:
    """The budget the user chose last time, if any (a bad stored value is ignored)."""
    try:
        mb = int(str(settings.value(BUDGET_KEY, "")))
    except ValueError:
        return
    if mb >= 0:
        document.set_recording_budget(mb * MB)


def in_use(document: Document) -> str:
    recorder = document.recorder
    steps = recorder.steps()
    kept = f"{len(steps):,} steps recorded" if steps else "nothing recorded yet"
    if steps and steps[-1] >= recorder.dense:
        kept += f" (every step up to {recorder.dense:,}, then thinned)"
    return f"{recorder.memory / MB:,.1f} MB in use of {document.recording_budget / MB:,.0f} MB: {kept}"


class PreferencesDialog(QDialog):
    def __init__(self, document: Document, settings: QSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.document = document
        self.settings = settings
        self.budget = QSpinBox()
        self.budget.setRange(0, 1_000_000)
        self.budget.setSuffix(" MB")
        self.budget.setValue(document.recording_budget // MB)
        self.budget.setToolTip("The memory the timeline may use for recorded steps: every step at first, then fewer "
                               "as the run grows; 0 records nothing")
        self.usage = QLabel(in_use(document))
        self.usage.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Timeline memory budget", self.budget)
        form.addRow("", self.usage)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._timer = QTimer(self, interval=1000)  # the recording grows while training runs
        self._timer.timeout.connect(lambda: self.usage.setText(in_use(document)))
        self._timer.start()

    def accept(self) -> None:
        self.document.set_recording_budget(self.budget.value() * MB)
        self.settings.setValue(BUDGET_KEY, self.budget.value())
        self.usage.setText(in_use(self.document))
        super().accept()
