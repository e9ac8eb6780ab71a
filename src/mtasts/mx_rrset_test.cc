#include "mtasts/mx_rrset.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostics_test_util.h"
#include "mtasts/policy_test_util.h"

namespace mxconform::mtasts {
namespace {

using mxconform::testing::DiagnosticIds;
using Ids = std::vector<std::string_view>;

MxRrset MustParse(std::string_view in) {
  auto r = ParseMxRrset(in);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().Text());
  return r.ok() ? *r : MxRrset{};
}

Diagnostics ErrorsOf(std::string_view in) {
  auto r = ParseMxRrset(in);
  EXPECT_FALSE(r.ok()) << in;
  return r.ok() ? Diagnostics{} : r.diagnostics();
}

using fixtures::MakePolicy;

TEST(MxRrsetTest, ReadsDigShortForm) {
  const MxRrset s = MustParse("10 mx1.example.com.\n20 MX2.example.com\n");
  ASSERT_EQ(s.rrs.size(), 2u);
  EXPECT_EQ(s.rrs[0].preference, 10);
  EXPECT_EQ(s.rrs[0].exchange, "mx1.example.com");
  EXPECT_EQ(s.rrs[1].exchange, "MX2.example.com");  // as written
  EXPECT_EQ(s.rrs[1].offset, 20u);
  EXPECT_EQ(s.rrs[1].exchange_offset, 23u);
  EXPECT_TRUE(s.owner.empty());
  EXPECT_TRUE(s.diagnostics.empty());
}

TEST(MxRrsetTest, ReadsMasterFileLinesWithCommentsTtlAndClassInEitherOrder) {
  const MxRrset s = MustParse(
      ";; ANSWER SECTION:\r\n"
      "example.com.\t300\tIN\tMX\t10 mx1.example.com.\r\n"
      "EXAMPLE.com IN 300 mx 20 mx2.example.com. ; backup\r\n"
      "example.com. MX 30 mx3.example.com.\r\n"
      "   IN MX 40 mx4.example.com.\r\n"
      "\r\n");
  ASSERT_EQ(s.rrs.size(), 4u);
  EXPECT_EQ(s.owner, "example.com");
  EXPECT_EQ(s.rrs[3].preference, 40);
  EXPECT_EQ(s.rrs[3].exchange, "mx4.example.com");
}

TEST(MxRrsetTest, NullMxExchangeIsTheRoot) {
  const MxRrset s = MustParse("example.com. 3600 IN MX 0 .\n");
  ASSERT_EQ(s.rrs.size(), 1u);
  EXPECT_TRUE(s.rrs[0].IsNull());
  EXPECT_EQ(s.rrs[0].preference, 0);
}

TEST(MxRrsetTest, EveryErrorIsReportedWithItsOffset) {
  const std::string in =
      "10 mx1.example.com.\n"        // ok
      "65536 mx2.example.com.\n"     // 20: preference out of range
      "20 mx_3.example.com.\n"       // 43: '_' at 48
      "example.com. IN CNAME x.\n"   // 64: type at 80
      "other.example. MX 5 a.b.\n";  // 89: another owner
  const Diagnostics d = ErrorsOf(in);
  EXPECT_EQ(DiagnosticIds(d),
            (Ids{"mx.rrset.preference", "mx.rrset.exchange", "mx.rrset.type", "mx.rrset.owner"}));
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].offset, 20u);
  EXPECT_EQ(d[1].offset, 48u);
  EXPECT_EQ(d[2].offset, 80u);
  EXPECT_EQ(d[3].offset, 89u);
}

TEST(MxRrsetTest, Refusals) {
  EXPECT_EQ(DiagnosticIds(ErrorsOf("")), (Ids{"mx.rrset.empty"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("; only a comment\n\n")), (Ids{"mx.rrset.empty"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("mx1.example.com.\n")), (Ids{"mx.rrset.syntax"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("example.com. MX 10\n")), (Ids{"mx.rrset.syntax"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("example.com. MX 10 a.example. extra\n")),
            (Ids{"mx.rrset.syntax"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("example.com. 1h MX 10 a.example.\n")),
            (Ids{"mx.rrset.syntax"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("example.com. 4294967296 MX 10 a.example.\n")),
            (Ids{"mx.rrset.syntax"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("example.com. CH MX 10 a.example.\n")), (Ids{"mx.rrset.type"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("@ MX 10 a.example.\n")), (Ids{"mx.rrset.owner"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("  MX 10 a.example.\n")), (Ids{"mx.rrset.owner"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("-1 a.example.\n")), (Ids{"mx.rrset.preference"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("10 a..example.\n")), (Ids{"mx.rrset.exchange"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("10 m\xc3\xa9l.example.\n")), (Ids{"mx.rrset.exchange"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf("10 a.example\x01.\n")), (Ids{"mx.rrset.exchange"}));
  EXPECT_EQ(DiagnosticIds(ErrorsOf(std::string(kMaxMxRrsetBytes + 1, ' '))),
            (Ids{"mx.rrset.too_large"}));
}

// Messages are static text and the variable part is the detail: a message
// built at run time would dangle (Diagnostic::message is a view), which the
// CLI showed as garbage before this test.
TEST(MxRrsetTest, MessagesOutliveTheParse) {
  const Diagnostics d = ErrorsOf("10 a_b.example.\nx. MX 1 a.\ny. MX 1 b.\n");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].message, "the exchange is not a host name (RFC 5321 §2.3.5)");
  EXPECT_NE(d[0].detail.find("a_b.example."), std::string::npos);
  EXPECT_EQ(d[1].message, "RRs of different owner names: not one MX RRset");
  EXPECT_EQ(d[1].detail, "y. after x");
}

TEST(MxRrsetTest, RrCountIsBounded) {
  std::string in;
  for (std::size_t k = 0; k <= kMaxMxRrs; ++k) {
    in += "1 m" + std::to_string(k) + ".e\n";
  }
  ASSERT_LE(in.size(), kMaxMxRrsetBytes);
  EXPECT_EQ(DiagnosticIds(ErrorsOf(in)), (Ids{"mx.rrset.too_many"}));
}

// RFC 2181 §5: an RRset holds each RR once; case and the root dot do not
// make two RRs different.
TEST(MxRrsetTest, DuplicateRrIsAWarning) {
  const MxRrset s = MustParse("10 mx.example.com.\n10 MX.example.com\n20 mx.example.com.\n");
  EXPECT_EQ(DiagnosticIds(s.diagnostics), (Ids{"mx.rrset.duplicate"}));
  EXPECT_EQ(s.diagnostics[0].offset, 19u);
}

// MX-7505-02: a null MX must be the only MX RR.
TEST(MxLintTest, Mx750502NullMxBesideOthersIsAnError) {
  const MxRrset s = MustParse("0 .\n10 mx.example.com.\n");
  const Diagnostics d = LintMxRrset(s);
  EXPECT_EQ(DiagnosticIds(d), (Ids{"mx.null.mixed", "mx.null.sender"}));
  EXPECT_EQ(d[0].severity, Severity::kError);
  EXPECT_EQ(d[0].offset, 0u);
}

TEST(MxLintTest, LoneNullMxIsClean) {
  const Diagnostics d = LintMxRrset(MustParse("0 .\n"));
  EXPECT_EQ(DiagnosticIds(d), (Ids{"mx.null.sender"}));
  EXPECT_EQ(d[0].severity, Severity::kInfo);
}

// MX-7505-04: a domain used as a sender should not publish a null MX.
TEST(MxLintTest, Mx750504NullMxOnASendingDomainIsAWarning) {
  MxLintOptions o;
  o.sends_mail = true;
  const Diagnostics d = LintMxRrset(MustParse("0 .\n"), o);
  EXPECT_EQ(DiagnosticIds(d), (Ids{"mx.null.sender"}));
  EXPECT_EQ(d[0].severity, Severity::kWarning);
}

TEST(MxLintTest, NullMxWithNonZeroPreference) {
  const Diagnostics d = LintMxRrset(MustParse("10 .\n"));
  EXPECT_EQ(DiagnosticIds(d), (Ids{"mx.null.preference", "mx.null.sender"}));
}

// Catalogue M10: an address is not an exchange.
TEST(MxLintTest, AddressAsExchange) {
  const Diagnostics d = LintMxRrset(MustParse("10 192.0.2.1\n20 mx.example.com.\n"));
  EXPECT_EQ(DiagnosticIds(d), (Ids{"mx.exchange.address"}));
  EXPECT_EQ(d[0].offset, 3u);
  EXPECT_TRUE(LintMxRrset(MustParse("10 mx1.2.example.\n")).empty());
}

// STS-4.1-05: under enforce an unmatched exchange is not used; the lint says
// so with a severity that follows the mode.
TEST(MxLintTest, Sts4105PolicyCoverage) {
  const MxRrset s = MustParse("10 mx1.example.com.\n20 backup.example.net.\n");
  for (auto [mode, sev] :
       {std::pair{Mode::kEnforce, Severity::kError}, std::pair{Mode::kTesting, Severity::kWarning},
        std::pair{Mode::kNone, Severity::kInfo}}) {
    const Policy p = MakePolicy(mode, {"*.example.com"});
    MxLintOptions o;
    o.policy = &p;
    const Diagnostics d = LintMxRrset(s, o);
    ASSERT_EQ(DiagnosticIds(d), (Ids{"mx.policy.unmatched"})) << ModeName(mode);
    EXPECT_EQ(d[0].severity, sev);
    EXPECT_EQ(d[0].offset, 23u);
    EXPECT_EQ(d[0].detail, "backup.example.net (policy mode " + std::string(ModeName(mode)) + ")");
  }
}

TEST(MxLintTest, NoExchangeMatchesThePolicy) {
  const MxRrset s = MustParse("10 mx1.example.com.\n20 a.b.example.com.\n");
  const Policy enforce = MakePolicy(Mode::kEnforce, {"*.example.net", "*.example.com"});
  MxLintOptions o;
  o.policy = &enforce;
  // "*." stands for exactly one label: mx1 matches, a.b does not.
  EXPECT_EQ(DiagnosticIds(LintMxRrset(s, o)), (Ids{"mx.policy.unmatched"}));
  const Policy other = MakePolicy(Mode::kEnforce, {"mail.example.org"});
  o.policy = &other;
  const Diagnostics d = LintMxRrset(s, o);
  EXPECT_EQ(DiagnosticIds(d),
            (Ids{"mx.policy.unmatched", "mx.policy.unmatched", "mx.policy.no_match"}));
  EXPECT_EQ(d[2].severity, Severity::kError);
  const Policy none = MakePolicy(Mode::kNone, {"mail.example.org"});
  o.policy = &none;
  EXPECT_EQ(DiagnosticIds(LintMxRrset(s, o)), (Ids{"mx.policy.unmatched", "mx.policy.unmatched"}));
}

TEST(MxLintTest, NullMxIsNotMatchedAgainstThePolicy) {
  const Policy p = MakePolicy(Mode::kEnforce, {"mx.example.com"});
  MxLintOptions o;
  o.policy = &p;
  EXPECT_EQ(DiagnosticIds(LintMxRrset(MustParse("0 .\n"), o)), (Ids{"mx.null.sender"}));
}

}  // namespace
}  // namespace mxconform::mtasts
