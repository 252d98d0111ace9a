"""Threads (issue #6): x86-64 builds share each large loop nest and the VNNI
kernel's rows out to OpenMP threads; `qc run / bench --threads T` and
qc_model_set_threads pick T. Outputs never depend on T."""
import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, load_test_data, model_path, run_qc
from qc.compiler import host_arch
from qc.runtime import CompiledModel

pytestmark = pytest.mark.skipif(host_arch() != "x86-64", reason="OpenMP builds are x86-64 only")


@pytest.mark.parametrize("name", ["cnn_bn", "mobilenet_dw", "kws_mlp", "tiny_vit"])
def test_two_threads_are_byte_identical(compiled, name):
    out = compiled(name)
    assert json.loads((out / "manifest.json").read_text())["threads"] is True
    x, _ = load_test_data(name)
    one = CompiledModel(out, 1)(x[:300])
    two = CompiledModel(out, 2)(x[:300])
    assert np.array_equal(one.view(np.uint8), two.view(np.uint8))


def test_convolutions_fork_threads(compiled):
    asm = (compiled("cnn_bn") / "model.s").read_text()
    assert "__kmpc_fork_call" in asm


# Counts the threads of a process that runs the model with T threads: T = 1
# must not start a worker, T = 2 must (libomp keeps its workers alive).
COUNT = r"""
import os, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from qc.runtime import CompiledModel
m = CompiledModel(sys.argv[2], int(sys.argv[3]))
before = len(os.listdir("/proc/self/task"))
m(np.zeros([4] + list(m.in_shape), m.in_dtype))
print(before, len(os.listdir("/proc/self/task")))
"""


@pytest.mark.parametrize("threads,extra", [(1, 0), (2, 1), (3, 2)])
def test_threads_start_workers(compiled, threads, extra):
    p = subprocess.run([sys.executable, "-c", COUNT, str(REPO / "python"), str(compiled("cnn_bn")),
                        str(threads)], capture_output=True, text=True, check=True)
    before, after = map(int, p.stdout.split())
    assert after - before == extra


def test_cli_threads(compiled, tmp_path):
    out = compiled("cnn_bn")
    x, _ = load_test_data("cnn_bn")
    np.save(tmp_path / "x.npy", x[:50])
    run_qc("run", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy", "--threads", "2")
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), CompiledModel(out)(x[:50]))
    p = run_qc("bench", out, "--threads", "2", "--seconds", "0.05")
    assert "(batch 1, 2 threads)" in p.stdout
    assert float(p.stdout.strip().splitlines()[-1].split("=")[1]) > 0
    bad = run_qc("bench", out, "--threads", "0", check=False)
    assert bad.returncode != 0 and "--threads must be at least 1, got 0" in bad.stderr


def test_aarch64_build_refuses_threads(tmp_path):
    out = tmp_path / "a64"
    run_qc("compile", model_path("kws_mlp"), "--calib", model_path("kws_mlp", "_calib_x.npy"),
           "--target", "aarch64", "-o", out)
    assert json.loads((out / "manifest.json").read_text())["threads"] is False
    x, _ = load_test_data("kws_mlp")
    np.save(tmp_path / "x.npy", x[:2])
    p = run_qc("run", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy",
               "--threads", "2", check=False)
    assert p.returncode != 0 and "without threads" in p.stderr
