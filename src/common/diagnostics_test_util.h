// Tests only: the ids of a list of diagnostics, in order, to compare whole.
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"

namespace mxconform::testing {

inline std::vector<std::string_view> DiagnosticIds(const Diagnostics& d) {
  std::vector<std::string_view> out;
  for (const Diagnostic& x : d) {
    out.push_back(x.id);
  }
  return out;
}

}  // namespace mxconform::testing
