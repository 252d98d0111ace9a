"""`qc export-qdq`: the calibrated, annotated model as standard QDQ ONNX.

The source is qc's own annotated graph (after batch-norm folding and
`--qc-annotate`, exported with its constants), so the file carries exactly
the parameters qc compiles with:

* activations: QuantizeLinear -> DequantizeLinear with a float32 scale and an
  int8 (uint8 with --activation-type uint8) zero point;
* weights: int8 initializers quantized as fake-to-real does (float32
  division, round half to even) behind a per-axis (axis 0) or per-tensor
  DequantizeLinear;
* biases: int32 initializers at s_in * s_w[o] (rounded to float32 in the
  file) behind a DequantizeLinear; the exporter checks that each survives
  the float32 round trip, so re-importing compiles to the same integers;
* folded Conv / Gemm, Relu / Clip, pools, Flatten, Tanh, Add as float ONNX
  ops between them; transformer ops as Reshape, Transpose, Slice, MatMul,
  Mul / Add by a constant, ReduceSum, Softmax, LayerNormalization and GELU
  as its erf (or tanh) decomposition (opset 17);
* 16-bit activations (the integer kernels' inputs) as QuantizeLinear /
  DequantizeLinear of ONNX Runtime's `com.microsoft` domain with int16 zero
  points: standard ONNX has int16 only from opset 21, which Debian's onnx
  (opset 17) cannot check.

Re-importing the file (`qc compile MODEL.qdq.onnx -o OUT`, no calibration)
gives bit-identical compiled outputs. Not exported (an error says so): int4
weights (ONNX blocked DequantizeLinear needs opset 21), ops kept in float
(--exclude) and float input prologues.
"""
import numpy as np

from . import intref
from .errors import QCError

FLT_MAX = float(np.finfo(np.float32).max)


def _zero_point(q, storage):
    """The declared zero points of an exported qtype (JSON has int8 ones)."""
    zp = np.asarray(q["zero_points"], np.int64)
    if storage == "u8":
        return (zp + 128).astype(np.uint8)
    return zp.astype({"i8": np.int8, "i16": np.int16, "i32": np.int32}[storage])


def build(doc, input_name, output_name, model_name):
    """An onnx.ModelProto from an annotated graph (ExportGraph JSON)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    fn = doc["functions"][0]
    names, consts, inits, nodes = {}, {}, [], []
    shapes = {}  # tosa.const_shape values
    used = {output_name}  # the last dequantize is renamed to it

    def fresh(base):
        base = base or "t"
        n, k = base, 1
        while n in used:
            k += 1
            n = f"{base}_{k}"
        used.add(n)
        return n

    def init(name, arr):
        n = fresh(name)
        inits.append(numpy_helper.from_array(arr, n))
        return n

    def qdq_params(q, base):
        storage = q["storage"]
        scale = np.asarray(q["scales"], np.float32)
        zp = _zero_point(q, storage)
        if q["axis"] < 0:
            scale, zp = scale.reshape(()), zp.reshape(())
        return init(f"{base}_scale", scale), init(f"{base}_zero_point", zp)

    arg = fn["args"][0]
    names[arg["id"]] = fresh(input_name)
    used_input = names[arg["id"]]
    for op in fn["ops"]:
        kind, a, name = op["op"], op["attrs"], op["name"]
        if "qc.float" in a:
            raise QCError(f"export-qdq: '{name}' is kept in float (--exclude or a 4-bit layer's "
                          f"input prologue); QDQ export needs every op quantized")
        ins = op["operands"]
        if kind == "arith.constant":
            v = a["value"]
            consts[op["results"][0]] = intref.dense(v, np.float64)
            continue
        if kind in ("func.return", "tosa.const"):  # tosa.const: a tosa.mul shift
            continue
        if kind == "tosa.const_shape":
            shapes[op["results"][0]] = [int(v) for v in intref.dense(a["values"], np.int64).ravel()]
            continue
        res = op["results"][0]
        if kind == "qc.fake_quant":
            q = a["qtype"]
            if q.get("group_size"):
                raise QCError(f"export-qdq: '{name}' has 4-bit grouped weights; only 8-bit weights "
                              f"export (ONNX blocked quantization needs opset 21)")
            if ins[0] in consts:  # weight or bias: stored quantized
                names[res] = _quantized_initializer(consts[ins[0]], q, name, init, qdq_params, nodes)
                continue
            s, z = qdq_params(q, name)
            qn, dq = fresh(f"{name}_quantized"), fresh(f"{name}_dequantized")
            axis = {} if q["axis"] < 0 else {"axis": q["axis"]}
            if q["storage"] == "i16":
                axis["domain"] = "com.microsoft"
            nodes.append(helper.make_node("QuantizeLinear", [names[ins[0]], s, z], [qn],
                                          name=fresh(f"{name}_QuantizeLinear"), **axis))
            nodes.append(helper.make_node("DequantizeLinear", [qn, s, z], [dq],
                                          name=fresh(f"{name}_DequantizeLinear"), **axis))
            names[res] = dq
            continue
        out = fresh(name)
        x = names[ins[0]]
        if kind == "qc.conv2d":
            nodes.append(helper.make_node(
                "Conv", [x, names[ins[1]], names[ins[2]]], [out], name=fresh(f"{name}_Conv"),
                strides=a["strides"], pads=a["pads"], dilations=a["dilations"], group=a["group"]))
        elif kind == "qc.gemm":
            nodes.append(helper.make_node("Gemm", [x, names[ins[1]], names[ins[2]]], [out],
                                          name=fresh(f"{name}_Gemm"), transB=1))
        elif kind in ("qc.max_pool2d", "qc.avg_pool2d"):
            extra = {"count_include_pad": int(a["count_include_pad"])} if kind == "qc.avg_pool2d" else {}
            nodes.append(helper.make_node("MaxPool" if kind == "qc.max_pool2d" else "AveragePool",
                                          [x], [out], name=fresh(f"{name}_Pool"),
                                          kernel_shape=a["kernel"], strides=a["strides"],
                                          pads=a["pads"], **extra))
        elif kind == "tosa.clamp":
            lo, hi = float(a["min_val"]), float(a["max_val"])
            if lo == 0.0 and hi >= FLT_MAX:
                nodes.append(helper.make_node("Relu", [x], [out], name=fresh(f"{name}_Relu")))
            else:
                mn = init(f"{name}_min", np.asarray(lo, np.float32))
                mx = init(f"{name}_max", np.asarray(hi, np.float32))
                nodes.append(helper.make_node("Clip", [x, mn, mx], [out], name=fresh(f"{name}_Clip")))
        elif kind == "tosa.tanh":
            nodes.append(helper.make_node("Tanh", [x], [out], name=fresh(f"{name}_Tanh")))
        elif kind in ("tosa.add", "tosa.mul"):
            ops = [names[i] if i in names else init(f"{name}_const", np.asarray(consts[i], np.float32))
                   for i in ins[:2]]
            if kind == "tosa.mul" and all(i in names for i in ins[:2]):
                raise QCError(f"export-qdq: '{name}' multiplies two activations")
            nodes.append(helper.make_node("Add" if kind == "tosa.add" else "Mul", ops, [out],
                                          name=fresh(f"{name}_{kind[5:].title()}")))
        elif kind == "tosa.reshape":
            shape = init(f"{name}_shape", np.asarray(op["types"][0]["shape"], np.int64))
            nodes.append(helper.make_node("Reshape", [x, shape], [out], name=fresh(f"{name}_Reshape")))
        elif kind == "tosa.transpose":
            nodes.append(helper.make_node("Transpose", [x], [out], name=fresh(f"{name}_Transpose"),
                                          perm=a["perms"]))
        elif kind == "tosa.slice":
            begin, size = shapes[ins[1]], shapes[ins[2]]
            arrs = [begin, [b + n for b, n in zip(begin, size)], list(range(len(begin)))]
            args = [init(f"{name}_{k}", np.asarray(v, np.int64)) for k, v in zip(("starts", "ends", "axes"), arrs)]
            nodes.append(helper.make_node("Slice", [x, *args], [out], name=fresh(f"{name}_Slice")))
        elif kind == "tosa.matmul":
            nodes.append(helper.make_node("MatMul", [x, names[ins[1]]], [out], name=fresh(f"{name}_MatMul")))
        elif kind == "tosa.reduce_sum":
            axes = init(f"{name}_axes", np.asarray([a["axis"]], np.int64))
            nodes.append(helper.make_node("ReduceSum", [x, axes], [out], name=fresh(f"{name}_ReduceSum"),
                                          keepdims=1))
        elif kind == "qc.softmax":
            nodes.append(helper.make_node("Softmax", [x], [out], name=fresh(f"{name}_Softmax"), axis=-1))
        elif kind == "qc.layer_norm":
            g, b = (init(f"{name}_{k}", np.asarray(consts[i], np.float32)) for k, i in
                    (("scale", ins[1]), ("bias", ins[2])))
            nodes.append(helper.make_node("LayerNormalization", [x, g, b], [out],
                                          name=fresh(f"{name}_LayerNormalization"), axis=-1,
                                          epsilon=float(a["epsilon"])))
        elif kind == "qc.gelu":
            _gelu(x, out, name, a.get("approximate", "none"), fresh, init, nodes)
        elif kind == "tensor.collapse_shape":
            nodes.append(helper.make_node("Flatten", [x], [out], name=fresh(f"{name}_Flatten"), axis=1))
        else:
            raise QCError(f"export-qdq: no QDQ form for '{kind}' ('{name}')")
        names[res] = out
    ret = next(op for op in fn["ops"] if op["op"] == "func.return")
    last = names[ret["operands"][0]]
    # The graph output keeps the model's name.
    for n in nodes:
        n.output[:] = [output_name if o == last else o for o in n.output]
    in_shape = ["N"] + arg["type"]["shape"][1:]
    out_type = next(t for op in fn["ops"] for r, t in zip(op["results"], op["types"])
                    if r == ret["operands"][0])
    graph = helper.make_graph(
        nodes, f"{model_name} (qc QDQ)", [helper.make_tensor_value_info(used_input, TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N"] + out_type["shape"][1:])],
        inits)
    opsets = [helper.make_opsetid("", 17)]
    if any(n.domain == "com.microsoft" for n in nodes):
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="qc")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _gelu(x, out, name, approximate, fresh, init, nodes):
    """GELU as ONNX before opset 20 spells it (what --qc-raise-decomposed
    recognises): x * (1 + erf(x / sqrt(2))) * 0.5, or the tanh form."""
    from onnx import helper

    def node(op, ins, result=None):
        r = result or fresh(f"{name}_{op}")
        nodes.append(helper.make_node(op, ins, [r], name=fresh(f"{name}_{op}")))
        return r

    c = lambda tag, v: init(f"{name}_{tag}", np.asarray(v, np.float32))
    if approximate == "tanh":
        cube = node("Pow", [x, c("three", 3.0)])
        inner = node("Add", [x, node("Mul", [cube, c("k", 0.044715)])])
        f = node("Tanh", [node("Mul", [inner, c("s", np.sqrt(2 / np.pi))])])
    else:
        f = node("Erf", [node("Div", [x, c("sqrt2", np.sqrt(2.0))])])
    node("Mul", [node("Mul", [x, node("Add", [f, c("one", 1.0)])]), c("half", 0.5)], out)


def _quantized_initializer(w, q, name, init, qdq_params, nodes):
    """A weight or bias as an integer initializer behind DequantizeLinear,
    quantized exactly as --qc-fake-to-real quantizes it."""
    from onnx import helper
    shape = [1] * w.ndim
    if q["axis"] >= 0:
        shape[q["axis"]] = -1
    scale = np.asarray(q["scales"], np.float64).reshape(shape)
    if q["storage"] == "i32":  # bias: rint(b / s) in double, saturating
        data = np.clip(np.rint(w / scale), q["qmin"], q["qmax"]).astype(np.int64)
        back = data.astype(np.float32) * scale.astype(np.float32)
        if not np.array_equal(np.rint(back.astype(np.float64) / scale), data):
            raise QCError(f"export-qdq: bias '{name}' does not survive float32 dequantization "
                          f"(|value| too large for its scale)")
        data = data.astype(np.int32)
    else:  # weights: rne(float32(w) / float32(s)) as quantizeRNE
        s32 = scale.astype(np.float32)
        data = np.clip(np.rint(w.astype(np.float32) / s32), q["qmin"], q["qmax"]).astype(np.int8)
    base = init(f"{name}_quantized", data)
    s, z = qdq_params(q, name)
    out = f"{base}_dequantized"
    axis = {} if q["axis"] < 0 else {"axis": q["axis"]}
    nodes.append(helper.make_node("DequantizeLinear", [base, s, z], [out],
                                  name=f"{base}_DequantizeLinear", **axis))
    return out
