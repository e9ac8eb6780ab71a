// Fuzz target: MX host matching against an MTA-STS `mx` pattern
// (RFC 8461 §4.1, domain::MatchesMxPattern).
//
// The input is "PATTERN\nHOST" (split at the first LF; no LF means an empty
// host). Asserts:
//  - domain::CheckName gives the same answer with and without its SIMD
//    fast path (on both halves of the input);
//  - MatchesMxPattern agrees with a slow label-by-label reference written
//    here from the RFC: fold ASCII case and one trailing dot on each side,
//    split on '.', and let "*" stand for exactly one non-empty host label
//    when it is the whole first label of the pattern ("*." followed by a
//    non-empty name);
//  - the answer does not change when either or both sides are upper-cased;
//  - for a non-wildcard pattern the answer is domain::NamesEqual.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/domain.h"
#include "common/text.h"
#include "fuzz_check.h"

namespace {

namespace domain = mxconform::domain;
using mxconform::fuzz::ToUpperAscii;

// Lower-cases A-Z only (no locale, bytes >= 0x80 untouched) and drops one
// trailing dot.
std::string RefFold(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  if (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  return out;
}

// Every label, empty ones included: "a..b" has three.
std::vector<std::string> RefLabels(const std::string& name) {
  std::vector<std::string> labels(1);
  for (char c : name) {
    if (c == '.') {
      labels.emplace_back();
    } else {
      labels.back().push_back(c);
    }
  }
  return labels;
}

bool ReferenceMatch(std::string_view pattern_in, std::string_view host_in) {
  std::string pattern = RefFold(pattern_in);
  std::string host = RefFold(host_in);
  if (pattern.empty() || host.empty()) {
    return false;
  }
  std::vector<std::string> p = RefLabels(pattern);
  std::vector<std::string> h = RefLabels(host);
  bool wildcard = p.size() >= 2 && p[0] == "*";
  if (wildcard && p.size() == 2 && p[1].empty()) {
    return false;  // "*." with nothing after it names no domain
  }
  if (p.size() != h.size()) {
    return false;
  }
  std::size_t first = 0;
  if (wildcard) {
    if (h[0].empty()) {
      return false;  // "*" stands for one non-empty label
    }
    first = 1;
  }
  for (std::size_t i = first; i < p.size(); ++i) {
    if (p[i] != h[i]) {
      return false;
    }
  }
  return true;
}

std::string Pair(std::string_view pattern, std::string_view host) {
  return "pattern=\"" + mxconform::text::Printable(pattern, 300) + "\" host=\"" +
         mxconform::text::Printable(host, 300) + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);
  std::size_t nl = in.find('\n');
  std::string_view pattern = in.substr(0, nl);
  std::string_view host = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);

  // CheckName's 16-byte fast path agrees with its byte loop on both halves.
  for (std::string_view name : {pattern, host}) {
    domain::NameRules slow;
    slow.fast_path = false;
    slow.check_a_labels = false;
    domain::NameRules fast = slow;
    fast.fast_path = true;
    domain::NameCheck a = domain::CheckName(name, fast);
    domain::NameCheck b = domain::CheckName(name, slow);
    FUZZ_CHECK_MSG(a.error == b.error && a.offset == b.offset,
                   "CheckName fast path disagrees on " + Pair(pattern, host));
  }

  bool got = domain::MatchesMxPattern(pattern, host);
  bool want = ReferenceMatch(pattern, host);
  FUZZ_CHECK_MSG(got == want, Pair(pattern, host) + " MatchesMxPattern=" + std::to_string(got) +
                                  " reference=" + std::to_string(want));

  std::string upper_pattern = ToUpperAscii(pattern);
  std::string upper_host = ToUpperAscii(host);
  FUZZ_CHECK_MSG(domain::MatchesMxPattern(upper_pattern, upper_host) == got, Pair(pattern, host));
  FUZZ_CHECK_MSG(domain::MatchesMxPattern(upper_pattern, host) == got, Pair(pattern, host));
  FUZZ_CHECK_MSG(domain::MatchesMxPattern(pattern, upper_host) == got, Pair(pattern, host));

  std::string folded_pattern = RefFold(pattern);
  if (!folded_pattern.empty() && !RefFold(host).empty() && !folded_pattern.starts_with("*.")) {
    FUZZ_CHECK_MSG(domain::NamesEqual(pattern, host) == got, Pair(pattern, host));
  }
  return 0;
}
