"""ONNX's own backend node tests through qc (`qc conformance`).

Each case in DATA/node/test_*/ (Debian `libonnx-testdata`) is a one-node
model with inputs and expected outputs as TensorProto files. For every case
whose ops qc imports, the runner compiles the model with `qc compile` (no
calibration: float32 ops stay float, QuantizeLinear / DequantizeLinear
become integer conversions) and runs it on the case's inputs: all of them
for float ops (several inputs and outputs bind in graph order); for the
quantization ops the first, with the others (scales, zero points, weights:
what a deployed model carries) bound as initializers. It compares every
output:

* integer outputs exactly;
* float outputs within |got - want| <= 1e-5 + 1e-4 |want| (float32 sums in
  another order than numpy's; ONNX's own runner allows rtol 1e-3).

One line per case (PASS / FAIL with the reason), then `N passed, M failed`.
Cases qc cannot take (op not imported, a scalar input) fail with that
reason: the list is the work left, not hidden.
"""
import argparse
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from .errors import QCError

DATA = Path("/usr/share/libonnx-testdata/data")
QUANT_TESTS = ("quantizelinear", "dequantizelinear", "dynamicquantizelinear", "matmulinteger",
               "convinteger", "qlinearmatmul", "qlinearconv")


def _load_pb(path):
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    t.ParseFromString(Path(path).read_bytes())
    return numpy_helper.to_array(t)


def cases(data, pattern, ops=None):
    """Test directories whose name matches `pattern` and, when `ops` is
    given, whose model uses only those op types."""
    import onnx
    out = []
    for d in sorted((Path(data) / "node").glob("test_*")):
        if not re.search(pattern, d.name):
            continue
        if ops is not None:
            m = onnx.load(str(d / "model.onnx"))
            if not {n.op_type for n in m.graph.node} <= set(ops):
                continue
        out.append(d)
    return out


def run_case(d, work):
    """Returns (ok, message)."""
    import onnx
    from onnx import numpy_helper
    from .compiler import compile_model
    from .runtime import CompiledModel
    m = onnx.load(str(d / "model.onnx"))
    sets = sorted(d.glob("test_data_set_*"))
    if not sets:
        return False, "no test data"
    try:
        ins = [_load_pb(p) for p in sorted(sets[0].glob("input_*.pb"))]
        outs = [_load_pb(p) for p in sorted(sets[0].glob("output_*.pb"))]
    except Exception:  # sequences, optionals: not plain tensors
        return False, "test data is not a plain tensor (sequence or optional)"
    graph_inputs = [i for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
    # The first input, and inputs read only as activations by elementwise
    # ops and MatMul, stay model inputs; the others (scales, zero points,
    # weights, shapes: what a deployed model carries) become initializers.
    act_ops = {"Add", "Sub", "Mul", "Div", "MatMul"}
    readers = {}
    for n in m.graph.node:
        for i in n.input:
            readers.setdefault(i, set()).add(n.op_type)
    keep = [k for k, i in enumerate(graph_inputs) if k == 0 or readers.get(i.name, set()) <= act_ops]
    xs = []
    for k, (inp, arr) in enumerate(zip(graph_inputs, ins)):
        if k in keep:
            xs.append(arr)
        else:
            m.graph.initializer.append(numpy_helper.from_array(arr, inp.name))
    bound = {graph_inputs[k].name for k in range(len(graph_inputs)) if k not in keep}
    kept = [i for i in m.graph.input if i.name not in bound]
    del m.graph.input[:]
    m.graph.input.extend(kept)
    if any(x.ndim == 0 for x in xs):
        return False, "scalar input (the compiled ABI needs a shape)"
    model = work / f"{d.name}.onnx"
    onnx.save(m, str(model))
    try:
        compile_model(model, None, work / d.name, force=True, log=lambda s: None, progress=False)
        ys = CompiledModel(work / d.name)(*xs)
    except QCError as e:
        return False, str(e).splitlines()[0]
    ys = list(ys) if isinstance(ys, tuple) else [ys]
    msgs = []
    for y, want in zip(ys, outs):
        if list(y.shape) != list(want.shape):
            return False, f"shape {list(y.shape)}, expected {list(want.shape)}"
        if want.dtype.kind == "f":
            err = np.abs(y.astype(np.float64) - want)
            bad = err > 1e-5 + 1e-4 * np.abs(want)
            if bad.any():
                return False, f"{int(bad.sum())} of {want.size} values off (max |diff| {err.max():.3g})"
            msgs.append(f"max |diff| {err.max():.2g}")
        elif y.dtype != want.dtype or not np.array_equal(y, want):
            return False, f"{int(np.sum(y != want))} of {want.size} values differ (dtype {y.dtype})"
        else:
            msgs.append("exact")
    if len(ys) != len(outs):
        return False, f"{len(ys)} outputs, expected {len(outs)}"
    return True, ", ".join(msgs)


def main(argv=None):
    p = argparse.ArgumentParser(prog="qc conformance", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=str(DATA), help=f"ONNX test data root (default {DATA})")
    p.add_argument("--filter", default="|".join(QUANT_TESTS),
                   help="regular expression on test names (default: the quantization tests)")
    p.add_argument("--ops", help="comma-separated op types: only cases using just these")
    args = p.parse_args(argv)
    if not (Path(args.data) / "node").is_dir():
        raise QCError(f"no ONNX node tests under '{args.data}' (Debian: apt-get install libonnx-testdata)")
    selected = cases(args.data, args.filter, args.ops.split(",") if args.ops else None)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="qc-conformance-") as w:
        for d in selected:
            ok, msg = run_case(d, Path(w))
            passed, failed = passed + ok, failed + (not ok)
            print(f"{'PASS' if ok else 'FAIL'} {d.name}: {msg}", flush=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
