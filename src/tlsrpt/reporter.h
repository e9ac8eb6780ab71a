// The sending side of TLS-RPT (RFC 8460 §3, §4, §5): sessions are counted
// per Policy Domain and UTC day, each finished day becomes one aggregate
// report per Policy Domain, and each report is submitted to the domain's
// `rua` URIs (discovered at `_smtp._tls.<policy-domain>`) with the retry
// schedule of §5.5. No I/O here: DNS goes through spf::Resolver, time
// through Clock, submissions through ReportTransport.
//
// Choices the RFC leaves open, made here:
// - The reporting period is the UTC day (§4.1 "typically" 24 hours), and
//   the date-range covers it from 00:00:00Z to 23:59:59Z. The filename's
//   timestamps (§5.1) are the same two instants.
// - Each report is submitted to the rua URIs in the order the record lists
//   them, one after the other, until one accepts it (RPT-3-08: "try each,
//   or only one" is the reporter's choice; any acceptance ends it).
// - An HTTPS submission is accepted on any 2xx status (§5.4 says "typically
//   200 or 201"; the requirements catalogue reads any 2xx as success).
// - A failed round is retried after 5 minutes, then 10, 20, ... (doubling),
//   and not after 24 hours from the first attempt (§5.5, RPT-5.5-01).
// - The first attempt waits a random delay of up to 4 hours after the day
//   ends (§4.1, RPT-4-12), drawn from a seeded generator so that runs can be
//   replayed.
// - Sessions that delivered a report are not counted (§3, RPT-3-12).
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "spf/resolver.h"
#include "tlsrpt/report.h"
#include "tlsrpt/txt_record.h"

namespace mxconform::tlsrpt {

// One session the Sending MTA made (or tried to make) to a Policy Domain's
// MX, as §4 counts it: a success, or a failure with its details.
struct SessionOutcome {
  UnixSeconds time = 0;
  std::string policy_domain;  // A-label form
  PolicyType policy_type = PolicyType::kNoPolicyFound;
  std::vector<std::string> policy_string;  // the policy as applied, one line per element
  std::string mx_host;                     // the MX pattern the session matched, if any
  bool success = true;
  // When !success: what failed (failed_session_count is ignored: each
  // outcome is one session).
  FailureDetail failure;
  // The session delivered a TLS-RPT report: not counted (RPT-3-12).
  bool report_delivery = false;
};

// One report to compose: a Policy Domain and the UTC day (its first second).
struct ReportKey {
  UnixSeconds day = 0;
  std::string policy_domain;
  auto operator<=>(const ReportKey&) const = default;
};

struct ReporterOptions {
  std::string organization_name = "mxconform reference sender";
  // §4.4 contact-info; a mailbox here, as the From of mailed reports.
  std::string contact_info = "tlsrpt@sender.mxconform.invalid";
  // The Sending MTA's domain: the filename's `sender` (§5.1), the
  // TLS-Report-Submitter (§5.3) and the right side of report ids. RFC 8460
  // §5.3 asks that it be the domain of contact_info (RPT-5.3-02).
  std::string submitter = "sender.mxconform.invalid";
  // §4.4 sending-mta-ip, for a session recorded without one: the address
  // the Sending MTA sends from (the lab's reference sender: loopback).
  std::string sending_mta_ip = "127.0.0.1";
  bool gzip = true;                             // RPT-5.2-01
  std::int64_t max_initial_delay_s = 4 * 3600;  // RPT-4-12
  std::int64_t first_retry_s = 300;             // RPT-5.5-01
  std::int64_t give_up_after_s = 24 * 3600;     // RPT-5.5-01
  std::uint64_t seed = 1;                       // initial delays and MIME boundaries
};

// Where a report goes, as the transports see it.
class ReportTransport {
 public:
  virtual ~ReportTransport() = default;
  // POSTs `body` to the https URI `url` with `content_type`; the HTTP
  // status, or 0 when no answer came (`detail` says why). With a status,
  // `detail` may note something the attempt's record should keep (a
  // certificate error ignored, RFC 8460 §3); the reporter adds the status.
  virtual int Post(std::string_view url, std::string_view content_type, std::string_view body,
                   std::string& detail) = 0;
  // Submits the RFC 5322 `message` for delivery to `address`; true when
  // accepted. The delivery must not enforce MTA-STS or DANE (RFC 8460
  // §3, RPT-3-11), and the sessions it makes are report deliveries.
  virtual bool Mail(std::string_view address, std::string_view message, std::string& detail) = 0;
};

// One try of one URI.
struct SubmissionAttempt {
  UnixSeconds time = 0;
  ReportKey key;
  std::string uri;
  bool accepted = false;
  std::string detail;  // the status or the transport's reason
};

enum class ReportState : std::uint8_t {
  kWaiting,    // scheduled; not yet tried or to be retried
  kDelivered,  // one URI accepted it
  kGaveUp,     // 24 hours of retries passed without an acceptance
  kNoPolicy,   // the domain publishes no usable TLS-RPT record (§3)
};
std::string_view ReportStateName(ReportState s);  // "waiting", "delivered", "gave-up", "no-policy"

struct PendingReport {
  ReportKey key;
  Report report;
  std::vector<ReportUri> rua;
  ReportState state = ReportState::kWaiting;
  UnixSeconds first_attempt = 0;  // when the first round is due
  UnixSeconds next_attempt = 0;
  int rounds = 0;   // rounds tried so far
  std::string why;  // kNoPolicy: the lookup's or the record's error
};

// The JSON text of `report` (§4.4), gzip-compressed when `gzip`.
std::string ReportBody(const Report& report, bool gzip);

// "application/tlsrpt+gzip" or "application/tlsrpt+json" (§5.3, §6.4).
std::string_view ReportMediaType(bool gzip);

// §5.1: sender "!" policy-domain "!" begin "!" end [ "!" unique-id ] "."
// ("json" / "json.gz"); `unique_id` must be 1*(ALPHA / DIGIT) or empty.
std::string ReportFilename(std::string_view sender, const ReportKey& key,
                           std::string_view unique_id, bool gzip);

// §5.3: "Report Domain: D Submitter: S Report-ID: <ID>".
std::string ReportSubject(std::string_view policy_domain, std::string_view submitter,
                          std::string_view report_id);

// The §5.3 message: a multipart/report; report-type="tlsrpt" with a
// text/plain part for people and the report as an attachment, base64
// encoded, named by ReportFilename(); TLS-Report-Domain and
// TLS-Report-Submitter headers. `date` is the Date header's instant and
// `boundary` the MIME boundary (a token the body cannot contain).
std::string ReportEmail(const Report& report, const ReportKey& key, std::string_view to,
                        const ReporterOptions& opts, UnixSeconds date, std::string_view boundary);

// The address of a mailto: URI (RFC 6068): the part before any '?',
// percent-decoded; empty if it is not one address.
std::string MailtoAddress(std::string_view uri);

class Reporter {
 public:
  Reporter(spf::Resolver& dns, const Clock& clock, ReporterOptions opts = {});

  // Counts one session in its Policy Domain's report for its UTC day.
  void Record(const SessionOutcome& s);

  // Closes every day that ended before now: composes its reports, looks up
  // each Policy Domain's rua (RPT-3-01) and schedules them. Then tries
  // every report whose time has come, through `transport`.
  void Run(ReportTransport& transport);

  // The report of `key` from what has been recorded so far, as Run() would
  // compose it.
  Report Compose(const ReportKey& key) const;

  const std::vector<PendingReport>& reports() const { return reports_; }
  const std::vector<SubmissionAttempt>& attempts() const { return attempts_; }
  // Sessions not counted because they delivered a report (RPT-3-12).
  std::uint64_t report_sessions() const { return report_sessions_; }

 private:
  struct PolicyKey {
    PolicyType type = PolicyType::kNoPolicyFound;
    std::vector<std::string> policy_string;
    std::string mx_host;
    auto operator<=>(const PolicyKey&) const = default;
  };
  struct Counts {
    std::uint64_t success = 0;
    std::uint64_t failure = 0;
    std::vector<FailureDetail> details;  // failed_session_count accumulates
  };
  using Day = std::map<PolicyKey, Counts>;

  void Schedule(const ReportKey& key);
  bool TryRound(PendingReport& p, ReportTransport& transport);

  spf::Resolver& dns_;
  const Clock& clock_;
  ReporterOptions opts_;
  std::mt19937_64 rng_;
  std::map<ReportKey, Day> open_;  // days not yet closed
  std::vector<PendingReport> reports_;
  std::vector<SubmissionAttempt> attempts_;
  std::uint64_t report_sessions_ = 0;
};

}  // namespace mxconform::tlsrpt
