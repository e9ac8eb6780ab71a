#include "conformance/runner/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "conformance/runner/test_world.h"

namespace mxconform::conformance {
namespace {

namespace fs = std::filesystem;

// Scenario files in a temporary tree that mirrors conformance/scenarios.
class ScenarioTest : public ::testing::Test {
 protected:
  ScenarioTest()
      : root_(fs::temp_directory_path() / ("mxconform-scenarios-" + std::to_string(::getpid()))) {
    fs::create_directories(root_ / "_base");
    fs::create_directories(root_ / "t");
    Write("_base/world.yaml", std::string(kTestWorld));
  }
  ~ScenarioTest() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  fs::path Write(const std::string& rel, const std::string& text) {
    std::ofstream(root_ / rel) << text;
    return root_ / rel;
  }
  fs::path Scenario(const std::string& name, const std::string& body) {
    return Write("t/" + name + ".yaml", "base: ../_base/world.yaml\nid: t/" + name +
                                            "\ntitle: \"t\"\nrequirements: [{id: STS-5-01, "
                                            "level: MUST}]\ntags: [control]\n" +
                                            body);
  }
  fs::path root_;
};

TEST_F(ScenarioTest, RunsAndPasses) {
  auto s = LoadScenario(Scenario("good", R"(steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered, channel: verified-tls, tls_rpt: [], policy: {mode: enforce, id: "1"}}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_TRUE(LintScenario(*s, root_, {}).empty());
  auto r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.id, "t/good/in-process");
  EXPECT_TRUE(WireOnlyElements(*s).empty());
  EXPECT_EQ(r.expected["expect"][0]["verdict"], "delivered");
  EXPECT_EQ(r.expected["levels"]["STS-5-01"], "MUST");
  EXPECT_FALSE(r.actual["transcript"].empty());
}

// The PKI cache compares whole specs: a scenario that replaces the base's
// mx1 with one of the same names and EKU clientAuth used to get the base's
// cached, good mx1 once another scenario had built it (review finding).
TEST_F(ScenarioTest, APkiThatDiffersOnlyInTheEkuIsBuiltAgain) {
  // Both replace mx1, so both lists have it in the same place.
  auto good = LoadScenario(Scenario("base-pki", R"(pki:
  - {name: mx1, issuer: root, dns_names: [mx1.example.test]}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered, channel: verified-tls}
)"));
  ASSERT_TRUE(good.ok()) << good.error().Text();
  EXPECT_EQ(RunScenarioInProcess(*good).outcome, Outcome::kPass);
  auto eku = LoadScenario(Scenario("eku-pki", R"(pki:
  - {name: mx1, issuer: root, dns_names: [mx1.example.test], eku: client-auth}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred}
)"));
  ASSERT_TRUE(eku.ok()) << eku.error().Text();
  auto r = RunScenarioInProcess(*eku);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
}

TEST_F(ScenarioTest, AWrongExpectationFailsAndSaysWhich) {
  auto s = LoadScenario(Scenario("wrong", R"(smtp:
  mx1.example.test: {cert: mx1-expired}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  auto r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("verdict: expected delivered, got deferred"), std::string::npos)
      << r.message;
}

// With `times: N`, `queried` judges the last delivery and `not_queried`
// every one (review finding: both looked at all N, so a query only the
// first delivery made passed `queried`). mx1 greylists the first message:
// the first delivery goes on to mx2 and asks its address, the second
// stays on mx1.
TEST_F(ScenarioTest, QueriedJudgesTheLastDeliveryNotQueriedEveryOne) {
  const std::string world =
      TwoMxWorld("  - {name: mx2, issuer: root, dns_names: [mx2.example.test]}\n", 20,
                 "mx1, greylist: 1", "mx2") +
      "steps:\n  - deliver: {to: a@example.test, times: 2}\n  - expect: {mx: mx1.example.test, ";
  for (const auto& [key, pass] : {std::pair{"queried: [mx1.example.test A]", true},
                                  std::pair{"queried: [mx2.example.test A]", false},
                                  std::pair{"not_queried: [mx2.example.test A]", false},
                                  std::pair{"not_queried: [mx3.example.test A]", true}}) {
    auto s = LoadScenario(Scenario("queried-last", world + key + "}\n"));
    ASSERT_TRUE(s.ok()) << s.error().Text();
    const CaseResult r = RunScenarioInProcess(*s);
    EXPECT_EQ(r.outcome, pass ? Outcome::kPass : Outcome::kFail) << key << ": " << r.message;
  }
}

// tls_rpt compares result types as a multiset: a report counts failures by
// type (RFC 8460 §4.3), so the order the sender met them in does not count,
// how many of each does (review finding: the order was compared).
TEST_F(ScenarioTest, TlsRptResultTypesCountButNotTheirOrder) {
  const std::string world =
      TwoMxWorld("  - {name: mx2-wrong, issuer: root, dns_names: [other.example.test]}\n", 20,
                 "mx1-expired", "mx2-wrong") +
      R"(steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred, contacted: [mx1.example.test, mx2.example.test], tls_rpt: )";
  for (const auto& [want, pass] :
       {std::pair{"[certificate-expired, certificate-host-mismatch]", true},
        std::pair{"[certificate-host-mismatch, certificate-expired]", true},
        std::pair{"[certificate-expired]", false},
        std::pair{"[certificate-expired, certificate-expired, certificate-host-mismatch]", false},
        std::pair{
            "{one_of: [[validation-failure], [certificate-host-mismatch, certificate-expired]]}",
            true}}) {
    auto s = LoadScenario(Scenario("rpt-order", world + want + "}\n"));
    ASSERT_TRUE(s.ok()) << s.error().Text();
    const CaseResult r = RunScenarioInProcess(*s);
    EXPECT_EQ(r.outcome, pass ? Outcome::kPass : Outcome::kNonStrict) << want << ": " << r.message;
  }
}

// Host names that differ only in case or a final dot are one host: the
// scenario's replaces the base's, in both modes (review finding: the two
// were kept side by side, and each mode picked another certificate).
TEST_F(ScenarioTest, AHostInAnotherCaseReplacesTheBasesHost) {
  auto s = LoadScenario(Scenario("case", R"(smtp:
  Mx1.Example.Test.: {cert: mx1-expired}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred, tls_rpt: [certificate-expired]}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  ASSERT_EQ(s->smtp.size(), 1u);
  EXPECT_EQ(s->smtp.begin()->first, "mx1.example.test");
  EXPECT_EQ(s->smtp.begin()->second.cert, "mx1-expired");
  const CaseResult r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  // Twice in one file: a load error.
  auto twice = LoadScenario(Scenario("case-twice", R"(smtp:
  mx1.example.test: {cert: mx1}
  MX1.example.test: {cert: mx1-expired}
steps: []
)"));
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().Text().find("listed twice"), std::string::npos) << twice.error().Text();
  EXPECT_EQ(HostKey("MX.Example.TEST."), "mx.example.test");
  EXPECT_EQ(HostKey("."), ".");
}

TEST_F(ScenarioTest, TheVirtualClockExpiresThePolicy) {
  auto s = LoadScenario(Scenario("clock", R"(steps:
  - deliver: {to: a@example.test}
  - advance_clock: 601
  - restart_sender: {keep_cache: true}
  - expect: {policy: none}
  - deliver: {to: a@example.test}
  - expect: {policy: {mode: enforce}}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  auto r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
}

TEST_F(ScenarioTest, UnscriptedRequestsAreErrors) {
  auto s = LoadScenario(Scenario("unscripted", R"(dns:
  origins: [example.test]
  zonedata:
    example.test: [{MX: [10, mx9.example.test]}]
    mx9.example.test: [{A: 127.0.0.1}]
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  auto r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kError);
  EXPECT_NE(r.message.find("unscripted SMTP connection to mx9.example.test"), std::string::npos)
      << r.message;
}

TEST_F(ScenarioTest, LoadErrorsAreLocatedAndLintFindsTheRest) {
  auto bad = LoadScenario(Scenario("bad", R"(smtp:
  mx1.example.test: {cert: mx1, starttls: sometimes}
steps: []
)"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().id, "scenario.field");
  EXPECT_EQ(bad.error().detail.rfind("7:", 0), 0u) << bad.error().detail;
  auto s = LoadScenario(Write("t/misnamed.yaml", R"(base: ../_base/world.yaml
id: t/other-name
title: "t"
requirements: [{id: STS-NOPE, level: OFTEN}]
tags: [chaos]
trusted: [mx1]
steps:
  - expect: {tls_rpt: [certificate-sad]}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  auto problems = LintScenario(*s, root_, {"STS-5-01"});
  std::string all;
  for (const auto& p : problems) {
    all += p + "\n";
  }
  for (const char* want : {"must be the file's path", "unknown requirement id STS-NOPE",
                           "level must be", "unknown tag chaos", "is not a CA",
                           "not an RFC 8460 result type", "needs a deliver step"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  }
}

// RPT-3-11: `deliver: {as: report}` hands the sender a TLS-RPT report,
// which goes out where a message may not; `as` takes message or report.
TEST_F(ScenarioTest, AReportDeliveryIsNotHeldToThePolicy) {
  auto s = LoadScenario(Scenario("report", R"(smtp:
  mx1.example.test: {cert: mx1-expired}
steps:
  - deliver: {to: a@example.test, as: message}
  - expect: {verdict: deferred, tls_rpt: [certificate-expired]}
  - deliver: {to: a@example.test, as: report}
  - expect: {verdict: delivered, channel: unverified-tls, mx: mx1.example.test, tls_rpt: []}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_FALSE(s->steps[0].report);
  EXPECT_TRUE(s->steps[2].report);
  auto r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  auto bad = LoadScenario(Scenario("report-bad", R"(steps:
  - deliver: {to: a@example.test, as: bounce}
  - expect: {verdict: delivered}
)"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().id, "scenario.field");
  EXPECT_NE(bad.error().detail.find("deliver.as must be message or report"), std::string::npos)
      << bad.error().detail;
}

TEST_F(ScenarioTest, SharedFoldersAreNotScenarios) {
  Scenario("one", "steps: []\n");
  auto files = FindScenarioFiles(root_);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename(), "one.yaml");
}

TEST_F(ScenarioTest, DnsQueriesFetchesAndAlertsAreObserved) {
  auto s = LoadScenario(Scenario("observed", R"(steps:
  - deliver: {to: a@example.test}
  - expect:
      queried: ["_mta-sts.example.test TXT", "example.test MX"]
      not_queried: ["_mta-sts.test TXT"]
      fetches: 1
      alerted: false
  - deliver: {to: a@example.test}
  - expect: {fetches: 1, not_queried: ["mta-sts.example.test A"]}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  auto r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.expected["expect"][0]["fetches"], 1);

  auto wrong = LoadScenario(Scenario("observed-wrong", R"(steps:
  - deliver: {to: a@example.test}
  - expect: {queried: ["_mta-sts.test TXT"]}
)"));
  ASSERT_TRUE(wrong.ok()) << wrong.error().Text();
  auto w = RunScenarioInProcess(*wrong);
  EXPECT_EQ(w.outcome, Outcome::kFail);
  EXPECT_NE(w.message.find("queried: expected _mta-sts.test TXT, not asked"), std::string::npos)
      << w.message;

  // not_queried fails when the query was made; queried: [] means no query
  // at all (it used to check nothing; review finding).
  for (const auto& [expect, message] :
       {std::pair{"{not_queried: [\"example.test MX\"]}",
                  "queried example.test MX, which it must not"},
        std::pair{"{queried: []}",
                  "queried: expected no DNS query, got [\"_mta-sts.example.test TXT\""}}) {
    auto none = LoadScenario(Scenario("observed-none", std::string(R"(steps:
  - deliver: {to: a@example.test}
  - expect: )") + expect + "\n"));
    ASSERT_TRUE(none.ok()) << none.error().Text();
    const CaseResult n = RunScenarioInProcess(*none);
    EXPECT_EQ(n.outcome, Outcome::kFail) << expect;
    EXPECT_NE(n.message.find(message), std::string::npos) << n.message;
    EXPECT_TRUE(n.expected["expect"][0].contains(
        std::string(expect).find("not_") == std::string::npos ? "queried" : "not_queried"));
  }

  auto fetches = LoadScenario(Scenario("fetches-wrong", R"(steps:
  - deliver: {to: a@example.test}
  - expect: {fetches: 2}
)"));
  ASSERT_TRUE(fetches.ok());
  EXPECT_NE(RunScenarioInProcess(*fetches).message.find("fetches: expected 2"), std::string::npos);

  // Bounds, for rules that set only one ("at least 5 minutes").
  auto bounded = LoadScenario(Scenario("fetches-bounds", R"(steps:
  - deliver: {to: a@example.test}
  - expect: {fetches: {at_least: 1, at_most: 3}}
  - expect: {fetches: {at_most: 1}}
  - expect: {fetches: {at_least: 2}}
)"));
  ASSERT_TRUE(bounded.ok()) << bounded.error().Text();
  const auto b = RunScenarioInProcess(*bounded);
  EXPECT_EQ(b.outcome, Outcome::kFail);
  EXPECT_NE(b.message.find("fetches: expected at least 2 policy fetches so far, got 1"),
            std::string::npos)
      << b.message;
  for (const char* bad : {"{at_least: 3, at_most: 1}", "{}", "{at_most: 1, exactly: 1}"}) {
    auto loaded = LoadScenario(Scenario("fetches-bad", std::string(R"(steps:
  - deliver: {to: a@example.test}
  - expect: {fetches: )") + bad + "}\n"));
    EXPECT_FALSE(loaded.ok()) << bad;
  }
}

TEST_F(ScenarioTest, AFailedRefreshAlertsAndLaterPhasesChangeTheHost) {
  // An hour in, the TXT id changes and the policy host stalls: the cached
  // enforce policy still applies and the administrator hears of it.
  const std::string world = R"(dns:
  origins: [example.test]
  zonedata:
    example.test: [{MX: [10, mx1.example.test]}]
    _mta-sts.example.test: [{TXT: "v=STSv1; id=1"}]
  faults:
    - {id: new-id, name: _mta-sts.example.test, type: TXT, spoof: [{TXT: "v=STSv1; id=2"}], from: 1800003600}
https:
  mta-sts.example.test:
    cert: policy
    paths:
      /.well-known/mta-sts.txt:
        body: "version: STSv1\nmode: MODE\nmx: mx1.example.test\nmax_age: 86400\n"
    later:
      - at: 1800003600
        paths:
          /.well-known/mta-sts.txt: {stall: true}
steps:
  - deliver: {to: a@example.test}
  - expect: {policy: {mode: MODE, id: "1"}, alerted: false, fetches: 1}
  - advance_clock: 3600
  - deliver: {to: a@example.test}
  - expect: {policy: {mode: MODE, id: "1"}, alerted: ALERT, fetches: 2}
)";
  auto with = [&](const std::string& mode, const std::string& alert) {
    std::string text = world;
    for (std::size_t at; (at = text.find("MODE")) != std::string::npos;) {
      text.replace(at, 4, mode);
    }
    text.replace(text.find("ALERT"), 5, alert);
    return text;
  };
  auto enforce = LoadScenario(Scenario("alert", with("enforce", "true")));
  ASSERT_TRUE(enforce.ok()) << enforce.error().Text();
  ASSERT_EQ(enforce->https.at("mta-sts.example.test").later.size(), 1u);
  // Every check passes; the stall itself (the sender's fetch deadline) is
  // the fake's own verdict in-process, so the case is partial and says so.
  auto r = RunScenarioInProcess(*enforce);
  EXPECT_EQ(r.outcome, Outcome::kPartial) << r.message;
  EXPECT_NE(r.message.find("https mta-sts.example.test (from 1800003600): "
                           "/.well-known/mta-sts.txt stall"),
            std::string::npos)
      << r.message;
  // Mode none: nothing to protect, nothing to alert about (STS-3.3-13).
  auto none = LoadScenario(Scenario("no-alert", with("none", "false")));
  ASSERT_TRUE(none.ok()) << none.error().Text();
  auto n = RunScenarioInProcess(*none);
  EXPECT_EQ(n.outcome, Outcome::kPartial) << n.message;
  // A check that fails is a failure, whatever is left to the wire.
  auto wrong = LoadScenario(Scenario("alert-missed", with("enforce", "false")));
  ASSERT_TRUE(wrong.ok()) << wrong.error().Text();
  auto w = RunScenarioInProcess(*wrong);
  EXPECT_EQ(w.outcome, Outcome::kFail) << w.message;
  EXPECT_NE(w.message.find("alerted"), std::string::npos) << w.message;
  // A phase out of order, or without `at`, does not load.
  EXPECT_FALSE(LoadScenario(Scenario("bad-later", R"(https:
  mta-sts.example.test:
    cert: policy
    later: [{cert: policy}]
steps: []
)"))
                   .ok());
}

TEST_F(ScenarioTest, AnMxChangesAtItsLaterPhases) {
  auto s = LoadScenario(Scenario("mx-phases", std::string(kMxPhases)));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_TRUE(LintScenario(*s, root_, {"STS-5-01"}).empty());
  const SmtpHostSpec& mx = s->smtp.at("mx1.example.test");
  ASSERT_EQ(mx.later.size(), 3u);
  EXPECT_EQ(&mx.At(1800003599), &mx);
  EXPECT_EQ(mx.At(1800003600).greylist, 1u);  // from the host, not the phase before
  EXPECT_EQ(mx.At(1800007200).starttls, "strip-from-ehlo");
  EXPECT_EQ(mx.At(1800007200).greylist, 1u);
  EXPECT_TRUE(mx.At(1800010800).down);
  EXPECT_EQ(mx.At(1800010800).starttls, "offer");
  const auto r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;

  // A phase without `at`, out of order, with a key of its own or a
  // `later` of its own does not load; a certificate it names must exist.
  for (const char* bad : {"[{starttls: absent}]", "[{at: 1800007200}, {at: 1800003600}]",
                          "[{at: 1800003600, starttls: sometimes}]",
                          "[{at: 1800003600, later: []}]", "{at: 1800003600}"}) {
    EXPECT_FALSE(LoadScenario(Scenario("mx-bad-later", std::string(R"(smtp:
  mx1.example.test:
    cert: mx1
    later: )") + bad + "\nsteps: []\n"))
                     .ok())
        << bad;
  }
  auto lint = LoadScenario(Scenario("mx-later-cert", R"(smtp:
  mx1.example.test:
    cert: mx1
    later: [{at: 1800003600, cert: mx1-renewed}]
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered}
)"));
  ASSERT_TRUE(lint.ok()) << lint.error().Text();
  const auto problems = LintScenario(*lint, root_, {"STS-5-01"});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("smtp mx1.example.test (at 1800003600): cert 'mx1-renewed'"),
            std::string::npos)
      << problems[0];
}

TEST_F(ScenarioTest, TlsRptOneOfAcceptsEitherReading) {
  auto s = LoadScenario(Scenario("one-of", R"(smtp:
  mx1.example.test: {cert: mx1-expired}
steps:
  - deliver: {to: a@example.test}
  - expect:
      tls_rpt: {one_of: [[validation-failure], [certificate-expired]]}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_TRUE(LintScenario(*s, root_, {}).empty());
  auto r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.expected["expect"][0]["tls_rpt"]["one_of"].size(), 2u);
  // The transcript records the reading the sender took.
  EXPECT_EQ(r.actual["transcript"][0]["tls_rpt"], nlohmann::json::array({"certificate-expired"}));
  auto none = LoadScenario(Scenario("one-of-miss", R"(smtp:
  mx1.example.test: {cert: mx1-expired}
steps:
  - deliver: {to: a@example.test}
  - expect:
      tls_rpt: {one_of: [[validation-failure], [certificate-host-mismatch]]}
)"));
  ASSERT_TRUE(none.ok());
  auto m = RunScenarioInProcess(*none);
  // Reporting is optional for a sender, so a wrong report is a SHOULD miss.
  EXPECT_EQ(m.outcome, Outcome::kNonStrict);
  EXPECT_NE(m.message.find("line 10 (SHOULD, TLS-RPT reporting): tls_rpt: expected one of"),
            std::string::npos)
      << m.message;
  auto bad = LoadScenario(Scenario("one-of-bad", R"(steps:
  - deliver: {to: a@example.test}
  - expect: {tls_rpt: {one_of: [[validation-failure]]}}
)"));
  EXPECT_FALSE(bad.ok());
}

TEST_F(ScenarioTest, ProfilesCutTheirCorner) {
  // An expired MX certificate under enforce: the reference defers, the
  // opportunistic profile delivers.
  auto s = LoadScenario(Scenario("profile", R"(smtp:
  mx1.example.test: {cert: mx1-expired}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred, fetches: 1}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_EQ(RunScenarioInProcess(*s).outcome, Outcome::kPass);
  ScenarioRunOptions o;
  o.profile = mtasts::SenderProfile::kOpportunistic;
  auto r = RunScenarioInProcess(*s, o);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("verdict: expected deferred, got delivered"), std::string::npos)
      << r.message;
}

// MX-5.1-09: `deliver: {times: N}` sends N messages with one sender, and
// `first_contacted` judges which hosts came first over them, as a set.
TEST_F(ScenarioTest, RepeatedDeliveriesJudgeWhichHostCameFirst) {
  const std::string world = TwoMxWorld(
      "  - {name: mx2, issuer: root, dns_names: [mx2.example.test]}\n", 10, "mx1", "mx2");
  auto s = LoadScenario(Scenario("random", world + R"(steps:
  - deliver: {to: a@example.test, times: 20}
  - expect: {verdict: delivered, first_contacted: [mx1.example.test, mx2.example.test]}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_EQ(s->steps[0].times, 20u);
  EXPECT_TRUE(LintScenario(*s, root_, {"STS-5-01"}).empty());
  auto r = RunScenarioInProcess(*s);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  // The transcript counts the first host of each delivery.
  const auto& firsts = r.actual["transcript"][0]["first_contacted"];
  ASSERT_TRUE(firsts.is_object()) << r.actual.dump();
  EXPECT_EQ(firsts.size(), 2u);
  EXPECT_EQ(firsts.value("mx1.example.test", 0) + firsts.value("mx2.example.test", 0), 20);

  // A sender that keeps the DNS order is caught, and told which host
  // never came first.
  ScenarioRunOptions o;
  o.profile = mtasts::SenderProfile::kNoShuffle;
  r = RunScenarioInProcess(*s, o);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("never first: mx2.example.test"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find(R"({"mx1.example.test":20})"), std::string::npos) << r.message;

  // A host first that the list leaves out fails too.
  auto one = LoadScenario(Scenario("one-first", world + R"(steps:
  - deliver: {to: a@example.test, times: 20}
  - expect: {first_contacted: [mx1.example.test]}
)"));
  ASSERT_TRUE(one.ok()) << one.error().Text();
  r = RunScenarioInProcess(*one);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("first, which it must not be: mx2.example.test"), std::string::npos)
      << r.message;

  // One delivery cannot show an order: lint says so.
  auto once = LoadScenario(Scenario("once", world + R"(steps:
  - deliver: {to: a@example.test}
  - expect: {first_contacted: [mx1.example.test, mx2.example.test]}
)"));
  ASSERT_TRUE(once.ok()) << once.error().Text();
  auto problems = LintScenario(*once, root_, {"STS-5-01"});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("needs times: 2 or more"), std::string::npos) << problems[0];

  for (const char* bad :
       {"  - deliver: {to: a@example.test, times: 0}\n",
        "  - deliver: {to: a@example.test, times: 101}\n",
        "  - deliver: {to: a@example.test, times: many}\n", "  - expect: {first_contacted: []}\n",
        "  - expect: {first_contacted: [mx1.example.test, mx1.example.test]}\n"}) {
    auto b = LoadScenario(Scenario("bad-times", std::string("steps:\n") + bad));
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().id, "scenario.field") << bad;
    EXPECT_EQ(b.error().detail.rfind("7:", 0), 0u) << b.error().detail;  // located
  }
}

// RPT-3-09, RPT-3-10: an https rua is a POST to the scenario's host of
// that name; `report_posts` judges what the endpoint received, and each
// body must read as an RFC 8460 report.
TEST_F(ScenarioTest, AReportStepPostsToAnHttpsRua) {
  const auto world = [](const std::string& cert, int status) {
    return R"(pki:
  - {name: rpt, issuer: root, dns_names: [r.example.test]}
  - {name: rpt-expired, issuer: root, dns_names: [r.example.test], not_after: -1}
dns:
  origins: [example.test]
  zonedata:
    example.test: [{MX: [10, mx1.example.test]}]
    mx1.example.test: [{A: 127.0.0.1}]
    _mta-sts.example.test: [{TXT: "v=STSv1; id=1"}]
    _smtp._tls.example.test: [{TXT: "v=TLSRPTv1; rua=https://r.example.test/in?k=1"}]
https:
  r.example.test:
    cert: )" +
           cert + R"(
    paths:
      /in: {status: )" +
           std::to_string(status) + R"(}
)";
  };
  const std::string steps = R"(steps:
  - deliver: {to: a@example.test}
  - report: {}
  - expect:
      reports: ["https://r.example.test/in?k=1 accepted"]
      report_posts: [{url: "https://r.example.test/in?k=1", content_type: application/tlsrpt+gzip}]
      report_counts: {successful: 1, failed: 0}
)";
  auto s = LoadScenario(Scenario("post", world("rpt", 201) + steps));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_TRUE(LintScenario(*s, root_, {"STS-5-01"}).empty());
  auto r = RunScenarioInProcess(*s);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message << r.actual.dump();
  EXPECT_EQ(r.expected["expect"][0]["report_posts"][0]["content_type"], "application/tlsrpt+gzip");
  EXPECT_EQ(r.actual["transcript"][1]["attempts"][0],
            "https://r.example.test/in?k=1 accepted (HTTP 201)");

  // An expired certificate: the reference POSTs anyway (RFC 8460 §3 lets
  // it) and the attempt says what it ignored.
  s = LoadScenario(Scenario("post-expired", world("rpt-expired", 200) + steps));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  r = RunScenarioInProcess(*s);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_EQ(r.actual["transcript"][1]["attempts"][0],
            "https://r.example.test/in?k=1 accepted (HTTP 200; certificate error ignored: "
            "certificate-expired: certificate has expired)");

  // A status that is not 2xx refuses the report; the POST was still made,
  // and a wrong media type in the expectation fails, naming both.
  s = LoadScenario(Scenario("post-500", world("rpt", 500) + R"(steps:
  - deliver: {to: a@example.test}
  - report: {}
  - expect:
      reports: ["https://r.example.test/in?k=1 refused"]
      report_posts: [{url: "https://r.example.test/in?k=1", content_type: application/tlsrpt+json}]
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("report_posts: expected [\"https://r.example.test/in?k=1 "
                           "application/tlsrpt+json\"], got [\"https://r.example.test/in?k=1 "
                           "application/tlsrpt+gzip\"]"),
            std::string::npos)
      << r.message;

  // report_posts with no report step before it: lint says so.
  s = LoadScenario(Scenario("post-early", world("rpt", 200) + R"(steps:
  - deliver: {to: a@example.test}
  - expect: {report_posts: []}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  const auto problems = LintScenario(*s, root_, {"STS-5-01"});
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("none comes before it"), std::string::npos) << problems[0];
}

// RPT-3-12, ATK-50: `report: {}` closes the day and runs the sender's
// TLS-RPT reporter, which mails the report through the sender; `reports`
// and `report_counts` judge what it sent.
TEST_F(ScenarioTest, AReportStepMailsTheDayAndLeavesReportSessionsOut) {
  const auto world = [](const std::string& rua) {
    return R"(dns:
  origins: [example.test]
  zonedata:
    example.test: [{MX: [10, mx1.example.test]}]
    mx1.example.test: [{A: 127.0.0.1}]
    _mta-sts.example.test: [{TXT: "v=STSv1; id=1"}]
    _smtp._tls.example.test: [{TXT: "v=TLSRPTv1; rua=)" +
           rua + R"("}]
)";
  };
  auto s = LoadScenario(Scenario("report", world("mailto:tlsrpt@example.test") + R"(steps:
  - deliver: {to: a@example.test}
  - report: {}
  - expect:
      reports: ["mailto:tlsrpt@example.test accepted"]
      report_counts: {successful: 1, failed: 0}
      queried: ["_smtp._tls.example.test TXT"]
      contacted: [mx1.example.test]
  - deliver: {to: a@example.test}
  - report: {}
  - expect: {report_counts: {successful: 1, failed: 0}}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_EQ(s->steps[1].kind, ScenarioStep::Kind::kReport);
  EXPECT_TRUE(LintScenario(*s, root_, {"STS-5-01"}).empty());
  auto r = RunScenarioInProcess(*s);
  ASSERT_EQ(r.outcome, Outcome::kPass) << r.message << r.actual.dump();
  EXPECT_EQ(r.expected["expect"][0]["report_counts"]["successful"], 1);
  // The transcript shows the step: the clock at 04:00Z the next day
  // (1800000000 is 08:00Z), the attempt and the report's state.
  const auto& step = r.actual["transcript"][1];
  EXPECT_EQ(step["step"], "report");
  EXPECT_EQ(step["at"], 1800072000);
  EXPECT_EQ(step["attempts"][0], "mailto:tlsrpt@example.test accepted (delivered)");
  EXPECT_NE(step["reports"][0].get<std::string>().find(": delivered"), std::string::npos);

  // The mailbox's MX received the report mail itself, and a wrong
  // expectation of it fails, naming what came.
  auto mails = LoadScenario(Scenario("report-mails", world("mailto:tlsrpt@example.test") + R"(steps:
  - deliver: {to: a@example.test}
  - report: {}
  - expect:
      report_mails: [{to: tlsrpt@example.test, mx: mx1.example.test, report_domain: example.test}]
  - deliver: {to: a@example.test}
  - report: {}
  - expect:
      report_mails: [{to: tlsrpt@example.test, mx: mx1.example.test, report_domain: example.net}]
)"));
  ASSERT_TRUE(mails.ok()) << mails.error().Text();
  r = RunScenarioInProcess(*mails);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("report_mails: the message to tlsrpt@example.test reports on "
                           "example.test, not example.net"),
            std::string::npos)
      << r.message;
  EXPECT_EQ(r.actual["transcript"].size(), 5u) << r.actual.dump();  // the first expect held
  auto elsewhere = LoadScenario(Scenario("report-mails-mx", world("mailto:tlsrpt@example.test") +
                                                                R"(steps:
  - deliver: {to: a@example.test}
  - report: {}
  - expect: {report_mails: [{to: tlsrpt@example.test, mx: mx2.example.test}]}
)"));
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.error().Text();
  r = RunScenarioInProcess(*elsewhere);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("report_mails: expected [\"tlsrpt@example.test via mx2.example.test\"], "
                           "got [\"tlsrpt@example.test via mx1.example.test\"]"),
            std::string::npos)
      << r.message;

  // A count that does not match fails, and says what was counted.
  auto wrong = LoadScenario(Scenario("report-wrong", world("mailto:tlsrpt@example.test") + R"(steps:
  - deliver: {to: a@example.test}
  - report: {}
  - expect: {report_counts: {successful: 2, failed: 0}}
)"));
  ASSERT_TRUE(wrong.ok()) << wrong.error().Text();
  r = RunScenarioInProcess(*wrong);
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("report_counts: expected 2 successful and 0 failed, got 1 and 0"),
            std::string::npos)
      << r.message;

  // An https rua whose host the scenario does not script is its error.
  auto https = LoadScenario(Scenario(
      "report-https", world("https://r.example.test/tlsrpt,mailto:tlsrpt@example.test") + R"(steps:
  - deliver: {to: a@example.test}
  - report: {}
  - expect:
      reports: ["https://r.example.test/tlsrpt refused", "mailto:tlsrpt@example.test accepted"]
)"));
  ASSERT_TRUE(https.ok()) << https.error().Text();
  r = RunScenarioInProcess(*https);
  EXPECT_EQ(r.outcome, Outcome::kError) << r.message;
  EXPECT_NE(r.message.find("unscripted HTTPS request to r.example.test"), std::string::npos)
      << r.message;

  // reports with no report step before them: lint says so.
  auto early = LoadScenario(Scenario("report-early", world("mailto:tlsrpt@example.test") + R"(steps:
  - deliver: {to: a@example.test}
  - expect: {reports: []}
  - report: {}
)"));
  ASSERT_TRUE(early.ok()) << early.error().Text();
  auto problems = LintScenario(*early, root_, {"STS-5-01"});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("none comes before it"), std::string::npos) << problems[0];

  for (const char* bad :
       {"  - report: {at: 1}\n", "  - report: now\n",
        "  - expect: {reports: [mailto:a@example.test]}\n",
        "  - expect: {reports: [\"mailto:a@example.test delivered\"]}\n",
        "  - expect: {report_counts: {successful: 1}}\n",
        "  - expect: {report_counts: {successful: 1, failed: -1}}\n",
        "  - expect: {report_counts: 3}\n", "  - expect: {report_posts: {url: a}}\n",
        "  - expect: {report_posts: [https://r.example.test/]}\n",
        "  - expect: {report_posts: [{url: https://r.example.test/}]}\n",
        "  - expect: {report_posts: [{url: a, content_type: b, body: c}]}\n",
        "  - expect: {report_mails: [{to: a@example.test}]}\n",
        "  - expect: {report_mails: [{to: a, mx: b, size: 1}]}\n",
        "  - expect: {report_mails: a@example.test}\n"}) {
    auto b = LoadScenario(Scenario("bad-report", std::string("steps:\n") + bad));
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().id, "scenario.field") << bad;
    EXPECT_EQ(b.error().detail.rfind("7:", 0), 0u) << b.error().detail;  // located
  }
}

TEST_F(ScenarioTest, NewKnobsLoadAndLint) {
  auto s = LoadScenario(Scenario("knobs", R"(attacks: [ATK-18, ATK-22]
https:
  mta-sts.example.test:
    cert: policy
    sni_required: true
    paths:
      /.well-known/mta-sts.txt:
        body: "version: STSv1
mode: enforce
mx: mx1.example.test
max_age: 600
"
smtp:
  mx1.example.test: {cert: mx1, default_cert: mx1-expired, tls_max: tls1.2, inject: "250 x"}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered, channel: verified-tls}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_EQ(s->attacks, (std::vector<std::string>{"ATK-18", "ATK-22"}));
  EXPECT_TRUE(s->https.at("mta-sts.example.test").sni_required);
  EXPECT_EQ(s->smtp.at("mx1.example.test").default_cert, "mx1-expired");
  EXPECT_TRUE(LintScenario(*s, root_, {"STS-5-01", "ATK-18", "ATK-22"}).empty());
  // default_cert and tls1.2 are modelled in-process; sni_required and
  // inject are not.
  const CaseResult knobs = RunScenarioInProcess(*s);
  EXPECT_EQ(knobs.outcome, Outcome::kPartial) << knobs.message;
  EXPECT_EQ(WireOnlyElements(*s),
            (std::vector<std::string>{
                "https mta-sts.example.test: sni_required (the fake does not see the ClientHello)",
                "smtp mx1.example.test: inject (the fake sends no bytes)"}));
  auto problems = LintScenario(*s, root_, {"STS-5-01", "ATK-18"});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("'ATK-22' is not an ATK row"), std::string::npos);

  auto old = LoadScenario(Scenario("old-tls", R"(smtp:
  mx1.example.test: {cert: mx1, tls_max: tls1.0}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred, tls_rpt: [validation-failure]}
)"));
  ASSERT_TRUE(old.ok()) << old.error().Text();
  auto r = RunScenarioInProcess(*old);
  EXPECT_EQ(r.outcome, Outcome::kPartial) << r.message;
  EXPECT_NE(r.message.find("tls_max tls1.0 (the fake applies the sender's TLS 1.2 floor itself)"),
            std::string::npos)
      << r.message;
  EXPECT_FALSE(LoadScenario(Scenario("bad-tls",
                                     "smtp:\n  mx1.example.test: {cert: mx1, tls_max: ssl3}\n"
                                     "steps: []\n"))
                   .ok());
}

// One logged session: command lines, "+" before a line sent under TLS.
mocks::smtp::SessionLog Session(std::uint64_t id, std::vector<std::string> lines,
                                std::size_t discarded = 0) {
  mocks::smtp::SessionLog log;
  log.id = id;
  log.discarded_after_starttls = discarded;
  for (auto& l : lines) {
    const bool tls = !l.empty() && l[0] == '+';
    log.commands.push_back({tls ? l.substr(1) : l, tls});
  }
  return log;
}

TEST(SmtpClientRules, EachRuleCatchesItsBreachAndPassesTheGoodDialogue) {
  const mocks::smtp::SessionLog good = Session(
      1, {"EHLO a", "STARTTLS", "+EHLO a", "+MAIL FROM:<a@b>", "+RCPT TO:<c@d>", "+DATA", "+QUIT"});
  SmtpClientExpect all;
  all.starttls_bare = all.no_pipelining_into_tls = all.ehlo_first_under_tls =
      all.no_starttls_under_tls = true;
  EXPECT_EQ(CheckSmtpClient(all, {{"mx1.example.test", good}}), "");
  EXPECT_EQ(CheckSmtpClient(all, {}), "");  // nothing sent, nothing broken

  SmtpClientExpect bare;
  bare.starttls_bare = true;
  const std::string with_param =
      CheckSmtpClient(bare, {{"mx1.example.test", Session(2, {"EHLO a", "STARTTLS x"})}});
  EXPECT_NE(with_param.find("mx1.example.test (session 2): sent \"STARTTLS x\""), std::string::npos)
      << with_param;
  EXPECT_EQ(CheckSmtpClient(bare, {{"mx1.example.test", Session(2, {"EHLO a", "starttls"})}}),
            "");  // the verb in any case

  SmtpClientExpect pipelining;
  pipelining.no_pipelining_into_tls = true;
  EXPECT_NE(
      CheckSmtpClient(pipelining, {{"mx1.example.test", Session(3, {"EHLO a", "STARTTLS"}, 30)}})
          .find("30 octets sent after STARTTLS"),
      std::string::npos);

  SmtpClientExpect ehlo;
  ehlo.ehlo_first_under_tls = true;
  EXPECT_NE(CheckSmtpClient(ehlo, {{"mx1.example.test",
                                    Session(4, {"EHLO a", "STARTTLS", "+MAIL FROM:<a@b>"})}})
                .find("the first command after the handshake was \"MAIL FROM:<a@b>\""),
            std::string::npos);
  EXPECT_EQ(
      CheckSmtpClient(ehlo, {{"mx1.example.test", Session(4, {"EHLO a", "STARTTLS", "+QUIT"})}}),
      "");

  SmtpClientExpect again;
  again.no_starttls_under_tls = true;
  EXPECT_NE(CheckSmtpClient(again, {{"mx1.example.test",
                                     Session(5, {"EHLO a", "STARTTLS", "+EHLO a", "+STARTTLS"})}})
                .find("STARTTLS with TLS already active"),
            std::string::npos);

  SmtpClientExpect clear;
  clear.no_mail_in_clear = true;
  EXPECT_EQ(CheckSmtpClient(clear, {{"mx1.example.test", good}}), "");
  EXPECT_NE(CheckSmtpClient(clear, {{"mx1.example.test",
                                     Session(8, {"EHLO a", "MAIL FROM:<a@b>", "RSET", "QUIT"})}})
                .find("sent \"MAIL FROM:<a@b>\" without TLS"),
            std::string::npos);

  SmtpClientExpect quit;
  quit.quit_after_tls = {"MX1.example.test"};  // host names in any case
  const std::string ehlo_first = CheckSmtpClient(
      quit, {{"mx2.example.test", good},
             {"mx1.example.test", Session(6, {"EHLO a", "STARTTLS", "+EHLO a", "+QUIT"})}});
  EXPECT_NE(ehlo_first.find("mx1.example.test (session 6): sent \"EHLO a\" over a TLS session"),
            std::string::npos)
      << ehlo_first;
  EXPECT_EQ(
      CheckSmtpClient(quit, {{"mx2.example.test", good},
                             {"mx1.example.test", Session(6, {"EHLO a", "STARTTLS", "+QUIT"})}}),
      "");
  // Closing without a word is not a command over the session either.
  EXPECT_EQ(CheckSmtpClient(quit, {{"mx1.example.test", Session(7, {"EHLO a", "STARTTLS"})}}), "");

  // no_envelope_to: no MAIL, RCPT, DATA or BDAT to the host, over TLS or
  // not, even in a transaction reset at once (review finding: a sender
  // that did so and then delivered to the next MX passed every bad-cert
  // scenario).
  SmtpClientExpect envelope;
  envelope.no_envelope_to = {"MX1.example.test"};
  const std::string over_tls = CheckSmtpClient(
      envelope, {{"mx2.example.test", good},
                 {"mx1.example.test", Session(9, {"EHLO a", "STARTTLS", "+EHLO a",
                                                  "+MAIL FROM:<a@b>", "+RSET", "+QUIT"})}});
  EXPECT_NE(over_tls.find("mx1.example.test (session 9): sent \"MAIL FROM:<a@b>\" over TLS"),
            std::string::npos)
      << over_tls;
  for (const char* verb : {"rcpt to:<c@d>", "DATA", "BDAT 10 LAST"}) {
    EXPECT_NE(CheckSmtpClient(envelope, {{"mx1.example.test", Session(10, {"EHLO a", verb})}})
                  .find("without TLS"),
              std::string::npos)
        << verb;
  }
  EXPECT_EQ(
      CheckSmtpClient(envelope, {{"mx2.example.test", good},
                                 {"mx1.example.test", Session(11, {"EHLO a", "STARTTLS", "+EHLO a",
                                                                   "+NOOP", "+RSET", "+QUIT"})}}),
      "");
}

TEST_F(ScenarioTest, AcceptUnknownParamsIsAnMxKnobPerPhase) {
  auto s = LoadScenario(Scenario("params", R"(smtp:
  mx1.example.test:
    cert: mx1
    accept_unknown_params: true
    later: [{at: 1800003600, accept_unknown_params: false}]
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  const SmtpHostSpec& mx1 = s->smtp.at("mx1.example.test");
  EXPECT_TRUE(mx1.accept_unknown_params);
  ASSERT_EQ(mx1.later.size(), 1u);
  EXPECT_FALSE(mx1.later[0].spec->accept_unknown_params);
  EXPECT_FALSE(SmtpHostSpec{}.accept_unknown_params);  // the default
  auto bad = LoadScenario(Scenario("params-bad", R"(smtp:
  mx1.example.test: {cert: mx1, accept_unknown_params: sometimes}
steps: []
)"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().Text().find("accept_unknown_params"), std::string::npos)
      << bad.error().Text();
}

TEST_F(ScenarioTest, SmtpClientRulesLoadLintAndAreNotedInProcess) {
  auto s = LoadScenario(Scenario("client", R"(smtp:
  mx1.example.test: {cert: mx1, starttls_under_tls: true}
steps:
  - deliver: {to: a@example.test}
  - expect:
      verdict: delivered
      smtp_client: {starttls_bare: true, no_starttls_under_tls: true, quit_after_tls: [mx1.example.test]}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_TRUE(s->smtp.at("mx1.example.test").starttls_under_tls);
  const SmtpClientExpect& c = *s->steps.back().expect.smtp_client;
  EXPECT_TRUE(c.starttls_bare && c.no_starttls_under_tls);
  EXPECT_FALSE(c.ehlo_first_under_tls || c.no_pipelining_into_tls);
  EXPECT_TRUE(LintScenario(*s, root_, {}).empty());
  // In-process, the rules cannot be checked: the case is partial, not a
  // pass, and names them and the knob the fake ignores.
  const CaseResult r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPartial) << r.message;
  EXPECT_EQ(r.expected["expect"][0]["smtp_client"]["quit_after_tls"][0], "mx1.example.test");
  EXPECT_NE(r.message.find("smtp_client (line 10): the fakes see no SMTP commands"),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("smtp mx1.example.test: starttls_under_tls"), std::string::npos)
      << r.message;
  EXPECT_NE(r.actual.dump().find("not exercised in-process"), std::string::npos);

  for (const char* bad : {"smtp_client: {starttls_bare: false}", "smtp_client: {}",
                          "smtp_client: yes", "smtp_client: {pipelining: true}"}) {
    auto b = LoadScenario(Scenario("bad-client", std::string("steps:\n  - deliver: {to: "
                                                             "a@example.test}\n  - expect: {") +
                                                     bad + "}\n"));
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.error().Text().find("smtp_client"), std::string::npos)
        << bad << ": " << b.error().Text();
  }
  auto stray = LoadScenario(Scenario("stray", R"(steps:
  - deliver: {to: a@example.test}
  - expect: {smtp_client: {quit_after_tls: [mx9.example.test]}}
)"));
  ASSERT_TRUE(stray.ok()) << stray.error().Text();
  const auto problems = LintScenario(*stray, root_, {});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("'mx9.example.test' is not an smtp host"), std::string::npos);
}

// Each knob the in-process fakes ignore or decide themselves is named, with
// its host, path and phase (once: a phase keeps the host's settings, and
// only what it adds is named with its time); those the fakes model
// (default_cert, tls_max from TLS 1.2 up, greylist, the STARTTLS replies)
// are not.
TEST_F(ScenarioTest, WireOnlyElementsNameEachKnobTheFakesDoNotExercise) {
  auto s = LoadScenario(Scenario("wire-only", R"(https:
  mta-sts.example.test:
    cert: policy
    paths:
      /.well-known/mta-sts.txt: {body: "x", trickle_ms: 5, cache_control: "max-age=60"}
      /a: {stall: true}
      /b: {oversized: true, reset: true}
    later:
      - at: 1800000600
        sni_required: true
smtp:
  mx1.example.test: {cert: mx1, default_cert: mx1-expired, tls_max: tls1.2, greylist: 1, starttls: reply-454}
  mx2.example.test:
    cert: mx2
    inject: "250 x"
    starttls_under_tls: true
    starttls_settle_ms: 10
    accept_unknown_params: true
    later:
      - {at: 1800000600, starttls: garbage-after-220, tls_max: tls1.1}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered}
  - expect: {smtp_client: {starttls_bare: true}}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_EQ(
      WireOnlyElements(*s),
      (std::vector<std::string>{
          "smtp_client (line 29): the fakes see no SMTP commands",
          "https mta-sts.example.test: /.well-known/mta-sts.txt trickle_ms (the fake compares "
          "with the fetch deadline itself)",
          "https mta-sts.example.test: /.well-known/mta-sts.txt cache_control (the fake passes "
          "no headers)",
          "https mta-sts.example.test: /a stall (the fake times the fetch out itself)",
          "https mta-sts.example.test: /b oversized (the fake applies the size cap itself)",
          "https mta-sts.example.test: /b reset (the fake reports the cut itself)",
          "https mta-sts.example.test (from 1800000600): sni_required (the fake does not see the "
          "ClientHello)",
          "smtp mx2.example.test: inject (the fake sends no bytes)",
          "smtp mx2.example.test: starttls_under_tls (the fake sends no EHLO reply)",
          "smtp mx2.example.test: starttls_settle_ms (the fake sees no pipelining)",
          "smtp mx2.example.test: accept_unknown_params (the fake sees no parameters)",
          "smtp mx2.example.test (from 1800000600): starttls garbage-after-220 (the fake fails "
          "the handshake itself)",
          "smtp mx2.example.test (from 1800000600): tls_max tls1.1 (the fake applies the "
          "sender's TLS 1.2 floor itself)",
      }));
}

// A `later` phase at or before the clock is in force from the first step:
// the host's own settings never apply, which is an authoring mistake the
// lint names (review finding).
TEST_F(ScenarioTest, APhaseFromTheStartIsALintProblem) {
  for (const auto& [at, problems] :
       {std::pair{"1800000000", 2u}, std::pair{"1799999999", 2u}, std::pair{"1800000001", 0u}}) {
    auto s = LoadScenario(Scenario("phase-at", std::string(R"(https:
  mta-sts.example.test:
    cert: policy
    paths:
      /.well-known/mta-sts.txt: {body: "x"}
    later: [{at: )") + at + R"(, down: true}]
smtp:
  mx1.example.test: {cert: mx1, later: [{at: )" + at +
                                                   R"(, down: true}]}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered}
)"));
    ASSERT_TRUE(s.ok()) << s.error().Text();
    const auto found = LintScenario(*s, root_, {});
    ASSERT_EQ(found.size(), problems) << at;
    if (problems != 0) {
      EXPECT_NE(found[0].find("https mta-sts.example.test (at " + std::string(at) +
                              "): the phase starts at or before the clock (1800000000)"),
                std::string::npos)
          << found[0];
      EXPECT_NE(found[1].find("smtp mx1.example.test (at "), std::string::npos) << found[1];
    }
  }
}

TEST_F(ScenarioTest, DownAddressesLoadLintAndRefuseConnections) {
  auto s = LoadScenario(Scenario("down-address", R"(smtp:
  mx1.example.test: {cert: mx1, down_addresses: ["127.0.0.1"]}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred, contacted: [mx1.example.test]}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_EQ(s->smtp.at("mx1.example.test").down_addresses, std::vector<std::string>{"127.0.0.1"});
  EXPECT_TRUE(LintScenario(*s, root_, {}).empty());
  const CaseResult r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;

  auto elsewhere = LoadScenario(Scenario("down-elsewhere", R"(smtp:
  mx1.example.test: {cert: mx1, down_addresses: ["192.0.2.99"]}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered}
)"));
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.error().Text();
  const auto problems = LintScenario(*elsewhere, root_, {});
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("down_addresses: 192.0.2.99 is not an A or AAAA record"),
            std::string::npos)
      << problems[0];

  auto bad = LoadScenario(Scenario("down-bad", R"(smtp:
  mx1.example.test: {cert: mx1, down_addresses: [mx9.example.test]}
steps: []
)"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().Text().find("'mx9.example.test' is not an IPv4 or IPv6 address"),
            std::string::npos)
      << bad.error().Text();
}

TEST_F(ScenarioTest, AShouldStepMissIsNonStrictAndLaterMustStepsStillRun) {
  auto soft = LoadScenario(Scenario("should", R"(steps:
  - deliver: {to: a@example.test}
  - expect: {fetches: 5, level: SHOULD}
  - expect: {verdict: delivered}
)"));
  ASSERT_TRUE(soft.ok()) << soft.error().Text();
  auto r = RunScenarioInProcess(*soft);
  EXPECT_EQ(r.outcome, Outcome::kNonStrict) << r.message;
  EXPECT_NE(r.message.find("line 8 (SHOULD): fetches: expected 5"), std::string::npos) << r.message;
  EXPECT_EQ(r.expected["expect"][0]["level"], "SHOULD");
  auto hard = LoadScenario(Scenario("should-then-must", R"(steps:
  - deliver: {to: a@example.test}
  - expect: {fetches: 5, level: SHOULD}
  - expect: {verdict: bounced}
)"));
  ASSERT_TRUE(hard.ok());
  auto h = RunScenarioInProcess(*hard);
  EXPECT_EQ(h.outcome, Outcome::kFail);
  EXPECT_NE(h.message.find("line 9: verdict"), std::string::npos) << h.message;
  EXPECT_FALSE(LoadScenario(Scenario("must-level", R"(steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered, level: MUST}
)"))
                   .ok());
}

// RFC 8461 §5 and RFC 8460 §3: a sender reports TLS failures only if it
// implements TLS-RPT, so a tls_rpt key is graded as a SHOULD even in a step
// that checks a MUST. A sender that defers correctly but reports nothing
// (or the wrong type) is non-strict, not failed; a MUST key missed in the
// same step still fails the case.
TEST_F(ScenarioTest, ATlsRptMissInAMustStepIsNonStrict) {
  auto quiet = LoadScenario(Scenario("rpt-should", R"(smtp:
  mx1.example.test: {cert: mx1-expired}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: deferred, tls_rpt: [sts-webpki-invalid]}
  - expect: {fetches: 1}
)"));
  ASSERT_TRUE(quiet.ok()) << quiet.error().Text();
  auto q = RunScenarioInProcess(*quiet);
  EXPECT_EQ(q.outcome, Outcome::kNonStrict) << q.message;
  EXPECT_NE(q.message.find("line 10 (SHOULD, TLS-RPT reporting): tls_rpt: expected "
                           "[\"sts-webpki-invalid\"], got [\"certificate-expired\"]"),
            std::string::npos)
      << q.message;
  EXPECT_EQ(q.expected["expect"][0]["tls_rpt_level"], "SHOULD");
  EXPECT_FALSE(q.expected["expect"][0].contains("level"));

  auto both = LoadScenario(Scenario("rpt-and-verdict", R"(smtp:
  mx1.example.test: {cert: mx1-expired}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered, tls_rpt: [sts-webpki-invalid]}
)"));
  ASSERT_TRUE(both.ok());
  auto b = RunScenarioInProcess(*both);
  EXPECT_EQ(b.outcome, Outcome::kFail);
  EXPECT_NE(b.message.find("line 10: verdict: expected delivered, got deferred"), std::string::npos)
      << b.message;

  // A step that is itself a MAY grades its tls_rpt as a MAY.
  auto may = LoadScenario(Scenario("rpt-may", R"(smtp:
  mx1.example.test: {cert: mx1-expired}
steps:
  - deliver: {to: a@example.test}
  - expect: {tls_rpt: [], level: MAY}
)"));
  ASSERT_TRUE(may.ok());
  auto y = RunScenarioInProcess(*may);
  EXPECT_EQ(y.outcome, Outcome::kNonStrict);
  EXPECT_NE(y.message.find("line 10 (MAY, TLS-RPT reporting)"), std::string::npos) << y.message;
  EXPECT_EQ(y.expected["expect"][0]["tls_rpt_level"], "MAY");
}

// Found by scenario_fuzzer: yaml-cpp throws when a key is looked up in a
// sequence; the loaders must say where instead of letting it escape.
TEST_F(ScenarioTest, ShapesYamlCppThrowsOnAreLocatedErrors) {
  for (const char* body : {"smtp:\n  mx1.example.test: [a, b]\nsteps: []\n",
                           "https:\n  mta-sts.example.test: [x]\nsteps: []\n",
                           "https:\n  mta-sts.example.test: {cert: policy, paths: {/p: [1]}}\n"
                           "steps: []\n",
                           "steps:\n  - expect: [1, 2]\n"}) {
    auto s = LoadScenario(Scenario("shape", body));
    ASSERT_FALSE(s.ok()) << body;
    EXPECT_EQ(s.error().id, "scenario.field") << body;
    EXPECT_NE(s.error().detail.find(':'), std::string::npos) << s.error().detail;
  }
  auto zone = ParseMockZone("zonedata: {example.test: [{MX: {a: b}}]}\nfaults: [[1]]\n");
  EXPECT_FALSE(zone.ok());
}

// The message says what the file got wrong, in its own terms: the error a
// reader recorded before yaml-cpp threw (a single value where a map
// belongs), or yaml-cpp's complaint put in terms of the file. Before, the
// guard passed on "operator[] call on a scalar (key: "to")", and a list of
// paths was passed over and reported as the next key's problem.
TEST_F(ScenarioTest, ShapeErrorsNameWhatTheFileGotWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"steps:\n  - deliver: 1\n", "7:14: deliver must be a map"},
      {"steps:\n  - expect: 1\n", "7:13: expect must be a map"},
      {"https:\n  mta-sts.example.test: 1\nsteps: []\n", "7:25: an https host must be a map"},
      {"smtp:\n  mx1.example.test: 1\nsteps: []\n", "7:21: an smtp host must be a map"},
      {"https:\n  mta-sts.example.test: {paths: {/p: 1}}\nsteps: []\n",
       "7:38: an https path must be a map"},
      {"https:\n  mta-sts.example.test: {paths: [1]}\nsteps: []\n",
       "7:33: paths must be a map of path to its response"},
  };
  for (const auto& [body, want] : cases) {
    auto s = LoadScenario(Scenario("shape", body));
    ASSERT_FALSE(s.ok()) << body;
    EXPECT_EQ(s.error().id, "scenario.field") << body;
    EXPECT_NE(s.error().detail.find(want), std::string::npos) << body << s.error().detail;
    EXPECT_EQ(s.error().detail.find("operator[]"), std::string::npos) << s.error().detail;
  }
  // Before, yaml-cpp's "operator[] call on a scalar (key: "id")".
  auto req = ParseScenario("id: t/req\ntitle: t\nrequirements: [STS-5-01]\n", root_ / "t/req.yaml",
                           [](const fs::path&) { return std::nullopt; });
  ASSERT_FALSE(req.ok());
  EXPECT_EQ(req.error().detail, "3:16: a requirement must be a map");
}

TEST_F(ScenarioTest, APolicyHostThatIsDownRefusesAndIsNoFetch) {
  auto s = LoadScenario(Scenario("down", R"(https:
  mta-sts.example.test: {down: true}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered, tls_rpt: [sts-policy-fetch-error], fetches: 0, policy: none}
)"));
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_TRUE(LintScenario(*s, root_, {}).empty());  // no certificate needed
  auto r = RunScenarioInProcess(*s);
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  EXPECT_NE(r.actual.dump().find("connection refused"), std::string::npos);
}

}  // namespace
// How the reference sender's deliveries become TLS-RPT sessions (review
// findings; RPT-4-07, RPT-4-03, catalogue §9 note 3).
TEST(SessionsOf, OneSessionPerAttemptAndThePolicyAsApplied) {
  using mtasts::Channel;
  using mtasts::DeliveryReport;
  using mtasts::RptFailure;
  using tlsrpt::PolicyType;
  using tlsrpt::ResultType;
  // Testing mode delivers over a session that failed validation: one
  // session, a failure (it was counted a success too).
  DeliveryReport testing;
  testing.verdict = mtasts::Verdict::kDelivered;
  testing.channel = Channel::kUnverifiedTls;
  testing.mx = "mx1.example.test";
  testing.policy_mode = mtasts::Mode::kTesting;
  testing.policy_strings = {"version: STSv1", "mode: testing"};
  testing.failures = {RptFailure{ResultType::kCertificateHostMismatch, "MX1.example.test", "", ""}};
  auto s = SessionsOf(testing, "example.test", 100);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_FALSE(s[0].success);
  EXPECT_EQ(s[0].policy_type, PolicyType::kSts);
  EXPECT_EQ(s[0].policy_string, testing.policy_strings);
  // Enforce: mx1 skipped, mx2 verified: a failure and a success.
  DeliveryReport enforce = testing;
  enforce.channel = Channel::kVerifiedTls;
  enforce.mx = "mx2.example.test";
  enforce.policy_mode = mtasts::Mode::kEnforce;
  s = SessionsOf(enforce, "example.test", 100);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_FALSE(s[0].success);
  EXPECT_TRUE(s[1].success);
  // The policy as the delivery applied it, whatever the cache holds after
  // (max_age 0 left nothing there, and the block read no-policy-found).
  EXPECT_EQ(s[1].policy_string, testing.policy_strings);
  // First contact, the policy host failing: an STS block with an empty
  // policy-string, not no-policy-found.
  DeliveryReport first;
  first.verdict = mtasts::Verdict::kDelivered;
  first.channel = Channel::kVerifiedTls;
  first.mx = "mx1.example.test";
  first.failures = {RptFailure{ResultType::kStsWebpkiInvalid, "", "", ""}};
  s = SessionsOf(first, "example.test", 100);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].policy_type, PolicyType::kSts);
  EXPECT_TRUE(s[0].policy_string.empty());
  EXPECT_TRUE(s[1].success);
  // No policy and no policy-host failure: no-policy-found.
  first.failures.clear();
  s = SessionsOf(first, "example.test", 100);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].policy_type, PolicyType::kNoPolicyFound);
}

}  // namespace mxconform::conformance
