"""`qc report OUTDIR -o report.html`: one self-contained HTML page per
compiled model: summary, per-layer error bars, a table of bits / scheme /
parameters / error per tensor, and each tensor's calibration histogram with
the chosen clipping range. Plots are matplotlib PNGs inlined as data URIs."""
import base64
import html
import io
import json
import os
from pathlib import Path

import numpy as np

from .errors import QCError


def _png(fig):
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _load(outdir, name, required=True):
    f = Path(outdir) / name
    if not f.exists():
        if required:
            raise QCError(f"'{outdir}' has no {name}: not a compiled qc model")
        return None
    try:
        return json.loads(f.read_text())
    except ValueError as e:
        raise QCError(f"'{f}' is corrupt: {e}")


def summary(graph, manifest):
    """(integer ops, float ops, requantizes, float bytes, integer bytes)."""
    skip = {"arith.constant", "func.return"}
    n_int = n_float = n_rq = 0
    for fn in graph["functions"]:
        for op in fn["ops"]:
            if op["op"] in skip:
                continue
            floaty = any(t.get("dtype") == "f32" for t in op["types"]) or op["op"] == "qc.quantize"
            n_float += floaty
            n_int += not floaty
            n_rq += op["op"] == "qc.requantize"
    return n_int, n_float, n_rq, manifest.get("float_weight_bytes"), manifest.get("int_weight_bytes")


def _db(v):
    return "inf" if v is None else f"{v:.1f}"


def _hist_plot(name, e):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    h = np.asarray(e["hist"], dtype=float)
    m = e["absmax"]
    centers = np.linspace(-m, m, len(h) + 1)
    centers = (centers[:-1] + centers[1:]) / 2
    used = h > 0
    lo_i, hi_i = (np.argmax(used), len(h) - 1 - np.argmax(used[::-1])) if used.any() else (0, len(h) - 1)
    fig, ax = plt.subplots(figsize=(3.6, 1.9))
    ax.fill_between(centers[lo_i:hi_i + 1], h[lo_i:hi_i + 1] + 1, 1, step="mid", color="#4477aa")
    ax.set_yscale("log")
    lo, hi = e["range"]
    for v in (lo, hi):
        ax.axvline(v, color="#cc3311", lw=1.2)
    ax.set_title(name if len(name) < 48 else "…" + name[-46:], fontsize=7)
    ax.tick_params(labelsize=6)
    ax.set_yticks([])
    return _png(fig)


def _sqnr_plot(rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [r["tensor"] if len(r["tensor"]) < 40 else "…" + r["tensor"][-38:] for r in rows]
    own = [r["own_sqnr_db"] if r["own_sqnr_db"] is not None else 100 for r in rows]
    e2e = [r["sqnr_db"] if r["sqnr_db"] is not None else 100 for r in rows]
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(rows) + 0.8))
    y = np.arange(len(rows))
    ax.barh(y - 0.2, own, 0.4, label="own quantization", color="#4477aa")
    ax.barh(y + 0.2, e2e, 0.4, label="end to end", color="#ee7733")
    ax.set_yticks(y, names, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("SQNR (dB), higher is better", fontsize=7)
    ax.legend(fontsize=6)
    ax.tick_params(labelsize=6)
    return _png(fig)


def render(outdir):
    outdir = Path(outdir)
    manifest = _load(outdir, "manifest.json")
    stats_name = manifest.get("stats", "stats.json")
    stats = _load(outdir, stats_name) if stats_name else {"tensors": {}}  # QDQ model: none
    graph = _load(outdir, manifest.get("graph", "graph.json"))
    rep = _load(outdir, "report.json", required=False)
    n_int, n_float, n_rq, fbytes, ibytes = summary(graph, manifest)
    size = ""
    if fbytes and ibytes:
        size = f", size {ibytes / 1024:.1f} kB ({fbytes / ibytes:.1f}x smaller)"
    line = f"{n_int} ops integer, {n_float} float, {n_rq} requantizes{size}"
    esc = html.escape
    parts = [f"<h1>qc report: {esc(manifest.get('model', ''))}</h1>",
             f"<p class=summary>{esc(line)}</p>",
             (f"<p>Calibration: {stats.get('samples')} samples, method {esc(str(stats.get('method')))}. "
              if stats_name else "<p>No calibration: the model's own quantization (QDQ) was used. ") +
             f"Policy: {esc(json.dumps(manifest.get('policy', {})))}. "
             f"Float weights {fbytes or 0} bytes; integer weights {ibytes or 0} bytes. "
             "All ops run on the CPU (no accelerator target).</p>"]
    if rep:
        rows = rep["tensors"]
        parts.append(f"<h2>Per-layer error ({rep['samples']} calibration samples, worst first)</h2>")
        parts.append(f"<img alt='per-layer SQNR' src='{_sqnr_plot(rows)}'>")
        head = "<tr><th>tensor</th><th>op</th><th>bits</th><th>weight bits</th><th>scheme</th>" \
               "<th>scale</th><th>zero point</th><th>own SQNR dB</th><th>SQNR dB</th><th>cosine</th></tr>"
        body = "".join(
            f"<tr><td>{esc(r['tensor'])}</td><td>{esc(r['op'])}</td><td>{r['bits']}</td>"
            f"<td>{r.get('weight_bits') or '-'}</td>"
            f"<td>{esc(r['scheme'])}</td><td>{r['scale']:.4g}</td><td>{r['zero_point']}</td>"
            f"<td>{_db(r['own_sqnr_db'])}</td><td>{_db(r['sqnr_db'])}</td>"
            f"<td>{r['cosine']:.5f}</td></tr>" for r in rows)
        parts.append(f"<table>{head}{body}</table>")
    else:
        parts.append("<p>No per-layer error: compile with <code>--report</code> to add it.</p>")
    parts.append("<h2>Calibration histograms and chosen ranges (red)</h2><div class=grid>")
    for name, e in sorted(stats["tensors"].items()):
        if "hist" in e:
            parts.append(f"<img alt='{esc(name)}' src='{_hist_plot(name, e)}'>")
    parts.append("</div>")
    style = ("body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;"
             "font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px}.summary{font-size:1.2em;"
             "font-weight:bold}.grid img{margin:4px}")
    check = ("<script>window.addEventListener('load',function(){var bad=0;"
             "for(var i=0;i<document.images.length;i++){var m=document.images[i];"
             "if(!m.complete||m.naturalWidth===0)bad++;}"
             "document.body.setAttribute('data-images',bad?'broken':'ok:'+document.images.length);});</script>")
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>qc report</title>"
            f"<style>{style}</style>{check}</head><body>{''.join(parts)}</body></html>\n")


def write(outdir, path):
    text = render(outdir)
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)
    return path
