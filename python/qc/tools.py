"""Locating and running the external tools of a compile (qc-opt, LLVM)."""
import os
import re
import shutil
import subprocess
from pathlib import Path

from .errors import QCError

LLVM_BIN = Path(os.environ.get("QC_LLVM_BIN", "/usr/lib/llvm-22/bin"))


def build_dir():
    env = os.environ.get("QC_BUILD_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "build"


def tool(name):
    path = build_dir() / "bin" / name if name == "qc-opt" else LLVM_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found:
        return found
    raise QCError(f"tool '{name}' not found (looked in {path.parent}); build qc first "
                  f"(see README) or set QC_BUILD_DIR")


def openmp_runtime():
    """LLVM's OpenMP runtime (libomp), which models with threads link."""
    path = LLVM_BIN.parent / "lib" / "libomp.so"
    if not path.exists():
        raise QCError(f"'{path}' not found: compiling for threads needs LLVM's OpenMP runtime "
                      f"(Debian: libomp-22-dev)")
    return path


def accel_runtime():
    """libqc_accel_rt.so, the accelerator runtime (simulator backend)."""
    path = build_dir() / "lib" / "libqc_accel_rt.so"
    if not path.exists():
        raise QCError(f"'{path}' not found; build qc first (see README) or set QC_BUILD_DIR")
    return path


_LOC = re.compile(r'loc\("((?:[^"\\]|\\.)*)"\)')


def diagnostics(stderr, kind, describe=None):
    """The `kind:` lines (error, warning, remark) of a tool's output, each
    with its tensor location turned into the ONNX node by
    `describe(tensor_name)`."""
    out = []
    for line in stderr.splitlines():
        if f"{kind}:" not in line:
            continue
        msg = line.split(f"{kind}:", 1)[1].strip()
        m = _LOC.search(line)
        where = ""
        if m:
            msg = _LOC.sub("", msg).lstrip(": ").strip()
            name = m.group(1)
            where = describe(name) if describe else f"tensor '{name}'"
        out.append(f"{where}: {msg}" if where else msg)
    return out


def first_error(stderr, describe=None):
    errors = diagnostics(stderr, "error", describe)
    if errors:
        return errors[0]
    lines = stderr.splitlines()
    return lines[-1] if lines else "unknown error"


def run(cmd, what, describe=None, notes=None):
    """Runs a tool; a failure raises its first error. With `notes`, the
    tool's warnings and remarks are passed to it, located by ONNX node."""
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise QCError(f"{what} failed: {first_error(proc.stderr, describe)}")
    if notes:
        for kind in ("warning", "remark"):
            for msg in diagnostics(proc.stderr, kind, describe):
                notes(kind, msg)
    return proc
