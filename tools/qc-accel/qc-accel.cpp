//===- qc-accel.cpp - etpu command stream tool ----------------------------===//
//
//   qc-accel disasm FILE            print the command stream as text
//   qc-accel sim FILE [--seed S]    run every region on random inputs in
//                                   checking mode; print cycles per region
//   qc-accel supported-ops          the op set and reason codes (Markdown)
//
//===----------------------------------------------------------------------===//
#include "qc/Target/Accel/Constraints.h"
#include "qc/Target/Accel/Simulator.h"

#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

using namespace qc::accel;

static int usage() {
  std::cerr << "usage: qc-accel disasm FILE | sim FILE [--seed S] | "
               "supported-ops\n";
  return 2;
}

static std::optional<Program> load(const char *path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "qc-accel: cannot open '" << path << "'\n";
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string err;
  auto p = deserialize(ss.str(), err);
  if (!p)
    std::cerr << "qc-accel: " << path << ": " << err << "\n";
  return p;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return usage();
  std::string cmd = argv[1];
  if (cmd == "supported-ops") {
    std::cout << supportedOpsMarkdown();
    return 0;
  }
  if (argc < 3)
    return usage();
  auto prog = load(argv[2]);
  if (!prog)
    return 1;
  if (cmd == "disasm") {
    disassemble(*prog, std::cout);
    return 0;
  }
  if (cmd != "sim")
    return usage();
  unsigned seed = 0;
  for (int i = 3; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--seed"))
      seed = std::stoul(argv[i + 1]);
  std::mt19937 rng(seed);
  Simulator sim(*prog, /*check=*/true);
  for (size_t r = 0; r < prog->regions.size(); ++r) {
    const RegionProgram &reg = prog->regions[r];
    std::vector<std::vector<int8_t>> bufs;
    for (int64_t b : reg.inputBytes) {
      bufs.emplace_back(b);
      for (int8_t &x : bufs.back())
        x = static_cast<int8_t>(rng());
    }
    for (int64_t b : reg.outputBytes)
      bufs.emplace_back(b);
    std::vector<void *> ptrs;
    for (auto &b : bufs)
      ptrs.push_back(b.data());
    SimStats st;
    if (auto err = sim.run(r, ptrs, &st)) {
      std::cerr << "qc-accel: " << *err << "\n";
      return 1;
    }
    std::cout << "region " << reg.name << " cycles=" << st.cycles
              << " init_cycles=" << st.initCycles
              << " commands=" << st.commands << "\n";
  }
  return 0;
}
