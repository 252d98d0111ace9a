"""Calibration methods on synthetic distributions with known answers, the
statistics file, the cache, and choosing ranges again from stored histograms."""
import json

import numpy as np
import pytest

from conftest import model_path, run_qc
from qc import calibrate as cal

RNG = np.random.default_rng(7)


def entry(x):
    m = float(np.abs(x).max())
    h, _ = np.histogram(x, bins=cal.BINS, range=(-m, m))
    return {"min": float(x.min()), "max": float(x.max()), "absmax": m, "hist": h.tolist()}


LAPLACE = entry(RNG.laplace(0, 1, 2_000_000))
UNIFORM = entry(RNG.uniform(-1, 1, 1_000_000))
NORMAL = entry(RNG.normal(0, 1, 2_000_000))
EXPONENTIAL = entry(RNG.exponential(1, 2_000_000))
OUTLIERS = entry(np.concatenate([RNG.normal(0, 1, 1_000_000), [80.0, -75.0]]))


def test_minmax_is_the_observed_range():
    assert cal.choose_range(NORMAL, "minmax") == [NORMAL["min"], NORMAL["max"]]


def test_mse_laplace_matches_aciq():
    """8-bit MSE-optimal clipping of Laplace(b) is 9.89 b (Banner et al., ACIQ)."""
    lo, hi = cal.choose_range(LAPLACE, "mse")
    assert hi == pytest.approx(9.89, rel=0.04) and lo == -hi


def test_mse_one_sided_exponential():
    """A ReLU-like tensor (Exp(1), never negative) gets all 255 steps on
    [0, t]: the threshold minimizes (t/255)^2/12 * P(x < t) + 2 e^-t, the
    closed-form error of Exp(1), here minimized on a fine grid."""
    t = np.linspace(1, 20, 200_001)
    want = t[np.argmin((t / 255) ** 2 / 12 * (1 - np.exp(-t)) + 2 * np.exp(-t))]
    lo, hi = cal.choose_range(EXPONENTIAL, "mse")
    assert lo == EXPONENTIAL["min"] and hi == pytest.approx(want, rel=0.04)


def test_mse_uniform_keeps_the_full_range():
    """Clipping a uniform distribution only adds error: the optimum is the max."""
    _, hi = cal.choose_range(UNIFORM, "mse")
    assert hi == pytest.approx(1.0, abs=0.01)


def test_percentile_of_normal():
    lo, hi = cal.choose_range(NORMAL, "percentile", percentile=99.0)
    assert hi == pytest.approx(2.3263, rel=0.01)   # z_0.99
    assert lo == pytest.approx(-2.3263, rel=0.01)


def test_entropy_uniform_keeps_the_full_range():
    _, hi = cal.choose_range(UNIFORM, "entropy")
    assert hi == pytest.approx(1.0, abs=0.01)


def test_entropy_and_mse_clip_outliers():
    """Two far outliers (80, -75) on N(0, 1): entropy and MSE clip them away,
    min-max does not."""
    assert cal.choose_range(OUTLIERS, "minmax")[1] == 80.0
    for method in ("entropy", "mse"):
        lo, hi = cal.choose_range(OUTLIERS, method)
        assert 3.3 < hi < 25 and -25 < lo < -3.3, (method, lo, hi)


def test_entropy_nonnegative_tensor_uses_unsigned_levels():
    x = np.maximum(RNG.normal(0, 1, 1_000_000), 0)
    lo, hi = cal.choose_range(entry(x), "entropy")
    assert lo == 0.0 and 1.5 < hi <= x.max()


def test_bad_method_and_percentile():
    from qc.errors import QCError
    with pytest.raises(QCError, match="unknown calibration method 'kl'"):
        cal.apply_method({"a": dict(NORMAL)}, "kl")
    with pytest.raises(QCError, match="--percentile must be in"):
        cal.apply_method({"a": dict(NORMAL)}, "percentile", 30)


@pytest.mark.parametrize("method", cal.METHODS)
def test_cli_methods_and_stats_reuse(method, tmp_path, monkeypatch):
    """Each method compiles a model; the statistics file keeps histograms so
    a later compile can choose another method without calibrating again."""
    monkeypatch.setenv("QC_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "o"
    run_qc("compile", model_path("kws_mlp"), "--calib", model_path("kws_mlp", "_calib_x.npy"),
           "--calib-method", method, "-o", out)
    doc = json.loads((out / "stats.json").read_text())
    assert doc["method"] == method and doc["samples"] == 200
    e = doc["tensors"]["input"]
    assert len(e["hist"]) == cal.BINS and e["min"] <= e["range"][0] <= e["range"][1] <= e["max"]
    assert len(list((tmp_path / "cache").glob("stats-*.json"))) == 1
    again = tmp_path / "again"
    run_qc("compile", model_path("kws_mlp"), "--stats", out / "stats.json", "--calib-method", "minmax",
           "-o", again)
    doc2 = json.loads((again / "stats.json").read_text())
    assert all(v["range"] == [v["min"], v["max"]] for v in doc2["tensors"].values())


def test_cache_hit_gives_identical_statistics(tmp_path, monkeypatch):
    monkeypatch.setenv("QC_CACHE_DIR", str(tmp_path / "cache"))
    args = ["compile", model_path("kws_mlp"), "--calib", model_path("kws_mlp", "_calib_x.npy")]
    first = run_qc(*args, "-o", tmp_path / "a")
    second = run_qc(*args, "-o", tmp_path / "b")
    assert "reused cached statistics" not in first.stdout
    assert "reused cached statistics" in second.stdout
    assert (tmp_path / "a" / "stats.json").read_bytes() == (tmp_path / "b" / "stats.json").read_bytes()


def test_moving_average_minmax_averages_batch_extremes():
    """Per-batch extremes 1..4 (one batch with an outlier of 40): the moving
    average is their mean, min-max is the outlier."""
    e = dict(NORMAL, batch_min=[-1.0, -2.0, -3.0, -4.0], batch_max=[1.0, 2.0, 3.0, 40.0])
    assert cal.choose_range(e, "minmax", moving_average=True) == [-2.5, 11.5]
    with pytest.raises(cal.QCError, match="applies to --calib-method minmax"):
        cal.apply_method({"t": e}, "mse", moving_average=True)
    with pytest.raises(cal.QCError, match="tensor 't' has no per-batch"):
        cal.apply_method({"t": NORMAL}, "minmax", moving_average=True)
