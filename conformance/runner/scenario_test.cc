#include "conformance/runner/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
    Write("_base/world.yaml", R"(clock: 1800000000
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
)");
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
  EXPECT_EQ(r.expected["expect"][0]["verdict"], "delivered");
  EXPECT_EQ(r.expected["levels"]["STS-5-01"], "MUST");
  EXPECT_FALSE(r.actual["transcript"].empty());
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

TEST_F(ScenarioTest, SharedFoldersAreNotScenarios) {
  Scenario("one", "steps: []\n");
  auto files = FindScenarioFiles(root_);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename(), "one.yaml");
}

}  // namespace
}  // namespace mxconform::conformance
