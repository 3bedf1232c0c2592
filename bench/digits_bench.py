"""How long the Digits (8×8) example takes to reach its accuracy, as shipped: the engine alone, and in the window.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/digits_bench.py [--rounds 5]

The issue's promise is ≥ 95 % validation accuracy within 30 s on 2 cores from the example as shipped; the test
(tests/engine/test_digits.py) checks the accuracy after the example's epoch budget, this measures the time. Each
round trains the example from its shipped weights to the end of its budget twice: with the engine's Trainer alone
(BLAS on every core), and in the app's window started as the app starts (`create_app`: BLAS on every core but one)
with the Weight images tab in front, from Train to the budget's end. Prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from engine.project import open_example
from engine.studio import RunState
from gui.app import create_app
from gui.main_window import MainWindow

EXAMPLE = "Digits (8×8)"


def engine_run() -> tuple[float, float]:
    """Seconds from the shipped project to the budget's end (data loading included), and the validation accuracy."""
    start = time.perf_counter()
    project = open_example(EXAMPLE)
    trainer = project.make_trainer(*project.data.load(project.data_dir)[:2])
    *_, result = trainer.run()
    return time.perf_counter() - start, result.epoch_metrics["val_accuracy"]


def window_run(app: QApplication, folder: Path) -> tuple[float, float]:
    """Seconds from opening the example in the window to the budget's end, and the validation accuracy."""
    window = MainWindow(settings=QSettings(str(folder / "s.ini"), QSettings.Format.IniFormat))
    window.resize(1280, 800)
    window.show()
    start = time.perf_counter()
    window.files.open_example(EXAMPLE)
    window.training.controller.train()
    while window.document.run_state is RunState.RUNNING:
        app.processEvents()
        time.sleep(0.002)
    elapsed = time.perf_counter() - start
    accuracy = float(window.document.snapshot.epochs[-1, 5])
    window.mark_saved()
    window.close()
    return elapsed, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    app = create_app(sys.argv)
    engine_times, window_times, accuracies = [], [], set()
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.rounds):
            for times, run in ((engine_times, engine_run), (window_times, lambda: window_run(app, Path(folder)))):
                seconds, accuracy = run()
                times.append(seconds)
                accuracies.add(round(accuracy, 4))
    project = open_example(EXAMPLE)
    print(f"{EXAMPLE}: {project.settings.epochs} epochs, batch {project.settings.batch_size}, {os.cpu_count()} cores, "
          f"validation accuracy {', '.join(f'{a:.1%}' for a in sorted(accuracies))}\n")
    print("| where | median s | fastest s | slowest s |\n|---|---|---|---|")
    for name, times in (("engine alone (Trainer.run)", engine_times), ("the window, Train to the budget's end",
                                                                       window_times)):
        print(f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} | {max(times):.2f} |")


if __name__ == "__main__":
    main()
