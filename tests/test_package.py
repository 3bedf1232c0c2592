"""The app as a user installs it: a wheel built from this tree, installed (not editable) into a fresh virtualenv,
run from a folder that is not the work tree, so nothing can be found by accident beside the sources.

The fresh venv gets no dependencies from the network: a .pth file lends it this venv's site-packages (numpy,
onnx, PySide6...). Directories named in a .pth file are not scanned for .pth files themselves, so the editable
install living there stays invisible and `engine` and `gui` can only come from the wheel, which the test checks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import onnx
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"  # the real folder; engine/resources links to its subfolders
DEV_ONLY = ("examples/make_examples.py", "datasets/make_digits.py")  # builders, not needed installed


def run(*args, cwd: Path, env: dict | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtualenv with the wheel installed; its folder."""
    base = tmp_path_factory.mktemp("package")
    # built from a copy, so the build's build/ and *.egg-info never land in the work tree
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*cache", ".hypothesis", "tests", "bench"))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", base / "dist",
        source, cwd=base)
    (wheel,) = (base / "dist").glob("backprop_studio-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", base / "venv", cwd=base)
    python = base / "venv" / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", "--no-index", wheel, cwd=base)
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=base).strip())
    (purelib / "dev-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return base / "venv"


def data_files(folder: Path) -> set[str]:
    """Every file below `folder` but the package's own module and Python's byte code."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and p.name != "__init__.py" and "__pycache__" not in p.parts}


def env_for(tmp: Path) -> dict:
    """The user's environment, with settings and caches redirected to `tmp` and an offscreen Qt."""
    return {**os.environ, "HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp / "config"), "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": "", "PYTHONDONTWRITEBYTECODE": "1"}


def test_the_wheel_ships_every_resource(venv):
    python = venv / "bin" / "python"
    where = run(python, "-c", "import engine, gui; from engine.resources import resource_path; "
                "from engine.datasets import load_bundled; print(engine.__file__); print(gui.__file__); "
                "print(resource_path()); print(load_bundled('iris').n_samples)", cwd=venv.parent,
                env=env_for(venv.parent))
    engine_file, gui_file, resources, iris_rows = where.split("\n")[:4]
    engine_file, gui_file, resources = Path(engine_file), Path(gui_file), Path(resources)
    assert iris_rows == "150"
    assert venv in engine_file.parents and venv in gui_file.parents  # not the work tree
    shipped, expected = data_files(resources), data_files(RESOURCES) - set(DEV_ONLY)
    assert {"examples/circles.bps.json", "datasets/iris.csv", "icons/undo.svg"} <= expected
    assert shipped == expected


def test_the_cli_runs_a_bundled_example_from_another_folder(venv, tmp_path):
    cli = venv / "bin" / "backprop-studio-cli"
    example = run(venv / "bin" / "python", "-c", "from engine.project import EXAMPLES; print(EXAMPLES['XOR'])",
                  cwd=tmp_path).strip()
    info = run(cli, "info", example, cwd=tmp_path, env=env_for(tmp_path))
    assert "network: float64" in info and "160 training / 40 validation samples" in info
    trained = run(cli, "train", example, "--epochs", "2", "--out", tmp_path / "xor.bps.json", cwd=tmp_path,
                  env=env_for(tmp_path))
    assert "trained 2 epochs" in trained and (tmp_path / "xor.bps.json").is_file()
    run(cli, "export", tmp_path / "xor.bps.json", "--format", "onnx", "--out", tmp_path / "xor.onnx", cwd=tmp_path,
        env=env_for(tmp_path))
    assert onnx.load(tmp_path / "xor.onnx").graph.output[0].name == "output"
    iris = run(cli, "info", Path(example).with_name("lecture_4321.bps.json"), cwd=tmp_path, env=env_for(tmp_path))
    assert "80 training / 20 validation samples, 4 features, 2 classes" in iris  # its CSV beside it


WINDOW_START = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import gui.__main__ as entry
from gui.app import icon
from gui.main_window import MainWindow

create_app = entry.create_app


def create_and_quit(argv):
    app = create_app(argv)
    QTimer.singleShot(0, app.quit)  # once the window is shown and the event loop runs
    return app


entry.create_app = create_and_quit
status = entry.main(["backprop-studio"])
(window,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
print(status, [layer.size for layer in window.network.layers.values()], icon("undo").pixmap(16, 16).isNull())
window.close()
"""


def test_the_window_starts_from_the_installed_package(venv, tmp_path):
    assert (venv / "bin" / "backprop-studio").is_file()
    out = run(venv / "bin" / "python", "-c", WINDOW_START, cwd=tmp_path, env=env_for(tmp_path))
    assert out.split("\n")[-2] == "0 [2, 8, 8, 1] False"  # the circles example, and an icon that renders
