//===- QCAccelOps.td - etpu accelerator dialect ------------*- tablegen -*-===//
//
// Two levels, as Vela's high-level and register command streams:
//  * region level: layer ops with their requantize epilogue fused, on
//    tensors, inside an outlined region function that `qc_accel.launch`
//    calls (what `--qc-accel-partition` produces);
//  * scheduled level: `qc_accel.program` holding DMA, weight-load, array-tile
//    and vector commands ordered by dependency tokens (what
//    `--qc-accel-schedule` produces). Their fields and verifiers come from
//    the command table in qc/Target/Accel/CommandStream.h.
//
//===----------------------------------------------------------------------===//

#ifndef QC_ACCEL_OPS
#define QC_ACCEL_OPS

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QCAccel_Dialect : Dialect {
  let name = "qc_accel";
  let cppNamespace = "::qc::accel";
  let summary = "qc's Edge-TPU-like accelerator (etpu)";
  let description = [{
    Ops of the `etpu` target (docs/accelerator.md): a weight-stationary
    N x N int8 MAC array with int32 accumulators, a weight cache, an
    activation buffer, an accumulator memory, a vector unit with lookup
    tables and a DMA engine.
  }];
  let useDefaultTypePrinterParser = 1;
}

class QCAccel_Op<string mnemonic, list<Trait> traits = []>
    : Op<QCAccel_Dialect, mnemonic, traits> {
  let hasVerifier = 1;
}

def QCAccel_Token : TypeDef<QCAccel_Dialect, "Token"> {
  let mnemonic = "token";
  let summary = "Completion of a scheduled command (a dependency token)";
}

// A 32-bit integer attribute read back as a signed value.
def QCAccel_I32Attr : TypedSignlessIntegerAttrBase<I32, "int32_t",
    "32-bit signless integer attribute (signed value)"> {
  let convertFromStorage = "static_cast<int32_t>($_self.getValue().getSExtValue())";
}

def QCAccel_I8Tensor : RankedTensorOf<[I8]>;
def QCAccel_I32Tensor : RankedTensorOf<[I32]>;

// The requantize epilogue shared by the layer ops: per channel (or one)
// `clamp(rescale(acc + bias) + output_zp, min, max)`, with `rescale` the
// dyadic `multiplier * 2^-shift` of `qc.requantize`.
defvar QCAccel_Requant = (ins DenseI32ArrayAttr:$multiplier,
                              DenseI32ArrayAttr:$shift, QCAccel_I32Attr:$output_zp,
                              QCAccel_I32Attr:$min, QCAccel_I32Attr:$max);

//===----------------------------------------------------------------------===//
// Region level
//===----------------------------------------------------------------------===//

def QCAccel_LaunchOp : QCAccel_Op<"launch",
    [DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Run an accelerator region";
  let description = [{
    Calls the region `callee` (a `func.func` of layer ops, or after
    scheduling a `qc_accel.program`) on int8 tensors; the host submits the
    region's command stream with the operand and result buffers.
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyRankedTensor>:$args);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = "$callee `(` $args `)` attr-dict `:` functional-type($args, $results)";
}

def QCAccel_Conv2DOp : QCAccel_Op<"conv2d", [Pure]> {
  let summary = "Convolution on the MAC array, requantize fused";
  let description = [{
    NCHW int8 input, OIHW int8 constant weights (zero point 0), int32 bias;
    `acc = sum (x - input_zp) * w + bias` in int32, then the requantize
    epilogue. Windows reach the array by DMA im2col addressing.
  }];
  let arguments = !con((ins QCAccel_I8Tensor:$input, QCAccel_I8Tensor:$weight,
                            QCAccel_I32Tensor:$bias, DenseI64ArrayAttr:$strides,
                            DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                            QCAccel_I32Attr:$input_zp), QCAccel_Requant);
  let results = (outs QCAccel_I8Tensor:$output);
  let assemblyFormat = "$input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)";
}

def QCAccel_DepthwiseConv2DOp : QCAccel_Op<"depthwise_conv2d", [Pure]> {
  let summary = "Depthwise convolution on the vector unit, requantize fused";
  let description = [{
    Like `qc_accel.conv2d` with one filter per channel (weights Cx1xKHxKW),
    computed per channel on the vector unit.
  }];
  let arguments = !con((ins QCAccel_I8Tensor:$input, QCAccel_I8Tensor:$weight,
                            QCAccel_I32Tensor:$bias, DenseI64ArrayAttr:$strides,
                            DenseI64ArrayAttr:$pads, DenseI64ArrayAttr:$dilations,
                            QCAccel_I32Attr:$input_zp), QCAccel_Requant);
  let results = (outs QCAccel_I8Tensor:$output);
  let assemblyFormat = "$input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)";
}

def QCAccel_MatmulOp : QCAccel_Op<"matmul", [Pure]> {
  let summary = "Matrix product with a constant right side, requantize fused";
  let description = [{
    `input` MxK int8, `weight` NxK int8 constant (zero point 0), `bias` N
    int32: `acc = (input - input_zp) * weight^T + bias`, then the epilogue.
  }];
  let arguments = !con((ins QCAccel_I8Tensor:$input, QCAccel_I8Tensor:$weight,
                            QCAccel_I32Tensor:$bias, QCAccel_I32Attr:$input_zp),
                       QCAccel_Requant);
  let results = (outs QCAccel_I8Tensor:$output);
  let assemblyFormat = "$input `,` $weight `,` $bias attr-dict `:` functional-type(operands, results)";
}

def QCAccel_PoolOp : QCAccel_Op<"pool", [Pure]> {
  let summary = "Max or sum pooling on the vector unit";
  let description = [{
    `kind = "max"`: window maximum (padding reads -128), epilogue the
    identity. `kind = "sum"`: window sum of `x - input_zp` (padding reads
    `input_zp`), then the requantize epilogue (average pooling).
  }];
  let arguments = !con((ins QCAccel_I8Tensor:$input, StrAttr:$kind,
                            DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                            DenseI64ArrayAttr:$pads, QCAccel_I32Attr:$input_zp),
                       QCAccel_Requant);
  let results = (outs QCAccel_I8Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def QCAccel_EltwiseOp : QCAccel_Op<"eltwise", [Pure]> {
  let summary = "Elementwise add on the vector unit (TFLite arithmetic)";
  let description = [{
    `kind = "add"`: each input is rescaled to int32 (`rescale(x - zp)` with
    its own dyadic factor), the sum (less `sum_zp`) is requantized by the
    epilogue. Shapes are equal.
  }];
  let arguments = !con((ins QCAccel_I8Tensor:$lhs, QCAccel_I8Tensor:$rhs,
                            StrAttr:$kind, QCAccel_I32Attr:$lhs_zp,
                            QCAccel_I32Attr:$lhs_multiplier, QCAccel_I32Attr:$lhs_shift,
                            QCAccel_I32Attr:$rhs_zp, QCAccel_I32Attr:$rhs_multiplier,
                            QCAccel_I32Attr:$rhs_shift, QCAccel_I32Attr:$sum_zp),
                       QCAccel_Requant);
  let results = (outs QCAccel_I8Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def QCAccel_LutOp : QCAccel_Op<"lut", [Pure]> {
  let summary = "int8 -> int8 lookup table on the vector unit";
  let description = [{ `y = table[x + 128]` with a constant 256-entry table. }];
  let arguments = (ins QCAccel_I8Tensor:$input, QCAccel_I8Tensor:$table);
  let results = (outs QCAccel_I8Tensor:$output);
  let assemblyFormat = "$input `,` $table attr-dict `:` functional-type(operands, results)";
}

def QCAccel_RequantizeOp : QCAccel_Op<"requantize", [Pure]> {
  let summary = "Per-tensor int8 -> int8 requantize on the vector unit";
  let arguments = !con((ins QCAccel_I8Tensor:$input, QCAccel_I32Attr:$input_zp),
                       QCAccel_Requant);
  let results = (outs QCAccel_I8Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

//===----------------------------------------------------------------------===//
// Scheduled level
//===----------------------------------------------------------------------===//

def QCAccel_ProgramOp : QCAccel_Op<"program",
    [Symbol, IsolatedFromAbove, NoTerminator]> {
  let summary = "A scheduled accelerator region: its command stream";
  let description = [{
    `init` runs once when the program is loaded (filling the weight cache);
    `body` runs on every launch. DRAM buffers: the inputs, the outputs (byte
    sizes in `input_bytes` / `output_bytes`), a scratch buffer of
    `scratch_bytes` and the weight blob `weights`. `layers` names the
    region-level ops the commands' `layer` fields index.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrAttr:$target,
                       DenseI64ArrayAttr:$input_bytes,
                       DenseI64ArrayAttr:$output_bytes, I64Attr:$scratch_bytes,
                       StrArrayAttr:$layers, ElementsAttr:$weights);
  let regions = (region MaxSizedRegion<1>:$init, MaxSizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword `init` $init `body` $body";
}

// One op per command of the table in CommandStream.h: token operands are
// the commands waited for; the fields are i64 attributes.
class QCAccel_CmdOp<string mnemonic, list<string> fields, string summ>
    : QCAccel_Op<mnemonic, [HasParent<"ProgramOp">]> {
  let summary = summ;
  let description = [{
    A scheduled command; see the command set in docs/accelerator.md. The
    verifier checks field ranges and that every access stays inside the
    target's memories and the program's DRAM buffers.
  }];
  let arguments = !con((ins Variadic<QCAccel_Token>:$waits, I64Attr:$layer),
                       !dag(ins, !listsplat(I64Attr, !size(fields)), fields));
  let results = (outs QCAccel_Token:$token);
  let assemblyFormat = "(`[` $waits^ `]`)? attr-dict";
}

def QCAccel_DmaInOp : QCAccel_CmdOp<"dma_in",
    ["buf", "off", "ub", "rows", "cols", "src_stride", "ub_stride"],
    "DMA rows of a DRAM buffer into the activation buffer">;
def QCAccel_DmaWeightsOp : QCAccel_CmdOp<"dma_weights", ["off", "wb", "bytes"],
    "DMA bytes of the weight blob into the weight cache">;
def QCAccel_DmaOutOp : QCAccel_CmdOp<"dma_out",
    ["ub", "buf", "off", "rows", "cols", "ub_stride", "row_stride", "col_stride"],
    "DMA activation-buffer rows to a DRAM buffer (strided)">;
def QCAccel_Im2ColOp : QCAccel_CmdOp<"im2col",
    ["buf", "off", "channels", "height", "width", "kh", "kw", "sh", "sw", "ph",
     "pw", "dh", "dw", "out_w", "pixel0", "rows", "k0", "kcount", "ub", "fill"],
    "DMA gather of convolution windows into activation-buffer rows">;
def QCAccel_LoadWeightsOp : QCAccel_CmdOp<"load_weights", ["wb", "k", "n"],
    "Load a weight tile from the cache into the MAC array">;
def QCAccel_MxuTileOp : QCAccel_CmdOp<"mxu_tile",
    ["ub", "rows", "k", "ub_stride", "acc", "zp", "accumulate"],
    "Stream activation rows through the MAC array into accumulators">;
def QCAccel_VecDepthwiseOp : QCAccel_CmdOp<"vec_depthwise",
    ["ub", "rows", "chans", "taps", "wb", "acc", "zp"],
    "Per-channel multiply-accumulate on the vector unit">;
def QCAccel_VecPoolOp : QCAccel_CmdOp<"vec_pool",
    ["ub", "rows", "chans", "taps", "acc", "mode", "zp"],
    "Window max or sum on the vector unit">;
def QCAccel_ActivateOp : QCAccel_CmdOp<"activate",
    ["acc", "rows", "n", "wb", "ub", "ub_stride", "zp", "lo", "hi"],
    "Bias, requantize and clamp accumulators into the activation buffer">;
def QCAccel_VecAddOp : QCAccel_CmdOp<"vec_add",
    ["ub_a", "ub_b", "n", "ub_out", "zp_a", "mult_a", "exp_a", "zp_b", "mult_b",
     "exp_b", "zp_sum", "mult", "exp", "zp", "lo", "hi"],
    "Quantized elementwise add on the vector unit">;
def QCAccel_VecLutOp : QCAccel_CmdOp<"vec_lut", ["ub", "n", "wb", "ub_out"],
    "Table lookup on the vector unit">;
def QCAccel_VecRequantOp : QCAccel_CmdOp<"vec_requant",
    ["ub", "n", "ub_out", "zp_in", "mult", "exp", "zp", "lo", "hi"],
    "Per-tensor requantize on the vector unit">;

#endif // QC_ACCEL_OPS
