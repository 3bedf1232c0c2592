"""The engine's one exception hierarchy.

Every error a user can cause (a bad edit, a bad file, bad data, a diverging run) is a `BackpropError`, so the GUI
and the CLI catch one type and show its message; anything else escaping is a bug. Messages name the layer,
connection, weight, field, line or column at fault, because "invalid input" helps nobody fix anything.
"""

from __future__ import annotations


class BackpropError(Exception):
    """Base of every error the engine raises on purpose."""


class GraphError(BackpropError):
    """An edit of the network was refused (unknown id, bad size, bad activation...)."""


class CycleError(GraphError):
    """A connection would close a cycle; the graph must stay a DAG."""


class ValidationError(GraphError):
    """The network cannot run as it is; `problems` lists every reason, one sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class DataError(BackpropError):
    """A data set does not fit (wrong sizes, wrong targets, unreadable file)."""

    def __init__(self, message: str, *, line: int | None = None, column: str | int | None = None):
        self.line = line
        self.column = column
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}" if isinstance(column, str) else f"column {column}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class TrainingError(BackpropError):
    """Training cannot go on (bad settings, or the run diverged)."""


class DivergenceError(TrainingError):
    """The loss or a weight became NaN/inf; says at which step and in which layer."""

    def __init__(self, message: str, *, step: int, where: str):
        self.step = step
        self.where = where
        super().__init__(message)


class ProjectError(BackpropError):
    """A project file is unreadable or invalid; `field` is the JSON path at fault (e.g. ``layers[2].size``)."""

    def __init__(self, message: str, *, field: str | None = None):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class ExportError(BackpropError):
    """Weights cannot be exported or imported (unsupported feature, name or shape mismatch)."""
