"""Exports of projects that standardise their inputs take raw rows (as in the CSV, as a generator makes them) and
give the app's own predictions: the engine's forward pass on the rows `DataSpec.load` standardised.

Each format is run on the raw rows of the real data and compared with what the app computes, to 1e-12 in float64.
"""

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

from engine import ExportError, compiled, layered
from engine.cli import main
from engine.datasets import InputTransform, Standardizer, split
from engine.export import export_network, import_npz
from engine.project import EXAMPLES, DataSpec, Project, load_project
from engine.training import TrainSettings

RAW = {"rtol": 1e-12, "atol": 1e-12}


def iris() -> Project:
    """The lecture example: Iris from a CSV beside the project file, standardised (means ~1–6, stds ~0.1–0.5)."""
    return load_project(EXAMPLES["Lecture notes 4-3-2-1 (Iris)"])


def sine() -> Project:
    """A generator whose raw inputs lie in [-3, 3]: standardising changes them too."""
    data = DataSpec("generator", "sine", {"n_samples": 60, "seed": 3}, standardize=True)
    return Project(layered([1, 8, 1], "tanh", "identity", seed=4), TrainSettings(loss="mse"), data)


PROJECTS = {"iris": iris, "sine": sine}


def raw_and_app(project: Project) -> tuple[np.ndarray, np.ndarray]:
    """Raw rows of both splits, and the app's predictions for them (from the rows as the app feeds them)."""
    spec = project.data
    raw = np.vstack([d.X for d in split(spec.dataset(project.base_dir), spec.val_fraction, spec.split_seed)])
    train, val, _ = spec.load(project.base_dir)
    app = compiled(project.network).predict(np.vstack([train.X, val.X]))
    assert not np.allclose(compiled(project.network).predict(raw), app, atol=1e-3)  # the transform matters here
    return raw, app


def exported(project: Project, fmt: str, path) -> None:
    export_network(project.network, path, fmt, project.data.input_transform(project.base_dir))


@pytest.mark.parametrize("build", PROJECTS.values(), ids=PROJECTS)
def test_npz_holds_the_transform_and_a_reader_of_its_meta_gets_the_app_predictions(tmp_path, build):
    project = build()
    raw, app = raw_and_app(project)
    exported(project, "npz", tmp_path / "m.npz")
    np.testing.assert_allclose(predict_from_npz(tmp_path / "m.npz", raw), app, **RAW)
    _, _, scaler = project.data.load(project.base_dir)
    with np.load(tmp_path / "m.npz") as f:
        np.testing.assert_array_equal(f["standardize__mean"], scaler.mean)  # exact, float64 as the app has them
        np.testing.assert_array_equal(f["standardize__std"], scaler.std)
        meta = json.loads(str(f["__meta__"]))
    assert meta["version"] == 3
    assert meta["input_transform"] == [{"step": "standardize", "mean": "standardize__mean", "std": "standardize__std"}]
    import_npz(project.network, tmp_path / "m.npz")  # the transform's arrays are not the network's


@pytest.mark.parametrize("build", PROJECTS.values(), ids=PROJECTS)
def test_json_document_gets_the_app_predictions_on_raw_rows(tmp_path, build):
    project = build()
    raw, app = raw_and_app(project)
    exported(project, "json", tmp_path / "m.json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert [step["step"] for step in doc["input_transform"]] == ["standardize"]
    np.testing.assert_allclose(predict_from_json(doc, raw), app, **RAW)


@pytest.mark.parametrize("build", PROJECTS.values(), ids=PROJECTS)
def test_onnx_model_gets_the_app_predictions_on_raw_rows(tmp_path, build):
    project = build()
    raw, app = raw_and_app(project)
    exported(project, "onnx", tmp_path / "m.onnx")
    session = ort.InferenceSession(tmp_path / "m.onnx", providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {"input": raw})
    np.testing.assert_allclose(y, app, **RAW)
    (y,) = ReferenceEvaluator(str(tmp_path / "m.onnx")).run(None, {"input": raw})
    np.testing.assert_allclose(y, app, **RAW)


@pytest.mark.parametrize("build", PROJECTS.values(), ids=PROJECTS)
def test_numpy_script_gets_the_app_predictions_on_raw_rows(tmp_path, build):
    project = build()
    raw, app = raw_and_app(project)
    exported(project, "numpy", tmp_path / "model.py")
    np.testing.assert_allclose(load_module(tmp_path / "model.py").predict(raw), app, **RAW)
    np.savetxt(tmp_path / "raw.csv", raw, delimiter=",", fmt="%.17g")
    run = subprocess.run([sys.executable, tmp_path / "model.py", tmp_path / "raw.csv"], capture_output=True,
                         text=True, timeout=60, check=True)
    np.testing.assert_allclose(np.loadtxt(run.stdout.splitlines(), delimiter=",", ndmin=2), app, **RAW)


def test_torch_module_standardises_with_buffers(tmp_path):
    """Its numbers are checked against PyTorch's own run in test_torch_references.py; here its layout."""
    project = iris()
    exported(project, "torch", tmp_path / "model.py")
    source = (tmp_path / "model.py").read_text()
    assert "self.register_buffer(name, a)" in source
    assert "(x - self.get_buffer('standardize__mean')) / self.get_buffer('standardize__std')" in source
    assert "Inputs are raw rows" in source


def test_float32_network_standardises_in_its_dtype(tmp_path):
    project = iris()
    project.network.set_dtype(np.float32)
    raw, app = raw_and_app(project)
    exported(project, "onnx", tmp_path / "m.onnx")
    (y,) = ort.InferenceSession(tmp_path / "m.onnx").run(None, {"input": raw.astype(np.float32)})
    np.testing.assert_allclose(y, app, rtol=1e-5, atol=1e-6)


def test_the_cli_exports_models_that_take_raw_rows(tmp_path, capsys):
    project = iris()
    raw, app = raw_and_app(project)
    assert main(["export", str(project.path), "--format", "numpy", "--out", str(tmp_path / "model.py")]) == 0
    assert capsys.readouterr().err == ""  # nothing left for the user to do by hand
    np.testing.assert_allclose(load_module(tmp_path / "model.py").predict(raw), app, **RAW)


def test_a_project_without_standardisation_exports_no_transform(tmp_path):
    project = load_project(EXAMPLES["XOR"])
    assert project.data.input_transform(project.base_dir) == InputTransform()
    exported(project, "npz", tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as f:
        assert not any(name.startswith("standardize__") for name in f.files)
        assert json.loads(str(f["__meta__"]))["input_transform"] == []


def test_a_transform_of_the_wrong_width_is_refused(tmp_path):
    transform = InputTransform(Standardizer(np.zeros(3), np.ones(3)))
    with pytest.raises(ExportError, match="3 input columns, the network's input layer 2"):
        export_network(load_project(EXAMPLES["XOR"]).network, tmp_path / "m.npz", "npz", transform)
    assert not list(tmp_path.iterdir())
