"""The PyTorch export matches the engine, checked against what PyTorch itself computed with the exported modules,
without PyTorch in the suite.

tests/references/make_torch_references.py ran each case's exported source in PyTorch and stored the inputs, the
outputs and the source's SHA-256. Here every case is exported again: the same hash proves the stored outputs came
from exactly the code the exporter writes now (weights and input transform included, as they are embedded), and
the engine must compute those outputs from those inputs. Changing the exporter fails the hash check until the
references are regenerated with PyTorch (the script's docstring says how).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from engine import compiled
from engine.export.spec import describe

REFERENCES = Path(__file__).resolve().parents[1] / "references"
F64 = {"rtol": 1e-9, "atol": 1e-14}  # as test_export_runtimes.py, which explains the absolute part
F32 = {"rtol": 1e-5, "atol": 1e-6}


def _script():
    spec = importlib.util.spec_from_file_location("make_torch_references", REFERENCES / "make_torch_references.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()
MANIFEST = json.loads(SCRIPT.MANIFEST.read_text())
with np.load(SCRIPT.ARRAYS) as _archive:
    STORED = {name: _archive[name] for name in _archive.files}


def test_every_case_has_references_and_no_stale_ones_remain():
    assert set(MANIFEST["cases"]) == set(SCRIPT.CASES)
    assert MANIFEST["torch"].startswith("2.")


@pytest.mark.parametrize("name", list(SCRIPT.CASES))
def test_pytorch_computed_what_the_engine_computes(name):
    case = SCRIPT.CASES[name]()
    assert SCRIPT.sha256(case.source()) == MANIFEST["cases"][name]["sha256"], (
        "the PyTorch export changed since the references were made: run tests/references/make_torch_references.py")
    x, y = STORED[f"{name}__x"], STORED[f"{name}__y"]
    np.testing.assert_array_equal(x, case.x)
    assert y.dtype == case.network.dtype and y.shape == (len(x), case.network.output_layer.size)
    expected = compiled(case.network).predict(case.transform.apply(x))
    np.testing.assert_allclose(y, expected, **(F64 if case.network.dtype == np.float64 else F32))


def test_parameters_and_buffers_keep_the_npz_names():
    cases = MANIFEST["cases"]
    sparse = SCRIPT.CASES[SCRIPT.TRAINED]().network
    assert cases[SCRIPT.TRAINED]["params"] == sorted(name for name in describe(sparse).arrays if name[0] in "Wb")
    assert cases[SCRIPT.TRAINED]["buffers"] == ["mask__in__h1", "mask__in__out"]
    assert "W__h_1 \\ '''\"\"\" end__out_put" in cases["odd_names"]["params"]  # "." is the one character refused
    assert cases["standardized"]["buffers"] == ["standardize__mean", "standardize__std"]


def test_cut_weights_stayed_cut_while_pytorch_trained_the_others():
    net = SCRIPT.CASES[SCRIPT.TRAINED]().network
    before = net.find_connection(net.layer_by_name("in").id, net.layer_by_name("h1").id).weight
    after = STORED[f"{SCRIPT.TRAINED}__W__in__h1_after_step"]
    assert not before.mask[0, 0] and not before.mask[2, 3]
    assert after[0, 0] == 0 and after[2, 3] == 0
    assert not np.allclose(after[before.mask], before.value[before.mask])
