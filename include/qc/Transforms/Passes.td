//===- Passes.td - qc transformation passes ----------------*- tablegen -*-===//
#ifndef QC_TRANSFORMS_PASSES
#define QC_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def QCFoldBatchNorm : Pass<"qc-fold-batchnorm", "::mlir::func::FuncOp"> {
  let summary = "Fold inference batch norm into a neighbouring conv or gemm";
  let description = [{
    On the float graph, per output channel `o`, with
    `k[o] = scale[o] / sqrt(var[o] + eps)` computed in double:

    * conv / gemm followed by batch norm (the batch norm is the only user):
      `W'[o] = W[o] * k[o]`, `b'[o] = (b[o] - mean[o]) * k[o] + bias[o]`;
    * batch norm whose only user is a gemm (batch norm on the gemm input):
      `W'[n, c] = W[n, c] * k[c]`,
      `b'[n] = b[n] + sum_c W[n, c] * (bias[c] - mean[c] * k[c])`.

    The folded op takes the batch norm's location, so statistics recorded
    for the batch norm's output name apply to it. A batch norm that cannot be
    folded is left in place and a remark names it (fake-to-real later
    refuses it with an error).

    With `input-norm=float`, a batch norm on a function argument (input
    normalization) is not folded: it stays a float32 prologue before the
    input quantize (`--qc-annotate` quantizes its output instead of the
    argument). Folded into the next layer, its per-feature scales spread the
    weights' ranges, harmless at 8 bits but ruinous for 4-bit groups
    (kws_mlp, 4-bit first layer: 82.68% folded, 86.79% kept; float 87.86%).
  }];
  let options = [
    Option<"inputNorm", "input-norm", "std::string", /*default=*/"\"fold\"",
           "Batch norm on a function argument: fold (into the next gemm) or "
           "float (kept as a float prologue)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def QCRaiseDecomposed : Pass<"qc-raise-decomposed", "::mlir::func::FuncOp"> {
  let summary = "Recognise decomposed GELU and LayerNorm as whole qc ops";
  let description = [{
    Exporters spell some ops as chains of elementary ones; quantization must
    see them whole (one integer kernel, one output range). On the imported
    TOSA form:

    * GELU, exact: `x * 0.5 * (1 + erf(x * (1/sqrt(2))))` in any
      association -> `qc.gelu`;
    * GELU, tanh approximation: `x * 0.5 * (1 + tanh(sqrt(2/pi) *
      (x + 0.044715 * x^3)))` (`x^3` as `pow` or two multiplies) ->
      `qc.gelu {approximate = "tanh"}`;
    * LayerNorm at opset < 17: `d = x - mean(x)`, `y = d / sqrt(mean(d * d)
      + eps) * gamma + beta` over the last axis (each mean a `reduce_sum`
      times `1/n`) -> `qc.layer_norm`.

    Constants must match to 1e-4 relative. The raised op takes the location
    of the chain's last op, so statistics recorded for that tensor apply.
    Also, `reshape(v) * c` with a scalar constant `c` becomes
    `reshape(v * c)`, so that the factor (attention's `1/sqrt(d)`,
    ReduceMean's `1/n`) meets v's producer and quantization folds it into
    that producer's requantize. Chains that do not match are left as they
    are.
  }];
  let dependentDialects = ["::qc::QCDialect", "::mlir::tosa::TosaDialect",
                           "::mlir::arith::ArithDialect"];
}

def QCAnnotate : Pass<"qc-annotate", "::mlir::func::FuncOp"> {
  let summary = "Insert fake quantization from calibration statistics";
  let description = [{
    Reads the statistics file (JSON, see docs/design.md) and inserts
    `qc.fake_quant`:

    * activations: asymmetric int8 `[-128, 127]` from the recorded range,
      widened to contain 0, zero point rounded half to even (an all-zero
      tensor gets scale 1/255, zero point -128); a tensor's
      statistics are looked up by the name in its location (the ONNX tensor
      name);
    * an activation feeding only a ReLU / ReLU6 / Clip (`tosa.clamp`) is not
      quantized: the clamp fuses into the requantize;
    * ops that keep scale (max pool, flatten) share their input's parameters;
      tanh outputs get the fixed scale 1/128, zero point 0;
    * conv / gemm weights: int8 symmetric `[-127, 127]` (`[-63, 63]` with
      `weight-bits=7`), per output channel or per tensor;
    * with `weight-bits=4`: int4 symmetric `[-7, 7]` with one scale per
      output channel and group of `group-size` input channels (gemm: K
      elements; conv: channels, each with its whole kernel window), a
      sub-channel `!quant.uniform<i4<-7:7>:f32:{0:1, 1:G}, ...>`. When G does
      not divide the input channels, the largest divisor below it is used
      (remark). Depthwise convolutions and layers with fewer than G
      weights per output channel keep int8 (remark): one group per channel
      saves at most G/2 bytes per channel there and costs most of the error
      (mobilenet_dw: 95.70% with them at 4 bits, 97.35% without, weights
      only). The
      bias is int32 at `s_in * max_g s_w[o, g] / 2^r`, r <= 16 the largest
      shift that keeps the summed, rescaled group accumulators and the bias
      within int32;
    * `layer-bits` entries `NAME=BITS` set the weight bits (8, 7 or 4) of
      the conv / gemm whose output tensor is NAME; `symmetric` and
      `asymmetric` list activation tensors quantized so whatever
      `activations` says. A name that matches nothing is an error.
    * bias: int32 at scale `s_in * s_w[o]`, zero point 0. When a bias would
      not leave room in the int32 accumulator for the worst-case sum
      (`K * qmax * 255`), the channel's weight scale is raised until it does,
      with a remark.

    Ops whose result tensor is named in `exclude` stay in float: their
    weights are not quantized, they get the unit attribute `qc.float`, their
    output is quantized only where a quantized op consumes it, and nothing
    fuses into them. `--qc-fake-to-real` then surrounds them with a
    dequantize / quantize boundary.

    With `activations=symmetric`, activations use zero point 0 and scale
    `max(|lo|, |hi|) / 127`. With `activation-type=uint8` every activation
    type is `u8` with the same scale and zero point + 128 (`[0, 255]`);
    `--qc-fake-to-real` computes them in int8 storage (zero point - 128),
    which represents exactly the same real values, as TFLite does. A tensor without statistics, or with a
    non-finite range, is an error naming the tensor.

    Transformer ops (after `--qc-raise-decomposed`):

    * reshape, transpose and slice share their input's parameters;
    * a matmul of two activations, a `reduce_sum` and an add of an
      activation and a constant quantize their output; a multiply by a
      one-element constant that is the only user of a matmul or
      `reduce_sum` fuses into it (its output is quantized instead);
    * `qc.softmax` outputs get the fixed scale 1/256, zero point -128;
      `qc.gelu` and `qc.layer_norm` outputs are calibrated;
    * a tensor whose users (through reshape / transpose / slice) are only
      integer kernels (softmax, LayerNorm, GELU with `nonlinear=ibert`),
      adds, scalar multiplies and `reduce_sum`, with at least one kernel, is
      quantized at 16 bits: symmetric `!quant.uniform<i16:f32, s>`, range
      [-32768, 32767] (scale max / 32767), stored in int32 tensors. The kernels need the
      precision (I-BERT feeds them 22- and 32-bit values). Softmax inputs
      keep s >= 2^-15 (i-exp must fit int64); GELU inputs keep s large
      enough that the i-GELU product fits int32;
    * `nonlinear=float` keeps GELU, softmax and LayerNorm in float, as
      `exclude` does; `nonlinear=lut` computes GELU with a table on its
      8-bit input.
  }];
  let options = [
    Option<"statsFile", "stats", "std::string", /*default=*/"\"\"",
           "Path of the statistics JSON file written by calibration">,
    Option<"weightGranularity", "weights", "std::string",
           /*default=*/"\"per-channel\"",
           "Weight scales: per-channel (one per output channel) or per-tensor">,
    Option<"activationScheme", "activations", "std::string",
           /*default=*/"\"asymmetric\"",
           "Activation parameters: asymmetric (zero point) or symmetric">,
    Option<"weightBits", "weight-bits", "unsigned", /*default=*/"8",
           "Weight bits: 8, 7 (reduce range, for AVX2 without VNNI) or 4 "
           "(grouped)">,
    Option<"groupSize", "group-size", "unsigned", /*default=*/"32",
           "Input channels per scale group of 4-bit weights">,
    ListOption<"layerBits", "layer-bits", "std::string",
               "Per-layer weight bits, NAME=BITS (NAME: the conv / gemm "
               "output tensor)">,
    ListOption<"symmetricTensors", "symmetric", "std::string",
               "Activation tensors quantized symmetrically">,
    ListOption<"asymmetricTensors", "asymmetric", "std::string",
               "Activation tensors quantized asymmetrically">,
    Option<"activationStorage", "activation-type", "std::string",
           /*default=*/"\"int8\"",
           "Activation storage: int8, or uint8 (zero point + 128; the same "
           "values, computed in int8 by --qc-fake-to-real)">,
    Option<"nonlinear", "nonlinear", "std::string", /*default=*/"\"ibert\"",
           "GELU, softmax and LayerNorm: ibert (integer-only kernels), lut "
           "(GELU by a 256-entry table, softmax and LayerNorm as ibert) or "
           "float (kept in float behind dequantize / quantize)">,
    ListOption<"exclude", "exclude", "std::string",
               "ONNX tensor names whose producing ops stay in float">,
  ];
  let dependentDialects = ["::qc::QCDialect", "::mlir::quant::QuantDialect"];
}

def QCFakeToReal : Pass<"qc-fake-to-real", "::mlir::func::FuncOp"> {
  let summary = "Turn fake-quantized float ops into integer ops";
  let description = [{
    Rewrites `fake_quant -> op -> fake_quant` islands into integer ops:

    * the graph input's fake quant becomes `qc.quantize`, the output's a
      `qc.dequantize`;
    * conv / gemm: i8 x i8 -> i32 accumulation with zero points (weights
      and bias become integer constants), then `qc.requantize` by
      `s_in * s_w[o] / s_out` (per channel);
    * a fused `tosa.clamp` becomes an integer clamp (folded later);
    * average pool: `qc.sum_pool2d` and a requantize by
      `s_in / (kh * kw * s_out)`;
    * max pool and flatten run on i8 unchanged;
    * add: both inputs rescaled to a common int32 scale, `tosa.add`, then
      requantized;
    * tanh: a 256-entry `tosa.table` (exact to one rounding).
    * conv / gemm with blockwise (sub-channel, 4-bit) weights: one conv /
      gemm per group on a `tensor.extract_slice` of the input channels,
      each accumulator rescaled per channel to the bias scale (i32 to i32
      `qc.requantize`), summed with `tosa.add`, plus the bias; the weight
      constants carry `qc.bits = 4` (their values lie in [-7, 7], stored
      one per byte). The worst-case sum is proven to fit int32.

    Ops marked `qc.float` (excluded by `--qc-annotate`) stay float behind a
    `qc.dequantize` of their quantized inputs and a `qc.quantize` of their
    output. Apart from them, nothing between the input quantize and the
    output dequantize is floating point; an op that cannot be converted is an
    error naming it. With `integer-only`, ops kept in float are errors too
    (one error lists them all); a float prologue that reads only the
    function arguments (input normalization) is before the input quantize
    and allowed.

    Transformer ops: reshape / transpose / slice run on the integer values
    unchanged; a matmul of two activations becomes `tosa.matmul` i8 x i8 ->
    i32 with both zero points, requantized by `s_a * s_b * c` (c a fused
    scalar multiply); `reduce_sum` sums `x - zp` in int32; an add with a
    constant adds the constant quantized at the common int32 scale;
    `qc.softmax` becomes `qc.isoftmax`, `qc.layer_norm` `qc.ilayernorm`
    (affine step and requantize folded into per-channel dyadic constants),
    `qc.gelu` on a 16-bit input `qc.igelu` plus a requantize and on an 8-bit
    input a 256-entry `tosa.table`. Every kernel's int32 / int64 bound is
    checked with the actual constants; a violation is an error.
  }];
  let options = [
    Option<"integerOnly", "integer-only", "bool", /*default=*/"false",
           "Fail, listing them, if any op stays in float">,
  ];
  let dependentDialects = ["::qc::QCDialect", "::mlir::arith::ArithDialect",
                           "::mlir::tosa::TosaDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QCFoldRescale : Pass<"qc-fold-rescale", "::mlir::func::FuncOp"> {
  let summary = "Dyadic rescale folding";
  let description = [{
    Replaces the real scale of every `qc.requantize` by its dyadic form
    (`multiplier * 2^-shift`, TFLite QuantizeMultiplier, TOSA shift
    convention), so no float remains in the program; folds a following
    integer `tosa.clamp` (ReLU / ReLU6 / Clip) into the requantize clamp, and
    erases identity requantizes (scale exactly 1, equal zero points, same
    type, full-range clamp). A factor too large for a 32-bit multiplier
    (>= 2^29) is an error naming the op.
  }];
}

def QCExportGraph : Pass<"qc-export-graph", "::mlir::ModuleOp"> {
  let summary = "Write the integer graph as JSON for the reference interpreter";
  let description = [{
    Writes every op of each function (name, operands, result types,
    attributes, constant values) to a JSON file, so that an independent
    interpreter (python/qc/intref.py) can evaluate the same integer graph.
    The IR is left unchanged.
  }];
  let options = [
    Option<"outputFile", "output", "std::string", /*default=*/"\"-\"",
           "Path of the JSON file ('-' for stdout)">,
    Option<"withConstants", "constants", "bool", /*default=*/"true",
           "Include the values of dense constants">,
  ];
}

//===----------------------------------------------------------------------===//
// etpu accelerator target (docs/accelerator.md)
//===----------------------------------------------------------------------===//

def QCAccelPartition : Pass<"qc-accel-partition", "::mlir::ModuleOp"> {
  let summary = "Place integer ops on the etpu accelerator or the CPU, with reasons";
  let description = [{
    Groups the integer IR into layer units (a conv with its requantize, an
    add with its rescales, ...), checks every unit against every constraint
    of the registry (docs/generated/accelerator-ops.md) and keeps all
    violations as reasons. Supported units form maximal convex regions in
    program order: an unsupported op never stops mapping, the supported ops
    after it form further regions. Each region is outlined into a private
    function of `qc_accel` layer ops, called by `qc_accel.launch`, after a
    trial schedule: a region that fails to schedule, or (with `cost`) whose
    estimated accelerator time including DMA is not below the CPU model's,
    goes back to the CPU with the diagnostic or the comparison as its
    reason. CPU ops keep their reasons in `qc_accel.reasons`.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"etpu\"",
           "Accelerator configuration: etpu or etpu-tiny">,
    Option<"cost", "cost", "bool", /*default=*/"true",
           "Demote regions the cost model says are slower than the CPU">,
  ];
  let dependentDialects = ["::qc::accel::QCAccelDialect",
                           "::mlir::func::FuncDialect"];
}

def QCAccelSchedule : Pass<"qc-accel-schedule", "::mlir::ModuleOp"> {
  let summary = "Schedule each accelerator region into a command stream";
  let description = [{
    Replaces every region function by a `qc_accel.program`: DRAM placement,
    weight packing and caching (shared by all regions), activation tiling
    and dependency tokens, as the scheduler in
    lib/Target/Accel/Scheduler.cpp plans them. With `report`, writes the
    per-op placement report (JSON): every op instance with its placement,
    region, reasons, MACs, estimated cycles and weight bytes, and a summary.
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"etpu\"",
           "Accelerator configuration: etpu or etpu-tiny">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Path of the JSON placement report (none when empty)">,
  ];
  let dependentDialects = ["::qc::accel::QCAccelDialect"];
}

def QCAccelEmit : Pass<"qc-accel-emit", "::mlir::ModuleOp"> {
  let summary = "Write the command stream and call it from the host code";
  let description = [{
    Serializes every `qc_accel.program` (in region order) into one binary
    command stream file, then replaces each `qc_accel.launch` by host code:
    the operand buffers, freshly allocated result buffers and a call
    `qc_accel_submit(region, count, ptr0, ..., ptr7)` (provided by the
    model's C wrapper, which runs the region on libqc_accel_rt).
  }];
  let options = [
    Option<"output", "output", "std::string", /*default=*/"\"\"",
           "Path of the binary command stream (required)">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect"];
}

#endif // QC_TRANSFORMS_PASSES
