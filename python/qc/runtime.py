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
    def __init__(self, outdir, threads=1):
        self.dir = Path(outdir)
        man = self.dir / "manifest.json"
        if not man.exists():
            raise QCError(f"'{outdir}' is not a compiled qc model (no manifest.json)")
        try:
            self.manifest = json.loads(man.read_text())
        except ValueError as e:
            raise QCError(f"'{man}' is corrupt: {e}")
        from .compiler import TARGETS, host_arch, missing_features
        target = self.manifest.get("target", host_arch())
        if target in TARGETS and missing_features(target):
            raise QCError(f"'{outdir}' is compiled for {target}; this CPU lacks "
                          f"{', '.join(missing_features(target))} (recompile with --target x86-64)")
        self.target = self.manifest.get("arch", target)
        self.emulated = self.target != host_arch()
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
        m = self.manifest
        self.batched = m.get("batched", True)
        lead = 1 if self.batched else 0  # a static model runs on whole tensors
        self.ins = m.get("inputs") or [m["input"]]
        self.outs = m.get("outputs") or [m["output"]]
        if not self.emulated:
            self.fn.argtypes = [ctypes.c_void_p] * (len(self.ins) + len(self.outs)) + [ctypes.c_int64]
        self.set_threads(threads)
        self.in_shapes = [e["shape"][lead:] for e in self.ins]
        self.out_shapes = [e["shape"][lead:] for e in self.outs]
        self.in_shape, self.out_shape = self.in_shapes[0], self.out_shapes[0]
        self.in_dtype = np.dtype(self.ins[0].get("dtype", "float32"))
        self.out_dtype = np.dtype(self.outs[0].get("dtype", "float32"))

    def set_threads(self, threads):
        """Threads the following calls share each large layer out to."""
        if threads < 1:
            raise QCError(f"--threads must be at least 1, got {threads}")
        if threads == 1:
            if not self.emulated and hasattr(self.lib, "qc_model_set_threads"):
                self.lib.qc_model_set_threads(1)
            return
        if self.emulated or not self.manifest.get("threads"):
            raise QCError(f"'{self.dir}' was compiled for {self.manifest.get('target')} without "
                          f"threads (no OpenMP runtime for that target): run it with 1 thread")
        self.lib.qc_model_set_threads.argtypes = [ctypes.c_int]
        if self.lib.qc_model_set_threads(threads) != 0:
            raise QCError(f"the compiled model refused {threads} threads")

    def __call__(self, *xs):
        """Runs the model: one array per input, in graph order; returns the
        output array, or a tuple of them for several outputs."""
        if len(xs) != len(self.ins):
            raise QCError(f"the model takes {len(self.ins)} input(s) "
                          f"({', '.join(e['name'] for e in self.ins)}), got {len(xs)}")
        args, batch = [], None
        for e, shape, x in zip(self.ins, self.in_shapes, xs):
            x = np.asarray(x)
            want = np.dtype(e.get("dtype", "float32"))
            if x.dtype != want:
                raise QCError(f"input '{e['name']}' has dtype {x.dtype}, the model takes {want}")
            if not self.batched:
                if list(x.shape) != list(shape):
                    raise QCError(f"input '{e['name']}' has shape {list(x.shape)}, the model takes "
                                  f"exactly {list(shape)} (static shapes)")
                x = x[None]
            elif x.ndim != len(shape) + 1 or list(x.shape[1:]) != list(shape):
                raise QCError(f"input has shape {list(x.shape)}, the model takes "
                              f"[N, {', '.join(map(str, shape))}]")
            if batch is not None and len(x) != batch:
                raise QCError(f"inputs have different batch sizes ({batch} and {len(x)})")
            batch = len(x)
            args.append(np.ascontiguousarray(x))
        ys = [np.empty([batch] + list(shape), dtype=np.dtype(e.get("dtype", "float32")))
              for e, shape in zip(self.outs, self.out_shapes)]
        if self.emulated:
            self._emulate(args, ys, batch)
        else:
            rc = self.fn(*[a.ctypes.data for a in args + ys], batch)
            if rc == 2:
                raise QCError("an accelerator region failed (the simulator's message is above)")
            if rc != 0:
                raise QCError("the compiled model rejected its arguments")
        if not self.batched:
            ys = [y[0] for y in ys]
        return ys[0] if len(ys) == 1 else tuple(ys)

    def accel_stats(self):
        """Simulated accelerator cycles since load: {cycles, init_cycles,
        submits}; None for a model without accelerator regions."""
        if "accel_runtime" not in self.manifest:
            return None
        rt = ctypes.CDLL(str(self.dir / self.manifest["accel_runtime"]))
        prog = self.lib.qc_accel_program
        prog.restype = ctypes.c_void_p
        h = prog()
        if not h:
            return None
        out = {}
        for key, fn in (("cycles", "qc_accel_cycles"), ("init_cycles", "qc_accel_init_cycles"),
                        ("submits", "qc_accel_submits")):
            f = getattr(rt, fn)
            f.restype, f.argtypes = ctypes.c_int64, [ctypes.c_void_p]
            out[key] = f(h)
        return out

    def _emulate(self, xs, ys, batch):
        with tempfile.TemporaryDirectory(prefix="qc-run-") as d:
            ins = [Path(d) / f"in{k}.bin" for k in range(len(xs))]
            outs = [Path(d) / f"out{k}.bin" for k in range(len(ys))]
            for p, x in zip(ins, xs):
                p.write_bytes(x.tobytes())
            p = subprocess.run([self.qemu, "-L", f"/usr/{self.target}-linux-gnu",
                                str(self.dir / "qc_run"), *map(str, ins + outs), str(batch)],
                               capture_output=True, text=True)
            if p.returncode != 0:
                raise QCError(f"{self.target} model under qemu failed: {p.stderr.strip()}")
            for p, y in zip(outs, ys):
                y[...] = np.frombuffer(p.read_bytes(), dtype=y.dtype).reshape(y.shape)
