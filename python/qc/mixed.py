"""Mixed precision: 4- or 8-bit weights per layer under a size budget.

Each layer that can take 4-bit grouped weights (the compiler decides: see
--qc-annotate) is lowered alone, the integer program is rebuilt up to
fold-rescale and run on the calibration data by the numpy interpreter, and
its sensitivity is the drop of the output SQNR against the float model.
The layers lowered are the set whose savings fit the budget with the least
summed drop (drops taken as additive, as HAWQ does; exact search over all
subsets for up to 16 candidates, greedy by drop per byte beyond). Sizes count conv / gemm weights packed at
their bits (biases and scales excluded).
"""
import tempfile
from pathlib import Path

import numpy as np

from . import floatref, intref, tools
from .errors import QCError
from .report import sqnr_db


def layer_weights(doc):
    """Layer (conv / gemm output tensor) -> [weight elements, bits]; the
    groups of a 4-bit layer are summed."""
    fn = doc["functions"][0]
    consts = {op["results"][0]: op for op in fn["ops"] if op["op"] == "arith.constant"}
    out = {}
    for op in fn["ops"]:
        if op["op"] in ("qc.conv2d", "qc.gemm") and op["operands"][1] in consts:
            c = consts[op["operands"][1]]
            n = int(np.prod(c["attrs"]["value"]["type"]["shape"]))
            e = out.setdefault(op["name"], [0, c["attrs"].get("qc.bits", 8)])
            e[0] += n
    return out


def size_bytes(layers, bits):
    return sum(n * bits.get(name, b) for name, (n, b) in layers.items()) / 8


def choose(qcopt, ir, policy, options, x, graph, budget, describe):
    """Returns ({layer: 4} to lower, rows for the report table, chosen
    size, 8-bit size). `ir` is the imported float IR; `options(policy)`
    gives the fold-batchnorm and annotate pass options for a policy."""

    def build(**changes):
        with tempfile.TemporaryDirectory(prefix="qc-mixed-") as d:
            out = Path(d) / "graph.json"
            tools.run([qcopt, str(ir), *options(dict(policy, **changes)), "--qc-fake-to-real",
                       "--qc-fold-rescale", f"--qc-export-graph=output={out}", "-o", str(Path(d) / "ir")],
                      "mixed precision", describe)
            return intref.load(out)

    ref = floatref.run(graph, x)
    base = build(weight_bits=8, layer_bits={})
    layers = layer_weights(base)
    all4 = layer_weights(build(weight_bits=4, layer_bits={}))
    candidates = [n for n, (_, b) in all4.items() if b == 4]
    full = size_bytes(layers, {})
    least = size_bytes(layers, {n: 4 for n in candidates})
    if budget < least:
        raise QCError(f"--size-budget {budget:.0f} bytes is below the smallest reachable weight size "
                      f"{least:.0f} bytes (all {len(candidates)} eligible layers at 4 bits; "
                      f"8-bit size {full:.0f} bytes)")
    s8 = sqnr_db(ref, intref.run(base, x))
    drop = {}
    for n in candidates:
        drop[n] = s8 - sqnr_db(ref, intref.run(build(weight_bits=8, layer_bits={n: 4}), x))
    saved = {n: layers[n][0] * (layers[n][1] - 4) / 8 for n in candidates}
    need = full - budget
    chosen = {n: 4 for n in lowest_cost(candidates, saved, {n: max(drop[n], 0.0) for n in drop}, need)}
    rows = [{"layer": n, "weights": layers[n][0], "bits": chosen.get(n, layers[n][1]),
             "sqnr_drop_db": drop.get(n)} for n in layers]
    return chosen, rows, size_bytes(layers, chosen), full


def lowest_cost(cands, saved, cost, need):
    """The set of layers whose savings reach `need` with the least summed
    cost (per-layer drops add, as in HAWQ); exact over all subsets up to 16
    candidates, else greedy by cost per byte then pruned."""
    if need <= 0:
        return []
    if len(cands) <= 16:
        best = None
        for mask in range(1 << len(cands)):
            pick = [c for i, c in enumerate(cands) if mask >> i & 1]
            if sum(saved[c] for c in pick) >= need:
                key = (round(sum(cost[c] for c in pick), 9), len(pick), pick)
                best = key if best is None or key < best else best
        return best[2]
    pick = []
    for c in sorted(cands, key=lambda c: (cost[c] / max(saved[c], 1), c)):
        if sum(saved[p] for p in pick) >= need:
            break
        pick.append(c)
    for c in sorted(pick, key=lambda c: -cost[c]):
        rest = [p for p in pick if p != c]
        if sum(saved[p] for p in rest) >= need:
            pick = rest
    return pick


def format_rows(rows):
    lines = [f"{'bits':>4} {'weights':>8} {'drop dB':>8}  layer"]
    for r in rows:
        d = "-" if r["sqnr_drop_db"] is None else f"{r['sqnr_drop_db']:.2f}"
        lines.append(f"{r['bits']:>4} {r['weights']:>8} {d:>8}  {r['layer']}")
    return "\n".join(lines)
