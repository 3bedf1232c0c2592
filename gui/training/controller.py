"""The GUI thread's face of training: commands in, state and snapshots out.

Widgets and tests connect to this object's signals only. The worker's signals are connected to this object's own
bound methods (measured, design.md §2: a lambda or plain function connected to a worker signal runs in the worker
thread, even with a queued connection), which re-emit them from the GUI thread.

States: "stopped" (no run in progress), "running" (the worker is executing a command; the canvas is locked),
"paused" (a run is in progress but idle). A pause or stop is a request: the state changes when the worker has
finished its current step and said so, and only then may the GUI thread touch the model again.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QTimer, Signal, Slot

from engine import BackpropError, Event, Trainer, TrainingError, ValidationError, WeightRef
from engine.project import Project
from gui.model_events import Follower

from .gc_guard import GuiThreadCollector
from .gil import FastGilHandoff
from .live import LiveSettings, Requests, sync_watched
from .session import Session
from .snapshot import Snapshot, take_snapshot
from .worker import PARTS, Command, Outcome, TrainingWorker, apply_requests

STOPPED, RUNNING, PAUSED = "stopped", "running", "paused"
REFRESH_DELAY_MS = 50  # coalesces the burst of events one edit can emit into one refresh
_QUIET_EVENTS = {"layer_moved"}  # moving a layer on the canvas changes nothing the views show


class TrainingController(QObject):
    state_changed = Signal(str)
    snapshot_ready = Signal(object)  # Snapshot, from the worker (≤ 30 Hz) or taken here while idle
    run_reset = Signal()  # Reset weights: the curves start over
    message_posted = Signal(str)  # why a run ended, and other news for the status bar
    error_raised = Signal(str)  # an engine error or a divergence, for the user to read
    data_loaded = Signal(object, object)  # (training, validation) Datasets, whenever the data set was (re)loaded

    def __init__(self, project: Project, parent: QObject | None = None):
        super().__init__(parent)
        self._live = LiveSettings()
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._state = STOPPED
        self._busy = False
        self._after: str | None = None  # what to do once the running command ends: "pause", "stop", "reset"
        self._elapsed = 0.0
        self._watched: list[WeightRef] = []
        self._parts = frozenset(PARTS)
        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        # fires once the views have taken the snapshot; `_end_turn` paints them and hands the turn back
        self._turn_timer = QTimer(self, singleShot=True, interval=0)
        self._turn_timer.timeout.connect(self._end_turn)
        self._collector = GuiThreadCollector(self)
        self._gil = FastGilHandoff()
        self._project: Project | None = None
        self._events = Follower(self, self._on_network_event)
        self.session: Session | None = None
        self._adopt(project)  # quietly: nothing listens yet, and the data loads when first needed

    def _adopt(self, project: Project) -> None:
        self._project = project
        self.session = Session(project)
        self._data_shown = 0
        self._watched = list(project.history.watched)
        self._elapsed = 0.0
        self._events.follow(project.network)

    # ------------------------------------------------------------ queries
    @property
    def project(self) -> Project:
        return self._project

    @property
    def state(self) -> str:
        return self._state

    @property
    def busy(self) -> bool:
        """Whether the worker is executing a command (then only it may touch the model)."""
        return self._busy

    @property
    def watched(self) -> list[WeightRef]:
        return list(self._watched)

    def trainer(self) -> Trainer:
        """The current trainer (built if needed); for the GUI thread while idle, and for tests."""
        return self.session.trainer()

    # ------------------------------------------------------------ project
    def set_project(self, project: Project) -> None:
        """Follow another project (File > Open): any run of the previous one ends first; the views get its data
        and a snapshot."""
        self.shutdown()
        self._adopt(project)
        self._set_state(STOPPED)
        self.run_reset.emit()
        self.refresh()

    def settings_changed(self, *, data: bool = False) -> None:
        """The loss, optimiser, seed (or with `data`, the data set) changed: the next command uses a new trainer."""
        if self._busy:
            self.error_raised.emit("settings other than the learning rate and batch size change only when paused")
            return
        self.session.invalidate(data=data)
        self._schedule_refresh()

    # ------------------------------------------------------------ commands
    def train(self) -> None:
        """Start a run, or resume a paused one (F5)."""
        self._submit("run")

    def step(self) -> None:
        """One mini-batch, then pause (F10)."""
        self._submit("step")

    def step_epoch(self) -> None:
        """To the end of the current epoch, then pause (Shift+F10)."""
        self._submit("epoch")

    def pause(self) -> None:
        if self._busy:
            self._after = self._after or "pause"
            self._worker.interrupt()

    def stop(self) -> None:
        if self._busy:
            self._after = "reset" if self._after == "reset" else "stop"
            self._worker.interrupt()
        elif self._state == PAUSED:
            self._set_state(STOPPED)

    def reset_weights(self) -> None:
        """Fresh initial weights, a fresh optimiser and a new curve; a running run is stopped first."""
        if self._busy:
            self._after = "reset"
            self._worker.interrupt()
            return
        self._project.network.reinitialize()
        self._project.history.clear()
        self.session.invalidate()
        self._project.optimizer_t = 0
        self._elapsed = 0.0
        self._set_state(STOPPED)
        self.run_reset.emit()
        self.refresh()

    def set_learning_rate(self, lr: float) -> None:
        try:
            self._change(Requests(lr=float(lr)))
        except BackpropError as exc:
            self.error_raised.emit(str(exc))
            return
        self._project.settings.optimizer_params["lr"] = float(lr)

    def set_batch_size(self, size: int) -> None:
        try:
            self._change(Requests(batch_size=size))
        except BackpropError as exc:
            self.error_raised.emit(str(exc))
            return
        self._project.settings.batch_size = int(size)

    def request_parts(self, parts: frozenset[str]) -> None:
        """Which costly snapshot parts ("boundary", "watched") the next live snapshot should carry."""
        self._parts = parts
        if self._worker is not None:
            self._worker.parts = parts

    def watch(self, refs: list[WeightRef]) -> None:
        """Record (step, w, dL/dw, Δw) of these weights from the next step on."""
        try:
            for ref in refs:
                self._project.network.check_ref(ref)
        except BackpropError as exc:
            self.error_raised.emit(str(exc))
            return
        self._set_watched(self._watched + [r for r in refs if r not in self._watched])

    def unwatch(self, refs: list[WeightRef]) -> None:
        self._set_watched([r for r in self._watched if r not in refs])

    # ------------------------------------------------------------ shutting down
    def shutdown(self) -> None:
        """Stop the worker and its thread and wait for them (closeEvent, aboutToQuit, test teardown).

        The worker's last queued signals are delivered before it is dropped: a queued call whose sender has been
        deleted would reach this object with a dangling sender.
        """
        if self._thread is None:
            return
        if self._busy:
            self._after = self._after or "pause"
        self._worker.shut_down()
        self._thread.quit()
        self._thread.wait()
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        self._thread = self._worker = None
        self._collector.stop()
        self._gil.stop()

    # ------------------------------------------------------------ idle-time snapshots
    @Slot()
    def refresh(self) -> None:
        """Publish the current state from the GUI thread (after an edit, a reset or a settings change)."""
        if self._busy:
            return
        self._refresh_timer.stop()
        try:
            train, val = self.session.data()
            if self.session.data_version != self._data_shown:
                self._data_shown = self.session.data_version
                self.data_loaded.emit(train, val)
            found = self.session.problems()
            trainer = self.session.trainer()
        except BackpropError as exc:
            self.message_posted.emit(f"Cannot train yet: {exc}")
            return
        if found:
            self.message_posted.emit(f"Cannot train yet: {'; '.join(found)}")
        grid = None if found else self.session.grid()
        self.snapshot_ready.emit(take_snapshot(trainer, grid, elapsed=self._elapsed))

    def _schedule_refresh(self) -> None:
        self._refresh_timer.start()

    def _on_network_event(self, event: Event) -> None:
        if self._busy or event.kind in _QUIET_EVENTS:
            return
        valid = []
        for ref in self._watched:
            try:
                self._project.network.check_ref(ref)
                valid.append(ref)
            except BackpropError:
                pass  # the weight was cut or removed by this edit: stop watching it
        if valid != self._watched:
            self._set_watched(valid)
        self._schedule_refresh()

    # ------------------------------------------------------------ worker plumbing
    def _submit(self, kind: str) -> None:
        if self._busy:
            return
        try:
            if found := self.session.problems():
                raise ValidationError(found)
            trainer, grid = self.session.trainer(), self.session.grid()
        except BackpropError as exc:
            self.error_raised.emit(str(exc))
            return
        self._ensure_thread()
        self._busy, self._after = True, None
        self._worker.submit(Command(kind, trainer, grid, self._elapsed))
        self._set_state(RUNNING)

    def _change(self, requests: Requests) -> None:
        """Hand a change to the running loop, or apply it now while idle; a bad value raises the engine's error."""
        if requests.lr is not None and not requests.lr > 0:
            raise TrainingError(f"the learning rate must be > 0, not {requests.lr}")
        if requests.batch_size is not None and not (isinstance(requests.batch_size, int) and requests.batch_size >= 1):
            raise TrainingError(f"the batch size must be a whole number ≥ 1, not {requests.batch_size!r}")
        if self._busy:
            self._live.request(lr=requests.lr, batch_size=requests.batch_size, watched=requests.watched)
        elif (trainer := self.session.trainer_or_none) is not None:
            apply_requests(trainer, requests)
        elif requests.watched is not None:  # no trainer yet: the history alone keeps the watch list
            sync_watched(self._project.history, requests.watched)

    def _set_watched(self, refs: list[WeightRef]) -> None:
        self._watched = refs
        self._change(Requests(watched=tuple(refs)))
        self._schedule_refresh()

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._collector.start()
        self._gil.start()
        self._thread = QThread()
        self._thread.setObjectName("training")
        self._worker = TrainingWorker(self._live)
        self._worker.parts = self._parts
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.snapshot_taken.connect(self._on_snapshot)
        self._worker.command_finished.connect(self._on_finished)
        self._thread.start()

    @Slot(object)
    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self.snapshot_ready.emit(snapshot)
        self._turn_timer.start()

    @Slot()
    def _end_turn(self) -> None:
        """Paint what the snapshot changed, then let the worker go on.

        Left to itself, Qt paints later: a scene's changes are processed from a posted event, which posts the
        window's repaint, and both may come after this zero timer. Painting then fought the running worker for the
        GIL (measured on 2-16-16-1: 133 of 316 ms of plot painting ran after the hand-back, and the window's paints
        took 60 % longer). Delivering the posted events here (the repaint they post included) paints inside the
        turn: 1-16 of 160-200 ms ran after it.
        """
        try:
            QCoreApplication.sendPostedEvents()
        finally:  # a paint that raised (re-raised here) must not leave the worker waiting out its turn's timeout
            if self._worker is not None:
                self._worker.acknowledge()

    @Slot(object)
    def _on_finished(self, outcome: Outcome) -> None:
        after, self._busy, self._after = self._after, False, None
        if (trainer := self.session.trainer_or_none) is not None:
            self._project.update_from(trainer)
        if outcome.snapshot is not None:
            self._elapsed = outcome.snapshot.elapsed
            self.snapshot_ready.emit(outcome.snapshot)
        if after == "reset":
            self.reset_weights()
        elif outcome.error is not None:
            self._set_state(PAUSED)
            self.error_raised.emit(outcome.error)
        elif outcome.stop_reason is not None or after == "stop":
            self._set_state(STOPPED)
            self.message_posted.emit(f"Training stopped: {outcome.stop_reason or 'stopped by the user'}.")
        else:
            self._set_state(PAUSED)

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)
