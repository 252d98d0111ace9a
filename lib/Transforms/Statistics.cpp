//===- Statistics.cpp - the calibration statistics file -------------------===//
#include "qc/Transforms/Statistics.h"

#include <cmath>

using namespace qc;

std::optional<Statistics> Statistics::parse(llvm::StringRef text,
                                            std::string &err) {
  auto parsed = llvm::json::parse(text);
  if (!parsed) {
    err = "is not valid JSON: " + llvm::toString(parsed.takeError());
    return std::nullopt;
  }
  const llvm::json::Object *root = parsed->getAsObject();
  if (!root || !root->getObject("tensors")) {
    err = "has no \"tensors\" object";
    return std::nullopt;
  }
  return Statistics(std::move(*parsed));
}

std::optional<std::pair<double, double>>
Statistics::range(llvm::StringRef name, std::string &err) const {
  const llvm::json::Object *entry =
      root.getAsObject()->getObject("tensors")->getObject(name);
  if (!entry) {
    err = "no statistics for tensor '" + name.str() + "'";
    return std::nullopt;
  }
  std::optional<double> lo, hi;
  if (const llvm::json::Array *r = entry->getArray("range");
      r && r->size() == 2) {
    lo = (*r)[0].getAsNumber();
    hi = (*r)[1].getAsNumber();
  } else {
    lo = entry->getNumber("min");
    hi = entry->getNumber("max");
  }
  if (!lo || !hi || !std::isfinite(*lo) || !std::isfinite(*hi) || *lo > *hi) {
    err = "statistics for tensor '" + name.str() +
          "' are missing, not finite or inverted";
    return std::nullopt;
  }
  return std::make_pair(*lo, *hi);
}
