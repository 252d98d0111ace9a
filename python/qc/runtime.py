"""Loading and running a compiled qc model (OUTDIR) through its C ABI; a
model compiled for another architecture runs its `qc_run` program under
qemu user emulation instead."""
import ctypes
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .errors import QCError


class CompiledModel:
    def __init__(self, outdir):
        self.dir = Path(outdir)
        man = self.dir / "manifest.json"
        if not man.exists():
            raise QCError(f"'{outdir}' is not a compiled qc model (no manifest.json)")
        try:
            self.manifest = json.loads(man.read_text())
        except ValueError as e:
            raise QCError(f"'{man}' is corrupt: {e}")
        from .compiler import host_target
        self.target = self.manifest.get("target", host_target())
        self.emulated = self.target != host_target()
        if self.emulated:
            self.qemu = shutil.which(f"qemu-{self.target}")
            if self.qemu is None:
                raise QCError(f"'{outdir}' is compiled for {self.target}: running it here needs "
                              f"qemu-{self.target} (Debian: qemu-user)")
        else:
            lib = self.dir / self.manifest["library"]
            try:
                self.lib = ctypes.CDLL(str(lib))
            except OSError as e:
                raise QCError(f"cannot load '{lib}': {e}")
            self.fn = self.lib.qc_model_run
            self.fn.restype = ctypes.c_int
            self.fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
        self.in_shape = self.manifest["input"]["shape"][1:]
        self.out_shape = self.manifest["output"]["shape"][1:]
        self.in_dtype = np.dtype(self.manifest["input"].get("dtype", "float32"))
        self.out_dtype = np.dtype(self.manifest["output"].get("dtype", "float32"))

    def __call__(self, x):
        x = np.asarray(x)
        if x.dtype != self.in_dtype:
            raise QCError(f"input has dtype {x.dtype}, the model takes {self.in_dtype}")
        if x.ndim != len(self.in_shape) + 1 or list(x.shape[1:]) != list(self.in_shape):
            raise QCError(f"input has shape {list(x.shape)}, the model takes "
                          f"[N, {', '.join(map(str, self.in_shape))}]")
        x = np.ascontiguousarray(x)
        y = np.empty([x.shape[0]] + list(self.out_shape), dtype=self.out_dtype)
        if self.emulated:
            return self._emulate(x, y)
        if self.fn(x.ctypes.data, y.ctypes.data, x.shape[0]) != 0:
            raise QCError("the compiled model rejected its arguments")
        return y

    def _emulate(self, x, y):
        with tempfile.TemporaryDirectory(prefix="qc-run-") as d:
            xin, yout = Path(d) / "in.bin", Path(d) / "out.bin"
            xin.write_bytes(x.tobytes())
            p = subprocess.run([self.qemu, "-L", f"/usr/{self.target}-linux-gnu",
                                str(self.dir / "qc_run"), str(xin), str(yout), str(x.shape[0])],
                               capture_output=True, text=True)
            if p.returncode != 0:
                raise QCError(f"{self.target} model under qemu failed: {p.stderr.strip()}")
            y[...] = np.frombuffer(yout.read_bytes(), dtype=y.dtype).reshape(y.shape)
        return y
