"""Runs the PyTorch export of fixed networks in PyTorch and stores what PyTorch computed, so the test suite can
check "the exported module matches the engine" without PyTorch installed (tests/engine/test_torch_references.py).

For each case it stores the inputs, PyTorch's outputs and the SHA-256 of the exported source that produced them.
The test re-exports the same network and requires the same hash, so the stored numbers always belong to the code
the exporter writes now; a change to the exporter (or to a case) fails the test until this script is run again:

    .venv/bin/pip install -e ".[bench]"        # PyTorch (the CPU wheel is enough)
    .venv/bin/python tests/references/make_torch_references.py

It writes torch_outputs.npz (arrays) and torch_outputs.json (hashes, names, the PyTorch version) beside itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent / "engine")]  # the engine, and the tests' builders

from test_export import CASES as NETWORK_CASES  # noqa: E402
from test_export import chain, inputs, odd_names, sparse  # noqa: E402

from engine import Network  # noqa: E402
from engine.datasets import FEATURES, InputTransform, Standardizer, apply_features  # noqa: E402
from engine.export.spec import describe  # noqa: E402
from engine.export.torch_module import torch_source  # noqa: E402

ARRAYS, MANIFEST = HERE / "torch_outputs.npz", HERE / "torch_outputs.json"
SCALER = Standardizer(np.array([1.5, -20.0, 300.0]), np.array([0.5, 4.0, 70.0]))  # far from mean 0 and std 1
TRAINED = "sparse_float32"  # the case also trained one SGD step in PyTorch: its cut weights must stay cut


@dataclass(frozen=True)
class Case:
    network: Network
    transform: InputTransform
    x: np.ndarray  # raw rows, as the exported module takes them

    def source(self) -> bytes:
        return torch_source(describe(self.network, self.transform))


def _plain(build: Callable[[], Network]) -> Callable[[], Case]:
    return lambda: Case(build(), InputTransform(), inputs())


CASES: dict[str, Callable[[], Case]] = {name: _plain(build) for name, build in NETWORK_CASES.items()}
CASES["odd_names"] = _plain(odd_names)
CASES[TRAINED] = lambda: Case(sparse(dtype=np.float32), InputTransform(), inputs().astype(np.float32))
CASES["standardized"] = lambda: Case(NETWORK_CASES["skip"](), InputTransform(SCALER),
                                     SCALER.mean + SCALER.std * inputs())


def _featured() -> Case:
    """All seven input features of raw (x1, x2) rows, then standardised with those columns' own statistics."""
    raw = 2.5 * inputs(n_in=2)
    names = tuple(FEATURES)
    scaler = Standardizer.fit(apply_features(raw, names))
    return Case(chain("tanh", "sigmoid", sizes=(len(names), 4, 2)), InputTransform(scaler, names), raw)


CASES["features"] = _featured


def sha256(source: bytes) -> str:
    return hashlib.sha256(source).hexdigest()


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    import torch

    arrays, manifest = {}, {"generated_by": "tests/references/make_torch_references.py", "torch": torch.__version__,
                            "cases": {}}
    for name, build in CASES.items():
        case = build()
        path = HERE / f"_{name}.py"
        path.write_bytes(case.source())
        try:
            module = _load(path, f"exported_{name}").Net().eval()
        finally:
            path.unlink()
        with torch.no_grad():
            arrays[f"{name}__y"] = module(torch.as_tensor(case.x)).numpy()
        arrays[f"{name}__x"] = case.x
        manifest["cases"][name] = {"sha256": sha256(case.source()), "params": sorted(module.params),
                                   "buffers": sorted(name for name, _ in module.named_buffers())}
        if name == TRAINED:
            optimizer = torch.optim.SGD(module.parameters(), lr=0.5)
            module(torch.as_tensor(case.x)).sum().backward()
            optimizer.step()
            arrays[f"{name}__W__in__h1_after_step"] = module.params["W__in__h1"].detach().numpy()
    np.savez_compressed(ARRAYS, **arrays)
    MANIFEST.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(CASES)} cases to {ARRAYS.name} and {MANIFEST.name} (PyTorch {torch.__version__})")


if __name__ == "__main__":
    main()
