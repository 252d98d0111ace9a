"""int8 GEMM through qc against the machine's measured int8 peak (issue #6).

    /usr/bin/python3 benchmarks/gemm.py [--shapes M,N,K ...] [--reps R] [--rounds N]

Measures, in this run: the AVX-512 VNNI peak (a C loop of 16 independent
`vpdpbusd` accumulators, 64 MACs per instruction) and, for each (M, N, K):
  * qc int8 GEMM: an ONNX MatMulInteger ([M,K] input x int8 [K,N] constant
    -> int32 [M,N]) compiled by qc for the host (and, int8 input, for plain
    x86-64), run in process, with an int8 input (s8 x s8: qc shifts its
    weights to unsigned at compile time and corrects with A's row sums, in
    its time) and with a uint8 input (u8 x s8: the input is vpdpbusd's
    unsigned operand as it is, the correction a constant);
  * oneDNN (Debian libdnnl-dev) on one thread on the same types: an s8 x s8
    -> s32 matmul and a u8 x s8 -> s32 one; both engines get random
    operands, each engine's ratio is against the other on the same types;
  * qc quantized Gemm: a float ONNX Gemm quantized by qc (int8 weights, the
    requantize fused), timed with its float input quantized and its output
    dequantized, as a user's float model runs.
qc and oneDNN take turns (--rounds, medians): the host's speed drifts, so
the ratio to oneDNN is the median of each round's own ratio (both engines
timed within seconds of each other), not a ratio of medians taken apart.
Prints GOPS (2 x MACs / s, the median of at least R timed calls, as many
as take ~50 ms at 1 TOPS) and ratios. Not part of the test suite: speed is
measured here, never asserted.
"""
import argparse
import ctypes
import os
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
/* n iterations of 16 independent vpdpbusd (64 u8 x s8 MACs each): enough
   accumulators in flight to cover the instruction's latency on cores that
   issue two per cycle. */
#define ACC(i) __m512i c##i = _mm512_setzero_si512();
#define DOT(i) c##i = _mm512_dpbusd_epi32(c##i, a, b);
#define ALL(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
int64_t peak(int64_t n) {
  __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(5);
  ALL(ACC)
  for (int64_t i = 0; i < n; ++i) {
    ALL(DOT)
    __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5), "+v"(c6), "+v"(c7));
    __asm__ volatile("" : "+v"(c8), "+v"(c9), "+v"(c10), "+v"(c11), "+v"(c12), "+v"(c13), "+v"(c14), "+v"(c15));
  }
  __m512i s = c0;
#define SUM(i) s = _mm512_add_epi32(s, c##i);
  SUM(1) SUM(2) SUM(3) SUM(4) SUM(5) SUM(6) SUM(7) SUM(8) SUM(9) SUM(10) SUM(11) SUM(12) SUM(13) SUM(14) SUM(15)
  return _mm512_reduce_add_epi32(s);
}
"""


DNNL_C = r"""
#include <dnnl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
/* Median seconds of a oneDNN s8 (or u8, `unsigned_a`) x s8 -> s32 matmul
   [M,K] x [K,N], weights reordered once to the layout the primitive wants
   (not timed). */
double qc_bench_onednn(long M, long N, long K, int reps, int unsigned_a) {
  dnnl_engine_t eng; dnnl_stream_t s;
  if (dnnl_engine_create(&eng, dnnl_cpu, 0) || dnnl_stream_create(&s, eng, dnnl_stream_default_flags)) return -1;
  dnnl_memory_desc_t a, b, bany, c;
  dnnl_dims_t ad = {M, K}, bd = {K, N}, cd = {M, N};
  dnnl_memory_desc_init_by_tag(&a, 2, ad, unsigned_a ? dnnl_u8 : dnnl_s8, dnnl_ab);
  dnnl_memory_desc_init_by_tag(&b, 2, bd, dnnl_s8, dnnl_ab);
  dnnl_memory_desc_init_by_tag(&bany, 2, bd, dnnl_s8, dnnl_format_tag_any);
  dnnl_memory_desc_init_by_tag(&c, 2, cd, dnnl_s32, dnnl_ab);
  dnnl_matmul_desc_t md;
  dnnl_primitive_desc_t pd, rpd;
  if (dnnl_matmul_desc_init(&md, &a, &bany, NULL, &c) || dnnl_primitive_desc_create(&pd, &md, NULL, eng, NULL)) return -1;
  const dnnl_memory_desc_t *bq = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  dnnl_memory_t am, bm, bqm, cm;
  dnnl_memory_create(&am, &a, eng, DNNL_MEMORY_ALLOCATE);
  dnnl_memory_create(&bm, &b, eng, DNNL_MEMORY_ALLOCATE);
  dnnl_memory_create(&bqm, bq, eng, DNNL_MEMORY_ALLOCATE);
  dnnl_memory_create(&cm, &c, eng, DNNL_MEMORY_ALLOCATE);
  void *p;
  /* Random bytes, as qc's operands are (not constants: a multiplier's
     power, and so a core's clock, can depend on the data). */
  srand(0);
  dnnl_memory_get_data_handle(am, &p);
  for (long i = 0; i < M * K; ++i) ((unsigned char *)p)[i] = (unsigned char)rand();
  dnnl_memory_get_data_handle(bm, &p);
  for (long i = 0; i < K * N; ++i) ((signed char *)p)[i] = (signed char)rand();
  dnnl_primitive_t r, mm;
  dnnl_reorder_primitive_desc_create(&rpd, &b, eng, bq, eng, NULL);
  dnnl_primitive_create(&r, rpd);
  dnnl_exec_arg_t ra[2] = {{DNNL_ARG_FROM, bm}, {DNNL_ARG_TO, bqm}};
  dnnl_primitive_execute(r, s, 2, ra);
  dnnl_primitive_create(&mm, pd);
  dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bqm}, {DNNL_ARG_DST, cm}};
  dnnl_primitive_execute(mm, s, 3, args);
  dnnl_stream_wait(s);
  double *ts = malloc(sizeof(double) * reps);
  for (int i = 0; i < reps; ++i) {
    double t = now();
    dnnl_primitive_execute(mm, s, 3, args);
    dnnl_stream_wait(s);
    ts[i] = now() - t;
  }
  qsort(ts, reps, sizeof *ts, cmp);
  double med = ts[reps / 2];
  free(ts);
  return med;
}
"""


TIMER_C = r"""
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
/* Median seconds of reps calls of a compiled model's qc_model_run (one input,
   one output, batch 1), timed in C as oneDNN's primitive is: no Python
   (argument checks, output allocation) in the figure. */
double qc_bench_run(int (*run)(const void *, void *, int64_t), const void *in, void *out, int reps) {
  if (run(in, out, 1)) return -1;
  double *ts = malloc(sizeof(double) * reps);
  for (int i = 0; i < reps; ++i) {
    double t = now();
    run(in, out, 1);
    ts[i] = now() - t;
  }
  qsort(ts, reps, sizeof *ts, cmp);
  double med = ts[reps / 2];
  free(ts);
  return med;
}
"""


TYPES = {"int8": "s8 x s8", "uint8": "u8 x s8"}


def c_timer(work, model, x):
    """`() -> seconds`: the median of `reps` calls of the model's C entry point
    on x, timed in C (as oneDNN is)."""
    src, lib = work / "timer.c", work / "timer.so"
    if not lib.exists():
        src.write_text(TIMER_C)
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", str(src), "-o", str(lib)], check=True)
    f = ctypes.CDLL(str(lib)).qc_bench_run
    f.restype = ctypes.c_double
    f.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_int]
    y = np.empty(model.out_shape, model.out_dtype)
    fn = ctypes.cast(model.fn, ctypes.c_void_p)

    def seconds(reps):
        sec = f(fn, x.ctypes.data, y.ctypes.data, reps)
        if sec < 0:
            raise SystemExit("the compiled model refused the benchmark's call")
        return sec
    return seconds


def onednn_gops(work, m, n, k, reps, dtype="int8"):
    """oneDNN (Debian libdnnl-dev) on one thread, int8 or uint8 input x int8
    weights, or None when it is missing."""
    src, lib = work / "dnnl.c", work / "dnnl.so"
    if not lib.exists():
        src.write_text(DNNL_C)
        if subprocess.run(["cc", "-O2", "-shared", "-fPIC", str(src), "-o", str(lib), "-ldnnl"],
                          capture_output=True).returncode != 0:
            return None
    f = ctypes.CDLL(str(lib)).qc_bench_onednn
    f.restype, f.argtypes = ctypes.c_double, [ctypes.c_long] * 3 + [ctypes.c_int] * 2
    sec = f(m, n, k, max(reps, 5), dtype == "uint8")
    return 2 * m * n * k / sec if sec > 0 else None


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
    if not lib.exists():
        src.write_text(PEAK_C)
        subprocess.run(["cc", "-O2", "-mavx512f", "-mavx512bw", "-mavx512vnni", "-shared", "-fPIC",
                        str(src), "-o", str(lib)], check=True)
    f = ctypes.CDLL(str(lib)).peak
    f.restype, f.argtypes = ctypes.c_int64, [ctypes.c_int64]
    n = 10_000_000
    return 2 * 16 * 64 * n / median_seconds(lambda: f(n), reps)


def compiled(work, name, graph, calib=None, target=None):
    import onnx
    from onnx import helper
    from qc.compiler import compile_model
    from qc.runtime import CompiledModel
    model, out = work / f"{name}.onnx", work / f"{name}-{target}"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(model))
    compile_model(model, calib, out, force=True, log=lambda s: None, progress=False, target=target)
    return CompiledModel(out)


def qc_int8_gemm(work, m, n, k, target, dtype="int8"):
    """MatMulInteger int8 (or uint8) x int8 -> int32; a check against numpy,
    then a timer."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    elt = TensorProto.UINT8 if dtype == "uint8" else TensorProto.INT8
    g = helper.make_graph([helper.make_node("MatMulInteger", ["a", "b"], ["y"])], "mmi",
                          [helper.make_tensor_value_info("a", elt, [m, k])],
                          [helper.make_tensor_value_info("y", TensorProto.INT32, [m, n])],
                          [numpy_helper.from_array(b, "b")])
    run = compiled(work, f"mmi{m}x{n}x{k}-{dtype}", g, target=target)
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max + 1, (m, k)).astype(dtype)
    if not np.array_equal(run(a), (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32)):
        raise SystemExit(f"qc's {m}x{n}x{k} {dtype} x int8 GEMM ({target}) differs from numpy")
    return c_timer(work, run, a)


def qc_quantized_gemm(work, m, n, k, target):
    """A float Gemm quantized by qc, float in and out."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    w = rng.normal(0, 1 / np.sqrt(k), (n, k)).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1, name="gemm")], "gemm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.zeros(n, np.float32), "b")])
    calib = work / f"calib{m}x{k}.npy"
    np.save(calib, rng.normal(size=(max(64, m), k)).astype(np.float32))
    run = compiled(work, f"gemm{m}x{n}x{k}", g, calib, target)
    x = rng.normal(size=(m, k)).astype(np.float32)
    return c_timer(work, run, x)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shapes", nargs="*", default=["1,1024,1024", "64,1024,1024", "256,256,256",
                                                    "1024,1024,1024"], metavar="M,N,K")
    p.add_argument("--reps", type=int, default=10, help="fewest timed calls per measurement")
    p.add_argument("--rounds", type=int, default=3, help="turns qc and oneDNN take (median)")
    a = p.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # oneDNN on one thread, as qc
    from qc.compiler import host_target
    with tempfile.TemporaryDirectory(prefix="qc-bench-") as d:
        work = Path(d)
        best = host_target()
        rows = []
        for s in a.shapes:
            m, n, k = map(int, s.split(","))
            ops = 2 * m * n * k
            base = ops / qc_int8_gemm(work, m, n, k, "x86-64")(a.reps)
            fast = {t: qc_int8_gemm(work, m, n, k, best, t) for t in TYPES}
            quant = qc_quantized_gemm(work, m, n, k, best)
            runs = {"peak": [], "quant": []}
            # Enough calls for ~50 ms per measurement at 1 TOPS: a call of
            # the small shapes takes microseconds, and the host's noise
            # bursts last milliseconds.
            reps = max(a.reps, int(5e10 / ops))
            for _ in range(a.rounds):
                runs["peak"].append(measure_peak(work, a.reps))
                for t in TYPES:
                    runs.setdefault(("qc", t), []).append(ops / fast[t](reps))
                    runs.setdefault(("dnnl", t), []).append(
                        onednn_gops(work, m, n, k, reps, t) or float("nan"))
                runs["quant"].append(ops / quant(reps))
            med = {key: float(np.median(v)) for key, v in runs.items()}
            for t in TYPES:
                med[("vs", t)] = float(np.median(np.array(runs[("qc", t)]) / np.array(runs[("dnnl", t)])))
            rows.append((m, n, k, base, med))
        peak = float(np.median([r[4]["peak"] for r in rows]))
        print(f"measured int8 peak (1 core, vpdpbusd): {peak / 1e9:.0f} GOPS (median over the shapes' rounds)")
        print(f"{'M x N x K':<20}{'A x B':<9}{'x86-64':>8}{best:>20}{'% peak':>8}{'oneDNN':>8}{'vs oneDNN':>11}"
              f"{'quantized Gemm':>16}{'% peak':>8}   (GOPS)")
        for m, n, k, base, med in rows:
            for i, t in enumerate(TYPES):
                q, dn = med[("qc", t)], med[("dnnl", t)]
                first = i == 0
                shape = f"{m} x {n} x {k}" if first else ""
                cols = f"{base / 1e9:>8.1f}" if first else f"{'':>8}"
                line = (f"{shape:<20}{TYPES[t]:<9}{cols}{q / 1e9:>20.1f}{100 * q / med['peak']:>7.1f}%"
                        f"{dn / 1e9:>8.1f}{med[('vs', t)]:>10.3f}x")
                if first:
                    qu = med["quant"]
                    line += f"{qu / 1e9:>16.1f}{100 * qu / med['peak']:>7.1f}%"
                print(line)
        print("qc int8 GEMM: MatMulInteger int8 (s8) or uint8 (u8) input x int8 weights -> int32, "
              "against oneDNN's matmul on the same types; quantized Gemm: a float Gemm quantized by "
              "qc, float input quantized and output dequantized in its time. % peak against the "
              "peak measured in the same rounds; vs oneDNN: the median of the rounds' ratios.")


if __name__ == "__main__":
    main()
