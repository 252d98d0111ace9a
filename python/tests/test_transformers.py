"""tiny_vit (opset 17 and its opset-13 LayerNorm decomposition) imports and
compiles in float32 through TOSA: the compiled program matches the numpy
float reference; quantizing it is refused with the first op that quantization
does not support yet (integer transformer kernels: issue #5)."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import model_path, run_qc, load_test_data
from qc import floatref, onnx_import
from qc.runtime import CompiledModel


@pytest.mark.parametrize("name", ["tiny_vit", "tiny_vit_opset13"])
def test_tiny_vit_float_compile_matches_reference(name, tmp_path):
    out = tmp_path / "o"
    run_qc("compile", model_path(name), "-o", out)
    x, y = load_test_data("tiny_vit")
    got = CompiledModel(out)(x)
    ref = floatref.run(onnx_import.import_onnx(model_path(name)), x[:300])
    # float32 sums in another order, erf from libm vs math.erf: logits agree
    # to about 1e-5 of their magnitude (measured max 2.5e-6).
    np.testing.assert_allclose(got[:300], ref, rtol=0, atol=1e-4)
    acc = np.mean(got.argmax(1) == y) * 100
    assert abs(acc - 94.85) < 0.06, acc  # ../shared/models/README.md float accuracy


def test_tiny_vit_quantization_names_the_missing_op(tmp_path):
    p = run_qc("compile", model_path("tiny_vit"), "--calib", model_path("tiny_vit", "_calib_x.npy"),
               "-o", tmp_path / "o", check=False)
    assert p.returncode == 1
    assert "node '/Reshape' (Reshape): op 'tosa.reshape' is not supported by quantization" in p.stderr


def _save(path, nodes, inits, in_shape, out_shape):
    g = helper.make_graph(nodes, "t", [helper.make_tensor_value_info("x", TensorProto.FLOAT, in_shape)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
                          initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_constants_may_not_span_the_batch_dimension(tmp_path):
    """The library loops over dimension 0: a constant that broadcasts over
    it, or an output whose dimension 0 is not the batch, would make the
    compiled ABI wrong, so both are refused."""
    c = numpy_helper.from_array(np.ones((3, 4), np.float32), "c")
    m = _save(tmp_path / "a.onnx", [helper.make_node("Add", ["x", "c"], ["y"], name="add")], [c],
              ["N", 4], ["N", 4])
    p = run_qc("compile", m, "-o", tmp_path / "o", check=False)
    assert p.returncode == 1 and "would broadcast over dimension 0" in p.stderr
    s = numpy_helper.from_array(np.array([4, -1], np.int64), "s")
    m = _save(tmp_path / "b.onnx", [helper.make_node("Reshape", ["x", "s"], ["y"], name="r")], [s],
              ["N", 2, 2], [4, 1])
    p = run_qc("compile", m, "-o", tmp_path / "o", check=False)
    assert p.returncode == 1 and "has size 4 in dimension 0" in p.stderr


def test_tensor_op_import_errors(tmp_path):
    e = numpy_helper.from_array(np.array([2.0, 3.0], np.float32), "e")
    m = _save(tmp_path / "p.onnx", [helper.make_node("Pow", ["x", "e"], ["y"], name="pow")], [e],
              ["N", 2], ["N", 2])
    p = run_qc("compile", m, "-o", tmp_path / "o", check=False)
    assert p.returncode == 1 and "node 'pow' (Pow): only a constant scalar exponent" in p.stderr
    m = _save(tmp_path / "s.onnx", [helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)], [],
              ["N", 2, 3], ["N", 2, 3])
    p = run_qc("compile", m, "-o", tmp_path / "o", check=False)
    assert p.returncode == 1 and "only softmax over the last axis" in p.stderr
