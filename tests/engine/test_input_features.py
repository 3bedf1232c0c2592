"""Input features (x1², x2², x1·x2, sin x1, sin x2): the columns they make, the project file, training, and exports
that take the raw rows and give the app's predictions in every format."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
from onnx.reference import ReferenceEvaluator
from test_export import predict_from_json, predict_from_npz
from test_export_runtimes import load_module

from engine import DataError, ExportError, ProjectError, compiled, layered
from engine.cli import main
from engine.datasets import FEATURES, InputTransform, apply_features, feature_set, split
from engine.export import export_network
from engine.project import DataSpec, Project, load_project, save_project
from engine.studio import Session
from engine.training import TrainSettings

RAW = {"rtol": 1e-12, "atol": 1e-12}
ALL = tuple(FEATURES)


def spiral(features=("x1", "x2", "x1²", "x2²", "sin x1", "sin x2"), standardize=False) -> DataSpec:
    return DataSpec("generator", "spiral", {"n_samples": 90, "n_classes": 2, "noise": 0.05}, split_seed=2,
                    standardize=standardize, features=feature_set(features))


def project_for(spec: DataSpec) -> Project:
    n_in = len(spec.features) or 2
    net = layered([n_in, 6, 1], "tanh", "sigmoid", seed=5)
    return Project(net, TrainSettings(loss="bce", batch_size=16, epochs=4, seed=1), spec)


def test_each_feature_is_its_formula_of_the_raw_columns():
    X = np.array([[0.5, -2.0], [3.0, 0.25]])
    x1, x2 = X[:, 0], X[:, 1]
    expected = np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_array_equal(apply_features(X, ALL), expected)
    np.testing.assert_array_equal(apply_features(X, ("x1·x2",)), (x1 * x2)[:, None])


def test_a_feature_set_is_put_in_column_order_and_the_raw_pair_means_no_step():
    assert feature_set(["sin x2", "x1", "x1²"]) == ("x1", "x1²", "sin x2")
    assert feature_set(["x2", "x1"]) == ()
    with pytest.raises(DataError, match="unknown input feature 'x3'"):
        feature_set(["x1", "x3"])


def test_load_makes_the_feature_columns_then_standardises_them():
    spec = spiral(standardize=True)
    train, val, scaler = spec.load()
    raw_train, raw_val = split(spec.dataset(), spec.val_fraction, spec.split_seed)
    assert train.feature_names == ("x1", "x2", "x1²", "x2²", "sin x1", "sin x2")
    crossed = apply_features(raw_train.X, spec.features)
    np.testing.assert_array_equal(scaler.mean, crossed.mean(axis=0))  # statistics of the feature columns
    np.testing.assert_allclose(train.X, (crossed - scaler.mean) / scaler.std, **RAW)
    np.testing.assert_array_equal(spec.input_transform().apply(raw_val.X), val.X)


def test_data_with_other_than_two_inputs_refuses_features_with_a_reason():
    spec = DataSpec("generator", "sine", {"n_samples": 20}, features=("x1", "x1²"))
    with pytest.raises(DataError, match=r"data with 2 inputs \(x1, x2\); this data has 1: turn the input features off"):
        spec.load()


def test_features_survive_save_and_open_and_an_old_file_loads_the_raw_inputs(tmp_path):
    project = project_for(spiral(("x1", "x2", "x1·x2"), standardize=True))
    save_project(project, tmp_path / "p.bps.json")
    doc = json.loads((tmp_path / "p.bps.json").read_text())
    assert doc["data"]["features"] == ["x1", "x2", "x1·x2"]
    assert load_project(tmp_path / "p.bps.json").data == project.data
    del doc["data"]["features"]  # as a file written before features existed
    (tmp_path / "old.bps.json").write_text(json.dumps(doc))
    assert load_project(tmp_path / "old.bps.json").data.features == ()
    plain = project_for(spiral(("x1", "x2")))  # no features: no key, the file reads as it did before them
    save_project(plain, tmp_path / "plain.bps.json")
    assert "features" not in json.loads((tmp_path / "plain.bps.json").read_text())["data"]


@pytest.mark.parametrize(("value", "words"), [(["x1", "x3"], "unknown value 'x3'"),
                                              (["x1", "x1"], "listed twice"), ("x1", "expected a list")])
def test_bad_features_in_a_file_are_refused_by_field(tmp_path, value, words):
    save_project(project_for(spiral()), tmp_path / "p.bps.json")
    doc = json.loads((tmp_path / "p.bps.json").read_text())
    doc["data"]["features"] = value
    (tmp_path / "p.bps.json").write_text(json.dumps(doc))
    with pytest.raises(ProjectError, match=words) as info:
        load_project(tmp_path / "p.bps.json")
    assert info.value.field.startswith("data.features")


def test_training_sees_the_feature_columns():
    project = project_for(spiral(("x1", "x2", "x1²", "x2²")))
    train, val, _ = project.data.load()
    trainer = project.make_trainer(train, val)
    assert trainer.x.shape[1] == 4
    np.testing.assert_array_equal(trainer.x[:, 2], trainer.x[:, 0] ** 2)
    trainer.step()
    assert np.isfinite(trainer.history.losses.data()[:, 1]).all()


# ----------------------------------------------------------------------------------------------- exports
def trained(standardize: bool) -> tuple[Project, np.ndarray, np.ndarray]:
    """A project with crosses on (and standardisation as asked), trained a little; its raw rows, and the app's
    predictions for them (from the rows as the app feeds the network)."""
    project = project_for(spiral(("x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2"), standardize))
    train, val, _ = project.data.load()
    trainer = project.make_trainer(train, val)
    for _ in range(20):
        trainer.step()
    spec = project.data
    raw = np.vstack([d.X for d in split(spec.dataset(), spec.val_fraction, spec.split_seed)])
    app = compiled(project.network).predict(np.vstack([train.X, val.X]))
    return project, raw, app


def exported(project: Project, fmt: str, path) -> None:
    export_network(project.network, path, fmt, project.data.input_transform())


STANDARDIZE = pytest.mark.parametrize("standardize", [False, True], ids=["crosses", "crosses+standardised"])


@STANDARDIZE
def test_npz_and_json_readers_get_the_app_predictions_from_raw_rows(tmp_path, standardize):
    project, raw, app = trained(standardize)
    exported(project, "npz", tmp_path / "m.npz")
    np.testing.assert_allclose(predict_from_npz(tmp_path / "m.npz", raw), app, **RAW)
    exported(project, "json", tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    steps = [step["step"] for step in doc["input_transform"]]
    assert steps == (["features", "standardize"] if standardize else ["features"])
    assert doc["input_transform"][0]["features"][4] == {"name": "x1·x2", "function": "identity", "column": 0,
                                                         "times": 1}
    np.testing.assert_allclose(predict_from_json(doc, raw), app, **RAW)


@STANDARDIZE
def test_onnx_model_takes_raw_rows(tmp_path, standardize):
    project, raw, app = trained(standardize)
    exported(project, "onnx", tmp_path / "m.onnx")
    session = ort.InferenceSession(tmp_path / "m.onnx", providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == ["batch", 2]
    (y,) = session.run(None, {"input": raw})
    np.testing.assert_allclose(y, app, **RAW)
    (y,) = ReferenceEvaluator(str(tmp_path / "m.onnx")).run(None, {"input": raw})
    np.testing.assert_allclose(y, app, **RAW)


@STANDARDIZE
def test_numpy_script_takes_raw_rows_in_python_and_from_the_shell(tmp_path, standardize):
    project, raw, app = trained(standardize)
    exported(project, "numpy", tmp_path / "model.py")
    module = load_module(tmp_path / "model.py", f"featured_{standardize}")
    assert module.INPUT_SIZE == 2
    np.testing.assert_allclose(module.predict(raw), app, **RAW)
    np.savetxt(tmp_path / "raw.csv", raw, delimiter=",", fmt="%.17g")
    run = subprocess.run([sys.executable, tmp_path / "model.py", tmp_path / "raw.csv"], capture_output=True,
                         text=True, timeout=60, check=True)
    np.testing.assert_allclose(np.loadtxt(run.stdout.splitlines(), delimiter=",", ndmin=2), app, **RAW)


def test_torch_module_computes_the_features_before_standardising(tmp_path):
    """Its numbers are checked against PyTorch's own run (the `features` case of test_torch_references.py); here
    the source's layout."""
    project, _, _ = trained(True)
    exported(project, "torch", tmp_path / "model.py")
    source = (tmp_path / "model.py").read_text()
    compile(source, "model.py", "exec")
    assert ("(torch.stack([x[:, 0], x[:, 1], x[:, 0] * x[:, 0], x[:, 1] * x[:, 1], x[:, 0] * x[:, 1], "
            "torch.sin(x[:, 0]), torch.sin(x[:, 1])], dim=1) - self.get_buffer('standardize__mean'))") in source
    assert "x of shape (n, 2)" in source
    assert "the input features x1, x2, x1², x2², x1·x2, sin x1, sin x2 of the raw x1, x2" in source


def test_features_of_the_wrong_width_are_refused(tmp_path):
    net = layered([2, 3, 1], "tanh", "sigmoid")
    with pytest.raises(ExportError, match="3 input features, the network's input layer 2"):
        export_network(net, tmp_path / "m.npz", "npz", InputTransform(features=("x1", "x2", "x1²")))
    assert not list(tmp_path.iterdir())


def test_the_decision_boundary_is_drawn_over_the_raw_plane_through_the_features():
    """The network's inputs are no plane with features on; the data is: the grid spans raw x1, x2 and goes
    through the features and the standardisation as the rows do."""
    project = project_for(spiral(("x1²", "x2²", "x1·x2"), standardize=True))
    session = Session(project)
    grid = session.grid()
    raw_train, raw_val = split(project.data.dataset(), project.data.val_fraction, project.data.split_seed)
    np.testing.assert_array_equal(session.plane.train, raw_train.X)
    np.testing.assert_array_equal(session.plane.val, raw_val.X)
    lo, hi = raw_train.X.min(axis=0), raw_train.X.max(axis=0)
    assert grid.extent[0] < lo[0] < hi[0] < grid.extent[1] and grid.extent[2] < lo[1] < hi[1] < grid.extent[3]
    boundary = grid.evaluate(session.trainer())
    expected = compiled(project.network).predict(project.data.input_transform().apply(grid.points))
    np.testing.assert_allclose(boundary.output.reshape(-1, 1), expected, **RAW)


def test_without_features_the_plane_is_the_inputs_as_before():
    session = Session(project_for(spiral(("x1", "x2"), standardize=True)))
    train, _ = session.data()
    np.testing.assert_array_equal(session.plane.train, train.X)
    assert session.plane.lift is None and session.grid().inputs is session.grid().points
    one_input = Session(project_for(DataSpec("generator", "sine", {"n_samples": 20})))
    one_input.data()
    assert one_input.plane is None and one_input.data_version == 1


def test_the_cli_says_which_features_and_exports_a_model_of_raw_rows(tmp_path, capsys):
    project, raw, app = trained(True)
    save_project(project, tmp_path / "p.bps.json")
    assert main(["info", str(tmp_path / "p.bps.json")]) == 0
    out = capsys.readouterr().out
    assert "input features (before standardising): x1, x2, x1², x2², x1·x2, sin x1, sin x2" in out
    assert "7 features" in out
    assert main(["export", str(tmp_path / "p.bps.json"), "--format", "numpy", "--out", str(tmp_path / "m.py")]) == 0
    np.testing.assert_allclose(load_module(tmp_path / "m.py", "cli_featured").predict(raw), app, **RAW)


def test_a_float32_network_computes_the_features_in_its_dtype(tmp_path):
    project, raw, _ = trained(True)
    project.network.set_dtype(np.float32)
    train, val, _ = project.data.load()
    app = compiled(project.network).predict(np.vstack([train.X, val.X]))
    exported(project, "onnx", tmp_path / "m.onnx")
    (y,) = ort.InferenceSession(tmp_path / "m.onnx").run(None, {"input": raw.astype(np.float32)})
    np.testing.assert_allclose(y, app, rtol=1e-5, atol=1e-6)
