"""QDQ ONNX: `qc export-qdq` writes the calibrated model in standard QDQ form,
and `qc compile` takes QDQ models with their scales as given. The round trip
(export, re-import without calibration, compile) must give bit-identical
outputs; the exported file's own float semantics (dequantize, float op,
quantize) must agree with the integer program to about one output step."""
import json
import re

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import model_path, run_qc, load_test_data
from qc import floatref, intref, onnx_import
from qc.runtime import CompiledModel

MODELS = ["cnn_bn", "kws_mlp", "mobilenet_dw"]


@pytest.mark.parametrize("name", MODELS + ["tiny_vit"])
def test_qdq_round_trip_is_bit_identical(name, compiled, tmp_path):
    qdq = tmp_path / f"{name}.qdq.onnx"
    p = run_qc("export-qdq", model_path(name), "--calib", model_path(name, "_calib_x.npy"), "-o", qdq)
    assert "QuantizeLinear" in p.stdout
    model = onnx.load(str(qdq))
    onnx.checker.check_model(model)
    ops = [n.op_type for n in model.graph.node]
    assert "BatchNormalization" not in ops and ops.count("QuantizeLinear") >= 3
    types = {TensorProto.INT8, TensorProto.INT32, TensorProto.FLOAT, TensorProto.UINT8}
    if name == "tiny_vit":  # shapes / axes, and 16-bit zero points (com.microsoft Q/DQ)
        types |= {TensorProto.INT64, TensorProto.INT16}
        q16 = [n for n in model.graph.node if n.domain == "com.microsoft"]
        assert {n.op_type for n in q16} == {"QuantizeLinear", "DequantizeLinear"} and len(q16) >= 20
        assert {"LayerNormalization", "Softmax", "Erf", "MatMul"} <= set(ops)
    assert all(i.data_type in types for i in model.graph.initializer)
    out = tmp_path / "o"
    p = run_qc("compile", qdq, "-o", out)  # no --calib: the file's parameters are used
    assert "used as given" in p.stdout
    x, y = load_test_data(name)
    a, b = CompiledModel(out)(x), CompiledModel(compiled(name))(x)
    np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
    assert json.loads((out / "manifest.json").read_text())["stats"] is None
    # The file means what qc computes: its float QDQ semantics (numpy) agree.
    f = floatref.run(onnx_import.import_onnx(qdq), x)
    step = [op for op in intref.load(out / "graph.json")["functions"][0]["ops"]
            if op["op"] == "qc.dequantize"][-1]["attrs"]["qtype"]["scales"][0]
    if name == "tiny_vit":  # float softmax / GELU / LayerNorm against the I-BERT kernels
        assert np.mean(f.argmax(1) == a.argmax(1)) >= 0.98
        return
    assert np.mean(f.argmax(1) == a.argmax(1)) >= 0.995
    assert np.max(np.abs(f - a)) <= 2 * step * 1.0001


def test_qdq_uint8_and_per_tensor(compiled, tmp_path):
    """uint8 activations export uint8 zero points; per-tensor weights a
    scalar scale; the round trip still matches the direct compile."""
    qdq = tmp_path / "m.qdq.onnx"
    flags = ["--activation-type", "uint8", "--weights", "per-tensor"]
    run_qc("export-qdq", model_path("cnn_bn"), "--calib", model_path("cnn_bn", "_calib_x.npy"),
           "-o", qdq, *flags)
    model = onnx.load(str(qdq))
    zps = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer if i.name.endswith("zero_point")}
    assert any(v.dtype == np.uint8 for v in zps.values())
    assert all(v.ndim == 0 for v in zps.values() if v.dtype != np.int32)  # biases stay per channel
    direct = tmp_path / "d"
    run_qc("compile", model_path("cnn_bn"), "--calib", model_path("cnn_bn", "_calib_x.npy"), "-o", direct,
           *flags)
    run_qc("compile", qdq, "-o", tmp_path / "o")
    x, _ = load_test_data("cnn_bn")
    a, b = CompiledModel(tmp_path / "o")(x[:300]), CompiledModel(direct)(x[:300])
    np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


@pytest.mark.parametrize("flags,message", [
    (["--weight-bits", "4"], "export-qdq writes 8-bit weights; --weight-bits 4"),
    (["--weight-bits", "auto", "--size-budget", "1000"], "export-qdq writes 8-bit weights"),
])
def test_export_qdq_refuses(flags, message, tmp_path):
    p = run_qc("export-qdq", model_path("cnn_bn"), "--calib", model_path("cnn_bn", "_calib_x.npy"),
               "-o", tmp_path / "m.onnx", *flags, check=False)
    assert p.returncode == 1 and message in p.stderr, p.stderr
    assert not (tmp_path / "m.onnx").exists()


def test_export_qdq_does_not_overwrite(tmp_path):
    out = tmp_path / "m.onnx"
    out.write_text("keep")
    p = run_qc("export-qdq", model_path("cnn_bn"), "--calib", model_path("cnn_bn", "_calib_x.npy"),
               "-o", out, check=False)
    assert p.returncode == 1 and "exists (pass --force" in p.stderr and out.read_text() == "keep"


# ------------------------------------------------------------ QDQ import

def qdq_gemm(path, w_axis=0, w_zp=0, q_only=False, dq_scale=0.5, activation_dq=True):
    """x -> Q/DQ -> Gemm(DQ(int8 W), DQ(int32 b)) -> Q/DQ -> y."""
    inits = [numpy_helper.from_array(np.array([[1, -2], [3, 4]], np.int8), "wq"),
             numpy_helper.from_array(np.array([0.5, 0.25], np.float32) if w_axis is not None
                                     else np.array(0.5, np.float32), "ws"),
             numpy_helper.from_array(np.full(2 if w_axis is not None else (), w_zp, np.int8), "wz"),
             numpy_helper.from_array(np.array([8, -4], np.int32), "bq"),
             numpy_helper.from_array(np.array([0.125, 0.0625], np.float32), "bs"),
             numpy_helper.from_array(np.array(0.5, np.float32), "s"),
             numpy_helper.from_array(np.array(dq_scale, np.float32), "s2"),
             numpy_helper.from_array(np.array(3, np.int8), "z"),
             numpy_helper.from_array(np.array(0.125, np.float32), "so"),
             numpy_helper.from_array(np.array(-1, np.int8), "zo")]
    ax = {} if w_axis is None else {"axis": w_axis}
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="q_in")]
    if activation_dq:
        nodes.append(helper.make_node("DequantizeLinear", ["xq", "s2", "z"], ["xd"], name="dq_in"))
    nodes += [helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["w"], name="dq_w", **ax),
              helper.make_node("DequantizeLinear", ["bq", "bs"], ["b"], name="dq_b", axis=0),
              helper.make_node("Gemm", ["xd" if activation_dq else "xq", "w", "b"], ["g"], name="gemm",
                               transB=1),
              helper.make_node("QuantizeLinear", ["g", "so", "zo"], ["gq"], name="q_out")]
    if not q_only:
        nodes.append(helper.make_node("DequantizeLinear", ["gq", "so", "zo"], ["y"], name="dq_out"))
    out = "gq" if q_only else "y"
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
                          [helper.make_tensor_value_info(out, TensorProto.INT8 if q_only else TensorProto.FLOAT,
                                                         ["N", 2])], initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    return path


def test_qdq_import_keeps_the_given_parameters(tmp_path):
    """Every scale and zero point of the file reaches the integer program;
    the output matches a hand computation with those integers."""
    out = tmp_path / "o"
    run_qc("compile", qdq_gemm(tmp_path / "m.onnx"), "-o", out)
    ir = (out / "ir" / "03-fake-to-real.mlir").read_text()
    assert "!quant.uniform<i8:f32, 5.000000e-01:3>" in ir
    # The bias (8, -4 at 0.125, 0.0625) joins the accumulator at s_in * s_w.
    assert "dense<[4, -2]> : tensor<2xi32>" in ir
    x = np.array([[1.0, -2.0], [0.3, 2.6]], np.float32)
    got = CompiledModel(out)(x)
    xq = np.clip(np.rint(x / 0.5) + 3, -128, 127) - 3                       # [[2, -4], [1, 5]]
    w = np.array([[1, -2], [3, 4]])
    acc = xq @ w.T + np.array([8, -4]) * np.array([0.125, 0.0625]) / (0.5 * np.array([0.5, 0.25]))
    real = acc * 0.5 * np.array([0.5, 0.25])
    want = (np.clip(np.rint(real / 0.125) - 1, -128, 127) + 1) * 0.125  # no ties here
    np.testing.assert_allclose(got, want.astype(np.float32), rtol=0, atol=0)


@pytest.mark.parametrize("kwargs,message", [
    (dict(q_only=True), "integer model input / output (float32 -> int8) is supported only for models compiled without"),
    (dict(dq_scale=0.75), "parameters differ from those of QuantizeLinear 'q_in'"),
    (dict(w_zp=1), "weights with a nonzero zero point are not supported"),
    (dict(w_axis=1), "weights quantized along axis 1"),
    (dict(activation_dq=False), "reads the integer output of a QuantizeLinear"),
])
def test_qdq_import_errors(kwargs, message, tmp_path):
    p = run_qc("compile", qdq_gemm(tmp_path / "m.onnx", **kwargs), "-o", tmp_path / "o", check=False)
    assert p.returncode == 1 and message in p.stderr, p.stderr
    assert "Traceback" not in p.stderr


def test_partly_quantized_model_needs_calibration(tmp_path):
    """A QDQ model whose output is not quantized: without --calib the
    compiler names the tensor it cannot quantize."""
    m = onnx.load(str(qdq_gemm(tmp_path / "m.onnx")))
    nodes = [n for n in m.graph.node if n.name not in ("q_out", "dq_out")]
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    m.graph.output[0].name = "g"
    onnx.save(m, str(tmp_path / "p.onnx"))
    p = run_qc("compile", tmp_path / "p.onnx", "-o", tmp_path / "o", check=False)
    assert p.returncode == 1 and "tensor 'g' is not quantized by the model and no statistics" in p.stderr


def test_python_api_export_and_compile(tmp_path):
    import qc
    x = np.load(model_path("kws_mlp", "_calib_x.npy"))
    path = qc.export_qdq(model_path("kws_mlp"), tmp_path / "k.qdq.onnx", calib=x)
    m = qc.compile(path)
    ref = qc.compile(model_path("kws_mlp"), calib=x)
    xt, _ = load_test_data("kws_mlp")
    np.testing.assert_array_equal(m(xt).view(np.uint32), ref(xt).view(np.uint32))


def test_float_model_without_calibration_compiles_in_float(tmp_path):
    """No --calib and no Q/DQ in the model: float32 code, said so, and the
    outputs match the numpy float reference to float rounding."""
    out = tmp_path / "o"
    p = run_qc("compile", model_path("cnn_bn"), "-o", out)
    assert "compiling it in float32" in p.stdout
    assert json.loads((out / "manifest.json").read_text())["mode"] == "float"
    x, _ = load_test_data("cnn_bn")
    got = CompiledModel(out)(x[:200])
    ref = floatref.run(onnx_import.import_onnx(model_path("cnn_bn")), x[:200])
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4)
    p = run_qc("eval", model_path("cnn_bn"), out, "--input", model_path("cnn_bn", "_test_x.npy"),
               "--labels", model_path("cnn_bn", "_test_y.npy"))
    assert re.search(r"float32 accuracy +97\.10% +\(compiled, no quantization\)", p.stdout)
    assert "(not quantized)" in p.stdout


def test_integer_model_io(tmp_path):
    """A uint8 -> uint8 model (DequantizeLinear, Relu, QuantizeLinear)
    compiles without calibration and computes ONNX's values exactly; an int8
    input read by a float op is refused."""
    inits = [numpy_helper.from_array(np.array(0.5, np.float32), "s"),
             numpy_helper.from_array(np.array(128, np.uint8), "z"),
             numpy_helper.from_array(np.array(0.25, np.float32), "so"),
             numpy_helper.from_array(np.array(10, np.uint8), "zo")]
    nodes = [helper.make_node("DequantizeLinear", ["x", "s", "z"], ["d"], name="dq"),
             helper.make_node("Relu", ["d"], ["r"], name="relu"),
             helper.make_node("QuantizeLinear", ["r", "so", "zo"], ["y"], name="q")]
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.UINT8, ["N", 4])],
                          [helper.make_tensor_value_info("y", TensorProto.UINT8, ["N", 4])], initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(tmp_path / "m.onnx"))
    run_qc("compile", tmp_path / "m.onnx", "-o", tmp_path / "o")
    x = np.arange(0, 256, 8, dtype=np.uint8).reshape(8, 4)
    got = CompiledModel(tmp_path / "o")(x)
    want = np.clip(np.rint(np.maximum((x.astype(np.float32) - 128) * 0.5, 0) / 0.25) + 10, 0, 255)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, want.astype(np.uint8))
    g2 = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "t",
                           [helper.make_tensor_value_info("x", TensorProto.INT8, ["N", 4])],
                           [helper.make_tensor_value_info("y", TensorProto.INT8, ["N", 4])])
    onnx.save(helper.make_model(g2, opset_imports=[helper.make_opsetid("", 13)]), str(tmp_path / "b.onnx"))
    p = run_qc("compile", tmp_path / "b.onnx", "-o", tmp_path / "o2", check=False)
    assert p.returncode == 1 and "only DequantizeLinear and the integer ops may read it" in p.stderr
