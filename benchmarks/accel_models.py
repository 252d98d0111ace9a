#!/usr/bin/python3
"""etpu on the benchmark networks: compiles ResNet-18 and MobileNetV2 (random
weights, ../shared/tools/make_bench_models.py; needs python3-torch and
python3-torchvision) for the CPU and for --target etpu, times the etpu
compile, runs both on random inputs (the etpu regions in the checking
simulator) and prints byte identity, MAC coverage and simulated cycles.
Not part of the test suite.

    /usr/bin/python3 benchmarks/accel_models.py [WORKDIR] [--images N]
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
from qc.runtime import CompiledModel  # noqa: E402

QC = REPO / "build" / "bin" / "qc"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir", nargs="?", default="/tmp/qc-accel-bench")
    ap.add_argument("--images", type=int, default=2)
    a = ap.parse_args()
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    if not (work / "resnet18.onnx").exists():
        subprocess.run(["/usr/bin/python3", str(REPO.parent / "shared" / "tools" / "make_bench_models.py"),
                        str(work)], check=True)
    rng = np.random.RandomState(0)
    np.save(work / "calib.npy", rng.randn(8, 3, 224, 224).astype(np.float32))
    x = rng.randn(a.images, 3, 224, 224).astype(np.float32)
    for name in ("resnet18", "mobilenet_v2"):
        outs = {}
        for target in ("x86-64", "etpu"):
            out = work / f"{name}-{target}"
            t = time.time()
            subprocess.run([str(QC), "compile", str(work / f"{name}.onnx"), "--calib", str(work / "calib.npy"),
                            "--target", target, "-o", str(out), "--force", "-q"], check=True)
            outs[target] = (out, time.time() - t)
        cpu, acc = CompiledModel(outs["x86-64"][0]), CompiledModel(outs["etpu"][0])
        y0, y1 = cpu(x), acc(x)
        s = json.loads((outs["etpu"][0] / "accel-report.json").read_text())["summary"]
        st = acc.accel_stats()
        print(f"{name}: etpu compile {outs['etpu'][1]:.1f} s (x86-64 {outs['x86-64'][1]:.1f} s); "
              f"byte-identical to x86-64 on {len(x)} inputs: {np.array_equal(y0, y1)}; "
              f"MACs on etpu {100 * s['mac_fraction_on_accel']:.2f}%, ops {s['ops_on_accel']}/{s['ops']}; "
              f"estimated {s['cycles']} cycles/inference ({s['est_ms']:.2f} ms at the target clock), "
              f"simulated {st['cycles'] // st['submits']}; weight cache {s['wb_cached_bytes']} B, "
              f"streamed {s['wb_streamed_bytes']} B/inference")


if __name__ == "__main__":
    main()
