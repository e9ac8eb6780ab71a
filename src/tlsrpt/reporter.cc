#include "tlsrpt/reporter.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "common/compress.h"
#include "common/text.h"

namespace mxconform::tlsrpt {
namespace {

constexpr std::int64_t kDay = 86400;

UnixSeconds DayOf(UnixSeconds t) {
  const std::int64_t r = t % kDay;
  return t - (r < 0 ? r + kDay : r);
}

struct Civil {
  int year;
  unsigned month;
  unsigned day;
  std::int64_t second_of_day;
};

Civil ToCivil(UnixSeconds t) {
  const UnixSeconds day = DayOf(t);
  const std::chrono::sys_days d{std::chrono::days{day / kDay}};
  const std::chrono::year_month_day ymd{d};
  return Civil{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
               static_cast<unsigned>(ymd.day()), t - day};
}

// RFC 3339 "2026-11-28T00:00:00Z".
std::string Rfc3339(UnixSeconds t) {
  const Civil c = ToCivil(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", c.year, c.month, c.day,
                static_cast<int>(c.second_of_day / 3600),
                static_cast<int>(c.second_of_day / 60 % 60),
                static_cast<int>(c.second_of_day % 60));
  return buf;
}

// A name from DNS or configuration, made safe for a header field, a quoted
// filename and a msg-id: letters, digits, '.', '-' and '_' are kept, any
// other byte becomes '_' (a domain in A-label form is unchanged).
std::string Safe(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (!text::IsAlnum(c) && c != '.' && c != '-' && c != '_') {
      c = '_';
    }
  }
  return out;
}

// A report id as it may stand between "<" and ">" in a header field: the
// msg-id characters (RFC 5322 §3.6.4: atext, '.', '@') kept, any other byte
// '_'. A Report's id comes from anywhere (ReportEmail is public); a CR or
// LF in it would end the header field and start another.
std::string MsgIdText(std::string_view id) {
  std::string out(id);
  for (char& c : out) {
    if (!text::IsAlnum(c) &&
        std::string_view("!#$%&'*+-/=?^_`{|}~.@").find(c) == std::string_view::npos) {
      c = '_';
    }
  }
  return out;
}

// id-left "@" id-right of the report (RFC 5322 §3.6.4 dot-atom-text on
// both sides): the day, the Policy Domain and the submitter.
std::string ReportId(const ReportKey& key, std::string_view submitter) {
  return Rfc3339(key.day).substr(0, 10) + "." + Safe(key.policy_domain) + "@" + Safe(submitter);
}

// The same failure, whatever the counts (FailureDetail's == compares them).
bool SameFailure(const FailureDetail& a, FailureDetail b) {
  b.failed_session_count = a.failed_session_count;
  return a == b;
}

}  // namespace

std::string_view ReportStateName(ReportState s) {
  switch (s) {
    case ReportState::kWaiting:
      return "waiting";
    case ReportState::kDelivered:
      return "delivered";
    case ReportState::kGaveUp:
      return "gave-up";
    case ReportState::kNoPolicy:
      return "no-policy";
  }
  return "waiting";
}

std::string ReportBody(const Report& report, bool gzip) {
  std::string json = WriteReport(report);
  return gzip ? Gzip(json) : json;
}

std::string_view ReportMediaType(bool gzip) {
  return gzip ? "application/tlsrpt+gzip" : "application/tlsrpt+json";
}

std::string ReportFilename(std::string_view sender, const ReportKey& key,
                           std::string_view unique_id, bool gzip) {
  std::string name = Safe(sender) + "!" + Safe(key.policy_domain) + "!" + std::to_string(key.day) +
                     "!" + std::to_string(key.day + kDay - 1);
  if (!unique_id.empty()) {
    name += "!";
    for (char c : unique_id) {
      name.push_back(text::IsAlnum(c) ? c : '0');  // unique-id = 1*(ALPHA / DIGIT)
    }
  }
  name += gzip ? ".json.gz" : ".json";
  return name;
}

std::string ReportSubject(std::string_view policy_domain, std::string_view submitter,
                          std::string_view report_id) {
  return "Report Domain: " + Safe(policy_domain) + " Submitter: " + Safe(submitter) +
         " Report-ID: <" + MsgIdText(report_id) + ">";
}

namespace {

// ReportEmail() with the attachment's bytes (ReportBody()) already made.
std::string EmailWithBody(const Report& report, const ReportKey& key, std::string_view to,
                          const ReporterOptions& opts, UnixSeconds date, std::string_view boundary,
                          std::string_view body) {
  const std::string domain = Safe(key.policy_domain);
  const std::string submitter = Safe(opts.submitter);
  std::string m;
  m += "From: <" + text::Printable(opts.contact_info, 254) + ">\r\n";
  m += "To: <" + text::Printable(to, 254) + ">\r\n";
  m += "Date: " + Rfc5322Date(date) + "\r\n";
  m += "Subject: " + ReportSubject(key.policy_domain, opts.submitter, report.report_id) + "\r\n";
  m += "Message-ID: <" + MsgIdText(report.report_id) + ">\r\n";
  m += "TLS-Report-Domain: " + domain + "\r\n";
  m += "TLS-Report-Submitter: " + submitter + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n";
  m += "\tboundary=\"" + std::string(boundary) + "\"\r\n";
  m += "\r\n";
  m += "This is a multipart message in MIME format.\r\n";
  m += "\r\n--" + std::string(boundary) + "\r\n";
  m += "Content-Type: text/plain; charset=us-ascii\r\n";
  m += "Content-Transfer-Encoding: 7bit\r\n\r\n";
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  for (const PolicyReport& p : report.policies) {
    ok += p.total_successful_session_count;
    failed += p.total_failure_session_count;
  }
  m += "This is an aggregate TLS report from " + submitter + " for " + domain + ",\r\n";
  m += "covering " + report.date_range.start_datetime + " to " + report.date_range.end_datetime +
       ":\r\n";
  m += std::to_string(ok) + " successful and " + std::to_string(failed) + " failed sessions.\r\n";
  m += "\r\n--" + std::string(boundary) + "\r\n";
  m += "Content-Type: " + std::string(ReportMediaType(opts.gzip)) + "\r\n";
  m += "Content-Transfer-Encoding: base64\r\n";
  m += "Content-Disposition: attachment;\r\n";
  m += "\tfilename=\"" + ReportFilename(opts.submitter, key, {}, opts.gzip) + "\"\r\n\r\n";
  m += text::Base64(body, 76);
  m += "\r\n--" + std::string(boundary) + "--\r\n";
  return m;
}

}  // namespace

std::string ReportEmail(const Report& report, const ReportKey& key, std::string_view to,
                        const ReporterOptions& opts, UnixSeconds date, std::string_view boundary) {
  return EmailWithBody(report, key, to, opts, date, boundary, ReportBody(report, opts.gzip));
}

std::string MailtoAddress(std::string_view uri) {
  constexpr std::string_view kScheme = "mailto:";
  if (uri.size() <= kScheme.size() ||
      !text::EqualsIgnoreCase(uri.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  std::string_view to = uri.substr(kScheme.size());
  to = to.substr(0, to.find('?'));
  std::optional<std::string> decoded = text::PercentDecode(to);
  if (!decoded) {
    return {};
  }
  std::string& out = *decoded;
  for (const char c : out) {
    // One addr-spec: no list separator, nothing a header or an SMTP command
    // could be split on.
    if (!text::IsVchar(c) || c == ',' || c == '<' || c == '>') {
      return {};
    }
  }
  const std::size_t at = out.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == out.size() ||
      out.find('@', at + 1) != std::string::npos) {
    return {};
  }
  return out;
}

Reporter::Reporter(spf::Resolver& dns, const Clock& clock, ReporterOptions opts)
    : dns_(dns), clock_(clock), opts_(std::move(opts)), rng_(opts_.seed) {}

void Reporter::Record(const SessionOutcome& s) {
  if (s.report_delivery) {
    ++report_sessions_;  // RFC 8460 §3 (RPT-3-12)
    return;
  }
  const ReportKey key{DayOf(s.time), text::ToLowerCopy(s.policy_domain)};
  Counts& c = open_[key][PolicyKey{s.policy_type, s.policy_string, s.mx_host}];
  if (s.success) {
    ++c.success;
    return;
  }
  ++c.failure;
  for (FailureDetail& d : c.details) {
    if (SameFailure(d, s.failure)) {
      ++d.failed_session_count;
      return;
    }
  }
  c.details.push_back(s.failure);
  c.details.back().failed_session_count = 1;
  if (c.details.back().sending_mta_ip.empty()) {
    c.details.back().sending_mta_ip = opts_.sending_mta_ip;  // §4.4: always there
  }
}

Report Reporter::Compose(const ReportKey& key) const {
  Report r;
  r.organization_name = opts_.organization_name;
  r.date_range = DateRange{Rfc3339(key.day), Rfc3339(key.day + kDay - 1)};
  r.contact_info = opts_.contact_info;
  r.report_id = ReportId(key, opts_.submitter);
  const auto it = open_.find(key);
  if (it == open_.end()) {
    return r;
  }
  for (const auto& [policy, counts] : it->second) {
    PolicyReport p;
    p.policy_type = policy.type;
    p.policy_string = policy.policy_string;
    p.policy_domain = key.policy_domain;
    if (!policy.mx_host.empty()) {
      p.mx_host.push_back(policy.mx_host);
    }
    p.total_successful_session_count = counts.success;
    p.total_failure_session_count = counts.failure;
    p.failure_details = counts.details;
    r.policies.push_back(std::move(p));
  }
  return r;
}

void Reporter::Schedule(const ReportKey& key) {
  PendingReport p;
  p.key = key;
  p.report = Compose(key);
  // RFC 8460 §4.1 (RPT-4-12): a random delay after the period ends, so that
  // reporters do not all submit at midnight.
  std::int64_t delay = 0;
  if (opts_.max_initial_delay_s > 0) {
    delay = static_cast<std::int64_t>(rng_() %
                                      static_cast<std::uint64_t>(opts_.max_initial_delay_s + 1));
  }
  p.first_attempt = key.day + kDay + delay;
  p.next_attempt = p.first_attempt;
  reports_.push_back(std::move(p));
}

bool Reporter::TryRound(PendingReport& p, ReportTransport& transport) {
  const UnixSeconds now = clock_.Now();
  if (p.rua.empty()) {
    // RFC 8460 §3 (RPT-3-01): the policy is the TXT record at
    // _smtp._tls.<policy-domain>, looked up when the report is due.
    const spf::DnsAnswer a = dns_.Query("_smtp._tls." + p.key.policy_domain, spf::QueryType::kTxt);
    if (a.status == spf::DnsStatus::kOk || a.status == spf::DnsStatus::kNxDomain) {
      Result<TxtRecord> rec = SelectTxtRecord(a.txt);
      if (!rec) {
        p.state = ReportState::kNoPolicy;
        p.why = std::string(rec.error().id);
        return false;
      }
      p.rua = rec->rua;
    } else {
      p.why = "TXT lookup: " + std::string(spf::DnsStatusName(a.status));
    }
  }
  if (!p.rua.empty()) {
    const std::string body = ReportBody(p.report, opts_.gzip);
    for (const ReportUri& u : p.rua) {
      SubmissionAttempt at;
      at.time = now;
      at.key = p.key;
      at.uri = u.uri;
      if (u.scheme == UriScheme::kHttps) {
        // §5.4 (RPT-3-09, RPT-5.4-01): POST with the report's media type; a
        // 2xx status is an acceptance.
        const int status = transport.Post(u.uri, ReportMediaType(opts_.gzip), body, at.detail);
        at.accepted = status >= 200 && status <= 299;
        if (status != 0) {
          // The transport's own note, if any, stays (a certificate error
          // it ignored, RPT-3-10).
          at.detail =
              "HTTP " + std::to_string(status) + (at.detail.empty() ? "" : "; " + at.detail);
        }
      } else {
        const std::string to = MailtoAddress(u.uri);
        if (to.empty()) {
          at.detail = "not one mailbox";
        } else {
          char boundary[40];
          std::snprintf(boundary, sizeof boundary, "tlsrpt-%016llx",
                        static_cast<unsigned long long>(rng_()));
          at.accepted = transport.Mail(
              to, EmailWithBody(p.report, p.key, to, opts_, now, boundary, body), at.detail);
        }
      }
      attempts_.push_back(at);
      if (at.accepted) {
        // §3 (RPT-3-08): one acceptance is delivery; no other URI is tried.
        p.state = ReportState::kDelivered;
        return true;
      }
    }
  }
  // §5.5 (RPT-5.5-01): exponential backoff, and no attempt after 24 hours.
  ++p.rounds;
  const int shift = std::min(p.rounds - 1, 30);
  const UnixSeconds next = now + (opts_.first_retry_s << shift);
  if (next > p.first_attempt + opts_.give_up_after_s) {
    p.state = ReportState::kGaveUp;
  } else {
    p.next_attempt = next;
  }
  return false;
}

void Reporter::Run(ReportTransport& transport) {
  const UnixSeconds now = clock_.Now();
  for (auto it = open_.begin(); it != open_.end();) {
    if (it->first.day + kDay <= now) {
      Schedule(it->first);
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  for (PendingReport& p : reports_) {
    if (p.state == ReportState::kWaiting && p.next_attempt <= now) {
      TryRound(p, transport);
    }
  }
}

}  // namespace mxconform::tlsrpt
