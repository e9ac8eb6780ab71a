// What the DNS tests share: packets written as hex in the test files.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace mxconform::dns::test_util {

// Bytes from hex digits; spaces are ignored, anything else fails the test.
inline std::string Hex(std::string_view hex) {
  std::string out;
  int nibble = -1;
  for (char c : hex) {
    int v = -1;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ') {
      continue;
    }
    EXPECT_GE(v, 0) << "bad hex digit " << c;
    if (nibble < 0) {
      nibble = v;
    } else {
      out += static_cast<char>(nibble * 16 + v);
      nibble = -1;
    }
  }
  EXPECT_LT(nibble, 0) << "odd number of hex digits";
  return out;
}

}  // namespace mxconform::dns::test_util
