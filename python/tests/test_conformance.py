"""ONNX's own node tests (Debian libonnx-testdata) through `qc conformance`:
the quantization tests qc supports pass exactly, every float node test of an
imported op that passed once keeps passing, and every failure has a reason."""
import re
from pathlib import Path

import pytest

from conftest import run_qc

DATA = Path("/usr/share/libonnx-testdata/data")

QUANT_PASS = {
    "test_quantizelinear", "test_quantizelinear_axis", "test_dequantizelinear",
    "test_dequantizelinear_axis", "test_matmulinteger", "test_convinteger_with_padding",
    "test_convinteger_without_padding", "test_basic_convinteger", "test_qlinearmatmul_2D",
    "test_qlinearmatmul_3D", "test_qlinearconv", "test_dynamicquantizelinear",
    "test_dynamicquantizelinear_expanded", "test_dynamicquantizelinear_max_adjusted",
    "test_dynamicquantizelinear_max_adjusted_expanded", "test_dynamicquantizelinear_min_adjusted",
    "test_dynamicquantizelinear_min_adjusted_expanded"}
FLOAT_OPS = ("Conv,BatchNormalization,Relu,Clip,MaxPool,AveragePool,GlobalAveragePool,Flatten,Gemm,"
             "Tanh,Add,Identity,MatMul,Mul,Sub,Div,Erf,Softmax,LayerNormalization,Reshape,Transpose,"
             "Gather,ReduceMean,Pow,Sqrt,Slice,ReduceSum,Constant")


def run(*args):
    if not (DATA / "node").is_dir():
        pytest.fail(f"{DATA} is missing: scripts/setup.sh installs libonnx-testdata")
    p = run_qc("conformance", *args, check=False)
    lines = p.stdout.strip().splitlines()
    assert re.fullmatch(r"\d+ passed, \d+ failed", lines[-1]), p.stdout[-500:] + p.stderr
    results = {}
    for l in lines[:-1]:
        m = re.fullmatch(r"(PASS|FAIL) (test_\w+): (.+)", l)
        assert m, l
        results[m.group(2)] = (m.group(1), m.group(3))
    assert "internal error" not in p.stdout + p.stderr and "Traceback" not in p.stderr
    passed, failed = map(int, re.findall(r"\d+", lines[-1]))
    assert passed + failed == len(results)
    assert p.returncode == (1 if failed else 0)
    return results


def test_quantization_node_tests():
    res = run()
    missing = {t for t in QUANT_PASS if res.get(t, ("FAIL",))[0] != "PASS"}
    assert not missing, {t: res.get(t) for t in missing}
    # All of ONNX's quantization node tests in the Debian suite pass.
    assert set(res) == QUANT_PASS and all(s == "PASS" for s, _ in res.values()), res
    print("\n".join(f"{s} {t}: {w}" for t, (s, w) in sorted(res.items())))


def test_float_node_tests_of_imported_ops():
    res = run("--filter", ".", "--ops", FLOAT_OPS)
    passed = {t for t, (s, _) in res.items() if s == "PASS"}
    # The floor measured (issue #3 notes): 73 at first; 148 with static
    # shapes, several inputs / outputs, Slice, ReduceSum, any-axis Flatten and
    # LayerNormalization (with Mean / InvStdDev), tensor exponents.
    assert len(passed) >= 148, sorted(passed)
    for t in ("test_layer_normalization_4d_axis1", "test_flatten_axis0", "test_pow_bcast_array",
              "test_basic_conv_with_padding", "test_conv_with_strides_and_asymmetric_padding",
              "test_batchnorm_example", "test_gemm_default_vector_bias", "test_globalaveragepool",
              "test_maxpool_2d_pads", "test_relu", "test_clip", "test_tanh", "test_conv_with_autopad_same",
              "test_maxpool_2d_same_lower", "test_averagepool_2d_same_upper", "test_averagepool_2d_pads",
              "test_softmax_example", "test_erf", "test_sqrt", "test_reduce_mean_keepdims_example",
              "test_matmul_2d", "test_transpose_all_permutations_0", "test_div_bcast"):
        assert res.get(t, ("FAIL",))[0] == "PASS", (t, res.get(t))
