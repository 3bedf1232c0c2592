"""The exported models run elsewhere and compute what the engine computes: ONNX (onnx's reference evaluator and
ONNX Runtime) and the standalone NumPy script (imported and as a command). The PyTorch module's numbers are checked
against PyTorch's own run of it in test_torch_references.py; here only its source.

Outputs are compared with a relative tolerance far tighter than float32 noise plus an absolute one of ~100 ulps
of 1.0: the engine's sigmoid, (1 + tanh(a/2)) / 2, loses relative precision in its far negative tail, where the
exports use the exact two-branch form (as ONNX and PyTorch do).
"""

from __future__ import annotations

import ast
import importlib.util
import io
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import HealthCheck, given, settings
from onnx.reference import ReferenceEvaluator
from random_nets import networks
from test_export import CASES, HIDDEN, NETWORKS, chain, inputs, odd_names, predict_from_npz, sparse

from engine import ACTIVATIONS, compiled
from engine.export import FORMATS, export_network
from engine.export.numpy_script import numpy_script
from engine.export.onnx_model import OPSET, onnx_model
from engine.export.spec import describe

F64 = {"rtol": 1e-9, "atol": 1e-14}
F32 = {"rtol": 1e-5, "atol": 1e-6}


def load_module(path, name="exported"):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    return found | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}


def test_every_engine_activation_is_covered():
    assert set(HIDDEN) | {"softmax"} == set(ACTIVATIONS)


# ----------------------------------------------------------------------------------------------- ONNX
@pytest.mark.parametrize("build", CASES.values(), ids=CASES)
def test_onnx_model_is_valid_and_matches_the_engine(tmp_path, build):
    net = build()
    export_network(net, tmp_path / "m.onnx", "onnx")
    model = onnx.load(tmp_path / "m.onnx")
    onnx.checker.check_model(model, full_check=True)
    assert [(o.domain, o.version) for o in model.opset_import] == [("", OPSET)]
    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == ("input", "output")
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    assert [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim] == ["batch", 3]
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["batch", net.output_layer.size]
    session = ReferenceEvaluator(model)
    for n in (1, 9):  # the batch dimension is free
        x = inputs(n)
        (y,) = session.run(None, {"input": x})
        np.testing.assert_allclose(y, compiled(net).predict(x), **F64)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("build", CASES.values(), ids=CASES)
def test_onnx_model_runs_in_onnx_runtime(tmp_path, build, dtype):
    """ONNX Runtime has float32-only kernels for some activations; the model must avoid them in float64."""
    net = build()
    net.set_dtype(dtype)
    export_network(net, tmp_path / "m.onnx", "onnx")
    session = ort.InferenceSession(tmp_path / "m.onnx", providers=["CPUExecutionProvider"])
    x = inputs().astype(dtype)
    (y,) = session.run(None, {"input": x})
    np.testing.assert_allclose(y, compiled(net).predict(x), **(F64 if dtype == np.float64 else F32))


@pytest.mark.parametrize("build", [NETWORKS["sparse"], CASES["gelu"], CASES["softplus"]])
def test_onnx_model_in_float32(tmp_path, build):
    net = build()
    net.set_dtype(np.float32)
    export_network(net, tmp_path / "m.onnx", "onnx")
    model = onnx.load(tmp_path / "m.onnx")
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    x = inputs().astype(np.float32)
    (y,) = ReferenceEvaluator(model).run(None, {"input": x})
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, compiled(net).predict(x), **F32)


def test_onnx_tensors_are_named_after_layers():
    model = onnx_model(describe(NETWORKS["branch"]()))
    outputs = {o for node in model.graph.node for o in node.output}
    assert {"h__left", "h__right", "a__out", "output"} <= outputs
    assert {"W__in__left", "W__left__out", "b__out"} <= {t.name for t in model.graph.initializer}


# ----------------------------------------------------------------------------------------------- NumPy script
@pytest.mark.parametrize("build", CASES.values(), ids=CASES)
def test_numpy_script_predict_matches_the_engine(tmp_path, build):
    net = build()
    export_network(net, tmp_path / "model.py", "numpy")
    assert imported_modules(tmp_path / "model.py") <= {"base64", "math", "sys", "numpy"}
    x = inputs()
    np.testing.assert_allclose(load_module(tmp_path / "model.py").predict(x), compiled(net).predict(x), **F64)


def test_numpy_script_reads_a_csv_and_prints_predictions(tmp_path):
    net = NETWORKS["branch"]()
    export_network(net, tmp_path / "model.py", "numpy")
    x = inputs(5)
    np.savetxt(tmp_path / "in.csv", x, delimiter=",", header="a,b,c", comments="", fmt="%.17g")
    run = subprocess.run([sys.executable, tmp_path / "model.py", tmp_path / "in.csv"], capture_output=True,
                         text=True, timeout=60, check=True)
    printed = np.loadtxt(io.StringIO(run.stdout), delimiter=",", ndmin=2)
    np.testing.assert_allclose(printed, compiled(net).predict(x), **F64)


def test_numpy_script_rejects_a_csv_of_the_wrong_width(tmp_path):
    export_network(NETWORKS["skip"](), tmp_path / "model.py", "numpy")
    (tmp_path / "in.csv").write_text("1,2\n3,4\n")
    run = subprocess.run([sys.executable, tmp_path / "model.py", tmp_path / "in.csv"], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 1 and "2 columns, the network takes 3" in run.stderr and not run.stdout


def test_numpy_script_keeps_float32(tmp_path):
    net = sparse(dtype=np.float32)
    export_network(net, tmp_path / "model.py", "numpy")
    x = inputs().astype(np.float32)
    y = load_module(tmp_path / "model.py").predict(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, compiled(net).predict(x), **F32)


# ----------------------------------------------------------------------------------------------- PyTorch
@pytest.mark.parametrize("build", CASES.values(), ids=CASES)
def test_torch_source_compiles_and_needs_only_torch(tmp_path, build):
    export_network(build(), tmp_path / "model.py", "torch")
    source = (tmp_path / "model.py").read_text()
    compile(source, "model.py", "exec")
    assert imported_modules(tmp_path / "model.py") == {"base64", "math", "torch"}


# ----------------------------------------------------------------------------------------------- all formats
def test_layer_names_with_quotes_dots_and_backslashes_survive_every_format(tmp_path):
    net = odd_names()
    x = inputs()
    expected = compiled(net).predict(x)
    for fmt, (_, suffix) in FORMATS.items():
        export_network(net, tmp_path / f"m_{fmt}{suffix}", fmt)
    np.testing.assert_allclose(predict_from_npz(tmp_path / "m_npz.npz", x), expected, **F64)
    np.testing.assert_allclose(load_module(tmp_path / "m_numpy.py").predict(x), expected, **F64)
    (y,) = ReferenceEvaluator(onnx.load(tmp_path / "m_onnx.onnx")).run(None, {"input": x})
    np.testing.assert_allclose(y, expected, **F64)
    compile((tmp_path / "m_torch.py").read_text(), "m_torch.py", "exec")


def test_a_784_128_10_network_exports_fast(tmp_path):
    net = chain("relu", "softmax", sizes=(784, 128, 10))
    for fmt in ("npz", "json", "onnx", "torch", "numpy"):
        start = time.perf_counter()
        export_network(net, tmp_path / f"m_{fmt}{FORMATS[fmt][1]}", fmt)
        assert time.perf_counter() - start < 2.0, fmt  # measured: 5–110 ms each
    x = np.random.default_rng(0).normal(0, 1, (4, 784))
    np.testing.assert_allclose(load_module(tmp_path / "m_numpy.py").predict(x), compiled(net).predict(x), **F64)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_networks_agree_in_onnx_and_numpy(case):
    """Random DAGs with skips, sparse pairs, cut and frozen weights, every activation."""
    net, _, x, _ = case
    graph = describe(net)
    expected = compiled(net).predict(x)
    (y,) = ReferenceEvaluator(onnx_model(graph)).run(None, {"input": x})
    np.testing.assert_allclose(y, expected, **F64)
    namespace: dict = {"__name__": "exported"}
    exec(compile(numpy_script(graph), "model.py", "exec"), namespace)
    np.testing.assert_allclose(namespace["predict"](x), expected, **F64)
