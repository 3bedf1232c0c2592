"""How fast `load_csv` reads a big numeric CSV, next to NumPy's reader and the stdlib `csv` module.

NumPy's `loadtxt` is the floor (load_csv uses it underneath, plus validation); stdlib `csv` plus float() is
what a plain Python reader would cost. A second table reads a wide file (6 rows of 40,000 columns by default), where
any per-column work that grows with the number of columns shows: it once took 19 s.
Run from the repository root: `.venv/bin/python bench/csv_bench.py`.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.datasets import load_csv


def write_table(path: Path, rows: int, columns: int) -> None:
    values = np.random.default_rng(0).standard_normal((rows, columns))
    header = ",".join(f"x{j}" for j in range(columns - 1)) + ",y"
    np.savetxt(path, values, fmt="%.6f", delimiter=",", header=header, comments="")


def stdlib_csv(path: Path) -> np.ndarray:
    with open(path, newline="") as file:
        reader = csv.reader(file)
        next(reader)
        return np.array([[float(cell) for cell in row] for row in reader])


def median_seconds(read: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        read()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--wide-columns", type=int, default=40_000, help="columns of the wide file (6 rows)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "table.csv"
        write_table(path, args.rows, args.columns)
        readers: dict[str, Callable[[], object]] = {
            "`load_csv` (engine)": lambda: load_csv(path),
            "`np.loadtxt`": lambda: np.loadtxt(path, delimiter=",", skiprows=1),
            "stdlib `csv` + `float()`": lambda: stdlib_csv(path),
        }
        seconds = {name: median_seconds(read, args.repeats) for name, read in readers.items()}
        size_mb = path.stat().st_size / 1e6
    print(
        f"{args.rows:,} rows × {args.columns} columns, {size_mb:.0f} MB; median of {args.repeats}; "
        f"Python {platform.python_version()}, NumPy {np.__version__}, {os.cpu_count()} CPUs\n"
    )
    print("| reader | seconds | rows/s |")
    print("|---|---:|---:|")
    for name, value in seconds.items():
        print(f"| {name} | {value:.2f} | {args.rows / value:,.0f} |")
    wide(args.wide_columns, args.repeats)


def wide(columns: int, repeats: int, rows: int = 6) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wide.csv"
        write_table(path, rows, columns)
        readers = {"`load_csv` (engine)": lambda: load_csv(path),
                   "`np.loadtxt`": lambda: np.loadtxt(path, delimiter=",", skiprows=1)}
        seconds = {name: median_seconds(read, repeats) for name, read in readers.items()}
    print(f"\n{rows} rows × {columns:,} columns; median of {repeats}\n")
    print("| reader | seconds |")
    print("|---|---:|")
    for name, value in seconds.items():
        print(f"| {name} | {value:.2f} |")


if __name__ == "__main__":
    main()
