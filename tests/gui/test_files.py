"""Files: title and dirty flag, save/close/open round trip, the close prompt, errors, recent files, examples,
export and import of weights, the screenshot, and `python -m gui`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import destroy
from PySide6.QtCore import QCoreApplication, QPointF, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMessageBox
from threadpoolctl import threadpool_limits

from engine import Network, ProjectError, WeightRef
from engine.export import FORMATS, export_network
from engine.project import EXAMPLES, SUFFIX, DataSpec, apart, example_path, load_project, new_project, save_project
from engine.project import files as project_files
from engine.studio import RunState
from gui import commands, files
from gui.__main__ import main
from gui.main_window import MainWindow

Button = QMessageBox.StandardButton


class Dialogs:
    """Stand-ins for the static dialogs that record what they were asked and answer as told."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.asked: list[tuple[str, str]] = []

    def answer(self, name: str, result) -> None:
        def dialog(parent, title, text, *args, **kwargs):
            self.asked.append((title, text))
            return result

        self.monkeypatch.setattr(QMessageBox, name, dialog)

    def file(self, name: str, path: Path | str, chosen_filter: str = "") -> None:
        self.monkeypatch.setattr(QFileDialog, name, lambda *args, **kwargs: (str(path), chosen_filter))


@pytest.fixture
def dialogs(monkeypatch) -> Dialogs:
    return Dialogs(monkeypatch)


def test_the_title_names_the_project_and_shows_a_star_while_modified(window, canvas):
    shown = window.windowHandle().title  # what the platform shows, [*] replaced
    assert shown() == "Untitled — Backprop Studio" and not window.isWindowModified()
    canvas.drop("hidden", QPointF(300.0, 500.0))
    assert shown() == "Untitled* — Backprop Studio" and window.isWindowModified()
    window.scene.undo()
    assert shown() == "Untitled — Backprop Studio"


def test_save_close_and_open_again_gives_the_same_canvas(qtbot, window, canvas, dialogs, tmp_path, settings,
                                                          fingerprint):
    net = window.network
    canvas.drop("hidden", QPointF(300.0, 450.0))
    new = max(net.layers)
    canvas.drag(canvas.port(canvas.layer("h1"), "out"), canvas.port(new, "in"))
    canvas.drag(canvas.header(new), canvas.header(new) + QPointF(25.0, 40.0))
    window.view.zoom_by(1.3)
    dialogs.file("getSaveFileName", tmp_path / "mine")  # no suffix typed: the app adds it
    assert window.files.save_as()
    path = tmp_path / f"mine{SUFFIX}"
    assert path.exists() and window.windowHandle().title() == f"mine{SUFFIX} — Backprop Studio"
    saved = fingerprint(net)
    positions = {item.layer_id: item.pos() for item in window.scene.layer_items()}
    lines = window.scene.edge_layer.edges.lines.copy()
    scale = window.view.current_scale()
    assert window.close()  # saved, so no question
    again = MainWindow(settings=settings)
    again.show()
    qtbot.waitExposed(again)
    try:
        dialogs.file("getOpenFileName", path)
        again.files.open()
        assert fingerprint(again.network) == saved
        assert {item.layer_id: item.pos() for item in again.scene.layer_items()} == positions
        np.testing.assert_allclose(again.scene.edge_layer.edges.lines, lines, rtol=0, atol=1e-9)
        assert again.view.current_scale() == pytest.approx(scale)
        assert again.project.path == path and again.undo_stack.isClean()
        assert again.files.recent_files()[0] == str(path.resolve())
    finally:
        again.close()
        destroy(again)


@pytest.mark.parametrize(("answer", "closes", "saved"), [
    (Button.Cancel, False, False), (Button.Discard, True, False), (Button.Save, True, True)])
def test_closing_a_modified_project_asks_first(window, canvas, dialogs, tmp_path, answer, closes, saved):
    canvas.drop("hidden", QPointF(300.0, 500.0))
    dialogs.answer("warning", answer)
    dialogs.file("getSaveFileName", tmp_path / f"p{SUFFIX}")
    assert window.close() == closes
    assert dialogs.asked == [("Unsaved changes", "Untitled has unsaved changes. Save them first?")]
    assert window.isVisible() != closes
    assert (tmp_path / f"p{SUFFIX}").exists() == saved


def test_new_asks_about_changes_and_opens_an_empty_canvas_and_new_from_starter_the_starter(window, canvas, dialogs):
    canvas.drop("hidden", QPointF(300.0, 500.0))
    dialogs.answer("warning", Button.Cancel)
    window.files.new()
    assert len(window.network.layers) == 5  # kept
    dialogs.answer("warning", Button.Discard)
    window.files.new()
    assert len(window.network.layers) == 0 and window.undo_stack.count() == 0
    assert window.scene.network is window.network and window.inspector.network is window.network
    assert len(dialogs.asked) == 2
    window.files.new_from_starter()  # nothing unsaved on the empty canvas: no question
    assert len(window.network.layers) == 4 and window.undo_stack.count() == 0 and len(dialogs.asked) == 2
    assert window.scene.network is window.network and window.inspector.network is window.network


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    ('{"format": "backprop-studio-project", "version": 99}', "version"),
    (None, "cannot read"),
])
def test_a_file_that_cannot_be_opened_is_explained_and_the_project_kept(window, dialogs, tmp_path, fingerprint,
                                                                        content, message):
    path = tmp_path / f"broken{SUFFIX}"
    if content is not None:
        path.write_text(content)
    before, project = fingerprint(window.network), window.project
    dialogs.answer("critical", Button.Ok)
    assert not window.files.open_path(path)
    (title, text), = dialogs.asked
    assert title == "Cannot open the project" and str(path) in text and message in text
    assert window.project is project and fingerprint(window.network) == before
    assert window.files.recent_files() == []


def test_a_project_whose_data_is_a_fifo_opens_and_says_so_at_once(window, dialogs, tmp_path):
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)  # reading it would block for ever: the window must neither hang nor lose the project
    project = new_project()
    project.data = DataSpec("csv", str(fifo), {"target_column": -1})
    save_project(project, tmp_path / f"fifo{SUFFIX}")
    dialogs.answer("warning", Button.Ok)
    assert window.files.open_path(tmp_path / f"fifo{SUFFIX}")
    (title, text), = dialogs.asked
    assert title == "The project's data cannot be loaded" and "data.csv" in text and "regular file" in text
    assert window.project.path == tmp_path / f"fifo{SUFFIX}" and len(window.network.layers) == 4
    assert window.document.status.error and "regular file" in window.training.panel.message.text()


def test_a_failed_save_is_explained_and_the_changes_stay(window, canvas, dialogs, tmp_path):
    canvas.drop("hidden", QPointF(300.0, 500.0))
    dialogs.answer("critical", Button.Ok)
    target = tmp_path / "missing-folder" / f"x{SUFFIX}"
    assert not window.files.save_to(target)
    (title, text), = dialogs.asked
    assert title == "Cannot save the project" and "missing-folder" in text
    assert not window.undo_stack.isClean() and window.project.path is None and not target.exists()


def test_every_example_opens_from_the_menu_detached_from_its_file(window):
    menu = next(a.menu() for a in window.menuBar().actions()[0].menu().actions() if a.text() == "E&xamples")
    actions = menu.actions()
    assert [a.text().removeprefix(f"&{k} ") for k, a in enumerate(actions, 1)] == list(EXAMPLES)
    assert [a.shortcut().toString() for a in actions] == [f"Ctrl+Alt+{k}" if k < 10 else ""
                                                         for k in range(1, len(EXAMPLES) + 1)]
    for action, name in zip(actions, EXAMPLES, strict=True):
        action.trigger()
        reference = load_project(example_path(name)).network
        assert [(lay.name, lay.size) for lay in window.network.layers.values()] == [
            (lay.name, lay.size) for lay in reference.layers.values()]
        assert window.project.path is None
        assert window.windowHandle().title() == f"{name} (example) — Backprop Studio"
        assert len(window.scene.edge_layer.edges) == sum(
            c.weight.mask.size if c.dense else int(c.weight.mask.sum()) for c in reference.connections.values())


def test_recent_files_live_in_the_given_settings_and_fill_the_menu(window, dialogs, tmp_path, settings):
    for name in ("a", "b", "a"):
        dialogs.file("getSaveFileName", tmp_path / name)
        window.files.save_as()
    expected = [str((tmp_path / f"{n}{SUFFIX}").resolve()) for n in ("a", "b")]
    assert window.files.recent_files() == expected
    assert QSettings(settings.fileName(), QSettings.Format.IniFormat).value("recent_files") == expected
    assert QSettings().value("recent_files") is None  # the default (user) settings were never touched
    recent = next(a.menu() for a in window.menuBar().actions()[0].menu().actions() if a.text() == "Open &Recent")
    recent.aboutToShow.emit()
    assert [a.text() for a in recent.actions()[:2]] == [f"&1 a{SUFFIX}", f"&2 b{SUFFIX}"]
    recent.actions()[1].trigger()
    assert window.project.path == Path(expected[1])


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_export_writes_the_format_chosen_in_the_file_dialog(window, dialogs, tmp_path, fmt):
    description, suffix = FORMATS[fmt]
    dialogs.file("getSaveFileName", tmp_path / "model", f"{description} (*{suffix})")
    window.files.export_weights()
    written = tmp_path / f"model{suffix}"
    reference = tmp_path / f"reference{suffix}"
    export_network(window.network, reference, fmt)
    assert written.read_bytes() == reference.read_bytes()


def test_export_of_a_standardising_project_takes_raw_rows(window, dialogs, tmp_path):
    assert window.files.open_path(EXAMPLES["Lecture notes 4-3-2-1 (Iris)"])
    dialogs.file("getSaveFileName", tmp_path / "model.npz", "")
    window.files.export_weights()
    project = window.project
    _, _, scaler = project.data.load(project.base_dir)
    with np.load(tmp_path / "model.npz") as f:
        np.testing.assert_array_equal(f["standardize__mean"], scaler.mean)
        np.testing.assert_array_equal(f["standardize__std"], scaler.std)
    export_network(window.network, tmp_path / "reference.npz", "npz", project.data.input_transform(project.base_dir))
    assert (tmp_path / "model.npz").read_bytes() == (tmp_path / "reference.npz").read_bytes()


def test_import_loads_weights_undoably_and_explains_a_mismatch(window, canvas, dialogs, tmp_path, fingerprint):
    net = window.network
    exported = tmp_path / "weights.npz"
    export_network(net, exported, "npz")
    original = fingerprint(net)
    c = next(iter(net.connections.values()))
    window.scene.push(commands.set_value(net, WeightRef(c.id, 0, 0), 9.0))
    changed = fingerprint(net)
    dialogs.file("getOpenFileName", exported)
    window.files.import_weights()
    assert fingerprint(net) == original
    assert window.undo_stack.undoText() == "Import weights from weights.npz"
    window.scene.undo()
    assert fingerprint(net) == changed
    other = Network()
    other.add_layer(3, "input")
    other.connect(other.input_layer.id, other.add_layer(2, "output").id)
    export_network(other, tmp_path / "other.npz", "npz")
    dialogs.file("getOpenFileName", tmp_path / "other.npz")
    dialogs.answer("critical", Button.Ok)
    window.files.import_weights()
    (title, text), = dialogs.asked
    assert title == "Cannot import the weights" and "array" in text
    assert fingerprint(net) == changed


def test_file_actions_wait_while_training_runs(window, canvas, dialogs, tmp_path, fingerprint):
    canvas.drop("hidden", QPointF(300.0, 500.0))
    before, project = fingerprint(window.network), window.project
    window.document.set_run_state(RunState.RUNNING)  # what the training controller does when a run starts
    dialogs.answer("information", Button.Ok)
    file_menu = window.menuBar().actions()[0].menu()
    names = ["&New", "New from &Starter", "&Open…", "&Save", "Save &As…", "&Import Weights…",
             "&Export Trained Weights…"]
    for action in file_menu.actions():
        if action.text() in names:
            action.trigger()
    assert dialogs.asked == [("Training is running", "Pause training first.")] * len(names)
    assert window.project is project and fingerprint(window.network) == before
    window.document.set_run_state(RunState.PAUSED)
    assert {p.name for p in tmp_path.iterdir()} <= {"settings.ini"}  # nothing saved or exported


def test_the_window_layout_is_remembered_in_the_settings(qtbot, window, settings):
    window.workspaces.switch("build")
    window.findChild(QDockWidget, "palette").toggleViewAction().trigger()
    assert window.close()
    again = MainWindow(settings=settings)
    again.show()
    qtbot.waitExposed(again)
    try:
        assert again.workspaces.current.name == "build"  # the workspace it was closed in, as it was left
        assert not again.findChild(QDockWidget, "palette").isVisible()
        assert again.findChild(QDockWidget, "inspector").isVisible()
    finally:
        again.close()
        destroy(again)


def test_a_screenshot_of_the_window(window, canvas, tmp_path):
    canvas.click(canvas.header(canvas.layer("h1")))
    window.view.fit()
    image = window.grab()
    assert image.save(str(tmp_path / "editor.png")) and image.width() >= 1000
    image.save("/tmp/editor_screenshot.png")


def test_python_m_gui_opens_the_app_on_a_project(qapp, monkeypatch):
    seen = []

    def run(app) -> int:  # instead of the event loop: look at the window, then close it
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                seen.append(widget.windowTitle())
                widget.close()
                destroy(widget)
        return 0

    monkeypatch.setattr(type(qapp), "exec", run)
    names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    try:
        with threadpool_limits(limits=None):  # main() limits BLAS for the process: give the other tests it back
            assert main(["backprop-studio", str(example_path("XOR"))]) == 0
    finally:
        QCoreApplication.setOrganizationName(names[0])
        QCoreApplication.setApplicationName(names[1])
    assert seen == [f"{example_path('XOR').name}[*] — Backprop Studio"]


def test_a_recent_files_setting_that_is_not_a_list_of_paths_is_ignored(window, settings):
    settings.setValue("recent_files", 3)  # another version's value, or a hand edit
    assert window.files.recent_files() == []
    settings.setValue("recent_files", ["/a.bps", 3])
    assert window.files.recent_files() == ["/a.bps"]


class Held:
    """A file job (`read_project` or `save_project`) on the worker thread, held until the test lets it go; `during`
    runs in the GUI thread meanwhile, from a timer: the event loop turns while the file is read or written."""

    def __init__(self, monkeypatch, name: str, during):
        import threading

        from gui import files

        self.go, self.threads, self.loads, self.seen = threading.Event(), [], [], []
        real, load = getattr(files, name), DataSpec.load

        def held(*args):
            self.threads.append(threading.current_thread())
            self.go.wait(10.0)
            return real(*args)

        def counted(spec, *args, **kwargs):
            self.loads.append(threading.current_thread())
            return load(spec, *args, **kwargs)

        def look() -> None:
            if not self.threads:  # the job has not started yet
                QTimer.singleShot(20, look)
                return
            self.seen.append(during())
            self.go.set()

        monkeypatch.setattr(files, name, held)
        monkeypatch.setattr(files, "READ_AT_ONCE", 0)  # every file counts as large
        monkeypatch.setattr(files, "WRITE_AT_ONCE", 0)
        monkeypatch.setattr(DataSpec, "load", counted)
        QTimer.singleShot(50, look)


def test_a_large_file_is_read_off_the_gui_thread_behind_a_progress_dialog(qtbot, window, tmp_path, monkeypatch):
    import threading

    project = new_project()
    project.network.layers[next(iter(project.network.layers))].name = "far"  # something to recognise it by
    path = tmp_path / f"large{SUFFIX}"
    save_project(project, path)
    before = window.project

    def during():
        progress = window.files.progress
        return (progress is not None and progress.isVisible() and "large" in progress.labelText(),
                window.project is before)  # nothing replaced until the file is read

    held = Held(monkeypatch, "read_project", during)
    assert window.files.open_path(path)
    assert held.seen == [(True, True)] and held.threads[0] is not threading.main_thread()
    assert window.project.path == path and "far" in {layer.name for layer in window.network.layers.values()}
    assert window.files.progress is None
    assert window.files.recent_files() == [str(path.resolve())]
    assert held.loads and all(t is not threading.main_thread() for t in held.loads)  # the data read there too


def test_cancelling_a_large_open_keeps_the_project_and_drops_what_was_read(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QPushButton

    path = tmp_path / f"large{SUFFIX}"
    save_project(new_project(), path)
    before = window.project

    def during():
        cancel, = window.files.progress.findChildren(QPushButton)
        cancel.click()  # as the user does (QProgressDialog.cancel() alone says nothing)

    Held(monkeypatch, "read_project", during)
    assert not window.files.open_path(path)
    qtbot.wait(200)  # the read finishes after the cancel: its result is dropped
    assert window.project is before and window.files.recent_files() == []
    assert not window.files.reader.busy and window.files.progress is None


def test_a_large_file_that_cannot_be_read_is_explained_and_the_project_kept(qtbot, window, dialogs, tmp_path,
                                                                            monkeypatch):
    path = tmp_path / f"broken{SUFFIX}"
    path.write_text("{not json")
    Held(monkeypatch, "read_project", lambda: None)
    dialogs.answer("critical", Button.Ok)
    before = window.project
    assert not window.files.open_path(path)
    (title, text), = dialogs.asked
    assert title == "Cannot open the project" and "not valid JSON" in text
    assert window.project is before and window.files.progress is None


def test_a_large_project_is_written_off_the_gui_thread_and_reads_back(qtbot, window, tmp_path, monkeypatch,
                                                                      fingerprint):
    import threading

    from PySide6.QtWidgets import QPushButton

    path = tmp_path / f"saved{SUFFIX}"

    def during():
        progress = window.files.progress
        return progress is not None and progress.isVisible() and not progress.findChildren(QPushButton)

    held = Held(monkeypatch, "save_project_apart", during)
    assert window.files.save_to(path)
    assert held.seen == [True] and held.threads[0] is not threading.main_thread()  # no Cancel: a write completes
    assert fingerprint(load_project(path).network) == fingerprint(window.network)
    assert window.project.path == path and not window.is_modified() and window.files.progress is None


def _save_by_shortcut(qtbot, window) -> None:
    """Ctrl+S as the user presses it (a window shortcut: the window must be the active one)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)


def test_file_save_has_a_large_project_written_by_a_child_process(qtbot, window, canvas, dialogs, tmp_path,
                                                                    monkeypatch, fingerprint):
    def not_here(*args):  # a BackpropError, so the old way fails at once (an unexpected dialog), not hangs
        raise ProjectError("written by the window's own process")

    monkeypatch.setattr(files, "WRITE_AT_ONCE", 0)
    monkeypatch.setattr(project_files, "write_project", not_here)  # the child's own is untouched
    canvas.drop("hidden", QPointF(300.0, 500.0))
    dialogs.file("getSaveFileName", tmp_path / "large")
    _save_by_shortcut(qtbot, window)
    path = tmp_path / f"large{SUFFIX}"
    again = load_project(path)
    assert fingerprint(again.network) == fingerprint(window.network) and again.ui == window.project.ui
    assert window.project.path == path and not window.is_modified() and window.files.progress is None
    assert window.files.recent_files() == [str(path.resolve())]


def test_a_large_save_whose_process_dies_is_explained_and_the_changes_stay(qtbot, window, canvas, dialogs, tmp_path,
                                                                            monkeypatch):
    monkeypatch.setattr(files, "WRITE_AT_ONCE", 0)
    monkeypatch.setattr(apart, "child_command",
                        lambda: [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    canvas.drop("hidden", QPointF(300.0, 500.0))
    dialogs.file("getSaveFileName", tmp_path / "large")
    dialogs.answer("critical", Button.Ok)
    _save_by_shortcut(qtbot, window)
    (title, text), = dialogs.asked
    assert title == "Cannot save the project" and "was killed" in text and "previous file is untouched" in text
    assert window.is_modified() and window.project.path is None and not (tmp_path / f"large{SUFFIX}").exists()
    assert window.files.progress is None and window.files.recent_files() == []
