#include "mtasts/txt_record.h"

#include <gtest/gtest.h>

#include "common/fast_path_test_util.h"

namespace mxconform::mtasts {
namespace {

const ParseOptions kStrict{Profile::kStrict};
const ParseOptions kInterop{Profile::kInterop};

std::string_view ErrorId(std::string_view rec, const ParseOptions& o = kStrict) {
  auto r = ParseTxtRecord(rec, o);
  return r.ok() ? "ok" : r.error().id;
}

TEST(StsTxt, ValidForms) {
  auto r = ParseTxtRecord("v=STSv1; id=20160831085700Z;");  // P1
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, "20160831085700Z");
  EXPECT_EQ(ErrorId("v=STSv1;id=abc"), "ok");                       // P2
  EXPECT_EQ(ErrorId("v=STSv1; id=" + std::string(32, 'a')), "ok");  // P7
  EXPECT_EQ(ErrorId("v=STSv1; ext=1; id=x"), "ok");                 // STS-3.1-07
}

TEST(StsTxt, WspBeforeDelimiterIsValidWithANote) {
  // P3, erratum 6285.
  auto r = ParseTxtRecord("v=STSv1 ; id=abc");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->diagnostics.size(), 1u);
  EXPECT_EQ(r->diagnostics[0].id, "mtasts.txt.wsp_before_delimiter");
  EXPECT_EQ(r->diagnostics[0].severity, Severity::kInfo);
}

TEST(StsTxt, Rejections) {
  EXPECT_EQ(ErrorId("V=STSv1; id=1"), "mtasts.txt.version");  // P4
  EXPECT_EQ(ErrorId("v=stsv1; id=1"), "mtasts.txt.version");
  EXPECT_EQ(ErrorId("v=STSv10; id=1"), "mtasts.txt.version");
  EXPECT_EQ(ErrorId("v=STSv1"), "mtasts.txt.missing_id");  // P5
  EXPECT_EQ(ErrorId("v=STSv1;"), "mtasts.txt.missing_id");
  EXPECT_EQ(ErrorId("id=1; v=STSv1"), "mtasts.txt.version");                       // P6
  EXPECT_EQ(ErrorId("v=STSv1; id=" + std::string(33, 'a')), "mtasts.txt.bad_id");  // P8
  EXPECT_EQ(ErrorId("v=STSv1; id="), "mtasts.txt.bad_id");
  EXPECT_EQ(ErrorId("v=STSv1; id=2016-08-31"), "mtasts.txt.bad_id");
  EXPECT_EQ(ErrorId("v=STSv1; id=ab_c"), "mtasts.txt.bad_id");
  EXPECT_EQ(ErrorId("v=STSv1 id=1"), "mtasts.txt.expected_delimiter");
  EXPECT_EQ(ErrorId("v=STSv1; id=1\xc3\xa9"), "mtasts.txt.non_ascii");  // P15
  EXPECT_EQ(ErrorId("v=STSv1; id=x y"), "mtasts.txt.expected_delimiter");
  // Regression: DEL (0x7f) is a control character, not just a bad id byte.
  EXPECT_EQ(ErrorId("v=STSv1; id=1\x7f"), "mtasts.txt.control_character");
  EXPECT_EQ(ErrorId("v=STSv1; id=1\x7f", kInterop), "mtasts.txt.control_character");
}

TEST(StsTxt, BadBytesWinOverLaterErrorsButNotOverTheVersion) {
  EXPECT_EQ(ErrorId("V=STSv1; id=\xff"), "mtasts.txt.version");
  EXPECT_EQ(ErrorId("v=STSv1; id=\x80"), "mtasts.txt.non_ascii");
  EXPECT_EQ(ErrorId("v=STSv1; id=ab_c\x01"), "mtasts.txt.control_character");
  EXPECT_EQ(ErrorId("v=STSv1; id=1; foo=\x01", kInterop), "mtasts.txt.control_character");
  EXPECT_EQ(ErrorId("v=STSv1; id=1; f=a \xc3\xa9", kInterop), "mtasts.txt.non_ascii");
  EXPECT_EQ(ErrorId("v=STSv1;\tid=1\t;"), "ok");  // HTAB is WSP
}

TEST(StsTxt, FirstIdWins) {
  auto r = ParseTxtRecord("v=STSv1; id=1; id=2");  // P9
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, "1");
  EXPECT_EQ(r->diagnostics.at(0).id, "mtasts.txt.duplicate_id");
  // A later id that is no valid id is still only a duplicate: the first
  // wins, and the field is well-formed as an sts-extension (ABNF §3.1).
  for (const auto profile : {kStrict, kInterop}) {
    auto bad = ParseTxtRecord("v=STSv1; id=1; id=2016-08-31", profile);
    ASSERT_TRUE(bad.ok()) << bad.error().Text();
    EXPECT_EQ(bad->id, "1");
    EXPECT_TRUE(bad->extensions.empty());
    ASSERT_EQ(bad->diagnostics.size(), 1u);
    EXPECT_EQ(bad->diagnostics[0].id, "mtasts.txt.duplicate_id");
  }
  // Not a well-formed field at all: refused as any extension would be.
  EXPECT_EQ(ErrorId("v=STSv1; id=1; id=a=b"), "mtasts.txt.bad_extension");
  // The first id is still checked in full.
  EXPECT_EQ(ErrorId("v=STSv1; id=2016-08-31; id=1"), "mtasts.txt.bad_id");
}

TEST(StsTxt, ExtensionsStrictVersusInterop) {
  auto r = ParseTxtRecord("v=STSv1; id=1; foo=bar");  // P10
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->extensions.size(), 1u);
  EXPECT_EQ(r->extensions[0].name, "foo");
  for (const std::string& bad : std::vector<std::string>{
           "v=STSv1; id=1; foo=", "v=STSv1; id=1; foo=a b",
           "v=STSv1; id=1; " + std::string(33, 'f') + "=x", "v=STSv1; id=1; _x=1"}) {
    EXPECT_EQ(ErrorId(bad, kStrict), "mtasts.txt.bad_extension") << bad;  // P11
    auto i = ParseTxtRecord(bad, kInterop);
    ASSERT_TRUE(i.ok()) << bad;
    EXPECT_EQ(i->id, "1");
    EXPECT_TRUE(i->extensions.empty());
  }
}

TEST(StsTxt, TrailingWhitespaceAndEmptyFields) {
  EXPECT_EQ(ErrorId("v=STSv1; id=1  "), "mtasts.txt.trailing_whitespace");
  EXPECT_EQ(ErrorId("v=STSv1; id=1  ", kInterop), "ok");
  EXPECT_EQ(ErrorId("v=STSv1; id=1;  "), "ok");
  EXPECT_EQ(ErrorId("v=STSv1;; id=1"), "mtasts.txt.empty_field");
  EXPECT_EQ(ErrorId("v=STSv1;; id=1", kInterop), "ok");
}

TEST(StsTxt, ErrorOffsetsPointAtTheProblem) {
  auto r = ParseTxtRecord("v=STSv1; id=ab_c");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().offset, 14u);
}

TEST(StsTxt, Selection) {
  std::vector<std::string> two{"v=STSv1; id=1", "v=STSv1; id=2"};  // P13
  EXPECT_EQ(SelectTxtRecord(two).error().id, "mtasts.txt.multiple_records");
  std::vector<std::string> mixed{"v=spf1 -all", "v=STSv1; id=7"};  // P14
  std::size_t chosen = 9;
  auto r = SelectTxtRecord(mixed, kStrict, &chosen);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, "7");
  EXPECT_EQ(chosen, 1u);
  // Erratum 6285: among several RRs the literal prefix decides.
  std::vector<std::string> spaced{"v=spf1 -all", "v=STSv1 ; id=7"};
  EXPECT_EQ(SelectTxtRecord(spaced).error().id, "mtasts.txt.no_record");
  std::vector<std::string> one{"v=STSv1 ; id=7"};
  EXPECT_TRUE(SelectTxtRecord(one).ok());
  std::vector<std::string> none;
  EXPECT_EQ(SelectTxtRecord(none).error().id, "mtasts.txt.no_record");
}

TEST(StsTxt, ReuseClearsPreviousState) {
  TxtRecord r;
  ASSERT_TRUE(ParseTxtRecordInto("v=STSv1; id=abc; x=1", kStrict, r));
  ASSERT_TRUE(ParseTxtRecordInto("v=STSv1; id=d", kStrict, r));
  EXPECT_EQ(r.id, "d");
  EXPECT_TRUE(r.extensions.empty());
  EXPECT_TRUE(r.diagnostics.empty());
}

TEST(StsTxt, SerializeRoundTrip) {
  auto r = ParseTxtRecord("v=STSv1;id=abc;x.y=z");
  ASSERT_TRUE(r.ok());
  std::string s = SerializeTxtRecord(*r);
  EXPECT_EQ(s, "v=STSv1; id=abc; x.y=z");
  auto again = ParseTxtRecord(s);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, r->id);
  EXPECT_EQ(again->extensions, r->extensions);
}

}  // namespace
}  // namespace mxconform::mtasts

namespace mxconform::mtasts {
namespace {

// The fast path for the usual record shape must give what the general path
// gives, value and diagnostics, on that shape and on every near miss.
TEST(StsTxt, FastPathAgreesWithTheGeneralPath) {
  const std::vector<std::string> records = {
      "v=STSv1; id=20160831085700Z",
      "v=STSv1;id=abc",
      "v=STSv1;   id=abc;",
      "v=STSv1; id=abc;   ",
      "v=STSv1; id=abc ",
      "v=STSv1; id=abc;;",
      "v=STSv1; id=abc; x=y",
      "v=STSv1; id=abc ;",
      "v=STSv1;\tid=abc",
      "v=STSv1; id=abc;\t",
      "v=STSv1; id=",
      "v=STSv1; id=" + std::string(32, 'a'),
      "v=STSv1; id=" + std::string(33, 'a'),
      "v=STSv1; id=ab_c",
      "v=STSv1; id=abc\x01",
      "v=STSv1; id=abc\xc3\xa9",
      "v=STSv1; ID=abc",
      "v=STSv1 ; id=abc",
      "v=STSv1; id=abc; id=def",
      "v=STSv1; ",
      "v=STSv1;",
  };
  testing::ExpectFastPathsAgree<ParseOptions, TxtRecord>(
      records,
      [](std::string_view in, const ParseOptions& o, TxtRecord& out) {
        return ParseTxtRecordInto(in, o, out);
      },
      [](const TxtRecord& a, const TxtRecord& b, const std::string& in) {
        EXPECT_EQ(a.id, b.id) << in;
        EXPECT_EQ(a.extensions, b.extensions) << in;
      });
}

}  // namespace
}  // namespace mxconform::mtasts
