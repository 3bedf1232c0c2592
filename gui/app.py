"""Application-wide setup: names (QSettings derives the user's settings location from them), the window icon,
and a core kept for the GUI thread."""

from __future__ import annotations

import os

import numpy  # noqa: F401  (loads BLAS: threadpoolctl limits only the libraries already loaded)
from PySide6.QtWidgets import QApplication
from threadpoolctl import threadpool_limits

from .icons import icon

ORGANIZATION = "BackpropStudio"
APPLICATION = "Backprop Studio"


def blas_threads() -> int:
    """Every core this process may run on but one."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores - 1)


def reserve_gui_core() -> None:
    """Let BLAS use every core but one, so that the GUI thread never has to take a core from it.

    Measured on the 2-core VM (docs/benchmarks.md): OpenBLAS's second thread made the bare 784-128-10 engine 6–13 %
    faster in the first runs (nothing measurable in later ones, and under load it is 10× slower), but it spins on
    the core the GUI thread needs while a run is shown, and every millisecond the GUI thread then runs stalls a
    product: the window trained at 0.76–0.94 of the bare engine's speed from run to run. With one thread it trains
    at 0.90–0.96 of it, the same in every run. Called once at start-up, before any thread calls BLAS: changing the
    count while another thread is inside a BLAS call can hang OpenBLAS (OpenBLAS#660, scipy#20294).
    """
    threadpool_limits(limits=blas_threads(), user_api="blas")


def create_app(argv: list[str]) -> QApplication:
    reserve_gui_core()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setWindowIcon(icon("backprop-studio"))
    return app
