// Test-only: an address from its text, for the SPF unit tests.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string_view>

#include "spf/ip.h"

namespace mxconform::spf::testing {

// ParseIp(s), failing the test (and returning 0.0.0.0) if `s` is no address.
inline IpAddress Ip(std::string_view s) {
  std::optional<IpAddress> a = ParseIp(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddress{});
}

}  // namespace mxconform::spf::testing
