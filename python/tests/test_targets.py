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


@pytest.mark.skipif(host_arch() != "x86-64" or bool(missing_features("x86-64-avx512vnni")),
                    reason="needs an AVX-512 VNNI host")
@pytest.mark.parametrize("seed", range(4))
def test_conv_kernels_match_generic_loops(tmp_path, seed):
    """Depthwise (stride 1 / 2 / 3, dilation, asymmetric pads, 3x3 and 5x5,
    rows of whole and partial blocks of 64 / 32 columns), 1x1 convs,
    direct convs (3x3 padded, 2x3 dilated with asymmetric pads, 3x3 and 1x1
    strided) and a gemm with odd channel and pixel counts: the VNNI build
    (depthwise, pointwise, direct conv and gemm kernels, masked and one-lane
    tails) is byte-identical to the generic loops of the baseline build, on
    1 and 2 threads."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    c = int(rng.integers(3, 11))
    # 49 and 65 pixels end in a one-lane block (LLVM 22 miscompiled one-lane
    # masked i8 stores); 8 and 16 channels fill whole channel blocks; 20
    # channels on 7 x 7 pixels (two pixel groups): the 1x1 conv's threads
    # share out channel parts of 8, the last one with the 4 left over.
    f, h, w = [(20, 7, 7), (16, 5, 13), (11, 9, 23), (8, 6, 70)][seed]
    h2, w2 = (h - 1) // 2 + 1, (w - 1) // 2 + 1
    ho, wo = (h2 - 1) // 3 + 1, (w2 - 1) // 3 + 1
    inits = []

    def const(name, a):
        inits.append(numpy_helper.from_array(a.astype(np.float32), name))
        return name
    f2 = int(rng.integers(5, 21))
    nodes = [
        # Direct conv kernel: channel counts not multiples of 4 or 8.
        helper.make_node("Conv", ["x", const("v0", rng.normal(0, 0.3, (f2, c, 3, 3))),
                                  const("c0", rng.normal(0, 0.1, f2))], ["a0"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["a0"], ["a1"]),
        helper.make_node("Conv", ["a1", const("v1", rng.normal(0, 0.3, (c, f2, 2, 3))),
                                  const("c1", rng.normal(0, 0.1, c))], ["x1"],
                         pads=[0, 2, 1, 2], dilations=[1, 2]),
        helper.make_node("Conv", ["x1", const("w0", rng.normal(0, 0.5, (c, 1, 3, 3))),
                                  const("b0", rng.normal(0, 0.1, c))], ["t0"], group=c,
                         pads=[1, 0, 1, 2], strides=[1, 1]),
        helper.make_node("Relu", ["t0"], ["r0"]),
        helper.make_node("Conv", ["r0", const("w6", rng.normal(0, 0.3, (c, 1, 5, 5))),
                                  const("b6", rng.normal(0, 0.1, c))], ["r0b"], group=c,
                         pads=[2, 2, 2, 2]),
        helper.make_node("Conv", ["r0b", const("w1", rng.normal(0, 0.5, (f, c, 1, 1))),
                                  const("b1", rng.normal(0, 0.1, f))], ["t1"]),
        helper.make_node("Conv", ["t1", const("w2", rng.normal(0, 0.5, (f, 1, 3, 3))),
                                  const("b2", rng.normal(0, 0.1, f))], ["t2"], group=f,
                         pads=[1, 1, 1, 1], strides=[2, 2]),
        # Strided direct convs (3x3 and 1x1) beside the strided depthwise one.
        helper.make_node("Conv", ["t1", const("v2", rng.normal(0, 0.2, (f, f, 3, 3))),
                                  const("c2", rng.normal(0, 0.1, f))], ["s0"],
                         pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Conv", ["t1", const("v3", rng.normal(0, 0.3, (f, f, 1, 1))),
                                  const("c3", rng.normal(0, 0.1, f))], ["s1"], strides=[2, 2]),
        helper.make_node("Add", ["t2", "s0"], ["t2a"]),
        helper.make_node("Add", ["t2a", "s1"], ["t2s"]),
        helper.make_node("Conv", ["t2s", const("w3", rng.normal(0, 0.5, (f, 1, 3, 3))),
                                  const("b3", rng.normal(0, 0.1, f))], ["t3"], group=f,
                         pads=[2, 2, 2, 2], dilations=[2, 2]),
        helper.make_node("Conv", ["t3", const("w4", rng.normal(0, 0.5, (f, 1, 3, 3))),
                                  const("b4", rng.normal(0, 0.1, f))], ["y"], group=f,
                         pads=[1, 1, 1, 1], strides=[3, 3]),
        helper.make_node("Flatten", ["y"], ["fl"]),
        # 17 outputs: the gemm kernel's last column block has one lane.
        helper.make_node("Gemm", ["fl", const("w5", rng.normal(0, 0.3, (17, f * ho * wo))),
                                  const("b5", rng.normal(0, 0.1, 17))], ["z"], transB=1),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                     ["N", c, h, w])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["N", 17])], inits)
    model = tmp_path / "g.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), model)
    calib = tmp_path / "c.npy"
    np.save(calib, rng.normal(size=(16, c, h, w)).astype(np.float32))
    for t in ("x86-64", "x86-64-avx512vnni"):
        run_qc("compile", model, "--calib", calib, "--target", t, "-o", tmp_path / t)
    asm = (tmp_path / "x86-64-avx512vnni" / "model.s").read_text()
    for k in ("qc_pw_conv", "qc_dw_conv", "qc_dc_conv", "qc_vnni_gemm"):
        assert k in asm, k
    x = rng.normal(size=(5, c, h, w)).astype(np.float32)
    ref = CompiledModel(tmp_path / "x86-64")(x)
    for threads in (1, 2):
        got = CompiledModel(tmp_path / "x86-64-avx512vnni", threads)(x)
        assert np.array_equal(ref.view(np.uint8), got.view(np.uint8))


@pytest.mark.skipif(host_arch() != "x86-64" or bool(missing_features("x86-64-avx512vnni")),
                    reason="needs an AVX-512 VNNI host")
@pytest.mark.parametrize("m,k,dtype", [(1, 8202, "int8"), (3, 8202, "int8"), (43, 8202, "int8"),
                                       (46, 8202, "int8"), (46, 300, "int8"), (1, 8202, "uint8"),
                                       (43, 8202, "uint8"), (46, 300, "uint8")])
def test_vnni_gemm_matches_numpy(tmp_path, m, k, dtype):
    """An int8 MatMulInteger on the VNNI gemm kernel against numpy: 43 rows
    (three blocks of 6, then five of 5: 43 = 18 + 25), 46 (six blocks of 6
    in two bands -- 30 rows of K bytes fill a band's 256 KiB, the second
    band is short -- then two of 5), 3 (one 3-row tile) or 1 (the single-row
    path); K = 8202 (not a multiple of 4: a tail group read with padding;
    the row sums' last 10 bytes a masked load; an odd number of 4-byte steps
    for the 2-step loop; a column group's weights too large for L1, so the
    row blocks are the outer loop, over bands of column groups: one group
    per band here, its weights past the 128 KiB band), 83 columns (a group
    of 64, then a lone 16-column block and a 3-column one), rows of -128 and of 127 (the
    extremes of the row-sum correction, in blocks of 6 and of 5), on 1 and
    2 threads. K = 300 (the group's weights in L1: the column groups are
    the outer loop) with 46 rows. A uint8 input (rows of 0 and 255, a zero
    point of 77) is vpdpbusd's unsigned operand as it is: no row sums, the
    weights unshifted, the shift's correction in the bias."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    n = 83
    b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    unsigned = dtype == "uint8"
    zp = [numpy_helper.from_array(np.array(77, np.uint8), "zp")] if unsigned else []
    g = helper.make_graph([helper.make_node("MatMulInteger", ["a", "b"] + ["zp"] * unsigned, ["y"])],
                          "mmi",
                          [helper.make_tensor_value_info(
                              "a", TensorProto.UINT8 if unsigned else TensorProto.INT8, [m, k])],
                          [helper.make_tensor_value_info("y", TensorProto.INT32, [m, n])],
                          [numpy_helper.from_array(b, "b")] + zp)
    model = tmp_path / "mmi.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), model)
    run_qc("compile", model, "--target", "x86-64-avx512vnni", "-o", tmp_path / "out")
    assert "vpdpbusd" in (tmp_path / "out" / "model.s").read_text()
    lo, hi = (0, 255) if unsigned else (-128, 127)
    a = rng.integers(lo, hi + 1, (m, k)).astype(dtype)
    a[min(1, m - 1)], a[m - 2], a[min(41, m - 1)] = lo, hi, hi
    want = (a.astype(np.int64) - 77 * unsigned) @ b.astype(np.int64)
    for threads in (1, 2):
        got = CompiledModel(tmp_path / "out", threads)(a)
        assert np.array_equal(got, want.astype(np.int32))
