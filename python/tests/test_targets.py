"""The x86-64 targets differ only in the instructions LLVM may use: the same
model gives byte-identical outputs at every level this machine runs, and the
default is the best level the machine has."""
import numpy as np
import pytest

from conftest import load_test_data, model_path, run_qc
from qc.compiler import TARGETS, host_arch, host_target, missing_features
from qc.runtime import CompiledModel


@pytest.mark.skipif(host_arch() != "x86-64", reason="x86-64 host targets")
@pytest.mark.parametrize("name", ["cnn_bn", "mobilenet_dw", "kws_mlp", "tiny_vit"])
def test_x86_levels_are_byte_identical(tmp_path, compiled, name):
    x, _ = load_test_data(name)
    default = CompiledModel(compiled(name))
    assert default.manifest["target"] == host_target()
    ref = default(x[:500])
    levels = [t for t in TARGETS if TARGETS[t].get("arch") == "x86-64" and not missing_features(t)]
    assert "x86-64" in levels
    for t in levels:
        if t == host_target():
            continue
        out = tmp_path / t
        run_qc("compile", model_path(name), "--calib", model_path(name, "_calib_x.npy"),
               "--target", t, "-o", out)
        y = CompiledModel(out)(x[:500])
        assert np.array_equal(ref.view(np.uint8), y.view(np.uint8)), f"{t} differs from {host_target()}"


@pytest.mark.skipif(host_arch() != "x86-64" or bool(missing_features("x86-64-avx512vnni")),
                    reason="needs an AVX-512 VNNI host")
def test_avx512_build_uses_zmm(compiled):
    asm = (compiled("cnn_bn") / "model.s").read_text()
    assert "%zmm" in asm
    base = compiled("cnn_bn")
    assert CompiledModel(base).manifest["target"] == "x86-64-avx512vnni"


def test_missing_features_refuse_to_run(tmp_path, compiled):
    """A library for CPU features this machine lacks is refused, not run."""
    import json
    import shutil
    out = tmp_path / "m"
    shutil.copytree(compiled("kws_mlp"), out)
    man = json.loads((out / "manifest.json").read_text())
    TARGETS["x86-64-imaginary"] = {"llvm": [], "cc": None, "arch": host_arch(),
                                   "needs": ["no_such_cpu_flag"]}
    try:
        man["target"] = "x86-64-imaginary"
        (out / "manifest.json").write_text(json.dumps(man))
        with pytest.raises(Exception, match="this CPU lacks no_such_cpu_flag"):
            CompiledModel(out)
    finally:
        del TARGETS["x86-64-imaginary"]


def test_static_gemm_calibrates_on_its_rows(tmp_path):
    """A model with a static first dimension M calibrates in batches of M and
    compiles the exact M x K x N product (the VNNI kernel's row blocks)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    m, k, n = 6, 40, 20
    w = rng.normal(0, 0.3, (n, k)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.zeros(n, np.float32), "b")])
    model = tmp_path / "g.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), model)
    calib = tmp_path / "c.npy"
    np.save(calib, rng.normal(size=(4, k)).astype(np.float32))
    p = run_qc("compile", model, "--calib", calib, "-o", tmp_path / "bad", check=False)
    assert p.returncode == 1 and "static first dimension 6: calibration needs at least 6 rows, got 4" in p.stderr
    np.save(calib, rng.normal(size=(20, k)).astype(np.float32))
    for t in ("x86-64", host_target()):
        run_qc("compile", model, "--calib", calib, "--target", t, "-o", tmp_path / t, "--force")
    x = rng.normal(size=(m, k)).astype(np.float32)
    ys = [CompiledModel(tmp_path / t)(x) for t in ("x86-64", host_target())]
    assert ys[0].shape == (m, n)
    assert np.array_equal(ys[0], ys[1])
    assert np.abs(ys[0] - x @ w.T).max() < 0.1 * np.abs(x @ w.T).max()


def test_concurrent_calls_are_reentrant(compiled):
    """qc_model_run is reentrant (qc_model.h): calls from two threads at once
    on distinct buffers (per-thread buffer pools, no shared state) give the
    sequential results."""
    import threading
    m = CompiledModel(compiled("cnn_bn"))
    x, _ = load_test_data("cnn_bn")
    parts = [x[:300], x[300:600]]
    want = [m(p) for p in parts]
    got = [None, None]

    def run(i):
        for _ in range(5):
            got[i] = m(parts[i])

    ts = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for g, w in zip(got, want):
        assert np.array_equal(g, w)
