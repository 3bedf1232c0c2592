"""Project files: a network with its training settings, data recipe, optimiser state, history and GUI state.

The format is versioned JSON (docs/project-format.md). Loading goes parse → migrate → validate → build and
raises `ProjectError` naming the JSON field at fault; saving is atomic.
"""

from .data import DataSpec
from .examples import EXAMPLES, empty_project, example_path, new_project, open_example
from .files import SUFFIX, load_project, save_project
from .migrate import FORMAT, VERSION
from .opening import opening_selection
from .project import Project

__all__ = [
    "EXAMPLES", "FORMAT", "SUFFIX", "VERSION", "DataSpec", "Project", "empty_project", "example_path",
    "load_project", "new_project", "open_example", "opening_selection", "save_project",
]
