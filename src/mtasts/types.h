// Shared MTA-STS types (RFC 8461).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/profile.h"
#include "common/result.h"

namespace mxconform::mtasts {

// RFC 8461 policy-file specifics of the profiles: interop accepts blank
// lines, white space around field names, max_age above the cap (clamped) and
// malformed extensions (ignored); strict is the ABNF plus the §3.2 cap.
using mxconform::Profile;

struct ParseOptions {
  Profile profile = Profile::kStrict;
  // Use the SIMD fast paths for common lines. They accept exactly what the
  // general path accepts; tests and fuzzers turn them off to compare.
  bool fast_paths = true;
};

// An extension field (`name=value` in the TXT record, `name: value` in the
// policy file). Kept, in order, but carries no meaning (RFC 8461 §3.1/§3.2).
struct Extension {
  std::string name;
  std::string value;
  bool operator==(const Extension&) const = default;
};

// RFC 8461 §3.2: hard limit on max_age.
constexpr std::uint32_t kMaxAgeCap = 31557600;
// RFC 8461 §3.3 suggests a 64 KiB cap on the policy body.
constexpr std::size_t kMaxPolicyBytes = std::size_t{64} * 1024;

}  // namespace mxconform::mtasts
