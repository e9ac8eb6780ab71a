// Scenarios, the model: what a scenario file says (the world a sending MTA
// meets and what it must do there) and how it is read and checked. No
// sockets and no Boost here, so the loader is fuzzed on its own
// (fuzz/scenario_fuzzer.cc); scenario.h runs scenarios.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "conformance/runner/mock_zone.h"
#include "mocks/pki/pki.h"

namespace mxconform::conformance {

struct ScenarioRequirement {
  std::string id;
  std::string level;  // MUST, SHOULD or MAY
};

// A `later` phase of a host: from `at` on, the host behaves as `spec`
// (the host's own settings with the phase's on top).
template <typename Spec>
struct HostPhase {
  UnixSeconds at = 0;
  std::shared_ptr<const Spec> spec;
};

// One path of the policy host.
struct HttpsPathSpec {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::string location;          // redirect, if set, makes the host answer `status` (3xx) with it
  std::string cache_control;     // a Cache-Control header (the sender must not use HTTP caching)
  bool oversized = false;        // oversized, if set, makes the host send a body over 64 KiB
  std::uint32_t trickle_ms = 0;  // trickle_ms, if set, makes the host pause this long per 64 octets
  bool stall = false;            // stall, if set, makes the host never answer
  bool reset = false;            // reset, if set, makes the host cut the connection mid-body
  bool chunked = false;          // chunked, if set, makes the host send Transfer-Encoding: chunked
  // close_delimited, if set, makes the host send no framing at all: the
  // body ends with the connection (RFC 9112 §6.3).
  bool close_delimited = false;
  // no_close_notify, if set, makes the host end the connection with a bare
  // TCP FIN, no TLS close_notify: a forged FIN (RFC 9112 §8).
  bool no_close_notify = false;
  // chunk_extension_bytes, if set, makes the first chunk-size line carry a
  // chunk extension of this many bytes (with `chunked`).
  std::uint32_t chunk_extension_bytes = 0;
  std::vector<int> interim;  // interim, if set: these 1xx responses first (RFC 9110 §15.2)
};

struct HttpsHostSpec {
  std::string cert;                // a leaf of the PKI
  bool intermediates = true;       // false: the chain without its intermediates
  bool plain_http = false;         // plain_http, if set, makes the host speak HTTP without TLS
  bool down = false;               // down, if set, makes the host refuse connections (443 closed)
  bool handshake_failure = false;  // handshake_failure, if set, makes the host abort TLS
  // sni_required, if set, makes the host refuse a ClientHello without its
  // name as SNI (STS-7.1-02).
  bool sni_required = false;
  std::map<std::string, HttpsPathSpec> paths;
  // later: how the host behaves from a clock time on (a certificate that
  // goes bad at the refresh, a policy that changes); each entry starts
  // from the host's own settings and overrides what it lists. In time
  // order. At(now): the settings in force then.
  std::vector<HostPhase<HttpsHostSpec>> later;
  const HttpsHostSpec& At(UnixSeconds now) const;
};

struct SmtpHostSpec {
  std::string cert;  // presented for SNI = the MX name
  // default_cert, if set, is presented without SNI or with another name
  // (STS-7.1-03; a MitM's default certificate, ATK-22).
  std::string default_cert;
  bool intermediates = true;
  // tls_max, if set, makes the MX negotiate no TLS version above it:
  // tls1.0 | tls1.1 | tls1.2 | tls1.3 (ATK-18, STS-7.2-01).
  std::string tls_max;
  // inject, if set, is sent right after "220 Ready to start TLS" in the same
  // segment (ATK-40: a client must discard it).
  std::string inject;
  // offer | absent | strip-from-ehlo | reply-454 | reply-502 | abort-handshake |
  // garbage-after-220
  std::string starttls = "offer";
  std::uint32_t greylist = 0;  // greylist, if set, makes the MX answer 451 to the first N messages
  bool reject = false;         // reject, if set, makes the MX answer 550 to RCPT
  bool down = false;           // down, if set, makes the MX refuse connections
  // down_addresses, if set, makes connections to these of the host's DNS
  // addresses refused while its others reach it: one address of a
  // multihomed exchange is down (MX-5.1-11). The host's own setting, not a
  // phase's.
  std::vector<std::string> down_addresses;
  // starttls_under_tls, if set, makes the MX list STARTTLS in its EHLO reply
  // after the handshake too (RFC 3207 §4.2 forbids it; TLS-4.2-03).
  bool starttls_under_tls = false;
  // require_tls, if set, makes the MX answer 530 5.7.0 to MAIL and the rest
  // until TLS is active (RFC 3207 §4; not for a public MX, TLS-4-05).
  bool require_tls = false;
  // starttls_settle_ms, if set, makes the MX pause this long after
  // STARTTLS before its 220, so that commands a client pipelines after
  // STARTTLS in a separate write are seen whatever the timing (TLS-4-06).
  std::uint32_t starttls_settle_ms = 0;
  // accept_unknown_params, if set, makes the MX answer 250 to MAIL and RCPT
  // parameters of extensions it does not list, where it answers 555
  // (RFC 5321 §4.1.1.11) by default.
  bool accept_unknown_params = false;
  // later: how the MX behaves from a clock time on (an attacker on the
  // path after the policy was cached strips STARTTLS, a certificate
  // expires), as for an https host.
  std::vector<HostPhase<SmtpHostSpec>> later;
  const SmtpHostSpec& At(UnixSeconds now) const;
};

// What the MX mocks saw the sender send in the last deliver step (every
// delivery of `times: N`), judged against the RFC 3207 client rules (wire
// mode only: the in-process fakes see no SMTP commands). Each flag, when
// set, is a rule every session must keep.
struct SmtpClientExpect {
  bool starttls_bare = false;           // STARTTLS without parameters (TLS-4-01)
  bool no_pipelining_into_tls = false;  // nothing sent after STARTTLS before the 220 (TLS-4-06)
  bool ehlo_first_under_tls = false;    // EHLO (or QUIT) first after the handshake (TLS-4.2-01)
  bool no_starttls_under_tls = false;   // no STARTTLS once TLS is up (TLS-4.2-03)
  // No MAIL, RCPT or DATA outside TLS in any session: nothing of the
  // envelope in clear, even in a transaction later reset (TLS-4-03,
  // TLS-6-01 under an enforce policy).
  bool no_mail_in_clear = false;
  // These hosts got nothing but QUIT over TLS: the sender found the
  // session not good enough and said so at once (TLS-4.1-01).
  std::vector<std::string> quit_after_tls;
  // These hosts got no MAIL, RCPT, DATA or BDAT in any session, with TLS
  // or without: the sender handed nothing of the envelope to an MX it could
  // not authenticate, not even to reset it later (STS-5-01, STS-4.1-05).
  std::vector<std::string> no_envelope_to;
  bool Any() const {
    return starttls_bare || no_pipelining_into_tls || ehlo_first_under_tls ||
           no_starttls_under_tls || no_mail_in_clear || !quit_after_tls.empty() ||
           !no_envelope_to.empty();
  }
};

struct ScenarioExpect {
  std::optional<std::string> verdict;  // delivered | deferred | bounced
  std::optional<std::string> channel;  // verified-tls | unverified-tls | plaintext
  std::optional<std::string> mx;
  // RFC 8460 result types, in any order (each as many times as listed: a
  // report counts failures by type); more than one list where the RFCs
  // allow more than one reading (`{one_of: [[...], [...]]}`): any passes.
  std::optional<std::vector<std::vector<std::string>>> tls_rpt;
  // The policy the sender holds for the domain afterwards: "none", or its
  // mode and id.
  std::optional<std::string> policy_mode;
  std::optional<std::string> policy_id;
  std::optional<std::vector<std::string>> contacted;  // MX hosts, in order
  std::vector<std::string> not_contacted;
  // The MX hosts tried first, over the deliveries of the last deliver
  // step (`times: N`): each of these at least once and no other (RFC 5321
  // §5.1, MX-5.1-09: equal preferences in a random order).
  std::vector<std::string> first_contacted;
  // DNS queries ("NAME TYPE") the last delivery made (of `times: N`, the
  // last), or that no delivery of the step made.
  std::vector<std::string> queried;
  std::vector<std::string> not_queried;
  // `queried: []`: the last delivery made no DNS query at all.
  bool no_queries = false;
  // Connections to any https host since the start (policy fetches, and
  // the report POSTs of report steps):
  // exactly N (`fetches: N`) or within bounds (`fetches: {at_least: N,
  // at_most: M}`), for rules that set only a bound, such as a backoff of
  // "at least 5 minutes" (STS-3.3-08).
  struct Count {
    std::uint32_t at_least = 0;
    std::uint32_t at_most = 0xffffffff;
    bool Matches(std::uint32_t n) const { return n >= at_least && n <= at_most; }
    bool exact() const { return at_least == at_most; }
    std::string Text() const;  // "2", "at least 2", "2 to 4"
  };
  std::optional<Count> fetches;
  // Whether the last delivery alerted the administrator (STS-3.3-13).
  std::optional<bool> alerted;
  std::optional<SmtpClientExpect> smtp_client;
  // What the last `report` step submitted: one "URI accepted" or "URI
  // refused" per attempt, in order (the attacker's rua of ATK-50 shows
  // here), and the session counts of the reports it tried (RPT-3-12: the
  // sessions that delivered a report are not among them).
  std::optional<std::vector<std::string>> reports;
  struct ReportCounts {
    std::uint64_t successful = 0;
    std::uint64_t failed = 0;
  };
  std::optional<ReportCounts> report_counts;
  // The POSTs the https rua endpoints received during the last report
  // step (RFC 8460 §3, RPT-3-09), in order: the URI they were sent to and
  // their Content-Type. Each body must also be an RFC 8460 report
  // (gunzipped first when the type is application/tlsrpt+gzip).
  struct ReportPost {
    std::string url;
    std::string content_type;
  };
  std::optional<std::vector<ReportPost>> report_posts;
  // The messages the MX hosts accepted during the last report step (the
  // mailto: reports, RFC 8460 §5.3), in order: for whom and through which
  // MX. Each must also read as an RFC 8460 report mail, and, where
  // report_domain is given, report on that domain (TLS-Report-Domain).
  struct ReportMail {
    std::string to;
    std::string mx;
    std::string report_domain;
  };
  std::optional<std::vector<ReportMail>> report_mails;
  // The level of this step's checks when it is below the scenario's: a
  // SHOULD or MAY step that fails makes the case non-strict (a failure
  // under --strict) and the later steps still run.
  std::string level;
};

struct ScenarioStep {
  // kReport: the sender's TLS-RPT reporter (RFC 8460) closes the day: the
  // clock moves to 04:00Z the next day, past the longest initial wait
  // (§4.1), and the reporter runs once, mailing reports through the
  // sender.
  enum class Kind : std::uint8_t { kDeliver, kAdvanceClock, kRestartSender, kExpect, kReport };
  Kind kind = Kind::kDeliver;
  std::string to;  // kDeliver: the recipient
  // kDeliver: the message is a TLS-RPT report for a mailto: rua (`as:
  // report`): the sender must not enforce MTA-STS for it (RFC 8460 §3).
  bool report = false;
  // kDeliver: how many messages to that recipient, one after another by
  // one sender (`times: N`); the expectations that follow judge the last,
  // and first_contacted all of them.
  std::uint32_t times = 1;
  std::int64_t seconds = 0;  // kAdvanceClock
  bool keep_cache = false;   // kRestartSender
  ScenarioExpect expect;     // kExpect
  std::uint32_t line = 0;
};

struct Scenario {
  std::filesystem::path file;
  std::string id;
  std::string title;
  std::vector<ScenarioRequirement> requirements;
  std::vector<std::string> tags;
  std::vector<std::string> attacks;  // ATK-NN rows of the requirements catalogue
  UnixSeconds clock = 1'800'000'000;
  std::vector<mocks::pki::CertSpec> certs;
  std::vector<std::string> trusted;  // roots the sender trusts
  // The names the sender under test is known by as an MX host (RFC 5321
  // §5.1, MX-5.1-10: it drops exchanges of its own preference and above).
  std::vector<std::string> sender_names;
  MockZone dns;
  std::map<std::string, HttpsHostSpec> https;
  std::map<std::string, SmtpHostSpec> smtp;
  std::vector<ScenarioStep> steps;
};

// The key of an https or smtp host: lower case, one trailing dot dropped,
// as the senders and the connectors compare host names (RFC 4343). Hosts
// whose names differ only in these are one host.
std::string HostKey(std::string_view name);

// Reads one scenario file. Errors are located (`detail` starts with
// "line:column: "): `scenario.unreadable`, `scenario.yaml`, `scenario.field`
// (a missing or ill-typed key, an unknown key or knob value), and the zone's
// `zone.*` errors for the `dns` section.
Result<Scenario> LoadScenario(const std::filesystem::path& file);

// The same from text: `file` names it in errors and is where `base:` paths
// start; `read_base` reads a base (nullopt: unreadable). LoadScenario reads
// both from disk.
using BaseReader = std::function<std::optional<std::string>(const std::filesystem::path&)>;
Result<Scenario> ParseScenario(std::string_view text, const std::filesystem::path& file,
                               const BaseReader& read_base);

// Checks what the loader cannot: the id matches the path under `root`
// (without `.yaml`), requirement ids exist in `known_ids` (when non-empty)
// with a level of MUST, SHOULD or MAY, tags are known, certificate names
// used by hosts exist, trusted names are CAs, result types are RFC 8460
// names, `later` phases start after the clock, and there is at least one
// deliver and one expect step.
std::vector<std::string> LintScenario(const Scenario& s, const std::filesystem::path& root,
                                      const std::set<std::string>& known_ids);

// What of `s` an in-process run does not exercise, each named with where
// it is ("smtp mx1.example.test: inject (...)"): the expect key the fakes
// cannot observe (smtp_client) and the knobs they ignore or whose result
// they decide themselves in place of the sender's own network code
// (stall, trickle_ms, oversized, reset, cache_control, sni_required, the
// framing knobs chunked, close_delimited, no_close_notify,
// chunk_extension_bytes and interim;
// inject, starttls_under_tls, starttls_settle_ms, accept_unknown_params,
// starttls garbage-after-220, tls_max below TLS 1.2), in later phases too.
// Empty when the in-process run can check the whole scenario.
std::vector<std::string> WireOnlyElements(const Scenario& s);

// conformance/scenarios/**/*.yaml, sorted.
std::vector<std::filesystem::path> FindScenarioFiles(const std::filesystem::path& root);

}  // namespace mxconform::conformance
