"""The trainer for a project's current network, data and settings, rebuilt lazily when they change.

A rebuilt trainer continues the project's run rather than starting one: its step and epoch counters go on from
the history and Adam's bias correction from `project.optimizer_t`, while the optimiser moments live on the
network's parameters anyway. So changing the loss, the optimiser or the data between two runs costs nothing but
the shuffling order. Only the GUI thread calls this, and only while the worker is idle.
"""

from __future__ import annotations

from ..datasets import Dataset
from ..errors import TrainingError
from ..graph.validate import problems
from ..project import Project
from ..recording import Recorder
from ..training import Trainer
from .plane import Plane, data_plane
from .snapshot import BoundaryGrid


class Session:
    def __init__(self, project: Project, recorder: Recorder | None = None):
        self.project = project
        self.recorder = recorder  # every trainer built here records its steps into it (the timeline)
        # why the trainer must not train now (the document shows a recorded step in the live buffers): training
        # refuses with it, read-only uses (explanations, snapshots) pass `read_only=True`
        self.lock: str | None = None
        self._trainer: Trainer | None = None
        self._data: tuple[Dataset, Dataset] | None = None
        self._grid: BoundaryGrid | None = None
        self.plane: Plane | None = None  # of the data loaded (see `adopt`)
        self.data_version = 0  # counts loads, so views know when to redraw the data points

    @property
    def trainer_or_none(self) -> Trainer | None:
        return self._trainer

    def data(self) -> tuple[Dataset, Dataset]:
        """(training, validation) sets, loaded once per data change (validation is empty when nothing is held out)."""
        if self._data is None:
            train, val, _ = self.project.data.load(self.project.base_dir)
            self.adopt(train, val)
        assert self._data is not None
        return self._data

    def adopt(self, train: Dataset, val: Dataset) -> None:
        """Use data the caller has loaded already (it checked a new recipe by loading it): loaded once, not twice."""
        self._trainer = None
        self._data = train, val
        self.data_version += 1
        self.plane = data_plane(self.project.data, self.project.base_dir, train, val)
        self._grid = None if self.plane is None else BoundaryGrid(self.plane.train, lift=self.plane.lift)

    def grid(self, *, read_only: bool = False) -> BoundaryGrid | None:
        """The decision-boundary grid, for data sets with two inputs, while the network can run on the data."""
        problems_now = self.problems(read_only=read_only)  # builds the trainer, loading the data and the grid
        return None if problems_now else self._grid

    def problems(self, *, read_only: bool = False) -> list[str]:
        """Why the network, edited since the trainer was built, cannot train on its data now (empty when it can).

        Building the trainer checks the network against the data (and raises); after that, the encoded targets
        say how many outputs the loss needs, which for a sigmoid + BCE output is 1 whatever `n_classes` says.
        """
        t = self.trainer(read_only=read_only)
        return problems(self.project.network, self.project.settings.loss, t.x.shape[1], t.t.shape[1])

    def trainer(self, *, read_only: bool = False) -> Trainer:
        if self.lock is not None and not read_only:
            raise TrainingError(self.lock)
        if self._trainer is None:
            train, val = self.data()
            trainer = self.project.make_trainer(train, val)
            if self.recorder is not None:
                trainer.recorder = self.recorder
                self.recorder.begin(trainer)  # the state training starts from is the timeline's first frame
            self._trainer = trainer
        return self._trainer

    def invalidate(self, *, data: bool = False) -> None:
        """Forget the trainer (settings changed), and the loaded data too when the data set changed."""
        if self._trainer is not None:
            self.project.update_from(self._trainer)
        self._trainer = None
        if data:
            self._data = self._grid = None
