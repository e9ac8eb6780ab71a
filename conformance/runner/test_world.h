// The small world the scenario tests (scenario_test.cc, scenario_wire_test.cc)
// and the scenario fuzzer start from: a root CA, a certificate for mx1 and
// an expired twin, one for the policy host, one MX, and an enforce policy
// naming it. Used as a `base:` file, or with a scenario's own keys around it
// (YAML keys may come in any order).
#pragma once

#include <string>
#include <string_view>

namespace mxconform::conformance {

inline constexpr std::string_view kTestWorld = R"(clock: 1800000000
pki:
  - {name: root, ca: true, common_name: r}
  - {name: mx1, issuer: root, dns_names: [mx1.example.test]}
  - {name: mx1-expired, issuer: root, dns_names: [mx1.example.test], not_after: -1}
  - {name: policy, issuer: root, dns_names: [mta-sts.example.test]}
trusted: [root]
dns:
  origins: [example.test]
  zonedata:
    example.test: [{MX: [10, mx1.example.test]}]
    mx1.example.test: [{A: 127.0.0.1}]
    _mta-sts.example.test: [{TXT: "v=STSv1; id=1"}]
https:
  mta-sts.example.test:
    cert: policy
    paths:
      /.well-known/mta-sts.txt:
        body: "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmax_age: 600\n"
smtp:
  mx1.example.test: {cert: mx1}
)";

// Scenario keys over kTestWorld: example.test with two MX, mx1 at
// preference 10 and mx2 at `mx2_preference`, both in an enforce policy and
// presenting `mx1_cert` and `mx2_cert`; `pki` is added to the world's
// certificates (the `pki:` list items), and `steps:` follows.
inline std::string TwoMxWorld(std::string_view pki, int mx2_preference, std::string_view mx1_cert,
                              std::string_view mx2_cert) {
  return "pki:\n" + std::string(pki) + R"(dns:
  origins: [example.test]
  zonedata:
    example.test: [{MX: [10, mx1.example.test]}, {MX: [)" +
         std::to_string(mx2_preference) + R"(, mx2.example.test]}]
    mx1.example.test: [{A: 127.0.0.1}]
    mx2.example.test: [{A: 127.0.0.1}]
    _mta-sts.example.test: [{TXT: "v=STSv1; id=1"}]
https:
  mta-sts.example.test:
    cert: policy
    paths:
      /.well-known/mta-sts.txt:
        body: "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: mx2.example.test\nmax_age: 600\n"
smtp:
  mx1.example.test: {cert: )" +
         std::string(mx1_cert) + "}\n  mx2.example.test: {cert: " + std::string(mx2_cert) + "}\n";
}

// On top of kTestWorld: an MX whose `later` phases are mocks of their own
// (a greylist count per phase), then strip STARTTLS, then go down; each
// phase starts from the host's settings (greylist 1), not the phase
// before. Run in process (scenario_test.cc) and on the wire
// (scenario_wire_test.cc): the two must agree.
inline constexpr std::string_view kMxPhases = R"(smtp:
  mx1.example.test:
    cert: mx1
    greylist: 1
    later:
      - {at: 1800003600, cert: mx1}
      - {at: 1800007200, starttls: strip-from-ehlo}
      - {at: 1800010800, down: true}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred}
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered, channel: verified-tls}
  - advance_clock: 3600
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred}
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered, channel: verified-tls}
  - advance_clock: 3600
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred, tls_rpt: [starttls-not-supported], contacted: [mx1.example.test]}
  - advance_clock: 3600
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred, tls_rpt: []}
)";

}  // namespace mxconform::conformance
