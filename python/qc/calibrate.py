"""Calibration: run the float model on sample data, record per-tensor
statistics once, and choose a quantization range per tensor with any method.

Collection makes two passes over the calibration set: min / max, then a
2048-bin histogram over the symmetric interval [-m, m], m = max(|min|, |max|)
(so |x| histograms are a fold of it). Methods then choose ranges from the
stored histograms without rerunning the model:

* minmax: [min, max]; with moving_average, the mean of the per-batch
  minima and maxima (batches of 32 samples, as PyTorch's moving-average
  observer sees training batches), which discounts rare extremes;
* percentile P: the (100 - P)th and Pth percentiles;
* entropy: TensorRT's KL-divergence threshold on |x| (on x for tensors that
  are never negative, with 255 levels instead of 128);
* mse: the clipping threshold that minimizes the expected squared error of
  8-bit quantization (clipping error outside, step^2 / 12 inside).

The statistics file (JSON, documented in docs/design.md):

    {"format": "qc-stats", "version": 1, "model": "<file name>",
     "samples": <int>, "method": "<method>", "percentile": <P or null>,
     "tensors": {"<onnx tensor name>": {"min": .., "max": .., "range": [lo, hi],
                                         "hist": [2048 counts], "absmax": m}, ...}}
"""
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from . import floatref
from .errors import QCError

BINS = 2048
METHODS = ("minmax", "percentile", "entropy", "mse")


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


class Progress:
    """A one-line progress bar with an ETA on stderr, shown only on a
    terminal and only once the work has taken more than a second."""

    def __init__(self, what, total, show=True):
        self.what, self.total, self.t0 = what, total, time.monotonic()
        self.enabled = show and sys.stderr.isatty()

    def update(self, done):
        el = time.monotonic() - self.t0
        if not self.enabled or el < 1.0 or done == 0:
            return
        eta = el / max(done, 1) * (self.total - done)
        bar = "#" * int(30 * done / self.total)
        sys.stderr.write(f"\rqc: {self.what} [{bar:<30}] {done}/{self.total} ETA {eta:4.0f}s")
        if done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def collect(g, x, batch=32, progress=True):
    """Min, max (overall and per batch) and a histogram of every tensor over
    the calibration set."""
    lo, hi, hist, blo, bhi = {}, {}, {}, {}, {}

    def minmax(name, t):
        blo.setdefault(name, []).append(float(t.min()))
        bhi.setdefault(name, []).append(float(t.max()))
        lo[name] = min(lo.get(name, math.inf), blo[name][-1])
        hi[name] = max(hi.get(name, -math.inf), bhi[name][-1])

    def histogram(name, t):
        m = max(abs(lo[name]), abs(hi[name])) or 1.0
        h, _ = np.histogram(t, bins=BINS, range=(-m, m))
        hist[name] = hist.get(name, 0) + h

    if not g.batched:
        # A static model runs on whole tensors: calibrate on its exact
        # first dimension (rows left over are not used).
        batch = g.input_shape[0]
        if len(x) < batch:
            raise QCError(f"the model's input has a static first dimension {batch}: "
                          f"calibration needs at least {batch} rows, got {len(x)}")
        x = x[: len(x) // batch * batch]
    steps = list(range(0, len(x), batch))
    bar = Progress("calibrating", 2 * len(steps), progress)
    for k, observe in enumerate((minmax, histogram)):
        for j, i in enumerate(steps):
            floatref.run(g, x[i:i + batch], observe)
            bar.update(k * len(steps) + j + 1)
    tensors = {}
    for name in lo:
        if not (math.isfinite(lo[name]) and math.isfinite(hi[name])):
            raise QCError(f"tensor '{name}' reached a non-finite value during calibration")
        tensors[name] = {"min": lo[name], "max": hi[name],
                         "batch_min": blo[name], "batch_max": bhi[name],
                         "absmax": max(abs(lo[name]), abs(hi[name])) or 1.0,
                         "hist": [int(c) for c in hist[name]]}
    return tensors


# ----------------------------------------------------------------- methods

def _centers(m, bins=BINS):
    edges = np.linspace(-m, m, bins + 1)
    return (edges[:-1] + edges[1:]) / 2


def _percentile(hist, m, q):
    """The q-th percentile (0..100) of the histogrammed values."""
    cdf = np.cumsum(hist) / hist.sum()
    edges = np.linspace(-m, m, len(hist) + 1)
    i = int(np.searchsorted(cdf, q / 100.0))
    i = min(i, len(hist) - 1)
    prev = cdf[i - 1] if i else 0.0
    frac = 0.0 if cdf[i] == prev else (q / 100.0 - prev) / (cdf[i] - prev)
    return float(edges[i] + np.clip(frac, 0, 1) * (edges[i + 1] - edges[i]))


def _fold(hist):
    """Histogram of |x| (bins of width m / (BINS / 2) over [0, m])."""
    half = len(hist) // 2
    return hist[half:] + hist[:half][::-1]


def _smooth(p, eps=1e-4):
    """Moves eps of mass onto empty bins so the divergence stays finite (as
    MXNet / TVM do for TensorRT-style calibration)."""
    zero = p == 0
    nz = p.size - zero.sum()
    return p + eps * zero - (eps * zero.sum() / max(nz, 1)) * ~zero


def kl_threshold(abs_hist, levels=128, start=None):
    """TensorRT entropy calibration on a histogram of |x| over [0, m]:
    returns the bin count i (threshold = i * bin width) minimizing
    KL(P || Q), P the clipped reference, Q its `levels`-level quantization."""
    n = len(abs_hist)
    start = start or levels
    best, best_i = math.inf, n
    h = abs_hist.astype(np.float64)
    h[0] = h[1]  # exact zeros (ReLU, padding) would dominate the divergence
    for i in range(start, n + 1):
        p = h[:i].copy()
        p[i - 1] += h[i:].sum()
        # Quantize the first i bins into `levels` groups; spread each group's
        # mass evenly over its non-empty bins.
        grp = (np.arange(i) * levels) // i
        used = p > 0
        mass = np.bincount(grp, weights=h[:i], minlength=levels)
        cnt = np.bincount(grp, weights=used, minlength=levels)
        q = np.where(used, mass[grp] / np.maximum(cnt[grp], 1), 0.0)
        if q.sum() == 0:
            continue
        pn, qn = _smooth(p / p.sum()), np.maximum(_smooth(q / q.sum()), 1e-12)
        nz = pn > 0
        kl = float(np.sum(pn[nz] * np.log(pn[nz] / qn[nz])))
        if kl < best:
            best, best_i = kl, i
    return best_i


def mse_threshold(abs_hist, m, levels=255, candidates=400, nonneg=False):
    """Threshold t in (0, m] minimizing the expected squared error of
    quantizing |x| (histogram over [0, m]) to `levels` steps over [-t, t],
    or over [0, t] for a tensor that is never negative."""
    c = (np.arange(len(abs_hist)) + 0.5) * (m / len(abs_hist))
    w = abs_hist.astype(np.float64)
    best, best_t = math.inf, m
    for t in np.linspace(m / candidates, m, candidates):
        step = (t if nonneg else 2 * t) / levels
        inside = c <= t
        err = np.sum(w[inside]) * step * step / 12 + np.sum(w[~inside] * (c[~inside] - t) ** 2)
        if err < best:
            best, best_t = err, float(t)
    return best_t


def choose_range(entry, method, percentile=99.99, moving_average=False):
    """The [lo, hi] to quantize a tensor to, from its stored statistics."""
    lo, hi = entry["min"], entry["max"]
    if method == "minmax" and moving_average:
        return [float(np.mean(entry["batch_min"])), float(np.mean(entry["batch_max"]))]
    if method == "minmax" or hi <= lo:
        return [lo, hi]
    hist = np.asarray(entry["hist"], dtype=np.float64)
    m = entry["absmax"]
    if method == "percentile":
        return [max(lo, _percentile(hist, m, 100 - percentile)) if lo < 0 else lo,
                min(hi, _percentile(hist, m, percentile))]
    nonneg = lo >= 0
    absh = _fold(hist)
    bw = m / len(absh)
    if method == "entropy":
        t = kl_threshold(absh, levels=255 if nonneg else 128) * bw
    elif method == "mse":
        t = mse_threshold(absh, m, levels=255, nonneg=nonneg)
    else:
        raise QCError(f"unknown calibration method '{method}' (choose from {', '.join(METHODS)})")
    return [max(lo, -t), min(hi, t)]


def apply_method(tensors, method, percentile=99.99, moving_average=False):
    if method not in METHODS:
        raise QCError(f"unknown calibration method '{method}' (choose from {', '.join(METHODS)})")
    if method == "percentile" and not (50 < percentile <= 100):
        raise QCError(f"--percentile must be in (50, 100], got {percentile}")
    if moving_average and method != "minmax":
        raise QCError(f"--moving-average applies to --calib-method minmax, not {method}")
    for name, e in tensors.items():
        if moving_average and not e.get("batch_min"):
            raise QCError(f"tensor '{name}' has no per-batch minima and maxima; "
                          f"recalibrate with --calib for --moving-average")
        e["range"] = choose_range(e, method, percentile, moving_average)
    return tensors


# ----------------------------------------------------------------- files

def write_stats(path, model_name, samples, tensors, method="minmax", percentile=None):
    doc = {"format": "qc-stats", "version": 1, "model": model_name, "samples": samples,
           "method": method, "percentile": percentile, "tensors": tensors}
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, sort_keys=True)
    os.replace(tmp, path)


def read_stats(path):
    """A statistics file with histograms, for choosing ranges again."""
    try:
        doc = json.loads(Path(path).read_text())
        tensors = doc["tensors"]
        for name, e in tensors.items():
            if not all(k in e for k in ("min", "max", "absmax", "hist")) or len(e["hist"]) != BINS:
                raise QCError(f"statistics file '{path}': tensor '{name}' has no histogram; "
                              f"recalibrate with --calib to choose a method")
        return doc
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise QCError(f"statistics file '{path}' is unreadable or corrupt: {e}")


def cache_key(model_path, x):
    """Same model bytes and calibration data -> same statistics."""
    h = hashlib.sha256()
    h.update(b"qc-stats-v2")
    h.update(Path(model_path).read_bytes())
    h.update(np.ascontiguousarray(x).tobytes())
    h.update(repr(x.shape).encode())
    return h.hexdigest()[:32]


def cache_dir():
    base = os.environ.get("QC_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "qc")
    return Path(base)


def cached_collect(g, model_path, x, log=lambda m: None, progress=True):
    """collect() with a cache keyed by the model and the data
    (QC_CACHE_DIR, default ~/.cache/qc; QC_CACHE_DIR=off disables it)."""
    if os.environ.get("QC_CACHE_DIR") == "off":
        return collect(g, x, progress=progress)
    f = cache_dir() / f"stats-{cache_key(model_path, x)}.json"
    if f.exists():
        try:
            tensors = json.loads(f.read_text())
            log(f"reused cached statistics {f}")
            return tensors
        except ValueError:
            pass  # a corrupt cache entry is recomputed
    tensors = collect(g, x, progress=progress)
    try:
        f.parent.mkdir(parents=True, exist_ok=True)
        tmp = f.with_suffix(".tmp")
        tmp.write_text(json.dumps(tensors))
        os.replace(tmp, f)
    except OSError:
        pass  # caching is best effort
    return tensors
