#include "conformance/runner/wire_dns.h"

#include <gtest/gtest.h>

#include "conformance/runner/dmarc_cases.h"
#include "conformance/runner/openspf.h"

namespace mxconform::conformance {
namespace {

constexpr const char* kSuite = R"(description: wire
tests:
  mx-pass:
    description: d
    requirements: [SPF-5.4-01]
    host: 192.0.2.1
    mailfrom: a@example.com
    result: pass
  txt-timeout:
    description: d
    requirements: [SPF-5.4-01]
    host: 192.0.2.1
    mailfrom: a@slow.example.com
    result: temperror
zonedata:
  example.com:
    - TXT: ["v=spf1 ", "mx -all"]
    - MX: [10, mx.example.com]
  mx.example.com:
    - A: 192.0.2.1
  slow.example.com:
    - TIMEOUT
)";

std::unique_ptr<WireDns> StartWire() {
  auto w = WireDns::Start(WireDnsOptions{.attempt_timeout = std::chrono::milliseconds(100)});
  EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().Text());
  return w.ok() ? std::move(*w) : nullptr;
}

TEST(WireDnsTest, CasesRunOverTheWireAndAgree) {
  auto wire = StartWire();
  ASSERT_NE(wire, nullptr);
  auto f = ParseOpenspf(kSuite, "spf-wire.yml", OpenspfOrigin::kOurs);
  ASSERT_TRUE(f.ok());
  OpenspfRunOptions opts;
  opts.wire = wire.get();
  auto results = RunOpenspfFile(*f, opts);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_EQ(r.outcome, Outcome::kPass) << r.id << ": " << r.message;
    EXPECT_TRUE(r.actual["reference"].contains("wire")) << r.id;
  }
  EXPECT_EQ(results[1].actual["reference"]["wire"]["result"], "temperror");
  // The server really was asked: the last case's TXT query timed out there.
  auto log = wire->responder().Log();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().qname, "slow.example.com");
  EXPECT_EQ(log.back().answered_by, "TIMEOUT slow.example.com");
  EXPECT_FALSE(log.back().replied);
}

TEST(WireDnsTest, ADisagreementFailsTheCase) {
  auto wire = StartWire();
  ASSERT_NE(wire, nullptr);
  auto f = ParseOpenspf(kSuite, "spf-wire.yml", OpenspfOrigin::kOurs);
  ASSERT_TRUE(f.ok());
  OpenspfRunOptions opts;
  opts.wire = wire.get();
  // An evaluator that answers from the resolver in-process but invents a
  // result over the wire: what a wire-only bug (a TXT join, a lost CNAME)
  // looks like from the runner.
  opts.evaluate = [](const spf::EvalInput& in, bool helo, spf::Resolver& dns,
                     const spf::EvalLimits& limits) {
    spf::EvalResult e = spf::CheckMailFrom(in, dns, limits);
    if (dynamic_cast<WireDns::Resolver*>(&dns) != nullptr) {
      e.result = spf::SpfResult::kNeutral;
    }
    return e;
  };
  auto results = RunOpenspfFile(*f, opts);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].outcome, Outcome::kFail);
  EXPECT_EQ(results[0].message.rfind("wire and in-process disagree", 0), 0u) << results[0].message;
}

TEST(WireDnsTest, DmarcCasesRunOverTheWire) {
  auto wire = StartWire();
  ASSERT_NE(wire, nullptr);
  DmarcCaseFile f;
  f.path = "wire.yaml";
  f.doc = nlohmann::json::parse(R"({
    "suite": "dmarc/wire",
    "zonedata": {"_dmarc.example.com": [{"TXT": "v=DMARC1; p=reject"}]},
    "tests": [{"name": "sub", "from": "a.example.com", "requirements": ["DMB-4.10.1-01"],
               "modes": ["bis"],
               "expect": {"result": "fail", "policy_source": "np",
                          "queries": ["TXT _dmarc.a.example.com", "TXT _dmarc.example.com",
                                      "TXT _dmarc.com"]}}]
  })");
  auto results = RunDmarcCaseFile(f, wire.get());
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome, Outcome::kPass) << results[0].message;
  EXPECT_EQ(results[0].actual["wire"]["policy_source"], "np");
  // NXDOMAIN for a.example.com came from the server (the name is not listed).
  bool asked = false;
  for (const auto& e : wire->responder().Log()) {
    asked |= e.qname == "a.example.com" && e.rcode == 3;
  }
  EXPECT_TRUE(asked);
}

}  // namespace
}  // namespace mxconform::conformance
