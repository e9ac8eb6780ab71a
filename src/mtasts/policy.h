// The MTA-STS policy file (RFC 8461 §3.2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/text.h"
#include "mtasts/types.h"

namespace mxconform::mtasts {

enum class Mode : std::uint8_t { kEnforce, kTesting, kNone };
std::string_view ModeName(Mode m);

struct Policy {
  Mode mode = Mode::kNone;
  // Seconds; never above kMaxAgeCap (the interop profile clamps).
  std::uint32_t max_age = 0;
  std::vector<Extension> extensions;  // first occurrence of each name
  Diagnostics diagnostics;            // warnings and info only on success

  // The `mx` patterns, in file order, as written ("mx1.example.com",
  // "*.example.net"); interop drops a trailing root dot. They are spans of
  // `text`, which holds the parsed body (one copy instead of one string per
  // pattern) and the patterns added with AddMx.
  std::string text;
  std::vector<TextSpan> mx_spans;

  std::size_t mx_count() const { return mx_spans.size(); }
  std::string_view mx(std::size_t i) const { return mx_spans[i].In(text); }
  // The patterns as strings (a copy).
  std::vector<std::string> MxPatterns() const;
  // Appends a pattern (for policies built by hand, e.g. in tests).
  void AddMx(std::string_view pattern);
};

// Parses a policy body into `out`, reusing its storage. Returns true if valid
// under `opts.profile`. On failure out.diagnostics holds at least one error
// (`mtasts.policy.*`) with its byte offset. Bodies above kMaxPolicyBytes are
// refused with `mtasts.policy.too_large` before any parsing.
bool ParsePolicyInto(std::string_view body, const ParseOptions& opts, Policy& out);

Result<Policy> ParsePolicy(std::string_view body, const ParseOptions& opts = {});

// The policy in canonical form: version, mode, one line per mx, max_age,
// then extensions; CRLF line ends. ParsePolicy(SerializePolicy(p)) gives p
// back (mode, max_age, mx, extensions) as long as the canonical form stays
// within kMaxPolicyBytes: it adds ": " and CRLF to every line, so a body just
// under the cap written tersely ("mx:a" with LF) can serialise above it, and
// the reparse then refuses it as `mtasts.policy.too_large`.
std::string SerializePolicy(const Policy& p);

// The TLS-RPT `policy-string` (RFC 8460 §4.5, RPT-4-04): one element per
// line of the canonical form, without line ends.
std::vector<std::string> PolicyStrings(const Policy& p);

// True if `mx_host` matches at least one of the policy's patterns
// (RFC 8461 §4.1; STS-4.1-02..04).
bool PolicyMatchesMx(const Policy& p, std::string_view mx_host);

}  // namespace mxconform::mtasts
