"""The one place that knows where the bundled files live (example projects, data sets, icons), so no module
builds paths to them by hand.

They live in the top-level resources/ folder of the work tree, which this package links in (engine/resources/
examples, datasets and icons are relative symbolic links to it); building a wheel copies the files behind the links,
so they are package data of this package there. Found with `importlib.resources`, the same call works from the
work tree (an editable install) and from an installed wheel. pip always unpacks a wheel into files, so what
`files` gives is a real path that `open`, the CSV reader and Qt can all use.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource_path("examples", "xor.bps.json")``."""
    return Path(str(files(__name__).joinpath(*parts)))
