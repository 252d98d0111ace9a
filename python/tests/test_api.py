"""The Python API: compile, call, save, load, report."""
import numpy as np
import pytest

import qc
from conftest import load_test_data, model_path
from qc import intref


def test_compile_call_save_load(tmp_path):
    xc = np.load(model_path("kws_mlp", "_calib_x.npy"))
    m = qc.compile(str(model_path("kws_mlp")), calib=xc, report=True)
    x, y = load_test_data("kws_mlp")
    out = m(x)
    assert out.shape == (len(x), 10) and m.input_shape == [490]
    assert abs(np.mean(out.argmax(1) == y) * 100 - 87.86) <= 0.5
    ref = intref.run(intref.load(m.directory / "graph.json"), x)
    np.testing.assert_array_equal(out.view(np.uint32), ref.view(np.uint32))
    saved = m.save(tmp_path / "saved")
    m2 = qc.load(saved)
    np.testing.assert_array_equal(m2(x[:7]), out[:7])
    assert "SQNR dB" in m.report()
    with pytest.raises(qc.QCError, match="exists"):
        m.save(tmp_path / "saved")
    m.save(tmp_path / "saved", force=True)


def test_options_match_the_cli(tmp_path):
    m = qc.compile(model_path("kws_mlp"), calib=model_path("kws_mlp", "_calib_x.npy"),
                   weights="per-tensor", calib_method="percentile", percentile=99.9)
    ir = (m.directory / "ir" / "02-annotate.mlir").read_text()
    assert "i8<-127:127>:f32, " in ir  # per-tensor weight type
    with pytest.raises(qc.QCError, match="no report"):
        m.report()


def test_api_errors_are_qcerror():
    with pytest.raises(qc.QCError, match="not found"):
        qc.compile("/nonexistent.onnx", calib=np.zeros((2, 490), np.float32))
    with pytest.raises(qc.QCError, match="contains NaN"):
        qc.compile(model_path("kws_mlp"), calib=np.full((2, 490), np.nan, np.float32))
