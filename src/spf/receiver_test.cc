// The reference receiver's reply to MAIL FROM (RFC 7208 §8.4-§8.7, RFC 7372
// §3.2): SPF-8-01 .. SPF-8-05.

#include "spf/receiver.h"

#include <gtest/gtest.h>

#include <string>

namespace mxconform::spf {
namespace {

const IpAddress kClient = IpAddress::V4(192, 0, 2, 10);

EvalResult Result(SpfResult result, std::string domain = "example.com",
                  std::string explanation = {}) {
  EvalResult r;
  r.result = result;
  r.domain = std::move(domain);
  r.explanation = std::move(explanation);
  return r;
}

// Every combination of the policy's knobs.
std::vector<ReceiverPolicy> AllPolicies() {
  std::vector<ReceiverPolicy> out;
  for (int bits = 0; bits < 16; ++bits) {
    ReceiverPolicy p;
    p.reject_fail = (bits & 1) != 0;
    p.defer_temperror = (bits & 2) != 0;
    p.reject_permerror = (bits & 4) != 0;
    p.codes = (bits & 8) != 0 ? StatusCodes::kRfc7372 : StatusCodes::kRfc7208;
    out.push_back(p);
  }
  return out;
}

TEST(SpfReceiver, FailIsRejectedWith550And571OrRfc7372Code) {  // SPF-8-01
  const MailReply r = ReplyToMail(Result(SpfResult::kFail), "mailfrom", kClient);
  EXPECT_EQ(r.disposition, Disposition::kReject);
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(r.enhanced, "5.7.1");
  EXPECT_EQ(FormatReply(r),
            "550 5.7.1 SPF MAIL FROM check failed: example.com does not designate 192.0.2.10 as "
            "a permitted sender\r\n");
  ReceiverPolicy p;
  p.codes = StatusCodes::kRfc7372;
  EXPECT_EQ(ReplyToMail(Result(SpfResult::kFail), "helo", kClient, p).enhanced, "5.7.23");
  EXPECT_EQ(ReplyToMail(Result(SpfResult::kFail), "helo", kClient, p).lines.front().substr(0, 19),
            "SPF HELO check fail");
}

TEST(SpfReceiver, FailCarriesTheDomainsExplanation) {  // SPF-8-01, §6.2
  const MailReply r = ReplyToMail(
      Result(SpfResult::kFail, "example.com", "Please see http://www.example.com/mailpolicy.html"),
      "mailfrom", kClient);
  EXPECT_EQ(FormatReply(r),
            "550-5.7.1 SPF MAIL FROM check failed:\r\n"
            "550-5.7.1 The domain example.com explains:\r\n"
            "550 5.7.1 Please see http://www.example.com/mailpolicy.html\r\n");
}

TEST(SpfReceiver, AnExplanationCannotBreakTheReply) {
  // The explanation is the domain owner's text: no CR / LF or other control
  // byte reaches the wire, and a long one is wrapped into lines that fit.
  std::string text = "line one\r\n250 2.0.0 forged\x01 ";
  for (int k = 0; k < 120; ++k) {
    text += "word" + std::to_string(k) + " ";
  }
  text += std::string(900, 'x');
  const MailReply r =
      ReplyToMail(Result(SpfResult::kFail, "example.com", text), "mailfrom", kClient);
  const std::string wire = FormatReply(r);
  std::size_t lines = 0;
  for (std::size_t b = 0; b < wire.size();) {
    const std::size_t e = wire.find("\r\n", b);
    ASSERT_NE(e, std::string::npos);
    const std::string line = wire.substr(b, e - b);
    EXPECT_LE(line.size() + 2, 512u) << line;
    EXPECT_EQ(line.substr(0, 4), lines + 1 < r.lines.size() ? "550-" : "550 ");
    for (char c : line) {
      EXPECT_TRUE(c >= 0x20 && c <= 0x7e) << static_cast<int>(c);
    }
    ++lines;
    b = e + 2;
  }
  EXPECT_EQ(lines, r.lines.size());
  EXPECT_GE(lines, 6u);  // two fixed lines, the text wrapped into at least four
  EXPECT_NE(wire.find("line one??250 2.0.0 forged? word0"), std::string::npos);
}

TEST(SpfReceiver, SoftfailIsNeverRejectedOnItsOwn) {  // SPF-8-02
  for (const ReceiverPolicy& p : AllPolicies()) {
    const MailReply r = ReplyToMail(Result(SpfResult::kSoftFail), "mailfrom", kClient, p);
    EXPECT_EQ(r.disposition, Disposition::kAccept);
    EXPECT_EQ(r.code, 250);
  }
}

TEST(SpfReceiver, TemperrorIsDeferredWith451) {  // SPF-8-03
  MailReply r = ReplyToMail(Result(SpfResult::kTempError), "mailfrom", kClient);
  EXPECT_EQ(r.disposition, Disposition::kDefer);
  EXPECT_EQ(r.code, 451);
  EXPECT_EQ(r.enhanced, "4.4.3");
  ReceiverPolicy p;
  p.codes = StatusCodes::kRfc7372;
  EXPECT_EQ(ReplyToMail(Result(SpfResult::kTempError), "mailfrom", kClient, p).enhanced, "4.7.24");
  p.defer_temperror = false;
  EXPECT_EQ(ReplyToMail(Result(SpfResult::kTempError), "mailfrom", kClient, p).code, 250);
}

TEST(SpfReceiver, PermerrorIsRejectedWith550) {  // SPF-8-04
  MailReply r = ReplyToMail(Result(SpfResult::kPermError), "mailfrom", kClient);
  EXPECT_EQ(r.disposition, Disposition::kReject);
  EXPECT_EQ(r.code, 550);
  EXPECT_EQ(r.enhanced, "5.5.2");
  ReceiverPolicy p;
  p.codes = StatusCodes::kRfc7372;
  EXPECT_EQ(ReplyToMail(Result(SpfResult::kPermError), "mailfrom", kClient, p).enhanced, "5.7.24");
  p.reject_permerror = false;
  EXPECT_EQ(ReplyToMail(Result(SpfResult::kPermError), "mailfrom", kClient, p).code, 250);
}

TEST(SpfReceiver, NoneAndNeutralAreTreatedAlike) {  // SPF-8-05
  for (const ReceiverPolicy& p : AllPolicies()) {
    const MailReply none = ReplyToMail(Result(SpfResult::kNone), "mailfrom", kClient, p);
    const MailReply neutral = ReplyToMail(Result(SpfResult::kNeutral), "mailfrom", kClient, p);
    EXPECT_EQ(none.disposition, neutral.disposition);
    EXPECT_EQ(none.code, neutral.code);
    EXPECT_EQ(none.enhanced, neutral.enhanced);
    EXPECT_EQ(none.disposition, Disposition::kAccept);
  }
}

TEST(SpfReceiver, AFailThePolicyDoesNotRejectIsAccepted) {
  ReceiverPolicy p;
  p.reject_fail = false;
  const MailReply r = ReplyToMail(Result(SpfResult::kFail), "mailfrom", kClient, p);
  EXPECT_EQ(r.disposition, Disposition::kAccept);
  EXPECT_EQ(FormatReply(r), "250 2.1.0 Sender OK (SPF MAIL FROM check: fail)\r\n");
}

TEST(SpfReceiver, DispositionNames) {
  EXPECT_EQ(DispositionName(Disposition::kAccept), "accept");
  EXPECT_EQ(DispositionName(Disposition::kReject), "reject");
  EXPECT_EQ(DispositionName(Disposition::kDefer), "defer");
}

}  // namespace
}  // namespace mxconform::spf
