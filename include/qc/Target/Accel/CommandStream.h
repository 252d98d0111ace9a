//===- CommandStream.h - etpu commands, cost model, serialization -*- C++ -*-===//
//
// The scheduled (level-2) form of an accelerator region is a list of
// commands on three in-order queues (load, compute, store) ordered across
// queues by dependency tokens: a command waits for the earlier commands it
// names. One table describes every command (name, queue, fields); the MLIR
// ops of the QCAccel dialect, the binary command stream, the disassembler,
// the simulator and the cycle model all read it.
//
//===----------------------------------------------------------------------===//
#ifndef QC_TARGET_ACCEL_COMMANDSTREAM_H
#define QC_TARGET_ACCEL_COMMANDSTREAM_H

#include "qc/Target/Accel/AccelTarget.h"

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace qc::accel {

enum class CmdKind : uint8_t {
  DmaIn = 1,
  DmaWeights,
  DmaOut,
  Im2Col,
  LoadWeights,
  MxuTile,
  VecDepthwise,
  VecPool,
  Activate,
  VecAdd,
  VecLut,
  VecRequant,
};

enum Queue : uint8_t { LoadQueue = 0, ComputeQueue = 1, StoreQueue = 2 };

struct CmdInfo {
  CmdKind kind;
  const char *name;
  Queue queue;
  std::vector<const char *> fields;
  const char *summary;
};

const std::vector<CmdInfo> &commandTable();
const CmdInfo *lookupCommand(CmdKind kind);
const CmdInfo *lookupCommand(const std::string &name);

struct Command {
  CmdKind kind;
  int32_t layer = 0;
  std::vector<int32_t> waits; ///< indices of earlier commands (tokens)
  std::vector<int64_t> f;     ///< fields, in commandTable() order

  const CmdInfo &info() const { return *lookupCommand(kind); }
  /// The field called `name` (asserts it exists).
  int64_t at(const char *name) const;
};

/// Builds a command from (name, value) pairs in any order; fields not given
/// are 0.
Command makeCommand(CmdKind kind, int32_t layer, std::vector<int32_t> waits,
                    std::initializer_list<std::pair<const char *, int64_t>> fs);

/// Memories a command touches. DRAM buffers are numbered: region inputs,
/// then outputs, then the scratch buffer, then the weight blob.
enum class Mem : uint8_t { UB, WB, ACC, DRAM };
struct Access {
  Mem mem;
  int64_t buffer; ///< DRAM buffer number (0 for on-chip memories)
  int64_t begin, end;
  bool write;
};
/// The bounding range of every memory a command reads or writes (ACC in
/// int32 elements, the rest in bytes).
std::vector<Access> commandAccesses(const Command &c, const AccelTarget &t);
/// Static checks of one command: field ranges, on-chip bounds, DRAM bounds
/// against `dramBytes` (one size per DRAM buffer). Returns the violation.
std::optional<std::string> checkCommand(const Command &c, const AccelTarget &t,
                                        const std::vector<int64_t> &dramBytes);

/// Cycles one command occupies its queue (the shared cost model).
int64_t commandCycles(const Command &c, const AccelTarget &t);

/// Queue timeline: a command starts when its queue is free and every command
/// it waits for has finished. Shared by the compiler's estimator and the
/// simulator.
struct Timeline {
  std::vector<int64_t> end;
  int64_t queueEnd[3] = {0, 0, 0};
  int64_t total = 0;
  /// Per-layer critical-path cycles: how far each layer moved the finish.
  std::vector<int64_t> layerCycles;
  void add(const Command &c, int64_t cycles);
};
Timeline estimate(const std::vector<Command> &cmds, const AccelTarget &t,
                  size_t numLayers);

struct RegionProgram {
  std::string name;
  std::vector<int64_t> inputBytes, outputBytes;
  int64_t scratchBytes = 0;
  std::vector<int8_t> weights;
  std::vector<std::string> layers;
  std::vector<Command> init; ///< runs once, when the program is loaded
  std::vector<Command> body; ///< runs on every submit

  std::vector<int64_t> dramBytes() const;
  int64_t scratchBuffer() const { return inputBytes.size() + outputBytes.size(); }
  int64_t weightBuffer() const { return scratchBuffer() + 1; }
};

struct Program {
  AccelTarget target;
  std::vector<RegionProgram> regions;
};

/// The binary command stream: little endian, magic "QCX1".
std::string serialize(const Program &p);
std::optional<Program> deserialize(const std::string &bytes, std::string &error);
/// Text form of a command stream, one command per line (FileCheck-able).
void disassemble(const Program &p, std::ostream &os);
void printCommand(const Command &c, size_t index, std::ostream &os);

} // namespace qc::accel

#endif // QC_TARGET_ACCEL_COMMANDSTREAM_H
