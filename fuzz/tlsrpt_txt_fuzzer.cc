// Fuzz target: the `_smtp._tls` TXT record parser (RFC 8460 §3).
//
// Asserts, for any input:
//  - a failure carries at least one error, a success none; every diagnostic
//    has a `tlsrpt.txt.*` id and an offset <= the input size;
//  - a valid record has at least one rua URI, each starting with a
//    mailto: / https: scheme (any case) that matches its UriScheme;
//  - strict-valid implies interop-valid with the same rua and extensions;
//  - a valid record (either profile) serialises to a strict-valid record
//    with the same rua and extensions, and serialising that again gives the
//    same text;
//  - parsing into a reused TxtRecord gives what a fresh one gives;
//  - SelectTxtRecord over the input split on '\n' (one RR per line) agrees
//    with ParseTxtRecord on the record it chose and with the "v=TLSRPTv1;"
//    prefix rule.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/profile.h"
#include "common/result.h"
#include "common/text.h"
#include "tlsrpt/txt_record.h"

namespace {

namespace tlsrpt = mxconform::tlsrpt;
using mxconform::Diagnostics;
using mxconform::Profile;

std::string_view g_input;

[[noreturn]] void CheckFailed(const char* file, int line, const char* expr,
                              const std::string& detail) {
  std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
  if (!detail.empty()) {
    std::fprintf(stderr, "  %s\n", detail.c_str());
  }
  std::fprintf(stderr, "  input (%zu bytes): %s\n", g_input.size(),
               mxconform::text::Printable(g_input, 512).c_str());
  std::abort();
}

// Aborts with the expression, `detail` (evaluated only on failure) and the
// input when `cond` is false.
#define FUZZ_CHECK_MSG(cond, detail)                    \
  do {                                                  \
    if (!(cond)) {                                      \
      CheckFailed(__FILE__, __LINE__, #cond, (detail)); \
    }                                                   \
  } while (0)
#define FUZZ_CHECK(cond) FUZZ_CHECK_MSG(cond, std::string())

tlsrpt::ParseOptions Options(Profile p) {
  tlsrpt::ParseOptions o;
  o.profile = p;
  return o;
}

std::string Describe(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d) {
    out += std::string(x.id) + "@" + std::to_string(x.offset) + "(" +
           std::string(mxconform::SeverityName(x.severity)) + ") ";
  }
  return out;
}

void CheckDiagnostics(bool ok, const Diagnostics& d, std::size_t size) {
  bool any_error = false;
  for (const auto& x : d) {
    FUZZ_CHECK_MSG(x.offset <= size, Describe(d));
    FUZZ_CHECK_MSG(x.id.starts_with("tlsrpt.txt."), Describe(d));
    FUZZ_CHECK(!x.message.empty());
    any_error |= x.IsError();
  }
  FUZZ_CHECK_MSG(any_error == !ok, Describe(d));
}

bool SameDiagnostics(const Diagnostics& a, const Diagnostics& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].severity != b[i].severity || a[i].offset != b[i].offset ||
        a[i].detail != b[i].detail) {
      return false;
    }
  }
  return true;
}

bool SameRecord(const tlsrpt::TxtRecord& a, const tlsrpt::TxtRecord& b) {
  return a.rua == b.rua && a.extensions == b.extensions;
}

void CheckValidRecord(const tlsrpt::TxtRecord& r) {
  FUZZ_CHECK(!r.rua.empty());
  for (const auto& u : r.rua) {
    std::size_t colon = u.uri.find(':');
    FUZZ_CHECK_MSG(colon != std::string::npos, u.uri);
    std::string_view scheme = std::string_view(u.uri).substr(0, colon);
    bool mailto = mxconform::text::EqualsIgnoreCase(scheme, "mailto");
    bool https = mxconform::text::EqualsIgnoreCase(scheme, "https");
    FUZZ_CHECK_MSG(mailto || https, u.uri);
    FUZZ_CHECK_MSG(mailto == (u.scheme == tlsrpt::UriScheme::kMailto), u.uri);
    // A URI token never holds the record's own delimiters.
    FUZZ_CHECK_MSG(u.uri.find_first_of(",; \t") == std::string::npos, u.uri);
  }
}

void CheckRoundTrip(const tlsrpt::TxtRecord& r) {
  std::string text = tlsrpt::SerializeTxtRecord(r);
  tlsrpt::TxtRecord again;
  bool ok = tlsrpt::ParseTxtRecordInto(text, Options(Profile::kStrict), again);
  FUZZ_CHECK_MSG(ok, "serialised: " + text + " -> " + Describe(again.diagnostics));
  FUZZ_CHECK_MSG(SameRecord(r, again), "serialised: " + text);
  FUZZ_CHECK_MSG(tlsrpt::SerializeTxtRecord(again) == text, "serialised: " + text);
}

std::vector<std::string> SplitLines(std::string_view in) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t nl = in.find('\n', start);
    if (nl == std::string_view::npos) {
      out.emplace_back(in.substr(start));
      return out;
    }
    out.emplace_back(in.substr(start, nl - start));
    start = nl + 1;
  }
}

void CheckSelect(std::string_view in, Profile profile) {
  std::vector<std::string> rrs = SplitLines(in);
  std::size_t prefixed = 0;
  std::size_t last_prefixed = 0;
  std::size_t longest = 0;
  for (std::size_t k = 0; k < rrs.size(); ++k) {
    if (rrs[k].starts_with("v=TLSRPTv1;")) {
      ++prefixed;
      last_prefixed = k;
    }
    longest = std::max(longest, rrs[k].size());
  }
  std::size_t chosen = rrs.size();
  auto r = tlsrpt::SelectTxtRecord(rrs, Options(profile), &chosen);
  for (const auto& x : r.ok() ? r->diagnostics : r.diagnostics()) {
    FUZZ_CHECK(x.offset <= longest);
  }
  if (rrs.size() > 1 && prefixed != 1) {
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(r.error().IsError());
    return;
  }
  std::size_t expect = rrs.size() == 1 ? 0 : last_prefixed;
  if (r.ok()) {
    FUZZ_CHECK(chosen == expect);
  }
  auto direct = tlsrpt::ParseTxtRecord(rrs[expect], Options(profile));
  FUZZ_CHECK(direct.ok() == r.ok());
  if (r.ok()) {
    FUZZ_CHECK(SameRecord(*direct, *r));
  } else {
    FUZZ_CHECK(SameDiagnostics(direct.diagnostics(), r.diagnostics()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  g_input = in;

  tlsrpt::TxtRecord strict;
  tlsrpt::TxtRecord interop;
  bool strict_ok = tlsrpt::ParseTxtRecordInto(in, Options(Profile::kStrict), strict);
  bool interop_ok = tlsrpt::ParseTxtRecordInto(in, Options(Profile::kInterop), interop);
  CheckDiagnostics(strict_ok, strict.diagnostics, size);
  CheckDiagnostics(interop_ok, interop.diagnostics, size);

  if (strict_ok) {
    FUZZ_CHECK_MSG(interop_ok, Describe(interop.diagnostics));
    FUZZ_CHECK(SameRecord(strict, interop));
    CheckValidRecord(strict);
    CheckRoundTrip(strict);
  }
  if (interop_ok) {
    CheckValidRecord(interop);
    CheckRoundTrip(interop);
  }

  // Reusing a TxtRecord that holds another parse's state (with an extra URI
  // and extension beyond it) changes nothing.
  tlsrpt::TxtRecord reused = interop;
  reused.rua.push_back(tlsrpt::ReportUri{tlsrpt::UriScheme::kHttps, "https://stale.example/"});
  reused.extensions.push_back(tlsrpt::Extension{"stale", "1"});
  bool reused_ok = tlsrpt::ParseTxtRecordInto(in, Options(Profile::kStrict), reused);
  FUZZ_CHECK(reused_ok == strict_ok);
  FUZZ_CHECK(SameDiagnostics(reused.diagnostics, strict.diagnostics));
  if (strict_ok) {
    FUZZ_CHECK(SameRecord(reused, strict));
  }

  auto wrapped = tlsrpt::ParseTxtRecord(in, Options(Profile::kInterop));
  FUZZ_CHECK(wrapped.ok() == interop_ok);
  if (interop_ok) {
    FUZZ_CHECK(SameRecord(*wrapped, interop));
  } else {
    FUZZ_CHECK(SameDiagnostics(wrapped.diagnostics(), interop.diagnostics));
  }

  CheckSelect(in, Profile::kStrict);
  CheckSelect(in, Profile::kInterop);
  return 0;
}
