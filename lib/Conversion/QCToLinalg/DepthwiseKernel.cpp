//===- DepthwiseKernel.cpp - int8 depthwise conv on row vectors -----------===//
//
// For each channel c (an scf.parallel), output row oh and block of 16
// output columns:
//   acc = bias[c]
//   for each tap (kh, kw), unrolled:
//     x = the 16 inputs of the tap (stride 2: 32 loaded, even lanes kept)
//     acc += sext(x) * w[c][kh][kw]
//   store requantize(acc) (int8), or acc
// The last partial block of a row stores only its lanes (storeLanes). A
// padded conv first copies the channel's plane into a buffer bordered with
// the zero point, its rows with slack past the end so every tap is a plain
// load (in L1 for the taps; freed at the end of the iteration by buffer
// deallocation), rather than padding the whole tensor before the kernel (a
// memset and a copy, written to memory and read back; MobileNetV2 9%
// faster); an unpadded conv's loads past the row end are masked (transfer
// ops). The generic lowering sweeps an int32 plane per tap and requantizes
// in a separate pass; this keeps the accumulators in registers. Same
// wrapping int32 sums, same requantize: the outputs are identical.
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

FailureOr<Value> qc::buildDepthwise(OpBuilder &cb, Conv2DOp op, Value input,
                                    ArrayRef<int64_t> w, ArrayRef<int64_t> bias,
                                    RequantizeOp requant) {
  constexpr int64_t lanes = 16;
  auto inTy = cast<RankedTensorType>(input.getType());
  auto outTy = op.getOutput().getType();
  auto wTy = op.getWeight().getType();
  int64_t C = inTy.getDimSize(1), KH = wTy.getDimSize(2), KW = wTy.getDimSize(3);
  int64_t OH = outTy.getDimSize(2), OW = outTy.getDimSize(3), T = KH * KW;
  int64_t s = op.getStrides()[1], sh = op.getStrides()[0];
  int64_t dh = op.getDilations()[0], dw = op.getDilations()[1];
  int64_t H = inTy.getDimSize(2), W = inTy.getDimSize(3);
  ArrayRef<int64_t> pads = op.getPads(); // top, left, bottom, right
  int64_t Hp = H + pads[0] + pads[2], Wp = W + pads[1] + pads[3];
  bool padded = llvm::any_of(pads, [](int64_t p) { return p != 0; });

  SmallVector<int32_t> wq(w.begin(), w.end()), bq(C);
  for (int64_t c = 0; c < C; ++c) {
    int64_t nb = bias[c] - (requant ? requant.getInputZp() : 0);
    if (nb < INT32_MIN || nb > INT32_MAX)
      return op.emitError() << "bias of channel " << c << " overflows int32";
    bq[c] = static_cast<int32_t>(nb);
  }

  auto module = op->getParentOfType<ModuleOp>();
  OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
  Location loc = op.getLoc();
  Type i8 = mb.getI8Type(), i32 = mb.getI32Type();
  auto wg = kernelGlobal(mb, loc, "qc_dw_weights", {C, T}, wq);
  auto bg = kernelGlobal(mb, loc, "qc_dw_bias", {C}, bq);
  memref::GlobalOp rg;
  if (requant)
    rg = kernelGlobal(mb, loc, "qc_dw_requant", {2, C}, requantParams(requant, C));
  auto aTy = MemRefType::get(inTy.getShape(), i8);
  Type outElt = requant ? i8 : i32;
  auto oTy = MemRefType::get(outTy.getShape(), outElt);
  auto fn = declareKernel(mb, loc, "qc_dw_conv", {aTy, oTy});

  // The body.
  OpBuilder b = OpBuilder::atBlockBegin(fn.addEntryBlock());
  Value in = fn.getArgument(0), out = fn.getArgument(1);
  auto idx = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  auto vec = [&](int64_t n, Type t) { return VectorType::get({n}, t); };
  Value wv = memref::GetGlobalOp::create(b, loc, wg.getType(), wg.getSymName());
  Value bv = memref::GetGlobalOp::create(b, loc, bg.getType(), bg.getSymName());
  Value rv = requant ? memref::GetGlobalOp::create(b, loc, rg.getType(),
                                                   rg.getSymName())
                           .getResult()
                     : Value();
  Value zero8 = arith::ConstantIntOp::create(b, loc, i8, 0);
  Value zp8 = arith::ConstantIntOp::create(b, loc, i8, op.getInputZp().value_or(0));
  auto forEach = [&](int64_t lo, int64_t hi, int64_t st,
                     function_ref<void(Value)> body) {
    if (lo < hi)
      scf::ForOp::create(b, loc, idx(lo), idx(hi), idx(st), ValueRange{},
                         [&](OpBuilder &, Location, Value i, ValueRange) {
                           body(i);
                           scf::YieldOp::create(b, loc);
                         });
  };
  // Channel c's plane into `plane` [Hp][Wp], the borders the zero point.
  auto copyPadded = [&](Value c, Value plane) {
    auto v64 = vec(64, i8);
    Value zpv = vector::BroadcastOp::create(b, loc, v64, zp8);
    // Columns [lo, hi) of row r from src (or the zero point), 64 at a time.
    auto span = [&](Value r, int64_t lo, int64_t hi, Value srcRow) {
      auto one = [&](Value col, int64_t n) {
        Value v = zpv;
        if (srcRow)
          v = loadLanes(b, loc, v64, in, ValueRange{idx(0), c, srcRow,
                                                     arith::SubIOp::create(b, loc, col, idx(lo))},
                        n);
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
  scf::ParallelOp::create(
      b, loc, ValueRange{idx(0)}, ValueRange{idx(C)}, ValueRange{idx(1)},
      [&](OpBuilder &, Location, ValueRange cs) {
        Value c = cs[0];
        // The plane the taps read: the input's, or its padded copy. The
        // copy's rows have lanes * s bytes of slack, so every tap is a plain
        // load (lanes past the row are never stored; the input's rows need
        // masked reads).
        Value src = in;
        if (padded) {
          src = memref::AllocOp::create(
              b, loc, MemRefType::get({Hp, Wp + lanes * s}, i8),
              b.getI64IntegerAttr(64));
          copyPadded(c, src);
        }
        auto at = [&](Value row, Value col) -> SmallVector<Value> {
          if (padded)
            return {row, col};
          return {idx(0), c, row, col};
        };
        SmallVector<Value> taps;
        for (int64_t t = 0; t < T; ++t)
          taps.push_back(
              bcast(memref::LoadOp::create(b, loc, wv, ValueRange{c, idx(t)})));
        Value b0 = bcast(memref::LoadOp::create(b, loc, bv, ValueRange{c}));
        Value m, shv;
        if (requant) {
          m = bcast(memref::LoadOp::create(b, loc, rv, ValueRange{idx(0), c}));
          shv = bcast(memref::LoadOp::create(b, loc, rv, ValueRange{idx(1), c}));
        }
        // Output columns [ow, ow + count) of row oh.
        auto block = [&](Value oh, Value ow, int64_t count) {
          Value acc = b0;
          for (int64_t kh = 0; kh < KH; ++kh) {
            Value row = arith::AddIOp::create(
                b, loc, arith::MulIOp::create(b, loc, oh, idx(sh)), idx(kh * dh));
            for (int64_t kw = 0; kw < KW; ++kw) {
              Value col = arith::AddIOp::create(
                  b, loc, arith::MulIOp::create(b, loc, ow, idx(s)), idx(kw * dw));
              Value x;
              if (padded)
                x = vector::LoadOp::create(b, loc, vec(lanes * s, i8), src,
                                           at(row, col));
              else
                x = vector::TransferReadOp::create(
                    b, loc, vec(lanes * s, i8), src, at(row, col), zero8,
                    ArrayRef<bool>{false});
              if (s != 1)
                x = vector::ShuffleOp::create(b, loc, x, x, even);
              x = arith::ExtSIOp::create(b, loc, vec(lanes, i32), x);
              acc = arith::AddIOp::create(
                  b, loc, acc, arith::MulIOp::create(b, loc, x, taps[kh * KW + kw]));
            }
          }
          if (requant)
            acc = requantizeLanes(b, loc, acc, m, shv, requant.getOutputZp(),
                                  requant.getMin(), requant.getMax());
          storeLanes(b, loc, acc, out, ValueRange{idx(0), c, oh, ow}, count);
        };
        int64_t full = OW / lanes * lanes;
        scf::ForOp::create(
            b, loc, idx(0), idx(OH), idx(1), ValueRange{},
            [&](OpBuilder &, Location, Value oh, ValueRange) {
              if (full)
                scf::ForOp::create(b, loc, idx(0), idx(full), idx(lanes),
                                   ValueRange{},
                                   [&](OpBuilder &, Location, Value ow, ValueRange) {
                                     block(oh, ow, lanes);
                                     scf::YieldOp::create(b, loc);
                                   });
              if (full < OW)
                block(oh, idx(full), OW - full);
              scf::YieldOp::create(b, loc);
            });
      });
  func::ReturnOp::create(b, loc);

  // The call site: the input's buffer, a fresh output buffer.
  Value inBuf = bufferization::ToBufferOp::create(cb, loc, aTy, input,
                                                  /*read_only=*/true);
  Value o = memref::AllocOp::create(cb, loc, oTy, cb.getI64IntegerAttr(64));
  func::CallOp::create(cb, loc, fn, ValueRange{inBuf, o});
  return bufferization::ToTensorOp::create(cb, loc, outTy.clone(outElt), o,
                                           /*restrict=*/true, /*writable=*/true)
      .getResult();
}
