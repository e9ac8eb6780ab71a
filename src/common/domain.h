// Domain-name helpers: LDH label rules (RFC 5321 §4.1.2, RFC 1123 §2.1),
// A-label checks and conversion through libidn2 (RFC 5890/5891), case and
// trailing-dot folding, and one-label wildcard matching (RFC 8461 §4.1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mxconform::domain {

constexpr std::size_t kMaxLabel = 63;
constexpr std::size_t kMaxName = 253;  // presentation form, no trailing dot

enum class NameError : std::uint8_t {
  kOk,
  kEmpty,
  kTooLong,       // more than 253 octets
  kEmptyLabel,    // "a..b", leading dot
  kLabelTooLong,  // more than 63 octets
  kBadCharacter,  // outside LDH (includes '*', '_', ':' ...)
  kNonAscii,      // a U-label or raw 8-bit byte: A-labels are required
  kHyphenEdge,    // label begins or ends with '-'
  kBadALabel,     // "xn--" label that libidn2 does not accept
  kTrailingDot,   // only when trailing dots are not allowed
};

std::string_view NameErrorMessage(NameError e);

struct NameCheck {
  NameError error = NameError::kOk;
  std::size_t offset = 0;  // byte offset of the problem inside the name
  bool ok() const { return error == NameError::kOk; }
};

struct NameRules {
  bool allow_trailing_dot = false;
  // Check "xn--" labels with libidn2 (slower; only those labels pay).
  bool check_a_labels = true;
  // Use the 16-byte fast path for short names; tests and the fuzzers turn
  // it off to compare it with the byte loop.
  bool fast_path = true;
};

// Checks `name` against RFC 5321 `Domain` (sub-domain *("." sub-domain),
// sub-domain = Let-dig [Ldh-str]). Returns the first problem and where.
NameCheck CheckName(std::string_view name, const NameRules& rules = {});

// True if `label` (without dots) is an A-label libidn2 accepts (IDNA2008,
// the Punycode round trip gives the same lower-case label back).
bool IsValidALabel(std::string_view label);

// Converts a UTF-8 domain (U-labels allowed) to lower-case A-labels.
// Returns an error diagnostic `domain.idna.invalid` when libidn2 refuses.
Result<std::string> ToALabels(std::string_view utf8_name);

// Lower-cases ASCII and drops one trailing root dot.
std::string Fold(std::string_view name);

// True if `host` equals `name` ignoring ASCII case and a trailing root dot on
// either side.
bool NamesEqual(std::string_view name, std::string_view host);

// RFC 8461 §4.1: `pattern` is either a name, or "*." followed by a name, in
// which case it matches `host` iff host has exactly one more (non-empty)
// leftmost label than the rest of the pattern and the rest is equal.
// Comparison ignores ASCII case and a trailing dot (STS-4.1-02..04).
bool MatchesMxPattern(std::string_view pattern, std::string_view host);

}  // namespace mxconform::domain
