// The reference receiver's reply to MAIL FROM (RFC 7208 §8.4-§8.7, RFC 7372
// §3.2): SPF-8-01 .. SPF-8-05.

#include "spf/receiver.h"

#include <gtest/gtest.h>

#include <string>

#include "spf/zone.h"

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

// Every line of `wire` is "CCC-" / "CCC " (the last) with printable text
// and fits RFC 5321's 512 octets; returns the number of lines.
std::size_t CheckWire(const std::string& wire, int code) {
  std::size_t lines = 0;
  const std::string c = std::to_string(code);
  for (std::size_t b = 0; b < wire.size();) {
    const std::size_t e = wire.find("\r\n", b);
    EXPECT_NE(e, std::string::npos);
    if (e == std::string::npos) {
      break;
    }
    const std::string line = wire.substr(b, e - b);
    EXPECT_LE(line.size() + 2, 512u) << line;
    EXPECT_EQ(line.substr(0, 4), c + (e + 2 < wire.size() ? "-" : " "));
    for (char ch : line) {
      EXPECT_TRUE(ch >= 0x20 && ch <= 0x7e) << static_cast<int>(ch);
    }
    ++lines;
    b = e + 2;
  }
  return lines;
}

TEST(SpfReceiver, ALongDomainCannotBreakTheReply) {
  // Found by smtp_dialogue_fuzzer: a 500-octet name made a 550 line longer
  // than a reply line may be. Every reply now wraps.
  const std::string domain = std::string(300, 'a') + "\x01." + std::string(300, 'b') + ".example";
  for (SpfResult result : {SpfResult::kFail, SpfResult::kTempError, SpfResult::kPermError}) {
    const MailReply r = ReplyToMail(Result(result, domain), "mailfrom", kClient);
    EXPECT_GE(CheckWire(FormatReply(r), r.code), 2u) << SpfResultName(result);
  }
  const MailReply r = ReplyToMail(Result(SpfResult::kFail, domain, "x"), "mailfrom", kClient);
  EXPECT_GE(CheckWire(FormatReply(r), 550), 4u);
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
  const std::size_t lines = CheckWire(wire, 550);
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

TEST(SpfReceiver, CheckAtMailUsesTheClientAndTheHeloForANullPath) {  // SPF-2.5-01, SPF-2.4-02
  ZoneResolver zone;
  zone.AddTxt("example.com", "v=spf1 ip4:192.0.2.10 -all");
  zone.AddTxt("mta.example.net", "v=spf1 ip4:198.51.100.7 -all");
  EXPECT_EQ(CheckAtMail(kClient, "mta.example.net", "a@example.com", zone).code, 250);
  const IpAddress other = IpAddress::V4(198, 51, 100, 7);
  const MailReply refused = CheckAtMail(other, "mta.example.net", "a@example.com", zone);
  EXPECT_EQ(refused.code, 550);
  EXPECT_EQ(refused.lines.front(),
            "SPF MAIL FROM check failed: example.com does not designate 198.51.100.7 as a "
            "permitted sender");
  // MAIL FROM:<> checks postmaster@<HELO name>.
  EXPECT_EQ(CheckAtMail(other, "mta.example.net", "", zone).code, 250);
  EXPECT_EQ(CheckAtMail(kClient, "mta.example.net", "", zone).code, 550);
}

TEST(SpfReceiver, ANullMxSenderDomainIsRefusedWith5727) {  // MX-7505-03
  ZoneResolver zone;
  zone.AddTxt("nullmx.example", "v=spf1 +all");
  zone.AddMx("nullmx.example", 0, ".");
  zone.AddTxt("two.example", "v=spf1 +all");
  zone.AddMx("two.example", 0, ".");
  zone.AddMx("two.example", 10, "mx.two.example");
  const MailReply r = CheckAtMail(kClient, "mta.example.net", "a@nullmx.example", zone);
  EXPECT_EQ(FormatReply(r),
            "550 5.7.27 Sender address rejected: nullmx.example publishes a null MX and accepts "
            "no mail (RFC 7505)\r\n");
  // "." beside another exchange is not a null MX; SPF decides.
  EXPECT_EQ(CheckAtMail(kClient, "mta.example.net", "a@two.example", zone).code, 250);
  ReceiverPolicy off;
  off.reject_null_mx_sender = false;
  EXPECT_EQ(CheckAtMail(kClient, "mta.example.net", "a@nullmx.example", zone, off).code, 250);
  // The check on its own, as the spf-receiver vectors call it.
  ASSERT_TRUE(NullMxRefusal("a@nullmx.example", zone).has_value());
  EXPECT_EQ(NullMxRefusal("a@nullmx.example", zone)->enhanced, "5.7.27");
  EXPECT_FALSE(NullMxRefusal("a@two.example", zone).has_value());
  EXPECT_FALSE(NullMxRefusal("", zone).has_value());  // the null reverse-path
  EXPECT_FALSE(NullMxRefusal("a@nullmx.example", zone, off).has_value());
}

TEST(SpfReceiver, DispositionNames) {
  EXPECT_EQ(DispositionName(Disposition::kAccept), "accept");
  EXPECT_EQ(DispositionName(Disposition::kReject), "reject");
  EXPECT_EQ(DispositionName(Disposition::kDefer), "defer");
}

}  // namespace
}  // namespace mxconform::spf
