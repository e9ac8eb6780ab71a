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
//    prefix rule;
//  - the reporter's reading of a mailto: URI (MailtoAddress) is empty or
//    one mailbox of visible characters with one '@';
//  - the input as a Policy Domain or submitter cannot break out of the
//    report's filename, Subject or header fields (reporter.h).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/profile.h"
#include "common/result.h"
#include "common/text.h"
#include "fuzz_check.h"
#include "tlsrpt/reporter.h"
#include "tlsrpt/txt_record.h"

namespace {

namespace tlsrpt = mxconform::tlsrpt;
using mxconform::Profile;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;
using mxconform::fuzz::SameDiagnostics;
using mxconform::fuzz::SplitLines;

tlsrpt::ParseOptions Options(Profile p) {
  tlsrpt::ParseOptions o;
  o.profile = p;
  return o;
}

bool SameRecord(const tlsrpt::TxtRecord& a, const tlsrpt::TxtRecord& b) {
  return a.rua == b.rua && a.extensions == b.extensions;
}

// Empty, or one addr-spec of visible characters with a single '@'.
void CheckMailbox(const std::string& a) {
  if (a.empty()) {
    return;
  }
  FUZZ_CHECK_MSG(std::count(a.begin(), a.end(), '@') == 1, a);
  FUZZ_CHECK_MSG(a.front() != '@' && a.back() != '@', a);
  for (char c : a) {
    FUZZ_CHECK_MSG(mxconform::text::IsVchar(c) && c != ',' && c != '<' && c != '>', a);
  }
}

// Whatever the names hold, the filename is of the §5.1 alphabet and the
// Subject one line of visible text.
void CheckReportNames(std::string_view in) {
  const std::string file =
      tlsrpt::ReportFilename(in, tlsrpt::ReportKey{0, std::string(in)}, in, true);
  for (char c : file) {
    FUZZ_CHECK_MSG(mxconform::text::IsAlnum(c) || c == '.' || c == '-' || c == '_' || c == '!',
                   file);
  }
  const std::string subject = tlsrpt::ReportSubject(in, in, "1.x@y.example");
  for (char c : subject) {
    FUZZ_CHECK_MSG(mxconform::text::IsVchar(c) || c == ' ', subject);
  }
  CheckMailbox(tlsrpt::MailtoAddress(in));
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
    if (mailto) {
      CheckMailbox(tlsrpt::MailtoAddress(u.uri));
    }
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
  mxconform::fuzz::SetInput(in);

  tlsrpt::TxtRecord strict;
  tlsrpt::TxtRecord interop;
  bool strict_ok = tlsrpt::ParseTxtRecordInto(in, Options(Profile::kStrict), strict);
  bool interop_ok = tlsrpt::ParseTxtRecordInto(in, Options(Profile::kInterop), interop);
  CheckDiagnostics(strict_ok, strict.diagnostics, size, "tlsrpt.txt.");
  CheckDiagnostics(interop_ok, interop.diagnostics, size, "tlsrpt.txt.");

  // The SIMD mailto: / https: fast path gives exactly what the general path gives.
  for (Profile p : {Profile::kStrict, Profile::kInterop}) {
    tlsrpt::ParseOptions slow_opts = Options(p);
    slow_opts.fast_paths = false;
    tlsrpt::TxtRecord slow;
    bool slow_ok = tlsrpt::ParseTxtRecordInto(in, slow_opts, slow);
    const tlsrpt::TxtRecord& fast = p == Profile::kStrict ? strict : interop;
    FUZZ_CHECK(slow_ok == (p == Profile::kStrict ? strict_ok : interop_ok));
    FUZZ_CHECK_MSG(SameDiagnostics(slow.diagnostics, fast.diagnostics),
                   Describe(slow.diagnostics) + " vs " + Describe(fast.diagnostics));
    FUZZ_CHECK(!slow_ok || SameRecord(slow, fast));
  }

  CheckReportNames(in);

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
