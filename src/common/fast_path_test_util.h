// Test-only (includes gtest): the check every parser with fast paths makes
// in its unit tests. Each input is parsed under both profiles with
// `fast_paths` on and off; the verdict, the value (compared by the caller's
// `expect_same_value`) and the diagnostics (ids and offsets, in order) must
// agree. The fuzzers make the same comparison on arbitrary inputs.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "common/profile.h"
#include "common/result.h"

namespace mxconform::testing {

template <typename Options, typename Out, typename Parse, typename ExpectSameValue>
void ExpectFastPathsAgree(const std::vector<std::string>& inputs, Parse parse,
                          ExpectSameValue expect_same_value) {
  for (Profile profile : {Profile::kStrict, Profile::kInterop}) {
    for (const auto& in : inputs) {
      Options fast;
      fast.profile = profile;
      Options slow = fast;
      slow.fast_paths = false;
      Out a;
      Out b;
      ASSERT_EQ(parse(in, fast, a), parse(in, slow, b)) << in;
      expect_same_value(a, b, in);
      ASSERT_EQ(a.diagnostics.size(), b.diagnostics.size()) << in;
      for (std::size_t i = 0; i < a.diagnostics.size(); ++i) {
        EXPECT_EQ(a.diagnostics[i].id, b.diagnostics[i].id) << in;
        EXPECT_EQ(a.diagnostics[i].offset, b.diagnostics[i].offset) << in;
      }
    }
  }
}

}  // namespace mxconform::testing
