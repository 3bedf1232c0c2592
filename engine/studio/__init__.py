"""What the desktop app shows, without Qt: the document that owns it, the snapshots views draw, the run state.

The GUI is a set of views over a `Document`; tests and scripts can drive the same document headless.
"""

from .document import Document, DocumentEvents
from .readouts import Confusion, Fit, Readouts, Scores
from .samples import SampleSelection
from .session import Session
from .snapshot import Boundary, BoundaryGrid, Snapshot, connection_name, take_snapshot
from .state import LoadedData, RunState, Selection, Status
from .timeline import Checkpoint

__all__ = [
    "Boundary", "BoundaryGrid", "Checkpoint", "Confusion", "Document", "DocumentEvents", "Fit", "LoadedData",
    "Readouts", "RunState", "SampleSelection", "Scores", "Selection", "Session", "Snapshot", "Status",
    "connection_name", "take_snapshot",
]
