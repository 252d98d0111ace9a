"""The per-layer error report measures the compiled integer program and
points at the layer whose quantization hurts."""
import json

from conftest import model_path, run_qc

RELU6 = "/features/features.6/Relu_output_0"


def compile_report(out, *extra):
    return run_qc("compile", model_path("cnn_bn"), "--calib", model_path("cnn_bn", "_calib_x.npy"),
                  "--report", "-o", out, *extra)


def rows(out):
    doc = json.loads((out / "report.json").read_text())
    assert doc["format"] == "qc-report" and doc["samples"] == 200
    return doc["tensors"]


def test_report_covers_every_activation(tmp_path):
    p = compile_report(tmp_path / "o")
    r = rows(tmp_path / "o")
    names = {x["tensor"] for x in r}
    # input, 3 conv+relu, 2 max pools, average pool, flatten, logits
    assert len(r) == 9 and {"input", "logits", RELU6} <= names
    assert [x["own_sqnr_db"] for x in r] == sorted(x["own_sqnr_db"] for x in r)
    for x in r:
        assert x["sqnr_db"] > 20 and 0.99 < x["cosine"] <= 1.0 and x["bits"] == 8
    assert "SQNR dB" in p.stdout and RELU6 in p.stdout


def test_report_finds_the_damaged_layer(tmp_path):
    compile_report(tmp_path / "base")
    base = {x["tensor"]: x["sqnr_db"] for x in rows(tmp_path / "base")}
    doc = json.loads((tmp_path / "base" / "stats.json").read_text())
    e = doc["tensors"][RELU6]
    e["range"] = [0.0, e["max"] * 0.05]      # clip this ReLU at 5% of its range
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    compile_report(tmp_path / "bad", "--stats", tmp_path / "bad.json")
    bad = rows(tmp_path / "bad")
    # The ReLU and the max pool that shares its parameters come first, far
    # below every other tensor.
    assert {x["tensor"] for x in bad[:2]} == {RELU6, "/features/features.7/MaxPool_output_0"}
    assert bad[1]["own_sqnr_db"] < 10 < 30 < bad[2]["own_sqnr_db"]
    got = {x["tensor"]: x["sqnr_db"] for x in bad}
    assert got[RELU6] < base[RELU6] - 20
    # Layers before the damage are unchanged.
    assert got["/features/features.2/Relu_output_0"] == base["/features/features.2/Relu_output_0"]


def test_report_needs_calibration_inputs(tmp_path):
    compile_report(tmp_path / "base")
    p = run_qc("compile", model_path("cnn_bn"), "--stats", tmp_path / "base" / "stats.json",
               "--report", "-o", tmp_path / "o", check=False)
    assert p.returncode == 1 and "--report needs --calib" in p.stderr
