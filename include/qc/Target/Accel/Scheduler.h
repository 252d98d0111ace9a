//===- Scheduler.h - region-level ops to an etpu command stream -*- C++ -*-===//
//
// Memory planning and scheduling of one accelerator region (a func.func of
// qc_accel layer ops): region tensors get DRAM places (inputs, outputs, a
// scratch buffer), each layer's weights and requantize records are packed
// into the region's weight blob in the order the commands consume them,
// weights go to the weight cache in priority order (the layers re-read most
// often first) and the rest stream through a three-slot window, activations
// are tiled to fit UB and ACC. Dependency tokens come from tracking which
// command last wrote and read each buffer. Running out of memory changes
// tiles or streams weights; only a layer whose smallest tile cannot fit
// fails, with a message naming it.
//
//===----------------------------------------------------------------------===//
#ifndef QC_TARGET_ACCEL_SCHEDULER_H
#define QC_TARGET_ACCEL_SCHEDULER_H

#include "qc/Target/Accel/CommandStream.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace qc::accel {

/// The weight cache shared by every region of a model.
struct WeightCache {
  int64_t capacity = 0;
  int64_t used = 0;
};
/// The weight cache of `t`: WB less the streaming window.
WeightCache makeWeightCache(const AccelTarget &t);

struct LayerPlan {
  std::string name, kind;
  int64_t macs = 0;
  int64_t weightBytes = 0; ///< weights + requantize records + tables
  bool cached = false;
  int64_t cycles = 0; ///< critical-path cycles (Timeline::layerCycles)
  int64_t tiles = 0;
};

struct Schedule {
  RegionProgram program;
  std::vector<LayerPlan> layers;
  Timeline timeline;
  int64_t ubPeak = 0, accPeak = 0; ///< bytes of UB, int32 elements of ACC
  int64_t dramReadBytes = 0, dramWriteBytes = 0;
};

/// Schedules `region`; on failure returns std::nullopt with `error` set.
std::optional<Schedule> scheduleRegion(mlir::func::FuncOp region,
                                       const AccelTarget &t, WeightCache &cache,
                                       std::string &error);

} // namespace qc::accel

#endif // QC_TARGET_ACCEL_SCHEDULER_H
