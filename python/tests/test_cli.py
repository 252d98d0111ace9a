"""CLI contract: every flag documented."""
import re

import numpy as np

from conftest import run_qc


def test_help_documents_every_flag():
    top = run_qc("--help").stdout
    for cmd in ["compile", "run", "eval"]:
        assert cmd in top
    comp = run_qc("compile", "--help").stdout
    for flag in ["--calib", "--stats", "-o", "--force", "--quiet"]:
        assert flag in comp
    r = run_qc("run", "--help").stdout
    for flag in ["--input", "--output"]:
        assert flag in r
    e = run_qc("eval", "--help").stdout
    for flag in ["--input", "--labels"]:
        assert flag in e


def test_no_command_prints_help():
    p = run_qc(check=False)
    assert p.returncode == 1 and "usage: qc" in p.stdout


def test_verbose_shows_pass_remarks_with_the_onnx_node(tmp_path):
    """A bias too large for int32 at s_in * s_w: annotate raises the weight
    scale; --verbose shows that remark located at the ONNX node, and the
    compiled model still reproduces the large output."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    w = numpy_helper.from_array(np.ones((2, 4), np.float32), "w")
    b = numpy_helper.from_array(np.array([0.5, 3e6], np.float32), "b")
    g = helper.make_graph([helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="big_bias_fc", transB=1)],
                          "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], initializer=[w, b])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(tmp_path / "m.onnx"))
    x = np.random.default_rng(0).uniform(0, 1, (8, 4)).astype(np.float32)
    np.save(tmp_path / "c.npy", x)
    args = ["compile", tmp_path / "m.onnx", "--calib", tmp_path / "c.npy", "-o", tmp_path / "o"]
    quiet = run_qc(*args)
    assert "qc: remark:" not in quiet.stdout
    loud = run_qc(*args, "--force", "-v")
    assert ("remark: node 'big_bias_fc' (Gemm): weight scale of output channel 1 raised"
            in loud.stdout)
    run_qc("run", tmp_path / "o", "--input", tmp_path / "c.npy", "--output", tmp_path / "y.npy")
    y = np.load(tmp_path / "y.npy")
    ref = x @ np.ones((4, 2)) + [0.5, 3e6]
    step = 3e6 / 255  # the output's quantization step
    assert np.max(np.abs(y[:, 1] - ref[:, 1])) <= step


def test_bench_prints_the_median_last(compiled):
    p = run_qc("bench", compiled("kws_mlp"), "--batch", "2", "--seconds", "0.2")
    last = p.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"median_ms=\d+\.\d+", last) and float(last.split("=")[1]) > 0
    assert re.search(r"runs +\d+ \(batch 2, 1 thread\)", p.stdout)
    bad = run_qc("bench", compiled("kws_mlp"), "--batch", "0", check=False)
    assert bad.returncode == 1 and "--batch must be at least 1" in bad.stderr


def test_run_binds_several_inputs_and_outputs_in_graph_order(tmp_path):
    """qc run --input A --input B --output Y0 --output Y1 ...: a static model
    (fixed first dimension) with two inputs and three outputs of their own
    dtypes (DynamicQuantizeLinear: uint8, float32 scalar, uint8 scalar)."""
    import onnx
    from onnx import TensorProto, helper
    nodes = [helper.make_node("Add", ["a", "b"], ["s"], name="add"),
             helper.make_node("DynamicQuantizeLinear", ["s"], ["q", "scale", "zp"], name="dq")]
    g = helper.make_graph(nodes, "t",
                          [helper.make_tensor_value_info(n, TensorProto.FLOAT, [3, 4]) for n in "ab"],
                          [helper.make_tensor_value_info("q", TensorProto.UINT8, [3, 4]),
                           helper.make_tensor_value_info("scale", TensorProto.FLOAT, []),
                           helper.make_tensor_value_info("zp", TensorProto.UINT8, [])])
    m = tmp_path / "m.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(m))
    out = tmp_path / "o"
    run_qc("compile", m, "-o", out)
    header = (out / "qc_model.h").read_text()
    assert ("int qc_model_run(const float *input0, const float *input1, uint8_t *output0, "
            "float *output1, uint8_t *output2, int64_t batch);") in header
    rng = np.random.default_rng(0)
    a, b = (rng.normal(size=(3, 4)).astype(np.float32) for _ in range(2))
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "b.npy", b)
    ys = [tmp_path / f"y{k}.npy" for k in range(3)]
    run_qc("run", out, "--input", tmp_path / "a.npy", "--input", tmp_path / "b.npy",
           *[x for y in ys for x in ("--output", y)])
    q, scale, zp = (np.load(y) for y in ys)
    # ONNX's definition, in float32 (onnx/backend/test/case/node/dynamicquantizelinear.py).
    s = a + b
    lo, hi = np.minimum(np.float32(0), s.min()), np.maximum(np.float32(0), s.max())
    want_scale = np.float32((hi - lo) / np.float32(255))
    want_zp = np.uint8(np.clip(np.rint((np.float32(0) - lo) / want_scale), 0, 255))
    want_q = np.clip(np.rint(s / want_scale) + want_zp, 0, 255).astype(np.uint8)
    assert q.dtype == np.uint8 and scale.dtype == np.float32 and zp.dtype == np.uint8
    assert scale.shape == () and zp.shape == ()
    assert scale == want_scale and zp == want_zp
    np.testing.assert_array_equal(q, want_q)
    p = run_qc("run", out, "--input", tmp_path / "a.npy", "--output", ys[0], check=False)
    assert p.returncode == 1 and "the model has 2 input(s) (a, b): give --input 2 time(s), got 1" in p.stderr
    p = run_qc("run", out, "--input", tmp_path / "a.npy", "--input", tmp_path / "a.npy",
               "--output", ys[0], check=False)
    assert p.returncode == 1 and "the model has 3 output(s) (q, scale, zp)" in p.stderr
    np.save(tmp_path / "c.npy", np.zeros((2, 4), np.float32))
    p = run_qc("run", out, "--input", tmp_path / "c.npy", "--input", tmp_path / "b.npy",
               *[x for y in ys for x in ("--output", y)], check=False)
    assert p.returncode == 1 and "exactly [3, 4] (static shapes)" in p.stderr
