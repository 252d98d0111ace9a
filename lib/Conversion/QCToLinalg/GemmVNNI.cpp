//===- GemmVNNI.cpp - int8 gemm on AVX-512 VNNI ---------------------------===//
//
// The kernel, for each tile of rows m and each group of NV 16-column blocks,
// keeps one accumulator per row and block in zmm registers across the whole
// reduction (per row):
//   acc[v] = bias'[block v] - 128 sum(A[m])
//   for k4: a = broadcast(A[m][4k4 .. 4k4+3] as i32)
//           acc[v] = vpdpbusd(acc[v], Wp[group][k4][v], a)   (u8 x s8: the
//               weights stored shifted, w + 128; the group's blocks side by
//               side per step: one weight stream)
//   store acc[v] (masked for a last partial block)
// sum (w + 128) x + bias - 128 sum x = sum x w + bias: the same int32
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

// Larger buffers go to the heap: a worker thread's stack may be small.
constexpr int64_t kStackScratchBytes = 64 * 1024;

Value qc::scratchBuffer(OpBuilder &b, Location loc, MemRefType type) {
  if (type.getNumElements() * type.getElementTypeBitWidth() / 8 > kStackScratchBytes)
    return memref::AllocOp::create(b, loc, type, b.getI64IntegerAttr(64));
  return memref::AllocaOp::create(b, loc, type, b.getI64IntegerAttr(64));
}

void qc::freeScratch(OpBuilder &b, Location loc, Value buf) {
  if (buf && buf.getDefiningOp<memref::AllocOp>())
    memref::DeallocOp::create(b, loc, buf);
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

Value qc::interleaveLanes(OpBuilder &b, Location loc, ArrayRef<Value> vals) {
  // [x0, y0, x1, y1, ...]
  auto zip = [&](Value x, Value y) {
    int64_t n = cast<VectorType>(x.getType()).getNumElements();
    SmallVector<int64_t> mask;
    for (int64_t l = 0; l < n; ++l)
      mask.append({l, l + n});
    return vector::ShuffleOp::create(b, loc, x, y, mask).getResult();
  };
  if (vals.size() == 1)
    return vals[0];
  if (vals.size() == 2)
    return zip(vals[0], vals[1]);
  auto ty = cast<VectorType>(vals[0].getType());
  int64_t n = ty.getNumElements();
  auto wide = VectorType::get({n}, b.getIntegerType(2 * ty.getElementTypeBitWidth()));
  auto pairs = [&](Value x, Value y) {
    return vector::BitCastOp::create(b, loc, wide, zip(x, y)).getResult();
  };
  return vector::BitCastOp::create(b, loc, VectorType::get({4 * n}, ty.getElementType()),
                                   zip(pairs(vals[0], vals[1]), pairs(vals[2], vals[3])));
}

Value qc::requantizeLanes(OpBuilder &b, Location loc, Value acc, Value m,
                          Value sh, int32_t zp, int32_t lo, int32_t hi) {
  // In int64 lanes, the even int32 lanes and the odd ones apart: each
  // product is one vpmuldq on the lanes as they are (no widening of 16
  // lanes to two vectors and narrowing back), the results recombined by a
  // select of the odd lanes shifted up.
  int64_t lanes = cast<VectorType>(acc.getType()).getNumElements();
  Type i64 = b.getI64Type(), i32 = b.getI32Type();
  auto v64 = VectorType::get({lanes / 2}, i64), v32 = VectorType::get({lanes}, i32);
  auto splat64 = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(v64, b.getI64IntegerAttr(v)));
  };
  auto splat32 = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(v32, b.getI32IntegerAttr(v)));
  };
  Value c32 = splat64(32);
  // Lanes 2j (even) or 2j + 1 of v, sign-extended to int64.
  auto half = [&](Value v, bool odd) -> Value {
    Value w = vector::BitCastOp::create(b, loc, v64, v);
    if (!odd)
      w = arith::ShLIOp::create(b, loc, w, c32);
    return arith::ShRSIOp::create(b, loc, w, c32);
  };
  auto scale = [&](bool odd) {
    Value x = half(acc, odd), s = half(sh, odd);
    Value prod = arith::MulIOp::create(b, loc, x, half(m, odd));
    Value round = arith::ShLIOp::create(b, loc, splat64(1),
                                        arith::SubIOp::create(b, loc, s, splat64(1)));
    Value nonneg =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, x, splat64(0));
    Value dr = arith::SelectOp::create(b, loc, nonneg, splat64(1 << 30),
                                       splat64(-(int64_t(1) << 30)));
    Value big =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, s, splat64(31));
    round = arith::AddIOp::create(
        b, loc, round, arith::SelectOp::create(b, loc, big, dr, splat64(0)));
    return arith::ShRSIOp::create(b, loc, arith::AddIOp::create(b, loc, prod, round), s)
        .getResult();
  };
  // Even results in the low halves, odd ones shifted to the high halves.
  Value even = vector::BitCastOp::create(b, loc, v32, scale(false));
  Value odd = vector::BitCastOp::create(
      b, loc, v32, arith::ShLIOp::create(b, loc, scale(true), c32));
  SmallVector<bool> evenLanes;
  for (int64_t l = 0; l < lanes; ++l)
    evenLanes.push_back(l % 2 == 0);
  Value pick = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(VectorType::get({lanes}, b.getI1Type()),
                                     ArrayRef<bool>(evenLanes)));
  Value v = arith::SelectOp::create(b, loc, pick, even, odd);
  v = arith::AddIOp::create(b, loc, v, splat32(zp));
  v = arith::MaxSIOp::create(b, loc, v, splat32(lo));
  v = arith::MinSIOp::create(b, loc, v, splat32(hi));
  return arith::TruncIOp::create(b, loc, VectorType::get({lanes}, b.getI8Type()), v);
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
// 6 rows x 4 column blocks of accumulators: per 4-deep step 4 weight loads
// and 6 broadcasts feed 24 vpdpbusd. On a Xeon (Emerald Rapids) core the
// previous 8 x 2 tile (8 broadcasts per 16) ran 2-4% slower than this one
// when the core was quiet and 10-20% slower when a neighbour shared it; on
// Zen 5 the two measured equal.
constexpr int64_t kLanes = 16, kGroup = 4, kNV = 4, kMR = 6, kSingleNV = 8;
constexpr int64_t kUnroll = 2;
// Bands of row blocks of about this many bytes of A: a band stays in L2
// (1 MiB on Zen 5, 2 MiB on Emerald Rapids) while every column group
// passes over it.
constexpr int64_t kBandBytes = 256 * 1024;
// A column group's weights (K x 64 bytes) up to this size stay in L1 (48
// KiB on Emerald Rapids and Zen 5) while the row blocks pass over them.
constexpr int64_t kL1PanelBytes = 32 * 1024;
// When they do not, the row blocks take the column groups in bands of about
// this many bytes of weights, which stay in L2 while every row block of the
// band of A passes over them. Without bands every row block streamed all the
// weights: 1 MiB at 1024 x 1024, as large as Zen 5's L2, so from L3
// (1024^3 and 64x1024^2 0.91x -> 0.97-1.0x oneDNN on Zen 5; 128, 192, 256
// and 384 KiB measured equal).
constexpr int64_t kWeightBandBytes = 128 * 1024;

struct Kernel {
  OpBuilder &b;
  Location loc;
  Value a, out, w, bias;
  int64_t K, N, K4full;
  /// The fused requantize: per-column multipliers and shifts ([2][NP] i32),
  /// output zero point and clamp; null for an int32 result.
  Value requant;
  int32_t zp = 0, lo = 0, hi = 0;
  /// The dot instruction: AVX-512 vpdpbusd (16 lanes, u8 x s8: the weights
  /// shifted by 128, or a uint8 input) or AArch64 sdot (4 lanes, s8 x s8).
  bool sdot = false;
  /// The input's bytes are uint8 (an int8 tensor xor 0x80): vpdpbusd's
  /// unsigned operand, the weights its signed one, no row sums.
  bool unsignedA = false;
  int64_t lanes = kLanes;

  /// Whether the kernel corrects the weights' shift with A's row sums.
  bool rowSums() const { return !sdot && !unsignedA; }

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

  /// Broadcast of A[m][k .. k+3]: vpdpbusd's signed operand (the weights are
  /// the unsigned one, so A needs no shift: an xor per broadcast took a
  /// vector pipe beside the dot products, 3% of a C model of the loop), or
  /// with unsignedA its unsigned one.
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
    return vector::BroadcastOp::create(
        b, loc, VectorType::get({lanes}, b.getI32Type()), s);
  }

  /// -128 x the sum of row m + r of A, r < rows: the correction of the
  /// weights' shift. One loop over the rows' 64-byte pieces, each row's sum
  /// in its own register (vpdpbusd of bytes 1).
  SmallVector<Value> rowCorrections(Value m, int64_t rows) {
    auto v16 = VectorType::get({kLanes}, b.getI32Type());
    auto v64 = VectorType::get({kLanes * kGroup}, b.getI8Type());
    Value ones = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v64, b.getI8IntegerAttr(1)));
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(v16, b.getI32IntegerAttr(0)));
    int64_t full = K / 64 * 64;
    auto rowAt = [&](int64_t r) { return arith::AddIOp::create(b, loc, m, idx(r)); };
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(full), idx(64), SmallVector<Value>(rows, zero),
        [&](OpBuilder &, Location, Value k, ValueRange sums) {
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r)
            next.push_back(dpbusd(b, loc, sums[r], ones,
                                  vector::LoadOp::create(b, loc, v64, a,
                                                         ValueRange{rowAt(r), k})));
          scf::YieldOp::create(b, loc, next);
        });
    SmallVector<Value> corr;
    for (int64_t r = 0; r < rows; ++r) {
      Value sum = loop.getResult(r);
      if (full < K)
        sum = dpbusd(b, loc, sum, ones,
                     loadLanes(b, loc, v64, a, ValueRange{rowAt(r), idx(full)},
                               K - full));
      sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, sum);
      corr.push_back(arith::MulIOp::create(
          b, loc, sum, arith::ConstantIntOp::create(b, loc, b.getI32Type(), -128)));
    }
    return corr;
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
      for (int64_t i = 0; i < nv; ++i) {
        // (accumulator, unsigned bytes, signed bytes)
        SmallVector<Value, 3> ops = {accs[r * nv + i], wv[i], av[r]};
        if (unsignedA)
          std::swap(ops[1], ops[2]);
        next.push_back(LLVM::CallIntrinsicOp::create(
                           b, loc, v16,
                           b.getStringAttr(sdot ? "llvm.aarch64.neon.sdot.v4i32.v16i8"
                                                : "llvm.x86.avx512.vpdpbusd.512"),
                           ops)
                           .getResult(0));
      }
    return next;
  }

  /// Rows [m, m + rows), columns [16 blk0, 16 (blk0 + nv)); `lastCols` < 16
  /// masks the last block's stores; `corr` the rows' shift corrections
  /// (none for sdot).
  void chunk(Value m, int64_t rows, Value blk0, int64_t nv, int64_t lastCols,
             ArrayRef<Value> corr) {
    auto v16 = VectorType::get({lanes}, b.getI32Type());
    SmallVector<Value> cols, init;
    for (int64_t i = 0; i < nv; ++i)
      cols.push_back(arith::MulIOp::create(
          b, loc, arith::AddIOp::create(b, loc, blk0, idx(i)), idx(lanes)));
    SmallVector<Value> biasV;
    for (int64_t i = 0; i < nv; ++i)
      biasV.push_back(vector::LoadOp::create(b, loc, v16, bias, ValueRange{cols[i]}));
    for (int64_t r = 0; r < rows; ++r) {
      Value c = corr.empty() ? Value()
                             : vector::BroadcastOp::create(b, loc, v16, corr[r]);
      for (int64_t i = 0; i < nv; ++i)
        init.push_back(c ? arith::AddIOp::create(b, loc, biasV[i], c) : biasV[i]);
    }
    // kUnroll steps per iteration (measured 2-3% faster than one on a 6 x 4
    // tile, Emerald Rapids core).
    int64_t whole = K4full / kUnroll * kUnroll;
    auto loop = scf::ForOp::create(
        b, loc, idx(0), idx(whole), idx(kUnroll), init,
        [&](OpBuilder &, Location, Value k4, ValueRange accs) {
          SmallVector<Value> next(accs);
          for (int64_t u = 0; u < kUnroll; ++u)
            next = step(m, rows, arith::AddIOp::create(b, loc, k4, idx(u)), blk0,
                        nv, next, false);
          scf::YieldOp::create(b, loc, next);
        });
    SmallVector<Value> accs(loop.getResults());
    for (int64_t k4 = whole; k4 < K4full; ++k4)
      accs = step(m, rows, idx(k4), blk0, nv, accs, false);
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
  void groups(Value m, int64_t rows, int64_t nv, Value lo, Value hi,
              ArrayRef<Value> corr) {
    if (getConstantIntValue(lo) == getConstantIntValue(hi))
      return;
    scf::ForOp::create(b, loc, lo, hi, idx(nv), ValueRange{},
                       [&](OpBuilder &, Location, Value blk, ValueRange) {
                         chunk(m, rows, blk, nv, lanes, corr);
                         scf::YieldOp::create(b, loc);
                       });
  }

  /// The column blocks past the last whole group of nv, the last one maybe
  /// partial.
  void tails(Value m, int64_t rows, int64_t nv, ArrayRef<Value> corr) {
    int64_t full = N / lanes, rest = full % nv, partial = N % lanes;
    if (rest)
      chunk(m, rows, idx(full - rest), rest, lanes, corr);
    if (partial)
      chunk(m, rows, idx(full), 1, partial, corr);
  }

  /// `f(ivs)` over the loop nest lo..hi by step: one scf.parallel with
  /// `parallel` (qc-parallel-loops keeps the leading dims that give the
  /// threads enough shares), else nested scf.for.
  void forEach(ArrayRef<Value> lo, ArrayRef<Value> hi, ArrayRef<int64_t> step,
               bool parallel, function_ref<void(ValueRange)> f) {
    SmallVector<Value> steps;
    for (int64_t s : step)
      steps.push_back(idx(s));
    if (parallel) {
      scf::ParallelOp::create(b, loc, lo, hi, steps,
                              [&](OpBuilder &, Location, ValueRange iv) { f(iv); });
      return;
    }
    SmallVector<Value> ivs;
    std::function<void(size_t)> nest = [&](size_t d) {
      if (d == lo.size())
        return f(ivs);
      scf::ForOp::create(b, loc, lo[d], hi[d], steps[d], ValueRange{},
                         [&](OpBuilder &, Location, Value iv, ValueRange) {
                           ivs.push_back(iv);
                           nest(d + 1);
                           ivs.pop_back();
                           scf::YieldOp::create(b, loc);
                         });
    };
    nest(0);
  }

  /// The kernel: rows in blocks of kMR (each weight load feeds kMR rows)
  /// and, when M % kMR != 0, b blocks of kMR - 1 (M = 6a + 5b, b < 6) if
  /// M >= 5b; a narrower tile, or a single row (GEMV) kSingleNV column
  /// blocks at once, only for what a smaller M leaves. The row blocks go in bands
  /// of about kBandBytes of A (held in L2): per band the rows' sums (the
  /// weights' shift correction) first, then the tiles, shared out to the
  /// threads. When a column group's weights (K x 64 bytes) fit in L1, each
  /// group serves every row block of the band; otherwise each row block
  /// (6 rows of A, in L1) takes the column groups of a band of weights
  /// (kWeightBandBytes, in L2) in turn: at 1024^3 7-10% faster than groups
  /// outside (Emerald Rapids), whose result stores jump between the band's
  /// rows.
  /// Measured no faster on Zen 5 (8 x 2 tile): 4 x 4, 6 x 4, 12 x 2 tiles,
  /// bands of 64, 128, 512 or 1024 KiB; on Emerald Rapids (6 x 4): 4 steps
  /// per loop iteration instead of 2, blocks of K (the weights kept in L1),
  /// software prefetch of the weights.
  void body(int64_t M, bool parallel) {
    // Rows [0, m6) in blocks of kMR, [m6, mBlocks) in blocks of kMR - 1
    // (M = 6a + 5b, b < 6, if M >= 5b), then what is left.
    int64_t fives = (kMR - M % kMR) % kMR;
    if (M < fives * (kMR - 1))
      fives = 0;
    int64_t m6 = fives ? M - fives * (kMR - 1) : M / kMR * kMR;
    int64_t mBlocks = fives ? M : m6;
    int64_t full = N / lanes / kNV * kNV;
    bool tail = full * lanes < N;
    Type i32 = b.getI32Type();
    Value corrBuf;
    if (mBlocks && rowSums())
      corrBuf = memref::AllocOp::create(b, loc, MemRefType::get({mBlocks}, i32),
                                        b.getI64IntegerAttr(64));
    // One tile: `rows` rows from m, the column group from block g (the
    // tails -- blocks past the last whole group -- as one more group).
    auto block = [&](Value g, Value m, int64_t rows, ArrayRef<Value> corr) {
      if (!tail)
        return chunk(m, rows, g, kNV, lanes, corr);
      if (!full)
        return tails(m, rows, kNV, corr);
      Value whole =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, g, idx(full));
      scf::IfOp::create(
          b, loc, whole,
          [&](OpBuilder &, Location) {
            chunk(m, rows, g, kNV, lanes, corr);
            scf::YieldOp::create(b, loc);
          },
          [&](OpBuilder &, Location) {
            tails(m, rows, kNV, corr);
            scf::YieldOp::create(b, loc);
          });
    };
    int64_t groupsEnd = full + (tail ? kNV : 0);
    bool panelInL1 = K * kNV * lanes <= kL1PanelBytes;
    // Rows [lo, hi) in blocks of `rows`, in bands.
    auto blocks = [&](int64_t lo, int64_t hi, int64_t rows) {
      if (lo == hi)
        return;
      int64_t band = std::min(hi - lo, std::max(rows, kBandBytes / K / rows * rows));
      auto rowCorr = [&](Value m) {
        SmallVector<Value> corr;
        for (int64_t r = 0; corrBuf && r < rows; ++r)
          corr.push_back(memref::LoadOp::create(
              b, loc, corrBuf, ValueRange{arith::AddIOp::create(b, loc, m, idx(r))}));
        return corr;
      };
      scf::ForOp::create(
          b, loc, idx(lo), idx(hi), idx(band), ValueRange{},
          [&](OpBuilder &, Location, Value s, ValueRange) {
            Value end = arith::MinUIOp::create(
                b, loc, arith::AddIOp::create(b, loc, s, idx(band)), idx(hi));
            // The band's row sums first: they bring its A into L2 for the
            // column groups (one pass over all of A up front read it from
            // memory twice at 1024^3, 2-4% slower).
            if (corrBuf)
              forEach({s}, {end}, {rows}, parallel, [&](ValueRange iv) {
                Value m = iv[0];
                SmallVector<Value> corr = rowCorrections(m, rows);
                for (int64_t r = 0; r < rows; ++r)
                  memref::StoreOp::create(
                      b, loc, corr[r], corrBuf,
                      ValueRange{arith::AddIOp::create(b, loc, m, idx(r))});
              });
            if (panelInL1)
              forEach({idx(0), s}, {idx(groupsEnd), end}, {kNV, rows}, parallel,
                      [&](ValueRange iv) { block(iv[0], iv[1], rows, rowCorr(iv[1])); });
            else {
              // Column groups in bands of about kWeightBandBytes (held in L2).
              int64_t cstep = std::max<int64_t>(1, kWeightBandBytes / (K * kNV * lanes)) * kNV;
              scf::ForOp::create(b, loc, idx(0), idx(groupsEnd), idx(cstep), ValueRange{},
                [&](OpBuilder &, Location, Value c0, ValueRange) {
                  Value c1 = arith::MinUIOp::create(
                      b, loc, arith::AddIOp::create(b, loc, c0, idx(cstep)), idx(groupsEnd));
                  forEach({s, c0}, {end, c1}, {rows, kNV}, parallel,
                          [&](ValueRange iv) { block(iv[1], iv[0], rows, rowCorr(iv[0])); });
                  scf::YieldOp::create(b, loc);
                });
            }
            scf::YieldOp::create(b, loc);
          });
    };
    blocks(0, m6, kMR);
    blocks(m6, mBlocks, kMR - 1);
    if (corrBuf)
      memref::DeallocOp::create(b, loc, corrBuf);
    int64_t rest = M - mBlocks;
    SmallVector<Value> corr;
    if (rest && rowSums())
      corr = rowCorrections(idx(mBlocks), rest);
    // 2 to kMR - 1 remaining rows: one smaller tile per column group.
    if (rest > 1)
      forEach({idx(0)}, {idx(groupsEnd)}, {kNV}, parallel,
              [&](ValueRange iv) { block(iv[0], idx(mBlocks), rest, corr); });
    // A single row (a GEMV): kSingleNV blocks at once.
    if (rest == 1) {
      groups(idx(mBlocks), 1, kSingleNV, idx(0),
             idx(N / lanes / kSingleNV * kSingleNV), corr);
      tails(idx(mBlocks), 1, kSingleNV, corr);
    }
  }
};
} // namespace

FailureOr<Value> qc::buildGemmVNNI(OpBuilder &cb, Operation *anchor,
                                   Value input, ArrayRef<int64_t> w,
                                   ArrayRef<int64_t> bias,
                                   RequantizeOp requant, bool sdot,
                                   bool unsignedInput) {
  assert(!(sdot && unsignedInput) && "sdot multiplies signed bytes only");
  const int64_t kLanes = sdot ? 4 : ::kLanes;
  auto inTy = cast<RankedTensorType>(input.getType());
  int64_t M = inTy.getDimSize(0), K = inTy.getDimSize(1);
  int64_t N = static_cast<int64_t>(bias.size());
  int64_t NB = (N + kLanes - 1) / kLanes, K4 = (K + kGroup - 1) / kGroup;
  // Packed weights (shifted to unsigned for vpdpbusd, unless the input is
  // the unsigned operand) and the bias.
  int64_t NG = (NB + kNV - 1) / kNV;
  SmallVector<int8_t> packed(NG * K4 * kNV * kLanes * kGroup, 0);
  SmallVector<int32_t> biasP(NB * kLanes, 0);
  bool shiftWeights = !sdot && !unsignedInput;
  for (int64_t n = 0; n < N; ++n) {
    int64_t sum = 0;
    for (int64_t k = 0; k < K; ++k) {
      int64_t v = w[n * K + k];
      int64_t blk = n / kLanes;
      sum += v;
      // Shifted, vpdpbusd's unsigned operand: w + 128 (w ^ 0x80 as a byte).
      packed[((((blk / kNV) * K4 + k / kGroup) * kNV + blk % kNV) * kLanes +
              n % kLanes) * kGroup + k % kGroup] =
          static_cast<int8_t>(shiftWeights ? v ^ 0x80 : v);
    }
    // A fused requantize's input zero point folds into the bias, and so
    // does an unsigned input's shift: (x + 128) w = x w + 128 w.
    int64_t nb = bias[n] - (requant ? requant.getInputZp() : 0) -
                 (unsignedInput ? 128 * sum : 0);
    if (nb < INT32_MIN || nb > INT32_MAX)
      return anchor->emitError()
             << "bias of channel " << n
             << " overflows int32 with the input zero point"
             << (unsignedInput ? " and the uint8 input's shift" : "");
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
  if (unsignedInput)
    fn->setAttr("qc.vnni_unsigned_input", mb.getUnitAttr());
  if (requant) {
    fn->setAttr("qc.vnni_requant", FlatSymbolRefAttr::get(rg.getSymNameAttr()));
    fn->setAttr("qc.vnni_out",
                mb.getDenseI32ArrayAttr({requant.getOutputZp(), requant.getMin(),
                                         requant.getMax()}));
  }

  // The call site: the input's buffer, a fresh output buffer.
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
      if (fn->hasAttr("qc.dw_weights") && fn.isExternal()) {
        if (failed(buildDepthwiseBody(fn, parallel)))
          return signalPassFailure();
        continue;
      }
      if (fn->hasAttr("qc.x4_geom") && fn.isExternal()) {
        if (failed(buildRelayoutBody(fn, parallel)))
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
      if (fn->hasAttr("qc.vnni_unsigned_input")) {
        kern.unsignedA = true;
        fn->removeAttr("qc.vnni_unsigned_input");
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
