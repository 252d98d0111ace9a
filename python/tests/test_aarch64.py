"""--target aarch64: cross-compiled with aarch64-linux-gnu-gcc, run under
qemu-aarch64, bit-identical to the x86-64 build of the same model."""
import json
import re

import numpy as np
import pytest

from conftest import model_path, run_qc, load_test_data
from qc.runtime import CompiledModel


@pytest.mark.parametrize("name", ["cnn_bn", "kws_mlp", "mobilenet_dw", "tiny_vit"])
def test_aarch64_bit_identical_to_x86(name, compiled, tmp_path):
    out = tmp_path / "a64"
    run_qc("compile", model_path(name), "--calib", model_path(name, "_calib_x.npy"),
           "--target", "aarch64", "-o", out)
    man = json.loads((out / "manifest.json").read_text())
    assert man["target"] == "aarch64"
    x, y = load_test_data(name)
    x = x[:500]
    got = CompiledModel(out)(x)  # qemu-aarch64
    ref = CompiledModel(compiled(name))(x)
    np.testing.assert_array_equal(got.view(np.uint32), ref.view(np.uint32))
    asm = (out / "model.s").read_text()
    # Every model has a gemm or a group-1 conv: their MACs run on the sdot
    # kernel (the AArch64 twin of the VNNI kernel), bit-identical to x86.
    assert re.search(r"\bsdot\b", asm)
    # qc run goes through the same emulation.
    np.save(tmp_path / "x.npy", x[:7])
    run_qc("run", out, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy")
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy").view(np.uint32), ref[:7].view(np.uint32))
