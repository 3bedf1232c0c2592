"""Painted data: points stored in the project file, split like any source, and a precise error for a bad file."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from training_runs import project, train

from engine import DataError, ProjectError, TrainSettings, layered
from engine.cli import main
from engine.datasets import generate
from engine.project import DataSpec, Project, load_project, new_project, save_project
from engine.project.painted import MAX_POINTS, painted_params
from engine.runs import differences, legend_labels
from engine.studio import Document, RunState


def painted(points, task="classification", **params) -> DataSpec:
    return DataSpec("painted", task, {"points": points, **params}, val_fraction=0.25, split_seed=3)


def test_painted_points_split_seeded_into_training_and_validation_with_every_point_kept():
    points = [[k / 10, -k / 10, k % 3] for k in range(20)]
    spec = painted(points, classes=["red", "green"])
    train, val, _ = spec.load()
    assert (train.n_samples, val.n_samples) == (15, 5)
    assert train.target_names == ("red", "green", "class 2")  # painted beyond the names: a generic name
    together = np.vstack([np.column_stack([d.X, d.y]) for d in (train, val)])
    assert sorted(map(tuple, together.tolist())) == sorted(map(tuple, np.array(points, float).tolist()))
    again, _, _ = spec.load()
    assert np.array_equal(again.X, train.X)
    other, _, _ = replace(spec, split_seed=4).load()
    assert not np.array_equal(other.X, train.X)


def test_a_painted_regression_has_one_target():
    train, _, _ = painted([[0.0, 1.0, 2.5], [1.0, 0.0, -1.0]], "regression").load()
    assert train.task == "regression" and train.y.shape == (2, 1)


def test_start_from_current_data_keeps_every_sample_and_class_name():
    data = generate("circles", n_samples=120, seed=2)
    task, params = painted_params(data)
    back = DataSpec("painted", task, params).dataset()
    assert back.target_names == data.target_names == ("outer", "inner")
    assert np.allclose(back.X, data.X, rtol=1e-5) and np.array_equal(back.y, data.y)


@pytest.mark.parametrize(("data", "words"), [
    (generate("circles", n_samples=MAX_POINTS + 1), "at most 5,000"),
    (generate("sine"), "two inputs"),
])
def test_data_that_cannot_be_painted_says_why(data, words):
    with pytest.raises(DataError, match=words):
        painted_params(data)


def test_an_empty_or_oversized_painting_refuses_to_load_with_a_clear_message():
    with pytest.raises(DataError, match="no points yet"):
        painted([]).load()
    with pytest.raises(DataError, match="at most 5,000 points, not 5,001"):
        painted([[0.0, 0.0, 0]] * (MAX_POINTS + 1)).load()


def test_painted_points_survive_save_and_open(tmp_path):
    project = new_project()
    project.data = painted([[0.5, -0.25, 1], [1.5, 2.0, 0], [0.125, 3.0, 2]], classes=["a", "b"])
    path = tmp_path / "painted.bps.json"
    save_project(project, path)
    loaded = load_project(path).data
    assert (loaded.kind, loaded.name, loaded.params) == ("painted", "classification", project.data.params)
    a, b = loaded.dataset(), project.data.dataset()
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y) and a.target_names == b.target_names


@pytest.mark.parametrize(("mutate", "field", "words"), [
    (lambda d: d["params"]["points"][1].pop(), "data.params.points[1]", "expected 3 entries"),
    (lambda d: d["params"]["points"][0].__setitem__(0, "a"), "data.params.points[0][0]", "expected a number"),
    (lambda d: d["params"]["points"][2].__setitem__(2, 1.5), "data.params.points[2][2]", "whole number"),
    (lambda d: d["params"]["points"][2].__setitem__(2, 10), "data.params.points[2][2]", "≤ 9"),
    (lambda d: d["params"].__setitem__("points", [[0, 0, 0]] * (MAX_POINTS + 1)), "data.params.points",
     "at most 5,000 points"),
    (lambda d: d["params"].__setitem__("colour", 1), "data.params.colour", "unknown painted-data setting"),
    (lambda d: d["params"].__setitem__("classes", [""]), "data.params.classes[0]", "non-empty string"),
    (lambda d: d.__setitem__("name", "clustering"), "data.name", "unknown value"),
    (lambda d: d["params"].pop("points"), "data.params.points", "missing"),
])
def test_malformed_painted_points_name_where(tmp_path, mutate, field, words):
    project = new_project()
    project.data = painted([[0.5, -0.25, 1], [1.5, 2.0, 0], [0.125, 3.0, 2]])
    path = tmp_path / "painted.bps.json"
    save_project(project, path)
    doc = json.loads(path.read_text())
    mutate(doc["data"])
    path.write_text(json.dumps(doc))
    with pytest.raises(ProjectError) as info:
        load_project(path)
    assert info.value.field == field and words in str(info.value)


def test_painting_a_third_class_for_a_one_sigmoid_output_says_what_to_change():
    """Binary cross-entropy took a class index of 2 as a target of 2 and trained on it without a word."""
    document = Document(new_project())  # circles: one sigmoid output, binary cross-entropy
    document.set_data(painted([[0.0, 0.0, 0], [1.0, 1.0, 1], [2.0, 0.0, 2], [0.0, 2.0, 0], [1.0, 2.0, 1]]))
    status = document.status
    assert status.error and status.blocking
    assert "run from 0 to 2" in status.text and "one neuron per class" in status.text
    with pytest.raises(DataError, match="binary cross-entropy"):
        document.trainer()


def test_runs_on_two_paintings_are_told_apart_in_a_few_words():
    """A legend named each painted point: thousands of numbers in a label."""
    document = Document(project())
    circle = painted([[np.cos(a), np.sin(a), k % 2] for k, a in enumerate(np.linspace(0, 6, 40))])
    for spec in (circle, replace(circle, params={"points": circle.params["points"][:30]})):
        document.set_data(spec)
        train(document, 2)
        document.set_run_state(RunState.STOPPED)
    a, b = document.runs
    labels = legend_labels([a, b])
    assert labels[0].startswith("points 40 (") and labels[1].startswith("points 30 (") and len(labels[0]) < 40
    same_count = replace(b, data={**b.data, "params": {"points": circle.params["points"][10:]}})
    assert differences(b, same_count) != "same settings" and len(differences(b, same_count)) < 60


def test_info_sums_a_painting_up_in_one_short_line(tmp_path, capsys):
    document = Document(project())
    document.set_data(painted([[k / 100, 1 - k / 100, k % 2] for k in range(100)], classes=["no", "yes"]))
    save_project(document.project, tmp_path / "p.bps.json")
    assert main(["info", str(tmp_path / "p.bps.json")]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("data:"))
    assert line.startswith("data: painted classification (points=100 (") and "classes=['no', 'yes']" in line
    assert len(line) < 100


def test_painting_a_class_beyond_a_softmax_output_says_how_many_neurons_it_needs():
    softmax = layered([2, 4, 3], output="softmax", seed=1)
    settings = TrainSettings(loss="cross_entropy", optimizer="adam", optimizer_params={"lr": 0.05}, seed=1)
    document = Document(Project(softmax, settings, painted([[0.0, 0.0, 0], [1.0, 0.0, 1], [0.0, 1.0, 2]])))
    document.refresh()
    assert not document.status.error
    document.set_data(painted([[0.0, 0.0, 0], [1.0, 0.0, 1], [0.0, 1.0, 2], [1.0, 1.0, 3]]))
    assert document.status.blocking and document.status.text == (
        "Cannot train yet: class 3 does not fit an output layer of 3 neurons (classes 0 to 2): give it one neuron "
        "per class (4)")
