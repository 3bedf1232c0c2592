"""The application's start-up: a core kept for the GUI thread."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from gui.app import blas_threads, create_app


@pytest.mark.parametrize(("cores", "expected"), [({0}, 1), ({0, 1}, 1), ({0, 1, 2, 3}, 3)])
def test_blas_gets_every_core_but_one_and_at_least_one(monkeypatch, cores, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cores)
    assert blas_threads() == expected


def test_starting_the_app_limits_blas_to_every_core_but_one(qapp):
    assert any(lib["user_api"] == "blas" for lib in threadpool_info()), "NumPy's BLAS is loaded"
    with threadpool_limits(limits=blas_threads() + 1, user_api="blas"):  # restores this test's start on exit
        assert create_app([]) is qapp
        assert {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"} == {blas_threads()}


@pytest.mark.parametrize(("env", "huge"), [({}, False), ({"NUMPY_MADVISE_HUGEPAGE": "1"}, True)])
def test_the_app_turns_numpys_huge_pages_off_unless_the_user_set_them(env, huge):
    """Read by NumPy once, when it loads: the package must set it before anything imports NumPy (gui/__init__.py)."""
    probe = "import gui, numpy; from numpy._core import multiarray as m; print(m._get_madvise_hugepage())"
    environ = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"} | env
    out = subprocess.run([sys.executable, "-c", probe], env=environ, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(huge)
