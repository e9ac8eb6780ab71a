#include "mtasts/policy.h"

#include <gtest/gtest.h>

#include "common/fast_path_test_util.h"

namespace mxconform::mtasts {
namespace {

const ParseOptions kStrict{Profile::kStrict};
const ParseOptions kInterop{Profile::kInterop};

std::string_view ErrorId(std::string_view body, const ParseOptions& o = kStrict) {
  auto r = ParsePolicy(body, o);
  return r.ok() ? "ok" : r.error().id;
}

constexpr std::string_view kGood =
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
    "max_age: 86400\r\n";

TEST(StsPolicy, ParsesTheRfcExample) {
  auto r = ParsePolicy(kGood);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->mode, Mode::kEnforce);
  EXPECT_EQ(r->max_age, 86400u);
  ASSERT_EQ(r->mx_count(), 2u);  // P25
  EXPECT_EQ(r->mx(1), "*.example.net");
  EXPECT_TRUE(r->diagnostics.empty());
}

// The patterns are spans of the policy's own copy of the body: a copy keeps
// them when the original is reused for another body, and AddMx appends.
TEST(StsPolicy, CopiesKeepTheirPatterns) {
  Policy a;
  ASSERT_TRUE(ParsePolicyInto(kGood, kStrict, a));
  Policy b = a;
  ASSERT_TRUE(ParsePolicyInto("version: STSv1\nmode: testing\nmx: other.example\nmax_age: 1\n",
                              kStrict, a));
  EXPECT_EQ(a.MxPatterns(), (std::vector<std::string>{"other.example"}));
  EXPECT_EQ(b.MxPatterns(), (std::vector<std::string>{"mail.example.com", "*.example.net"}));
  b.AddMx("added.example");
  EXPECT_EQ(b.mx(2), "added.example");
  EXPECT_TRUE(PolicyMatchesMx(b, "ADDED.example"));
  ASSERT_FALSE(ParsePolicyInto("version: STSv1\n", kStrict, a));
  EXPECT_EQ(a.mx_count(), 0u);
}

TEST(StsPolicy, LineEndings) {
  // P16 / erratum 6253: LF and mixed are valid; a note records bare LF.
  auto lf = ParsePolicy("version: STSv1\nmode: none\nmax_age: 0\n");
  ASSERT_TRUE(lf.ok());
  EXPECT_EQ(lf->diagnostics.at(0).id, "mtasts.policy.bare_lf");
  EXPECT_EQ(ErrorId("version: STSv1\r\nmode: none\nmax_age: 0"), "ok");  // P22 too
  EXPECT_EQ(ErrorId("version: STSv1\rmode: none\r\nmax_age: 0\r\n"), "mtasts.policy.bare_cr");
}

TEST(StsPolicy, FieldSyntax) {
  EXPECT_EQ(ErrorId("version: STSv1\nmode : none\nmax_age: 1\n"),
            "mtasts.policy.space_before_colon");  // P18
  EXPECT_EQ(ErrorId("version: STSv1\nmode : none\nmax_age: 1\n", kInterop), "ok");
  EXPECT_EQ(ErrorId("version:STSv1\nmode:\tnone\nmax_age: 1  \n"), "ok");  // P19/P20
  EXPECT_EQ(ErrorId("version: STSv1\nmode: Enforce\nmx: a.b\nmax_age: 1\n"),
            "mtasts.policy.bad_mode");  // P21
  EXPECT_EQ(ErrorId("version: stsv1\nmode: none\nmax_age: 1\n"), "mtasts.policy.bad_version");
  // `Mode` is a syntactically valid extension name, so mode is then missing.
  EXPECT_EQ(ErrorId("version: STSv1\nMode: none\nmax_age: 1\n"), "mtasts.policy.missing_mode");
}

TEST(StsPolicy, BlankLines) {
  std::string body = "\nversion: STSv1\n\nmode: none\nmax_age: 1\n";  // P23
  EXPECT_EQ(ErrorId(body), "mtasts.policy.blank_line");
  auto r = ParsePolicy(body, kInterop);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->diagnostics.size(), 3u);  // bare LF note, then two blank lines
  EXPECT_EQ(r->diagnostics[1].id, "mtasts.policy.blank_line");
  EXPECT_EQ(r->diagnostics[1].severity, Severity::kWarning);
}

TEST(StsPolicy, DuplicatesFirstWins) {
  auto r = ParsePolicy("version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 5\n");
  ASSERT_TRUE(r.ok());  // P24
  EXPECT_EQ(r->mode, Mode::kEnforce);
}

TEST(StsPolicy, MxPatterns) {
  auto with = [](std::string mx) {
    return "version: STSv1\nmode: enforce\nmx: " + mx + "\nmax_age: 5\n";
  };
  EXPECT_EQ(ErrorId(with("*.example.com")), "ok");  // P27
  EXPECT_EQ(ErrorId(with("mail.*.example.com")), "mtasts.policy.bad_mx");
  EXPECT_EQ(ErrorId(with("*example.com")), "mtasts.policy.bad_mx");
  EXPECT_EQ(ErrorId(with("*.*.example.com")), "mtasts.policy.bad_mx");
  EXPECT_EQ(ErrorId(with("*")), "mtasts.policy.bad_mx");
  EXPECT_EQ(ErrorId(with("a.example.com, b.example.com")), "mtasts.policy.bad_mx");  // P26
  EXPECT_EQ(ErrorId(with("b\xc3\xbc"
                         "cher.example")),
            "mtasts.policy.bad_mx");  // P28
  EXPECT_EQ(ErrorId(with("xn--bcher-kva.example")), "ok");
  EXPECT_EQ(ErrorId(with("mx1.example.com:25")), "mtasts.policy.bad_mx");
  EXPECT_EQ(ErrorId(with("mx1.example.com.")), "mtasts.policy.bad_mx");
  auto dot = ParsePolicy(with("mx1.example.com."), kInterop);
  ASSERT_TRUE(dot.ok());
  EXPECT_EQ(dot->mx(0), "mx1.example.com");
}

TEST(StsPolicy, MxRequiredUnlessNone) {
  EXPECT_EQ(ErrorId("version: STSv1\nmode: enforce\nmax_age: 5\n"), "mtasts.policy.missing_mx");
  EXPECT_EQ(ErrorId("version: STSv1\nmode: testing\nmax_age: 5\n"), "mtasts.policy.missing_mx");
  EXPECT_EQ(ErrorId("version: STSv1\nmode: none\nmax_age: 5\n"), "ok");  // P30
  // The error points at the mode that requires mx.
  auto r = ParsePolicy("version: STSv1\nmode: testing\nmax_age: 5\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 21u);
}

TEST(StsPolicy, MaxAge) {
  auto age = [](std::string v) { return "version: STSv1\nmode: none\nmax_age: " + v + "\n"; };
  EXPECT_EQ(ErrorId(age("31557600")), "ok");                               // P31
  EXPECT_EQ(ErrorId(age("31557601")), "mtasts.policy.max_age_above_cap");  // P32
  auto clamped = ParsePolicy(age("9999999999"), kInterop);
  ASSERT_TRUE(clamped.ok());
  EXPECT_EQ(clamped->max_age, kMaxAgeCap);
  for (const std::string bad : {"12345678901", "-1", "1e5", "+5", ""}) {  // P33
    EXPECT_EQ(ErrorId(age(bad), kInterop), "mtasts.policy.bad_max_age") << bad;
  }
  auto zero = ParsePolicy(age("0"));  // P34
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->max_age, 0u);
  auto lead = ParsePolicy(age("00086400"));  // P35
  ASSERT_TRUE(lead.ok());
  EXPECT_EQ(lead->max_age, 86400u);
}

TEST(StsPolicy, MissingRequiredFields) {  // P36
  EXPECT_EQ(ErrorId("mode: none\nmax_age: 5\n"), "mtasts.policy.missing_version");
  EXPECT_EQ(ErrorId("version: STSv1\nmax_age: 5\n"), "mtasts.policy.missing_mode");
  EXPECT_EQ(ErrorId("version: STSv1\nmode: none\n"), "mtasts.policy.missing_max_age");
  EXPECT_EQ(ErrorId(""), "mtasts.policy.empty");
}

TEST(StsPolicy, Extensions) {
  auto r = ParsePolicy(
      "version: STSv1\nfoo: bar baz\nmode: none\nnote: gr\xc3\xbc\xc3\x9f"
      "e\n"
      "max_age: 5\n");  // P37, P38
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->extensions.size(), 2u);
  EXPECT_EQ(r->extensions[0].value, "bar baz");
  EXPECT_EQ(ErrorId("version: STSv1\nfoo: \xff\nmode: none\nmax_age: 5\n"),
            "mtasts.policy.invalid_utf8");
}

TEST(StsPolicy, TooLarge) {  // P39
  std::string big(kMaxPolicyBytes + 1, 'a');
  auto r = ParsePolicy(big, kInterop);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "mtasts.policy.too_large");
}

TEST(StsPolicy, ReportsEveryBadLine) {
  auto r = ParsePolicy("version: STSv2\nmode: strict\nmax_age: x\n");
  ASSERT_FALSE(r.ok());
  Diagnostics errors;
  for (const auto& d : r.diagnostics()) {
    if (d.IsError()) {
      errors.push_back(d);
    }
  }
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0].offset, 9u);
  EXPECT_EQ(errors[1].id, "mtasts.policy.bad_mode");
  EXPECT_EQ(errors[2].id, "mtasts.policy.bad_max_age");
}

TEST(StsPolicy, SerializeRoundTripAndPolicyStrings) {
  auto r = ParsePolicy("mode:testing\nversion: STSv1\nmx: a.example\nx-y: 1 2\nmax_age: 7");
  ASSERT_TRUE(r.ok());
  std::string s = SerializePolicy(*r);
  auto again = ParsePolicy(s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->mode, r->mode);
  EXPECT_EQ(again->max_age, r->max_age);
  EXPECT_EQ(again->MxPatterns(), r->MxPatterns());
  EXPECT_EQ(again->extensions, r->extensions);
  EXPECT_EQ(PolicyStrings(*r),
            (std::vector<std::string>{"version: STSv1", "mode: testing", "mx: a.example",
                                      "max_age: 7", "x-y: 1 2"}));
}

// The fast paths (SSE2 mx lines, common version/mode/max_age lines) must give
// what the general path gives, value and diagnostics alike.
TEST(StsPolicy, FastPathsAgreeWithTheGeneralPath) {
  const std::string pad = "\nx-pad: " + std::string(40, 'p') + "\n";
  const std::vector<std::string> bodies = {
      std::string(kGood),
      "version: STSv1\nmode: testing\nmx: *.example.net\nmax_age: 604800\n" + pad,
      "version: STSv1\r\nmode: none\r\nmax_age: 0" + pad,
      "version: STSv1\nmode: enforce\nmx: mail.example.com \nmax_age: 1\n" + pad,
      "version: STSv1\nmode: enforce\nmx: mail.example.com.\nmax_age: 1\n" + pad,
      "version: STSv1\nmode: enforce\nmx: " + std::string(31, 'a') + "\nmax_age: 1\n" + pad,
      "version: STSv1\nmode: enforce\nmx: " + std::string(32, 'a') + "\nmax_age: 1\n" + pad,
      "version: STSv1\nmode: enforce\nmx: a-.example\nmax_age: 1\n" + pad,
      "version: STSv1\nmode: enforce\nmx: xn--a.example\nmax_age: 1\n" + pad,
      "version: STSv1\nmode: enforce\nmx: a..b\nmax_age: 1\n" + pad,
      "version: STSv1\nmode: enforce\nmx:\t*.a.b\nmax_age: 1\n" + pad,
      "version: STSv1\nmode: enforce\nmode: none\nmx: a.b\nmax_age: 31557600\n" + pad,
      "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 31557601\n" + pad,
      "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 0000000001\n" + pad,
      "version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 1 \n" + pad,
      "version: STSv10\nmode: nonE\nmx: a.b\rmax_age: 1\n" + pad,
      // mx lines near the end of the body (the fast path then classifies
      // the body's last 32 bytes), with and without a final line end.
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: mail.example.com\n",
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: mail.example.com",
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: *.example.com\r\n",
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: mail.example.com \n",
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: mail.example.com.",
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a-.example.com",
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: a\r",
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: ",
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: mx.example:25",
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: " + std::string(31, 'a'),
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: " + std::string(32, 'a'),
      "version: STSv1\nmode: enforce\nmax_age: 1\nmx: m\xc3\xa9.example\n",
      "mx: a.example\nmx: b.example\nmx: c.example",
      "mx: a.example",
  };
  testing::ExpectFastPathsAgree<ParseOptions, Policy>(
      bodies,
      [](std::string_view in, const ParseOptions& o, Policy& out) {
        return ParsePolicyInto(in, o, out);
      },
      [](const Policy& a, const Policy& b, const std::string& in) {
        EXPECT_EQ(a.mode, b.mode) << in;
        EXPECT_EQ(a.max_age, b.max_age) << in;
        EXPECT_EQ(a.MxPatterns(), b.MxPatterns()) << in;
        EXPECT_EQ(a.extensions, b.extensions) << in;
      });
}

TEST(StsPolicy, MatchesMx) {
  auto r = ParsePolicy(kGood);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(PolicyMatchesMx(*r, "MAIL.example.com."));
  EXPECT_TRUE(PolicyMatchesMx(*r, "x.example.net"));
  EXPECT_FALSE(PolicyMatchesMx(*r, "a.b.example.net"));
  EXPECT_FALSE(PolicyMatchesMx(*r, "evilmail.example.com"));
}

TEST(StsPolicy, ReuseShrinksMxList) {
  Policy p;
  ASSERT_TRUE(ParsePolicyInto(kGood, kStrict, p));
  ASSERT_TRUE(ParsePolicyInto("version: STSv1\nmode: none\nmax_age: 1\n", kStrict, p));
  EXPECT_EQ(p.mx_count(), 0u);
  EXPECT_EQ(p.mode, Mode::kNone);
}

}  // namespace
}  // namespace mxconform::mtasts
