// The small world the scenario tests (scenario_test.cc, scenario_wire_test.cc)
// and the scenario fuzzer start from: a root CA, a certificate for mx1 and
// an expired twin, one for the policy host, one MX, and an enforce policy
// naming it. Used as a `base:` file, or with a scenario's own keys around it
// (YAML keys may come in any order).
#pragma once

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

}  // namespace mxconform::conformance
