//===- AccelTarget.h - the etpu accelerator description ---------*- C++ -*-===//
//
// qc's Edge-TPU-like accelerator ("etpu"): a weight-stationary N x N int8
// MAC array with int32 accumulators, a weight cache (WB), an activation
// buffer (UB), an accumulator memory (ACC), a vector unit with lookup tables
// and a DMA engine. Every size is a parameter; docs/accelerator.md documents
// the machine, its numeric contract and its command set.
//
//===----------------------------------------------------------------------===//
#ifndef QC_TARGET_ACCEL_ACCELTARGET_H
#define QC_TARGET_ACCEL_ACCELTARGET_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qc::accel {

struct AccelTarget {
  std::string name;
  int64_t arrayDim;         ///< N: the MAC array is N x N, ACC rows are N wide
  int64_t weightBytes;      ///< WB: weight / parameter cache
  int64_t bufferBytes;      ///< UB: activation buffer
  int64_t accRows;          ///< ACC: rows of N int32 (two banks of accRows/2)
  int64_t vectorLanes;      ///< vector unit lanes (elements per cycle)
  int64_t dmaBytesPerCycle; ///< DMA bandwidth
  int64_t dmaLatency;       ///< cycles before the first byte of a transfer
  int64_t clockMHz;         ///< only used to print times
  /// Host CPU model for the cost check: int8 MACs and bytes per ns.
  double cpuMacsPerNs;
  double cpuBytesPerNs;

  /// "etpu" (default, 64x64) or "etpu-tiny" (4x4, tiny memories; for tests
  /// that must tile, stream and leave partial tiles).
  static std::optional<AccelTarget> get(const std::string &name);
  static std::vector<std::string> names();
  /// The parameters as one line of `key=value` pairs.
  std::string describe() const;
};

} // namespace qc::accel

#endif // QC_TARGET_ACCEL_ACCELTARGET_H
