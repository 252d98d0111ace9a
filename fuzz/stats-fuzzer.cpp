//===- stats-fuzzer.cpp - fuzz the statistics file reader -----------------===//
#include "qc/Transforms/Statistics.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string err;
  auto stats = qc::Statistics::parse(
      llvm::StringRef(reinterpret_cast<const char *>(data), size), err);
  if (!stats)
    return 0;
  for (const char *name : {"input", "relu", "", "tensors", "range"})
    (void)stats->range(name, err);
  return 0;
}
