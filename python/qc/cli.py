"""qc command-line driver. `qc --help` and `qc <command> --help` document
every flag; docs/cli.md is generated from these texts."""
import argparse
import os
import sys
import time

import numpy as np

from .errors import QCError

THREADS_HELP = ("threads each large layer is shared out to (default 1; outputs do not "
                "depend on it; x86-64 targets, through OpenMP)")


def add_quantization_flags(c):
    """Model, calibration and quantization flags shared by compile and
    export-qdq."""
    c.add_argument("model", metavar="MODEL.onnx",
                   help="float32 ONNX model, or one quantized in QDQ format (its Q/DQ parameters "
                        "are kept; it compiles without --calib)")
    c.add_argument("--calib", metavar="CALIB.npy",
                   help="calibration inputs, float32 array [N, ...] matching the model input")
    c.add_argument("--stats", metavar="STATS.json",
                   help="reuse a statistics file (e.g. OUTDIR/stats.json of an earlier compile) "
                        "instead of calibrating; with --calib too, the inputs serve only --report")
    c.add_argument("--calib-method", choices=["minmax", "percentile", "entropy", "mse"],
                   help="how to choose each activation's range from the calibration histograms "
                        "(default mse; with --stats, the file's ranges unless given)")
    c.add_argument("--moving-average", action="store_true",
                   help="with --calib-method minmax: average the per-batch minima and maxima "
                        "(batches of 32) instead of taking the extremes")
    c.add_argument("--percentile", type=float, default=99.99, metavar="P",
                   help="percentile kept by --calib-method percentile (default 99.99)")
    c.add_argument("--weights", choices=["per-channel", "per-tensor"], default="per-channel",
                   help="weight scales: one per output channel (default) or one per tensor")
    c.add_argument("--activations", choices=["asymmetric", "symmetric"], default="asymmetric",
                   help="activation parameters: asymmetric int8 with a zero point (default) or "
                        "symmetric (zero point 0)")
    c.add_argument("--activation-type", choices=["int8", "uint8"], default="int8",
                   help="activation storage type; uint8 has zero points + 128 and represents the "
                        "same values (qc computes it in int8, exactly)")
    c.add_argument("--weight-bits", choices=["8", "4", "auto"], default="8",
                   help="conv / gemm weight bits: 8 (default); 4, grouped along the input "
                        "channels with one scale per group (the first layer, depthwise convs and "
                        "layers with fewer weights per channel than a group keep 8); auto: 4 or 8 "
                        "per layer from measured sensitivity, to fit --size-budget")
    c.add_argument("--group-size", type=int, default=32, metavar="G",
                   help="input channels per scale group of 4-bit weights (default 32)")
    c.add_argument("--size-budget", type=float, metavar="BYTES",
                   help="with --weight-bits auto: the most bytes the conv / gemm weights may "
                        "take, packed at their bits")
    c.add_argument("--overrides", metavar="FILE.json",
                   help="per-tensor overrides: {NAME: {\"bits\": 4|7|8, \"scheme\": "
                        "\"symmetric\"|\"asymmetric\", \"range\": [lo, hi]}}, NAME an ONNX "
                        "node or tensor name")
    c.add_argument("--nonlinear", choices=["ibert", "lut", "float"], default="ibert",
                   help="GELU, softmax and LayerNorm: ibert (integer-only polynomial kernels, "
                        "default), lut (GELU by a 256-entry table on its 8-bit input; softmax "
                        "and LayerNorm as ibert) or float (kept in float32)")
    c.add_argument("--reduce-range", action="store_true",
                   help="7-bit weights in [-63, 63], so AVX2 vpmaddubsw cannot saturate "
                        "(for x86 machines without VNNI)")


def _parser():
    p = argparse.ArgumentParser(
        prog="qc",
        description="qc quantizes a float ONNX model with calibration data and compiles it "
                    "to a native integer-only shared library.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("compile", help="quantize and compile an ONNX model",
                       description="Import MODEL, calibrate it on CALIB, quantize it to int8 "
                                   "(per-channel symmetric weights, asymmetric activations), "
                                   "lower it to native code and write OUTDIR.")
    add_quantization_flags(c)
    c.add_argument("--exclude", action="append", default=[], metavar="NAME|OPTYPE",
                   help="keep the nodes with this ONNX node name or op type in float (repeatable); "
                        "qc quantizes and dequantizes at their boundaries and says so")
    c.add_argument("--integer-only", action="store_true",
                   help="fail, listing them, if any op would stay in float between the input "
                        "quantize and the output dequantize (--exclude, --nonlinear float)")
    c.add_argument("--target", choices=["x86-64", "x86-64-avx2", "x86-64-avx512vnni", "aarch64",
                                        "etpu", "etpu-tiny"],
                   help="code generation target (default: this machine's best: x86-64-avx512vnni, "
                        "x86-64-avx2 or x86-64, the instruction sets LLVM may use; results are "
                        "identical). aarch64 cross-compiles "
                        "with aarch64-linux-gnu-gcc; qc run executes it under qemu-aarch64. etpu "
                        "places supported layers on the Edge-TPU-like accelerator (its command "
                        "stream runs in the bundled simulator, the rest natively) and prints one "
                        "row per op with the reasons for every CPU op (OUTDIR/accel-report.json); "
                        "etpu-tiny is its 4x4 test configuration")
    c.add_argument("--accel-keep-slow", action="store_true",
                   help="with --target etpu: keep regions on the accelerator even when its cost "
                        "model says the CPU would be faster (reason ACCEL-COST)")
    c.add_argument("--report", action="store_true",
                   help="measure each quantized tensor against the float model on the calibration "
                        "data (SQNR, cosine), print the table worst first, write OUTDIR/report.json")
    c.add_argument("-o", "--output", metavar="OUTDIR", required=True,
                   help="output directory: library, header, IR after each stage, statistics")
    c.add_argument("--force", action="store_true",
                   help="replace OUTDIR if it holds an earlier qc output")
    c.add_argument("-q", "--quiet", action="store_true", help="print errors only (no progress bar)")
    c.add_argument("-v", "--verbose", action="store_true",
                   help="also print the passes' remarks (e.g. raised weight scales, batch norms "
                        "left unfolded), each with its ONNX node")

    x = sub.add_parser("export-qdq", help="write the calibrated, quantized model as QDQ ONNX",
                       description="Calibrate and annotate MODEL as 'qc compile' does and write "
                                   "it as standard QDQ ONNX (QuantizeLinear / DequantizeLinear "
                                   "around float ops, int8 weights, int32 biases, opset 13) that "
                                   "other runtimes load; compiling that file with qc (no "
                                   "calibration) gives bit-identical outputs. 8-bit weights only.")
    add_quantization_flags(x)
    x.add_argument("-o", "--output", metavar="MODEL.qdq.onnx", required=True, help="the file to write")
    x.add_argument("--force", action="store_true", help="replace the output file if it exists")
    x.add_argument("-q", "--quiet", action="store_true", help="print errors only")

    k = sub.add_parser("conformance", help="run ONNX's backend node tests through qc",
                       description="Compile and run ONNX's own node tests (Debian libonnx-testdata) "
                                   "with qc; print one line per case and 'N passed, M failed'. "
                                   "Every input but the first is bound as an initializer; integer "
                                   "outputs must match exactly, float ones within 1e-5 + 1e-4 |want|. "
                                   "Exit status 1 when a case fails.")
    k.add_argument("--data", default="/usr/share/libonnx-testdata/data",
                   help="test data root holding node/test_*/ (default: the Debian package's)")
    k.add_argument("--filter", metavar="REGEX",
                   help="run the tests whose name matches (default: the quantization tests)")
    k.add_argument("--ops", metavar="OP,OP",
                   help="only the tests whose model uses just these ONNX op types")

    bn = sub.add_parser("bench", help="measure the latency of a compiled model",
                        description="Run the compiled model in OUTDIR in this process on random "
                                    "inputs of its shape and dtype, after warm-up, until at least "
                                    "one second and 20 runs have passed; print the median latency "
                                    "per call (last line: median_ms=<float>).")
    bn.add_argument("outdir", metavar="OUTDIR", help="directory written by 'qc compile'")
    bn.add_argument("--batch", type=int, default=1, metavar="B", help="samples per call (default 1)")
    bn.add_argument("--threads", type=int, default=1, metavar="T", help=THREADS_HELP)
    bn.add_argument("--seconds", type=float, default=1.0, metavar="S",
                    help="minimum measuring time (default 1)")

    r = sub.add_parser("run", help="run a compiled model on input arrays",
                       description="Run the compiled model in OUTDIR on X.npy ([N, ...], or "
                                   "the exact shape for a static model) and write the outputs "
                                   "to Y.npy. Models with several inputs / outputs take "
                                   "--input and --output once per tensor, in graph order, each "
                                   "with its own dtype (manifest.json lists them).")
    r.add_argument("outdir", metavar="OUTDIR", help="directory written by 'qc compile'")
    r.add_argument("--input", metavar="X.npy", required=True, action="append",
                   help="an input array (repeat for each model input, in graph order)")
    r.add_argument("--output", metavar="Y.npy", required=True, action="append",
                   help="where to write an output (repeat for each model output, in order)")
    r.add_argument("--threads", type=int, default=1, metavar="T", help=THREADS_HELP)

    e = sub.add_parser("eval", help="compare float and compiled integer accuracy",
                       description="Run the float model (numpy reference) and the compiled "
                                   "model on X.npy, and print accuracy against LABELS.npy "
                                   "(argmax of the outputs), model sizes and time per sample.")
    e.add_argument("model", metavar="MODEL.onnx", help="the float model that was compiled")
    e.add_argument("outdir", metavar="OUTDIR", help="directory written by 'qc compile'")
    e.add_argument("--input", metavar="X.npy", required=True, help="float32 test inputs")
    e.add_argument("--labels", metavar="LABELS.npy", required=True, help="integer class labels")
    h = sub.add_parser("report", help="write a visual HTML report of a compiled model",
                       description="Write one self-contained HTML page for OUTDIR: summary, "
                                   "per-layer error (when compiled with --report), bits, scheme "
                                   "and parameters per tensor, calibration histograms with the "
                                   "chosen ranges.")
    h.add_argument("outdir", metavar="OUTDIR", help="directory written by 'qc compile'")
    h.add_argument("-o", "--output", metavar="REPORT.html", required=True, help="the HTML file to write")
    return p


def cmd_report(args):
    from . import htmlreport
    try:
        htmlreport.write(args.outdir, args.output)
    except OSError as e:
        raise QCError(f"cannot write '{args.output}': {e.strerror}")
    print(f"qc: wrote {args.output}")


def _load_npy(path, what):
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise QCError(f"{what} '{path}' not found")
    except Exception as e:
        raise QCError(f"{what} '{path}' is not a readable .npy array: {e}")


def _policy(args):
    """The quantization policy the shared flags ask for."""
    from .compiler import weight_bits
    return dict(weights=args.weights, activations=args.activations,
                weight_bits=weight_bits(args.weight_bits, args.reduce_range),
                group_size=args.group_size, size_budget=args.size_budget,
                activation_type=args.activation_type, nonlinear=args.nonlinear)


def cmd_compile(args):
    from .compiler import compile_model
    log = (lambda *a: None) if args.quiet else (lambda msg: print(f"qc: {msg}"))
    compile_model(args.model, args.calib, args.output, force=args.force, log=log,
                  stats_file=args.stats, calib_method=args.calib_method,
                  percentile=args.percentile, moving_average=args.moving_average,
                  report=args.report,
                  policy=_policy(args),
                  exclude=args.exclude, verbose=args.verbose, progress=not args.quiet,
                  overrides_file=args.overrides, target=args.target,
                  accel_cost=not args.accel_keep_slow,
                  integer_only=args.integer_only)


def cmd_export_qdq(args):
    from .compiler import export_qdq
    log = (lambda *a: None) if args.quiet else (lambda msg: print(f"qc: {msg}"))
    export_qdq(args.model, args.calib, args.output, force=args.force, log=log,
               stats_file=args.stats, calib_method=args.calib_method, percentile=args.percentile,
               moving_average=args.moving_average,
               policy=_policy(args),
               overrides_file=args.overrides, progress=not args.quiet)


def cmd_conformance(args):
    from . import conformance
    argv = ["--data", args.data] + (["--filter", args.filter] if args.filter else [])
    return conformance.main(argv + (["--ops", args.ops] if args.ops else []))


def cmd_bench(args):
    from .runtime import CompiledModel
    if args.batch < 1:
        raise QCError(f"--batch must be at least 1, got {args.batch}")
    m = CompiledModel(args.outdir, args.threads)
    rng = np.random.default_rng(0)
    shape = [args.batch] + list(m.in_shape)
    if m.in_dtype.kind == "f":
        x = rng.standard_normal(shape).astype(m.in_dtype)
    else:
        info = np.iinfo(m.in_dtype)
        x = rng.integers(info.min, info.max + 1, shape).astype(m.in_dtype)
    for _ in range(3):
        m(x)
    times = []
    t_end = time.perf_counter() + args.seconds
    while len(times) < 20 or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        m(x)
        times.append(time.perf_counter() - t0)
    med = float(np.median(times)) * 1e3
    print(f"runs             {len(times)} (batch {args.batch}, {args.threads} "
          f"thread{'s' if args.threads > 1 else ''})")
    print(f"min / median     {min(times) * 1e3:.4f} / {med:.4f} ms per call; "
          f"{med / args.batch:.4f} ms per sample")
    print(f"median_ms={med:.6f}")


def cmd_run(args):
    from .runtime import CompiledModel
    m = CompiledModel(args.outdir, args.threads)
    names = lambda es: ", ".join(e["name"] for e in es)
    if len(args.input) != len(m.ins):
        raise QCError(f"the model has {len(m.ins)} input(s) ({names(m.ins)}): give --input "
                      f"{len(m.ins)} time(s), got {len(args.input)}")
    if len(args.output) != len(m.outs):
        raise QCError(f"the model has {len(m.outs)} output(s) ({names(m.outs)}): give --output "
                      f"{len(m.outs)} time(s), got {len(args.output)}")
    ys = m(*[_load_npy(p, "input") for p in args.input])
    for path, y in zip(args.output, ys if len(m.outs) > 1 else [ys]):
        tmp = path + ".tmp.npy"
        try:
            np.save(tmp, y)
            os.replace(tmp, path)
        except OSError as e:
            raise QCError(f"cannot write '{path}': {e.strerror}")


def _timed(fn, x, reps=3):
    best = float("inf")
    out = None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn(x)
        best = min(best, time.perf_counter() - t)
    return out, best


def cmd_eval(args):
    from . import floatref, onnx_import
    from .runtime import CompiledModel
    g = onnx_import.import_onnx(args.model)
    m = CompiledModel(args.outdir)
    x = _load_npy(args.input, "input")
    y = _load_npy(args.labels, "labels")
    if y.ndim != 1 or len(y) != len(x):
        raise QCError(f"labels have shape {list(y.shape)}, expected [{len(x)}]")
    yf, tf = _timed(lambda v: floatref.run(g, v), x, reps=1)
    yq, tq = _timed(m, x)
    accf = float(np.mean(yf.argmax(1) == y)) * 100
    accq = float(np.mean(yq.argmax(1) == y)) * 100
    agree = float(np.mean(yf.argmax(1) == yq.argmax(1))) * 100
    fsize = m.manifest["float_weight_bytes"]
    qsize = os.path.getsize(os.path.join(args.outdir, m.manifest["library"]))
    wsize = m.manifest["int_weight_bytes"]
    n = len(x)
    print(f"samples          {n}")
    print(f"float accuracy   {accf:.2f}%   (numpy float32 reference)")
    kept = m.manifest.get("float_ops") or []
    kind = f"compiled, {len(kept)} op(s) kept in float" if kept else "compiled, integer-only"
    if m.manifest.get("float_prologue") and not kept:
        kind += " after a float32 input normalization"
    policy = m.manifest.get("policy", {})
    low = policy.get("weight_bits") == 4 or 4 in (policy.get("layer_bits") or {}).values()
    label = "int4/8" if low else "int8"
    if m.manifest.get("mode") == "float":
        label, kind = "float32", "compiled, no quantization"
    print(f"{label + ' accuracy':<17}{accq:.2f}%   ({kind})")
    print(f"delta            {accq - accf:+.2f} points; top-1 agreement {agree:.2f}%")
    if m.manifest.get("mode") == "float":
        print(f"size             float weights {fsize / 1024:.1f} KiB (not quantized); "
              f"library {qsize / 1024:.1f} KiB")
    else:
        print(f"size             float weights {fsize / 1024:.1f} KiB; integer weights {wsize / 1024:.1f} KiB "
              f"({fsize / max(wsize, 1):.1f}x smaller); library {qsize / 1024:.1f} KiB")
    print(f"time per sample  float (numpy) {tf / n * 1e3:.3f} ms; compiled {tq / n * 1e3:.3f} ms")


def main(argv=None):
    p = _parser()
    args = p.parse_args(argv)
    if not args.command:
        p.print_help()
        return 1
    try:
        return {"compile": cmd_compile, "export-qdq": cmd_export_qdq, "run": cmd_run,
                "eval": cmd_eval, "report": cmd_report, "bench": cmd_bench,
                "conformance": cmd_conformance}[args.command](args) or 0
    except QCError as e:
        print(f"qc: error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into e.g. `head`
        return 0
    except KeyboardInterrupt:
        print("qc: interrupted", file=sys.stderr)
        return 1
    except Exception as e:  # never a traceback for the user
        print(f"qc: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
