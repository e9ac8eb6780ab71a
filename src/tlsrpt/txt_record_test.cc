#include "tlsrpt/txt_record.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/diagnostics_test_util.h"
#include "common/fast_path_test_util.h"

namespace mxconform::tlsrpt {
namespace {

const ParseOptions kStrict{Profile::kStrict};
const ParseOptions kInterop{Profile::kInterop};

std::string_view ErrorId(std::string_view rec, const ParseOptions& o = kStrict) {
  auto r = ParseTxtRecord(rec, o);
  return r.ok() ? "ok" : r.error().id;
}

std::vector<std::string> Uris(const TxtRecord& r) {
  std::vector<std::string> out;
  for (const auto& u : r.rua) {
    out.push_back(u.uri);
  }
  return out;
}

using testing::DiagnosticIds;

TEST(TlsrptTxt, ValidForms) {
  auto r = ParseTxtRecord("v=TLSRPTv1;rua=mailto:reports@example.com");  // R1
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rua.size(), 1u);
  EXPECT_EQ(r->rua[0], (ReportUri{UriScheme::kMailto, "mailto:reports@example.com"}));
  EXPECT_TRUE(r->diagnostics.empty());

  r = ParseTxtRecord("v=TLSRPTv1; rua=https://r.example.com/v1/tlsrpt;");  // R2
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rua.at(0).scheme, UriScheme::kHttps);

  r = ParseTxtRecord("v=TLSRPTv1; rua=mailto:a@x.example, https://r.example/");  // R3
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Uris(*r), (std::vector<std::string>{"mailto:a@x.example", "https://r.example/"}));

  r = ParseTxtRecord("v=TLSRPTv1;\trua=mailto:a@x.example\t ,\thttps://r.example ; \t");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rua.size(), 2u);
  EXPECT_TRUE(r->diagnostics.empty());
}

TEST(TlsrptTxt, VersionIsCaseSensitiveAndFirst) {
  // RPT-3-02, R4.
  EXPECT_EQ(ErrorId("v=tlsrptv1; rua=mailto:a@b.example"), "tlsrpt.txt.version");
  EXPECT_EQ(ErrorId("V=TLSRPTv1; rua=mailto:a@b.example"), "tlsrpt.txt.version");
  EXPECT_EQ(ErrorId("v=TLSRPTv2; rua=mailto:a@b.example"), "tlsrpt.txt.version");
  EXPECT_EQ(ErrorId("v=TLSRPTv10; rua=mailto:a@b.example"), "tlsrpt.txt.version");
  EXPECT_EQ(ErrorId("rua=mailto:a@b.example; v=TLSRPTv1"), "tlsrpt.txt.version");
  EXPECT_EQ(ErrorId(" v=TLSRPTv1; rua=mailto:a@b.example"), "tlsrpt.txt.version");
  EXPECT_EQ(ErrorId(""), "tlsrpt.txt.version");
}

TEST(TlsrptTxt, RuaIsRequired) {
  // R5, R6.
  EXPECT_EQ(ErrorId("v=TLSRPTv1"), "tlsrpt.txt.missing_rua");
  EXPECT_EQ(ErrorId("v=TLSRPTv1;"), "tlsrpt.txt.missing_rua");
  EXPECT_EQ(ErrorId("v=TLSRPTv1; foo=bar"), "tlsrpt.txt.missing_rua");
  // %s"rua=": "RUA=" is an extension, so there is no rua.
  EXPECT_EQ(ErrorId("v=TLSRPTv1; RUA=mailto:a@b.example"), "tlsrpt.txt.missing_rua");
}

TEST(TlsrptTxt, NonAsciiAndControlBytes) {
  auto r = ParseTxtRecord("v=TLSRPTv1; rua=mailto:a@b.example\xc3\xa9");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tlsrpt.txt.non_ascii");
  EXPECT_EQ(r.error().offset, 34u);
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a@b.example; x=\x80"), "tlsrpt.txt.non_ascii");
  EXPECT_EQ(ErrorId("v=TLSRPTv1\x80; rua=mailto:a@b.example"), "tlsrpt.txt.non_ascii");
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a@b.example\r\n"), "tlsrpt.txt.control_character");
  EXPECT_EQ(ErrorId("v=TLSRPTv1;\x01rua=mailto:a@b.example"), "tlsrpt.txt.control_character");
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a@b.example; x=a\x7f"), "tlsrpt.txt.control_character");
  // Interop skips a bad extension but not the bytes in it.
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a@b.example; x==\xff", kInterop),
            "tlsrpt.txt.non_ascii");
  EXPECT_EQ(ErrorId(std::string("v=TLSRPTv1; rua=mailto:a@b.example\0", 35)),
            "tlsrpt.txt.control_character");
}

TEST(TlsrptTxt, MalformedAndForeignUrisAreIgnored) {
  // R8, R9: ignored with a warning; the record stays valid while one remains.
  auto r = ParseTxtRecord("v=TLSRPTv1; rua=ftp://x.example/,mailto:a@b.example,http://h.example/");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Uris(*r), (std::vector<std::string>{"mailto:a@b.example"}));
  ASSERT_EQ(r->diagnostics.size(), 2u);
  EXPECT_EQ(r->diagnostics[0].id, "tlsrpt.txt.uri_ignored");
  EXPECT_EQ(r->diagnostics[0].severity, Severity::kWarning);
  EXPECT_EQ(r->diagnostics[0].detail, "ftp://x.example/");
  EXPECT_EQ(r->diagnostics[0].offset, 16u);
  EXPECT_EQ(r->diagnostics[1].detail, "http://h.example/");

  for (std::string_view bad : {
           "mailto:a!b@c.example",     // raw '!' (RPT-3-04)
           "mailto:a@b.example%2",     // truncated %HH
           "mailto:a%zz@b.example",    // bad %HH
           "mailto:b.example",         // no '@'
           "mailto:a@b@c.example",     // two '@'
           "mailto:@b.example",        // empty local part
           "mailto:a@",                // empty domain
           "mailto:a@b_c.example",     // not a host name
           "mailto:a@xn--zz.example",  // bad A-label
           "https:r.example/",         // no "//"
           "https:///path",            // no host
           "https://[::1/",            // bad IP literal
           "https://r.example:8a/",    // bad port
           "mailto:a\"b@c.example",    // not a URI character
           "no-scheme",
           "smtp:x.example",
       }) {
    std::string rec = "v=TLSRPTv1; rua=" + std::string(bad) + ",mailto:ok@b.example";
    auto x = ParseTxtRecord(rec);
    ASSERT_TRUE(x.ok()) << bad;
    EXPECT_EQ(Uris(*x), (std::vector<std::string>{"mailto:ok@b.example"})) << bad;
    ASSERT_EQ(x->diagnostics.size(), 1u) << bad;
    EXPECT_EQ(x->diagnostics[0].id, "tlsrpt.txt.uri_ignored") << bad;
    EXPECT_EQ(x->diagnostics[0].detail, bad);
  }
}

TEST(TlsrptTxt, UriForms) {
  for (std::string_view good : {
           "MAILTO:a@b.example",  // RFC 3986 §3.1: scheme is case-insensitive
           "mailto:tls%2Creports@b.example",
           "mailto:a@b.example?subject=tls%20report",
           "mailto:a@xn--bcher-kva.example",
           "HTTPS://r.example",
           "https://user@r.example:8443/v1/tlsrpt?x=1#frag",
           "https://[2001:db8::1]:443/",
           "https://192.0.2.1/",
       }) {
    auto r = ParseTxtRecord("v=TLSRPTv1; rua=" + std::string(good));
    ASSERT_TRUE(r.ok()) << good;
    EXPECT_TRUE(r->diagnostics.empty()) << good;
    EXPECT_EQ(r->rua.at(0).uri, good);
  }
  EXPECT_EQ(ParseTxtRecord("v=TLSRPTv1; rua=MAILTO:a@b.example")->rua[0].scheme,
            UriScheme::kMailto);
}

TEST(TlsrptTxt, NoUsableRua) {
  auto r = ParseTxtRecord("v=TLSRPTv1; rua=http://x.example/");  // R9
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tlsrpt.txt.no_usable_rua");
  EXPECT_EQ(r.error().offset, 16u);
  EXPECT_EQ(r.diagnostics().at(0).id, "tlsrpt.txt.uri_ignored");
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua="), "tlsrpt.txt.no_usable_rua");
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=;"), "tlsrpt.txt.no_usable_rua");
  // R8: a raw ',' splits the URI; neither half is usable.
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a,b@c.example"), "tlsrpt.txt.no_usable_rua");
  // R8: a raw ';' ends the field; the rest is not a field.
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a;b@c.example"), "tlsrpt.txt.bad_extension");
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a;b@c.example", kInterop), "tlsrpt.txt.no_usable_rua");
}

TEST(TlsrptTxt, RepeatedRuaIsUnioned) {
  auto r = ParseTxtRecord("v=TLSRPTv1; rua=mailto:a@x.example; rua=mailto:b@y.example");  // R7
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Uris(*r), (std::vector<std::string>{"mailto:a@x.example", "mailto:b@y.example"}));
  ASSERT_EQ(r->diagnostics.size(), 1u);
  EXPECT_EQ(r->diagnostics[0].id, "tlsrpt.txt.duplicate_rua");
  EXPECT_EQ(r->diagnostics[0].severity, Severity::kWarning);
  EXPECT_EQ(r->diagnostics[0].offset, 36u);
  // A repeated rua can supply the only usable URI.
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=ftp://x.example; rua=mailto:b@y.example"), "ok");
}

TEST(TlsrptTxt, WspBeforeDelimiterIsValidWithANote) {
  auto r = ParseTxtRecord("v=TLSRPTv1 ; rua=mailto:a@b.example");  // R13
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->diagnostics.size(), 1u);
  EXPECT_EQ(r->diagnostics[0].id, "tlsrpt.txt.wsp_before_delimiter");
  EXPECT_EQ(r->diagnostics[0].severity, Severity::kInfo);
  EXPECT_EQ(r->diagnostics[0].offset, 10u);
}

TEST(TlsrptTxt, Delimiters) {
  EXPECT_EQ(ErrorId("v=TLSRPTv1 rua=mailto:a@b.example"), "tlsrpt.txt.expected_delimiter");
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a@b.example mailto:c@d.example"),
            "tlsrpt.txt.expected_delimiter");
  auto r = ParseTxtRecord("v=TLSRPTv1;; rua=mailto:a@b.example");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tlsrpt.txt.empty_field");
  EXPECT_EQ(r.error().offset, 11u);
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a@b.example; ;"), "tlsrpt.txt.empty_field");
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a@b.example "), "tlsrpt.txt.trailing_whitespace");
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a@b.example; "), "ok");  // [field-delim]

  r = ParseTxtRecord("v=TLSRPTv1;; rua=mailto:a@b.example;;\t", kInterop);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(DiagnosticIds(r->diagnostics),
            (std::vector<std::string_view>{"tlsrpt.txt.empty_field", "tlsrpt.txt.empty_field"}));
  EXPECT_EQ(r->diagnostics[0].severity, Severity::kWarning);
  r = ParseTxtRecord("v=TLSRPTv1; rua=mailto:a@b.example\t", kInterop);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(DiagnosticIds(r->diagnostics),
            (std::vector<std::string_view>{"tlsrpt.txt.trailing_whitespace"}));
}

TEST(TlsrptTxt, ExtensionsStrictVersusInterop) {
  auto r = ParseTxtRecord("v=TLSRPTv1; ext_x=abc; rua=mailto:a@b.example; a.b-c=x:y/z");  // R12
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->extensions, (std::vector<Extension>{{"ext_x", "abc"}, {"a.b-c", "x:y/z"}}));
  EXPECT_TRUE(r->diagnostics.empty());
  EXPECT_EQ(ErrorId("v=TLSRPTv1; rua=mailto:a@b.example; " + std::string(32, 'n') + "=1"), "ok");

  for (std::string_view bad : {
           "_x=1",   // name must start with ALPHA / DIGIT
           "x",      // no '='
           "=1",     // empty name
           "x=",     // empty value
           "x=a=b",  // '=' in the value
           "x=a b",  // WSP in the value
           "x~y=1",  // bad name character
       }) {
    std::string rec = "v=TLSRPTv1; rua=mailto:a@b.example; " + std::string(bad) + "; y=2";
    EXPECT_EQ(ErrorId(rec), "tlsrpt.txt.bad_extension") << bad;
    auto i = ParseTxtRecord(rec, kInterop);
    ASSERT_TRUE(i.ok()) << bad;
    EXPECT_EQ(i->extensions, (std::vector<Extension>{{"y", "2"}})) << bad;
    ASSERT_EQ(i->diagnostics.size(), 1u) << bad;
    EXPECT_EQ(i->diagnostics[0].id, "tlsrpt.txt.bad_extension");
    EXPECT_EQ(i->diagnostics[0].severity, Severity::kWarning);
    EXPECT_EQ(i->diagnostics[0].offset, 36u);
  }
  std::string long_name = "v=TLSRPTv1; rua=mailto:a@b.example; " + std::string(33, 'n') + "=1";
  EXPECT_EQ(ErrorId(long_name), "tlsrpt.txt.bad_extension");
}

TEST(TlsrptTxt, InteropAcceptsWhatStrictAcceptsWithTheSameResult) {
  for (std::string_view rec : {
           "v=TLSRPTv1;rua=mailto:reports@example.com",
           "v=TLSRPTv1 ; rua=mailto:a@b.example,ftp://x; rua=https://r.example; e=1;",
           "v=TLSRPTv1; rua=MAILTO:a@b.example; x.y=z",
       }) {
    auto s = ParseTxtRecord(rec, kStrict);
    auto i = ParseTxtRecord(rec, kInterop);
    ASSERT_TRUE(s.ok()) << rec;
    ASSERT_TRUE(i.ok()) << rec;
    EXPECT_EQ(s->rua, i->rua);
    EXPECT_EQ(s->extensions, i->extensions);
    EXPECT_EQ(DiagnosticIds(s->diagnostics), DiagnosticIds(i->diagnostics));
  }
}

TEST(TlsrptTxt, ReusedOutputKeepsItsStorage) {
  TxtRecord out;
  ASSERT_TRUE(
      ParseTxtRecordInto("v=TLSRPTv1; rua=mailto:first-long-name@example.com,"
                         "https://r.example/v1; a=1",
                         kStrict, out));
  const char* uri_buffer = out.rua[0].uri.data();
  ASSERT_TRUE(ParseTxtRecordInto("v=TLSRPTv1; rua=mailto:tlsrpt@example.com", kStrict, out));
  EXPECT_EQ(Uris(out), (std::vector<std::string>{"mailto:tlsrpt@example.com"}));
  EXPECT_TRUE(out.extensions.empty());
  EXPECT_EQ(out.rua[0].uri.data(), uri_buffer);
  EXPECT_FALSE(ParseTxtRecordInto("v=TLSRPTv1;", kStrict, out));
  EXPECT_TRUE(out.rua.empty());
  ASSERT_EQ(out.diagnostics.size(), 1u);
  EXPECT_EQ(out.diagnostics[0].id, "tlsrpt.txt.missing_rua");
}

TEST(TlsrptTxt, SelectAmongSeveralRecords) {
  const std::string good = "v=TLSRPTv1; rua=mailto:a@b.example";
  const std::string spf = "v=spf1 -all";
  std::size_t chosen = 99;
  std::vector<std::string> rrs = {spf, good};
  auto r = SelectTxtRecord(rrs, {}, &chosen);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(chosen, 1u);

  rrs = {good, "v=TLSRPTv1;rua=mailto:c@d.example"};  // R10
  EXPECT_EQ(SelectTxtRecord(rrs).error().id, "tlsrpt.txt.multiple_records");
  rrs = {spf, "v=TLSRPTv1 ; rua=mailto:a@b.example"};  // RPT-3-05: prefix test fails
  EXPECT_EQ(SelectTxtRecord(rrs).error().id, "tlsrpt.txt.no_record");
  rrs = {};
  EXPECT_EQ(SelectTxtRecord(rrs).error().id, "tlsrpt.txt.no_record");
  // A lone RR is parsed as is (R13).
  rrs = {"v=TLSRPTv1 ; rua=mailto:a@b.example"};
  EXPECT_TRUE(SelectTxtRecord(rrs).ok());
  rrs = {spf};
  EXPECT_EQ(SelectTxtRecord(rrs).error().id, "tlsrpt.txt.version");
  // The chosen record's own error comes through.
  rrs = {spf, "v=TLSRPTv1;"};
  EXPECT_EQ(SelectTxtRecord(rrs).error().id, "tlsrpt.txt.missing_rua");
}

TEST(TlsrptTxt, SerializeRoundTrips) {
  auto r = ParseTxtRecord(
      "v=TLSRPTv1 ;rua=mailto:a@b.example , ftp://x ,HTTPS://r.example/x;"
      "rua=mailto:c@d.example; ext=v;");
  ASSERT_TRUE(r.ok());
  std::string text = SerializeTxtRecord(*r);
  EXPECT_EQ(text,
            "v=TLSRPTv1; rua=mailto:a@b.example,HTTPS://r.example/x,mailto:c@d.example; ext=v");
  auto again = ParseTxtRecord(text);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rua, r->rua);
  EXPECT_EQ(again->extensions, r->extensions);
  EXPECT_TRUE(again->diagnostics.empty());
}

// The SIMD mailto: / https: fast path must give what the general path gives, value
// and diagnostics alike, including at its 64-byte window and on every shape
// it hands back.
TEST(TlsrptTxt, FastPathAgreesWithTheGeneralPath) {
  const std::vector<std::string> records = {
      "v=TLSRPTv1; rua=mailto:tlsrpt@example.com",
      "v=TLSRPTv1;rua=mailto:a@b.c,mailto:x@y.z;",
      "v=TLSRPTv1; rua=mailto:a@b.c , https://r.example/v1",
      "v=TLSRPTv1; rua=mailto:" + std::string(40, 'l') + "@" + std::string(15, 'd') + ".com",
      "v=TLSRPTv1; rua=mailto:" + std::string(45, 'l') + "@" + std::string(15, 'd') + ".com",
      "v=TLSRPTv1; rua=mailto:@example.com",
      "v=TLSRPTv1; rua=mailto:a@",
      "v=TLSRPTv1; rua=mailto:a@b@c.com",
      "v=TLSRPTv1; rua=mailto:a@-b.com",
      "v=TLSRPTv1; rua=mailto:a@b-.com",
      "v=TLSRPTv1; rua=mailto:a@b..com",
      "v=TLSRPTv1; rua=mailto:a@.b.com",
      "v=TLSRPTv1; rua=mailto:a@b.com.",
      "v=TLSRPTv1; rua=mailto:a@xn--bcher-kva.example",
      "v=TLSRPTv1; rua=mailto:a@xn--zz.example",
      "v=TLSRPTv1; rua=mailto:a@b_c.com",
      "v=TLSRPTv1; rua=mailto:a%40x@b.com",
      "v=TLSRPTv1; rua=mailto:a@b.com?subject=x",
      "v=TLSRPTv1; rua=mailto:a!b@c.com",
      "v=TLSRPTv1; rua=mailto:a+tag/x=y@c.com",
      "v=TLSRPTv1; rua=mailto:a:b@c.com",
      "v=TLSRPTv1; rua=MAILTO:a@c.com",
      "v=TLSRPTv1; rua=mailto:a@c.com\x01",
      "v=TLSRPTv1; rua=mailto:a@c.com\xc3\xa9",
      "v=TLSRPTv1; rua=mailto:a@c.com  ",
      "v=TLSRPTv1; rua=mailto:a@c.com; rua=mailto:b@d.com",
      "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt",
      "v=TLSRPTv1; rua=https://r.example",
      "v=TLSRPTv1; rua=https://r.example/",
      "v=TLSRPTv1; rua=https://r.example/a@b:c,mailto:x@y.z",
      "v=TLSRPTv1; rua=https://r.example:443/v1",
      "v=TLSRPTv1; rua=https://u@r.example/v1",
      "v=TLSRPTv1; rua=https://[2001:db8::1]/v1",
      "v=TLSRPTv1; rua=https://r.example#frag",
      "v=TLSRPTv1; rua=https://r.example/v1?x=1",
      "v=TLSRPTv1; rua=https://r.example/%41",
      "v=TLSRPTv1; rua=https://r..example/v1",
      "v=TLSRPTv1; rua=https://-r.example/v1",
      "v=TLSRPTv1; rua=https://r.example./v1",
      "v=TLSRPTv1; rua=https://xn--bcher-kva.example/v1",
      "v=TLSRPTv1; rua=https:///v1",
      "v=TLSRPTv1; rua=https://localhost/v1",
      "v=TLSRPTv1; rua=https://192.0.2.1/v1",
      "v=TLSRPTv1; rua=https://r.example/" + std::string(60, 'p'),
      "v=TLSRPTv1; rua=https://" + std::string(50, 'h') + ".example/v1",
      "v=TLSRPTv1; rua=HTTPS://r.example/v1",
  };
  testing::ExpectFastPathsAgree<ParseOptions, TxtRecord>(
      records,
      [](std::string_view in, const ParseOptions& o, TxtRecord& out) {
        return ParseTxtRecordInto(in, o, out);
      },
      [](const TxtRecord& a, const TxtRecord& b, const std::string& in) {
        EXPECT_EQ(a.rua, b.rua) << in;
        EXPECT_EQ(a.extensions, b.extensions) << in;
      });
}

}  // namespace
}  // namespace mxconform::tlsrpt
