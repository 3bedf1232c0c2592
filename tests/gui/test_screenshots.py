"""The docs' pictures come from a script that drives the real window: it must keep working as the window changes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "screenshots" / "make_screenshots.py"
SIZES = {"readme-training": (1440, 900), "workspace-train": (1280, 800), "workspace-build": (1280, 800),
         "workspace-explain": (1280, 800),
         "workspace-learn": (1280, 800), "timeline": (900, 360), "runs": (820, 260), "loss-surface": (560, 480),
         "weight-images": (560, 440), "boundary-readouts": (760, 400), "loss-penalty": (900, 360),
         "confusion": (560, 440), "fit-plot": (760, 440), "boundary-painted": (760, 400), "input-features": (1280, 800)}


def test_the_screenshot_script_grabs_the_readme_each_workspace_and_the_time_travel_docks(tmp_path):
    run = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(p.stem for p in tmp_path.glob("*.png")) == sorted(SIZES)
    for name, size in SIZES.items():
        path = tmp_path / f"{name}.png"
        image = QImage(str(path))
        assert (image.width(), image.height()) == size, name
        assert path.stat().st_size < 200 * 1024, name
        rgb = image.convertToFormat(QImage.Format.Format_RGB32)
        pixels = np.frombuffer(rgb.constBits(), np.uint32, count=rgb.width() * rgb.height())
        assert len(np.unique(pixels)) > 32, f"{name} is nearly blank"  # a window of panels, plots and the canvas
