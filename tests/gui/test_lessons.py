"""Every shipped lesson, start to finish, in the real window: what each step opens, selects and marks, and its
prediction checked against the engine's value (the right number accepted, a wrong one refused)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from engine.lessons import catalogue, project_refs, resolve
from engine.project import EXAMPLES
from engine.studio import RunState, Selection
from gui.main_window import MainWindow

ENTRIES = catalogue()


def test_every_shipped_lesson_loads():
    assert len(ENTRIES) >= 7
    assert [e.error for e in ENTRIES] == [None] * len(ENTRIES)


def idle(window: MainWindow) -> bool:
    return window.document.run_state is not RunState.RUNNING


@pytest.mark.parametrize("number", range(len(ENTRIES)), ids=[e.path.stem for e in ENTRIES])
def test_a_lesson_runs_start_to_finish(window, qtbot, number):
    window.lessons.action.trigger()  # Help → Lessons
    lessons = window.lessons
    assert lessons.dock is not None and lessons.dock.isVisible()
    lessons.start(number)
    lesson = ENTRIES[number].lesson
    assert lesson is not None
    refs = project_refs(lesson)
    for k, step in enumerate(lesson.steps):
        if k:
            lessons.panel.next.click()
        qtbot.waitUntil(lambda: idle(window), timeout=20_000)  # a step's action (a step, an epoch) has ended
        assert lessons.index == k
        assert lessons.panel.progress.text() == f"Step {k + 1} of {len(lesson.steps)}"
        assert step.title in lessons.panel.text.text()
        if refs[k] in EXAMPLES:
            assert window.document.title == f"{refs[k]} (lesson)"
        network = window.document.network
        wanted = resolve(network, (*step.select, *step.highlight))
        assert lessons.marks.marked() == wanted  # the canvas shows what the step points at
        assert lessons.marks.scene() is window.scene
        assert lessons.marks.boundingRect().isEmpty() == (wanted == resolve(network, ()))
        if step.select:
            chosen = resolve(network, step.select)
            assert window.document.selection == Selection(chosen.layers, chosen.neurons, chosen.weights)
            layers, neurons, weights = window.scene.selection()  # and the canvas selects it too
            assert (set(layers), set(neurons), set(weights)) == (set(chosen.layers), set(chosen.neurons),
                                                                 set(chosen.weights))
        if step.predict is None:
            assert lessons.panel.prediction.isHidden()
            continue
        assert not lessons.panel.prediction.isHidden()
        truth = lessons.answer().value
        wrong = truth * 3 + 1 if truth >= 0 else truth * 3 - 1
        assert lessons.check(repr(wrong)) is False
        assert lessons.panel.verdict.text().startswith("Not yet")
        assert lessons.panel.working.text() == ""  # a wrong guess does not give the answer away
        assert lessons.check(repr(truth)) is True
        assert lessons.panel.verdict.text().startswith("Right")
        assert f"{truth:.6g}" in lessons.panel.working.text() or f"{truth:.4g}" in lessons.panel.working.text()
    assert not lessons.panel.next.isEnabled()


def test_the_training_steps_of_a_lesson_train(window, qtbot):
    """The update-rule lesson's "step" and "epoch" steps run the controller's commands: the history grows."""
    number = next(k for k, e in enumerate(ENTRIES) if e.path.stem == "05-update-and-epochs")
    window.lessons.start(number)
    lesson = ENTRIES[number].lesson
    step_at = next(k for k, s in enumerate(lesson.steps) if s.action == "step")
    window.lessons.go(step_at)
    qtbot.waitUntil(lambda: idle(window) and len(window.project.history.losses.data()) == 1, timeout=20_000)
    assert lesson.steps[step_at + 1].action == "epoch"
    window.lessons.go(step_at + 1)  # the rest of the epoch
    qtbot.waitUntil(lambda: idle(window) and window.project.history.epochs.data().shape[0] == 1, timeout=20_000)


def test_progress_is_remembered(qtbot, settings, window):
    window.lessons.start(3)
    window.lessons.go(2)
    window.lessons.go(0)
    window.lessons.go(1)
    window.mark_saved()
    again = MainWindow(settings=settings)
    qtbot.addWidget(again)
    again.lessons.open()
    assert (again.lessons.current, again.lessons.index) == (3, 1)
    again.lessons.panel.restart.click()
    assert again.lessons.index == 0
    assert QSettings(settings.fileName(), QSettings.Format.IniFormat).value(
        f"lessons/{ENTRIES[3].lesson.key}/step") in (0, "0")
    again.training.shutdown()
    again.mark_saved()
    again.close()


def test_a_typed_guess_that_is_not_a_number_is_explained(window):
    number = next(k for k, e in enumerate(ENTRIES) if e.lesson.steps[1].predict is not None)
    window.lessons.start(number)
    window.lessons.go(1)
    assert window.lessons.check("about a half") is None
    assert "Type a number" in window.lessons.panel.verdict.text()
    truth = window.lessons.answer().value
    assert window.lessons.check(f"{truth:.6g}".replace("-", "−")) is True  # a typed minus sign reads as one


def test_the_two_path_example_opens_with_its_weight_explained(window, qtbot):
    window.files.open_example("Two paths (notes)")
    weights = window.document.selection.weights
    assert len(weights) == 1 and window.network.ref_name(weights[0]) == "in[0] → h1[0]"
    assert window.scene.selected_weight_refs() == list(weights)
    qtbot.waitUntil(lambda: window.explorer.panel.explanation is not None)
    explanation = window.explorer.panel.explanation
    assert explanation.ref == weights[0] and explanation.paths.count == 2


def test_a_broken_lesson_is_listed_with_its_error(qtbot, settings, tmp_path, monkeypatch):
    (tmp_path / "1-good.md").write_text("# Good\n## One\n```toml\nproject = 'XOR'\n```\n", encoding="utf-8")
    (tmp_path / "2-bad.md").write_text("# Bad\n## One\n```toml\nproject = 'XOR'\naction = 'fly'\n```\n",
                                       encoding="utf-8")
    monkeypatch.setattr("gui.lessons.install.catalogue", lambda: catalogue(tmp_path))
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.lessons.open()
    panel = window.lessons.panel
    assert [panel.lessons.itemText(k) for k in range(panel.lessons.count())] == ["Good",
                                                                                 "⚠ 2-bad (cannot be used)"]
    panel.lessons.activated.emit(1)  # the learner picks it
    assert panel.text.text().startswith("2-bad.md, line 5: action must be one of step, epoch, reset, not 'fly'")
    assert not panel.next.isEnabled() and panel.prediction.isHidden()
    window.training.shutdown()
    window.mark_saved()
    window.close()


def test_a_reset_step_gives_fresh_weights(qtbot, settings, tmp_path, monkeypatch):
    (tmp_path / "1-reset.md").write_text(
        "# Reset\n## Train\n```toml\nproject = 'XOR'\naction = 'epoch'\n```\n"
        "## Again\n```toml\naction = 'reset'\n```\n",
        encoding="utf-8")
    monkeypatch.setattr("gui.lessons.install.catalogue", lambda: catalogue(tmp_path))
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    assert not window.lessons.dock.isVisible() and not window.lessons.dock.toggleViewAction().isChecked()
    window.lessons.open()
    qtbot.waitUntil(lambda: idle(window) and window.project.history.epochs.data().shape[0] == 1, timeout=20_000)
    trained = window.network.connections[3].weight.value.copy()
    window.lessons.panel.next.click()
    qtbot.waitUntil(lambda: idle(window) and len(window.project.history.losses.data()) == 0, timeout=20_000)
    fresh = window.network.connections[3].weight.value
    assert not (fresh == trained).all()
    window.training.shutdown()
    window.mark_saved()
    window.close()


def test_the_dock_shown_another_way_lists_the_lessons_and_help_lessons_resumes(window, qtbot):
    """Ctrl+4 or View → Panels shows the lessons without replacing the canvas's network; Help → Lessons goes on
    at the lesson and step the learner left."""
    window.settings.setValue("lessons/current", ENTRIES[1].path.stem)
    window.settings.setValue(f"lessons/{ENTRIES[1].lesson.key}/step", 2)
    mine = window.document.project
    window.workspaces.switch("learn")
    qtbot.waitUntil(lambda: window.lessons.panel.lessons.count() == len(ENTRIES))
    assert window.lessons.current is None and window.document.project is mine
    assert window.lessons.panel.progress.text() == "Choose a lesson"
    window.lessons.action.trigger()  # Help → Lessons
    assert (window.lessons.current, window.lessons.index) == (1, 2)
    assert window.document.title == f"{project_refs(ENTRIES[1].lesson)[2]} (lesson)"


@pytest.mark.parametrize("answer, replaced", [("Cancel", False), ("Discard", True)])
def test_a_lesson_asks_before_it_replaces_unsaved_work(window, monkeypatch, answer, replaced):
    """A lesson opens its project as File → Open would: the learner's unsaved changes are offered for saving."""
    from PySide6.QtWidgets import QMessageBox
    asked = []
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *args: asked.append(args) or getattr(QMessageBox.StandardButton, answer))
    mine = window.document.project
    window.mark_modified()
    window.lessons.action.trigger()  # Help → Lessons: the first lesson opens the 4-3-2-1 example
    assert len(asked) == 1
    assert (window.document.project is not mine) == replaced
    if not replaced:
        assert window.is_modified() and "unsaved changes" in window.document.status.text
