//===- PointwiseVNNI.cpp - 1x1 int8 conv on NCHW with vpdpbusd ------------===//
//
// A 1x1 stride-1 conv is out[f][p] = sum_c w[f][c] x[c][p] on NCHW rows. The
// gemm kernel would need x transposed to [p][c] (im2col) and its [p][f]
// result transposed back; this kernel vectorizes along pixels instead:
//   for each group of NV blocks of 16 pixels (an scf.parallel):
//     G[c4][i] = the 16 pixels of block i of rows 4c4 .. 4c4+3, interleaved
//                to [16][4] bytes (shuffles), ^ 0x80 (u8)   (a buffer in L1)
//     for each block of MR output channels f:
//       acc[r][i] = bias''[f + r]
//       for c4: acc[r][i] = vpdpbusd(acc[r][i], G[c4][i],
//                                    broadcast(w[f + r][4c4 .. 4c4+3]))  (one int32)
//       out[f + r][block i] = requantize(acc[r][i])   (int8, NCHW)
// with the unsigned shift's correction -128 sum(w) in the bias, as in the
// gemm kernel: the same wrapping int32 sums and requantize, so the same
// outputs. Pixel tails are masked loads / stores; a channel tail reads a
// valid row whose weight is 0.
//
//===----------------------------------------------------------------------===//
#include "GemmVNNI.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace qc;

namespace {
constexpr int64_t kLanes = 16, kMR = 8, kNV = 2;
// Fewest shares of a layer's work for the threads: fewer pixel groups than
// this split the output channels too. MobileNetV2 on Zen 5, 2 threads: 8
// shares 7.6% faster, 1 thread 1% slower (each channel part interleaves
// its pixels again); 16 or 4: between the two.
constexpr int64_t kShares = 8;

struct Pointwise {
  OpBuilder &b;
  Location loc;
  Value x, out, w, bias, requant;
  int64_t C, P;
  /// The current pixel group's input, interleaved (pixelGroup).
  Value group;
  int32_t zp = 0, lo = 0, hi = 0;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  VectorType vec(int64_t n, Type t) { return VectorType::get({n}, t); }

  /// Pixels [p, p + 16) of rows k .. k+3 as 64 bytes [16][4], unsigned.
  /// `count` < 16: the block ends at P (masked loads); `tailK`: rows past C
  /// meet zero weights, so they read row C-1 instead.
  Value pixels(Value k, Value p, bool tailK, int64_t count) {
    Type i8 = b.getI8Type();
    SmallVector<Value> rows;
    for (int64_t j = 0; j < 4; ++j) {
      Value r = arith::AddIOp::create(b, loc, k, idx(j));
      if (tailK)
        r = arith::MinSIOp::create(b, loc, r, idx(C - 1));
      rows.push_back(loadLanes(b, loc, vec(kLanes, i8), x, ValueRange{r, p}, count));
    }
    Value bytes = interleaveLanes(b, loc, rows);
    Value flip = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec(4 * kLanes, i8), b.getI8IntegerAttr(-128)));
    return arith::XOrIOp::create(b, loc, bytes, flip);
  }

  /// The pixels of each of the nv blocks from p: 16, or fewer in the last
  /// group (`pEnd` = P, p static; -1 for the others).
  SmallVector<int64_t> blockCounts(Value p, int64_t nv, int64_t pEnd) {
    SmallVector<int64_t> counts(nv, kLanes);
    for (int64_t i = 0; pEnd >= 0 && i < nv; ++i)
      counts[i] = std::min(kLanes, pEnd - *getConstantIntValue(p) - i * kLanes);
    return counts;
  }

  /// One 4-deep step: accumulator r * nv + i is channel fs[r], block ps[i]
  /// (read interleaved from `group`).
  SmallVector<Value> step(Value k4, ArrayRef<Value> fs, ArrayRef<Value> ps,
                          ValueRange accs) {
    Value k = arith::MulIOp::create(b, loc, k4, idx(4));
    SmallVector<Value> xs, ws, next;
    for (size_t i = 0; i < ps.size(); ++i)
      xs.push_back(vector::LoadOp::create(b, loc, vec(4 * kLanes, b.getI8Type()), group,
                                          ValueRange{k4, idx(i * 4 * kLanes)}));
    // w[f][4k4 .. 4k4+3] (zero past C), broadcast.
    for (Value f : fs)
      ws.push_back(broadcastWord(b, loc, w, ValueRange{f, k}));
    for (size_t r = 0; r < fs.size(); ++r)
      for (size_t i = 0; i < ps.size(); ++i)
        next.push_back(dpbusd(b, loc, accs[r * ps.size() + i], xs[i], ws[r]));
    return next;
  }

  /// Output channels [f, f + rows) x pixel blocks [p, p + 16 nv); `pEnd`:
  /// P for the last group (its blocks may end early; p static), else -1.
  void chunk(Value f, int64_t rows, Value p, int64_t nv, int64_t pEnd) {
    auto v16 = vec(kLanes, b.getI32Type());
    SmallVector<Value> fs, ps, init;
    SmallVector<int64_t> counts = blockCounts(p, nv, pEnd);
    for (int64_t r = 0; r < rows; ++r)
      fs.push_back(arith::AddIOp::create(b, loc, f, idx(r)));
    for (int64_t i = 0; i < nv; ++i)
      ps.push_back(arith::AddIOp::create(b, loc, p, idx(i * kLanes)));
    for (int64_t r = 0; r < rows; ++r) {
      Value bv = vector::BroadcastOp::create(
          b, loc, v16, memref::LoadOp::create(b, loc, bias, ValueRange{fs[r]}));
      init.append(nv, bv);
    }
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(C / 4), idx(1), init,
        [&](OpBuilder &, Location, Value k4, ValueRange accs) {
          scf::YieldOp::create(b, loc, step(k4, fs, ps, accs));
        });
    SmallVector<Value> accs(loop.getResults());
    if (C % 4)
      accs = step(idx(C / 4), fs, ps, accs);
    for (int64_t r = 0; r < rows; ++r) {
      Value m, sh;
      if (requant) {
        m = vector::BroadcastOp::create(
            b, loc, v16,
            memref::LoadOp::create(b, loc, requant, ValueRange{idx(0), fs[r]}));
        sh = vector::BroadcastOp::create(
            b, loc, v16,
            memref::LoadOp::create(b, loc, requant, ValueRange{idx(1), fs[r]}));
      }
      for (int64_t i = 0; i < nv; ++i) {
        Value acc = accs[r * nv + i];
        if (requant)
          acc = requantizeLanes(b, loc, acc, m, sh, zp, lo, hi);
        storeLanes(b, loc, acc, out, ValueRange{fs[r], ps[i]}, counts[i]);
      }
    }
  }

  /// `blocks` blocks of kMR channels from f0, those below `f1` (null: all),
  /// for the pixel blocks [p, p + 16 nv), whose input is first interleaved
  /// once into `group` ([C/4][kNV x 64], nv blocks used; in L1), not again
  /// for every block of output channels (shuffles share a port with
  /// vpdpbusd on Intel cores: MobileNetV2 11% faster on Emerald Rapids);
  /// then the last F % kMR channels where `lastPart` holds (null: always).
  /// The channel loop has a static trip count, so qc-parallel-loops sees
  /// the work.
  void pixelGroup(Value p, int64_t F, Value f0, int64_t blocks, Value f1,
                  Value lastPart, int64_t nv, int64_t pEnd) {
    SmallVector<int64_t> counts = blockCounts(p, nv, pEnd);
    auto fill = [&](Value k4, bool tailK) {
      Value k = arith::MulIOp::create(b, loc, k4, idx(4));
      for (int64_t i = 0; i < nv; ++i) {
        vector::StoreOp::create(
            b, loc, pixels(k, arith::AddIOp::create(b, loc, p, idx(i * kLanes)), tailK, counts[i]),
            group, ValueRange{k4, idx(i * 4 * kLanes)});
      }
    };
    scf::ForOp::create(b, loc, idx(0), idx(C / 4), idx(1), ValueRange{},
                       [&](OpBuilder &, Location, Value k4, ValueRange) {
                         fill(k4, false);
                         scf::YieldOp::create(b, loc);
                       });
    if (C % 4)
      fill(idx(C / 4), true);
    int64_t fFull = F / kMR * kMR;
    scf::ForOp::create(
        b, loc, idx(0), idx(blocks), idx(1), ValueRange{},
        [&](OpBuilder &, Location, Value i, ValueRange) {
          Value f = arith::AddIOp::create(
              b, loc, f0, arith::MulIOp::create(b, loc, i, idx(kMR)));
          if (!f1) {
            chunk(f, kMR, p, nv, pEnd);
          } else {
            Value in = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, f, f1);
            scf::IfOp::create(b, loc, in, [&](OpBuilder &, Location) {
              chunk(f, kMR, p, nv, pEnd);
              scf::YieldOp::create(b, loc);
            });
          }
          scf::YieldOp::create(b, loc);
        });
    if (fFull < F && !lastPart)
      chunk(idx(fFull), F - fFull, p, nv, pEnd);
    else if (fFull < F)
      scf::IfOp::create(b, loc, lastPart, [&](OpBuilder &, Location) {
        chunk(idx(fFull), F - fFull, p, nv, pEnd);
        scf::YieldOp::create(b, loc);
      });
  }

  /// Groups of kNV whole pixel blocks, then one group of the remaining
  /// blocks, the last one maybe partial. With `parallel`, one scf.parallel
  /// over the groups and, when they are fewer than kShares, over parts of
  /// the output channels too (each part interleaves its group's input
  /// again): MobileNetV2's 7 x 7 layers were one group of 32 pixels and a
  /// tail of 17, all on one thread.
  void body(int64_t F, bool parallel) {
    int64_t full = P / kLanes, groups = full / kNV, step = kNV * kLanes;
    int64_t rest = (P + kLanes - 1) / kLanes - groups * kNV;
    int64_t fFull = F / kMR * kMR, all = groups + (rest ? 1 : 0);
    // The interleaved input of a pixel group (whole or the rest): one buffer
    // per scf.parallel iteration, or one before the serial loop.
    auto groupType = MemRefType::get({(C + 3) / 4, kNV * 4 * kLanes}, b.getI8Type());
    if (!parallel) {
      group = scratchBuffer(b, loc, groupType);
      if (groups)
        scf::ForOp::create(b, loc, idx(0), idx(groups * step), idx(step),
                           ValueRange{},
                           [&](OpBuilder &, Location, Value p, ValueRange) {
                             pixelGroup(p, F, idx(0), fFull / kMR, Value(), Value(), kNV, -1);
                             scf::YieldOp::create(b, loc);
                           });
      if (rest)
        pixelGroup(idx(groups * step), F, idx(0), fFull / kMR, Value(), Value(), rest, P);
      freeScratch(b, loc, group);
      return;
    }
    // Channel parts: whole blocks of kMR, the last part also F % kMR.
    int64_t parts = std::clamp<int64_t>((kShares + all - 1) / all, 1,
                                        std::max<int64_t>(1, fFull / kMR));
    int64_t per = (fFull / kMR + parts - 1) / parts * kMR;
    parts = per ? (fFull + per - 1) / per : 1;
    scf::ParallelOp::create(
        b, loc, ValueRange{idx(0), idx(0)}, ValueRange{idx(all), idx(parts)},
        ValueRange{idx(1), idx(1)}, [&](OpBuilder &, Location, ValueRange iv) {
          group = scratchBuffer(b, loc, groupType);
          Value f0 = arith::MulIOp::create(b, loc, iv[1], idx(per));
          // Only the last part may end early.
          Value f1 = per * parts > fFull ? idx(fFull) : Value();
          Value last = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                             iv[1], idx(parts - 1));
          auto whole = [&] {
            pixelGroup(arith::MulIOp::create(b, loc, iv[0], idx(step)), F, f0,
                       per / kMR, f1, last, kNV, -1);
          };
          auto tail = [&] {
            pixelGroup(idx(groups * step), F, f0, per / kMR, f1, last, rest, P);
          };
          if (!rest) {
            whole();
          } else if (!groups) {
            tail();
          } else {
            Value isWhole = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                                  iv[0], idx(groups));
            scf::IfOp::create(
                b, loc, isWhole,
                [&](OpBuilder &, Location) {
                  whole();
                  scf::YieldOp::create(b, loc);
                },
                [&](OpBuilder &, Location) {
                  tail();
                  scf::YieldOp::create(b, loc);
                });
          }
          freeScratch(b, loc, group);
        });
  }
};
} // namespace

FailureOr<Value> qc::buildPointwiseVNNI(OpBuilder &cb, Conv2DOp op,
                                        ArrayRef<int64_t> w,
                                        ArrayRef<int64_t> bias,
                                        RequantizeOp requant) {
  auto inTy = op.getInput().getType();
  auto outTy = op.getOutput().getType();
  int64_t C = inTy.getDimSize(1), P = inTy.getDimSize(2) * inTy.getDimSize(3);
  int64_t F = outTy.getDimSize(1);
  int64_t K4 = (C + 3) / 4;
  SmallVector<int8_t> wq(F * K4 * 4, 0);
  SmallVector<int32_t> bq(F);
  for (int64_t f = 0; f < F; ++f) {
    int64_t sum = 0;
    for (int64_t c = 0; c < C; ++c) {
      sum += w[f * C + c];
      wq[f * K4 * 4 + c] = static_cast<int8_t>(w[f * C + c]);
    }
    int64_t nb = bias[f] - 128 * sum - (requant ? requant.getInputZp() : 0);
    if (nb < INT32_MIN || nb > INT32_MAX)
      return op.emitError() << "bias of channel " << f
                            << " overflows int32 after the unsigned shift";
    bq[f] = static_cast<int32_t>(nb);
  }
  auto module = op->getParentOfType<ModuleOp>();
  OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
  Location loc = op.getLoc();
  Type i8 = mb.getI8Type(), i32 = mb.getI32Type();
  auto wg = kernelGlobal(
      mb, loc, "qc_pw_weights",
      DenseElementsAttr::get(RankedTensorType::get({F, K4 * 4}, i8),
                             ArrayRef<int8_t>(wq)));
  auto bg = kernelGlobal(mb, loc, "qc_pw_bias", {F}, bq);
  memref::GlobalOp rg;
  if (requant)
    rg = kernelGlobal(mb, loc, "qc_pw_requant", {2, F}, requantParams(requant, F));
  auto xTy = MemRefType::get({C, P}, i8);
  Type outElt = requant ? i8 : i32;
  auto oTy = MemRefType::get({F, P}, outElt);
  // A declaration: --qc-vnni-kernels writes the body (buildPointwiseBody).
  auto fn = declareKernel(mb, loc, "qc_pw_conv", {xTy, oTy});
  fn->setAttr("qc.pw_weights", FlatSymbolRefAttr::get(wg.getSymNameAttr()));
  fn->setAttr("qc.pw_bias", FlatSymbolRefAttr::get(bg.getSymNameAttr()));
  if (requant) {
    fn->setAttr("qc.pw_requant", FlatSymbolRefAttr::get(rg.getSymNameAttr()));
    fn->setAttr("qc.vnni_out",
                mb.getDenseI32ArrayAttr({requant.getOutputZp(), requant.getMin(),
                                         requant.getMax()}));
  }

  Value x = tensor::CollapseShapeOp::create(
      cb, loc, RankedTensorType::get({C, P}, i8), op.getInput(),
      SmallVector<ReassociationIndices>{{0, 1}, {2, 3}});
  Value xb = bufferization::ToBufferOp::create(cb, loc, xTy, x, /*read_only=*/true);
  Value o = memref::AllocOp::create(cb, loc, oTy, cb.getI64IntegerAttr(64));
  func::CallOp::create(cb, loc, fn, ValueRange{xb, o});
  Value r = bufferization::ToTensorOp::create(
      cb, loc, RankedTensorType::get({F, P}, outElt), o, /*restrict=*/true,
      /*writable=*/true);
  return tensor::ExpandShapeOp::create(
             cb, loc, outTy.clone(outElt), r,
             SmallVector<ReassociationIndices>{{0, 1}, {2, 3}})
      .getResult();
}

LogicalResult qc::buildPointwiseBody(func::FuncOp fn, bool parallel) {
  auto sym = [&](StringRef name) { return kernelGlobalOf(fn, name); };
  memref::GlobalOp wg = sym("qc.pw_weights"), bg = sym("qc.pw_bias"),
                   rg = sym("qc.pw_requant");
  auto outp = fn->getAttrOfType<DenseI32ArrayAttr>("qc.vnni_out");
  auto args = fn.getFunctionType().getInputs();
  if (!wg || !bg || args.size() != 2 || (rg && (!outp || outp.size() != 3)))
    return fn.emitError("malformed pointwise VNNI kernel declaration");
  auto xTy = cast<MemRefType>(args[0]), oTy = cast<MemRefType>(args[1]);
  Location loc = fn.getLoc();
  Block *entry = fn.addEntryBlock();
  OpBuilder b = OpBuilder::atBlockBegin(entry);
  auto get = [&](memref::GlobalOp g) {
    return memref::GetGlobalOp::create(b, loc, g.getType(), g.getSymName())
        .getResult();
  };
  Pointwise k{b, loc, entry->getArgument(0), entry->getArgument(1), get(wg),
              get(bg), rg ? get(rg) : Value(), xTy.getDimSize(0),
              xTy.getDimSize(1)};
  if (rg) {
    k.zp = outp[0];
    k.lo = outp[1];
    k.hi = outp[2];
  }
  k.body(oTy.getDimSize(0), parallel);
  func::ReturnOp::create(b, loc);
  for (StringRef a : {"qc.pw_weights", "qc.pw_bias", "qc.pw_requant", "qc.vnni_out"})
    fn->removeAttr(a);
  return success();
}
