"""Per-layer quantization error: the float model against the compiled
integer program, tensor by tensor, on the calibration data.

Float tensors come from the numpy float reference; integer tensors from the
independent numpy interpreter of the final integer graph (graph.json), each
dequantized with the parameters `--qc-annotate` chose for it (read from the
annotated IR).

Error accumulates along the network, so the end-to-end SQNR of late layers is
low even when they quantize well. Each row therefore also has `own_sqnr_db`:
the SQNR of quantizing this tensor alone (the float tensor against its own
quantize-dequantize with the chosen scale and zero point), which isolates the
damage its range choice does. Rows are ranked by it, worst first: the layer to
exclude or give more bits comes first."""
import json
import math

import numpy as np

from . import floatref, intref


def activation_params(annotated_doc):
    """Tensor name -> (scale, zero point, bits) of every fake-quantized
    activation in the annotated graph."""
    out = {}
    for fn in annotated_doc["functions"]:
        for op in fn["ops"]:
            q = op["attrs"].get("qtype")
            if op["op"] == "qc.fake_quant" and isinstance(q, dict) and q["axis"] == -1 and op["name"]:
                bits = int(round(math.log2(q["qmax"] - q["qmin"] + 1)))
                out[op["name"]] = (q["scales"][0], q["zero_points"][0], bits)
    return out


def weight_bits(annotated_doc):
    """Layer (conv / gemm output tensor, or the ReLU / clamp fused into it)
    -> bits of its weights."""
    out, macs = {}, {}
    for fn in annotated_doc["functions"]:
        fq = {op["results"][0]: op for op in fn["ops"] if op["op"] == "qc.fake_quant"}
        for op in fn["ops"]:
            w = fq.get(op["operands"][1]) if op["op"] in ("qc.conv2d", "qc.gemm") else None
            if w is not None and isinstance(w["attrs"].get("qtype"), dict):
                q = w["attrs"]["qtype"]
                out[op["name"]] = int(round(math.log2(q["qmax"] - q["qmin"] + 1)))
                macs[op["results"][0]] = out[op["name"]]
            elif op["op"] == "tosa.clamp" and op["operands"][0] in macs:  # fused ReLU
                out[op["name"]] = macs[op["operands"][0]]
    return out


def sqnr_db(ref, got):
    noise = float(np.sum((ref - got) ** 2, dtype=np.float64))
    signal = float(np.sum(ref.astype(np.float64) ** 2))
    if noise == 0:
        return math.inf
    return 10 * math.log10(signal / noise) if signal > 0 else -math.inf


def cosine(a, b):
    a, b = a.reshape(-1).astype(np.float64), b.reshape(-1).astype(np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return 1.0 if na == nb else 0.0
    return float(a @ b / (na * nb))


def layer_errors(graph, annotated_doc, final_doc, x, scheme="asymmetric per-tensor"):
    params = activation_params(annotated_doc)
    wbits = weight_bits(annotated_doc)
    floats, ints = {}, {}
    floatref.run(graph, x, lambda name, t: floats.__setitem__(name, t))
    intref.run(final_doc, x, observe=lambda op, v: ints.__setitem__(op["name"], v) if op["name"] else None)
    where = {n.output: (n.onnx_name, n.onnx_op) for n in graph.nodes}
    rows = []
    for name, (scale, zp, bits) in params.items():
        if name not in floats or name not in ints:
            continue
        f = floats[name]
        deq = (ints[name] - zp).astype(np.float32) * np.float32(scale)
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        own = (np.clip(np.rint(f / np.float32(scale)) + zp, lo, hi) - zp).astype(np.float32) * np.float32(scale)
        node, op = where.get(name, ("", "input"))
        rows.append({"tensor": name, "node": node, "op": op, "bits": bits,
                     "weight_bits": wbits.get(name),
                     "scheme": scheme, "scale": scale, "zero_point": zp,
                     "own_sqnr_db": sqnr_db(f, own), "sqnr_db": sqnr_db(f, deq), "cosine": cosine(f, deq)})
    rows.sort(key=lambda r: (r["own_sqnr_db"], r["sqnr_db"]))
    return rows


def format_table(rows):
    lines = [f"{'own dB':>7} {'SQNR dB':>8} {'cosine':>8} {'bits':>4} {'w bits':>6}  {'op':<18} tensor"]
    for r in rows:
        o, s = ("inf" if math.isinf(v) else f"{v:.1f}" for v in (r["own_sqnr_db"], r["sqnr_db"]))
        w = r.get("weight_bits") or "-"
        lines.append(f"{o:>7} {s:>8} {r['cosine']:8.5f} {r['bits']:>4} {w:>6}  {r['op']:<18} {r['tensor']}")
    return "\n".join(lines)


def write(path, rows, samples):
    doc = {"format": "qc-report", "version": 1, "samples": samples,
           "note": "float model vs compiled integer program on the calibration data; worst first",
           "tensors": [{k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in r.items()}
                       for r in rows]}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
