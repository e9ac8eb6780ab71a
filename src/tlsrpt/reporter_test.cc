#include "tlsrpt/reporter.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "common/gzip_test_util.h"
#include "common/text.h"

namespace mxconform::tlsrpt {
namespace {

// 2026-11-28T00:00:00Z, a Saturday.
constexpr UnixSeconds kDay0 = 1795824000;
constexpr std::int64_t kDay = 86400;

class FakeDns final : public spf::Resolver {
 public:
  spf::DnsAnswer Query(std::string_view name, spf::QueryType type) override {
    queries.push_back(std::string(name) + "/" + std::string(spf::QueryTypeName(type)));
    auto it = answers.find(std::string(name));
    if (it == answers.end()) {
      spf::DnsAnswer a;
      a.status = spf::DnsStatus::kNxDomain;
      return a;
    }
    return it->second;
  }
  void Txt(const std::string& name, std::vector<std::string> txt) {
    answers[name].txt = std::move(txt);
  }
  std::map<std::string, spf::DnsAnswer> answers;
  std::vector<std::string> queries;
};

class FakeTransport final : public ReportTransport {
 public:
  struct Post {
    std::string url, content_type, body;
  };
  struct Mail {
    std::string address, message;
  };
  std::string post_note;  // what Post says beside a status
  int Post(std::string_view url, std::string_view content_type, std::string_view body,
           std::string& detail) override {
    posts.push_back({std::string(url), std::string(content_type), std::string(body)});
    if (statuses.empty()) {
      detail = "connection refused";
      return 0;
    }
    const int s = statuses.front();
    if (statuses.size() > 1) {
      statuses.erase(statuses.begin());
    }
    detail = post_note;
    return s;
  }
  bool Mail(std::string_view address, std::string_view message, std::string& detail) override {
    mails.push_back({std::string(address), std::string(message)});
    detail = mail_accepts ? "250 2.0.0 queued" : "451 4.3.0 try later";
    return mail_accepts;
  }
  std::vector<int> statuses;  // answers to POSTs, the last one repeated
  bool mail_accepts = true;
  std::vector<struct Post> posts;
  std::vector<struct Mail> mails;
};

SessionOutcome Success(UnixSeconds t, std::string domain = "company-y.example") {
  SessionOutcome s;
  s.time = t;
  s.policy_domain = std::move(domain);
  s.policy_type = PolicyType::kSts;
  s.policy_string = {"version: STSv1", "mode: enforce", "mx: *.mail.company-y.example",
                     "max_age: 86400"};
  s.mx_host = "*.mail.company-y.example";
  return s;
}

SessionOutcome Failure(UnixSeconds t, ResultType type,
                       std::string mx = "mx1.mail.company-y.example") {
  SessionOutcome s = Success(t);
  s.success = false;
  s.failure.result_type = type;
  s.failure.sending_mta_ip = "198.51.100.62";
  s.failure.receiving_mx_hostname = std::move(mx);
  s.failure.receiving_ip = "203.0.113.56";
  return s;
}

ReporterOptions NoDelay() {
  ReporterOptions o;
  o.max_initial_delay_s = 0;
  return o;
}

TEST(Reporter, ComposesOneReportPerDomainAndDay) {
  FakeDns dns;
  FixedClock clock(kDay0);
  Reporter r(dns, clock, NoDelay());
  for (int i = 0; i < 5; ++i) {
    r.Record(Success(kDay0 + 100 + i));
  }
  r.Record(Failure(kDay0 + 200, ResultType::kCertificateExpired));
  r.Record(Failure(kDay0 + 300, ResultType::kCertificateExpired));
  r.Record(Failure(kDay0 + 400, ResultType::kStarttlsNotSupported, "mx2.mail.company-y.example"));
  r.Record(Success(kDay0 + kDay + 10));  // the next day: another report

  const Report rep = r.Compose({kDay0, "company-y.example"});
  EXPECT_EQ(rep.date_range.start_datetime, "2026-11-28T00:00:00Z");
  EXPECT_EQ(rep.date_range.end_datetime, "2026-11-28T23:59:59Z");
  EXPECT_EQ(rep.report_id, "2026-11-28.company-y.example@sender.mxconform.invalid");
  ASSERT_EQ(rep.policies.size(), 1u);
  const PolicyReport& p = rep.policies[0];
  EXPECT_EQ(p.policy_type, PolicyType::kSts);
  EXPECT_EQ(p.policy_domain, "company-y.example");
  EXPECT_EQ(p.mx_host, std::vector<std::string>{"*.mail.company-y.example"});
  EXPECT_EQ(p.policy_string.size(), 4u);
  EXPECT_EQ(p.total_successful_session_count, 5u);
  EXPECT_EQ(p.total_failure_session_count, 3u);
  ASSERT_EQ(p.failure_details.size(), 2u);  // the two expired-certificate sessions are one entry
  EXPECT_EQ(p.failure_details[0].result_type, ResultType::kCertificateExpired);
  EXPECT_EQ(p.failure_details[0].failed_session_count, 2u);
  EXPECT_EQ(p.failure_details[1].result_type, ResultType::kStarttlsNotSupported);
  EXPECT_EQ(p.failure_details[1].failed_session_count, 1u);

  // The composed report is what the report reader accepts, unchanged.
  auto back = ReadReport(WriteReport(rep));
  ASSERT_TRUE(back) << back.error().Text();
  EXPECT_EQ(*back, rep);

  EXPECT_EQ(
      r.Compose({kDay0 + kDay, "company-y.example"}).policies[0].total_successful_session_count,
      1u);
}

// What the reporter writes, its own reader takes: a policy failure that
// reached no MX gets the Sending MTA's address and no MX fields, not empty
// strings (which are no IP addresses).
TEST(Reporter, APolicyFailureReadsBackWithoutError) {
  FakeDns dns;
  FixedClock clock(kDay0);
  ReporterOptions o = NoDelay();
  o.sending_mta_ip = "192.0.2.25";
  Reporter r(dns, clock, o);
  SessionOutcome s;
  s.time = kDay0 + 10;
  s.policy_domain = "company-y.example";
  s.policy_type = PolicyType::kNoPolicyFound;
  s.success = false;
  s.failure.result_type = ResultType::kStsPolicyFetchError;
  s.failure.failure_reason_code = "HTTP 404";
  r.Record(s);
  r.Record(Failure(kDay0 + 20, ResultType::kCertificateExpired));
  const std::string json = WriteReport(r.Compose({kDay0, "company-y.example"}));
  auto back = ReadReport(json);
  ASSERT_TRUE(back.ok()) << back.error().Text() << "\n" << json;
  for (const auto& d : back->diagnostics) {
    EXPECT_NE(d.severity, Severity::kError) << d.Text();
  }
  const auto& details = back->policies;
  std::size_t fetch_errors = 0;
  for (const auto& p : details) {
    for (const auto& f : p.failure_details) {
      if (f.result_type == ResultType::kStsPolicyFetchError) {
        ++fetch_errors;
        EXPECT_EQ(f.sending_mta_ip, "192.0.2.25");
        EXPECT_TRUE(f.receiving_ip.empty());
        EXPECT_TRUE(f.receiving_mx_hostname.empty());
      } else {
        EXPECT_EQ(f.sending_mta_ip, "198.51.100.62");  // the session's own
        EXPECT_EQ(f.receiving_ip, "203.0.113.56");
      }
    }
  }
  EXPECT_EQ(fetch_errors, 1u);
  EXPECT_EQ(json.find("\"receiving-ip\": \"\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\"receiving-ip\":\"\""), std::string::npos) << json;
}

TEST(Reporter, APolicyChangeMidDayGivesTwoPolicyEntries) {
  FakeDns dns;
  FixedClock clock(kDay0);
  Reporter r(dns, clock, NoDelay());
  r.Record(Success(kDay0 + 10));
  SessionOutcome testing = Success(kDay0 + 20);
  testing.policy_string[1] = "mode: testing";
  r.Record(testing);
  SessionOutcome none = Failure(kDay0 + 30, ResultType::kStsPolicyFetchError);
  none.policy_type = PolicyType::kNoPolicyFound;
  none.policy_string.clear();
  none.mx_host.clear();
  r.Record(none);
  const Report rep = r.Compose({kDay0, "company-y.example"});
  ASSERT_EQ(rep.policies.size(), 3u);
  std::uint64_t total = 0;
  for (const PolicyReport& p : rep.policies) {
    total += p.total_successful_session_count + p.total_failure_session_count;
  }
  EXPECT_EQ(total, 3u);
}

// RPT-3-12: the sessions that delivered reports are not counted.
TEST(Reporter, ReportDeliverySessionsAreNotCounted) {
  FakeDns dns;
  FixedClock clock(kDay0);
  Reporter r(dns, clock, NoDelay());
  r.Record(Success(kDay0 + 1));
  SessionOutcome rpt = Failure(kDay0 + 2, ResultType::kCertificateNotTrusted);
  rpt.report_delivery = true;
  r.Record(rpt);
  const Report rep = r.Compose({kDay0, "company-y.example"});
  ASSERT_EQ(rep.policies.size(), 1u);
  EXPECT_EQ(rep.policies[0].total_successful_session_count, 1u);
  EXPECT_EQ(rep.policies[0].total_failure_session_count, 0u);
  EXPECT_EQ(r.report_sessions(), 1u);
}

// RPT-3-01, RPT-3-09, RPT-5.2-01, RPT-5.4-01: the record at
// _smtp._tls.<domain> names an https URI, and the report is POSTed there
// gzipped with its media type once the day is over.
TEST(Reporter, PostsTheGzippedReportAfterTheDayEnds) {
  FakeDns dns;
  dns.Txt("_smtp._tls.company-y.example",
          {"v=TLSRPTv1; rua=https://reports.company-y.example/tlsrpt"});
  FixedClock clock(kDay0 + 3600);
  Reporter r(dns, clock, NoDelay());
  r.Record(Success(kDay0 + 60));
  FakeTransport t;
  t.statuses = {200};
  r.Run(t);
  EXPECT_TRUE(r.reports().empty()) << "the day has not ended";
  EXPECT_TRUE(dns.queries.empty());

  clock.Set(kDay0 + kDay);
  r.Run(t);
  ASSERT_EQ(r.reports().size(), 1u);
  EXPECT_EQ(r.reports()[0].state, ReportState::kDelivered);
  EXPECT_EQ(dns.queries, std::vector<std::string>{"_smtp._tls.company-y.example/TXT"});
  ASSERT_EQ(t.posts.size(), 1u);
  EXPECT_EQ(t.posts[0].url, "https://reports.company-y.example/tlsrpt");
  EXPECT_EQ(t.posts[0].content_type, "application/tlsrpt+gzip");
  const std::string json = testing::Gunzip(t.posts[0].body);
  auto rep = ReadReport(json);
  ASSERT_TRUE(rep) << json;
  EXPECT_EQ(rep->policies.at(0).total_successful_session_count, 1u);

  clock.Advance(kDay);
  r.Run(t);
  EXPECT_EQ(t.posts.size(), 1u) << "a delivered report is not sent again";
}

// A reporter the day after one successful session on kDay0: the domain's
// _smtp._tls record is `txt` (none when empty) and POSTs are answered
// `statuses` (the last one repeated; none: no answer).
struct DayAfter {
  explicit DayAfter(std::vector<std::string> txt, std::vector<int> statuses = {},
                    ReporterOptions o = NoDelay())
      : clock(kDay0 + kDay), reporter(dns, clock, std::move(o)) {
    if (!txt.empty()) {
      dns.Txt(kRptName, std::move(txt));
    }
    transport.statuses = std::move(statuses);
    reporter.Record(Success(kDay0));
  }
  void Run() { reporter.Run(transport); }

  static constexpr const char* kRptName = "_smtp._tls.company-y.example";
  FakeDns dns;
  FixedClock clock;
  Reporter reporter;
  FakeTransport transport;
};

TEST(Reporter, PlainJsonWhenGzipIsOff) {
  ReporterOptions o = NoDelay();
  o.gzip = false;
  DayAfter w({"v=TLSRPTv1; rua=https://r.example/"}, {201}, o);
  w.Run();
  ASSERT_EQ(w.transport.posts.size(), 1u);
  EXPECT_EQ(w.transport.posts[0].content_type, "application/tlsrpt+json");
  EXPECT_TRUE(ReadReport(w.transport.posts[0].body));
  EXPECT_EQ(w.reporter.reports()[0].state, ReportState::kDelivered);
}

// One day's report, submitted once to one https rua that answers `status`:
// the report's state and the attempt's detail.
std::pair<ReportState, std::string> SubmitOnce(int status) {
  DayAfter w({"v=TLSRPTv1; rua=https://r.example/"}, {status});
  w.Run();
  return {w.reporter.reports().at(0).state, w.reporter.attempts().at(0).detail};
}

// RPT-5.4-01: any 2xx is an acceptance; other statuses are retried.
TEST(Reporter, AnyTwoHundredIsAcceptedOthersAreRetried) {
  for (int status : {200, 201, 202, 204}) {
    EXPECT_EQ(SubmitOnce(status).first, ReportState::kDelivered) << status;
  }
  for (int status : {301, 400, 404, 500, 503}) {
    const auto [state, detail] = SubmitOnce(status);
    EXPECT_EQ(state, ReportState::kWaiting) << status;
    EXPECT_EQ(detail, "HTTP " + std::to_string(status));
  }
}

// RPT-3-10: a transport that ignored a certificate error says so, and
// the attempt's record keeps it beside the status.
TEST(Reporter, TheTransportsNoteStaysBesideTheStatus) {
  DayAfter w({"v=TLSRPTv1; rua=https://r.example/"}, {201});
  w.transport.post_note = "certificate error ignored: certificate-expired: certificate has expired";
  w.Run();
  ASSERT_EQ(w.reporter.attempts().size(), 1u);
  EXPECT_TRUE(w.reporter.attempts()[0].accepted);
  EXPECT_EQ(w.reporter.attempts()[0].detail,
            "HTTP 201; certificate error ignored: certificate-expired: certificate has expired");
}

// RPT-5.5-01: retries back off exponentially and end 24 hours after the
// first attempt.
TEST(Reporter, RetriesBackOffAndStopAfterADay) {
  DayAfter w({"v=TLSRPTv1; rua=https://r.example/"}, {500});
  const UnixSeconds first = kDay0 + kDay;
  // Run every minute for two days; record when a POST happens.
  std::vector<std::int64_t> at;
  for (std::int64_t s = 0; s <= 2 * kDay; s += 60) {
    w.clock.Set(first + s);
    const std::size_t before = w.transport.posts.size();
    w.Run();
    if (w.transport.posts.size() != before) {
      at.push_back(s);
    }
  }
  // 0, then +5 min, +10, +20, ... while within 24 hours.
  const std::vector<std::int64_t> expected = {0, 300, 900, 2100, 4500, 9300, 18900, 38100, 76500};
  EXPECT_EQ(at, expected);
  EXPECT_EQ(w.reporter.reports()[0].state, ReportState::kGaveUp);
  for (std::size_t k = 2; k < at.size(); ++k) {
    EXPECT_EQ(at[k] - at[k - 1], 2 * (at[k - 1] - at[k - 2])) << "backoff doubles";
  }
}

// RPT-3-08: with several rua URIs, the next is tried when one fails, and
// one acceptance ends the round.
TEST(Reporter, TriesTheNextUriAndStopsAtTheFirstAcceptance) {
  DayAfter w(
      {"v=TLSRPTv1; rua=https://a.example/r,mailto:tlsrpt@company-y.example,https://c.example/r"},
      {500});
  w.Run();
  const auto& attempts = w.reporter.attempts();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].uri, "https://a.example/r");
  EXPECT_FALSE(attempts[0].accepted);
  EXPECT_EQ(attempts[1].uri, "mailto:tlsrpt@company-y.example");
  EXPECT_TRUE(attempts[1].accepted);
  EXPECT_EQ(w.transport.posts.size(), 1u) << "c.example is not tried after an acceptance";
  EXPECT_EQ(w.reporter.reports()[0].state, ReportState::kDelivered);
}

// RPT-3-05 via SelectTxtRecord: no record, or two, means no reports.
TEST(Reporter, NoUsableRecordMeansNoReport) {
  for (const auto& txt : std::vector<std::vector<std::string>>{
           {},
           {"v=TLSRPTv1; rua=https://a.example/", "v=TLSRPTv1; rua=https://b.example/"},
           {"v=TLSRPTv1; rua=ftp://a.example/"}}) {
    DayAfter w(txt);
    w.Run();
    ASSERT_EQ(w.reporter.reports().size(), 1u);
    EXPECT_EQ(w.reporter.reports()[0].state, ReportState::kNoPolicy);
    EXPECT_FALSE(w.reporter.reports()[0].why.empty());
    EXPECT_TRUE(w.transport.posts.empty());
    EXPECT_TRUE(w.transport.mails.empty());
  }
}

// A SERVFAIL on the lookup is retried like a failed submission.
TEST(Reporter, ATemporaryLookupFailureIsRetried) {
  DayAfter w({}, {200});
  w.dns.answers[DayAfter::kRptName].status = spf::DnsStatus::kError;
  w.Run();
  EXPECT_EQ(w.reporter.reports()[0].state, ReportState::kWaiting);
  w.dns.answers[DayAfter::kRptName].status = spf::DnsStatus::kOk;
  w.dns.Txt(DayAfter::kRptName, {"v=TLSRPTv1; rua=https://r.example/"});
  w.clock.Advance(300);
  w.Run();
  EXPECT_EQ(w.reporter.reports()[0].state, ReportState::kDelivered);
  EXPECT_EQ(w.dns.queries.size(), 2u);
}

// RPT-4-12: the first attempt waits a random delay of at most 4 hours,
// the same for the same seed.
TEST(Reporter, FirstAttemptIsDelayedAtRandomWithinFourHours) {
  std::vector<UnixSeconds> firsts;
  for (std::uint64_t seed : {1u, 2u, 3u, 4u, 1u}) {
    FakeDns dns;
    FixedClock clock(kDay0 + kDay);
    ReporterOptions o;
    o.seed = seed;
    Reporter r(dns, clock, o);
    r.Record(Success(kDay0));
    FakeTransport t;
    r.Run(t);
    ASSERT_EQ(r.reports().size(), 1u);
    const UnixSeconds f = r.reports()[0].first_attempt;
    EXPECT_GE(f, kDay0 + kDay);
    EXPECT_LE(f, kDay0 + kDay + 4 * 3600);
    firsts.push_back(f);
  }
  EXPECT_EQ(firsts[0], firsts[4]);
  EXPECT_FALSE(firsts[0] == firsts[1] && firsts[1] == firsts[2] && firsts[2] == firsts[3]);
}

// RPT-5.1-01: sender!policy-domain!begin!end[!unique-id].json[.gz].
TEST(ReportNaming, FilenameFollowsTheAbnf) {
  const ReportKey key{kDay0, "company-y.example"};
  EXPECT_EQ(ReportFilename("mail.sndr.example.com", key, {}, true),
            "mail.sndr.example.com!company-y.example!1795824000!1795910399.json.gz");
  EXPECT_EQ(ReportFilename("mail.sndr.example.com", key, "001", false),
            "mail.sndr.example.com!company-y.example!1795824000!1795910399!001.json");
  const std::regex abnf(
      R"([A-Za-z0-9.-]+![A-Za-z0-9._-]+![0-9]+![0-9]+(![A-Za-z0-9]+)?\.json(\.gz)?)");
  for (const std::string& f :
       {ReportFilename("a.example", key, "x-y", true),
        ReportFilename("a.example", {kDay0, "evil\"\r\nX-Injected: 1"}, {}, true)}) {
    EXPECT_TRUE(std::regex_match(f, abnf)) << f;
  }
}

TEST(ReportNaming, SubjectFollowsTheAbnf) {
  EXPECT_EQ(
      ReportSubject("company-y.example", "mail.sndr.example.com", "1.x@mail.sndr.example.com"),
      "Report Domain: company-y.example Submitter: mail.sndr.example.com Report-ID: "
      "<1.x@mail.sndr.example.com>");
}

TEST(ReportNaming, MailtoAddress) {
  EXPECT_EQ(MailtoAddress("mailto:tlsrpt@company-y.example"), "tlsrpt@company-y.example");
  EXPECT_EQ(MailtoAddress("MAILTO:tlsrpt@company-y.example?subject=x"), "tlsrpt@company-y.example");
  EXPECT_EQ(MailtoAddress("mailto:tls%2Brpt@company-y.example"), "tls+rpt@company-y.example");
  for (const char* bad : {"mailto:", "mailto:a@b.example,c@d.example", "mailto:nobody",
                          "mailto:a@@b.example", "mailto:a%0D%0AX:@b.example", "mailto:a%2@b",
                          "https://a.example/", "mailto:@b.example", "mailto:a@"}) {
    EXPECT_EQ(MailtoAddress(bad), "") << bad;
  }
}

// Splits a MIME entity at its first empty line.
std::pair<std::string, std::string> HeadAndBody(const std::string& m) {
  const std::size_t k = m.find("\r\n\r\n");
  return {m.substr(0, k + 2), m.substr(k + 4)};
}

// RPT-5.3-01, RPT-5.3-02, RPT-5.1-01: the mailed report.
TEST(ReportEmail, IsAMultipartReportWithTheHeadersAndTheAttachment) {
  FakeDns dns;
  dns.Txt("_smtp._tls.company-y.example", {"v=TLSRPTv1; rua=mailto:tlsrpt@company-y.example"});
  FixedClock clock(kDay0 + kDay);
  ReporterOptions o = NoDelay();
  o.submitter = "mail.sndr.example.com";
  o.contact_info = "tlsrpt@mail.sndr.example.com";
  Reporter r(dns, clock, o);
  r.Record(Success(kDay0));
  r.Record(Failure(kDay0 + 5, ResultType::kCertificateHostMismatch));
  FakeTransport t;
  r.Run(t);
  ASSERT_EQ(t.mails.size(), 1u);
  EXPECT_EQ(t.mails[0].address, "tlsrpt@company-y.example");
  const std::string& m = t.mails[0].message;
  const auto [head, body] = HeadAndBody(m);
  EXPECT_NE(head.find("\r\nTLS-Report-Domain: company-y.example\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nTLS-Report-Submitter: mail.sndr.example.com\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nSubject: Report Domain: company-y.example Submitter: "
                      "mail.sndr.example.com Report-ID: "
                      "<2026-11-28.company-y.example@mail.sndr.example.com>\r\n"),
            std::string::npos)
      << head;
  EXPECT_NE(head.find("Date: Sun, 29 Nov 2026 00:00:00 +0000\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("From: <tlsrpt@mail.sndr.example.com>\r\n"), 0u);
  std::smatch b;
  ASSERT_TRUE(std::regex_search(
      head, b,
      std::regex(
          "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n\tboundary=\"([^\"]+)\"")))
      << head;
  const std::string boundary = b[1];
  // Two parts, then the closing delimiter.
  std::vector<std::string> parts;
  std::size_t at = body.find("--" + boundary + "\r\n");
  while (at != std::string::npos) {
    const std::size_t from = at + boundary.size() + 4;
    std::size_t next = body.find("\r\n--" + boundary, from);
    ASSERT_NE(next, std::string::npos);
    parts.push_back(body.substr(from, next - from));
    at = body.compare(next + 4 + boundary.size(), 2, "--") == 0 ? std::string::npos : next + 2;
  }
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].find("Content-Type: text/plain"), 0u);
  const auto [att_head, att_body] = HeadAndBody(parts[1]);
  EXPECT_NE(att_head.find("Content-Type: application/tlsrpt+gzip\r\n"), std::string::npos);
  EXPECT_NE(att_head.find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
  EXPECT_NE(att_head.find("filename=\"mail.sndr.example.com!company-y.example!1795824000!"
                          "1795910399.json.gz\""),
            std::string::npos)
      << att_head;
  // The attachment is the gzipped report, base64 in lines of at most 76.
  const std::string gz = ReportBody(r.reports()[0].report, true);
  EXPECT_EQ(att_body, text::Base64(gz, 76));
  auto rep = ReadReport(testing::Gunzip(gz));
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->policies.at(0).total_failure_session_count, 1u);
  // Every line of the message fits RFC 5322's 998.
  std::size_t start = 0;
  while (start < m.size()) {
    const std::size_t end = m.find("\r\n", start);
    ASSERT_NE(end, std::string::npos) << "the message ends with CR LF";
    EXPECT_LE(end - start, 998u);
    start = end + 2;
  }
}

}  // namespace
}  // namespace mxconform::tlsrpt
