//===- Simulator.h - functional simulator of the etpu command stream -*- C++ -*-===//
//
// Executes a region's commands on byte arrays for UB, WB, ACC and the host's
// DRAM buffers, with the numeric contract of docs/accelerator.md (TFLite
// MultiplyByQuantizedMultiplier from qc/Support/FixedPoint.h, the helper the
// compiler and the reference tests use). In checking mode every access is
// bounds-checked, reads of never-written memory are errors, and so is a read
// (or overwrite) of data whose writer (reader) on another queue is not
// ordered before it by dependency tokens. Cycles come from the same cost
// model and timeline as the compiler's estimate.
//
//===----------------------------------------------------------------------===//
#ifndef QC_TARGET_ACCEL_SIMULATOR_H
#define QC_TARGET_ACCEL_SIMULATOR_H

#include "qc/Target/Accel/CommandStream.h"

#include <memory>

namespace qc::accel {

struct SimStats {
  int64_t cycles = 0;     ///< per-submit cycles (body)
  int64_t initCycles = 0; ///< one-time weight cache fill
  int64_t commands = 0;
  std::vector<int64_t> layerCycles;
};

class Simulator {
public:
  Simulator(Program program, bool check);
  ~Simulator();
  const Program &program() const;
  /// Runs region `region` on the host buffers (inputs then outputs, sizes as
  /// in the region header). Returns an error naming the command, or nullopt.
  std::optional<std::string> run(size_t region, const std::vector<void *> &io,
                                 SimStats *stats = nullptr);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace qc::accel

#endif // QC_TARGET_ACCEL_SIMULATOR_H
