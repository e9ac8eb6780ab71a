// What a reporter sent (RFC 8460 §5), read and checked the way a Policy
// Domain's report endpoint receives it: the mail of §5.3 or the HTTPS POST
// of §5.4. For checking reporters under test (and our own, reporter.h).
//
// A MUST broken is an error; a SHOULD (or RECOMMENDED) broken a warning;
// where the body and the envelope disagree, the body wins (§5.6, RPT-5.6-01)
// and the disagreement is a warning. Ids are `tlsrpt.submission.*`; the
// report JSON's own are `tlsrpt.report.*` (report.h) and carry the offset
// of the attachment in the message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"
#include "tlsrpt/report.h"

namespace mxconform::tlsrpt {

// Larger messages or bodies are refused (a report is at most
// kMaxReportBytes of JSON; base64 makes it 4/3 larger).
constexpr std::size_t kMaxSubmissionBytes = kMaxReportBytes / 3 * 4 + 1024 * 1024;

struct Submission {
  Report report;
  bool gzip = false;  // the report came compressed
  // Mail only: the §5.1 filename and the §5.3 header fields, as sent.
  std::string filename;
  std::string report_domain;  // TLS-Report-Domain
  std::string submitter;      // TLS-Report-Submitter
  std::string subject;
  // Warnings (SHOULD departures, body and envelope disagreeing) and the
  // report reader's warnings.
  Diagnostics diagnostics;
};

// Reads an RFC 5322 message carrying a report (§5.3). Errors: `too_large`,
// `header` (no header section or a malformed field), `content_type` (not
// multipart/report; report-type="tlsrpt"), `boundary` (missing, or the
// body never closes it), `no_report` (no application/tlsrpt+json or
// +gzip part), `encoding` (bad base64 or quoted-printable, or an unknown
// Content-Transfer-Encoding), `gzip`, `filename` (missing, or its extension
// not the media type's, RPT-5.1-01), `missing_header` (TLS-Report-Domain or
// TLS-Report-Submitter absent, RPT-5.3-02), `submitter_mismatch` (the
// submitter is not the domain of the report's contact-info mailbox,
// RPT-5.3-02), and the report reader's errors. Warnings: `not_gzip`
// (RPT-5.2-01), `filename_abnf` (RPT-5.1-01 RECOMMENDED form), `subject`
// (RPT-5.3-03), `body_disagrees` (RPT-5.6-01).
Result<Submission> ReadReportMail(std::string_view message);

// Reads the body of an HTTPS POST with its Content-Type (§5.4,
// RPT-5.4-01): `content_type` unless it is application/tlsrpt+gzip or
// +json, then as for a mail's attachment.
Result<Submission> ReadReportPost(std::string_view content_type, std::string_view body);

}  // namespace mxconform::tlsrpt
