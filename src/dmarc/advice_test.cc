#include "dmarc/advice.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxconform::dmarc {
namespace {

Diagnostics AdviceFor(const std::string& text, Mode mode = Mode::kBis) {
  ParseOptions po;
  po.mode = mode;
  auto r = ParseRecord(text, po);
  EXPECT_TRUE(r.ok()) << text;
  return r ? PublisherAdvice(*r) : Diagnostics{};
}

// DMB-5.1-01, RFC 9989 §7.4: p=reject draws the advice, located at the
// value of the p tag, as an info note.
TEST(DmarcAdvice, RejectDrawsTheIndirectFlowsAdviceAtThePValue) {
  const std::string text = "v=DMARC1;  p = reject; rua=mailto:d@example.com";
  const Diagnostics d = AdviceFor(text);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].id, "dmarc.advice.reject_indirect_flows");
  EXPECT_EQ(d[0].severity, Severity::kInfo);
  EXPECT_EQ(d[0].offset, text.find("reject"));
}

TEST(DmarcAdvice, OtherPoliciesAndTheOtherModeDrawNone) {
  EXPECT_TRUE(AdviceFor("v=DMARC1; p=quarantine").empty());
  EXPECT_TRUE(AdviceFor("v=DMARC1; p=none; sp=reject").empty());
  // RFC 7489 has no §7.4 text.
  EXPECT_TRUE(AdviceFor("v=DMARC1; p=reject", Mode::k7489).empty());
  // Unusable: the parse's error speaks, not the advice.
  EXPECT_TRUE(AdviceFor("v=DMARC1; p=bogus").empty());
}

// Tag names are case-sensitive (D21): a `P` tag-spec before the real one
// is not where the advice points.
TEST(DmarcAdvice, TheOffsetSkipsATagOfAnotherCase) {
  const std::string text = "v=DMARC1; P=none; p=reject";
  const Diagnostics d = AdviceFor(text);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].offset, text.rfind("reject"));
}

}  // namespace
}  // namespace mxconform::dmarc
