#!/usr/bin/python3
"""int8 ResNet-18 and MobileNetV2 (batch 1, random weights from
../shared/tools/make_bench_models.py) compiled by qc, against ONNX Runtime
fp32 and int8 QDQ (qc export-qdq; ORT fuses it to QLinearConv) in the same
run, each on 1 and 2 threads. Prints medians and ratios; qc's 2-thread
speedup also from 1 and 2 threads taking turns every 3 calls (the host's
speed drifts within seconds). Not part of the test suite.

    /usr/bin/python3 benchmarks/networks.py [WORKDIR] [--reps R] [--rounds N]

ONNX Runtime comes from npm: `npm install --ignore-scripts onnxruntime-node`
in benchmarks/ (or set ORT_NODE_PATH to a node_modules directory).
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
from qc.runtime import CompiledModel  # noqa: E402

QC = REPO / "build" / "bin" / "qc"


def qc_ms(out, threads, reps):
    m = CompiledModel(out, threads)
    x = np.sin(np.arange(3 * 224 * 224, dtype=np.float32)).reshape(1, 3, 224, 224)
    for _ in range(3):
        m(x)
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        m(x)
        ts.append(time.perf_counter() - t)
    return 1000 * float(np.median(ts))


def qc_scaling(out, blocks):
    """Median 1-thread over median 2-thread time, the two taking turns every
    3 calls on one loaded model: both see the same state of the host."""
    m = CompiledModel(out, 1)
    x = np.sin(np.arange(3 * 224 * 224, dtype=np.float32)).reshape(1, 3, 224, 224)
    ts = {1: [], 2: []}
    for _ in range(blocks):
        for t in (1, 2):
            m.set_threads(t)
            m(x)
            for _ in range(3):
                t0 = time.perf_counter()
                m(x)
                ts[t].append(time.perf_counter() - t0)
    m.set_threads(1)
    return float(np.median(ts[1]) / np.median(ts[2]))


def ort_ms(model, threads, reps):
    env = dict(os.environ)
    env.setdefault("NODE_PATH", os.environ.get("ORT_NODE_PATH", str(REPO / "benchmarks" / "node_modules")))
    p = subprocess.run(["node", str(REPO / "benchmarks" / "ort_bench.js"), str(model), "input",
                        "3", "224", "224", str(threads), str(reps)], capture_output=True, text=True, env=env)
    m = re.search(r"median_ms=([0-9.]+)", p.stdout)
    if not m:
        raise SystemExit(f"ONNX Runtime failed (npm install --ignore-scripts onnxruntime-node in "
                         f"benchmarks/?):\n{p.stderr[-2000:]}")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir", nargs="?", default="/tmp/qc-net-bench")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3, help="turns each engine takes (median)")
    a = ap.parse_args()
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "resnet18.onnx").exists():
        subprocess.run(["/usr/bin/python3", str(REPO.parent / "shared" / "tools" / "make_bench_models.py"),
                        str(work)], check=True, capture_output=True)
    np.save(work / "calib.npy", np.random.RandomState(0).randn(8, 3, 224, 224).astype(np.float32))
    for name in ("resnet18", "mobilenet_v2"):
        model, out, qdq = work / f"{name}.onnx", work / f"{name}-qc", work / f"{name}.qdq.onnx"
        t = time.time()
        # Cold: calibration included (the statistics cache would skip it).
        subprocess.run([str(QC), "compile", str(model), "--calib", str(work / "calib.npy"), "-o", str(out),
                        "--force", "-q"], check=True, env={**os.environ, "QC_CACHE_DIR": "off"})
        compile_s = time.time() - t
        subprocess.run([str(QC), "export-qdq", str(model), "--calib", str(work / "calib.npy"), "-o", str(qdq),
                        "--force", "-q"], check=True)
        # The machine's speed drifts (shared host): the engines take turns,
        # a.rounds times; each time is the median of its rounds, each ratio
        # the median of the rounds' own ratios (taken seconds apart).
        runs = {k: [] for k in ("q", "q2", "o8", "o8x2", "o32", "o32x2")}
        for _ in range(a.rounds):
            runs["q"].append(qc_ms(out, 1, a.reps))
            runs["q2"].append(qc_ms(out, 2, a.reps))
            runs["o8"].append(ort_ms(qdq, 1, a.reps))
            runs["o8x2"].append(ort_ms(qdq, 2, a.reps))
            runs["o32"].append(ort_ms(model, 1, a.reps))
            runs["o32x2"].append(ort_ms(model, 2, a.reps))
        q, q2, o8, o8x2, o32, o32x2 = (float(np.median(runs[k])) for k in runs)
        scaling = qc_scaling(out, 10 * a.reps)

        def ratio(num, den):
            return float(np.median(np.array(runs[num]) / np.array(runs[den])))
        per_round = ", ".join(f"{x / y:.2f}" for x, y in zip(runs["q"], runs["q2"]))
        print(f"{name} (compile {compile_s:.1f} s)\n"
              f"  1 thread : qc int8 {q:.2f} ms | ORT int8 QDQ {o8:.2f} ms | ORT fp32 {o32:.2f} ms | "
              f"qc vs ORT int8 {ratio('o8', 'q'):.2f}x, vs ORT fp32 {ratio('o32', 'q'):.2f}x\n"
              f"  2 threads: qc int8 {q2:.2f} ms | ORT int8 QDQ {o8x2:.2f} ms | ORT fp32 {o32x2:.2f} ms | "
              f"qc vs ORT int8 {ratio('o8x2', 'q2'):.2f}x, vs ORT fp32 {ratio('o32x2', 'q2'):.2f}x\n"
              f"  qc 2 threads vs 1: {ratio('q', 'q2'):.2f}x (rounds: {per_round}); "
              f"taking turns every 3 calls: {scaling:.2f}x", flush=True)

if __name__ == "__main__":
    main()
