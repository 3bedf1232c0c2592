"""The GUI thread's face of training: runs commands on the worker thread and writes what comes back into the
document (run state, snapshots, status). It owns the thread plumbing and nothing the views show.

The worker's signals are connected to this object's own bound methods (measured, design.md §2: a lambda or plain
function connected to a worker signal runs in the worker thread, even with a queued connection), so every change
of the document happens in the GUI thread.

A pause or stop is a request: the run state leaves RUNNING when the worker has finished its current step and
said so, and only then may the GUI thread touch the network again.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QThread, QTimer, Slot

from engine import BackpropError, LayerMoved, NetworkEvent, ParamRef, TrainSettings, ValidationError
from engine.project import Project
from engine.studio import Document, RunState, Snapshot
from gui.follow import Follower, follow

from .gc_guard import GuiThreadCollector
from .gil import FastGilHandoff
from .live import LiveSettings, Requests, sync_watched
from .worker import PARTS, Command, Outcome, TrainingWorker, apply_requests

REFRESH_DELAY_MS = 50  # coalesces the burst of events one edit can emit into one refresh
PAUSED_NOTE = "Paused: the network can be edited; Resume continues from these weights."
RUNNING_NOTE = "Training… (the canvas is locked: pause to edit the network)"


class TrainingController(QObject):
    def __init__(self, document: Document, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self._live = LiveSettings()
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._after: str | None = None  # what to do once the running command ends: "pause", "stop", "reset"
        self._warning: str | None = None  # the last blow-up warning of the running command, said again at its end
        self._parts = frozenset(PARTS)
        self._pace: float | None = None
        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        # fires once the views have taken the snapshot; `_end_turn` paints them and hands the turn back
        self._turn_timer = QTimer(self, singleShot=True, interval=0)
        self._turn_timer.timeout.connect(self._end_turn)
        self._collector = GuiThreadCollector(self)
        self._gil = FastGilHandoff()
        self._network_events = Follower(self, self._network_edited, document.network.events)
        events = document.events
        follow(self, events.project_replaced, self._project_replaced)
        follow(self, events.settings_changed, self._settings_changed)
        follow(self, events.watched_changed, self._watched_changed)
        follow(self, events.snapshot_published, self._snapshot_published)

    @property
    def busy(self) -> bool:
        """Whether the worker is executing a command (then only it may touch the network)."""
        return self.document.run_state is RunState.RUNNING

    @property
    def pace(self) -> float | None:
        """Slow motion: steps per second, each one shown by every view; None: as fast as possible."""
        return self._pace

    def set_pace(self, steps_per_second: float | None) -> None:
        """Takes effect at the next step, also in a running loop."""
        self._pace = steps_per_second
        if self._worker is not None:
            self._worker.pace = steps_per_second

    # ------------------------------------------------------------ following the document
    def _project_replaced(self, project: Project) -> None:
        self._network_events.follow(project.network.events)

    def _network_edited(self, event: NetworkEvent) -> None:
        if not (self.busy or isinstance(event, LayerMoved)):  # moving a layer changes nothing the views show
            self.schedule_refresh()

    def _settings_changed(self, settings: TrainSettings) -> None:
        """The learning rate and batch size reach a running loop between two steps; the rest apply at the next
        command (the document has dropped the trainer), so the views refresh from a new one."""
        requests = Requests(lr=float(settings.optimizer_params.get("lr", 0.0)) or None,
                            batch_size=settings.batch_size)
        self._request(requests)
        self.schedule_refresh()

    def _watched_changed(self, refs: tuple[ParamRef, ...]) -> None:
        self._request(Requests(watched=refs))
        self.schedule_refresh()

    def _snapshot_published(self, snapshot: Snapshot) -> None:
        """A snapshot published while idle shows everything changed before it: a refresh scheduled by then has
        nothing left to show (opening a project schedules one for its watch list, then publishes; on a 1M-weight
        network the second refresh cost 65–84 ms)."""
        if not self.busy:
            self._refresh_timer.stop()

    def _request(self, requests: Requests) -> None:
        """Hand a change to the running loop, or apply it now while idle."""
        if self.busy:
            self._live.request(lr=requests.lr, batch_size=requests.batch_size, watched=requests.watched)
        elif (trainer := self.document.session.trainer_or_none) is not None:
            apply_requests(trainer, requests)
        elif requests.watched is not None:  # no trainer yet: the history alone keeps the watch list
            sync_watched(self.document.project.history, requests.watched)

    # ------------------------------------------------------------ commands
    def train(self) -> None:
        """Start a run, or resume a paused one (F5). A run whose epoch budget is used up gets the same budget again,
        and says so, rather than stopping at once without a word."""
        if self.busy:
            return
        try:
            budget = self.document.extend_budget()
        except BackpropError as exc:
            self.document.post(f"Cannot train yet: {exc}", error=True)
            return
        self._submit("run")
        if budget is not None and self.busy:
            self.document.post(f"The epoch budget was used up: extended to {budget} epochs (Training dock). "
                               f"{RUNNING_NOTE}")

    def step(self) -> None:
        """One mini-batch, then pause (F10)."""
        self._submit("step")

    def step_epoch(self) -> None:
        """To the end of the current epoch, then pause (Shift+F10)."""
        self._submit("epoch")

    def pause(self) -> None:
        if self.busy and self._worker is not None:
            self._after = self._after or "pause"
            self._worker.interrupt()

    def stop(self) -> None:
        if self.busy and self._worker is not None:
            self._after = "reset" if self._after == "reset" else "stop"
            self._worker.interrupt()
        elif self.document.run_state is RunState.PAUSED:
            self.document.set_run_state(RunState.STOPPED)
            self.document.post("Stopped.")

    def reset_weights(self) -> None:
        """Fresh initial weights, a fresh optimiser and a new curve; a running run is stopped first."""
        if self.busy and self._worker is not None:
            self._after = "reset"
            self._worker.interrupt()
            return
        self.document.set_run_state(RunState.STOPPED)
        self.document.reset_weights()
        self.document.post("Weights reset: fresh initial weights, a fresh optimiser, a new curve.")

    def request_parts(self, parts: frozenset[str]) -> None:
        """Which costly snapshot parts ("boundary", "watched") the next live snapshot should carry."""
        self._parts = parts
        if self._worker is not None:
            self._worker.parts = parts

    # ------------------------------------------------------------ shutting down
    def shutdown(self) -> None:
        """Stop the worker and its thread and wait for them (closeEvent, aboutToQuit, a new project, teardown).

        The worker's last queued signals are delivered before it is dropped: a queued call whose sender has been
        deleted would reach this object with a dangling sender.
        """
        if self._thread is None or self._worker is None:
            return
        if self.busy:
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
        """Let the document publish the current state (after an edit, a reset or a settings change)."""
        self._refresh_timer.stop()
        self.document.refresh()

    def schedule_refresh(self) -> None:
        self._refresh_timer.start()

    # ------------------------------------------------------------ worker plumbing
    def _submit(self, kind: str) -> None:
        if self.busy:
            return
        session = self.document.session
        try:
            if found := session.problems():
                raise ValidationError(found)
            trainer, grid = session.trainer(), session.grid()
        except BackpropError as exc:
            self.document.post(f"Cannot train yet: {exc}", error=True, blocking=True)
            return
        self._ensure_thread()
        assert self._worker is not None
        self._after = self._warning = None
        apply_requests(trainer, Requests(watched=self.document.watched))
        self._worker.submit(Command(kind, trainer, grid, self.document.elapsed))
        self.document.set_run_state(RunState.RUNNING)
        self.document.post(RUNNING_NOTE)

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._collector.start()
        self._gil.start()
        self._thread = QThread()
        self._thread.setObjectName("training")
        self._worker = TrainingWorker(self._live)
        self._worker.parts = self._parts
        self._worker.pace = self._pace
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.snapshot_taken.connect(self._on_snapshot)
        self._worker.command_finished.connect(self._on_finished)
        self._worker.warned.connect(self._on_warning)
        self._thread.start()

    @Slot(object)
    def _on_snapshot(self, snapshot: Snapshot) -> None:
        self.document.publish(snapshot)
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

    @Slot(str)
    def _on_warning(self, text: str) -> None:
        self._warning = text
        self.document.post(f"Warning: {text}", error=True)

    @Slot(object)
    def _on_finished(self, outcome: Outcome) -> None:
        document = self.document
        after, self._after = self._after, None
        warning = self._warning  # said again at the end, unless the run stopped because of it (pause_on_blowup)
        tail = f" Warning during the run: {warning}" if warning and warning != outcome.stop_reason else ""
        if (trainer := document.session.trainer_or_none) is not None:
            document.take_over(trainer)
        if after == "reset":
            document.set_run_state(RunState.STOPPED)  # no longer busy: reset_weights would only interrupt again
            self.reset_weights()
            return
        stopped = outcome.error is None and (outcome.stop_reason is not None or after == "stop")
        document.set_run_state(RunState.STOPPED if stopped else RunState.PAUSED)
        if outcome.snapshot is not None:
            document.publish(outcome.snapshot)
        if outcome.error is not None:
            document.post(outcome.error, error=True)
        elif stopped:
            document.post(f"Training stopped: {outcome.stop_reason or 'stopped by the user'}.{tail}",
                          error=warning is not None)
        else:
            document.post(f"{PAUSED_NOTE}{tail}", error=warning is not None)
