//===- GemmVNNI.cpp - int8 gemm on AVX-512 VNNI ---------------------------===//
//
// The kernel, for each row m and each group of NV 16-column blocks, keeps NV
// accumulators in zmm registers across the whole reduction:
//   acc[v] = bias''[block v]
//   for k4: a = broadcast(A[m][4k4 .. 4k4+3] as i32) ^ 0x80808080
//           acc[v] = vpdpbusd(acc[v], a, Wp[group][k4][v])   (u8 x s8; the
//               group's blocks side by side per step: one weight stream)
//   store acc[v] (masked for a last partial block)
// sum (x + 128) w + bias - 128 sum w = sum x w + bias: the same int32
// (wrapping) result as the generic lowering, bit for bit.
//
//===----------------------------------------------------------------------===//
#include "GemmVNNI.h"
#include "qc/Conversion/Passes.h"
#include "qc/Transforms/Utils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace qc;

memref::GlobalOp qc::kernelGlobal(OpBuilder &mb, Location loc, StringRef name,
                                  DenseElementsAttr values) {
  auto t = cast<ShapedType>(values.getType());
  OpBuilder detached(mb.getContext());
  auto g = memref::GlobalOp::create(
      detached, loc, name, mb.getStringAttr("private"),
      MemRefType::get(t.getShape(), t.getElementType()), values,
      /*constant=*/true, mb.getI64IntegerAttr(64));
  // Inserted (and renamed if the name is taken) at mb's insertion point.
  SymbolTable(mb.getBlock()->getParentOp()).insert(g, mb.getInsertionPoint());
  return g;
}

memref::GlobalOp qc::kernelGlobal(OpBuilder &mb, Location loc, StringRef name,
                                  ArrayRef<int64_t> shape,
                                  ArrayRef<int32_t> values) {
  return kernelGlobal(mb, loc, name,
                      DenseElementsAttr::get(
                          RankedTensorType::get(shape, mb.getI32Type()), values));
}

memref::GlobalOp qc::kernelGlobalOf(func::FuncOp fn, StringRef attr) {
  auto s = fn->getAttrOfType<FlatSymbolRefAttr>(attr);
  auto module = fn->getParentOfType<ModuleOp>();
  return s && module ? module.lookupSymbol<memref::GlobalOp>(s) : memref::GlobalOp();
}

func::FuncOp qc::declareKernel(OpBuilder &mb, Location loc, StringRef name,
                               TypeRange args) {
  OpBuilder detached(mb.getContext());
  auto fn = func::FuncOp::create(detached, loc, name,
                                 mb.getFunctionType(args, {}));
  fn.setPrivate();
  SymbolTable(mb.getBlock()->getParentOp()).insert(fn, mb.getInsertionPoint());
  return fn;
}

void qc::yieldUnsigned(OpBuilder &b, Location loc, ValueRange args) {
  Value flip = arith::ConstantIntOp::create(b, loc, b.getI8Type(), -128);
  linalg::YieldOp::create(b, loc,
                          arith::XOrIOp::create(b, loc, args[0], flip).getResult());
}

Value qc::dpbusd(OpBuilder &b, Location loc, Value acc, Value x, Value w) {
  return LLVM::CallIntrinsicOp::create(
             b, loc, acc.getType(),
             b.getStringAttr("llvm.x86.avx512.vpdpbusd.512"), ValueRange{acc, x, w})
      .getResult(0);
}

Value qc::broadcastWord(OpBuilder &b, Location loc, Value mem,
                        ValueRange indices) {
  Value w4 = vector::LoadOp::create(b, loc, VectorType::get({4}, b.getI8Type()),
                                    mem, indices);
  Value w1 = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), w4);
  return vector::BitCastOp::create(
      b, loc, VectorType::get({64}, b.getI8Type()),
      vector::BroadcastOp::create(b, loc, VectorType::get({16}, b.getI32Type()), w1));
}

SmallVector<int32_t> qc::requantParams(RequantizeOp requant, int64_t n) {
  ArrayRef<int32_t> mult = *requant.getMultiplier(), sh = *requant.getShift();
  SmallVector<int32_t> params(2 * n);
  for (int64_t f = 0; f < n; ++f) {
    size_t k = std::min<size_t>(f, mult.size() - 1);
    params[f] = mult[k];
    params[n + f] = sh[k];
  }
  return params;
}

Value qc::requantizeLanes(OpBuilder &b, Location loc, Value acc, Value m,
                          Value sh, int32_t zp, int32_t lo, int32_t hi) {
  int64_t lanes = cast<VectorType>(acc.getType()).getNumElements();
  auto vec = [&](Type t) { return VectorType::get({lanes}, t); };
  Type i64 = b.getI64Type(), i32 = b.getI32Type();
  auto splat64 = [&](int64_t v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec(i64), b.getI64IntegerAttr(v)));
  };
  auto splat32 = [&](int64_t v) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec(i32), b.getI32IntegerAttr(v)));
  };
  Value x = arith::ExtSIOp::create(b, loc, vec(i64), acc);
  Value s64 = arith::ExtSIOp::create(b, loc, vec(i64), sh);
  Value prod = arith::MulIOp::create(
      b, loc, x, arith::ExtSIOp::create(b, loc, vec(i64), m));
  Value round = arith::ShLIOp::create(
      b, loc, splat64(1), arith::SubIOp::create(b, loc, s64, splat64(1)));
  Value nonneg =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, x, splat64(0));
  Value dr = arith::SelectOp::create(b, loc, nonneg, splat64(1 << 30),
                                     splat64(-(int64_t(1) << 30)));
  Value big =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, s64, splat64(31));
  round = arith::AddIOp::create(
      b, loc, round, arith::SelectOp::create(b, loc, big, dr, splat64(0)));
  Value r = arith::ShRSIOp::create(
      b, loc, arith::AddIOp::create(b, loc, prod, round), s64);
  Value v = arith::TruncIOp::create(b, loc, vec(i32), r);
  v = arith::AddIOp::create(b, loc, v, splat32(zp));
  v = arith::MaxSIOp::create(b, loc, v, splat32(lo));
  v = arith::MinSIOp::create(b, loc, v, splat32(hi));
  return arith::TruncIOp::create(b, loc, vec(b.getI8Type()), v);
}

// LLVM 22's x86 backend turns a masked store or load with one active lane
// of i8 into a 4-byte vmovd (measured: it overwrote the next row's first
// three outputs), so one lane goes through a scalar access.
void qc::storeLanes(OpBuilder &b, Location loc, Value v, Value mem,
                    ValueRange indices, int64_t count) {
  auto ty = cast<VectorType>(v.getType());
  int64_t lanes = ty.getNumElements();
  if (count >= lanes) {
    vector::StoreOp::create(b, loc, v, mem, indices);
  } else if (count == 1) {
    memref::StoreOp::create(
        b, loc, vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0}), mem,
        indices);
  } else {
    SmallVector<bool> bits(lanes, false);
    std::fill_n(bits.begin(), count, true);
    Value mask = arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(VectorType::get({lanes}, b.getI1Type()),
                               ArrayRef<bool>(bits)));
    vector::MaskedStoreOp::create(b, loc, mem, indices, mask, v);
  }
}

Value qc::loadLanes(OpBuilder &b, Location loc, VectorType ty, Value mem,
                    ValueRange indices, int64_t count) {
  if (count >= ty.getNumElements())
    return vector::LoadOp::create(b, loc, ty, mem, indices);
  Value zeros = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(ty, b.getZeroAttr(ty.getElementType())));
  if (count == 1)
    return vector::InsertOp::create(
        b, loc, memref::LoadOp::create(b, loc, mem, indices), zeros,
        ArrayRef<int64_t>{0});
  SmallVector<bool> bits(ty.getNumElements(), false);
  std::fill_n(bits.begin(), count, true);
  Value mask = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(VectorType::get(ty.getShape(), b.getI1Type()),
                             ArrayRef<bool>(bits)));
  return vector::MaskedLoadOp::create(b, loc, ty, mem, indices, mask, zeros);
}

namespace {
// 8 rows x 2 column blocks of accumulators: per 4-deep step 2 weight loads
// (the panel streams from L2) and 8 broadcasts feed 16 vpdpbusd; 4 x 4
// streamed twice the weight bytes per step and ran 12% slower.
constexpr int64_t kLanes = 16, kGroup = 4, kNV = 2, kMR = 8, kSingleNV = 8;
// Column panels of at most this many weight bytes: every row block sweeps a
// panel that stays in L2 (1 MiB here) rather than all of N (1024^3: 1 MiB,
// evicted by its own sweep; 855 vs 834 GOPS, 256 KiB panels 835).
constexpr int64_t kPanelBytes = 512 * 1024;

struct Kernel {
  OpBuilder &b;
  Location loc;
  Value a, out, w, bias;
  int64_t K, N, K4full;
  /// The fused requantize: per-column multipliers and shifts ([2][NP] i32),
  /// output zero point and clamp; null for an int32 result.
  Value requant;
  int32_t zp = 0, lo = 0, hi = 0;
  /// The dot instruction: AVX-512 vpdpbusd (16 lanes, u8 x s8: the input is
  /// shifted by 128) or AArch64 sdot (4 lanes, s8 x s8).
  bool sdot = false;
  int64_t lanes = kLanes;

  Value requantize(Value acc, Value col) {
    auto v16 = VectorType::get({lanes}, b.getI32Type());
    Value m = vector::LoadOp::create(b, loc, v16, requant, ValueRange{idx(0), col});
    Value sh = vector::LoadOp::create(b, loc, v16, requant, ValueRange{idx(1), col});
    return requantizeLanes(b, loc, acc, m, sh, zp, lo, hi);
  }

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  /// Where block blk's 16 x 4 bytes of step k4 start: the kNV blocks of a
  /// group sit side by side for each step (one sequential stream).
  SmallVector<Value> weightIndex(Value blk, Value k4) {
    Value g = arith::DivUIOp::create(b, loc, blk, idx(kNV));
    Value i = arith::RemUIOp::create(b, loc, blk, idx(kNV));
    return {g, k4, arith::MulIOp::create(b, loc, i, idx(lanes * kGroup))};
  }

  /// Broadcast of A[m][k .. k+3] (for vpdpbusd shifted to unsigned here).
  Value broadcastA(Value m, Value k, bool tail) {
    auto v4 = VectorType::get({kGroup}, b.getI8Type());
    Value bytes;
    if (tail) {
      Value pad = arith::ConstantIntOp::create(b, loc, b.getI8Type(), 0);
      bytes = vector::TransferReadOp::create(b, loc, v4, a, ValueRange{m, k},
                                             pad, ArrayRef<bool>{false});
    } else {
      bytes = vector::LoadOp::create(b, loc, v4, a, ValueRange{m, k});
    }
    Value word = vector::BitCastOp::create(
        b, loc, VectorType::get({1}, b.getI32Type()), bytes);
    Value s = vector::ExtractOp::create(b, loc, word, ArrayRef<int64_t>{0});
    Value v = vector::BroadcastOp::create(
        b, loc, VectorType::get({lanes}, b.getI32Type()), s);
    // vpdpbusd: shifted to unsigned (x ^ 0x80 in each byte) in the
    // register, a vector op beside the dot products; a copy of each row
    // block shifted in memory (or one pass over A) cost up to 9% (K = 4096:
    // the copy's reads from memory stall the row block's start).
    if (!sdot)
      v = arith::XOrIOp::create(
          b, loc, v,
          arith::ConstantOp::create(
              b, loc, DenseElementsAttr::get(cast<VectorType>(v.getType()),
                                             b.getI32IntegerAttr(int32_t(0x80808080)))));
    return v;
  }

  /// One 4-deep reduction step for `rows` rows from m and `nv` blocks from
  /// blk0: accumulator r * nv + i is row m + r, block blk0 + i.
  SmallVector<Value> step(Value m, int64_t rows, Value k4, Value blk0,
                          int64_t nv, ValueRange accs, bool tail) {
    Value k = arith::MulIOp::create(b, loc, k4, idx(kGroup));
    auto v16 = VectorType::get({lanes}, b.getI32Type());
    auto v64 = VectorType::get({lanes * kGroup}, b.getI8Type());
    SmallVector<Value> wv, av;
    for (int64_t i = 0; i < nv; ++i) {
      Value blk = arith::AddIOp::create(b, loc, blk0, idx(i));
      wv.push_back(vector::LoadOp::create(b, loc, v64, w,
                                          weightIndex(blk, k4)));
    }
    // LLVM 22's vpdpbusd and sdot take their byte operands as i8 vectors.
    for (int64_t r = 0; r < rows; ++r)
      av.push_back(vector::BitCastOp::create(
          b, loc, v64,
          broadcastA(arith::AddIOp::create(b, loc, m, idx(r)), k, tail)));
    SmallVector<Value> next;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < nv; ++i)
        next.push_back(LLVM::CallIntrinsicOp::create(
                           b, loc, v16,
                           b.getStringAttr(sdot ? "llvm.aarch64.neon.sdot.v4i32.v16i8"
                                                : "llvm.x86.avx512.vpdpbusd.512"),
                           ValueRange{accs[r * nv + i], av[r], wv[i]})
                           .getResult(0));
    return next;
  }

  /// Rows [m, m + rows), columns [16 blk0, 16 (blk0 + nv)); `lastCols` < 16
  /// masks the last block's stores.
  void chunk(Value m, int64_t rows, Value blk0, int64_t nv, int64_t lastCols) {
    auto v16 = VectorType::get({lanes}, b.getI32Type());
    SmallVector<Value> cols, init;
    for (int64_t i = 0; i < nv; ++i)
      cols.push_back(arith::MulIOp::create(
          b, loc, arith::AddIOp::create(b, loc, blk0, idx(i)), idx(lanes)));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < nv; ++i)
        init.push_back(
            vector::LoadOp::create(b, loc, v16, bias, ValueRange{cols[i]}));
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(K4full), idx(1), init,
        [&](OpBuilder &, Location, Value k4, ValueRange accs) {
          scf::YieldOp::create(b, loc, step(m, rows, k4, blk0, nv, accs, false));
        });
    SmallVector<Value> accs(loop.getResults());
    if (K4full * kGroup < K)
      accs = step(m, rows, idx(K4full), blk0, nv, accs, true);
    for (int64_t r = 0; r < rows; ++r) {
      Value row = arith::AddIOp::create(b, loc, m, idx(r));
      for (int64_t i = 0; i < nv; ++i) {
        Value acc = accs[r * nv + i];
        if (requant)
          acc = requantize(acc, cols[i]);
        storeLanes(b, loc, acc, out, ValueRange{row, cols[i]},
                   i == nv - 1 ? lastCols : lanes);
      }
    }
  }

  /// Column blocks [lo, hi) of rows [m, m + rows), nv at a time (hi - lo a
  /// multiple of nv).
  void groups(Value m, int64_t rows, int64_t nv, Value lo, Value hi) {
    if (getConstantIntValue(lo) == getConstantIntValue(hi))
      return;
    scf::ForOp::create(b, loc, lo, hi, idx(nv), ValueRange{},
                       [&](OpBuilder &, Location, Value blk, ValueRange) {
                         chunk(m, rows, blk, nv, lanes);
                         scf::YieldOp::create(b, loc);
                       });
  }

  /// The column blocks past the last whole group of nv, the last one maybe
  /// partial.
  void tails(Value m, int64_t rows, int64_t nv) {
    int64_t full = N / lanes, rest = full % nv, partial = N % lanes;
    if (rest)
      chunk(m, rows, idx(full - rest), rest, lanes);
    if (partial)
      chunk(m, rows, idx(full), 1, partial);
  }

  /// `f(m)` for each block of kMR rows: an scf.parallel with `parallel`.
  void rowBlocks(int64_t mFull, bool parallel, function_ref<void(Value)> f) {
    if (parallel) {
      scf::ParallelOp::create(b, loc, ValueRange{idx(0)}, ValueRange{idx(mFull)},
                              ValueRange{idx(kMR)},
                              [&](OpBuilder &, Location, ValueRange m) { f(m[0]); });
      return;
    }
    scf::ForOp::create(b, loc, idx(0), idx(mFull), idx(kMR), ValueRange{},
                       [&](OpBuilder &, Location, Value m, ValueRange) {
                         f(m);
                         scf::YieldOp::create(b, loc);
                       });
  }

  /// The kernel: rows in blocks of kMR (each weight load feeds kMR rows),
  /// then the remaining rows one at a time, kSingleNV column blocks at once
  /// (independent accumulators hide vpdpbusd's latency; a single row is
  /// bound by loading the weights). The full row blocks sweep the columns
  /// in panels of at most kPanelBytes of weights, one loop over the row
  /// blocks (parallel) per panel. Measured no faster: 4 x 4, 6 x 4, 12 x 2
  /// accumulator tiles, 2 or 4 reduction steps per loop iteration.
  void body(int64_t M, bool parallel) {
    int64_t mFull = M / kMR * kMR;
    int64_t full = N / lanes / kNV * kNV;
    int64_t panel = std::max<int64_t>(kNV, kPanelBytes / (K * lanes) / kNV * kNV);
    // At least one pass when there is no whole group: it runs the tails.
    for (int64_t lo = 0; mFull && lo < std::max<int64_t>(full, 1); lo += panel) {
      int64_t hi = std::min(lo + panel, full);
      rowBlocks(mFull, parallel, [&](Value m) {
        groups(m, kMR, kNV, idx(lo), idx(hi));
        if (hi == full)
          tails(m, kMR, kNV);
      });
    }
    if (mFull < M)
      scf::ForOp::create(b, loc, idx(mFull), idx(M), idx(1), ValueRange{},
                         [&](OpBuilder &, Location, Value m, ValueRange) {
                           groups(m, 1, kSingleNV, idx(0),
                                  idx(N / lanes / kSingleNV * kSingleNV));
                           tails(m, 1, kSingleNV);
                           scf::YieldOp::create(b, loc);
                         });
  }
};
} // namespace

FailureOr<Value> qc::buildGemmVNNI(OpBuilder &cb, Operation *anchor,
                                   Value input, ArrayRef<int64_t> w,
                                   ArrayRef<int64_t> bias,
                                   RequantizeOp requant, bool sdot) {
  const int64_t kLanes = sdot ? 4 : ::kLanes;
  auto inTy = cast<RankedTensorType>(input.getType());
  int64_t M = inTy.getDimSize(0), K = inTy.getDimSize(1);
  int64_t N = static_cast<int64_t>(bias.size());
  int64_t NB = (N + kLanes - 1) / kLanes, K4 = (K + kGroup - 1) / kGroup;
  // Packed weights and the bias with the unsigned shift's correction.
  int64_t NG = (NB + kNV - 1) / kNV;
  SmallVector<int8_t> packed(NG * K4 * kNV * kLanes * kGroup, 0);
  SmallVector<int32_t> biasP(NB * kLanes, 0);
  for (int64_t n = 0; n < N; ++n) {
    int64_t sum = 0;
    for (int64_t k = 0; k < K; ++k) {
      int64_t v = w[n * K + k];
      sum += v;
      int64_t blk = n / kLanes;
      packed[((((blk / kNV) * K4 + k / kGroup) * kNV + blk % kNV) * kLanes +
              n % kLanes) * kGroup + k % kGroup] = static_cast<int8_t>(v);
    }
    // A fused requantize's input zero point folds into the bias too.
    int64_t nb = bias[n] - (sdot ? 0 : 128 * sum) -
                 (requant ? requant.getInputZp() : 0);
    if (nb < INT32_MIN || nb > INT32_MAX)
      return anchor->emitError() << "bias of channel " << n
                                 << " overflows int32 after the unsigned shift";
    biasP[n] = static_cast<int32_t>(nb);
  }

  auto module = anchor->getParentOfType<ModuleOp>();
  OpBuilder mb = OpBuilder::atBlockBegin(module.getBody());
  Location loc = anchor->getLoc();
  Type i8 = mb.getI8Type(), i32 = mb.getI32Type();
  auto wg = kernelGlobal(mb, loc, "qc_vnni_weights",
                         DenseElementsAttr::get(
                             RankedTensorType::get({NG, K4, kNV * kLanes * kGroup}, i8),
                             ArrayRef<int8_t>(packed)));
  auto bg = kernelGlobal(mb, loc, "qc_vnni_bias", {NB * kLanes}, biasP);
  auto aTy = MemRefType::get({M, K}, i8);
  Type outElt = requant ? i8 : i32;
  auto oTy = MemRefType::get({M, N}, outElt);
  memref::GlobalOp rg;
  if (requant)
    rg = kernelGlobal(mb, loc, "qc_vnni_requant", {2, NB * kLanes},
                      requantParams(requant, NB * kLanes));
  // A declaration: --qc-vnni-kernels gives it its body after buffer
  // deallocation (which refuses the intrinsic's unknown memory effects).
  auto fn = declareKernel(mb, loc, "qc_vnni_gemm", {aTy, oTy});
  fn->setAttr("qc.vnni_weights", FlatSymbolRefAttr::get(wg.getSymNameAttr()));
  fn->setAttr("qc.vnni_bias", FlatSymbolRefAttr::get(bg.getSymNameAttr()));
  if (sdot)
    fn->setAttr("qc.sdot", mb.getUnitAttr());
  if (requant) {
    fn->setAttr("qc.vnni_requant", FlatSymbolRefAttr::get(rg.getSymNameAttr()));
    fn->setAttr("qc.vnni_out",
                mb.getDenseI32ArrayAttr({requant.getOutputZp(), requant.getMin(),
                                         requant.getMax()}));
  }

  // The call site: the input's buffer (the kernel shifts it to unsigned),
  // a fresh output buffer.
  Value in = bufferization::ToBufferOp::create(cb, loc, aTy, input,
                                               /*read_only=*/true);
  Value o = memref::AllocOp::create(cb, loc, oTy, cb.getI64IntegerAttr(64));
  func::CallOp::create(cb, loc, fn, ValueRange{in, o});
  return bufferization::ToTensorOp::create(
             cb, loc, RankedTensorType::get({M, N}, outElt), o,
             /*restrict=*/true, /*writable=*/true)
      .getResult();
}

namespace qc {
#define GEN_PASS_DEF_QCVNNIKERNELS
#include "qc/Conversion/Passes.h.inc"
} // namespace qc

namespace {
struct VNNIKernelsPass : public qc::impl::QCVNNIKernelsBase<VNNIKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn->hasAttr("qc.pw_weights") && fn.isExternal()) {
        if (failed(buildPointwiseBody(fn, parallel)))
          return signalPassFailure();
        continue;
      }
      if (fn->hasAttr("qc.dc_weights") && fn.isExternal()) {
        if (failed(buildDirectConvBody(fn, parallel)))
          return signalPassFailure();
        continue;
      }
      auto wSym = fn->getAttrOfType<FlatSymbolRefAttr>("qc.vnni_weights");
      auto bSym = fn->getAttrOfType<FlatSymbolRefAttr>("qc.vnni_bias");
      if (!wSym || !bSym || !fn.isExternal())
        continue;
      auto wg = module.lookupSymbol<memref::GlobalOp>(wSym);
      auto bg = module.lookupSymbol<memref::GlobalOp>(bSym);
      auto args = fn.getFunctionType().getInputs();
      if (!wg || !bg || args.size() != 2) {
        fn.emitError("malformed VNNI gemm kernel declaration");
        return signalPassFailure();
      }
      auto aTy = cast<MemRefType>(args[0]), oTy = cast<MemRefType>(args[1]);
      int64_t M = aTy.getDimSize(0), K = aTy.getDimSize(1), N = oTy.getDimSize(1);
      Location loc = fn.getLoc();
      Block *entry = fn.addEntryBlock();
      OpBuilder b = OpBuilder::atBlockBegin(entry);
      Value wv = memref::GetGlobalOp::create(b, loc, wg.getType(), wg.getSymName());
      Value bv = memref::GetGlobalOp::create(b, loc, bg.getType(), bg.getSymName());
      Kernel kern{b, loc, entry->getArgument(0), entry->getArgument(1), wv, bv,
                  K, N, K / kGroup, Value()};
      if (fn->hasAttr("qc.sdot")) {
        kern.sdot = true;
        kern.lanes = 4;
        fn->removeAttr("qc.sdot");
      }
      if (auto rSym = fn->getAttrOfType<FlatSymbolRefAttr>("qc.vnni_requant")) {
        auto rg = module.lookupSymbol<memref::GlobalOp>(rSym);
        auto outp = fn->getAttrOfType<DenseI32ArrayAttr>("qc.vnni_out");
        if (!rg || !outp || outp.size() != 3) {
          fn.emitError("malformed VNNI gemm requantize parameters");
          return signalPassFailure();
        }
        kern.requant = memref::GetGlobalOp::create(b, loc, rg.getType(),
                                                   rg.getSymName());
        kern.zp = outp[0];
        kern.lo = outp[1];
        kern.hi = outp[2];
        fn->removeAttr("qc.vnni_requant");
        fn->removeAttr("qc.vnni_out");
      }
      kern.body(M, parallel);
      func::ReturnOp::create(b, loc);
      fn->removeAttr("qc.vnni_weights");
      fn->removeAttr("qc.vnni_bias");
    }
  }
};
} // namespace
