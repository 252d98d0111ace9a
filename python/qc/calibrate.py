"""Calibration: run the float model on sample data, record per-tensor stats.

The statistics file (JSON) is documented in docs/design.md:

    {"format": "qc-stats", "version": 1, "model": "<file name>",
     "samples": <int>, "method": "minmax",
     "tensors": {"<onnx tensor name>": {"min": <float>, "max": <float>,
                                         "range": [<lo>, <hi>]}, ...}}

`range` is the interval the annotate pass quantizes to (min-max here).
"""
import json
import math
import os

import numpy as np

from . import floatref
from .errors import QCError


def load_calibration(path, g):
    try:
        x = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise QCError(f"calibration file '{path}' not found")
    except Exception as e:
        raise QCError(f"calibration file '{path}' is not a readable .npy array: {e}")
    if x.dtype.kind not in "fiu":
        raise QCError(f"calibration data '{path}' has dtype {x.dtype}, expected numbers")
    want = tuple(g.input_shape[1:])
    if x.ndim != len(g.input_shape) or x.shape[1:] != want:
        raise QCError(f"calibration data '{path}' has shape {list(x.shape)}, "
                      f"model input '{g.input_name}' needs [N, {', '.join(map(str, want))}]")
    if x.shape[0] == 0:
        raise QCError(f"calibration data '{path}' is empty")
    if not np.all(np.isfinite(x)):
        raise QCError(f"calibration data '{path}' contains NaN or Inf")
    return x.astype(np.float32)


def collect(g, x, batch=64):
    """Min/max of every tensor over the calibration set."""
    lo, hi = {}, {}

    def observe(name, t):
        lo[name] = min(lo.get(name, math.inf), float(t.min()))
        hi[name] = max(hi.get(name, -math.inf), float(t.max()))

    for i in range(0, len(x), batch):
        floatref.run(g, x[i:i + batch], observe)
    tensors = {}
    for name in lo:
        if not (math.isfinite(lo[name]) and math.isfinite(hi[name])):
            raise QCError(f"tensor '{name}' reached a non-finite value during calibration")
        tensors[name] = {"min": lo[name], "max": hi[name], "range": [lo[name], hi[name]]}
    return tensors


def write_stats(path, model_name, samples, tensors):
    doc = {"format": "qc-stats", "version": 1, "model": model_name, "samples": samples,
           "method": "minmax", "tensors": tensors}
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    os.replace(tmp, path)
