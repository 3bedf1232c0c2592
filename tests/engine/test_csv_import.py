"""CSV import: header and task detection, column choice, every error naming its line and column."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.datasets import BUNDLED, csv_import, describe_csv, load_bundled, load_csv
from engine.errors import DataError

NUMBERS = "a,b,c\n1,2,0.5\n3,4,1.5\n5,6,2.5\n"


def write(folder: Path, text: str, name: str = "data.csv") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_a_header_row_gives_the_names(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, NUMBERS))
    assert data.name == "data"
    assert data.feature_names == ("a", "b") and data.target_names == ("c",)
    assert data.X.tolist() == [[1, 2], [3, 4], [5, 6]] and data.y[:, 0].tolist() == [0.5, 1.5, 2.5]


def test_without_a_header_the_first_row_is_data(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, NUMBERS.split("\n", 1)[1]))
    assert data.n_samples == 3
    assert data.feature_names == ("column 1", "column 2") and data.target_names == ("column 3",)


def test_text_above_a_number_column_is_a_header(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "x,2020,y\n1,2,0.5\n3,4,1.5\n5,6,2.5\n"))
    assert data.feature_names == ("x", "2020") and data.n_samples == 3


def test_the_header_can_be_forced_either_way(tmp_path: Path) -> None:
    assert load_csv(write(tmp_path, "1,2,3.5\n4,5,6.5\n7,8,9.5\n"), header=True).feature_names == ("1", "2")
    with pytest.raises(DataError, match="line 1, column 1: 'a' is not a number"):
        load_csv(write(tmp_path, NUMBERS), header=False)


def test_columns_by_name_and_by_index(tmp_path: Path) -> None:
    path = write(tmp_path, NUMBERS)
    by_name = load_csv(path, target_column="a", input_columns=["c", "b"])
    assert by_name.feature_names == ("c", "b") and by_name.X[0].tolist() == [0.5, 2]
    by_index = load_csv(path, target_column=0, input_columns=[-1, 1])
    assert np.array_equal(by_index.X, by_name.X) and by_index.target_names == by_name.target_names


def test_a_text_target_becomes_sorted_classes(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "x, y ,kind\n1,2,dog\n3,4, cat\n5,6,dog\n7,8,emu\n"))
    assert data.task == "classification"
    assert data.target_names == ("cat", "dog", "emu") and data.y.tolist() == [1, 0, 1, 2]
    assert data.feature_names == ("x", "y")


def test_task_detection_for_number_targets(tmp_path: Path) -> None:
    few = "\n".join(f"{i},{i % 3}" for i in range(12))
    many = "\n".join(f"{i},{i}" for i in range(12))
    assert load_csv(write(tmp_path, few)).task == "classification"
    assert load_csv(write(tmp_path, many)).task == "regression"
    assert load_csv(write(tmp_path, few), task="regression").y.shape == (12, 1)


def test_number_class_labels_sort_as_numbers(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, "x,y\n1,10\n2,2\n3,2\n4,10\n"), task="classification")
    assert data.target_names == ("2", "10") and data.y.tolist() == [1, 0, 0, 1]


def test_quotes_bom_crlf_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b'\xef\xbb\xbf"a","b"\r\n\r\n"1.5",2\r\n\r\n3,"4"\r\n')
    data = load_csv(path)
    assert data.feature_names == ("a",) and data.X[:, 0].tolist() == [1.5, 3.0]


def error(path: Path, **kwargs: object) -> DataError:
    with pytest.raises(DataError) as caught:
        load_csv(path, **kwargs)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("a,b,c\n1,2,3\n4,x,6\n", 3, "b", "'x' is not a number"),
        ("a,b,c\n1,2,3\n4,5,6\n7,8,\n", 4, "c", "missing"),
        ("a,b,c\n1,,3\n", 2, "b", "missing"),
        ("a,b,c\n1,2,3\n4,5\n", 3, None, "expected 3 fields"),
        ("a,b,c\n1,2,3\n4,5,6,7\n", 3, None, "found 4"),
        ("a,b,c\n1,2,3\n4,inf,6\n", 3, "b", "not a finite number"),
        ("a,b,c\n1,2,3\n4,1_000,6\n", 3, "b", "not a number"),
        ("a,b,kind\n1,2,dog\n4,5,\n", 3, "kind", "missing"),
        ("\n\na,b,c\n\n1,2,3\n\n4,x,6\n", 7, "b", "'x' is not a number"),
        ("1,2,3\n4,nan,6\n", 2, 2, "not a finite number"),
        ("1,2\n3\n", 2, None, "expected 2 fields"),
        ("a,b,c\n1,2,3\n4,\uff15,6\n", 3, "b", "'\uff15' is not a number"),  # a full-width 5
        ("a,b,c\n1,2,3\n\u0664,5,6\n", 3, "a", "'\u0664' is not a number"),  # an Arabic-Indic 4
    ],
)
def test_bad_cells_name_their_line_and_column(
    tmp_path: Path, text: str, line: int, column: str | int | None, fragment: str
) -> None:
    caught = error(write(tmp_path, text))
    assert (caught.line, caught.column) == (line, column)
    assert f"line {line}" in str(caught) and fragment in str(caught)
    if column is not None:
        assert repr(column) in str(caught)


def test_a_problem_after_the_sampled_rows_is_found(tmp_path: Path) -> None:
    rows = [f"{i},{i / 2},{i % 2}" for i in range(500)]
    rows[300] = "300,oops,0"
    caught = error(write(tmp_path, "a,b,c\n" + "\n".join(rows) + "\n"))
    assert (caught.line, caught.column) == (302, "b")


def test_text_later_in_a_number_target_is_reported(tmp_path: Path) -> None:
    rows = [f"{i},{i % 2}" for i in range(100)] + ["7,cat"]
    assert error(write(tmp_path, "\n".join(rows)), task="regression").line == 101


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b\n1,2\n3,caf\xe9\n".encode("latin-1"))
    assert error(path).line == 3


@pytest.mark.parametrize(
    ("text", "kwargs", "fragment"),
    [
        ("", {}, "the file is empty"),
        ("\n\n", {}, "the file is empty"),
        ("a,b,c\n", {}, "header row but no data rows"),
        ("a,b\n1,dog\n2,dog\n", {}, "only one class, 'dog'"),
        (NUMBERS, {"target_column": "z"}, "column 'z': no column has this name; the columns are: a, b, c"),
        (NUMBERS, {"input_columns": ["a", "q"]}, "column 'q'"),
        ("a,a,c\n1,2,3\n", {"target_column": "a"}, "several columns"),
        ("1,2\n3,4\n5,6\n", {"target_column": "b"}, "no header row"),
        (NUMBERS, {"target_column": 3}, "out of range: the file has 3 columns"),
        (NUMBERS, {"target_column": 1.0}, "by header name or by index"),
        (NUMBERS, {"input_columns": ["c"]}, "column 'c': is both an input and the target"),
        (NUMBERS, {"input_columns": ["a", 0]}, "chosen twice"),
        (NUMBERS, {"input_columns": []}, "no input columns"),
        ("a\n1\n2\n", {}, "no input columns"),
        (NUMBERS, {"task": "ranking"}, "unknown task"),
        (NUMBERS, {"delimiter": ", "}, "delimiter"),
    ],
)
def test_file_level_problems(tmp_path: Path, text: str, kwargs: dict, fragment: str) -> None:
    assert fragment in str(error(write(tmp_path, text), **kwargs))


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    assert "cannot open" in str(error(tmp_path / "absent.csv"))


def test_only_regular_files_are_read(tmp_path: Path) -> None:
    assert "not a regular file" in str(error(Path("/dev/zero")))  # once: memory without bound
    assert "not a regular file" in str(error(tmp_path))


def test_a_fifo_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "data.csv"
    os.mkfifo(fifo)
    script = f"from engine.datasets import load_csv\nload_csv({str(fifo)!r})"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "DataError" in result.stderr and "not a regular file" in result.stderr


def test_a_line_longer_than_the_bound_is_refused_with_its_number(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(csv_import, "MAX_LINE_BYTES", 100)
    caught = error(write(tmp_path, "a,b\n1,2\n" + "3," + "4" * 200 + "\n"))
    assert caught.line == 3 and "longer than 100 bytes" in str(caught)


def test_lone_carriage_returns_are_named_plainly(tmp_path: Path) -> None:
    caught = error(write(tmp_path, "a,b\r1,2\r3,4\r"))
    assert caught.line == 1 and "lone carriage return" in str(caught)


def test_a_wide_file_loads(tmp_path: Path) -> None:
    values = np.arange(6 * 3000, dtype=float).reshape(6, 3000)
    text = ",".join(f"x{j}" for j in range(3000)) + "\n" + "\n".join(",".join(map(str, r)) for r in values)
    data = load_csv(write(tmp_path, text), task="regression")
    assert data.X.shape == (6, 2999) and np.array_equal(data.X, values[:, :-1])


cells = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=50, deadline=None)
@given(
    table=arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(2, 6)), elements=cells),
    named=st.booleans(),
)
def test_number_tables_round_trip(
    tmp_path_factory: pytest.TempPathFactory, table: np.ndarray, named: bool
) -> None:
    names = [f"col{j}" for j in range(table.shape[1])]
    lines = ([",".join(names)] if named else []) + [",".join(map(repr, row)) for row in table.tolist()]
    path = write(tmp_path_factory.getbasetemp(), "\n".join(lines) + "\n", "roundtrip.csv")
    data = load_csv(path, task="regression")
    assert np.array_equal(data.X, table[:, :-1]) and np.array_equal(data.y[:, 0], table[:, -1])
    assert data.feature_names[0] == ("col0" if named else "column 1")


fragments = st.sampled_from(["1", "2.5", "-3", "x", ",", ",", "\n", "\n", '"', "", " ", "nan", "\r\n", "é"])


@settings(max_examples=50, deadline=None)
@given(parts=st.lists(fragments, max_size=40), junk=st.booleans())
def test_any_file_loads_or_raises_a_data_error(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str], junk: bool
) -> None:
    path = tmp_path_factory.getbasetemp() / "fuzz.csv"
    path.write_bytes("".join(parts).encode() + (b"\xff" if junk else b""))
    try:
        data = load_csv(path)
    except DataError:
        return
    assert data.n_samples > 0


def test_iris_is_bundled() -> None:
    assert "iris" in BUNDLED
    iris = load_bundled("iris")
    assert (iris.n_samples, iris.n_features, iris.n_classes) == (150, 4, 3)
    assert iris.target_names == ("setosa", "versicolor", "virginica")
    assert iris.feature_names == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert np.bincount(iris.y).tolist() == [50, 50, 50]
    with pytest.raises(DataError, match="iris"):
        load_bundled("titanic")


def test_describe_shows_the_columns_and_first_rows(tmp_path: Path) -> None:
    preview = describe_csv(write(tmp_path, NUMBERS), n_rows=2)
    assert preview.columns == ("a", "b", "c") and preview.has_header
    assert preview.rows == (("1", "2", "0.5"), ("3", "4", "1.5"))
    bare = describe_csv(write(tmp_path, "1,2\n3,4\n"))
    assert bare.columns == ("column 1", "column 2") and not bare.has_header and len(bare.rows) == 2


# ---------------------------------------------------------------------------------------------------- several targets
TWO_TARGETS = "x1,y1,x2,y2\n0.5,1.0,2,0\n1.5,2.0,3,1\n2.5,3.5,4,1\n"


def test_several_target_columns_make_one_output_each(tmp_path: Path) -> None:
    data = load_csv(write(tmp_path, TWO_TARGETS), target_columns=["y1", -1])
    assert data.task == "regression" and data.target_names == ("y1", "y2")
    assert data.feature_names == ("x1", "x2")
    np.testing.assert_array_equal(data.X, [[0.5, 2], [1.5, 3], [2.5, 4]])
    np.testing.assert_array_equal(data.y, [[1.0, 0], [2.0, 1], [3.5, 1]])
    one = load_csv(write(tmp_path, TWO_TARGETS), target_columns=["y1"], input_columns=["x1"])
    assert one.y.shape == (3, 1) and one.feature_names == ("x1",)


@pytest.mark.parametrize(("params", "message"), [
    ({"target_column": "y1", "target_columns": ["y2"]}, "not both"),
    ({"target_columns": []}, "names no column"),
    ({"target_columns": ["y1", "y1"]}, "chosen twice as a target"),
    ({"target_columns": ["y1", "y2"], "task": "classification"}, "one column of class labels"),
    ({"target_columns": ["y1", "y2"], "input_columns": ["x1", "y2"]}, "both an input and a target"),
])
def test_several_targets_refuse_what_cannot_be(tmp_path: Path, params: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_csv(write(tmp_path, TWO_TARGETS), **params)


def test_text_in_a_second_target_column_names_its_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, TWO_TARGETS.replace("3,1\n2.5", "3,yes\n2.5"))
    with pytest.raises(DataError) as err:
        load_csv(path, target_columns=["y1", "y2"])
    assert "line 3" in str(err.value) and "y2" in str(err.value) and "'yes' is not a number" in str(err.value)
