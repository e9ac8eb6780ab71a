#include "spf/macro.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mxconform::spf {
namespace {

// RFC 7208 §7.4: sender strong-bad@email.example.com, client 192.0.2.3 or
// 2001:db8::cb01, PTR name mx.example.org.
MacroContext Rfc74Context(bool v6 = false) {
  MacroContext c;
  c.local_part = "strong-bad";
  c.sender_domain = "email.example.com";
  c.domain = "email.example.com";
  c.ip = v6 ? *ParseIp6("2001:db8::cb01") : IpAddress::V4(192, 0, 2, 3);
  c.helo = "mx.example.org";
  c.validated_ptr = "mx.example.org";
  c.receiver = "mx.receiver.example";
  c.now = 1400000000;
  return c;
}

std::string Expand(std::string_view s, const MacroContext& c,
                   MacroUse use = MacroUse::kDomainSpec) {
  auto r = ExpandMacro(s, use, c);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().id);
  return r.ok() ? *r : std::string("<error>");
}

// "id@offset" for each diagnostic.
std::vector<std::string> Diags(std::string_view s, MacroUse use = MacroUse::kDomainSpec,
                               std::size_t base = 0) {
  Diagnostics d;
  const bool ok = ValidateMacroString(s, use, base, d);
  EXPECT_EQ(ok, d.empty()) << s;
  std::vector<std::string> out;
  for (const auto& x : d) {
    EXPECT_EQ(x.severity, Severity::kError);
    EXPECT_FALSE(x.message.empty());
    out.push_back(std::string(x.id) + "@" + std::to_string(x.offset));
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST(MacroTest, Rfc7208Section74Table) {
  const MacroContext c = Rfc74Context();
  const std::pair<const char*, const char*> kTable[] = {
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
  };
  for (const auto& [macro, want] : kTable) {
    EXPECT_EQ(Expand(macro, c), want) << macro;
  }
  EXPECT_EQ(Expand("%{ir}.%{v}._spf.%{d2}", Rfc74Context(true)),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
}

TEST(MacroTest, IpForms) {
  // S24, S32 (SPF-7.3-04).
  const MacroContext c4 = Rfc74Context();
  EXPECT_EQ(Expand("%{i}", c4), "192.0.2.3");
  EXPECT_EQ(Expand("%{ir}", c4), "3.2.0.192");
  EXPECT_EQ(Expand("%{v}", c4), "in-addr");
  const MacroContext c6 = Rfc74Context(true);
  EXPECT_EQ(Expand("%{i}", c6), "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
  EXPECT_EQ(Expand("%{v}", c6), "ip6");
  EXPECT_EQ(Expand("%{i2r}", c6), "0.2");  // the two right-hand parts, reversed
  // %{c} is readable: dotted quad or RFC 5952 text (explanations only).
  EXPECT_EQ(Expand("%{c}", c4, MacroUse::kExplain), "192.0.2.3");
  EXPECT_EQ(Expand("%{c}", c6, MacroUse::kExplain), "2001:db8::cb01");
}

TEST(MacroTest, DigitTransformer) {
  // S25 (SPF-7.3-01, 7.3-02).
  MacroContext c = Rfc74Context();
  c.domain = "a.b.example.com";
  EXPECT_EQ(Expand("%{d2}", c), "example.com");
  EXPECT_EQ(Expand("%{d9}", c), "a.b.example.com");
  EXPECT_EQ(Expand("%{d127}", c), "a.b.example.com");
  EXPECT_EQ(Expand("%{d128}", c), "a.b.example.com");
  EXPECT_EQ(Expand("%{d01}", c), "com");  // *DIGIT: a leading zero is allowed
  // Values beyond any integer type keep all the parts, without overflow.
  EXPECT_EQ(Expand("%{d2147483648}", c), "a.b.example.com");
  EXPECT_EQ(Expand("%{d4294967297}", c), "a.b.example.com");
  EXPECT_EQ(Expand("%{d99999999999999999999}", c), "a.b.example.com");
  EXPECT_EQ(Expand("%{d99999999999999999999r}", c), "com.example.b.a");
  EXPECT_EQ(Diags("%{d0}"), Strings{"spf.macro.zero_digits@3"});
  EXPECT_EQ(Diags("%{d00}"), Strings{"spf.macro.zero_digits@3"});
  EXPECT_EQ(Diags("x.%{d000r}"), Strings{"spf.macro.zero_digits@5"});
}

TEST(MacroTest, Delimiters) {
  // S26: split on any delimiter given, keep empty parts, join with '.'.
  MacroContext c = Rfc74Context();
  c.local_part = "foo-bar";
  EXPECT_EQ(Expand("%{l-}", c), "foo.bar");
  EXPECT_EQ(Expand("%{lr-}", c), "bar.foo");
  EXPECT_EQ(Expand("%{l1r-}", c), "foo");
  c.local_part = "a-b+c_d";
  EXPECT_EQ(Expand("%{l-+}", c), "a.b.c_d");
  EXPECT_EQ(Expand("%{l2r+-}", c), "b.a");
  EXPECT_EQ(Expand("%{l-+_}", c), "a.b.c.d");
  c.local_part = "a--b.";
  EXPECT_EQ(Expand("%{l-}", c), "a..b.");
  EXPECT_EQ(Expand("%{lr-.}", c), ".b..a");
  EXPECT_EQ(Expand("%{l1}", c), "");  // the last part of "a--b." is empty
  c.local_part = "x,y/z=w";
  EXPECT_EQ(Expand("%{l,/=}", c), "x.y.z.w");
  EXPECT_EQ(Expand("%{lR}", c), "x,y/z=w");  // "R" is the reverse transformer too
}

TEST(MacroTest, UpperCaseLettersAreUrlEscaped) {
  // S27 (SPF-7.3-08): RFC 3986 unreserved characters stay as they are.
  MacroContext c = Rfc74Context();
  EXPECT_EQ(Expand("%{S}", c), "strong-bad%40email.example.com");
  EXPECT_EQ(Expand("%{D2}", c), "example.com");
  c.local_part = "a+b c~d_e/f";
  EXPECT_EQ(Expand("%{L}", c), "a%2Bb%20c~d_e%2Ff");
  EXPECT_EQ(Expand("%{l}", c), "a+b c~d_e/f");
  EXPECT_EQ(Expand("%{L-}", c), "a%2Bb%20c~d_e%2Ff");  // split and joined, then escaped
  c.local_part = "\xc3\xa9";
  EXPECT_EQ(Expand("%{L}", c), "%C3%A9");
}

TEST(MacroTest, Escapes) {
  // S28: "%%" is '%', "%_" a space, "%-" the URL-encoded space "%20".
  const MacroContext c = Rfc74Context();
  EXPECT_EQ(Expand("%%", c), "%");
  EXPECT_EQ(Expand("%_", c), " ");
  EXPECT_EQ(Expand("%-", c), "%20");
  EXPECT_EQ(Expand("macro%%percent%_%_space%-url-space.example.com", c),
            "macro%percent  space%20url-space.example.com");
  EXPECT_EQ(Expand("%%{d}", c), "%{d}");
}

TEST(MacroTest, OtherLetters) {
  MacroContext c = Rfc74Context();
  EXPECT_EQ(Expand("%{h}", c), "mx.example.org");
  EXPECT_EQ(Expand("%{p}", c), "mx.example.org");
  EXPECT_EQ(Expand("%{r}", c, MacroUse::kExplain), "mx.receiver.example");
  EXPECT_EQ(Expand("%{t}", c, MacroUse::kExplain), "1400000000");
  // S33: no validated name is "unknown"; likewise an unconfigured receiver.
  c.validated_ptr = "";
  c.receiver = "";
  EXPECT_EQ(Expand("%{p}", c), "unknown");
  EXPECT_EQ(Expand("%{r}", c, MacroUse::kExplain), "unknown");
  // S31: the evaluator passes "postmaster" for an empty local part.
  c.local_part = "postmaster";
  EXPECT_EQ(Expand("%{s}", c), "postmaster@email.example.com");
}

TEST(MacroTest, ExplainStrings) {
  const MacroContext c = Rfc74Context();
  EXPECT_EQ(Expand("%{i} is not one of %{d}'s designated mail servers.", c, MacroUse::kExplain),
            "192.0.2.3 is not one of email.example.com's designated mail servers.");
  EXPECT_EQ(Expand("See http://%{d}/why.html?s=%{S}&i=%{I}", c, MacroUse::kExplain),
            "See http://email.example.com/why.html?s=strong-bad%40email.example.com&i=192.0.2.3");
  EXPECT_TRUE(Diags("two  spaces ", MacroUse::kExplain).empty());
  EXPECT_EQ(Diags("a b"), Strings{"spf.macro.bad_char@1"});  // no SP in a domain-spec
}

TEST(MacroTest, ValidationErrors) {
  // S22, S23 (SPF-7.1-01, 7.2-01).
  EXPECT_TRUE(Diags("").empty());
  EXPECT_TRUE(Diags("%{ir}.%{v}._spf.%{d2}").empty());
  EXPECT_EQ(Diags("%(ir).sbl.example.com"), Strings{"spf.macro.bad_escape@0"});
  EXPECT_EQ(Diags("foo%(ir).sbl"), Strings{"spf.macro.bad_escape@3"});
  EXPECT_EQ(Diags("foo%.sbl"), Strings{"spf.macro.bad_escape@3"});
  EXPECT_EQ(Diags("%x"), Strings{"spf.macro.bad_escape@0"});
  EXPECT_EQ(Diags("abc%"), Strings{"spf.macro.bad_escape@3"});
  EXPECT_EQ(Diags("%{q}"), Strings{"spf.macro.unknown_letter@2"});
  EXPECT_EQ(Diags("%{a}.example.com"), Strings{"spf.macro.unknown_letter@2"});
  EXPECT_EQ(Diags("%{}"), Strings{"spf.macro.unknown_letter@2"});
  EXPECT_EQ(Diags("%{c}"), Strings{"spf.macro.exp_only_letter@2"});
  EXPECT_EQ(Diags("x%{R}"), Strings{"spf.macro.exp_only_letter@3"});
  EXPECT_EQ(Diags("%{t}"), Strings{"spf.macro.exp_only_letter@2"});
  EXPECT_TRUE(Diags("%{c}%{R}%{t}", MacroUse::kExplain).empty());
  EXPECT_EQ(Diags("%{d"), Strings{"spf.macro.unterminated@0"});
  EXPECT_EQ(Diags("%{"), Strings{"spf.macro.unterminated@0"});
  EXPECT_EQ(Diags("a%{d2r-"), Strings{"spf.macro.unterminated@1"});
  EXPECT_EQ(Diags("%{dx}"), Strings{"spf.macro.bad_transformer@3"});
  EXPECT_EQ(Diags("%{d2rr}"), Strings{"spf.macro.bad_transformer@5"});
  EXPECT_EQ(Diags("%{dr2}"), Strings{"spf.macro.bad_transformer@4"});
  EXPECT_EQ(Diags("%{d-2}"), Strings{"spf.macro.bad_transformer@4"});
  EXPECT_EQ(Diags("a\x01"), Strings{"spf.macro.bad_char@1"});
  EXPECT_EQ(Diags("\x80"), Strings{"spf.macro.bad_char@0"});
  EXPECT_EQ(Diags("\x7f", MacroUse::kExplain), Strings{"spf.macro.bad_char@0"});
  // Every error is reported, at base_offset + its position; scanning goes on
  // after a bad macro's closing brace.
  EXPECT_EQ(Diags("%x.%{q}.%{d0}.%{d}", MacroUse::kDomainSpec, 10),
            (Strings{"spf.macro.bad_escape@10", "spf.macro.unknown_letter@15",
                     "spf.macro.zero_digits@21"}));
}

TEST(MacroTest, ExpandRejectsInvalidStrings) {
  const MacroContext c = Rfc74Context();
  auto r = ExpandMacro("%{c}", MacroUse::kDomainSpec, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "spf.macro.exp_only_letter");
  r = ExpandMacro("x%", MacroUse::kExplain, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "spf.macro.bad_escape");
  EXPECT_EQ(r.error().offset, 1u);
}

// An explanation longer than kMaxExpansion fails (§6.2 lets it be limited).
TEST(MacroTest, ExplanationOutputIsBounded) {
  MacroContext c = Rfc74Context();
  const std::string local(1000, 'x');
  c.local_part = local;
  std::string s;
  for (int k = 0; k < 9; ++k) {
    s += "%{l}";
  }
  auto r = ExpandMacro(s, MacroUse::kExplain, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "spf.macro.too_long");
  // Escaping triples the size: the limit holds there too.
  const std::string pluses(1500, '+');
  MacroContext e = c;
  e.local_part = pluses;
  r = ExpandMacro("%{L}%{L}%{L}", MacroUse::kExplain, e);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "spf.macro.too_long");
  // Exactly at the limit is fine.
  const std::string big(kMaxExpansion, 'a');
  c.local_part = big;
  r = ExpandMacro("%{l}", MacroUse::kExplain, c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), kMaxExpansion);
  r = ExpandMacro("%{l}x", MacroUse::kExplain, c);
  EXPECT_FALSE(r.ok());
}

// §7.3 (S29): however long a domain-spec's expansion, its truncation to 253
// bytes is what truncating the whole expansion gives; the output stays
// within kMaxExpansion. The reference is the expansion written out whole.
TEST(MacroTest, DomainSpecPastTheLimitTruncatesLikeTheWholeExpansion) {
  MacroContext c = Rfc74Context();
  const std::string label61(61, 'a');
  const std::string d = label61 + "." + label61 + "." + label61 + "." + label61 + ".ex";
  c.domain = d;
  for (int copies : {1, 32, 33, 40, 200}) {
    std::string spec;
    std::string whole;
    for (int k = 0; k < copies; ++k) {
      spec += "%{d}.";
      whole += d + ".";
    }
    spec += "t.example";
    whole += "t.example";
    auto r = ExpandMacro(spec, MacroUse::kDomainSpec, c);
    ASSERT_TRUE(r.ok()) << copies << " " << r.error().Text();
    EXPECT_LE(r->size(), kMaxExpansion) << copies;
    EXPECT_EQ(TruncateDomain(*r), TruncateDomain(whole)) << copies;
    EXPECT_LE(TruncateDomain(*r).size(), 253u);
    // Upper-case (escaped) and transformed forms go the same way.
    std::string upper_spec;
    std::string upper_whole;
    for (int k = 0; k < copies; ++k) {
      upper_spec += "%{D2r}.";  // reversed, the two right-hand parts: a61.a61
      upper_whole += label61 + "." + label61 + ".";
    }
    r = ExpandMacro(upper_spec + "t.example", MacroUse::kDomainSpec, c);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(TruncateDomain(*r), TruncateDomain(upper_whole + "t.example")) << copies;
  }
  // One huge label first: truncation drops it when a dot follows...
  const std::string huge(20000, 'x');
  c.local_part = huge;
  auto r = ExpandMacro("%{l}.a.example", MacroUse::kDomainSpec, c);
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->size(), kMaxExpansion);
  EXPECT_EQ(TruncateDomain(*r), "a.example");
  // ...and without one the name stays one label too long to be a name.
  r = ExpandMacro("%{l}", MacroUse::kDomainSpec, c);
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->size(), kMaxExpansion);
  EXPECT_GT(TruncateDomain(*r).size(), 253u);
  EXPECT_EQ(TruncateDomain(*r).find('.'), std::string_view::npos);
  // A dot, then a label longer than the limit (spf_macro_fuzzer found this
  // one): the label stays too long, and a later dot drops it.
  for (const char* spec : {"a.%{l}", "a.b.%{l}%{l}", "%{d}.%{l}"}) {
    r = ExpandMacro(spec, MacroUse::kDomainSpec, c);
    ASSERT_TRUE(r.ok()) << spec;
    EXPECT_LE(r->size(), kMaxExpansion) << spec;
    EXPECT_GT(TruncateDomain(*r).size(), 253u) << spec;
    EXPECT_EQ(TruncateDomain(*r).find('.'), std::string_view::npos) << spec;
  }
  r = ExpandMacro("a.%{l}.b.example", MacroUse::kDomainSpec, c);
  ASSERT_TRUE(r.ok());
  EXPECT_LE(r->size(), kMaxExpansion);
  EXPECT_EQ(TruncateDomain(*r), "b.example");
  // A trailing dot, past the limit, is still dropped by the truncation.
  r = ExpandMacro("%{l}.a.example.", MacroUse::kDomainSpec, c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(TruncateDomain(*r), "a.example");
}

TEST(MacroTest, UsesMacroLetter) {
  EXPECT_TRUE(UsesMacroLetter("%{ir}.%{v}._spf.%{d2}", 'i'));
  EXPECT_TRUE(UsesMacroLetter("%{ir}.%{v}._spf.%{d2}", 'v'));
  EXPECT_TRUE(UsesMacroLetter("%{ir}.%{v}._spf.%{d2}", 'd'));
  EXPECT_FALSE(UsesMacroLetter("%{ir}.%{v}._spf.%{d2}", 'p'));
  EXPECT_TRUE(UsesMacroLetter("x.%{P}", 'p'));  // upper case too
  EXPECT_FALSE(UsesMacroLetter("%%{p}", 'p'));  // "%%" then a literal "{p}"
  EXPECT_TRUE(UsesMacroLetter("%%%{p}", 'p'));
  EXPECT_FALSE(UsesMacroLetter("%-{p}", 'p'));
  EXPECT_FALSE(UsesMacroLetter("p.example.com", 'p'));
}

TEST(MacroTest, TruncateDomain) {
  // S29 (SPF-7.3-07): whole labels go from the left until 253 bytes remain.
  EXPECT_EQ(TruncateDomain("example.com"), "example.com");
  EXPECT_EQ(TruncateDomain("example.com."), "example.com");  // S34
  std::string name;
  for (int k = 0; k < 30; ++k) {
    name += "label" + std::to_string(k % 10) + "abc.";  // 10 bytes a label
  }
  name += "example.com";  // 311 bytes
  const std::string_view t = TruncateDomain(name);
  EXPECT_LE(t.size(), 253u);
  EXPECT_GT(t.size(), 243u);
  EXPECT_TRUE(name.ends_with(t));
  EXPECT_EQ(name[name.size() - t.size() - 1], '.');
  const std::string exact = std::string(249, 'a') + ".com";
  EXPECT_EQ(TruncateDomain(exact), exact);
  EXPECT_EQ(TruncateDomain(exact + "."), exact);
  EXPECT_EQ(TruncateDomain("x." + exact), exact);
  const std::string one(300, 'a');  // one label: nothing to drop
  EXPECT_EQ(TruncateDomain(one), one);
}

}  // namespace
}  // namespace mxconform::spf
