// The DMARC case runner and linter (conformance/README.md, "DMARC suites"):
// what the lint refuses, how modes and per-mode expectations combine, and
// that a wrong expectation fails with the key that disagreed.

#include "conformance/runner/dmarc_cases.h"

#include <gtest/gtest.h>

#include <string>

namespace mxconform::conformance {
namespace {

DmarcCaseFile Doc(const char* json_text) {
  return DmarcCaseFile{"dmarc/inline.yaml", nlohmann::json::parse(json_text)};
}

std::string All(const std::vector<std::string>& problems) {
  std::string all;
  for (const auto& p : problems) {
    all += p + "\n";
  }
  return all;
}

constexpr const char* kZone = R"("zonedata": {
  "_dmarc.example.com": [{"TXT": "v=DMARC1; p=reject; sp=quarantine"}],
  "a.example.com": [{"A": "192.0.2.1"}]})";

TEST(DmarcCasesLint, CleanFileHasNoProblems) {
  std::string text = std::string(R"({"suite": "dmarc/x", )") + kZone + R"(, "tests": [
    {"name": "ok", "requirements": ["D1"], "summary": "s", "from": "example.com",
     "expect": {"result": "fail"}}]})";
  auto f = DmarcCaseFile{"dmarc/x.yaml", nlohmann::json::parse(text)};
  EXPECT_EQ(All(LintDmarcCaseFile(f, {"D1"})), "");
}

TEST(DmarcCasesLint, FindsEveryKindOfProblem) {
  auto f = Doc(R"({"suite": "dmarc/x", "tests": [
    {"name": "a", "requirements": ["NOPE-1"], "summary": "s", "from": "example.com",
     "modes": ["bis", "2026"], "spf": {"result": "maybe"}, "colour": 1,
     "expect": {"result": "great", "policy": "drop", "policy_source": "q", "shape": 1,
                "rua_destinations": []}},
    {"name": "a", "summary": "s", "from": "example.com", "expect": {"result": "none"}},
    {"name": "Bad_Name", "requirements": ["D1"], "summary": "s", "from": "x", "expect": {}},
    {"name": "no-expect", "requirements": ["D1"], "summary": "s", "from": "x",
     "modes": ["bis", "7489"], "expect_bis": {"result": "none"}},
    {"name": "zone", "requirements": ["D1"], "summary": "s", "from": "x",
     "zonedata": {"a.example": [{"A": "300.1.1.1"}]}, "expect": {"result": "none"}}]})");
  const std::string all = All(LintDmarcCaseFile(f, {"D1"}));
  for (const char* want :
       {"unknown requirement id NOPE-1", "unknown mode 2026", "`spf` is not",
        "unknown key `colour`", "unknown result great", "unknown policy drop",
        "unknown policy_source q", "unknown key `shape`", "needs check_reports: true",
        "[a]: test name used twice", "[a]: no `requirements` list", "[Bad_Name]: test `name`",
        "[no-expect]: no `expect`", "[zone]: zonedata does not load"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << "\n" << all;
  }
  EXPECT_NE(All(LintDmarcCaseFile(Doc(R"({"tests": []})"), {})).find("no `suite`"),
            std::string::npos);
}

TEST(DmarcCasesRun, ModesOverridesAndMismatches) {
  std::string text = std::string(R"({"suite": "dmarc/x", )") + kZone + R"(, "tests": [
    {"name": "sub", "requirements": ["DM7-6.3-07"], "summary": "s", "from": "a.example.com",
     "dkim": [{"result": "pass", "domain": "mail.example.com"}],
     "expect": {"result": "pass", "policy": "quarantine", "policy_source": "sp",
                "dkim_aligned": true},
     "expect_bis": {"queries": ["TXT _dmarc.a.example.com", "TXT _dmarc.example.com",
                                "TXT _dmarc.com", "TXT _dmarc.mail.example.com"]},
     "expect_7489": {"queries": ["TXT _dmarc.a.example.com", "TXT _dmarc.example.com"]}},
    {"name": "wrong", "requirements": ["D1"], "summary": "s", "from": "example.com",
     "modes": ["7489"], "expect": {"result": ["pass", "none"]}},
    {"name": "wrong-policy", "requirements": ["D1"], "summary": "s", "from": "example.com",
     "modes": ["bis"], "expect": {"result": "fail", "policy": "none"}}]})";
  auto rs = RunDmarcCaseFile(DmarcCaseFile{"dmarc/x.yaml", nlohmann::json::parse(text)});
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_EQ(rs[0].id, "dmarc/x/sub/bis");
  EXPECT_EQ(rs[1].id, "dmarc/x/sub/7489");
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  EXPECT_EQ(rs[1].outcome, Outcome::kPass) << rs[1].message;
  EXPECT_EQ(rs[0].requirements, std::vector<std::string>{"DM7-6.3-07"});
  EXPECT_EQ(rs[0].actual["existence_queries"][0], "A a.example.com");
  EXPECT_EQ(rs[2].id, "dmarc/x/wrong/7489");
  EXPECT_EQ(rs[2].outcome, Outcome::kFail);
  EXPECT_NE(rs[2].message.find("result: expected [\"pass\",\"none\"], got \"fail\""),
            std::string::npos)
      << rs[2].message;
  EXPECT_EQ(rs[3].outcome, Outcome::kFail);
  EXPECT_EQ(rs[3].message, "policy: expected \"none\", got \"reject\"");
}

TEST(DmarcCasesRun, BrokenZoneIsAnErrorNotAFail) {
  auto rs = RunDmarcCaseFile(Doc(R"({"suite": "dmarc/x", "tests": [
    {"name": "z", "requirements": ["D1"], "summary": "s", "from": "example.com",
     "zonedata": {"a.example": [{"A": "300.1.1.1"}]}, "expect": {"result": "none"}}]})"));
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].outcome, Outcome::kError);
  EXPECT_NE(rs[0].message.find("zonedata"), std::string::npos);
}

// Regressions (found writing fuzz/case_file_fuzzer.cc): `mxconform run`
// threw on each of these.
TEST(DmarcCasesText, NonUtf8ZoneDataIsALoadError) {
  auto f = ParseDmarcCaseFile(
      "suite: dmarc/bad\nzonedata:\n  _dmarc.a.example:\n    - TXT: \"v=DMARC1; p=none\xff\"\n",
      "dmarc/bad.yaml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().id, "vectors.file.yaml");
  EXPECT_EQ(f.error().line, 4u);
}

TEST(DmarcCasesText, WrongTypesAreLintProblems) {
  auto f = ParseDmarcCaseFile(R"(suite: dmarc/x
tests:
  - 3
  - name: a
    requirements: [D1]
    summary: s
    from: a.example
    tree_walk_labels: 7
    check_reports: "yes"
    random: 2
    expect: {result: none}
    expect_bis: 5
)",
                              "dmarc/x.yaml");
  ASSERT_TRUE(f.ok());
  const std::string all = All(LintDmarcCaseFile(*f, {}));
  EXPECT_NE(all.find("test `name` missing"), std::string::npos) << all;
  EXPECT_NE(all.find("[a]: `tree_walk_labels` is not 8"), std::string::npos) << all;
  EXPECT_NE(all.find("[a]: `check_reports` is not true or false"), std::string::npos) << all;
  EXPECT_NE(all.find("[a]: `random` is not a draw in [0, 1)"), std::string::npos) << all;
  EXPECT_NE(all.find("[a]: expect_bis is not a map"), std::string::npos) << all;
}

}  // namespace
}  // namespace mxconform::conformance
