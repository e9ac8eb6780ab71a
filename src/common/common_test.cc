#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/clock.h"
#include "common/compress.h"
#include "common/domain.h"
#include "common/file.h"
#include "common/gzip_test_util.h"
#include "common/result.h"
#include "common/text.h"
#include "common/txt.h"

namespace mxconform {
namespace {

TEST(Diagnostics, LocateGivesLineAndColumn) {
  Diagnostics d{MakeDiag("x.y", Severity::kError, 0, "m"),
                MakeDiag("x.y", Severity::kError, 7, "m"),
                MakeDiag("x.y", Severity::kError, 12, "m")};
  LocateDiagnostics("abc\r\ndefg\nhij", d);
  EXPECT_EQ(d[0].line, 1u);
  EXPECT_EQ(d[0].column, 1u);
  EXPECT_EQ(d[1].line, 2u);
  EXPECT_EQ(d[1].column, 3u);
  EXPECT_EQ(d[2].line, 3u);
  EXPECT_EQ(d[2].column, 3u);
}

TEST(Result, FailureKeepsFirstError) {
  Result<int> r = Result<int>::Failure({MakeDiag("a.warn", Severity::kWarning, 1, "w"),
                                        MakeDiag("a.err", Severity::kError, 2, "e", "detail")});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "a.err");
  EXPECT_EQ(r.error().Text(), "e: detail");
  Result<int> v = 5;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
  EXPECT_TRUE(v.diagnostics().empty());
}

TEST(Text, AssignInPlaceAlsoFromItself) {
  std::string s = "v=spf1 -all";
  s.reserve(64);
  const char* buffer = s.data();
  text::AssignInPlace(s, "v=DMARC1");
  EXPECT_EQ(s, "v=DMARC1");
  text::AssignInPlace(s, s);  // the whole of itself
  EXPECT_EQ(s, "v=DMARC1");
  text::AssignInPlace(s, std::string_view(s).substr(2));  // a tail of itself
  EXPECT_EQ(s, "DMARC1");
  text::AssignInPlace(s, std::string_view(s).substr(1, 3));  // a middle part
  EXPECT_EQ(s, "MAR");
  EXPECT_EQ(s.data(), buffer);  // never a new buffer
  text::AssignInPlace(s, "");
  EXPECT_TRUE(s.empty());
}

TEST(Text, Utf8Validation) {
  EXPECT_TRUE(
      text::IsValidUtf8("b\xc3\xbc"
                        "cher"));
  EXPECT_EQ(text::ValidUtf8Prefix("ab\xc0\xaf"), 2u);         // overlong
  EXPECT_EQ(text::ValidUtf8Prefix("a\xed\xa0\x80"), 1u);      // surrogate
  EXPECT_EQ(text::ValidUtf8Prefix("a\xf4\x90\x80\x80"), 1u);  // > U+10FFFF
  EXPECT_EQ(text::ValidUtf8Prefix("a\xe2\x82"), 1u);          // truncated
  EXPECT_TRUE(text::IsValidUtf8("\xf0\x9f\x98\x80"));
}

TEST(Text, AddressLiteralOctets) {
  using V = std::vector<std::uint8_t>;
  EXPECT_EQ(text::AddressLiteralOctets("192.0.2.25"), (V{192, 0, 2, 25}));
  EXPECT_EQ(text::AddressLiteralOctets("2001:db8::25").size(), 16u);
  EXPECT_EQ(text::AddressLiteralOctets("::ffff:192.0.2.25")[15], 25);
  EXPECT_TRUE(text::AddressLiteralOctets("192.0.2.256").empty());
  EXPECT_TRUE(text::AddressLiteralOctets("mx.example.com").empty());
  EXPECT_TRUE(text::AddressLiteralOctets("").empty());
  // inet_pton would read "192.0.2.25" and stop at the NUL.
  EXPECT_TRUE(text::AddressLiteralOctets(std::string_view("192.0.2.25\0x", 12)).empty());
}

// Printable, the renderer of every diagnostic's detail: each byte value
// alone and between plain text, against a byte-at-a-time reference.
TEST(Text, PrintableEscapesEveryByteThatIsNotPlain) {
  auto reference = [](std::string_view s, std::size_t max) {
    std::string out;
    const std::size_t n = std::min(s.size(), max);
    for (std::size_t i = 0; i < n; ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c < 0x7f && c != '\\') {
        out.push_back(static_cast<char>(c));
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      }
    }
    return n < s.size() ? out + "..." : out;
  };
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    EXPECT_EQ(text::Printable(one), reference(one, 64)) << b;
    const std::string mid = "v=spf1 a:" + one + "x.example" + one + one + " -all";
    EXPECT_EQ(text::Printable(mid), reference(mid, 64)) << b;
    EXPECT_EQ(text::Printable(mid, 10), reference(mid, 10)) << b;  // cut just after the byte
  }
  EXPECT_EQ(text::Printable("a\\b\x7f\xff\t"), "a\\x5cb\\x7f\\xff\\x09");
  EXPECT_EQ(text::Printable(std::string(70, 'a')), std::string(64, 'a') + "...");
  EXPECT_EQ(text::Printable("abc", 3), "abc");
  EXPECT_EQ(text::Printable("", 0), "");
}

TEST(Text, FindNonPrintableEveryPosition) {
  // Each class of byte at every offset of a 20-byte string, across the
  // eight-byte word boundaries.
  for (unsigned char bad : {0x00, 0x09, 0x1f, 0x7f, 0x80, 0xff}) {
    for (std::size_t at = 0; at < 20; ++at) {
      std::string s(20, 'a');
      s[at] = static_cast<char>(bad);
      EXPECT_EQ(text::FindNonPrintable(s), at) << int(bad) << " at " << at;
    }
  }
  EXPECT_EQ(text::FindNonPrintable("v=STSv1; id=abc ~ !"), 19u);
  EXPECT_EQ(text::FindNonPrintable(""), 0u);
}

// The SSE2 run must stop exactly where a byte loop stops, for every start,
// length and stopping byte, the range edges around the letters and digits
// and 8-bit bytes included.
TEST(Text, AlnumRunEndMatchesAByteLoop) {
  const std::string stoppers =
      std::string("/:@[`{;= \t\x7f\x80\xc3\xff", 14) + std::string(1, '\0');
  for (std::size_t len = 0; len <= 40; ++len) {
    for (std::size_t stop = 0; stop <= len; ++stop) {
      for (char c : stoppers) {
        std::string s;
        for (std::size_t k = 0; k < len; ++k) {
          s += "aZ09mxQ7"[k % 8];
        }
        if (stop < len) {
          s[stop] = c;
        }
        for (std::size_t from = 0; from <= len; ++from) {
          std::size_t want = from;
          while (want < s.size() && text::IsAlnum(s[want])) {
            ++want;
          }
          ASSERT_EQ(text::AlnumRunEnd(s, from), want)
              << "len " << len << " stop " << stop << " from " << from;
        }
      }
    }
  }
}

TEST(Text, AppendDecimal) {
  std::string s = "x";
  text::AppendDecimal(s, 0);
  text::AppendDecimal(s, 255);
  text::AppendDecimal(s, 65535);
  EXPECT_EQ(s, "x025565535");
  s.clear();
  text::AppendDecimal(s, 18446744073709551615u);
  EXPECT_EQ(s, "18446744073709551615");
}

TEST(Text, ParseDecimalBoundsAndOverflow) {
  std::uint64_t v = 0;
  EXPECT_TRUE(text::ParseDecimal("00086400", 10, v));
  EXPECT_EQ(v, 86400u);
  EXPECT_FALSE(text::ParseDecimal("", 10, v));
  EXPECT_FALSE(text::ParseDecimal("12345678901", 10, v));
  EXPECT_FALSE(text::ParseDecimal("+5", 10, v));
  EXPECT_FALSE(text::ParseDecimal("99999999999999999999", 30, v));
}

TEST(Domain, CheckNameRules) {
  using domain::NameError;
  EXPECT_TRUE(domain::CheckName("mx1.example.com").ok());
  EXPECT_EQ(domain::CheckName("").error, NameError::kEmpty);
  EXPECT_EQ(domain::CheckName("a..b").error, NameError::kEmptyLabel);
  EXPECT_EQ(domain::CheckName("a..b").offset, 2u);
  EXPECT_EQ(domain::CheckName("-a.b").error, NameError::kHyphenEdge);
  EXPECT_EQ(domain::CheckName("a_b.c").error, NameError::kBadCharacter);
  EXPECT_EQ(domain::CheckName("*.b.c").error, NameError::kBadCharacter);
  EXPECT_EQ(domain::CheckName("b\xc3\xbc"
                              "cher.example")
                .error,
            NameError::kNonAscii);
  EXPECT_EQ(domain::CheckName(std::string(64, 'a') + ".com").error, NameError::kLabelTooLong);
  EXPECT_EQ(domain::CheckName("a.com.").error, NameError::kTrailingDot);
  domain::NameRules dot;
  dot.allow_trailing_dot = true;
  EXPECT_TRUE(domain::CheckName("a.com.", dot).ok());
  EXPECT_TRUE(domain::CheckName("xn--bcher-kva.example").ok());
  EXPECT_EQ(domain::CheckName("xn--zzzzzzz-.example").error, NameError::kHyphenEdge);
  EXPECT_EQ(domain::CheckName("xn--a.example").error, NameError::kBadALabel);
}

// The 16-byte fast path must agree with the byte loop: the same names as
// above, and shapes that stress it (lengths 15-33, dots and hyphens at chunk
// edges, x?-- labels, high bytes).
TEST(Domain, FastPathAgreesWithFullCheck) {
  const std::vector<std::string> names = {"a",
                                          "a.b",
                                          "mail.example.com",
                                          "aspmx.l.google.com",
                                          "mail.protection.outlook.com",
                                          std::string(15, 'a') + "." + std::string(15, 'b'),
                                          std::string(16, 'a') + "." + std::string(15, 'b'),
                                          std::string(32, 'a'),
                                          std::string(33, 'a'),
                                          std::string(15, 'a') + "-.b",
                                          "a.-" + std::string(14, 'b'),
                                          std::string(16, 'c') + ".",
                                          "." + std::string(20, 'c'),
                                          "a..b" + std::string(20, 'c'),
                                          "xn--bcher-kva.example",
                                          "mail.xn--bcher-kva.example",
                                          "x---.example",
                                          "xa--b.example",
                                          "mx1.Example.COM",
                                          std::string(20, 'd') + "\x80" + "e",
                                          std::string(17, 'e') + "_f",
                                          "a-b.c-d.e",
                                          "@" + std::string(20, 'z'),
                                          "[" + std::string(20, 'z')};
  domain::NameRules slow;
  slow.fast_path = false;
  for (const auto& n : names) {
    auto fast = domain::CheckName(n);
    auto loop = domain::CheckName(n, slow);
    EXPECT_EQ(fast.error, loop.error) << n;
    EXPECT_EQ(fast.offset, loop.offset) << n;
  }
  EXPECT_TRUE(domain::CheckName(std::string(15, 'a') + "." + std::string(15, 'b')).ok());
  EXPECT_EQ(domain::CheckName(std::string(15, 'a') + "-.b").error, domain::NameError::kHyphenEdge);
  EXPECT_EQ(domain::CheckName(std::string(17, 'e') + "_f").offset, 17u);
  EXPECT_EQ(domain::CheckName("a..b" + std::string(20, 'c')).error, domain::NameError::kEmptyLabel);
  EXPECT_EQ(domain::CheckName("xn--a.example" + std::string(5, 'q')).error,
            domain::NameError::kBadALabel);
}

TEST(Domain, ToALabels) {
  auto r = domain::ToALabels(
      "B\xc3\xbc"
      "cher.Example");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "xn--bcher-kva.example");
}

TEST(Domain, MxPatternMatching) {
  // STS-4.1-02: one leftmost label only.
  EXPECT_TRUE(domain::MatchesMxPattern("*.example.com", "mail.example.com"));
  EXPECT_FALSE(domain::MatchesMxPattern("*.example.com", "example.com"));
  EXPECT_FALSE(domain::MatchesMxPattern("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(domain::MatchesMxPattern("*.example.com", ".example.com"));
  // Suffix confusion must not match.
  EXPECT_FALSE(domain::MatchesMxPattern("mail.example.com", "evilmail.example.com"));
  EXPECT_FALSE(domain::MatchesMxPattern("*.example.com", "mail.evilexample.com"));
  // STS-4.1-03 / 04: case and trailing dot.
  EXPECT_TRUE(domain::MatchesMxPattern("mx1.example.com", "MX1.Example.COM."));
  EXPECT_TRUE(domain::MatchesMxPattern("*.Example.com", "a.example.COM"));
  EXPECT_FALSE(domain::MatchesMxPattern("*.", "a."));
  EXPECT_FALSE(domain::MatchesMxPattern("", ""));
}

TEST(Txt, PresentationDecoding) {
  auto r = txt::DecodePresentation(R"("v=STSv1; id=" "abc")");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "v=STSv1; id=abc");
  auto e = txt::DecodePresentation(R"("a\059b\"c" d)");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, "a;b\"cd");
  EXPECT_EQ(txt::DecodePresentation(R"("abc)").error().id, "txt.presentation.unterminated");
  EXPECT_EQ(txt::DecodePresentation(R"("\256")").error().id, "txt.presentation.bad_escape");
  EXPECT_EQ(txt::DecodePresentation(R"("\25")").error().id, "txt.presentation.bad_escape");
  EXPECT_EQ(txt::DecodePresentation("\"" + std::string(256, 'a') + "\"").error().id,
            "txt.presentation.string_too_long");
}

// Where each decoded byte came from, so that `check` locates a diagnostic in
// a presentation-form line at the right column (review finding: it added
// the offset to the line's first column, ignoring quotes and escapes).
TEST(Txt, PresentationDecodingKeepsEachBytesSource) {
  std::vector<std::uint32_t> source;
  auto r = txt::DecodePresentation(R"("a\059b" "cd")", &source);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "a;bcd");
  EXPECT_EQ(source, (std::vector<std::uint32_t>{1, 2, 6, 10, 11}));
  auto lines = txt::SplitRecords("  \"v=STSv1;\" \"id=a_b\"\nv=STSv1; id=a_b\n");
  ASSERT_TRUE(lines.ok());
  ASSERT_EQ(lines->size(), 2u);
  const txt::FileRecord& quoted = (*lines)[0];
  EXPECT_EQ(quoted.text, "v=STSv1;id=a_b");
  EXPECT_EQ(quoted.ColumnOf(0), 4u);                    // the 'v' after two blanks and a quote
  EXPECT_EQ(quoted.ColumnOf(12), 19u);                  // the '_' after the second quote
  EXPECT_EQ(quoted.ColumnOf(quoted.text.size()), 22u);  // past the line's end
  const txt::FileRecord& plain = (*lines)[1];
  EXPECT_TRUE(plain.columns.empty());
  EXPECT_EQ(plain.ColumnOf(13), 14u);
}

TEST(Txt, SplitRecordsMixesForms) {
  auto r = txt::SplitRecords("\"v=spf1 \" \"-all\"\r\n  v=STSv1; id=1\n\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].text, "v=spf1 -all");
  EXPECT_TRUE((*r)[0].presentation);
  // A raw line is the record whole: its leading blanks are part of it, as
  // its trailing ones are (they used to be skipped).
  EXPECT_EQ((*r)[1].text, "  v=STSv1; id=1");
  EXPECT_FALSE((*r)[1].presentation);
  EXPECT_EQ((*r)[1].line, 2u);
  EXPECT_EQ((*r)[1].column, 1u);
  auto bad = txt::SplitRecords("x\n\"open");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().offset, 2u);
  EXPECT_EQ(bad.error().line, 2u);
  EXPECT_EQ(bad.error().column, 1u);
}

TEST(Txt, SelectRecordRule) {
  const txt::SelectionRule rule{"v=X1;", "x.none", "none", "x.many", "many"};
  std::vector<std::string> one{"anything"};
  EXPECT_EQ(*txt::SelectRecord(one, rule), 0u);
  std::vector<std::string> pick{"v=spf1", "v=X1; a", "v=X1 ; b"};
  EXPECT_EQ(*txt::SelectRecord(pick, rule), 1u);
  std::vector<std::string> many{"v=X1;a", "v=X1;b"};
  EXPECT_EQ(txt::SelectRecord(many, rule).error().id, "x.many");
  std::vector<std::string> none;
  EXPECT_EQ(txt::SelectRecord(none, rule).error().id, "x.none");
}

// A scratch directory of this test process, removed at the end.
class FileRead : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("mxconform-file-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::filesystem::path Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    return dir_ / name;
  }
  static constexpr FileReadIds kIds{"test.unreadable", "test.too_large"};
  std::filesystem::path dir_;
};

// The directory scans' listing: files with the extension, sorted, not
// below the directory; a symlink loop is listed (for its reader to report
// unreadable), not thrown on.
TEST_F(FileRead, FilesWithExtensionListsWhatAReaderShouldSee) {
  Write("b.yaml", "b");
  Write("a.yaml", "a");
  Write("c.yml", "c");
  std::filesystem::create_directories(dir_ / "sub");
  Write("sub/d.yaml", "d");
  std::filesystem::create_symlink("loop.yaml", dir_ / "loop.yaml");
  EXPECT_EQ(
      FilesWithExtension(dir_, ".yaml"),
      (std::vector<std::filesystem::path>{dir_ / "a.yaml", dir_ / "b.yaml", dir_ / "loop.yaml"}));
  EXPECT_EQ(FilesWithExtension(dir_, ".yml"), std::vector<std::filesystem::path>{dir_ / "c.yml"});
  EXPECT_TRUE(FilesWithExtension(dir_ / "none", ".yaml").empty());
  EXPECT_FALSE(ReadFileAtMost(dir_ / "loop.yaml", 10, kIds).ok());
}

TEST_F(FileRead, WholeFileUpToTheLimit) {
  EXPECT_EQ(*ReadFileAtMost(Write("empty", ""), 10, kIds), "");
  const std::string bytes("a\0b\r\n\xff", 6);
  EXPECT_EQ(*ReadFileAtMost(Write("six", bytes), 6, kIds), bytes);
  // Past one 64 KiB block, exactly at the limit.
  const std::string big(200000, 'x');
  auto r = ReadFileAtMost(Write("big", big), big.size(), kIds);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), big.size());
}

TEST_F(FileRead, OneByteOverTheLimitIsTooLarge) {
  const auto path = Write("seven", "1234567");
  auto r = ReadFileAtMost(path, 6, kIds);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "test.too_large");
  EXPECT_EQ(r.error().detail, path.string() + ": more than 6 bytes");
  // The limit 0 takes only the empty file.
  EXPECT_EQ(ReadFileAtMost(path, 0, kIds).error().id, "test.too_large");
}

TEST_F(FileRead, MissingFileAndDirectoryAreUnreadable) {
  auto missing = ReadFileAtMost(dir_ / "nope", 10, kIds);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().id, "test.unreadable");
  EXPECT_EQ(missing.error().detail, (dir_ / "nope").string() + ": No such file or directory");
  auto dir = ReadFileAtMost(dir_, 10, kIds);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().id, "test.unreadable");
  EXPECT_EQ(dir.error().detail, dir_.string() + ": Is a directory");
}

// A device that never ends stops at the limit (the bug: the runner's
// loaders read /dev/zero until memory ran out).
TEST_F(FileRead, EndlessDeviceStopsAtTheLimit) {
  auto r = ReadFileAtMost("/dev/zero", std::size_t{1} << 20, kIds);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "test.too_large");
  std::FILE* f = std::fopen("/dev/zero", "rb");
  ASSERT_NE(f, nullptr);
  std::string out;
  int error = 0;
  EXPECT_EQ(ReadStreamAtMost(f, 100, out, error), ReadStatus::kTooLarge);
  EXPECT_LE(out.size(), 100u);
  std::fclose(f);
}

TEST(Clock, FixedClockSteps) {
  FixedClock c(100);
  c.Advance(5);
  EXPECT_EQ(c.Now(), 105);
  SystemClock s;
  EXPECT_GT(s.Now(), 1700000000);
}

// RFC 4648 §10's test vectors.
TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(text::Base64(""), "");
  EXPECT_EQ(text::Base64("f"), "Zg==");
  EXPECT_EQ(text::Base64("fo"), "Zm8=");
  EXPECT_EQ(text::Base64("foo"), "Zm9v");
  EXPECT_EQ(text::Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(text::Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(text::Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(text::Base64(std::string("\xff\x00\xfe", 3)), "/wD+");
}

TEST(Base64, WrapsLinesWithCrLf) {
  EXPECT_EQ(text::Base64("foobar", 4), "Zm9v\r\nYmFy\r\n");
  EXPECT_EQ(text::Base64("fooba", 4), "Zm9v\r\nYmE=\r\n");
  EXPECT_EQ(text::Base64("", 4), "");
  const std::string wrapped = text::Base64(std::string(300, 'x'), 76);
  std::size_t start = 0;
  while (start < wrapped.size()) {
    const std::size_t end = wrapped.find("\r\n", start);
    ASSERT_NE(end, std::string::npos);
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
}

TEST(Gzip, RoundTripsAndIsDeterministic) {
  std::string big;
  for (int i = 0; i < 100000; ++i) {
    big += std::to_string(i * 7919 % 1000003);
  }
  for (const std::string& s : {std::string(), std::string("{}"), big}) {
    const std::string gz = Gzip(s);
    ASSERT_GE(gz.size(), 18u);  // header, trailer
    EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
    EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0'));  // MTIME 0
    EXPECT_EQ(testing::Gunzip(gz), s);
    EXPECT_EQ(Gzip(s), gz);
  }
  EXPECT_LT(Gzip(big).size(), big.size() / 2);
}

TEST(Base64, DecodeUndoesEncodeAndSkipsLineBreaks) {
  const std::string bytes("\x00\x01\xfe\xffhello, world\x80", 17);
  for (std::size_t len = 0; len <= bytes.size(); ++len) {
    const std::string part = bytes.substr(0, len);
    EXPECT_EQ(text::Base64Decode(text::Base64(part)), part) << len;
    EXPECT_EQ(text::Base64Decode(text::Base64(part, 4)), part) << len;
  }
  EXPECT_EQ(text::Base64Decode(" Zm9v\tYmE=\r\n"), "fooba");
  for (const char* bad : {"Zm9", "Zm9vY", "Z===", "Zm=v", "Zm9v=", "Zm9*", "Zg==Zg==", "=Zg="}) {
    EXPECT_EQ(text::Base64Decode(bad), std::nullopt) << bad;
  }
}

TEST(QuotedPrintable, DecodesEscapesAndSoftBreaks) {
  EXPECT_EQ(text::QuotedPrintableDecode("a=3Db=\r\nc=0A"), "a=bc\n");
  EXPECT_EQ(text::QuotedPrintableDecode("x=\ny"), "xy");
  EXPECT_EQ(text::QuotedPrintableDecode("=3d"), "=");
  for (const char* bad : {"=", "=4", "=G1", "a=\rb"}) {
    EXPECT_EQ(text::QuotedPrintableDecode(bad), std::nullopt) << bad;
  }
}

TEST(PercentDecode, DecodesEscapesAndRefusesBrokenOnes) {
  EXPECT_EQ(text::PercentDecode("a%21b%2cc"), "a!b,c");
  EXPECT_EQ(text::PercentDecode("plain"), "plain");
  EXPECT_EQ(text::PercentDecode(""), "");
  for (const char* bad : {"%", "%4", "%G1", "a%2"}) {
    EXPECT_EQ(text::PercentDecode(bad), std::nullopt) << bad;
  }
}

TEST(Gunzip, ReadsMembersAndRefusesWhatIsNotGzip) {
  const std::string one = Gzip("hello ");
  auto a = Gunzip(one + Gzip("world"), 100);
  ASSERT_TRUE(a) << a.error().Text();
  EXPECT_EQ(*a, "hello world");  // RFC 1952 §2.2: members concatenate

  for (const std::string& bad :
       {std::string(), std::string("plain text"), one.substr(0, one.size() - 3), one + "garbage"}) {
    auto r = Gunzip(bad, 100);
    ASSERT_FALSE(r) << bad.size();
    EXPECT_EQ(r.error().id, "gzip.invalid");
  }
  std::string corrupt = one;
  corrupt[corrupt.size() - 6] ^= 0x55;  // the CRC-32
  EXPECT_FALSE(Gunzip(corrupt, 100));
}

TEST(Gunzip, StopsABombAtTheLimit) {
  const std::string bomb = Gzip(std::string(50 * 1000 * 1000, 'a'));
  EXPECT_LT(bomb.size(), 100000u);
  auto r = Gunzip(bomb, 1000000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().id, "gzip.too_large");
  auto exact = Gunzip(Gzip(std::string(1000, 'a')), 1000);
  ASSERT_TRUE(exact);
  EXPECT_EQ(exact->size(), 1000u);
  EXPECT_FALSE(Gunzip(Gzip(std::string(1001, 'a')), 1000));
}

}  // namespace
}  // namespace mxconform
