//===- Constraints.h - which integer ops the etpu runs, and why not -*- C++ -*-===//
//
// The integer IR (after --qc-fold-rescale) is grouped into units, one per
// accelerator layer op (a conv with its requantize, an add with its three
// rescales, ...). Every constraint of the registry is checked on every unit
// and every violation is kept, as "CODE: message with the offending values".
// The same registry generates docs/accelerator-ops.md.
//
//===----------------------------------------------------------------------===//
#ifndef QC_TARGET_ACCEL_CONSTRAINTS_H
#define QC_TARGET_ACCEL_CONSTRAINTS_H

#include "qc/Target/Accel/AccelTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace qc::accel {

enum class UnitKind {
  Conv,
  Depthwise,
  Matmul,
  MaxPool,
  SumPool,
  Add,
  Lut,
  Requant,
  View,
  Other
};
const char *unitKindName(UnitKind k);

struct Unit {
  UnitKind kind = UnitKind::Other;
  mlir::Operation *anchor = nullptr;      ///< the op the unit is named after
  llvm::SmallVector<mlir::Operation *> ops; ///< members, in program order
  mlir::Operation *last = nullptr;         ///< produces the unit's result
  std::string name;
  int64_t macs = 0;
  std::vector<std::string> reasons;        ///< empty: the accelerator can run it

  mlir::Value result() const { return last->getResult(0); }
  /// Operands coming from outside the unit (constants included).
  llvm::SmallVector<mlir::Value> inputs() const;
};

/// Groups the ops of `f` (constants and the return aside) into units.
std::vector<Unit> formUnits(mlir::func::FuncOp f);

struct Constraint {
  const char *code;
  const char *appliesTo; ///< documentation: which units
  const char *rule;      ///< documentation: the rule
  std::function<std::optional<std::string>(const Unit &, const AccelTarget &)>
      check;
};
const std::vector<Constraint> &constraintRegistry();
/// Runs every constraint on `u`, appending every violation to u.reasons.
void checkUnit(Unit &u, const AccelTarget &t);

/// Reasons the partitioner adds (not per-unit constraints).
extern const char *const kReasonCost, *const kReasonLowering,
    *const kReasonRegionIO, *const kReasonViewAlone;
/// Markdown reference of the op set, the constraints and the region reasons.
std::string supportedOpsMarkdown();

} // namespace qc::accel

#endif // QC_TARGET_ACCEL_CONSTRAINTS_H
