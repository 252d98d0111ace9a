"""ONNX importer: supported models, float fidelity, clear errors."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import BUILD, model_path, load_test_data
from qc import floatref, onnx_import
from qc.errors import QCError

FLOAT_ACC = {"cnn_bn": 97.10, "kws_mlp": 87.86, "mobilenet_dw": 98.00}


@pytest.mark.parametrize("name", sorted(FLOAT_ACC))
def test_float_reference_matches_published_accuracy(name):
    g = onnx_import.import_onnx(model_path(name))
    x, y = load_test_data(name)
    yf = np.concatenate([floatref.run(g, x[i:i + 500]) for i in range(0, len(x), 500)])
    assert abs(np.mean(yf.argmax(1) == y) * 100 - FLOAT_ACC[name]) < 0.06


@pytest.mark.parametrize("name", sorted(FLOAT_ACC))
def test_mlir_verifies_and_keeps_tensor_names(name, tmp_path):
    g = onnx_import.import_onnx(model_path(name))
    text = onnx_import.to_mlir(g)
    f = tmp_path / "m.mlir"
    f.write_text(text)
    res = subprocess.run([str(BUILD / "bin" / "qc-opt"), str(f), "--mlir-print-debuginfo"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    for node in g.nodes:
        assert f'loc("{node.output}")' in res.stdout
    assert 'loc("input")' in res.stdout


def _model(nodes, inits=(), in_shape=(1, 4), out_shape=(1, 4), in_name="x", out_name="y",
           in_type=TensorProto.FLOAT):
    graph = helper.make_graph(
        nodes, "t", [helper.make_tensor_value_info(in_name, in_type, list(in_shape))],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, list(out_shape))],
        initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _save(tmp_path, model, name="m.onnx"):
    p = tmp_path / name
    onnx.save(model, str(p))
    return p


def _err(path):
    with pytest.raises(QCError) as e:
        onnx_import.import_onnx(path)
    return str(e.value)


def test_unsupported_op_names_node_and_type(tmp_path):
    m = _model([helper.make_node("Sigmoid", ["x"], ["y"], name="my_sigmoid")])
    msg = _err(_save(tmp_path, m))
    assert "my_sigmoid" in msg and "Sigmoid" in msg and "unsupported" in msg


def test_truncated_model(tmp_path):
    data = model_path("kws_mlp").read_bytes()
    p = tmp_path / "trunc.onnx"
    p.write_bytes(data[: len(data) // 3])
    assert "not a valid ONNX model" in _err(p) or "fails the ONNX checker" in _err(p)


def test_random_bytes(tmp_path):
    p = tmp_path / "rand.onnx"
    p.write_bytes(np.random.default_rng(0).bytes(1000))
    msg = _err(p)
    assert "rand.onnx" in msg


def test_missing_file(tmp_path):
    assert "not found" in _err(tmp_path / "nope.onnx")


def test_weight_not_initializer(tmp_path):
    w = helper.make_tensor_value_info("w", TensorProto.FLOAT, [2, 1, 1, 1])
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="c0")], "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2]), w],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 2, 2])])
    p = _save(tmp_path, helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]))
    msg = _err(p)
    # A second graph input is fine (several inputs bind in order), but a
    # conv weight must be constant.
    assert "node 'c0' (Conv): weight must be an initializer" in msg


def test_conv_weight_missing(tmp_path):
    m = _model([helper.make_node("Conv", ["x", "w"], ["y"], name="c0")],
               in_shape=(1, 1, 2, 2), out_shape=(1, 2, 2, 2))
    msg = _err(_save(tmp_path, m))
    # The ONNX checker or qc names the missing tensor.
    assert "w" in msg


def test_dynamic_spatial_dim(tmp_path):
    m = _model([helper.make_node("Relu", ["x"], ["y"], name="r")], in_shape=("batch", "len"))
    msg = _err(_save(tmp_path, m))
    assert "dynamic dimension 1" in msg


def test_conv_group_mismatch(tmp_path):
    w = numpy_helper.from_array(np.ones((4, 3, 1, 1), np.float32), "w")
    m = _model([helper.make_node("Conv", ["x", "w"], ["y"], name="c0", group=2)], inits=[w],
               in_shape=(1, 4, 2, 2), out_shape=(1, 4, 2, 2))
    msg = _err(_save(tmp_path, m))
    assert "c0" in msg and "group" in msg


def test_gemm_normalization_matches_onnx_semantics(tmp_path):
    """transB = 0, alpha and beta are folded into the constants."""
    rng = np.random.default_rng(1)
    b = rng.standard_normal((4, 3)).astype(np.float32)
    c = rng.standard_normal(3).astype(np.float32)
    m = _model([helper.make_node("Gemm", ["x", "b", "c"], ["y"], name="g", alpha=0.5, beta=2.0)],
               inits=[numpy_helper.from_array(b, "b"), numpy_helper.from_array(c, "c")],
               out_shape=(1, 3))
    g = onnx_import.import_onnx(_save(tmp_path, m))
    x = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(floatref.run(g, x), 0.5 * x @ b + 2.0 * c, rtol=1e-5, atol=1e-5)
