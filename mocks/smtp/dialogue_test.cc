// The mock MX's dialogue without a socket: line framing, the message text
// and the replies (server_test.cc drives the same code over loopback).
#include "mocks/smtp/dialogue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxconform::mocks::smtp {
namespace {

using Status = LineBuffer::Status;

TEST(Knobs, TlsVersionNamesRoundTrip) {
  for (TlsVersion v : {TlsVersion::kAny, TlsVersion::kTls1_0, TlsVersion::kTls1_1,
                       TlsVersion::kTls1_2, TlsVersion::kTls1_3}) {
    EXPECT_EQ(ParseTlsVersion(TlsVersionName(v)), v);
  }
  EXPECT_EQ(TlsVersionName(TlsVersion::kTls1_2), "tls1.2");
  EXPECT_EQ(ParseTlsVersion("TLS1.2"), std::nullopt);  // scenarios spell it in lower case
  EXPECT_EQ(ParseTlsVersion("ssl3"), std::nullopt);
}

TEST(LineBuffer, SplitsOnLfAndTellsCrLfFromABareLf) {
  LineBuffer b;
  b.Append("EHLO a\r\nNOOP\nQU");
  std::string line;
  bool crlf = false;
  ASSERT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kLine);
  EXPECT_EQ(line, "EHLO a");
  EXPECT_TRUE(crlf);
  ASSERT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kLine);
  EXPECT_EQ(line, "NOOP");
  EXPECT_FALSE(crlf);
  EXPECT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kNeedMore);
  b.Append("IT\r");
  EXPECT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kNeedMore);
  b.Append("\n");  // the CR came in the read before
  ASSERT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kLine);
  EXPECT_EQ(line, "QUIT");
  EXPECT_TRUE(crlf);
}

TEST(LineBuffer, DropsAnOverlongLineAsItArrivesAndReportsItOnce) {
  LineBuffer b;
  std::string line;
  bool crlf = false;
  for (int i = 0; i < 100; ++i) {  // 100 KB without a line end
    b.Append(std::string(1024, 'x'));
    ASSERT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kNeedMore);
    ASSERT_LT(b.size(), kMaxCommandLine);
  }
  b.Append("x\r\nNOOP\r\n");
  EXPECT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kTooLong);
  EXPECT_TRUE(crlf);
  ASSERT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kLine);
  EXPECT_EQ(line, "NOOP");
}

TEST(LineBuffer, TheCapCountsTheCrLf) {
  // RFC 5321 §4.5.3.1.4: 512 octets with the CR LF.
  LineBuffer b;
  std::string line;
  bool crlf = false;
  b.Append(std::string(510, 'a') + "\r\n" + std::string(511, 'b') + "\r\n");
  ASSERT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kLine);
  EXPECT_EQ(line.size(), 510u);
  EXPECT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kTooLong);
}

TEST(LineBuffer, TakeEmptiesItAndForgetsAnOverlongLine) {
  LineBuffer b;
  std::string line;
  bool crlf = false;
  b.Append(std::string(600, 'x'));
  ASSERT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kNeedMore);
  EXPECT_EQ(b.Take().size(), 1u);  // the overlong part was dropped already
  EXPECT_EQ(b.size(), 0u);
  b.Append("NOOP\r\n");
  ASSERT_EQ(b.Next(kMaxCommandLine, line, crlf), Status::kLine);
  EXPECT_EQ(line, "NOOP");
}

TEST(MessageReader, EndsOnlyAtCrLfDotCrLfAndUnstuffsAtALineStart) {
  MessageReader m(1 << 20);
  EXPECT_FALSE(m.Line("..a", true));  // stuffed: ".a"
  EXPECT_FALSE(m.Line("b", false));   // bare LF: the next line does not start a line
  EXPECT_FALSE(m.Line(".", false));   // "\n.\n": data, no smuggling
  EXPECT_FALSE(m.Line(".", true));    // after a bare LF: still data
  EXPECT_FALSE(m.Line("..c", true));  // a line start again: unstuffed
  EXPECT_FALSE(m.Line("d", false));
  EXPECT_FALSE(m.Line("..e", true));  // after a bare LF: kept as written
  EXPECT_TRUE(m.Line(".", true));
  EXPECT_EQ(m.body(), ".a\r\nb\n.\n.\r\n.c\r\nd\n..e\r\n");
  EXPECT_EQ(m.size(), m.body().size());
  EXPECT_EQ(m.lines(), 7u);
  EXPECT_FALSE(m.too_big());
  EXPECT_FALSE(m.too_long());
}

TEST(MessageReader, CountsPastTheLimitButKeepsNoBody) {
  MessageReader m(10);
  EXPECT_FALSE(m.Line("12345678", true));  // 10 octets: at the limit
  EXPECT_FALSE(m.too_big());
  EXPECT_FALSE(m.Line("x", true));
  EXPECT_TRUE(m.too_big());
  EXPECT_EQ(m.size(), 13u);
  EXPECT_EQ(m.body(), "12345678\r\n");
  m.TooLong(true);
  EXPECT_TRUE(m.too_long());
}

// RFC 5321 §4.5.3.1.6: 1000 octets with the CRLF, "not counting the
// leading dot duplicated for transparency". The review found a 1001-octet
// wire line with a stuffed dot refused.
TEST(MessageReader, TheStuffedDotDoesNotCountTowardTheLineLimit) {
  LineBuffer b;
  b.Append("." + std::string(998, 'a') + "\r\n");
  std::string line;
  bool crlf = false;
  ASSERT_EQ(b.Next(kMaxWireTextLine, line, crlf), LineBuffer::Status::kLine);
  MessageReader m(1 << 20);
  EXPECT_FALSE(m.Line(line, crlf));
  EXPECT_FALSE(m.too_long());
  EXPECT_EQ(m.size(), 1000u);
  EXPECT_FALSE(m.Line(std::string(998, 'b'), true));  // 1000 octets, no dot
  EXPECT_FALSE(m.too_long());
  EXPECT_FALSE(m.Line(std::string(999, 'c'), true));  // 1001 octets
  EXPECT_TRUE(m.too_long());
  EXPECT_EQ(m.size(), 2000u);
  EXPECT_EQ(m.lines(), 2u);
  MessageReader n(1 << 20);
  EXPECT_FALSE(n.Line("." + std::string(999, 'd'), true));  // 1001 once unstuffed
  EXPECT_TRUE(n.too_long());
  EXPECT_TRUE(n.Line(".", true));  // the end is still found after it
}

class DialogueTest : public ::testing::Test {
 protected:
  Action Say(Dialogue& d, std::string_view line, bool tls = false) { return d.Command(line, tls); }
  DialogueOptions opts_;
  std::uint64_t greylisted_ = 0;
};

TEST_F(DialogueTest, EhloAdvertisesStartTlsPerTheKnobAndNotOverTls) {
  Dialogue d(opts_, greylisted_);
  Action a = Say(d, "EHLO client.example");
  EXPECT_EQ(a.reply,
            "250-mx.mxconform.test greets client.example\r\n250-SIZE 1048576\r\n250-8BITMIME\r\n"
            "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS");
  EXPECT_EQ(Say(d, "EHLO x", true).reply.find("STARTTLS"), std::string::npos);
  for (StartTls s : {StartTls::kAbsent, StartTls::kStripFromEhlo}) {
    opts_.starttls = s;
    Dialogue stripped(opts_, greylisted_);
    EXPECT_EQ(Say(stripped, "ehlo x").reply.find("STARTTLS"), std::string::npos) << StartTlsName(s);
  }
}

TEST_F(DialogueTest, StarttlsUnderTlsListsItAfterTheHandshakeButStillRefusesIt) {
  opts_.starttls_under_tls = true;
  Dialogue d(opts_, greylisted_);
  const Action ehlo = Say(d, "EHLO x", true);
  EXPECT_NE(ehlo.reply.find("\r\n250 STARTTLS"), std::string::npos) << ehlo.reply;
  EXPECT_EQ(Say(d, "STARTTLS", true).reply, "503 5.5.1 Error: TLS already active");
  // Without TLS nothing changes.
  EXPECT_NE(Say(d, "EHLO x").reply.find("250 STARTTLS"), std::string::npos);
  // A server without STARTTLS does not grow one under the knob.
  opts_.starttls = StartTls::kStripFromEhlo;
  Dialogue stripped(opts_, greylisted_);
  EXPECT_EQ(Say(stripped, "EHLO x", true).reply.find("STARTTLS"), std::string::npos);
}

TEST_F(DialogueTest, RequireTlsAnswers530UntilTlsIsActive) {
  // TLS-4-05: by default mail is taken without TLS (a public MX).
  Dialogue open(opts_, greylisted_);
  Say(open, "EHLO x");
  EXPECT_EQ(Say(open, "MAIL FROM:<a@b.example>").reply.substr(0, 4), "250 ");

  // TLS-4-07: with require_tls, 530 5.7.0 to all but NOOP, EHLO, STARTTLS
  // and QUIT until TLS is active.
  opts_.require_tls = true;
  Dialogue d(opts_, greylisted_);
  const std::string must = "530 5.7.0 Must issue a STARTTLS command first";
  for (const char* line : {"HELO x", "MAIL FROM:<a@b.example>", "RCPT TO:<c@d.example>", "DATA",
                           "RSET", "VRFY x", "XYZZY"}) {
    EXPECT_EQ(Say(d, line).reply, must) << line;
  }
  EXPECT_EQ(Say(d, "NOOP").reply.substr(0, 4), "250 ");
  EXPECT_NE(Say(d, "EHLO x").reply.find("250 STARTTLS"), std::string::npos);
  EXPECT_EQ(Say(d, "STARTTLS").next, Next::kStartTls);
  d.ForgetBeforeTls();
  Say(d, "EHLO x", true);
  EXPECT_EQ(Say(d, "MAIL FROM:<a@b.example>", true).reply.substr(0, 4), "250 ");
  EXPECT_EQ(Say(d, "QUIT").next, Next::kQuit);
}

TEST_F(DialogueTest, StartTlsNeedsEhloAndNoArgumentAndHonoursTheKnobs) {
  Dialogue d(opts_, greylisted_);
  EXPECT_EQ(Say(d, "STARTTLS").reply, "503 5.5.1 Error: send EHLO first");
  Say(d, "HELO x");
  EXPECT_EQ(Say(d, "STARTTLS").reply, "503 5.5.1 Error: send EHLO first");
  Say(d, "EHLO x");
  Action bad = Say(d, "STARTTLS now");
  EXPECT_TRUE(bad.error);
  EXPECT_EQ(bad.reply, "501 5.5.4 Syntax: STARTTLS");
  Action go = Say(d, "starttls");
  EXPECT_EQ(go.next, Next::kStartTls);
  EXPECT_TRUE(go.reply.empty());
  EXPECT_EQ(Say(d, "STARTTLS", true).reply, "503 5.5.1 Error: TLS already active");

  opts_.starttls = StartTls::kReply454;
  Dialogue d454(opts_, greylisted_);
  Say(d454, "EHLO x");
  EXPECT_EQ(Say(d454, "STARTTLS").reply.substr(0, 4), "454 ");
  opts_.starttls = StartTls::kAbsent;
  Dialogue absent(opts_, greylisted_);
  Say(absent, "EHLO x");
  EXPECT_EQ(Say(absent, "STARTTLS").reply.substr(0, 4), "502 ");
}

TEST_F(DialogueTest, MailHookDecidesWithClientHeloAndPath) {
  std::vector<std::string> asked;
  opts_.on_mail = [&asked](const MailContext& m) {
    asked.push_back(std::string(m.client) + " " + std::string(m.helo) + " <" +
                    std::string(m.reverse_path) + ">" + (m.tls ? " tls" : ""));
    if (m.reverse_path == "ok@x") {
      return std::string();  // the usual 250
    }
    if (m.reverse_path == "kept@x") {
      return std::string("250 2.1.0 Sender OK (checked)");
    }
    return std::string("550-5.7.1 first\r\n550 5.7.1 no");
  };
  Dialogue d(opts_, greylisted_);
  d.SetClient("192.0.2.7");
  Say(d, "EHLO one.example");
  Say(d, "HELO two.example");  // the last greeting counts
  Action refused = Say(d, "MAIL FROM:<bad@x>");
  EXPECT_EQ(refused.reply, "550-5.7.1 first\r\n550 5.7.1 no");
  EXPECT_FALSE(refused.note.empty());
  // A refused MAIL starts no transaction.
  EXPECT_EQ(Say(d, "RCPT TO:<b@x>").reply, "503 5.5.1 Error: need MAIL command");
  EXPECT_EQ(Say(d, "MAIL FROM:<ok@x>").reply, "250 2.1.0 Ok");
  EXPECT_EQ(Say(d, "RCPT TO:<b@x>").reply, "250 2.1.5 Ok");
  Say(d, "RSET");
  EXPECT_EQ(Say(d, "MAIL FROM:<kept@x>", true).reply, "250 2.1.0 Sender OK (checked)");
  EXPECT_EQ(d.state().from, "kept@x");
  // Not asked for a MAIL that fails its own checks first.
  Say(d, "RSET");
  EXPECT_EQ(Say(d, "MAIL FROM:<> SIZE=99999999").reply.substr(0, 4), "552 ");
  EXPECT_EQ(asked, (std::vector<std::string>{"192.0.2.7 two.example <bad@x>",
                                             "192.0.2.7 two.example <ok@x>",
                                             "192.0.2.7 two.example <kept@x> tls"}));
}

TEST_F(DialogueTest, InsufficientSecurityRefusesAllButQuit) {  // TLS-4.1-02
  Dialogue d(opts_, greylisted_);
  Say(d, "EHLO x");
  EXPECT_EQ(Say(d, "STARTTLS").next, Next::kStartTls);
  d.ForgetBeforeTls();
  d.RefuseForLackOfSecurity();
  for (const char* line : {"EHLO x", "HELO x", "MAIL FROM:<a@x>", "NOOP", "RSET", "STARTTLS"}) {
    EXPECT_EQ(Say(d, line, true).reply, "554 5.7.0 Command refused due to lack of security")
        << line;
  }
  const Action quit = Say(d, "QUIT", true);
  EXPECT_EQ(quit.reply, "221 2.0.0 Bye");
  EXPECT_EQ(quit.next, Next::kQuit);
}

TEST_F(DialogueTest, ATransactionInOrderAndOutOfIt) {
  Dialogue d(opts_, greylisted_);
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x>").reply, "503 5.5.1 Error: send HELO/EHLO first");
  Say(d, "EHLO x");
  EXPECT_EQ(Say(d, "RCPT TO:<b@x>").reply, "503 5.5.1 Error: need MAIL command");
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x> SIZE=2000000").reply,
            "552 5.3.4 Message size exceeds fixed limit");
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x>").reply, "250 2.1.0 Ok");
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x>").reply, "503 5.5.1 Error: nested MAIL command");
  EXPECT_EQ(Say(d, "DATA").reply, "503 5.5.1 Error: need RCPT command");
  EXPECT_EQ(Say(d, "RCPT TO:<b@x>").reply, "250 2.1.5 Ok");
  Action data = Say(d, "DATA");
  EXPECT_EQ(data.next, Next::kData);
  MessageReader m(opts_.max_message_bytes);
  m.Line("hi", true);
  ASSERT_TRUE(m.Line(".", true));
  EXPECT_EQ(d.MessageDone(m, "MXC1").reply, "250 2.0.0 Ok: queued as MXC1");
  EXPECT_FALSE(d.state().mail);
  EXPECT_TRUE(d.state().rcpts.empty());
  EXPECT_EQ(Say(d, "QUIT").next, Next::kQuit);
}

// RFC 5321 §4.1.1.11: a parameter of an extension the EHLO reply did not
// list gets 555. MAIL takes SIZE and BODY (listed as SIZE and 8BITMIME),
// with their values checked; RCPT takes none.
TEST_F(DialogueTest, ParametersOfUnlistedExtensionsGet555) {
  Dialogue d(opts_, greylisted_);
  Say(d, "EHLO x");
  for (const char* line :
       {"MAIL FROM:<a@x> SMTPUTF8", "MAIL FROM:<a@x> SIZE=10 RET=HDRS", "MAIL FROM:<a@x> AUTH=<>",
        "MAIL FROM:<a@x> =x", "MAIL FROM:<a@x> BODY=BINARYMIME"}) {
    const Action a = Say(d, line);
    EXPECT_EQ(a.reply.substr(0, 4),
              std::string(line).find("BINARY") != std::string::npos ? "501 " : "555 ")
        << line << ": " << a.reply;
    EXPECT_FALSE(d.state().mail) << line;
  }
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x> ret=full").reply, "555 5.5.4 Unsupported option: ret");
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x> SIZE").reply, "501 5.5.4 Bad SIZE parameter");
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x> SIZE=1x").reply, "501 5.5.4 Bad SIZE parameter");
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x>  size=100   body=8bitmime BODY=7BIT").reply, "250 2.1.0 Ok");
  EXPECT_EQ(Say(d, "RCPT TO:<b@x> NOTIFY=NEVER").reply, "555 5.5.4 Unsupported option: NOTIFY");
  EXPECT_EQ(Say(d, "RCPT TO:<b@x> SIZE=1").reply, "555 5.5.4 Unsupported option: SIZE");
  EXPECT_TRUE(d.state().rcpts.empty());
  EXPECT_EQ(Say(d, "RCPT TO:<b@x> ").reply, "250 2.1.5 Ok");
  // A keyword is echoed within bounds, control bytes masked.
  Say(d, "RSET");
  const Action long_one = Say(d, "MAIL FROM:<a@x> " + std::string(300, 'X') + "\x01=1");
  EXPECT_EQ(long_one.reply.substr(0, 4), "555 ");
  EXPECT_LT(long_one.reply.size(), 120u);
  EXPECT_EQ(long_one.reply.find('\x01'), std::string::npos);
}

TEST_F(DialogueTest, TheAcceptUnknownParamsKnobTakesThemAll) {
  opts_.accept_unknown_params = true;
  Dialogue d(opts_, greylisted_);
  Say(d, "EHLO x");
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x> SMTPUTF8 RET=HDRS BODY=BINARYMIME").reply, "250 2.1.0 Ok");
  EXPECT_EQ(Say(d, "RCPT TO:<b@x> NOTIFY=NEVER ORCPT=rfc822;b@x").reply, "250 2.1.5 Ok");
  // The SIZE limit still holds.
  Say(d, "RSET");
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x> SIZE=99999999 X-FOO").reply.substr(0, 4), "552 ");
}

TEST_F(DialogueTest, ErrorsAre500And501Only) {
  Dialogue d(opts_, greylisted_);
  EXPECT_TRUE(Say(d, "FOO").error);
  EXPECT_TRUE(Say(d, "EHLO").error);  // 501: no name
  EXPECT_FALSE(Say(d, "VRFY x").error);
  EXPECT_EQ(Say(d, "VRFY x").reply, "502 5.5.1 Error: command not implemented");
  EXPECT_FALSE(Say(d, "MAIL FROM:<a@x>").error);  // 503 is not counted
}

TEST_F(DialogueTest, GreylistingCountsTransactionsOverAllSessions) {
  opts_.greylist = 2;
  for (int session = 0; session < 3; ++session) {
    Dialogue d(opts_, greylisted_);
    Say(d, "EHLO x");
    Say(d, "MAIL FROM:<a@x>");
    Action a = Say(d, "RCPT TO:<b@x>");
    if (session < 2) {
      EXPECT_EQ(a.reply.substr(0, 4), "451 ");
      EXPECT_EQ(a.note, "greylisting this transaction (" + std::to_string(session + 1) + " of 2)");
      // The whole transaction stays greylisted.
      EXPECT_EQ(Say(d, "RCPT TO:<c@x>").reply.substr(0, 4), "451 ");
    } else {
      EXPECT_EQ(a.reply, "250 2.1.5 Ok");
    }
  }
  EXPECT_EQ(greylisted_, 2u);
}

TEST_F(DialogueTest, RepliesNeverEchoControlBytesOrGrowPast512Octets) {
  // Regression (smtp_dialogue_fuzzer): the EHLO name and a RCPT path were
  // echoed as sent, so a CR or NUL went back to the client inside a reply
  // and a 500-octet EHLO name made a reply line over RFC 5321's 512.
  Dialogue d(opts_, greylisted_);
  Action a = Say(d, "EHLO a\rb\x01" + std::string(500, 'c'));
  ASSERT_EQ(a.reply.find('\r'), a.reply.find("\r\n"));
  const std::string first = a.reply.substr(0, a.reply.find("\r\n"));
  EXPECT_EQ(first.rfind("250-mx.mxconform.test greets a?b?ccc", 0), 0u);
  EXPECT_LE(first.size() + 2, 512u);
  EXPECT_EQ(first.substr(first.size() - 3), "...");

  opts_.reject_rcpt = true;
  Dialogue r(opts_, greylisted_);
  Say(r, "EHLO x");
  Say(r, "MAIL FROM:<a@x>");
  EXPECT_EQ(Say(r, std::string("RCPT TO:<b\rc\x7f@x>")).reply,
            "550 5.1.1 <b?c?@x>: Recipient address rejected");
  // Nor 8-bit bytes: RFC 5321 §4.2's textstring is 7-bit (review finding).
  Dialogue e(opts_, greylisted_);
  EXPECT_EQ(Say(e, "EHLO \xc3\xa9x").reply.rfind("250-mx.mxconform.test greets ??x\r\n", 0), 0u);
}

// TLS-4.2-02: the server forgets what the client said before the handshake.
TEST_F(DialogueTest, ForgetBeforeTlsDropsTheGreetingAndTheTransaction) {
  Dialogue d(opts_, greylisted_);
  Say(d, "EHLO x");
  Say(d, "MAIL FROM:<a@x>");
  d.ForgetBeforeTls();
  EXPECT_FALSE(d.state().greeted);
  EXPECT_FALSE(d.state().mail);
  EXPECT_EQ(Say(d, "MAIL FROM:<a@x>", true).reply, "503 5.5.1 Error: send HELO/EHLO first");
}

}  // namespace
}  // namespace mxconform::mocks::smtp
