"""Export to NPZ and JSON, import from NPZ, and the formats' shared rules (names, errors, atomic writes).

The builders here are shared with test_export_runtimes.py, which runs the exported models in ONNX, PyTorch and
plain NumPy.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from random_nets import OUT_OF_RANGE

from engine import ACTIVATIONS, BiasRef, ConnectionChanged, ExportError, Network, ValuesChanged, WeightRef, compiled
from engine.export import FORMATS, export_network, import_npz
from engine.project import EXAMPLES

HIDDEN = [name for name, act in ACTIVATIONS.items() if not act.output_only]


def randomize(net: Network, seed: int = 0) -> Network:
    """Random weights (cut ones kept at 0) and non-zero biases, so a misplaced array or bias cannot go unseen."""
    rng = np.random.default_rng(seed)
    for c in net.connections.values():
        c.weight.value[...] = rng.normal(0, 0.8, c.weight.shape) * c.weight.mask
    for layer in net.layers.values():
        if layer.bias is not None:
            layer.bias.value[...] = rng.normal(0, 0.5, layer.size)
    return net


def in_range(net: Network) -> Network:
    """Positive weights and biases: every layer after a sigmoid one gets a pre-activation above 0.1, where 1/x and
    log are defined and x², eˣ stay small."""
    for c in net.connections.values():
        np.abs(c.weight.value, out=c.weight.value)
    for layer in net.layers.values():
        if layer.bias is not None:
            layer.bias.value[...] = np.abs(layer.bias.value) + 0.1
    return net


def chain(*acts: str, sizes=(3, 4, 2), dtype=np.float64, seed=0) -> Network:
    """in → one hidden layer per activation but the last → out with the last activation."""
    net = Network(seed=seed, dtype=dtype)
    layers = [net.add_layer(sizes[0], "input")]
    layers += [net.add_layer(sizes[1], activation=act) for act in acts[:-1]]
    layers.append(net.add_layer(sizes[2], "output", activation=acts[-1]))
    for a, b in itertools.pairwise(layers):
        net.connect(a.id, b.id)
    return randomize(net, seed)


def skip(dtype=np.float64, seed=0) -> Network:
    """in → h1 → h2 → out with skips in → out and h1 → out."""
    net = Network(seed=seed, dtype=dtype)
    i, h1 = net.add_layer(3, "input"), net.add_layer(5, activation="tanh")
    h2, o = net.add_layer(4, activation="relu"), net.add_layer(2, "output", activation="identity")
    for a, b in ((i, h1), (h1, h2), (h2, o), (i, o), (h1, o)):
        net.connect(a.id, b.id)
    return randomize(net, seed)


def branch(dtype=np.float64, seed=0) -> Network:
    """Two hidden layers side by side, both fed by the input and both feeding the softmax output."""
    net = Network(seed=seed, dtype=dtype)
    i, a = net.add_layer(3, "input"), net.add_layer(4, activation="sigmoid", name="left")
    b, o = net.add_layer(3, activation="elu", name="right"), net.add_layer(3, "output", activation="softmax")
    for s, t in ((i, a), (i, b), (a, o), (b, o)):
        net.connect(s.id, t.id)
    return randomize(net, seed)


def sparse(dtype=np.float64, seed=0) -> Network:
    """Single drawn weights (a sparse connection), cut weights in a dense one, frozen weights and biases."""
    net = Network(seed=seed, dtype=dtype)
    i, h = net.add_layer(3, "input"), net.add_layer(4, activation="gelu")
    o = net.add_layer(2, "output", activation="sigmoid")
    c1 = net.connect(i.id, h.id)
    net.connect(h.id, o.id)
    c3 = net.add_weight(i.id, 0, o.id, 1)
    net.add_weight(i.id, 2, o.id, 0)
    net.set_present(c1.id, 0, 0, False)
    net.set_present(c1.id, 2, 3, False)
    net.set_frozen(WeightRef(c1.id, 1, 2), True)
    net.set_frozen(WeightRef(c3.id, 0, 1), True)
    net.set_frozen(BiasRef(o.id, 1), True)
    return randomize(net, seed)


NETWORKS = {"skip": skip, "branch": branch, "sparse": sparse}


# every activation, hidden and on the output (softmax only there), plus the multi-path networks
CASES = {f"{act}": (lambda act=act: chain(act, act)) for act in HIDDEN if act not in OUT_OF_RANGE}
CASES.update({act: (lambda act=act: in_range(chain("sigmoid", act))) for act in sorted(OUT_OF_RANGE)})
CASES["softmax"] = lambda: chain("silu", "softmax")
CASES.update({name: build for name, build in NETWORKS.items()})


def odd_names() -> Network:
    net = Network(seed=2)
    i = net.add_layer(3, "input", name='in "x"')
    h = net.add_layer(4, activation="tanh", name="h.1 \\ '''\"\"\" end")  # printable: no newline (see test_model)
    o = net.add_layer(2, "output", activation="softmax", name="out.put")
    for s, t in ((i, h), (h, o), (i, o)):
        net.connect(s.id, t.id)
    return randomize(net)


def inputs(n: int = 7, n_in: int = 3, seed: int = 1) -> np.ndarray:
    # wide enough to reach both sides of every kink and Softplus's threshold of 20
    return np.random.default_rng(seed).normal(0, 6, (n, n_in))


def snapshot(net: Network) -> list[tuple]:
    """Every parameter array by key, for exact before/after comparisons."""
    return [(key, p.value.tobytes(), p.mask.tobytes(), p.frozen.tobytes()) for key, p in net.parameters()]


# ----------------------------------------------------------------------------------------------- formats table
def test_formats_table_matches_the_contract(tmp_path):
    assert set(FORMATS) == {"npz", "json", "onnx", "torch", "numpy"}
    assert {suffix for _, suffix in FORMATS.values()} == {".npz", ".json", ".onnx", ".py"}
    net = skip()
    for fmt, (_, suffix) in FORMATS.items():
        export_network(net, tmp_path / f"model_{fmt}{suffix}", fmt)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"model_{f}{s}" for f, (_, s) in FORMATS.items())


LOADED_AFTER = """
import sys
from engine.cli import main
main(["export", sys.argv[1], "--format", sys.argv[2], "--out", sys.argv[3]])
print(sorted({name.split(".")[0] for name in sys.modules} & {"onnx", "onnxruntime", "torch"}))
"""


@pytest.mark.parametrize(("fmt", "loaded"), [("npz", "[]"), ("json", "[]"), ("numpy", "[]"), ("torch", "[]"),
                                             ("onnx", "['onnx']")])
def test_only_an_onnx_export_imports_onnx(tmp_path, fmt, loaded):
    """Importing onnx takes most of a CLI export's time; the other formats must not pay for it."""
    example = EXAMPLES["XOR"]
    run = subprocess.run([sys.executable, "-c", LOADED_AFTER, example, fmt, tmp_path / "out"], capture_output=True,
                         text=True, timeout=60, check=True)
    assert run.stdout.split("\n")[-2] == loaded


def test_unknown_format_and_unfinished_network_are_refused(tmp_path):
    with pytest.raises(ExportError, match="'tflite'"):
        export_network(skip(), tmp_path / "m", "tflite")
    net = Network()
    i, h = net.add_layer(2, "input"), net.add_layer(3)
    net.add_layer(1, "output")
    net.connect(i.id, h.id)
    with pytest.raises(ExportError, match=r"cannot be exported yet.*not reachable"):
        export_network(net, tmp_path / "m.npz", "npz")
    assert not list(tmp_path.iterdir())


def test_unwritable_path_raises_and_leaves_nothing(tmp_path):
    with pytest.raises(ExportError, match="missing_dir"):
        export_network(skip(), tmp_path / "missing_dir" / "m.onnx", "onnx")
    target = tmp_path / "m.npz"
    target.mkdir()  # a directory where the file should go: the final rename fails
    with pytest.raises(ExportError, match=r"m\.npz"):
        export_network(skip(), target, "npz")
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_layer_names_that_would_give_one_array_two_meanings_are_refused(tmp_path):
    net = Network()
    i, h1 = net.add_layer(2, "input"), net.add_layer(2, name="h1")
    odd, o = net.add_layer(2, name="h1__out"), net.add_layer(1, "output", name="out")
    for s, t in ((i, h1), (h1, o), (i, odd), (odd, o)):
        net.connect(s.id, t.id)
    with pytest.raises(ExportError, match=r"'frozen__h1__out'.*rename a layer"):
        export_network(net, tmp_path / "m.npz", "npz")


# ----------------------------------------------------------------------------------------------- NPZ
def test_npz_holds_documented_names_and_a_self_describing_meta(tmp_path):
    net = skip()
    export_network(net, tmp_path / "m.npz", "npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    links = ["in__h1", "h1__h2", "h2__out", "in__out", "h1__out"]
    expected = {f"{p}__{link}" for p in ("W", "mask", "frozen") for link in links}
    expected |= {f"{p}__{layer}" for p in ("b", "frozen") for layer in ("h1", "h2", "out")} | {"__meta__"}
    assert set(arrays) == expected
    c = net.find_connection(net.layer_by_name("h1").id, net.layer_by_name("h2").id)
    np.testing.assert_array_equal(arrays["W__h1__h2"], c.weight.value)
    np.testing.assert_array_equal(arrays["b__out"], net.output_layer.bias.value)
    assert arrays["mask__h1__h2"].dtype == bool and arrays["W__h1__h2"].dtype == np.float64
    meta = json.loads(str(arrays["__meta__"]))
    assert (meta["format"], meta["version"], meta["dtype"]) == ("backprop-studio-weights", 3, "float64")
    assert [(lay["name"], lay["size"], lay["activation"]) for lay in meta["layers"]] == [
        ("in", 3, "identity"), ("h1", 5, "tanh"), ("h2", 4, "relu"), ("out", 2, "identity")]
    assert meta["layers"][3]["bias"] == "b__out"
    assert {(c["source"], c["target"], c["weight"]) for c in meta["connections"]} == {
        (link.split("__")[0], link.split("__")[1], f"W__{link}") for link in links}


def predict_from_npz(path, x: np.ndarray) -> np.ndarray:
    """A reader that knows nothing but the file: the graph from __meta__, the arrays by the names it gives."""
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    return predict_from_graph(json.loads(str(arrays["__meta__"])), x, arrays.__getitem__)


def predict_from_graph(doc: dict, x: np.ndarray, array) -> np.ndarray:
    """The forward pass a reader rebuilds from an exported graph description (NPZ's __meta__, the JSON document);
    `array` turns a layer's "bias", a connection's "weight" or a transform step's field into its array."""
    for step in doc["input_transform"]:
        if step["step"] == "features":  # each: function (identity or sin) of a raw column, times another or not
            functions = {"identity": lambda v: v, "sin": np.sin}
            x = np.column_stack([functions[f["function"]](x[:, f["column"]]) * (1 if f["times"] is None else
                                 x[:, f["times"]]) for f in step["features"]])
            continue
        assert step["step"] == "standardize"
        x = (x - np.asarray(array(step["mean"]))) / np.asarray(array(step["std"]))
    h = {doc["input"]: x}
    for layer in doc["layers"][1:]:
        a = np.asarray(array(layer["bias"]))
        for c in doc["connections"]:
            if c["target"] == layer["name"]:
                a = a + h[c["source"]] @ np.asarray(array(c["weight"]))
        h[layer["name"]] = ACTIVATIONS[layer["activation"]].forward(a)
    return h[doc["output"]]


@pytest.mark.parametrize("build", NETWORKS.values(), ids=NETWORKS)
def test_meta_alone_lets_a_reader_rebuild_the_computation(tmp_path, build):
    net = build()
    export_network(net, tmp_path / "m.npz", "npz")
    x = inputs()
    np.testing.assert_allclose(predict_from_npz(tmp_path / "m.npz", x), compiled(net).predict(x), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("build", NETWORKS.values(), ids=NETWORKS)
def test_npz_round_trip_is_exact(tmp_path, build, dtype):
    source = build(dtype=dtype, seed=3)
    export_network(source, tmp_path / "m.npz", "npz")
    target = build(dtype=dtype, seed=9)  # same structure, other weights
    for c in target.connections.values():  # and other masks and flags, which the import must overwrite too
        c.weight.mask[...] = True
        c.weight.frozen[...] = False
    assert snapshot(target) != snapshot(source)
    import_npz(target, tmp_path / "m.npz")
    assert snapshot(target) == snapshot(source)
    x = inputs()
    np.testing.assert_array_equal(compiled(target).predict(x), compiled(source).predict(x))


def test_import_reaches_compiled_networks_and_notifies_views(tmp_path):
    source, target = sparse(seed=1), sparse(seed=2)
    export_network(source, tmp_path / "m.npz", "npz")
    cache = compiled(target)
    events = []
    target.events.connect(events.append)
    import_npz(target, tmp_path / "m.npz")  # same masks and flags: values land in the compiled buffers' views
    assert compiled(target) is cache
    np.testing.assert_array_equal(cache.predict(inputs()), compiled(source).predict(inputs()))
    assert events == [ValuesChanged()]

    h = target.layer_by_name("h1")
    cid = target.find_connection(target.input_layer.id, h.id).id
    target.set_present(cid, 0, 0, True)  # differs from the file: importing must cut it again
    target.connection(cid).weight.state["m"] = np.ones((3, 4))
    events.clear()
    import_npz(target, tmp_path / "m.npz")
    assert ConnectionChanged(cid, "mask") in events
    assert compiled(target) is not cache  # masks changed: the plan is stale
    w = target.connection(cid).weight
    assert not w.mask[0, 0] and w.value[0, 0] == 0 and w.state["m"][0, 0] == 0 and w.state["m"][1, 1] == 1
    np.testing.assert_array_equal(compiled(target).predict(inputs()), compiled(source).predict(inputs()))


def resave(src, dst, change):
    """Copy an archive with `change(arrays)` applied."""
    with np.load(src, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    np.savez(dst, **arrays)


@pytest.mark.parametrize(("change", "message"), [
    (lambda a: a.pop("W__h1__h2"), "'W__h1__h2' is missing"),
    (lambda a: a.pop("frozen__out"), "'frozen__out' is missing"),
    (lambda a: a.update(W__h2__h1=np.zeros((4, 5))), "'W__h2__h1' does not match"),
    (lambda a: a.update(b__h2=np.zeros(5)), r"'b__h2' has shape \(5,\), the network needs \(4,\)"),
    (lambda a: a.update(W__in__out=np.zeros((2, 3))), r"'W__in__out' has shape \(2, 3\).*\(3, 2\)"),
    (lambda a: a.update(mask__in__h1=np.ones((3, 5))), "'mask__in__h1' must hold booleans"),
    (lambda a: a.update(b__h1=np.full(5, "x")), "'b__h1' holds <U1 values"),
    (lambda a: a["b__out"].__setitem__(0, np.nan), "'b__out' holds NaN"),
    (lambda a: a["mask__h1__h2"].__setitem__((1, 2), False), r"'W__h1__h2' has .* at \[1, 2\], a weight its mask"),
])
def test_import_names_the_array_at_fault_and_changes_nothing(tmp_path, change, message):
    export_network(skip(seed=1), tmp_path / "good.npz", "npz")
    resave(tmp_path / "good.npz", tmp_path / "bad.npz", change)
    target = skip(seed=2)
    before = snapshot(target)
    with pytest.raises(ExportError, match=message):
        import_npz(target, tmp_path / "bad.npz")
    assert snapshot(target) == before


def test_import_into_a_different_structure_names_the_array(tmp_path):
    export_network(chain("tanh", "identity", sizes=(3, 4, 2)), tmp_path / "m.npz", "npz")
    with pytest.raises(ExportError, match=r"'W__in__h1' has shape \(3, 4\), the network needs \(3, 6\)"):
        import_npz(chain("tanh", "identity", sizes=(3, 6, 2)), tmp_path / "m.npz")


def test_unreadable_files_raise_export_error(tmp_path):
    net = skip()
    export_network(net, tmp_path / "good.npz", "npz")
    data = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.npz").write_bytes(b"PK\x03\x04 certainly not a zip archive")
    (tmp_path / "text.npz").write_text("W__in__h1 = [[1, 2]]")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with zipfile.ZipFile(tmp_path / "bad_member.npz", "w") as z:  # a zip whose member is no .npy
        z.writestr("W__in__h1.npy", b"\x93NUMPY broken header")
    for name in ("truncated.npz", "garbage.npz", "text.npz", "single.npy", "bad_member.npz", "absent.npz"):
        with pytest.raises(ExportError, match=name.replace(".", r"\.")):
            import_npz(net, tmp_path / name)


# ----------------------------------------------------------------------------------------------- JSON
def predict_from_json(doc: dict, x: np.ndarray) -> np.ndarray:
    return predict_from_graph(doc, x, np.array)


@pytest.mark.parametrize("build", NETWORKS.values(), ids=NETWORKS)
def test_json_document_holds_the_exact_graph_and_weights(tmp_path, build):
    net = build()
    export_network(net, tmp_path / "m.json", "json")
    doc = json.loads((tmp_path / "m.json").read_text())
    assert (doc["format"], doc["version"], doc["dtype"]) == ("backprop-studio-network", 3, "float64")
    assert [(lay["name"], lay["kind"], lay["size"]) for lay in doc["layers"]] == [
        (net.layer(lid).name, net.layer(lid).kind, net.layer(lid).size) for lid in net.topological_order()]
    for c in net.connections.values():
        entry = next(e for e in doc["connections"] if (e["source"], e["target"]) ==
                     (net.layer(c.source).name, net.layer(c.target).name))
        np.testing.assert_array_equal(np.array(entry["weight"]), c.weight.value)  # repr round-trips exactly
        assert entry["shape"] == list(c.weight.shape)
        assert entry["cut"] == np.argwhere(~c.weight.mask).tolist()
        assert entry["frozen"] == np.argwhere(c.weight.frozen).tolist()
    x = inputs()
    np.testing.assert_allclose(predict_from_json(doc, x), compiled(net).predict(x), rtol=1e-12)


def test_json_lists_cut_and_frozen_weights_and_writes_a_row_per_line(tmp_path):
    net = sparse()
    export_network(net, tmp_path / "m.json", "json")
    text = (tmp_path / "m.json").read_text()
    doc = json.loads(text)
    first = next(e for e in doc["connections"] if (e["source"], e["target"]) == ("in", "h1"))
    assert first["cut"] == [[0, 0], [2, 3]] and first["frozen"] == [[1, 2]]
    assert next(lay for lay in doc["layers"] if lay["name"] == "out")["frozen"] == [1]
    row = json.dumps(first["weight"][1])
    assert f"\n        {row},\n" in text  # a matrix row on one line, not one number per line
