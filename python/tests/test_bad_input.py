"""Bad-input catalogue: every case runs the real `qc` command and checks the
exit code and the one-line message (no traceback, no signal)."""
import json
import os
import signal
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import QC, model_path, run_qc

KWS = "kws_mlp"


def onnx_model(path, nodes, inits=(), in_shape=(1, 4), out_shape=(1, 4), opset=13):
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape))],
                          initializer=list(inits))
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), str(path))
    return path


def fails(*args, code=1):
    p = run_qc(*args, check=False)
    assert p.returncode == code, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("qc: error: "), p.stderr
    return lines[0]


def compile_args(tmp_path, model=None, calib=None):
    model = model or model_path(KWS)
    if calib is None:
        calib = model_path(KWS, "_calib_x.npy")
    return ["compile", model, "--calib", calib, "-o", tmp_path / "out"]


def calib(tmp_path, arr, name="c.npy"):
    np.save(tmp_path / name, arr)
    return tmp_path / name


# ---------------------------------------------------------------- models

def test_truncated_onnx(tmp_path):
    p = tmp_path / "t.onnx"
    data = model_path(KWS).read_bytes()
    p.write_bytes(data[: len(data) // 3])
    msg = fails(*compile_args(tmp_path, p))
    assert "t.onnx" in msg and ("not a valid ONNX model" in msg or "ONNX checker" in msg)


def test_random_bytes_onnx(tmp_path):
    p = tmp_path / "r.onnx"
    p.write_bytes(np.random.default_rng(0).bytes(4096))
    assert "r.onnx" in fails(*compile_args(tmp_path, p))


def test_missing_model(tmp_path):
    assert "not found" in fails(*compile_args(tmp_path, tmp_path / "none.onnx"))


def test_unknown_op(tmp_path):
    m = onnx_model(tmp_path / "m.onnx", [helper.make_node("Softsign", ["x"], ["y"], name="odd_node")])
    msg = fails(*compile_args(tmp_path, m, calib(tmp_path, np.zeros((2, 4), np.float32))))
    assert "node 'odd_node' (Softsign): unsupported op type 'Softsign'" in msg


def test_dynamic_dimension(tmp_path):
    m = onnx_model(tmp_path / "m.onnx", [helper.make_node("Relu", ["x"], ["y"], name="r")],
                   in_shape=("batch", "len"), out_shape=("batch", "len"))
    msg = fails(*compile_args(tmp_path, m, calib(tmp_path, np.zeros((2, 4), np.float32))))
    assert "dynamic dimension 1 ('len')" in msg


def test_mismatched_add_shapes(tmp_path):
    w = numpy_helper.from_array(np.ones((3, 4), np.float32), "w")
    m = onnx_model(tmp_path / "m.onnx",
                   [helper.make_node("Gemm", ["x", "w"], ["g"], name="fc", transB=1),
                    helper.make_node("Add", ["x", "g"], ["y"], name="add0")], inits=[w])
    msg = fails(*compile_args(tmp_path, m, calib(tmp_path, np.zeros((2, 4), np.float32))))
    assert "add0" in msg and "[1, 4] and [1, 3] do not broadcast" in msg


def test_gemm_reduction_mismatch(tmp_path):
    w = numpy_helper.from_array(np.ones((4, 5), np.float32), "w")
    m = onnx_model(tmp_path / "m.onnx", [helper.make_node("Gemm", ["x", "w"], ["y"], name="fc", transB=1)],
                   inits=[w], out_shape=(1, 4))
    msg = fails(*compile_args(tmp_path, m, calib(tmp_path, np.zeros((2, 4), np.float32))))
    assert "fc" in msg and "K = 5" in msg


def test_conv_group_mismatch(tmp_path):
    w = numpy_helper.from_array(np.ones((4, 3, 1, 1), np.float32), "w")
    m = onnx_model(tmp_path / "m.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="c0", group=2)],
                   inits=[w], in_shape=(1, 4, 2, 2), out_shape=(1, 4, 2, 2))
    msg = fails(*compile_args(tmp_path, m, calib(tmp_path, np.zeros((2, 4, 2, 2), np.float32))))
    assert "c0" in msg and "group 2" in msg


def test_unsupported_attribute(tmp_path):
    m = onnx_model(tmp_path / "m.onnx",
                   [helper.make_node("MaxPool", ["x"], ["y"], name="mp", kernel_shape=[2, 2], ceil_mode=1)],
                   in_shape=(1, 1, 4, 4), out_shape=(1, 1, 2, 2))
    msg = fails(*compile_args(tmp_path, m, calib(tmp_path, np.zeros((2, 1, 4, 4), np.float32))))
    assert "node 'mp' (MaxPool): ceil_mode = 1 is not supported" in msg


def test_accumulator_overflow(tmp_path):
    """K = 70000 with int8 weights of 127: the compiler proves the int32
    accumulator could overflow and refuses, naming the layer."""
    w = numpy_helper.from_array(np.ones((1, 70000), np.float32), "w")
    m = onnx_model(tmp_path / "m.onnx", [helper.make_node("Gemm", ["x", "w"], ["y"], name="huge_fc", transB=1)],
                   inits=[w], in_shape=(1, 70000), out_shape=(1, 1))
    c = calib(tmp_path, np.random.default_rng(0).uniform(0, 1, (4, 70000)).astype(np.float32))
    msg = fails(*compile_args(tmp_path, m, c))
    assert "node 'huge_fc' (Gemm)" in msg and "int32 accumulator may overflow" in msg


# ---------------------------------------------------------------- calibration

def test_calibration_nan(tmp_path):
    c = np.zeros((4, 490), np.float32)
    c[1, 3] = np.nan
    assert "contains NaN or Inf" in fails(*compile_args(tmp_path, calib=calib(tmp_path, c)))


def test_calibration_inf(tmp_path):
    c = np.zeros((4, 490), np.float32)
    c[0, 0] = np.inf
    assert "contains NaN or Inf" in fails(*compile_args(tmp_path, calib=calib(tmp_path, c)))


def test_calibration_empty(tmp_path):
    assert "is empty" in fails(*compile_args(tmp_path, calib=calib(tmp_path, np.zeros((0, 490), np.float32))))


def test_calibration_wrong_shape(tmp_path):
    msg = fails(*compile_args(tmp_path, calib=calib(tmp_path, np.zeros((4, 7), np.float32))))
    assert "[4, 7]" in msg and "[N, 490]" in msg


def test_calibration_not_npy(tmp_path):
    (tmp_path / "c.npy").write_bytes(b"definitely not numpy")
    assert "not a readable .npy array" in fails(*compile_args(tmp_path, calib=tmp_path / "c.npy"))


def test_calibration_missing(tmp_path):
    msg = fails(*compile_args(tmp_path, calib=tmp_path / "none.npy"))
    assert "calibration file" in msg and "not found" in msg
    assert not (tmp_path / "out").exists()


def test_constant_tensor_zero_range(tmp_path):
    """An all-constant activation (zero range) and all-zero weights are not
    errors, and the bias still comes through: the compiled output equals the
    float one to one output step."""
    b = numpy_helper.from_array(np.array([0.5, -0.25], np.float32), "b")
    w = numpy_helper.from_array(np.zeros((2, 4), np.float32), "w")
    m = onnx_model(tmp_path / "m.onnx", [helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc", transB=1)],
                   inits=[w, b], out_shape=(1, 2))
    c = calib(tmp_path, np.zeros((3, 4), np.float32))
    run_qc(*compile_args(tmp_path, m, c))
    x = calib(tmp_path, np.zeros((2, 4), np.float32), "x.npy")
    run_qc("run", tmp_path / "out", "--input", x, "--output", tmp_path / "y.npy")
    y = np.load(tmp_path / "y.npy")
    np.testing.assert_allclose(y, [[0.5, -0.25]] * 2, atol=2.0 / 255)


# ---------------------------------------------------------------- statistics

def stats_args(tmp_path, stats):
    return ["compile", model_path(KWS), "--stats", stats, "-o", tmp_path / "out"]


def test_stats_missing(tmp_path):
    assert "statistics file" in fails(*stats_args(tmp_path, tmp_path / "none.json"))


def test_stats_corrupt(tmp_path):
    (tmp_path / "s.json").write_text('{"tensors": ')
    msg = fails(*stats_args(tmp_path, tmp_path / "s.json"))
    assert "s.json' is not valid JSON" in msg


def test_stats_missing_tensor(tmp_path, compiled):
    doc = json.loads((compiled(KWS) / "stats.json").read_text())
    name = "/net/net.3/Relu_output_0"
    del doc["tensors"][name]
    (tmp_path / "s.json").write_text(json.dumps(doc))
    msg = fails(*stats_args(tmp_path, tmp_path / "s.json"))
    assert "node '/net/net.3/Relu' (Relu)" in msg
    assert f"no statistics for tensor '{name}'" in msg


def test_stats_not_finite(tmp_path, compiled):
    doc = json.loads((compiled(KWS) / "stats.json").read_text())
    doc["tensors"]["input"] = {"min": "nan", "max": 1.0}
    (tmp_path / "s.json").write_text(json.dumps(doc))
    assert "are missing, not finite or inverted" in fails(*stats_args(tmp_path, tmp_path / "s.json"))


# ---------------------------------------------------------------- run time

def test_run_wrong_shape(compiled, tmp_path):
    x = calib(tmp_path, np.zeros((2, 491), np.float32), "x.npy")
    msg = fails("run", compiled(KWS), "--input", x, "--output", tmp_path / "y.npy")
    assert "[2, 491]" in msg and "[N, 490]" in msg


def test_run_wrong_dtype(compiled, tmp_path):
    x = calib(tmp_path, np.zeros((2, 490), np.float64), "x.npy")
    assert "dtype float64" in fails("run", compiled(KWS), "--input", x, "--output", tmp_path / "y.npy")


def test_run_missing_input(compiled, tmp_path):
    assert "not found" in fails("run", compiled(KWS), "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")


def test_run_not_a_model(tmp_path):
    x = calib(tmp_path, np.zeros((2, 490), np.float32), "x.npy")
    assert "not a compiled qc model" in fails("run", tmp_path, "--input", x, "--output", tmp_path / "y.npy")


def test_run_corrupt_manifest(compiled, tmp_path):
    import shutil
    d = tmp_path / "copy"
    shutil.copytree(compiled(KWS), d)
    (d / "manifest.json").write_text("{")
    x = calib(tmp_path, np.zeros((2, 490), np.float32), "x.npy")
    assert "manifest.json' is corrupt" in fails("run", d, "--input", x, "--output", tmp_path / "y.npy")


# ---------------------------------------------------------------- output directory

def test_outdir_exists(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "precious.txt").write_text("user data")
    assert "exists (use --force to replace it)" in fails(*compile_args(tmp_path))
    assert "not a qc output directory" in fails(*compile_args(tmp_path), "--force")
    assert (tmp_path / "out" / "precious.txt").read_text() == "user data"


def test_outdir_unwritable(tmp_path):
    (tmp_path / "file").write_text("")
    args = compile_args(tmp_path)
    args[-1] = tmp_path / "file" / "out"
    assert "cannot create" in fails(*args)


def test_interrupted_compile_leaves_nothing_valid(tmp_path):
    """SIGINT in the middle of a compile: OUTDIR never appears half-written."""
    env = dict(os.environ, QC_STAGE_DELAY="2")
    # A suite started in the background by a non-interactive shell inherits
    # SIGINT ignored, and so would the compile: give it the default back.
    p = subprocess.Popen([str(QC), *map(str, compile_args(tmp_path))], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    import time
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1 and "qc: interrupted" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert [f for f in tmp_path.iterdir() if "partial" in f.name] == []


# ---------------------------------------------------------------- determinism

def test_compile_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        run_qc("compile", model_path("cnn_bn"), "--calib", model_path("cnn_bn", "_calib_x.npy"), "-o", d)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
