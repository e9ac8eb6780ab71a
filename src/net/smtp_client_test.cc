// The wire SMTP client: dialogue edge cases against a scripted server (a
// thread with a POSIX socket that plays one connection), and the TLS
// outcomes against the SMTP mock (mocks/smtp) with the test PKI. Every
// knob of the mock is also driven through this client in
// mocks/smtp/server_test.cc.
#include "net/smtp_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mocks/pki/pki.h"
#include "mocks/smtp/server.h"
#include "net/smtp_text.h"

namespace mxconform::net {
namespace {

using mtasts::SendStatus;
using mtasts::TlsOutcome;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::string_view kMx = "mx.example.test";

// ---- a scripted server -------------------------------------------------

// The server's side of one connection, for a script.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {}
  // The next line the client sent (without CR LF); "" and eof() on
  // timeout or close.
  std::string Line(int ms = 3000) {
    const auto end = steady_clock::now() + milliseconds(ms);
    for (;;) {
      const std::size_t lf = buf_.find('\n');
      if (lf != std::string::npos) {
        std::string line = buf_.substr(0, lf);
        buf_.erase(0, lf + 1);
        if (!line.empty() && line.back() == '\r') {
          line.pop_back();
        }
        std::lock_guard lock(mu_);
        lines_.push_back(line);
        return line;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(end - steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) {
        eof_ = true;
        return "";
      }
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        eof_ = true;
        return "";
      }
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }
  // Lines up to and including the "." that ends a message.
  std::vector<std::string> Message() {
    std::vector<std::string> out;
    while (!eof_ && out.size() < 100) {
      out.push_back(Line());
      if (out.back() == ".") {
        break;
      }
    }
    return out;
  }
  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Waits until the client closes (or `ms`).
  void Drain(int ms = 3000) {
    while (!eof_) {
      Line(ms);
    }
  }
  // Answers RSET and QUIT until the client closes.
  void AnswerRest() {
    while (!eof_) {
      const std::string l = Line(1000);
      if (l == "RSET") {
        Send("250 ok\r\n");
      } else if (l == "QUIT") {
        Send("221 bye\r\n");
      }
    }
  }
  bool eof() const { return eof_; }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  int fd_;
  bool eof_ = false;
  std::string buf_;
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

// Listens on 127.0.0.1:0, accepts one connection (within 5 s), plays
// `script` on it, closes it. The destructor joins.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<void(Peer&)> script) : script_(std::move(script)) {
    listen_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    socklen_t len = sizeof(a);
    if (::bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
        ::listen(listen_, 4) == 0 &&
        ::getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
      port_ = ntohs(a.sin_port);
    }
    thread_ = std::thread([this] {
      pollfd p{listen_, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) {
        return;
      }
      const int fd = ::accept(listen_, nullptr, nullptr);
      if (fd < 0) {
        return;
      }
      peer_ = std::make_unique<Peer>(fd);
      script_(*peer_);
      ::close(fd);
      done_ = true;
    });
  }
  ~ScriptedServer() {
    thread_.join();
    ::close(listen_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // What the client sent, once the script is over.
  std::vector<std::string> Received() {
    for (int i = 0; i < 500 && !done_; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    return peer_ ? peer_->lines() : std::vector<std::string>{};
  }

 private:
  std::function<void(Peer&)> script_;
  int listen_ = -1;
  std::uint16_t port_ = 0;
  std::unique_ptr<Peer> peer_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

SmtpConnectorOptions Options(const std::string& address) {
  SmtpConnectorOptions o;
  o.addresses[std::string(kMx)] = address;
  o.io_timeout = milliseconds(2000);
  o.handshake_timeout = milliseconds(2000);
  o.session_timeout = milliseconds(10000);
  o.ehlo_name = "client.example.test";
  return o;
}

std::unique_ptr<SmtpSession> Open(const SmtpConnectorOptions& o) {
  SmtpConnector connector(o);
  std::string detail;
  auto s = connector.ConnectSmtp(kMx, "192.0.2.1", detail);
  EXPECT_NE(s, nullptr) << detail;
  return s;
}

// The usual opening: banner, EHLO with `keywords`.
void Hello(Peer& p, std::string_view keywords = "250-mx.example.test\r\n250 STARTTLS\r\n") {
  p.Send("220 mx.example.test ESMTP\r\n");
  if (p.Line().rfind("EHLO ", 0) == 0) {
    p.Send(keywords);
  }
}

bool Contains(const std::vector<std::string>& lines, std::string_view needle) {
  for (const std::string& l : lines) {
    if (l.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// ---- connecting ----------------------------------------------------------

TEST(SmtpClient, HostNotInTheMapHasNoAddress) {
  SmtpConnector connector(Options("127.0.0.1:25"));
  std::string detail;
  EXPECT_EQ(connector.Connect("other.example.test", "192.0.2.1", detail), nullptr);
  EXPECT_EQ(detail, "no address for other.example.test");
}

// A loopback port nothing listens on (bound, then closed), as
// "127.0.0.1:PORT"; "" if the OS said no.
std::string ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  socklen_t len = sizeof(a);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  return ok ? "127.0.0.1:" + std::to_string(ntohs(a.sin_port)) : "";
}

TEST(SmtpClient, BadAddressAndRefusedConnection) {
  SmtpConnector bad(Options("not-an-address"));
  std::string detail;
  EXPECT_EQ(bad.Connect(kMx, "192.0.2.1", detail), nullptr);
  EXPECT_EQ(detail, "not an address: not-an-address");

  const std::string address = ClosedPort();
  ASSERT_FALSE(address.empty());
  SmtpConnector refused(Options(address));
  EXPECT_EQ(refused.Connect(kMx, "192.0.2.1", detail), nullptr);
  EXPECT_EQ(detail.rfind("connect " + address + ": ", 0), 0u) << detail;
}

TEST(SmtpClient, HostNamesAreMatchedCaseInsensitivelyWithoutTheRootDot) {
  ScriptedServer server([](Peer& p) {
    Hello(p);
    p.AnswerRest();
  });
  SmtpConnectorOptions o = Options(server.address());
  o.addresses.clear();
  o.addresses["MX.Example.Test."] = server.address();
  SmtpConnector connector(o);
  std::string detail;
  auto s = connector.Connect("mx.example.test.", "192.0.2.1", detail);
  ASSERT_NE(s, nullptr) << detail;
  EXPECT_TRUE(s->Greet(detail)) << detail;
}

TEST(SmtpClient, OneAddressOfAHostCanMapElsewhere) {
  // A multihomed exchange whose address 192.0.2.9 refuses connections
  // while the host's other addresses reach its server.
  ScriptedServer server([](Peer& p) {
    Hello(p);
    p.AnswerRest();
  });
  const std::string closed = ClosedPort();
  ASSERT_FALSE(closed.empty());
  SmtpConnectorOptions o = Options(server.address());
  o.address_endpoints[{"MX.Example.Test.", "192.0.2.9"}] = closed;
  SmtpConnector connector(o);
  std::string detail;
  EXPECT_EQ(connector.Connect(kMx, "192.0.2.9", detail), nullptr);
  EXPECT_EQ(detail.rfind("connect " + closed + ": ", 0), 0u) << detail;
  auto s = connector.Connect(kMx, "192.0.2.10", detail);
  ASSERT_NE(s, nullptr) << detail;
  EXPECT_TRUE(s->Greet(detail)) << detail;
}

// ---- greeting --------------------------------------------------------------

TEST(SmtpClient, MultilineBannerAndEhloKeywords) {
  ScriptedServer server([](Peer& p) {
    p.Send("220-mx.example.test ESMTP\r\n220 welcome\r\n");
    p.Line();
    p.Send("250-mx.example.test\r\n250-SIZE 1000\r\n250 starttls\r\n");
    p.AnswerRest();
  });
  auto s = Open(Options(server.address()));
  ASSERT_NE(s, nullptr);
  std::string detail;
  ASSERT_TRUE(s->Greet(detail)) << detail;
  EXPECT_TRUE(s->StarttlsOffered());
  EXPECT_EQ(s->ehlo_keywords(), (std::vector<std::string>{"SIZE 1000", "starttls"}));
  s->Quit();
  EXPECT_EQ(server.Received().front(), "EHLO client.example.test");
}

TEST(SmtpClient, EhloRefusedFallsBackToHelo) {
  ScriptedServer server([](Peer& p) {
    p.Send("220 mx.example.test\r\n");
    p.Line();
    p.Send("502 5.5.1 EHLO not implemented\r\n");
    if (p.Line().rfind("HELO ", 0) == 0) {
      p.Send("250 mx.example.test\r\n");
    }
    p.AnswerRest();
  });
  auto s = Open(Options(server.address()));
  ASSERT_NE(s, nullptr);
  std::string detail;
  ASSERT_TRUE(s->Greet(detail)) << detail;
  EXPECT_FALSE(s->StarttlsOffered());
  EXPECT_TRUE(Contains(s->transcript(), "C: HELO client.example.test"));
  s->Quit();
}

TEST(SmtpClient, BannerOtherThan220IsRefusedWithQuit) {
  ScriptedServer server([](Peer& p) {
    p.Send("554 5.7.1 go away\r\n");
    if (p.Line() == "QUIT") {
      p.Send("221 bye\r\n");
    }
  });
  auto s = Open(Options(server.address()));
  ASSERT_NE(s, nullptr);
  std::string detail;
  EXPECT_FALSE(s->Greet(detail));
  EXPECT_EQ(detail, "banner: 554 5.7.1 go away");
  EXPECT_EQ(server.Received(), std::vector<std::string>{"QUIT"});
}

TEST(SmtpClient, WhatIsNotAnSmtpReplyBreaksTheSession) {
  for (std::string reply : {"hello world\r\n", "250 ok\r\n", "220-a\r\n250 b\r\n", "999 x\r\n"}) {
    SCOPED_TRACE(reply);
    ScriptedServer server([&](Peer& p) {
      p.Send(reply);
      p.Drain(1000);
    });
    auto s = Open(Options(server.address()));
    ASSERT_NE(s, nullptr);
    std::string detail;
    EXPECT_FALSE(s->Greet(detail));
    EXPECT_FALSE(detail.empty());
    EXPECT_EQ(s->Send("a@example.org", "b@example.test", {}).status, SendStatus::kBroken);
    EXPECT_EQ(s->StartTls(kMx).outcome, TlsOutcome::kHandshakeFailed);
    s->Quit();
  }
}

TEST(SmtpClient, AnOverlongReplyLineBreaksTheSession) {
  ScriptedServer server([](Peer& p) {
    p.Send("220 " + std::string(10000, 'x'));
    p.Drain(1000);
  });
  auto s = Open(Options(server.address()));
  ASSERT_NE(s, nullptr);
  std::string detail;
  EXPECT_FALSE(s->Greet(detail));
  EXPECT_NE(detail.find("over 4096 octets"), std::string::npos) << detail;
  EXPECT_TRUE(s->broken());
}

// ---- deadlines ------------------------------------------------------------

TEST(SmtpClient, SilentServerTimesOut) {
  ScriptedServer server([](Peer& p) { p.Drain(3000); });
  SmtpConnectorOptions o = Options(server.address());
  o.io_timeout = milliseconds(200);
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  const auto start = steady_clock::now();
  std::string detail;
  EXPECT_FALSE(s->Greet(detail));
  EXPECT_LT(steady_clock::now() - start, milliseconds(1500));
  EXPECT_NE(detail.find("timed out"), std::string::npos) << detail;
  s.reset();  // the scripted server sees the close
}

TEST(SmtpClient, SessionDeadlineCapsEveryWait) {
  ScriptedServer server([](Peer& p) {
    p.Send("220 mx.example.test\r\n");
    p.Drain(3000);  // never answers EHLO
  });
  SmtpConnectorOptions o = Options(server.address());
  o.io_timeout = milliseconds(5000);
  o.session_timeout = milliseconds(300);
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  const auto start = steady_clock::now();
  std::string detail;
  EXPECT_FALSE(s->Greet(detail));
  EXPECT_LT(steady_clock::now() - start, milliseconds(2000));
  EXPECT_NE(detail.find("session deadline"), std::string::npos) << detail;
  s.reset();
}

// ---- sending ----------------------------------------------------------------

// A server that answers MAIL, RCPT, DATA and the end of data as told ("" =
// close the connection at that point).
struct SendScript {
  std::string mail = "250 ok";
  std::string rcpt = "250 ok";
  std::string data = "354 go";
  std::string end = "250 queued";
};

void PlaySend(Peer& p, const SendScript& script) {
  Hello(p);
  const std::pair<const std::string*, char> steps[] = {
      {&script.mail, '2'}, {&script.rcpt, '2'}, {&script.data, '3'}};
  for (const auto& [reply, good] : steps) {
    p.Line();
    if (p.eof() || reply->empty()) {
      return;  // "" closes the connection here
    }
    p.Send(*reply + "\r\n");
    if (reply->front() != good) {
      p.AnswerRest();  // the transaction failed: RSET, QUIT
      return;
    }
  }
  p.Message();
  if (script.end.empty()) {
    return;
  }
  p.Send(script.end + "\r\n");
  p.AnswerRest();
}

mtasts::SendResult SendWith(const SendScript& script, std::vector<std::string>* received = nullptr,
                            std::string_view message = {}) {
  ScriptedServer server([&](Peer& p) { PlaySend(p, script); });
  auto s = Open(Options(server.address()));
  if (!s) {
    return {};
  }
  std::string detail;
  EXPECT_TRUE(s->Greet(detail)) << detail;
  mtasts::SendResult r = s->Send("from@example.org", "to@example.test", message);
  s->Quit();
  if (received != nullptr) {
    *received = server.Received();
  }
  return r;
}

TEST(SmtpClient, SendAcceptedOnlyAfterTheFinalDot) {
  std::vector<std::string> got;
  mtasts::SendResult r = SendWith({}, &got);
  EXPECT_EQ(r.status, SendStatus::kAccepted) << r.detail;
  EXPECT_EQ(r.detail, "250 queued");
  ASSERT_GE(got.size(), 4u);
  EXPECT_EQ(got[1], "MAIL FROM:<from@example.org>");
  EXPECT_EQ(got[2], "RCPT TO:<to@example.test>");
  EXPECT_EQ(got[3], "DATA");
  EXPECT_TRUE(Contains(got, "Subject: mxconform test message"));
  // RFC 5321 §4.5.2: the line that starts with a dot went with two.
  EXPECT_TRUE(Contains(got, "..A line that starts with a dot"));
  EXPECT_EQ(got.back(), "QUIT");
}

// The caller's message (a TLS-RPT report mail, say) goes instead of the
// test message: its lines as given, LF or CRLF, each dot-stuffed.
TEST(SmtpClient, SendCarriesTheCallersMessage) {
  std::vector<std::string> got;
  const mtasts::SendResult r =
      SendWith({}, &got, "Subject: a report\nX-A: 1\r\n\r\n.starts with a dot\r\nlast line");
  EXPECT_EQ(r.status, SendStatus::kAccepted) << r.detail;
  const auto data = std::find(got.begin(), got.end(), "DATA");
  ASSERT_NE(data, got.end());
  const std::vector<std::string> body(data + 1, got.end() - 1);  // up to QUIT
  EXPECT_EQ(body, (std::vector<std::string>{"Subject: a report", "X-A: 1", "",
                                            "..starts with a dot", "last line", "."}));
  EXPECT_FALSE(Contains(got, "mxconform test message"));
}

// RFC 5321 §2.3.8: CR and LF go out only as CRLF. A bare CR in the
// caller's message ends a line like a bare LF does, and the line after it is
// dot-stuffed: "\r.\r" never reaches the server, which might take it for
// the end of the data and run what follows as commands (SMTP smuggling).
TEST(SmtpClient, ABareCrNeverGoesOut) {
  std::vector<std::string> got;
  const mtasts::SendResult r = SendWith({}, &got, "hello\r.\rMAIL FROM:<evil@x>\r\nx\n.\r\r\nend");
  EXPECT_EQ(r.status, SendStatus::kAccepted) << r.detail;
  const auto data = std::find(got.begin(), got.end(), "DATA");
  ASSERT_NE(data, got.end());
  const std::vector<std::string> body(data + 1, got.end() - 1);  // up to QUIT
  EXPECT_EQ(body, (std::vector<std::string>{"hello", "..", "MAIL FROM:<evil@x>", "x", "..", "",
                                            "end", "."}));
  for (const std::string& line : got) {
    EXPECT_EQ(line.find('\r'), std::string::npos) << TranscriptText(line);
  }
}

// An envelope address with CR or LF would end the command and start
// another: refused before anything is sent, and the session goes on.
TEST(SmtpClient, AnEnvelopeAddressWithCrOrLfIsRefused) {
  std::vector<std::string> got;
  ScriptedServer server([](Peer& p) { PlaySend(p, {}); });
  auto s = Open(Options(server.address()));
  ASSERT_TRUE(s);
  std::string detail;
  ASSERT_TRUE(s->Greet(detail)) << detail;
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"a@example.org>\r\nRCPT TO:<evil@x", "to@example.test"},
           {"from@example.org", "to@example.test\rDATA"},
           {"from@example.org", "to@example.test\n"}}) {
    const mtasts::SendResult r = s->Send(from, to, "x");
    EXPECT_EQ(r.status, SendStatus::kPermFail) << r.detail;
    EXPECT_NE(r.detail.find("not sent"), std::string::npos) << r.detail;
  }
  EXPECT_EQ(s->Send("from@example.org", "to@example.test", "x").status, SendStatus::kAccepted);
  s->Quit();
  got = server.Received();
  ASSERT_GE(got.size(), 2u);
  EXPECT_EQ(got[1], "MAIL FROM:<from@example.org>");  // the refused ones sent nothing
}

TEST(SmtpClient, SendMapsRepliesToStatuses) {
  struct Case {
    SendScript script;
    SendStatus status;
    std::string detail;
  };
  std::vector<Case> cases;
  cases.push_back({{"451 4.3.0 try later"}, SendStatus::kTempFail, "MAIL FROM: 451 4.3.0"});
  cases.push_back({{"250 ok", "550 5.1.1 no such user"}, SendStatus::kPermFail, "RCPT TO: 550"});
  cases.push_back({{"250 ok", "250 ok", "554 5.5.1 no"}, SendStatus::kPermFail, "DATA: 554"});
  cases.push_back({{"250 ok", "250 ok", "354 go", "452 4.3.1 full"},
                   SendStatus::kTempFail,
                   "end of data: 452"});
  cases.push_back({{"250 ok", "250 ok", "354 go", "554 5.7.1 spam"},
                   SendStatus::kPermFail,
                   "end of data: 554"});
  cases.push_back({{"250 ok", "250 ok", "250 what"}, SendStatus::kBroken, "DATA: 250"});
  cases.push_back({{"250 ok", "250 ok", "354 go", ""}, SendStatus::kBroken, "end of data"});
  cases.push_back({{"250 ok", ""}, SendStatus::kBroken, "RCPT TO"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.detail);
    mtasts::SendResult r = SendWith(c.script);
    EXPECT_EQ(r.status, c.status) << r.detail;
    EXPECT_EQ(r.detail.rfind(c.detail, 0), 0u) << r.detail;
  }
}

// ---- STARTTLS without a TLS peer -------------------------------------------

TEST(SmtpClient, StarttlsRefusedThenPlaintextSend) {
  ScriptedServer server([](Peer& p) {
    Hello(p);
    if (p.Line() != "STARTTLS") {
      return;
    }
    p.Send("454 4.7.0 TLS not available\r\n");
    for (const char* reply : {"250 ok\r\n", "250 ok\r\n", "354 go\r\n"}) {
      if (p.Line().empty()) {
        return;
      }
      p.Send(reply);
    }
    p.Message();
    p.Send("250 queued\r\n");
    p.AnswerRest();
  });
  auto s = Open(Options(server.address()));
  ASSERT_NE(s, nullptr);
  std::string detail;
  ASSERT_TRUE(s->Greet(detail)) << detail;
  mtasts::StartTlsResult t = s->StartTls(kMx);
  EXPECT_EQ(t.outcome, TlsOutcome::kStarttlsRefused);
  EXPECT_FALSE(t.usable);
  EXPECT_EQ(t.detail, "STARTTLS refused: 454 4.7.0 TLS not available");
  EXPECT_FALSE(s->tls_active());
  EXPECT_EQ(s->Send("a@example.org", "b@example.test", {}).status, SendStatus::kAccepted);
  s->Quit();
}

TEST(SmtpClient, ConnectionLostAfterStarttlsIsAFailedHandshake) {
  ScriptedServer server([](Peer& p) {
    Hello(p);
    p.Line();  // STARTTLS, then the connection goes
  });
  auto s = Open(Options(server.address()));
  ASSERT_NE(s, nullptr);
  std::string detail;
  ASSERT_TRUE(s->Greet(detail)) << detail;
  mtasts::StartTlsResult t = s->StartTls(kMx);
  EXPECT_EQ(t.outcome, TlsOutcome::kHandshakeFailed);
  EXPECT_FALSE(t.usable);
  EXPECT_EQ(s->Send("a@example.org", "b@example.test", {}).status, SendStatus::kBroken);
}

TEST(SmtpClient, PlaintextAfterThe220IsDiscardedNotRead) {
  ScriptedServer server([](Peer& p) {
    Hello(p);
    if (p.Line() == "STARTTLS") {
      // CVE-2011-0411: a reply injected behind the 220, then no TLS.
      p.Send("220 go ahead\r\n250 injected\r\n");
    }
    std::this_thread::sleep_for(milliseconds(300));
  });
  auto s = Open(Options(server.address()));
  ASSERT_NE(s, nullptr);
  std::string detail;
  ASSERT_TRUE(s->Greet(detail)) << detail;
  mtasts::StartTlsResult t = s->StartTls(kMx);
  EXPECT_EQ(t.outcome, TlsOutcome::kHandshakeFailed);
  EXPECT_EQ(s->discarded_after_starttls(), 14u);
  EXPECT_NE(t.detail.find("discarded 14 plaintext octets"), std::string::npos) << t.detail;
  EXPECT_NE(t.detail.find("250 injected"), std::string::npos) << t.detail;
  EXPECT_FALSE(Contains(s->transcript(), "S: 250 injected"));
}

// ---- TLS against the SMTP mock ---------------------------------------------

constexpr UnixSeconds kStart = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kDay = 86400;

std::shared_ptr<const mocks::pki::Pki> TestPki() {
  static const std::shared_ptr<const mocks::pki::Pki> pki = [] {
    mocks::pki::CertSpec root;
    root.name = "root";
    root.ca = true;
    root.common_name = "Test Root";
    root.not_before = -365 * kDay;
    root.not_after = 3650 * kDay;
    mocks::pki::CertSpec leaf;
    leaf.name = "mx";
    leaf.issuer = "root";
    leaf.dns_names = {std::string(kMx)};  // valid from kStart - 1 day to kStart + 90 days
    mocks::pki::CertSpec weak = leaf;
    weak.name = "weak";
    weak.key = mocks::pki::KeyType::kRsa1024;
    auto built = mocks::pki::Pki::Build({root, leaf, weak}, kStart);
    EXPECT_TRUE(built.ok()) << (built.ok() ? "" : built.error().Text());
    return built.ok() ? *built : nullptr;
  }();
  return pki;
}

std::unique_ptr<mocks::smtp::Server> MockMx(const std::string& leaf = "mx") {
  mocks::smtp::ServerOptions o;
  o.hostname = std::string(kMx);
  o.pki = TestPki();
  o.default_chain = {leaf, true};
  auto r = mocks::smtp::Server::Start(o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().Text());
  return r.ok() ? std::move(*r) : nullptr;
}

std::shared_ptr<const tls::TrustStore> Trust() {
  auto t = tls::TrustStore::FromPem(TestPki()->BundlePem({"root"}));
  EXPECT_TRUE(t.ok());
  return std::make_shared<const tls::TrustStore>(std::move(*t));
}

mtasts::StartTlsResult TlsAt(const mocks::smtp::Server& mx, const Clock* clock,
                             std::shared_ptr<const tls::TrustStore> trust) {
  SmtpConnectorOptions o = Options(mx.endpoint());
  o.clock = clock;
  o.trust = std::move(trust);
  auto s = Open(o);
  if (!s) {
    return {};
  }
  std::string detail;
  EXPECT_TRUE(s->Greet(detail)) << detail;
  mtasts::StartTlsResult r = s->StartTls(kMx);
  if (r.usable) {
    EXPECT_TRUE(s->tls_active());
    EXPECT_FALSE(s->tls_version().empty());
    EXPECT_FALSE(s->tls_cipher().empty());
    EXPECT_TRUE(s->StarttlsOffered() == false);  // not offered again over TLS
  }
  s->Quit();
  return r;
}

TEST(SmtpClient, CertificateVerifiedAtTheClocksTime) {
  auto mx = MockMx();
  ASSERT_NE(mx, nullptr);
  FixedClock clock(kStart);
  mtasts::StartTlsResult ok = TlsAt(*mx, &clock, Trust());
  EXPECT_EQ(ok.outcome, TlsOutcome::kOk) << ok.detail;
  EXPECT_TRUE(ok.usable);
  EXPECT_NE(ok.detail.find("certificate valid for mx.example.test"), std::string::npos);

  clock.Set(kStart + 200 * kDay);
  mtasts::StartTlsResult expired = TlsAt(*mx, &clock, Trust());
  EXPECT_EQ(expired.outcome, TlsOutcome::kCertExpired) << expired.detail;
  EXPECT_TRUE(expired.usable);

  clock.Set(kStart - 2 * kDay);
  mtasts::StartTlsResult early = TlsAt(*mx, &clock, Trust());
  EXPECT_EQ(early.outcome, TlsOutcome::kCertNotYetValid) << early.detail;
  EXPECT_TRUE(early.usable);
}

TEST(SmtpClient, NoTrustStoreMeansUntrusted) {
  auto mx = MockMx();
  ASSERT_NE(mx, nullptr);
  FixedClock clock(kStart);
  mtasts::StartTlsResult r = TlsAt(*mx, &clock, nullptr);
  EXPECT_EQ(r.outcome, TlsOutcome::kCertUntrusted) << r.detail;
  EXPECT_TRUE(r.usable);
}

TEST(SmtpClient, ValidationFailureMapsToUntrusted) {
  // A 1024-bit RSA key: the handshake goes through (the client's context
  // is at security level 0) and tls::Verify refuses it as kValidation.
  auto mx = MockMx("weak");
  ASSERT_NE(mx, nullptr);
  FixedClock clock(kStart);
  mtasts::StartTlsResult r = TlsAt(*mx, &clock, Trust());
  EXPECT_EQ(r.outcome, TlsOutcome::kCertUntrusted) << r.detail;
  EXPECT_EQ(r.detail.rfind("validation-failure: ", 0), 0u) << r.detail;
  EXPECT_TRUE(r.usable);
}

// The verbs the MX got over TLS, in order.
std::vector<std::string> VerbsUnderTls(const mocks::smtp::Server& mx) {
  EXPECT_TRUE(mx.WaitForSessions(1, std::chrono::seconds(5)));
  std::vector<std::string> verbs;
  for (const auto& session : mx.Sessions()) {
    for (const auto& c : session.commands) {
      if (c.tls) {
        verbs.push_back(c.line.substr(0, c.line.find(' ')));
      }
    }
  }
  return verbs;
}

// A mock MX and a greeted session with it.
struct Greeted {
  std::unique_ptr<mocks::smtp::Server> mx;
  std::unique_ptr<SmtpSession> s;
};
Greeted GreetedSession(const Clock* clock, std::shared_ptr<const tls::TrustStore> trust) {
  Greeted g;
  g.mx = MockMx();
  if (!g.mx) {
    return g;
  }
  SmtpConnectorOptions o = Options(g.mx->endpoint());
  o.clock = clock;
  o.trust = std::move(trust);
  g.s = Open(o);
  std::string detail;
  if (g.s && !g.s->Greet(detail)) {
    ADD_FAILURE() << detail;
    g.s.reset();
  }
  return g;
}

TEST(SmtpClient, AfterACertificateFailureQuitIsTheFirstCommandUnderTls) {
  // RFC 3207 §4.1: a client that finds the session not good enough sends
  // QUIT right after the handshake; the EHLO waits until it goes on.
  FixedClock clock(kStart);
  {
    Greeted g = GreetedSession(&clock, nullptr);  // every chain untrusted
    ASSERT_NE(g.s, nullptr);
    const mtasts::StartTlsResult r = g.s->StartTls(kMx);
    EXPECT_EQ(r.outcome, TlsOutcome::kCertUntrusted) << r.detail;
    EXPECT_TRUE(r.usable);
    EXPECT_FALSE(g.s->StarttlsOffered());  // the list from before TLS is gone
    g.s->Quit();
    EXPECT_EQ(VerbsUnderTls(*g.mx), std::vector<std::string>{"QUIT"});
  }
  {
    // A caller that goes on anyway (opportunistic TLS) gets EHLO first.
    Greeted g = GreetedSession(&clock, Trust());
    ASSERT_NE(g.s, nullptr);
    clock.Set(kStart + 200 * kDay);  // expired
    EXPECT_EQ(g.s->StartTls(kMx).outcome, TlsOutcome::kCertExpired);
    EXPECT_EQ(g.s->Send("a@example.org", "b@example.test", {}).status,
              mtasts::SendStatus::kAccepted);
    g.s->Quit();
    EXPECT_EQ(VerbsUnderTls(*g.mx),
              (std::vector<std::string>{"EHLO", "MAIL", "RCPT", "DATA", "QUIT"}));
    clock.Set(kStart);
  }
  {
    // A valid certificate: EHLO at once.
    Greeted g = GreetedSession(&clock, Trust());
    ASSERT_NE(g.s, nullptr);
    EXPECT_EQ(g.s->StartTls(kMx).outcome, TlsOutcome::kOk);
    g.s->Quit();
    EXPECT_EQ(VerbsUnderTls(*g.mx), (std::vector<std::string>{"EHLO", "QUIT"}));
  }
}

TEST(SmtpClient, VersionNamesAreOpenSslNames) {
  EXPECT_EQ(TlsVersionName(TlsVersion::kAny), "any");
  EXPECT_EQ(TlsVersionName(TlsVersion::kTls1_2), "TLSv1.2");
  EXPECT_EQ(TlsVersionName(TlsVersion::kTls1_3), "TLSv1.3");
}

// RFC 3463 §2 as the smtp-server cases and the openspf lint read it.
TEST(SmtpText, EnhancedStatusCodeStartsTheText) {
  EXPECT_EQ(EnhancedStatusCode("5.7.1 Sender rejected"), "5.7.1");
  EXPECT_EQ(EnhancedStatusCode("2.0.0"), "2.0.0");
  EXPECT_EQ(EnhancedStatusCode("5.7.27 null MX"), "5.7.27");
  EXPECT_EQ(EnhancedStatusCode("4.123.456 x"), "4.123.456");
  for (const char* bad : {"", "mx.probe.test greets x", "3.0.0 x", "5.7 x", "5.7.1234", "5..1",
                          "5.7.1.2", "5.7.1x", "5.7.", "Ready 2.0.0"}) {
    EXPECT_EQ(EnhancedStatusCode(bad), "") << bad;
  }
}

}  // namespace
}  // namespace mxconform::net
