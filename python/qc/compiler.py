"""The compile driver: ONNX -> stats -> passes -> native shared library.

OUTDIR layout (written atomically: built in a temporary sibling directory
and renamed into place only when complete):

    manifest.json        model name, input/output names and shapes, files
    stats.json           calibration statistics (see calibrate.py)
    ir/00-import.mlir    float graph as imported
    ir/01-fold-batchnorm.mlir, ir/02-annotate.mlir, ir/03-fake-to-real.mlir,
    ir/04-fold-rescale.mlir, ir/05-llvm.mlir
    (--target etpu: ir/05-accel.mlir, the accelerator regions as scheduled
    command streams, then ir/06-llvm.mlir; accel.qcx, the binary command
    stream; accel-report.json, one row per op: placement and reasons;
    libqc_accel_rt.so, the accelerator runtime / simulator)
    graph.json           the integer graph for the reference interpreter
    model.ll, model.o    LLVM IR and object code
    libqc_model.so       the compiled model (C ABI in qc_model.h)
    qc_model.h           the C header
"""
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import cabi, calibrate, intref, mixed, onnx_import, overrides, tools
from .errors import QCError

DEFAULT_POLICY = dict(weights="per-channel", activations="asymmetric", weight_bits=8,
                      group_size=32, activation_type="int8", nonlinear="ibert")

STAGES = [
    ("01-fold-batchnorm", None),  # depends on the policy
    ("02-annotate", None),  # needs the stats path
    ("03-fake-to-real", ["--qc-fake-to-real"]),
    ("04-fold-rescale", ["--qc-fold-rescale"]),
    ("05-llvm", ["--qc-lower-to-llvm"]),
]

# Code generation targets: LLVM triple / CPU level, the C compiler that
# links the library (None: $CC or cc, the host's), the architecture family
# and the CPU features (/proc/cpuinfo flags) the code needs. The x86-64
# levels differ only in the instructions LLVM may use: their integer and
# float results are identical (no fast-math).
TARGETS = {
    # "threads": loops shared out by OpenMP (libomp; qc run / bench --threads).
    # The aarch64 cross build has no OpenMP runtime here: one thread.
    "x86-64": {"llvm": ["-mtriple=x86_64-linux-gnu"], "cc": None, "arch": "x86-64",
               "lower": ["threads=true"]},
    "x86-64-avx2": {"llvm": ["-mtriple=x86_64-linux-gnu", "-mcpu=x86-64-v3"], "cc": None,
                    "arch": "x86-64", "lower": ["threads=true"], "needs": ["avx2", "fma", "bmi2"]},
    "x86-64-avx512vnni": {"llvm": ["-mtriple=x86_64-linux-gnu", "-mcpu=x86-64-v4",
                                   "-mattr=+avx512vnni"], "cc": None, "arch": "x86-64",
                          "lower": ["vnni=true", "threads=true"],
                          "needs": ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"]},
    "aarch64": {"llvm": ["-mtriple=aarch64-linux-gnu", "-mattr=+neon,+dotprod"],
                "cc": "aarch64-linux-gnu-gcc", "arch": "aarch64", "lower": ["sdot=true"]},
    # The Edge-TPU-like accelerator (docs/accelerator.md): supported layers
    # run as command streams on libqc_accel_rt, the rest natively on the host.
    "etpu": {"accel": "etpu"},
    "etpu-tiny": {"accel": "etpu-tiny"},
}


def host_arch():
    import platform
    return {"x86_64": "x86-64", "aarch64": "aarch64"}.get(platform.machine(), "x86-64")


def _cpu_flags():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def missing_features(target):
    """The CPU features `target` needs that this machine lacks."""
    t = TARGETS[target]
    if t.get("arch") != host_arch():
        return []
    flags = _cpu_flags()
    return [f for f in t.get("needs", []) if f not in flags]


def host_target():
    """The best native target for this machine (the default)."""
    arch = host_arch()
    if arch != "x86-64":
        return arch
    for t in ("x86-64-avx512vnni", "x86-64-avx2"):
        if not missing_features(t):
            return t
    return "x86-64"


def native_target(target):
    """The CPU target a target's native code is built for."""
    return host_target() if TARGETS[target].get("accel") else target


def arch_of(target):
    """The CPU architecture family a target's native code runs on."""
    return TARGETS[native_target(target)]["arch"]


def io_entry(graph, name):
    """A manifest entry for a graph input or output."""
    shape = graph.input_shape if name == graph.input_name else graph.shapes[name]
    return {"name": name, "dtype": graph.dtype(name),
            "shape": ["N"] + list(shape[1:]) if graph.batched else list(shape)}


def _describer(graph):
    by_tensor = {n.output: n for n in graph.nodes}

    def describe(name):
        n = by_tensor.get(name)
        return n.where() if n else f"tensor '{name}'"
    return describe


def prepare_outdir(outdir, force):
    outdir = Path(outdir)
    if outdir.exists():
        if not force:
            raise QCError(f"output directory '{outdir}' exists (use --force to replace it)")
        if outdir.is_dir() and not (outdir / "manifest.json").exists() and any(outdir.iterdir()):
            raise QCError(f"'{outdir}' exists and is not a qc output directory; refusing to replace it")
    parent = outdir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise QCError(f"cannot create '{parent}': {e.strerror}")
    if not os.access(parent, os.W_OK):
        raise QCError(f"cannot write into '{parent}'")
    return outdir, Path(tempfile.mkdtemp(prefix=f".{outdir.name}.partial-", dir=parent))


def compile_model(model, calib, outdir, force=False, log=print, stats_file=None,
                  calib_method=None, percentile=99.99, moving_average=False, report=False, policy=None,
                  exclude=(), verbose=False, progress=True, overrides_file=None, target=None,
                  integer_only=False, accel_cost=True):
    """Compiles MODEL; statistics come from calibrating on `calib` (an .npy
    path) or, when `stats_file` is given, from that statistics file. Ranges
    are chosen by `calib_method` (default mse; with a statistics file,
    the file's own ranges unless a method is given). Policy: weights,
    activations, weight_bits (8, 7, 4 or "auto" with size_budget bytes),
    group_size, nonlinear (ibert, lut, float); `overrides_file` sets bits,
    scheme or range per tensor. With `integer_only`, any float op left
    between the input quantize and the output dequantize is an error.
    For an accelerator target, `accel_cost=False` keeps regions the cost
    model finds slower than the CPU on the accelerator."""
    policy = dict(DEFAULT_POLICY, **(policy or {}))
    target = target or host_target()
    if target not in TARGETS:
        raise QCError(f"unknown target '{target}' (choose from {', '.join(TARGETS)})")
    graph = onnx_import.import_onnx(model)
    describe = _describer(graph)
    mode = ("quantize" if calib is not None or stats_file is not None
            else "qdq" if is_prequantized(graph) else "float")
    integer_io = graph.input_dtype != "float32" or graph.output_dtype != "float32"
    if integer_io and mode != "float":
        raise QCError(f"integer model input / output ({graph.input_dtype} -> {graph.output_dtype}) "
                      f"is supported only for models compiled without quantization")
    if mode == "quantize" and (graph.extra_inputs or graph.extra_outputs):
        raise QCError("calibration supports one input and one output; a model with several "
                      "compiles without --calib (float32, or its own QDQ quantization)")
    if mode == "float" and (exclude or report or overrides_file or policy["weight_bits"] != 8):
        raise QCError("this model has no quantization and no --calib was given: it compiles in "
                      "float32, where --exclude / --report / --overrides / --weight-bits do not apply")
    if mode == "float":
        log("no calibration and no quantization in the model: compiling it in float32")
        if integer_only:
            raise QCError("--integer-only needs quantization: give --calib (or a QDQ model)")
    auto = policy["weight_bits"] == "auto"
    if auto and not policy.get("size_budget"):
        raise QCError("--weight-bits auto needs --size-budget BYTES")
    if policy.get("size_budget") and not auto:
        raise QCError("--size-budget applies to --weight-bits auto")
    if auto and calib is None:
        raise QCError("--weight-bits auto needs --calib: sensitivities are measured on the calibration data")
    if not (isinstance(policy["group_size"], int) and policy["group_size"] >= 1):
        raise QCError(f"--group-size must be a positive integer, got {policy['group_size']!r}")
    ov_ranges = {}
    if overrides_file is not None:
        bits, sym, asym, ov_ranges = overrides.load(overrides_file, graph)
        policy["layer_bits"] = dict(policy.get("layer_bits") or {}, **bits)
        policy["symmetric"], policy["asymmetric"] = sym, asym
    xc = calibrate.load_calibration(calib, graph) if calib is not None else None
    excluded, kept_nodes = resolve_excludes(graph, exclude)
    if kept_nodes:
        log(f"keeping {len(kept_nodes)} op(s) in float, with quantize/dequantize at their "
            f"boundaries: {', '.join(kept_nodes)}")
    if report and xc is None:
        raise QCError("--report needs --calib: the report runs the model on the calibration data")
    if stats_file is not None and not Path(stats_file).is_file():
        raise QCError(f"statistics file '{stats_file}' not found")
    final, tmp = prepare_outdir(outdir, force)
    try:
        (tmp / "ir").mkdir()
        ir = tmp / "ir" / "00-import.mlir"
        ir.write_text(onnx_import.to_mlir(graph))
        log(f"imported {len(graph.nodes)} nodes from {model}")
        stats = tmp / "stats.json"
        annotate_stats = None
        if mode != "float":
            annotate_stats = _statistics(graph, model, xc, stats_file, stats, calib_method,
                                         percentile, moving_average, ov_ranges, overrides_file,
                                         log, progress)
        qcopt = tools.tool("qc-opt")

        def notes(kind, msg):  # warnings always, remarks with --verbose
            if kind == "warning" or verbose:
                log(f"{kind}: {msg}")
        delay = float(os.environ.get("QC_STAGE_DELAY", "0"))  # test hook: widen the window for interrupts
        accel = TARGETS[target].get("accel")
        stages = STAGES
        if accel:
            stages = STAGES[:4] + [
                ("05-accel", [f"--qc-accel-partition=target={accel} cost={int(accel_cost)}",
                              f"--qc-accel-schedule=target={accel} report={tmp / 'accel-report.json'}"]),
                ("06-llvm", [f"--qc-accel-emit=output={tmp / 'accel.qcx'}", "--qc-lower-to-llvm"])]
        bar = calibrate.Progress("compiling", len(stages) + 2, progress)
        for k, (name, args) in enumerate(stages):
            time.sleep(delay)
            bar.update(k)
            nxt = tmp / "ir" / f"{name}.mlir"
            if mode == "float" and name in ("02-annotate", "03-fake-to-real"):
                args = []  # nothing to quantize: the stages pass the IR through
            elif name == "01-fold-batchnorm":
                if auto:
                    _choose_bits(qcopt, ir, policy, annotate_stats, excluded, xc, graph, describe, log)
                args = ["--qc-raise-decomposed", fold_option(graph, policy)]
                prologue = float_input_norm(graph, policy)
                if prologue is not None:
                    log(f"input normalization {prologue.where()} runs in float32 before the input "
                        f"quantize: the next layer has 4-bit weights")
            elif args is None:
                args = [annotate_option(annotate_stats, policy, excluded)]
            elif name == "03-fake-to-real" and integer_only:
                args = ["--qc-fake-to-real=integer-only=true"]
            extra = [f"--qc-export-graph=output={tmp / 'graph.json'}"] if name == "04-fold-rescale" else []
            # The C wrapper pools buffers (reuse-buffers); the target may add
            # its own lowering options (e.g. the VNNI gemm kernel).
            lower = "--qc-lower-to-llvm=" + " ".join(
                ["reuse-buffers=true"] + TARGETS[native_target(target)].get("lower", []))
            args = [lower if a == "--qc-lower-to-llvm" else a for a in args]
            tools.run([qcopt, str(ir), *args, *extra, "--mlir-print-debuginfo", "-o", str(nxt)],
                      f"stage {name[3:]}", describe, notes)
            ir = nxt
            if name == "02-annotate" and ov_ranges:
                _check_ranges_used(qcopt, ir, tmp, ov_ranges, describe)
        if mode != "float":
            log("quantized: fold-batchnorm, annotate, fake-to-real, fold-rescale, lower-to-llvm")
        if accel:
            log(accel_table(json.loads((tmp / "accel-report.json").read_text())))
        if report:
            _write_report(qcopt, graph, tmp, xc, describe, log, policy["activations"])
        tools.run([tools.tool("mlir-translate"), "--mlir-to-llvmir", str(ir), "-o", str(tmp / "model.ll")],
                  "translation to LLVM IR")
        # llc alone runs no IR optimizations (no LICM, no vectorizer): opt -O3
        # first makes the loop nests about 2.7x faster. No fast-math flags, so
        # float quantize / dequantize stay exact.
        bar.update(len(stages))
        arch, native = arch_of(target), native_target(target)
        tflags = TARGETS[native]["llvm"]
        tools.run([tools.tool("opt"), "-O3", *tflags, str(tmp / "model.ll"), "-o", str(tmp / "model.bc")],
                  "LLVM optimization")
        bar.update(len(stages) + 1)
        # The object and the assembly listing: two llc runs, side by side
        # (ResNet-18: 1.5 s each).
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(tools.run, [tools.tool("llc"), "-O3", *tflags, "-relocation-model=pic",
                                            f"-filetype={ft}", str(tmp / "model.bc"), "-o", str(tmp / f)],
                                "code generation")
                    for ft, f in (("obj", "model.o"), ("asm", "model.s"))]
            for r in runs:
                r.result()
        (tmp / "model.bc").unlink()
        bar.update(len(stages) + 2)
        in_shape, out_shape = graph.input_shape, graph.shapes[graph.output_name]
        inside = {"quantize": "Integer-only inside: the input is quantized on entry, every layer runs "
                              "in int8 / int32, the output is dequantized.",
                  "qdq": "Integer-only inside, with the model's own (QDQ) quantization.",
                  "float": "Float32 inside: the model has no quantization to apply."}[mode]
        spec = lambda n: (n, graph.input_shape if n == graph.input_name else graph.shapes[n], graph.dtype(n))
        abi = cabi.Abi([spec(n) for n in graph.inputs()], [spec(n) for n in graph.outputs()],
                       graph.batched)
        threads = "threads=true" in TARGETS[native].get("lower", [])
        (tmp / "qc_model.h").write_text(abi.header(Path(model).name, inside, bool(accel), threads))
        (tmp / "qc_model_wrapper.c").write_text(abi.wrapper(bool(accel), threads))
        cc = TARGETS[native]["cc"] or os.environ.get("CC", "cc")
        libs = ["-lm"]
        if threads:
            omp = tools.openmp_runtime()
            libs = [str(omp), f"-Wl,-rpath,{omp.parent}"] + libs
        if accel:
            shutil.copy(tools.accel_runtime(), tmp / "libqc_accel_rt.so")
            libs = ["-L", str(tmp), "-lqc_accel_rt", "-Wl,-rpath,$ORIGIN", "-ldl"] + libs
        if not shutil.which(cc):
            raise QCError(f"target {target} needs the C compiler '{cc}' (Debian: "
                          f"gcc-aarch64-linux-gnu libc6-dev-arm64-cross)")
        tools.run([cc, "-shared", "-O2", "-fPIC", "-I", str(tmp), str(tmp / "qc_model_wrapper.c"),
                   str(tmp / "model.o"), *libs, "-o", str(tmp / "libqc_model.so")], "linking")
        if arch != host_arch():
            # A program that runs the library under emulation (qc run, tests).
            (tmp / "qc_run.c").write_text(abi.runner())
            tools.run([cc, "-O2", "-I", str(tmp), str(tmp / "qc_run.c"), str(tmp / "qc_model_wrapper.c"),
                       str(tmp / "model.o"), "-lm", "-o", str(tmp / "qc_run")], "linking the runner")
        used = {i for n in graph.nodes for i in n.inputs if graph.is_const(i)}
        final_graph = intref.load(tmp / "graph.json")
        if policy.get("nonlinear") == "float":  # the kernels it kept in float, by tensor
            kept_nodes = kept_nodes + [
                op["name"] for op in final_graph["functions"][0]["ops"]
                if op["op"] in ("qc.softmax", "qc.gelu", "qc.layer_norm")]
        manifest = {"format": "qc-model", "version": 1, "model": Path(model).name, "policy": policy,
                    "float_ops": kept_nodes,
                    "float_prologue": [prologue.onnx_name] if prologue is not None else [],
                    "float_weight_bytes": int(sum(graph.constants[i].nbytes for i in used)),
                    "int_weight_bytes": intref.integer_weight_bytes(final_graph),
                    "mode": mode, "target": target, "arch": arch, "threads": threads,
                    "batched": graph.batched,
                    "input": {"name": graph.input_name, "dtype": graph.input_dtype,
                              "shape": ["N"] + in_shape[1:] if graph.batched else in_shape},
                    "output": {"name": graph.output_name, "dtype": graph.output_dtype,
                               "shape": ["N"] + out_shape[1:] if graph.batched else out_shape},
                    "inputs": [io_entry(graph, n) for n in graph.inputs()],
                    "outputs": [io_entry(graph, n) for n in graph.outputs()],
                    "library": "libqc_model.so", "header": "qc_model.h",
                    "stats": "stats.json" if (tmp / "stats.json").exists() else None,
                    "graph": "graph.json"}
        if accel:
            manifest.update(accel_program="accel.qcx", accel_report="accel-report.json",
                            accel_runtime="libqc_accel_rt.so")
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        if final.exists():
            shutil.rmtree(final) if final.is_dir() else final.unlink()
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log(f"wrote {final}/ (libqc_model.so {os.path.getsize(final / 'libqc_model.so')} bytes)")
    return final


def accel_table(report):
    """The accelerator report as a table: one row per op, then the summary."""
    rows = [f"{'#':>3}  {'op':<17} {'place':<5} {'region':<17} {'MACs':>10} {'cycles':>8} "
            f"{'weights':>14}  name / reasons"]
    for k, r in enumerate(report["ops"]):
        w = f"{r['weight_bytes']} {r['weights']}" if r["weights"] else "-"
        rows.append(f"{k:>3}  {r['op']:<17} {r['placement']:<5} {r['region'] or '-':<17} "
                    f"{r['macs']:>10} {r['cycles']:>8} {w:>14}  {r['name']}")
        rows += [f"{'':>64}{why}" for why in r["reasons"]]
    s = report["summary"]
    rows.append(f"accelerator: {s['ops_on_accel']}/{s['ops']} ops "
                f"({100 * s['op_fraction_on_accel']:.1f}%), {s['macs_on_accel']}/{s['macs']} MACs "
                f"({100 * s['mac_fraction_on_accel']:.2f}%) in {s['regions']} region(s); "
                f"{s['cycles']} cycles ({s['est_ms']:.3f} ms at the target clock)")
    rows.append(f"memory: weight cache {s['wb_cached_bytes']}/{s['wb_cache_capacity']} bytes used, "
                f"{s['wb_streamed_bytes']} bytes streamed per run; UB peak {s['ub_peak']} bytes, "
                f"ACC peak {s['acc_peak']} int32")
    if s["reason_histogram"]:
        rows.append("CPU reasons: " + ", ".join(f"{k} x{v}" for k, v in s["reason_histogram"].items()))
    return "\n".join(rows)


def export_qdq(model, calib, output, force=False, log=print, stats_file=None, calib_method=None,
               percentile=99.99, moving_average=False, policy=None, overrides_file=None,
               progress=True):
    """Calibrates and annotates MODEL as `compile_model` does and writes the
    result as QDQ ONNX to `output` (see qdq_export.py)."""
    from . import qdq_export
    policy = dict(DEFAULT_POLICY, **(policy or {}))
    if policy["weight_bits"] not in (8, 7):
        raise QCError(f"export-qdq writes 8-bit weights; --weight-bits {policy['weight_bits']} "
                      f"needs ONNX blocked quantization (opset 21), not supported")
    output = Path(output)
    if output.exists() and not force:
        raise QCError(f"'{output}' exists (pass --force to replace it)")
    graph = onnx_import.import_onnx(model)
    if calib is None and stats_file is None:
        raise QCError("give --calib (calibration inputs) or --stats (a statistics file)")
    ov_ranges = {}
    if overrides_file is not None:
        bits, sym, asym, ov_ranges = overrides.load(overrides_file, graph)
        if any(b == 4 for b in bits.values()):
            raise QCError("export-qdq writes 8-bit weights; the override file asks for 4 bits")
        policy.update(layer_bits=bits, symmetric=sym, asymmetric=asym)
    xc = calibrate.load_calibration(calib, graph) if calib is not None else None
    if stats_file is not None and not Path(stats_file).is_file():
        raise QCError(f"statistics file '{stats_file}' not found")
    with tempfile.TemporaryDirectory(prefix="qc-qdq-") as d:
        tmp = Path(d)
        stats = _statistics(graph, model, xc, stats_file, tmp / "stats.json", calib_method,
                            percentile, moving_average, ov_ranges, overrides_file, log, progress)
        ir = tmp / "00-import.mlir"
        ir.write_text(onnx_import.to_mlir(graph))
        tools.run([tools.tool("qc-opt"), str(ir), "--qc-raise-decomposed", fold_option(graph, policy),
                   annotate_option(stats, policy),
                   f"--qc-export-graph=output={tmp / 'annotated.json'}", "-o", os.devnull],
                  "annotation", _describer(graph))
        proto = qdq_export.build(intref.load(tmp / "annotated.json"), graph.input_name,
                                 graph.output_name, Path(model).stem)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        part = output.with_name(f".{output.name}.partial")
        part.write_bytes(proto.SerializeToString())
        os.replace(part, output)
    except OSError as e:
        raise QCError(f"cannot write '{output}': {e.strerror}")
    q = sum(n.op_type == "QuantizeLinear" for n in proto.graph.node)
    dq = sum(n.op_type == "DequantizeLinear" for n in proto.graph.node)
    log(f"wrote {output} (QDQ, opset 17: {q} QuantizeLinear, {dq} DequantizeLinear, "
        f"{len(proto.graph.node) - q - dq} float ops)")
    return output


def is_prequantized(graph):
    """Has the model its own quantization (QDQ)?"""
    return bool(graph.given) or any(n.op == "fake_quant" for n in graph.nodes)


def _statistics(graph, model, xc, stats_file, stats, calib_method, percentile, moving_average,
                ov_ranges, overrides_file, log, progress):
    """Writes OUTDIR/stats.json and returns the statistics file for
    --qc-annotate (None for a QDQ model compiled without calibration)."""
    if xc is None and stats_file is None:
        if ov_ranges or calib_method or moving_average:
            raise QCError("range overrides and calibration methods need --calib or --stats")
        log("no calibration: the model's own quantization (QDQ) is used as given")
        return None
    if stats_file is None:
        tensors = calibrate.cached_collect(graph, model, xc, log, progress)
        method = calib_method or "mse"
        calibrate.apply_method(tensors, method, percentile, moving_average)
        calibrate.write_stats(stats, Path(model).name, len(xc), tensors, method,
                              percentile if method == "percentile" else None)
        log(f"calibrated on {len(xc)} samples ({method}{', moving average' if moving_average else ''})")
        annotate_stats = stats
    elif calib_method:
        doc = calibrate.read_stats(stats_file)
        calibrate.apply_method(doc["tensors"], calib_method, percentile, moving_average)
        calibrate.write_stats(stats, doc.get("model", Path(model).name), doc.get("samples", 0),
                              doc["tensors"], calib_method,
                              percentile if calib_method == "percentile" else None)
        annotate_stats = stats
        log(f"chose ranges ({calib_method}) from the histograms in {stats_file}")
    elif moving_average:
        raise QCError("--moving-average chooses ranges again: give --calib-method minmax with it")
    else:
        shutil.copyfile(stats_file, stats)
        annotate_stats = Path(stats_file)
        log(f"using statistics from {stats_file}")
    if ov_ranges:
        doc = json.loads(Path(annotate_stats).read_text())
        for name, r in ov_ranges.items():
            if name not in doc.get("tensors", {}):
                raise QCError(f"override range for '{name}': the statistics have no such tensor")
            doc["tensors"][name]["range"] = r
        stats.write_text(json.dumps(doc, sort_keys=True))
        annotate_stats = stats
        log(f"ranges overridden for {len(ov_ranges)} tensor(s) from {overrides_file}")
    return annotate_stats


def _choose_bits(qcopt, ir, policy, stats, excluded, xc, graph, describe, log):
    """--weight-bits auto: per-layer bits from measured sensitivity."""
    chosen, rows, size, full = mixed.choose(
        qcopt, ir, policy, lambda p: ["--qc-raise-decomposed", fold_option(graph, p),
                                       annotate_option(stats, p, excluded)],
        xc, graph, policy["size_budget"], describe)
    given = policy.get("layer_bits") or {}
    policy["layer_bits"] = dict(chosen, **given)  # the override file wins
    policy["weight_bits"] = 8
    policy["mixed_precision"] = {"budget_bytes": policy.pop("size_budget"), "weight_bytes": size,
                                 "weight_bytes_at_8_bits": full, "layers": rows}
    log(f"mixed precision: {len(chosen)} layer(s) at 4 bits, weights {size:.0f} bytes "
        f"(budget {policy['mixed_precision']['budget_bytes']:.0f}, all 8-bit {full:.0f}):\n"
        + mixed.format_rows(rows))


def _check_ranges_used(qcopt, ir, tmp, ranges, describe):
    """An overridden range must belong to a tensor that is quantized on its
    own (not, say, a conv output that fuses into the following ReLU)."""
    from .report import activation_params
    out = tmp / "annotated-params.json"
    tools.run([qcopt, str(ir), f"--qc-export-graph=output={out} constants=false", "-o", os.devnull],
              "override check", describe)
    quantized = activation_params(intref.load(out))
    out.unlink()
    for name in ranges:
        if name not in quantized:
            raise QCError(f"override range for '{name}': this tensor is not quantized on its own "
                          f"(it fuses into the op that follows); override that op's output instead")


def weight_bits(bits, reduce_range):
    """The policy's weight_bits from --weight-bits and --reduce-range."""
    if reduce_range and str(bits) != "8":
        raise QCError("--reduce-range makes 8-bit weights 7-bit; it does not combine with "
                      f"--weight-bits {bits}")
    if str(bits) not in ("8", "4", "auto"):
        raise QCError(f"weight bits must be 8, 4 or auto, got {bits!r}")
    return 7 if reduce_range else (bits if bits == "auto" else int(bits))


def float_input_norm(graph, policy):
    """The batch norm on the model input that stays a float prologue: the
    one whose next layer gets 4-bit weights (folded, its per-feature scales
    would spread the 4-bit groups). None when it folds."""
    bn = [n for n in graph.nodes if n.op == "batch_norm" and n.inputs[0] == graph.input_name]
    users = [n for n in graph.nodes if bn and bn[0].output in n.inputs]
    if len(users) == 1 and users[0].op in ("conv2d", "gemm"):
        layer = overrides.layer_name(graph, users[0])
        if (policy.get("layer_bits") or {}).get(layer, policy["weight_bits"]) == 4:
            return bn[0]
    return None


def fold_option(graph, policy):
    """--qc-fold-batchnorm for a policy (see float_input_norm)."""
    keep = float_input_norm(graph, policy) is not None
    return "--qc-fold-batchnorm" + ("=input-norm=float" if keep else "")


def annotate_option(stats, policy, excluded=()):
    """The --qc-annotate pass option for a policy."""
    opt = (f"--qc-annotate={f'stats={stats} ' if stats else ''}weights={policy['weights']} "
           f"activations={policy['activations']} weight-bits={policy['weight_bits']} "
           f"group-size={policy.get('group_size', 32)} "
           f"activation-type={policy.get('activation_type', 'int8')} "
           f"nonlinear={policy.get('nonlinear', 'ibert')}")
    if excluded:
        opt += f" exclude={','.join(excluded)}"
    if policy.get("layer_bits"):
        opt += " layer-bits=" + ",".join(f"{k}={v}" for k, v in policy["layer_bits"].items())
    for key in ("symmetric", "asymmetric"):
        if policy.get(key):
            opt += f" {key}=" + ",".join(policy[key])
    return opt


def resolve_excludes(graph, names):
    """ONNX node names or op types -> the tensor names of the ops to keep in
    float. A Conv / Gemm that batch norm folds into is named by the batch
    norm's output after folding, so both names are passed."""
    out, nodes = [], []
    consumers = {}
    for n in graph.nodes:
        for i in n.inputs:
            consumers.setdefault(i, []).append(n)
    for name in names:
        hits = [n for n in graph.nodes if name in (n.onnx_name, n.onnx_op)]
        if not hits:
            raise QCError(f"--exclude '{name}' matches no node name or op type of the model")
        for n in hits:
            nodes.append(n.onnx_name)
            out.append(n.output)
            users = consumers.get(n.output, [])
            if n.op in ("conv2d", "gemm") and len(users) == 1 and users[0].op == "batch_norm":
                out.append(users[0].output)
    if any("," in t for t in out):
        raise QCError("--exclude: tensor names containing ',' are not supported")
    return list(dict.fromkeys(out)), list(dict.fromkeys(nodes))


def _write_report(qcopt, graph, tmp, x, describe, log, scheme):
    from . import report as rep
    params = tmp / "annotated-params.json"
    tools.run([qcopt, str(tmp / "ir" / "02-annotate.mlir"),
               f"--qc-export-graph=output={params} constants=false", "-o", os.devnull],
              "report", describe)
    rows = rep.layer_errors(graph, intref.load(params), intref.load(tmp / "graph.json"), x,
                            f"{scheme} per-tensor")
    params.unlink()
    rep.write(tmp / "report.json", rows, len(x))
    log(f"per-tensor error on {len(x)} calibration samples (worst first), also in report.json:\n"
        + rep.format_table(rows))
