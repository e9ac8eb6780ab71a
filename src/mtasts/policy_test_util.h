// Tests only: a policy built by hand, valid, with the given mode and mx
// patterns (max_age one day).
#pragma once

#include <string>
#include <vector>

#include "mtasts/policy.h"

namespace mxconform::mtasts::fixtures {

inline Policy MakePolicy(Mode mode,
                         std::vector<std::string> mx = {"mx1.example.com", "*.mx.example.com"}) {
  Policy p;
  p.mode = mode;
  p.max_age = 86400;
  for (const auto& m : mx) {
    p.AddMx(m);
  }
  return p;
}

}  // namespace mxconform::mtasts::fixtures
