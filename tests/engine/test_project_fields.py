"""Reading a big project file: `Field.array` reads a clean array in bulk (whatever it accepts, the value-by-value
check accepts alike), and the JSON parser yields to other threads without reading anything differently."""

from __future__ import annotations

import json
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ProjectError
from engine.project.fields import Field
from engine.project.files import _parse

LEAVES = st.one_of(
    st.floats(width=64), st.floats(min_value=-1e6, max_value=1e6), st.integers(-(2**70), 2**70),
    st.just(10**400), st.booleans(), st.sampled_from([0, 1]), st.none(), st.text(max_size=2),
)


@st.composite
def nested(draw):
    """A nested list of a drawn shape, sometimes with a row too short, a scalar for a row, or a row for a scalar."""
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))

    def build(dims):
        if not dims:
            return draw(LEAVES)
        items = [build(dims[1:]) for _ in range(dims[0])]
        defect = draw(st.sampled_from(["none"] * 6 + ["short", "scalar", "deeper"]))
        if defect == "short":
            items.pop()
        elif defect == "scalar":
            items[0] = draw(LEAVES)
        elif defect == "deeper":
            items[0] = [items[0]]
        return items

    return build(shape), shape


def read(value, shape, dtype, allow_null):
    try:
        return Field(value, "x").array(shape, dtype, allow_null)
    except ProjectError as exc:
        return f"{exc.field}: {exc}"


@settings(max_examples=400, deadline=None)
@given(case=nested(), dtype=st.sampled_from([np.float64, np.float32, bool]), allow_null=st.booleans())
def test_the_bulk_read_agrees_with_the_value_by_value_check(case, dtype, allow_null):
    value, shape = case
    fast = read(value, shape, dtype, allow_null)
    with patch.object(Field, "_clean_array", lambda *args: None):
        checked = read(value, shape, dtype, allow_null)
    if isinstance(checked, str):
        assert fast == checked
    else:
        assert isinstance(fast, np.ndarray) and fast.dtype == checked.dtype and fast.shape == checked.shape
        np.testing.assert_array_equal(fast, checked)


@pytest.mark.parametrize(("value", "dtype", "expected"), [
    ([[1, 2.5], [3, -4]], np.float64, np.array([[1.0, 2.5], [3.0, -4.0]])),
    ([[0.1, 2**53 + 1]], np.float32, np.array([[0.1, 2**53 + 1]], np.float32)),
    ([[1, True], [0, False]], bool, np.array([[True, True], [False, False]])),
])
def test_a_clean_array_is_read_in_bulk(value, dtype, expected):
    shape = np.shape(value)
    arr = Field(value)._clean_array(shape, np.dtype(dtype), np.dtype(dtype).kind == "b")
    assert arr is not None and arr.dtype == expected.dtype
    np.testing.assert_array_equal(arr, expected)


@pytest.mark.parametrize(("value", "dtype"), [
    ([[1.0, True]], np.float64),  # true is not a number, though NumPy would read it as 1.0
    ([[1.0, None]], np.float64),
    ([[1, 2]], bool),  # a flag is 0 or 1
    ([[1.0, 1e39]], np.float32),  # finite in float64 only
    ([[1.0], [2.0, 3.0]], np.float64),
])
def test_anything_doubtful_is_left_to_the_value_by_value_check(value, dtype):
    shape = (len(value), len(value[-1]))
    assert Field(value)._clean_array(shape, np.dtype(dtype), np.dtype(dtype).kind == "b") is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(width=64) | st.integers(-(2**80), 2**80) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES)
def test_a_project_file_is_parsed_as_json_parses_it(value):
    """The parser calls back into Python for each number (so a worker reading a big file lets the GUI thread run):
    the values are json's own, NaN and infinities included, bit for bit."""
    text = json.dumps(value)
    assert repr(_parse(text)) == repr(json.loads(text))


def test_the_parser_refuses_what_json_refuses():
    for text in ('{"a": 1} x', "[" * 100_000, '{"a": ' + "9" * 5000 + "}"):
        with pytest.raises((ValueError, RecursionError)) as ours:
            _parse(text)
        with pytest.raises(type(ours.value)) as theirs:
            json.loads(text)
        assert str(ours.value) == str(theirs.value)
