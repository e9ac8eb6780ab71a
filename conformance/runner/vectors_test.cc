#include "conformance/runner/vectors.h"

#include <gtest/gtest.h>

#include <fstream>

#include "conformance/runner/report_writer.h"

namespace mxconform::conformance {
namespace {

CaseFile Doc(const char* json_text) {
  return CaseFile{"inline.yaml", nlohmann::json::parse(json_text)};
}

TEST(Requirements, ExtractsIdsAndEdgeRows) {
  auto ids = ExtractRequirementIds(
      "| STS-3.1-04 | 3.1 | M | ... |\n| P13 | Two TXT RRs | x |\n| R7 | y |\n"
      "see ATK-01 and RPT-4-01.\n| **EID 6253** | z |\n| D-A3 | Duplicate tags | w |\n"
      "as in D-A4 (not a row)\n| DMB-R4-05 | 9990 4 | M | x |\n");
  EXPECT_TRUE(ids.count("STS-3.1-04"));
  EXPECT_TRUE(ids.count("P13"));
  EXPECT_TRUE(ids.count("R7"));
  EXPECT_TRUE(ids.count("ATK-01"));
  EXPECT_TRUE(ids.count("RPT-4-01"));
  EXPECT_TRUE(ids.count("D-A3"));
  EXPECT_TRUE(ids.count("DMB-R4-05"));
  EXPECT_FALSE(ids.count("D-A4"));
  EXPECT_FALSE(ids.count("P14"));
}

TEST(Lint, FindsEveryKindOfProblem) {
  auto f = Doc(R"({"suite": "mta-sts/x", "kind": "sts-txt", "description": "d", "cases": [
    {"id": "mta-sts/x/a", "requirements": ["P1"], "summary": "s", "input": "v", "expect": {"valid": true}},
    {"id": "mta-sts/x/a", "requirements": ["NOPE-1"], "summary": "s", "input": "v", "input_rrs": [],
     "expect": {"valid": false, "mode": "x"}},
    {"id": "Other/Case", "requirements": [], "input": "v", "expect": {}, "interop": 3}
  ]})");
  std::set<std::string> seen;
  auto problems = LintCaseFile(f, {"P1"}, seen);
  std::string all;
  for (const auto& p : problems) {
    all += p + "\n";
  }
  EXPECT_NE(all.find("duplicate case id"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown requirement id \"NOPE-1\""), std::string::npos) << all;
  EXPECT_NE(all.find("exactly one of input"), std::string::npos) << all;
  EXPECT_NE(all.find("key 'mode' not valid for kind sts-txt"), std::string::npos) << all;
  EXPECT_NE(all.find("id must be path-like"), std::string::npos) << all;
  EXPECT_NE(all.find("summary missing"), std::string::npos) << all;
  EXPECT_NE(all.find("requirements must be a non-empty list"), std::string::npos) << all;
  EXPECT_NE(all.find("expect.valid missing"), std::string::npos) << all;
  EXPECT_NE(all.find("interop must be a map"), std::string::npos) << all;
}

TEST(Lint, CleanFileHasNoProblems) {
  auto f = Doc(R"({"suite": "mta-sts/x", "kind": "sts-mx-match", "description": "d", "cases": [
    {"id": "mta-sts/x/a", "requirements": ["STS-4.1-02"], "summary": "s",
     "input": {"pattern": "*.a.b", "host": "c.a.b"}, "expect": {"match": true}}]})");
  std::set<std::string> seen;
  EXPECT_TRUE(LintCaseFile(f, {"STS-4.1-02"}, seen).empty());
}

TEST(Runner, PassFailAndProfileOverride) {
  auto f = Doc(R"({"suite": "mta-sts/x", "kind": "sts-txt", "description": "d", "cases": [
    {"id": "mta-sts/x/ok", "requirements": ["P1"], "summary": "s",
     "input": "v=STSv1; id=abc;", "expect": {"valid": true, "id": "abc"}},
    {"id": "mta-sts/x/wrong", "requirements": ["P1"], "summary": "s",
     "input": "v=STSv1; id=abc;", "expect": {"valid": true, "id": "abd"}},
    {"id": "mta-sts/x/profiles", "requirements": ["P11"], "summary": "s",
     "input": "v=STSv1; id=1; foo=", "expect": {"valid": false, "error": "mtasts.txt.bad_extension"},
     "interop": {"valid": true, "diagnostics": ["mtasts.txt.bad_extension"]}},
    {"id": "mta-sts/x/escaped", "requirements": ["P15"], "summary": "s",
     "input_escaped": "v=STSv1; id=1\\xff", "expect": {"valid": false, "error": "mtasts.txt.non_ascii"}},
    {"id": "mta-sts/x/bad-escape", "requirements": ["P15"], "summary": "s",
     "input_escaped": "\\q", "expect": {"valid": false}}
  ]})");
  auto rs = RunCaseFile(f);
  ASSERT_EQ(rs.size(), 5u);
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  EXPECT_EQ(rs[1].outcome, Outcome::kFail);
  EXPECT_NE(rs[1].message.find("id: expected \"abd\", got \"abc\""), std::string::npos);
  EXPECT_EQ(rs[2].outcome, Outcome::kPass) << rs[2].message;
  EXPECT_EQ(rs[3].outcome, Outcome::kPass) << rs[3].message;
  EXPECT_EQ(rs[4].outcome, Outcome::kError);
  Totals t = Count(rs);
  EXPECT_EQ(t.pass, 3u);
  EXPECT_EQ(t.fail, 1u);
  EXPECT_EQ(t.error, 1u);
  RunInfo info;
  EXPECT_NE(JunitXml(info, rs).find("<failure"), std::string::npos);
  EXPECT_NE(SummaryText(info, rs).find("3 passed, 1 failed"), std::string::npos);
}

TEST(Expectations, XfailAndXpass) {
  auto path = std::filesystem::temp_directory_path() / "mxconform_expectations_test.yaml";
  {
    std::ofstream f(path);
    f << "xfail:\n  - id: a/b/fails\n    reason: known\n  - id: a/b/passes\n    reason: known\n";
  }
  auto e = LoadExpectations(path);
  ASSERT_TRUE(e.ok()) << e.error().Text();
  std::vector<CaseResult> rs(3);
  rs[0].id = "a/b/fails";
  rs[0].outcome = Outcome::kFail;
  rs[0].message = "why";
  rs[1].id = "a/b/passes";
  rs[1].outcome = Outcome::kPass;
  rs[2].id = "a/b/other";
  rs[2].outcome = Outcome::kFail;
  ApplyExpectations(*e, rs);
  EXPECT_EQ(rs[0].outcome, Outcome::kXfail);
  EXPECT_EQ(rs[0].message, "expected failure: known [why]");
  EXPECT_EQ(rs[1].outcome, Outcome::kXpass);
  EXPECT_EQ(rs[2].outcome, Outcome::kFail);
  Totals t = Count(rs);
  EXPECT_EQ(t.fail, 2u);  // the xpass and the plain failure
  EXPECT_NE(SummaryText(RunInfo{}, rs).find("1 expected failure"), std::string::npos);

  {
    std::ofstream f(path);
    f << "xfail:\n  - id: a/b/fails\n";
  }
  auto bad = LoadExpectations(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().id, "vectors.expectations.shape");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mxconform::conformance
