//===- Pipelines.cpp - qc-lower-to-llvm pipeline --------------------------===//
#include "qc/Conversion/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

// Integer qc IR -> linalg on tensors -> buffers (results become out-params,
// identity layouts for a plain C ABI) -> loops -> LLVM dialect. Kept as text
// so `qc-opt --qc-lower-to-llvm` and the docs show the same list.
static const char kLowerToLLVM[] =
    "convert-qc-to-linalg{vnni=VNNI sdot=SDOT},"
    "func.func(tosa-to-linalg-named,tosa-to-tensor,tosa-to-linalg),"
    "tosa-to-arith{include-apply-rescale=true},"
    "canonicalize,"
    "func.func(qc-fuse-elementwise),"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-results-to-out-params{hoist-static-allocs=true modify-public-functions=true},"
    "buffer-deallocation-pipeline,qc-memref-copy-to-linalg,"
    "qc-vnni-kernels{parallel=THREADS},LOOPS"
    "lower-affine,convert-scf-to-cf,canonicalize,"
    "expand-strided-metadata,convert-vector-to-llvm,"
    "finalize-memref-to-llvm{use-generic-functions=REUSE},"
    "convert-math-to-llvm,convert-math-to-libm,convert-arith-to-llvm,"
    "convert-cf-to-llvm,"
    "convert-func-to-llvm,OMP_LLVMreconcile-unrealized-casts";

// Sequential loops, or (threads) parallel loops shared out by OpenMP.
static const char kSequentialLoops[] = "func.func(convert-linalg-to-loops),";
static const char kParallelLoops[] =
    "func.func(convert-linalg-to-parallel-loops),qc-parallel-loops,qc-claim-shares,"
    "convert-scf-to-openmp,qc-inline-alloca-scopes,";

namespace {
struct LowerOptions : public PassPipelineOptions<LowerOptions> {
  Option<bool> vnni{*this, "vnni",
                    llvm::cl::desc("Lower int8 gemms to the AVX-512 VNNI "
                                   "kernel (convert-qc-to-linalg{vnni})"),
                    llvm::cl::init(false)};
  Option<bool> sdot{*this, "sdot",
                    llvm::cl::desc("Lower int8 gemms to the AArch64 sdot "
                                   "kernel (convert-qc-to-linalg{sdot})"),
                    llvm::cl::init(false)};
  Option<bool> reuseBuffers{
      *this, "reuse-buffers",
      llvm::cl::desc("Allocate buffers through _mlir_memref_to_llvm_alloc / "
                     "_mlir_memref_to_llvm_free, which the model's C wrapper "
                     "defines with a per-thread pool (no page faults per call)"),
      llvm::cl::init(false)};
  Option<bool> threads{
      *this, "threads",
      llvm::cl::desc("Share the work of each large loop nest and of the VNNI "
                     "kernel's rows out to OpenMP threads (qc-parallel-loops, "
                     "qc-claim-shares, convert-scf-to-openmp); the library "
                     "links libomp"),
      llvm::cl::init(false)};
};

void substitute(std::string &text, StringRef key, StringRef value) {
  text.replace(text.find(key.str()), key.size(), value.str());
}
} // namespace

void qc::registerQCPipelines() {
  PassPipelineRegistration<LowerOptions>(
      "qc-lower-to-llvm",
      "Lower integer qc IR through linalg and bufferization to the LLVM "
      "dialect",
      [](OpPassManager &pm, const LowerOptions &opts) {
        std::string text = kLowerToLLVM;
        auto flag = [](bool v) { return v ? "true" : "false"; };
        substitute(text, "VNNI", flag(opts.vnni));
        substitute(text, "REUSE", flag(opts.reuseBuffers));
        substitute(text, "SDOT", flag(opts.sdot));
        substitute(text, "THREADS", flag(opts.threads));
        substitute(text, "LOOPS",
                   opts.threads ? kParallelLoops : kSequentialLoops);
        substitute(text, "OMP_LLVM", opts.threads ? "convert-openmp-to-llvm," : "");
        if (failed(parsePassPipeline(text, pm, llvm::errs())))
          llvm::report_fatal_error("qc-lower-to-llvm pipeline does not parse");
      });
}
