"""The document: the one owner of everything the window shows, and the typed events its views follow.

It owns the project (network, data recipe, settings, history), the selection, the run state, the trainer with
its loaded data, the latest snapshot of the trained weights and the status line. Views receive it in their
constructor, read it when they draw and keep no copy of what it owns; a change is made here and every view hears
of it through one `Signal` per kind of change (napari's `ViewerModel`). Replacing the project is one call: the
views follow `project_replaced`, nothing re-points them.

No Qt here, so everything the window shows can be reproduced headless. Threads: only the GUI thread calls the
document. While the run state is RUNNING the training worker owns the network and the trainer; the document then
only takes what the worker publishes (snapshots, the end of a command).
"""

from __future__ import annotations

from typing import Any

from ..errors import BackpropError, TrainingError
from ..graph.events import LayerMoved, NetworkEvent
from ..graph.model import Network
from ..observe import Signal
from ..project import DataSpec, Project
from ..refs import ParamRef
from ..training import Trainer, TrainSettings
from .session import Session
from .snapshot import Snapshot, take_snapshot
from .state import LoadedData, RunState, Selection, Status


class DocumentEvents:
    """One signal per kind of change; each carries the new value."""

    def __init__(self) -> None:
        self.project_replaced: Signal[Project] = Signal()  # New, Open, an example: every view starts over
        self.selection_changed: Signal[Selection] = Signal()
        self.run_state_changed: Signal[RunState] = Signal()
        self.snapshot_published: Signal[Snapshot] = Signal()  # live from the worker, or taken while idle
        self.run_reset: Signal[Project] = Signal()  # Reset weights: curves and plot ranges start over
        self.data_loaded: Signal[LoadedData] = Signal()  # the data set was (re)loaded
        self.settings_changed: Signal[TrainSettings] = Signal()  # loss, optimiser, learning rate, budget, ...
        self.watched_changed: Signal[tuple[ParamRef, ...]] = Signal()
        self.status_changed: Signal[Status] = Signal()
        self.modified_changed: Signal[bool] = Signal()  # changes made outside the undo stack (training, settings)


class Document:
    def __init__(self, project: Project, title: str | None = None):
        self.events = DocumentEvents()
        self._project = project
        self._title = title
        self.session = Session(project)
        self._selection = Selection()
        self._run_state = RunState.STOPPED
        self._snapshot: Snapshot | None = None
        self._status = Status()
        self._modified = False
        self._data_shown = 0
        self.elapsed = 0.0  # seconds spent training since the last reset, for the clock
        self._watched: tuple[ParamRef, ...] = tuple(project.history.watched)
        project.network.events.connect(self._network_edited)

    # ------------------------------------------------------------------ the project
    @property
    def project(self) -> Project:
        return self._project

    @property
    def network(self) -> Network:
        return self._project.network

    @property
    def title(self) -> str:
        """The file's name, or what the project was opened as ("Circles (example)"), or "Untitled"."""
        if self._project.path is not None:
            return self._project.path.name
        return self._title or "Untitled"

    def replace(self, project: Project, title: str | None = None) -> None:
        """Show another project. The caller makes sure no run is in progress (a run must be shut down first)."""
        if self._run_state is RunState.RUNNING:
            raise TrainingError("stop training before replacing the project")
        self._project.network.events.disconnect(self._network_edited)
        project.network.events.connect(self._network_edited)
        self._project, self._title = project, title
        self._watched = tuple(project.history.watched)
        self.session = Session(project)
        self._selection = Selection()
        self._snapshot = None
        self._data_shown = 0
        self.elapsed = 0.0
        self._status = Status()
        self._run_state = RunState.STOPPED
        self._modified = False
        self.events.project_replaced.emit(project)
        self.events.selection_changed.emit(self._selection)
        self.events.run_state_changed.emit(self._run_state)
        self.events.status_changed.emit(self._status)
        self.events.modified_changed.emit(False)
        self.events.watched_changed.emit(self._watched)
        self.refresh()

    # ------------------------------------------------------------------ selection
    @property
    def selection(self) -> Selection:
        return self._selection

    def select(self, selection: Selection) -> None:
        if selection != self._selection:
            self._selection = selection
            self.events.selection_changed.emit(selection)

    # ------------------------------------------------------------------ run state and snapshots
    @property
    def run_state(self) -> RunState:
        return self._run_state

    @property
    def idle(self) -> bool:
        """Whether the GUI thread may use the network and the trainer (no worker command is executing)."""
        return self._run_state is not RunState.RUNNING

    def set_run_state(self, state: RunState) -> None:
        if state is not self._run_state:
            if self._run_state is RunState.RUNNING:
                self.mark_modified()  # a run, a step or an epoch changed the weights
            self._run_state = state
            self.events.run_state_changed.emit(state)

    @property
    def snapshot(self) -> Snapshot | None:
        """The latest state of the trained weights that a view may show (None before the first refresh)."""
        return self._snapshot

    def publish(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self.elapsed = snapshot.elapsed if snapshot.final else self.elapsed
        self.events.snapshot_published.emit(snapshot)

    def trainer(self) -> Trainer:
        """The trainer for the network, data and settings as they are now (built if needed; idle only)."""
        return self.session.trainer()

    def refresh(self) -> None:
        """Check the network against its data and publish a snapshot of the current weights, from the GUI thread
        while idle (after an edit, a reset, a settings change or a new project)."""
        if not self.idle:
            return
        try:
            train, val = self.session.data()
            if self.session.data_version != self._data_shown:
                self._data_shown = self.session.data_version
                self.events.data_loaded.emit(LoadedData(train, val))
            found = self.session.problems()
            trainer = self.session.trainer()
        except BackpropError as exc:
            self.post(f"Cannot train yet: {exc}", error=True, blocking=True)
            return
        if found:
            self.post(f"Cannot train yet: {'; '.join(found)}", error=True, blocking=True)
        elif self._status.blocking:
            self.post("Ready to train: press F5.")
        grid = None if found else self.session.grid()
        self.publish(take_snapshot(trainer, grid, elapsed=self.elapsed))

    # ------------------------------------------------------------------ status line
    @property
    def status(self) -> Status:
        return self._status

    def post(self, text: str, *, error: bool = False, blocking: bool = False) -> None:
        self._status = Status(text, error, blocking)
        self.events.status_changed.emit(self._status)

    # ------------------------------------------------------------------ unsaved work outside the undo stack
    @property
    def modified(self) -> bool:
        return self._modified

    def mark_modified(self) -> None:
        """Training and settings change the project without an undo step; the trained weights are work too."""
        if not self._modified:
            self._modified = True
            self.events.modified_changed.emit(True)

    def mark_saved(self) -> None:
        if self._modified:
            self._modified = False
            self.events.modified_changed.emit(False)

    # ------------------------------------------------------------------ settings and data
    def edit_settings(self, **changes: Any) -> None:
        """Change training settings (`TrainSettings` fields). The loss, optimiser, budget and seed apply at the next
        command (a new trainer); the learning rate and batch size also reach a running loop (see `live_changes`)."""
        settings = self._project.settings
        live = set(changes) <= {"lr", "batch_size"}
        if not live and not self.idle:
            raise TrainingError("settings other than the learning rate and batch size change only when paused")
        lr = changes.pop("lr", None)
        if lr is not None:
            if not float(lr) > 0:
                raise TrainingError(f"the learning rate must be > 0, not {lr}")
            settings.optimizer_params["lr"] = float(lr)
        size = changes.get("batch_size")
        if size is not None and not (isinstance(size, int) and size >= 1):
            raise TrainingError(f"the batch size must be a whole number ≥ 1, not {size!r}")
        for name, value in changes.items():
            setattr(settings, name, value)
        if not live:
            self.session.invalidate()
        self.mark_modified()
        self.events.settings_changed.emit(settings)

    def set_data(self, spec: DataSpec) -> None:
        """Train on another data set. It is loaded here first, so a recipe that cannot be loaded (the engine's error
        says what and where) changes nothing; the loaded sets then serve the trainer and every view."""
        if not self.idle:
            raise TrainingError("the data set changes only when training is paused")
        train, val, _ = spec.load(self._project.base_dir)
        self._project.data = spec
        self.session.invalidate(data=True)
        self.session.adopt(train, val)
        self.mark_modified()
        self.refresh()

    def extend_budget(self) -> int | None:
        """When the run has used its epoch budget, add the same budget again (F5 then trains on instead of doing
        nothing); returns the new budget, or None when there was budget left."""
        settings = self._project.settings
        epoch = self.session.trainer().epoch
        if epoch < settings.epochs:
            return None
        step = max(settings.epochs, 1)
        self.edit_settings(epochs=epoch + step)
        return settings.epochs

    # ------------------------------------------------------------------ watched weights
    @property
    def watched(self) -> tuple[ParamRef, ...]:
        """The weights whose (w, dL/dw, Δw) are recorded step by step. The history follows this list: the trainer
        applies it between two steps (the worker may be using the history right now)."""
        return self._watched

    def set_watched(self, refs: tuple[ParamRef, ...] | list[ParamRef]) -> None:
        for ref in refs:
            self._project.network.check_ref(ref)
        refs = tuple(dict.fromkeys(refs))
        if refs != self._watched:
            self._watched = refs
            self.mark_modified()
            self.events.watched_changed.emit(refs)

    def _network_edited(self, event: NetworkEvent) -> None:
        """An edit may have cut or removed a watched weight: stop watching it."""
        if isinstance(event, LayerMoved):
            return
        kept = tuple(ref for ref in self._watched if _exists(self._project.network, ref))
        if kept != self._watched:
            self._watched = kept
            self.events.watched_changed.emit(kept)

    def reset_weights(self) -> None:
        """Fresh initial weights, a fresh optimiser and a new curve (idle only)."""
        if not self.idle:
            raise TrainingError("stop training before resetting the weights")
        project = self._project
        project.network.reinitialize()
        project.history.clear()
        self.session.invalidate()
        project.optimizer_t = 0
        project.progress = None
        self.elapsed = 0.0
        self.mark_modified()
        self.events.run_reset.emit(project)
        self.refresh()

    def take_over(self, trainer: Trainer) -> None:
        """What a finished command changed outside the network and history (which the trainer shares)."""
        self._project.update_from(trainer)


def _exists(network: Network, ref: ParamRef) -> bool:
    try:
        network.check_ref(ref)
    except BackpropError:
        return False
    return True
