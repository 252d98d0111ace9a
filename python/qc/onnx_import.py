"""ONNX -> qc Graph -> MLIR text.

Supported ops: Conv (groups, depthwise), BatchNormalization, Relu, Clip,
MaxPool, AveragePool, GlobalAveragePool, Flatten, Gemm, Tanh, Add,
Constant, Identity; float tensor ops for transformers (MatMul, Add / Sub /
Mul / Div with broadcasting, Erf, Softmax and LayerNormalization over the last
axis, Pow with a scalar exponent, Sqrt, Reshape, Transpose, Gather with a
scalar index, ReduceMean; Shape / Slice / Concat / Gather on constants are
folded), compiled in float32 through TOSA; MatMulInteger, ConvInteger,
QLinearMatMul, QLinearConv on
the (uint8 / int8) model input with constant weights; and the QDQ format:
QuantizeLinear -> DequantizeLinear
pairs on activations and DequantizeLinear on initializers (weights, biases),
per tensor or per axis, int8 / uint8 / int32. Their scales and zero points
become `qc.fake_quant` ops that quantization keeps as given. Anything else is
refused with the node name and op type.
"""
import math

import numpy as np

from .errors import QCError
from .graph import Graph, Node, as_f32, conv_out

SUPPORTED = ("Conv", "BatchNormalization", "Relu", "Clip", "MaxPool",
             "AveragePool", "GlobalAveragePool", "Flatten", "Gemm", "Tanh",
             "Add", "Constant", "Identity", "QuantizeLinear", "DequantizeLinear",
             "MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv",
             "MatMul", "Mul", "Sub", "Div", "Erf", "Softmax", "LayerNormalization",
             "Reshape", "Transpose", "Gather", "ReduceMean", "Shape", "Slice", "Concat",
             "Pow", "Sqrt", "ReduceSum", "DynamicQuantizeLinear")
# Ops on tensors (transformers): float32 ops, compiled through TOSA.
TENSOR_OPS = ("MatMul", "Mul", "Sub", "Div", "Erf", "Softmax", "LayerNormalization",
              "Reshape", "Transpose", "Gather", "ReduceMean", "ReduceSum", "Pow", "Sqrt", "Slice")
SHAPE_OPS = ("Shape", "Slice", "Concat", "Gather")  # folded when all inputs are constant
INTEGER_OPS = ("MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv")
QDTYPES = {np.dtype(np.int8): "i8", np.dtype(np.uint8): "u8", np.dtype(np.int32): "i32",
           np.dtype(np.int16): "i16"}
# ONNX Runtime's contrib domain: QuantizeLinear / DequantizeLinear with int16
# before opset 21 (how its quantizer writes 16-bit QDQ, and qc's export).
CONTRIB_QDQ = ("QuantizeLinear", "DequantizeLinear")


def load_model(path):
    import onnx
    try:
        model = onnx.load(str(path))
    except FileNotFoundError:
        raise QCError(f"model file '{path}' not found")
    except Exception as e:  # protobuf's DecodeError and friends
        raise QCError(f"'{path}' is not a valid ONNX model: {e}".splitlines()[0])
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise QCError(f"'{path}' fails the ONNX checker: {str(e).splitlines()[0]}")
    return model


def _attrs(node):
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _pads(node, attrs, in_hw, kernel, strides, dilations=(1, 1)):
    """Explicit pads [t, l, b, r]; auto_pad SAME_UPPER / SAME_LOWER become
    the pads ONNX defines (output = ceil(input / stride), the odd unit of
    padding at the end / the start), VALID none."""
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", "VALID"):
        return [0, 0, 0, 0] if auto == "VALID" else _ints(node, attrs, "pads", [0] * 4, 4, positive=False)
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise QCError(f"node '{node.name}' ({node.op_type}): auto_pad {auto!r} is invalid")
    begin, end = [], []
    for i in range(2):
        out = -(-in_hw[i] // strides[i])
        total = max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in_hw[i], 0)
        small, large = total // 2, total - total // 2
        begin.append(small if auto == "SAME_UPPER" else large)
        end.append(large if auto == "SAME_UPPER" else small)
    return begin + end


def _ints(node, attrs, name, default, n, positive=True):
    """A list attribute of n ints, each > 0 (or >= 0 when not `positive`)."""
    v = list(attrs.get(name, default))
    lo = 1 if positive else 0
    if len(v) != n or any((not isinstance(x, int)) or x < lo or x > 1 << 20 for x in v):
        raise QCError(f"node '{node.name}' ({node.op_type}): attribute {name} = {v} is invalid "
                      f"(need {n} integers >= {lo})")
    return v


def _scalar(node, constants, name):
    v = constants[name]
    if v.size != 1 or not np.isfinite(v).all():
        raise QCError(f"node '{node.name}' ({node.op_type}): '{name}' must be a finite scalar")
    return float(v.reshape(-1)[0])


def _qparams(node, constants, x_shape, data_dtype=np.uint8):
    """Scale / zero point / axis of a QuantizeLinear or DequantizeLinear. A
    missing zero point is 0 of the data's type (uint8 for QuantizeLinear)."""
    where = f"node '{node.name}' ({node.op_type})"
    ins = list(node.input)
    if len(ins) < 2 or ins[1] not in constants or (len(ins) > 2 and ins[2] and ins[2] not in constants):
        raise QCError(f"{where}: scale and zero point must be initializers or constants")
    scale = np.asarray(constants[ins[1]], np.float32).reshape(-1)
    zp = (np.asarray(constants[ins[2]]) if len(ins) > 2 and ins[2] else np.zeros(scale.shape, data_dtype))
    storage = QDTYPES.get(zp.dtype)
    if storage is None:
        raise QCError(f"{where}: zero point type {zp.dtype} is not supported (int8, uint8, int16, int32)")
    if storage == "i16" and node.domain != "com.microsoft":
        raise QCError(f"{where}: int16 quantization needs opset 21 or the com.microsoft domain")
    zp = zp.reshape(-1).astype(np.int64)
    if not (np.all(np.isfinite(scale)) and np.all(scale > 0)):
        raise QCError(f"{where}: scales must be finite and positive")
    if zp.size != scale.size:
        raise QCError(f"{where}: {scale.size} scales but {zp.size} zero points")
    a = _attrs(node)
    if "block_size" in a and a["block_size"]:
        raise QCError(f"{where}: blocked quantization (block_size) is not supported")
    axis = -1
    if scale.size > 1:
        axis = a.get("axis", 1)
        axis += len(x_shape) if axis < 0 else 0
        if not 0 <= axis < len(x_shape) or x_shape[axis] != scale.size:
            raise QCError(f"{where}: {scale.size} scales do not match axis {a.get('axis', 1)} "
                          f"of shape {list(x_shape)}")
    return dict(scale=[float(v) for v in scale], zero_point=[int(v) for v in zp], axis=axis,
                storage=storage)


def _int_param(node, constants, name, dtype_of=None):
    """A constant integer scalar (zero point) as (value, storage)."""
    if not name:
        return 0, dtype_of
    if name not in constants:
        raise QCError(f"node '{node.name}' ({node.op_type}): '{name}' must be an initializer")
    v = np.asarray(constants[name])
    if v.size != 1:
        raise QCError(f"node '{node.name}' ({node.op_type}): '{name}' must be a scalar "
                      f"(per-row / per-column zero points are not supported)")
    return int(v.reshape(-1)[0]), QDTYPES.get(v.dtype)


def _integer_op(node, op, a, ins, constants, shapes, in_dtype, input_name):
    """MatMulInteger / ConvInteger / QLinearMatMul / QLinearConv reading the
    integer model input, with constant weights."""
    where = f"node '{node.name}' ({op})"
    q = op.startswith("QLinear")
    x, w_name = ins[0], ins[3 if q else 1]
    if x != input_name or in_dtype == "float32":
        raise QCError(f"{where}: must read the uint8 / int8 model input")
    if w_name not in constants:
        raise QCError(f"{where}: weights must be an initializer")
    w = np.asarray(constants[w_name])
    wst = QDTYPES.get(w.dtype)
    if wst not in ("u8", "i8"):
        raise QCError(f"{where}: weights must be uint8 or int8, got {w.dtype}")
    get = lambda i: ins[i] if len(ins) > i else ""
    xst = QDTYPES[np.dtype(in_dtype)]
    x_zp, _ = _int_param(node, constants, get(2 if q else 2))
    if q:
        w_zp_arr = np.asarray(constants.get(get(5), np.zeros(1, w.dtype))).reshape(-1)
        if np.any(w_zp_arr != w_zp_arr[0]):
            raise QCError(f"{where}: per-channel weight zero points are not supported")
        w_zp = int(w_zp_arr[0])
    else:
        w_zp, _ = _int_param(node, constants, get(3))
    attrs = dict(x_zp=x_zp, x_storage=xst, w_zp=w_zp, w_storage=wst, out_dtype="int32")
    xs = shapes[x]
    if op in ("MatMulInteger", "QLinearMatMul") and w.ndim == 3 and len(xs) == 3:
        if w.shape[0] != xs[0] or w.shape[1] != xs[2]:
            raise QCError(f"{where}: shapes {list(xs)} x {list(w.shape)} do not multiply")
        kind, out_shape = "int_matmul", [xs[0], xs[1], w.shape[2]]
        attrs["weight"] = w.astype(np.int64)  # [B, K, N], one matrix per batch index
    elif op in ("MatMulInteger", "QLinearMatMul"):
        if w.ndim != 2 or len(xs) != 2 or w.shape[0] != xs[1]:
            raise QCError(f"{where}: only [M, K] x [K, N] with constant 2-D B is supported "
                          f"(got {list(xs)} x {list(w.shape)})")
        kind, out_shape = "int_matmul", [xs[0], w.shape[1]]
        attrs["weight"] = w.T.astype(np.int64)  # [N, K]
    else:
        if len(xs) != 4 or w.ndim != 4:
            raise QCError(f"{where}: only 2-D convolution (NCHW) is supported")
        group = a.get("group", 1)
        strides = _ints(node, a, "strides", [1, 1], 2)
        dil = _ints(node, a, "dilations", [1, 1], 2)
        pads = _pads(node, a, xs[2:], w.shape[2:], strides, dil)
        if xs[1] != w.shape[1] * group or w.shape[0] % group:
            raise QCError(f"{where}: weight shape {list(w.shape)} does not match the input")
        hw = [conv_out(xs[2 + i], w.shape[2 + i], strides[i], pads[i], pads[2 + i], dil[i]) for i in range(2)]
        kind, out_shape = "int_conv", [xs[0], w.shape[0]] + hw
        attrs.update(weight=w.astype(np.int64), strides=strides, pads=pads, dilations=dil, group=group)
    n_out = out_shape[-1] if kind == "int_matmul" else out_shape[1]
    attrs["bias"] = np.zeros(n_out, np.int64)
    if q:
        scalar = lambda i: np.asarray(constants[get(i)], np.float32).reshape(-1)
        for i in (1, 4, 6):
            if get(i) not in constants:
                raise QCError(f"{where}: scale '{get(i)}' must be an initializer")
        xs_, ws_, ys_ = scalar(1), scalar(4), scalar(6)
        y_zp, yst = _int_param(node, constants, get(7), np.dtype(np.uint8))
        if yst not in ("u8", "i8"):
            raise QCError(f"{where}: output type must be uint8 or int8")
        if ws_.size not in (1, n_out):
            raise QCError(f"{where}: {ws_.size} weight scales for {n_out} outputs")
        # ONNX: y = saturate(round((x - zx)(w - zw) * (s_x s_w / s_y)) + z_y),
        # the multiplier in float32 as ONNX Runtime computes it.
        mult = (xs_[0] * np.broadcast_to(ws_, (n_out,)) / ys_[0]).astype(np.float32)
        attrs.update(multiplier=[float(m) for m in mult], y_zp=y_zp, y_storage=yst,
                     out_dtype={"u8": "uint8", "i8": "int8"}[yst])
        if op == "QLinearConv" and get(8):
            b = np.asarray(constants.get(get(8)))
            if b is None or b.dtype != np.int32 or b.shape != (n_out,):
                raise QCError(f"{where}: bias must be an int32 initializer of {n_out} values")
            attrs["bias"] = b.astype(np.int64)
    shapes[node.output[0]] = out_shape
    return Node(kind, node.output[0], [x], attrs, node.name, op)


def _fold_shape_op(node, op, a, vals):
    """Shape arithmetic on constants (Slice / Concat / Gather of a Shape)."""
    where = f"node '{node.name}' ({op})"
    if op == "Concat":
        return np.concatenate([np.asarray(v).reshape(-1) for v in vals], axis=a.get("axis", 0))
    if op == "Gather":
        return np.take(vals[0], vals[1], axis=a.get("axis", 0))
    if op == "Slice":
        x, starts, ends = vals[0], vals[1], vals[2]
        axes = vals[3] if len(vals) > 3 else np.arange(len(starts))
        steps = vals[4] if len(vals) > 4 else np.ones(len(starts), np.int64)
        idx = [slice(None)] * x.ndim
        for st, en, ax, sp in zip(starts, ends, axes, steps):
            idx[int(ax)] = slice(int(st), int(en), int(sp))
        return x[tuple(idx)]
    raise QCError(f"{where}: cannot fold")


def _tensor_op(node, op, a, ins, constants, shapes, batched=True):
    """A float tensor op: shape inference and its Node."""
    where = f"node '{node.name}' ({op})"
    out = node.output[0]
    data = [i for i in ins if i]
    for i in data:
        if i not in shapes and i not in constants:
            raise QCError(f"{where}: input '{i}' is not produced by any earlier node")
    shape = lambda i: list(shapes[i]) if i in shapes else list(np.asarray(constants[i]).shape)
    scalar_pow = op == "Pow" and ins[1] in constants and np.asarray(constants[ins[1]]).size == 1
    binary = op in ("Add", "Mul", "Sub", "Div") or (op == "Pow" and not scalar_pow)
    if ins[0] in constants and not binary:
        raise QCError(f"{where}: constant-only subgraphs are not supported")
    x = ins[0]
    attrs = {}
    if binary:  # elementwise with broadcasting (Pow: a tensor exponent)
        sa, sb = shape(ins[0]), shape(ins[1])
        try:
            res = list(np.broadcast_shapes(tuple(sa), tuple(sb)))
        except ValueError:
            raise QCError(f"{where}: shapes {sa} and {sb} do not broadcast")
        if ins[0] in constants and ins[1] in constants:
            raise QCError(f"{where}: constant-only subgraphs are not supported")
        act = sa if ins[0] not in constants else sb
        if batched and (len(res) != len(act) or res[0] != act[0]):
            raise QCError(f"{where}: a constant of shape {sb if act is sa else sa} would broadcast "
                          f"over dimension 0, which the compiled model loops over (the batch)")
        kind, inputs, attrs = "binary", list(ins[:2]), dict(kind=op.lower())
    elif op == "MatMul":
        sa, sb = shape(ins[0]), shape(ins[1])
        if len(sa) < 2 or len(sb) < 2 or sa[-1] != sb[-2]:
            raise QCError(f"{where}: shapes {sa} x {sb} do not multiply")
        if ins[1] in constants and len(sb) != 2:
            raise QCError(f"{where}: a constant right operand must be 2-D")
        if ins[1] not in constants and sa[:-2] != sb[:-2]:
            raise QCError(f"{where}: batched operands must have equal leading dims ({sa} x {sb})")
        res, kind, inputs = sa[:-1] + [sb[-1]], "matmul", list(ins[:2])
    elif op in ("Erf", "Sqrt"):
        res, kind, inputs = shape(x), op.lower(), [x]
    elif op == "Pow":
        res, kind, inputs = shape(x), "pow", [x]
        attrs = dict(exponent=float(np.asarray(constants[ins[1]]).reshape(-1)[0]))
    elif op == "Softmax":
        axis = a.get("axis", -1)
        if axis not in (-1, len(shape(x)) - 1):
            raise QCError(f"{where}: only softmax over the last axis is supported")
        res, kind, inputs = shape(x), "softmax", [x]
    elif op == "LayerNormalization":
        sx = shape(x)
        axis = a.get("axis", -1) % len(sx)
        if axis == 0 and batched:
            raise QCError(f"{where}: normalizing over dimension 0 (the batch) needs a fixed first "
                          f"dimension")
        stats = [o for o in node.output[1:3]]
        for o in stats:  # Mean, InvStdDev: the normalized dims kept as 1
            if o:
                shapes[o] = sx[:axis] + [1] * (len(sx) - axis)
        for p in ins[1:3]:
            if p and p not in constants:
                raise QCError(f"{where}: scale and bias must be initializers")
        norm = sx[axis:]  # normalized over the trailing dims, flattened
        c = int(np.prod(norm))
        try:
            gamma = np.broadcast_to(np.asarray(constants[ins[1]], np.float32), norm).reshape(-1)
            beta = (np.broadcast_to(np.asarray(constants[ins[2]], np.float32), norm).reshape(-1)
                    if len(ins) > 2 and ins[2] else np.zeros(c, np.float32))
        except ValueError:
            raise QCError(f"{where}: scale / bias do not broadcast to the normalized shape {norm}")
        constants[f"{out}::scale"], constants[f"{out}::bias"] = gamma, beta
        res, kind, inputs = sx, "layer_norm", [x, f"{out}::scale", f"{out}::bias"]
        attrs = dict(epsilon=float(a.get("epsilon", 1e-5)), axis=axis, stats=stats)
    elif op == "Reshape":
        if ins[1] not in constants:
            raise QCError(f"{where}: the target shape must be constant")
        target = [int(v) for v in np.asarray(constants[ins[1]]).reshape(-1)]
        sx = shape(x)
        target = [sx[i] if v == 0 and not a.get("allowzero", 0) else v for i, v in enumerate(target)]
        n = int(np.prod(sx))
        if target.count(-1) > 1:
            raise QCError(f"{where}: target shape {target} has more than one -1")
        if -1 in target:
            known = int(np.prod([v for v in target if v != -1]))
            target[target.index(-1)] = n // known if known else 0
        if int(np.prod(target)) != n:
            raise QCError(f"{where}: cannot reshape {sx} to {target}")
        res, kind, inputs, attrs = target, "reshape", [x], dict(shape=target)
    elif op == "Transpose":
        sx = shape(x)
        perm = list(a.get("perm", list(range(len(sx)))[::-1]))
        if sorted(perm) != list(range(len(sx))):
            raise QCError(f"{where}: perm {perm} is not a permutation of {len(sx)} axes")
        res, kind, inputs, attrs = [sx[p] for p in perm], "transpose", [x], dict(perm=perm)
    elif op == "Gather":
        if ins[1] not in constants or np.asarray(constants[ins[1]]).ndim != 0:
            raise QCError(f"{where}: only a constant scalar index is supported")
        sx = shape(x)
        axis = a.get("axis", 0) % len(sx)
        idx = int(constants[ins[1]]) % sx[axis]
        res = sx[:axis] + sx[axis + 1:]
        kind, inputs, attrs = "gather", [x], dict(axis=axis, index=idx)
    elif op == "Slice":
        sx = shape(x)
        vals = []
        for i in ins[1:5]:
            if i and i not in constants:
                raise QCError(f"{where}: starts, ends, axes and steps must be constant")
            vals.append(np.asarray(constants[i]).reshape(-1).astype(np.int64) if i else None)
        starts, ends, axes, steps = vals + [None] * (4 - len(vals))
        axes = list(range(len(starts))) if axes is None else [int(v) % len(sx) for v in axes]
        if steps is not None and np.any(steps != 1):
            raise QCError(f"{where}: only steps of 1 are supported")
        begin, size = [0] * len(sx), list(sx)
        for ax, b, e in zip(axes, starts, ends):
            b, e = (int(v) + sx[ax] if v < 0 else int(v) for v in (b, e))
            b, e = min(max(b, 0), sx[ax]), min(max(e, 0), sx[ax])
            begin[ax], size[ax] = b, max(e - b, 0)
        if 0 in size:
            raise QCError(f"{where}: the slice is empty")
        res, kind, inputs, attrs = size, "slice", [x], dict(begin=begin, size=size)
    elif op == "ReduceSum":
        sx = shape(x)
        if len(ins) < 2 or not ins[1]:
            raise QCError(f"{where}: axes must be given")
        if ins[1] not in constants:
            raise QCError(f"{where}: axes must be constant")
        axes = sorted(int(v) % len(sx) for v in np.asarray(constants[ins[1]]).reshape(-1))
        if not axes and not a.get("noop_with_empty_axes", 0):
            axes = list(range(len(sx)))  # empty axes: reduce everything
        if 0 in axes and batched:
            raise QCError(f"{where}: reducing dimension 0 (the batch) is not supported")
        keep = bool(a.get("keepdims", 1))
        res = [1 if i in axes else d for i, d in enumerate(sx)] if keep else \
            [d for i, d in enumerate(sx) if i not in axes]
        kind, inputs, attrs = "reduce_sum", [x], dict(axes=axes, keepdims=keep)
    elif op == "ReduceMean":
        sx = shape(x)
        axes = sorted(v % len(sx) for v in a.get("axes", list(range(len(sx)))))
        keep = bool(a.get("keepdims", 1))
        res = [1 if i in axes else d for i, d in enumerate(sx)] if keep else \
            [d for i, d in enumerate(sx) if i not in axes]
        kind, inputs, attrs = "reduce_mean", [x], dict(axes=axes, keepdims=keep)
    else:
        raise QCError(f"{where}: unsupported op type '{op}'")
    shapes[out] = res
    return Node(kind, out, inputs, attrs, node.name, op)


def import_onnx(path):
    """Reads an ONNX file into a qc Graph (batch dimension fixed to 1)."""
    from onnx import numpy_helper
    model = load_model(path)
    g = model.graph
    constants = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    inputs = [i for i in g.input if i.name not in constants]
    if not inputs or not g.output:
        raise QCError(f"'{path}': the model needs at least one input and one output")
    nodes_in = _raise_dynamic_quantize(list(g.node), constants)
    inp = inputs[0]
    tt = inp.type.tensor_type
    in_dtype = {1: "float32", 2: "uint8", 3: "int8"}.get(tt.elem_type)
    if in_dtype is None:
        raise QCError(f"input '{inp.name}' must be float32, uint8 or int8")
    dims = list(tt.shape.dim)
    # A symbolic first dimension (or 1) is the batch: compiled for 1 and
    # looped over at run time. A fixed first dimension > 1 makes a static
    # model: compiled for its exact shapes, run on whole tensors.
    batched = not (dims and dims[0].HasField("dim_value") and dims[0].dim_value > 1)
    shape = []
    for i, d in enumerate(dims):
        if d.HasField("dim_value") and d.dim_value > 0:
            shape.append(d.dim_value)
        elif d.HasField("dim_value") and i > 0:
            raise QCError(f"input '{inp.name}' has size {d.dim_value} in dimension {i}")
        elif i == 0:
            shape.append(1)  # symbolic batch: compiled for 1, looped at run time
        else:
            raise QCError(f"input '{inp.name}' has dynamic dimension {i} "
                          f"('{d.dim_param}'); only the batch dimension may be dynamic")
    if not shape:
        raise QCError(f"input '{inp.name}' has no shape")
    if batched:
        shape[0] = 1
    shapes = {inp.name: shape}
    extra_inputs = []
    for extra in inputs[1:]:  # further inputs: float32, static shapes like the first
        et = extra.type.tensor_type
        if et.elem_type != 1:
            raise QCError(f"input '{extra.name}': further inputs must be float32")
        es = [d.dim_value if d.HasField("dim_value") else 0 for d in et.shape.dim]
        if batched and es:
            es[0] = 1
        if any(v <= 0 for v in es):
            raise QCError(f"input '{extra.name}' needs a static shape (a symbolic first "
                          f"dimension only with a batched first input)")
        shapes[extra.name] = es
        extra_inputs.append(extra.name)
    nodes = []
    io_dtypes = {}  # dtypes of outputs that are not float32 (DynamicQuantizeLinear)
    alias = {}
    given = {}      # quantized initializers: name -> parameters
    pending = {}    # QuantizeLinear outputs -> (input, parameters, node)
    used_q = set()

    def name(t):
        return alias.get(t, t)

    for node in nodes_in:
        op = node.op_type
        where = f"node '{node.name}' ({op})"
        if op not in SUPPORTED:
            raise QCError(f"{where}: unsupported op type '{op}'")
        if node.domain not in ("", "ai.onnx") and not (node.domain == "com.microsoft"
                                                        and op in CONTRIB_QDQ):
            raise QCError(f"{where}: unsupported op domain '{node.domain}'")
        a = _attrs(node)
        ins = [name(i) for i in node.input]
        out = node.output[0]
        for i in ins:
            if i and i not in shapes and i not in constants and i not in pending:
                raise QCError(f"{where}: input '{i}' is not produced by any earlier node "
                              f"(graph not topologically sorted or missing initializer)")
        if op == "Constant":
            constants[out] = numpy_helper.to_array(a["value"])
            continue
        if op == "Identity":
            alias[out] = ins[0]
            continue
        if op == "DequantizeLinear" and ins[0] in constants:
            # A quantized initializer (weight, bias): its float value, and
            # the parameters to quantize it with again, exactly.
            q = np.asarray(constants[ins[0]])
            p = _qparams(node, constants, q.shape, q.dtype)
            if QDTYPES.get(q.dtype) != p["storage"]:
                raise QCError(f"{where}: data type {q.dtype} does not match the zero point's")
            bshape = [1] * q.ndim
            if p["axis"] >= 0:
                bshape[p["axis"]] = -1
            s = np.asarray(p["scale"], np.float32).reshape(bshape)
            z = np.asarray(p["zero_point"], np.int64).reshape(bshape)
            constants[out] = ((q.astype(np.int64) - z).astype(np.float32) * s).astype(np.float32)
            given[out] = p
            continue
        if op == "QuantizeLinear":
            if ins[0] in constants:
                raise QCError(f"{where}: quantizing a constant is not supported (store it quantized "
                              f"with a DequantizeLinear)")
            pending[out] = (ins[0], _qparams(node, constants, shapes[ins[0]]), node)
            continue
        if op == "DequantizeLinear" and ins[0] == inp.name and in_dtype != "float32":
            # An integer model input: dequantized on entry.
            p = _qparams(node, constants, shapes[ins[0]], np.dtype(in_dtype))
            if QDTYPES.get(np.dtype(in_dtype)) != p["storage"]:
                raise QCError(f"{where}: input type {in_dtype} does not match the zero point's")
            shapes[out] = shapes[ins[0]]
            nodes.append(Node("dequantize", out, [ins[0]], p, node.name, op))
            continue
        if op == "DequantizeLinear":
            if ins[0] not in pending:
                raise QCError(f"{where}: only DequantizeLinear of a QuantizeLinear output or of an "
                              f"initializer is supported (QDQ format)")
            src, p, qnode = pending[ins[0]]
            if p != _qparams(node, constants, shapes[src]):
                raise QCError(f"{where}: parameters differ from those of QuantizeLinear "
                              f"'{qnode.name}'")
            used_q.add(ins[0])
            shapes[out] = shapes[src]
            nodes.append(Node("fake_quant", out, [src], p, node.name, op))
            continue
        if op == "DynamicQuantizeLinear":
            if batched:
                raise QCError(f"{where}: DynamicQuantizeLinear reduces over the whole tensor, "
                              f"batch included: the input needs a fixed first dimension")
            if ins[0] not in shapes:
                raise QCError(f"{where}: its input must be an activation")
            outs3 = list(node.output) + [""] * (3 - len(node.output))
            shapes[outs3[0]] = shapes[ins[0]]
            for o in outs3[1:]:
                if o:
                    shapes[o] = []
            io_dtypes.update({outs3[0]: "uint8", outs3[2]: "uint8"})
            nodes.append(Node("dynamic_quantize", outs3[0], [ins[0]], dict(outputs=outs3), node.name, op))
            continue
        if op in INTEGER_OPS:
            nodes.append(_integer_op(node, op, a, ins, constants, shapes, in_dtype, inp.name))
            continue
        if any(i in pending for i in ins):
            raise QCError(f"{where}: reads the integer output of a QuantizeLinear; only the QDQ "
                          f"format (QuantizeLinear -> DequantizeLinear) is supported")
        if op == "Shape" and ins[0] in shapes:
            constants[out] = np.asarray(shapes[ins[0]], np.int64)  # batch compiled as 1
            continue
        if op in SHAPE_OPS and all(i in constants for i in ins if i):
            constants[out] = _fold_shape_op(node, op, a, [constants[i] for i in ins if i])
            continue
        if op in TENSOR_OPS or (op == "Add" and (ins[0] in constants or ins[1] in constants
                                                  or shapes.get(ins[1]) != shapes.get(ins[0]))):
            nodes.append(_tensor_op(node, op, a, ins, constants, shapes, batched))
            continue
        x = ins[0]
        if x in constants:
            raise QCError(f"{where}: constant-only subgraphs are not supported")
        xs = shapes[x]
        if op == "Conv":
            w = constants.get(ins[1])
            if w is None:
                raise QCError(f"{where}: weight must be an initializer")
            if len(xs) != 4 or w.ndim != 4:
                raise QCError(f"{where}: only 2-D convolution (NCHW) is supported")
            group = a.get("group", 1)
            if not isinstance(group, int) or group < 1:
                raise QCError(f"{where}: group {group} is invalid")
            strides = _ints(node, a, "strides", [1, 1], 2)
            dil = _ints(node, a, "dilations", [1, 1], 2)
            pads = _pads(node, a, xs[2:], w.shape[2:], strides, dil)
            if xs[1] % group or w.shape[0] % group or w.shape[1] != xs[1] // group:
                raise QCError(f"{where}: weight shape {list(w.shape)} does not match "
                              f"input channels {xs[1]} with group {group}")
            b = constants.get(ins[2]) if len(ins) > 2 and ins[2] else np.zeros(w.shape[0], np.float32)
            if b is None:
                raise QCError(f"{where}: bias must be an initializer")
            if b.shape != (w.shape[0],):
                raise QCError(f"{where}: bias has shape {list(b.shape)}, expected [{w.shape[0]}]")
            bn = f"{out}::bias"
            constants[bn] = as_f32(b)
            if len(ins) > 2 and ins[2] in given:
                given[bn] = given[ins[2]]
            hw = [conv_out(xs[2 + i], w.shape[2 + i], strides[i], pads[i], pads[2 + i], dil[i])
                  for i in range(2)]
            if min(hw) <= 0:
                raise QCError(f"{where}: kernel larger than padded input")
            shapes[out] = [xs[0], w.shape[0]] + hw
            nodes.append(Node("conv2d", out, [x, ins[1], bn],
                              dict(strides=strides, pads=pads, dilations=dil, group=group),
                              node.name, op))
        elif op == "BatchNormalization":
            for p in ins[1:5]:
                if p not in constants:
                    raise QCError(f"{where}: parameter '{p}' must be an initializer")
            if len(xs) < 2 or any(constants[p].shape != (xs[1],) for p in ins[1:5]):
                raise QCError(f"{where}: parameters must have one entry per channel ({xs[1]})")
            eps = a.get("epsilon", 1e-5)
            if not (eps >= 0 and np.isfinite(eps)):
                raise QCError(f"{where}: epsilon {eps} is invalid")
            if not np.all(constants[ins[4]] + eps > 0):
                raise QCError(f"{where}: variance + epsilon must be positive")
            shapes[out] = xs
            nodes.append(Node("batch_norm", out, ins[:5], dict(epsilon=eps),
                              node.name, op))
        elif op == "Gemm":
            if a.get("transA", 0):
                raise QCError(f"{where}: transA = 1 is not supported")
            if len(xs) != 2:
                raise QCError(f"{where}: input must be 2-D, got shape {xs}")
            if ins[1] not in constants:
                raise QCError(f"{where}: weight must be an initializer")
            w = constants[ins[1]].astype(np.float64)
            if w.ndim != 2:
                raise QCError(f"{where}: weight must be 2-D, got shape {list(w.shape)}")
            if not a.get("transB", 0):
                w = w.T
            w = w * a.get("alpha", 1.0)
            if w.shape[1] != xs[1]:
                raise QCError(f"{where}: weight has K = {w.shape[1]}, input has K = {xs[1]}")
            if len(ins) > 2 and ins[2]:
                if ins[2] not in constants:
                    raise QCError(f"{where}: bias must be an initializer")
                c = constants[ins[2]].astype(np.float64).reshape(-1)
                if c.size not in (1, w.shape[0]):
                    raise QCError(f"{where}: bias has {c.size} entries, expected {w.shape[0]}")
                b = np.broadcast_to(c, (w.shape[0],)) * a.get("beta", 1.0)
            else:
                b = np.zeros(w.shape[0])
            wn, bn = f"{out}::weight", f"{out}::bias"
            constants[wn], constants[bn] = as_f32(w), as_f32(b)
            for src, dst in ((ins[1], wn), (ins[2] if len(ins) > 2 else "", bn)):
                if src in given:
                    if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0:
                        raise QCError(f"{where}: alpha / beta with quantized operands is not supported")
                    p = dict(given[src])
                    if dst == wn and not a.get("transB", 0) and p["axis"] >= 0:
                        p["axis"] = 1 - p["axis"]
                    if dst == bn and c.size != w.shape[0]:
                        raise QCError(f"{where}: a quantized bias must have one entry per output")
                    given[dst] = p
            shapes[out] = [xs[0], w.shape[0]]
            nodes.append(Node("gemm", out, [x, wn, bn], {}, node.name, op))
        elif op in ("Relu", "Clip"):
            lo, hi = (0.0, math.inf) if op == "Relu" else (-math.inf, math.inf)
            if op == "Clip":
                lo, hi = a.get("min", lo), a.get("max", hi)
                for idx in (1, 2):
                    if len(ins) > idx and ins[idx]:
                        if ins[idx] not in constants:
                            raise QCError(f"{where}: min/max must be constants")
                        v = _scalar(node, constants, ins[idx])
                        lo, hi = (v, hi) if idx == 1 else (lo, v)
                if np.isnan(lo) or np.isnan(hi) or lo > hi:
                    raise QCError(f"{where}: clip range [{lo}, {hi}] is invalid")
            shapes[out] = xs
            nodes.append(Node("clamp", out, [x], dict(min=float(lo), max=float(hi)), node.name, op))
        elif op in ("MaxPool", "AveragePool", "GlobalAveragePool"):
            if len(xs) != 4:
                raise QCError(f"{where}: only 2-D pooling (NCHW) is supported")
            if op == "GlobalAveragePool":
                k, s, pads, cip = xs[2:], [1, 1], [0, 0, 0, 0], False
            else:
                if a.get("ceil_mode", 0):
                    raise QCError(f"{where}: ceil_mode = 1 is not supported")
                if any(d != 1 for d in a.get("dilations", [1, 1])):
                    raise QCError(f"{where}: dilated pooling is not supported")
                if "kernel_shape" not in a:
                    raise QCError(f"{where}: kernel_shape is required")
                k = _ints(node, a, "kernel_shape", [], 2)
                s = _ints(node, a, "strides", [1, 1], 2)
                pads = _pads(node, a, xs[2:], k, s)
                cip = bool(a.get("count_include_pad", 0))
            hw = [conv_out(xs[2 + i], k[i], s[i], pads[i], pads[2 + i]) for i in range(2)]
            if min(hw) <= 0:
                raise QCError(f"{where}: window larger than padded input")
            shapes[out] = xs[:2] + hw
            kind = "max_pool2d" if op == "MaxPool" else "avg_pool2d"
            attrs = dict(kernel=k, strides=s, pads=pads)
            if kind == "avg_pool2d":
                attrs["count_include_pad"] = cip
            nodes.append(Node(kind, out, [x], attrs, node.name, op))
        elif op == "Flatten":
            axis = a.get("axis", 1)
            if axis < 0:
                axis += len(xs)
            if axis != 1 and not batched:  # static shapes: any axis is a reshape
                shapes[out] = [int(np.prod(xs[:axis])), int(np.prod(xs[axis:]))]
                nodes.append(Node("reshape", out, [x], dict(shape=shapes[out]), node.name, op))
                continue
            if axis != 1:
                raise QCError(f"{where}: only Flatten with axis 1 is supported (any axis with a "
                              f"fixed first dimension)")
            shapes[out] = [xs[0], int(np.prod(xs[1:]))]
            nodes.append(Node("flatten", out, [x], {}, node.name, op))
        elif op == "Tanh":
            shapes[out] = xs
            nodes.append(Node("tanh", out, [x], {}, node.name, op))
        elif op == "Add":
            if ins[1] in constants:
                raise QCError(f"{where}: Add with a constant operand is not supported")
            if shapes[ins[1]] != xs:
                raise QCError(f"{where}: broadcasting Add ({xs} + {shapes[ins[1]]}) is not supported")
            shapes[out] = xs
            nodes.append(Node("add", out, ins[:2], {}, node.name, op))
    out_dtypes = {}
    for o in g.output:
        final = name(o.name)
        out_dtypes[final] = io_dtypes.get(final, "float32")
        if final in pending and final not in used_q:
            # An integer model output: quantized on exit.
            src, p, qnode = pending.pop(final)
            if p["storage"] not in ("u8", "i8"):
                raise QCError(f"node '{qnode.name}' (QuantizeLinear): output type must be uint8 or int8")
            shapes[final] = shapes[src]
            nodes.append(Node("quantize", final, [src], p, qnode.name, "QuantizeLinear"))
            out_dtypes[final] = {"u8": "uint8", "i8": "int8"}[p["storage"]]
        if batched and shapes.get(final, [1])[0] != 1:
            raise QCError(f"graph output '{final}' has size {shapes[final][0]} in dimension 0, which the "
                          f"compiled model loops over (the batch): it must follow the input's batch")
    unused = set(pending) - used_q
    if unused:
        raise QCError(f"QuantizeLinear output '{sorted(unused)[0]}' is not dequantized "
                      f"(QOperator models are not supported)")
    outs = [name(o.name) for o in g.output]
    for o in outs:
        if o not in shapes:
            raise QCError(f"graph output '{o}' is not produced by any node")
    if len(set(outs)) != len(outs):
        raise QCError("the same tensor is given as two graph outputs")
    out, out_dtype = outs[0], out_dtypes[outs[0]]
    constants = {k: as_f32(v) for k, v in constants.items()}
    nodes = _fuse_linear(nodes, constants, shapes, given, out)
    int_readers = ("dequantize", "int_matmul", "int_conv")
    if in_dtype != "float32" and any(inp.name in n.inputs for n in nodes if n.op not in int_readers):
        raise QCError(f"input '{inp.name}' is {in_dtype}: only DequantizeLinear and the integer "
                      f"ops may read it")
    ints = [n for n in nodes if n.op in ("int_matmul", "int_conv")]
    if ints and (len(nodes) != 1 or ints[0].output != out):
        raise QCError(f"{ints[0].where()}: integer ops are supported as the whole model "
                      f"(input to output), as in ONNX's node tests")
    if ints:
        out_dtype = ints[0].attrs["out_dtype"]
    if (extra_inputs or len(outs) > 1) and in_dtype != "float32":
        raise QCError("models with several inputs or outputs must take float32 inputs")
    for n in nodes:
        if n.op in ("quantize", "dequantize", "fake_quant") and n.attrs["axis"] == 0:
            raise QCError(f"{n.where()}: per-axis quantization along dimension 0 (the batch) "
                          f"is not supported")
    io = {o: out_dtypes[o] for o in outs[1:]}
    return Graph(inp.name, shape, out, nodes, constants, shapes, given, in_dtype, out_dtype, batched,
                 extra_inputs, outs[1:], io)


def _raise_dynamic_quantize(nodes, constants):
    """ONNX's expansion of DynamicQuantizeLinear (its function body: ReduceMin,
    ReduceMax, Min / Max with 0, Sub, Div by 255, zero point by Sub, Div,
    Clip, Round, Cast, then QuantizeLinear with the computed scale and zero
    point) becomes the one op again: a QuantizeLinear needs constant
    parameters otherwise."""
    from onnx import helper, numpy_helper
    prod = {o: n for n in nodes for o in n.output}
    cval = {}
    for n in nodes:
        if n.op_type == "Constant":
            cval[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    cval.update(constants)
    is_c = lambda t, v: t in cval and np.asarray(cval[t]).size == 1 and float(np.asarray(cval[t]).reshape(-1)[0]) == v
    out = list(nodes)
    for q in nodes:
        if q.op_type != "QuantizeLinear" or len(q.input) < 3 or q.input[1] in cval:
            continue
        x, s, z = q.input[:3]
        get = lambda t, op: prod.get(t) if prod.get(t) is not None and prod[t].op_type == op else None
        div = get(s, "Div")
        rng = div and is_c(div.input[1], 255) and get(div.input[0], "Sub")
        mx = rng and get(rng.input[0], "Max")
        mn = rng and get(rng.input[1], "Min")
        rmx = mx and is_c(mx.input[1], 0) and get(mx.input[0], "ReduceMax")
        rmn = mn and is_c(mn.input[1], 0) and get(mn.input[0], "ReduceMin")
        cast = get(z, "Cast")
        rnd = cast and get(cast.input[0], "Round")
        clip = rnd and get(rnd.input[0], "Clip")
        sub = clip and is_c(clip.input[1], 0) and is_c(clip.input[2], 255) and get(clip.input[0], "Sub")
        dz = sub and is_c(sub.input[0], 0) and get(sub.input[1], "Div")
        if not (rmx and rmn and dz and rmx.input[0] == x and rmn.input[0] == x
                and dz.input[0] == mn.output[0] and dz.input[1] == s):
            continue
        chain = {id(n) for n in (div, rng, mx, mn, rmx, rmn, cast, rnd, clip, sub, dz, q)}
        dql = helper.make_node("DynamicQuantizeLinear", [x], [q.output[0], s, z], name=q.name)
        first = min(i for i, n in enumerate(out) if id(n) in chain)  # where the chain starts
        out = [dql if i == first else n for i, n in enumerate(out) if id(n) not in chain or i == first]
    return out


def _fuse_linear(nodes, constants, shapes, given, graph_out):
    """MatMul by a constant 2-D matrix, with the Add of a constant 1-D bias
    that follows it (either order), becomes one `linear` node (x @ W^T + b
    over the last axis, W stored [N, K]): a gemm that quantization treats as
    one layer, named by the Add's output."""
    users = {}
    for n in nodes:
        for i in n.inputs:
            users.setdefault(i, []).append(n)
    out, drop = [], set()
    for n in nodes:
        if id(n) in drop:
            continue
        if n.op != "matmul" or n.inputs[1] not in constants:
            out.append(n)
            continue
        w = constants[n.inputs[1]]
        k, m = w.shape
        wn, bn = f"{n.output}::weight", f"{n.output}::bias"
        constants[wn], bias, name = np.ascontiguousarray(w.T), np.zeros(m, np.float32), n.output
        if n.inputs[1] in given:
            p = dict(given[n.inputs[1]])
            if p["axis"] >= 0:
                p["axis"] = 1 - p["axis"]
            given[wn] = p
        us = users.get(n.output, [])
        if n.output != graph_out and len(us) == 1 and us[0].op == "binary" and \
                us[0].attrs["kind"] == "add":
            add = us[0]
            other = add.inputs[1] if add.inputs[0] == n.output else add.inputs[0]
            if other in constants and np.asarray(constants[other]).size == m and \
                    list(shapes[add.output]) == list(shapes[n.output]):
                bias, name = as_f32(np.asarray(constants[other]).reshape(m)), add.output
                if other in given:
                    given[bn] = given[other]
                drop.add(id(add))
        constants[bn] = bias
        out.append(Node("linear", name, [n.inputs[0], wn, bn], {}, n.onnx_name, n.onnx_op))
    return out


# ---------------------------------------------------------------- MLIR text

def _str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ty(shape, elt="f32"):
    return "tensor<" + "".join(f"{d}x" for d in shape) + f"{elt}>"


def _signed(p):
    """uint8 parameters as the int8 storage qc computes in (zero point - 128)."""
    if p["storage"] != "u8":
        return p
    return dict(p, storage="i8", zero_point=[z - 128 for z in p["zero_point"]])


def _flip(lines, fresh, v, shape, loc):
    """int8 <-> uint8 bits: x xor 0x80 (the value shifts by 128)."""
    c, r = fresh(), fresh()
    ones = "x".join("1" for _ in shape)
    cty = f"tensor<{ones + 'x' if shape else ''}i8>"
    lines.append(f"    {c} = arith.constant dense<-128> : {cty} {loc}")
    lines.append(f"    {r} = tosa.bitwise_xor {v}, {c} : ({_ty(shape, 'i8')}, {cty}) -> {_ty(shape, 'i8')} {loc}")
    return r


def _arr(v):
    return "array<i64: " + ", ".join(str(int(x)) for x in v) + ">"


def _f32(v):
    """An f32 attribute; +-inf (ReLU's open bound) becomes +-FLT_MAX."""
    v = float(np.clip(np.float32(v), -np.finfo(np.float32).max, np.finfo(np.float32).max))
    return f"{v:.8e} : f32"


def qtype(p):
    """The !quant.uniform type of imported QDQ parameters."""
    st = p["storage"]
    if p["axis"] < 0:
        return f"!quant.uniform<{st}:f32, {p['scale'][0]!r}:{p['zero_point'][0]}>"
    pairs = ",".join(f"{s!r}:{z}" for s, z in zip(p["scale"], p["zero_point"]))
    return f"!quant.uniform<{st}:f32:{p['axis']}, {{{pairs}}}>"


def _dense(arr, elt):
    """A dense constant in hex (little endian)."""
    np_t = {"i8": "<i1", "i32": "<i4", "f32": "<f4"}[elt]
    data = np.ascontiguousarray(arr).astype(np_t).tobytes().hex().upper()
    return f'dense<"0x{data}"> : {_ty(arr.shape, elt)}'


def _emit_integer(node, g, x, lines, fresh, loc):
    """MatMulInteger / ConvInteger / QLinear*: int8 storage with the uint8
    bits flipped, i8 x i8 -> i32 qc.gemm / qc.conv2d, and for uint8 weights
    (or an int8 weight zero point) the correction
    (x - zx)(w - zw) = (x - zx) w_s + c * sum(x - zx), w_s = w - 128 (uint8),
    c = 128 - zw, the sum a second conv / gemm with unit weights scaled by
    an exact integer requantize. QLinear outputs: the int32 accumulator times
    the float32 multiplier, rounded half to even, plus the zero point."""
    a = node.attrs
    in_shape = g.input_shape
    zx = a["x_zp"] - 128 if a["x_storage"] == "u8" else a["x_zp"]
    if a["x_storage"] == "u8":
        x = _flip(lines, fresh, x, in_shape, loc)
    w = a["weight"]
    w_s, c = (w - 128, 128 - a["w_zp"]) if a["w_storage"] == "u8" else (w, -a["w_zp"])
    acc_ty = _ty(g.shapes[node.output], "i32")
    if w.ndim == 3:  # [B, M, K] x [B, K, N]: tosa.matmul with both zero points
        zw = a["w_zp"] - 128 if a["w_storage"] == "u8" else a["w_zp"]
        wc, za, zb, acc = fresh(), fresh(), fresh(), fresh()
        lines.append(f"    {wc} = arith.constant {_dense(w_s if a['w_storage'] == 'u8' else w, 'i8')} {loc}")
        lines.append(f"    {za} = arith.constant dense<{zx}> : tensor<1xi8> {loc}")
        lines.append(f"    {zb} = arith.constant dense<{zw}> : tensor<1xi8> {loc}")
        lines.append(f"    {acc} = tosa.matmul {x}, {wc}, {za}, {zb} : ({_ty(in_shape, 'i8')}, "
                     f"{_ty(w.shape, 'i8')}, tensor<1xi8>, tensor<1xi8>) -> {acc_ty} {loc}")
        c = 0
    fn = f"({_ty(in_shape, 'i8')}, {_ty(w.shape, 'i8')}, {_ty([w.shape[0]], 'i32')}) -> {acc_ty}"
    if node.op == "int_conv":
        attrs = (f"dilations = {_arr(a['dilations'])}, group = {a['group']} : i64, input_zp = {{zx}} : i32, "
                 f"pads = {_arr(a['pads'])}, strides = {_arr(a['strides'])}, weight_zp = 0 : i32")
        op = "qc.conv2d"
    else:
        attrs, op = "input_zp = {zx} : i32, weight_zp = 0 : i32", "qc.gemm"

    def mac(weights, bias):
        wc, bc, r = fresh(), fresh(), fresh()
        lines.append(f"    {wc} = arith.constant {_dense(weights, 'i8')} {loc}")
        lines.append(f"    {bc} = arith.constant {_dense(bias, 'i32')} {loc}")
        lines.append(f"    {r} = {op} {x}, {wc}, {bc} {{{attrs.format(zx=zx)}}} : {fn} {loc}")
        return r

    if w.ndim != 3:
        acc = mac(w_s, a["bias"])
    if c:
        ones = mac(np.full(w.shape, 1 if c > 0 else -1), np.zeros(w.shape[0], np.int64))
        r, t = fresh(), fresh()
        lines.append(f"    {r} = qc.requantize {ones} {{axis = -1 : i64, input_zp = 0 : i32, "
                     f"max = 2147483647 : i32, min = -2147483648 : i32, output_zp = 0 : i32, "
                     f"scale = array<f64: {abs(c)}.0>}} : {acc_ty} -> {acc_ty} {loc}")
        lines.append(f"    {t} = tosa.add {acc}, {r} : ({acc_ty}, {acc_ty}) -> {acc_ty} {loc}")
        acc = t
    if "multiplier" not in a:
        return acc
    m = a["multiplier"]
    chan = len(g.shapes[node.output]) - 1 if node.op == "int_matmul" else 1
    deq = dict(storage="i32", axis=chan if len(set(m)) > 1 else -1, zero_point=[0] * len(m),
               scale=m if len(set(m)) > 1 else m[:1])
    f, q = fresh(), fresh()
    out_shape = g.shapes[node.output]
    lines.append(f"    {f} = qc.dequantize {acc} {{qtype = {qtype(deq)}}} : {acc_ty} -> {_ty(out_shape)} {loc}")
    yq = _signed(dict(storage=a["y_storage"], axis=-1, zero_point=[a["y_zp"]], scale=[1.0]))
    lines.append(f"    {q} = qc.quantize {f} {{qtype = {qtype(yq)}}} : {_ty(out_shape)} -> "
                 f"{_ty(out_shape, 'i8')} {loc}")
    return _flip(lines, fresh, q, out_shape, loc) if a["y_storage"] == "u8" else q


def _emit_dynamic_quantize(node, g, x, lines, fresh, loc):
    """DynamicQuantizeLinear as ONNX defines it, in float32: x_min = min(0,
    min x), x_max = max(0, max x), scale = (x_max - x_min) / 255, zero point
    = clip(round(-x_min / scale), 0, 255), y = clip(round(x / scale) + zp,
    0, 255), rounding half to even; uint8 results as i8 bit patterns."""
    shape = g.shapes[node.inputs[0]]
    ty = _ty(shape)
    red = {}
    for kind in ("min", "max"):
        v, cur = x, list(shape)
        for ax in range(len(shape)):
            nxt = list(cur)
            nxt[ax] = 1
            r = fresh()
            lines.append(f"    {r} = tosa.reduce_{kind} {v} {{axis = {ax} : i32}} : ({_ty(cur)}) -> {_ty(nxt)} {loc}")
            v, cur = r, nxt
        idx = fresh()
        lines.append(f"    {idx} = arith.constant 0 : index {loc}")
        e = fresh()
        lines.append(f"    {e} = tensor.extract {v}[{', '.join([idx] * len(shape))}] : {_ty(cur)} {loc}")
        red[kind] = e
    c = {}
    for name, val in (("zero", "0.0"), ("q", "2.550000e+02")):
        c[name] = fresh()
        lines.append(f"    {c[name]} = arith.constant {val} : f32 {loc}")

    def f(text):
        v = fresh()
        lines.append(f"    {v} = {text} {loc}")
        return v
    zero, q255 = c["zero"], c["q"]
    mn = f(f"arith.minimumf {red['min']}, {zero} : f32")
    mx = f(f"arith.maximumf {red['max']}, {zero} : f32")
    rng = f(f"arith.subf {mx}, {mn} : f32")
    scale = f(f"arith.divf {rng}, {q255} : f32")
    neg = f(f"arith.subf {zero}, {mn} : f32")
    izp = f(f"arith.divf {neg}, {scale} : f32")
    top = f(f"arith.minimumf {izp}, {q255} : f32")
    zp = f(f"arith.maximumf {f(f'math.roundeven {top} : f32')}, {zero} : f32")
    empty = f(f"tensor.empty() : {_ty(shape, 'i8')}")
    dims = ", ".join(f"d{i}" for i in range(len(shape)))
    amap = f"affine_map<({dims}) -> ({dims})>"
    y, par = fresh(), '"parallel"'
    lines.append(
        f"    {y} = linalg.generic {{indexing_maps = [{amap}, {amap}], iterator_types = "
        f"[{', '.join([par] * len(shape))}]}} ins({x} : {ty}) outs({empty} : {_ty(shape, 'i8')}) {{\n"
        f"    ^bb0(%a: f32, %o: i8):\n"
        f"      %d = arith.divf %a, {scale} : f32\n      %r = math.roundeven %d : f32\n"
        f"      %s = arith.addf %r, {zp} : f32\n      %lo = arith.maximumf %s, {c['zero']} : f32\n"
        f"      %hi = arith.minimumf %lo, {c['q']} : f32\n      %i = arith.fptoui %hi : f32 to i8\n"
        f"      linalg.yield %i : i8\n    }} -> {_ty(shape, 'i8')} {loc}")
    ys = f(f"tensor.from_elements {scale} : tensor<f32>")
    zi = f(f"arith.fptoui {zp} : f32 to i8")
    yz = f(f"tensor.from_elements {zi} : tensor<i8>")
    outs = node.attrs["outputs"]
    return y, {k: v for k, v in ((outs[1], ys), (outs[2], yz)) if k}


TENSOR_EMIT = ("binary", "matmul", "linear", "erf", "softmax", "layer_norm", "reshape", "transpose",
               "gather", "reduce_mean", "pow", "sqrt", "slice", "reduce_sum")


class _Tosa:
    """Float tensor ops as TOSA (MLIR 22 syntax), one node at a time."""

    def __init__(self, lines, fresh, loc):
        self.lines, self.fresh, self.loc = lines, fresh, loc

    def op(self, text, out_shape):
        v = self.fresh()
        self.lines.append(f"    {v} = {text} -> {_ty(out_shape)} {self.loc}")
        return v

    def _line(self, text):
        v = self.fresh()
        self.lines.append(f"    {v} = {text} {self.loc}")
        return v

    def const(self, arr):
        v = self.fresh()
        self.lines.append(f'    {v} = arith.constant {_dense(np.asarray(arr), "f32")} {self.loc}')
        return v

    def shape(self, dims):
        v = self.fresh()
        vals = ", ".join(str(int(d)) for d in dims)
        self.lines.append(f"    {v} = tosa.const_shape {{values = dense<[{vals}]> : tensor<{len(dims)}xindex>}} "
                          f": () -> !tosa.shape<{len(dims)}> {self.loc}")
        return v

    def reshape(self, x, src, dst):
        if list(src) == list(dst):
            return x
        sh = self.shape(dst)
        return self.op(f"tosa.reshape {x}, {sh} : ({_ty(src)}, !tosa.shape<{len(dst)}>)", dst)

    def binary(self, kind, a, sa, b, sb):
        out = list(np.broadcast_shapes(tuple(sa), tuple(sb)))
        a = self.reshape(a, sa, [1] * (len(out) - len(sa)) + list(sa))
        b = self.reshape(b, sb, [1] * (len(out) - len(sb)) + list(sb))
        sa = [1] * (len(out) - len(sa)) + list(sa)
        sb = [1] * (len(out) - len(sb)) + list(sb)
        if kind == "div":
            b = self.op(f"tosa.reciprocal {b} : ({_ty(sb)})", sb)
            kind = "mul"
        if kind == "mul":
            sh = self.fresh()
            self.lines.append(f'    {sh} = "tosa.const"() {{values = dense<0> : tensor<1xi8>}} : () -> tensor<1xi8> {self.loc}')
            return self.op(f"tosa.mul {a}, {b}, {sh} : ({_ty(sa)}, {_ty(sb)}, tensor<1xi8>)", out)
        return self.op(f"tosa.{kind} {a}, {b} : ({_ty(sa)}, {_ty(sb)})", out)

    def reduce(self, kind, x, shape, axis):
        out = list(shape)
        out[axis] = 1
        return self.op(f"tosa.reduce_{kind} {x} {{axis = {axis} : i32}} : ({_ty(shape)})", out), out

    def unary(self, kind, x, shape):
        return self.op(f"tosa.{kind} {x} : ({_ty(shape)})", shape)

    def emit(self, node, g, args):
        a, shp = node.attrs, lambda i: list(g.constants[i].shape) if g.is_const(i) else list(g.shapes[i])
        x, sx, out = args[0], shp(node.inputs[0]), list(g.shapes[node.output])
        if node.op == "binary":
            kind, ops = a["kind"], []
            rank = len(out)
            for i, arg in zip(node.inputs[:2], args[:2]):
                if g.is_const(i) and i not in g.given:  # at full rank; x / c as x * (1 / c)
                    arr = np.asarray(g.constants[i], np.float32)
                    if kind == "div" and i == node.inputs[1]:
                        arr, kind = np.float32(1) / arr, "mul"
                    arr = arr.reshape([1] * (rank - arr.ndim) + list(arr.shape))
                    ops += [self.const(arr), list(arr.shape)]
                else:
                    ops += [arg, shp(i)]
            return self.binary(kind, *ops)
        if node.op == "erf":
            return self.unary("erf", x, sx)
        if node.op in ("pow", "sqrt"):
            e = a["exponent"] if node.op == "pow" else 0.5
            if e == 2.0:
                return self.binary("mul", x, sx, x, sx)
            c = self.const(np.full([1] * len(sx), e))
            return self.op(f"tosa.pow {x}, {c} : ({_ty(sx)}, {_ty([1] * len(sx))})", sx)
        if node.op == "reshape":
            return self.reshape(x, sx, out)
        if node.op == "transpose":
            perms = ", ".join(map(str, a["perm"]))
            return self.op(f"tosa.transpose {x} {{perms = array<i32: {perms}>}} : ({_ty(sx)})", out)
        if node.op == "gather":
            start = [0] * len(sx)
            start[a["axis"]] = a["index"]
            size = list(sx)
            size[a["axis"]] = 1
            st, sz = self.shape(start), self.shape(size)
            v = self.op(f"tosa.slice {x}, {st}, {sz} : ({_ty(sx)}, !tosa.shape<{len(sx)}>, "
                        f"!tosa.shape<{len(sx)}>)", size)
            return self.reshape(v, size, out)
        if node.op == "matmul":
            sb = shp(node.inputs[1])
            zp = self.const(np.zeros(1))
            if g.is_const(node.inputs[1]):  # [.., M, K] x [K, N]
                m = int(np.prod(sx[:-1]))
                a3 = self.reshape(x, sx, [1, m, sx[-1]])
                b3 = self.const(g.constants[node.inputs[1]].reshape(1, *sb))
                r = self.op(f"tosa.matmul {a3}, {b3}, {zp}, {zp} : ({_ty([1, m, sx[-1]])}, "
                            f"{_ty([1] + sb)}, tensor<1xf32>, tensor<1xf32>)", [1, m, sb[-1]])
                return self.reshape(r, [1, m, sb[-1]], out)
            bsz = int(np.prod(sx[:-2]))
            a3 = self.reshape(x, sx, [bsz] + sx[-2:])
            b3 = self.reshape(args[1], sb, [bsz] + sb[-2:])
            r3 = [bsz, sx[-2], sb[-1]]
            r = self.op(f"tosa.matmul {a3}, {b3}, {zp}, {zp} : ({_ty([bsz] + sx[-2:])}, "
                        f"{_ty([bsz] + sb[-2:])}, tensor<1xf32>, tensor<1xf32>)", r3)
            return self.reshape(r, r3, out)
        if node.op == "linear":  # [.., K] rows through qc.gemm [M, K] x [N, K]^T
            sw = shp(node.inputs[1])
            m = int(np.prod(sx[:-1]))
            x2 = self.reshape(x, sx, [m, sx[-1]])
            v = self.fresh()
            self.lines.append(f"    {v} = qc.gemm {x2}, {args[1]}, {args[2]} : ({_ty([m, sx[-1]])}, "
                              f"{_ty(sw)}, {_ty(sw[:1])}) -> {_ty([m, sw[0]])} {self.loc}")
            return self.reshape(v, [m, sw[0]], out)
        if node.op == "softmax":
            return self._line(f"qc.softmax {x} : {_ty(sx)}")
        if node.op == "layer_norm":  # over trailing dims: flattened into the last
            flat = sx[:a.get("axis", len(sx) - 1)] + [int(np.prod(sx[a.get("axis", len(sx) - 1):]))]
            xf = self.reshape(x, sx, flat)
            self.extra = {}
            stats = a.get("stats") or []
            if any(stats):  # Mean and InvStdDev outputs, as ONNX computes them
                ax, n = len(flat) - 1, flat[-1]
                one = [1] * len(flat)
                inv_n = self.const(np.full(one, 1.0 / n))
                sm, sr = self.reduce("sum", xf, flat, ax)
                mean = self.binary("mul", sm, sr, inv_n, one)
                d = self.binary("sub", xf, flat, mean, sr)
                vs, _ = self.reduce("sum", self.binary("mul", d, flat, d, flat), flat, ax)
                var = self.binary("add", self.binary("mul", vs, sr, inv_n, one), sr,
                                  self.const(np.full(one, a["epsilon"])), one)
                inv = self.unary("rsqrt", var, sr)
                for name, v in zip(stats, (mean, inv)):
                    if name:
                        self.extra[name] = self.reshape(v, sr, g.shapes[name])
            y = self._line(f"qc.layer_norm {xf}, {args[1]}, {args[2]} {{epsilon = {_f32(a['epsilon'])}}} : "
                           f"({_ty(flat)}, {_ty(shp(node.inputs[1]))}, {_ty(shp(node.inputs[2]))}) -> {_ty(flat)}")
            return self.reshape(y, flat, sx)
        if node.op == "slice":
            st, sz = self.shape(a["begin"]), self.shape(a["size"])
            return self.op(f"tosa.slice {x}, {st}, {sz} : ({_ty(sx)}, !tosa.shape<{len(sx)}>, "
                           f"!tosa.shape<{len(sx)}>)", out)
        if node.op == "reduce_sum":
            v, cur = x, sx
            for ax in a["axes"]:
                v, cur = self.reduce("sum", v, cur, ax)
            return self.reshape(v, cur, out)
        if node.op == "reduce_mean":
            v, cur = x, sx
            for ax in a["axes"]:
                v, cur = self.reduce("sum", v, cur, ax)
            n = int(np.prod([sx[i] for i in a["axes"]]))
            v = self.binary("mul", v, cur, self.const(np.full([1] * len(cur), 1.0 / n)), [1] * len(cur))
            return self.reshape(v, cur, out)
        raise QCError(f"{node.where()}: no MLIR form for '{node.op}'")


def to_mlir(g, func_name="qc_model"):
    """Emits the float graph as MLIR (func + qc / tosa / tensor ops)."""
    lines = []
    ids = {g.input_name: "%input"}
    ids.update({name: f"%input{k}" for k, name in enumerate(g.extra_inputs, 1)})
    n = [0]

    def fresh():
        n[0] += 1
        return f"%v{n[0]}"

    def const(name):
        if name in ids:
            return ids[name]
        arr = g.constants[name]
        v = fresh()
        lines.append(f'    {v} = arith.constant {_dense(arr, "f32")} loc({_str(name)})')
        if name in g.given:  # quantized in the model: keep its parameters
            fq = fresh()
            lines.append(f"    {fq} = qc.fake_quant {v} {{qtype = {qtype(g.given[name])}}} : "
                         f"{_ty(arr.shape)} loc({_str(name)})")
            v = fq
        ids[name] = v
        return v

    for node in g.nodes:
        args = [None if node.op == "binary" and g.is_const(i) and i not in g.given
                else const(i) if g.is_const(i) else ids[i] for i in node.inputs]
        v = fresh()
        ins_ty = [(_ty(g.constants[i].shape) if g.is_const(i) else _ty(g.shapes[i])) for i in node.inputs]
        out_ty = _ty(g.shapes[node.output])
        a = node.attrs
        loc = f"loc({_str(node.output)})"
        fn = f"({', '.join(ins_ty)}) -> {out_ty}"
        if node.op == "conv2d":
            attr = (f"{{dilations = {_arr(a['dilations'])}, group = {a['group']} : i64, "
                    f"pads = {_arr(a['pads'])}, strides = {_arr(a['strides'])}}}")
            lines.append(f"    {v} = qc.conv2d {', '.join(args)} {attr} : {fn} {loc}")
        elif node.op == "gemm":
            lines.append(f"    {v} = qc.gemm {', '.join(args)} : {fn} {loc}")
        elif node.op == "batch_norm":
            lines.append(f"    {v} = qc.batch_norm {', '.join(args)} {{epsilon = {_f32(a['epsilon'])}}} : {fn} {loc}")
        elif node.op in ("max_pool2d", "avg_pool2d"):
            attr = f"kernel = {_arr(a['kernel'])}, pads = {_arr(a['pads'])}, strides = {_arr(a['strides'])}"
            if node.op == "avg_pool2d":
                attr = f"count_include_pad = {str(a['count_include_pad']).lower()}, " + attr
            lines.append(f"    {v} = qc.{node.op} {args[0]} {{{attr}}} : {ins_ty[0]} -> {out_ty} {loc}")
        elif node.op == "clamp":
            lines.append(f"    {v} = tosa.clamp {args[0]} {{max_val = {_f32(a['max'])}, "
                         f"min_val = {_f32(a['min'])}}} : {fn} {loc}")
        elif node.op == "fake_quant":
            lines.append(f"    {v} = qc.fake_quant {args[0]} {{qtype = {qtype(a)}}} : {out_ty} {loc}")
        elif node.op == "quantize":  # int8 storage, uint8 bits flipped on exit
            ity = _ty(g.shapes[node.output], "i8")
            lines.append(f"    {v} = qc.quantize {args[0]} {{qtype = {qtype(_signed(a))}}} : "
                         f"{ins_ty[0]} -> {ity} {loc}")
            if a["storage"] == "u8":
                v = _flip(lines, fresh, v, g.shapes[node.output], loc)
        elif node.op == "dequantize":
            x = args[0]
            if a["storage"] == "u8":
                x = _flip(lines, fresh, x, g.input_shape, loc)
            lines.append(f"    {v} = qc.dequantize {x} {{qtype = {qtype(_signed(a))}}} : "
                         f"{_ty(g.input_shape, 'i8')} -> {out_ty} {loc}")
        elif node.op in ("int_matmul", "int_conv"):
            v = _emit_integer(node, g, args[0], lines, fresh, loc)
        elif node.op == "dynamic_quantize":
            v, extra = _emit_dynamic_quantize(node, g, args[0], lines, fresh, loc)
            ids.update(extra)
        elif node.op in TENSOR_EMIT:
            t = _Tosa(lines, fresh, loc)
            v = t.emit(node, g, args)
            ids.update(getattr(t, "extra", {}))
        elif node.op == "tanh":
            lines.append(f"    {v} = tosa.tanh {args[0]} : {fn} {loc}")
        elif node.op == "add":
            lines.append(f"    {v} = tosa.add {args[0]}, {args[1]} : {fn} {loc}")
        elif node.op == "flatten":
            rank = len(g.shapes[node.inputs[0]])
            reassoc = "[[0], [" + ", ".join(str(i) for i in range(1, rank)) + "]]"
            lines.append(f"    {v} = tensor.collapse_shape {args[0]} {reassoc} : {ins_ty[0]} into {out_ty} {loc}")
        else:
            raise QCError(f"{node.where()}: no MLIR form for '{node.op}'")
        ids[node.output] = v
    elt = {"float32": "f32", "uint8": "i8", "int8": "i8", "int32": "i32"}
    args = [f"{ids[i]}: {_ty(g.input_shape if i == g.input_name else g.shapes[i], elt[g.dtype(i)])} "
            f"loc({_str(i)})" for i in g.inputs()]
    out_tys = [_ty(g.shapes[o], elt[g.dtype(o)]) for o in g.outputs()]
    res = out_tys[0] if len(out_tys) == 1 else f"({', '.join(out_tys)})"
    head = (f"func.func @{func_name}({', '.join(args)}) -> {res} "
            f"attributes {{llvm.emit_c_interface}} {{")
    body = "\n".join(lines)
    # Every op has an explicit location, so no stage's IR mentions the
    # (temporary) path of the file it was parsed from.
    return (f"module {{\n  {head}\n{body}\n    return {', '.join(ids[o] for o in g.outputs())} : "
            f"{', '.join(out_tys)} loc(unknown)\n"
            f"  }} loc({_str(func_name)})\n}} loc(unknown)\n")
