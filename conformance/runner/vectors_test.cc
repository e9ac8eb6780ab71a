#include "conformance/runner/vectors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "conformance/runner/report_writer.h"
#include "conformance/runner/smtp_server_case.h"

namespace mxconform::conformance {
namespace {

CaseFile Doc(const char* json_text) {
  return CaseFile{"inline.yaml", nlohmann::json::parse(json_text)};
}

// Every lint problem of `f`, one per line.
std::string LintText(const CaseFile& f) {
  std::set<std::string> seen;
  std::string all;
  for (const auto& p : LintCaseFile(f, {}, seen)) {
    all += p + "\n";
  }
  return all;
}

bool Has(const std::string& all, const char* problem) {
  return all.find(problem) != std::string::npos;
}

TEST(Requirements, ExtractsIdsAndEdgeRows) {
  auto ids = ExtractRequirementIds(
      "| STS-3.1-04 | 3.1 | M | ... |\n| P13 | Two TXT RRs | x |\n| R7 | y |\n"
      "see ATK-01 and RPT-4-01.\n| **EID 6253** | z |\n| D-A3 | Duplicate tags | w |\n"
      "as in D-A4 (not a row)\n| DMB-R4-05 | 9990 4 | M | x |\n"
      "| CERT-NUL-01 | s | M | x |\n| CERT-PKIX-02 | 5280 | M | y |\nsee TLS-RPT and "
      "CERT-9525-CN.\n");
  EXPECT_TRUE(ids.count("STS-3.1-04"));
  EXPECT_TRUE(ids.count("P13"));
  EXPECT_TRUE(ids.count("R7"));
  EXPECT_TRUE(ids.count("ATK-01"));
  EXPECT_TRUE(ids.count("RPT-4-01"));
  EXPECT_TRUE(ids.count("D-A3"));
  EXPECT_TRUE(ids.count("DMB-R4-05"));
  EXPECT_TRUE(ids.count("CERT-NUL-01"));
  EXPECT_TRUE(ids.count("CERT-PKIX-02"));
  EXPECT_TRUE(ids.count("CERT-9525-CN"));
  EXPECT_FALSE(ids.count("TLS-RPT"));
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

// Regressions: each of these hand-written files crashed `mxconform run`
// with an exception (found writing fuzz/case_file_fuzzer.cc).
TEST(CaseFileText, NumbersOutOfRangeStayText) {
  auto f = ParseCaseFile("suite: a\ndescription: 1.0e999\nn: 2.5\n", "x.yaml");
  ASSERT_TRUE(f.ok()) << f.error().Text();
  EXPECT_EQ(f->doc["description"], "1.0e999");
  EXPECT_EQ(f->doc["n"], 2.5);
}

TEST(CaseFileText, BytesThatAreNotUtf8AreALocatedYamlError) {
  auto f = ParseCaseFile("suite: a\ncases:\n  - input: \"v=STSv1; id=1\xff\"\n", "x.yaml");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().id, "vectors.file.yaml");
  EXPECT_EQ(f.error().line, 3u);
  EXPECT_NE(f.error().detail.find("not UTF-8 at byte 13"), std::string::npos) << f.error().detail;
  // A key too; and YAML's own escapes stay fine (they give UTF-8).
  EXPECT_FALSE(ParseCaseFile("\xc3: 1\n", "x.yaml").ok());
  auto ok = ParseCaseFile("a: \"\\xff\"\n", "x.yaml");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->doc["a"], "\xc3\xbf");
}

TEST(CaseFileText, WrongTypesAreLintProblemsAndRunErrors) {
  auto f = ParseCaseFile(R"(suite: mta-sts/x
kind: sts-txt
description: d
cases:
  - 7
  - id: mta-sts/x/a
    requirements: [P1]
    summary: s
    input_escaped: 5
    expect: {valid: true}
  - id: mta-sts/x/b
    requirements: [P1]
    summary: s
    input_rrs: "v=STSv1; id=1"
    expect: {valid: true}
)",
                         "x.yaml");
  ASSERT_TRUE(f.ok());
  std::set<std::string> seen;
  std::string all;
  for (const auto& p : LintCaseFile(*f, {}, seen)) {
    all += p + "\n";
  }
  EXPECT_NE(all.find("each case must be a map"), std::string::npos) << all;
  EXPECT_NE(all.find("[mta-sts/x/a]: input_escaped must be a string"), std::string::npos) << all;
  EXPECT_NE(all.find("[mta-sts/x/b]: input_rrs must be a non-empty list of strings"),
            std::string::npos)
      << all;
  // The runner does not throw on what the lint refuses.
  auto rs = RunCaseFile(*f);
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_EQ(rs[1].outcome, Outcome::kError);
  EXPECT_NE(rs[1].message.find("input_escaped must be a string"), std::string::npos);
  // A suite that is not text is a lint problem, not an exception.
  auto g = ParseCaseFile("suite: 5\nkind: sts-txt\ndescription: d\ncases: []\n", "y.yaml");
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(LintCaseFile(*g, {}, seen).empty());
  EXPECT_TRUE(RunCaseFile(*g).empty());
}

TEST(CaseFileText, InputFileStaysInItsFolderAndIsBounded) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mxconform-input-file-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "policy.txt") << "version: STSv1\nmode: none\nmax_age: 86400\n"; }
  {
    std::ofstream big(dir / "big.txt");
    big << std::string((1u << 20) + 1, 'x');
  }
  int n = 0;
  auto case_for = [&n](const std::string& file) {
    return R"({"id": "mta-sts/x/c)" + std::to_string(n++) + R"(", "requirements": ["P1"],
      "summary": "s", "input_file": ")" +
           file + R"(", "expect": {"valid": true}})";
  };
  auto f = CaseFile{dir / "cases.yaml", nlohmann::json::parse(
                                            R"({"suite": "mta-sts/x", "kind": "sts-policy",
      "description": "d", "cases": [)" + case_for("policy.txt") +
                                            "," + case_for("/dev/zero") + "," +
                                            case_for("../x/policy.txt") + "," +
                                            case_for("big.txt") + "," + case_for(".") + "]}")};
  std::set<std::string> seen;
  std::string all;
  for (const auto& p : LintCaseFile(f, {}, seen)) {
    all += p + "\n";
  }
  EXPECT_NE(all.find("input_file must be a relative path inside the case file's folder"),
            std::string::npos)
      << all;
  auto rs = RunCaseFile(f);
  ASSERT_EQ(rs.size(), 5u);
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  EXPECT_EQ(rs[1].outcome, Outcome::kError);  // absolute: never opened
  EXPECT_NE(rs[1].message.find("relative path"), std::string::npos) << rs[1].message;
  EXPECT_EQ(rs[2].outcome, Outcome::kError);  // "..": never opened
  EXPECT_EQ(rs[3].outcome, Outcome::kError);
  EXPECT_NE(rs[3].message.find("larger than 1 MiB"), std::string::npos) << rs[3].message;
  EXPECT_EQ(rs[4].outcome, Outcome::kError);  // a folder
  EXPECT_NE(rs[4].message.find("not a readable regular file"), std::string::npos) << rs[4].message;
  std::filesystem::remove_all(dir);
}

TEST(CertMatchKind, LintChecksTheInputShape) {
  auto f = Doc(R"({"suite": "cert/x", "kind": "cert-match", "description": "d", "cases": [
    {"id": "cert/x/ok", "requirements": ["C1"], "summary": "s",
     "input": {"host": "mx.example", "dns_names": ["mx.example"], "ip_addresses": [],
               "common_name": "mx.example"}, "expect": {"match": true, "result_type": ""}},
    {"id": "cert/x/no-host", "requirements": ["C1"], "summary": "s",
     "input": {"dns_names": ["mx.example"]}, "expect": {"match": true}},
    {"id": "cert/x/names-not-list", "requirements": ["C1"], "summary": "s",
     "input": {"host": "mx.example", "dns_names": "mx.example"}, "expect": {"match": true}},
    {"id": "cert/x/unknown-key", "requirements": ["C1"], "summary": "s",
     "input": {"host": "mx.example", "uri_ids": []}, "expect": {"valid": true}}
  ]})");
  const std::string all = LintText(f);
  EXPECT_EQ(all.find("[cert/x/ok]"), std::string::npos) << all;
  EXPECT_TRUE(Has(all, "[cert/x/no-host]: cert-match input needs a string host")) << all;
  EXPECT_TRUE(Has(all, "[cert/x/names-not-list]: cert-match input: dns_names must be a list"))
      << all;
  EXPECT_TRUE(Has(all, "[cert/x/unknown-key]: cert-match input: unknown key 'uri_ids'")) << all;
  EXPECT_TRUE(Has(all, "[cert/x/unknown-key]: expect: key 'valid' not valid for kind cert-match"))
      << all;
}

TEST(CertMatchKind, RunsThroughTheEvaluatorItIsGiven) {
  auto f = Doc(R"({"suite": "cert/x", "kind": "cert-match", "description": "d", "cases": [
    {"id": "cert/x/a", "requirements": ["C1"], "summary": "s",
     "input": {"host": "a.example"}, "expect": {"match": true}},
    {"id": "cert/x/b", "requirements": ["C1"], "summary": "s",
     "input": {"host": "b.example"}, "expect": {"match": true}}]})");
  // Without one (as in the fuzz target, which links no OpenSSL): an error.
  auto rs = RunCaseFile(f);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].outcome, Outcome::kError);
  EXPECT_NE(rs[0].message.find("no evaluator for kind cert-match"), std::string::npos);
  // With one: its answer is compared; its errors are errors.
  CaseEvaluators extra = {{"cert-match", [](const nlohmann::json& in) -> Result<nlohmann::json> {
                             if (in["host"] == "b.example") {
                               return MakeDiag("x.y", Severity::kError, 0, "broken");
                             }
                             return nlohmann::json{{"match", true}, {"result_type", ""}};
                           }}};
  rs = RunCaseFile(f, extra);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  EXPECT_EQ(rs[0].actual["reference"]["match"], true);
  EXPECT_EQ(rs[1].outcome, Outcome::kError);
  EXPECT_NE(rs[1].message.find("broken"), std::string::npos) << rs[1].message;
}

TEST(ReporterKind, LintChecksTheInputShape) {
  auto f = Doc(R"({"suite": "rpt/x", "kind": "tlsrpt-reporter", "description": "d", "cases": [
    {"id": "rpt/x/ok", "requirements": ["RPT-3-01"], "summary": "s",
     "input": {"record": "v=TLSRPTv1; rua=https://r.example/x", "sessions": [{"at": 1}],
               "endpoints": {"https://r.example/x": [200]}}, "expect": {"state": "delivered"}},
    {"id": "rpt/x/late", "requirements": ["RPT-3-01"], "summary": "s",
     "input": {"sessions": [{"at": 86400}]}, "expect": {"state": "none"}},
    {"id": "rpt/x/result", "requirements": ["RPT-3-01"], "summary": "s",
     "input": {"sessions": [{"at": 1, "result": "dane-broken"}]}, "expect": {"state": "none"}},
    {"id": "rpt/x/answers", "requirements": ["RPT-3-01"], "summary": "s",
     "input": {"endpoints": {"mailto:a@r.example": [200]}}, "expect": {"state": "none"}},
    {"id": "rpt/x/key", "requirements": ["RPT-3-01"], "summary": "s",
     "input": {"clock": 5}, "expect": {"valid": true}},
    {"id": "rpt/x/domain", "requirements": ["RPT-3-01"], "summary": "s",
     "input": {"domain": "exa mple.com"}, "expect": {"state": "none"}}
  ]})");
  const std::string all = LintText(f);
  EXPECT_EQ(all.find("[rpt/x/ok]"), std::string::npos) << all;
  EXPECT_TRUE(Has(all, "[rpt/x/late]: tlsrpt-reporter input: each session needs `at`")) << all;
  EXPECT_TRUE(Has(all, "[rpt/x/result]: tlsrpt-reporter input: a session result is")) << all;
  EXPECT_TRUE(Has(all, "[rpt/x/answers]: tlsrpt-reporter input: endpoint mailto:a@r.example"))
      << all;
  EXPECT_TRUE(Has(all, "[rpt/x/key]: tlsrpt-reporter input: unknown key 'clock'")) << all;
  EXPECT_TRUE(Has(all, "[rpt/x/key]: expect.state missing")) << all;
  EXPECT_TRUE(Has(all, "[rpt/x/domain]: tlsrpt-reporter input: domain is not a domain name"))
      << all;
  // A malformed input is an error when run, not a crash or a pass.
  const auto rs = RunCaseFile(f);
  ASSERT_EQ(rs.size(), 6u);
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  EXPECT_EQ(rs[1].outcome, Outcome::kError);
}

// The reporter's story as the cases see it: attempts relative to the
// first, the day's counts, what was posted and that it reads back.
TEST(ReporterKind, RetriesUntilAcceptedAndReportsWhatItSent) {
  auto f = Doc(R"({"suite": "rpt/x", "kind": "tlsrpt-reporter", "description": "d", "cases": [
    {"id": "rpt/x/a", "requirements": ["RPT-5.5-01"], "summary": "s",
     "input": {"record": "v=TLSRPTv1; rua=https://r.example/x",
               "sessions": [{"at": 1}, {"at": 2, "result": "certificate-expired"}],
               "endpoints": {"https://r.example/x": [500, 200]}},
     "expect": {"state": "delivered", "first_attempt_at_most": 14400}},
    {"id": "rpt/x/b", "requirements": ["RPT-4-12"], "summary": "s",
     "input": {"record": "v=TLSRPTv1; rua=https://r.example/x", "sessions": [{"at": 1}],
               "endpoints": {"https://r.example/x": [200]}},
     "expect": {"state": "delivered", "first_attempt_at_most": 1}}]})");
  const auto rs = RunCaseFile(f);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  const auto& a = rs[0].actual["reference"];
  EXPECT_EQ(a["attempts"],
            nlohmann::json({"+0 https://r.example/x 500", "+300 https://r.example/x 200"}));
  EXPECT_EQ(a["counts"], nlohmann::json({{"successful", 1}, {"failed", 1}}));
  EXPECT_EQ(a["result_types"], nlohmann::json({"certificate-expired"}));
  EXPECT_EQ(a["media_types"], nlohmann::json({"application/tlsrpt+gzip"}));
  EXPECT_EQ(a["submissions_read"], true);
  EXPECT_EQ(a["queries"], nlohmann::json({"TXT _smtp._tls.example.com"}));
  // The seeded delay is well over a second: the bound is enforced.
  EXPECT_EQ(rs[1].outcome, Outcome::kFail);
  EXPECT_NE(rs[1].message.find("first_attempt_at_most"), std::string::npos) << rs[1].message;
}

TEST(MxRrsetKind, LintChecksTheInputShape) {
  auto f = Doc(R"({"suite": "mx/x", "kind": "mx-rrset", "description": "d", "cases": [
    {"id": "mx/x/ok", "requirements": ["MX-7505-02"], "summary": "s",
     "input": {"rrset": "0 .\n10 a.example.\n", "sends_mail": false,
               "policy": "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 60\n"},
     "expect": {"valid": false, "errors": ["mx.null.mixed"]}},
    {"id": "mx/x/no-rrset", "requirements": ["MX-7505-02"], "summary": "s",
     "input": {"policy": "x"}, "expect": {"valid": true}},
    {"id": "mx/x/bad-policy", "requirements": ["MX-7505-02"], "summary": "s",
     "input": {"rrset": "0 .", "policy": "mode: enforce\n"}, "expect": {"valid": true}},
    {"id": "mx/x/key", "requirements": ["MX-7505-02"], "summary": "s",
     "input": {"rrset": "0 .", "owner": "example.com"}, "expect": {"match": true}},
    {"id": "mx/x/flag", "requirements": ["MX-7505-02"], "summary": "s",
     "input": {"rrset": "0 .", "sends_mail": "yes"}, "expect": {"valid": true}}
  ]})");
  const std::string all = LintText(f);
  EXPECT_EQ(all.find("[mx/x/ok]"), std::string::npos) << all;
  EXPECT_TRUE(Has(all, "[mx/x/no-rrset]: mx-rrset input needs a string rrset")) << all;
  EXPECT_TRUE(
      Has(all, "[mx/x/bad-policy]: mx-rrset input: the policy does not parse (mtasts.policy."))
      << all;
  EXPECT_TRUE(Has(all, "[mx/x/key]: mx-rrset input: unknown key 'owner'")) << all;
  EXPECT_TRUE(Has(all, "[mx/x/key]: expect: key 'match' not valid for kind mx-rrset")) << all;
  EXPECT_TRUE(Has(all, "[mx/x/flag]: mx-rrset input: sends_mail must be a boolean")) << all;
  const auto rs = RunCaseFile(f);
  ASSERT_EQ(rs.size(), 5u);
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  EXPECT_EQ(rs[0].actual["reference"]["info"], nlohmann::json({"mx.null.sender"}));
  EXPECT_EQ(rs[0].actual["reference"]["rrs"], nlohmann::json({"0 .", "10 a.example"}));
  EXPECT_EQ(rs[1].outcome, Outcome::kError);
}

TEST(SmtpServerKind, LintChecksTheInputShapeAndTheRunComparesReplies) {
  auto f = Doc(R"J({"suite": "smtp/x", "kind": "smtp-server", "description": "d", "cases": [
    {"id": "smtp/x/ok", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"server": {"require_tls": true},
               "script": ["banner", "EHLO p.example", "MAIL FROM:<a@b.example>", "QUIT"]},
     "expect": {"replies": ["220", "250", "530 5.7.0", "221 2.0.0"]}},
    {"id": "smtp/x/wrong", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"script": ["banner", "EHLO p.example", "MAIL FROM:<a@b.example>"]},
     "expect": {"replies": ["220", "250", "530 5.7.0"]}},
    {"id": "smtp/x/after-quit", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"script": ["banner", "QUIT", "NOOP", "NOOP"]},
     "expect": {"replies": ["220", "221 2.0.0",
                            "no reply: the session broke (see the transcript)"]}},
    {"id": "smtp/x/no-script", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"server": {}}, "expect": {"replies": []}},
    {"id": "smtp/x/knob", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"server": {"require_tls": "yes"}, "script": ["banner"]},
     "expect": {"replies": ["220"]}},
    {"id": "smtp/x/unknown-knob", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"server": {"greylist": 1}, "script": ["banner"]},
     "expect": {"replies": ["220"]}},
    {"id": "smtp/x/step", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"script": ["banner", {"read": 1}, "EHLO x\r\nMAIL"]},
     "expect": {"replies": ["220"], "valid": true}},
    {"id": "smtp/x/zone-without-spf", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"zonedata": {"a.example": [{"TXT": "v=spf1 -all"}]}, "script": ["banner"]},
     "expect": {"replies": ["220"]}},
    {"id": "smtp/x/bad-zone", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"server": {"spf": true}, "zonedata": {"a.example": [{"A": "not an address"}]},
               "script": ["banner"]},
     "expect": {"replies": ["220"]}},
    {"id": "smtp/x/mode", "requirements": ["TLS-4-07"], "summary": "s",
     "input": {"server": {"starttls": "sometimes"}, "script": ["banner"]},
     "expect": {"replies": ["220"]}}
  ]})J");
  const std::string all = LintText(f);
  EXPECT_EQ(all.find("[smtp/x/ok]"), std::string::npos) << all;
  EXPECT_EQ(all.find("[smtp/x/wrong]"), std::string::npos) << all;
  EXPECT_TRUE(Has(all, "[smtp/x/no-script]: smtp-server input needs a script")) << all;
  EXPECT_TRUE(Has(all, "[smtp/x/knob]: smtp-server input: server.require_tls must be a boolean"))
      << all;
  EXPECT_TRUE(Has(all, "[smtp/x/unknown-knob]: smtp-server input: unknown server knob 'greylist'"))
      << all;
  EXPECT_TRUE(Has(all, "[smtp/x/step]: smtp-server input: a step is banner, tls, a command line"))
      << all;
  EXPECT_TRUE(Has(all, "[smtp/x/step]: expect: key 'valid' not valid for kind smtp-server")) << all;
  EXPECT_TRUE(Has(all, "[smtp/x/mode]: smtp-server input: server.starttls must be offer")) << all;
  EXPECT_TRUE(Has(all,
                  "[smtp/x/zone-without-spf]: smtp-server input: zonedata is read only with "
                  "server.spf: true"))
      << all;
  EXPECT_TRUE(Has(all, "[smtp/x/bad-zone]: smtp-server input: zonedata: ")) << all;

  // Without an evaluator (this program's RunCaseFile gets none) the case
  // is an error, never a pass.
  auto bare = RunCaseFile(f);
  ASSERT_EQ(bare.size(), 10u);
  EXPECT_EQ(bare[0].outcome, Outcome::kError);
  EXPECT_EQ(bare[0].message, "no evaluator for kind smtp-server in this program");

  const auto rs = RunCaseFile(f, {{"smtp-server", EvaluateSmtpServer}});
  ASSERT_EQ(rs.size(), 10u);
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  // A public MX (no require_tls) takes the MAIL: the case says 530, so it
  // fails and says what came instead.
  EXPECT_EQ(rs[1].outcome, Outcome::kFail);
  EXPECT_NE(rs[1].message.find(R"(got ["220","250","250 2.1.0"])"), std::string::npos)
      << rs[1].message;
  // A server that closed ends the script at the step that got nothing.
  EXPECT_EQ(rs[2].outcome, Outcome::kPass) << rs[2].message;
  EXPECT_EQ(rs[3].outcome, Outcome::kError);
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
  auto gone = LoadExpectations(path);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().id, "vectors.expectations.unreadable");
}

TEST(Expectations, ShapesItRefuses) {
  const std::filesystem::path path = "vendor/expect.yaml";
  // An empty file lists nothing; so does a map without xfail.
  for (const char* text : {"", "# nothing yet\n", "other: 1\n", "xfail: []\n"}) {
    auto e = ParseExpectations(text, path);
    ASSERT_TRUE(e.ok()) << text << ": " << e.error().Text();
    EXPECT_TRUE(e->xfail.empty()) << text;
  }
  struct Bad {
    const char* text;
    const char* detail;  // the end of the diagnostic's detail
  };
  const Bad bads[] = {
      {"xfail: a/b/c\n", "top level"},
      {"- id: a/b/c\n  reason: r\n", "top level"},
      {"xfail:\n  - a/b/c\n", R"("a/b/c")"},
      {"xfail:\n  - {id: a/b/c, reason: ''}\n", R"({"id":"a/b/c","reason":""})"},
      {"xfail:\n  - {id: 7, reason: r}\n", R"({"id":7,"reason":"r"})"},
      {"xfail:\n  - {id: a/b/c, reason: r}\n  - {id: a/b/c, reason: s}\n", "listed twice: a/b/c"},
  };
  for (const auto& b : bads) {
    auto e = ParseExpectations(b.text, path);
    ASSERT_FALSE(e.ok()) << b.text;
    EXPECT_EQ(e.error().id, "vectors.expectations.shape") << b.text;
    EXPECT_EQ(e.error().detail, std::string("vendor/expect.yaml: ") + b.detail) << b.text;
  }
  auto yaml = ParseExpectations("xfail:\n  - {id: a\n", path);
  ASSERT_FALSE(yaml.ok());
  EXPECT_EQ(yaml.error().id, "vectors.expectations.yaml");
  EXPECT_GE(yaml.error().line, 2u);
  EXPECT_GE(yaml.error().column, 1u);
}

}  // namespace
}  // namespace mxconform::conformance
