"""Workspaces: Build, Train, Explain and Learn, four arrangements of the window's docks around the canvas.

One arrangement of every dock did not fit a laptop: at 1280×800 the inspector showed two rows and the chain rule
the top of its first section. Each workspace shows only the docks its task needs, sized from what their content
asks for (`minimumSizeHint`), so none has to be scrolled to be read; the canvas gets the rest. The user may
rearrange any workspace: each one's arrangement is kept (QMainWindow.saveState, in QSettings) when the user
switches away or closes the window, and View → Reset Layout puts the current one back to its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QObject, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QListView,
    QMainWindow,
    QScrollArea,
    QStyle,
    QTabBar,
    QWidget,
)

Area = Qt.DockWidgetArea
# saveState's version: an arrangement saved by a build with other docks is not restored (2: the confusion matrix)
LAYOUT_VERSION = 2
BOTTOM_SHARE = 0.36  # of the window's height for the bottom row of plots, when their content asks for less


@dataclass(frozen=True)
class Place:
    """Where a workspace puts one dock: in an area, as a tab over another dock, or split off another dock."""

    dock: str
    area: Area = Area.RightDockWidgetArea
    tab_with: str | None = None
    under: str | None = None  # below this dock, in its column
    beside: str | None = None  # right of this dock, in its row


@dataclass(frozen=True)
class Workspace:
    name: str  # the settings key
    title: str
    keys: str
    tip: str
    # in order: a dock after the one it tabs with or splits from, splits before tabs (Qt tabs a dock split off
    # one in a tab group in with the group)
    places: tuple[Place, ...]

    @property
    def docks(self) -> frozenset[str]:
        return frozenset(p.dock for p in self.places)


LEFT, RIGHT, BOTTOM = Area.LeftDockWidgetArea, Area.RightDockWidgetArea, Area.BottomDockWidgetArea
WORKSPACES = (
    Workspace("build", "Build", "Ctrl+1", "Build the network: the palette and the inspector beside the canvas",
              (Place("palette", LEFT), Place("inspector", RIGHT))),
    # the settings in a column of tabs (the training form alone fills a laptop's column); under the canvas the
    # loss and the boundary side by side, the first things to watch; behind the loss and accuracy the gradients,
    # the runs (whose curves it overlays) and the confusion matrix, behind the boundary the surface and the weight
    # images (for image data, where no boundary can be drawn)
    Workspace("train", "Train", "Ctrl+2",
              "Train it: the training and data settings, the loss and its timeline, the gradients, the decision "
              "boundary and the runs",
              (Place("training", RIGHT), Place("loss", BOTTOM), Place("boundary", beside="loss"),
               Place("dataset", tab_with="training"), Place("edge_colours", tab_with="dataset"),
               Place("gradients", tab_with="loss"), Place("surface", tab_with="boundary"),
               Place("runs", tab_with="gradients"), Place("confusion", tab_with="runs"),
               Place("weight_images", tab_with="surface"))),
    # the chain rule gets the column's height, the loss surface the least it needs under it
    Workspace("explain", "Explain", "Ctrl+3", "Explain a gradient: the chain rule and the watched weights",
              (Place("explorer", RIGHT), Place("surface", under="explorer"), Place("gradients", BOTTOM))),
    # a lesson beside the canvas it marks, the chain rule it explains with, and the plots its steps bring forward
    Workspace("learn", "Learn", "Ctrl+4", "Learn backpropagation: a lesson from the notes, the chain rule, the plots",
              (Place("lessons", LEFT), Place("explorer", RIGHT), Place("loss", BOTTOM),
               Place("gradients", tab_with="loss"))),
)


def content(dock: QDockWidget) -> QWidget:
    """What the dock shows: the form inside a scroll area rather than the scroll area, which can shrink to nothing
    (a dock that needs its scroll bar to be read has not got the room its content asks for)."""
    widget = dock.widget()
    if isinstance(widget, QScrollArea) and (inner := widget.widget()) is not None:
        return inner
    assert widget is not None, "the window places every dock with its widget"
    return widget


def needed_size(dock: QDockWidget) -> QSize:
    """The room a dock needs to show its content unscrolled: the content's minimum size hint (a list's every row,
    the palette's) and the dock's own title bar and frame."""
    widget = content(dock)
    need = widget.minimumSizeHint()
    if isinstance(widget, QAbstractItemView):  # its hint is a fixed 256×192; what its rows need is this:
        edge = 2 * widget.frameWidth() + (2 * widget.spacing() if isinstance(widget, QListView) else 0)
        need = need.expandedTo(widget.viewportSizeHint() + QSize(edge, edge))
    return need + dock.minimumSizeHint() - dock.widget().minimumSizeHint()


FIRST = "train"


class Workspaces(QObject):
    """The workspace actions (View → Workspace, the toolbar, Ctrl+1/2/3/4) and the arrangement of each."""

    switched = Signal(str)  # the workspace's name, once its arrangement is in place

    def __init__(self, window: QMainWindow, docks: Mapping[str, QDockWidget], settings: QSettings):
        super().__init__(window)
        self.window, self.docks, self.settings = window, docks, settings
        # the side columns run the window's full height; the plots' row sits under the canvas only
        window.setCorner(Qt.Corner.BottomLeftCorner, LEFT)
        window.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
        self.current = WORKSPACES[0]
        self.group = QActionGroup(self)
        self.actions: dict[str, QAction] = {}
        for space in WORKSPACES:
            action = QAction(space.title, self.group)
            action.setCheckable(True)
            action.setShortcut(space.keys)
            action.setToolTip(f"{space.title} workspace ({space.keys})")
            action.setStatusTip(space.tip)
            action.triggered.connect(lambda _=False, name=space.name: self.switch(name))
            self.actions[space.name] = action
        self.reset_action = QAction("&Reset Layout", self)
        self.reset_action.setIcon(window.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.reset_action.setStatusTip("Put the docks of this workspace back where they were at first")
        self.reset_action.triggered.connect(self.reset)

    def workspace(self, name: str) -> Workspace:
        return next(space for space in WORKSPACES if space.name == name)

    def start(self) -> None:
        """Open in the workspace the window was closed in, as the user left it; the first time in Train, since the
        app opens on a ready example whose first use is F5."""
        name = str(self.settings.value("workspaces/current", FIRST))
        self._enter(self.workspace(name if name in {s.name for s in WORKSPACES} else FIRST))

    def switch(self, name: str) -> None:
        if name != self.current.name:
            self.save()
            self._enter(self.workspace(name))

    def save(self) -> None:
        """Keep the current workspace's arrangement (on switching away, and when the window closes)."""
        self.settings.setValue(f"workspaces/{self.current.name}", self.window.saveState(LAYOUT_VERSION))
        self.settings.setValue("workspaces/current", self.current.name)

    def reset(self) -> None:
        """View → Reset Layout: the current workspace's default arrangement, and the saved one forgotten."""
        self.settings.remove(f"workspaces/{self.current.name}")
        self._arrange(self.current)

    def _enter(self, space: Workspace) -> None:
        self.current = space
        self.actions[space.name].setChecked(True)
        state = self.settings.value(f"workspaces/{space.name}")
        if state is None or not self.window.restoreState(state, LAYOUT_VERSION):
            self._arrange(space)
        self.switched.emit(space.name)

    def _arrange(self, space: Workspace) -> None:
        """The default: the workspace's docks where it places them, every other one hidden, each column as
        narrow and each row as low as its content allows (the bottom row a share of a taller window)."""
        window, docks = self.window, self.docks
        for dock in docks.values():
            dock.setFloating(False)
            dock.hide()  # hidden, not removed: saveState records only the docks in the layout, and restoreState
            # would leave one it does not find as it is
        for place in space.places:
            dock = docks[place.dock]
            if place.tab_with is not None:
                window.tabifyDockWidget(docks[place.tab_with], dock)
            elif place.under is not None or place.beside is not None:
                first = docks[place.under or place.beside or ""]
                window.splitDockWidget(first, dock, Qt.Orientation.Vertical if place.under else
                                       Qt.Orientation.Horizontal)
            else:
                window.addDockWidget(place.area, dock)
            dock.show()
        self._fit(space)
        for place in space.places:  # the first dock of each tab group in front
            if place.tab_with is None:
                docks[place.dock].raise_()

    def _fit(self, space: Workspace) -> None:
        """Each side column as wide as its widest content; in a column split in two, the lower dock as high as its
        content and the upper one the rest; the bottom row as high as its tallest content (or a share of a tall
        window), its docks side by side as wide as their content. A tab group needs what its largest tab does.
        The canvas has the rest."""
        window, docks = self.window, self.docks
        need: dict[str, QSize] = {}
        groups: dict[str, list[str]] = {}
        for place in space.places:
            head = self._tabbed_with(space, place.dock)
            need[head] = need.get(head, QSize(0, 0)).expandedTo(needed_size(docks[place.dock]))
            groups.setdefault(head, []).append(docks[place.dock].windowTitle())
        if (layout := window.layout()) is not None:
            layout.activate()  # the tab bars of the groups just tabified
        for head, titles in groups.items():
            need[head].setWidth(max(need[head].width(), self._tabs_width(titles)))
        area = {name: window.dockWidgetArea(docks[name]) for name in need}
        for side in (LEFT, RIGHT):
            names = [n for n in need if area[n] == side]
            if names:
                window.resizeDocks([docks[names[0]]], [max(need[n].width() for n in names)],
                                   Qt.Orientation.Horizontal)
        for place in space.places:
            if place.under is not None:
                upper, lower = docks[place.under], docks[place.dock]
                window.resizeDocks([upper, lower], [window.height(), need[place.dock].height()],
                                   Qt.Orientation.Vertical)
        row = [n for n in need if area[n] == BOTTOM]
        if row:
            height = max(max(need[n].height() for n in row), int(window.height() * BOTTOM_SHARE))
            window.resizeDocks([docks[row[0]]], [height], Qt.Orientation.Vertical)
            window.resizeDocks([docks[n] for n in row], [need[n].width() for n in row], Qt.Orientation.Horizontal)

    def _tabs_width(self, titles: list[str]) -> int:
        """What the tab bar of the docks titled `titles` needs to show each title whole (0 for a single dock):
        "R…" for Runs reads as nothing."""
        for bar in self.window.findChildren(QTabBar):
            if len(titles) > 1 and sorted(bar.tabText(i) for i in range(bar.count())) == sorted(titles):
                return sum(bar.tabSizeHint(i).width() for i in range(bar.count()))
        return 0

    @staticmethod
    def _tabbed_with(space: Workspace, name: str) -> str:
        """The first dock of the tab group `name` is in (itself when it heads one or stands alone)."""
        places = {p.dock: p for p in space.places}
        while (over := places[name].tab_with) is not None:
            name = over
        return name
