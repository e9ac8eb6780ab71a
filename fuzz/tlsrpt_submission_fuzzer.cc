// Fuzz target: what a TLS-RPT reporter sends, as the receiving side reads it
// (RFC 8460 §5; tlsrpt/submission.h): a report mail (MIME, base64 or
// quoted-printable, gzip) or an HTTPS POST body with its Content-Type.
//
// Input: the first byte's low bit picks the form. 0: the rest is a mail.
// 1: the rest's first line is the Content-Type, the remainder the body.
//
// Asserts, for any input:
//  - the diagnostics contract (tlsrpt.* ids, offsets within the input, an
//    error exactly on failure), and the same answer when read twice;
//  - a report that is read writes out and reads back;
//  - our own reporter's mail and POST of that report read back without an
//    error and with the same report (reporter.h and submission.h agree).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "fuzz_check.h"
#include "tlsrpt/reporter.h"
#include "tlsrpt/submission.h"

namespace {

namespace tlsrpt = mxconform::tlsrpt;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;
using mxconform::fuzz::SameDiagnostics;

const mxconform::Diagnostics& AllDiagnostics(const mxconform::Result<tlsrpt::Submission>& s) {
  return s ? s->diagnostics : s.diagnostics();
}

void CheckOurOwn(tlsrpt::Report r) {
  tlsrpt::ReporterOptions o;
  r.contact_info = o.contact_info;  // TLS-Report-Submitter is its domain
  const tlsrpt::ReportKey key{0, r.policies.empty() ? "x.example" : r.policies[0].policy_domain};
  for (bool gzip : {true, false}) {
    o.gzip = gzip;
    auto mail = tlsrpt::ReadReportMail(
        tlsrpt::ReportEmail(r, key, "tlsrpt@x.example", o, 0, "tlsrpt-00000000"));
    FUZZ_CHECK_MSG(mail, Describe(AllDiagnostics(mail)));
    auto post = tlsrpt::ReadReportPost(tlsrpt::ReportMediaType(gzip), tlsrpt::ReportBody(r, gzip));
    FUZZ_CHECK_MSG(post, Describe(AllDiagnostics(post)));
    FUZZ_CHECK(mail->report == r);
    FUZZ_CHECK(post->report == r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);
  if (in.empty()) {
    return 0;
  }
  const bool post = (in[0] & 1) != 0;
  const std::string_view rest = in.substr(1);
  auto read = [&] {
    if (!post) {
      return tlsrpt::ReadReportMail(rest);
    }
    const std::size_t nl = rest.find('\n');
    const std::string_view type = rest.substr(0, nl);
    const std::string_view body = nl == std::string_view::npos ? "" : rest.substr(nl + 1);
    return tlsrpt::ReadReportPost(type, body);
  };
  const auto s = read();
  CheckDiagnostics(s.ok(), AllDiagnostics(s), rest.size(), "tlsrpt.");
  const auto again = read();
  FUZZ_CHECK(again.ok() == s.ok());
  FUZZ_CHECK(SameDiagnostics(AllDiagnostics(again), AllDiagnostics(s)));
  if (s) {
    auto back = tlsrpt::ReadReport(tlsrpt::WriteReport(s->report));
    FUZZ_CHECK_MSG(back, Describe(back.diagnostics()));
    // The report the reader accepted; its round trip through WriteReport
    // is what our reporter would send.
    CheckOurOwn(*back);
  }
  return 0;
}
