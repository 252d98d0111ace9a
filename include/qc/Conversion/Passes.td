//===- Passes.td - qc conversion passes --------------------*- tablegen -*-===//
#ifndef QC_CONVERSION_PASSES
#define QC_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertQCToLinalg : Pass<"convert-qc-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower integer qc ops to linalg, tensor and arith";
  let description = [{
    * `qc.quantize` / `qc.dequantize`: elementwise `linalg.generic` in f32
      (`divf`, `roundeven`, clamp; `subi`, `sitofp`, `mulf`);
    * integer `qc.conv2d`: `tensor.pad` with the input zero point, then
      `linalg.conv_2d_nchw_fchw` (or `linalg.depthwise_conv_2d_nchw_chw`) on
      i8 operands into i32, with `-input_zp * sum(w)` folded into the bias at
      compile time (weights must be constant with zero point 0);
    * integer `qc.gemm`: `linalg.matmul` on i8 into i32, same folding;
    * `qc.max_pool2d` (i8): `tensor.pad` with -128 and
      `linalg.pooling_nchw_max`;
    * `qc.sum_pool2d`: widen, subtract the zero point, pad with 0,
      `linalg.pooling_nchw_sum`;
    * `qc.requantize` (dyadic form only): `linalg.generic` with
      `tosa.apply_scale` (double rounding), zero point, clamp, truncation.

    Float graph ops and non-dyadic requantizes are refused with an error
    naming the op.

    With `vnni`, an integer `qc.gemm` instead calls a generated kernel that
    runs on AVX-512 VNNI `vpdpbusd` (lib/Conversion/QCToLinalg/GemmVNNI.cpp):
    weights packed at compile time (shifted to unsigned, vpdpbusd's unsigned
    operand), accumulators in registers, -128 x each row's sum of the input
    added at run time; when the gemm reads `tosa.bitwise_xor x, -128` (a
    uint8 input), x's bytes are the unsigned operand instead, the weights
    stay signed and the correction is a constant in the bias (no row sums);
    the int32 results are identical. Group-1 int8 convs
    get their own kernels: on NCHW rows for 1x1 stride-1 unpadded ones
    (PointwiseVNNI.cpp), on stride phases of the input for the others
    (DirectConvVNNI.cpp). With `sdot`, the same gemm kernel on AArch64 `sdot`
    (4 lanes, signed x signed, no shift). With either, an int8 depthwise
    conv of column stride 1 or 2 becomes a vector kernel along output rows
    (DepthwiseKernel.cpp: taps unrolled, accumulators in registers). Each
    kernel applies the requantize after it, when it is that op's only user,
    in its epilogue.
  }];
  let options = [
    Option<"vnni", "vnni", "bool", /*default=*/"false",
           "Lower int8 gemms and group-1 convs to the AVX-512 VNNI kernel">,
    Option<"sdot", "sdot", "bool", /*default=*/"false",
           "Lower int8 gemms and group-1 convs to the AArch64 sdot kernel">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tosa::TosaDialect"];
}

def QCFuseElementwise : Pass<"qc-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Fuse elementwise linalg ops, never into reductions";
  let description = [{
    Upstream `linalg-fuse-elementwise-ops` also fuses an elementwise producer
    into a contraction or a row reduction that reads it, which then
    recomputes the producer once per use: a requantize fused into the next
    matmul ran K-fold (tiny_vit's int8 build spent most of its time there).
    This pass fuses only into consumers without reduction loops, and only
    producers with a single use.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def QCVNNIKernels : Pass<"qc-vnni-kernels", "::mlir::ModuleOp"> {
  let summary = "Give the kernel declarations (gemm, convs) their bodies";
  let description = [{
    `convert-qc-to-linalg{vnni=true}` (or `{sdot=true}`) declares one kernel
    per gemm and conv it lowers to a kernel (with its packed weight, bias
    and requantize globals); after buffer deallocation, which refuses the
    dot-product intrinsics, this pass writes each body: for a gemm, loops
    over 6-row x 64-column tiles with the accumulators in vector registers
    and `llvm.x86.avx512.vpdpbusd.512` over the reduction (see
    lib/Conversion/QCToLinalg/GemmVNNI.cpp); for a stride-1 unpadded 1x1
    conv, vectors along the pixels of the NCHW rows, 4 input channels
    interleaved per pixel by shuffles, so neither input nor output is
    transposed (PointwiseVNNI.cpp); for other group-1 convs, the direct
    kernel on stride phases and the relayout of its input into them, 4
    channels per pixel, padded (DirectConvVNNI.cpp); for a depthwise conv,
    vpdpbusd on 4-byte windows of each channel's (padded) rows, or plain
    multiply-adds on AArch64 (DepthwiseKernel.cpp). With `parallel`, the
    kernels' outer loops (the gemm's row sums and its column groups x row
    blocks, the convs' pixel groups or channels, the relayout's rows) are
    `scf.parallel` (threads share them out; see `qc-parallel-loops`).
  }];
  let options = [
    Option<"parallel", "parallel", "bool", "false",
           "Make the kernels' outer loops scf.parallel">
  ];
  let dependentDialects = ["::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::LLVM::LLVMDialect"];
}

def QCMemrefCopyToLinalg : Pass<"qc-memref-copy-to-linalg"> {
  let summary = "Rewrite memref.copy as linalg.copy";
  let description = [{
    Bufferizing `tensor.pad` copies into a strided subview with
    `memref.copy`, which `finalize-memref-to-llvm` lowers to a call into the
    MLIR runner library (`memrefCopy`) unless both sides are contiguous.
    Rewriting the copies as `linalg.copy` turns them into plain loops, so the
    compiled model needs no runtime library.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def QCParallelLoops : Pass<"qc-parallel-loops"> {
  let summary = "Choose the scf.parallel loops that run on threads";
  let description = [{
    After `convert-linalg-to-parallel-loops` every parallel dimension is an
    `scf.parallel`, and `convert-scf-to-openmp` would fork a thread team for
    each one, nested ones included. This pass leaves an `scf.parallel` only
    where sharing the work out pays: for each outermost loop that executes
    at least `min-work` operations (static trip counts multiplied out; a
    dynamic dim such as the batch counts once), it keeps the leading dims
    whose trip counts multiply to at least `min-iterations` and turns the
    other dims into `scf.for` inside, so the innermost loop still
    vectorizes. Nested and small `scf.parallel` loops become `scf.for`
    nests. Loops with reductions are refused (their result would depend on
    the thread count).
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", "65536",
           "Fewest operations an outermost loop must execute to run on threads">,
    Option<"minIterations", "min-iterations", "int64_t", "16",
           "Fewest iterations of the kept leading dims (shares to hand out)">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def QCClaimShares : Pass<"qc-claim-shares"> {
  let summary = "Let threads claim the chunks of each scf.parallel at run time";
  let description = [{
    Rewrites every outermost `scf.parallel` (run after `qc-parallel-loops`,
    which keeps only loops worth sharing out, before `convert-scf-to-openmp`)
    into an `omp.parallel` over `chunks` contiguous chunks of its
    iterations. Each of the first 64 threads owns a contiguous range of the
    chunks and claims them, one at a time, from its own counter on the
    function's stack (`memref.atomic_rmw addi`, a cache line per counter);
    a thread that has run out takes what is left of the other owners'
    ranges. Under OpenMP's static schedule a thread that runs slower -- a
    cloud core whose neighbour is busy -- holds up the other at the loop's
    end; here the faster thread takes more chunks, while each thread still
    works on the same part of every loop (its data stays in its cache) and
    claims without contention. There is no worksharing loop: Debian's
    libomp formats a trace string in every worksharing loop's setup
    (`__kmpc_for_static_init`, `__kmpc_dispatch_init`), which made its
    dynamic schedule slower than static on ResNet-18 and cost even one
    thread 8% of ResNet-18's time. Static allocas at the top of the loop's
    body (kernels' scratch buffers) are made once per thread. On one thread
    the chunks run in the order of the original loop. Loops with reductions
    are left to `convert-scf-to-openmp`.
  }];
  let options = [
    Option<"chunks", "chunks", "int64_t", "16",
           "Chunks per loop, split among the owners' ranges: more balance "
           "the threads better, each costs an atomic add">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::omp::OpenMPDialect",
                           "::mlir::scf::SCFDialect"];
}

def QCInlineAllocaScopes : Pass<"qc-inline-alloca-scopes"> {
  let summary = "Inline memref.alloca_scope regions that hold no alloca";
  let description = [{
    `convert-scf-to-openmp` wraps each shared-out loop body in
    `memref.alloca_scope`. Upstream canonicalization keeps a scope whose body
    has an op with unknown memory effects (the VNNI kernel's
    `llvm.call_intrinsic`), and `convert-scf-to-cf` then gives it several
    blocks, which its verifier refuses. A scope without `memref.alloca` or
    `llvm.alloca` inside changes nothing: this pass inlines it.

    Loops without reductions reach it already shared out by
    `qc-claim-shares` (libomp's own dynamic and guided schedules were 2.0x
    and 1.15x slower than static on ResNet-18 with 2 threads).
  }];
}

#endif // QC_CONVERSION_PASSES
