// Which reading of a grammar a parser applies.
#pragma once

#include <cstdint>
#include <string_view>

namespace mxconform {

// `kStrict` is the RFC's ABNF plus its prose limits; `kInterop` also accepts
// what deployed implementations accept. Everything strict accepts, interop
// accepts with the same meaning; each relaxation interop applies is reported
// as a warning diagnostic.
enum class Profile : std::uint8_t { kStrict, kInterop };

constexpr std::string_view ProfileName(Profile p) {
  return p == Profile::kStrict ? "strict" : "interop";
}

// Returns false for a name other than "strict" / "interop".
constexpr bool ParseProfileName(std::string_view name, Profile& out) {
  if (name == "strict") {
    out = Profile::kStrict;
    return true;
  }
  if (name == "interop") {
    out = Profile::kInterop;
    return true;
  }
  return false;
}

}  // namespace mxconform
