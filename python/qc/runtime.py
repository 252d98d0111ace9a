"""Loading and running a compiled qc model (OUTDIR) through its C ABI."""
import ctypes
import json
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
        if self.fn(x.ctypes.data, y.ctypes.data, x.shape[0]) != 0:
            raise QCError("the compiled model rejected its arguments")
        return y
