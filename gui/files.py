"""The File menu's work: new, open, save, save as, recent files, examples, export and import of weights.

Nothing a user made is ever lost silently: replacing or closing a modified project asks first (Save / Discard /
Cancel), and a failed open or save shows the engine's message in a box while the current project stays as it
was, still modified. Recent files live in the QSettings the window was given (tests give a temporary one).

Opening reads the file and the project's data ahead of showing them (`read_project`). A large project (a
1M-weight one is 62 MB of JSON, 3.6 s to read and 3 s to write) is read or written on a worker thread behind a
window-modal progress dialog (`_behind_progress`): the window keeps drawing but takes no edit meanwhile, so the
worker may read the project the GUI thread owns, and the calls still return when the file is done, as a small
project's do, which is read and written at once (a thread would only add a turn of the event loop). The worker has a
large project written by a child process (engine.project.apart): turning 10⁶ floats into text on the worker held
the GIL the window needs to draw.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEventLoop, QObject, QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QProgressDialog

from engine import BackpropError
from engine.datasets import Dataset
from engine.export import FORMATS, export_network, import_npz
from engine.project import (
    EXAMPLES,
    SUFFIX,
    Project,
    empty_project,
    example_path,
    load_project,
    new_project,
    save_project,
)
from engine.project.apart import save_project_apart
from engine.studio import RunState
from gui import commands
from gui.offthread import OffThread

if TYPE_CHECKING:
    from .main_window import MainWindow

RECENT_KEY = "recent_files"
MAX_RECENT = 8
PROJECT_FILTER = f"Backprop Studio projects (*{SUFFIX})"
READ_AT_ONCE = 2 * 2**20  # bytes: a smaller project file reads in well under the 100 ms a turn may take
WRITE_AT_ONCE = 30_000  # weights: a project of fewer writes in well under 100 ms (~72 bytes of file a weight)

Loaded = tuple[Project, tuple[Dataset, Dataset] | None]


def read_project(path: Path) -> Loaded:
    """The project in `path` and its (training, validation) data, both read before the window shows them; the
    data None when it cannot be read now: the project opens anyway and says why (`_explain_data_problem`)."""
    project = load_project(path)
    try:
        train, val, _ = project.data.load(project.base_dir)
    except (BackpropError, OSError):
        return project, None
    return project, (train, val)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it says what is wrong


def _unless_training(action: Callable) -> Callable:
    """File actions read or replace the network, which the training worker owns while it runs (the canvas's
    structure lock says when): they wait until training is paused."""

    @functools.wraps(action)
    def guarded(self: ProjectFiles, *args, **kwargs):
        if self.window.document.run_state is RunState.RUNNING:
            QMessageBox.information(self.window, "Training is running", "Pause training first.")
            return False
        return action(self, *args, **kwargs)

    return guarded


def _with_suffix(path: str, suffix: str) -> Path:
    return Path(path if path.endswith(suffix) else path + suffix)


class ProjectFiles(QObject):
    def __init__(self, window: MainWindow, settings: QSettings):
        super().__init__(window)
        self.window = window
        self.settings = settings
        self.reader = OffThread(self)  # large project files are read and written here
        self.progress: QProgressDialog | None = None  # while one is

    # ------------------------------------------------------------------ the close / replace prompt
    def maybe_save(self) -> bool:
        """True when the current project may be replaced: it is unmodified, was saved, or the user discards it."""
        if not self.window.is_modified():
            return True
        answer = QMessageBox.warning(
            self.window, "Unsaved changes",
            f"{self.window.project_name()} has unsaved changes. Save them first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    # ------------------------------------------------------------------ opening
    @_unless_training
    def new(self) -> None:
        """An empty canvas (with the starter's data set and settings, so what is built on it trains)."""
        if self.maybe_save():
            self.window.set_project(empty_project())

    @_unless_training
    def new_from_starter(self) -> None:
        """The ready-made circles classifier the app opens on."""
        if self.maybe_save():
            self.window.set_project(new_project(), title="Untitled")

    @_unless_training
    def open(self) -> None:
        if not self.maybe_save():
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open project", self._folder(), PROJECT_FILTER)
        if path:
            self.open_path(path, asked=True)

    @_unless_training
    def open_path(self, path: str | Path, asked: bool = False) -> bool:
        """Open the project file `path`, asking about unsaved work first unless `asked` already did. True when it
        opened, or, for a large file, is being read (`reader.busy`); False when refused or unreadable."""
        if not (asked or self.maybe_save()):
            return False
        path = Path(path)
        loaded = self._read(path, "Cannot open the project")
        if loaded is None:
            return False
        project, data = loaded
        self.window.set_project(project, loaded=data)
        self._remember(path)
        self._explain_data_problem(path)
        return True

    def _behind_progress(self, text: str, job: Callable[[], Any], cancel: bool) -> Any:
        """`job`'s result, computed on the worker thread while a window-modal progress dialog (`self.progress`)
        keeps the window drawing and takes no edit; None when the user cancelled (`cancel`: a read may be, a
        write may not). Raises the job's BackpropError."""
        loop = QEventLoop()
        outcome: dict[str, Any] = {}

        def finish(key: str, value: Any) -> None:
            outcome[key] = value
            loop.quit()

        self.progress = progress = QProgressDialog(text, "Cancel", 0, 0, self.window)
        progress.setWindowTitle("Backprop Studio")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        if cancel:
            progress.canceled.connect(self.reader.invalidate)  # what was read is dropped
            progress.canceled.connect(loop.quit)
        else:
            progress.setCancelButton(None)
        self.reader.submit(job, lambda result: finish("result", result), lambda exc: finish("error", exc))
        progress.show()
        try:
            loop.exec()
        finally:
            progress.close()
            self.progress = None
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")

    def _explain_data_problem(self, path: Path) -> None:
        """A project opens even when its data cannot be read (a moved CSV, a FIFO, text in a number column): the
        network and settings are still the user's work. Say so at once, not only in the Training dock."""
        try:
            self.window.document.session.data()
        except BackpropError as exc:
            QMessageBox.warning(self.window, "The project's data cannot be loaded",
                                f"{path}\n\n{exc}\n\nThe project is open: choose its data again in the Data dock.")

    @_unless_training
    def open_example(self, name: str) -> None:
        if not self.maybe_save():
            return
        loaded = self._read(example_path(name), f"Cannot open the example {name!r}")
        if loaded is not None:
            project, data = loaded
            project.detach()  # Save must ask where, never overwrite the shipped example; its CSV stays found
            self.window.set_project(project, title=f"{name} (example)", loaded=data)

    def _read(self, path: Path, title: str) -> Loaded | None:
        """`read_project`, on the worker behind a cancellable dialog for a large file; None when it failed (the
        reason shown under `title`) or was cancelled."""
        size = _size(path)
        try:
            if size <= READ_AT_ONCE:
                return read_project(path)
            return self._behind_progress(f"Opening {path.name} ({size / 2**20:.0f} MB)…", lambda: read_project(path),
                                         cancel=True)
        except BackpropError as exc:
            QMessageBox.critical(self.window, title, f"{path}\n\n{exc}")
            return None

    # ------------------------------------------------------------------ saving
    @_unless_training
    def save(self) -> bool:
        path = self.window.project.path
        return self.save_as() if path is None else self.save_to(path)

    @_unless_training
    def save_as(self) -> bool:
        start = str(self.window.project.path or Path(self._folder()) / f"{self.window.project_name()}{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save project as", start, PROJECT_FILTER)
        return bool(path) and self.save_to(_with_suffix(path, SUFFIX))

    @_unless_training
    def save_to(self, path: str | Path) -> bool:
        project = self.window.project
        self.window.document.view_live()  # a recorded step shown by the timeline is in the weights: save the live ones
        self.window.store_view_state()
        try:
            if project.network.n_weights <= WRITE_AT_ONCE:
                save_project(project, path)
            else:
                self._behind_progress(f"Saving {Path(path).name}…", lambda: save_project_apart(project, path),
                                      cancel=False)
        except (BackpropError, OSError) as exc:
            QMessageBox.critical(self.window, "Cannot save the project", f"{path}\n\n{exc}")
            return False
        self.window.mark_saved()
        self.window.update_title()
        self._remember(Path(path))
        self.window.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    # ------------------------------------------------------------------ weights
    @_unless_training
    def export_weights(self) -> None:
        filters = {f"{description} (*{suffix})": key for key, (description, suffix) in FORMATS.items()}
        path, chosen = QFileDialog.getSaveFileName(self.window, "Export trained weights", self._folder(),
                                                   ";;".join(filters))
        if not path:
            return
        fmt = filters.get(chosen, "npz")
        target = _with_suffix(path, FORMATS[fmt][1])
        try:
            project = self.window.project  # the exported model takes raw rows, as the project's data has them
            export_network(self.window.network, target, fmt, project.data.input_transform(project.base_dir))
        except (BackpropError, OSError) as exc:
            QMessageBox.critical(self.window, "Cannot export", f"{target}\n\n{exc}")
            return
        self.window.statusBar().showMessage(f"Exported {FORMATS[fmt][0].lower()} to {target}", 5000)

    @_unless_training
    def import_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Import weights", self._folder(),
                                              f"{FORMATS['npz'][0]} (*{FORMATS['npz'][1]})")
        if not path:
            return
        net = self.window.network
        command = commands.load_params(net, lambda n: import_npz(n, path), f"Import weights from {Path(path).name}")
        reason = self.window.scene.push(command)
        if reason:
            QMessageBox.critical(self.window, "Cannot import the weights", reason)
        else:
            self.window.statusBar().showMessage(f"Imported weights from {path}", 5000)

    # ------------------------------------------------------------------ recent files and menus
    def recent_files(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, [])  # one path comes back as a str; anything else is not ours
        if isinstance(value, str):
            return [value]
        return [path for path in value if isinstance(path, str)] if isinstance(value, list) else []

    def _remember(self, path: Path) -> None:
        name = str(path.resolve())
        self.settings.setValue(RECENT_KEY, [name, *(p for p in self.recent_files() if p != name)][:MAX_RECENT])
        self.settings.sync()

    def _folder(self) -> str:
        recent = self.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def fill_recent_menu(self, menu: QMenu) -> None:
        menu.clear()
        for k, path in enumerate(self.recent_files(), 1):
            action = menu.addAction(f"&{k} {Path(path).name}")
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if menu.isEmpty():
            menu.addAction("No recent projects").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("&Clear Recent Projects", lambda: self.settings.remove(RECENT_KEY))

    def fill_examples_menu(self, menu: QMenu) -> None:
        for k, name in enumerate(EXAMPLES, 1):
            action = menu.addAction(f"&{k} {name}" if k < 10 else name)
            if k < 10:  # one digit each: Ctrl+Alt+1 … 9 (the rest are a click away)
                action.setShortcut(f"Ctrl+Alt+{k}")
            action.setStatusTip(f"Open the {name} example project")
            action.triggered.connect(lambda _=False, n=name: self.open_example(n))
