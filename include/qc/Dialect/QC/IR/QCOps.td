//===- QCOps.td - qc dialect operations --------------------*- tablegen -*-===//
//
// The qc dialect holds what upstream MLIR lacks for quantization: ONNX-layout
// (NCHW) graph ops that quantization must see whole, fake quantization that
// canonicalization cannot erase, and a requantize with a dyadic scale.
// Quantization parameters are carried by upstream `!quant.uniform` types.
//
//===----------------------------------------------------------------------===//

#ifndef QC_OPS
#define QC_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QC_Dialect : Dialect {
  let name = "qc";
  let cppNamespace = "::qc";
  let summary = "Quantization compiler dialect";
  let description = [{
    Graph-level operations of the qc quantization compiler. Tensors are in
    ONNX layout (NCHW activations, OIHW weights). Float ops are imported from
    ONNX; the same ops on integer element types are what `--qc-fake-to-real`
    produces. Quantization parameters are upstream `!quant.uniform` types
    (per-tensor and per-axis) carried in `qtype` attributes.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

class QC_Op<string mnemonic, list<Trait> traits = []>
    : Op<QC_Dialect, mnemonic, traits> {
  let hasVerifier = 1;
}

// A 32-bit integer attribute read back as a signed value.
def QC_I32Attr : TypedSignlessIntegerAttrBase<I32, "int32_t",
    "32-bit signless integer attribute (signed value)"> {
  let convertFromStorage = "static_cast<int32_t>($_self.getValue().getSExtValue())";
}

def QC_I64Attr : TypedSignlessIntegerAttrBase<I64, "int64_t",
    "64-bit signless integer attribute (signed value)"> {
  let convertFromStorage = "$_self.getValue().getSExtValue()";
}

def QC_FloatTensor : RankedTensorOf<[F32]>;
def QC_IntTensor : RankedTensorOf<[I8, I32]>;
def QC_AnyTensor : RankedTensorOf<[F32, I8, I32]>;

//===----------------------------------------------------------------------===//
// Quantization boundary ops
//===----------------------------------------------------------------------===//

def QC_FakeQuantOp : QC_Op<"fake_quant", [Pure, SameOperandsAndResultType]> {
  let summary = "Quantize then dequantize a float tensor";
  let description = [{
    Rounds `input` onto the grid of `qtype` and back to float:
    `S * (clamp(rne(x / S) + Z, qmin, qmax) - Z)` per tensor, per axis, or
    per block: a sub-channel `qtype` (blocks of 1 along dimension 0 and of
    G along dimension 1, e.g. int4 weights with one scale per output channel
    and group of G input channels) is accepted when its blocks tile the
    tensor.
    Division is in float32 and rounding is half to even, as ONNX
    QuantizeLinear does. Unlike a `quant.qcast`/`quant.dcast` pair this op is
    one op, so canonicalization cannot fold it away.

    ```mlir
    %1 = qc.fake_quant %0 {qtype = !quant.uniform<i8:f32, 0.05:-3>} : tensor<1x8xf32>
    ```
  }];
  let arguments = (ins QC_FloatTensor:$input, TypeAttr:$qtype);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def QC_QuantizeOp : QC_Op<"quantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Float to integer storage (round half to even, saturate)";
  let description = [{
    `q = clamp(rne(x / S) + Z, storage_min, storage_max)`, the quotient in
    float32, with `S, Z` from `qtype`. The result element type is the storage
    type of `qtype`.
  }];
  let arguments = (ins QC_FloatTensor:$input, TypeAttr:$qtype);
  let results = (outs QC_IntTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def QC_DequantizeOp : QC_Op<"dequantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Integer storage to float";
  let description = [{
    `x = float32(q - Z) * S`, with `S, Z` from `qtype` (per tensor or per axis).
  }];
  let arguments = (ins QC_IntTensor:$input, TypeAttr:$qtype);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def QC_RequantizeOp : QC_Op<"requantize", [Pure, SameOperandsAndResultShape]> {
  let summary = "Integer rescale by a real or dyadic factor, with clamp";
  let description = [{
    `y = clamp(rescale(x - input_zp) + output_zp, min, max)`, per tensor
    (`axis = -1`) or per channel along `axis`.

    Before `--qc-fold-rescale` the factor is the real `scale` (one entry per
    channel). The fold pass replaces it by `multiplier` and `shift` so that
    `scale ~= multiplier * 2^-shift` with `multiplier` in [2^30, 2^31) (or 0),
    and `rescale(v) = (v * multiplier + r) >> shift` evaluated in int64 with
    TOSA double rounding: `r = 2^(shift-1)`, plus `+-2^30` (sign of `v`) when
    `shift > 31`. This equals TFLite's `MultiplyByQuantizedMultiplier`
    (SaturatingRoundingDoublingHighMul then RoundingDivideByPOT). Only the
    dyadic form lowers to code: no float at run time.

    ```mlir
    %1 = qc.requantize %0 {input_zp = 0 : i32, output_zp = -5 : i32,
           axis = 1 : i64, min = -128 : i32, max = 127 : i32,
           scale = array<f64: 0.01, 0.02>} : tensor<1x2xi32> -> tensor<1x2xi8>
    ```
  }];
  let arguments = (ins QC_IntTensor:$input,
                       QC_I32Attr:$input_zp, QC_I32Attr:$output_zp, QC_I64Attr:$axis,
                       QC_I32Attr:$min, QC_I32Attr:$max,
                       OptionalAttr<DenseF64ArrayAttr>:$scale,
                       OptionalAttr<DenseI32ArrayAttr>:$multiplier,
                       OptionalAttr<DenseI32ArrayAttr>:$shift);
  let results = (outs QC_IntTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let extraClassDeclaration = [{
    /// True when the op carries the dyadic (multiplier, shift) form.
    bool isDyadic() { return getMultiplier().has_value(); }
    /// Number of factors: 1 per tensor, else the channel count.
    size_t getNumFactors() {
      return getScale() ? getScale()->size() : getMultiplier()->size();
    }
  }];
}

//===----------------------------------------------------------------------===//
// Graph ops (float, or integer after fake-to-real)
//===----------------------------------------------------------------------===//

def QC_BatchNormOp : QC_Op<"batch_norm", [Pure]> {
  let summary = "Inference batch normalization over axis 1";
  let description = [{
    `y = scale * (x - mean) / sqrt(var + epsilon) + bias`, per channel of
    axis 1 (ONNX BatchNormalization in inference mode). Float only:
    `--qc-fold-batchnorm` folds it into a neighbouring conv or gemm.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$scale,
                       QC_FloatTensor:$bias, QC_FloatTensor:$mean,
                       QC_FloatTensor:$var, F32Attr:$epsilon);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $var attr-dict `:`
    functional-type(operands, results)
  }];
}

def QC_Conv2DOp : QC_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution, NCHW x OIHW, grouped, with bias";
  let description = [{
    ONNX Conv with explicit `pads = [top, left, bottom, right]`,
    `strides`, `dilations` and `group` (depthwise when group equals the
    input channels). Float form: f32 operands. Integer form: i8 input and
    weights, i32 bias and result, computing
    `sum((x - input_zp) * (w - weight_zp)) + bias` where padding is real zero
    (the value `input_zp`).
  }];
  let arguments = (ins QC_AnyTensor:$input, QC_AnyTensor:$weight,
                       QC_AnyTensor:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       DenseI64ArrayAttr:$dilations, QC_I64Attr:$group,
                       OptionalAttr<QC_I32Attr>:$input_zp,
                       OptionalAttr<QC_I32Attr>:$weight_zp);
  let results = (outs QC_AnyTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

def QC_GemmOp : QC_Op<"gemm", [Pure]> {
  let summary = "Fully connected layer: a[M,K] x w[N,K]^T + b[N]";
  let description = [{
    ONNX Gemm normalized by the importer (transB form, alpha and beta folded
    into the constants). Integer form: i8 `input`/`weight`, i32 bias and
    result, `sum((a - input_zp) * (w - weight_zp)) + b`.
  }];
  let arguments = (ins QC_AnyTensor:$input, QC_AnyTensor:$weight,
                       QC_AnyTensor:$bias,
                       OptionalAttr<QC_I32Attr>:$input_zp,
                       OptionalAttr<QC_I32Attr>:$weight_zp);
  let results = (outs QC_AnyTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

def QC_MaxPool2DOp : QC_Op<"max_pool2d", [Pure]> {
  let summary = "2-D max pooling, NCHW (float or integer)";
  let description = [{
    ONNX MaxPool (`ceil_mode = 0`); padded positions never win. Keeps the
    quantization parameters of its input, so the integer form is the same op
    on i8.
  }];
  let arguments = (ins QC_AnyTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads);
  let results = (outs QC_AnyTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def QC_AvgPool2DOp : QC_Op<"avg_pool2d", [Pure]> {
  let summary = "2-D average pooling, NCHW (float)";
  let description = [{
    ONNX AveragePool / GlobalAveragePool (`ceil_mode = 0`). With
    `count_include_pad = false` and padding the divisor varies at borders.
    `--qc-fake-to-real` turns it into `qc.sum_pool2d` plus a requantize by
    `S_in / (kh * kw * S_out)`.
  }];
  let arguments = (ins QC_FloatTensor:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       BoolAttr:$count_include_pad);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def QC_SumPool2DOp : QC_Op<"sum_pool2d", [Pure]> {
  let summary = "2-D window sum of (x - input_zp), i8 -> i32";
  let description = [{
    Integer form of average pooling before its requantize: each output is
    `sum(x - input_zp)` over the window; padded positions add zero.
  }];
  let arguments = (ins RankedTensorOf<[I8]>:$input, DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$pads,
                       QC_I32Attr:$input_zp);
  let results = (outs RankedTensorOf<[I32]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

//===----------------------------------------------------------------------===//
// Transformer ops: float forms from the importer and --qc-raise-decomposed,
// integer-only kernels from --qc-fake-to-real (integer-spec.md section 5)
//===----------------------------------------------------------------------===//

def QC_SoftmaxOp : QC_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "Softmax over the last axis (float)";
  let description = [{
    `y = exp(x - max(x)) / sum(exp(x - max(x)))` along the last axis (ONNX
    Softmax, opset 13+, `axis = -1`). `--qc-fake-to-real` turns it into
    `qc.isoftmax` (or keeps it float with `--nonlinear=float`).
  }];
  let arguments = (ins QC_FloatTensor:$input);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def QC_LayerNormOp : QC_Op<"layer_norm", [Pure]> {
  let summary = "Layer normalization over the last axis (float)";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias` with the biased
    variance over the last axis (ONNX LayerNormalization, `axis = -1`, or its
    opset-13 decomposition recognised by `--qc-raise-decomposed`). `scale`
    and `bias` are 1-D, one entry per element of the last axis.
  }];
  let arguments = (ins QC_FloatTensor:$input, QC_FloatTensor:$scale,
                       QC_FloatTensor:$bias, F32Attr:$epsilon);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

def QC_GeluOp : QC_Op<"gelu", [Pure, SameOperandsAndResultType]> {
  let summary = "GELU, exact (erf) or tanh approximation (float)";
  let description = [{
    `approximate = "none"`: `y = x * (1 + erf(x / sqrt(2))) / 2`;
    `approximate = "tanh"`: `y = x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) / 2`.
    ONNX before opset 20 has no Gelu: `--qc-raise-decomposed` recognises
    both decompositions.
  }];
  let arguments = (ins QC_FloatTensor:$input,
                       DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def QC_ISoftmaxOp : QC_Op<"isoftmax", [Pure, SameOperandsAndResultShape]> {
  let summary = "Integer-only softmax over the last axis (I-BERT)";
  let description = [{
    Input: int32 values at scale `S` (fixed by the constants). Per row, in
    int64 (integer-spec.md 5.4, 5.5, code form):
    1. `x = max(x - max_row(x), 30 * x0)`, `qz = floor(x / x0)`,
       `r = x - x0 * qz`, `e = (r * (r + b_int) + c_int) << (30 - qz)`
       (i-exp; `x0 = floor(-ln2 / S)`, `b_int`, `c_int` from the polynomial).
    2. `e16 = clamp(((e >> pre_shift) * multiplier + 2^(shift-1)) >> shift,
       0, 32767)`: the dyadic `S_exp / S16` with `S16 = 1/32767`, applied
       after dropping `pre_shift` low bits so the product fits int64.
    3. `factor = floor(2^32 / sum_row(e16))`,
       `y = clamp(((e16 * factor) >> 24) + output_zp, -128, 127)`: scale
       2^-8 (the reachable value 256 saturates at 255).
  }];
  let arguments = (ins RankedTensorOf<[I32]>:$input, QC_I64Attr:$x0,
                       QC_I64Attr:$b_int, QC_I64Attr:$c_int,
                       QC_I64Attr:$pre_shift, QC_I64Attr:$multiplier,
                       QC_I64Attr:$shift, QC_I32Attr:$output_zp);
  let results = (outs RankedTensorOf<[I8]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def QC_IGeluOp : QC_Op<"igelu", [Pure, SameOperandsAndResultType]> {
  let summary = "Integer-only GELU (I-BERT polynomial erf)";
  let description = [{
    Input: int32 values `q` at scale `S`. In int64 (integer-spec.md 5.3):
    `u = min(|q|, -b_int)`, `erf = floor(sgn(q) * ((u + b_int)^2 + c_int) / 2^14)`,
    `y = -q * (erf + one)`. The result has the positive scale
    `-S * S_erf / 2` (the spec's scale is negative; the sign is moved into
    the integer). `--qc-fake-to-real` proves `|y| < 2^31` for the input range
    before it emits the op; a requantize to the output follows.
  }];
  let arguments = (ins RankedTensorOf<[I32]>:$input, QC_I64Attr:$b_int,
                       QC_I64Attr:$c_int, QC_I64Attr:$one);
  let results = (outs RankedTensorOf<[I32]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def QC_ILayerNormOp : QC_Op<"ilayernorm", [Pure, SameOperandsAndResultShape]> {
  let summary = "Integer-only layer norm over the last axis, with its affine step";
  let description = [{
    Input: int32 values at scale `S`, rows of length `n`. In int64
    (integer-spec.md 5.6, 5.7):
    1. `mean = RNE(sum(x) / n)` exactly, `d = x - mean`.
    2. `var = sum((d >> shift)^2) + eps`, with `eps = round(n * epsilon /
       (S^2 4^shift))` (epsilon handled in integers), `var < 2^32` proven.
    3. `std = isqrt(var) << shift` (Newton, exact), `factor = floor(2^31 / std)`
       (`2^31` when `std = 0`), `yn = (d * factor) >> 1` at scale `sqrt(n) / 2^30`.
    4. Affine and requantize in one dyadic step per channel `j` of the last
       axis: `y = clamp(((yn * gamma[j] + beta[j] + 2^(k-1)) >> k) + output_zp,
       -128, 127)` with `gamma[j] = round(scale[j] * sqrt(n) 2^(k-30) / S_out)`
       and `beta[j] = round(bias[j] 2^k / S_out)`.
  }];
  let arguments = (ins RankedTensorOf<[I32]>:$input, QC_I64Attr:$shift,
                       QC_I64Attr:$eps, QC_I64Attr:$k,
                       DenseI64ArrayAttr:$gamma, DenseI64ArrayAttr:$beta,
                       QC_I32Attr:$output_zp);
  let results = (outs RankedTensorOf<[I8]>:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

#endif // QC_OPS
