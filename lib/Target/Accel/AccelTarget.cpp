//===- AccelTarget.cpp - the etpu accelerator description -----------------===//
#include "qc/Target/Accel/AccelTarget.h"

#include <sstream>

using namespace qc::accel;

std::optional<AccelTarget> AccelTarget::get(const std::string &name) {
  // The CPU model (16 MAC/ns, 8 B/ns) is the order of qc's own one-thread
  // x86 int8 code (benchmarks/gemm.py); see docs/accelerator.md.
  if (name == "etpu")
    return AccelTarget{name,    64,  6 << 20, 2 << 20, 2048, 64, 16, 64,
                       500,     16.0, 8.0};
  if (name == "etpu-tiny")
    return AccelTarget{name, 4, 1024, 2048, 32, 4, 4, 64, 500, 16.0, 8.0};
  return std::nullopt;
}

std::vector<std::string> AccelTarget::names() { return {"etpu", "etpu-tiny"}; }

std::string AccelTarget::describe() const {
  std::ostringstream os;
  os << "target=" << name << " array=" << arrayDim << "x" << arrayDim
     << " wb=" << weightBytes << " ub=" << bufferBytes << " acc=" << accRows
     << "x" << arrayDim << "xi32 lanes=" << vectorLanes
     << " dma=" << dmaBytesPerCycle << "B/cycle+" << dmaLatency
     << " clock=" << clockMHz << "MHz";
  return os.str();
}
