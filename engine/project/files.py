"""Reading and writing project files: parse → migrate → validate → build, and saves that cannot half-happen.

A save writes a temporary file beside the target, flushes it to disk and renames it over the target in one
`os.replace`, then flushes the folder so the rename itself survives a power cut: a crash, a full disk or a bug
halfway through leaves the previous file exactly as it was. A process killed mid-save cannot delete its temporary
file, so each save first removes those its predecessors left for the same project: a save holds a lock on its
temporary file while it writes, and a temporary file nobody holds a lock on belongs to a save that died.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import ProjectError
from .data import DataSpec
from .document import decode_document, encode_document, json_default, with_csv_relative_to
from .fields import Field
from .migrate import migrate
from .project import Project

_fcntl: ModuleType | None
try:
    import fcntl as _fcntl
except ImportError:  # Windows
    _fcntl = None

SUFFIX = ".bps.json"


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _file_mode(path: Path) -> int:
    """The permissions the saved file should get: those of the file it replaces, or what a plain `open` would
    give (a temporary file is private, and `os.replace` would carry that over to the user's project)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def json_chunks(value: object) -> Iterator[str]:
    """JSON text with one object key per line but each innermost list on one line, so a weight matrix reads
    as a matrix (one row per line) and a diff of two saves shows which rows changed."""
    return _chunks(value, "")


def _chunks(value: object, indent: str) -> Iterator[str]:
    inner = indent + "  "
    if isinstance(value, dict) and value:
        yield "{"
        for k, (key, item) in enumerate(value.items()):
            yield f"{',' if k else ''}\n{inner}{json.dumps(key, ensure_ascii=False)}: "
            yield from _chunks(item, inner)
        yield f"\n{indent}}}"
    elif isinstance(value, list) and value and isinstance(value[0], (list, dict)):
        yield "["
        for k, item in enumerate(value):
            yield f"{',' if k else ''}\n{inner}"
            yield from _chunks(item, inner)
        yield f"\n{indent}]"
    else:
        yield json.dumps(value, ensure_ascii=False, allow_nan=False, default=json_default)


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


@contextlib.contextmanager
def _locked(path: str) -> Iterator[None]:
    """Hold an exclusive lock on the file `path` (POSIX: on Windows a file being written cannot be deleted, which
    protects a running save just as well), so no other save takes it for a dead one's leftover."""
    if _fcntl is None:
        yield
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _unlocked(fd: int) -> bool:
    if _fcntl is None:
        return True
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _remove_stale_temporaries(path: Path) -> None:
    """Delete the temporary files of earlier saves of `path` that died before they could (kill -9, a power cut)."""
    prefix = _temporary_prefix(path)
    try:
        stale = [e.path for e in os.scandir(path.parent)
                 if e.name.startswith(prefix) and e.name.endswith(".tmp") and e.is_file(follow_symlinks=False)]
    except OSError:
        return
    for name in stale:
        with contextlib.suppress(OSError):
            fd = os.open(name, os.O_RDONLY)
            try:
                if _unlocked(fd):
                    os.unlink(name)
            finally:
                os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the renamed file (POSIX; Windows cannot open a folder, and needs no such step)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def save_project(project: Project, path: str | os.PathLike[str]) -> None:
    """Write `project` to `path` atomically. Afterwards `project.path` is `path`, and a CSV data path is
    relative to the new file's directory (in the file and in `project.data` alike)."""
    path = Path(path)
    data = with_csv_relative_to(project, path.parent)
    write_project(project, data, path)
    saved_as(project, data, path)


def write_project(project: Project, data: DataSpec, path: Path) -> None:
    """Write `project`, with `data` in place of project.data, to `path` atomically; the project is left as it was
    (`saved_as` tells it afterwards, in the process that owns it: engine.project.apart writes in another)."""
    doc = encode_document(project, data)
    _remove_stale_temporaries(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ProjectError(f"cannot write in {str(path.parent)!r}: {_describe(exc)}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f, _locked(tmp):
            os.chmod(tmp, _file_mode(path))
            for chunk in json_chunks(doc):
                f.write(chunk)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
            f.close()  # Windows renames no open file; the lock (POSIX) is another descriptor and outlives the rename
            os.replace(tmp, path)
        _sync_folder(path.parent)
    except OSError as exc:
        raise ProjectError(f"cannot save {str(path)!r}: {_describe(exc)}") from None
    except (TypeError, ValueError) as exc:  # a value JSON cannot hold: NaN, inf, an object of some other type
        raise ProjectError(f"cannot save {str(path)!r}: {exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def saved_as(project: Project, data: DataSpec, path: Path) -> None:
    """What a save of `project` to `path` (`data` its recipe as written there) changes in the project."""
    project.path = path
    project.data = data
    project.data_dir = None  # the CSV path is relative to the file now


def load_project(path: str | os.PathLike[str]) -> Project:
    """The project in `path`; any problem with the file is a `ProjectError` naming the field at fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProjectError(f"cannot read {str(path)!r}: {_describe(exc)}") from None
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{str(path)!r} is not a text file (byte {exc.start} is not UTF-8)") from None
    return project_from_text(text, path)


def project_from_text(text: str, path: Path | None = None) -> Project:
    """A project from the text of a project file (`path`, if given, is where relative CSV paths start)."""
    try:
        root = _parse(text)
    except json.JSONDecodeError as exc:
        raise ProjectError(f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ProjectError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ProjectError("the JSON is nested too deeply to be a project file") from None
    return decode_document(migrate(Field(root)), path)


def _parse(text: str) -> Any:
    """The JSON value of `text`, read by `json` as always, but calling back into Python for every number.
    `json.loads` alone holds the GIL for the whole text (0.33 s for a 1M-weight project), freezing the window
    while a worker opens the file; between two calls back the interpreter may hand the GIL over (the longest
    hold is then ~15 ms, for 0.64 s of reading in all). ijson's C parser was faster, but its memory grows with
    the square of the nesting depth: a file of 50,000 "[" took 2.8 GB."""
    return json.loads(text, parse_float=_number(float), parse_int=_number(int))


def _number(kind: type) -> Callable[[str], Any]:
    def convert(digits: str) -> Any:
        return kind(digits)

    return convert
