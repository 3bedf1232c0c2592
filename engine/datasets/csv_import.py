"""Reading a CSV file into a `Dataset`.

Speed and helpful messages pull in opposite directions, so there are two readers. NumPy's C parser reads the
whole file in one pass; only when it refuses (or lets through a value the Dataset would refuse) does a slow
Python scan re-read the file to name the first bad line and column, because NumPy's own message counts rows
from 0 after the header and names columns by position, which is not what a user sees in an editor.
"""

from __future__ import annotations

import csv
import math
import operator
import os
import stat
from collections.abc import Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from itertools import count, islice
from pathlib import Path
from typing import IO, Any

import numpy as np

from engine.datasets.dataset import TASKS, Dataset
from engine.errors import DataError

_SAMPLE_ROWS = 20  # data rows read up front to detect a header and a text target, and to preview
# An integer target with at most this many distinct values (and fewer than half the rows) is a class label.
_MAX_AUTO_CLASSES = 20
MAX_LINE_BYTES = 64 * 2**20  # 64 MiB: a million columns of 60 characters

Row = tuple[int, list[str]]  # (line the row ends on, 1-based; its cells without surrounding spaces)


def _number(cell: str) -> float | None:
    """Python's float() accepts digit separators ("1_000") and any script's digits ("１２", "١٢"), and NumPy's
    reader accepts neither: the two must agree, or a refusal by NumPy finds no culprit to name."""
    if "_" in cell or not cell.isascii():
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def _is_text(cell: str) -> bool:
    return bool(cell) and _number(cell) is None


def _open(path: str | os.PathLike[str], mode: str, **kwargs: Any) -> IO[Any]:
    """Only a regular file: /dev/zero would fill the memory and a FIFO would block the reader (the GUI thread
    too) until someone writes to it. Opening without blocking and then asking what was opened leaves no gap
    between the check and the read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise DataError(f"cannot open {os.fspath(path)!r}: {exc.strerror}") from exc
    except ValueError:  # a NUL or a lone surrogate in the name: no file can have it
        raise DataError(f"cannot open {os.fspath(path)!r}: no file can have this name") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DataError(f"{os.fspath(path)!r} is not a regular file (a device, a pipe or a folder)")
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return open(fd, mode, **kwargs)


def _lines(file: IO[bytes]) -> Iterator[bytes]:
    """The file's lines, each at most MAX_LINE_BYTES long: a file of one endless line must not fill the memory."""
    for number in count(1):
        raw = file.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES:
            raise DataError(f"the line is longer than {MAX_LINE_BYTES:,} bytes", line=number)
        if number == 1 and b"\r" in raw.rstrip(b"\r\n"):
            raise DataError("the lines end in a lone carriage return (CR, old Mac style); save the file with LF or "
                            "CRLF line endings", line=1)
        yield raw


def _decoded(lines: Iterable[bytes]) -> Iterator[str]:
    """Decodes line by line so that a byte which is not UTF-8 gets a line number."""
    for number, raw in enumerate(lines, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"the file is not UTF-8 text (byte {exc.start + 1} of the line)", line=number
            ) from exc
        yield text.removeprefix("\ufeff") if number == 1 else text


def _rows(path: str | os.PathLike[str], delimiter: str) -> Generator[Row, None, None]:
    """Non-blank rows with their line numbers; the slow reader every message comes from."""
    with _open(path, "rb") as file:
        reader = csv.reader(_decoded(_lines(file)), delimiter=delimiter)
        try:
            for cells in reader:
                if cells:
                    yield reader.line_num, [cell.strip() for cell in cells]
        except csv.Error as exc:
            raise DataError(str(exc), line=reader.line_num) from exc


def _looks_like_header(first: list[str], below: list[list[str]]) -> bool:
    """A first row of nothing but text, or with text on top of a column of numbers, is a header."""
    if all(_is_text(cell) for cell in first):
        return True
    return any(_is_text(cell) and _numeric_column(below, j) for j, cell in enumerate(first))


def _numeric_column(rows: list[list[str]], column: int) -> bool:
    cells = [cells[column] for cells in rows if column < len(cells) and cells[column]]
    return bool(cells) and not any(_is_text(cell) for cell in cells)


@dataclass(frozen=True)
class _Layout:
    """What the first rows say about the file: its columns, whether it has a header, and a sample of data."""

    names: tuple[str, ...]  # header names, or "column 1", "column 2"... without a header
    has_header: bool
    header_line: int  # line of the header row, 0 without one: NumPy skips this many lines
    sample: list[Row]

    def label(self, column: int) -> str | int:
        """How messages name a column: as the header does, else by its 1-based number, as editors count."""
        return self.names[column] if self.has_header else column + 1

    def sample_column(self, column: int) -> list[str]:
        return [cells[column] for _, cells in self.sample if column < len(cells)]


def _read_layout(path: str | os.PathLike[str], delimiter: str, header: bool | None) -> _Layout:
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise DataError(
            f"the delimiter must be one character other than a quote or a newline, got {delimiter!r}"
        )
    with closing(_rows(path, delimiter)) as rows:
        head = list(islice(rows, _SAMPLE_ROWS + 1))
    if not head:
        raise DataError("the file is empty")
    first_line, first = head[0]
    if header is None:
        header = _looks_like_header(first, [cells for _, cells in head[1:]])
    if not header:
        return _Layout(tuple(f"column {j + 1}" for j in range(len(first))), False, 0, head)
    if len(head) == 1:
        raise DataError("the file has a header row but no data rows")
    names = tuple(name or f"column {j + 1}" for j, name in enumerate(first))
    return _Layout(names, True, first_line, head[1:])


def _column_index(key: str | int, layout: _Layout) -> int:
    n_columns = len(layout.names)
    if isinstance(key, str):
        if not layout.has_header:
            raise DataError("the file has no header row, so choose columns by number", column=key)
        hits = [j for j, name in enumerate(layout.names) if name == key]
        if len(hits) != 1:
            problem = "no column has this name" if not hits else "several columns have this name"
            raise DataError(f"{problem}; the columns are: {', '.join(layout.names)}", column=key)
        return hits[0]
    try:
        index = operator.index(key)
    except TypeError:
        raise DataError(f"a column is chosen by header name or by index, not by {key!r}") from None
    if not -n_columns <= index < n_columns:
        raise DataError(f"column index {index} is out of range: the file has {n_columns} columns")
    return index % n_columns


def _target_indices(column: str | int | None, columns: Sequence[str | int] | None, task: str | None,
                    layout: _Layout) -> list[int]:
    """The target columns: one by default (the last), or several for multi-output regression and multi-label data
    (a 0/1 column per label, with a sigmoid output and binary cross-entropy)."""
    if columns is None:
        return [len(layout.names) - 1 if column is None else _column_index(column, layout)]
    if column is not None:
        raise DataError("give either one target column (target_column) or several (target_columns), not both")
    targets = [_column_index(key, layout) for key in columns]
    if not targets:
        raise DataError("target_columns names no column; a data set needs at least one target")
    for k, j in enumerate(targets):
        if j in targets[:k]:
            raise DataError("is chosen twice as a target", column=layout.label(j))
    if len(targets) > 1 and task == "classification":
        raise DataError("classification takes one column of class labels; several target columns make a "
                        "regression data set (or, with 0/1 values and binary cross-entropy, a multi-label one)")
    return targets


def _input_indices(keys: Sequence[str | int] | None, targets: list[int], layout: _Layout) -> list[int]:
    if keys is None:
        inputs = [j for j in range(len(layout.names)) if j not in targets]
    else:
        inputs = [_column_index(key, layout) for key in keys]
    seen: set[int] = set()
    for j in inputs:
        if j in targets:
            which = "the" if len(targets) == 1 else "a"
            raise DataError(f"is both an input and {which} target", column=layout.label(j))
        if j in seen:
            raise DataError("is chosen twice as an input", column=layout.label(j))
        seen.add(j)
    if not inputs:
        raise DataError("there are no input columns; a data set needs at least one besides the target")
    return inputs


def _cell_problem(cell: str, numeric: bool) -> str | None:
    if not cell:
        return "the value is missing"
    if not numeric:
        return None
    value = _number(cell)
    if value is None:
        return f"{cell!r} is not a number"
    return None if math.isfinite(value) else f"{cell!r} is not a finite number"


def _first_problem(
    path: str | os.PathLike[str],
    delimiter: str,
    layout: _Layout,
    numeric: list[int],
    text: list[int],
    fallback: str,
) -> DataError:
    """The slow scan: the first line, in file order, that the fast reader or the Dataset would refuse."""
    checks = sorted([(j, True) for j in numeric] + [(j, False) for j in text])
    n_columns = len(layout.names)
    with closing(_rows(path, delimiter)) as rows:
        for line, cells in rows:
            if line <= layout.header_line:
                continue
            if len(cells) != n_columns:
                return DataError(
                    f"expected {n_columns} fields like the first row, found {len(cells)}", line=line
                )
            for j, is_numeric in checks:
                problem = _cell_problem(cells[j], is_numeric)
                if problem:
                    return DataError(problem, line=line, column=layout.label(j))
    return DataError(fallback)


def _read_table(
    path: str | os.PathLike[str],
    delimiter: str,
    layout: _Layout,
    inputs: list[int],
    targets: list[int],
    text_target: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The fast reader: one NumPy pass that parses the used number columns as floats, the rest as strings.

    Every column gets a field, rather than picking some with `usecols`, because only then does NumPy refuse a
    row with too many fields.
    """
    numeric = inputs if text_target else [*inputs, *targets]
    is_numeric = set(numeric)
    dtype = np.dtype([(f"c{j}", np.float64 if j in is_numeric else object) for j in range(len(layout.names))])
    text = targets if text_target else []
    try:
        with _open(path, "r", encoding="utf-8-sig") as file:
            table = np.loadtxt(
                file,
                dtype=dtype,
                delimiter=delimiter,
                quotechar='"',
                comments=None,
                skiprows=layout.header_line,
                ndmin=1,
            )
    except ValueError as exc:  # UnicodeDecodeError is one too
        raise _first_problem(path, delimiter, layout, numeric, text, f"cannot read the file: {exc}") from exc
    X = np.empty((len(table), len(inputs)))  # filled column by column: 3x faster than np.column_stack here
    for k, j in enumerate(inputs):
        X[:, k] = table[f"c{j}"]
    y = table[f"c{targets[0]}"] if len(targets) == 1 else np.column_stack([table[f"c{j}"] for j in targets])
    if text_target:
        y = np.char.strip(y.astype(str))
    target_ok = (y != "").all() if text_target else np.isfinite(y).all()
    if not (np.isfinite(X).all() and target_ok):
        raise _first_problem(
            path, delimiter, layout, numeric, text, "the file holds a value that cannot be used"
        )
    return X, y


def _number_name(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _looks_categorical(values: np.ndarray) -> bool:
    distinct = np.unique(values)
    few = len(distinct) <= _MAX_AUTO_CLASSES and len(distinct) < len(values) / 2
    return few and bool(np.all(distinct == np.round(distinct)))


def _classes(names: list[str], indices: np.ndarray, column: str | int) -> tuple[np.ndarray, tuple[str, ...]]:
    if len(names) < 2:
        raise DataError(
            f"the target has only one class, {names[0]!r}; classification needs at least 2", column=column
        )
    return indices.astype(np.int64), tuple(names)


def _targets(
    raw: np.ndarray, task: str | None, name: str, column: str | int
) -> tuple[np.ndarray, tuple[str, ...], str]:
    """(y, target_names, task) from the target column, read as numbers or, when it may hold names, as text.

    Text labels that are all numbers are treated as numbers, so classes "2" and "10" sort as numbers do.
    Only the distinct labels are parsed, which keeps this cheap for a million rows of a few classes.
    """
    if raw.dtype.kind == "U":
        labels, indices = np.unique(raw, return_inverse=True)
        numbers = [_number(label) for label in labels.tolist()]
        if not all(number is not None and math.isfinite(number) for number in numbers):
            return (*_classes(labels.tolist(), indices, column), "classification")
        raw = np.array(numbers)[indices]
    if task is None:
        task = "classification" if _looks_categorical(raw) else "regression"
    if task == "regression":
        return raw[:, None], (name,), task
    values, indices = np.unique(raw, return_inverse=True)
    return (*_classes([_number_name(v) for v in values.tolist()], indices, column), task)


def load_csv(
    path: str | os.PathLike[str],
    *,
    target_column: str | int | None = None,
    target_columns: Sequence[str | int] | None = None,
    input_columns: Sequence[str | int] | None = None,
    header: bool | None = None,
    task: str | None = None,
    delimiter: str = ",",
) -> Dataset:
    """A Dataset from a CSV file; columns are chosen by header name or 0-based index (negative from the end).

    The target defaults to the last column and the inputs to all the others; `target_columns` chooses several
    (numbers, a regression or multi-label data set with one output per column). `header` and `task` are detected
    when None (see docs/datasets.md for the rules). Every problem is a DataError naming its line and column.
    """
    if task is not None and task not in TASKS:
        raise DataError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    layout = _read_layout(path, delimiter, header)
    targets = _target_indices(target_column, target_columns, task, layout)
    inputs = _input_indices(input_columns, targets, layout)
    text_target = len(targets) == 1 and (task == "classification" or (
        task is None and any(_is_text(cell) for cell in layout.sample_column(targets[0]))
    ))
    X, raw = _read_table(path, delimiter, layout, inputs, targets, text_target)
    if len(targets) == 1:
        y, target_names, task = _targets(raw, task, layout.names[targets[0]], layout.label(targets[0]))
    else:
        y, target_names, task = raw, tuple(layout.names[j] for j in targets), "regression"
    feature_names = tuple(layout.names[j] for j in inputs)
    return Dataset(Path(path).stem, X, y, task, feature_names, target_names)


@dataclass(frozen=True)
class CsvPreview:
    """The start of a CSV file, for a column-mapping dialog to show before anything is loaded."""

    columns: tuple[str, ...]  # header names, or "column 1", "column 2"... without a header
    has_header: bool
    rows: tuple[tuple[str, ...], ...]  # the first data rows, cells as text


def describe_csv(path: str | os.PathLike[str], *, delimiter: str = ",", n_rows: int = 5) -> CsvPreview:
    """Reads only the first rows (at most 20), so the dialog opens at once even for a huge file."""
    layout = _read_layout(path, delimiter, None)
    rows = tuple(tuple(cells) for _, cells in layout.sample[:n_rows])
    return CsvPreview(layout.names, layout.has_header, rows)
