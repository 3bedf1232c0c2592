"""The longest GUI-thread stalls while the window opens, trains, recolours and explains a ~1M-weight network.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/scaling_gui_probe.py [--train-seconds 5] [--sizes 784,640,...]

A 5 ms timer ticks in the GUI thread from start to end; a stall is a gap between two ticks. The phases: the window
replaces a small project with the big one (as File ▸ Open and the examples do once they have read the project and
its data off the GUI thread: reading the file is `scaling_bench.py`'s load column), trains for a while (every live
view on, the edges recoloured by each snapshot), pauses, and the explorer explains a weight of the last connection,
then a first-layer weight (10⁶ paths with the default sizes); then both again with the Loss surface dock closed (its
grid, computed off the GUI thread like the explanation, follows every selection while it is on screen); then saves
the project and opens the file again as File ▸ Open does. Prints the longest gap, the p99 and the number of gaps
over 100 ms, per phase.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import gui  # noqa: F401  (first: it sets how NumPy allocates, read once when NumPy loads, as in the app)

# isort: split
import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer
from training_gui_bench import Case, GuiRun, cases, project, random_csv

from engine import WeightRef
from engine.project import DataSpec
from engine.studio import RunState, Selection
from gui.app import blas_threads, create_app

TICK_MS = 5
STALL_MS = 100


class Ticks:
    """perf_counter stamps of a 5 ms precise timer, and the phases they fall in."""

    def __init__(self) -> None:
        self.stamps: list[float] = []
        self.phases: list[tuple[str, float]] = []
        self.timer = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=TICK_MS)
        self.timer.timeout.connect(lambda: self.stamps.append(time.perf_counter()))
        self.timer.start()

    def phase(self, name: str) -> None:
        self.phases.append((name, time.perf_counter()))

    def report(self) -> None:
        stamps = np.array(self.stamps)
        ends = [t for _, t in self.phases[1:]] + [stamps[-1]]
        print(f"| phase | seconds | ticks | longest gap ms | p99 ms | gaps > {STALL_MS} ms |")
        print("|---|---:|---:|---:|---:|---:|")
        for (name, start), end in zip(self.phases, ends, strict=True):
            # a gap belongs to the phase in which it ends: the tick that closes a stall comes after it
            inside = stamps[(stamps >= start) & (stamps <= end)]
            before = stamps[stamps < start]
            if len(before):
                inside = np.concatenate([before[-1:], inside])
            gaps = np.diff(inside) * 1e3
            if not len(gaps):
                print(f"| {name} | {end - start:.1f} | 0 | – | – | – |")
                continue
            print(f"| {name} | {end - start:.1f} | {len(inside)} | {gaps.max():.1f} | {np.percentile(gaps, 99):.1f} "
                  f"| {int((gaps > STALL_MS).sum())} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-seconds", type=float, default=5.0)
    parser.add_argument("--sizes", default="784,640,400,250,10")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    app = create_app(sys.argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, _ = cases(folder)
        data = DataSpec("csv", str(random_csv(folder, 1000, sizes[0], sizes[-1])),
                        {"target_column": -1, "task": "classification"})
        big = Case("-".join(map(str, sizes)), sizes, "cross_entropy", "softmax", data)
        run = GuiRun(app, small, folder)
        window, document = run.window, run.document
        window.explorer.explain_selection()  # the explorer dock shown, its explanation tab raised
        opened = project(big)
        train, val, _ = opened.data.load()  # read ahead, as every menu's way of opening a project does
        run.idle(1.0)
        ticks = Ticks()
        ticks.phase("idle, small project")
        run.idle(0.5)
        ticks.phase("open the big project (read ahead)")
        QTimer.singleShot(0, lambda: window.set_project(opened, loaded=(train, val)))
        run.idle(3.0)
        net = document.network
        print(f"{net.n_weights:,} weights; BLAS on {blas_threads()} of {len(os.sched_getaffinity(0))} cores; "
              f"load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}\n")
        ticks.phase("train")
        run.controller.train()
        run.idle(args.train_seconds)
        ticks.phase("pause")
        run.controller.pause()
        run.wait(lambda: document.run_state is RunState.PAUSED and document.idle, 60)
        run.idle(1.0)
        conns = list(net.connections.values())
        explained: list[str] = []
        for surface, i in (("", 5), (", loss surface closed", 6)):
            if surface:
                window.surface.dock.close()
                run.idle(0.5)
            for label, conn in (("explain a last-layer weight", conns[-1]), ("explain a first-layer weight", conns[0])):
                ticks.phase(label + surface)
                document.select(Selection(weights=(WeightRef(conn.id, i, 7),)))
                run.idle(3.0)
                shown = window.explorer.panel.explanation
                explained.append(f"{label}{surface}: "
                                 f"{'nothing shown' if shown is None else f'{shown.paths.count:,} paths'}")
        ticks.phase("save the big project (File ▸ Save: written by a child process)")
        saved = folder / "big.bps.json"
        window.files.save_to(saved)
        run.idle(0.5)
        ticks.phase("open it again (File ▸ Open: read on a worker)")
        window.mark_saved()
        window.files.open_path(saved, asked=True)
        run.wait(lambda: not window.files.reader.busy, 120)
        run.idle(1.0)
        print(f"project file: {saved.stat().st_size / 2**20:.1f} MB")
        ticks.phase("idle")
        run.idle(0.5)
        ticks.timer.stop()
        ticks.report()
        print("\n" + "; ".join(explained))
        print(f"\nload average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
        run.close()


if __name__ == "__main__":
    main()
