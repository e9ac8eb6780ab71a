// check_host() against an in-memory zone: one or more tests per SPF-*
// requirement of ../../../shared/spec/requirements.md §3.3 whose Observe
// column is chk, dnsq, exp text or macro output. Scenarios follow the shape
// of the openspf suite (the same situations, our own zones and names).

#include "spf/eval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "spf/ip_test_util.h"
#include "spf/received.h"
#include "spf/zone.h"

namespace mxconform::spf {
namespace {

using testing::Ip;

// "TXT example.com", "A mail.example.com", ... in query order.
std::vector<std::string> Queries(const EvalResult& r) {
  std::vector<std::string> out;
  for (const QueryRecord& q : r.queries) {
    out.push_back(std::string(QueryTypeName(q.type)) + " " + q.name);
  }
  return out;
}

bool Asked(const EvalResult& r, std::string_view type, std::string_view name) {
  std::vector<std::string> q = Queries(r);
  return std::find(q.begin(), q.end(), std::string(type) + " " + std::string(name)) != q.end();
}

std::string Dump(const EvalResult& r) {
  std::string s =
      std::string(SpfResultName(r.result)) + " " + std::string(r.reason) + " (" + r.detail + ")\n";
  for (const std::string& q : Queries(r)) {
    s += "  q: " + q + "\n";
  }
  for (const TraceStep& t : r.trace) {
    s += "  t" + std::to_string(t.depth) + " " + t.domain + " [" + t.term + "] " + t.outcome + "\n";
  }
  return s;
}

class EvalTest : public ::testing::Test {
 protected:
  EvalResult MailFrom(std::string_view ip, std::string sender,
                      std::string helo = "mail.example.com", const EvalLimits& limits = {}) {
    in_.ip = Ip(ip);
    in_.sender = std::move(sender);
    in_.helo = std::move(helo);
    return CheckMailFrom(in_, zone_, limits);
  }

  EvalResult Helo(std::string_view ip, std::string helo, const EvalLimits& limits = {}) {
    in_.ip = Ip(ip);
    in_.sender.clear();
    in_.helo = std::move(helo);
    return CheckHelo(in_, zone_, limits);
  }

  ZoneResolver zone_;
  EvalInput in_;
};

#define EXPECT_RESULT(r, res, why)                          \
  do {                                                      \
    EXPECT_EQ(SpfResultName((r).result), (res)) << Dump(r); \
    EXPECT_EQ((r).reason, (why)) << Dump(r);                \
  } while (0)

// --- §2.3 / §2.4: identities ----------------------------------------------

TEST_F(EvalTest, Helo_AddressLiteralIsNoneWithoutQuery) {  // SPF-2.3-02
  EvalResult r = Helo("192.0.2.1", "[192.0.2.1]");
  EXPECT_RESULT(r, "none", "spf.eval.bad_domain");
  EXPECT_TRUE(r.queries.empty());
}

TEST_F(EvalTest, Helo_SingleLabelIsNoneWithoutQuery) {  // SPF-2.3-02
  zone_.AddTxt("localhost", "v=spf1 +all");
  EvalResult r = Helo("192.0.2.1", "localhost");
  EXPECT_RESULT(r, "none", "spf.eval.bad_domain");
  EXPECT_TRUE(r.queries.empty());
  r = Helo("192.0.2.1", "192.0.2.1");  // a bare address is not a domain either
  EXPECT_RESULT(r, "none", "spf.eval.bad_domain");
  EXPECT_TRUE(r.queries.empty());
}

TEST_F(EvalTest, Helo_ChecksPostmasterAtHelo) {  // SPF-2.3-02
  zone_.AddTxt("mx.example.org", "v=spf1 a -all exp=why.example.org");
  zone_.AddA("mx.example.org", Ip("192.0.2.1"));
  zone_.AddTxt("why.example.org", "%{s} %{d}");
  EvalResult r = Helo("192.0.2.9", "mx.example.org");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.explanation, "postmaster@mx.example.org mx.example.org");
  EXPECT_EQ(Helo("192.0.2.1", "mx.example.org").result, SpfResult::kPass);
}

TEST_F(EvalTest, MailFrom_NullPathIsPostmasterAtHelo) {  // SPF-2.4-02
  zone_.AddTxt("mx.example.org", "v=spf1 -all exp=why.example.org");
  zone_.AddTxt("why.example.org", "%{s} %{l} %{o}");
  EvalResult r = MailFrom("192.0.2.1", "", "mx.example.org");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.domain, "mx.example.org");
  EXPECT_EQ(r.explanation, "postmaster@mx.example.org postmaster mx.example.org");
}

TEST_F(EvalTest, MailFrom_NullPathWithBadHeloIsNone) {  // SPF-2.4-02, SPF-4.3-01
  EvalResult r = MailFrom("192.0.2.1", "", "OEMCOMPUTER");
  EXPECT_RESULT(r, "none", "spf.eval.bad_domain");
  EXPECT_TRUE(r.queries.empty());
}

// --- §3.1 / §4.3 / §4.4 / §4.5: record lookup and selection -----------------

TEST_F(EvalTest, Lookup_OnlyTxtIsAsked) {  // SPF-3.1-01
  zone_.AddTxt("example.com", "v=spf1 -all");
  EvalResult r = MailFrom("192.0.2.1", "foo@example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  ASSERT_EQ(r.queries.size(), 1u);
  EXPECT_EQ(r.queries[0].type, QueryType::kTxt);
  EXPECT_EQ(r.queries[0].name, "example.com");
  EXPECT_EQ(r.queries[0].depth, 0);
  EXPECT_EQ(r.queries[0].answers, 1u);
}

TEST_F(EvalTest, Lookup_SpfRrOnlyDomainIsNone) {  // SPF-3.1-01 (`spfonly`)
  zone_.Touch("spfonly.example.net");             // the type-99 record is never asked for
  EvalResult r = MailFrom("192.0.2.1", "foo@spfonly.example.net");
  EXPECT_RESULT(r, "none", "spf.eval.no_record");
  EXPECT_EQ(Queries(r), std::vector<std::string>{"TXT spfonly.example.net"});
}

TEST_F(EvalTest, Initial_LabelOver63IsNoneWithoutQuery) {  // SPF-4.3-01 (`toolonglabel`)
  std::string label64(64, 'a');
  std::string label63(63, 'a');
  zone_.AddTxt(label64 + ".example.com", "v=spf1 -all");
  zone_.AddTxt(label63 + ".example.com", "v=spf1 -all");
  EvalResult r = MailFrom("192.0.2.1", "x@" + label64 + ".example.com");
  EXPECT_RESULT(r, "none", "spf.eval.bad_domain");
  EXPECT_TRUE(r.queries.empty());
  r = MailFrom("192.0.2.1", "x@" + std::string(63, 'A') + ".example.com");  // `longlabel`
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
}

TEST_F(EvalTest, Initial_EmptyLabelOrSingleLabelIsNone) {  // SPF-4.3-01 (`emptylabel`)
  for (const char* sender : {"x@A...example.com", "x@example", "x@.example.com", "x@",
                             "x@[192.0.2.1]", "x@example..com."}) {
    EvalResult r = MailFrom("192.0.2.1", sender);
    EXPECT_RESULT(r, "none", "spf.eval.bad_domain");
    EXPECT_TRUE(r.queries.empty()) << sender;
  }
}

TEST_F(EvalTest, Initial_NxdomainIsNone) {  // SPF-4.3-01
  EvalResult r = MailFrom("192.0.2.1", "x@nowhere.example.com");
  EXPECT_RESULT(r, "none", "spf.eval.no_record");
  EXPECT_EQ(r.queries.size(), 1u);
  EXPECT_EQ(r.queries[0].status, DnsStatus::kNxDomain);
  EXPECT_EQ(r.void_lookups, 0u);  // the top-level lookup is not a term
}

TEST_F(EvalTest, Initial_TrailingDotIsAccepted) {  // SPF-7.3-03
  zone_.AddTxt("example.com", "v=spf1 -all");
  EvalResult r = MailFrom("192.0.2.1", "x@example.com.");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(Queries(r), std::vector<std::string>{"TXT example.com"});
}

TEST_F(EvalTest, Initial_ULabelsAreQueriedAsALabels) {  // SPF-4.3-02, S35
  zone_.AddTxt("xn--bcher-kva.example", "v=spf1 -all exp=e.example.com");
  zone_.AddTxt("e.example.com", "%{o} %{d}");
  EvalResult r = MailFrom("192.0.2.1",
                          "x@b\xC3\xBC"
                          "cher.example");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_TRUE(Asked(r, "TXT", "xn--bcher-kva.example")) << Dump(r);
  EXPECT_EQ(r.explanation, "xn--bcher-kva.example xn--bcher-kva.example");
}

TEST_F(EvalTest, Initial_EmptyLocalPartIsPostmaster) {  // SPF-4.3-03, S31
  zone_.AddTxt("example.net", "v=spf1 -all exp=e.example.net");
  zone_.AddTxt("e.example.net", "%{l}");
  EvalResult r = MailFrom("192.0.2.1", "@example.net");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.explanation, "postmaster");
}

TEST_F(EvalTest, Lookup_TimeoutOrServfailIsTemperror) {  // SPF-4.4-01
  zone_.AddTxt("t.example.net", "v=spf1 -all");
  zone_.SetTimeout("t.example.net");
  EvalResult r = MailFrom("192.0.2.1", "x@t.example.net");
  EXPECT_RESULT(r, "temperror", "spf.eval.dns_error");
  zone_.SetServfail("s.example.net");
  r = MailFrom("192.0.2.1", "x@s.example.net");
  EXPECT_RESULT(r, "temperror", "spf.eval.dns_error");
}

TEST_F(EvalTest, Select_NoSpfRecordIsNone) {  // SPF-4.5-01 (S1, S3)
  zone_.AddTxt("a.example.com", "v=spf10 -all");
  zone_.AddTxt("a.example.com", "google-site-verification=xyz");
  EvalResult r = MailFrom("192.0.2.1", "x@a.example.com");
  EXPECT_RESULT(r, "none", "spf.eval.no_record");
}

TEST_F(EvalTest, Select_TwoRecordsArePermerror) {  // SPF-4.5-01 (S2)
  zone_.AddTxt("a.example.com", "v=spf1 -all");
  zone_.AddTxt("a.example.com", "V=sPf1 +all");
  EvalResult r = MailFrom("192.0.2.1", "x@a.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.multiple_records");
}

TEST_F(EvalTest, Select_OtherTxtRecordsAreIgnored) {  // SPF-4.5-01
  zone_.AddTxt("a.example.com", "\x96 not ascii");
  zone_.AddTxt("a.example.com", "v=spf1 ip4:192.0.2.1");
  EXPECT_EQ(MailFrom("192.0.2.1", "x@a.example.com").result, SpfResult::kPass);
}

TEST_F(EvalTest, Syntax_ErrorAnywhereIsPermerrorBeforeEvaluation) {  // SPF-4.6-01 (S10)
  zone_.AddTxt("a.example.com", "v=spf1 a:b.example.com -all moo");
  EvalResult r = MailFrom("192.0.2.1", "x@a.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.syntax");
  EXPECT_EQ(r.queries.size(), 1u);  // nothing evaluated
  EXPECT_EQ(r.dns_terms, 0u);
}

TEST_F(EvalTest, Syntax_NamesAreCaseInsensitive) {  // SPF-4.6.1-01
  zone_.AddTxt("a.example.com", "V=SPF1 IP4:192.0.2.1 -ALL");
  EXPECT_EQ(MailFrom("192.0.2.1", "x@a.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("192.0.2.2", "x@a.example.com").result, SpfResult::kFail);
}

TEST_F(EvalTest, Syntax_ModifierVersusMechanism) {  // SPF-4.6.1-02, SPF-6-02
  zone_.AddTxt("good.example.com", "v=spf1 moo.cow-far_out=man:dog/cat ip4:192.0.2.1 -all");
  zone_.AddTxt("bad.example.com", "v=spf1 moo.cow/far_out=man:dog/cat ip4:192.0.2.1 -all");
  EXPECT_EQ(MailFrom("192.0.2.1", "x@good.example.com").result, SpfResult::kPass);
  EXPECT_RESULT(MailFrom("192.0.2.1", "x@bad.example.com"), "permerror", "spf.eval.syntax");
}

// --- §4.6.2 / §4.7: evaluation order and default ------------------------------

TEST_F(EvalTest, Order_FirstMatchWinsWithItsQualifier) {  // SPF-4.6.2-01
  zone_.AddTxt("a.example.com", "v=spf1 -ip4:192.0.2.1 +all");
  zone_.AddTxt("b.example.com", "v=spf1 ~ip4:192.0.2.1 -all");
  zone_.AddTxt("c.example.com", "v=spf1 ?all");
  zone_.AddTxt("d.example.com", "v=spf1 all -all");
  EvalResult r = MailFrom("192.0.2.1", "x@a.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.mechanism, "-ip4:192.0.2.1");
  EXPECT_EQ(MailFrom("192.0.2.2", "x@a.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("192.0.2.1", "x@b.example.com").result, SpfResult::kSoftFail);
  EXPECT_EQ(MailFrom("192.0.2.1", "x@c.example.com").result, SpfResult::kNeutral);
  EXPECT_EQ(MailFrom("192.0.2.1", "x@d.example.com").result, SpfResult::kPass);
}

TEST_F(EvalTest, Order_ExceptionStopsEvaluation) {  // SPF-4.6.2-02 (`exists-dnserr`)
  zone_.AddTxt("a.example.com", "v=spf1 exists:err.example.com a:later.example.com -all");
  zone_.SetTimeout("err.example.com");
  EvalResult r = MailFrom("192.0.2.1", "x@a.example.com");
  EXPECT_RESULT(r, "temperror", "spf.eval.dns_error");
  EXPECT_FALSE(Asked(r, "A", "later.example.com"));
}

TEST_F(EvalTest, Default_NoMatchIsNeutral) {  // SPF-4.7-01
  zone_.AddTxt("a.example.com", "v=spf1 ip4:192.0.2.1");
  EvalResult r = MailFrom("192.0.2.5", "x@a.example.com");
  EXPECT_RESULT(r, "neutral", "spf.eval.default");
  EXPECT_TRUE(r.mechanism.empty());
  zone_.AddTxt("empty.example.com", "v=spf1");  // S5
  EXPECT_RESULT(MailFrom("192.0.2.5", "x@empty.example.com"), "neutral", "spf.eval.default");
}

// --- §4.6.4: limits -----------------------------------------------------------

TEST_F(EvalTest, Limit_TenTermsPass) {  // SPF-4.6.4-01 (`mech-at-limit`)
  zone_.AddTxt("e6.example.com", "v=spf1 a mx a mx a mx a mx a ptr ip4:192.0.2.4 -all");
  zone_.AddA("e6.example.com", Ip("192.0.2.8"));
  zone_.AddMx("e6.example.com", 10, "e6.example.com");
  EvalResult r = MailFrom("192.0.2.4", "x@e6.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_EQ(r.dns_terms, 10u);
}

TEST_F(EvalTest, Limit_EleventhTermIsPermerrorAndNeverSent) {  // SPF-4.6.4-01 (`mech-over-limit`)
  zone_.AddTxt("e7.example.com",
               "v=spf1 a:a1.example.com a:a2.example.com a:a3.example.com a:a4.example.com "
               "a:a5.example.com a:a6.example.com a:a7.example.com a:a8.example.com "
               "a:a9.example.com a:a10.example.com a:a11.example.com ip4:192.0.2.4 -all");
  for (int i = 1; i <= 11; ++i) {
    zone_.AddA("a" + std::to_string(i) + ".example.com", Ip("192.0.2.200"));
  }
  EvalResult r = MailFrom("192.0.2.4", "x@e7.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.lookup_limit");
  EXPECT_EQ(r.dns_terms, 10u);
  EXPECT_TRUE(Asked(r, "A", "a10.example.com"));
  EXPECT_FALSE(Asked(r, "A", "a11.example.com"));
  EXPECT_EQ(r.queries.size(), 11u);  // the TXT and ten A
}

TEST_F(EvalTest, Limit_IncludeAtAndOverLimit) {  // SPF-4.6.4-01 (`include-at/over-limit`)
  zone_.AddTxt("e8.example.com", "v=spf1 a include:inc.example.com ip4:192.0.2.4 mx -all");
  zone_.AddA("e8.example.com", Ip("192.0.2.3"));
  zone_.AddTxt("inc.example.com", "v=spf1 a a a a a a a a");
  zone_.AddA("inc.example.com", Ip("192.0.2.10"));
  zone_.AddTxt("e9.example.com", "v=spf1 a include:inc.example.com a ip4:192.0.2.4 -all");
  zone_.AddA("e9.example.com", Ip("192.0.2.21"));
  EvalResult r = MailFrom("192.0.2.4", "x@e8.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_EQ(r.dns_terms, 10u);  // a, include and its eight a
  EXPECT_EQ(r.mechanism, "ip4:192.0.2.4");
  r = MailFrom("192.0.2.99", "x@e8.example.com");  // mx would be the 11th
  EXPECT_RESULT(r, "permerror", "spf.eval.lookup_limit");
  EXPECT_FALSE(Asked(r, "MX", "e8.example.com"));
  r = MailFrom("192.0.2.4", "x@e9.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.lookup_limit");
  EXPECT_EQ(r.dns_terms, 10u);
}

TEST_F(EvalTest, Limit_LoopsEndInPermerror) {  // SPF-4.6.4-01 (`include-loop`, `redirect-loop`)
  zone_.AddTxt("e1.example.com", "v=spf1 ip4:192.0.2.1 redirect=e1.example.com");
  zone_.AddTxt("e2.example.com", "v=spf1 include:e3.example.com");
  zone_.AddTxt("e3.example.com", "v=spf1 include:e2.example.com");
  EvalResult r = MailFrom("192.0.2.4", "x@e1.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.lookup_limit");
  EXPECT_EQ(r.queries.size(), 11u);
  EXPECT_EQ(r.queries.back().depth, 10);
  r = MailFrom("192.0.2.4", "x@e2.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.lookup_limit");
  EXPECT_EQ(r.dns_terms, 10u);
}

TEST_F(EvalTest, Limit_DepthIsBoundedEvenWithHugeLimits) {  // SPF-4.6.4-01, robustness
  zone_.AddTxt("e2.example.com", "v=spf1 include:e3.example.com");
  zone_.AddTxt("e3.example.com", "v=spf1 include:e2.example.com");
  EvalLimits lim;
  lim.dns_terms = 1000000;
  EvalResult r = MailFrom("192.0.2.4", "x@e2.example.com", "mail.example.com", lim);
  EXPECT_RESULT(r, "permerror", "spf.eval.depth_limit");
  EXPECT_LE(r.queries.size(), 40u);
}

TEST_F(EvalTest, Limit_AllIp4Ip6ExpDoNotCount) {  // SPF-4.6.4-02
  std::string rec = "v=spf1";
  for (int i = 0; i < 20; ++i) {
    rec += " ip4:198.51.100." + std::to_string(i);
  }
  rec += " ip6:2001:db8::1 -all exp=e.example.com";
  zone_.AddTxt("a.example.com", rec);
  zone_.AddTxt("e.example.com", "no");
  EvalResult r = MailFrom("192.0.2.1", "x@a.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.dns_terms, 0u);
  EXPECT_EQ(r.explanation, "no");
}

TEST_F(EvalTest, Limit_ElevenMxNamesArePermerror) {  // SPF-4.6.4-03 (`mx-limit`)
  zone_.AddTxt("e4.example.com", "v=spf1 mx");
  for (int i = 0; i < 10; ++i) {
    zone_.AddMx("e4.example.com", static_cast<std::uint16_t>(i), "mail.example.com");
  }
  zone_.AddMx("e4.example.com", 10, "e4.example.com");
  zone_.AddA("mail.example.com", Ip("192.0.2.4"));
  zone_.AddA("e4.example.com", Ip("192.0.2.5"));
  EvalResult r = MailFrom("192.0.2.5", "x@e4.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.mx_limit");
  EXPECT_EQ(Queries(r), (std::vector<std::string>{"TXT e4.example.com", "MX e4.example.com"}));
  // Ten names are fine.
  zone_.AddTxt("ten.example.com", "v=spf1 mx -all");
  for (int i = 0; i < 9; ++i) {
    zone_.AddMx("ten.example.com", static_cast<std::uint16_t>(i), "mail.example.com");
  }
  zone_.AddMx("ten.example.com", 20, "e4.example.com");
  r = MailFrom("192.0.2.5", "x@ten.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_EQ(r.queries.size(), 12u);
}

TEST_F(EvalTest, Limit_OnlyTenPtrNamesAreChecked) {  // SPF-4.6.4-04 (`ptr-limit`)
  zone_.AddTxt("e5.example.com", "v=spf1 ptr");
  zone_.AddA("e5.example.com", Ip("192.0.2.5"));
  for (int i = 1; i <= 10; ++i) {
    zone_.AddPtr("5.2.0.192.in-addr.arpa", "h" + std::to_string(i) + ".example.com.");
  }
  zone_.AddPtr("5.2.0.192.in-addr.arpa", "e5.example.com.");  // the 11th
  EvalResult r = MailFrom("192.0.2.5", "x@e5.example.com");
  EXPECT_RESULT(r, "neutral", "spf.eval.default");
  EXPECT_FALSE(Asked(r, "A", "e5.example.com")) << Dump(r);
  // As the 10th it matches.
  zone_.AddTxt("e5b.example.com", "v=spf1 ptr");
  zone_.AddA("e5b.example.com", Ip("192.0.2.6"));
  for (int i = 1; i <= 9; ++i) {
    zone_.AddPtr("6.2.0.192.in-addr.arpa", "h" + std::to_string(i) + ".example.com.");
  }
  zone_.AddPtr("6.2.0.192.in-addr.arpa", "e5b.example.com.");
  EXPECT_EQ(MailFrom("192.0.2.6", "x@e5b.example.com").result, SpfResult::kPass);
}

TEST_F(EvalTest, Limit_ARecordCountIsNotLimited) {  // SPF-4.6.4-05 (`false-a-limit`)
  zone_.AddTxt("e10.example.com", "v=spf1 a -all");
  for (int i = 1; i <= 12; ++i) {
    zone_.AddA("e10.example.com", Ip("192.0.2." + std::to_string(i)));
  }
  EXPECT_EQ(MailFrom("192.0.2.12", "x@e10.example.com").result, SpfResult::kPass);
}

TEST_F(EvalTest, Limit_TwoVoidLookupsAreFineTheThirdIsPermerror) {  // SPF-4.6.4-06
  zone_.AddTxt("e12.example.com", "v=spf1 a:err.example.com a:err1.example.com ?all");
  zone_.AddTxt("e11.example.com",
               "v=spf1 a:err.example.com a:err1.example.com a:err2.example.com ?all");
  zone_.Touch("err1.example.com");  // NOERROR, no A: void as well
  EvalResult r = MailFrom("192.0.2.4", "x@e12.example.com");
  EXPECT_RESULT(r, "neutral", "spf.eval.matched");
  EXPECT_EQ(r.void_lookups, 2u);
  r = MailFrom("192.0.2.4", "x@e11.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.void_limit");
  EXPECT_EQ(r.void_lookups, 3u);
}

TEST_F(EvalTest, Limit_VoidCountsEveryTermKind) {  // SPF-4.6.4-06, §3.4 decision
  zone_.AddTxt("v.example.com",
               "v=spf1 mx:nomx.example.com exists:nx.example.com include:norec.example.com -all");
  zone_.Touch("nomx.example.com");
  EvalResult r = MailFrom("192.0.2.4", "x@v.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.void_limit");
  EXPECT_EQ(r.void_lookups, 3u);
  // A configurable limit.
  EvalLimits lim;
  lim.void_lookups = 5;
  r = MailFrom("192.0.2.4", "x@v.example.com", "mail.example.com", lim);
  EXPECT_RESULT(r, "permerror", "spf.eval.include_none");
  EXPECT_EQ(r.void_lookups, 3u);
}

TEST_F(EvalTest, Limit_ExpAndAddressLookupsOfMxAreNotVoid) {  // SPF-4.6.4-06, SPF-6.2-05
  zone_.AddTxt("e23.example.com",
               "v=spf1 a:erehwon.example.com a:foobar.example.com mx:m.example.com "
               "exp=nxdomain.example.com -all");
  zone_.AddMx("m.example.com", 1, "gone1.example.com");
  zone_.AddMx("m.example.com", 2, "gone2.example.com");
  EvalResult r = MailFrom("192.0.2.4", "x@e23.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");  // `exp-void`
  EXPECT_EQ(r.void_lookups, 2u);
  EXPECT_TRUE(Asked(r, "TXT", "nxdomain.example.com"));
  EXPECT_TRUE(r.explanation.empty());
}

// A resolver that spends `seconds` of a FixedClock on each query.
class SlowResolver final : public Resolver {
 public:
  SlowResolver(Resolver& inner, FixedClock& clock, int seconds)
      : inner_(inner), clock_(clock), seconds_(seconds) {}
  DnsAnswer Query(std::string_view name, QueryType type) override {
    clock_.Advance(seconds_);
    return inner_.Query(name, type);
  }

 private:
  Resolver& inner_;
  FixedClock& clock_;
  int seconds_;
};

TEST_F(EvalTest, Limit_TimeBudgetGivesTemperror) {  // SPF-4.6.4-07
  zone_.AddTxt("a.example.com", "v=spf1 a -all");
  zone_.AddA("a.example.com", Ip("192.0.2.1"));
  FixedClock clock(1000000);
  EvalLimits lim;
  lim.clock = &clock;
  lim.time_budget_seconds = 20;
  SlowResolver slow(zone_, clock, 25);
  in_.ip = Ip("192.0.2.1");
  in_.sender = "x@a.example.com";
  EvalResult r = CheckMailFrom(in_, slow, lim);
  EXPECT_RESULT(r, "temperror", "spf.eval.time_limit");
  EXPECT_EQ(r.queries.size(), 1u);  // nothing asked after the budget ran out
  SlowResolver fast(zone_, clock, 5);
  r = CheckMailFrom(in_, fast, lim);
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  // A budget spent between queries stops before the next one.
  SlowResolver medium(zone_, clock, 15);
  r = CheckMailFrom(in_, medium, lim);
  EXPECT_RESULT(r, "temperror", "spf.eval.time_limit");
  EXPECT_EQ(r.queries.size(), 2u);
}

// --- §4.8 / §5: mechanisms ------------------------------------------------

TEST_F(EvalTest, A_UsesDomainOrTarget) {  // SPF-4.8-01
  zone_.AddTxt("a.example.com", "v=spf1 a a:other.example.com -all");
  zone_.AddA("a.example.com", Ip("192.0.2.1"));
  zone_.AddA("other.example.com", Ip("192.0.2.2"));
  EvalResult r = MailFrom("192.0.2.2", "x@a.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_EQ(Queries(r), (std::vector<std::string>{"TXT a.example.com", "A a.example.com",
                                                  "A other.example.com"}));
}

TEST_F(EvalTest, A_FamilyAndMappedClients) {  // SPF-5-01 (`ip4-mapped-ip6`, `cidr6-ip4`)
  zone_.AddTxt("e7.example.com", "v=spf1 -ip4:192.0.2.4 ip6:::FFFF:192.0.2.4");
  zone_.AddTxt("e2.example.com", "v=spf1 ip6:::1.1.1.1/0");
  zone_.AddTxt("dual.example.com", "v=spf1 a -all");
  zone_.AddA("dual.example.com", Ip("192.0.2.4"));
  zone_.AddA("dual.example.com", Ip("2001:db8::4"));
  EXPECT_EQ(MailFrom("::ffff:192.0.2.4", "x@e7.example.com").result, SpfResult::kFail);
  EXPECT_EQ(MailFrom("::ffff:192.0.2.4", "x@e2.example.com").result, SpfResult::kNeutral);
  EXPECT_EQ(MailFrom("2001:db8::99", "x@e2.example.com").result, SpfResult::kPass);
  EvalResult r = MailFrom("::ffff:192.0.2.4", "x@dual.example.com");
  EXPECT_EQ(r.result, SpfResult::kPass);
  EXPECT_TRUE(Asked(r, "A", "dual.example.com"));
  r = MailFrom("2001:db8::4", "x@dual.example.com");
  EXPECT_EQ(r.result, SpfResult::kPass);
  EXPECT_TRUE(Asked(r, "AAAA", "dual.example.com"));
  EXPECT_FALSE(Asked(r, "A", "dual.example.com"));
}

TEST_F(EvalTest, A_NxdomainIsNoMatchDnsErrorIsTemperror) {  // SPF-5-02 (`a-nxdomain`)
  zone_.AddTxt("e1.example.com", "v=spf1 a:nx.example.com/0 -all");
  zone_.AddTxt("e2.example.com", "v=spf1 a:sf.example.com -all");
  zone_.SetServfail("sf.example.com");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e1.example.com"), "fail", "spf.eval.matched");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e2.example.com"), "temperror", "spf.eval.dns_error");
}

TEST_F(EvalTest, A_CidrPerFamily) {  // SPF-5.3-01 (`a-cidr4-0`, `a-cidr6-0-ip4`, dual cidr)
  zone_.AddTxt("e2.example.com", "v=spf1 a/0 -all");
  zone_.AddA("e2.example.com", Ip("1.1.1.1"));
  zone_.AddA("e2.example.com", Ip("1234::2"));
  zone_.AddTxt("e2a.example.com", "v=spf1 a//0 -all");
  zone_.AddA("e2a.example.com", Ip("1234::1"));
  zone_.AddTxt("e8.example.com", "v=spf1 a/24//64 -all");
  zone_.AddA("e8.example.com", Ip("192.0.2.5"));
  zone_.AddA("e8.example.com", Ip("2001:db8:1234::dead:beef"));
  zone_.AddTxt("multi.example.com", "v=spf1 a:foo.example.com/24");
  zone_.AddA("foo.example.com", Ip("1.1.1.1"));
  zone_.AddA("foo.example.com", Ip("192.0.2.5"));
  EXPECT_EQ(MailFrom("192.0.2.4", "x@e2.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("1234::1", "x@e2.example.com").result, SpfResult::kFail);
  EXPECT_EQ(MailFrom("192.0.2.4", "x@e2a.example.com").result, SpfResult::kFail);
  EXPECT_EQ(MailFrom("::ffff:192.0.2.4", "x@e2a.example.com").result, SpfResult::kFail);
  EXPECT_EQ(MailFrom("1234::1", "x@e2a.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("192.0.2.4", "x@e8.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("2001:db8:1234::cafe:babe", "x@e8.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("192.0.2.4", "x@multi.example.com").result, SpfResult::kPass);
}

TEST_F(EvalTest, Mx_LooksUpMxThenEachExchange) {  // SPF-5.4-01 (`mx-multi-ip`)
  zone_.AddTxt("e10.example.com", "v=spf1 mx:foo.example.com/24 -all");
  zone_.AddMx("foo.example.com", 0, "foo1.example.com");
  zone_.AddMx("foo.example.com", 5, "foo2.example.com");
  zone_.AddA("foo1.example.com", Ip("1.1.1.1"));
  zone_.AddA("foo2.example.com", Ip("192.0.2.5"));
  EvalResult r = MailFrom("192.0.2.4", "x@e10.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_EQ(Queries(r), (std::vector<std::string>{"TXT e10.example.com", "MX foo.example.com",
                                                  "A foo1.example.com", "A foo2.example.com"}));
  EXPECT_EQ(r.dns_terms, 1u);  // the address lookups do not count
  zone_.SetTimeout("foo1.example.com");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e10.example.com"), "temperror", "spf.eval.dns_error");
}

TEST_F(EvalTest, Mx_NoImplicitMxAndNullMx) {  // SPF-5.4-02 (`mx-implicit`, `mx-empty`)
  zone_.AddTxt("e4.example.com", "v=spf1 mx");
  zone_.AddA("e4.example.com", Ip("192.0.2.4"));
  EvalResult r = MailFrom("192.0.2.4", "x@e4.example.com");
  EXPECT_RESULT(r, "neutral", "spf.eval.default");
  EXPECT_FALSE(Asked(r, "A", "e4.example.com"));
  zone_.AddTxt("mail.example.com", "v=spf1 mx");
  zone_.AddA("mail.example.com", Ip("192.0.2.4"));
  zone_.AddMx("mail.example.com", 0, ".");
  r = MailFrom("192.0.2.4", "", "mail.example.com");
  EXPECT_RESULT(r, "neutral", "spf.eval.default");
  EXPECT_FALSE(Asked(r, "A", "mail.example.com"));
  EXPECT_EQ(r.void_lookups, 0u);
}

TEST_F(EvalTest, Ptr_MatchesValidatedNamesAtOrBelowTarget) {  // SPF-5.5-01
  zone_.AddTxt("e2.example.com", "v=spf1 ptr:example.com -all");
  zone_.AddTxt("e3.example.com", "v=spf1 ptr -all");
  zone_.AddTxt("e4.example.com", "v=spf1 ptr -all");
  zone_.AddTxt("e6.example.com", "v=spf1 ptr:example.Com -all");
  zone_.AddPtr("4.2.0.192.in-addr.arpa", "e3.example.com");
  zone_.AddPtr("4.2.0.192.in-addr.arpa", "e4.example.com");
  zone_.AddPtr("4.2.0.192.in-addr.arpa", "mail.example.com");
  zone_.AddA("e3.example.com", Ip("192.0.2.4"));
  zone_.AddA("mail.example.com", Ip("192.0.2.4"));
  zone_.AddPtr("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
               "mail.Example.com");
  zone_.AddA("mail.example.com", Ip("2001:db8::1"));
  zone_.AddPtr("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.e.b.a.b.e.f.a.c.ip6.arpa",
               "e3.example.com");
  zone_.AddA("e3.example.com", Ip("cafe:babe::1"));
  EXPECT_EQ(MailFrom("192.0.2.4", "x@e2.example.com").result, SpfResult::kPass);
  EvalResult r = MailFrom("192.0.2.4", "x@e3.example.com");
  EXPECT_EQ(r.result, SpfResult::kPass);
  EXPECT_EQ(r.dns_terms, 1u);
  r = MailFrom("192.0.2.4", "x@e4.example.com");  // e4 does not validate
  EXPECT_EQ(r.result, SpfResult::kFail);
  EXPECT_TRUE(Asked(r, "A", "e4.example.com"));
  EXPECT_EQ(MailFrom("cafe:babe::1", "x@e3.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("2001:db8::1", "x@e6.example.com").result, SpfResult::kPass);
  // Not a label boundary: mail.bad-example.com is not within example.com.
  zone_.AddTxt("b.example.org", "v=spf1 ptr:example.com -all");
  zone_.AddPtr("9.2.0.192.in-addr.arpa", "mail.bad-example.com");
  zone_.AddA("mail.bad-example.com", Ip("192.0.2.9"));
  EXPECT_EQ(MailFrom("192.0.2.9", "x@b.example.org").result, SpfResult::kFail);
}

TEST_F(EvalTest, Ptr_DnsErrorsDoNotGiveTemperror) {  // SPF-5.5-02 (`ptr-cname-loop`)
  zone_.AddTxt("a.example.com", "v=spf1 ptr");
  zone_.SetServfail("4.2.0.192.in-addr.arpa");
  EvalResult r = MailFrom("192.0.2.4", "x@a.example.com");
  EXPECT_RESULT(r, "neutral", "spf.eval.default");
  EXPECT_EQ(r.void_lookups, 0u);
  // An error on one name's A lookup skips it; the next name still counts.
  zone_.AddTxt("loop.example.com", "v=spf1 ptr -all");
  zone_.AddPtr("5.2.0.192.in-addr.arpa", "loop4.loop.example.com.");
  zone_.AddPtr("5.2.0.192.in-addr.arpa", "ok.loop.example.com");
  zone_.AddCname("loop4.loop.example.com", "cname.loop.example.com.");
  zone_.AddCname("cname.loop.example.com", "CNAME.loop.example.com.");
  zone_.AddA("ok.loop.example.com", Ip("192.0.2.5"));
  r = MailFrom("192.0.2.5", "x@loop.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_TRUE(Asked(r, "A", "loop4.loop.example.com")) << Dump(r);
  zone_.AddTxt("loop2.example.com", "v=spf1 ptr");
  zone_.AddPtr("6.2.0.192.in-addr.arpa", "loop4.loop2.example.com.");
  zone_.AddCname("loop4.loop2.example.com", "loop4.loop2.example.com");
  EXPECT_RESULT(MailFrom("192.0.2.6", "x@loop2.example.com"), "neutral", "spf.eval.default");
}

TEST_F(EvalTest, Ip_CidrDefaultsAndPrefixes) {  // SPF-5.6-01
  zone_.AddTxt("e1.example.com", "v=spf1 ip4:1.1.1.1/0 -all");
  zone_.AddTxt("e2.example.com", "v=spf1 ip4:192.0.2.4/32 -all");
  zone_.AddTxt("e5.example.com", "v=spf1 ip6:Cafe:Babe:8000::/33");
  zone_.AddTxt("e3.example.com", "v=spf1 ip4:192.0.2.4/33 -all");
  EXPECT_EQ(MailFrom("192.0.2.4", "x@e1.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("192.0.2.4", "x@e2.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("192.0.2.5", "x@e2.example.com").result, SpfResult::kFail);
  EXPECT_EQ(MailFrom("cafe:babe:8000::", "x@e5.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("192.0.2.4", "x@e5.example.com").result, SpfResult::kNeutral);
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e3.example.com"), "permerror", "spf.eval.syntax");
}

TEST_F(EvalTest, Exists_AlwaysAsksA) {  // SPF-5.7-01 (`exists-ip6`, `exists-ip6only`)
  zone_.AddTxt("e4.example.com", "v=spf1 exists:mail.example.com");
  zone_.AddTxt("e5.example.com", "v=spf1 exists:mail6.example.com -all");
  zone_.AddA("mail.example.com", Ip("192.0.2.4"));
  zone_.AddA("mail6.example.com", Ip("cafe:babe::4"));
  EvalResult r = MailFrom("cafe:babe::3", "x@e4.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_EQ(Queries(r), (std::vector<std::string>{"TXT e4.example.com", "A mail.example.com"}));
  r = MailFrom("cafe:babe::3", "x@e5.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_FALSE(Asked(r, "AAAA", "mail6.example.com"));
}

TEST_F(EvalTest, All_RedirectIgnoredAndNeverQueried) {  // SPF-5.1-01
  zone_.AddTxt("a.example.com", "v=spf1 -all redirect=x.example.com");
  zone_.AddTxt("x.example.com", "v=spf1 +all");
  EvalResult r = MailFrom("192.0.2.1", "x@a.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(Queries(r), std::vector<std::string>{"TXT a.example.com"});
  EXPECT_EQ(r.dns_terms, 0u);
  // Terms after `all` are never evaluated.
  zone_.AddTxt("b.example.com", "v=spf1 ?all a:never.example.com");
  r = MailFrom("192.0.2.1", "x@b.example.com");
  EXPECT_RESULT(r, "neutral", "spf.eval.matched");
  EXPECT_EQ(r.queries.size(), 1u);
}

// --- §5.2: include ------------------------------------------------------------

TEST_F(EvalTest, Include_ResultMapping) {  // SPF-5.2-01
  zone_.AddTxt("ip5.example.com", "v=spf1 ip4:192.0.2.5 -all");
  zone_.AddTxt("ip6.example.com", "v=spf1 ip4:192.0.2.6 ~all");
  zone_.AddTxt("ip7.example.com", "v=spf1 ip4:192.0.2.7 ?all");
  zone_.SetTimeout("ip8.example.com");
  zone_.AddTxt("erehwon.example.com", "v=spfl am not an SPF record");
  zone_.AddTxt("e1.example.com", "v=spf1 include:ip5.example.com ~all");
  zone_.AddTxt("e2.example.com", "v=spf1 include:ip6.example.com all");
  zone_.AddTxt("e3.example.com", "v=spf1 include:ip7.example.com -all");
  zone_.AddTxt("e4.example.com", "v=spf1 include:ip8.example.com -all");
  zone_.AddTxt("e5.example.com", "v=spf1 include:e6.example.com -all");
  zone_.AddTxt("e6.example.com", "v=spf1 include +all");
  zone_.AddTxt("e7.example.com", "v=spf1 include:erehwon.example.com -all");
  zone_.AddTxt("e8.example.com", "v=spf1 -include:ip5.example.com +all");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e1.example.com"), "softfail", "spf.eval.matched");
  EXPECT_RESULT(MailFrom("192.0.2.5", "x@e1.example.com"), "pass", "spf.eval.matched");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e2.example.com"), "pass", "spf.eval.matched");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e3.example.com"), "fail", "spf.eval.matched");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e4.example.com"), "temperror", "spf.eval.dns_error");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e5.example.com"), "permerror", "spf.eval.syntax");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e7.example.com"), "permerror", "spf.eval.include_none");
  EvalResult r = MailFrom("192.0.2.5", "x@e8.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.mechanism, "-include:ip5.example.com");
  EXPECT_EQ(r.domain, "e8.example.com");
  EXPECT_EQ(r.queries[1].depth, 1);
}

TEST_F(EvalTest, Include_MalformedTargetIsPermerror) {  // SPF-5.2-01 (none -> permerror)
  zone_.AddTxt("a.example.com", "v=spf1 include:%{h}.bad -all");
  EvalResult r = MailFrom("192.0.2.4", "x@a.example.com", "two..dots");
  EXPECT_RESULT(r, "permerror", "spf.eval.bad_domain");
  EXPECT_EQ(r.queries.size(), 1u);
}

TEST_F(EvalTest, Include_IgnoresIncludedExp) {  // SPF-5.2-02 (`include-ignores-exp`)
  zone_.AddTxt("e7.example.com", "v=spf1 include:e3.example.com -all exp=exp3.example.com");
  zone_.AddTxt("e3.example.com", "v=spf1 exp=exp1.example.com redirect=e4.example.com");
  zone_.AddTxt("e4.example.com", "v=spf1 -all exp=exp2.example.com");
  zone_.AddTxt("exp1.example.com", "No-see-um");
  zone_.AddTxt("exp2.example.com", "See me.");
  zone_.AddTxt("exp3.example.com", "Correct!");
  EvalResult r = MailFrom("192.0.2.4", "x@e7.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.explanation, "Correct!");
  EXPECT_FALSE(Asked(r, "TXT", "exp1.example.com"));
  EXPECT_FALSE(Asked(r, "TXT", "exp2.example.com"));
}

// --- §6: modifiers ----------------------------------------------------------

TEST_F(EvalTest, Modifier_DuplicatesArePermerrorUnknownIgnored) {  // SPF-6-01, SPF-6-02
  zone_.AddTxt("e14.example.com", "v=spf1 exp=a.example.com -all exp=b.example.com");
  zone_.AddTxt("e15.example.com", "v=spf1 redirect=a.example.com -all redirect=a.example.com");
  zone_.AddTxt("e19.example.com", "v=spf1 default=pass foo=%{l}bar");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e14.example.com"), "permerror", "spf.eval.syntax");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e15.example.com"), "permerror", "spf.eval.syntax");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e19.example.com"), "neutral", "spf.eval.default");
}

TEST_F(EvalTest, Redirect_UsesTargetAsDomain) {  // SPF-6.1-01 (`redirect-implicit`)
  zone_.AddTxt("e24.example.com", "v=spf1 redirect=testimplicit.example.com");
  zone_.AddA("e24.example.com", Ip("192.0.2.1"));
  zone_.AddTxt("testimplicit.example.com", "v=spf1 a -all");
  zone_.AddA("testimplicit.example.com", Ip("192.0.2.2"));
  EvalResult r = MailFrom("192.0.2.2", "bar@e24.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_EQ(r.domain, "testimplicit.example.com");
  EXPECT_EQ(r.dns_terms, 2u);
  EXPECT_EQ(MailFrom("192.0.2.1", "bar@e24.example.com").result, SpfResult::kFail);
}

TEST_F(EvalTest, Redirect_NoRecordOrMalformedTargetIsPermerror) {  // SPF-6.1-02
  zone_.AddTxt("e10.example.com", "v=spf1 redirect=erehwon.example.com");
  zone_.AddTxt("e11.example.com", "v=spf1 redirect=%{h}.example.com");
  EvalResult r = MailFrom("192.0.2.4", "x@e10.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.redirect_none");
  r = MailFrom("192.0.2.4", "x@e11.example.com", std::string(70, 'h'));
  EXPECT_RESULT(r, "permerror", "spf.eval.bad_domain");
}

TEST_F(EvalTest, Redirect_TakesEffectAfterAllMechanisms) {  // SPF-6.1-03
  zone_.AddTxt("t5.example.com", "v=spf1 redirect=t5.example.com ~all");
  zone_.AddTxt("t6.example.com", "v=spf1 redirect=t2.example.com ip4:192.0.2.4");
  zone_.AddTxt("t2.example.com", "v=spf1 -all");
  EXPECT_EQ(MailFrom("192.0.2.4", "x@t5.example.com").result, SpfResult::kSoftFail);
  EXPECT_EQ(MailFrom("192.0.2.4", "x@t6.example.com").result, SpfResult::kPass);
  EXPECT_EQ(MailFrom("192.0.2.5", "x@t6.example.com").result, SpfResult::kFail);
}

TEST_F(EvalTest, Exp_ExpandedAndReturnedOnFail) {  // SPF-6.2-01
  zone_.AddTxt("example.com", "v=spf1 mx -all exp=explain._spf.%{d}");
  zone_.AddTxt("explain._spf.example.com", "%{i} is not one of %{d}'s designated mail servers.");
  EvalResult r = MailFrom("192.0.2.3", "x@example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.explanation, "192.0.2.3 is not one of example.com's designated mail servers.");
  EXPECT_TRUE(Asked(r, "TXT", "explain._spf.example.com"));
  EXPECT_EQ(r.dns_terms, 1u);  // mx only (SPF-6.2-05)
  // Not for softfail, nor for a default result.
  zone_.AddTxt("soft.example.com", "v=spf1 ~all exp=explain._spf.example.com");
  r = MailFrom("192.0.2.3", "x@soft.example.com");
  EXPECT_TRUE(r.explanation.empty());
  EXPECT_EQ(r.queries.size(), 1u);
}

TEST_F(EvalTest, Exp_ProblemsMeanNoExplanation) {  // SPF-6.2-02
  zone_.AddTxt("e11.example.com", "v=spf1 -all exp=e11msg.example.com");
  zone_.AddTxt("e11msg.example.com", "Answer a fool according to his folly.");
  zone_.AddTxt("e11msg.example.com", "Do not answer a fool according to his folly.");
  zone_.AddTxt("e13.example.com", "v=spf1 exp=e13msg.example.com -all");
  zone_.AddTxt("e13msg.example.com", "The %{x}-files.");
  zone_.AddTxt("e21.example.com", "v=spf1 exp=e21msg.example.com -all");
  zone_.SetTimeout("e21msg.example.com");
  zone_.AddTxt("e22.example.com", "v=spf1 exp=mail.example.com -all");
  zone_.AddA("mail.example.com", Ip("192.0.2.4"));
  for (const char* d : {"e11", "e13", "e21", "e22"}) {
    EvalResult r = MailFrom("192.0.2.4", std::string("x@") + d + ".example.com");
    EXPECT_RESULT(r, "fail", "spf.eval.matched");
    EXPECT_TRUE(r.explanation.empty()) << d;
  }
}

TEST_F(EvalTest, Exp_MustBeAscii) {  // SPF-6.2-03 (`non-ascii-exp`)
  zone_.AddTxt("nonascii.example.com", "v=spf1 exp=badexp.example.com -all");
  zone_.AddTxt("badexp.example.com",
               "\xEF\xBB\xBF"
               "Explanation");
  EvalResult r = MailFrom("192.0.2.4", "x@nonascii.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_TRUE(r.explanation.empty());
  // A lower-case %{l} of a non-ASCII local-part, too.
  zone_.AddTxt("eai.example.com", "v=spf1 exp=e.example.com -all");
  zone_.AddTxt("e.example.com", "%{l}");
  r = MailFrom("192.0.2.4", "j\xC3\xB6rg@eai.example.com");
  EXPECT_TRUE(r.explanation.empty());
}

TEST_F(EvalTest, Exp_RedirectUsesRedirectedRecordsExp) {  // SPF-6.2-04
  zone_.AddTxt("e1.example.com", "v=spf1 exp=exp1.example.com redirect=e2.example.com");
  zone_.AddTxt("e2.example.com", "v=spf1 -all");
  zone_.AddTxt("e3.example.com", "v=spf1 exp=exp1.example.com redirect=e4.example.com");
  zone_.AddTxt("e4.example.com", "v=spf1 -all exp=exp2.example.com");
  zone_.AddTxt("exp1.example.com", "No-see-um");
  zone_.AddTxt("exp2.example.com", "See me.");
  EvalResult r = MailFrom("192.0.2.4", "x@e1.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_TRUE(r.explanation.empty());
  EXPECT_FALSE(Asked(r, "TXT", "exp1.example.com"));
  r = MailFrom("192.0.2.4", "x@e3.example.com");
  EXPECT_EQ(r.explanation, "See me.");
}

TEST_F(EvalTest, Exp_LookupDoesNotCountAndEmptyIsSyntax) {  // SPF-6.2-05
  zone_.AddTxt("ten.example.com", "v=spf1 a a a a a a a a a a -all exp=%{d}.why.example.com");
  zone_.AddA("ten.example.com", Ip("192.0.2.200"));
  zone_.AddTxt("ten.example.com.why.example.com", "ten is enough");
  EvalResult r = MailFrom("192.0.2.4", "x@ten.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.dns_terms, 10u);
  EXPECT_EQ(r.explanation, "ten is enough");
  zone_.AddTxt("e12.example.com", "v=spf1 exp= -all");
  EXPECT_RESULT(MailFrom("192.0.2.4", "x@e12.example.com"), "permerror", "spf.eval.syntax");
}

// --- §7: macros -----------------------------------------------------------

TEST_F(EvalTest, Macro_SyntaxErrorsArePermerror) {  // SPF-7.1-01, SPF-7.2-01, SPF-7.3-02
  zone_.AddTxt("e1.example.com", "v=spf1 -exists:%(ir).sbl.example.com ?all");
  zone_.AddTxt("e2.example.com", "v=spf1 -all exp=%{r}.example.com");
  zone_.AddTxt("e3.example.com", "v=spf1 a:%{d0}.example.com -all");
  for (const char* d : {"e1", "e2", "e3"}) {
    EvalResult r = MailFrom("192.0.2.4", std::string("x@") + d + ".example.com");
    EXPECT_RESULT(r, "permerror", "spf.eval.syntax");
    EXPECT_EQ(r.queries.size(), 1u) << d;
  }
}

TEST_F(EvalTest, Macro_TransformersInQueryNames) {  // SPF-7.3-01, SPF-7.3-04
  zone_.AddTxt("email.example.com",
               "v=spf1 exists:%{ir}.%{v}._spf.%{d2} exists:%{lr-}.lp._spf.%{d2} "
               "exists:%{l1r-}.%{d3}.x.example.com -all");
  EvalLimits lim;
  lim.void_lookups = 10;  // every name here is NXDOMAIN
  EvalResult r = MailFrom("192.0.2.3", "strong-bad@email.example.com", "mail.example.com", lim);
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(Queries(r),
            (std::vector<std::string>{
                "TXT email.example.com", "A 3.2.0.192.in-addr._spf.example.com",
                "A bad.strong.lp._spf.example.com", "A strong.email.example.com.x.example.com"}));
  r = MailFrom("2001:db8::cb01", "strong-bad@email.example.com", "mail.example.com", lim);
  EXPECT_TRUE(Asked(r, "A",
                    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf."
                    "example.com"))
      << Dump(r);
}

TEST_F(EvalTest, Macro_PPrefersDomainThenSubdomain) {  // SPF-7.3-05, S33
  zone_.AddTxt("e6.example.com", "v=spf1 -all exp=e6msg.example.com");
  zone_.AddTxt("e6msg.example.com", "connect from %{p}");
  zone_.AddA("mx.example.com", Ip("192.0.2.41"));
  zone_.AddA("mx.example.com", Ip("192.0.2.42"));
  zone_.AddPtr("40.2.0.192.in-addr.arpa", "mx.example.com");
  zone_.AddPtr("41.2.0.192.in-addr.arpa", "mx.example.com");
  EXPECT_EQ(MailFrom("192.0.2.40", "x@e6.example.com").explanation, "connect from unknown");
  EXPECT_EQ(MailFrom("192.0.2.41", "x@e6.example.com").explanation, "connect from mx.example.com");
  // `p-macro-multiple`: the subdomain of <domain> is preferred.
  zone_.AddTxt("e7.example.com",
               "v=spf1 exists:%{p}.should.example.com ~exists:%{p}.ok.example.com");
  zone_.AddPtr("42.2.0.192.in-addr.arpa", "mx.example.com");
  zone_.AddPtr("42.2.0.192.in-addr.arpa", "mx.e7.example.com");
  zone_.AddA("mx.e7.example.com", Ip("192.0.2.42"));
  zone_.AddA("mx.e7.example.com.should.example.com", Ip("127.0.0.2"));
  zone_.AddA("mx.example.com.ok.example.com", Ip("127.0.0.2"));
  EvalResult r = MailFrom("192.0.2.42", "x@e7.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_EQ(r.dns_terms, 2u);  // exists + %{p} (§3.4 decision)
  // The exact <domain> beats a subdomain.
  zone_.AddTxt("mx.example.com", "v=spf1 -all exp=e6msg.example.com");
  zone_.AddPtr("43.2.0.192.in-addr.arpa", "a.mx.example.com");
  zone_.AddPtr("43.2.0.192.in-addr.arpa", "mx.example.com");
  zone_.AddA("a.mx.example.com", Ip("192.0.2.43"));
  zone_.AddA("mx.example.com", Ip("192.0.2.43"));
  EXPECT_EQ(MailFrom("192.0.2.43", "x@mx.example.com").explanation, "connect from mx.example.com");
}

TEST_F(EvalTest, Macro_PCountsAsDnsTerm) {  // SPF-4.6.4-01 with %{p}, §3.4 decision
  zone_.AddTxt("p.example.com", "v=spf1 a a a a a a a a a exists:%{p}.x.example.com -all");
  zone_.AddA("p.example.com", Ip("192.0.2.200"));
  EvalResult r = MailFrom("192.0.2.4", "x@p.example.com");
  EXPECT_RESULT(r, "permerror", "spf.eval.lookup_limit");
  EXPECT_EQ(r.dns_terms, 10u);
  EXPECT_FALSE(Asked(r, "PTR", "4.2.0.192.in-addr.arpa"));
}

TEST_F(EvalTest, Macro_HeloAndUpperCase) {  // SPF-7.3-06, SPF-7.3-08
  zone_.AddTxt("e9.example.com", "v=spf1 a:%{H} -all");
  zone_.AddA("msgbas2x.cos.example.com", Ip("192.168.218.40"));
  EXPECT_EQ(MailFrom("192.168.218.40", "test@e9.example.com", "msgbas2x.cos.example.com").result,
            SpfResult::kPass);
  EXPECT_EQ(MailFrom("192.168.218.40", "test@e9.example.com", "JUMPIN' JUPITER").result,
            SpfResult::kFail);
  zone_.AddTxt("e8.example.com", "v=spf1 -all exp=msg8.%{D2}");
  zone_.AddTxt("msg8.example.com", "http://example.com/why.html?l=%{L}");
  EvalResult r = MailFrom("192.168.218.42", "~jack&jill=up-a_b3.c@e8.example.com");
  EXPECT_EQ(r.explanation, "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c");
}

TEST_F(EvalTest, Macro_LongNamesAreTruncatedFromTheLeft) {  // SPF-7.3-07 (S29)
  std::string o = "somewhat.long.exp.example.com";
  zone_.AddTxt(o, "v=spf1 -all exp=foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com");
  std::string name;
  for (int i = 0; i < 8; ++i) {
    name += o + ".";
  }
  name += "example.com";
  zone_.AddTxt(name, "Congratulations!  That was tricky.");
  EvalResult r = MailFrom("192.0.2.4", "test@" + o);
  EXPECT_EQ(r.explanation, "Congratulations!  That was tricky.");
  ASSERT_EQ(r.queries.size(), 2u);
  EXPECT_LE(r.queries[1].name.size(), 253u);
  EXPECT_EQ(r.queries[1].name, name);
}

TEST_F(EvalTest, Macro_SenderStaysDomainChanges) {  // SPF-7.3-09
  zone_.AddTxt("orig.example.com", "v=spf1 include:inc.example.com -all");
  zone_.AddTxt("inc.example.com", "v=spf1 exists:%{l}.%{o}.%{d}.chk.example.com");
  EvalResult r = MailFrom("192.0.2.4", "u@orig.example.com");
  EXPECT_TRUE(Asked(r, "A", "u.orig.example.com.inc.example.com.chk.example.com")) << Dump(r);
}

TEST_F(EvalTest, Macro_InvalidExpandedNameDoesNotMatch) {  // S30, §3.4 decision
  zone_.AddTxt("t10.example.com", "v=spf1 a:mail.example...com -all");
  zone_.AddTxt("t11.example.com",
               "v=spf1 a:a123456789012345678901234567890123456789012345678901234567890123."
               "example.com -all");
  zone_.AddTxt("t12.example.com", "v=spf1 a:%{H}.bar -all");
  for (const char* d : {"t10", "t11", "t12"}) {
    EvalResult r =
        MailFrom("192.0.2.4", std::string("foo@") + d + ".example.com", "%%%%%%%%%%%%%%%%%%%%%%");
    if (std::string_view(d) == "t10") {
      // Whether a literal "..." is a syntax error is the parser's call;
      // either way it never reaches the DNS.
      EXPECT_TRUE(r.result == SpfResult::kFail || r.result == SpfResult::kPermError) << Dump(r);
    } else {
      EXPECT_RESULT(r, "fail", "spf.eval.matched");
    }
    EXPECT_EQ(r.queries.size(), 1u) << Dump(r);
    EXPECT_EQ(r.void_lookups, 0u);
  }
}

TEST_F(EvalTest, Macro_SpaceAndPercentReachTheQuery) {  // S28 (`macro-mania-in-domain`)
  zone_.AddTxt("e1a.example.com", "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all");
  zone_.AddA("macro%percent  space%20url-space.example.com", Ip("192.0.2.4"));
  EXPECT_EQ(MailFrom("192.0.2.4", "test@e1a.example.com").result, SpfResult::kPass);
}

TEST_F(EvalTest, Macro_NonAsciiLocalPartNeverMatches) {  // S35 (RFC 8616 §4)
  zone_.AddTxt("eai.example.com",
               "v=spf1 exists:%{l}.u.example.com exists:%{S}.v.example.com -all");
  EvalResult r = MailFrom("192.0.2.4", "j\xC3\xB6rg@eai.example.com");
  EXPECT_RESULT(r, "fail", "spf.eval.matched");
  EXPECT_EQ(r.queries.size(), 1u) << Dump(r);
  EXPECT_EQ(r.dns_terms, 2u);
}

// --- §9.1: Received-SPF -------------------------------------------------------

TEST_F(EvalTest, Header_ReceivedSpf) {  // SPF-9-01
  zone_.AddTxt("example.com", "v=spf1 ip4:192.0.2.1 -all");
  in_.receiver = "mybox.example.org";
  EvalResult r = MailFrom("192.0.2.1", "myname@example.com", "foo.example.com");
  EXPECT_EQ(ReceivedSpfHeader(r, in_, "mailfrom"),
            "Received-SPF: pass (mybox.example.org: domain of myname@example.com designates "
            "192.0.2.1 as permitted sender) client-ip=192.0.2.1; "
            "envelope-from=\"myname@example.com\"; helo=foo.example.com; "
            "receiver=mybox.example.org; identity=mailfrom; mechanism=\"ip4:192.0.2.1\"");
  r = MailFrom("2001:db8::1", "myname@example.com", "foo.example.com");
  std::string h = ReceivedSpfHeader(r, in_, "mailfrom");
  EXPECT_TRUE(h.starts_with("Received-SPF: fail (")) << h;
  EXPECT_NE(h.find("client-ip=\"2001:db8::1\";"), std::string::npos) << h;
  EXPECT_NE(h.find("mechanism=-all"), std::string::npos) << h;
  // The header reads back under the §9.1 grammar (erratum 5436) with
  // nothing to warn about, and says what was evaluated.
  auto back = ReadReceivedSpf(h);
  ASSERT_TRUE(back.ok()) << back.error().Text();
  EXPECT_TRUE(back->diagnostics.empty());
  EXPECT_EQ(back->result, SpfResult::kFail);
  EXPECT_EQ(back->Find("client-ip")->value, "2001:db8::1");
  EXPECT_EQ(back->Find("envelope-from")->value, "myname@example.com");
  EXPECT_EQ(back->Find("helo")->value, "foo.example.com");
  EXPECT_EQ(back->Find("identity")->value, "mailfrom");
}

// The comment names the <sender> checked: postmaster@HELO for the HELO
// identity (§2.3), while envelope-from stays the MAIL FROM.
TEST_F(EvalTest, Header_HeloIdentityCommentNamesPostmasterAtHelo) {  // SPF-9-01
  zone_.AddTxt("mx.example.com", "v=spf1 -all");
  in_.receiver = "mybox.example.org";
  in_.ip = Ip("192.0.2.1");
  in_.sender = "x@example.com";
  in_.helo = "mx.example.com";
  EvalResult r = CheckHelo(in_, zone_);
  ASSERT_EQ(r.result, SpfResult::kFail) << Dump(r);
  const std::string h = ReceivedSpfHeader(r, in_, "helo");
  EXPECT_NE(h.find("(mybox.example.org: domain of postmaster@mx.example.com does not designate "
                   "192.0.2.1 as permitted sender)"),
            std::string::npos)
      << h;
  EXPECT_NE(h.find("envelope-from=\"x@example.com\";"), std::string::npos) << h;
  EXPECT_NE(h.find("identity=helo"), std::string::npos) << h;
}

// RFC 5322 §2.1.1: no line over 998 octets. A header that long is folded at
// the FWS before a piece, and reads back the same.
TEST_F(EvalTest, Header_LongHeaderIsFoldedUnder998Octets) {  // SPF-9-01
  const std::string label63(63, 'd');
  const std::string domain = label63 + "." + label63 + "." + label63 + ".example";
  zone_.AddTxt(domain, "v=spf1 include:%{d}.%{d}.x.example -all");
  in_.receiver = std::string(200, 'r') + ".example";
  const std::string local(64, 'l');
  EvalResult r = MailFrom("192.0.2.1", local + "@" + domain, std::string(200, 'h') + ".example");
  const std::string h = ReceivedSpfHeader(r, in_, "mailfrom");
  ASSERT_GT(h.size(), 998u) << h;
  std::size_t start = 0;
  std::size_t lines = 0;
  for (;;) {
    const std::size_t end = h.find("\r\n", start);
    const std::string_view line =
        std::string_view(h).substr(start, end == std::string::npos ? end : end - start);
    EXPECT_LE(line.size(), 998u) << line;
    EXPECT_EQ(line.find('\r'), std::string_view::npos);
    EXPECT_EQ(line.find('\n'), std::string_view::npos);
    ++lines;
    if (end == std::string::npos) {
      break;
    }
    EXPECT_EQ(h[end + 2], ' ');  // a continuation line starts with WSP
    start = end + 2;
  }
  EXPECT_GE(lines, 2u);
  // Folded or not, it reads back the same.
  std::string unfolded = h;
  for (std::size_t at; (at = unfolded.find("\r\n ")) != std::string::npos;) {
    unfolded.replace(at, 3, " ");
  }
  auto back = ReadReceivedSpf(h);
  auto flat = ReadReceivedSpf(unfolded);
  ASSERT_TRUE(back.ok()) << back.error().Text();
  ASSERT_TRUE(flat.ok()) << flat.error().Text();
  EXPECT_EQ(back->result, r.result);
  EXPECT_TRUE(back->diagnostics.empty());
  for (const char* key : {"client-ip", "envelope-from", "helo", "receiver", "identity"}) {
    ASSERT_NE(back->Find(key), nullptr) << key;
    EXPECT_EQ(back->Find(key)->value, flat->Find(key)->value) << key;
  }
  EXPECT_TRUE(back->Find("envelope-from")->value.starts_with(local + "@"));
  // A header that fits stays on one line.
  in_.receiver = "mybox.example.org";
  r = MailFrom("192.0.2.1", "a@" + domain);
  const std::string short_one = ReceivedSpfHeader(r, in_, "mailfrom");
  EXPECT_LE(short_one.size(), 998u);
  EXPECT_EQ(short_one.find('\n'), std::string::npos) << short_one;
}

// Review finding: problem= read "(RFC 7208 ??4.6.4)", Sanitize() having
// replaced each byte of the UTF-8 "§" in our own message.
TEST_F(EvalTest, Header_ProblemCitesSectionsInAscii) {  // SPF-9-01
  std::string record = "v=spf1";
  for (int k = 0; k < 11; ++k) {
    record += " a:h" + std::to_string(k) + ".example.com";
  }
  zone_.AddTxt("example.com", record + " -all");
  EvalResult r = MailFrom("192.0.2.1", "x@example.com");
  ASSERT_EQ(r.result, SpfResult::kPermError);
  const std::string h = ReceivedSpfHeader(r, in_, "mailfrom");
  EXPECT_NE(h.find("(RFC 7208 section 4.6.4)"), std::string::npos) << h;
  EXPECT_EQ(h.find('?'), std::string::npos) << h;
  EXPECT_TRUE(ReadReceivedSpf(h).ok()) << h;
}

TEST_F(EvalTest, Header_SenderDataIsSanitized) {  // SPF-9-01
  zone_.AddTxt("example.com", "v=spf1");
  EvalResult r = MailFrom("192.0.2.1", "a\"b\\c)(\r\n@example.com", "evil\r\nX-Injected: 1");
  std::string h = ReceivedSpfHeader(r, in_, "mailfrom");
  EXPECT_EQ(h.find('\r'), std::string::npos) << h;
  EXPECT_EQ(h.find('\n'), std::string::npos) << h;
  EXPECT_NE(h.find("mechanism=default"), std::string::npos) << h;
  EXPECT_NE(h.find("envelope-from=\"a\\\"b\\\\c)(??@example.com\""), std::string::npos) << h;
  EXPECT_NE(h.find("a\"b\\\\c\\)\\(??@example.com"), std::string::npos) << h;
  r = MailFrom("192.0.2.1", "x@nowhere.example.com");
  h = ReceivedSpfHeader(r, in_, "helo");
  EXPECT_TRUE(h.starts_with("Received-SPF: none (")) << h;
  zone_.SetServfail("sf.example.com");
  r = MailFrom("192.0.2.1", "x@sf.example.com");
  h = ReceivedSpfHeader(r, in_, "mailfrom");
  EXPECT_NE(h.find("; problem=\""), std::string::npos) << h;
  // Hostile sender data still gives a header that reads back, the
  // sanitised sender as its envelope-from.
  r = MailFrom("192.0.2.1", "a\"b\\c)(\r\n@example.com", "evil\r\nX-Injected: 1");
  for (std::string_view identity : {"mailfrom", "helo"}) {
    auto back = ReadReceivedSpf(ReceivedSpfHeader(r, in_, identity));
    ASSERT_TRUE(back.ok()) << back.error().Text();
    EXPECT_EQ(back->Find("envelope-from")->value, "a\"b\\c)(??@example.com");
    EXPECT_EQ(back->Find("helo")->value, "evil??X-Injected: 1");
  }
}

// --- the result record ------------------------------------------------------

TEST_F(EvalTest, Trace_RecordsEachStep) {
  zone_.AddTxt("a.example.com", "v=spf1 ip4:192.0.2.9 include:b.example.com -all");
  zone_.AddTxt("b.example.com", "v=spf1 ip4:192.0.2.1");
  EvalResult r = MailFrom("192.0.2.1", "x@a.example.com");
  EXPECT_RESULT(r, "pass", "spf.eval.matched");
  EXPECT_EQ(r.mechanism, "include:b.example.com");
  ASSERT_GE(r.trace.size(), 5u);
  EXPECT_EQ(r.trace[1].term, "ip4:192.0.2.9");
  EXPECT_EQ(r.trace[1].outcome, "no match");
  bool saw_inner = std::any_of(r.trace.begin(), r.trace.end(), [](const TraceStep& t) {
    return t.depth == 1 && t.domain == "b.example.com" && t.term == "ip4:192.0.2.1";
  });
  EXPECT_TRUE(saw_inner) << Dump(r);
  EXPECT_EQ(SpfResultName(SpfResult::kSoftFail), "softfail");
  EXPECT_EQ(DnsStatusName(DnsStatus::kNxDomain), "NXDOMAIN");
  EXPECT_EQ(QueryTypeName(QueryType::kAaaa), "AAAA");
}

TEST_F(EvalTest, CheckHost_DirectDomainAndSender) {
  zone_.AddTxt("other.example.com", "v=spf1 -all exp=e.example.com");
  zone_.AddTxt("e.example.com", "%{s} %{d}");
  in_.ip = Ip("192.0.2.1");
  in_.sender = "u@sender.example.com";
  EvalResult r = CheckHost(in_, "other.example.com", zone_);
  EXPECT_EQ(r.explanation, "u@sender.example.com other.example.com");
}

}  // namespace
}  // namespace mxconform::spf
