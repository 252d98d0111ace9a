//===- DepthwiseKernel.cpp - int8 depthwise conv on row vectors -----------===//
//
// For each channel c (an scf.parallel with threads), output row oh and
// block of output columns, with AVX-512 VNNI, stride 1 or 2 and no column
// dilation (the "window" form):
//   V = 4 / stride accumulators, lane i of accumulator r = output column
//   ow + r + V i, whose 4-byte input window (columns (ow + r + V i) s + 4k
//   .. +3: taps 4k .. 4k+3 of a kernel row) is dword i of one 64-byte load
//   at (ow + r) s + 4k:
//   acc[r] = bias''[c]
//   for each kernel row kh and 4-tap window k (unrolled), r < V:
//     acc[r] = vpdpbusd(acc[r], load64(x' row, (ow + r) s + 4k),
//                       broadcast(w[c][kh][4k .. 4k+3], 0 past KW))
//   store interleave(requantize(acc[0..V)))   (16 V columns)
// x' = x ^ 0x80 (unsigned), the shift's correction -128 sum(w[c]) in the
// bias. Otherwise (AArch64, dilated columns) the plain form:
//   acc = bias[c]; for each tap: acc += sext(16 inputs) * w[c][kh][kw]
//   (stride 2: 32 loaded, even lanes kept)
// The last partial block of a row stores only its lanes (storeLanes). A
// padded conv first copies the channel's plane into a buffer bordered with
// the zero point (shifted in the window form), its rows with slack past the
// end so every load is a plain one (in L1; freed at the end of the
// iteration), rather than padding the whole tensor before the kernel (a
// memset and a copy, written to memory and read back; MobileNetV2 9%
// faster); an unpadded conv's loads past the row end are masked (transfer
// ops). The generic lowering sweeps an int32 plane per tap and requantizes
// in a separate pass; this keeps the accumulators in registers. Same
// wrapping int32 sums, same requantize: the outputs are identical.
// The body is written by qc-vnni-kernels (buildDepthwiseBody), after buffer
// deallocation, which refuses the vpdpbusd intrinsic.
//
//===----------------------------------------------------------------------===//
#include "GemmVNNI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace qc;

namespace {
// Geometry attribute (qc.dw_geom) fields.
enum Geom { kKH, kKW, kSH, kSW, kDH, kDW, kPadT, kPadL, kPadB, kPadR, kZp, kWindows, kCount };
} // namespace

FailureOr<Value> qc::buildDepthwise(OpBuilder &cb, Conv2DOp op, Value input,
                                    ArrayRef<int64_t> w, ArrayRef<int64_t> bias,
                                    RequantizeOp requant, bool vnni) {
  auto inTy = cast<RankedTensorType>(input.getType());
  auto outTy = op.getOutput().getType();
  auto wTy = op.getWeight().getType();
  int64_t C = inTy.getDimSize(1), KH = wTy.getDimSize(2), KW = wTy.getDimSize(3);
  int64_t T = KH * KW, s = op.getStrides()[1];
  ArrayRef<int64_t> pads = op.getPads(); // top, left, bottom, right
  // The window form: vpdpbusd on 4 consecutive taps of a kernel row.
  bool windows = vnni && (s == 1 || s == 2) && op.getDilations()[1] == 1;
  int64_t nwin = (KW + 3) / 4, wcols = windows ? KH * nwin : T;

  SmallVector<int32_t> wq(C * wcols, 0), bq(C);
  for (int64_t c = 0; c < C; ++c) {
    int64_t sum = 0;
    for (int64_t t = 0; t < T; ++t) {
      sum += w[c * T + t];
      if (!windows) {
        wq[c * T + t] = static_cast<int32_t>(w[c * T + t]);
        continue;
      }
      // Byte kw % 4 of word (kh, kw / 4), little-endian.
      int64_t kh = t / KW, kw = t % KW;
      auto byte = static_cast<uint32_t>(static_cast<uint8_t>(w[c * T + t]));
      wq[c * wcols + kh * nwin + kw / 4] |= static_cast<int32_t>(byte << (8 * (kw % 4)));
    }
    int64_t nb = bias[c] - (requant ? requant.getInputZp() : 0) - (windows ? 128 * sum : 0);
    if (nb < INT32_MIN || nb > INT32_MAX)
      return op.emitError() << "bias of channel " << c << " overflows int32"
                            << (windows ? " after the unsigned shift" : "");
    bq[c] = static_cast<int32_t>(nb);
  }

  auto module = op->getParentOfType<ModuleOp>();
  OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
  Location loc = op.getLoc();
  Type i8 = mb.getI8Type();
  auto wg = kernelGlobal(mb, loc, "qc_dw_weights", {C, wcols}, wq);
  auto bg = kernelGlobal(mb, loc, "qc_dw_bias", {C}, bq);
  auto aTy = MemRefType::get(inTy.getShape(), i8);
  Type outElt = requant ? i8 : mb.getI32Type();
  auto oTy = MemRefType::get(outTy.getShape(), outElt);
  // A declaration: --qc-vnni-kernels writes the body (buildDepthwiseBody).
  auto fn = declareKernel(mb, loc, "qc_dw_conv", {aTy, oTy});
  fn->setAttr("qc.dw_weights", FlatSymbolRefAttr::get(wg.getSymNameAttr()));
  fn->setAttr("qc.dw_bias", FlatSymbolRefAttr::get(bg.getSymNameAttr()));
  SmallVector<int64_t> geom(kCount);
  geom[kKH] = KH;
  geom[kKW] = KW;
  geom[kSH] = op.getStrides()[0];
  geom[kSW] = s;
  geom[kDH] = op.getDilations()[0];
  geom[kDW] = op.getDilations()[1];
  for (int64_t k = 0; k < 4; ++k)
    geom[kPadT + k] = pads[k];
  geom[kZp] = op.getInputZp().value_or(0);
  geom[kWindows] = windows;
  fn->setAttr("qc.dw_geom", mb.getDenseI64ArrayAttr(geom));
  if (requant) {
    auto rg = kernelGlobal(mb, loc, "qc_dw_requant", {2, C}, requantParams(requant, C));
    fn->setAttr("qc.dw_requant", FlatSymbolRefAttr::get(rg.getSymNameAttr()));
    fn->setAttr("qc.vnni_out",
                mb.getDenseI32ArrayAttr({requant.getOutputZp(), requant.getMin(),
                                         requant.getMax()}));
  }

  // The call site: the input's buffer, a fresh output buffer.
  Value inBuf = bufferization::ToBufferOp::create(cb, loc, aTy, input,
                                                  /*read_only=*/true);
  Value o = memref::AllocOp::create(cb, loc, oTy, cb.getI64IntegerAttr(64));
  func::CallOp::create(cb, loc, fn, ValueRange{inBuf, o});
  return bufferization::ToTensorOp::create(cb, loc, outTy.clone(outElt), o,
                                           /*restrict=*/true, /*writable=*/true)
      .getResult();
}

LogicalResult qc::buildDepthwiseBody(func::FuncOp fn, bool parallel) {
  constexpr int64_t lanes = 16;
  memref::GlobalOp wg = kernelGlobalOf(fn, "qc.dw_weights"),
                   bg = kernelGlobalOf(fn, "qc.dw_bias"),
                   rg = kernelGlobalOf(fn, "qc.dw_requant");
  auto geomAttr = fn->getAttrOfType<DenseI64ArrayAttr>("qc.dw_geom");
  auto outp = fn->getAttrOfType<DenseI32ArrayAttr>("qc.vnni_out");
  auto args = fn.getFunctionType().getInputs();
  if (!wg || !bg || !geomAttr || geomAttr.size() != kCount || args.size() != 2 ||
      (rg && (!outp || outp.size() != 3)))
    return fn.emitError("malformed depthwise kernel declaration");
  ArrayRef<int64_t> geom = geomAttr.asArrayRef();
  auto inTy = cast<MemRefType>(args[0]), oTy = cast<MemRefType>(args[1]);
  int64_t KH = geom[kKH], KW = geom[kKW], T = KH * KW;
  int64_t sh = geom[kSH], s = geom[kSW], dh = geom[kDH], dw = geom[kDW];
  int64_t H = inTy.getDimSize(2), W = inTy.getDimSize(3);
  int64_t C = inTy.getDimSize(1), OH = oTy.getDimSize(2), OW = oTy.getDimSize(3);
  ArrayRef<int64_t> pads = geom.slice(kPadT, 4); // top, left, bottom, right
  int64_t Hp = H + pads[0] + pads[2], Wp = W + pads[1] + pads[3];
  bool padded = llvm::any_of(pads, [](int64_t p) { return p != 0; });
  bool windows = geom[kWindows];
  int64_t nwin = (KW + 3) / 4, V = 4 / s;
  // Slack past each row of the padded copy: the plain form reads lanes * s
  // bytes from a tap's column; the window form 64 bytes from up to
  // (V - 1) s + 4 (nwin - 1) past an output's window (plus its 4 bytes).
  int64_t slack = windows ? 64 + 4 * nwin + 4 : lanes * s;
  Location loc = fn.getLoc();

  OpBuilder b = OpBuilder::atBlockBegin(fn.addEntryBlock());
  Type i8 = b.getI8Type(), i32 = b.getI32Type();
  Value in = fn.getArgument(0), out = fn.getArgument(1);
  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  auto vec = [&](int64_t n, Type t) { return VectorType::get({n}, t); };
  auto get = [&](memref::GlobalOp g) -> Value {
    return g ? memref::GetGlobalOp::create(b, loc, g.getType(), g.getSymName())
                   .getResult()
             : Value();
  };
  Value wv = get(wg), bv = get(bg), rv = get(rg);
  Value zero8 = arith::ConstantIntOp::create(b, loc, i8, 0);
  // The window form reads the input shifted to unsigned: x ^ 0x80.
  int64_t flip = windows ? 0x80 : 0;
  Value zp8 = arith::ConstantIntOp::create(b, loc, i8,
                                           static_cast<int8_t>(geom[kZp] ^ flip));
  Value flip64 = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(vec(64, i8), b.getI8IntegerAttr(-128)));
  auto forEach = [&](int64_t lo, int64_t hi, int64_t st,
                     function_ref<void(Value)> body) {
    if (lo < hi)
      scf::ForOp::create(b, loc, idx(lo), idx(hi), idx(st), ValueRange{},
                         [&](OpBuilder &, Location, Value i, ValueRange) {
                           body(i);
                           scf::YieldOp::create(b, loc);
                         });
  };
  // Channel c's plane into `plane` [Hp][Wp + slack], the borders the zero
  // point (both shifted in the window form).
  auto copyPadded = [&](Value c, Value plane) {
    auto v64 = vec(64, i8);
    Value zpv = vector::BroadcastOp::create(b, loc, v64, zp8);
    // Columns [lo, hi) of row r from src (or the zero point), 64 at a time.
    auto span = [&](Value r, int64_t lo, int64_t hi, Value srcRow) {
      auto one = [&](Value col, int64_t n) {
        Value v = zpv;
        if (srcRow) {
          v = loadLanes(b, loc, v64, in, ValueRange{idx(0), c, srcRow,
                                                     arith::SubIOp::create(b, loc, col, idx(lo))},
                        n);
          if (windows)
            v = arith::XOrIOp::create(b, loc, v, flip64);
        }
        storeLanes(b, loc, v, plane, ValueRange{r, col}, n);
      };
      int64_t full = lo + (hi - lo) / 64 * 64;
      forEach(lo, full, 64, [&](Value col) { one(col, 64); });
      if (full < hi)
        one(idx(full), hi - full);
    };
    auto zpRows = [&](int64_t lo, int64_t hi) {
      forEach(lo, hi, 1, [&](Value r) { span(r, 0, Wp, Value()); });
    };
    zpRows(0, pads[0]);
    forEach(0, H, 1, [&](Value ih) {
      Value r = arith::AddIOp::create(b, loc, ih, idx(pads[0]));
      for (int64_t col = 0; col < pads[1]; ++col)
        memref::StoreOp::create(b, loc, zp8, plane, ValueRange{r, idx(col)});
      span(r, pads[1], pads[1] + W, ih);
      for (int64_t col = pads[1] + W; col < Wp; ++col)
        memref::StoreOp::create(b, loc, zp8, plane, ValueRange{r, idx(col)});
    });
    zpRows(pads[0] + H, Hp);
  };
  SmallVector<int64_t> even;
  for (int64_t l = 0; l < lanes; ++l)
    even.push_back(l * s);
  auto bcast = [&](Value scalar) {
    return vector::BroadcastOp::create(b, loc, vec(lanes, i32), scalar);
  };
  // Channel c from `src`, the plane the taps read: the input's, or its
  // padded copy.
  auto channelFrom = [&](Value c, Value src) {
    auto at = [&](Value row, Value col) -> SmallVector<Value> {
      if (padded)
        return {row, col};
      return {idx(0), c, row, col};
    };
    // `n` bytes of the plane at (row, col): plain loads from the padded copy,
    // masked reads past the input's rows.
    auto load = [&](Value row, Value col, int64_t n) -> Value {
      if (padded)
        return vector::LoadOp::create(b, loc, vec(n, i8), src, at(row, col));
      return vector::TransferReadOp::create(b, loc, vec(n, i8), src, at(row, col),
                                            zero8, ArrayRef<bool>{false});
    };
    int64_t wcols = windows ? KH * nwin : T;
    SmallVector<Value> taps;
    for (int64_t t = 0; t < wcols; ++t) {
      Value tw = bcast(memref::LoadOp::create(b, loc, wv, ValueRange{c, idx(t)}));
      taps.push_back(windows ? vector::BitCastOp::create(b, loc, vec(64, i8), tw).getResult()
                             : tw);
    }
    Value b0 = bcast(memref::LoadOp::create(b, loc, bv, ValueRange{c}));
    Value m, shv;
    if (rv) {
      m = bcast(memref::LoadOp::create(b, loc, rv, ValueRange{idx(0), c}));
      shv = bcast(memref::LoadOp::create(b, loc, rv, ValueRange{idx(1), c}));
    }
    auto epilogue = [&](Value acc) {
      return rv ? requantizeLanes(b, loc, acc, m, shv, outp[0], outp[1], outp[2]) : acc;
    };
    auto rowOf = [&](Value oh, int64_t kh) {
      return arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, oh, idx(sh)), idx(kh * dh));
    };
    // Output columns [ow, ow + count) of row oh, count <= 16 V (windows) or
    // 16 (plain).
    auto block = [&](Value oh, Value ow, int64_t count) {
      if (windows) {
        SmallVector<Value> accs(V, b0);
        for (int64_t kh = 0; kh < KH; ++kh) {
          Value row = rowOf(oh, kh);
          for (int64_t k = 0; k < nwin; ++k)
            for (int64_t r = 0; r < V; ++r) {
              Value col = arith::AddIOp::create(
                  b, loc, arith::MulIOp::create(b, loc, ow, idx(s)), idx(r * s + 4 * k));
              Value x = load(row, col, 64);
              if (!padded)
                x = arith::XOrIOp::create(b, loc, x, flip64);
              accs[r] = dpbusd(b, loc, accs[r], x, taps[kh * nwin + k]);
            }
        }
        SmallVector<Value> res;
        for (Value acc : accs)
          res.push_back(epilogue(acc));
        storeLanes(b, loc, interleaveLanes(b, loc, res), out, ValueRange{idx(0), c, oh, ow}, count);
        return;
      }
      Value acc = b0;
      for (int64_t kh = 0; kh < KH; ++kh) {
        Value row = rowOf(oh, kh);
        for (int64_t kw = 0; kw < KW; ++kw) {
          Value col = arith::AddIOp::create(
              b, loc, arith::MulIOp::create(b, loc, ow, idx(s)), idx(kw * dw));
          Value x = load(row, col, lanes * s);
          if (s != 1)
            x = vector::ShuffleOp::create(b, loc, x, x, even);
          x = arith::ExtSIOp::create(b, loc, vec(lanes, i32), x);
          acc = arith::AddIOp::create(
              b, loc, acc, arith::MulIOp::create(b, loc, x, taps[kh * KW + kw]));
        }
      }
      storeLanes(b, loc, epilogue(acc), out, ValueRange{idx(0), c, oh, ow}, count);
    };
    int64_t width = windows ? lanes * V : lanes, full = OW / width * width;
    forEach(0, OH, 1, [&](Value oh) {
      forEach(0, full, width, [&](Value ow) { block(oh, ow, width); });
      if (full < OW)
        block(oh, idx(full), OW - full);
    });
  };
  auto planeType = MemRefType::get({Hp, Wp + slack}, i8);
  // The padded plane (null: none): one per scf.parallel iteration (one per
  // thread after qc-claim-shares), or one before the serial loop.
  auto newPlane = [&] { return padded ? scratchBuffer(b, loc, planeType) : Value(); };
  auto channel = [&](Value c, Value plane) {
    if (plane)
      copyPadded(c, plane);
    channelFrom(c, plane ? plane : in);
  };
  if (parallel) {
    scf::ParallelOp::create(b, loc, ValueRange{idx(0)}, ValueRange{idx(C)},
                            ValueRange{idx(1)}, [&](OpBuilder &, Location, ValueRange cs) {
                              Value plane = newPlane();
                              channel(cs[0], plane);
                              freeScratch(b, loc, plane);
                            });
  } else {
    Value plane = newPlane();
    forEach(0, C, 1, [&](Value c) { channel(c, plane); });
    freeScratch(b, loc, plane);
  }
  func::ReturnOp::create(b, loc);
  for (StringRef a : {"qc.dw_weights", "qc.dw_bias", "qc.dw_requant", "qc.dw_geom",
                      "qc.vnni_out"})
    fn->removeAttr(a);
  return success();
}
