"""Sub-8-bit weights on the development models: int4 with per-group scales,
mixed precision under a size budget, and the per-tensor override file. Each
compiled program is checked bit for bit against the numpy integer reference
and for test accuracy against the float model."""
import json
import re

import numpy as np
import pytest

from conftest import model_path, run_qc, load_test_data
from qc import floatref, intref, onnx_import
from qc.runtime import CompiledModel

MODELS = ["cnn_bn", "kws_mlp", "mobilenet_dw"]
FLOAT_ACC = {"cnn_bn": 97.10, "kws_mlp": 87.86, "mobilenet_dw": 98.00}


def compile_model(name, out, *flags):
    return run_qc("compile", model_path(name), "--calib", model_path(name, "_calib_x.npy"),
                  "-o", out, *flags)


def check_exact_and_accuracy(name, out, bound):
    x, y = load_test_data(name)
    got = CompiledModel(out)(x)
    ref = intref.run(intref.load(out / "graph.json"), x)
    np.testing.assert_array_equal(got.view(np.uint32), ref.view(np.uint32))
    acc = np.mean(got.argmax(1) == y) * 100
    assert FLOAT_ACC[name] - acc <= bound, (name, acc)
    return acc


def weight_elements(name):
    g = onnx_import.import_onnx(model_path(name))
    return sum(g.constants[n.inputs[1]].size for n in g.nodes if n.op in ("conv2d", "gemm"))


@pytest.mark.parametrize("name", MODELS)
def test_int4_grouped_within_1_5_points(name, compiled, tmp_path):
    out = tmp_path / "o"
    p = compile_model(name, out, "--weight-bits", "4", "--group-size", "32")
    acc = check_exact_and_accuracy(name, out, 1.5)
    ir = (out / "ir" / "02-annotate.mlir").read_text()
    assert re.search(r"i4<-7:7>:f32:\{0:1, 1:(32|16|14)\}", ir)
    final = (out / "ir" / "04-fold-rescale.mlir").read_text()
    assert "tensor.extract_slice" in final and "qc.bits = 4" in final
    m4 = json.loads((out / "manifest.json").read_text())
    m8 = json.loads((compiled(name) / "manifest.json").read_text())
    assert m4["policy"]["weight_bits"] == 4
    assert m4["int_weight_bytes"] < 0.75 * m8["int_weight_bytes"]
    if name == "kws_mlp":  # its input batch norm stays a float prologue
        assert m4["float_prologue"] == ["/net/net.0/BatchNormalization"]
        assert "runs in float32 before the input quantize" in p.stdout
        floats = [l for l in final.splitlines() if "f32" in l.split(" loc(")[0]
                  and "=" in l and "arith.constant" not in l]
        # Float: the prologue, the input quantize, the output dequantize.
        assert len(floats) == 3 and "qc.batch_norm %arg0" in floats[0]
        assert "qc.quantize %0 " in floats[1] and "qc.dequantize" in floats[2]
    print(f"{name}: int4 g32 {acc:.2f}% (float {FLOAT_ACC[name]:.2f}%)")


def test_group_size_sets_the_blocks(tmp_path):
    out = tmp_path / "o"
    compile_model("cnn_bn", out, "--weight-bits", "4", "--group-size", "8", "-v")
    ir = (out / "ir" / "02-annotate.mlir").read_text()
    assert "{0:1, 1:8}" in ir and "{0:1, 1:32}" not in ir


@pytest.mark.parametrize("name", MODELS)
def test_mixed_precision_5_5_bits_within_half_a_point(name, tmp_path):
    """--weight-bits auto with a budget of 5.5 bits per weight: the chosen
    bits fit the budget and stay within 0.5 points of float."""
    out = tmp_path / "o"
    budget = weight_elements(name) * 5.5 / 8
    p = compile_model(name, out, "--weight-bits", "auto", "--size-budget", str(budget))
    assert "mixed precision:" in p.stdout and "drop dB" in p.stdout
    mp = json.loads((out / "manifest.json").read_text())["policy"]["mixed_precision"]
    assert mp["weight_bytes"] <= budget < mp["weight_bytes_at_8_bits"]
    # The size the compiler reports is the one of the compiled graph.
    doc = intref.load(out / "graph.json")
    fn = doc["functions"][0]
    consts = {op["results"][0]: op for op in fn["ops"] if op["op"] == "arith.constant"}
    packed = sum(np.prod(consts[o["operands"][1]]["attrs"]["value"]["type"]["shape"])
                 * consts[o["operands"][1]]["attrs"].get("qc.bits", 8)
                 for o in fn["ops"] if o["op"] in ("qc.conv2d", "qc.gemm")) / 8
    assert packed == mp["weight_bytes"]
    assert any(r["bits"] == 4 for r in mp["layers"])
    acc = check_exact_and_accuracy(name, out, 0.5)
    print(f"{name}: mixed 5.5 bpw {acc:.2f}% ({mp['weight_bytes']:.0f} of {budget:.0f} bytes)")


@pytest.mark.parametrize("flags,message", [
    (["--weight-bits", "auto"], "--weight-bits auto needs --size-budget BYTES"),
    (["--size-budget", "1000"], "--size-budget applies to --weight-bits auto"),
    (["--weight-bits", "auto", "--size-budget", "10"],
     "--size-budget 10 bytes is below the smallest reachable weight size"),
    (["--weight-bits", "4", "--reduce-range"], "does not combine with --weight-bits 4"),
    (["--weight-bits", "4", "--group-size", "0"], "--group-size must be a positive integer"),
])
def test_low_bit_flag_errors(flags, message, tmp_path):
    p = run_qc("compile", model_path("cnn_bn"), "--calib", model_path("cnn_bn", "_calib_x.npy"),
               "-o", tmp_path / "o", *flags, check=False)
    assert p.returncode == 1 and message in p.stderr, p.stderr
    assert not (tmp_path / "o").exists()


def test_overrides_set_bits_scheme_and_range(tmp_path):
    """One layer at 4 bits, one activation symmetric, one range fixed: each
    shows in the annotated IR, and the result stays bit-exact."""
    ov = tmp_path / "ov.json"
    ov.write_text(json.dumps({
        "/net/net.4/Gemm": {"bits": 4},
        "/net/net.3/Relu_output_0": {"range": [0.0, 8.0]},
        "/net/net.6/Relu": {"scheme": "asymmetric"},
        "input": {"scheme": "symmetric"}}))
    out = tmp_path / "o"
    compile_model("kws_mlp", out, "--overrides", ov)
    ir = (out / "ir" / "02-annotate.mlir").read_text()
    assert ir.count("i4<-7:7>") == 1
    alias = re.search(r'#(loc\d+) = loc\("/net/net.3/Relu_output_0"\)', ir).group(1)
    relu = [l for l in ir.splitlines() if "qc.fake_quant" in l and l.endswith(f"loc(#{alias})")]
    scale = float(re.search(r"f32, ([0-9.e-]+):-128>", relu[0]).group(1))
    assert scale == pytest.approx(8.0 / 255, rel=1e-6)
    stats = json.loads((out / "stats.json").read_text())
    assert stats["tensors"]["/net/net.3/Relu_output_0"]["range"] == [0.0, 8.0]
    policy = json.loads((out / "manifest.json").read_text())["policy"]
    assert policy["layer_bits"] == {"/net/net.5/BatchNormalization_output_0": 4}
    assert policy["symmetric"] == ["input"]
    check_exact_and_accuracy("kws_mlp", out, 1.5)


@pytest.mark.parametrize("doc,message", [
    ({"NoSuch": {"bits": 4}}, "entry 'NoSuch': no node or tensor of the model has this name"),
    ({"/net/net.3/Relu": {"bits": 4}}, "'bits' applies to Conv and Gemm nodes only"),
    ({"/net/net.4/Gemm": {"bits": 3}}, "bits must be 4, 7 or 8, got 3"),
    ({"/net/net.4/Gemm": {"colour": "red"}}, "expected an object with keys among bits, scheme, range"),
    ({"input": {"scheme": "odd"}}, "scheme must be symmetric or asymmetric"),
    ({"input": {"range": [2, 1]}}, "range must be [lo, hi] with finite lo < hi"),
    ({"/net/net.4/Gemm": {"range": [0, 1]}}, "this tensor is not quantized on its own"),
    ([1, 2], "must hold a JSON object of entries"),
])
def test_override_file_errors(doc, message, tmp_path):
    ov = tmp_path / "ov.json"
    ov.write_text(json.dumps(doc))
    p = run_qc("compile", model_path("kws_mlp"), "--calib", model_path("kws_mlp", "_calib_x.npy"),
               "-o", tmp_path / "o", "--overrides", ov, check=False)
    assert p.returncode == 1 and message in p.stderr, p.stderr


def test_override_file_unreadable(tmp_path):
    for content, message in ((None, "not found"), ("{not json", "is unreadable or not JSON")):
        ov = tmp_path / "ov.json"
        if content is not None:
            ov.write_text(content)
        p = run_qc("compile", model_path("kws_mlp"), "--calib", model_path("kws_mlp", "_calib_x.npy"),
                   "-o", tmp_path / "o", "--overrides", ov, check=False)
        assert p.returncode == 1 and f"override file '{ov}' {message}" in p.stderr, p.stderr


def test_uint8_activations_compute_the_same_values(compiled, tmp_path):
    """uint8 activations (zero point + 128) are annotated as u8 and computed
    in int8 storage: the outputs equal the int8 build's bit for bit."""
    out = tmp_path / "o"
    compile_model("cnn_bn", out, "--activation-type", "uint8")
    ir = (out / "ir" / "02-annotate.mlir").read_text()
    assert "!quant.uniform<u8:f32" in ir and "!quant.uniform<i8:f32" not in ir
    assert "u8" not in (out / "ir" / "04-fold-rescale.mlir").read_text().split("#loc")[0]
    x, _ = load_test_data("cnn_bn")
    a, b = CompiledModel(out)(x), CompiledModel(compiled("cnn_bn"))(x)
    np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
