"""How the cost of everything grows with the network: one table for networks of ~1k, 10k, 100k and 1M weights.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/scaling_bench.py [--repeats 5] [--only 1k,10k]

Per network: training steps/s (the full `Trainer.step`, Adam, batch 32, float64 as the app trains), the history's
memory at its default bounds, project save and load time and file size, the editor's scene build and
recolour + repaint (offscreen, as `editor_bench.py` measures them), the chain-rule explorer on one weight of the
last connection and on a first-layer weight (as many paths as the later layers' widths multiply to), and the
export time per format. BLAS runs on every core but one, as in the app. Medians of `--repeats` runs (steps/s: of
0.5 s runs); prints markdown rows.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from editor_bench import measure as editor_measure
from PySide6.QtWidgets import QApplication

from engine import History, Trainer, TrainSettings, WeightRef, layered
from engine.explain import explain_weight
from engine.export import export_network
from engine.project import DataSpec, Project, load_project, save_project
from gui.app import blas_threads, reserve_gui_core

# label -> layer sizes; the 1M net is deep enough that a first-layer weight has 400 · 250 · 10 = 10⁶ paths
NETWORKS = {
    "1k": (8, 64, 8),
    "10k": (64, 128, 16),
    "100k": (784, 128, 10),
    "1M": (784, 640, 400, 250, 10),
}
FORMATS = ("npz", "json", "onnx", "torch")
BATCH = 32
EXPLAIN_BATCH = 64


def median_s(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: first imports (onnx takes seconds), caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def steps_per_s(trainer: Trainer, repeats: int) -> float:
    trainer.step()  # warm-up: compiling, the optimiser's moments
    rates = []
    for _ in range(repeats):
        start, steps = time.perf_counter(), 0
        while (elapsed := time.perf_counter() - start) < 0.5:
            trainer.step()
            steps += 1
        rates.append(steps / elapsed)
    return statistics.median(rates)


def measure(sizes: tuple[int, ...], repeats: int, folder: Path) -> dict[str, str]:
    rng = np.random.default_rng(0)
    net = layered(sizes, "relu", "softmax")
    x, y = rng.normal(size=(1024, sizes[0])), rng.integers(0, sizes[-1], 1024)
    settings = TrainSettings(loss="cross_entropy", optimizer="adam", batch_size=BATCH, epochs=10**9)
    trainer = Trainer(net, x, y, settings, history=History())
    row: dict[str, str] = {"weights": f"{net.n_weights:,}", "steps/s": f"{steps_per_s(trainer, repeats):,.0f}"}
    row["history MB"] = f"{trainer.history.memory_bound(trainer.compiled.value.size) / 1e6:.1f}"

    project = Project(net, settings, DataSpec("generator", "circles"), trainer.history)
    project.update_from(trainer)
    path = folder / "p.bps.json"
    row["save s"] = f"{median_s(lambda: save_project(project, path), repeats):.3f}"
    row["load s"] = f"{median_s(lambda: load_project(path), repeats):.3f}"
    row["file MB"] = f"{path.stat().st_size / 1e6:.1f}"

    editor = editor_measure(sizes, repeats)
    row["build ms"] = f"{editor['build']:.0f}"
    row["recolour + repaint ms"] = f"{editor['recolour + repaint']:.1f}"

    xb, yb = x[:EXPLAIN_BATCH], y[:EXPLAIN_BATCH]
    conns = list(net.connections.values())
    for label, conn in (("explain ms", conns[-1]), ("explain, first layer ms", conns[0])):
        ref = WeightRef(conn.id, 5, 7)

        def explain(ref=ref):
            return explain_weight(net, ref, xb, yb, "cross_entropy", optimizer=trainer.optimizer, check=False)

        paths = explain().paths
        row[label] = f"{1e3 * median_s(explain, repeats):.1f} ({paths.count:,} paths, {len(paths.paths)} listed)"
    for fmt in FORMATS:
        out = folder / f"model.{fmt}"
        seconds = median_s(lambda fmt=fmt, out=out: export_network(net, out, fmt), repeats)
        row[f"{fmt} export ms"] = f"{1e3 * seconds:.0f} ({out.stat().st_size / 1e6:.1f} MB)"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", help="comma-separated labels, e.g. 1k,10k")
    args = parser.parse_args()
    reserve_gui_core()  # as the app runs: BLAS on every core but one (threads waiting for a busy core dominate else)
    QApplication.instance() or QApplication([])
    labels = args.only.split(",") if args.only else list(NETWORKS)
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{platform.machine()}, Python {platform.python_version()}, numpy {np.__version__}, "
          f"BLAS on {blas_threads()} of {os.cpu_count()} cores, load average {load}; medians of {args.repeats}\n")
    header = None
    with tempfile.TemporaryDirectory() as tmp:
        for label in labels:
            row = measure(NETWORKS[label], args.repeats, Path(tmp))
            if header is None:
                header = list(row)
                print("| network | " + " | ".join(header) + " |")
                print("|---" * (len(header) + 1) + "|")
            sizes = "-".join(map(str, NETWORKS[label]))
            print(f"| {label} ({sizes}) | " + " | ".join(row[k] for k in header) + " |", flush=True)
    print(f"\nload average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
