"""Independent numpy interpreter of qc's integer graph (graph.json).

It evaluates the IR that `--qc-export-graph` wrote after fold-rescale with
plain integer numpy, following integer-spec.md directly: ONNX QuantizeLinear
(float32 division, round half to even), integer conv / gemm with explicit
zero-point subtraction in int64, and TFLite's MultiplyByQuantizedMultiplier
(SaturatingRoundingDoublingHighMul then RoundingDivideByPOT). It shares no
code with the C++ lowering, so agreement is a real check.
"""
import base64
import json

import numpy as np

from . import floatref
from .errors import QCError

I32_MIN, I32_MAX = -(1 << 31), (1 << 31) - 1


def wrap32(x):
    return ((np.asarray(x, dtype=np.int64) + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int64)


def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul on int64 arrays of int32."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    q = np.where(s >= 0, s // (1 << 31), -((-s) // (1 << 31)))  # truncate toward 0
    sat = (a == I32_MIN) & (b == I32_MIN)
    return np.where(sat, I32_MAX, q)


def rdbpot(x, e):
    """gemmlowp RoundingDivideByPOT (round half away from zero)."""
    x = np.asarray(x, np.int64)
    e = np.asarray(e, np.int64)
    mask = (np.int64(1) << e) - 1
    rem = x & mask
    thr = (mask >> 1) + (x < 0)
    return (x >> e) + (rem > thr)


def mbqm(x, m, exponent):
    """TFLite MultiplyByQuantizedMultiplier; exponent > 0 shifts left."""
    left = np.maximum(exponent, 0)
    right = np.maximum(-exponent, 0)
    return rdbpot(srdhm(wrap32(np.asarray(x, np.int64) << left), m), right)


def _chan(vals, axis, ndim):
    v = np.asarray(vals, np.int64)
    if axis < 0:
        return v[0]
    shape = [1] * ndim
    shape[axis] = -1
    return v.reshape(shape)


def dense(attr, dtype):
    """The values of an exported dense attribute as `dtype`: integer tensors
    come as base64 of their raw little-endian bytes ("b64"), the rest as a
    list ("data")."""
    t = attr["type"]
    if "b64" in attr:
        raw = np.frombuffer(base64.b64decode(attr["b64"]), f"<i{_BYTES[t['dtype']]}")
        return raw.astype(dtype).reshape(t["shape"])
    return np.asarray(attr["data"], dtype=dtype).reshape(t["shape"])


_BYTES = {"i8": 1, "i16": 2, "i32": 4, "i64": 8}


def _const(attr):
    dtype = {"f32": np.float32, "i8": np.int64, "i32": np.int64, "i64": np.int64}.get(attr["type"]["dtype"])
    if dtype is None:
        raise QCError(f"reference: unsupported constant type {attr['type']['dtype']}")
    return dense(attr, dtype)


def run_op(op, args):
    name, a = op["op"], op["attrs"]
    if name == "arith.constant":
        return _const(a["value"])
    x = args[0] if args else None
    if name == "qc.quantize":
        q = a["qtype"]
        s, zp = np.float32(q["scales"][0]), np.float32(q["zero_points"][0])
        v = np.rint(x.astype(np.float32) / s) + zp
        return np.clip(v, q["qmin"], q["qmax"]).astype(np.int64)
    if name == "qc.dequantize":
        q = a["qtype"]
        return (x - q["zero_points"][0]).astype(np.float32) * np.float32(q["scales"][0])
    if name in FLOAT_OPS and x.dtype == np.float32:
        return run_float_op(name, a, args)
    if name == "qc.conv2d":
        xs = x - a["input_zp"]
        w = args[1] - a["weight_zp"]
        acc = floatref.conv2d(xs, w, args[2], a["strides"], a["pads"], a["dilations"], a["group"])
        return wrap32(acc)
    if name == "qc.gemm":
        return wrap32((x - a["input_zp"]) @ (args[1] - a["weight_zp"]).T + args[2])
    if name == "qc.max_pool2d":
        xp = floatref.pad_nchw(x, a["pads"], -128)
        return floatref.windows(xp, a["kernel"], a["strides"]).max(axis=(4, 5))
    if name == "qc.sum_pool2d":
        xp = floatref.pad_nchw(x - a["input_zp"], a["pads"], 0)
        return floatref.windows(xp, a["kernel"], a["strides"]).sum(axis=(4, 5))
    if name == "qc.requantize":
        if "multiplier" not in a:
            raise QCError("reference: requantize without a dyadic form")
        axis = a["axis"]
        m = _chan(a["multiplier"], axis, x.ndim)
        e = 31 - _chan(a["shift"], axis, x.ndim)
        y = mbqm(x - a["input_zp"], m, e) + a["output_zp"]
        return np.clip(y, a["min"], a["max"])
    if name == "tosa.clamp":
        return np.clip(x, a["min_val"], a["max_val"])
    if name == "tosa.table":
        return args[1][x + 128]
    if name == "tosa.add":
        return wrap32(x + args[1])
    if name == "tensor.extract_slice":
        # Static slices of the channel dimension (blockwise weights); the
        # graph's batch is 1, the data's is N: dimension 0 is kept whole.
        idx = (slice(None),) + tuple(slice(o, o + n) for o, n in
                                     zip(a["static_offsets"][1:], a["static_sizes"][1:]))
        if any(s != 1 for s in a["static_strides"]):
            raise QCError("reference: strided extract_slice")
        return x[idx]
    if name == "tensor.collapse_shape":
        return x.reshape((x.shape[0],) + tuple(op["types"][0]["shape"][1:]))
    # Transformer ops; graphs with them run one sample at a time (see run),
    # so the shapes are the compiled ones.
    if name == "tosa.const_shape":
        return dense(a["values"], np.int64).ravel()
    if name == "tosa.reshape":
        return x.reshape(op["types"][0]["shape"])
    if name == "tosa.transpose":
        return np.ascontiguousarray(x.transpose(a["perms"]))
    if name == "tosa.slice":
        start, size = args[1], args[2]
        return x[tuple(slice(b, b + n) for b, n in zip(start, size))]
    if name == "tosa.matmul":
        return wrap32(np.matmul(x - args[2][0], args[1] - args[3][0]))
    if name == "tosa.reduce_sum":
        return wrap32(x.sum(axis=a["axis"], keepdims=True))
    if name == "qc.isoftmax":
        return isoftmax(x, a)
    if name == "qc.igelu":
        return igelu(x, a)
    if name == "qc.ilayernorm":
        return ilayernorm(x, a)
    raise QCError(f"reference: no semantics for '{name}'")


def _floordiv(a, b):
    return np.floor_divide(np.asarray(a, np.int64), np.asarray(b, np.int64))


def isoftmax(x, a):
    """qc.isoftmax over the last axis (integer-spec.md 5.4-5.5, code form)."""
    x0, bi, ci = a["x0"], a["b_int"], a["c_int"]
    v = np.maximum(x - x.max(axis=-1, keepdims=True), 30 * x0)
    qz = _floordiv(v, x0)
    r = v - x0 * qz
    z = r * (r + bi) + ci
    e = np.maximum(z * (np.int64(1) << (30 - qz)), 0)
    sh = a["shift"]
    e16 = np.clip(((e >> a["pre_shift"]) * a["multiplier"] + (1 << (sh - 1))) >> sh, 0, 32767)
    total = e16.sum(axis=-1, keepdims=True)
    factor = np.where(total > 0, _floordiv(np.int64(1) << 32, np.maximum(total, 1)), 0)
    return np.clip(((e16 * factor) >> 24) + a["output_zp"], -128, 127)


def igelu(q, a):
    """qc.igelu (integer-spec.md 5.3), sign moved into the integer."""
    bi, ci = a["b_int"], a["c_int"]
    u = np.minimum(np.abs(q), -bi)
    erf = (np.sign(q) * ((u + bi) ** 2 + ci)) >> 14
    return -(q * (erf + a["one"]))


def isqrt(v):
    """floor(sqrt(v)) exactly, for int64 arrays v >= 0 (math.isqrt)."""
    import math
    return np.vectorize(math.isqrt, otypes=[np.int64])(np.asarray(v, np.int64))


def ilayernorm(x, a):
    """qc.ilayernorm over the last axis (integer-spec.md 5.6-5.7) with its
    affine step and requantize as one dyadic per channel."""
    n = x.shape[-1]
    total = x.sum(axis=-1, keepdims=True)
    q = _floordiv(total, n)
    twice = 2 * (total - q * n)
    mean = q + ((twice > n) | ((twice == n) & (q % 2 == 1)))
    d = x - mean
    var = ((d >> a["shift"]) ** 2).sum(axis=-1, keepdims=True) + a["eps"]
    sd = isqrt(var) << a["shift"]
    factor = np.where(sd == 0, np.int64(1) << 31, _floordiv(np.int64(1) << 31, np.maximum(sd, 1)))
    yn = (d * factor) >> 1
    k = a["k"]
    g, b = np.asarray(a["gamma"], np.int64), np.asarray(a["beta"], np.int64)
    y = (yn * g + b + (np.int64(1) << (k - 1))) >> k
    return np.clip(y + a["output_zp"], -128, 127)


FLOAT_OPS = {"qc.conv2d", "qc.gemm", "qc.max_pool2d", "qc.avg_pool2d", "tosa.clamp",
             "tosa.tanh", "tosa.add", "qc.batch_norm", "qc.softmax", "qc.gelu", "qc.layer_norm"}

# Ops whose shapes name the batch dimension (compiled as 1): a graph with
# any of them runs sample by sample.
PER_SAMPLE = {"tosa.reshape", "tosa.transpose", "tosa.slice", "tosa.matmul", "tosa.reduce_sum"}


def run_float_op(name, a, args):
    """Ops kept in float (qc.float): the float reference's semantics."""
    from .graph import Node
    x = args[0]
    if name == "tosa.clamp":
        return np.clip(x, np.float32(a["min_val"]), np.float32(a["max_val"])).astype(np.float32)
    if name == "tosa.tanh":
        return np.tanh(x).astype(np.float32)
    if name == "tosa.add":
        return (x + args[1]).astype(np.float32)
    if name in ("qc.softmax", "qc.gelu", "qc.layer_norm"):
        return _float_row_op(name, a, args)
    if name == "qc.batch_norm":
        # As the lowering computes it: a = scale / sqrt(var + eps),
        # b = bias - mean * a, y = x * a + b, each step in float32.
        sc, bi, mu, var = (np.asarray(v, np.float32) for v in args[1:5])
        k = sc / np.sqrt(var + np.float32(a["epsilon"]))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return x * k.reshape(shape) + (bi - mu * k).reshape(shape)
    op = {"qc.conv2d": "conv2d", "qc.gemm": "gemm", "qc.max_pool2d": "max_pool2d",
          "qc.avg_pool2d": "avg_pool2d"}[name]
    consts = {f"c{i}": v for i, v in enumerate(args[1:], 1)}
    node = Node(op, "out", ["x"] + list(consts), a)
    return floatref.run_node(node, {"x": x}, consts)


def _float_row_op(name, a, args):
    """Kept-float transformer ops, as the lowering computes them in float32
    (libm's exp / erf / tanh may differ from numpy's in the last bit)."""
    x = args[0]
    f = np.float32
    if name == "qc.softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return (e / e.sum(axis=-1, keepdims=True, dtype=f)).astype(f)
    if name == "qc.gelu":
        if a.get("approximate", "none") == "tanh":
            t = np.tanh((x + x * x * x * f(0.044715)) * f(np.sqrt(2 / np.pi)))
        else:
            t = floatref._erf(x * f(np.sqrt(0.5)))
        return (x * f(0.5) * (t + f(1))).astype(f)
    inv = f(1.0 / x.shape[-1])
    total = x.sum(axis=-1, keepdims=True, dtype=f)
    d = x - total * inv
    var = (d * d).sum(axis=-1, keepdims=True, dtype=f) * inv + f(a["epsilon"])
    return (d / np.sqrt(var) * args[1] + args[2]).astype(f)


def load(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("format") != "qc-graph":
        raise QCError(f"'{path}' is not a qc graph file")
    return doc


def integer_weight_bytes(doc):
    """Bytes of the integer constants of a graph (i8 and i32 tensors), with
    4-bit weights (`qc.bits`) counted packed, two per byte."""
    width = {"i8": 8, "i32": 32}
    bits = 0
    for f in doc["functions"]:
        for op in f["ops"]:
            if op["op"] == "arith.constant" and isinstance(op["attrs"]["value"], dict):
                t = op["attrs"]["value"]["type"]
                w = op["attrs"].get("qc.bits", width.get(t["dtype"], 0))
                bits += w * int(np.prod(t["shape"]))
    return (bits + 7) // 8


def run(doc, x, func="qc_model", observe=None):
    """Evaluates the graph on a batch x [N, ...] (the graph's batch is 1);
    `observe(op, value)` sees every op's result."""
    fn = next((f for f in doc["functions"] if f["name"] == func), None)
    if fn is None:
        raise QCError(f"graph has no function '{func}'")
    x = np.asarray(x, np.float32)
    batched = fn["args"][0]["type"]["shape"][0] == 1  # else static: one whole tensor
    if batched and len(x) > 1 and any(op["op"] in PER_SAMPLE for op in fn["ops"]):
        seen = []
        outs = [run(doc, x[i:i + 1], func, observe and (lambda op, v: seen.append((op, v))))
                for i in range(len(x))]
        if observe:  # each op once, over the whole batch
            per = len(seen) // len(x)
            for j in range(per):
                observe(seen[j][0], np.concatenate([seen[i * per + j][1] for i in range(len(x))]))
        return np.concatenate(outs)
    env = {fn["args"][0]["id"]: x}
    for op in fn["ops"]:
        if op["op"] == "func.return":
            return env[op["operands"][0]]
        out = run_op(op, [env[i] for i in op["operands"]])
        env[op["results"][0]] = out
        if observe:
            observe(op, out)
    raise QCError("graph has no return")
