"""Mutated project files: whatever a damaged or hand-edited file holds, `load_project` raises `ProjectError` or
returns a project that saves and loads again to the same document; nothing else ever escapes."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_project import rich_project

from engine import ProjectError
from engine.project import EXAMPLES, load_project, save_project

ODD_VALUES = st.one_of(
    st.none(), st.booleans(), st.text(max_size=5),
    st.integers(-3, 40), st.sampled_from([-(2**63), 2**64, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([-0.0, 1e39, 5e-324]),
    # built afresh each time: a shared `st.just([])` would be mutated by a later mutation of the same document
    st.builds(list), st.builds(dict), st.lists(st.integers(-1, 3), max_size=3), st.builds(lambda: {"value": [0.0]}),
)


@functools.cache
def source(name: str) -> str:
    """A valid project text to mutate: an example, or a trained project that uses every feature ("rich").

    Looked up by name inside the strategy rather than passed to it: Hypothesis warns about (and the strict
    pytest settings fail on) strategies whose repr is tens of kilobytes long."""
    if name in EXAMPLES:
        return EXAMPLES[name].read_text()
    with tempfile.TemporaryDirectory() as tmp:
        save_project(rich_project(steps=12), Path(tmp) / "rich.bps.json")
        return (Path(tmp) / "rich.bps.json").read_text()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("mutated")


def _walk_to(draw, doc):
    """A random container and key inside `doc`, reached by descending a random number of levels. The format
    marker and version are left alone: test_project checks their refusals, and here they would only hide the
    rest of the file behind the first check."""
    parent, key = doc, draw(st.sampled_from([k for k in doc if k not in ("format", "version")]))
    # Hypothesis favours small integers, so "0" is the rare outcome that stops the descent
    while isinstance(parent[key], (dict, list)) and parent[key] and draw(st.integers(0, 4)) != 0:
        node = parent[key]
        parent, key = node, draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
    return parent, key


@st.composite
def mutations(draw) -> str:
    """A valid document with 1 to 3 keys deleted, values replaced by other types or numbers, or its text cut."""
    doc = json.loads(source(draw(st.sampled_from([*EXAMPLES, "rich"]))))
    for _ in range(draw(st.integers(1, 3))):
        parent, key = _walk_to(draw, doc)
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[key]
        elif isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool) and draw(st.booleans()):
            parent[key] = draw(st.one_of(st.integers(-(2**70), 2**70), st.floats()))
        else:
            parent[key] = draw(ODD_VALUES)
    text = json.dumps(doc)  # writes NaN and Infinity tokens, which Python's parser accepts and the loader must not
    if draw(st.sampled_from(["keep", "keep", "keep", "cut"])) == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_nothing_but_project_error_escapes_load_project(data, workdir):
    text = data.draw(mutations())
    path = workdir / "mutated.bps.json"
    path.write_text(text)
    try:
        project = load_project(path)
    except ProjectError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    # the mutation kept the file valid: it must then save and load back to the same document
    save_project(project, workdir / "resaved.bps.json")
    first = json.loads((workdir / "resaved.bps.json").read_text())
    save_project(load_project(workdir / "resaved.bps.json"), workdir / "resaved.bps.json")
    assert json.loads((workdir / "resaved.bps.json").read_text()) == first

