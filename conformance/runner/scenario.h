// Scenarios: the world a sending MTA meets (DNS, the MTA-STS policy host,
// the MX servers, a PKI, a clock) and what it must do there, in one YAML
// file under conformance/scenarios/ (the format is in
// conformance/README.md, "Scenarios"). One file drives both execution
// modes: in-process, against fakes built from the scenario on a virtual
// clock, and on the wire, against the socket mocks (issue 6).
#pragma once

#include <cstdint>
#include <filesystem>
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
  std::map<std::string, HttpsPathSpec> paths;
};

struct SmtpHostSpec {
  std::string cert;
  bool intermediates = true;
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
  std::optional<std::vector<std::string>> tls_rpt;  // result types, in order
  // The policy the sender holds for the domain afterwards: "none", or its
  // mode and id.
  std::optional<std::string> policy_mode;
  std::optional<std::string> policy_id;
  std::optional<std::vector<std::string>> contacted;  // MX hosts, in order
  std::vector<std::string> not_contacted;
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

// Runs a scenario in-process against the reference sender: fakes built
// from the scenario (DNS through the mock server's Responder in memory,
// the policy host and the MX as fakes that verify the PKI's chains with
// src/tls), a virtual clock. One CaseResult, kind "scenario", id the
// scenario's id + "/in-process"; a request the scenario does not answer is
// an error outcome naming it.
CaseResult RunScenarioInProcess(const Scenario& s);

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
CaseResult RunScenarioWire(const Scenario& s);

}  // namespace mxconform::conformance
