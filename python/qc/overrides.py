"""Per-tensor override file (`qc compile --overrides FILE`).

    {"<ONNX node name or tensor name>": {"bits": 4 | 7 | 8,
                                          "scheme": "symmetric" | "asymmetric",
                                          "range": [lo, hi]}, ...}

`bits` sets the weight bits of a Conv / Gemm node; `scheme` and `range` set
the quantization of a tensor (a node's output, or the model input). Every
entry must match something and every value is checked: a bad file is an
error naming the entry, never ignored.
"""
import json
import math
from pathlib import Path

from .errors import QCError

KEYS = ("bits", "scheme", "range")


def layer_name(graph, node):
    """The name a conv / gemm carries after batch-norm folding: the output
    of the batch norm it folds into, else its own."""
    users = [n for n in graph.nodes if node.output in n.inputs]
    if len(users) == 1 and users[0].op == "batch_norm":
        return users[0].output
    return node.output


def load(path, graph):
    """-> (layer bits {layer name: bits}, symmetric tensors, asymmetric
    tensors, ranges {tensor: [lo, hi]})."""
    where = f"override file '{path}'"
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise QCError(f"{where} not found")
    except (OSError, ValueError) as e:
        raise QCError(f"{where} is unreadable or not JSON: {e}")
    if not isinstance(doc, dict):
        raise QCError(f"{where} must hold a JSON object of entries")
    bits, sym, asym, ranges = {}, [], [], {}
    for name, e in doc.items():
        here = f"{where}, entry '{name}'"
        if not isinstance(e, dict) or not e or set(e) - set(KEYS):
            raise QCError(f"{here}: expected an object with keys among {', '.join(KEYS)}")
        nodes = [n for n in graph.nodes if name in (n.onnx_name, n.output)]
        tensor = name if name == graph.input_name else (nodes[0].output if nodes else None)
        if tensor is None:
            raise QCError(f"{here}: no node or tensor of the model has this name")
        if "bits" in e:
            if not nodes or nodes[0].op not in ("conv2d", "gemm"):
                raise QCError(f"{here}: 'bits' applies to Conv and Gemm nodes only")
            if e["bits"] not in (4, 7, 8) or isinstance(e["bits"], bool):
                raise QCError(f"{here}: bits must be 4, 7 or 8, got {e['bits']!r}")
            bits[layer_name(graph, nodes[0])] = e["bits"]
        if "scheme" in e:
            if e["scheme"] not in ("symmetric", "asymmetric"):
                raise QCError(f"{here}: scheme must be symmetric or asymmetric, got {e['scheme']!r}")
            (sym if e["scheme"] == "symmetric" else asym).append(tensor)
        if "range" in e:
            r = e["range"]
            if (not isinstance(r, list) or len(r) != 2
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                               for v in r) or r[0] >= r[1]):
                raise QCError(f"{here}: range must be [lo, hi] with finite lo < hi, got {r!r}")
            ranges[tensor] = [float(r[0]), float(r[1])]
    return bits, sym, asym, ranges
