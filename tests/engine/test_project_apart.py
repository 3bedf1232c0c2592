"""A save in a child process (engine.project.apart): the same file, the same project afterwards and the same refusals
as a save in process, and a child that dies is a ProjectError that leaves the previous file as it was."""

from __future__ import annotations

import math
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_project import ROOT, assert_same_project
from test_runs import two_runs

from engine import ProjectError, layered
from engine.project import EXAMPLES, DataSpec, Project, load_project, save_project
from engine.project import apart as project_apart
from engine.project.apart import save_project_apart


def trained_with_runs_and_a_csv(tmp_path: Path) -> Project:
    """Adam moments, a history, two runs (kept by the document, which follows the network's events), and a CSV
    path relative to the folder of a file the project was loaded from, not the one it is saved to."""
    project = two_runs().project
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "points.csv").write_text("x1,x2,label\n0.5,1.5,1\n")
    project.data = DataSpec("csv", "../data/points.csv", {"target_column": "label", "header": True})
    project.path = tmp_path / "old" / "p.bps.json"
    return project


def children() -> list[str]:
    """The processes this one started and has not reaped (zombies included)."""
    tasks = Path(f"/proc/{os.getpid()}/task")
    return [pid for task in tasks.iterdir() for pid in (task / "children").read_text().split()]


def test_a_save_apart_writes_what_a_save_in_process_writes_and_loads_back_equal(tmp_path):
    project = trained_with_runs_and_a_csv(tmp_path)
    assert project.runs and project.network.events.subscriber_count  # a document follows it
    assert any(p.state for _, p in project.network.parameters())
    before = project.path, project.data, project.data_dir
    (tmp_path / "new").mkdir()
    save_project_apart(project, tmp_path / "new" / "apart.bps.json")
    apart = project.path, project.data, project.data_dir
    project.path, project.data, project.data_dir = before
    save_project(project, tmp_path / "new" / "here.bps.json")
    assert (tmp_path / "new" / "apart.bps.json").read_bytes() == (tmp_path / "new" / "here.bps.json").read_bytes()
    assert apart == (tmp_path / "new" / "apart.bps.json", project.data, None)
    assert project.data.name == "../data/points.csv"  # relative to the new folder, which is a sibling of data
    assert_same_project(load_project(tmp_path / "new" / "apart.bps.json"), project)
    assert not children()


def refusal(save, project: Project, path: Path) -> tuple[str, str | None]:
    with pytest.raises(ProjectError) as info:
        save(project, path)
    return str(info.value), info.value.field


def test_a_save_apart_refuses_what_a_save_in_process_refuses_in_the_same_words(tmp_path):
    infinite = load_project(EXAMPLES["XOR"])
    infinite.settings.target_loss = math.inf
    a_set = load_project(EXAMPLES["XOR"])
    a_set.ui = {"watched": {1, 2}}
    nowhere = tmp_path / "missing" / "p.bps.json"
    for project, path, words in ((infinite, tmp_path / "p.bps.json", "Out of range float values"),
                                 (a_set, tmp_path / "p.bps.json", "cannot be written as JSON"),
                                 (load_project(EXAMPLES["XOR"]), nowhere, "cannot write in")):
        here = refusal(save_project, project, path)
        assert words in here[0]
        assert refusal(save_project_apart, project, path) == here
    assert os.listdir(tmp_path) == [] and not children()


def test_a_saving_process_that_dies_is_a_project_error_and_the_file_stays(tmp_path, monkeypatch):
    path = tmp_path / "p.bps.json"
    save_project(load_project(EXAMPLES["XOR"]), path)
    before = path.read_bytes()
    project = load_project(EXAMPLES["Circles"])
    dying = """
import os, runpy, signal
from engine.project import files
real = files.json_chunks
def dying(value):
    for k, chunk in enumerate(real(value)):
        if k == 50:
            os.kill(os.getpid(), signal.SIGKILL)
        yield chunk
files.json_chunks = dying
runpy.run_module("engine.project.apart", run_name="__main__")
"""
    for script, words in ((dying, r"was killed \(signal 9\)"),
                          ("import sys; sys.stdin.buffer.read(); 1 / 0",
                           r"failed \(exit status 1: ZeroDivisionError: division by zero\)")):
        monkeypatch.setattr(project_apart, "child_command", lambda s=script: [sys.executable, "-c", s])
        with pytest.raises(ProjectError, match=rf"cannot save '{path}': the process writing it {words}; "
                                               "the previous file is untouched"):
            save_project_apart(project, path)
        assert path.read_bytes() == before and project.path == EXAMPLES["Circles"]  # not saved
        assert not children()
    left = [name for name in os.listdir(tmp_path) if name != "p.bps.json"]
    assert len(left) == 1 and left[0].startswith(".p.bps.json.")  # the killed one's temporary file
    monkeypatch.undo()
    save_project_apart(project, path)  # removes it
    assert os.listdir(tmp_path) == ["p.bps.json"] and project.path == path
    assert_same_project(load_project(path), project)


def test_the_child_imports_the_engine_the_parent_imported_from_a_plain_checkout(tmp_path):
    checkout = tmp_path / "checkout"
    shutil.copytree(ROOT / "engine", checkout / "engine", ignore=shutil.ignore_patterns("__pycache__"))
    with open(checkout / "engine" / "__init__.py", "a") as f:
        f.write("\nimport os as _os\nwith open(_os.environ['IMPORTED'], 'a') as _f:\n    _f.write(__file__ + '\\n')\n")
    script = ("from engine.project import EXAMPLES, load_project\nfrom engine.project.apart import save_project_apart\n"
              f"save_project_apart(load_project(EXAMPLES['XOR']), {str(tmp_path / 'p.bps.json')!r})\n")
    imported = tmp_path / "imported.txt"
    env = {**os.environ, "IMPORTED": str(imported)}
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, "-c", script], cwd=checkout, env=env, check=True)
    assert imported.read_text().splitlines() == [str(checkout / "engine" / "__init__.py")] * 2  # parent and child
    assert load_project(tmp_path / "p.bps.json").network.n_weights == load_project(EXAMPLES["XOR"]).network.n_weights


def test_a_saving_process_that_dies_before_reading_the_project_is_a_project_error(tmp_path, monkeypatch):
    project = load_project(EXAMPLES["XOR"])
    project.network = layered([2, 300, 300, 1], seed=1)
    assert len(pickle.dumps(project)) > 2**20  # more than a pipe holds: the parent's write meets a closed pipe
    monkeypatch.setattr(project_apart, "child_command",
                        lambda: [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    with pytest.raises(ProjectError, match=r"the process writing it was killed \(signal 9\)"):
        save_project_apart(project, tmp_path / "p.bps.json")
    assert os.listdir(tmp_path) == [] and not children()
