"""One place that knows where `resources/` lives, so no module builds paths to it by hand.

The project runs from an editable install (the Makefile's `.venv`), so `resources/` sits beside the packages.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource_path("examples", "xor.bps.json")``."""
    return ROOT.joinpath(*parts)
