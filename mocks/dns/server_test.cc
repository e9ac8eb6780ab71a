// The mock DNS server over loopback, driven by a raw POSIX-socket client
// written here (the project's stub resolver is tested against this server,
// not the other way round). Conditions are polled with a bounded wait,
// never asserted on tight timings.
#include "mocks/dns/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <thread>

namespace mxconform::mocks::dns {
namespace {

namespace wire = mxconform::dns;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::uint16_t kA = 1, kMx = 15, kTxt = 16;

// ---- the zone and the rules ------------------------------------------------

Name N(std::string_view s) { return *Name::Parse(s); }

Record A(std::string_view owner, std::uint8_t last) {
  Record r;
  r.name = N(owner);
  r.type = kA;
  r.ttl = 60;
  r.rdata = wire::RdataA{{192, 0, 2, last}};
  return r;
}

// Names that carry a knob each; each also has an A record in the zone, so
// that an answer differing from the zone's shows the knob at work.
constexpr std::string_view kKnobNames[] = {
    "servfail.example.com", "refused.example.com", "nx.example.com",   "nodata.example.com",
    "timeout.example.com",  "trunc.example.com",   "slow.example.com", "wrongid.example.com",
    "spoof.example.com",    "bad.example.com",     "flaky.example.com"};

Zone TestZone() {
  Zone z;
  z.AddOrigin(N("example.com"));
  z.Add(A("mail.example.com", 1));
  Record txt;
  txt.name = N("example.com");
  txt.type = kTxt;
  txt.rdata = wire::RdataTxt{{"v=spf1 ", "ip4:192.0.2.0/24 ", "-all"}};
  z.Add(txt);
  Record mx;
  mx.name = N("example.com");
  mx.type = kMx;
  mx.rdata = wire::RdataMx{10, N("mail.example.com")};
  z.Add(mx);
  for (std::string_view name : kKnobNames) {
    z.Add(A(name, 2));
  }
  return z;
}

Rule Knob(Fault f, std::string_view name) {
  Rule r;
  r.fault = f;
  r.name = N(name);
  return r;
}

// A rule per knob, on the names of kKnobNames.
std::vector<Rule> KnobRules(std::uint32_t slow_ms = 300) {
  std::vector<Rule> rules = {
      Knob(Fault::kServfail, "servfail.example.com"), Knob(Fault::kRefused, "refused.example.com"),
      Knob(Fault::kNxDomain, "nx.example.com"),       Knob(Fault::kNoData, "nodata.example.com"),
      Knob(Fault::kTimeout, "timeout.example.com"),   Knob(Fault::kTruncate, "trunc.example.com"),
      Knob(Fault::kNone, "slow.example.com"),         Knob(Fault::kWrongId, "wrongid.example.com"),
      Knob(Fault::kSpoof, "spoof.example.com"),       Knob(Fault::kMalformed, "bad.example.com"),
      Knob(Fault::kDropAfter, "flaky.example.com"),
  };
  rules[6].delay_ms = slow_ms;
  rules[8].spoof.push_back(A(".", 66));
  rules[9].raw = std::string("\0\0\x81\x80\0\x01", 6);
  rules[10].count = 1;
  return rules;
}

std::string Query(std::string_view name, std::uint16_t type, std::uint16_t id) {
  return *wire::Encode(wire::MakeQuery(id, N(name), type, 1232));
}

wire::Message Decoded(const std::optional<std::string>& bytes) {
  EXPECT_TRUE(bytes.has_value());
  if (!bytes) {
    return {};
  }
  auto m = wire::Decode(*bytes);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().Text());
  return m.ok() ? *m : wire::Message{};
}

std::uint16_t IdOf(const std::string& bytes) {
  return bytes.size() < 2 ? 0
                          : static_cast<std::uint16_t>(static_cast<std::uint8_t>(bytes[0]) << 8 |
                                                       static_cast<std::uint8_t>(bytes[1]));
}

// ---- a raw POSIX-socket client ---------------------------------------------

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    Reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_;
};

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
};

Endpoint Ep(const std::string& ip, std::uint16_t port) {
  Endpoint e;
  if (ip.find(':') != std::string::npos) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&e.addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
    e.len = sizeof(sockaddr_in6);
    e.family = AF_INET6;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&e.addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, ip.c_str(), &a->sin_addr);
    e.len = sizeof(sockaddr_in);
  }
  return e;
}

Fd UdpSocket(int family = AF_INET) { return Fd(::socket(family, SOCK_DGRAM, 0)); }

bool SendTo(const Fd& fd, const Endpoint& to, std::string_view bytes) {
  return ::sendto(fd.get(), bytes.data(), bytes.size(), 0,
                  reinterpret_cast<const sockaddr*>(&to.addr),
                  to.len) == static_cast<ssize_t>(bytes.size());
}

bool Readable(const Fd& fd, int ms) {
  pollfd p{fd.get(), POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

std::optional<std::string> RecvWithin(const Fd& fd, int ms) {
  if (!Readable(fd, ms)) {
    return std::nullopt;
  }
  std::string buf(65535, '\0');
  const ssize_t n = ::recv(fd.get(), buf.data(), buf.size(), 0);
  if (n < 0) {
    return std::nullopt;
  }
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

std::optional<std::string> UdpAsk(std::uint16_t port, std::string_view query, int ms = 2000,
                                  const std::string& ip = "127.0.0.1") {
  const Endpoint to = Ep(ip, port);
  Fd fd = UdpSocket(to.family);
  if (!SendTo(fd, to, query)) {
    return std::nullopt;
  }
  return RecvWithin(fd, ms);
}

Fd TcpConnect(std::uint16_t port, const std::string& ip = "127.0.0.1") {
  const Endpoint to = Ep(ip, port);
  Fd fd(::socket(to.family, SOCK_STREAM, 0));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to.addr), to.len) != 0) {
    return Fd();
  }
  return fd;
}

bool SendAll(const Fd& fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string Framed(std::string_view message) {
  std::string out;
  out.push_back(static_cast<char>(message.size() >> 8));
  out.push_back(static_cast<char>(message.size() & 0xFF));
  out.append(message);
  return out;
}

// Reads exactly n bytes before the deadline.
std::optional<std::string> ReadExactly(const Fd& fd, std::size_t n,
                                       steady_clock::time_point deadline) {
  std::string out;
  while (out.size() < n) {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now()).count();
    if (left <= 0 || !Readable(fd, static_cast<int>(left))) {
      return std::nullopt;
    }
    char buf[4096];
    const ssize_t got = ::recv(fd.get(), buf, std::min(sizeof buf, n - out.size()), 0);
    if (got <= 0) {
      return std::nullopt;
    }
    out.append(buf, static_cast<std::size_t>(got));
  }
  return out;
}

std::optional<std::string> ReadTcpMessage(const Fd& fd, int ms = 2000) {
  const auto deadline = steady_clock::now() + milliseconds(ms);
  auto length = ReadExactly(fd, 2, deadline);
  if (!length) {
    return std::nullopt;
  }
  const std::size_t n = (std::size_t{static_cast<std::uint8_t>((*length)[0])} << 8) |
                        static_cast<std::uint8_t>((*length)[1]);
  return ReadExactly(fd, n, deadline);
}

std::optional<std::string> TcpAsk(std::uint16_t port, std::string_view query, int ms = 2000,
                                  const std::string& ip = "127.0.0.1") {
  Fd fd = TcpConnect(port, ip);
  if (!fd.ok() || !SendAll(fd, Framed(query))) {
    return std::nullopt;
  }
  return ReadTcpMessage(fd, ms);
}

enum class Peer { kClosed, kSilent, kData };

// What the server did to a connection within `ms`: closed it (EOF or a
// reset), nothing, or sent data.
Peer WaitClosed(const Fd& fd, int ms) {
  if (!Readable(fd, ms)) {
    return Peer::kSilent;
  }
  char c;
  const ssize_t n = ::recv(fd.get(), &c, 1, 0);
  return n > 0 ? Peer::kData : Peer::kClosed;
}

// Polls `cond` for up to `ms`.
bool WaitFor(const std::function<bool()>& cond, int ms = 5000) {
  const auto deadline = steady_clock::now() + milliseconds(ms);
  while (!cond()) {
    if (steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

std::unique_ptr<Server> StartOrDie(Responder& r, ServerOptions opts = {}) {
  auto s = Server::Start(r, opts);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().Text());
  return s.ok() ? std::move(*s) : nullptr;
}

std::size_t RssBytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) {
    return 0;
  }
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return got == 2 ? resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

void ExpectMailA(const std::optional<std::string>& reply, std::uint16_t id) {
  auto m = Decoded(reply);
  EXPECT_EQ(m.header.id, id);
  EXPECT_EQ(m.header.rcode, 0);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(std::get<wire::RdataA>(m.answers[0].rdata).address,
            (std::array<std::uint8_t, 4>{192, 0, 2, 1}));
}

// ---- answers -----------------------------------------------------------------

TEST(MockDnsServerTest, PortZeroReportsARealPortForUdpAndTcp) {
  Responder r(TestZone());
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  EXPECT_NE(s->port(), 0);
  EXPECT_EQ(s->address(), "127.0.0.1");
  ExpectMailA(UdpAsk(s->port(), Query("mail.example.com", kA, 7)), 7);
  ExpectMailA(TcpAsk(s->port(), Query("mail.example.com", kA, 8)), 8);
  // The port is really taken, for both transports.
  const Endpoint ep = Ep("127.0.0.1", s->port());
  Fd udp = UdpSocket();
  EXPECT_NE(::bind(udp.get(), reinterpret_cast<const sockaddr*>(&ep.addr), ep.len), 0);
  Fd tcp(::socket(AF_INET, SOCK_STREAM, 0));
  EXPECT_NE(::bind(tcp.get(), reinterpret_cast<const sockaddr*>(&ep.addr), ep.len), 0);
}

void ExpectAnswers(const std::function<std::optional<std::string>(std::string_view)>& ask) {
  ExpectMailA(ask(Query("mail.example.com", kA, 0x1001)), 0x1001);
  auto txt = Decoded(ask(Query("example.com", kTxt, 0x1002)));
  EXPECT_EQ(txt.header.id, 0x1002);
  ASSERT_EQ(txt.answers.size(), 1u);
  EXPECT_EQ(std::get<wire::RdataTxt>(txt.answers[0].rdata).strings,
            (std::vector<std::string>{"v=spf1 ", "ip4:192.0.2.0/24 ", "-all"}));
  auto nx = Decoded(ask(Query("nowhere.example.com", kA, 0x1003)));
  EXPECT_EQ(nx.header.id, 0x1003);
  EXPECT_EQ(nx.header.rcode, 3);
  EXPECT_TRUE(nx.answers.empty());
}

TEST(MockDnsServerTest, UdpAnswersATxtAndNxdomain) {
  Responder r(TestZone());
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  ExpectAnswers([&](std::string_view q) { return UdpAsk(s->port(), q); });
  EXPECT_EQ(s->stats().udp_datagrams, 3u);
  ASSERT_EQ(r.Log().size(), 3u);
  EXPECT_EQ(r.Log()[0].transport, Transport::kUdp);
  EXPECT_EQ(r.Log()[0].peer.rfind("127.0.0.1:", 0), 0u);
}

TEST(MockDnsServerTest, TcpAnswersATxtAndNxdomain) {
  Responder r(TestZone());
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  ExpectAnswers([&](std::string_view q) { return TcpAsk(s->port(), q); });
  EXPECT_EQ(s->stats().tcp_messages, 3u);
  EXPECT_EQ(r.Log()[0].transport, Transport::kTcp);
  EXPECT_TRUE(WaitFor([&] { return s->stats().tcp_open == 0; }));
}

TEST(MockDnsServerTest, TcpPipelinedQueriesInOneWriteGetTwoReplies) {
  Responder r(TestZone());
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  Fd fd = TcpConnect(s->port());
  ASSERT_TRUE(fd.ok());
  ASSERT_TRUE(SendAll(
      fd, Framed(Query("mail.example.com", kA, 1)) + Framed(Query("example.com", kTxt, 2))));
  ExpectMailA(ReadTcpMessage(fd), 1);
  auto second = Decoded(ReadTcpMessage(fd));
  EXPECT_EQ(second.header.id, 2);
  EXPECT_EQ(second.answers.size(), 1u);
  // And the connection stays open for more.
  ASSERT_TRUE(SendAll(fd, Framed(Query("mail.example.com", kA, 3))));
  ExpectMailA(ReadTcpMessage(fd), 3);
  EXPECT_EQ(s->stats().tcp_connections, 1u);
  EXPECT_EQ(s->stats().tcp_messages, 3u);
}

TEST(MockDnsServerTest, ALengthOfZeroClosesTheConnection) {
  Responder r(TestZone());
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  Fd fd = TcpConnect(s->port());
  ASSERT_TRUE(SendAll(fd, std::string("\0\0", 2)));
  EXPECT_EQ(WaitClosed(fd, 5000), Peer::kClosed);
  EXPECT_TRUE(WaitFor([&] { return s->stats().tcp_open == 0; }));
  EXPECT_EQ(s->stats().tcp_timeouts, 0u);
}

// ---- knobs over the wire ---------------------------------------------------

TEST(MockDnsServerTest, ADelayedReplyDoesNotHoldUpAnotherQuery) {
  Responder r(TestZone(), KnobRules(/*slow_ms=*/800));
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  const Endpoint to = Ep("127.0.0.1", s->port());
  Fd fd = UdpSocket();
  ASSERT_TRUE(SendTo(fd, to, Query("slow.example.com", kA, 0x5100)));
  ASSERT_TRUE(SendTo(fd, to, Query("mail.example.com", kA, 0x5200)));
  auto first = RecvWithin(fd, 5000);
  ASSERT_TRUE(first);
  EXPECT_EQ(IdOf(*first), 0x5200);  // the undelayed one
  auto second = RecvWithin(fd, 5000);
  ASSERT_TRUE(second);
  EXPECT_EQ(IdOf(*second), 0x5100);
}

TEST(MockDnsServerTest, RepliesToClientsThatAreGoneDoNotStopTheServer) {
  Responder r(TestZone(), KnobRules(/*slow_ms=*/50));
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  for (int i = 0; i < 20; ++i) {
    // The reply (at once or after 50 ms) goes to a closed port: ICMP port
    // unreachable, which Linux may report on the server's socket.
    Fd gone = UdpSocket();
    ASSERT_TRUE(SendTo(gone, Ep("127.0.0.1", s->port()),
                       Query(i % 2 ? "slow.example.com" : "mail.example.com", kA, 1)));
  }
  ASSERT_TRUE(WaitFor([&] { return r.logged() == 20; }));
  std::this_thread::sleep_for(milliseconds(100));  // the delayed ones are sent
  ExpectMailA(UdpAsk(s->port(), Query("mail.example.com", kA, 2)), 2);
  ExpectMailA(TcpAsk(s->port(), Query("mail.example.com", kA, 3)), 3);
}

TEST(MockDnsServerTest, DelayKnobDelaysOverUdpAndTcp) {
  Responder r(TestZone(), KnobRules(/*slow_ms=*/300));
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  for (bool tcp : {false, true}) {
    const auto start = steady_clock::now();
    auto reply = tcp ? TcpAsk(s->port(), Query("slow.example.com", kA, 9), 5000)
                     : UdpAsk(s->port(), Query("slow.example.com", kA, 9), 5000);
    const auto took = steady_clock::now() - start;
    EXPECT_EQ(Decoded(reply).answers.size(), 1u) << tcp;
    EXPECT_GE(took, milliseconds(290)) << tcp;  // a timer never fires early
  }
}

TEST(MockDnsServerTest, TimeoutKnobNeverAnswersButTheConnectionLives) {
  Responder r(TestZone(), KnobRules());
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  EXPECT_FALSE(UdpAsk(s->port(), Query("timeout.example.com", kA, 1), 300));
  Fd fd = TcpConnect(s->port());
  ASSERT_TRUE(SendAll(fd, Framed(Query("timeout.example.com", kA, 2))));
  EXPECT_FALSE(ReadTcpMessage(fd, 300));
  // The connection still serves the next query.
  ASSERT_TRUE(SendAll(fd, Framed(Query("mail.example.com", kA, 3))));
  ExpectMailA(ReadTcpMessage(fd), 3);
}

TEST(MockDnsServerTest, TruncateKnobSetsTcOverUdpThenTcpAnswersFully) {
  Responder r(TestZone(), KnobRules());
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  auto udp = Decoded(UdpAsk(s->port(), Query("trunc.example.com", kA, 1)));
  EXPECT_TRUE(udp.header.tc);
  EXPECT_TRUE(udp.answers.empty());
  auto tcp = Decoded(TcpAsk(s->port(), Query("trunc.example.com", kA, 1)));
  EXPECT_FALSE(tcp.header.tc);
  EXPECT_EQ(tcp.answers.size(), 1u);
}

TEST(MockDnsServerTest, EveryKnobOverTheWire) {
  Responder r(TestZone(), KnobRules(/*slow_ms=*/100));
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  const std::uint16_t port = s->port();
  for (bool tcp : {false, true}) {
    SCOPED_TRACE(tcp ? "tcp" : "udp");
    auto ask = [&](std::string_view name, std::uint16_t id, int ms = 2000) {
      return tcp ? TcpAsk(port, Query(name, kA, id), ms) : UdpAsk(port, Query(name, kA, id), ms);
    };
    auto rcode = [&](std::string_view name) { return Decoded(ask(name, 0x4242)).header.rcode; };
    EXPECT_EQ(rcode("servfail.example.com"), 2);
    EXPECT_EQ(rcode("refused.example.com"), 5);
    EXPECT_EQ(rcode("nx.example.com"), 3);
    auto nodata = Decoded(ask("nodata.example.com", 1));
    EXPECT_EQ(nodata.header.rcode, 0);
    EXPECT_TRUE(nodata.answers.empty());
    EXPECT_FALSE(ask("timeout.example.com", 2, 200));
    auto trunc = Decoded(ask("trunc.example.com", 3));
    EXPECT_EQ(trunc.header.tc, !tcp);
    EXPECT_EQ(trunc.answers.size(), tcp ? 1u : 0u);
    EXPECT_EQ(Decoded(ask("slow.example.com", 4)).answers.size(), 1u);
    auto wrong = Decoded(ask("wrongid.example.com", 0x1111));
    EXPECT_NE(wrong.header.id, 0x1111);
    auto spoof = Decoded(ask("spoof.example.com", 5));
    ASSERT_EQ(spoof.answers.size(), 1u);
    EXPECT_EQ(std::get<wire::RdataA>(spoof.answers[0].rdata).address[3], 66);
    auto bad = ask("bad.example.com", 0xBEEF);
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->size(), 6u);
    EXPECT_EQ(IdOf(*bad), 0xBEEF);
    EXPECT_FALSE(wire::Decode(*bad).ok());
    // drop_after: count 1 is shared by both transports, so only the first
    // (UDP) query is answered.
    if (!tcp) {
      EXPECT_EQ(Decoded(ask("flaky.example.com", 6)).answers.size(), 1u);
    }
    EXPECT_FALSE(ask("flaky.example.com", 7, 200));
  }
}

// ---- addresses and errors ----------------------------------------------------

TEST(MockDnsServerTest, Ipv6Loopback) {
  Responder r(TestZone());
  ServerOptions opts;
  opts.address = "::1";
  auto s = Server::Start(r, opts);
  if (!s.ok()) {
    GTEST_SKIP() << "cannot bind ::1 here: " << s.error().Text();
  }
  EXPECT_NE((*s)->port(), 0);
  ExpectMailA(UdpAsk((*s)->port(), Query("mail.example.com", kA, 1), 2000, "::1"), 1);
  ExpectMailA(TcpAsk((*s)->port(), Query("mail.example.com", kA, 2), 2000, "::1"), 2);
  EXPECT_EQ(r.Log()[0].peer.rfind("[::1]:", 0), 0u);
}

TEST(MockDnsServerTest, APortInUseIsABindError) {
  Responder r(TestZone());
  auto first = StartOrDie(r);
  ASSERT_TRUE(first);
  ServerOptions opts;
  opts.port = first->port();
  auto second = Server::Start(r, opts);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().id, "mocks.dns.bind");
  EXPECT_NE(second.error().detail.find("udp"), std::string::npos) << second.error().Text();
  opts.udp = false;  // TCP alone fails as well
  auto third = Server::Start(r, opts);
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().id, "mocks.dns.bind");
  EXPECT_NE(third.error().detail.find("tcp"), std::string::npos) << third.error().Text();
  // The first one still serves.
  ExpectMailA(UdpAsk(first->port(), Query("mail.example.com", kA, 1)), 1);
}

TEST(MockDnsServerTest, ABadAddressIsAnAddressError) {
  Responder r(TestZone());
  for (std::string address : {"localhost", "256.1.1.1", "", "::g", "0.0.0.0", "::"}) {
    ServerOptions opts;
    opts.address = address;
    auto s = Server::Start(r, opts);
    ASSERT_FALSE(s.ok()) << address;
    EXPECT_EQ(s.error().id, "mocks.dns.address") << address;
  }
  ServerOptions foreign;
  foreign.address = "192.0.2.1";  // TEST-NET-1: not an address of this host
  auto s = Server::Start(r, foreign);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().id, "mocks.dns.bind");
}

TEST(MockDnsServerTest, StopWithOpenConnectionsAndPendingDelayedRepliesIsPrompt) {
  Responder r(TestZone(), KnobRules(/*slow_ms=*/60000));
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  std::vector<Fd> idle;
  for (int i = 0; i < 5; ++i) {
    idle.push_back(TcpConnect(s->port()));
  }
  Fd delayed_tcp = TcpConnect(s->port());
  ASSERT_TRUE(SendAll(delayed_tcp, Framed(Query("slow.example.com", kA, 1))));
  Fd delayed_udp = UdpSocket();
  ASSERT_TRUE(SendTo(delayed_udp, Ep("127.0.0.1", s->port()), Query("slow.example.com", kA, 2)));
  ASSERT_TRUE(WaitFor([&] { return r.logged() == 2 && s->stats().tcp_open == 6; }));
  const auto start = steady_clock::now();
  s->Stop();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
  for (const Fd& fd : idle) {
    EXPECT_EQ(WaitClosed(fd, 5000), Peer::kClosed);
  }
  EXPECT_EQ(WaitClosed(delayed_tcp, 5000), Peer::kClosed);
  EXPECT_FALSE(RecvWithin(delayed_udp, 100));
  EXPECT_EQ(s->stats().tcp_open, 0u);
  s->Stop();  // again: nothing happens
  const Endpoint ep = Ep("127.0.0.1", s->port());
  s.reset();  // and the destructor
  // A stopped server gave its port back.
  Fd udp = UdpSocket();
  EXPECT_EQ(::bind(udp.get(), reinterpret_cast<const sockaddr*>(&ep.addr), ep.len), 0);
}

TEST(MockDnsServerTest, StopIsPromptEvenWhenTheServerThreadIsStuck) {
  // An observer that blocks the io thread for a while: the graceful stop
  // cannot finish in time, so Stop() stops the io_context and closes what
  // is left itself.
  Responder r(TestZone(), KnobRules(/*slow_ms=*/60000));
  std::atomic<bool> blocked{false};
  r.SetObserver([&](const LogEntry& e) {
    if (e.qname == "mail.example.com") {
      blocked = true;
      std::this_thread::sleep_for(milliseconds(1500));
    }
  });
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  Fd idle = TcpConnect(s->port());
  Fd delayed = UdpSocket();
  ASSERT_TRUE(SendTo(delayed, Ep("127.0.0.1", s->port()), Query("slow.example.com", kA, 1)));
  ASSERT_TRUE(WaitFor([&] { return r.logged() == 1 && s->stats().tcp_open == 1; }));
  Fd stuck = UdpSocket();
  ASSERT_TRUE(SendTo(stuck, Ep("127.0.0.1", s->port()), Query("mail.example.com", kA, 2)));
  ASSERT_TRUE(WaitFor([&] { return blocked.load(); }));
  const auto start = steady_clock::now();
  s->Stop();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(s->stats().tcp_open, 0u);
  EXPECT_EQ(WaitClosed(idle, 5000), Peer::kClosed);
  EXPECT_FALSE(RecvWithin(delayed, 100));
  s.reset();
}

// ---- hostile peers -----------------------------------------------------------

TEST(MockDnsServerTest, AGarbageFloodLeavesTheServerAnsweringInBoundedMemory) {
  Responder r(TestZone(), {}, ResponderOptions{.max_log = 1000});
  auto s = StartOrDie(r);
  ASSERT_TRUE(s);
  const std::size_t rss_before = RssBytes();
  const Endpoint to = Ep("127.0.0.1", s->port());
  Fd fd = UdpSocket();
  std::mt19937 rng(20240501);
  std::string datagram;
  constexpr int kDatagrams = 20000;
  for (int i = 0; i < kDatagrams; ++i) {
    datagram.resize(rng() % 601);
    for (char& c : datagram) {
      c = static_cast<char>(rng());
    }
    ::sendto(fd.get(), datagram.data(), datagram.size(), 0,
             reinterpret_cast<const sockaddr*>(&to.addr), to.len);
    if (i % 256 == 0) {
      // Let the server keep up a little: a full receive buffer would only
      // drop datagrams, but the point is to make it handle them.
      std::this_thread::sleep_for(milliseconds(1));
    }
  }
  // A normal query is answered (retried: the flood may fill the buffers).
  std::optional<std::string> reply;
  for (int attempt = 0; attempt < 10 && !reply; ++attempt) {
    reply = UdpAsk(s->port(), Query("mail.example.com", kA, 0xAAAA), 1000);
  }
  ExpectMailA(reply, 0xAAAA);
  EXPECT_GT(s->stats().udp_datagrams, kDatagrams / 2);
  EXPECT_LE(r.Log().size(), 1000u);
  EXPECT_GT(r.logged(), static_cast<std::uint64_t>(kDatagrams / 2));
  const std::size_t rss_after = RssBytes();
#if defined(__SANITIZE_ADDRESS__)
  constexpr std::size_t kBound = 512u << 20;  // ASan's quarantine holds freed memory
#else
  constexpr std::size_t kBound = 64u << 20;
#endif
  EXPECT_LT(rss_after > rss_before ? rss_after - rss_before : 0, kBound)
      << "RSS " << rss_before << " -> " << rss_after;
}

ServerOptions ShortIdle(std::uint32_t idle_ms = 200) {
  ServerOptions opts;
  opts.tcp_idle_ms = idle_ms;
  return opts;
}

TEST(MockDnsServerTest, ATruncatedLengthPrefixIsClosedAfterTheIdleTime) {
  Responder r(TestZone());
  auto s = StartOrDie(r, ShortIdle());
  ASSERT_TRUE(s);
  Fd fd = TcpConnect(s->port());
  ASSERT_TRUE(SendAll(fd, std::string(1, '\0')));
  EXPECT_EQ(WaitClosed(fd, 5000), Peer::kClosed);
  EXPECT_TRUE(WaitFor([&] { return s->stats().tcp_timeouts >= 1 && s->stats().tcp_open == 0; }));
  EXPECT_EQ(r.logged(), 0u);
}

TEST(MockDnsServerTest, AShortMessageBodyIsClosedAfterTheIdleTime) {
  Responder r(TestZone());
  auto s = StartOrDie(r, ShortIdle());
  ASSERT_TRUE(s);
  Fd fd = TcpConnect(s->port());
  ASSERT_TRUE(SendAll(fd, std::string("\x03\xE8", 2) + std::string(10, 'x')));  // 1000 promised
  EXPECT_EQ(WaitClosed(fd, 5000), Peer::kClosed);
  EXPECT_TRUE(WaitFor([&] { return s->stats().tcp_timeouts >= 1 && s->stats().tcp_open == 0; }));
  EXPECT_EQ(r.logged(), 0u);
  // The server still answers.
  ExpectMailA(TcpAsk(s->port(), Query("mail.example.com", kA, 1)), 1);
}

TEST(MockDnsServerTest, IdleConnectionsBeyondTheLimitAreRefusedAndNoneLeak) {
  Responder r(TestZone());
  ServerOptions opts = ShortIdle(2000);
  opts.max_tcp_connections = 16;
  auto s = StartOrDie(r, opts);
  ASSERT_TRUE(s);
  std::vector<Fd> conns;
  for (std::size_t i = 0; i < opts.max_tcp_connections + 20; ++i) {
    conns.push_back(TcpConnect(s->port()));
    ASSERT_TRUE(conns.back().ok());
  }
  ASSERT_TRUE(WaitFor([&] { return s->stats().tcp_connections == conns.size(); }));
  EXPECT_EQ(s->stats().tcp_refused, 20u);
  EXPECT_EQ(s->stats().tcp_open, opts.max_tcp_connections);
  // The refused ones (accepted last) are closed at once, the others not.
  for (std::size_t i = opts.max_tcp_connections; i < conns.size(); ++i) {
    EXPECT_EQ(WaitClosed(conns[i], 1500), Peer::kClosed) << i;
  }
  EXPECT_EQ(WaitClosed(conns[0], 0), Peer::kSilent);
  // UDP is served meanwhile.
  ExpectMailA(UdpAsk(s->port(), Query("mail.example.com", kA, 1)), 1);
  // After the idle time every connection is gone, and TCP serves again.
  EXPECT_TRUE(WaitFor([&] { return s->stats().tcp_open == 0; }, 10000));
  EXPECT_EQ(s->stats().tcp_timeouts, opts.max_tcp_connections);
  for (std::size_t i = 0; i < opts.max_tcp_connections; ++i) {
    EXPECT_EQ(WaitClosed(conns[i], 5000), Peer::kClosed) << i;
  }
  ExpectMailA(TcpAsk(s->port(), Query("mail.example.com", kA, 2)), 2);
}

}  // namespace
}  // namespace mxconform::mocks::dns
