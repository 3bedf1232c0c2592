"""The lesson format: what a teacher writes is read exactly, and every mistake names its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ProjectError
from engine.lessons import LessonError, catalogue, check_lesson, load_lesson, parse_lesson
from engine.project import open_example, opening_selection
from engine.project.files import load_project, save_project

FENCE = "```"

GOOD = f"""# Two paths

An introduction.

## The weight

It reaches the output **twice**.

{FENCE}toml
project = "Two paths (notes)"
select = ["in[0] -> h1[0]"]
highlight = ["h1", "h1[0] → h2[1]"]
show = "explain"
{FENCE}

## Predict

A code block stays text:

{FENCE}python
x = 1
{FENCE}

{FENCE}toml
action = "step"

[predict]
value = "path"
of = "in[0] -> h1[0]"
through = ["h2[1]", "out[0]"]
sample = 3
relative = 0.1
absolute = 0.01
{FENCE}
"""


def write(tmp_path: Path, text: str, name: str = "lesson.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_lesson_reads_as_written(tmp_path):
    lesson = check_lesson(load_lesson(write(tmp_path, GOOD)))
    assert lesson.title == "Two paths" and lesson.intro == "An introduction."
    first, second = lesson.steps
    assert (first.title, first.line, first.project, first.select, first.highlight, first.show) == (
        "The weight", 5, "Two paths (notes)", ("in[0] -> h1[0]",), ("h1", "h1[0] → h2[1]"), "explain")
    assert first.text == "It reaches the output **twice**."
    assert second.project is None and second.action == "step"
    assert second.text == f"A code block stays text:\n\n{FENCE}python\nx = 1\n{FENCE}"
    p = second.predict
    assert (p.value, p.of, p.through, p.sample, p.relative, p.absolute) == (
        "path", "in[0] -> h1[0]", ("h2[1]", "out[0]"), 3, 0.1, 0.01)
    assert p.accepts(1.05, 1.0) and p.accepts(0.005, 0.0) and not p.accepts(1.2, 1.0)


def broken(tmp_path: Path, old: str, new: str) -> str:
    assert old in GOOD
    with pytest.raises(LessonError) as caught:
        check_lesson(load_lesson(write(tmp_path, GOOD.replace(old, new, 1))))
    return str(caught.value)


@pytest.mark.parametrize(("old", "new", "message"), [
    ("# Two paths\n", "Two paths\n", "lesson.md, line 1: the file must start with the lesson's title"),
    ('show = "explain"', 'show = explain', "lesson.md, line 13: the settings are not valid TOML: Invalid value"),
    ('show = "explain"', 'shown = "explain"', "lesson.md, line 13: unknown setting 'shown'; a step may set"),
    ('show = "explain"', 'show = "everything"', "lesson.md, line 13: show must be one of explain, norms"),
    ('action = "step"', 'action = "train"', "lesson.md, line 25: action must be one of step, epoch, reset"),
    ('value = "path"', 'value = "weight"', "lesson.md, line 28: predict.value must be one of activation,"),
    ('of = "in[0] -> h1[0]"\nthrough', 'through', "lesson.md, line 27: a 'path' prediction needs of = \"…\""),
    ('of = "in[0] -> h1[0]"', "of = 3", "lesson.md, line 29: a 'path' prediction needs of = \"…\""),
    ("sample = 3", "sample = -1", "lesson.md, line 31: predict.sample must be a whole number ≥ 0, not -1"),
    ("relative = 0.1", 'relative = "10%"', "lesson.md, line 32: predict.relative must be a number ≥ 0"),
    ("absolute = 0.01", "samples = 2", "lesson.md, line 33: unknown setting predict.samples"),
    ('select = ["in[0] -> h1[0]"]', 'select = "in[0] -> h1[0]", 3', "lesson.md, line 11: the settings are not"),
    ('select = ["in[0] -> h1[0]"]', 'select = [1, 2]', "lesson.md, line 11: select must be a list of names"),
    ('select = ["in[0] -> h1[0]"]', 'select = ["h3[0]"]', "lesson.md, line 11: there is no layer 'h3'; the "
                                                           "layers are in, h1, h2, out"),
    ('select = ["in[0] -> h1[0]"]', 'select = ["h1[2]"]', "lesson.md, line 11: h1 has 2 neurons, numbered from 0"),
    ('"h1[0] → h2[1]"', '"h1[0] -> out[0]"', "lesson.md, line 12: there is no weight 'h1[0] -> out[0]'"),
    ('through = ["h2[1]", "out[0]"]', 'through = ["h2[7]"]', "lesson.md, line 30: h2 has 2 neurons"),
    ('project = "Two paths (notes)"', 'project = "Three paths"', "lesson.md, line 10: project 'Three paths' is "
                                                                  "neither an example"),
    ('project = "Two paths (notes)"\n', "", "lesson.md, line 5: the first step must open a project"),
    ("action = \"step\"\n", "action = \"step\"\n[predict]\n",
     "lesson.md, line 28: the settings are not valid TOML: Cannot declare"),
    ("## Predict\n\nA code", f"{FENCE}toml\n{FENCE}\n## Predict\n\nA code", "lesson.md, line 16: this step "
                                                                              "(line 5) already has a settings"),
])
def test_a_mistake_names_its_line(tmp_path, old, new, message):
    assert broken(tmp_path, old, new).startswith(message)


def test_structural_mistakes(tmp_path):
    cases = {
        "": "empty.md, line 1: the file is empty",
        "# Title\n\nNo steps here.\n": "empty.md: the lesson has no steps",
        f"# Title\n{FENCE}toml\nproject = 'XOR'\n{FENCE}\n": "empty.md, line 2: a settings block (```toml) belongs",
        f"# Title\n## Step\n{FENCE}toml\nproject = 'XOR'\n": "empty.md, line 3: the block opened with ``` is never",
    }
    for text, message in cases.items():
        with pytest.raises(LessonError) as caught:
            parse_lesson(text, Path("empty.md"))
        assert str(caught.value).startswith(message)


def test_a_project_beside_the_lesson_is_found_and_a_broken_lesson_is_listed_with_its_error(tmp_path):
    save_project(open_example("XOR"), tmp_path / "mine.bps.json")
    write(tmp_path, f"# Mine\n## Open\n{FENCE}toml\nproject = 'mine.bps.json'\nselect = ['h1[3]']\n{FENCE}\n",
          "1-good.md")
    write(tmp_path, f"# Broken\n## Open\n{FENCE}toml\nproject = 'XOR'\nselect = ['h9']\n{FENCE}\n", "2-bad.md")
    (tmp_path / "3-binary.md").write_bytes(b"\xff\xfe\x00 not text")
    good, bad, unreadable = catalogue(tmp_path)
    assert good.error is None and good.lesson.title == "Mine"
    assert bad.lesson is None and bad.title == "2-bad" and bad.error.startswith("2-bad.md, line 5: there is no "
                                                                                 "layer 'h9'")
    assert unreadable.lesson is None and unreadable.error.startswith("3-binary.md: cannot read the file")


def test_a_projects_opening_selection_is_checked_when_it_loads(tmp_path):
    project = open_example("Two paths (notes)")
    layers, neurons, weights = opening_selection(project.network, project.ui)
    assert (layers, neurons, [project.network.ref_name(w) for w in weights]) == ((), (), ["in[0] → h1[0]"])
    path = tmp_path / "p.bps.json"
    for selection, field in (({"weights": [[3, 5, 0]]}, "ui.selection.weights[0]"),
                             ({"weights": [[3, 0]]}, "ui.selection.weights[0]"),
                             ({"neurons": [[2, 9]]}, "ui.selection.neurons[0]"),
                             ({"layers": [99]}, "ui.selection.layers[0]"),
                             ({"weights": None}, "ui.selection.weights"),  # found by the project fuzz test
                             ({"edges": []}, "ui.selection")):
        project.ui["selection"] = selection
        save_project(project, path)
        with pytest.raises(ProjectError) as caught:
            load_project(path)
        assert caught.value.field == field
