"""CLI contract: documented flags, one-line errors, no tracebacks."""
import numpy as np
import pytest

from conftest import model_path, run_qc


def test_help_documents_every_flag():
    top = run_qc("--help").stdout
    for cmd in ["compile", "run", "eval"]:
        assert cmd in top
    comp = run_qc("compile", "--help").stdout
    for flag in ["--calib", "-o", "--force", "--quiet"]:
        assert flag in comp
    r = run_qc("run", "--help").stdout
    for flag in ["--input", "--output"]:
        assert flag in r


def _fails(*args):
    p = run_qc(*args, check=False)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("qc: error: "), p.stderr
    return lines[0]


def test_missing_model(tmp_path):
    assert "not found" in _fails("compile", tmp_path / "x.onnx", "--calib", tmp_path / "c.npy",
                                 "-o", tmp_path / "o")


def test_missing_calibration(tmp_path):
    msg = _fails("compile", model_path("kws_mlp"), "--calib", tmp_path / "c.npy", "-o", tmp_path / "o")
    assert "calibration file" in msg and "not found" in msg
    assert not (tmp_path / "o").exists()


def test_calibration_wrong_shape(tmp_path):
    np.save(tmp_path / "c.npy", np.zeros((4, 7), np.float32))
    msg = _fails("compile", model_path("kws_mlp"), "--calib", tmp_path / "c.npy", "-o", tmp_path / "o")
    assert "[4, 7]" in msg and "490" in msg


def test_calibration_nan(tmp_path):
    c = np.zeros((4, 490), np.float32)
    c[1, 3] = np.nan
    np.save(tmp_path / "c.npy", c)
    assert "NaN" in _fails("compile", model_path("kws_mlp"), "--calib", tmp_path / "c.npy",
                           "-o", tmp_path / "o")


def test_calibration_empty(tmp_path):
    np.save(tmp_path / "c.npy", np.zeros((0, 490), np.float32))
    assert "empty" in _fails("compile", model_path("kws_mlp"), "--calib", tmp_path / "c.npy",
                             "-o", tmp_path / "o")


def test_outdir_exists_needs_force(compiled, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "precious.txt").write_text("user data")
    args = ["compile", model_path("kws_mlp"), "--calib", model_path("kws_mlp", "_calib_x.npy"), "-o", out]
    assert "exists" in _fails(*args)
    assert "not a qc output directory" in _fails(*args, "--force")
    assert (out / "precious.txt").exists()


def test_run_wrong_dtype_and_shape(compiled, tmp_path):
    out = compiled("kws_mlp")
    np.save(tmp_path / "x.npy", np.zeros((2, 490), np.float64))
    assert "float32" in _fails("run", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    np.save(tmp_path / "x.npy", np.zeros((2, 491), np.float32))
    assert "[2, 491]" in _fails("run", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")


def test_run_not_a_model(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 490), np.float32))
    assert "not a compiled qc model" in _fails("run", tmp_path, "--input", tmp_path / "x.npy",
                                                "--output", tmp_path / "y.npy")


def test_unsupported_op_error_names_node(tmp_path):
    import onnx
    from onnx import TensorProto, helper
    g = helper.make_graph([helper.make_node("Softsign", ["x"], ["y"], name="odd_node")], "t",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(tmp_path / "m.onnx"))
    np.save(tmp_path / "c.npy", np.zeros((2, 4), np.float32))
    msg = _fails("compile", tmp_path / "m.onnx", "--calib", tmp_path / "c.npy", "-o", tmp_path / "o")
    assert "odd_node" in msg and "Softsign" in msg
