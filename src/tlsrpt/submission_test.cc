#include "tlsrpt/submission.h"

#include <gtest/gtest.h>

#include <string>

#include "common/compress.h"
#include "common/diagnostics_test_util.h"
#include "common/text.h"
#include "tlsrpt/reporter.h"

namespace mxconform::tlsrpt {
namespace {

constexpr UnixSeconds kDay0 = 1795824000;  // 2026-11-28T00:00:00Z

Report SampleReport() {
  Report r;
  r.organization_name = "Company-X";
  r.date_range = {"2026-11-28T00:00:00Z", "2026-11-28T23:59:59Z"};
  r.contact_info = "tlsrpt@mail.sndr.example.com";
  r.report_id = "2026-11-28.company-y.example@mail.sndr.example.com";
  PolicyReport p;
  p.policy_type = PolicyType::kSts;
  p.policy_string = {"version: STSv1", "mode: enforce", "mx: *.mail.company-y.example",
                     "max_age: 86400"};
  p.policy_domain = "company-y.example";
  p.mx_host = {"*.mail.company-y.example"};
  p.total_successful_session_count = 12;
  p.total_failure_session_count = 1;
  FailureDetail f;
  f.result_type = ResultType::kCertificateExpired;
  f.sending_mta_ip = "198.51.100.62";
  f.receiving_mx_hostname = "mx1.mail.company-y.example";
  f.receiving_ip = "203.0.113.56";
  f.failed_session_count = 1;
  p.failure_details = {f};
  r.policies = {p};
  return r;
}

ReporterOptions Sender(bool gzip = true) {
  ReporterOptions o;
  o.submitter = "mail.sndr.example.com";
  o.contact_info = "tlsrpt@mail.sndr.example.com";
  o.gzip = gzip;
  return o;
}

std::string Mail(bool gzip = true) {
  return ReportEmail(SampleReport(), {kDay0, "company-y.example"}, "tlsrpt@company-y.example",
                     Sender(gzip), kDay0 + 86400, "tlsrpt-0123456789abcdef");
}

void Replace(std::string& s, std::string_view from, std::string_view to) {
  const std::size_t k = s.find(from);
  ASSERT_NE(k, std::string::npos) << from;
  s.replace(k, from.size(), to);
}

using testing::DiagnosticIds;
using Ids = std::vector<std::string_view>;

// Our own reporter's mail reads back clean: the same report, every field.
TEST(ReportMail, OurOwnMailReadsBackWithoutADiagnostic) {
  for (bool gzip : {true, false}) {
    auto s = ReadReportMail(Mail(gzip));
    ASSERT_TRUE(s) << s.error().Text();
    EXPECT_EQ(s->report, SampleReport());
    EXPECT_EQ(s->gzip, gzip);
    EXPECT_EQ(s->report_domain, "company-y.example");
    EXPECT_EQ(s->submitter, "mail.sndr.example.com");
    EXPECT_EQ(s->filename, std::string("mail.sndr.example.com!company-y.example!1795824000!"
                                       "1795910399.json") +
                               (gzip ? ".gz" : ""));
    // Uncompressed, the one remark is RPT-5.2-01's SHOULD.
    EXPECT_EQ(DiagnosticIds(s->diagnostics), gzip ? Ids{} : Ids{"tlsrpt.submission.not_gzip"});
  }
}

TEST(ReportMail, LfLineEndingsAndFoldedFieldsAreRead) {
  std::string m = Mail();
  std::string lf;
  for (char c : m) {
    if (c != '\r') {
      lf.push_back(c);
    }
  }
  auto s = ReadReportMail(lf);
  ASSERT_TRUE(s) << s.error().Text();
  EXPECT_EQ(s->report, SampleReport());
}

// RFC 2231 parameters (an extended value, continuations, both) give the
// filename. Review finding: these conforming mails were refused with "the
// report attachment has no filename".
TEST(ReportMail, Rfc2231FilenamesAreRead) {
  const std::string want = "mail.sndr.example.com!company-y.example!1795824000!1795910399.json.gz";
  const std::string_view plain =
      "\tfilename=\"mail.sndr.example.com!company-y.example!1795824000!1795910399.json.gz\"";
  for (std::string_view form : {
           "\tfilename*=us-ascii''mail.sndr.example.com%21company-y.example!1795824000!"
           "1795910399.json.gz",
           "\tfilename*0=\"mail.sndr.example.com!company-y.example!\";\r\n"
           "\tfilename*1=\"1795824000!1795910399.json.gz\"",
           // Out of order, the first piece extended (charset'language'), the
           // second plain.
           "\tfilename*1=\"1795824000!1795910399.json.gz\";\r\n"
           "\tfilename*0*=us-ascii'en'mail.sndr.example.com%21company-y.example%21",
       }) {
    std::string m = Mail();
    Replace(m, plain, form);
    auto s = ReadReportMail(m);
    ASSERT_TRUE(s) << form << ": " << s.error().Text();
    EXPECT_EQ(s->filename, want) << form;
    EXPECT_EQ(DiagnosticIds(s->diagnostics), Ids{}) << form;
  }
  // A gap in the numbering ends the value: *0 and *2 give only *0's text,
  // which is no filename of the §5.1 shape.
  std::string m = Mail();
  Replace(m, plain,
          "\tfilename*0=\"mail.sndr.example.com!company-y.example!\";\r\n"
          "\tfilename*2=\"1795824000!1795910399.json.gz\"");
  auto s = ReadReportMail(m);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().id, "tlsrpt.submission.filename") << s.error().Text();
}

// Each MUST of §5.1 / §5.3 broken is an error with its id.
TEST(ReportMail, BrokenMustsAreErrors) {
  struct Case {
    std::string_view from, to, id;
  };
  const Case cases[] = {
      {"TLS-Report-Domain: company-y.example\r\n", "", "tlsrpt.submission.missing_header"},
      {"TLS-Report-Submitter: mail.sndr.example.com\r\n", "", "tlsrpt.submission.missing_header"},
      {"multipart/report; report-type=\"tlsrpt\"", "multipart/mixed",
       "tlsrpt.submission.content_type"},
      {"report-type=\"tlsrpt\"", "report-type=\"dmarc\"", "tlsrpt.submission.content_type"},
      {"1795910399.json.gz", "1795910399.json", "tlsrpt.submission.filename"},
      {"\tfilename=\"mail.sndr.example.com!company-y.example!1795824000!1795910399.json.gz\"",
       "\tsize=10", "tlsrpt.submission.filename"},
      {"TLS-Report-Submitter: mail.sndr.example.com", "TLS-Report-Submitter: other.example",
       "tlsrpt.submission.submitter_mismatch"},
      // Present but empty says nothing: as good as missing (RFC 8460 §5.3).
      {"TLS-Report-Domain: company-y.example",
       "TLS-Report-Domain:", "tlsrpt.submission.missing_header"},
      {"TLS-Report-Submitter: mail.sndr.example.com",
       "TLS-Report-Submitter:  ", "tlsrpt.submission.missing_header"},
      {"Content-Type: application/tlsrpt+gzip", "Content-Type: application/gzip",
       "tlsrpt.submission.no_report"},
      {"Content-Transfer-Encoding: base64", "Content-Transfer-Encoding: x-uuencode",
       "tlsrpt.submission.encoding"},
      {"--tlsrpt-0123456789abcdef--", "--tlsrpt-0123456789abcdef", "tlsrpt.submission.boundary"},
      {"MIME-Version: 1.0\r\n", "MIME-Version 1.0\r\n", "tlsrpt.submission.header"},
  };
  for (const Case& c : cases) {
    std::string m = Mail();
    Replace(m, c.from, c.to);
    auto s = ReadReportMail(m);
    ASSERT_FALSE(s) << c.id;
    EXPECT_EQ(s.error().id, c.id) << c.from << " -> " << c.to << ": " << s.error().Text();
  }
}

TEST(ReportMail, ACorruptAttachmentIsAnError) {
  const std::string m = Mail();
  // Base64: a '*' in the middle.
  std::string bad64 = m;
  bad64[bad64.find("\r\n\r\nH4sI") + 10] = '*';
  auto s = ReadReportMail(bad64);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().id, "tlsrpt.submission.encoding");
  // Gzip: valid base64 of bytes that are not gzip.
  std::string badgz = m;
  const std::size_t b = badgz.find("\r\n\r\nH4sI") + 4;
  const std::size_t e = badgz.find("\r\n--tlsrpt-0123456789abcdef--");
  badgz.replace(b, e - b, text::Base64("not gzip at all", 76));
  s = ReadReportMail(badgz);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().id, "tlsrpt.submission.gzip");
  // The report inside is not a report: its reader's error, at the attachment.
  std::string badjson = m;
  badjson.replace(b, e - b, text::Base64(Gzip("{\"organization-name\": 1}"), 76));
  s = ReadReportMail(badjson);
  ASSERT_FALSE(s);
  EXPECT_TRUE(std::string(s.error().id).starts_with("tlsrpt.report.")) << s.error().id;
  EXPECT_EQ(s.error().offset, b);
}

// SHOULDs and envelope/body disagreements are warnings; the body wins.
TEST(ReportMail, ShouldsAndDisagreementsAreWarnings) {
  struct Case {
    std::string_view from, to, id;
  };
  const Case cases[] = {
      {"1795910399.json.gz\"", "report.json.gz\"", "tlsrpt.submission.filename_abnf"},
      {"Subject: Report Domain:", "Subject: TLS report Domain:", "tlsrpt.submission.subject"},
      {"TLS-Report-Domain: company-y.example", "TLS-Report-Domain: company-z.example",
       "tlsrpt.submission.body_disagrees"},
      {"Subject: Report Domain: company-y.example", "Subject: Report Domain: company-z.example",
       "tlsrpt.submission.body_disagrees"},
      {"mail.sndr.example.com!company-y.example!", "mail.sndr.example.com!company-z.example!",
       "tlsrpt.submission.body_disagrees"},
  };
  for (const Case& c : cases) {
    std::string m = Mail();
    Replace(m, c.from, c.to);
    auto s = ReadReportMail(m);
    ASSERT_TRUE(s) << c.id << ": " << s.error().Text();
    EXPECT_EQ(DiagnosticIds(s->diagnostics), Ids{c.id}) << c.to;
    EXPECT_EQ(s->report, SampleReport()) << "the body is what counts";
  }
}

// A report id with CR, LF or other bytes no msg-id has (ReportEmail takes
// any Report) cannot end a header field: the mail still reads back, with
// the report as it was (tlsrpt_submission_fuzzer found this one).
TEST(ReportMail, AHostileReportIdCannotBreakTheHeader) {
  Report r = SampleReport();
  r.report_id = "2026-11-28.comp\r\nBcc: evil@x.example\ny <a> \x01@mail.sndr.example.com";
  const std::string m = ReportEmail(r, {kDay0, "company-y.example"}, "tlsrpt@company-y.example",
                                    Sender(), kDay0 + 86400, "tlsrpt-0123456789abcdef");
  EXPECT_EQ(m.find("\nBcc:"), std::string::npos);
  auto s = ReadReportMail(m);
  ASSERT_TRUE(s) << s.error().Text();
  EXPECT_EQ(s->report, r);
}

// RFC 5234 §2.3: the ABNF's "json" / "json.gz" match in any case.
TEST(ReportMail, TheFilenameExtensionIsCaseInsensitive) {
  std::string m = Mail();
  std::size_t at;
  while ((at = m.find("1795910399.json.gz")) != std::string::npos) {
    m.replace(at, 18, "1795910399.JSON.GZ");
  }
  auto s = ReadReportMail(m);
  ASSERT_TRUE(s) << s.error().Text();
  for (const auto& d : s->diagnostics) {
    EXPECT_NE(d.id, "tlsrpt.submission.filename") << d.Text();
  }
}

// RPT-5.3-02: TLS-Report-Submitter MUST be the domain of contact-info. A
// contact-info with no domain at all cannot match, or be the URI form.
TEST(ReportMail, AContactInfoWithoutItsDomainIsASubmitterMismatch) {
  for (const char* contact : {"not an address", "https://sndr.example.com/contact"}) {
    Report r = SampleReport();
    r.contact_info = contact;
    const std::string m = ReportEmail(r, {kDay0, "company-y.example"}, "tlsrpt@company-y.example",
                                      Sender(), kDay0 + 86400, "tlsrpt-0123456789abcdef");
    auto s = ReadReportMail(m);
    ASSERT_FALSE(s) << contact;
    EXPECT_EQ(s.error().id, "tlsrpt.submission.submitter_mismatch") << s.error().Text();
  }
  // mailto: before the mailbox: its domain is still the one after '@'.
  Report r = SampleReport();
  r.contact_info = "mailto:tlsrpt@mail.sndr.example.com";
  auto s = ReadReportMail(ReportEmail(r, {kDay0, "company-y.example"}, "tlsrpt@company-y.example",
                                      Sender(), kDay0 + 86400, "tlsrpt-0123456789abcdef"));
  ASSERT_TRUE(s) << s.error().Text();
}

TEST(ReportPost, MediaTypeDecidesHowTheBodyIsRead) {
  const std::string json = WriteReport(SampleReport());
  auto gz = ReadReportPost("application/tlsrpt+gzip", Gzip(json));
  ASSERT_TRUE(gz) << gz.error().Text();
  EXPECT_EQ(gz->report, SampleReport());
  EXPECT_TRUE(gz->diagnostics.empty());

  auto plain = ReadReportPost("Application/TLSRPT+JSON; charset=utf-8", json);
  ASSERT_TRUE(plain) << plain.error().Text();
  EXPECT_EQ(DiagnosticIds(plain->diagnostics), Ids{"tlsrpt.submission.not_gzip"});

  // RFC 8460 §5.4 says SHOULD: another media type is a warning, and the
  // body is read as what it is, gzip by its magic bytes or JSON.
  for (std::string_view type :
       {"application/json", "text/plain", "", "application/gzip", "application/octet-stream"}) {
    for (const bool gzip : {true, false}) {
      auto s = ReadReportPost(type, gzip ? Gzip(json) : json);
      ASSERT_TRUE(s) << type << " " << s.error().Text();
      EXPECT_EQ(s->report, SampleReport());
      ASSERT_FALSE(s->diagnostics.empty());
      EXPECT_EQ(s->diagnostics[0].id, "tlsrpt.submission.content_type");
      EXPECT_EQ(s->diagnostics[0].severity, Severity::kWarning);
    }
  }
  auto wrong = ReadReportPost("application/tlsrpt+gzip", json);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().id, "tlsrpt.submission.gzip");
}

// What our reporter POSTs is what ReadReportPost reads.
TEST(ReportPost, OurOwnBodyReadsBack) {
  for (bool gzip : {true, false}) {
    auto s = ReadReportPost(ReportMediaType(gzip), ReportBody(SampleReport(), gzip));
    ASSERT_TRUE(s) << s.error().Text();
    EXPECT_EQ(s->report, SampleReport());
  }
}

}  // namespace
}  // namespace mxconform::tlsrpt
