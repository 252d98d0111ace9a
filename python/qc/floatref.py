"""Float32 numpy execution of a qc Graph (calibration and float accuracy)."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .errors import QCError


def pad_nchw(x, pads, value):
    t, l, b, r = pads
    if not any(pads):
        return x
    return np.pad(x, ((0, 0), (0, 0), (t, b), (l, r)), constant_values=value)


def windows(x, kernel, strides, dilations=(1, 1)):
    """[N, C, H, W] -> [N, C, Ho, Wo, kh, kw] views (no copy)."""
    kh, kw = kernel
    dh, dw = dilations
    v = sliding_window_view(x, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(2, 3))
    return v[:, :, ::strides[0], ::strides[1], ::dh, ::dw]


def conv2d(x, w, b, strides, pads, dilations, group, pad_value=0):
    """Grouped NCHW x OIHW convolution; works for float and int64 arrays."""
    xp = pad_nchw(x, pads, pad_value)
    win = windows(xp, w.shape[2:], strides, dilations)  # N C Ho Wo kh kw
    n, c, ho, wo = win.shape[:4]
    f = w.shape[0]
    cg, fg = c // group, f // group
    dtype = np.result_type(x, w)
    if group > 1 and cg == 1 and fg == 1:
        # Depthwise: a multiply-add per tap over every channel at once (an
        # einsum per channel made MobileNetV2's calibration 7 s of conv).
        out = np.zeros((n, f, ho, wo), dtype=dtype)
        for i in range(w.shape[2]):
            for j in range(w.shape[3]):
                out += win[..., i, j] * w[:, 0, i, j].reshape(1, -1, 1, 1)
        return out + b.reshape(1, -1, 1, 1)
    if group == 1 and w.shape[2:] == (1, 1):  # 1x1: one matrix product (BLAS), not an einsum
        xr = np.ascontiguousarray(win[..., 0, 0]).reshape(n, c, ho * wo)
        return (np.matmul(w[:, :, 0, 0], xr).reshape(n, f, ho, wo).astype(dtype, copy=False)
                + b.reshape(1, -1, 1, 1))
    out = np.empty((n, f, ho, wo), dtype=dtype)
    for gi in range(group):
        xw = win[:, gi * cg:(gi + 1) * cg]
        wg = w[gi * fg:(gi + 1) * fg]
        out[:, gi * fg:(gi + 1) * fg] = np.einsum("nchwij,fcij->nfhw", xw, wg, optimize=True)
    return out + b.reshape(1, -1, 1, 1)


def run_node(node, env, consts):
    a = node.attrs

    def val(name):
        return consts[name] if name in consts else env[name]

    x = val(node.inputs[0])
    if node.op == "conv2d":
        return conv2d(x, val(node.inputs[1]), val(node.inputs[2]), a["strides"], a["pads"],
                      a["dilations"], a["group"]).astype(np.float32)
    if node.op == "batch_norm":
        s, b, m, v = (val(i).astype(np.float32) for i in node.inputs[1:5])
        shape = (1, -1) + (1,) * (x.ndim - 2)
        k = s / np.sqrt(v + np.float32(a["epsilon"]))
        return ((x - m.reshape(shape)) * k.reshape(shape) + b.reshape(shape)).astype(np.float32)
    if node.op == "fake_quant":  # a QDQ pair of the model: quantize, dequantize
        shape = [1] * x.ndim
        if a["axis"] >= 0:
            shape[a["axis"]] = -1
        s = np.asarray(a["scale"], np.float32).reshape(shape)
        z = np.asarray(a["zero_point"], np.float32).reshape(shape)
        lo, hi = {"i8": (-128, 127), "u8": (0, 255), "i16": (-2**15, 2**15 - 1),
                  "i32": (-2**31, 2**31 - 1)}[a["storage"]]
        return ((np.clip(np.rint(x / s) + z, lo, hi) - z) * s).astype(np.float32)
    if node.op == "gemm":
        return (x @ val(node.inputs[1]).T + val(node.inputs[2])).astype(np.float32)
    if node.op == "clamp":
        return np.clip(x, np.float32(a["min"]), np.float32(a["max"])).astype(np.float32)
    if node.op == "max_pool2d":
        xp = pad_nchw(x, a["pads"], -np.inf)
        return windows(xp, a["kernel"], a["strides"]).max(axis=(4, 5)).astype(np.float32)
    if node.op == "avg_pool2d":
        xp = pad_nchw(x, a["pads"], 0.0)
        s = windows(xp, a["kernel"], a["strides"]).sum(axis=(4, 5), dtype=np.float32)
        if a["count_include_pad"] or not any(a["pads"]):
            return (s / np.float32(a["kernel"][0] * a["kernel"][1])).astype(np.float32)
        ones = pad_nchw(np.ones((1, 1) + x.shape[2:], np.float32), a["pads"], 0.0)
        cnt = windows(ones, a["kernel"], a["strides"]).sum(axis=(4, 5))
        return (s / cnt).astype(np.float32)
    if node.op == "flatten":
        return x.reshape(x.shape[0], -1)
    if node.op == "tanh":
        return np.tanh(x).astype(np.float32)
    if node.op == "add":
        return (x + val(node.inputs[1])).astype(np.float32)
    # Tensor ops (transformers); the graph runs one sample at a time (see
    # run), so shapes are the compiled ones, batch 1.
    if node.op == "binary":
        y = val(node.inputs[1])
        f = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide,
             "pow": np.power}[a["kind"]]
        return f(x, y).astype(np.float32)
    if node.op == "matmul":
        return np.matmul(x, val(node.inputs[1])).astype(np.float32)
    if node.op == "linear":
        return (np.matmul(x, val(node.inputs[1]).T) + val(node.inputs[2])).astype(np.float32)
    if node.op == "erf":
        return _erf(x)
    if node.op == "sqrt":
        return np.sqrt(x).astype(np.float32)
    if node.op == "pow":
        return np.power(x, np.float32(a["exponent"])).astype(np.float32)
    if node.op == "softmax":
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
    if node.op == "layer_norm":
        shape = x.shape
        x = x.reshape(shape[:a.get("axis", x.ndim - 1)] + (-1,))  # trailing dims flattened
        mu = x.mean(axis=-1, keepdims=True, dtype=np.float32)
        var = ((x - mu) ** 2).mean(axis=-1, keepdims=True, dtype=np.float32)
        y = (x - mu) / np.sqrt(var + np.float32(a["epsilon"]))
        return (y * val(node.inputs[1]) + val(node.inputs[2])).astype(np.float32).reshape(shape)
    if node.op == "reshape":
        return x.reshape(a["shape"])
    if node.op == "transpose":
        return np.ascontiguousarray(x.transpose(a["perm"]))
    if node.op == "gather":
        return np.take(x, a["index"], axis=a["axis"])
    if node.op == "slice":
        return x[tuple(slice(b, b + n) for b, n in zip(a["begin"], a["size"]))]
    if node.op == "reduce_sum":
        return x.sum(axis=tuple(a["axes"]), keepdims=a["keepdims"], dtype=np.float32)
    if node.op == "reduce_mean":
        return x.mean(axis=tuple(a["axes"]), keepdims=a["keepdims"], dtype=np.float32)
    raise QCError(f"{node.where()}: float reference has no '{node.op}'")


def _erf(x):
    """erf in float64 (math.erf, vectorized), rounded to float32."""
    import math
    return np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64)).astype(np.float32)


# Ops whose shapes name the batch dimension explicitly (compiled as 1): a
# graph with any of them runs sample by sample.
PER_SAMPLE = ("reshape", "transpose", "gather", "matmul", "linear", "reduce_mean", "binary",
              "slice", "reduce_sum")


def run(g, x, observe=None):
    """Runs the graph on a batch; `observe(name, array)` sees every tensor."""
    x = np.asarray(x, dtype=np.float32)
    want = tuple(g.input_shape[1:])
    if not g.batched:  # static shapes: one whole tensor
        if list(x.shape) != list(g.input_shape):
            raise QCError(f"input has shape {list(x.shape)}, model expects {list(g.input_shape)}")
    elif x.ndim != len(g.input_shape) or x.shape[1:] != want:
        raise QCError(f"input has shape {list(x.shape)}, model expects [N, {', '.join(map(str, want))}]")
    if g.batched and len(x) > 1 and any(n.op in PER_SAMPLE for n in g.nodes):
        seen = {}
        outs = [run(g, x[i:i + 1], observe and (lambda n, t: seen.setdefault(n, []).append(t)))
                for i in range(len(x))]
        for name, ts in seen.items():
            observe(name, np.concatenate(ts))
        return np.concatenate(outs)
    env = {g.input_name: x}
    if observe:
        observe(g.input_name, x)
    for node in g.nodes:
        env[node.output] = run_node(node, env, g.constants)
        if observe:
            observe(node.output, env[node.output])
    return env[g.output_name]
