// Shared MTA-STS types (RFC 8461).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mxconform::mtasts {

// Which reading of the grammar a parser applies. `kStrict` is the RFC 8461
// ABNF plus the §3.2 prose cap on max_age; `kInterop` also accepts what
// deployed senders accept (blank lines, white space around names, max_age
// above the cap clamped, malformed extensions ignored). Everything strict
// accepts, interop accepts with the same meaning; each relaxation is
// reported as a warning diagnostic.
enum class Profile : std::uint8_t { kStrict, kInterop };

std::string_view ProfileName(Profile p);
// Returns false for a name other than "strict" / "interop".
bool ParseProfileName(std::string_view name, Profile& out);

struct ParseOptions {
  Profile profile = Profile::kStrict;
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
constexpr std::size_t kMaxPolicyBytes = 64 * 1024;

}  // namespace mxconform::mtasts
