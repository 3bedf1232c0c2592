"""Saving a project in a child process, so the process that owns the project keeps its GIL while the file is written.

Writing a 1M-weight project is mostly turning 10⁶ floats into JSON text, a second or more that holds the GIL. On a
worker thread that still froze the window: each time the GUI thread wanted the GIL back it waited for the writer to
let go and for its own (idle, virtual) CPU to wake, 57–659 ms stalls on a 2-core VM. A child process has a GIL of
its own. The parent pickles the project (arrays pickle as bytes: ~15 ms for 1M weights), hands it over in one
blocking pipe write, which is one system call with the GIL released (`Popen.communicate` writes 512-byte pieces,
retaking the GIL for each), and waits for the child's exit, again without the GIL. The child writes the file with
an in-process save's own code (`write_project`), so the bytes and the refusals are the same; it sends a refusal back
pickled (a `ProjectError` with its field). A child that dies midway (killed, out of memory, a bug) leaves the
previous file as it was, the save being atomic, and its temporary file for the next save to remove.

The child is this module run as `python -m engine.project.apart` (not `multiprocessing`, whose spawn re-imports the
parent's `__main__`, and in the app that imports Qt); engine.project does not import it, so running it imports it
once. It finds `engine` where the parent did, installed or a plain checkout alike.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import ProjectError
from .document import with_csv_relative_to
from .files import saved_as, write_project
from .project import Project

ROOT = Path(__file__).resolve().parents[2]  # the folder holding the `engine` package the parent imported
REFUSED = 1  # the child's exit status when it sends a ProjectError back


def child_command() -> list[str]:
    """How the child is started (`-P`: a folder named `engine` in the working directory must not come first)."""
    return [sys.executable, "-P", "-m", __name__]


def save_project_apart(project: Project, path: str | os.PathLike[str]) -> None:
    """`save_project`, written by a child process: the same file, the same `ProjectError`s, the same `project`
    afterwards; a child that dies is a `ProjectError` too, and the previous file is left untouched."""
    path = Path(path)
    data = with_csv_relative_to(project, path.parent)
    sent = pickle.dumps((project, data, path), protocol=pickle.HIGHEST_PROTOCOL)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    with tempfile.TemporaryFile() as errors, subprocess.Popen(
            child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, env=env) as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(sent)  # one blocking write: the GIL is released until the child has read it all
            child.stdin.close()
        except BrokenPipeError:  # the child died before reading it all: its exit status says how
            pass
        reply = child.stdout.read()
        status = child.wait()
        if status == REFUSED and (refusal := _refusal(reply)) is not None:
            raise refusal
        if status != 0:
            errors.seek(0)
            raise ProjectError(f"cannot save {str(path)!r}: the process writing it {_ended(status, errors.read())}; "
                               "the previous file is untouched")
    saved_as(project, data, path)


def _refusal(reply: bytes) -> ProjectError | None:
    """The ProjectError the child sent back; None when it sent none (it crashed with a traceback, say)."""
    try:
        refusal = pickle.loads(reply)
    except Exception:  # an empty or cut reply: the child did not get to send one
        return None
    return refusal if isinstance(refusal, ProjectError) else None


def _ended(status: int, errors: bytes) -> str:
    if status < 0:
        return f"was killed (signal {-status})"
    last = errors.decode(errors="replace").strip().splitlines()[-1:]
    return f"failed (exit status {status}{': ' + last[0] if last else ''})"


def _child() -> int:
    project, data, path = pickle.load(sys.stdin.buffer)
    try:
        write_project(project, data, path)
    except ProjectError as exc:
        sys.stdout.buffer.write(pickle.dumps(exc))
        return REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(_child())
