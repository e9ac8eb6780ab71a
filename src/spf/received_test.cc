#include "spf/received.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostics_test_util.h"

namespace mxconform::spf {
namespace {

using mxconform::testing::DiagnosticIds;
using Ids = std::vector<std::string_view>;

ReceivedSpf MustRead(std::string_view in) {
  auto r = ReadReceivedSpf(in);
  EXPECT_TRUE(r.ok()) << in << "\n" << (r.ok() ? "" : r.error().Text());
  return r.ok() ? *r : ReceivedSpf{};
}

Diagnostic ErrorOf(std::string_view in) {
  auto r = ReadReceivedSpf(in);
  EXPECT_FALSE(r.ok()) << in;
  return r.ok() ? Diagnostic{} : r.error();
}

constexpr std::string_view kFull =
    "Received-SPF: pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 "
    "as permitted sender) client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; "
    "helo=foo.example.com; receiver=mybox.example.org; identity=mailfrom";

TEST(ReceivedSpf, ReadsTheRfcShape) {
  const ReceivedSpf h = MustRead(kFull);
  EXPECT_EQ(h.result, SpfResult::kPass);
  EXPECT_EQ(h.comment,
            "mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted "
            "sender");
  ASSERT_EQ(h.pairs.size(), 5u);
  EXPECT_EQ(h.pairs[1].key, "envelope-from");
  EXPECT_EQ(h.pairs[1].value, "myname@example.com");
  EXPECT_TRUE(h.pairs[1].quoted);
  EXPECT_EQ(h.Find("HELO")->value, "foo.example.com");
  EXPECT_TRUE(h.diagnostics.empty());
}

// Erratum 5436: a result alone, or a result and a comment, is a whole field.
TEST(ReceivedSpf, Eid5436ResultAndCommentAlone) {
  EXPECT_EQ(MustRead("Received-SPF: neutral").result, SpfResult::kNeutral);
  EXPECT_EQ(MustRead("Received-SPF: SoftFail (x) \r\n").result, SpfResult::kSoftFail);
  EXPECT_EQ(MustRead("received-spf:TempError").result, SpfResult::kTempError);
}

TEST(ReceivedSpf, FoldsCommentsQuotedPairsAndATrailingSemicolon) {
  const ReceivedSpf h = MustRead(
      "Received-SPF: fail (a (nested) \\) comment)\r\n\tclient-ip=\"2001:db8::1\" (v6);\r\n"
      " helo = mx.example.net ; envelope-from=\"a\\\"b@example.com\"; identity=mailfrom;\r\n");
  EXPECT_EQ(h.comment, "a (nested) \\) comment");
  ASSERT_EQ(h.pairs.size(), 4u);
  EXPECT_EQ(h.pairs[0].value, "2001:db8::1");
  EXPECT_EQ(h.pairs[1].value, "mx.example.net");
  EXPECT_EQ(h.pairs[2].value, "a\"b@example.com");
  EXPECT_TRUE(h.diagnostics.empty());
}

TEST(ReceivedSpf, ErrorsAreLocated) {
  struct Case {
    std::string_view in;
    std::string_view id;
    std::uint32_t offset;
  };
  for (const Case& c : std::vector<Case>{
           {"Received-SPF pass", "spf.received.field_name", 0},
           {"X-SPF: pass", "spf.received.field_name", 0},
           {"Received-SPF: passed", "spf.received.result", 14},
           {"Received-SPF: ", "spf.received.result", 14},
           {"Received-SPF: pass(x)", "spf.received.syntax", 18},
           {"Received-SPF: pass;", "spf.received.syntax", 18},
           {"Received-SPF: pass (open", "spf.received.comment", 19},
           {"Received-SPF: pass client-ip=2001:db8::1", "spf.received.value", 33},
           {"Received-SPF: pass helo=a..b", "spf.received.value", 26},
           {"Received-SPF: pass helo=\"open", "spf.received.value", 24},
           {"Received-SPF: pass helo", "spf.received.equals", 23},
           {"Received-SPF: pass 1helo=a", "spf.received.key", 19},
           {"Received-SPF: pass helo=a helo=b", "spf.received.syntax", 26},
           {"Received-SPF: pass envelope-from=a@b.example", "spf.received.value", 34},
           {"Received-SPF: pass\r\nhelo=a", "spf.received.fold", 18},
           {"Received-SPF: pass\rhelo=a", "spf.received.fold", 18},
           {"Received-SPF: pass (caf\xc3\xa9)", "spf.received.byte", 23},
       }) {
    const Diagnostic d = ErrorOf(c.in);
    EXPECT_EQ(d.id, c.id) << c.in;
    EXPECT_EQ(d.offset, c.offset) << c.in;
    EXPECT_FALSE(d.message.empty());
  }
  EXPECT_EQ(ErrorOf(std::string(kMaxReceivedSpfBytes + 1, 'a')).id, "spf.received.too_large");
  std::string deep = "Received-SPF: pass ";
  deep += std::string(kMaxCommentDepth + 1, '(') + std::string(kMaxCommentDepth + 1, ')');
  EXPECT_EQ(ErrorOf(deep).id, "spf.received.comment");
  std::string ok = "Received-SPF: pass ";
  ok += std::string(kMaxCommentDepth, '(') + std::string(kMaxCommentDepth, ')');
  EXPECT_TRUE(ReadReceivedSpf(ok).ok());
}

// SPF-9-01: what §9.1 asks the pairs to carry.
TEST(ReceivedSpf, Spf901WarningsOnThePairs) {
  EXPECT_EQ(
      DiagnosticIds(MustRead("Received-SPF: pass").diagnostics),
      (Ids{"spf.received.missing_key", "spf.received.missing_key", "spf.received.missing_key"}));
  // Only the HELO identity was checked: no envelope-from needed.
  EXPECT_TRUE(MustRead("Received-SPF: pass client-ip=192.0.2.1; helo=a.example; identity=helo")
                  .diagnostics.empty());
  const ReceivedSpf h = MustRead(
      "Received-SPF: pass client-ip=999.1.1.1; helo=a.example; envelope-from=\"x@a.example\"; "
      "Helo=b.example; identity=\"mail from\"");
  EXPECT_EQ(DiagnosticIds(h.diagnostics),
            (Ids{"spf.received.duplicate_key", "spf.received.client_ip", "spf.received.identity"}));
  EXPECT_EQ(h.diagnostics[0].offset, 85u);
  for (const auto& d : h.diagnostics) {
    EXPECT_EQ(d.severity, Severity::kWarning);
  }
}

}  // namespace
}  // namespace mxconform::spf
