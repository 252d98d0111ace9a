#!/usr/bin/python3
"""Time of each OpenMP parallel region of a compiled model on 1 and on T
threads, through LLVM libomp's OMPT tool interface: which layers share out
well and which do not. Not part of the test suite.

    /usr/bin/python3 benchmarks/omp_regions.py OUTDIR [--threads T] [--seconds S]

A region is named by the function that forks it: a kernel (qc_dc_conv_3,
qc_pw_conv_0, qc_dw_conv_5, qc_vnni_gemm) or qc_model for the model's own
loops (elementwise ops, pooling, the direct convs' input relayouts). Rows
are in execution order: mean microseconds per call on 1 and on T threads,
the speedup, and the time lost against a perfect split (T-thread time minus
1-thread time / T). The last line sums them; the rest of a call's time is
serial code between regions. Each thread count runs in its own process
(libomp reads OMP_TOOL_LIBRARIES when it starts).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

TOOL_C = r"""
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <omp-tools.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
/* Per parallel region (its fork's return address): calls and total ns from
   parallel-begin to parallel-end, written at shutdown as
   "<function> <calls> <mean us>" lines, in first-seen order. */
#define MAXR 4096
static const void *keys[MAXR];
static double total[MAXR], begun[MAXR];
static long calls[MAXR];
static int nkeys;
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}
static void on_begin(ompt_data_t *task, const ompt_frame_t *frame, ompt_data_t *region,
                     unsigned int requested, int flags, const void *codeptr) {
  int i = 0;
  while (i < nkeys && keys[i] != codeptr) ++i;
  if (i == nkeys && nkeys < MAXR) keys[nkeys++] = codeptr;
  region->value = i;
  begun[i] = now();
}
static void on_end(ompt_data_t *region, ompt_data_t *task, int flags, const void *codeptr) {
  int i = region->value;
  if (i < MAXR) { total[i] += now() - begun[i]; calls[i]++; }
}
static int init(ompt_function_lookup_t lookup, int device, ompt_data_t *data) {
  ompt_set_callback_t set = (ompt_set_callback_t)lookup("ompt_set_callback");
  set(ompt_callback_parallel_begin, (ompt_callback_t)on_begin);
  set(ompt_callback_parallel_end, (ompt_callback_t)on_end);
  return 1;
}
static void fini(ompt_data_t *data) {
  FILE *f = fopen(getenv("QC_OMPT_OUT"), "w");
  for (int i = 0; f && i < nkeys; ++i) {
    Dl_info d;
    const char *name = dladdr(keys[i], &d) && d.dli_sname ? d.dli_sname : "?";
    fprintf(f, "%s %ld %.3f\n", name, calls[i], total[i] / calls[i] / 1e3);
  }
  if (f) fclose(f);
}
ompt_start_tool_result_t *ompt_start_tool(unsigned int version, const char *runtime) {
  static ompt_start_tool_result_t r = {init, fini, {0}};
  return &r;
}
"""


def child(out, threads, seconds):
    """Calls the model for `seconds` on `threads` threads (random inputs)."""
    from qc.runtime import CompiledModel
    m = CompiledModel(out, threads)
    rng = np.random.default_rng(0)
    xs = []
    for e, shape in zip(m.ins, m.in_shapes):
        dt = np.dtype(e.get("dtype", "float32"))
        shape = ([1] if m.batched else []) + list(shape)
        xs.append(rng.standard_normal(shape).astype(dt) if dt.kind == "f"
                  else rng.integers(np.iinfo(dt).min, np.iinfo(dt).max + 1, shape).astype(dt))
    end = time.time() + seconds
    while time.time() < end:
        m(*xs)


def regions(work, tool, out, threads, seconds):
    """[(function, mean us)] of each region, in first-seen order."""
    res = work / f"regions{threads}.txt"
    env = dict(os.environ, OMP_TOOL_LIBRARIES=str(tool), QC_OMPT_OUT=str(res))
    subprocess.run([sys.executable, __file__, str(out), "--child", str(threads),
                    "--seconds", str(seconds)], env=env, check=True)
    if not res.exists():
        raise SystemExit("libomp did not load the OMPT tool (is the model compiled for threads?)")
    rows = [line.split() for line in res.read_text().splitlines()]
    return [(name.removesuffix("..omp_par"), float(us)) for name, _, us in rows]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="a model compiled by qc (qc compile -o OUT)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a.out, a.child, a.seconds)
    from qc import tools
    with tempfile.TemporaryDirectory(prefix="qc-regions-") as d:
        work = Path(d)
        src, tool = work / "tool.c", work / "tool.so"
        src.write_text(TOOL_C)
        # clang: omp-tools.h lives in its resource directory.
        subprocess.run([tools.tool("clang"), "-O2", "-shared", "-fPIC", str(src), "-o", str(tool)],
                       check=True)
        one = regions(work, tool, a.out, 1, a.seconds)
        many = regions(work, tool, a.out, a.threads, a.seconds)
    if [n for n, _ in one] != [n for n, _ in many]:
        raise SystemExit("the two runs forked different regions")
    t = a.threads
    print(f"{'#':>3} {'region':<22}{'1 thread':>10}{f'{t} threads':>11}{'speedup':>9}{'lost':>8}   (us per call)")
    for i, ((name, u1), (_, ut)) in enumerate(zip(one, many)):
        print(f"{i:>3} {name:<22}{u1:>10.1f}{ut:>11.1f}{u1 / ut:>8.2f}x{ut - u1 / t:>8.1f}")
    s1, st = sum(u for _, u in one), sum(u for _, u in many)
    print(f"{'':>3} {'all regions':<22}{s1:>10.1f}{st:>11.1f}{s1 / st:>8.2f}x{st - s1 / t:>8.1f}")


if __name__ == "__main__":
    main()
