"""The main window: the canvas in the middle, docks around it, menus, and the undo stack. Thin by design.

It composes the app: it makes the document (the one owner of the project, the selection, the run state and the
trained weights' state), builds each view and feature with the document and what else it needs passed in, and
places the docks and menus the features hand back. No feature reaches into another; they meet in the document.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QUndoStack
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QMenu, QMessageBox, QScrollArea, QStyle, QWidget

from engine import Network
from engine.datasets import Dataset
from engine.project import Project, new_project, opening_selection
from engine.studio import Document, RunState, Selection, Status

from .docks import DockSpec
from .editor import EditorScene, EditorView, Palette
from .editor.layout import layered_positions
from .editor.scene import LOCK_REASON
from .explorer import ExplorerFeature
from .files import ProjectFiles
from .follow import follow
from .icons import icon
from .later import later
from .lessons import LessonsFeature
from .panels.inspector import Inspector
from .preferences import PreferencesDialog, apply_saved
from .screen_fit import fit_to_screen
from .shortcuts import ShortcutsDialog
from .status_bar import StatusBar
from .surface import SurfaceFeature
from .training import TrainingFeature
from .workspaces import Workspaces

APP_NAME = "Backprop Studio"
STATUS_MS = 8000
Area = Qt.DockWidgetArea


# weights past which an opened project's first snapshot (its trainer, the timeline's first frame, the copies of
# its weights: 40 ms on a 1M-weight network) is taken in a turn after the one that shows it (50 ms there)
REFRESH_APART = 100_000


class MainWindow(QMainWindow):
    def __init__(self, project: Project | None = None, settings: QSettings | None = None):
        super().__init__()
        self.settings = settings or QSettings()
        self._docks: dict[str, QDockWidget] = {}
        self.document = Document(project or new_project(), title="Untitled" if project is None else None)
        apply_saved(self.document, self.settings)
        self.setWindowIcon(icon("backprop-studio"))
        self.undo_stack = QUndoStack(self)
        self.scene = EditorScene(self.document, self.undo_stack, self)
        self.view = EditorView(self.scene)
        self.setCentralWidget(self.view)
        self.files = ProjectFiles(self, self.settings)
        self.palette_panel = Palette()
        self.inspector = Inspector(self.document, self.scene.push, LOCK_REASON)
        self.training = TrainingFeature(self.document, self.scene, self.view)
        self.explorer = ExplorerFeature(self.document, self.scene)
        self.surface = SurfaceFeature(self.document, self.scene)
        self.workspaces = Workspaces(self, self._docks, self.settings)  # arranges the docks placed below
        self.lessons = LessonsFeature(self.document, self.scene, self.set_project, self.files.maybe_save,
                                      self.training.controller, self.settings, self._lesson_panels())
        self._build_menus()
        self.place(DockSpec(self.palette_panel, "Palette", Area.LeftDockWidgetArea, "palette"))
        self.place(DockSpec(self.inspector, "Inspector", Area.RightDockWidgetArea, "inspector", scroll=True))
        for spec in self.training.docks:
            self.place(spec)
        self.explorer.attach(self.place(self.explorer.dock_spec))
        self.surface.attach(self.place(self.surface.dock_spec))
        self.lessons.attach(self.place(self.lessons.dock_spec))
        self.setStatusBar(StatusBar())
        self.statusBar().addPermanentWidget(self.training.status)
        self._wire()
        fit_to_screen(self)
        self.statusBar().showMessage("Drag from the palette to add layers, from a port to connect them. "
                                     "F1: the editor guide.")
        self._arrange_if_overlapping(self.document.network)
        self.document.refresh()
        self._restore_view_state()
        self.update_title()
        self._restore_window_state()

    @property
    def project(self) -> Project:
        return self.document.project

    @property
    def network(self) -> Network:
        return self.document.network

    # ------------------------------------------------------------------ composition
    def place(self, spec: DockSpec) -> QDockWidget:
        """Add a feature's dock where its spec says; it appears in View → Panels (Alt+1 … Alt+9)."""
        dock = QDockWidget(spec.title, self)
        dock.setObjectName(spec.name)  # saveState/restoreState key docks by object name
        widget: QWidget = spec.widget
        if spec.scroll:  # a tall form may shrink below its natural height, so all docks still fit a laptop
            area_widget = QScrollArea()
            area_widget.setWidgetResizable(True)
            area_widget.setFrameShape(QFrame.Shape.NoFrame)
            area_widget.setWidget(widget)
            widget = area_widget
        dock.setWidget(widget)
        self.addDockWidget(spec.area, dock)
        dock.hide()  # until a workspace shows it: every dock at once would set the window's minimum size
        if spec.tab_with is not None:
            self.tabifyDockWidget(self._docks[spec.tab_with], dock)
        toggle = dock.toggleViewAction()
        toggle.setStatusTip(f"Show or hide the {spec.title} panel")
        number = len(self.panels_menu.actions()) + 1
        if number <= 9:
            toggle.setShortcut(f"Alt+{number}")
        self.panels_menu.addAction(toggle)
        self._docks[spec.name] = dock
        return dock

    def add_menu(self, title: str, actions: list[QAction]) -> QMenu:
        """A feature's menu (Training, Explore), placed before Help."""
        menu = QMenu(title, self)
        menu.addActions(actions)
        self.menuBar().insertMenu(self._help_menu.menuAction(), menu)
        return menu

    def _wire(self) -> None:
        # bound methods, not lambdas: Qt drops those connections when the window goes, while its children may
        # still signal as they are destroyed after it (the undo stack does)
        self.scene.edit_refused.connect(self._refused)
        self.palette_panel.entry_activated.connect(self.view.add_entry_at_center)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.workspaces.switched.connect(self._workspace_switched)
        self.explorer.raise_requested.connect(self._explain_workspace)
        self.lessons.raise_requested.connect(lambda: self.workspaces.switch("learn"))
        events = self.document.events
        follow(self, events.status_changed, self._show_status)
        follow(self, events.run_state_changed, self._run_state_changed)
        follow(self, events.modified_changed, self._clean_changed)

    def _clean_changed(self, _clean: bool) -> None:
        self.setWindowModified(self.is_modified())

    def is_modified(self) -> bool:
        """Unsaved work: an edit on the undo stack, or a change the document made outside it (training,
        Reset weights, training and data settings)."""
        return self.document.modified or not self.undo_stack.isClean()

    def mark_modified(self) -> None:
        self.document.mark_modified()

    def mark_saved(self) -> None:
        self.document.mark_saved()
        self.undo_stack.setClean()
        self.setWindowModified(False)

    def _refused(self, reason: str) -> None:
        self.statusBar().showMessage(reason, 6000)

    def _show_status(self, status: Status) -> None:
        if status.text:
            self.statusBar().showMessage(status.text, STATUS_MS)
        else:
            self.statusBar().clearMessage()

    def _explain_workspace(self) -> None:
        """The chain rule comes up in Explain, unless the workspace shown has it (Learn: a lesson explains)."""
        if "explorer" not in self.workspaces.current.docks:
            self.workspaces.switch("explain")

    def _workspace_switched(self, name: str) -> None:
        if name == "explain":  # the Gradients dock's Watched weights tab is the one this workspace is for
            self.training.gradients.setCurrentWidget(self.training.weights)

    def _run_state_changed(self, state: RunState) -> None:
        locked = state is RunState.RUNNING
        self.palette_panel.setEnabled(not locked)
        self.palette_panel.setToolTip(LOCK_REASON if locked else "")

    # ------------------------------------------------------------------ menus
    def _action(self, menu: QMenu, text: str, slot, shortcut=None, tip: str = "", standard=None) -> QAction:
        action = menu.addAction(text)
        if shortcut is not None:
            action.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        if standard is not None:
            action.setIcon(self.style().standardIcon(standard))
        action.setToolTip(tip or text.replace("&", "").rstrip("…"))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        files, sp = self.files, QStyle.StandardPixmap
        bar = self.menuBar()
        menu = bar.addMenu("&File")
        new = self._action(menu, "&New", files.new, QKeySequence.StandardKey.New,
                           "Start a new project on an empty canvas", sp.SP_FileIcon)
        self._action(menu, "New from &Starter", files.new_from_starter, "Ctrl+Shift+N",
                     "Start a new project from the ready-made circles classifier")
        opened = self._action(menu, "&Open…", files.open, QKeySequence.StandardKey.Open, "Open a project file",
                              sp.SP_DialogOpenButton)
        recent = menu.addMenu("Open &Recent")
        recent.setToolTipsVisible(True)
        recent.aboutToShow.connect(lambda: files.fill_recent_menu(recent))
        files.fill_recent_menu(recent)
        files.fill_examples_menu(menu.addMenu("E&xamples"))
        menu.addSeparator()
        saved = self._action(menu, "&Save", files.save, QKeySequence.StandardKey.Save,
                             "Save the project (network, training settings, data set, history)",
                             sp.SP_DialogSaveButton)
        self._action(menu, "Save &As…", files.save_as, "Ctrl+Shift+S", "Save the project under a new name")
        menu.addSeparator()
        self._action(menu, "&Import Weights…", files.import_weights, "Ctrl+I",
                     "Load weights and biases from an NPZ file exported from a network of the same shape")
        self._action(menu, "&Export Trained Weights…", files.export_weights, "Ctrl+E",
                     "Export the network: NPZ, JSON, ONNX, PyTorch code or a standalone NumPy script")
        menu.addSeparator()
        self._action(menu, "&Quit", self.close, "Ctrl+Q", "Close Backprop Studio")  # no standard key on Linux

        menu = bar.addMenu("&Edit")
        self._undo = StackAction("&Undo", self.undo_stack, self.scene.undo, self)
        self._redo = StackAction("&Redo", self.undo_stack, self.scene.redo, self)
        for action, keys, name in ((self._undo, [QKeySequence.StandardKey.Undo], "undo"),
                                   (self._redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "redo")):
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setIcon(icon(name))
            menu.addAction(action)
        menu.addSeparator()
        menu.addActions([self.view.action("delete"), self.view.action("select_all")])
        menu.addSeparator()
        self._action(menu, "&Preferences…", self.show_preferences, [QKeySequence("Ctrl+,")],
                     "The timeline's memory budget, and how much it holds now")

        menu = bar.addMenu("&View")
        menu.addActions([self.view.action(name) for name in ("zoom_in", "zoom_out", "fit", "arrange")])
        menu.addSeparator()
        self.panels_menu = menu.addMenu("&Panels")
        menu.addSeparator()
        menu.addActions([*self.workspaces.actions.values(), self.workspaces.reset_action])

        self._help_menu = menu = bar.addMenu("&Help")
        self.add_menu("&Training", self.training.actions)  # the shortcuts work wherever the focus is
        self.add_menu("E&xplore", [*self.explorer.actions, *self.surface.actions])
        menu.addAction(self.lessons.action)
        self._action(menu, "Editor &Guide", self._show_guide, QKeySequence.StandardKey.HelpContents,
                     "The canvas's mouse gestures")
        self._action(menu, "&Keyboard Shortcuts", self.show_shortcuts, "Ctrl+/",
                     "Every action of the window with its keys")
        self._action(menu, "&About", self._show_about, None, "About Backprop Studio")

        tools = self.addToolBar("Main")
        tools.setObjectName("main_toolbar")
        tools.addActions([new, opened, saved])
        tools.addSeparator()
        tools.addActions([self._undo, self._redo])
        tools.addSeparator()
        tools.addActions([self.view.action("fit"), self.view.action("arrange")])
        tools = self.addToolBar("Workspaces")
        tools.setObjectName("workspace_toolbar")
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tools.addActions(list(self.workspaces.actions.values()))

    def _raise_dock(self, name: str) -> None:
        self._docks[name].show()
        self._docks[name].raise_()

    def _lesson_panels(self) -> dict:
        """What a lesson step may bring forward (`show = "…"`)."""
        return {"explain": lambda: self._raise_dock("explorer"), "loss": lambda: self._raise_dock("loss"),
                "training": lambda: self._raise_dock("training"), "norms": self._show_norms}

    def _show_norms(self) -> None:
        self._raise_dock("gradients")
        self.training.gradients.setCurrentWidget(self.training.norms)

    def _show_guide(self) -> None:
        QMessageBox.information(self, "Editor guide", GUIDE)

    def show_shortcuts(self) -> ShortcutsDialog:
        """Read from the actions as they are now (Undo's text names the edit it would undo)."""
        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_preferences(self) -> PreferencesDialog:
        dialog = PreferencesDialog(self.document, self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME}</b><p>Build neural networks by hand, watch them learn, and see the chain "
                          "rule behind every gradient.</p>")

    # ------------------------------------------------------------------ the project
    def set_project(self, project: Project, title: str | None = None,
                    loaded: tuple[Dataset, Dataset] | None = None) -> None:
        """Show `project` (New, Open, an example): any run ends, the undo history starts over, the document
        changes and every view follows it. `loaded`: its data, when the caller has read it already."""
        self.training.shutdown()
        self._arrange_if_overlapping(project.network)
        self.undo_stack.clear()
        apart = project.network.n_weights > REFRESH_APART
        self.document.replace(project, title, loaded, refresh=not apart)
        if apart:
            later(self, self.document.refresh)
        opening = Selection(*opening_selection(project.network, project.ui))
        if opening.count:  # the project opens with something explained (the notes' two-path example)
            self.document.select(opening)
            self._raise_dock("explorer")
        self._restore_view_state()
        self.update_title()

    @staticmethod
    def _arrange_if_overlapping(network: Network) -> None:
        """A file without positions (written by hand or by a script) is laid out once, with no undo step."""
        if len({layer.position for layer in network.layers.values()}) < len(network.layers):
            for lid, position in layered_positions(network).items():
                network.move_layer(lid, position)

    def project_name(self) -> str:
        return self.document.title

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.project_name()}[*] — {APP_NAME}")  # Qt shows [*] as * while modified
        self.setWindowModified(self.is_modified())

    def store_view_state(self) -> None:
        """Keep the zoom and the visible centre in the project, so a reopened file looks as it was left."""
        center = self.view.mapToScene(self.view.viewport().rect().center())
        self.project.ui["editor"] = {"center": [center.x(), center.y()], "scale": self.view.current_scale()}

    def _restore_view_state(self) -> None:
        state = self.project.ui.get("editor", {})
        try:
            (x, y), scale = state["center"], float(state["scale"])
        except (TypeError, KeyError, ValueError):
            self.view.fit()
            return
        self.view.resetTransform()
        self.view.zoom_by(scale)
        self.view.centerOn(float(x), float(y))

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: QCloseEvent) -> None:
        # a run stops first: the project it trains may be saved next (here, not in an event filter on the window,
        # which would run Python, and take the GIL from the worker, for every paint of the window while training)
        self.training.shutdown()
        if not self.files.maybe_save():
            event.ignore()
            return
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.workspaces.save()
        event.accept()

    def _restore_window_state(self) -> None:
        if (geometry := self.settings.value("window/geometry")) is not None:
            self.restoreGeometry(geometry)
        self.workspaces.start()  # the docks as the user left them in the workspace they left open


class StackAction(QAction):
    """Undo or Redo, named after the command it would undo/redo. It goes through the scene (which refuses while
    training runs) rather than straight to the stack, which is why QUndoStack.createUndoAction is not used."""

    def __init__(self, verb: str, stack: QUndoStack, trigger, parent: QWidget):
        super().__init__(verb, parent)
        self.verb = verb
        undo = verb == "&Undo"
        (stack.undoTextChanged if undo else stack.redoTextChanged).connect(self._name)
        (stack.canUndoChanged if undo else stack.canRedoChanged).connect(self.setEnabled)
        self.setEnabled(False)
        self.setStatusTip(f"{verb.strip('&')} the last edit" if undo else "Redo the edit undone last")
        self.triggered.connect(trigger)

    def _name(self, command: str) -> None:
        self.setText(f"{self.verb} {command}".rstrip())
        self.setToolTip(self.text().replace("&", ""))


GUIDE = """<h3>Canvas</h3>
<ul>
<li><b>Add</b>: drag a palette entry onto the canvas. Drop a <i>Neuron</i> onto a layer to grow it.</li>
<li><b>Connect layers</b>: drag from a layer's output port (right) to another layer.</li>
<li><b>Draw one weight</b>: drag from one neuron to another.</li>
<li><b>Select</b>: click; Ctrl+click adds; drag on empty canvas for a rubber band.</li>
<li><b>Move</b>: drag a layer's header. <b>Pan</b>: middle drag or Space+drag. <b>Zoom</b>: wheel.</li>
<li><b>Hover</b> a weight for its value, a neuron for its bias.</li>
</ul>
<p>Esc cancels a drag or clears the selection. Every other key is an action's: <b>Help → Keyboard Shortcuts</b>
(Ctrl+/) lists them all, read from the window itself.</p>"""
