import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))
BUILD = Path(os.environ.get("QC_BUILD_DIR", REPO / "build"))
os.environ.setdefault("QC_BUILD_DIR", str(BUILD))
# Keep the calibration cache of the test run out of the user's ~/.cache.
if "QC_CACHE_DIR" not in os.environ:
    import tempfile
    os.environ["QC_CACHE_DIR"] = tempfile.mkdtemp(prefix="qc-test-cache-")
MODELS = REPO.parent / "shared" / "models"
QC = BUILD / "bin" / "qc"


def model_path(name, suffix=".onnx"):
    p = MODELS / f"{name}{suffix}"
    if not p.exists():
        pytest.fail(f"development model {p} is missing (../shared/models)")
    return p


def run_qc(*args, check=True):
    proc = subprocess.run([str(QC), *map(str, args)], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"qc {' '.join(map(str, args))} failed:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def compiled(tmp_path_factory):
    """Compiles each development model once per session."""
    cache = {}

    def get(name):
        if name not in cache:
            out = tmp_path_factory.mktemp(name) / "out"
            run_qc("compile", model_path(name), "--calib", model_path(name, "_calib_x.npy"), "-o", out)
            cache[name] = out
        return cache[name]
    return get


def load_test_data(name):
    return np.load(model_path(name, "_test_x.npy")), np.load(model_path(name, "_test_y.npy"))
