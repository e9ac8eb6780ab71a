#include "conformance/runner/openspf.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mxconform::conformance {
namespace {

OpenspfFile Parse(std::string_view text, OpenspfOrigin origin = OpenspfOrigin::kOurs) {
  auto r = ParseOpenspf(text, "spf-unit.yml", origin);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().Text());
  return r.ok() ? *r : OpenspfFile{};
}

std::string AllProblems(const std::vector<std::string>& problems) {
  std::string all;
  for (const auto& p : problems) {
    all += p + "\n";
  }
  return all;
}

TEST(OpenspfLoad, YamlErrorIsLocated) {
  auto r = ParseOpenspf("description: d\ntests:\n  t: {host: [1,\n", "x.yml", OpenspfOrigin::kOurs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "vectors.openspf.yaml");
  EXPECT_GE(r.error().line, 3u);
  EXPECT_GE(r.error().column, 1u);
}

TEST(OpenspfLoad, ShapeErrorsAreLocatedAndAllReported) {
  auto r = ParseOpenspf(
      "description: d\n"
      "tests:\n"
      "  t1:\n"
      "    host: 192.0.2.1\n"
      "    result: {a: b}\n"
      "zonedata:\n"
      "  example.com:\n"
      "    - MX: [10]\n"
      "    - {A: 192.0.2.1, AAAA: 2001:db8::1}\n",
      "x.yml", OpenspfOrigin::kOurs);
  ASSERT_FALSE(r.ok());
  const auto& d = r.diagnostics();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].id, "vectors.openspf.field");
  EXPECT_EQ(d[0].line, 5u);
  EXPECT_EQ(d[0].column, 13u);
  EXPECT_EQ(d[1].id, "vectors.openspf.zonedata");
  EXPECT_EQ(d[1].line, 8u);
  EXPECT_EQ(d[2].id, "vectors.openspf.zonedata");
  EXPECT_EQ(d[2].line, 9u);
}

TEST(OpenspfLoad, DocumentWithoutTests) {
  auto r = ParseOpenspf("---\ndescription: d\n---\n- 1\n", "x.yml", OpenspfOrigin::kOurs);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.diagnostics()[0].id, "vectors.openspf.document");
  EXPECT_EQ(r.diagnostics()[0].line, 2u);
  EXPECT_EQ(r.diagnostics()[1].id, "vectors.openspf.document");
  EXPECT_EQ(r.diagnostics()[1].line, 4u);
}

TEST(OpenspfLoad, ReadsFieldsListsAndExtensionKeys) {
  auto f = Parse(
      "---\n"
      "description: First\n"
      "tests:\n"
      "  one:\n"
      "    description: >-\n"
      "      folded\n"
      "      text\n"
      "    spec: 4.5/2\n"
      "    helo: mail.example.com\n"
      "    host: 192.0.2.1\n"
      "    mailfrom: \"\"\n"
      "    result: [permerror, fail]\n"
      "    explanation: DEFAULT\n"
      "    requirements: [SPF-4.5-01, S2]\n"
      "    receiver: mx.example.org\n"
      "    now: 1700000000\n"
      "    identity: mailfrom\n"
      "    queries_include: [\"TXT example.com\"]\n"
      "    queries_exclude: [\"A example.com\"]\n"
      "    dns_terms: 3\n"
      "    void_lookups: 0\n"
      "zonedata:\n"
      "  example.com:\n"
      "    - TXT: [\"v=spf1 \", \"-all\"]\n"
      "    - MX: [10, mx.example.com.]\n"
      "    - TIMEOUT\n"
      "---\n"
      "---\n"
      "description: Second\n"
      "tests:\n"
      "  two: {host: \"2001:db8::1\", helo: h.example.com, mailfrom: a@example.com, result: "
      "pass}\n");
  ASSERT_EQ(f.documents.size(), 2u);
  const auto& t = f.documents[0].tests[0];
  EXPECT_EQ(t.name, "one");
  EXPECT_EQ(t.line, 4u);
  EXPECT_EQ(t.description, "folded text");
  EXPECT_EQ(t.mailfrom, "");
  EXPECT_EQ(t.results, (std::vector<std::string>{"permerror", "fail"}));
  EXPECT_EQ(t.explanation.value_or(""), "DEFAULT");
  EXPECT_EQ(t.requirements, (std::vector<std::string>{"SPF-4.5-01", "S2"}));
  EXPECT_EQ(t.receiver.value_or(""), "mx.example.org");
  EXPECT_EQ(t.now.value_or(0), 1700000000);
  EXPECT_EQ(t.identity.value_or(""), "mailfrom");
  EXPECT_EQ(t.queries_include, std::vector<std::string>{"TXT example.com"});
  EXPECT_EQ(t.dns_terms.value_or(-1), 3);
  EXPECT_EQ(t.void_lookups.value_or(-1), 0);
  const auto& z = f.documents[0].zonedata;
  ASSERT_EQ(z.size(), 1u);
  ASSERT_EQ(z[0].records.size(), 3u);
  EXPECT_TRUE(z[0].records[0].is_list);
  EXPECT_EQ(z[0].records[0].values, (std::vector<std::string>{"v=spf1 ", "-all"}));
  EXPECT_EQ(z[0].records[1].preference, 10);
  EXPECT_EQ(z[0].records[2].type, "TIMEOUT");
  EXPECT_EQ(f.documents[1].index, 1u);
  EXPECT_EQ(f.documents[1].tests[0].results, std::vector<std::string>{"pass"});
}

TEST(OpenspfLint, FindsProblemsInOurFiles) {
  auto f = Parse(
      "description: d\n"
      "tests:\n"
      "  a:\n"
      "    description: x\n"
      "    helo: h.example.com\n"
      "    host: 192.0.2.1\n"
      "    mailfrom: a@example.com\n"
      "    result: maybe\n"
      "    requirements: [SPF-NOPE]\n"
      "    queries_include: [\"SPF example.com\"]\n"
      "    colour: red\n"
      "  b:\n"
      "    helo: h.example.com\n"
      "    host: 192.0.2.300\n"
      "    mailfrom: a@example.com\n"
      "    result: pass\n"
      "    explanation: nope\n"
      "zonedata:\n"
      "  example.com:\n"
      "    - HINFO: x\n"
      "    - A: 2001:db8::1\n"
      "---\n"
      "description: e\n"
      "tests:\n"
      "  a: {description: y, helo: h, host: 192.0.2.1, mailfrom: \"\", result: none,\n"
      "      requirements: [S1]}\n");
  std::string all = AllProblems(LintOpenspfFile(f, {"S1", "SPF-4.5-01"}));
  EXPECT_NE(all.find("spf-unit.yml:3:3 [a]: unknown result 'maybe'"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown requirement id \"SPF-NOPE\""), std::string::npos) << all;
  EXPECT_NE(all.find("query expectation 'SPF example.com'"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown key 'colour'"), std::string::npos) << all;
  EXPECT_NE(all.find("[b]: host '192.0.2.300' is not an IP address"), std::string::npos) << all;
  EXPECT_NE(all.find("[b]: explanation given but fail"), std::string::npos) << all;
  EXPECT_NE(all.find("[b]: description missing"), std::string::npos) << all;
  EXPECT_NE(all.find("[b]: requirements must be a non-empty list"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown record type 'HINFO'"), std::string::npos) << all;
  EXPECT_NE(all.find("A data '2001:db8::1' is not an IPv4 address"), std::string::npos) << all;
  EXPECT_NE(all.find("[a]: duplicate test name (first at line 3)"), std::string::npos) << all;
}

TEST(OpenspfLint, ThirdPartyNeedsNoRequirements) {
  auto f = Parse(
      "description: d\n"
      "tests:\n"
      "  Odd-Name:\n"
      "    spec: 4.5/1\n"
      "    helo: h\n"
      "    host: 1.2.3.4\n"
      "    mailfrom: a@example.com\n"
      "    result: none\n"
      "    strict: 2\n"
      "zonedata:\n"
      "  example.com:\n"
      "    - SPF: v=spf1 -all\n",
      OpenspfOrigin::kThirdParty);
  EXPECT_EQ(AllProblems(LintOpenspfFile(f, {"S1"})), "");
}

TEST(OpenspfZone, JoinsTxtListsAndFollowsTheDriverRules) {
  auto f = Parse(
      "description: d\n"
      "tests: {}\n"
      "zonedata:\n"
      "  joined.example.com:\n"
      "    - TXT: [\"v=spf1 ip4:\", \"192.0.2.5 -all\"]\n"
      "    - TXT: [ ]\n"
      "  spf.example.com:\n"
      "    - SPF: v=spf1 -all\n"
      "  spfonly.example.com:\n"
      "    - SPF: v=spf1 -all\n"
      "    - TXT: NONE\n"
      "  Acc.Example.com.:\n"
      "    - A: 192.0.2.1\n"
      "  acc.example.com:\n"
      "    - A: 192.0.2.2\n"
      "    - AAAA: 2001:db8::2\n"
      "  empty.example.com: []\n");
  FixedClock clock(0);
  OpenspfZone z(clock);
  ASSERT_FALSE(z.Load(f.documents[0]).has_value());
  auto txt = z.Query("joined.example.com", spf::QueryType::kTxt);
  EXPECT_EQ(txt.status, spf::DnsStatus::kOk);
  EXPECT_EQ(txt.txt, (std::vector<std::string>{"v=spf1 ip4:192.0.2.5 -all", ""}));
  EXPECT_EQ(z.Query("spf.example.com", spf::QueryType::kTxt).txt,
            std::vector<std::string>{"v=spf1 -all"});
  auto only = z.Query("spfonly.example.com", spf::QueryType::kTxt);
  EXPECT_EQ(only.status, spf::DnsStatus::kOk);
  EXPECT_TRUE(only.txt.empty());
  EXPECT_EQ(z.Query("acc.example.com", spf::QueryType::kA).addresses.size(), 2u);
  EXPECT_EQ(z.Query("acc.example.com", spf::QueryType::kAaaa).addresses.size(), 1u);
  auto empty = z.Query("empty.example.com", spf::QueryType::kTxt);
  EXPECT_EQ(empty.status, spf::DnsStatus::kOk);
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(z.Query("nowhere.example.com", spf::QueryType::kTxt).status, spf::DnsStatus::kNxDomain);
  EXPECT_EQ(z.log().front(), "TXT joined.example.com");
  EXPECT_EQ(z.log().back(), "TXT nowhere.example.com");
}

TEST(OpenspfZone, TimeoutServfailAndDelay) {
  auto f = Parse(
      "description: d\n"
      "tests: {}\n"
      "zonedata:\n"
      "  all.example.com:\n"
      "    - TIMEOUT\n"
      "  txtfirst.example.com:\n"
      "    - TXT: v=spf1 -all\n"
      "    - TIMEOUT\n"
      "    - A: 192.0.2.1\n"
      "  broken.example.com:\n"
      "    - SERVFAIL\n"
      "  slow.example.com:\n"
      "    - DELAY: 25\n"
      "    - A: 192.0.2.9\n");
  FixedClock clock(100);
  OpenspfZone z(clock);
  ASSERT_FALSE(z.Load(f.documents[0]).has_value());
  EXPECT_EQ(z.Query("all.example.com", spf::QueryType::kTxt).status, spf::DnsStatus::kTimeout);
  EXPECT_EQ(z.Query("all.example.com", spf::QueryType::kA).status, spf::DnsStatus::kTimeout);
  EXPECT_EQ(z.Query("txtfirst.example.com", spf::QueryType::kTxt).txt,
            std::vector<std::string>{"v=spf1 -all"});
  EXPECT_EQ(z.Query("txtfirst.example.com", spf::QueryType::kA).status, spf::DnsStatus::kTimeout);
  EXPECT_EQ(z.Query("broken.example.com", spf::QueryType::kA).status, spf::DnsStatus::kError);
  EXPECT_EQ(z.Query("slow.example.com", spf::QueryType::kA).addresses.size(), 1u);
  EXPECT_EQ(clock.Now(), 125);
}

// A fake evaluator: asks the zone for the TXT record of the sender's
// domain (or HELO), and reports what the test tells it to.
struct Fake {
  spf::EvalResult result;
  bool saw_helo = false;
  spf::EvalInput input;
  OpenspfEvaluator Fn() {
    return [this](const spf::EvalInput& in, bool helo, spf::Resolver& dns,
                  const spf::EvalLimits& limits) {
      saw_helo = helo;
      input = in;
      EXPECT_NE(limits.clock, nullptr);
      std::string domain = helo ? in.helo : in.sender.substr(in.sender.find('@') + 1);
      auto a = dns.Query(domain, spf::QueryType::kTxt);
      spf::EvalResult r = result;
      r.queries.push_back(
          {0, spf::QueryType::kTxt, domain, a.status, static_cast<std::uint32_t>(a.txt.size())});
      return r;
    };
  }
};

constexpr const char* kRunDoc =
    "description: Runner\n"
    "tests:\n"
    "  listed:\n"
    "    description: d\n"
    "    helo: mail.example.org\n"
    "    host: 192.0.2.1\n"
    "    mailfrom: a@example.com\n"
    "    result: [permerror, fail]\n"
    "    requirements: [S2]\n"
    "  explained:\n"
    "    helo: mail.example.org\n"
    "    host: 192.0.2.1\n"
    "    mailfrom: a@example.com\n"
    "    result: fail\n"
    "    explanation: DEFAULT\n"
    "  helo-rule:\n"
    "    helo: mail.example.org\n"
    "    host: 2001:db8::1\n"
    "    mailfrom: \"\"\n"
    "    result: fail\n"
    "    receiver: mx.example.net\n"
    "    now: 42\n"
    "  queries:\n"
    "    helo: mail.example.org\n"
    "    host: 192.0.2.1\n"
    "    mailfrom: a@Example.COM\n"
    "    identity: helo\n"
    "    result: fail\n"
    "    queries_include: [\"TXT mail.example.org.\"]\n"
    "    queries_exclude: [\"TXT example.com\"]\n"
    "    dns_terms: 0\n"
    "    void_lookups: 0\n"
    "zonedata:\n"
    "  example.com:\n"
    "    - TXT: v=spf1 -all\n";

TEST(OpenspfRun, AcceptableResultsExplanationAndExtensionKeys) {
  auto f = Parse(kRunDoc);
  Fake fake;
  fake.result.result = spf::SpfResult::kFail;
  OpenspfRunOptions opts;
  opts.evaluate = fake.Fn();
  auto rs = RunOpenspfFile(f, opts);
  ASSERT_EQ(rs.size(), 4u);
  for (const auto& r : rs) {
    EXPECT_EQ(r.outcome, Outcome::kPass) << r.id << ": " << r.message;
  }
  EXPECT_EQ(rs[0].id, "spf/unit/listed");
  EXPECT_EQ(rs[0].suite, "spf/unit");
  EXPECT_EQ(rs[0].requirements, std::vector<std::string>{"S2"});
  EXPECT_EQ(rs[1].actual["reference"]["explanation"], "DEFAULT");
  EXPECT_EQ(rs[0].actual["reference"]["queries"][0],
            "TXT example.com -> " + std::string(spf::DnsStatusName(spf::DnsStatus::kOk)) + " 1");
  // The last test to run was "queries": identity helo although mailfrom is set.
  EXPECT_TRUE(fake.saw_helo);

  // mailfrom "" selects HELO; receiver and now reach the evaluator.
  Fake helo;
  helo.result.result = spf::SpfResult::kFail;
  opts.evaluate = helo.Fn();
  OpenspfFile one = f;
  one.documents[0].tests = {f.documents[0].tests[2]};
  ASSERT_EQ(RunOpenspfFile(one, opts)[0].outcome, Outcome::kPass);
  EXPECT_TRUE(helo.saw_helo);
  EXPECT_EQ(helo.input.receiver, "mx.example.net");
  EXPECT_EQ(helo.input.now, 42);
  EXPECT_TRUE(helo.input.ip.v6);
}

TEST(OpenspfRun, ExplanationNibbleCaseOnly) {
  // The openspf v-macro-ip6 shape: upper-case nibbles expected, lower-case given.
  EXPECT_TRUE(ExplanationMatches("cafe:babe::1 is 1.0.E.B.A.B.E.F.A.C.ip6.arpa",
                                 "cafe:babe::1 is 1.0.e.b.a.b.e.f.a.c.ip6.arpa"));
  EXPECT_TRUE(ExplanationMatches("a.B.c", "A.b.C"));  // first and last label too
  EXPECT_TRUE(ExplanationMatches("x", "x"));
  // Anything else keeps its case: prose, longer labels, non-hex letters,
  // a hex letter not on its own, a different length or nibble.
  EXPECT_FALSE(ExplanationMatches("Connections from x", "connections from x"));
  EXPECT_FALSE(ExplanationMatches("cafe:babe::1 is", "CAFE:BABE::1 is"));
  EXPECT_FALSE(ExplanationMatches("ab.c.d", "AB.c.d"));
  EXPECT_FALSE(ExplanationMatches("g.h.ip6", "G.H.ip6"));
  EXPECT_FALSE(ExplanationMatches("1.0.ip6.ea", "1.0.ip6.Ea"));
  EXPECT_FALSE(ExplanationMatches("1.e.ip6", "1.e.ip6."));
  EXPECT_FALSE(ExplanationMatches("1.e.ip6", "1.f.ip6"));
}

TEST(OpenspfRun, MismatchesFail) {
  auto f = Parse(kRunDoc);
  Fake fake;
  fake.result.result = spf::SpfResult::kFail;
  fake.result.explanation = "go away";
  fake.result.dns_terms = 1;
  OpenspfRunOptions opts;
  opts.evaluate = fake.Fn();
  auto rs = RunOpenspfFile(f, opts);
  ASSERT_EQ(rs.size(), 4u);
  EXPECT_EQ(rs[0].outcome, Outcome::kPass);
  EXPECT_EQ(rs[1].outcome, Outcome::kFail);
  EXPECT_EQ(rs[1].message, "explanation: expected \"DEFAULT\", got \"go away\"");
  EXPECT_EQ(rs[3].outcome, Outcome::kFail);
  EXPECT_EQ(rs[3].message, "dns_terms: expected 0, got 1");

  fake.result = {};
  fake.result.result = spf::SpfResult::kPass;
  rs = RunOpenspfFile(f, opts);
  EXPECT_EQ(rs[0].outcome, Outcome::kFail);
  EXPECT_EQ(rs[0].message.rfind("result: expected permerror or fail, got pass", 0), 0u)
      << rs[0].message;
}

constexpr const char* kSmtpDoc =
    "description: Receiver\n"
    "tests:\n"
    "  softfail:\n"
    "    description: d\n"
    "    helo: mail.example.org\n"
    "    host: 192.0.2.1\n"
    "    mailfrom: a@soft.example.com\n"
    "    result: softfail\n"
    "    requirements: [SPF-8-02]\n"
    "    smtp: {reply: 250}\n"
    "  fail-7372:\n"
    "    description: d\n"
    "    helo: mail.example.org\n"
    "    host: 192.0.2.1\n"
    "    mailfrom: a@example.com\n"
    "    result: fail\n"
    "    requirements: [SPF-8-01]\n"
    "    smtp: {reply: 550, enhanced: 5.7.23, status_codes: rfc7372}\n"
    "zonedata:\n"
    "  soft.example.com:\n"
    "    - TXT: v=spf1 ~all\n"
    "  example.com:\n"
    "    - TXT: v=spf1 -all\n";

TEST(OpenspfRun, SmtpReplyOfTheReceiver) {  // SPF-8-01, SPF-8-02
  auto f = Parse(kSmtpDoc);
  ASSERT_EQ(f.documents.size(), 1u);
  ASSERT_TRUE(f.documents[0].tests[1].smtp);
  EXPECT_EQ(f.documents[0].tests[1].smtp->codes, spf::StatusCodes::kRfc7372);
  OpenspfRunOptions opts;
  auto rs = RunOpenspfFile(f, opts);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].outcome, Outcome::kPass) << rs[0].message;
  EXPECT_EQ(rs[0].actual["reference"]["smtp"]["disposition"], "accept");
  EXPECT_EQ(rs[1].outcome, Outcome::kPass) << rs[1].message;
  EXPECT_EQ(rs[1].actual["reference"]["smtp"]["enhanced"], "5.7.23");
  EXPECT_EQ(rs[1].expected["reference"]["smtp"]["status_codes"], "rfc7372");

  // A receiver that rejects softfail, and one that ignores RFC 7372: both
  // fail their case, saying what they answered.
  opts.receive = [](const spf::EvalResult& r, std::string_view identity, const spf::IpAddress& ip,
                    const spf::ReceiverPolicy& policy) {
    spf::ReceiverPolicy old = policy;
    old.codes = spf::StatusCodes::kRfc7208;
    spf::MailReply reply = spf::ReplyToMail(r, identity, ip, old);
    if (r.result == spf::SpfResult::kSoftFail) {
      reply = {spf::Disposition::kReject, 550, "5.7.1", {"softfail"}};
    }
    return reply;
  };
  rs = RunOpenspfFile(f, opts);
  EXPECT_EQ(rs[0].outcome, Outcome::kFail);
  EXPECT_EQ(rs[0].message, "smtp: expected 250 to MAIL FROM, got 550 5.7.1 \"softfail\"");
  EXPECT_EQ(rs[1].outcome, Outcome::kFail);
  EXPECT_EQ(rs[1].message.rfind("smtp: expected 550 5.7.23 to MAIL FROM, got 550 5.7.1 ", 0), 0u)
      << rs[1].message;
}

TEST(OpenspfLoad, SmtpShapeErrors) {
  for (const char* bad :
       {"550", "{reply: 650}", "{enhanced: 5.7.1}", "{reply: 550, enhanced: 4.4.3}",
        "{reply: 550, enhanced: 5.7}", "{reply: 451, status_codes: rfc9999}",
        "{reply: 250, code: 1}", "{reply: [250]}"}) {
    auto r = ParseOpenspf(std::string("description: d\ntests:\n  t:\n    smtp: ") + bad + "\n",
                          "x.yml", OpenspfOrigin::kOurs);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.diagnostics()[0].id, "vectors.openspf.field") << bad;
    EXPECT_EQ(r.diagnostics()[0].line, 4u) << bad;
  }
}

TEST(OpenspfRun, QueryExpectationsAndTruthfulEvidence) {
  auto f = Parse(kRunDoc);
  OpenspfFile one = f;
  one.documents[0].tests = {f.documents[0].tests[3]};
  one.documents[0].tests[0].queries_exclude = {"TXT MAIL.example.org"};
  Fake fake;
  fake.result.result = spf::SpfResult::kFail;
  OpenspfRunOptions opts;
  opts.evaluate = fake.Fn();
  auto rs = RunOpenspfFile(one, opts);
  EXPECT_EQ(rs[0].outcome, Outcome::kFail);
  EXPECT_EQ(rs[0].message, "query \"TXT MAIL.example.org\" made, must not be");

  // An evaluator that reports a query it did not make.
  one.documents[0].tests[0].queries_exclude.clear();
  opts.evaluate = [](const spf::EvalInput&, bool, spf::Resolver&, const spf::EvalLimits&) {
    spf::EvalResult r;
    r.result = spf::SpfResult::kFail;
    r.queries.push_back({0, spf::QueryType::kTxt, "mail.example.org", spf::DnsStatus::kOk, 0});
    return r;
  };
  rs = RunOpenspfFile(one, opts);
  EXPECT_EQ(rs[0].outcome, Outcome::kFail);
  EXPECT_NE(rs[0].message.find("differs from the queries the zone received"), std::string::npos)
      << rs[0].message;
}

TEST(OpenspfRun, ThirdPartyIdsAndCatalogueRefs) {
  auto f = Parse(
      "description: Record lookup\n"
      "tests:\n"
      "  nospf:\n"
      "    helo: h.example.com\n"
      "    host: 1.2.3.4\n"
      "    mailfrom: a@example.com\n"
      "    result: none\n"
      "  ptr-match-target:\n"
      "    helo: h.example.com\n"
      "    host: 1.2.3.4\n"
      "    mailfrom: a@example.com\n"
      "    result: none\n",
      OpenspfOrigin::kThirdParty);
  auto refs = OpenspfCatalogueRefs(
      "## 3. SPF (RFC 7208)\n"
      "| S1 | No TXT RR | `none` (`nospf`) |\n"
      "| SPF-5.5-01 | 5.5 | M | x | `ptr-match-*`, `ptr-nomatch-invalid`. | chk |\n"
      "## 4. DMARC\n"
      "| D1 | `nospf` |\n");
  Fake fake;
  fake.result.result = spf::SpfResult::kNone;
  OpenspfRunOptions opts;
  opts.evaluate = fake.Fn();
  opts.refs = &refs;
  auto rs = RunOpenspfFile(f, opts);
  ASSERT_EQ(rs.size(), 2u);
  EXPECT_EQ(rs[0].id, "spf/openspf/record-lookup/nospf");
  EXPECT_EQ(rs[0].requirements, std::vector<std::string>{"S1"});
  EXPECT_EQ(rs[1].requirements, std::vector<std::string>{"SPF-5.5-01"});
}

TEST(OpenspfFiles, SlugAndDetection) {
  EXPECT_EQ(Slug("Semantics of exp and other modifiers"), "semantics-of-exp-and-other-modifiers");
  EXPECT_EQ(Slug("  MX mechanism syntax "), "mx-mechanism-syntax");
}

// What `run --suite` takes for an openspf suite when the name does not end
// in .yml: the first document that is not empty is a map with `tests` and
// no `cases`.
TEST(OpenspfFiles, DetectionByContents) {
  EXPECT_TRUE(IsOpenspfText("description: x\ntests:\n  t1: {result: pass}\n"));
  EXPECT_TRUE(IsOpenspfText("---\n---\ntests: {}\n"));  // empty documents first
  EXPECT_FALSE(IsOpenspfText("cases: []\n"));           // a case file
  EXPECT_FALSE(IsOpenspfText("tests: {}\ncases: []\n"));
  EXPECT_FALSE(IsOpenspfText("- tests\n"));  // not a map
  EXPECT_FALSE(IsOpenspfText(""));
  EXPECT_FALSE(IsOpenspfText("tests: [\n"));  // not YAML: the case-file loader reports it
}

}  // namespace
}  // namespace mxconform::conformance
