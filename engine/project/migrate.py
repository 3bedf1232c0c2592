"""Format versions: every old file is upgraded step by step to the current version before it is validated.

Validation and building only ever see the current version, so supporting an old file costs one small function
here rather than a branch in every reader. A file from a newer app is refused outright: guessing at fields this
version does not know would silently lose the user's work on the next save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .fields import Field

FORMAT = "backprop-studio-project"
VERSION = 2


def _runs(doc: dict[str, Any]) -> dict[str, Any]:
    """Version 2 keeps the project's runs (engine.runs); a version-1 project has none yet."""
    return {**doc, "runs": [], "runs_made": 0}


# version v -> function turning a version-v document into a version-(v + 1) one
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _runs}


def migrate(doc: Field) -> Field:
    """The document upgraded to `VERSION` (checks the format marker and the version first)."""
    root = doc.obj()
    if root.get("format") != FORMAT:
        raise doc.error(f"this is not a Backprop Studio project (no \"format\": {FORMAT!r} at the top)")
    version = doc["version"].int(minimum=1)
    if version > VERSION:
        raise doc["version"].error(
            f"the file has format version {version}, but this version of Backprop Studio reads versions up to "
            f"{VERSION}; open it with a newer Backprop Studio"
        )
    while version < VERSION:
        if version not in MIGRATIONS:
            raise doc["version"].error(f"format version {version} cannot be upgraded (no migration from it)")
        root = MIGRATIONS[version](root)
        version += 1
        root["version"] = version
    return Field(root)
