#include "spf/record.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace mxconform::spf {
namespace {

const RecordParseOptions kGeneral{.fast_paths = false};

// "ok", or the errors as "id@offset", space-separated. Checks on the way
// that the fast and general paths agree and that the Result wrapper does.
std::string Summary(std::string_view rec) {
  Record fast;
  Record general;
  const bool ok = ParseRecordInto(rec, fast);
  EXPECT_EQ(ParseRecordInto(rec, general, kGeneral), ok) << rec;
  EXPECT_EQ(fast.mechanisms, general.mechanisms) << rec;
  EXPECT_EQ(fast.redirect, general.redirect) << rec;
  EXPECT_EQ(fast.explanation, general.explanation) << rec;
  EXPECT_EQ(fast.unknown, general.unknown) << rec;
  EXPECT_EQ(fast.first_all, general.first_all) << rec;
  EXPECT_EQ(fast.dns_terms, general.dns_terms) << rec;
  EXPECT_EQ(fast.diagnostics.size(), general.diagnostics.size()) << rec;
  EXPECT_EQ(ParseRecord(rec).ok(), ok);
  std::string out;
  for (const auto& d : fast.diagnostics) {
    EXPECT_LE(d.offset, rec.size()) << rec;
    if (!d.IsError()) {
      continue;
    }
    if (!out.empty()) {
      out += ' ';
    }
    out += std::string(d.id) + "@" + std::to_string(d.offset);
  }
  EXPECT_EQ(ok, out.empty()) << rec;
  return ok ? "ok" : out;
}

Record Parse(std::string_view rec) {
  Record r;
  EXPECT_TRUE(ParseRecordInto(rec, r))
      << rec << ": " << (r.diagnostics.empty() ? "" : r.diagnostics[0].id);
  return r;
}

TEST(RecordTest, IsSpfRecord) {
  // §4.5 (SPF-4.5-01; S3, S4).
  EXPECT_TRUE(IsSpfRecord("v=spf1"));
  EXPECT_TRUE(IsSpfRecord("v=spf1 -all"));
  EXPECT_TRUE(IsSpfRecord("V=SPF1 -all"));
  EXPECT_TRUE(IsSpfRecord("v=SpF1 ~all"));
  EXPECT_FALSE(IsSpfRecord("v=spf10"));
  EXPECT_FALSE(IsSpfRecord("v=spf1-all"));
  EXPECT_FALSE(IsSpfRecord("v=spf1\t-all"));
  EXPECT_FALSE(IsSpfRecord("v=spf"));
  EXPECT_FALSE(IsSpfRecord(" v=spf1"));
  EXPECT_FALSE(IsSpfRecord("spf1 -all"));
  EXPECT_FALSE(IsSpfRecord("v=spf2 -all"));
  EXPECT_FALSE(IsSpfRecord(""));
}

TEST(RecordTest, SelectRecord) {
  // §4.5 (S1, S2).
  using Rrs = std::vector<std::string>;
  auto pick = [](const Rrs& rrs) {
    auto r = SelectRecord(rrs);
    return r.ok() ? std::to_string(*r) : std::string(r.error().id);
  };
  EXPECT_EQ(pick(Rrs{}), "spf.record.none");
  EXPECT_EQ(pick(Rrs{"google-site-verification=x", "v=spf10 -all"}), "spf.record.none");
  EXPECT_EQ(pick(Rrs{"v=spf1 -all"}), "0");
  EXPECT_EQ(pick(Rrs{"\x96", "V=SPF1 ~all"}), "1");  // other RRs may hold anything
  EXPECT_EQ(pick(Rrs{"v=spf1 -all", "v=spf1 -all"}), "spf.record.multiple");  // even identical
  EXPECT_EQ(pick(Rrs{"v=spf1 -all", "x", "V=sPf1 +all"}), "spf.record.multiple");
  EXPECT_EQ(pick(Rrs{"v=spf10", "v=spf1 mx"}), "1");  // nospace2
  EXPECT_EQ(pick(Rrs{"v=spf1", "v=spf1 mx"}), "spf.record.multiple");
}

TEST(RecordTest, FullRecord) {
  const Record r = Parse(
      "v=spf1 +a:foo.example.com/24//64 -mx ~ip4:192.0.2.0/24 ?ip6:2001:db8::/32 "
      "include:_spf.example.com exists:%{ir}.%{v}._spf.%{d} ptr:example.org -all "
      "redirect=_spf.example.net exp=explain.%{d} foo=bar");
  ASSERT_EQ(r.mechanisms.size(), 8u);
  const Mechanism& a = r.mechanisms[0];
  EXPECT_EQ(a.kind, MechanismKind::kA);
  EXPECT_EQ(a.qualifier, Qualifier::kPass);
  EXPECT_TRUE(a.explicit_qualifier);
  EXPECT_EQ(r.View(a.term), "+a:foo.example.com/24//64");
  EXPECT_EQ(r.View(a.domain_spec), "foo.example.com");
  EXPECT_TRUE(a.has_cidr4 && a.has_cidr6);
  EXPECT_EQ(a.cidr4, 24);
  EXPECT_EQ(a.cidr6, 64);
  const Mechanism& mx = r.mechanisms[1];
  EXPECT_EQ(mx.kind, MechanismKind::kMx);
  EXPECT_EQ(mx.qualifier, Qualifier::kFail);
  EXPECT_TRUE(mx.domain_spec.empty());
  EXPECT_FALSE(mx.has_cidr4 || mx.has_cidr6);
  EXPECT_EQ(mx.cidr4, 32);
  EXPECT_EQ(mx.cidr6, 128);
  const Mechanism& ip4 = r.mechanisms[2];
  EXPECT_EQ(ip4.kind, MechanismKind::kIp4);
  EXPECT_EQ(ip4.qualifier, Qualifier::kSoftFail);
  EXPECT_EQ(ip4.network, IpAddress::V4(192, 0, 2, 0));
  EXPECT_TRUE(ip4.has_cidr4);
  EXPECT_EQ(ip4.cidr4, 24);
  const Mechanism& ip6 = r.mechanisms[3];
  EXPECT_EQ(ip6.kind, MechanismKind::kIp6);
  EXPECT_EQ(ip6.qualifier, Qualifier::kNeutral);
  EXPECT_EQ(ip6.network, *ParseIp6("2001:db8::"));
  EXPECT_TRUE(ip6.has_cidr6);
  EXPECT_FALSE(ip6.has_cidr4);
  EXPECT_EQ(ip6.cidr6, 32);
  EXPECT_EQ(r.mechanisms[4].kind, MechanismKind::kInclude);
  EXPECT_FALSE(r.mechanisms[4].explicit_qualifier);
  EXPECT_EQ(r.View(r.mechanisms[4].domain_spec), "_spf.example.com");
  EXPECT_EQ(r.mechanisms[5].kind, MechanismKind::kExists);
  EXPECT_EQ(r.View(r.mechanisms[5].domain_spec), "%{ir}.%{v}._spf.%{d}");
  EXPECT_EQ(r.mechanisms[6].kind, MechanismKind::kPtr);
  EXPECT_EQ(r.View(r.mechanisms[6].domain_spec), "example.org");
  EXPECT_EQ(r.mechanisms[7].kind, MechanismKind::kAll);
  EXPECT_EQ(r.mechanisms[7].qualifier, Qualifier::kFail);
  ASSERT_TRUE(r.redirect.has_value());
  EXPECT_EQ(r.View(r.redirect->name), "redirect");
  EXPECT_EQ(r.View(r.redirect->value), "_spf.example.net");
  EXPECT_EQ(r.View(r.redirect->term), "redirect=_spf.example.net");
  ASSERT_TRUE(r.explanation.has_value());
  EXPECT_EQ(r.View(r.explanation->value), "explain.%{d}");
  ASSERT_EQ(r.unknown.size(), 1u);
  EXPECT_EQ(r.View(r.unknown[0].name), "foo");
  EXPECT_EQ(r.View(r.unknown[0].value), "bar");
  ASSERT_TRUE(r.first_all.has_value());
  EXPECT_EQ(*r.first_all, 7u);
  // a mx include exists ptr; the redirect is never used (§5.1).
  EXPECT_EQ(r.dns_terms, 5u);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].id, "spf.record.redirect_ignored");
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kInfo);
}

TEST(RecordTest, Version) {
  // §4.5 (S3).
  EXPECT_EQ(Summary("v=spf10 -all"), "spf.record.version@6");
  EXPECT_EQ(Summary("v=spf1include:x.example.com"), "spf.record.version@6");
  EXPECT_EQ(Summary("v=spf1\t-all"), "spf.record.version@6");
  EXPECT_EQ(Summary("spf1 -all"), "spf.record.version@0");
  EXPECT_EQ(Summary("v=spf2 -all"), "spf.record.version@0");
  EXPECT_EQ(Summary(""), "spf.record.version@0");
  // S4, S5, S6.
  EXPECT_EQ(Summary("V=SPF1 -ALL"), "ok");
  EXPECT_EQ(Summary("v=spf1"), "ok");
  EXPECT_EQ(Summary("v=spf1 "), "ok");
  EXPECT_EQ(Summary("v=spf1  a  -all   "), "ok");
  const Record empty = Parse("v=spf1");
  EXPECT_TRUE(empty.mechanisms.empty());
  EXPECT_FALSE(empty.first_all.has_value());
  EXPECT_EQ(empty.dns_terms, 0u);
}

TEST(RecordTest, NamesAreCaseInsensitive) {
  // §4.6.1 (SPF-4.6.1-01).
  const Record r = Parse(
      "V=SPF1 IP4:192.0.2.1 INCLUDE:X.EXAMPLE.COM Exists:Y.Example.Com A MX:M.EXAMPLE PTR "
      "IP6:::1 -ALL REDIRECT=R.EXAMPLE EXP=E.EXAMPLE");
  ASSERT_EQ(r.mechanisms.size(), 8u);
  EXPECT_EQ(r.mechanisms[0].kind, MechanismKind::kIp4);
  EXPECT_EQ(r.mechanisms[1].kind, MechanismKind::kInclude);
  EXPECT_EQ(r.mechanisms[2].kind, MechanismKind::kExists);
  EXPECT_EQ(r.mechanisms[3].kind, MechanismKind::kA);
  EXPECT_EQ(r.mechanisms[4].kind, MechanismKind::kMx);
  EXPECT_EQ(r.mechanisms[5].kind, MechanismKind::kPtr);
  EXPECT_EQ(r.mechanisms[6].kind, MechanismKind::kIp6);
  EXPECT_EQ(r.mechanisms[7].kind, MechanismKind::kAll);
  EXPECT_TRUE(r.redirect.has_value());
  EXPECT_TRUE(r.explanation.has_value());
}

TEST(RecordTest, ControlAndNonAsciiBytes) {
  // S7 (control-char-policy, badip4): terms are separated by SP only.
  EXPECT_EQ(Summary("v=spf1 a:ctrl.example.com\rptr -all"), "spf.record.control_character@25");
  EXPECT_EQ(Summary("v=spf1 ip4:192.0.2.5\n include:spf.protection.outlook.com ~all"),
            "spf.record.control_character@20");
  EXPECT_EQ(Summary("v=spf1 a\t-all"), "spf.record.tab@8");
  EXPECT_EQ(Summary(std::string_view("v=spf1 a:foo.example.com\0", 25)),
            "spf.record.control_character@24");
  EXPECT_EQ(Summary("v=spf1 a\x7f"), "spf.record.control_character@8");
  // S8 (non-ascii-policy, -mech, -result): one error per run of bytes.
  EXPECT_EQ(Summary("v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all"), "spf.record.non_ascii@9");
  EXPECT_EQ(Summary("v=spf1 \x80"
                    "a:example.net -all"),
            "spf.record.non_ascii@7");
  EXPECT_EQ(Summary("v=spf1 a:example.net \x96"
                    "all"),
            "spf.record.non_ascii@21");
  EXPECT_EQ(Summary("v=spf1 include:b\xc3\xbc"
                    "cher.de x\ty"),
            "spf.record.non_ascii@16 spf.record.tab@27");
}

TEST(RecordTest, EveryErrorIsReported) {
  // §4.6 (SPF-4.6-01, S10): a syntax error anywhere, even after "all".
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4 -all moo"), "spf.record.unknown_mechanism@24");
  EXPECT_EQ(Summary("v=spf1 moo ip4:1.2.3 -all/8 exp= a:%{q}.com redirect=a.com redirect=b.com"),
            "spf.record.unknown_mechanism@7 spf.record.bad_ip4@15 spf.record.all_argument@25 "
            "spf.record.empty_domain_spec@32 spf.macro.unknown_letter@37 "
            "spf.record.duplicate_redirect@59");
}

TEST(RecordTest, Modifiers) {
  // §6 (SPF-6-01, 6-02; S11, S12).
  EXPECT_EQ(Summary("v=spf1 redirect=e12.example.com -all redirect=e12.example.com"),
            "spf.record.duplicate_redirect@37");
  EXPECT_EQ(Summary("v=spf1 exp=e13msg.example.com -all exp=e11msg.example.com"),
            "spf.record.duplicate_exp@35");
  EXPECT_EQ(Summary("v=spf1 Redirect=a.example redirect=b.example"),
            "spf.record.duplicate_redirect@26");
  EXPECT_EQ(Summary("v=spf1 default=pass"), "ok");
  EXPECT_EQ(Summary("v=spf1 default=+"), "ok");
  EXPECT_EQ(Summary("v=spf1 foo= bar=baz=qux a=b"), "ok");  // a macro-string may be empty
  EXPECT_EQ(Summary("v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all"), "ok");
  EXPECT_EQ(Summary("v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all"),
            "spf.record.unknown_mechanism@7");
  EXPECT_EQ(Summary("v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all"),
            "spf.record.unknown_mechanism@7");
  EXPECT_EQ(Summary("v=spf1 =all"), "spf.record.bad_modifier_name@7");
  EXPECT_EQ(Summary("v=spf1 1up=foo"), "spf.record.bad_modifier_name@7");
  EXPECT_EQ(Summary("v=spf1 -redirect=foo.com"), "spf.record.bad_modifier_name@7");
  EXPECT_EQ(Summary("v=spf1 _x=1"), "spf.record.bad_modifier_name@7");
  EXPECT_EQ(Summary("v=spf1 a!b=1"), "spf.record.bad_modifier_name@7");
  // An unknown modifier's value is a macro-string (unknown-modifier-syntax).
  EXPECT_EQ(Summary("v=spf1 -all foo=%abc"), "spf.macro.bad_escape@16");
  EXPECT_EQ(Summary("v=spf1 foo=%{c}.%{t}"), "ok");  // never expanded: c r t are fine
  // redirect and exp take a domain-spec (SPF-6.2-05).
  EXPECT_EQ(Summary("v=spf1 exp= -all"), "spf.record.empty_domain_spec@11");
  EXPECT_EQ(Summary("v=spf1 ?all redirect="), "spf.record.empty_domain_spec@21");
  EXPECT_EQ(Summary("v=spf1 exp=-all"), "spf.record.domain_end@11");
  EXPECT_EQ(Summary("v=spf1 redirect=-all ?all"), "spf.record.domain_end@16");
  EXPECT_EQ(Summary("v=spf1 -all exp=%{r}.example.com"), "spf.macro.exp_only_letter@18");
  EXPECT_EQ(Summary("v=spf1 redirect=%{d}.d.spf.example.com."), "ok");  // trailing-dot-domain
  EXPECT_EQ(Summary("v=spf1 exp=msg.example.com. -all"), "ok");
  const Record r = Parse("v=spf1 a=1 ip4:192.0.2.1 b=%{d} -all c=");
  ASSERT_EQ(r.unknown.size(), 3u);
  EXPECT_EQ(r.View(r.unknown[1].name), "b");
  EXPECT_EQ(r.View(r.unknown[1].value), "%{d}");
  EXPECT_TRUE(r.unknown[2].value.empty());
  EXPECT_EQ(r.mechanisms.size(), 2u);
}

TEST(RecordTest, RedirectIsAModifier) {
  // S19 (redirect-is-modifier).
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4 redirect:t2.example.com"),
            "spf.record.unknown_mechanism@19");
}

TEST(RecordTest, Ip4) {
  // §5.6 (SPF-5.6-01, S13).
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4/32 -all"), "ok");
  EXPECT_EQ(Summary("v=spf1 ip4:1.1.1.1/0 -all"), "ok");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4/33 -all"), "spf.record.cidr_range@19");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4/032 -all"), "spf.record.cidr_leading_zero@19");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4/99999999999999999999"), "spf.record.cidr_range@19");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3"), "spf.record.bad_ip4@11");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4:8080"), "spf.record.bad_ip4@11");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4//32"), "spf.record.bad_cidr@18");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4/"), "spf.record.bad_cidr@18");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4/2x"), "spf.record.bad_cidr@18");
  EXPECT_EQ(Summary("v=spf1 ip4:192.168.01.17"), "spf.record.bad_ip4@11");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.x ~all"), "spf.record.bad_ip4@11");
  EXPECT_EQ(Summary("v=spf1 ip4:1..2.3"), "spf.record.bad_ip4@11");
  EXPECT_EQ(Summary("v=spf1 ip4:256.0.0.0"), "spf.record.bad_ip4@11");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4.5"), "spf.record.bad_ip4@11");
  EXPECT_EQ(Summary("v=spf1 ip4:::1"), "spf.record.bad_ip4@11");
  EXPECT_EQ(Summary("v=spf1 ip4"), "spf.record.missing_address@10");
  EXPECT_EQ(Summary("v=spf1 ip4:"), "spf.record.missing_address@10");
  EXPECT_EQ(Summary("v=spf1 ip4/24"), "spf.record.missing_address@10");
  EXPECT_EQ(Summary("v=spf1 ip4:01.2.3.4/033"),
            "spf.record.bad_ip4@11 spf.record.cidr_leading_zero@20");
  EXPECT_EQ(Summary("v=spf1 ip:10.0.0.1 ipv4:1.2.3.4"),
            "spf.record.unknown_mechanism@7 spf.record.unknown_mechanism@19");
  const Record r = Parse("v=spf1 ip4:10.100.0.255 ip4:0.0.0.0/0");
  EXPECT_EQ(r.mechanisms[0].network, IpAddress::V4(10, 100, 0, 255));
  EXPECT_FALSE(r.mechanisms[0].has_cidr4);
  EXPECT_EQ(r.mechanisms[0].cidr4, 32);
  EXPECT_EQ(r.mechanisms[1].cidr4, 0);
  EXPECT_TRUE(r.mechanisms[1].has_cidr4);
}

TEST(RecordTest, Ip6) {
  // §5.6 (S14).
  EXPECT_EQ(Summary("v=spf1 ip6:::1.1.1.1/0"), "ok");
  EXPECT_EQ(Summary("v=spf1 ip6:Cafe:Babe:8000::/33"), "ok");
  EXPECT_EQ(Summary("v=spf1 -ip4:1.2.3.4 ip6:::FFFF:1.2.3.4"), "ok");
  EXPECT_EQ(Summary("v=spf1 ip6:::1.1.1.1/129"), "spf.record.cidr_range@21");
  EXPECT_EQ(Summary("v=spf1 ip6:::1.1.1.1//33"), "spf.record.bad_cidr@20");
  EXPECT_EQ(Summary("v=spf1 -all ip6"), "spf.record.missing_address@15");
  EXPECT_EQ(Summary("v=spf1 ip6::CAFE::BABE"), "spf.record.bad_ip6@11");
  EXPECT_EQ(Summary("v=spf1 ip6:12345:: ~all"), "spf.record.bad_ip6@11");
  EXPECT_EQ(Summary("v=spf1 ip6:2001:db8:::1"), "spf.record.bad_ip6@11");
  EXPECT_EQ(Summary("v=spf1 ip6:fe80::1%eth0"), "spf.record.bad_ip6@11");
  EXPECT_EQ(Summary("v=spf1 ip6:2001:db8::/129x"), "spf.record.bad_cidr@21");
  EXPECT_EQ(Summary("v=spf1 ip6:2001:db8::/0128"), "spf.record.cidr_leading_zero@22");
  EXPECT_EQ(Summary("v=spf1 ip6:2001:db8::/200"), "spf.record.cidr_range@22");
  const Record r = Parse("v=spf1 ip6:2001:DB8::CB01 ip6:::/0");
  EXPECT_EQ(r.mechanisms[0].network, *ParseIp6("2001:db8::cb01"));
  EXPECT_EQ(r.mechanisms[0].cidr6, 128);
  EXPECT_FALSE(r.mechanisms[0].has_cidr6);
  EXPECT_EQ(r.mechanisms[1].cidr6, 0);
}

TEST(RecordTest, DualCidr) {
  // §5.3, §5.4 (S15).
  const Record r = Parse("v=spf1 a/24//64 a//64 a/24 mx/0 mx//0 a:foo.example.com/28//96");
  EXPECT_TRUE(r.mechanisms[0].has_cidr4 && r.mechanisms[0].has_cidr6);
  EXPECT_EQ(r.mechanisms[0].cidr4, 24);
  EXPECT_EQ(r.mechanisms[0].cidr6, 64);
  EXPECT_FALSE(r.mechanisms[1].has_cidr4);
  EXPECT_EQ(r.mechanisms[1].cidr4, 32);
  EXPECT_EQ(r.mechanisms[1].cidr6, 64);
  EXPECT_FALSE(r.mechanisms[2].has_cidr6);
  EXPECT_EQ(r.mechanisms[2].cidr6, 128);
  EXPECT_EQ(r.mechanisms[3].cidr4, 0);
  EXPECT_EQ(r.mechanisms[4].cidr6, 0);
  EXPECT_EQ(r.View(r.mechanisms[5].domain_spec), "foo.example.com");
  EXPECT_EQ(r.mechanisms[5].cidr6, 96);
  EXPECT_EQ(Summary("v=spf1 a/33 -all"), "spf.record.cidr_range@9");
  EXPECT_EQ(Summary("v=spf1 a//129 -all"), "spf.record.cidr_range@10");
  EXPECT_EQ(Summary("v=spf1 mx/33 -all"), "spf.record.cidr_range@10");
  EXPECT_EQ(Summary("v=spf1 a/24/64 -all"), "spf.record.bad_cidr@11");
  EXPECT_EQ(Summary("v=spf1 a/ -all"), "spf.record.bad_cidr@8");
  EXPECT_EQ(Summary("v=spf1 a// -all"), "spf.record.bad_cidr@8");
  EXPECT_EQ(Summary("v=spf1 a/024"), "spf.record.cidr_leading_zero@9");
  EXPECT_EQ(Summary("v=spf1 mx//064"), "spf.record.cidr_leading_zero@11");
  EXPECT_EQ(Summary("v=spf1 a:planet.globex.info/08"), "spf.record.cidr_leading_zero@28");
  // "foo.example.com/24" cannot end a domain-spec, and /64 is no IPv4 length.
  EXPECT_EQ(Summary("v=spf1 a:foo.example.com/24/64"),
            "spf.record.domain_end@24 spf.record.cidr_range@28");
  EXPECT_EQ(Summary("v=spf1 a:/24"), "spf.record.empty_domain_spec@9");
  EXPECT_EQ(Summary("v=spf1 ptr/0 -all"), "spf.record.unexpected_cidr@10");
}

TEST(RecordTest, AllTakesNoArgument) {
  // §5.1 (S16: all-dot, all-arg, all-cidr).
  EXPECT_EQ(Summary("v=spf1 -all."), "spf.record.all_argument@11");
  EXPECT_EQ(Summary("v=spf1 -all:foobar"), "spf.record.all_argument@11");
  EXPECT_EQ(Summary("v=spf1 -all/8"), "spf.record.all_argument@11");
  EXPECT_EQ(Summary("v=spf1 all -all ?all"), "ok");
  EXPECT_EQ(Summary("v=spf1 allx"), "spf.record.unknown_mechanism@7");
  EXPECT_EQ(Summary("v=spf1 *all"), "spf.record.bad_qualifier@7");
  EXPECT_EQ(Summary("v=spf1 !all"), "spf.record.bad_qualifier@7");
  EXPECT_EQ(Summary("v=spf1 +-all"), "spf.record.bad_qualifier@8");
  EXPECT_EQ(Summary("v=spf1 +"), "spf.record.unknown_mechanism@8");
  EXPECT_EQ(*Parse("v=spf1 a -all ~all").first_all, 1u);
}

TEST(RecordTest, IncludeAndExists) {
  // §5.2, §5.7 (S17, S18).
  EXPECT_EQ(Summary("v=spf1 include"), "spf.record.missing_domain_spec@14");
  EXPECT_EQ(Summary("v=spf1 include +all"), "spf.record.missing_domain_spec@14");
  EXPECT_EQ(Summary("v=spf1 include: -all"), "spf.record.empty_domain_spec@15");
  EXPECT_EQ(Summary("v=spf1 include:ip5.example.com/24 -all"), "spf.record.unexpected_cidr@30");
  EXPECT_EQ(Summary("v=spf1 include:x.example.com//64"), "spf.record.unexpected_cidr@28");
  EXPECT_EQ(Summary("v=spf1 include/24"), "spf.record.unexpected_cidr@14");
  EXPECT_EQ(Summary("v=spf1 includeoscorp.soylent.shop.org"), "spf.record.unknown_mechanism@7");
  EXPECT_EQ(Summary("v=spf1 inlcude:news.example.fr"), "spf.record.unknown_mechanism@7");
  EXPECT_EQ(Summary("v=spf1 exists"), "spf.record.missing_domain_spec@13");
  EXPECT_EQ(Summary("v=spf1 exists:"), "spf.record.empty_domain_spec@14");
  EXPECT_EQ(Summary("v=spf1 exists:mail.example.com/24"), "spf.record.unexpected_cidr@30");
  EXPECT_EQ(Summary("v=spf1 ptr:"), "spf.record.empty_domain_spec@11");
  EXPECT_EQ(Summary("v=spf1 a:"), "spf.record.empty_domain_spec@9");
  EXPECT_EQ(Summary("v=spf1 mx: -all"), "spf.record.empty_domain_spec@10");
  // A domain-spec is a macro-string: ':' and '/' are literals in it.
  EXPECT_EQ(Summary("v=spf1 include::sirius.example.nl"), "ok");
  EXPECT_EQ(Summary("v=spf1 a:foo:bar/baz.example.com"), "ok");  // a-colon-domain
  EXPECT_EQ(Summary("v=spf1 mx:foo:bar/baz.example.com"), "ok");
  EXPECT_EQ(Parse("v=spf1 a:foo:bar/baz.example.com").mechanisms[0].domain_spec.len, 23u);
}

TEST(RecordTest, DomainEnd) {
  // §7.1 domain-end (S20, S21, S34).
  EXPECT_EQ(Summary("v=spf1 a:foo.1"), "spf.record.numeric_toplabel@13");
  EXPECT_EQ(Summary("v=spf1 a:abc.123"), "spf.record.numeric_toplabel@13");
  EXPECT_EQ(Summary("v=spf1 a:111.222.33.44"), "spf.record.numeric_toplabel@20");
  EXPECT_EQ(Summary("v=spf1 a:example.-com"), "spf.record.domain_end@17");
  EXPECT_EQ(Summary("v=spf1 a:example.com-"), "spf.record.domain_end@20");
  EXPECT_EQ(Summary("v=spf1 a:com"), "spf.record.domain_end@9");
  EXPECT_EQ(Summary("v=spf1 a:foo-bar -all"), "spf.record.domain_end@9");
  EXPECT_EQ(Summary("v=spf1 a:museum"), "spf.record.domain_end@9");
  EXPECT_EQ(Summary("v=spf1 a:museum."), "spf.record.domain_end@9");
  EXPECT_EQ(Summary("v=spf1 a:example.com:8080"), "spf.record.domain_end@20");
  EXPECT_EQ(Summary("v=spf1 a:foo.."), "spf.record.domain_end@12");
  EXPECT_EQ(Summary("v=spf1 a:."), "spf.record.domain_end@9");
  EXPECT_EQ(Summary("v=spf1 a:foo.bar."), "ok");
  EXPECT_EQ(Summary("v=spf1 a:.com"), "ok");     // an empty macro-string is allowed
  EXPECT_EQ(Summary("v=spf1 a:1-2.3-4"), "ok");  // toplabel with a hyphen may be numeric
  EXPECT_EQ(Summary("v=spf1 a:foo.example.xn--zckzah -all"), "ok");  // a-dash-in-toplabel
  EXPECT_EQ(Summary("v=spf1 a:mail.example...com -all"), "ok");      // S30: syntax is fine
  EXPECT_EQ(Summary("v=spf1 a:a123456789012345678901234567890123456789012345678901234567890123"
                    ".example.com -all"),
            "ok");
  // domain-end = macro-expand.
  EXPECT_EQ(Summary("v=spf1 a:%{d}"), "ok");
  EXPECT_EQ(Summary("v=spf1 a:%{H} -all"), "ok");
  EXPECT_EQ(Summary("v=spf1 exists:%{ir}.%{l1r+-=_}.%{d}.%% -all"), "ok");
  EXPECT_EQ(Summary("v=spf1 a:foo%-"), "ok");
  EXPECT_EQ(Summary("v=spf1 a:foo.%{d}.com"), "ok");
  EXPECT_EQ(Summary("v=spf1 a:%{d}.com."), "ok");
  EXPECT_EQ(Summary("v=spf1 a:%{d}."), "spf.record.domain_end@13");  // "." alone ends nothing
  EXPECT_EQ(Summary("v=spf1 a:%{d}com"), "spf.record.domain_end@13");
  EXPECT_EQ(Summary("v=spf1 a:%{d}x}"), "spf.record.domain_end@14");  // '}' is a literal here
  EXPECT_EQ(Summary("v=spf1 a:%%{d}"), "spf.record.domain_end@13");
  EXPECT_EQ(Summary("v=spf1 a:x.%-com"), "spf.record.domain_end@13");
}

TEST(RecordTest, Macros) {
  // S22, S23 (SPF-7.1-01, 7.2-01), offsets into the record.
  EXPECT_EQ(Summary("v=spf1 -exists:%(ir).sbl.example.com ?all"), "spf.macro.bad_escape@15");
  EXPECT_EQ(Summary("v=spf1 exists:foo%(ir).sbl.example.com ?all"), "spf.macro.bad_escape@17");
  EXPECT_EQ(Summary("v=spf1 exists:foo%.sbl.example.com ?all"), "spf.macro.bad_escape@17");
  EXPECT_EQ(Summary("v=spf1 a:%{a}.example.com -all"), "spf.macro.unknown_letter@11");
  EXPECT_EQ(Summary("v=spf1 exists:%{ir}.%{d}.%x"), "spf.macro.bad_escape@25");
  EXPECT_EQ(Summary("v=spf1 a:%{c}.example.com"), "spf.macro.exp_only_letter@11");
  EXPECT_EQ(Summary("v=spf1 a:%{d0}.example.com"), "spf.macro.zero_digits@12");
  EXPECT_EQ(Summary("v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all"), "ok");
  EXPECT_EQ(Summary("v=spf1 exists:%{i}.%{l2r-}.user.%{d2}"), "ok");
  EXPECT_EQ(Summary("v=spf1 exists:%{d99999999999999999999}.x.example"), "ok");
}

TEST(RecordTest, DnsTermEstimate) {
  // §4.6.4: include a mx ptr exists, and redirect when it can be reached.
  EXPECT_EQ(Parse("v=spf1 a mx ptr include:x.com exists:y.com redirect=z.com").dns_terms, 6u);
  EXPECT_EQ(Parse("v=spf1 a mx ptr include:x.com exists:y.com -all redirect=z.com").dns_terms, 5u);
  EXPECT_EQ(Parse("v=spf1 ip4:1.2.3.4 ip6:::1 -all exp=x.com").dns_terms, 0u);
  std::string many = "v=spf1";
  for (int k = 0; k < 11; ++k) {
    many += " include:i" + std::to_string(k) + ".example.com";
  }
  const Record r = Parse(many + " -all");
  EXPECT_EQ(r.dns_terms, 11u);
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].id, "spf.record.dns_terms_over_limit");
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kWarning);
}

TEST(RecordTest, OpenspfSyntaxVectors) {
  // The records of ../shared/vectors/openspf/rfc7208-tests.yml whose result
  // is decided by syntax (permerror), and others that must parse.
  const char* const kInvalid[] = {
      "v=spf1 ip4:1.2.3.4 -all moo",
      "v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all",
      "v=spf1 moo.cow:far_out=man:dog/cat ip4:1.2.3.4 -all",
      "v=spf1 ip4:1.2.3.4 redirect:t2.example.com",
      "v=spf1 a:foo-bar -all",
      "v=spf1 -all.",
      "v=spf1 -all:foobar",
      "v=spf1 -all/8",
      "v=spf1 ptr/0 -all",
      "v=spf1 ptr:",
      "v=spf1 a/33 -all",
      "v=spf1 a//129 -all",
      "v=spf1 a/24/64 -all",
      "v=spf1 a:example.com:8080",
      "v=spf1 a:111.222.33.44",
      "v=spf1 a:abc.123",
      "v=spf1 a:example.-com",
      "v=spf1 a:museum",
      "v=spf1 a:museum.",
      "v=spf1 a:",
      "v=spf1 include +all",
      "v=spf1 include:ip5.example.com/24 -all",
      "v=spf1 include: -all",
      "v=spf1 mx/33 -all",
      "v=spf1 mx//129 -all",
      "v=spf1 mx:example.com:8080",
      "v=spf1 mx:abc.123",
      "v=spf1 mx:example.-com",
      "v=spf1 mx: -all",
      "v=spf1 exists:",
      "v=spf1 exists",
      "v=spf1 exists:mail.example.com/24",
      "v=spf1 ip4:1.2.3.4/33 -all",
      "v=spf1 ip4:1.2.3.4/032 -all",
      "v=spf1 ip4",
      "v=spf1 ip4:1.2.3.4:8080",
      "v=spf1 ip4:1.2.3",
      "v=spf1 ip4:1.2.3.4//32",
      "v=spf1 -all ip6",
      "v=spf1 ip6:::1.1.1.1/129",
      "v=spf1 ip6:::1.1.1.1//33",
      "v=spf1 ip6::CAFE::BABE",
      "v=spf1 redirect=-all ?all",
      "v=spf1 1up=foo",
      "v=spf1 =all",
      "v=spf1 exp= -all",
      "v=spf1 exp=-all",
      "v=spf1 exp=e13msg.example.com -all exp=e11msg.example.com",
      "v=spf1 ?all redirect=",
      "v=spf1 redirect=e12.example.com -all redirect=e12.example.com",
      "v=spf1 -all foo=%abc",
      "v=spf1 -all exp=%{r}.example.com",
      "v=spf1 -exists:%(ir).sbl.example.com ?all",
      "v=spf1 exists:foo%(ir).sbl.example.com ?all",
      "v=spf1 exists:foo%.sbl.example.com ?all",
      "v=spf1 a:%{a}.example.com -all",
  };
  for (const char* rec : kInvalid) {
    EXPECT_NE(Summary(rec), "ok") << rec;
  }
  const char* const kValid[] = {
      "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all",
      "v=spf1 a:mail.example...com -all",
      "v=spf1 a:%{H}.bar -all",
      "v=spf1 a//33 -all",
      "v=spf1 a/24//64 -all",
      "v=spf1 a//64 -all",
      "v=spf1 a/0 -all",
      "v=spf1 a:foo.example.com/24",
      "v=spf1 a:foo.example.xn--zckzah -all",
      "v=spf1 a:foo:bar/baz.example.com",
      "v=spf1 mx//33 -all",
      "v=spf1 ip4:1.1.1.1/0 -all",
      "v=spf1 -ip4:1.2.3.4 ip6:::FFFF:1.2.3.4",
      "v=spf1 ip6:::1.1.1.1/0",
      "v=spf1 ip6:Cafe:Babe:8000::/33",
      "v=spf1 default=pass",
      "v=spf1 default=+",
      "v=spf1 redirect=%{d}.d.spf.example.com.",
      "v=spf1 exp=msg.example.com. -all",
      "v=spf1 -all exp=%{ir}.example.com",
      "v=spf1 -all exp=foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com",
      "v=spf1 -all exp=msg8.%{D2}",
      "v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all",
      "v=spf1 exists:%{p}.should.example.com ~exists:%{p}.ok.example.com",
      "v=spf1 -include:_spfh.%{d2} ip4:1.2.3.0/24 -all",
      "v=spf1 exists:%{l2r+-}.user.%{d2}",
      "v=spf1 a mx a mx a mx a mx a ptr a ip4:1.2.3.4 -all",
      "v=spf1 ptr:example.Com -all",
      "v=spf1 include:o.spf.example.com. ~all",
  };
  for (const char* rec : kValid) {
    EXPECT_EQ(Summary(rec), "ok") << rec;
  }
}

TEST(RecordTest, LongTermsAndRecords) {
  // Terms longer than the parser's 64-byte window, records beyond 1 KiB.
  const std::string label(60, 'a');
  const std::string spec = label + "." + label + ".example.com";
  Record r = Parse("v=spf1 include:" + spec + " a:" + spec + "/24 -all");
  EXPECT_EQ(r.View(r.mechanisms[0].domain_spec), spec);
  EXPECT_EQ(r.View(r.mechanisms[1].domain_spec), spec);
  EXPECT_EQ(r.mechanisms[1].cidr4, 24);
  EXPECT_EQ(Summary("v=spf1 include:" + label + label + ".1"), "spf.record.numeric_toplabel@136");
  EXPECT_EQ(Summary("v=spf1 exists:%{i}." + label + "." + label + ".%{x}"),
            "spf.macro.unknown_letter@143");
  EXPECT_EQ(Summary("v=spf1 ip4:1.2.3.4/" + std::string(70, '1')), "spf.record.cidr_range@19");
  std::string big = "v=spf1";
  for (int k = 0; k < 100; ++k) {
    big += " ip4:192.0.2." + std::to_string(k) + "/32";
  }
  big += " foo=" + std::string(200, 'x') + " -all";
  ASSERT_GT(big.size(), 1024u);  // parsed from the heap
  r = Parse(big);
  EXPECT_EQ(r.mechanisms.size(), 101u);
  EXPECT_EQ(r.mechanisms[99].network, IpAddress::V4(192, 0, 2, 99));
  EXPECT_EQ(*r.first_all, 100u);
  EXPECT_EQ(Summary(big + " moo"),
            "spf.record.unknown_mechanism@" + std::to_string(big.size() + 1));
  // A long run of spaces between terms.
  EXPECT_EQ(Summary("v=spf1" + std::string(150, ' ') + "a" + std::string(70, ' ') + "x"),
            "spf.record.unknown_mechanism@227");
}

// Every record length, every spacing: the terms found are exactly the
// space-separated words after the version, including a last term that ends
// on a 64-byte boundary (a regression: the term splitter once lost it).
TEST(RecordTest, TermsAtEveryLengthAndSpacing) {
  for (std::size_t n = 6; n < 420; ++n) {
    for (int spaces = 1; spaces <= 3; ++spaces) {
      std::string rec = "v=spf1";
      std::size_t words = 0;
      while (rec.size() + static_cast<std::size_t>(spaces) + 1 <= n) {
        const std::size_t room = n - rec.size() - static_cast<std::size_t>(spaces);
        rec.append(static_cast<std::size_t>(spaces), ' ');
        rec += room >= 3 && room != 4 && (words % 2 == 1) ? "mx" : "a";
        ++words;
      }
      rec.append(n - rec.size(), ' ');  // trailing spaces are allowed
      ASSERT_EQ(rec.size(), n);
      Record r;
      ASSERT_TRUE(ParseRecordInto(rec, r)) << rec;
      EXPECT_EQ(r.mechanisms.size(), words) << "n=" << n << " spaces=" << spaces;
      // The same record with an invalid last term ending right at the end.
      const std::string bad = rec.substr(0, n > 8 ? n - 2 : n) + (n > 8 ? " q" : "");
      if (n > 8 && bad[bad.size() - 3] != ' ') {
        Record b;
        EXPECT_FALSE(ParseRecordInto(bad, b)) << bad;
      }
    }
  }
}

TEST(RecordTest, Serialize) {
  const Record r = Parse(
      "V=SPF1  +A:Foo.Example.com/24 IP6:2001:DB8:0:0::1 mx//64 exp=X.com -ALL "
      "redirect=r.com Foo=Bar ip4:192.0.2.1/0 ");
  const std::string text = SerializeRecord(r);
  EXPECT_EQ(text,
            "v=spf1 +a:Foo.Example.com/24 ip6:2001:db8::1 mx//64 -all ip4:192.0.2.1/0 "
            "redirect=r.com exp=X.com Foo=Bar");
  const Record again = Parse(text);
  ASSERT_EQ(again.mechanisms.size(), r.mechanisms.size());
  for (std::size_t k = 0; k < r.mechanisms.size(); ++k) {
    Mechanism a = r.mechanisms[k];
    Mechanism b = again.mechanisms[k];
    EXPECT_EQ(r.View(a.domain_spec), again.View(b.domain_spec));
    a.term = b.term = {};
    a.domain_spec = b.domain_spec = {};
    EXPECT_EQ(a, b) << k;
  }
  EXPECT_EQ(SerializeRecord(again), text);
  EXPECT_EQ(SerializeRecord(Parse("v=spf1")), "v=spf1");
}

TEST(RecordTest, ReusesStorageAndAllowsAliasing) {
  Record r;
  ASSERT_TRUE(ParseRecordInto("v=spf1 include:a.example.com ip4:192.0.2.1 -all exp=x.com", r));
  ASSERT_FALSE(ParseRecordInto("v=spf1 moo", r));
  EXPECT_TRUE(r.mechanisms.empty());
  EXPECT_FALSE(r.explanation.has_value());
  EXPECT_FALSE(r.first_all.has_value());
  ASSERT_TRUE(ParseRecordInto("v=spf1 a", r));
  EXPECT_EQ(r.mechanisms.size(), 1u);
  EXPECT_TRUE(r.diagnostics.empty());
  EXPECT_EQ(r.dns_terms, 1u);
  // The text may be the record's own.
  ASSERT_TRUE(ParseRecordInto("v=spf1 mx -all", r));
  ASSERT_TRUE(ParseRecordInto(r.text, r));
  EXPECT_EQ(r.text, "v=spf1 mx -all");
  EXPECT_EQ(r.mechanisms.size(), 2u);
  ASSERT_TRUE(ParseRecordInto(std::string_view(r.text).substr(0, 9), r));
  EXPECT_EQ(r.text, "v=spf1 mx");
}

TEST(RecordTest, FastAndGeneralPathsAgree) {
  // Summary() compares the two on every record; these exercise the shapes
  // the fast path takes, with and without the checks that send a term back.
  const char* const kRecords[] = {
      "v=spf1 include:_spf.google.com ~all",
      "v=spf1 INCLUDE:_SPF.GOOGLE.COM -ALL",
      "v=spf1 include:x.example.com. include:x.example.1 include:x.example.-a",
      "v=spf1 include:.com include:a. include:%{d}.com include:a:b.com",
      "v=spf1 exists:x.example.com exists:%{i}.x.example.com exists:x.1",
      "v=spf1 ip4:1.2.3.4 ip4:1.2.3.4/0 ip4:1.2.3.4/32 ip4:1.2.3.4/33 ip4:1.2.3.4/",
      "v=spf1 ip4:255.255.255.255/9 ip4:0.0.0.0 ip4:1.2.3.04 ip4:1.2.3 ip4:1.2.3.4.5",
      "v=spf1 ip4:1.2.3.4:5 ip4:1.2.3.4%5 ip4:1.2.3.4=5 ip4:1.2.3.4//5 ip4:123.123.123.1234",
      "v=spf1 a mx ptr all A MX PTR ALL +a -mx ~ptr ?all",
      "v=spf1 a: mx: ptr: alL. a.b include exists ip4 ip6",
      // Domain-specs with macros (§7.1), the usual and the odd.
      "v=spf1 exists:%{d2}.%{i}.sbl.example.net include:%{ir}.%{v}._spf.%{d} ptr:%{d}",
      "v=spf1 exists:%{L}.x.com exists:%{d10r.-+,/_=}.x.com exists:%%.%_.%-.x.com",
      "v=spf1 exists:%{d0}.x.com exists:%{d01}.x.com exists:%{c}.x.com exists:%{R}.x.com",
      "v=spf1 exists:%{d} exists:%{d}. exists:%{d}.1 exists:%{d}.-a exists:x.%{d}",
      "v=spf1 exists:%{d exists:%{}.x.com exists:%x.com exists:% exists:%{d}/24",
      "v=spf1 a:%{d}.x.com mx:%{d} a:%{d}/24 include:%{d}/24 include:%{d}//64",
      // a / mx with a domain and a CIDR length.
      "v=spf1 a:x.com/24 mx:x.com//64 a:x.com/24//64 mx:x.com/33 a:x.com/24/ a:x.com/",
      "v=spf1 a:x.com/024 mx:x.com///64 a:/24 mx:x.1/24 a:x/y.com/24 ptr:x.com/24",
      // redirect and exp: the first of each, a second, bad values.
      "v=spf1 redirect=_spf.example.com exp=explain.%{d}",
      "v=spf1 REDIRECT=x.com Exp=y.com redirect=z.com exp=w.com",
      "v=spf1 redirect= exp=x.1 redirect=%{c}.x.com +redirect=x.com redirect=x.com/24",
      // ip6 in the forms the fast reader takes and those it leaves.
      "v=spf1 ip6:2001:db8::/32 ip6:::1 ip6::: ip6:1:: ip6:1:2:3:4:5:6:7:8 ip6:1::2:3",
      "v=spf1 ip6:2001:DB8:0:0:0:0:0:1 ip6:1:2:3:4:5:6:7:8:9 ip6:1:2:3:4:5:6:7 ip6:1:::2",
      "v=spf1 ip6:1::2::3 ip6::1 ip6:1: ip6:12345::1 ip6:g::1 ip6:::ffff:192.0.2.1",
      "v=spf1 ip6:1111:2222:3333:4444:5555:6666:7777:8888/128 ip6:fe80::1/129 ip6:1::/0",
  };
  for (const char* rec : kRecords) {
    Summary(rec);
  }
}

// The parser reads a term's mask bits from one 8-byte load at its start
// byte, which holds 57 to 64 of them depending on the start's alignment:
// terms and runs of spaces of every length around that, at every start.
TEST(RecordTest, TermsAroundTheMaskWindow) {
  for (std::size_t shift = 0; shift < 16; ++shift) {
    for (std::size_t len = 50; len <= 72; ++len) {
      // include: + a domain of `len` bytes in all, after `shift` spaces.
      const std::string domain = std::string(len - 8 - 4, 'a') + ".com";
      const std::string term = "include:" + domain;
      ASSERT_EQ(term.size(), len);
      std::string rec = "v=spf1" + std::string(1 + shift, ' ') + term + " ~all";
      EXPECT_EQ(Summary(rec), "ok") << rec;
      Record r = Parse(rec);
      ASSERT_EQ(r.mechanisms.size(), 2u) << rec;
      EXPECT_EQ(r.View(r.mechanisms[0].domain_spec), domain) << rec;
      EXPECT_EQ(r.View(r.mechanisms[0].term), term) << rec;
      EXPECT_EQ(r.mechanisms[1].qualifier, Qualifier::kSoftFail) << rec;
      // The same with a CIDR length on a, and a bad last byte.
      rec = "v=spf1" + std::string(1 + shift, ' ') + "a:" + domain + "/24 ip4:192.0.2.1";
      EXPECT_EQ(Summary(rec), "ok") << rec;
      EXPECT_EQ(Parse(rec).mechanisms[0].cidr4, 24) << rec;
      rec =
          "v=spf1" + std::string(1 + shift, ' ') + "a:" + domain.substr(0, domain.size() - 1) + "-";
      EXPECT_EQ(Summary(rec), "spf.record.domain_end@" + std::to_string(rec.size() - 1)) << rec;
      // A run of `len` spaces between two terms, and at the end.
      rec = "v=spf1" + std::string(1 + shift, ' ') + "mx" + std::string(len, ' ') + "-all" +
            std::string(len, ' ');
      EXPECT_EQ(Summary(rec), "ok") << rec;
      r = Parse(rec);
      ASSERT_EQ(r.mechanisms.size(), 2u) << rec;
      EXPECT_EQ(r.mechanisms[1].term.pos, 6 + 1 + shift + 2 + len) << rec;
    }
  }
}

TEST(RecordTest, FastAndGeneralPathsAgreeOnRandomTerms) {
  // Terms pieced together from fragments of every shape FastTerm() and
  // FastModifier() look at, so that near misses of each check come up.
  const char* const kFragments[] = {
      "%{d}",     "%{d2}",   "%{ir}", "%{L}", "%{c}", "%{d0}", "%{d01}",    "%{d10r.-}", "%%",
      "%_",       "%-",      "%",     "%{",   "}",    "/",     "//",        "/24",       "//64",
      "/33",      "//129",   "/0",    "/01",  ".",    "..",    ".com",      ".123",      "-",
      ".a-",      ".-a",     "x",     ":",    "=",    "a",     "mx",        "ptr",       "all",
      "include:", "exists:", "a:",    "mx:",  "ip4:", "ip6:",  "redirect=", "exp=",      "1",
      "9",        "::",      "db8",   "255.", "r",    ",",     "+",         "~"};
  std::mt19937 rng(7);
  int valid = 0;
  for (int k = 0; k < 30000; ++k) {
    std::string rec = "v=spf1";
    const int terms = 1 + static_cast<int>(rng() % 4);
    for (int j = 0; j < terms; ++j) {
      rec += ' ';
      const int pieces = 1 + static_cast<int>(rng() % 5);
      for (int q = 0; q < pieces; ++q) {
        rec += kFragments[rng() % std::size(kFragments)];
      }
    }
    valid += Summary(rec) == "ok" ? 1 : 0;
  }
  EXPECT_GT(valid, 200);  // about 1%: the point is the near misses
}

TEST(RecordTest, Ip6NetworksAgreeWithParseIp6) {
  // The parser's own ip6-network reading (hex and colon masks, one load a
  // group) against ParseIp6(), on strings made of hex digits and colons.
  std::mt19937 rng(3);
  const std::string alphabet = "0123456789abcdefABCDEF:::::::.g";
  int valid = 0;
  for (int k = 0; k < 40000; ++k) {
    std::string addr;
    if (k % 2 == 0) {
      const std::size_t len = 1 + rng() % 36;
      for (std::size_t j = 0; j < len; ++j) {
        addr += alphabet[rng() % alphabet.size()];
      }
    } else {
      // Up to nine groups of 0-5 digits, now and then a "::".
      const int groups = 1 + static_cast<int>(rng() % 9);
      for (int g = 0; g < groups; ++g) {
        if (g != 0) {
          addr += rng() % 10 == 0 ? "::" : ":";
        }
        const int digits = static_cast<int>(rng() % 6);
        for (int d = 0; d < digits; ++d) {
          addr += "0123456789abcdefABCDEF"[rng() % 22];
        }
      }
      addr = (rng() % 6 == 0 ? "::" : "") + addr + (rng() % 6 == 0 ? "::" : "");
    }
    const std::string rec = "v=spf1 ip6:" + addr + (k % 3 == 0 ? "/64" : "");
    Record fast;
    Record general;
    const bool ok = ParseRecordInto(rec, fast);
    EXPECT_EQ(ParseRecordInto(rec, general, kGeneral), ok) << addr;
    const auto want = ParseIp6(addr);
    ASSERT_EQ(ok, want.has_value()) << addr;
    valid += ok ? 1 : 0;
    if (ok) {
      EXPECT_EQ(fast.mechanisms.at(0).network, *want) << addr;
      EXPECT_EQ(general.mechanisms.at(0).network, *want) << addr;
    }
  }
  EXPECT_GT(valid, 2000);
}

TEST(RecordTest, Ip4NetworksAgreeWithParseIp4) {
  // The parser's ip4-network reading (dot masks, no branch per byte) against
  // ParseIp4(), on strings made mostly of digits and dots.
  std::mt19937 rng(1);
  const std::string alphabet = "0123456789012345678901234567890....a:/ ";
  int valid = 0;
  for (int k = 0; k < 20000; ++k) {
    std::string addr;
    if (k % 2 == 0) {
      const std::size_t len = 1 + rng() % 17;
      for (std::size_t j = 0; j < len; ++j) {
        addr += alphabet[rng() % alphabet.size()];
      }
    } else {
      // Four parts of 0..299, now and then with a leading zero or missing.
      for (int part = 0; part < 4; ++part) {
        if (part != 0) {
          addr += '.';
        }
        if (rng() % 40 == 0) {
          continue;
        }
        addr += (rng() % 20 == 0 ? "0" : "") + std::to_string(rng() % 300);
      }
    }
    if (addr.find_first_of(" /") != std::string::npos) {
      continue;
    }
    Record fast;
    Record general;
    const std::string rec = "v=spf1 ip4:" + addr;
    const bool ok = ParseRecordInto(rec, fast);
    EXPECT_EQ(ParseRecordInto(rec, general, kGeneral), ok) << addr;
    const auto want = ParseIp4(addr);
    ASSERT_EQ(ok, want.has_value()) << addr;
    valid += ok ? 1 : 0;
    if (ok) {
      EXPECT_EQ(fast.mechanisms.at(0).network, *want) << addr;
      EXPECT_EQ(general.mechanisms.at(0).network, *want) << addr;
    }
  }
  EXPECT_GT(valid, 3000);  // about 38% of the structured ones are valid
}

}  // namespace
}  // namespace mxconform::spf
