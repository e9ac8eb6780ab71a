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
#include "conformance/runner/scenario_model.h"
#include "conformance/runner/vectors.h"
#include "mocks/dns/responder.h"
#include "mocks/dns/server.h"
#include "mocks/https/server.h"
#include "mocks/pki/pki.h"
#include "mocks/smtp/server.h"
#include "mtasts/sender.h"
#include "tls/verify.h"
#include "tlsrpt/reporter.h"

namespace mxconform::conformance {

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

// The SMTP sessions of one delivery as the MX mocks logged them, each with
// the MX host it reached, in the order they were accepted.
using SmtpSessions = std::vector<std::pair<std::string, mocks::smtp::SessionLog>>;

// The first RFC 3207 rule of `e` the sessions break, as a message naming
// the host, the session and the command ("" if they keep every rule).
std::string CheckSmtpClient(const SmtpClientExpect& e, const SmtpSessions& sessions);

// Runs a scenario in-process against the reference sender: fakes built
// from the scenario (DNS through the mock server's Responder in memory,
// the policy host and the MX as fakes that verify the PKI's chains with
// src/tls), a virtual clock. One CaseResult, kind "scenario", id the
// scenario's id + "/in-process"; a request the scenario does not answer is
// an error outcome naming it. A scenario that passes every check the
// fakes can make, and holds something of WireOnlyElements()
// (scenario_model.h), is `partial`, not `pass`: it names what it left to
// the wire run, and is not counted as passed.
CaseResult RunScenarioInProcess(const Scenario& s, const ScenarioRunOptions& opts = {});

// A scenario's mocks on loopback: the DNS server, one policy host per
// scripted host and phase, one MX per scripted MX (a `down` MX is not
// started; a `down` policy host's address is a loopback port that refuses
// connections),
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
  // The mock of each later phase that listens (a `down` phase has none).
  template <typename Server>
  struct LaterPhase {
    std::string host;
    UnixSeconds at = 0;
    std::unique_ptr<Server> server;
  };
  std::vector<LaterPhase<mocks::https::Server>> https_later;
  std::map<std::string, std::string> smtp_addresses;  // host -> address (closed if `down`)
  // (host, address) -> a closed port, for each of a host's down_addresses
  // (net::SmtpConnectorOptions::address_endpoints).
  std::map<std::pair<std::string, std::string>, std::string> smtp_address_endpoints;
  // The same for the MX servers.
  std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>> smtp_phases;
  std::vector<LaterPhase<mocks::smtp::Server>> smtp_later;
  // The port of each `down` host or phase, held bound but never listening:
  // a connection there is refused, and no other socket can be given the
  // port meanwhile (it was only closed once, so another process could
  // take it). Port -> socket; closed by Stop(), or by Follow() when the
  // host comes up again on its port.
  std::map<std::uint16_t, int> closed_ports;
  // The servers Follow() took off a host's address, stopped (a session
  // still open then ends "stopped"), host first: the caller reads the logs
  // it has not read yet, then clears the lists.
  std::vector<std::pair<std::string, std::unique_ptr<mocks::https::Server>>> https_retired;
  std::vector<std::pair<std::string, std::unique_ptr<mocks::smtp::Server>>> smtp_retired;

  // For `lab`: makes each host's own address (https_addresses,
  // smtp_addresses) behave as its phase in force at `now`. A host whose
  // phase changed since the last call is restarted on the same port with
  // that phase's settings (a `down` phase holds the port closed); the
  // phases' own servers stay as they are. The server replaced goes to
  // https_retired / smtp_retired. Returns the hosts that changed.
  // Not thread-safe: one caller.
  Result<std::vector<std::string>> Follow(const Scenario& s, UnixSeconds now);

 private:
  ScenarioWorld() = default;
  Result<std::unique_ptr<mocks::https::Server>> StartPolicyHost(const std::string& host,
                                                                const HttpsHostSpec& h,
                                                                std::uint16_t port) const;
  Result<std::unique_ptr<mocks::smtp::Server>> StartMx(const std::string& host,
                                                       const SmtpHostSpec& m,
                                                       std::uint16_t port) const;
  std::map<std::string, const void*> in_force_;  // "https HOST" / "smtp HOST" -> its spec
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

// The sessions of one delivery of the reference sender as TLS-RPT counts
// them (RFC 8460 §4.3), for its reporter: each failure the sender would
// report is a failed session, and a delivery over TLS a successful one
// unless that session is among the failures (testing mode delivers over a
// session that failed validation: one session, counted once). The policy
// is the STS policy the delivery applied, enforce or testing, as it was
// applied; a policy-host failure with none obtained is an STS block with
// an empty policy-string (catalogue §9 note 3); otherwise no policy was
// found.
std::vector<tlsrpt::SessionOutcome> SessionsOf(const mtasts::DeliveryReport& r,
                                               const std::string& domain, UnixSeconds now);

}  // namespace mxconform::conformance
