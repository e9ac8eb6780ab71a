#include "conformance/runner/scenario.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <utility>

#include "common/text.h"
#include "conformance/runner/model_json.h"
#include "mocks/dns/responder.h"
#include "mocks/dns/server.h"
#include "mocks/https/routing.h"
#include "mocks/https/server.h"
#include "mocks/smtp/server.h"
#include "mtasts/sender.h"
#include "net/policy_fetcher.h"
#include "net/smtp_client.h"
#include "net/stub_resolver.h"
#include "tls/verify.h"
#include "tlsrpt/reporter.h"
#include "tlsrpt/result_type.h"
#include "tlsrpt/submission.h"

namespace mxconform::conformance {

using json = nlohmann::json;
namespace pki = mxconform::mocks::pki;

namespace {

// scenario.world: what could not start.
Diagnostic WorldError(const std::string& what) {
  return MakeDiag("scenario.world", Severity::kError, 0, "cannot start the scenario's mocks", what);
}

// Binds a loopback TCP socket to `port` (0: any) without listening, so
// that connections there are refused, and keeps it in `held`. Returns
// "127.0.0.1:PORT". SO_REUSEADDR lets it take over the port of a server
// just stopped whose connections are in TIME_WAIT.
Result<std::string> HoldClosedPort(std::map<std::uint16_t, int>& held, const std::string& host,
                                   std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return WorldError("a closed port for " + host + ": socket: " + std::strerror(errno));
  }
  const int on = 1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  socklen_t len = sizeof a;
  const bool ok = ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 &&
                  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (!ok) {
    const int err = errno;
    ::close(fd);
    return WorldError("a closed port for " + host + ": bind: " + std::strerror(err));
  }
  const std::uint16_t bound = ntohs(a.sin_port);
  held[bound] = fd;
  return "127.0.0.1:" + std::to_string(bound);
}

// Lets go of a port HoldClosedPort() holds (none: nothing to do).
void ReleaseClosedPort(std::map<std::uint16_t, int>& held, std::uint16_t port) {
  if (auto it = held.find(port); it != held.end()) {
    ::close(it->second);
    held.erase(it);
  }
}

// What happened that the scenario did not script; the run ends in error.
struct Unscripted {
  std::vector<std::string> what;
};

constexpr std::string_view kPolicyPath = "/.well-known/mta-sts.txt";
constexpr std::size_t kPolicyCap = 64 * 1024;  // RFC 8461 §3.3
// The sender's deadlines in both modes: the whole policy fetch (in-process,
// a trickled body that would take longer times out), and each DNS, SMTP or
// TLS step on the wire. Short, so that a wire run meeting a stalling peer
// ends fast; RFC 8461 §3.3 lets a sender choose (STS-3.3-09).
constexpr std::uint32_t kFetchTimeoutMs = 1000;
constexpr std::uint32_t kWireTimeoutMs = 1000;

tls::VerifyResult VerifyFromPki(const pki::Pki& p, const std::string& leaf, bool intermediates,
                                const tls::TrustStore& trust, std::string_view host,
                                UnixSeconds now) {
  tls::VerifyOptions o;
  o.time = now;
  return tls::Verify(p.Chain(leaf, intermediates), trust, host, o);
}

// A POST an https rua endpoint received (RFC 8460 §3): where it went,
// its Content-Type and body.
struct ReceivedPost {
  std::string url;  // https://<host><target>
  std::string content_type;
  std::string body;
};

// A message an MX accepted: which host, for whom (the RCPT TO addresses,
// joined with ","), and the message as sent.
struct ReceivedMail {
  std::string mx;
  std::string to;
  std::string message;
};

// The scenario's https hosts as the sender meets them: its policy fetches
// (GET) and, in a report step, its TLS-RPT reports to https rua
// endpoints (POST).
class ScenarioFetcher : public mtasts::PolicyFetcher {
 public:
  virtual mtasts::FetchResponse Post(const net::HttpsPostRequest& request) = 0;
};

class FakeFetcher final : public ScenarioFetcher {
 public:
  FakeFetcher(const Scenario& s, const pki::Pki& p, const tls::TrustStore& trust, const Clock& c,
              Unscripted& u, std::vector<std::string>& log)
      : s_(s), pki_(p), trust_(trust), clock_(c), unscripted_(u), log_(log) {}

  mtasts::FetchResponse Fetch(std::string_view host_in, std::string_view path_in) override {
    mtasts::FetchResponse r;
    const std::string host(host_in);
    log_.push_back("https " + host + std::string(path_in));
    const HttpsHostSpec* h = Reach(host, /*verify=*/true, r);
    if (h == nullptr) {
      return r;
    }
    const HttpsPathSpec* path = Answer(*h, "GET", host, std::string(path_in), r);
    if (path == nullptr) {
      return r;
    }
    const std::size_t size = path->oversized ? kPolicyCap + 4096 : path->body.size();
    if (size > kPolicyCap) {
      r.failure = mtasts::FetchFailure::kTooLarge;
      r.detail = std::to_string(size) + " octets";
      return r;
    }
    if (path->close_delimited && path->no_close_notify) {
      // As net::HttpsPolicyFetcher takes it (RFC 9112 §9.8): a body that
      // ends with the connection but without close_notify may be cut.
      r.failure = mtasts::FetchFailure::kNetwork;
      r.detail = "close-delimited body without close_notify";
      return r;
    }
    if (path->trickle_ms != 0 &&
        static_cast<std::uint64_t>(path->trickle_ms) * ((size + 63) / 64) >= kFetchTimeoutMs) {
      r.failure = mtasts::FetchFailure::kTimeout;
      r.detail = "body trickled past the deadline";
      return r;
    }
    r.status = path->status;
    r.content_type = path->content_type;
    r.location = path->location;
    r.body = path->body;
    return r;
  }

  // A report (RFC 8460 §3): the host as Fetch meets it, the chain checked
  // unless the submitter ignores it, then the path's status. The body is
  // recorded as received once the request would have been sent.
  mtasts::FetchResponse Post(const net::HttpsPostRequest& q) override {
    mtasts::FetchResponse r;
    log_.push_back("https POST " + q.host + q.path);
    const HttpsHostSpec* h = Reach(q.host, q.verify_certificate, r);
    if (h == nullptr) {
      return r;
    }
    posts_.push_back({"https://" + q.host + q.path, q.content_type, q.body});
    const HttpsPathSpec* path = Answer(*h, "POST", q.host, q.path.substr(0, q.path.find('?')), r);
    if (path == nullptr) {
      return r;
    }
    r.status = path->status;
    r.content_type = path->content_type;
    r.body = path->body;
    return r;
  }

  std::uint32_t fetches() const { return fetches_; }
  const std::vector<ReceivedPost>& posts() const { return posts_; }

 private:
  // The host up to the request: scripted, listening (a connection then
  // counts as a fetch, as the mocks count them on the wire), speaking
  // TLS, its chain valid for `host` (or the failure ignored, noted in
  // r.detail, unless `verify`). Null, with r failed, where it stops.
  const HttpsHostSpec* Reach(const std::string& host, bool verify, mtasts::FetchResponse& r) {
    auto it = s_.https.find(host);
    if (it == s_.https.end()) {
      unscripted_.what.push_back("HTTPS request to " + host);
      r.failure = mtasts::FetchFailure::kNetwork;
      r.detail = "unscripted host";
      return nullptr;
    }
    const HttpsHostSpec& h = it->second.At(clock_.Now());
    if (h.down) {
      r.failure = mtasts::FetchFailure::kNetwork;
      r.detail = "connection refused";
      return nullptr;
    }
    ++fetches_;
    if (h.plain_http || h.handshake_failure) {
      r.failure = mtasts::FetchFailure::kTlsHandshake;
      r.detail = h.plain_http ? "the host speaks plain HTTP" : "handshake aborted";
      return nullptr;
    }
    tls::VerifyResult v = VerifyFromPki(pki_, h.cert, h.intermediates, trust_, host, clock_.Now());
    if (!v.ok()) {
      std::string why = std::string(tls::CertFailureResultType(v.failure)) + ": " + v.detail;
      if (verify) {
        r.failure = mtasts::FetchFailure::kCertificateInvalid;
        r.detail = std::move(why);
        return nullptr;
      }
      r.detail = "certificate error ignored: " + why;
    }
    return &h;
  }

  // The rule for `path` on the host, unless it stalls or resets (r failed)
  // or is not scripted (a 404, and the scenario's error). Null then.
  const HttpsPathSpec* Answer(const HttpsHostSpec& h, const char* method, const std::string& host,
                              const std::string& path, mtasts::FetchResponse& r) {
    auto p = h.paths.find(path);
    if (p == h.paths.end()) {
      unscripted_.what.push_back(std::string("HTTPS ") + method + " " + host + path);
      r.status = 404;
      return nullptr;
    }
    if (p->second.stall) {
      r.failure = mtasts::FetchFailure::kTimeout;
      r.detail = "no answer";
      return nullptr;
    }
    if (p->second.reset) {
      r.failure = mtasts::FetchFailure::kNetwork;
      r.detail = "connection reset mid-body";
      return nullptr;
    }
    return &p->second;
  }

  std::uint32_t fetches_ = 0;
  std::vector<ReceivedPost> posts_;
  const Scenario& s_;
  const pki::Pki& pki_;
  const tls::TrustStore& trust_;
  const Clock& clock_;
  Unscripted& unscripted_;
  std::vector<std::string>& log_;
};

class FakeSession final : public mtasts::MxSession {
 public:
  FakeSession(const std::string& host, const SmtpHostSpec& spec, std::uint32_t& messages,
              std::vector<ReceivedMail>& mails, const pki::Pki& p, const tls::TrustStore& trust,
              const Clock& c, std::vector<std::string>& log)
      : host_(host),
        spec_(spec),
        messages_(messages),
        mails_(mails),
        pki_(p),
        trust_(trust),
        clock_(c),
        log_(log) {}

  bool Greet(std::string&) override { return true; }
  bool StarttlsOffered() const override {
    return spec_.starttls != "absent" && spec_.starttls != "strip-from-ehlo";
  }
  mtasts::StartTlsResult StartTls(std::string_view sni) override {
    mtasts::StartTlsResult r;
    if (spec_.starttls == "reply-454" || spec_.starttls == "reply-502") {
      r.outcome = mtasts::TlsOutcome::kStarttlsRefused;
      r.usable = false;
      r.detail = spec_.starttls == "reply-454" ? "454 TLS not available" : "502 not implemented";
      return r;
    }
    if (spec_.starttls == "abort-handshake" || spec_.starttls == "garbage-after-220") {
      r.outcome = mtasts::TlsOutcome::kHandshakeFailed;
      r.usable = false;
      r.detail = spec_.starttls;
      return r;
    }
    // The sender asks for TLS 1.2 or later (RFC 8461 §7.2), as
    // net::SmtpConnector does on the wire.
    const auto tls_max = mocks::smtp::ParseTlsVersion(spec_.tls_max);
    if (tls_max && *tls_max != mocks::smtp::TlsVersion::kAny &&
        *tls_max < mocks::smtp::TlsVersion::kTls1_2) {
      r.outcome = mtasts::TlsOutcome::kHandshakeFailed;
      r.usable = false;
      r.detail = "no common TLS version (the MX stops at " + spec_.tls_max + ")";
      return r;
    }
    // The chain for the SNI sent; another name (or none) gets the default.
    const bool named = spec_.default_cert.empty() || text::EqualsIgnoreCase(sni, host_);
    tls::VerifyResult v = VerifyFromPki(pki_, named ? spec_.cert : spec_.default_cert,
                                        spec_.intermediates, trust_, sni, clock_.Now());
    tls_ = true;
    switch (v.failure) {
      case tls::CertFailure::kNone:
        r.outcome = mtasts::TlsOutcome::kOk;
        break;
      case tls::CertFailure::kExpired:
        // RFC 8461 §4.2 names only "expired"; not-yet-valid reports the
        // same result type (STS-4.2-01).
        r.outcome = mtasts::TlsOutcome::kCertExpired;
        break;
      case tls::CertFailure::kNotTrusted:
        r.outcome = mtasts::TlsOutcome::kCertUntrusted;
        break;
      case tls::CertFailure::kHostMismatch:
        r.outcome = mtasts::TlsOutcome::kCertHostMismatch;
        break;
      case tls::CertFailure::kValidation:
        // As net::SmtpConnector does: TLS is up, the chain is unacceptable
        // (a weak key, SHA-1); decision.h has no outcome closer than this.
        r.outcome = mtasts::TlsOutcome::kCertUntrusted;
        break;
    }
    r.detail = v.ok() ? "verified" : std::string(tls::CertFailureResultType(v.failure));
    return r;
  }
  mtasts::SendResult Send(std::string_view, std::string_view to,
                          std::string_view message) override {
    log_.push_back("smtp " + host_ + ": MAIL/RCPT/DATA over " + (tls_ ? "TLS" : "plaintext"));
    if (spec_.require_tls && !tls_) {
      return {mtasts::SendStatus::kPermFail, "530 5.7.0 Must issue a STARTTLS command first"};
    }
    if (spec_.reject) {
      return {mtasts::SendStatus::kPermFail, "550 rejected"};
    }
    if (messages_ < spec_.greylist) {
      ++messages_;
      return {mtasts::SendStatus::kTempFail, "451 4.7.1 greylisted"};
    }
    ++messages_;
    mails_.push_back({host_, std::string(to), std::string(message)});
    return {mtasts::SendStatus::kAccepted, "250 ok"};
  }
  void Quit() override {}

 private:
  std::string host_;
  const SmtpHostSpec& spec_;
  std::uint32_t& messages_;
  std::vector<ReceivedMail>& mails_;
  const pki::Pki& pki_;
  const tls::TrustStore& trust_;
  const Clock& clock_;
  std::vector<std::string>& log_;
  bool tls_ = false;
};

class FakeConnector final : public mtasts::MxConnector {
 public:
  FakeConnector(const Scenario& s, const pki::Pki& p, const tls::TrustStore& trust, const Clock& c,
                Unscripted& u, std::vector<std::string>& log)
      : s_(s), pki_(p), trust_(trust), clock_(c), unscripted_(u), log_(log) {}

  std::unique_ptr<mtasts::MxSession> Connect(std::string_view host, std::string_view address,
                                             std::string& detail) override {
    // As net::SmtpConnector maps names: ASCII case and one trailing dot
    // do not matter.
    std::string key = text::ToLowerCopy(host);
    if (key.size() > 1 && key.back() == '.') {
      key.pop_back();
    }
    log_.push_back("smtp connect " + key);
    auto it = s_.smtp.find(key);
    if (it == s_.smtp.end()) {
      unscripted_.what.push_back("SMTP connection to " + key);
      detail = "unscripted MX";
      return nullptr;
    }
    const SmtpHostSpec& spec = it->second.At(clock_.Now());
    const auto& refusing = it->second.down_addresses;
    if (spec.down || std::find(refusing.begin(), refusing.end(), address) != refusing.end()) {
      detail = "connection refused";
      return nullptr;
    }
    // A later phase is another mock on the wire, with a greylist count of
    // its own.
    std::uint32_t& messages = messages_[{key, &spec}];
    return std::make_unique<FakeSession>(key, spec, messages, mails, pki_, trust_, clock_, log_);
  }

  std::vector<ReceivedMail> mails;  // every message accepted, in order

 private:
  const Scenario& s_;
  const pki::Pki& pki_;
  const tls::TrustStore& trust_;
  const Clock& clock_;
  Unscripted& unscripted_;
  std::vector<std::string>& log_;
  std::map<std::pair<std::string, const SmtpHostSpec*>, std::uint32_t> messages_;
};

// What the world saw, for the expectations that look past the sender's own
// report: the DNS queries (as "name TYPE") and the policy fetches.
struct Observer {
  std::function<std::uint64_t()> dns_mark;  // Responder::logged() now
  std::function<std::vector<std::string>(std::uint64_t)> dns_since;
  std::function<std::uint32_t()> fetches;
  // Every POST the https hosts received so far, in order.
  std::function<std::vector<ReceivedPost>()> posts;
  // The messages the MX hosts accepted after a mark (mail_mark() then).
  std::function<std::vector<std::uint64_t>()> mail_mark;
  std::function<std::vector<ReceivedMail>(const std::vector<std::uint64_t>&)> mails_since;
  // Wire mode only (empty in-process, where no SMTP commands exist): the
  // MX mocks' sessions so far, counted per mock, and those after a count.
  std::function<std::vector<std::uint64_t>()> smtp_mark;
  std::function<SmtpSessions(const std::vector<std::uint64_t>&)> smtp_since;
};

// The queries logged since `mark` (a value of Responder::logged()): the
// log keeps only its last entries, so positions count from the first
// entry ever logged.
std::vector<std::string> QueriesSince(const mocks::dns::Responder& responder, std::uint64_t mark) {
  std::vector<std::string> out;
  for (const auto& e : responder.LogSince(mark)) {
    std::string name = text::ToLowerCopy(e.qname);
    if (name.size() > 1 && name.back() == '.') {
      name.pop_back();
    }
    out.push_back(name + " " + dns::RrTypeName(e.qtype));
  }
  return out;
}

// The level a step's tls_rpt key is graded at. A sender need not implement
// TLS-RPT (RFC 8460 §3 and RFC 8461 §5: "if ... TLS-RPT is implemented"), so
// what it would report is a SHOULD even in a step that checks a MUST: a
// sender without reporting still conforms to the MUST the step is about.
std::string TlsRptLevel(const ScenarioExpect& e) { return e.level == "MAY" ? "MAY" : "SHOULD"; }

// The tls_rpt key of an expect step against the failures the last delivery
// would report; "" if it matches or is not set. The order does not count:
// a report aggregates failures by type (RFC 8460 §4.3), and a sender may
// record a policy refresh's failure before or after the delivery's (RFC
// 8461 §5.1 lets it refresh asynchronously); how many of each does.
std::string CheckTlsRpt(const ScenarioExpect& e, const mtasts::DeliveryReport& r) {
  if (!e.tls_rpt) {
    return "";
  }
  std::vector<std::string> got;
  for (const auto& f : r.failures) {
    got.emplace_back(tlsrpt::ResultTypeName(f.type));
  }
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<std::string> got_sorted = sorted(got);
  if (std::any_of(e.tls_rpt->begin(), e.tls_rpt->end(), [&](const std::vector<std::string>& want) {
        return sorted(want) == got_sorted;
      })) {
    return "";
  }
  const json want = e.tls_rpt->size() == 1 ? json(e.tls_rpt->front()) : json(*e.tls_rpt);
  return "tls_rpt: expected " + std::string(e.tls_rpt->size() == 1 ? "" : "one of ") +
         DumpJson(want) + ", got " + DumpJson(json(got));
}

// The command's verb, lower-case ("mail" for "MAIL FROM:<a@b>").
std::string Verb(std::string_view line) {
  return text::ToLowerCopy(line.substr(0, line.find(' ')));
}

// How many deliveries tried each host first; "(none)" counts those that
// tried none.
std::map<std::string, std::uint32_t> FirstCounts(const std::vector<std::string>& firsts) {
  std::map<std::string, std::uint32_t> seen;
  for (const auto& h : firsts) {
    ++seen[h.empty() ? "(none)" : h];
  }
  return seen;
}

// first_contacted: the host each delivery of the last deliver step tried
// first ("" when it tried none), judged as a set.
std::string CheckFirstContacted(const ScenarioExpect& e, const std::vector<std::string>& firsts) {
  if (e.first_contacted.empty()) {
    return "";
  }
  const std::map<std::string, std::uint32_t> seen = FirstCounts(firsts);
  const std::set<std::string> want(e.first_contacted.begin(), e.first_contacted.end());
  std::vector<std::string> missing;
  for (const auto& h : want) {
    if (seen.count(h) == 0) {
      missing.push_back(h);
    }
  }
  std::vector<std::string> extra;
  for (const auto& [h, n] : seen) {
    if (want.count(h) == 0) {
      extra.push_back(h);
    }
  }
  if (missing.empty() && extra.empty()) {
    return "";
  }
  std::string why = "first_contacted over " + std::to_string(firsts.size()) + " deliveries: ";
  if (!missing.empty()) {
    why += "never first: " + text::Join(missing, ", ") +
           " (equal preferences must be tried in a random order, RFC "
           "5321 §5.1)";
  }
  if (!extra.empty()) {
    why += std::string(missing.empty() ? "" : "; ") +
           "first, which it must not be: " + text::Join(extra, ", ");
  }
  return why + "; first by host: " + DumpJson(json(seen));
}

// What the last report step did: one "URI accepted" / "URI refused" per
// submission attempt, and the session counts of the reports it tried.
struct ReportStepResult {
  std::vector<std::string> attempts;
  std::uint64_t successful = 0;
  std::uint64_t failed = 0;
  std::vector<ReceivedPost> posts;  // what the https rua endpoints received
  std::vector<ReceivedMail> mails;  // what the MX hosts accepted
};

// reports and report_counts against the last report step; "" if they hold.
std::string CheckReports(const ScenarioExpect& e, const ReportStepResult& got) {
  if (e.reports && *e.reports != got.attempts) {
    return "reports: expected " + DumpJson(json(*e.reports)) + ", got " +
           DumpJson(json(got.attempts));
  }
  if (e.report_counts &&
      (e.report_counts->successful != got.successful || e.report_counts->failed != got.failed)) {
    return "report_counts: expected " + std::to_string(e.report_counts->successful) +
           " successful and " + std::to_string(e.report_counts->failed) + " failed, got " +
           std::to_string(got.successful) + " and " + std::to_string(got.failed);
  }
  if (e.report_posts) {
    json want = json::array();
    for (const auto& p : *e.report_posts) {
      want.push_back(p.url + " " + p.content_type);
    }
    json seen = json::array();
    for (const auto& p : got.posts) {
      seen.push_back(p.url + " " + p.content_type);
    }
    if (want != seen) {
      return "report_posts: expected " + DumpJson(want) + ", got " + DumpJson(seen);
    }
    for (std::size_t i = 0; i < got.posts.size(); ++i) {
      // As the endpoint reads it (RFC 8460 §5.4): gunzipped for
      // application/tlsrpt+gzip (RPT-5.2-01), then the report JSON.
      const auto read = tlsrpt::ReadReportPost(got.posts[i].content_type, got.posts[i].body);
      if (!read) {
        return "report_posts: the body POSTed to " + got.posts[i].url +
               " is not an RFC 8460 report: " + read.error().Text();
      }
    }
  }
  if (e.report_mails) {
    json want = json::array();
    for (const auto& m : *e.report_mails) {
      want.push_back(m.to + " via " + m.mx);
    }
    json seen = json::array();
    for (const auto& m : got.mails) {
      seen.push_back(m.to + " via " + m.mx);
    }
    if (want != seen) {
      return "report_mails: expected " + DumpJson(want) + ", got " + DumpJson(seen);
    }
    for (std::size_t i = 0; i < got.mails.size(); ++i) {
      // As a Policy Domain's mailbox reads it (RFC 8460 §5.3).
      const auto read = tlsrpt::ReadReportMail(got.mails[i].message);
      if (!read) {
        return "report_mails: the message to " + got.mails[i].to +
               " is not an RFC 8460 report mail: " + read.error().Text();
      }
      const std::string& domain = (*e.report_mails)[i].report_domain;
      if (!domain.empty() && !text::EqualsIgnoreCase(read->report_domain, domain)) {
        return "report_mails: the message to " + got.mails[i].to + " reports on " +
               read->report_domain + ", not " + domain;
      }
    }
  }
  return "";
}

// The domain of a recipient address (the scenarios' are ASCII).
std::string RecipientDomain(const std::string& address) {
  return address.substr(address.rfind('@') + 1);
}

// Where the evidence of the last deliver (or report) step starts: the DNS
// log before its first delivery and before its last (they differ for
// `times: N`), and the MX mocks' sessions before its first.
struct StepMarks {
  std::uint64_t dns_step = 0;
  std::uint64_t dns_last = 0;
  std::vector<std::uint64_t> smtp;
};

// The first unmet key of an expect step, tls_rpt aside (CheckTlsRpt()), or
// "" if all match. `queried` (and `queried: []`) judge the last delivery,
// which is what the sender's state then leads it to ask; `not_queried` and
// `smtp_client` every delivery of the step, each a rule no delivery may
// break.
std::string Check(const ScenarioExpect& e, const mtasts::DeliveryReport& r,
                  const mtasts::PolicyCache& cache, const std::string& domain, const Observer& obs,
                  const StepMarks& marks) {
  if (e.verdict && *e.verdict != mtasts::VerdictName(r.verdict)) {
    return "verdict: expected " + *e.verdict + ", got " +
           std::string(mtasts::VerdictName(r.verdict));
  }
  if (e.channel && *e.channel != mtasts::ChannelName(r.channel)) {
    return "channel: expected " + *e.channel + ", got " +
           std::string(mtasts::ChannelName(r.channel));
  }
  if (e.mx && *e.mx != r.mx) {
    return "mx: expected " + *e.mx + ", got " + (r.mx.empty() ? "none" : r.mx);
  }
  if (e.policy_mode) {
    const mtasts::CachedPolicy* held = cache.Effective(domain);
    const std::string got =
        held == nullptr ? "none-held" : std::string(mtasts::ModeName(held->policy.mode));
    if (got != *e.policy_mode) {
      return "policy: expected " + (*e.policy_mode == "none-held" ? "none held" : *e.policy_mode) +
             ", got " + (got == "none-held" ? "none held" : got);
    }
    if (e.policy_id && held != nullptr && held->id != *e.policy_id) {
      return "policy id: expected " + *e.policy_id + ", got " + held->id;
    }
  }
  if (e.contacted && *e.contacted != r.contacted) {
    return "contacted: expected " + DumpJson(json(*e.contacted)) + ", got " +
           DumpJson(json(r.contacted));
  }
  for (const auto& h : e.not_contacted) {
    if (std::find(r.contacted.begin(), r.contacted.end(), h) != r.contacted.end()) {
      return "contacted " + h + ", which it must not";
    }
  }
  if (!e.queried.empty() || !e.not_queried.empty() || e.no_queries) {
    const std::vector<std::string> last_asked = obs.dns_since(marks.dns_last);
    const std::vector<std::string> step_asked = obs.dns_since(marks.dns_step);
    if (e.no_queries && !last_asked.empty()) {
      return "queried: expected no DNS query, got " + DumpJson(json(last_asked));
    }
    auto asked = [](const std::vector<std::string>& in, const std::string& q) {
      return std::any_of(in.begin(), in.end(),
                         [&](const std::string& a) { return text::EqualsIgnoreCase(a, q); });
    };
    for (const auto& q : e.queried) {
      if (!asked(last_asked, q)) {
        return "queried: expected " + q + ", not asked (asked: " + DumpJson(json(last_asked)) + ")";
      }
    }
    for (const auto& q : e.not_queried) {
      if (asked(step_asked, q)) {
        return "queried " + q + ", which it must not";
      }
    }
  }
  if (e.fetches && !e.fetches->Matches(obs.fetches())) {
    return "fetches: expected " + e.fetches->Text() + " policy fetches so far, got " +
           std::to_string(obs.fetches());
  }
  if (e.alerted && *e.alerted != !r.alerts.empty()) {
    return *e.alerted ? "alerted: expected an alert to the administrator, got none"
                      : "alerted: expected no alert, got: " + r.alerts.front();
  }
  if (e.smtp_client && obs.smtp_since) {
    if (std::string why = CheckSmtpClient(*e.smtp_client, obs.smtp_since(marks.smtp));
        !why.empty()) {
      return "smtp_client: " + why;
    }
  }
  return "";
}

}  // namespace

namespace {

// Builds (or reuses) a scenario's PKI. Scenarios that share a base share
// its certificates; keys, RSA ones above all, cost more than a whole
// in-process run, so one build per distinct (specs, start) serves all.
Result<std::shared_ptr<const pki::Pki>> BuildPki(const std::vector<pki::CertSpec>& specs,
                                                 UnixSeconds start) {
  // Compared whole (CertSpec's ==): a key built from some of the fields
  // took a base's mx1 for a scenario's mx1 with the same names and another
  // EKU, and the scenario then tested the good certificate.
  struct Entry {
    std::vector<pki::CertSpec> specs;
    UnixSeconds start;
    std::shared_ptr<const pki::Pki> pki;
  };
  static std::mutex mu;
  static std::vector<Entry> cache;
  std::lock_guard lock(mu);
  for (const Entry& e : cache) {
    if (e.start == start && e.specs == specs) {
      return e.pki;
    }
  }
  auto built = pki::Pki::Build(specs, start);
  if (built) {
    cache.push_back(Entry{specs, start, *built});
  }
  return built;
}

// The case skeleton both modes fill.
CaseResult NewCase(const Scenario& s, std::string_view mode) {
  CaseResult r;
  r.id = s.id + "/" + std::string(mode);
  r.suite = "scenarios";
  r.kind = "scenario";
  r.summary = s.title;
  r.file = s.file.string();
  for (const auto& q : s.requirements) {
    r.requirements.push_back(q.id);
  }
  // What the scenario expects, step by step (the report shows it beside
  // the transcript).
  json expected = json::array();
  for (const auto& st : s.steps) {
    if (st.kind != ScenarioStep::Kind::kExpect) {
      continue;
    }
    const ScenarioExpect& e = st.expect;
    json x = {{"line", st.line}};
    if (e.verdict) {
      x["verdict"] = *e.verdict;
    }
    if (e.channel) {
      x["channel"] = *e.channel;
    }
    if (e.mx) {
      x["mx"] = *e.mx;
    }
    if (e.tls_rpt) {
      x["tls_rpt"] =
          e.tls_rpt->size() == 1 ? json(e.tls_rpt->front()) : json({{"one_of", *e.tls_rpt}});
      x["tls_rpt_level"] = TlsRptLevel(e);
    }
    if (e.policy_mode) {
      x["policy"] = *e.policy_mode == "none-held" ? json("none") : json({{"mode", *e.policy_mode}});
      if (e.policy_id) {
        x["policy"]["id"] = *e.policy_id;
      }
    }
    if (e.contacted) {
      x["contacted"] = *e.contacted;
    }
    if (!e.not_contacted.empty()) {
      x["not_contacted"] = e.not_contacted;
    }
    if (!e.first_contacted.empty()) {
      x["first_contacted"] = e.first_contacted;
    }
    if (!e.queried.empty() || e.no_queries) {
      x["queried"] = e.queried;
    }
    if (!e.not_queried.empty()) {
      x["not_queried"] = e.not_queried;
    }
    if (e.fetches && e.fetches->exact()) {
      x["fetches"] = e.fetches->at_least;
    } else if (e.fetches) {
      x["fetches"] = {{"at_least", e.fetches->at_least}, {"at_most", e.fetches->at_most}};
    }
    if (e.alerted) {
      x["alerted"] = *e.alerted;
    }
    if (e.reports) {
      x["reports"] = *e.reports;
    }
    if (e.report_counts) {
      x["report_counts"] = {{"successful", e.report_counts->successful},
                            {"failed", e.report_counts->failed}};
    }
    if (e.report_posts) {
      json posts = json::array();
      for (const auto& p : *e.report_posts) {
        posts.push_back({{"url", p.url}, {"content_type", p.content_type}});
      }
      x["report_posts"] = std::move(posts);
    }
    if (e.report_mails) {
      json mails = json::array();
      for (const auto& m : *e.report_mails) {
        json one = {{"to", m.to}, {"mx", m.mx}};
        if (!m.report_domain.empty()) {
          one["report_domain"] = m.report_domain;
        }
        mails.push_back(std::move(one));
      }
      x["report_mails"] = std::move(mails);
    }
    if (e.smtp_client) {
      json c = json::object();
      for (const auto& [key, on] :
           {std::pair<const char*, bool>{"starttls_bare", e.smtp_client->starttls_bare},
            {"no_pipelining_into_tls", e.smtp_client->no_pipelining_into_tls},
            {"ehlo_first_under_tls", e.smtp_client->ehlo_first_under_tls},
            {"no_starttls_under_tls", e.smtp_client->no_starttls_under_tls},
            {"no_mail_in_clear", e.smtp_client->no_mail_in_clear}}) {
        if (on) {
          c[key] = true;
        }
      }
      if (!e.smtp_client->quit_after_tls.empty()) {
        c["quit_after_tls"] = e.smtp_client->quit_after_tls;
      }
      if (!e.smtp_client->no_envelope_to.empty()) {
        c["no_envelope_to"] = e.smtp_client->no_envelope_to;
      }
      x["smtp_client"] = std::move(c);
    }
    if (!e.level.empty()) {
      x["level"] = e.level;
    }
    expected.push_back(std::move(x));
  }
  json levels = json::object();
  for (const auto& q : s.requirements) {
    levels[q.id] = q.level;
  }
  r.expected = {{"expect", std::move(expected)}, {"levels", std::move(levels)}};
  if (!s.attacks.empty()) {
    r.expected["attacks"] = s.attacks;
  }
  return r;
}

// Runs one deliver step's work, or gives up on it: nullopt when it did not
// finish in time (wire mode's watchdog).
using StepGuard = std::function<std::optional<mtasts::DeliveryReport>(
    const std::function<mtasts::DeliveryReport()>& work)>;
// Tests only: delivers instead of the sender (ScenarioRunOptions).
using Replacement = std::function<mtasts::DeliveryReport(const std::string& to)>;

// "https://host[:port]/path?query" -> (the host as the mock policy hosts
// route it, mocks::https::HostWithoutPort; "/path?query"); nullopt without
// a host. The port is not used: the scenario says where each host listens.
std::optional<std::pair<std::string, std::string>> SplitHttpsUri(std::string_view uri) {
  constexpr std::string_view kScheme = "https://";
  if (uri.size() < kScheme.size() ||
      !text::EqualsIgnoreCase(uri.substr(0, kScheme.size()), kScheme)) {
    return std::nullopt;
  }
  uri.remove_prefix(kScheme.size());
  const std::size_t end = uri.find_first_of("/?#");
  std::string_view authority = uri.substr(0, end);
  authority.remove_prefix(authority.rfind('@') + 1);  // userinfo (npos + 1 = 0)
  std::string host = mocks::https::HostWithoutPort(authority);
  if (host.empty()) {
    return std::nullopt;
  }
  std::string path = end == std::string_view::npos ? "" : std::string(uri.substr(end));
  path = path.substr(0, path.find('#'));
  if (path.empty() || path.front() != '/') {
    path.insert(0, "/");
  }
  return std::make_pair(std::move(host), std::move(path));
}

// Where a report step's reports go: a mailto: rua is a report delivery by
// the sender under test (RFC 8460 §3: MTA-STS not enforced for it), which
// reaches the scenario's MX mocks like any delivery; an https: rua is a
// POST to the scenario's https host of that name (RPT-3-09).
class ScenarioReportTransport final : public tlsrpt::ReportTransport {
 public:
  ScenarioReportTransport(mtasts::Sender& sender, ScenarioFetcher& hosts, const StepGuard& guard)
      : sender_(sender), hosts_(hosts), guard_(guard) {}

  int Post(std::string_view url, std::string_view content_type, std::string_view body,
           std::string& detail) override {
    const auto where = SplitHttpsUri(url);
    if (!where) {
      detail = "not an https URI with a host";
      return 0;
    }
    net::HttpsPostRequest q;
    q.host = where->first;
    q.path = where->second;
    q.content_type = std::string(content_type);
    q.body = std::string(body);
    // RFC 8460 §3 (RPT-3-10) lets a submitter ignore certificate errors,
    // and the reference does: a report of TLS failures is wanted most when
    // the domain's TLS is broken, as a mailto: report is delivered over a
    // failing TLS (RPT-3-11). What was ignored is in the detail.
    q.verify_certificate = false;
    const mtasts::FetchResponse r = hosts_.Post(q);
    if (r.failure) {
      detail = "no answer: " + r.detail;
      return 0;
    }
    detail = r.detail;  // what was ignored, if anything; the reporter adds the status
    return r.status;
  }

  bool Mail(std::string_view address, std::string_view message, std::string& detail) override {
    if (timed_out) {
      detail = "an earlier report delivery did not finish";
      return false;
    }
    std::optional<mtasts::DeliveryReport> done =
        guard_([&] { return sender_.Deliver(address, mtasts::Purpose::kReport, message); });
    if (!done) {
      timed_out = true;
      detail = "the sender did not finish";
      return false;
    }
    detail = std::string(mtasts::VerdictName(done->verdict));
    const bool accepted = done->verdict == mtasts::Verdict::kDelivered;
    sent.push_back({std::string(address), std::move(*done)});
    return accepted;
  }

  struct Sent {
    std::string to;
    mtasts::DeliveryReport report;
  };
  std::vector<Sent> sent;  // the report deliveries, in order
  bool timed_out = false;

 private:
  mtasts::Sender& sender_;
  ScenarioFetcher& hosts_;
  const StepGuard& guard_;
};

// Runs the steps against the given I/O; "" when every expectation held,
// else the outcome and why (kFail: an expectation, kError: the scenario or
// a step that did not finish).
std::pair<Outcome, std::string> RunSteps(const Scenario& s, spf::Resolver& dns,
                                         ScenarioFetcher& fetcher, mtasts::MxConnector& connector,
                                         FixedClock& clock, const ScenarioRunOptions& opts,
                                         const Observer& obs, const StepGuard& guard,
                                         const Replacement& replacement, json& transcript) {
  auto cache = std::make_unique<mtasts::PolicyCache>(clock);
  mtasts::DeliveryReport last;
  std::string last_domain;
  StepMarks marks;
  // The MX mocks' logs are read only for a scenario that judges them.
  const bool judges_smtp = std::any_of(s.steps.begin(), s.steps.end(), [](const ScenarioStep& st) {
    return st.kind == ScenarioStep::Kind::kExpect && st.expect.smtp_client;
  });
  bool delivered_once = false;
  mtasts::SenderOptions sender_options;
  sender_options.profile = opts.profile;
  // Equal-preference MX hosts in one fixed order, so that a run can be
  // repeated: the expectations name hosts in the order tried.
  sender_options.mx_shuffle_seed = 1;
  sender_options.local_names = s.sender_names;
  // The sender's TLS-RPT reporter (RFC 8460), which a report step runs.
  // It counts every delivery's sessions, in the scenarios that have one.
  tlsrpt::Reporter reporter(dns, clock);
  const bool reports = std::any_of(s.steps.begin(), s.steps.end(), [](const ScenarioStep& st) {
    return st.kind == ScenarioStep::Kind::kReport;
  });
  const auto count = [&](const mtasts::DeliveryReport& r, const std::string& to) {
    if (reports) {
      for (const auto& session : SessionsOf(r, RecipientDomain(to), clock.Now())) {
        reporter.Record(session);
      }
    }
  };
  std::optional<ReportStepResult> reported;
  std::vector<std::string> firsts;  // the host each delivery of the last deliver step tried first
  std::string soft_miss;            // the first SHOULD or MAY step that failed
  for (const auto& step : s.steps) {
    switch (step.kind) {
      case ScenarioStep::Kind::kDeliver: {
        mtasts::Sender sender(dns, fetcher, connector, *cache, sender_options);
        marks.dns_step = obs.dns_mark();
        if (judges_smtp && obs.smtp_mark) {
          marks.smtp = obs.smtp_mark();
        }
        if (step.report && replacement) {
          return {Outcome::kError, "line " + std::to_string(step.line) +
                                       ": this sender cannot be asked to deliver a TLS-RPT report"};
        }
        // times: N sends N messages with the one sender, so that its
        // choices (the order of equal-preference MX hosts) can vary; the
        // transcript keeps the last in full and how often each host came
        // first.
        firsts.clear();
        std::optional<mtasts::DeliveryReport> done;
        for (std::uint32_t k = 0; k < step.times; ++k) {
          marks.dns_last = obs.dns_mark();
          done = guard([&] {
            return replacement ? replacement(step.to)
                               : sender.Deliver(step.to, step.report ? mtasts::Purpose::kReport
                                                                     : mtasts::Purpose::kMessage);
          });
          if (!done) {
            break;
          }
          firsts.push_back(done->contacted.empty() ? "" : done->contacted.front());
          count(*done, step.to);
        }
        if (!done) {
          transcript.push_back({{"step", "deliver " + step.to},
                                {"at", clock.Now()},
                                {"sender", json::array({"did not finish"})}});
          return {Outcome::kError, "line " + std::to_string(step.line) + ": deliver " + step.to +
                                       ": the sender did not finish within " +
                                       std::to_string(opts.step_budget.count()) +
                                       " ms (the mocks were stopped)"};
        }
        last = std::move(*done);
        last_domain = RecipientDomain(step.to);
        delivered_once = true;
        json steps = json::array();
        for (const auto& line : last.steps) {
          steps.push_back(line);
        }
        for (const auto& alert : last.alerts) {
          steps.push_back("ALERT: " + alert);
        }
        // What the sender did, whatever the expectations: where the RFCs
        // allow more than one reading (tls_rpt one_of), this records which
        // one it took.
        json types = json::array();
        for (const auto& f : last.failures) {
          types.push_back(std::string(tlsrpt::ResultTypeName(f.type)));
        }
        json entry = {{"step", "deliver " + step.to},
                      {"at", clock.Now()},
                      {"sender", steps},
                      {"verdict", std::string(mtasts::VerdictName(last.verdict))},
                      {"channel", std::string(mtasts::ChannelName(last.channel))},
                      {"mx", last.mx},
                      {"tls_rpt", types}};
        if (step.times > 1) {
          entry["step"] =
              "deliver " + step.to + " (" + std::to_string(step.times) + " times; the last shown)";
          entry["first_contacted"] = FirstCounts(firsts);
        }
        transcript.push_back(std::move(entry));
        break;
      }
      case ScenarioStep::Kind::kReport: {
        if (replacement) {
          return {Outcome::kError, "line " + std::to_string(step.line) +
                                       ": this sender cannot be asked to send TLS-RPT reports"};
        }
        // The day ends and the longest initial wait passes (RFC 8460
        // §4.1: up to 4 hours), so that every report of the day is due.
        clock.Set((clock.Now() / 86400 + 1) * 86400 + 4 * 3600);
        marks.dns_step = marks.dns_last = obs.dns_mark();
        if (judges_smtp && obs.smtp_mark) {
          marks.smtp = obs.smtp_mark();
        }
        mtasts::Sender sender(dns, fetcher, connector, *cache, sender_options);
        ScenarioReportTransport transport(sender, fetcher, guard);
        const std::size_t mark = reporter.attempts().size();
        const std::size_t posts_mark = obs.posts().size();
        const std::vector<std::uint64_t> mail_mark = obs.mail_mark();
        reporter.Run(transport);
        // Counted after the run: the sessions that delivered a report go
        // in no report (RPT-3-12); the reporter notes them.
        for (const auto& d : transport.sent) {
          count(d.report, d.to);
        }
        ReportStepResult result;
        result.posts = obs.posts();
        result.posts.erase(result.posts.begin(),
                           result.posts.begin() + static_cast<std::ptrdiff_t>(
                                                      std::min(posts_mark, result.posts.size())));
        result.mails = obs.mails_since(mail_mark);
        std::set<tlsrpt::ReportKey> tried;
        json attempts = json::array();
        for (std::size_t i = mark; i < reporter.attempts().size(); ++i) {
          const tlsrpt::SubmissionAttempt& a = reporter.attempts()[i];
          result.attempts.push_back(a.uri + (a.accepted ? " accepted" : " refused"));
          attempts.push_back(result.attempts.back() + " (" + a.detail + ")");
          tried.insert(a.key);
        }
        json states = json::array();
        for (const auto& p : reporter.reports()) {
          states.push_back(p.key.policy_domain + " day " + std::to_string(p.key.day) + ": " +
                           std::string(tlsrpt::ReportStateName(p.state)) +
                           (p.why.empty() ? "" : " (" + p.why + ")"));
          if (tried.count(p.key) != 0) {
            for (const auto& pol : p.report.policies) {
              result.successful += pol.total_successful_session_count;
              result.failed += pol.total_failure_session_count;
            }
          }
        }
        reported = std::move(result);
        transcript.push_back({{"step", "report"},
                              {"at", clock.Now()},
                              {"attempts", std::move(attempts)},
                              {"reports", std::move(states)}});
        if (transport.timed_out) {
          return {Outcome::kError, "line " + std::to_string(step.line) +
                                       ": report: a report delivery did not finish within " +
                                       std::to_string(opts.step_budget.count()) +
                                       " ms (the mocks were stopped)"};
        }
        // The expect keys about "the last delivery" judge the last report
        // delivery, if there was one (where an attacker's rua took it).
        if (!transport.sent.empty()) {
          last = transport.sent.back().report;
          last_domain = RecipientDomain(transport.sent.back().to);
          delivered_once = true;
          firsts.clear();
        }
        break;
      }
      case ScenarioStep::Kind::kAdvanceClock:
        clock.Advance(step.seconds);
        transcript.push_back({{"step", "advance_clock " + std::to_string(step.seconds)}});
        break;
      case ScenarioStep::Kind::kRestartSender:
        if (!step.keep_cache) {
          cache = std::make_unique<mtasts::PolicyCache>(clock);
        }
        transcript.push_back(
            {{"step", std::string("restart_sender") + (step.keep_cache ? " (cache kept)" : "")}});
        break;
      case ScenarioStep::Kind::kExpect: {
        if (!delivered_once) {
          return {Outcome::kError,
                  "line " + std::to_string(step.line) + ": expect before any deliver step"};
        }
        std::string why = Check(step.expect, last, *cache, last_domain, obs, marks);
        if (why.empty()) {
          why = CheckFirstContacted(step.expect, firsts);
        }
        if (why.empty() && (step.expect.reports || step.expect.report_counts ||
                            step.expect.report_posts || step.expect.report_mails)) {
          why = reported ? CheckReports(step.expect, *reported)
                         : "reports: no report step ran before this one";
        }
        if (!why.empty() && step.expect.level.empty()) {
          return {Outcome::kFail, "line " + std::to_string(step.line) + ": " + why};
        }
        if (!why.empty() && soft_miss.empty()) {
          soft_miss = "line " + std::to_string(step.line) + " (" + step.expect.level + "): " + why;
        }
        if (std::string rpt = CheckTlsRpt(step.expect, last); !rpt.empty() && soft_miss.empty()) {
          soft_miss = "line " + std::to_string(step.line) + " (" + TlsRptLevel(step.expect) +
                      ", TLS-RPT reporting): " + rpt;
        }
        break;
      }
    }
  }
  if (!soft_miss.empty()) {
    return {Outcome::kNonStrict, soft_miss};
  }
  return {Outcome::kPass, ""};
}

void Finish(CaseResult& r, std::chrono::steady_clock::time_point start, Outcome o,
            std::string message, json transcript) {
  r.outcome = o;
  r.message = std::move(message);
  r.actual = {{"transcript", std::move(transcript)}};
  r.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

json DnsLog(const mocks::dns::Responder& responder, Unscripted& unscripted) {
  json out = json::array();
  for (const auto& e : responder.Log()) {
    out.push_back(e.qname + " " + dns::RrTypeName(e.qtype) + " -> " + e.answered_by);
    if (e.answered_by == "unscripted") {
      unscripted.what.push_back("DNS query " + e.qname + " " + dns::RrTypeName(e.qtype));
    }
  }
  return out;
}

}  // namespace

std::string CheckSmtpClient(const SmtpClientExpect& e, const SmtpSessions& sessions) {
  for (const auto& [host, log] : sessions) {
    const std::string where = host + " (session " + std::to_string(log.id) + ")";
    if (e.no_pipelining_into_tls && log.discarded_after_starttls != 0) {
      return where + ": " + std::to_string(log.discarded_after_starttls) +
             " octets sent after STARTTLS before the server's 220: the client must wait for the "
             "reply and then start TLS (RFC 3207 §4; a pipelined STARTTLS ends its group, RFC "
             "2920)";
    }
    bool first_under_tls = true;
    const bool no_envelope =
        std::any_of(e.no_envelope_to.begin(), e.no_envelope_to.end(),
                    [&](const std::string& h) { return text::EqualsIgnoreCase(h, host); });
    for (const auto& c : log.commands) {
      const std::string verb = Verb(c.line);
      if (no_envelope && (verb == "mail" || verb == "rcpt" || verb == "data" || verb == "bdat")) {
        return where + ": sent \"" + c.line + "\"" + (c.tls ? " over TLS" : " without TLS") +
               " to an MX the policy does not let it use: nothing of the envelope goes to an MX "
               "whose certificate or name fails the checks (RFC 8461 §4.2, §5)";
      }
      if (e.starttls_bare && verb == "starttls" && verb.size() != c.line.size()) {
        return where + ": sent \"" + c.line + "\": STARTTLS takes no parameters (RFC 3207 §4)";
      }
      if (e.no_mail_in_clear && !c.tls && (verb == "mail" || verb == "rcpt" || verb == "data")) {
        return where + ": sent \"" + c.line +
               "\" without TLS: under the policy nothing of the envelope goes in clear (RFC 8461 "
               "§5; RFC 3207 §4, §6)";
      }
      if (!c.tls) {
        continue;
      }
      if (e.no_starttls_under_tls && verb == "starttls") {
        return where + ": sent STARTTLS with TLS already active (RFC 3207 §4.2)";
      }
      if (e.ehlo_first_under_tls && first_under_tls && verb != "ehlo" && verb != "quit") {
        return where + ": the first command after the handshake was \"" + c.line +
               "\", not EHLO: what the server said before TLS no longer counts (RFC 3207 §4.2)";
      }
      first_under_tls = false;
      const bool quit_only =
          std::any_of(e.quit_after_tls.begin(), e.quit_after_tls.end(),
                      [&](const std::string& h) { return text::EqualsIgnoreCase(h, host); });
      if (quit_only && verb != "quit") {
        return where + ": sent \"" + c.line +
               "\" over a TLS session it could not use: a client that finds the session not "
               "good enough sends QUIT right after the handshake (RFC 3207 §4.1)";
      }
    }
  }
  return "";
}

CaseResult RunScenarioInProcess(const Scenario& s, const ScenarioRunOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  CaseResult r = NewCase(s, "in-process");
  json transcript = json::array();
  FixedClock clock(s.clock);
  auto built = BuildPki(s.certs, s.clock);
  if (!built) {
    Finish(r, start, Outcome::kError, "pki: " + built.error().Text(), transcript);
    return r;
  }
  const pki::Pki& p = **built;
  auto trust = tls::TrustStore::FromPem(p.BundlePem(s.trusted));
  if (!trust) {
    Finish(r, start, Outcome::kError, "trusted roots: " + trust.error().Text(), transcript);
    return r;
  }
  mocks::dns::Responder responder(s.dns.zone, s.dns.rules,
                                  mocks::dns::ResponderOptions{.clock = &clock});
  net::StubOptions so;
  so.attempts = 2;
  auto stub = net::StubResolver::CreateInMemory(so, [&](std::string_view q, bool tcp) {
    return responder.HandleInMemory(
        q, tcp ? mocks::dns::Transport::kTcp : mocks::dns::Transport::kUdp, so.attempt_timeout);
  });
  if (!stub) {
    Finish(r, start, Outcome::kError, "resolver: " + stub.error().Text(), transcript);
    return r;
  }
  Unscripted unscripted;
  std::vector<std::string> log;
  FakeFetcher fetcher(s, p, *trust, clock, unscripted, log);
  FakeConnector connector(s, p, *trust, clock, unscripted, log);
  const Observer obs{
      [&] { return responder.logged(); },
      [&](std::uint64_t mark) { return QueriesSince(responder, mark); },
      [&] { return fetcher.fetches(); },
      [&] { return fetcher.posts(); },
      [&] { return std::vector<std::uint64_t>{connector.mails.size()}; },
      [&](const std::vector<std::uint64_t>& mark) {
        const std::size_t from =
            mark.empty() ? 0 : std::min<std::size_t>(mark[0], connector.mails.size());
        return std::vector<ReceivedMail>(
            connector.mails.begin() + static_cast<std::ptrdiff_t>(from), connector.mails.end());
      },
      {},  // no SMTP commands in-process
      {},
  };
  // No sockets, no waiting: every step finishes.
  const StepGuard direct = [](const std::function<mtasts::DeliveryReport()>& work) {
    return std::optional<mtasts::DeliveryReport>(work());
  };
  const std::vector<std::string> wire_only = WireOnlyElements(s);
  if (!wire_only.empty()) {
    transcript.push_back({{"step", "wire only"},
                          {"note",
                           "not exercised in-process (the fakes ignore these or decide their "
                           "result themselves); the wire run checks them: " +
                               text::Join(wire_only, "; ")}});
  }
  auto [outcome, why] =
      RunSteps(s, *stub, fetcher, connector, clock, opts, obs, direct, {}, transcript);
  transcript.push_back({{"dns", DnsLog(responder, unscripted)}, {"requests", log}});
  if (!unscripted.what.empty()) {
    outcome = Outcome::kError;
    why = "scenario error: unscripted " + unscripted.what.front();
  }
  if (outcome == Outcome::kPass && !wire_only.empty()) {
    // Every check the fakes can make held; the rest is the wire run's.
    outcome = Outcome::kPartial;
    why = "every in-process check passed; left to the wire run (" + s.id +
          "/wire): " + text::Join(wire_only, "; ");
  }
  Finish(r, start, outcome, why, transcript);
  return r;
}

namespace {

// ScenarioWorld::Start for one kind of host (https or smtp): a server per
// host and per `later` phase by `start`, their addresses by `address_of`,
// a held closed port for a `down` host or phase.
template <typename Spec, typename Server, typename Start, typename AddressOf>
Result<bool> StartHosts(
    const std::map<std::string, Spec>& hosts,
    std::map<std::string, std::unique_ptr<Server>>& servers,
    std::map<std::string, std::string>& addresses,
    std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>>& phases,
    std::vector<ScenarioWorld::LaterPhase<Server>>& later,
    std::map<std::uint16_t, int>& closed_ports, Start start, AddressOf address_of) {
  // The address of a server for `spec`, handed to `keep`, or a held
  // closed port if `spec` is down.
  auto listen = [&](const std::string& host, const Spec& spec, auto keep) -> Result<std::string> {
    if (spec.down) {
      return HoldClosedPort(closed_ports, host, 0);
    }
    auto server = start(host, spec);
    if (!server) {
      return server.error();
    }
    std::string address = address_of(**server);
    keep(std::move(*server));
    return address;
  };
  for (const auto& [host, h] : hosts) {
    auto address =
        listen(host, h, [&](std::unique_ptr<Server> server) { servers[host] = std::move(server); });
    if (!address) {
      return address.error();
    }
    addresses[host] = *address;
    phases[host].emplace_back(0, *address);
    for (const auto& phase : h.later) {
      auto at = listen(host, *phase.spec, [&](std::unique_ptr<Server> server) {
        later.push_back({host, phase.at, std::move(server)});
      });
      if (!at) {
        return at.error();
      }
      phases[host].emplace_back(phase.at, *at);
    }
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<mocks::https::Server>> ScenarioWorld::StartPolicyHost(
    const std::string& host, const HttpsHostSpec& h, std::uint16_t port) const {
  mocks::https::Config c;
  c.pki = pki;
  mocks::https::HostConfig hc;
  hc.certificate = h.cert;
  hc.intermediates = h.intermediates;
  hc.handshake_failure = h.handshake_failure ? mocks::https::HandshakeFailure::kAlert
                                             : mocks::https::HandshakeFailure::kNone;
  for (const auto& [path, ps] : h.paths) {
    mocks::https::Response resp;
    resp.status = ps.status;
    resp.content_type = ps.content_type;
    resp.body = ps.body;
    if (!ps.location.empty()) {
      resp.redirect = ps.location;
    }
    if (!ps.cache_control.empty()) {
      resp.headers.push_back({"Cache-Control", ps.cache_control});
    }
    resp.oversized = ps.oversized ? mocks::https::kOversizedBytes : 0;
    resp.trickle_ms = ps.trickle_ms;
    resp.trickle_bytes = 64;
    resp.stall = ps.stall;
    resp.reset = ps.reset;
    resp.chunked = ps.chunked;
    resp.close_delimited = ps.close_delimited;
    resp.no_close_notify = ps.no_close_notify;
    resp.chunk_extension_bytes = ps.chunk_extension_bytes;
    resp.interim = ps.interim;
    hc.paths[path] = std::move(resp);
  }
  c.hosts[host] = std::move(hc);
  if (!h.sni_required) {
    c.default_host = host;  // any SNI, or none, gets this host
  }
  mocks::https::ServerOptions ho;
  ho.plain_http = h.plain_http;
  ho.port = port;
  ho.stall_hold_ms = 2 * kFetchTimeoutMs;
  auto server = mocks::https::Server::Start(std::move(c), ho);
  if (!server) {
    return WorldError("mock policy host " + host + ": " + server.error().Text());
  }
  return std::move(*server);
}

Result<std::unique_ptr<mocks::smtp::Server>> ScenarioWorld::StartMx(const std::string& host,
                                                                    const SmtpHostSpec& m,
                                                                    std::uint16_t port) const {
  mocks::smtp::ServerOptions mo;
  mo.hostname = host;
  mo.port = port;
  mo.starttls = mocks::smtp::ParseStartTls(m.starttls).value_or(mocks::smtp::StartTls::kOffer);
  mo.pki = pki;
  mo.default_chain = {m.cert, m.intermediates};
  if (!m.default_cert.empty()) {
    mo.chain_by_sni[host] = {m.cert, m.intermediates};
    mo.default_chain = {m.default_cert, m.intermediates};
  }
  if (!m.tls_max.empty()) {
    mo.max_version =
        mocks::smtp::ParseTlsVersion(m.tls_max).value_or(mocks::smtp::TlsVersion::kAny);
  }
  mo.inject_after_starttls = m.inject;
  mo.greylist = m.greylist;
  mo.reject_rcpt = m.reject;
  mo.starttls_under_tls = m.starttls_under_tls;
  mo.require_tls = m.require_tls;
  mo.starttls_settle_ms = m.starttls_settle_ms;
  mo.accept_unknown_params = m.accept_unknown_params;
  mo.read_timeout_ms = mo.handshake_timeout_ms = mo.write_timeout_ms = 2 * kWireTimeoutMs;
  auto server = mocks::smtp::Server::Start(mo);
  if (!server) {
    return WorldError("mock MX " + host + ": " + server.error().Text());
  }
  return std::move(*server);
}

Result<std::unique_ptr<ScenarioWorld>> ScenarioWorld::Start(const Scenario& s, const Clock& clock,
                                                            std::optional<UnixSeconds> pki_start) {
  std::unique_ptr<ScenarioWorld> w(new ScenarioWorld());
  auto built = BuildPki(s.certs, pki_start.value_or(s.clock));
  if (!built) {
    return WorldError("pki: " + built.error().Text());
  }
  w->pki = *built;
  w->bundle_pem = w->pki->BundlePem(s.trusted);
  auto trust_store = tls::TrustStore::FromPem(w->bundle_pem);
  if (!trust_store) {
    return WorldError("trusted roots: " + trust_store.error().Text());
  }
  w->trust = std::make_shared<const tls::TrustStore>(std::move(*trust_store));

  w->responder = std::make_unique<mocks::dns::Responder>(
      s.dns.zone, s.dns.rules, mocks::dns::ResponderOptions{.clock = &clock});
  auto dns_server = mocks::dns::Server::Start(*w->responder, mocks::dns::ServerOptions{});
  if (!dns_server) {
    return WorldError("mock DNS server: " + dns_server.error().Text());
  }
  w->dns_server = std::move(*dns_server);

  // One mock per scripted policy host and MX and per `later` phase of it;
  // a `down` one is a port that refuses connections (plain_http is a
  // property of a listener, so a phase cannot share its host's).
  auto policy_hosts = StartHosts(
      s.https, w->https, w->https_addresses, w->https_phases, w->https_later, w->closed_ports,
      [&w](const std::string& host, const HttpsHostSpec& h) {
        return w->StartPolicyHost(host, h, 0);
      },
      [](const mocks::https::Server& server) {
        return server.address() + ":" + std::to_string(server.port());
      });
  if (!policy_hosts) {
    return policy_hosts.error();
  }
  auto mx_hosts = StartHosts(
      s.smtp, w->smtp, w->smtp_addresses, w->smtp_phases, w->smtp_later, w->closed_ports,
      [&w](const std::string& host, const SmtpHostSpec& m) { return w->StartMx(host, m, 0); },
      [](const mocks::smtp::Server& server) { return server.endpoint(); });
  if (!mx_hosts) {
    return mx_hosts.error();
  }
  // One closed port per down address of a multihomed MX.
  for (const auto& [host, m] : s.smtp) {
    for (const auto& address : m.down_addresses) {
      auto closed = HoldClosedPort(w->closed_ports, host + " at " + address, 0);
      if (!closed) {
        return closed.error();
      }
      w->smtp_address_endpoints[{host, address}] = *closed;
    }
  }
  return w;
}

ScenarioWorld::~ScenarioWorld() { Stop(); }

void ScenarioWorld::Stop() {
  for (auto& [host, server] : smtp) {
    server->Stop();
  }
  for (auto& phase : smtp_later) {
    phase.server->Stop();
  }
  for (auto& [host, server] : https) {
    server->Stop();
  }
  for (auto& phase : https_later) {
    phase.server->Stop();
  }
  if (dns_server) {
    dns_server->Stop();
  }
  for (const auto& [port, fd] : closed_ports) {
    ::close(fd);
  }
  closed_ports.clear();
}

namespace {

std::uint16_t PortOf(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

// One kind of host (https or smtp) for Follow: each host whose phase in
// force at `now` is not the one its address serves is stopped (its server
// moved to `retired`) and started again on its port by `start`, or its
// port held closed if that phase is down.
template <typename Spec, typename Server, typename Start>
Result<bool> FollowHosts(const std::map<std::string, Spec>& hosts, const std::string& kind,
                         std::map<std::string, std::unique_ptr<Server>>& servers,
                         const std::map<std::string, std::string>& addresses, UnixSeconds now,
                         std::map<std::string, const void*>& in_force,
                         std::map<std::uint16_t, int>& closed_ports,
                         std::vector<std::pair<std::string, std::unique_ptr<Server>>>& retired,
                         Start start, std::vector<std::string>& changed) {
  for (const auto& [host, h] : hosts) {
    const void*& current = in_force[kind + " " + host];
    const Spec& spec = h.At(now);
    if (current == &spec || (current == nullptr && &spec == &h)) {
      continue;
    }
    current = &spec;
    if (auto it = servers.find(host); it != servers.end()) {
      it->second->Stop();
      retired.emplace_back(host, std::move(it->second));
      servers.erase(it);
    }
    const std::uint16_t port = PortOf(addresses.at(host));
    if (spec.down) {
      if (!closed_ports.contains(port)) {
        auto held = HoldClosedPort(closed_ports, host, port);
        if (!held) {
          return held.error();
        }
      }
    } else {
      ReleaseClosedPort(closed_ports, port);
      auto server = start(host, spec, port);
      if (!server) {
        return server.error();
      }
      servers[host] = std::move(*server);
    }
    changed.push_back(host);
  }
  return true;
}

}  // namespace

Result<std::vector<std::string>> ScenarioWorld::Follow(const Scenario& s, UnixSeconds now) {
  std::vector<std::string> changed;
  auto policy_hosts = FollowHosts(
      s.https, "https", https, https_addresses, now, in_force_, closed_ports, https_retired,
      [this](const std::string& host, const HttpsHostSpec& spec, std::uint16_t port) {
        return StartPolicyHost(host, spec, port);
      },
      changed);
  if (!policy_hosts) {
    return policy_hosts.error();
  }
  auto mx_hosts = FollowHosts(
      s.smtp, "smtp", smtp, smtp_addresses, now, in_force_, closed_ports, smtp_retired,
      [this](const std::string& host, const SmtpHostSpec& spec, std::uint16_t port) {
        return StartMx(host, spec, port);
      },
      changed);
  if (!mx_hosts) {
    return mx_hosts.error();
  }
  return changed;
}

namespace {

// Each host's address at scenario time `t`: that of its last phase begun
// by then (ScenarioWorld::https_phases, smtp_phases).
std::map<std::string, std::string> AddressesAt(
    const std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>>& phases,
    UnixSeconds t) {
  std::map<std::string, std::string> out;
  for (const auto& [host, list] : phases) {
    for (const auto& [at, address] : list) {
      if (t >= at) {
        out[host] = address;
      }
    }
  }
  return out;
}

// net::HttpsPolicyFetcher with the address of each policy host's phase in
// force at the virtual clock's time.
class PhasedFetcher final : public ScenarioFetcher {
 public:
  PhasedFetcher(
      net::HttpsFetcherOptions base,
      const std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>>& phases,
      const Clock& clock)
      : base_(std::move(base)), phases_(phases), clock_(clock) {}

  mtasts::FetchResponse Fetch(std::string_view host, std::string_view path) override {
    if (phases_.count(text::ToLowerCopy(host)) == 0) {
      unknown.push_back(std::string(host));
    }
    net::HttpsFetcherOptions o = base_;
    o.addresses = AddressesAt(phases_, clock_.Now());
    return net::HttpsPolicyFetcher(std::move(o)).Fetch(host, path);
  }

  mtasts::FetchResponse Post(const net::HttpsPostRequest& request) override {
    if (phases_.count(text::ToLowerCopy(request.host)) == 0) {
      unknown.push_back(request.host);
    }
    net::HttpsFetcherOptions o = base_;
    o.addresses = AddressesAt(phases_, clock_.Now());
    return net::HttpsPolicyFetcher(std::move(o)).Post(request);
  }

  std::vector<std::string> unknown;  // hosts the scenario does not list

 private:
  net::HttpsFetcherOptions base_;
  const std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>>& phases_;
  const Clock& clock_;
};

// The MX servers as the clock says: one net::SmtpConnector per stretch of
// time in which no MX changes (the starts of the `later` phases divide
// them), each mapping every MX to its phase in force then. Sessions may
// outlive a stretch, so every connector lives as long as this one.
class PhasedConnector final : public mtasts::MxConnector {
 public:
  PhasedConnector(
      const net::SmtpConnectorOptions& base,
      const std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>>& phases,
      const Clock& clock)
      : clock_(clock) {
    std::set<UnixSeconds> starts = {0};
    for (const auto& [host, list] : phases) {
      for (const auto& phase : list) {
        starts.insert(phase.first);
      }
    }
    for (const UnixSeconds from : starts) {
      net::SmtpConnectorOptions o = base;
      o.addresses = AddressesAt(phases, from);
      stretches_.emplace_back(from, std::make_unique<net::SmtpConnector>(std::move(o)));
    }
  }

  std::unique_ptr<mtasts::MxSession> Connect(std::string_view host, std::string_view address,
                                             std::string& detail) override {
    net::SmtpConnector* in_force = stretches_.front().second.get();
    for (const auto& [from, connector] : stretches_) {
      if (clock_.Now() >= from) {
        in_force = connector.get();
      }
    }
    return in_force->Connect(host, address, detail);
  }

 private:
  const Clock& clock_;
  std::vector<std::pair<UnixSeconds, std::unique_ptr<net::SmtpConnector>>> stretches_;
};

// Every mock MX of a world, each with its host: the hosts' own, then the
// later phases', in a fixed order.
template <typename F>
void ForEachMx(const ScenarioWorld& w, F&& f) {
  for (const auto& [host, server] : w.smtp) {
    f(host, *server);
  }
  for (const auto& phase : w.smtp_later) {
    f(phase.host, *phase.server);
  }
}

}  // namespace

CaseResult RunScenarioWire(const Scenario& s, const ScenarioRunOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  CaseResult r = NewCase(s, "wire");
  json transcript = json::array();
  FixedClock clock(s.clock);
  auto world = ScenarioWorld::Start(s, clock);
  if (!world) {
    Finish(r, start, Outcome::kError, world.error().Text(), transcript);
    return r;
  }
  ScenarioWorld& w = **world;

  net::StubOptions so;
  so.port = w.dns_server->port();
  so.attempt_timeout = std::chrono::milliseconds(kWireTimeoutMs);
  so.attempts = 2;
  so.deadline = std::chrono::milliseconds(3 * kWireTimeoutMs);
  auto stub = net::StubResolver::Create(so);
  if (!stub) {
    Finish(r, start, Outcome::kError, "resolver: " + stub.error().Text(), transcript);
    return r;
  }
  net::HttpsFetcherOptions fo;
  fo.trust = w.trust;
  fo.clock = &clock;
  fo.connect_timeout = fo.handshake_timeout = fo.total_timeout =
      std::chrono::milliseconds(kFetchTimeoutMs);
  PhasedFetcher fetcher(fo, w.https_phases, clock);
  net::SmtpConnectorOptions co;
  co.trust = w.trust;
  co.clock = &clock;
  co.connect_timeout = co.io_timeout = co.handshake_timeout =
      std::chrono::milliseconds(kWireTimeoutMs);
  co.min_version = net::TlsVersion::kTls1_2;  // RFC 8461 §7.2
  co.address_endpoints = w.smtp_address_endpoints;
  PhasedConnector connector(co, w.smtp_phases, clock);

  // A mark in the MX mocks' logs, flat: per mock, its session count, then
  // each session's id, command count, delivery count and octets discarded
  // after STARTTLS. Counting within sessions, not only sessions, keeps what
  // a sender sends on a session it reuses (a connection cache) from being
  // passed over as already seen (review finding).
  const std::function<std::vector<std::uint64_t>()> smtp_mark = [&] {
    std::vector<std::uint64_t> mark;
    ForEachMx(w, [&](const std::string&, const mocks::smtp::Server& server) {
      const auto sessions = server.Sessions();
      mark.push_back(sessions.size());
      for (const auto& session : sessions) {
        mark.insert(mark.end(), {session.id, session.commands.size(), session.deliveries.size(),
                                 session.discarded_after_starttls});
      }
    });
    return mark;
  };
  const std::function<SmtpSessions(const std::vector<std::uint64_t>&)> smtp_since =
      [&](const std::vector<std::uint64_t>& mark) {
        SmtpSessions out;
        std::size_t at = 0;
        const auto next = [&] { return at < mark.size() ? mark[at++] : 0; };
        ForEachMx(w, [&](const std::string& host, const mocks::smtp::Server& server) {
          struct Seen {
            std::uint64_t commands, deliveries, discarded;
          };
          std::map<std::uint64_t, Seen> seen;
          for (std::uint64_t n = next(); n > 0; --n) {
            const std::uint64_t id = next();
            const std::uint64_t commands = next();
            const std::uint64_t deliveries = next();
            seen[id] = {commands, deliveries, next()};
          }
          for (auto& session : server.Sessions()) {
            const auto it = seen.find(session.id);
            if (it != seen.end()) {
              // A session open at the mark: only what came after it.
              const Seen& was = it->second;
              const auto cut = [](auto& v, std::uint64_t n) {
                v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(
                                                   std::min<std::uint64_t>(n, v.size())));
              };
              cut(session.commands, was.commands);
              cut(session.deliveries, was.deliveries);
              session.discarded_after_starttls -=
                  std::min<std::uint64_t>(was.discarded, session.discarded_after_starttls);
              if (session.commands.empty() && session.deliveries.empty() &&
                  session.discarded_after_starttls == 0) {
                continue;
              }
            }
            out.emplace_back(host, std::move(session));
          }
        });
        return out;
      };
  const Observer obs{
      [&] { return w.responder->logged(); },
      [&](std::uint64_t mark) { return QueriesSince(*w.responder, mark); },
      [&] {
        std::uint64_t n = 0;
        for (const auto& [host, server] : w.https) {
          n += server->stats().connections;
        }
        for (const auto& phase : w.https_later) {
          n += phase.server->stats().connections;
        }
        return static_cast<std::uint32_t>(n);
      },
      [&] {
        // Every host's and phase's log, merged by time.
        std::vector<std::pair<std::chrono::system_clock::time_point, ReceivedPost>> all;
        auto add = [&](const mocks::https::Server& server) {
          for (auto& e : server.Log()) {
            if (e.method == "POST") {
              all.push_back({e.time,
                             {"https://" + (e.host.empty() ? e.sni : e.host) + e.target,
                              std::move(e.content_type), std::move(e.body)}});
            }
          }
        };
        for (const auto& [host, server] : w.https) {
          add(*server);
        }
        for (const auto& phase : w.https_later) {
          add(*phase.server);
        }
        std::stable_sort(all.begin(), all.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<ReceivedPost> out;
        for (auto& [time, post] : all) {
          out.push_back(std::move(post));
        }
        return out;
      },
      smtp_mark,
      [&](const std::vector<std::uint64_t>& mark) {
        // The deliveries since the mark in the order they arrived, across
        // the MX hosts (they came MX host by host: review finding).
        std::vector<std::pair<std::chrono::steady_clock::time_point, ReceivedMail>> all;
        for (const auto& [host, session] : smtp_since(mark)) {
          for (const auto& d : session.deliveries) {
            all.push_back({d.received, {host, text::Join(d.rcpt_to, ","), d.body}});
          }
        }
        std::stable_sort(all.begin(), all.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        std::vector<ReceivedMail> out;
        for (auto& [when, mail] : all) {
          out.push_back(std::move(mail));
        }
        return out;
      },
      smtp_mark,
      smtp_since,
  };
  // The watchdog: a step past its budget stops the mocks, which ends every
  // connection the sender holds, so that the step returns and the run ends
  // with an error naming it. The reference sender's I/O has deadlines of
  // its own; this guards against a target that has none.
  const StepGuard watchdog = [&](const std::function<mtasts::DeliveryReport()>& work)
      -> std::optional<mtasts::DeliveryReport> {
    auto future = std::async(std::launch::async, work);
    if (future.wait_for(opts.step_budget) == std::future_status::ready) {
      return future.get();
    }
    w.Stop();
    future.wait();
    return std::nullopt;
  };
  Replacement replacement;
  if (opts.deliver_override) {
    replacement = [&](const std::string& to) { return opts.deliver_override(w, to); };
  }
  auto [outcome, why] =
      RunSteps(s, *stub, fetcher, connector, clock, opts, obs, watchdog, replacement, transcript);

  Unscripted unscripted;
  for (const auto& host : fetcher.unknown) {
    unscripted.what.push_back("HTTPS request to " + host);
  }
  json requests = json::array();
  auto log_https = [&](const std::string& host, const mocks::https::Server& server) {
    for (const auto& e : server.Log()) {
      const std::string posted =
          e.method == "POST" ? " [" + std::to_string(e.body.size()) + " bytes of " +
                                   (e.content_type.empty() ? "no type" : e.content_type) + "]"
                             : "";
      requests.push_back("https " + e.sni + " " + e.method + " " + e.target + posted + " -> " +
                         e.outcome + (e.detail.empty() ? "" : " (" + e.detail + ")"));
    }
    if (server.stats().unscripted != 0) {
      unscripted.what.push_back("HTTPS request to " + host + " (see the transcript)");
    }
  };
  for (const auto& [host, server] : w.https) {
    log_https(host, *server);
  }
  for (const auto& phase : w.https_later) {
    log_https("a later phase", *phase.server);
  }
  json sessions = json::object();
  auto log_smtp = [&](const std::string& label, const mocks::smtp::Server& server) {
    json lines = json::array();
    for (const auto& session : server.Sessions()) {
      for (const auto& line : session.transcript) {
        lines.push_back(line);
      }
      lines.push_back("-- " + session.channel +
                      (session.tls_version.empty() ? "" : " " + session.tls_version) +
                      (session.data_completed ? ", delivered" : ""));
    }
    if (!lines.empty()) {
      sessions[label] = lines;
    }
  };
  for (const auto& [host, server] : w.smtp) {
    log_smtp(host, *server);
  }
  for (const auto& phase : w.smtp_later) {
    log_smtp(phase.host + " (from " + std::to_string(phase.at) + ")", *phase.server);
  }
  transcript.push_back(
      {{"dns", DnsLog(*w.responder, unscripted)}, {"https", requests}, {"smtp", sessions}});
  for (const auto& step : transcript) {
    if (!step.contains("sender")) {
      continue;
    }
    for (const auto& line : step["sender"]) {
      // "HOST: no connection (...)" (or "HOST [ADDRESS]: ...") for a host
      // the scenario does not list (a `down` MX is listed and simply not
      // started).
      const std::string text = line.get<std::string>();
      const std::string host = text.substr(0, text.find_first_of(": "));
      if (text.find(": no connection (") != std::string::npos && s.smtp.count(HostKey(host)) == 0) {
        unscripted.what.push_back("SMTP connection to " + host);
      }
    }
  }
  if (!unscripted.what.empty()) {
    outcome = Outcome::kError;
    why = "scenario error: unscripted " + unscripted.what.front();
  }
  Finish(r, start, outcome, why, transcript);
  return r;
}

std::vector<tlsrpt::SessionOutcome> SessionsOf(const mtasts::DeliveryReport& r,
                                               const std::string& domain, UnixSeconds now) {
  tlsrpt::SessionOutcome base;
  base.time = now;
  base.policy_domain = domain;
  base.report_delivery = r.report_delivery;
  const bool policy_host_failed =
      std::any_of(r.failures.begin(), r.failures.end(),
                  [](const mtasts::RptFailure& f) { return tlsrpt::IsStsPolicyFailure(f.type); });
  if (r.policy_mode && *r.policy_mode != mtasts::Mode::kNone) {
    base.policy_type = tlsrpt::PolicyType::kSts;
    base.policy_string = r.policy_strings;
  } else if (policy_host_failed && !r.policy_mode) {
    base.policy_type = tlsrpt::PolicyType::kSts;  // policy_string stays []
  }
  std::vector<tlsrpt::SessionOutcome> out;
  for (const auto& f : r.failures) {
    tlsrpt::SessionOutcome s = base;
    s.success = false;
    s.failure.result_type = f.type;
    s.failure.receiving_mx_hostname = f.receiving_mx;
    s.failure.receiving_ip = f.receiving_ip;
    s.failure.failure_reason_code = f.detail;
    out.push_back(std::move(s));
  }
  const bool delivering_session_failed =
      std::any_of(r.failures.begin(), r.failures.end(), [&](const auto& f) {
        return !f.receiving_mx.empty() && text::EqualsIgnoreCase(f.receiving_mx, r.mx);
      });
  if (r.verdict == mtasts::Verdict::kDelivered &&
      (r.channel == mtasts::Channel::kVerifiedTls ||
       r.channel == mtasts::Channel::kUnverifiedTls) &&
      !delivering_session_failed) {
    out.push_back(std::move(base));
  }
  return out;
}

}  // namespace mxconform::conformance
