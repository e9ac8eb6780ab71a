// Scenarios: the world a sending MTA meets (DNS, the MTA-STS policy host,
// the MX servers, a PKI, a clock) and what it must do there, in one YAML
// file under conformance/scenarios/ (the format is in
// conformance/README.md, "Scenarios"). One file drives both execution
// modes: in-process, against fakes built from the scenario on a virtual
// clock, and on the wire, against the socket mocks (issue 6).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "conformance/runner/mock_zone.h"
#include "conformance/runner/vectors.h"
#include "mocks/dns/responder.h"
#include "mocks/dns/server.h"
#include "mocks/https/server.h"
#include "mocks/pki/pki.h"
#include "mocks/smtp/server.h"
#include "mtasts/sender.h"
#include "tls/verify.h"

namespace mxconform::conformance {

struct ScenarioRequirement {
  std::string id;
  std::string level;  // MUST, SHOULD or MAY
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
};

struct HttpsHostSpec {
  std::string cert;                // a leaf of the PKI
  bool intermediates = true;       // false: the chain without its intermediates
  bool plain_http = false;         // plain_http, if set, makes the host speak HTTP without TLS
  bool handshake_failure = false;  // handshake_failure, if set, makes the host abort TLS
  // sni_required, if set, makes the host refuse a ClientHello without its
  // name as SNI (STS-7.1-02).
  bool sni_required = false;
  std::map<std::string, HttpsPathSpec> paths;
  // later: how the host behaves from a clock time on (a certificate that
  // goes bad at the refresh, a policy that changes); each entry starts
  // from the host's own settings and overrides what it lists. In time
  // order.
  struct Phase;
  std::vector<Phase> later;
  // The settings in force at `now`.
  const HttpsHostSpec& At(UnixSeconds now) const;
};

struct HttpsHostSpec::Phase {
  UnixSeconds at = 0;
  std::shared_ptr<const HttpsHostSpec> spec;
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
};

struct ScenarioExpect {
  std::optional<std::string> verdict;  // delivered | deferred | bounced
  std::optional<std::string> channel;  // verified-tls | unverified-tls | plaintext
  std::optional<std::string> mx;
  // RFC 8460 result types, in order; more than one list where the RFCs
  // allow more than one reading (`{one_of: [[...], [...]]}`): any passes.
  std::optional<std::vector<std::vector<std::string>>> tls_rpt;
  // The policy the sender holds for the domain afterwards: "none", or its
  // mode and id.
  std::optional<std::string> policy_mode;
  std::optional<std::string> policy_id;
  std::optional<std::vector<std::string>> contacted;  // MX hosts, in order
  std::vector<std::string> not_contacted;
  // DNS queries ("NAME TYPE") the last delivery made, or must not have made.
  std::vector<std::string> queried;
  std::vector<std::string> not_queried;
  // Policy fetches (connections to any policy host) since the start.
  std::optional<std::uint32_t> fetches;
  // Whether the last delivery alerted the administrator (STS-3.3-13).
  std::optional<bool> alerted;
  // The level of this step's checks when it is below the scenario's: a
  // SHOULD or MAY step that fails makes the case non-strict (a failure
  // under --strict) and the later steps still run.
  std::string level;
};

struct ScenarioStep {
  enum class Kind : std::uint8_t { kDeliver, kAdvanceClock, kRestartSender, kExpect };
  Kind kind = Kind::kDeliver;
  std::string to;            // kDeliver: the recipient
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
  MockZone dns;
  std::map<std::string, HttpsHostSpec> https;
  std::map<std::string, SmtpHostSpec> smtp;
  std::vector<ScenarioStep> steps;
};

// Reads one scenario file. Errors are located (`detail` starts with
// "line:column: "): `scenario.unreadable`, `scenario.yaml`, `scenario.field`
// (a missing or ill-typed key, an unknown key or knob value), and the zone's
// `zone.*` errors for the `dns` section.
Result<Scenario> LoadScenario(const std::filesystem::path& file);

// Checks what the loader cannot: the id matches the path under `root`
// (without `.yaml`), requirement ids exist in `known_ids` (when non-empty)
// with a level of MUST, SHOULD or MAY, tags are known, certificate names
// used by hosts exist, trusted names are CAs, result types are RFC 8460
// names, and there is at least one deliver and one expect step.
std::vector<std::string> LintScenario(const Scenario& s, const std::filesystem::path& root,
                                      const std::set<std::string>& known_ids);

// conformance/scenarios/**/*.yaml, sorted.
std::vector<std::filesystem::path> FindScenarioFiles(const std::filesystem::path& root);

// How a scenario is run: which sender, and the wire mode's budget per step.
struct ScenarioRunOptions {
  mtasts::SenderProfile profile = mtasts::SenderProfile::kReference;
  // Wire mode: a deliver step that has not finished after this long ends
  // the run with an `error` naming the step (the mocks are stopped, which
  // ends every connection the sender still holds).
  std::chrono::milliseconds step_budget{20000};
  // Tests only: replaces the sender for deliver steps in wire mode (a
  // misbehaving client, say). Gets the world and the recipient.
  std::function<mtasts::DeliveryReport(const class ScenarioWorld&, const std::string&)>
      deliver_override;
};

// Runs a scenario in-process against the reference sender: fakes built
// from the scenario (DNS through the mock server's Responder in memory,
// the policy host and the MX as fakes that verify the PKI's chains with
// src/tls), a virtual clock. One CaseResult, kind "scenario", id the
// scenario's id + "/in-process"; a request the scenario does not answer is
// an error outcome naming it.
CaseResult RunScenarioInProcess(const Scenario& s, const ScenarioRunOptions& opts = {});

// A scenario's mocks on loopback: the DNS server, one policy host per
// scripted host, one MX per scripted MX (a `down` one is not started),
// each on an ephemeral port, with the PKI and the trusted roots. Used by
// the wire runner and by `mxconform lab`. `clock` drives the DNS knobs'
// time ranges; the certificates' validity is relative to `pki_start`
// (default: the scenario's clock; `lab` uses the real time, because the
// software under test checks certificates against it). Errors:
// `scenario.world` (what could not start; detail says which).
class ScenarioWorld {
 public:
  static Result<std::unique_ptr<ScenarioWorld>> Start(
      const Scenario& s, const Clock& clock, std::optional<UnixSeconds> pki_start = std::nullopt);
  ~ScenarioWorld();
  void Stop();  // idempotent

  std::shared_ptr<const mocks::pki::Pki> pki;
  std::string bundle_pem;  // the trusted roots
  std::shared_ptr<const tls::TrustStore> trust;
  std::unique_ptr<mocks::dns::Responder> responder;
  std::unique_ptr<mocks::dns::Server> dns_server;
  std::map<std::string, std::unique_ptr<mocks::https::Server>> https;
  std::map<std::string, std::unique_ptr<mocks::smtp::Server>> smtp;
  std::map<std::string, std::string> https_addresses;  // host -> "127.0.0.1:PORT"
  // A host with `later` phases: one mock per phase, the address of each
  // with the time it starts (the first at 0).
  std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>> https_phases;
  std::vector<std::unique_ptr<mocks::https::Server>> https_later;
  std::map<std::string, std::string> smtp_addresses;

 private:
  ScenarioWorld() = default;
};

// Runs a scenario on the wire against the reference sender: the mock DNS
// server, one mock policy host per scripted host and one mock MX per
// scripted MX, each on an ephemeral loopback port, the sender reaching
// them through the stub resolver, net::HttpsPolicyFetcher and
// net::SmtpConnector with the address map (no root, no fixed ports). The
// clock is still virtual (certificate checks, the cache, time-ranged DNS
// faults); deadlines are real and short. Id: the scenario's id + "/wire";
// the transcript holds the DNS log, every HTTPS request and every SMTP
// dialogue.
CaseResult RunScenarioWire(const Scenario& s, const ScenarioRunOptions& opts = {});

}  // namespace mxconform::conformance
