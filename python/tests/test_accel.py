"""The etpu accelerator target (docs/accelerator.md): placement with reasons,
byte-identical outputs against the CPU target (the command streams run in
the checking simulator), estimator cycles equal to simulated cycles."""
import json
import shutil
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import BUILD, load_test_data, model_path, run_qc
from qc.errors import QCError
from qc.runtime import CompiledModel

CNNS = ("cnn_bn", "mobilenet_dw")


@pytest.fixture(scope="session")
def accel(tmp_path_factory):
    """Compiles a development model for an accelerator target once."""
    cache = {}

    def get(name, target="etpu", keep_slow=False):
        key = (name, target, keep_slow)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"{name}-{target}") / "out"
            extra = ["--accel-keep-slow"] if keep_slow else []
            proc = run_qc("compile", model_path(name), "--calib", model_path(name, "_calib_x.npy"),
                          "--target", target, *extra, "-o", out)
            cache[key] = (out, proc.stdout + proc.stderr)
        return cache[key]
    return get


def report(out):
    return json.loads((out / "accel-report.json").read_text())


def check_identical(cpu_dir, accel_dir, x):
    cpu, acc = CompiledModel(cpu_dir), CompiledModel(accel_dir)
    a, b = cpu(x), acc(x)
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), \
        f"{int((a != b).sum())} of {a.size} outputs differ from the CPU target"
    return acc


def check_report(out, acc, samples):
    rep = report(out)
    for op in rep["ops"]:
        assert op["placement"] in ("accel", "cpu")
        if op["placement"] == "cpu":
            assert op["reasons"], f"CPU op {op['name']} has no reason"
        else:
            assert not op["reasons"] and op["region"]
    s = rep["summary"]
    stats = acc.accel_stats()
    if s["regions"]:
        # The compiler's estimate is the simulator's count, per submit.
        assert stats["submits"] == samples * s["regions"]
        assert stats["cycles"] == samples * s["cycles"]
    return rep


@pytest.mark.parametrize("name,n", [("cnn_bn", 300), ("mobilenet_dw", 150)])
def test_cnns_on_the_accelerator(compiled, accel, name, n):
    out, log = accel(name)
    x, _ = load_test_data(name)
    acc = check_identical(compiled(name), out, x[:n])
    rep = check_report(out, acc, n)
    s = rep["summary"]
    assert s["mac_fraction_on_accel"] >= 0.99
    assert s["regions"] == 1
    # Only the float boundary ops stay on the CPU.
    assert all(op["op"] == "other" for op in rep["ops"] if op["placement"] == "cpu")
    assert "accelerator: " in log and "MACs (100.00%)" in log


def test_slow_region_goes_back_with_its_reason(compiled, accel):
    """kws_mlp's batch-1 matmuls: the cost model finds the CPU faster."""
    out, log = accel("kws_mlp")
    x, _ = load_test_data("kws_mlp")
    check_identical(compiled("kws_mlp"), out, x)
    rep = report(out)
    mm = [op for op in rep["ops"] if op["op"] == "matmul"]
    assert mm and all(op["placement"] == "cpu" for op in mm)
    assert all(op["reasons"][0].startswith("ACCEL-COST: region of 5 op(s)") for op in mm)
    assert "(DMA included) >= CPU model" in mm[0]["reasons"][0]
    assert "ACCEL-COST x5" in log


@pytest.mark.parametrize("name,n", [("cnn_bn", 8), ("mobilenet_dw", 6), ("kws_mlp", 40)])
def test_tiny_config(compiled, accel, name, n):
    """The 4x4 configuration: partial tiles, channel groups, streamed weights."""
    out, _ = accel(name, "etpu-tiny", keep_slow=True)
    x, _ = load_test_data(name)
    acc = check_identical(compiled(name), out, x[:n])
    rep = check_report(out, acc, n)
    assert rep["summary"]["mac_fraction_on_accel"] == 1.0
    assert rep["summary"]["wb_streamed_bytes"] > 0


def mid_model(path):
    """conv -> relu -> Transpose (no etpu form) -> conv -> relu -> pool -> gemm."""
    rng = np.random.RandomState(0)
    init = lambda n, a: numpy_helper.from_array(a.astype(np.float32), n)
    nodes = [helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("Transpose", ["r1"], ["t"], perm=[0, 1, 3, 2]),
             helper.make_node("Conv", ["t", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c2"], ["r2"]),
             helper.make_node("GlobalAveragePool", ["r2"], ["g"]),
             helper.make_node("Flatten", ["g"], ["f"]),
             helper.make_node("Gemm", ["f", "w3", "b3"], ["logits"], transB=1)]
    g = helper.make_graph(
        nodes, "mid", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 2, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 4])],
        [init("w1", rng.randn(6, 2, 3, 3) * 0.3), init("b1", rng.randn(6) * 0.1),
         init("w2", rng.randn(8, 6, 3, 3) * 0.2), init("b2", rng.randn(8) * 0.1),
         init("w3", rng.randn(4, 8) * 0.5), init("b3", rng.randn(4) * 0.1)])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    x = rng.randn(24, 2, 8, 8).astype(np.float32)
    np.save(path.with_suffix(".npy"), x)
    return x


def residual_model(path, seed):
    """A random small residual network: conv / depthwise / pool layers with
    quantized adds (the eltwise path), max and average pools, a gemm head."""
    rng = np.random.RandomState(seed)
    c, hw = int(rng.choice([3, 4, 8])), int(rng.choice([6, 8, 9]))
    inits, nodes, k = [], [], [0]

    def const(a):
        k[0] += 1
        inits.append(numpy_helper.from_array(a.astype(np.float32), f"p{k[0]}"))
        return f"p{k[0]}"

    def node(op, ins, **attrs):
        k[0] += 1
        nodes.append(helper.make_node(op, ins, [f"t{k[0]}"], **attrs))
        return f"t{k[0]}"

    def conv(x, cin, cout, kk, group=1, stride=1):
        w = const(rng.randn(cout, cin // group, kk, kk) * 0.4)
        return node("Conv", [x, w, const(rng.randn(cout) * 0.1)], pads=[kk // 2] * 4,
                    group=group, strides=[stride, stride])

    x = node("Relu", [conv("input", 2, c, 3)])
    for _ in range(int(rng.randint(2, 4))):
        y = node("Relu", [conv(x, c, c, int(rng.choice([1, 3])))])
        y = conv(y, c, c, 3, group=c) if rng.rand() < 0.5 else conv(y, c, c, 1)
        x = node("Relu", [node("Add", [x, y])])
    if rng.rand() < 0.5:
        x = node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
    x = node("Flatten", [node("GlobalAveragePool", [x])])
    nodes.append(helper.make_node("Gemm", [x, const(rng.randn(5, c)), const(rng.randn(5))],
                                  ["logits"], transB=1))
    g = helper.make_graph(
        nodes, "res", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 2, hw, hw])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 5])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), path)
    x = rng.randn(16, 2, hw, hw).astype(np.float32)
    np.save(path.with_suffix(".npy"), x)
    return x


@pytest.mark.parametrize("seed", range(6))
def test_random_residual_networks(tmp_path, seed):
    """Random residual networks (adds, depthwise, pools): everything maps,
    both configurations are byte-identical to the CPU, the estimate is the
    simulated count, and no op is left without a reason."""
    model = tmp_path / "res.onnx"
    x = residual_model(model, seed)
    run_qc("compile", model, "--calib", model.with_suffix(".npy"), "-o", tmp_path / "cpu")
    for target in ("etpu", "etpu-tiny"):
        out = tmp_path / target
        run_qc("compile", model, "--calib", model.with_suffix(".npy"), "--target", target,
               "--accel-keep-slow", "-o", out)
        acc = check_identical(tmp_path / "cpu", out, x)
        rep = check_report(out, acc, len(x))
        assert rep["summary"]["mac_fraction_on_accel"] == 1.0
        assert any(op["op"] == "add" and op["placement"] == "accel" for op in rep["ops"])


@pytest.mark.parametrize("target", ["etpu", "etpu-tiny"])
def test_unsupported_op_in_the_middle(tmp_path, target):
    """The ops after an unsupported one stay on the accelerator."""
    model = tmp_path / "mid.onnx"
    x = mid_model(model)
    run_qc("compile", model, "--calib", model.with_suffix(".npy"), "-o", tmp_path / "cpu")
    run_qc("compile", model, "--calib", model.with_suffix(".npy"), "--target", target,
           "--accel-keep-slow", "-o", tmp_path / "acc")
    acc = check_identical(tmp_path / "cpu", tmp_path / "acc", x)
    rep = check_report(tmp_path / "acc", acc, len(x))
    by = {op["name"]: op for op in rep["ops"]}
    assert by["t"]["placement"] == "cpu"
    assert by["t"]["reasons"] == ["ACCEL-OP-UNSUPPORTED: 'tosa.transpose' has no etpu form"]
    assert by["c1"]["placement"] == by["c2"]["placement"] == by["logits"]["placement"] == "accel"
    assert by["c1"]["region"] != by["c2"]["region"]
    assert rep["summary"]["regions"] == 2 and rep["summary"]["cpu_to_accel_transitions"] == 2


def test_simulator_tool_agrees_with_the_report(accel):
    out, _ = accel("mobilenet_dw")
    proc = subprocess.run([str(BUILD / "bin" / "qc-accel"), "sim", str(out / "accel.qcx")],
                          capture_output=True, text=True, check=True)
    cycles = {r["name"]: r["cycles"] for r in report(out)["regions"]}
    got = dict(line.split()[1:3] for line in proc.stdout.splitlines())
    assert {k: int(v.split("=")[1]) for k, v in got.items()} == cycles
    dis = subprocess.run([str(BUILD / "bin" / "qc-accel"), "disasm", str(out / "accel.qcx")],
                         capture_output=True, text=True, check=True).stdout
    assert "vec_depthwise" in dis and "mxu_tile" in dis and "im2col" in dis


def test_corrupt_command_stream(tmp_path, accel):
    out, _ = accel("cnn_bn")
    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    data = (bad / "accel.qcx").read_bytes()
    (bad / "accel.qcx").write_bytes(data[: len(data) // 2])
    x, _ = load_test_data("cnn_bn")
    with pytest.raises(QCError, match="accelerator region failed"):
        CompiledModel(bad)(x[:1])
    proc = subprocess.run([str(BUILD / "bin" / "qc-accel"), "disasm", str(bad / "accel.qcx")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "truncated" in proc.stderr
