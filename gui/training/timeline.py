"""The timeline under the loss plot: scrub back through the recorded run, replay it, or continue from a step.

Everything goes through the document's time cursor (`Document.view_step`, `view_live`, `continue_from`): the
document puts the recorded step's weights, gradients and moments in the live plan and publishes a snapshot of it,
so every view (edges, inspector, boundary, chain-rule explorer) shows that step without knowing about time. This
widget keeps only where its handle is.

Dragging the handle with the mouse shows each step it passes; releasing it returns to the live state, the handle
staying on the step it marks, so *Continue from here* knows where to go back to. The keyboard (arrows, Page Up/Down)
moves the handle and stays in the past until End. Replay walks the recorded steps at a fraction of the speed the run
trained at.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QToolButton, QVBoxLayout, QWidget

from engine import BackpropError
from engine.studio import Document, RunState, Snapshot
from gui.commands.document import DocumentCommand
from gui.follow import follow

REPLAY_SLOWER = (1, 2, 5, 10, 20, 50, 100)  # the Replay speeds: this many times slower than the run trained
REPLAY_TICK_MS = 40
FALLBACK_RATE = 100.0  # steps per second assumed for a run whose training time is unknown (opened from a file)


class Timeline(QWidget):
    def __init__(self, document: Document, push: Callable[[DocumentCommand], str | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self._push = push
        self.marked: int | None = None  # the step the handle marks (shown or chosen), None: the live end
        self._pending: int | None = None  # a step the handle was dragged to, shown at the next turn of the loop
        self._replay_at = 0.0  # the replay's position, in (fractional) steps
        self._replay_rate = 0.0  # steps of the run per second of replay

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Drag to see the network as it was at a recorded step; release (or press End) to "
                               "return to the live state")
        self.slider.valueChanged.connect(self._moved)
        self.slider.sliderReleased.connect(self._released)
        self.label = QLabel("")
        self.label.setWordWrap(True)  # its own row: the Loss dock stays as narrow as the plots let it be
        self.live_action = self._action("Return to &Live", "End", "Show the live state again (End)", self.go_live)
        self.replay_action = self._action("&Replay", None, "Play the recorded run back as an animation",
                                          self._replay_toggled)
        self.replay_action.setCheckable(True)
        self.continue_action = self._action(
            "&Continue from Here", None, "Go back to the marked step (its weights and optimiser state) and train on "
            "from it; the steps after it are kept in Runs. Undo takes it back", self.continue_from_here)
        self.replay_speed = QComboBox()
        for slower in REPLAY_SLOWER:
            self.replay_speed.addItem(f"{slower}× slower" if slower > 1 else "as trained", slower)
        self.replay_speed.setCurrentIndex(REPLAY_SLOWER.index(20))
        self.replay_speed.setToolTip("Replay speed, against the speed the run trained at")
        self.replay_speed.currentIndexChanged.connect(self._set_replay_rate)

        buttons = QHBoxLayout()
        for action, short in ((self.replay_action, "Replay"), (self.continue_action, "Continue"),
                              (self.live_action, "Live")):
            action.setIconText(short)  # the button's text; the menu shows the whole
            button = QToolButton()
            button.setDefaultAction(action)
            buttons.addWidget(button)
        buttons.insertWidget(1, self.replay_speed)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 2)
        layout.addWidget(self.slider)
        layout.addLayout(buttons)
        layout.addWidget(self.label)

        self._view_timer = QTimer(self, singleShot=True, interval=0)  # one view per turn, however fast the drag
        self._view_timer.timeout.connect(self._show_pending)
        self._replay_timer = QTimer(self, interval=REPLAY_TICK_MS)
        self._replay_timer.timeout.connect(self._replay_tick)
        events = document.events
        follow(self, events.snapshot_published, self._snapshot_published)
        follow(self, events.time_changed, lambda _step: self._update())
        follow(self, events.run_state_changed, self._run_state_changed)
        follow(self, events.run_reset, lambda _project: self._forget())
        follow(self, events.project_replaced, lambda _project: self._forget())
        self._update()

    def _action(self, text: str, key: str | None, tip: str, slot: Callable) -> QAction:
        action = QAction(text, self)
        if key is not None:
            action.setShortcut(QKeySequence(key))
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    @property
    def menu_actions(self) -> list[QAction]:
        return [self.live_action, self.replay_action, self.continue_action]

    # ------------------------------------------------------------ the user
    def go_live(self) -> None:
        """End: the live state, the handle back at the end."""
        self._stop_replay()
        self._view_timer.stop()
        self.marked = None
        self.document.view_live()
        self._update()

    def continue_from_here(self) -> None:
        step = self.marked
        if step is None or not self.document.idle:
            return
        self._stop_replay()
        document = self.document
        self.marked = None
        self._push(DocumentCommand(f"Continue from step {step}", lambda: document.continue_from(step),
                                   document.restore))
        self._update()

    def _moved(self, value: int) -> None:
        """The user moved the handle (mouse or keys): show the nearest recorded step at the next turn."""
        self._pending = value
        self._view_timer.start()

    def _released(self) -> None:
        """Live again; the handle marks the step it was let go on (shown already, or not yet if the drag was quick)."""
        self._view_timer.stop()
        if self._pending is not None:
            self.marked = self.document.recorder.nearest(self._pending)
            self._pending = None
        self.document.view_live()
        self._update()

    def _show_pending(self) -> None:
        step, self._pending = self._pending, None
        if step is not None:
            self._view(step)

    def _view(self, step: int) -> None:
        try:
            self.marked = self.document.view_step(step)
        except BackpropError as exc:  # training runs, or nothing is recorded yet
            self.document.post(str(exc), error=True)
        self._update()

    # ------------------------------------------------------------ replay
    def _replay_toggled(self, on: bool) -> None:
        if not on:
            self._stop_replay()
            return
        steps = self.document.recorder.steps()
        if not self.document.idle or len(steps) < 2:
            self.replay_action.setChecked(False)
            self.document.post("Nothing to replay yet: train first, then pause." if self.document.idle
                               else "Pause training to replay the recorded run.")
            return
        start = self.marked if self.marked is not None and self.marked < steps[-1] else steps[0]
        self._replay_at = float(start)
        self._set_replay_rate()
        self._view(start)
        self._replay_timer.start()

    def _set_replay_rate(self) -> None:
        snap, elapsed = self.document.snapshot, self.document.elapsed
        trained = snap.step / elapsed if snap is not None and snap.step and elapsed > 0 else FALLBACK_RATE
        self._replay_rate = trained / float(self.replay_speed.currentData())

    def _replay_tick(self) -> None:
        steps = self.document.recorder.steps()
        self._replay_at += self._replay_rate * REPLAY_TICK_MS / 1000
        if not steps or self._replay_at >= steps[-1]:
            self.go_live()
            return
        at = int(self._replay_at)
        if self.document.recorder.nearest(at) != self.document.viewing:
            self._view(at)
        self._set_slider(steps[0], steps[-1], at)

    def _stop_replay(self) -> None:
        self._replay_timer.stop()
        if self.replay_action.isChecked():
            self.replay_action.setChecked(False)

    def _set_slider(self, lo: int, hi: int, value: int | None) -> None:
        """Range and handle (None: leave the handle), without it counting as a move."""
        blocked = self.slider.blockSignals(True)
        self.slider.setRange(lo, hi)
        if value is not None:
            self.slider.setValue(value)
        self.slider.blockSignals(blocked)

    # ------------------------------------------------------------ the document
    def _snapshot_published(self, snap: Snapshot) -> None:
        if not snap.past:
            self._update()

    def _run_state_changed(self, state: RunState) -> None:
        if state is RunState.RUNNING:
            self._stop_replay()
            self.marked = None
        self._update()

    def _forget(self) -> None:
        """A new run, a continue-from-here or a new project: the old handle position means nothing now."""
        self._stop_replay()
        self.marked = None
        self._update()

    def _update(self) -> None:
        """The slider spans the recorded steps; the handle sits on the marked step, or at the end."""
        document = self.document
        steps = document.recorder.steps()
        idle, viewing = document.idle, document.viewing
        if not self.slider.isSliderDown():  # while a step is shown, the handle stays where the user put it
            hi = steps[-1] if steps else 0
            self._set_slider(steps[0] if steps else 0, hi,
                             None if viewing is not None else hi if self.marked is None else self.marked)
        self.slider.setEnabled(idle and len(steps) > 1)
        self.replay_action.setEnabled(idle and len(steps) > 1)
        self.continue_action.setEnabled(idle and self.marked is not None)
        self.live_action.setEnabled(viewing is not None or self.marked is not None)
        live = document.snapshot.step if document.snapshot is not None and not document.snapshot.past else None
        if viewing is not None:
            text = f"Showing step {viewing} (read-only): release or press End for the live state"
        elif self.marked is not None:
            text = f"Live · step {self.marked} marked: Continue from here trains on from it"
        elif not steps:
            text = "Nothing recorded yet: train, then pause and drag to look back"
        elif not idle:
            text = f"Recording: {len(steps)} steps kept · pause to look back"
        else:
            text = f"Live{f' (step {live})' if live is not None else ''} · {len(steps)} steps recorded"
        self.label.setText(text)
