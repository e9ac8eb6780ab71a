// DMARC discovery (RFC 9989 §4.10, RFC 7489 §6.6.3) and evaluation: the
// tree walk's names, Organizational Domain selection, the Appendix B.4
// query sequences, policy choice (p / sp / np, t=y, pct) and the report
// destination check. conformance/vectors/dmarc/ holds the catalogue cases.

#include "dmarc/eval.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spf/zone.h"

namespace mxconform::dmarc {
namespace {

std::vector<std::string> Keys(const std::vector<DnsQuery>& qs) {
  std::vector<std::string> k;
  for (const auto& q : qs) {
    k.push_back(q.Key());
  }
  return k;
}

struct World {
  World() { zone.SetEmptyNonTerminals(true); }
  void Txt(const std::string& name, const std::string& text) { zone.AddTxt(name, text); }
  EvalResult Eval(const std::string& from, Mode mode = Mode::kBis) {
    EvalInput in;
    in.from_domain = from;
    in.spf = spf;
    in.dkim = dkim;
    in.discovery.mode = mode;
    in.discovery.tree_walk_labels = labels;
    if (draw >= 0) {
      const double d = draw;
      in.random = [d] { return d; };
    }
    return Evaluate(in, zone);
  }
  spf::ZoneResolver zone;
  std::optional<AuthIdentifier> spf;
  std::vector<AuthIdentifier> dkim;
  int labels = 8;
  double draw = -1;
};

TEST(DmarcWalk, NamesFollowTheEightSevenShortcut) {
  spf::ZoneResolver z;
  DmarcLookups l(z, DiscoveryOptions{});
  // RFC 9989 App. B.4: 13 labels -> the 7-label name, then one label less.
  EXPECT_EQ(l.WalkNames("a.b.c.d.e.f.g.h.i.j.k.example.com"),
            (std::vector<std::string>{"a.b.c.d.e.f.g.h.i.j.k.example.com", "g.h.i.j.k.example.com",
                                      "h.i.j.k.example.com", "i.j.k.example.com", "j.k.example.com",
                                      "k.example.com", "example.com", "com"}));
  // DMB-4.10.1-02: 9 and 8 labels both go to 7 next; 7 goes to 6.
  EXPECT_EQ(l.WalkNames("a.b.c.d.e.f.g.h.com")[1], "c.d.e.f.g.h.com");
  EXPECT_EQ(l.WalkNames("b.c.d.e.f.g.h.com")[1], "c.d.e.f.g.h.com");
  EXPECT_EQ(l.WalkNames("c.d.e.f.g.h.com")[1], "d.e.f.g.h.com");
  EXPECT_EQ(l.WalkNames("com"), std::vector<std::string>{"com"});
  EXPECT_TRUE(l.WalkNames("").empty());
  // D-A6: the early drafts' 5/4 shortcut.
  DmarcLookups five(z, DiscoveryOptions{Mode::kBis, 5});
  EXPECT_EQ(five.WalkNames("a.b.c.d.e.f.com"),
            (std::vector<std::string>{"a.b.c.d.e.f.com", "d.e.f.com", "e.f.com", "f.com", "com"}));
}

TEST(DmarcWalk, LabelHelpers) {
  EXPECT_EQ(LabelCount("a.b.c"), 3);
  EXPECT_EQ(LabelCount(""), 0);
  EXPECT_EQ(LastLabels("a.b.c", 2), "b.c");
  EXPECT_EQ(LastLabels("a.b.c", 5), "a.b.c");
}

TEST(DmarcEval, AppendixB4FirstExampleWalksToTheTop) {
  World w;
  w.Txt("_dmarc.mail.example.com", "v=DMARC1; p=quarantine");
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject");
  EvalResult r = w.Eval("a.mail.example.com");
  EXPECT_EQ(Keys(r.queries), (std::vector<std::string>{
                                 "TXT _dmarc.a.mail.example.com", "TXT _dmarc.mail.example.com",
                                 "TXT _dmarc.example.com", "TXT _dmarc.com"}));
  EXPECT_EQ(r.org_domain, "example.com");
  EXPECT_EQ(r.policy_domain, "example.com");  // DMB-4.10.1-01: the Org Domain's record
  EXPECT_EQ(r.result, DmarcResult::kFail);
}

TEST(DmarcEval, AppendixB4PsdNoStopsTheWalk) {
  World w;
  w.Txt("_dmarc.mail.example.com", "v=DMARC1; p=reject; psd=n");
  w.Txt("_dmarc.example.com", "v=DMARC1; p=none");
  EvalResult r = w.Eval("a.mail.example.com");
  EXPECT_EQ(Keys(r.queries), (std::vector<std::string>{"TXT _dmarc.a.mail.example.com",
                                                       "TXT _dmarc.mail.example.com"}));
  EXPECT_EQ(r.org_domain, "mail.example.com");
  EXPECT_EQ(r.policy, Disposition::kReject);
}

TEST(DmarcEval, AppendixB4PsdYesAtTheTld) {
  World w;
  w.Txt("_dmarc.com", "v=DMARC1; p=reject; psd=y");
  EvalResult r = w.Eval("a.mail.example.com");
  EXPECT_EQ(r.queries.size(), 4u);
  EXPECT_EQ(r.org_domain, "example.com");
  EXPECT_EQ(r.policy_domain, "com");  // no Org Domain record: the PSD's
}

TEST(DmarcEval, AppendixB4ThirteenLabels) {
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject");
  EvalResult r = w.Eval("a.b.c.d.e.f.g.h.i.j.k.example.com");
  EXPECT_EQ(r.queries.size(), 8u);
  EXPECT_EQ(r.queries[1].name, "_dmarc.g.h.i.j.k.example.com");
  EXPECT_EQ(r.org_domain, "example.com");
}

TEST(DmarcEval, AppendixB4BankPsd) {
  World w;
  w.Txt("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y");
  w.Txt("_dmarc.giant.bank.example", "v=DMARC1; p=reject");
  w.spf = AuthIdentifier{AuthResult::kPass, "mail.giant.bank.example"};
  w.dkim = {AuthIdentifier{AuthResult::kPass, "mail.mega.bank.example"}};
  EvalResult r = w.Eval("giant.bank.example");
  EXPECT_EQ(r.result, DmarcResult::kPass);
  EXPECT_TRUE(r.spf_aligned);
  EXPECT_FALSE(r.dkim_aligned);
  EXPECT_EQ(r.org_domain, "giant.bank.example");
  EXPECT_EQ(r.spf_org_domain, "giant.bank.example");
  EXPECT_EQ(r.dkim_org_domains[0], "mega.bank.example");
}

TEST(DmarcEval, AuthorRecordAndNothingToAlignIsOneQuery) {
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject");
  w.dkim = {AuthIdentifier{AuthResult::kPass, "EXAMPLE.com"}};  // DMB-4.4-01
  EvalResult r = w.Eval("example.COM");
  EXPECT_EQ(Keys(r.queries), std::vector<std::string>{"TXT _dmarc.example.com"});
  EXPECT_EQ(r.result, DmarcResult::kPass);
  EXPECT_TRUE(r.existence_queries.empty());
  EXPECT_EQ(r.policy_source, PolicySource::kP);
}

// The author is compared in A-labels; so are the identifiers, whichever
// form they come in (an SMTPUTF8 sender's SPF domain may be U-labels).
TEST(DmarcEval, IdentifiersInULabelsAlignWithTheAuthor) {
  for (const Mode mode : {Mode::kBis, Mode::k7489}) {
    World w;
    w.Txt("_dmarc.xn--bcher-kva.example", "v=DMARC1; p=reject; aspf=s; adkim=s");
    w.spf = AuthIdentifier{AuthResult::kPass,
                           "b\xc3\xbc"
                           "cher.example"};
    EvalResult spf = w.Eval(
        "b\xc3\xbc"
        "cher.example",
        mode);
    EXPECT_EQ(spf.result, DmarcResult::kPass);
    EXPECT_TRUE(spf.spf_aligned);
    ASSERT_FALSE(spf.identifiers.empty());
    EXPECT_EQ(spf.identifiers[0].domain, "xn--bcher-kva.example");
    w.spf.reset();
    w.dkim = {AuthIdentifier{AuthResult::kPass,
                             "B\xc3\xbc"
                             "cher.EXAMPLE"}};
    EvalResult dkim = w.Eval("xn--bcher-kva.example", mode);
    EXPECT_EQ(dkim.result, DmarcResult::kPass);
    EXPECT_TRUE(dkim.dkim_aligned);
    // A domain that is no name is compared as given, and aligns with nothing.
    w.dkim = {AuthIdentifier{AuthResult::kPass, "x..example"}};
    EXPECT_EQ(w.Eval("xn--bcher-kva.example", mode).result, DmarcResult::kFail);
  }
}

TEST(DmarcEval, SeveralRecordsAtOneNameByMode) {
  World w;
  w.Txt("_dmarc.a.example.com", "v=DMARC1; p=none");
  w.Txt("_dmarc.a.example.com", "v=DMARC1; p=reject");
  w.Txt("_dmarc.example.com", "v=DMARC1; p=quarantine");
  w.zone.AddA("a.example.com", spf::IpAddress::V4(192, 0, 2, 1));
  // D23: bis discards both and walks on; 7489 ends discovery.
  EvalResult bis = w.Eval("a.example.com");
  EXPECT_EQ(bis.policy_domain, "example.com");
  EXPECT_EQ(bis.policy, Disposition::kQuarantine);  // sp absent: p's value
  EXPECT_EQ(bis.policy_source, PolicySource::kSp);
  EvalResult old = w.Eval("a.example.com", Mode::k7489);
  EXPECT_EQ(old.result, DmarcResult::kNone);
  EXPECT_EQ(old.queries.size(), 1u);
}

TEST(DmarcEval, NonExistentSubdomainUsesNp) {
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=none; sp=quarantine; np=reject");
  w.zone.AddA("exists.example.com", spf::IpAddress::V4(192, 0, 2, 1));
  w.zone.AddTxt("nodata.example.com", "unrelated");
  EvalResult nx = w.Eval("nx.example.com");
  EXPECT_EQ(Keys(nx.existence_queries), std::vector<std::string>{"A nx.example.com"});
  EXPECT_EQ(nx.policy, Disposition::kReject);
  EXPECT_EQ(nx.policy_source, PolicySource::kNp);
  EXPECT_EQ(nx.disposition, Disposition::kReject);
  EXPECT_EQ(w.Eval("exists.example.com").policy_source, PolicySource::kSp);
  // DMB-3.2.13-01: NODATA is not non-existence in bis mode...
  EXPECT_EQ(w.Eval("nodata.example.com").policy_source, PolicySource::kSp);
  // ...but RFC 9091 (7489 mode) counts no A, AAAA and MX as non-existent.
  EvalResult old = w.Eval("nodata.example.com", Mode::k7489);
  EXPECT_EQ(Keys(old.existence_queries),
            (std::vector<std::string>{"A nodata.example.com", "AAAA nodata.example.com",
                                      "MX nodata.example.com"}));
  EXPECT_EQ(old.policy_source, PolicySource::kNp);
}

// A DNS error on the existence check leaves sp and np both possible: the
// milder applies, so the error never makes the policy stricter than either
// reading (DMB-4.10.1-06). sp on a tie.
TEST(DmarcEval, ExistenceCheckFailingTakesTheMilderOfSpAndNp) {
  for (const Mode mode : {Mode::kBis, Mode::k7489}) {
    World w;
    w.Txt("_dmarc.example.com", "v=DMARC1; p=none; sp=reject; np=quarantine");
    w.zone.SetServfail("fail.example.com");
    w.zone.SetTimeout("slow.example.com");
    for (const char* from : {"fail.example.com", "slow.example.com"}) {
      EvalResult r = w.Eval(from, mode);
      EXPECT_TRUE(r.existence_unknown) << from;
      EXPECT_TRUE(r.author_exists) << from;
      EXPECT_EQ(r.policy, Disposition::kQuarantine) << from;
      EXPECT_EQ(r.policy_source, PolicySource::kNp) << from;
      EXPECT_EQ(r.disposition, Disposition::kQuarantine) << from;
      EXPECT_EQ(Keys(r.existence_queries), std::vector<std::string>{std::string("A ") + from});
    }
    World milder_sp;
    milder_sp.Txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=none; np=reject");
    milder_sp.zone.SetServfail("fail.example.com");
    EvalResult r = milder_sp.Eval("fail.example.com", mode);
    EXPECT_EQ(r.policy, Disposition::kNone);
    EXPECT_EQ(r.policy_source, PolicySource::kSp);
    World tie;
    tie.Txt("_dmarc.example.com", "v=DMARC1; p=reject");
    tie.zone.SetServfail("fail.example.com");
    EXPECT_EQ(tie.Eval("fail.example.com", mode).policy_source, PolicySource::kSp);
  }
  // 7489: an error on AAAA or MX, after A said NODATA, leaves it open too.
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=none; sp=reject; np=quarantine");
  w.zone.AddTxt("nodata.example.com", "unrelated");
  w.zone.SetTimeoutWhereEmpty("nodata.example.com");
  EvalResult r = w.Eval("nodata.example.com", Mode::k7489);
  EXPECT_TRUE(r.existence_unknown);
  EXPECT_EQ(r.policy, Disposition::kQuarantine);
  EXPECT_EQ(Keys(r.existence_queries), std::vector<std::string>{"A nodata.example.com"});
  // A plain answer is no error: sp, as before.
  World ok;
  ok.Txt("_dmarc.example.com", "v=DMARC1; p=none; sp=reject; np=quarantine");
  ok.zone.AddA("host.example.com", spf::IpAddress::V4(192, 0, 2, 1));
  EvalResult fine = ok.Eval("host.example.com");
  EXPECT_FALSE(fine.existence_unknown);
  EXPECT_EQ(fine.policy, Disposition::kReject);
}

TEST(DmarcEval, TestingModeLowersOneLevel) {
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject; t=y");
  EXPECT_EQ(w.Eval("example.com").disposition, Disposition::kQuarantine);
  // 7489 does not know t (D18).
  EXPECT_EQ(w.Eval("example.com", Mode::k7489).disposition, Disposition::kReject);
}

TEST(DmarcEval, PctSamplingIsDeterministic) {
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=50");
  w.draw = 0.3;
  EXPECT_EQ(w.Eval("example.com", Mode::k7489).disposition, Disposition::kReject);
  w.draw = 0.7;
  EvalResult out = w.Eval("example.com", Mode::k7489);
  EXPECT_FALSE(out.sampled);
  EXPECT_EQ(out.disposition, Disposition::kQuarantine);                            // DM7-6.6.4-02
  EXPECT_EQ(w.Eval("example.com", Mode::kBis).disposition, Disposition::kReject);  // D9
}

TEST(DmarcEval, TempErrors) {
  World w;
  w.zone.SetServfail("_dmarc.example.com");
  EXPECT_EQ(w.Eval("example.com").result, DmarcResult::kTempError);
  World v;
  v.Txt("_dmarc.example.com", "v=DMARC1; p=reject");
  v.spf = AuthIdentifier{AuthResult::kFail, "example.com"};
  v.dkim = {AuthIdentifier{AuthResult::kTempError, "example.com"}};
  EvalResult r = v.Eval("example.com");
  EXPECT_EQ(r.result, DmarcResult::kTempError);  // DM7-6.6.2-03
  EXPECT_EQ(r.disposition, Disposition::kNone);
  // A temperror that could not align does not stop a fail.
  v.dkim = {AuthIdentifier{AuthResult::kTempError, "other.example"}};
  EXPECT_EQ(v.Eval("example.com").result, DmarcResult::kFail);
}

// Found by dmarc_discovery_fuzzer: the author's own record applies even
// when the walk for its Org Domain times out; only identifiers that needed
// that Org Domain are affected.
TEST(DmarcEval, OwnRecordSurvivesAFailedOrgWalk) {
  World w;
  w.Txt("_dmarc.mail.example.com", "v=DMARC1; p=reject");
  w.zone.SetTimeout("_dmarc.example.com");
  w.dkim = {AuthIdentifier{AuthResult::kPass, "mail.example.com"},
            AuthIdentifier{AuthResult::kPass, "other.example.com"}};
  EvalResult r = w.Eval("mail.example.com");
  EXPECT_EQ(r.result, DmarcResult::kPass);
  EXPECT_EQ(r.policy_domain, "mail.example.com");
  w.dkim = {AuthIdentifier{AuthResult::kPass, "other.example.com"}};
  EXPECT_EQ(w.Eval("mail.example.com").result, DmarcResult::kTempError);
}

// DM7-6.6.2-01, DMB-5.3.3-01: the result keeps each identifier with its
// result, domain (and DKIM selector) and whether it aligns, for reports.
TEST(DmarcEval, TheResultKeepsEveryIdentifier) {
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s");
  w.spf = AuthIdentifier{AuthResult::kPass, "Bounce.Example.com"};
  w.dkim = {AuthIdentifier{AuthResult::kPass, "mail.example.com", "s2026"},
            AuthIdentifier{AuthResult::kFail, "example.com", "old"},
            AuthIdentifier{AuthResult::kPass, "example.com", "new"},
            AuthIdentifier{AuthResult::kNone, "example.com"}};
  EvalResult r = w.Eval("example.com");
  EXPECT_EQ(r.result, DmarcResult::kPass);
  std::vector<std::string> texts;
  for (const auto& o : r.identifiers) {
    texts.push_back(o.Text());
  }
  // Relaxed SPF, strict DKIM; a failing signature is not aligned at all.
  EXPECT_EQ(texts, (std::vector<std::string>{"spf pass bounce.example.com aligned",
                                             "dkim pass mail.example.com s=s2026 unaligned",
                                             "dkim fail example.com s=old unchecked",
                                             "dkim pass example.com s=new aligned",
                                             "dkim none example.com unchecked"}));
  // No record applies: nothing was aligned, nothing is kept.
  World none;
  none.dkim = {AuthIdentifier{AuthResult::kPass, "example.com", "s"}};
  EXPECT_TRUE(none.Eval("example.com").identifiers.empty());
}

// Found by dmarc_discovery_fuzzer: a d= with a NUL must not align through
// the PSL's C-string view of it.
TEST(DmarcEval, IdentifierWithNulNeverAligns) {
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject");
  w.dkim = {AuthIdentifier{AuthResult::kPass, std::string("x.example.com\0.attacker.net", 27)}};
  for (Mode m : {Mode::kBis, Mode::k7489}) {
    EvalResult r = w.Eval("example.com", m);
    EXPECT_EQ(r.result, DmarcResult::kFail) << ModeName(m);
    EXPECT_FALSE(r.dkim_aligned);
  }
  EXPECT_EQ(PublicSuffixList::Default().OrgDomain(std::string("a.b.example.com\0x", 17)),
            std::string("a.b.example.com\0x", 17));
}

TEST(DmarcEval, NoRecordUnusableRecordAndBadFrom) {
  World w;
  EXPECT_EQ(w.Eval("example.com").result, DmarcResult::kNone);
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=bogus");
  EXPECT_EQ(w.Eval("example.com").result, DmarcResult::kPermError);  // D8
  EvalResult bad = w.Eval("not a domain..");
  EXPECT_EQ(bad.result, DmarcResult::kNone);
  ASSERT_FALSE(bad.diagnostics.empty());
  EXPECT_EQ(bad.diagnostics[0].id, "dmarc.from.invalid");
}

TEST(DmarcEval, SevenFourEightNineUsesThePublicSuffixList) {
  World w;
  w.Txt("_dmarc.example.co.uk", "v=DMARC1; p=reject");
  w.dkim = {AuthIdentifier{AuthResult::kPass, "mail.example.co.uk"}};
  EvalResult r = w.Eval("a.b.example.co.uk", Mode::k7489);
  EXPECT_EQ(r.org_domain, "example.co.uk");  // DM7-3.2-01
  EXPECT_EQ(Keys(r.queries),
            (std::vector<std::string>{"TXT _dmarc.a.b.example.co.uk", "TXT _dmarc.example.co.uk"}));
  EXPECT_TRUE(r.dkim_aligned);
  EXPECT_EQ(PublicSuffixList::Default().OrgDomain("co.uk"), "co.uk");  // D-A2
}

TEST(DmarcEval, AuthenticationResultsFragment) {
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject");
  EXPECT_EQ(w.Eval("example.com").AuthenticationResults(),
            "dmarc=fail (p=reject dis=reject) header.from=example.com policy.dmarc=reject");
  // A subdomain under the parent's record: the registered properties only
  // (RFC 9989 §9.1), the record's domain in the comment; t=y lowers the
  // policy shown.
  w.Txt("_dmarc.t.example", "v=DMARC1; p=reject; t=y");
  w.zone.AddA("a.t.example", spf::IpAddress::V4(192, 0, 2, 1));
  EXPECT_EQ(w.Eval("a.t.example").AuthenticationResults(),
            "dmarc=fail (p=quarantine dis=quarantine from _dmarc.t.example) "
            "header.from=a.t.example policy.dmarc=quarantine");
  // No record: no policy.
  EXPECT_EQ(w.Eval("none.example").AuthenticationResults(), "dmarc=none header.from=none.example");
}

TEST(DmarcReports, ExternalDestinationsNeedAuthorization) {
  spf::ZoneResolver z;
  z.SetEmptyNonTerminals(true);
  z.AddTxt("example.com._report._dmarc.ok.example", "v=DMARC1");
  z.AddTxt("example.com._report._dmarc.over.example", "v=DMARC1; rua=mailto:other@over.example");
  z.AddTxt("example.com._report._dmarc.away.example", "v=DMARC1; rua=mailto:x@elsewhere.example");
  z.AddTxt("example.com._report._dmarc.spf.example", "v=spf1 -all");
  Record rec = *ParseRecord(
      "v=DMARC1; p=none; rua=mailto:own@example.com,mailto:a@ok.example,mailto:b@over.example,"
      "mailto:c@away.example,mailto:d@spf.example,https://r.example/x");
  DmarcLookups l(z, DiscoveryOptions{Mode::k7489, 8});
  ReportCheck c = CheckReportDestinations(rec, "example.com", l);
  EXPECT_EQ(c.destinations,
            (std::vector<std::string>{"mailto:own@example.com", "mailto:a@ok.example",
                                      "mailto:other@over.example"}));
  EXPECT_EQ(Keys(c.queries),
            (std::vector<std::string>{"TXT example.com._report._dmarc.ok.example",
                                      "TXT example.com._report._dmarc.over.example",
                                      "TXT example.com._report._dmarc.away.example",
                                      "TXT example.com._report._dmarc.spf.example"}));
  // DMB-R4-02: a name too long for DNS is never asked.
  const std::string longdom(240, 'a');
  ReportCheck none = CheckReportDestinations(rec, longdom + ".example", l);
  EXPECT_TRUE(none.queries.empty());
  EXPECT_TRUE(c.retry.empty());
}

// DMB-R4-03: a temporary error on the authorization query decides nothing:
// the URI is no destination now and is listed for a retry; a definite
// absence (NXDOMAIN) is not.
TEST(DmarcReports, TemporaryErrorsAreRetriedNotRefused) {
  spf::ZoneResolver z;
  z.SetServfail("example.com._report._dmarc.fail.example");
  z.SetTimeout("example.com._report._dmarc.slow.example");
  Record rec = *ParseRecord(
      "v=DMARC1; p=none; rua=mailto:a@fail.example,mailto:b@slow.example,mailto:c@gone.example");
  DmarcLookups l(z, DiscoveryOptions{Mode::k7489, 8});
  ReportCheck c = CheckReportDestinations(rec, "example.com", l);
  EXPECT_TRUE(c.destinations.empty());
  EXPECT_EQ(c.retry, (std::vector<std::string>{"mailto:a@fail.example", "mailto:b@slow.example"}));
  EXPECT_EQ(c.queries.size(), 3u);
}

// DMB-R4-03 again: a temporary error while walking to the rua host's
// Organizational Domain leaves undecided whether it is external; the URI
// is retried, not refused after a _report._dmarc query that cannot find it.
TEST(DmarcReports, ATemporaryErrorInTheOrgWalkIsRetried) {
  spf::ZoneResolver z;
  z.AddTxt("_dmarc.example.com", "v=DMARC1; p=reject");
  z.SetTimeout("_dmarc.reports.example.com");
  z.AddTxt("example.com._report._dmarc.third.example.net", "v=DMARC1");
  Record rec = *ParseRecord(
      "v=DMARC1; p=reject; rua=mailto:r@reports.example.com,mailto:x@third.example.net");
  DmarcLookups l(z, DiscoveryOptions{Mode::kBis, 8});
  ReportCheck c = CheckReportDestinations(rec, "example.com", l);
  EXPECT_EQ(c.destinations, (std::vector<std::string>{"mailto:x@third.example.net"}));
  EXPECT_EQ(c.retry, (std::vector<std::string>{"mailto:r@reports.example.com"}));
  EXPECT_EQ(Keys(c.queries),
            (std::vector<std::string>{"TXT example.com._report._dmarc.third.example.net"}));
}

// Several From domains (DM7-6.6.1-02, DMB-5.3.1-02).
struct Authors : World {
  Authors() {
    Txt("_dmarc.a.example", "v=DMARC1; p=none");
    Txt("_dmarc.b.example", "v=DMARC1; p=reject");
    Txt("_dmarc.c.example", "v=DMARC1; p=quarantine");
    Txt("_dmarc.d.example", "v=DMARC1; p=reject");
    zone.AddA("a.example", *spf::ParseIp4("192.0.2.1"));
    zone.AddA("b.example", *spf::ParseIp4("192.0.2.2"));
    zone.AddA("c.example", *spf::ParseIp4("192.0.2.3"));
    zone.AddA("d.example", *spf::ParseIp4("192.0.2.4"));
  }
  MultiEvalResult Eval(const std::vector<std::string>& from, Mode mode,
                       MultiAuthorOptions opts = {}) {
    EvalInput in;
    in.spf = spf;
    in.dkim = dkim;
    in.discovery.mode = mode;
    return EvaluateAuthors(from, in, zone, opts);
  }
};

std::vector<std::string> AuthorDomains(const MultiEvalResult& r) {
  std::vector<std::string> d;
  for (const auto& a : r.authors) {
    d.push_back(a.author_domain);
  }
  return d;
}

TEST(DmarcAuthors, In7489TheStrictestFailingPolicyApplies) {
  Authors w;
  const MultiEvalResult r = w.Eval({"a.example", "b.example", "c.example"}, Mode::k7489);
  EXPECT_FALSE(r.exempt);
  EXPECT_EQ(AuthorDomains(r), (std::vector<std::string>{"a.example", "b.example", "c.example"}));
  EXPECT_EQ(r.result, DmarcResult::kFail);
  EXPECT_EQ(r.disposition, Disposition::kReject);
  ASSERT_TRUE(r.decided_by);
  EXPECT_EQ(*r.decided_by, 1u);
  EXPECT_EQ(r.AuthenticationResults(),
            "dmarc=fail (p=none dis=none) header.from=a.example policy.dmarc=none; dmarc=fail "
            "(p=reject dis=reject) header.from=b.example policy.dmarc=reject; dmarc=fail "
            "(p=quarantine dis=quarantine) header.from=c.example policy.dmarc=quarantine");
}

TEST(DmarcAuthors, APassingDomainDoesNotCoverAFailingOne) {
  Authors w;
  w.dkim = {{AuthResult::kPass, "b.example"}};
  MultiEvalResult r = w.Eval({"B.Example", "c.example"}, Mode::k7489);
  EXPECT_EQ(r.authors.at(0).result, DmarcResult::kPass);
  EXPECT_EQ(r.result, DmarcResult::kFail);
  EXPECT_EQ(r.disposition, Disposition::kQuarantine);
  // Every domain passing is a pass.
  w.dkim.push_back({AuthResult::kPass, "c.example"});
  r = w.Eval({"b.example", "c.example"}, Mode::k7489);
  EXPECT_EQ(r.result, DmarcResult::kPass);
  EXPECT_FALSE(r.decided_by);
}

TEST(DmarcAuthors, InBisSeveralDomainsAreExemptUnlessAskedToEvaluateEach) {
  Authors w;
  MultiEvalResult r = w.Eval({"a.example", "b.example"}, Mode::kBis);
  EXPECT_TRUE(r.exempt);
  EXPECT_EQ(r.result, DmarcResult::kNone);
  EXPECT_TRUE(r.authors.empty());  // not a single query
  EXPECT_NE(r.reason.find("exempt"), std::string::npos) << r.reason;
  r = w.Eval({"a.example", "b.example"}, Mode::kBis, {MultiAuthorRule::kStrictest, 10});
  EXPECT_EQ(r.result, DmarcResult::kFail);
  EXPECT_EQ(r.disposition, Disposition::kReject);
  // And 7489 mode can be told to exempt them too.
  r = w.Eval({"a.example", "b.example"}, Mode::k7489, {MultiAuthorRule::kExempt, 10});
  EXPECT_TRUE(r.exempt);
}

TEST(DmarcAuthors, OneDistinctDomainIsAPlainEvaluation) {
  Authors w;
  // Compared without case: one domain, so bis mode evaluates it.
  const MultiEvalResult one = w.Eval({"b.example", "B.EXAMPLE", "b.example"}, Mode::kBis);
  EXPECT_FALSE(one.exempt);
  ASSERT_EQ(one.authors.size(), 1u);
  const EvalResult plain = w.World::Eval("b.example");
  EXPECT_EQ(one.result, plain.result);
  EXPECT_EQ(one.disposition, plain.disposition);
  EXPECT_EQ(one.reason, plain.reason);
  EXPECT_EQ(Keys(one.authors[0].queries), Keys(plain.queries));
}

TEST(DmarcEval, TheReasonCitesTheModesOwnRfc) {
  World w;
  w.Txt("_dmarc.example.com", "v=DMARC1; p=reject");
  w.dkim = {{AuthResult::kPass, "example.com"}};
  EXPECT_NE(w.Eval("example.com", Mode::kBis).reason.find("(RFC 9989 §4.4.1)"), std::string::npos);
  EXPECT_NE(w.Eval("example.com", Mode::k7489).reason.find("(RFC 7489 §3.1.1, §4.2)"),
            std::string::npos);
  w.dkim.clear();
  EXPECT_NE(w.Eval("example.com", Mode::k7489).reason.find("(RFC 7489 §4.2, §6.6.2)"),
            std::string::npos);
  EXPECT_NE(w.Eval("not a domain", Mode::k7489).reason.find("(RFC 7489 §6.6.1)"),
            std::string::npos);
}

TEST(DmarcAuthors, RuleNames) {
  EXPECT_EQ(ParseMultiAuthorRule("by-mode"), MultiAuthorRule::kByMode);
  EXPECT_EQ(ParseMultiAuthorRule("strictest"), MultiAuthorRule::kStrictest);
  EXPECT_EQ(ParseMultiAuthorRule("exempt"), MultiAuthorRule::kExempt);
  EXPECT_FALSE(ParseMultiAuthorRule("Strictest"));
  EXPECT_FALSE(ParseMultiAuthorRule(""));
}

TEST(DmarcAuthors, NoDomainGivesNoResult) {
  Authors w;
  const MultiEvalResult r = w.Eval({}, Mode::k7489);
  EXPECT_EQ(r.result, DmarcResult::kNone);
  EXPECT_TRUE(r.authors.empty());
}

TEST(DmarcAuthors, PastTheCapTheEvaluationIsIncomplete) {
  Authors w;
  w.dkim = {{AuthResult::kPass, "a.example"}, {AuthResult::kPass, "b.example"}};
  // The two evaluated pass; the third is not evaluated: no verdict.
  MultiEvalResult r =
      w.Eval({"a.example", "b.example", "d.example"}, Mode::k7489, {MultiAuthorRule::kByMode, 2});
  EXPECT_EQ(AuthorDomains(r), (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(r.skipped, std::vector<std::string>{"d.example"});
  EXPECT_EQ(r.result, DmarcResult::kNone);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].id, "dmarc.from.incomplete");
  // A failure among those evaluated is a failure whatever the rest says.
  r = w.Eval({"c.example", "a.example", "d.example"}, Mode::k7489, {MultiAuthorRule::kByMode, 2});
  EXPECT_EQ(r.result, DmarcResult::kFail);
  EXPECT_EQ(r.disposition, Disposition::kQuarantine);
}

TEST(DmarcAuthors, AnErrorOutranksPassButNotFail) {
  Authors w;
  w.zone.SetTimeout("_dmarc.e.example");
  w.dkim = {{AuthResult::kPass, "a.example"}};
  MultiEvalResult r = w.Eval({"a.example", "e.example"}, Mode::k7489);
  EXPECT_EQ(r.result, DmarcResult::kTempError);
  r = w.Eval({"a.example", "e.example", "b.example"}, Mode::k7489);
  EXPECT_EQ(r.result, DmarcResult::kFail);
  EXPECT_EQ(r.disposition, Disposition::kReject);
}

}  // namespace
}  // namespace mxconform::dmarc
