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

import copy
from collections.abc import Iterable
from dataclasses import replace as replaced
from typing import Any

from ..datasets import Dataset
from ..errors import BackpropError, TrainingError
from ..graph.events import ConnectionChanged, LayerMoved, NetworkEvent, ValuesChanged
from ..graph.model import Network
from ..observe import Signal
from ..project import DataSpec, Project
from ..recording import DEFAULT_BUDGET, Peek, Recorder
from ..refs import ParamRef
from ..runs import MAX_RUNS, Run
from ..training import Trainer, TrainSettings
from .readouts import Readouts
from .samples import SampleSelection
from .session import Session
from .snapshot import BoundaryGrid, Snapshot, readouts_of, take_snapshot
from .state import LoadedData, RunState, Selection, Status
from .timeline import Checkpoint, RunStart, continue_trainer, finish_run, take_checkpoint

READ_OUT_AT_ONCE = 10**8  # multiply-adds of the read-outs' forward pass an idle refresh does at once (~4 ms)


def _readouts_are_cheap(trainer: Trainer) -> bool:
    rows = len(trainer.x) + (0 if trainer.x_val is None else len(trainer.x_val))
    return rows * trainer.network.n_weights <= READ_OUT_AT_ONCE


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
        self.time_changed: Signal[int | None] = Signal()  # the recorded step shown, or None: the live state
        self.runs_changed: Signal[tuple[Run, ...]] = Signal()  # a run ended, was renamed, deleted or restored
        self.sample_selection_changed: Signal[SampleSelection] = Signal()  # samples picked out of the data set


class Document:
    def __init__(self, project: Project, title: str | None = None):
        self.events = DocumentEvents()
        self._project = project
        self._title = title
        self.recorder = Recorder(DEFAULT_BUDGET)  # the timeline of recorded steps (engine.recording)
        self.session = Session(project, self.recorder)
        self._viewing: int | None = None
        self._peek: Peek | None = None
        self._run: RunStart | None = None  # the run in progress (Train … Stop), if any
        self._parent: int | None = None  # the run the next one continues (after continue-from-here)
        self._selection = Selection()
        self._sample_selection = SampleSelection()
        self._run_state = RunState.STOPPED
        self._snapshot: Snapshot | None = None
        self._readouts_due = False  # the snapshot was taken while idle: `readouts` works them out when asked
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

    def replace(self, project: Project, title: str | None = None,
                loaded: tuple[Dataset, Dataset] | None = None, *, refresh: bool = True) -> None:
        """Show another project. The caller makes sure no run is in progress (a run must be shut down first).
        `loaded`: the project's (training, validation) data, read already (a large file is read off the GUI
        thread, its data with it); else the data is read here. `refresh=False`: the caller calls `refresh` later
        (until then there is no snapshot, as before a document's first refresh)."""
        if self._run_state is RunState.RUNNING:
            raise TrainingError("stop training before replacing the project")
        self.view_live()
        self._project.network.events.disconnect(self._network_edited)
        project.network.events.connect(self._network_edited)
        self._project, self._title = project, title
        self._watched = tuple(project.history.watched)
        self.recorder.clear()
        self.session = Session(project, self.recorder)
        if loaded is not None:
            self.session.adopt(*loaded)
        self._run = self._parent = None
        self._selection = Selection()
        self._snapshot = None
        self._readouts_due = False
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
        self.events.runs_changed.emit(self.runs)
        if refresh:
            self.refresh()

    # ------------------------------------------------------------------ selection
    @property
    def selection(self) -> Selection:
        return self._selection

    def select(self, selection: Selection) -> None:
        if selection != self._selection:
            self._selection = selection
            self.events.selection_changed.emit(selection)

    @property
    def sample_selection(self) -> SampleSelection:
        """The samples picked out of the loaded data (a confusion-matrix cell); none after the data (re)load."""
        return self._sample_selection

    def select_samples(self, selection: SampleSelection) -> None:
        if selection != self._sample_selection:
            self._sample_selection = selection
            self.events.sample_selection_changed.emit(selection)

    # ------------------------------------------------------------------ run state and snapshots
    @property
    def run_state(self) -> RunState:
        return self._run_state

    @property
    def idle(self) -> bool:
        """Whether the GUI thread may use the network and the trainer (no worker command is executing)."""
        return self._run_state is not RunState.RUNNING

    def set_run_state(self, state: RunState) -> None:
        """Also where runs begin and end: RUNNING starts one unless one is in progress (a resumed pause goes on
        with it), STOPPED ends it and adds it to `runs`."""
        if state is not self._run_state:
            if self._run_state is RunState.RUNNING:
                self.mark_modified()  # a run, a step or an epoch changed the weights
            if self._run is not None and self._run_state is RunState.RUNNING:
                self._run.pause()
            if state is RunState.RUNNING:
                if self._run is None:
                    self._run = RunStart.now(self._snapshot.step if self._snapshot is not None else 0, self._parent)
                self._run.resume()
            self._run_state = state
            if state is RunState.STOPPED:
                self._end_run()
            self.events.run_state_changed.emit(state)

    @property
    def snapshot(self) -> Snapshot | None:
        """The latest state of the trained weights that a view may show (None before the first refresh)."""
        return self._snapshot

    def publish(self, snapshot: Snapshot, *, readouts_due: bool = False) -> None:
        """`readouts_due`: the snapshot was taken while idle, without its read-outs (see `readouts`)."""
        self._snapshot = snapshot
        self._readouts_due = readouts_due and snapshot.readouts is None
        self.elapsed = snapshot.elapsed if snapshot.final else self.elapsed
        self.events.snapshot_published.emit(snapshot)

    def readouts(self) -> Readouts | None:
        """The latest snapshot's read-outs (confusion matrices, or scores and a fit). The worker takes them with a
        snapshot, and so does an idle refresh when they are cheap; costlier ones (`READ_OUT_AT_ONCE`) are worked out
        at the first asking and kept with the snapshot: on a 1M-weight network their forward pass over the data
        takes 35 ms, which the window then spends in a turn of its own instead of in the turn that opens the
        project or follows an edit. None while there are none: the network cannot run, the snapshot was published
        without them, or the network has been edited since it was taken (the next snapshot brings them)."""
        snapshot = self._snapshot
        if snapshot is not None and self._readouts_due and self.idle:
            self._readouts_due = False
            self._snapshot = snapshot = replaced(snapshot, readouts=readouts_of(self.trainer()))
        return None if snapshot is None else snapshot.readouts

    def trainer(self) -> Trainer:
        """The trainer for the network, data and settings as they are now (built if needed; idle only). While a
        recorded step is shown it is that step's (weights, gradients, batch): explanations read it, nothing
        trains it (the controller trains `session.trainer()`, which refuses then)."""
        return self.session.trainer(read_only=True)

    def refresh(self) -> None:
        """Check the network against its data and publish a snapshot of the current weights, from the GUI thread
        while idle (after an edit, a reset, a settings change or a new project)."""
        if not self.idle:
            return
        if self._viewing is not None:
            self._publish_view()
            return
        try:
            train, val = self.session.data()
            if self.session.data_version != self._data_shown:
                self._data_shown = self.session.data_version
                self.select_samples(SampleSelection())  # its indices meant the data being replaced
                self.events.data_loaded.emit(LoadedData(train, val, self.session.plane))
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
        self._publish_idle(trainer, grid, can_run=not found)

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
        self._refuse_in_past()
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

    def current_settings(self, names: Iterable[str]) -> dict[str, Any]:
        """The settings `names` as they are now, in `edit_settings`'s terms (`lr` included): passing them back to
        `edit_settings` restores them, which is how an edit is undone."""
        settings = self._project.settings
        values: dict[str, Any] = {}
        for name in names:
            if name == "lr":
                values[name] = float(settings.hyper["lr"])
            else:
                value = getattr(settings, name)
                values[name] = dict(value) if isinstance(value, dict) else value
        return values

    def set_data(self, spec: DataSpec) -> None:
        """Train on another data set. It is loaded here first, so a recipe that cannot be loaded (the engine's error
        says what and where) changes nothing; the loaded sets then serve the trainer and every view."""
        if not self.idle:
            raise TrainingError("the data set changes only when training is paused")
        self._refuse_in_past()
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
        """An edit may have cut or removed a watched weight: stop watching it; one of values or cuts changes the
        state training goes on from, which the timeline may hold (its step 0 is taken when the trainer is built).
        Frozen flags, initialisers and penalties are not in a frame: retaking one for them would copy it for nothing."""
        if isinstance(event, LayerMoved):
            return
        self._readouts_due = False  # they would describe the edited network, not the snapshot's
        mask_changed = isinstance(event, ConnectionChanged) and event.what == "mask"
        numbers_changed = mask_changed or isinstance(event, ValuesChanged)
        if numbers_changed and self.idle and self._viewing is None:
            trainer = self.session.trainer_or_none
            if trainer is not None:
                self.recorder.retake(trainer)
        kept = tuple(ref for ref in self._watched if _exists(self._project.network, ref))
        if kept != self._watched:
            self._watched = kept
            self.events.watched_changed.emit(kept)

    def reset_weights(self) -> None:
        """Fresh initial weights, a fresh optimiser and a new curve (idle only); from a recorded step too, like Stop:
        the run so far is kept in `runs` first."""
        if not self.idle:
            raise TrainingError("stop training before resetting the weights")
        self.view_live()
        self._end_run()
        self.recorder.clear()
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

    # ------------------------------------------------------------------ the timeline: looking back
    @property
    def viewing(self) -> int | None:
        """The recorded step the views show instead of the live state, or None (the live state)."""
        return self._viewing

    @property
    def recording_budget(self) -> int:
        """Bytes the timeline may hold (Preferences); `recorder.memory` is what it holds now."""
        return self.recorder.budget

    def set_recording_budget(self, nbytes: int) -> None:
        self.recorder.budget = nbytes

    @property
    def edit_refusal(self) -> str | None:
        """Why the network, its settings and its data cannot be edited now, or None when they can."""
        if self._viewing is not None:
            return (f"Showing step {self._viewing} of the recorded run, read-only: press End to return to the live "
                    "state, or Continue from here to train on from it.")
        if self._run_state is RunState.RUNNING:
            return "Training…: pause to edit the network."
        return None

    def view_step(self, step: int) -> int:
        """Show the recorded step nearest `step` in every view (idle only); returns that step.

        Its weights, gradients, moments and batch are put in the live plan (the live ones are kept aside), so the
        inspector, the explorer and the snapshot views show that step without knowing about time; training and
        edits are refused until `view_live` (`edit_refusal` says so)."""
        if not self.idle:
            raise TrainingError("pause training to look back at a recorded step")
        nearest = self.recorder.nearest(step)
        if nearest is None:
            raise TrainingError("nothing is recorded yet: train first")
        frame = self.recorder.frame(nearest)
        peek = self._peek or Peek(self.session.trainer(read_only=True))
        peek.show(frame)
        self._peek, self._viewing = peek, nearest
        self.session.lock = self.edit_refusal
        self.events.time_changed.emit(nearest)
        self._publish_view()
        return nearest

    def view_live(self) -> None:
        """Back to the live state (End, releasing the timeline), bit for bit as it was."""
        if self._peek is None:
            return
        self._peek.restore()
        self._peek = self._viewing = None
        self.session.lock = None
        self.events.time_changed.emit(None)
        self.refresh()

    def _publish_view(self) -> None:
        assert self._viewing is not None
        frame = self.recorder.frame(self._viewing)
        trainer = self.session.trainer(read_only=True)
        try:
            grid, can_run = self.session.grid(read_only=True), not self.session.problems(read_only=True)
        except BackpropError:
            grid, can_run = None, False
        self._publish_idle(trainer, grid, can_run, step=frame.step, epoch=frame.epoch, past=True)

    def _publish_idle(self, trainer: Trainer, grid: BoundaryGrid | None, can_run: bool, **fields: Any) -> None:
        """A snapshot taken while idle (`fields` replaced in it), with its read-outs when they are cheap; costly
        ones are left to `readouts`, and a network that cannot run has none."""
        at_once = can_run and _readouts_are_cheap(trainer)
        snapshot = take_snapshot(trainer, grid, elapsed=self.elapsed, readouts=at_once)
        self.publish(replaced(snapshot, **fields), readouts_due=can_run and not at_once)

    def _refuse_in_past(self) -> None:
        if self._viewing is not None:
            raise TrainingError(self.edit_refusal)

    # ------------------------------------------------------------------ the timeline: going back
    def continue_from(self, step: int) -> Checkpoint:
        """Go back to recorded step `step` and train on from it (idle only): its weights, gradients, optimiser
        moments, step counts, shuffling state and position in the epoch, so the next steps are bit-identical to
        those the run took from there. The run so far is kept in `runs` (and the next one names it as parent).
        Returns the checkpoint `restore` takes to undo this."""
        if not self.idle:
            raise TrainingError("pause training before continuing from a recorded step")
        frame = self.recorder.frame(step)
        self.view_live()
        checkpoint = self._checkpoint()
        self._end_run()
        self._parent = self._project.runs[-1].id if self._project.runs else None
        self.recorder.split(step)
        history = copy.deepcopy(checkpoint.history)
        history.truncate(step)
        continue_trainer(self._project, self.session, frame, history)
        self._rewound(f"Continuing from step {step}: the steps after it are kept in Runs.")
        return checkpoint

    def restore(self, checkpoint: Checkpoint) -> None:
        """Put the training state back as `checkpoint` took it (undo of `continue_from` or `restore_run`)."""
        if not self.idle:
            raise TrainingError("pause training before undoing")
        self.view_live()
        project = self._project
        project.runs = list(checkpoint.runs)
        project.runs_made = checkpoint.runs_made
        self._run = copy.deepcopy(checkpoint.run)
        self.elapsed = checkpoint.elapsed
        self.recorder.restore_state(checkpoint.timeline)
        continue_trainer(project, self.session, checkpoint.frame, copy.deepcopy(checkpoint.history))
        self._rewound(f"Back at step {checkpoint.frame.step}.")

    def _checkpoint(self) -> Checkpoint:
        return take_checkpoint(self._project, self.session, self.recorder, self._run, self.elapsed)

    def _rewound(self, message: str) -> None:
        self.mark_modified()
        self.events.run_reset.emit(self._project)
        self.events.runs_changed.emit(self.runs)
        self.refresh()
        self.post(message)

    # ------------------------------------------------------------------ runs
    @property
    def runs(self) -> tuple[Run, ...]:
        """The project's finished runs, oldest first."""
        return tuple(self._project.runs)

    def run(self, run_id: int) -> Run:
        for run in self._project.runs:
            if run.id == run_id:
                return run
        raise TrainingError(f"there is no run {run_id}")

    def rename_run(self, run_id: int, name: str) -> None:
        name = name.strip()
        if not name:
            raise TrainingError("a run's name cannot be empty")
        runs, run = self._project.runs, self.run(run_id)
        runs[runs.index(run)] = run.renamed(name)
        self._runs_edited()

    def delete_run(self, run_id: int) -> tuple[int, Run]:
        """Remove a run; returns (its index, the run) for `insert_run`, the undo."""
        run = self.run(run_id)
        index = self._project.runs.index(run)
        del self._project.runs[index]
        self._runs_edited()
        return index, run

    def insert_run(self, index: int, run: Run) -> None:
        self._project.runs.insert(index, run)
        self._runs_edited()

    def restore_run(self, run_id: int) -> Checkpoint:
        """Train on from a run's final weights with a fresh optimiser and a new curve (idle only); returns the
        checkpoint `restore` takes to undo this."""
        if not self.idle:
            raise TrainingError("pause training before restoring a run's weights")
        run = self.run(run_id)
        if run.weights is None:
            raise TrainingError(f"the final weights of “{run.name}” were not kept (see Runs in docs/training.md)")
        params = self.network.parameters()
        if {key: p.shape for key, p in params} != {key: w.shape for key, w in run.weights.items()}:
            raise TrainingError(f"“{run.name}” trained another network ({run.architecture}): its weights do not "
                                "fit this one")
        self.view_live()
        checkpoint = self._checkpoint()
        self._end_run()
        self._parent = run.id
        project = self._project
        for key, p in params:
            p.value[...] = run.weights[key]
            p.grad[...] = 0
            for moment in p.state.values():
                moment[...] = 0
        project.history.clear()
        self.session.invalidate()
        project.optimizer_t, project.progress = 0, None
        self.recorder.clear()
        self._rewound(f"The weights of “{run.name}” are restored: a fresh optimiser and a new curve start from them.")
        return checkpoint

    def _end_run(self) -> None:
        """Add the run in progress, if it made a step, to `runs` (the oldest beyond MAX_RUNS go)."""
        start, self._run = self._run, None
        if start is None:
            return
        self.view_live()
        run = finish_run(self._project, start)
        if run is None:
            return
        self._project.runs.append(run)
        del self._project.runs[:-MAX_RUNS]
        self._runs_edited()

    def _runs_edited(self) -> None:
        self.mark_modified()
        self.events.runs_changed.emit(self.runs)

    def take_over(self, trainer: Trainer) -> None:
        """What a finished command changed outside the network and history (which the trainer shares)."""
        self._project.update_from(trainer)


def _exists(network: Network, ref: ParamRef) -> bool:
    try:
        network.check_ref(ref)
    except BackpropError:
        return False
    return True
