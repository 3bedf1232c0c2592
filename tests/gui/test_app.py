"""The application's start-up: a core kept for the GUI thread."""

from __future__ import annotations

import os

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
