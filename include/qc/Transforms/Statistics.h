//===- Statistics.h - the calibration statistics file -----------*- C++ -*-===//
#ifndef QC_TRANSFORMS_STATISTICS_H
#define QC_TRANSFORMS_STATISTICS_H

#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <utility>

namespace qc {

/// The statistics file written by calibration (format in docs/design.md).
class Statistics {
public:
  /// Parses the file's text; on failure returns std::nullopt and sets `err`.
  static std::optional<Statistics> parse(llvm::StringRef text,
                                         std::string &err);

  /// The range to quantize tensor `name` to: its "range" [lo, hi] when
  /// calibration chose one, else "min" / "max". Sets `err` and returns
  /// std::nullopt when the entry is missing, not finite or inverted.
  std::optional<std::pair<double, double>> range(llvm::StringRef name,
                                                 std::string &err) const;

private:
  explicit Statistics(llvm::json::Value v) : root(std::move(v)) {}
  llvm::json::Value root;
};

} // namespace qc

#endif // QC_TRANSFORMS_STATISTICS_H
