"""Typed access to a parsed JSON document that knows where it is, so every refusal names its field.

A project file is untrusted input: any value may have any JSON type. Reading it through `Field` turns each
wrong type, missing key or out-of-range number into one `ProjectError` whose `field` is the JSON path
(``connections[3].weights.value[1][2]``), instead of a `TypeError` deep inside NumPy.
"""

from __future__ import annotations

import builtins
import itertools
import math
import reprlib
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ProjectError

_MISSING = object()
_FLOAT_MAX = sys.float_info.max


def _show(value: Any) -> str:
    """What was found instead, briefly: a whole list or object in a message would drown the message."""
    names = {dict: "an object", list: "a list", type(None): "null", bool: str(value).lower()}
    return names.get(type(value)) or reprlib.repr(value)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Field:
    """One value of the document and its JSON path."""

    def __init__(self, value: Any, path: str = ""):
        self.value = value
        self.path = path

    def error(self, message: str) -> ProjectError:
        return ProjectError(message, field=self.path or None)

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    # ------------------------------------------------------------ containers
    def obj(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.error(f"expected an object, found {_show(self.value)}")
        return self.value

    def has(self, key: str) -> bool:
        return key in self.obj()

    def __getitem__(self, key: str) -> Field:
        value = self.obj().get(key, _MISSING)
        path = self._child_path(key)
        if value is _MISSING:
            raise ProjectError("this required key is missing", field=path)
        return Field(value, path)

    def get(self, key: str, default: Any) -> Field:
        """The key's field, or `default` in its place when the key is absent (optional keys)."""
        return Field(self.obj().get(key, default), self._child_path(key))

    def items(self) -> list[Field]:
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, found {_show(self.value)}")
        return [Field(v, self._child_path(k)) for k, v in enumerate(self.value)]

    def entries(self) -> Iterator[tuple[str, Field]]:
        for key, value in self.obj().items():
            yield key, Field(value, self._child_path(key))

    # ------------------------------------------------------------ scalars
    def int(self, minimum: int | None = None, maximum: int | None = None) -> int:
        v = self.value
        if not isinstance(v, int) or isinstance(v, bool):
            raise self.error(f"expected a whole number, found {_show(v)}")
        if minimum is not None and v < minimum:
            raise self.error(f"must be ≥ {minimum}, not {v}")
        if maximum is not None and v > maximum:
            raise self.error(f"must be ≤ {maximum}, not {v}")
        return v

    def float(self, minimum: float | None = None, below: float | None = None) -> float:
        """A finite number (ints accepted), at least `minimum` and strictly below `below` when given."""
        v = self.value
        if not is_number(v):
            raise self.error(f"expected a number, found {_show(v)}")
        if isinstance(v, int) and abs(v) > _FLOAT_MAX:  # float() of a huge JSON integer raises OverflowError
            raise self.error("the number is too large")
        v = float(v)
        if not math.isfinite(v):
            raise self.error(f"must be a finite number, not {v}")
        if minimum is not None and v < minimum:
            raise self.error(f"must be ≥ {minimum}, not {v}")
        if below is not None and v >= below:
            raise self.error(f"must be < {below}, not {v}")
        return v

    def optional(self) -> Field | None:
        return None if self.value is None else self

    def bool(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, found {_show(self.value)}")
        return self.value

    def str(self, choices: tuple[str, ...] | list[str] | None = None) -> str:
        v = self.value
        if not isinstance(v, str) or not v:
            raise self.error(f"expected a non-empty string, found {_show(v)}")
        if choices is not None and v not in choices:
            raise self.error(f"unknown value {reprlib.repr(v)}; expected one of {', '.join(choices)}")
        return v

    # ------------------------------------------------------------ arrays
    def array(self, shape: tuple[builtins.int, ...], dtype: npt.DTypeLike,
              allow_null: builtins.bool = False) -> np.ndarray:
        """A nested list of exactly `shape`, as an array of `dtype` (float or bool).

        Floats must be finite after conversion to `dtype` (1e39 is finite in float64 but not in float32), except
        that `allow_null` reads null as NaN (history rows, where NaN means "no value"). Flags are 0/1 or true/false.
        """
        dtype = np.dtype(dtype)
        flags = dtype.kind == "b"
        clean = self._clean_array(shape, dtype, flags)
        if clean is not None:
            return clean
        flat: list[builtins.float | None] = []  # JSON numbers and flags (bool and int are floats to mypy)
        self._collect(shape, flat, flags, allow_null)
        if flags:
            return np.array(flat, dtype=bool).reshape(shape)
        with np.errstate(over="ignore"):
            arr = np.array([np.nan if v is None else v for v in flat], dtype=np.float64).astype(dtype)
        bad = ~np.isfinite(arr) & ~np.array([v is None for v in flat], bool)
        if bad.any():
            k = int(np.argmax(bad))
            where = "".join(f"[{i}]" for i in np.unravel_index(k, shape))
            kind = "" if dtype == np.float64 else f" in {dtype.name}"
            raise ProjectError(f"must be a finite number{kind}, not {flat[k]!r}", field=self.path + where)
        return arr.reshape(shape)

    def _clean_array(self, shape: tuple[builtins.int, ...], dtype: np.dtype, flags: builtins.bool) -> np.ndarray | None:
        """The array in a few C-level passes when nothing in it is wrong, else None: `_collect` then walks it value
        by value to name what is. A 1M-weight project holds ~3M numbers: a `Field` for each took seconds, and their
        allocations kept the GUI thread's garbage collector busy while a worker read the file."""
        rows: list[Any] = [self.value]  # the lists at one depth, outermost first
        for depth, size in enumerate(shape):
            if size == 0 or any(type(row) is not list or len(row) != size for row in rows):
                return None
            if depth < len(shape) - 1:
                rows = list(itertools.chain.from_iterable(rows))
        if not set(map(type, itertools.chain.from_iterable(rows))) <= ({int, bool} if flags else {int, float}):
            return None
        try:
            arr = np.array(rows, dtype=np.int64 if flags else np.float64).reshape(shape)
        except OverflowError:  # an integer beyond int64 (a flag) or beyond float64's range
            return None
        if flags:
            return arr.astype(bool) if ((arr == 0) | (arr == 1)).all() else None
        with np.errstate(over="ignore"):
            arr = arr.astype(dtype)
        return arr if np.isfinite(arr).all() else None

    def _collect(self, shape: tuple[builtins.int, ...], out: list[builtins.float | None], flags: builtins.bool,
                 allow_null: builtins.bool) -> None:
        items = self.items()
        if len(items) != shape[0]:
            raise self.error(f"expected {shape[0]} entries, found {len(items)}")
        if len(shape) > 1:
            for item in items:
                item._collect(shape[1:], out, flags, allow_null)
            return
        for item in items:
            v = item.value
            if flags:
                if v not in (0, 1) or not isinstance(v, (int, bool)):
                    raise item.error(f"expected 0 or 1, found {reprlib.repr(v)}")
            elif not (is_number(v) or (allow_null and v is None)):
                raise item.error(f"expected a number, found {_show(v)}")
            elif isinstance(v, int) and abs(v) > _FLOAT_MAX:
                raise item.error("the number is too large")
            out.append(v)
