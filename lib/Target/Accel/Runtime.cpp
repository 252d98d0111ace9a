//===- Runtime.cpp - libqc_accel_rt: submit regions to the simulator ------===//
//
// The C API compiled models use to run their accelerator regions. The
// backend is the in-process functional simulator (checking mode on unless
// QC_ACCEL_CHECK=0); a device backend would implement the same calls.
//
//===----------------------------------------------------------------------===//
#include "qc/Target/Accel/Simulator.h"

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

using namespace qc::accel;

namespace {
struct Handle {
  Simulator sim;
  int64_t cycles = 0, initCycles = 0, submits = 0;
};
thread_local std::string lastError;
} // namespace

extern "C" {

/// Opens a command stream file; null on failure (see qc_accel_error).
void *qc_accel_open(const char *path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    lastError = std::string("cannot open accelerator program '") + path + "'";
    return nullptr;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string err;
  auto prog = deserialize(ss.str(), err);
  if (!prog) {
    lastError = std::string(path) + ": " + err;
    return nullptr;
  }
  const char *check = std::getenv("QC_ACCEL_CHECK");
  bool checking = !check || std::strcmp(check, "0") != 0;
  return new Handle{Simulator(std::move(*prog), checking)};
}

void qc_accel_close(void *h) { delete static_cast<Handle *>(h); }

const char *qc_accel_error(void) { return lastError.c_str(); }

/// Runs `region` on `n` buffers (inputs then outputs). 0 on success.
int qc_accel_run(void *h, int region, int n, void **bufs) {
  auto *hd = static_cast<Handle *>(h);
  SimStats st;
  auto err = hd->sim.run(region, std::vector<void *>(bufs, bufs + n), &st);
  if (err) {
    lastError = *err;
    return 1;
  }
  hd->cycles += st.cycles;
  hd->initCycles += st.initCycles;
  ++hd->submits;
  return 0;
}

/// Accumulated simulated cycles of every submit since open (or the last
/// reset), and the one-time weight-cache fill.
int64_t qc_accel_cycles(void *h) { return static_cast<Handle *>(h)->cycles; }
int64_t qc_accel_init_cycles(void *h) {
  return static_cast<Handle *>(h)->initCycles;
}
int64_t qc_accel_submits(void *h) { return static_cast<Handle *>(h)->submits; }
void qc_accel_reset_stats(void *h) {
  auto *hd = static_cast<Handle *>(h);
  hd->cycles = hd->initCycles = hd->submits = 0;
}
}
