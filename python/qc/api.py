"""Python API: compile, call, save, load, report.

    import qc
    m = qc.compile("model.onnx", calib=x_calib)   # numpy array or .npy path
    y = m(x)                                     # float32 [N, ...] -> [N, ...]
    m.save("out/model"); m2 = qc.load("out/model")
    qc.export_qdq("model.onnx", "model.qdq.onnx", calib=x_calib)  # QDQ ONNX
    m3 = qc.compile("model.qdq.onnx")            # a QDQ model needs no calib
    print(m.report())                            # per-tensor error table

Keyword options mirror `qc compile`: calib_method ("mse" by default,
"minmax", "percentile", "entropy"), percentile, moving_average, weights ("per-channel", "per-tensor"),
activations ("asymmetric", "symmetric"), reduce_range, weight_bits (8, 4,
"auto"), group_size, size_budget (bytes, with weight_bits="auto"),
overrides (a JSON file path), activation_type ("int8", "uint8"), nonlinear ("ibert",
"lut", "float"), integer_only (fail if any float op remains), exclude (ONNX node
names or op types kept in float), report, stats (a
statistics file instead of or besides calib), quiet.
"""
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .errors import QCError


class Model:
    """A compiled qc model: call it on float32 arrays."""

    def __init__(self, directory, owned_tmp=None):
        from .runtime import CompiledModel
        self._dir = Path(directory)
        self._tmp = owned_tmp  # keeps a temporary build alive
        self._run = CompiledModel(self._dir)

    @property
    def directory(self):
        return self._dir

    @property
    def input_shape(self):
        return list(self._run.in_shape)

    @property
    def output_shape(self):
        return list(self._run.out_shape)

    def __call__(self, x):
        return self._run(np.asarray(x))

    def save(self, directory, force=False):
        """Copies the compiled model (library, header, IR, statistics) to
        `directory`; refuses to overwrite unless `force`."""
        dst = Path(directory)
        if dst.exists():
            if not force:
                raise QCError(f"'{dst}' exists (pass force=True to replace it)")
            shutil.rmtree(dst)
        shutil.copytree(self._dir, dst)
        return dst

    def report(self):
        """The per-tensor error table (compile with report=True)."""
        from . import report as rep
        f = self._dir / "report.json"
        if not f.exists():
            raise QCError("no report: compile with report=True (needs calibration inputs)")
        rows = json.loads(f.read_text())["tensors"]
        for r in rows:
            for k in ("sqnr_db", "own_sqnr_db"):
                r[k] = float("inf") if r[k] is None else r[k]
        return rep.format_table(rows)

    def __repr__(self):
        return f"qc.Model({str(self._dir)!r}, input [N, {', '.join(map(str, self.input_shape))}])"


def compile(model, calib=None, *, stats=None, calib_method=None, percentile=99.99,
            moving_average=False,
            weights="per-channel", activations="asymmetric", reduce_range=False,
            weight_bits=8, group_size=32, size_budget=None, overrides=None,
            activation_type="int8", nonlinear="ibert", integer_only=False,
            report=False, exclude=(), quiet=True):
    """Quantizes and compiles an ONNX model; returns a callable Model."""
    from .compiler import compile_model, weight_bits as weight_bits_of
    tmp = tempfile.TemporaryDirectory(prefix="qc-")
    calib_path = calib
    if calib is not None and not isinstance(calib, (str, Path)):
        calib_path = Path(tmp.name) / "calib.npy"
        np.save(calib_path, np.asarray(calib, dtype=np.float32))
    out = Path(tmp.name) / "model"
    log = (lambda m: None) if quiet else (lambda m: print(f"qc: {m}"))
    compile_model(model, calib_path, out, log=log, stats_file=stats, calib_method=calib_method,
                  percentile=percentile, moving_average=moving_average, report=report,
                  policy=dict(weights=weights, activations=activations,
                              weight_bits=weight_bits_of(str(weight_bits), reduce_range),
                              group_size=group_size, size_budget=size_budget,
                              activation_type=activation_type, nonlinear=nonlinear),
                  exclude=list(exclude), progress=not quiet, overrides_file=overrides,
                  integer_only=integer_only)
    return Model(out, owned_tmp=tmp)


def export_qdq(model, output, calib=None, *, stats=None, calib_method=None, percentile=99.99,
               moving_average=False, weights="per-channel", activations="asymmetric",
               reduce_range=False, activation_type="int8", overrides=None, force=False, quiet=True):
    """Writes the calibrated, quantized model as QDQ ONNX (`qc export-qdq`);
    returns the output path."""
    from .compiler import export_qdq as export, weight_bits as weight_bits_of
    with tempfile.TemporaryDirectory(prefix="qc-") as d:
        calib_path = calib
        if calib is not None and not isinstance(calib, (str, Path)):
            calib_path = Path(d) / "calib.npy"
            np.save(calib_path, np.asarray(calib, dtype=np.float32))
        log = (lambda m: None) if quiet else (lambda m: print(f"qc: {m}"))
        return export(model, calib_path, output, force=force, log=log, stats_file=stats,
                      calib_method=calib_method, percentile=percentile,
                      moving_average=moving_average,
                      policy=dict(weights=weights, activations=activations,
                                  weight_bits=weight_bits_of("8", reduce_range),
                                  activation_type=activation_type),
                      overrides_file=overrides, progress=not quiet)


def load(directory):
    """Loads a model saved by Model.save() or written by `qc compile`."""
    return Model(directory)
