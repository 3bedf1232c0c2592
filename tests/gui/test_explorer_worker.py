"""The explorer explains on a thread of its own: the window keeps running while an explanation is computed, and
an explanation of a question no longer asked is never shown (issue 18: a 10⁶-path weight froze the window 1.2 s).

The engine call is replaced by one that waits for the test's go-ahead, so "slow" is a state the test controls,
never a duration it measures.
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QTimer
from test_explorer_gradient import hand_net
from test_explorer_support import WAIT, csv_data, open_explorer, plain, project, wait_for

from engine import WeightRef
from engine.studio import Selection
from gui.explorer import install
from gui.explorer.install import COMPUTING_NOTE

HELD = 5.0  # seconds a held explanation waits for the go-ahead before it gives up (only ever reached on failure)


@pytest.fixture
def held(qtbot, window, tmp_path, monkeypatch):
    """The explorer on the 2-2-1 net, with `explain_weight` held for the weights in `hold` until `go` is set;
    returns (ui, the two first-layer weights, hold, go, the threads each call ran in)."""
    net = hand_net()
    proj = project(net, csv_data(tmp_path, [(1, 2, 1), (2, -1, 0)], "regression"), "mse", lr=0.1, batch_size=2)
    ui = open_explorer(qtbot, window, proj)
    c1 = next(iter(net.connections.values()))
    refs = WeightRef(c1.id, 0, 0), WeightRef(c1.id, 1, 1)
    hold: set[WeightRef] = set()
    go = threading.Event()
    calls: list[tuple[WeightRef, threading.Thread]] = []
    real = install.explain_weight

    def explain_weight(network, ref, *args, **kwargs):
        calls.append((ref, threading.current_thread()))
        if ref in hold:
            go.wait(HELD)
        return real(network, ref, *args, **kwargs)

    monkeypatch.setattr(install, "explain_weight", explain_weight)
    return ui, refs, hold, go, calls


def test_the_explanation_is_computed_off_the_gui_thread_which_keeps_running(qtbot, window, held):
    ui, (w00, _), hold, go, calls = held
    hold.add(w00)
    ticks: list[int] = []
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    window.document.select(Selection(weights=(w00,)))
    qtbot.waitUntil(lambda: bool(calls), timeout=WAIT)
    started = len(ticks)
    # held on the worker: the GUI thread's timers keep firing and the panel says it is computing
    qtbot.waitUntil(lambda: len(ticks) >= started + 10 and plain(ui.panel.notice.text()) == COMPUTING_NOTE
                    and ui.panel.notice.isVisible(), timeout=WAIT)
    assert ui.pending and not go.is_set()
    go.set()
    e = wait_for(qtbot, ui, w00, sample=0)
    timer.stop()
    assert calls == [(w00, calls[0][1])] and calls[0][1] is not threading.main_thread()
    assert e.gradient == pytest.approx(3.6)  # sample A: x0 · δ_h0 = 1 · 3.6 (test_explorer_gradient's docstring)
    assert not ui.panel.notice.isVisible()


def test_an_explanation_of_a_selection_that_changed_meanwhile_is_dropped(qtbot, window, held, monkeypatch):
    ui, (w00, w11), hold, go, calls = held
    shown: list[WeightRef] = []
    show = ui.panel.show_explanation
    monkeypatch.setattr(ui.panel, "show_explanation",
                        lambda e, note="", column="": (shown.append(e.ref), show(e, note, column)))
    hold.add(w00)
    window.document.select(Selection(weights=(w00,)))
    qtbot.waitUntil(lambda: bool(calls), timeout=WAIT)
    window.document.select(Selection(weights=(w11,)))  # while w00's explanation is still being computed
    qtbot.waitUntil(lambda: not ui._timer.isActive(), timeout=WAIT)  # w11's refresh ran: its job is queued
    go.set()
    e = wait_for(qtbot, ui, w11, sample=0)
    assert [ref for ref, _ in calls] == [w00, w11]  # both computed, in order
    assert shown == [w11] and e.ref == w11  # w00's result arrived first and was dropped
