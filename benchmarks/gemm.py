"""int8 GEMM through qc against the machine's measured int8 peak (issue #6).

    /usr/bin/python3 benchmarks/gemm.py [--shapes M,N,K ...] [--reps R]

Measures, in this run: the AVX-512 VNNI peak (a C loop of independent
`vpdpbusd` accumulators, 64 MACs per instruction) and, for each (M, N, K), a
one-layer ONNX Gemm (K -> N, random weights) quantized and compiled by qc,
run in process on M rows (qc's ABI loops the batch-1 program over rows, so
M > 1 is M matrix-vector products today). Prints GOPS (2 x MACs / s, median
of R timed calls) and the ratio to the peak. Not part of the test suite:
speed is measured here, never asserted.
"""
import argparse
import ctypes
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

PEAK_C = r"""
#include <immintrin.h>
#include <stdint.h>
/* n iterations of 8 independent vpdpbusd (64 u8 x s8 MACs each). */
int64_t peak(int64_t n) {
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(5);
  __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  for (int64_t i = 0; i < n; ++i) {
    c0 = _mm512_dpbusd_epi32(c0, a, b); c1 = _mm512_dpbusd_epi32(c1, a, b);
    c2 = _mm512_dpbusd_epi32(c2, a, b); c3 = _mm512_dpbusd_epi32(c3, a, b);
    c4 = _mm512_dpbusd_epi32(c4, a, b); c5 = _mm512_dpbusd_epi32(c5, a, b);
    c6 = _mm512_dpbusd_epi32(c6, a, b); c7 = _mm512_dpbusd_epi32(c7, a, b);
    __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5), "+v"(c6), "+v"(c7));
  }
  __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                               _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7)));
  return _mm512_reduce_add_epi32(s);
}
"""


def median_seconds(fn, reps):
    fn()  # warm up
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def measure_peak(work, reps):
    src, lib = work / "peak.c", work / "peak.so"
    src.write_text(PEAK_C)
    subprocess.run(["cc", "-O2", "-mavx512f", "-mavx512bw", "-mavx512vnni", "-shared", "-fPIC",
                    str(src), "-o", str(lib)], check=True)
    f = ctypes.CDLL(str(lib)).peak
    f.restype, f.argtypes = ctypes.c_int64, [ctypes.c_int64]
    n = 20_000_000
    return 2 * 8 * 64 * n / median_seconds(lambda: f(n), reps)


def qc_gemm(work, m, n, k, reps, target):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from qc.compiler import compile_model
    from qc.runtime import CompiledModel
    rng = np.random.default_rng(0)
    w = rng.normal(0, 1 / np.sqrt(k), (n, k)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1, name="gemm")], "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", n])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.zeros(n, np.float32), "b")])
    model, calib = work / f"gemm{m}x{n}x{k}.onnx", work / f"calib{k}.npy"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), str(model))
    np.save(calib, rng.normal(size=(64, k)).astype(np.float32))
    out = work / f"gemm{m}x{n}x{k}-{target}"
    compile_model(model, calib, out, force=True, log=lambda s: None, progress=False, target=target)
    run = CompiledModel(out)
    x = rng.normal(size=(m, k)).astype(np.float32)
    return 2 * m * n * k / median_seconds(lambda: run(x), reps)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shapes", nargs="*", default=["1,1024,1024", "64,1024,1024", "256,256,256",
                                                    "1024,1024,1024"], metavar="M,N,K")
    p.add_argument("--reps", type=int, default=5)
    a = p.parse_args()
    from qc.compiler import host_target
    with tempfile.TemporaryDirectory(prefix="qc-bench-") as d:
        work = Path(d)
        peak = measure_peak(work, a.reps)
        best = host_target()
        print(f"measured int8 peak (1 core, vpdpbusd): {peak / 1e9:.0f} GOPS")
        print(f"{'M x N x K':<18}{'x86-64 GOPS':>12}{best + ' GOPS':>24}{'% of peak':>11}{'speedup':>9}")
        for s in a.shapes:
            m, n, k = map(int, s.split(","))
            base = qc_gemm(work, m, n, k, a.reps, "x86-64")
            gops = qc_gemm(work, m, n, k, a.reps, best)
            print(f"{f'{m} x {n} x {k}':<18}{base / 1e9:>12.1f}{gops / 1e9:>24.1f}"
                  f"{100 * gops / peak:>10.1f}%{gops / base:>8.1f}x")


if __name__ == "__main__":
    main()
