#include "net/stub_resolver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <exception>
#include <optional>
#include <system_error>
#include <vector>

#include "common/text.h"

namespace mxconform::net {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

// The largest UDP payload a datagram can carry; a reply is never cut short
// by our buffer, whatever size the server chose (RFC 6891 §6.2.3 lets it
// exceed what we advertised).
constexpr std::size_t kUdpBufferSize = 65535;
constexpr std::uint16_t kClassIn = 1;

// Owns a file descriptor.
class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string ErrnoText(int err) { return std::error_code(err, std::system_category()).message(); }

Diagnostic SocketError(std::string_view what, int err) {
  return MakeDiag("net.dns.socket", Severity::kError, 0, "the OS refused a socket operation",
                  std::string(what) + ": " + ErrnoText(err));
}

Diagnostic TimeoutError(std::string detail) {
  return MakeDiag("net.dns.timeout", Severity::kError, 0, "no acceptable reply before the deadline",
                  std::move(detail));
}

Diagnostic TcpError(std::string detail) {
  return MakeDiag("net.dns.tcp", Severity::kError, 0, "the TCP exchange failed", std::move(detail));
}

Diagnostic MalformedError(const Diagnostic& codec) {
  std::string detail = std::string(codec.id) + " at offset " + std::to_string(codec.offset);
  if (!codec.detail.empty()) {
    detail += ": " + codec.detail;
  }
  return MakeDiag("net.dns.malformed", Severity::kError, codec.offset,
                  "a reply from the server does not decode", std::move(detail));
}

// Milliseconds left until `end`, rounded up so poll() never wakes early and
// spins; 0 once `end` has passed.
int MillisecondsLeft(TimePoint end) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(end - SteadyClock::now());
  if (left.count() <= 0) {
    return 0;
  }
  return static_cast<int>(std::min<std::chrono::milliseconds::rep>(left.count(), INT_MAX));
}

enum class Wait : std::uint8_t { kReady, kTimeout, kError };

// Waits until `fd` reports one of `events` (or an error or hang-up, which
// the next call on the socket reports) or `end` passes. kError leaves the
// poll(2) errno in `*err`.
Wait WaitFor(int fd, short events, TimePoint end, int* err) {
  for (;;) {
    const int left = MillisecondsLeft(end);
    if (left == 0) {
      return Wait::kTimeout;
    }
    pollfd p{};
    p.fd = fd;
    p.events = events;
    const int n = ::poll(&p, 1, left);
    if (n > 0) {
      return Wait::kReady;
    }
    if (n < 0 && errno != EINTR) {
      *err = errno;
      return Wait::kError;
    }
    // n == 0: poll rounds differently from the steady clock; re-check.
  }
}

// An accepted reply, nothing (ignore it and wait on), or `net.dns.malformed`.
// RFC 5452 §9.1: the same id, QR set, the query's opcode (RFC 1035
// §4.1.1: copied into the response) and the same question (name without
// case, RFC 4343; type; class). The source address and port are checked by
// the kernel: the socket is connected.
Result<std::optional<dns::Message>> CheckReply(std::string_view wire, const dns::Message& query) {
  if (wire.size() < 2) {
    return std::optional<dns::Message>();
  }
  const auto id = static_cast<std::uint16_t>((static_cast<unsigned char>(wire[0]) << 8) |
                                             static_cast<unsigned char>(wire[1]));
  if (id != query.header.id) {
    return std::optional<dns::Message>();  // not ours, decodable or not
  }
  auto decoded = dns::Decode(wire);
  if (!decoded) {
    // RFC 2181 §9: a reply with TC set is ignored and the question asked
    // again over TCP, however much of it survived the cut; only its header
    // and question have to read, to show it answers our query.
    const bool tc = wire.size() > 2 && (static_cast<unsigned char>(wire[2]) & 0x02) != 0;
    dns::DecodeLimits head;
    head.question_only = true;
    auto partial = tc ? dns::Decode(wire, head) : decoded;
    if (!partial) {
      return MalformedError(decoded.error());
    }
    decoded = std::move(partial);
  }
  dns::Message& m = *decoded;
  if (!m.header.qr || m.header.opcode != query.header.opcode || m.questions.size() != 1 ||
      query.questions.size() != 1) {
    return std::optional<dns::Message>();
  }
  const dns::Question& got = m.questions.front();
  const dns::Question& asked = query.questions.front();
  if (got.type != asked.type || got.klass != asked.klass || !(got.name == asked.name)) {
    return std::optional<dns::Message>();  // our id but another question: a spoof
  }
  return std::optional<dns::Message>(std::move(m));
}

// One exchange over a MemoryExchange: no reply, or one that is not ours,
// is a try that timed out.
Result<std::optional<dns::Message>> MemoryTry(const MemoryExchange& exchange, std::string_view wire,
                                              const dns::Message& query, bool tcp) {
  std::optional<std::string> reply = exchange(wire, tcp);
  if (!reply) {
    return std::optional<dns::Message>();
  }
  return CheckReply(*reply, query);
}

// The server address as a sockaddr.
socklen_t ServerSockaddr(bool v6, const std::array<std::uint8_t, 16>& address, std::uint16_t port,
                         sockaddr_storage* ss) {
  std::memset(ss, 0, sizeof(*ss));
  if (v6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(ss);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    std::memcpy(&sa->sin6_addr, address.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* sa = reinterpret_cast<sockaddr_in*>(ss);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(port);
  std::memcpy(&sa->sin_addr, address.data(), 4);
  return sizeof(sockaddr_in);
}

// Sends all of `data` on a non-blocking socket before `end`. Returns
// nullopt when done, else the failure: `net.dns.timeout`, or for an OS
// error `net.dns.tcp` (over TCP) or `net.dns.socket` (over UDP).
std::optional<Diagnostic> SendAll(int fd, std::string_view data, TimePoint end, bool tcp) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return tcp ? TcpError("send: " + ErrnoText(errno)) : SocketError("send", errno);
    }
    int err = 0;
    switch (WaitFor(fd, POLLOUT, end, &err)) {
      case Wait::kReady:
        break;
      case Wait::kTimeout:
        return TimeoutError(tcp ? "sending the TCP query" : "sending the UDP query");
      case Wait::kError:
        return SocketError("poll", err);
    }
  }
  return std::nullopt;
}

// One UDP try on a fresh socket: the accepted reply, nullopt if none came
// before `end`, or a failure.
Result<std::optional<dns::Message>> UdpTry(const sockaddr_storage& server, socklen_t server_len,
                                           std::string_view wire, const dns::Message& query,
                                           TimePoint end) {
  Socket sock(::socket(server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) {
    return SocketError("socket", errno);
  }
  // A connected UDP socket: the kernel drops datagrams from any other
  // address or port (RFC 5452 §9.1) and picks a fresh ephemeral port.
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&server), server_len) != 0) {
    return SocketError("connect", errno);
  }
  if (auto failure = SendAll(sock.get(), wire, end, /*tcp=*/false)) {
    if (failure->id == "net.dns.timeout") {
      return std::optional<dns::Message>();
    }
    return *failure;
  }
  std::string buffer(kUdpBufferSize, '\0');
  for (;;) {
    int err = 0;
    switch (WaitFor(sock.get(), POLLIN, end, &err)) {
      case Wait::kReady:
        break;
      case Wait::kTimeout:
        return std::optional<dns::Message>();
      case Wait::kError:
        return SocketError("poll", err);
    }
    const ssize_t n = ::recv(sock.get(), buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
        continue;
      }
      // ECONNREFUSED (ICMP port unreachable) ends the query here: the
      // server is not listening, waiting on would only delay the verdict.
      return SocketError("recv", errno);
    }
    auto checked = CheckReply(std::string_view(buffer.data(), static_cast<std::size_t>(n)), query);
    if (!checked || checked->has_value()) {
      return checked;
    }
  }
}

// Reads exactly `want` octets before `end`. `what` names them in errors.
Result<std::string> ReadExact(int fd, std::size_t want, TimePoint end, std::string_view what) {
  std::string out(want, '\0');
  std::size_t got = 0;
  while (got < want) {
    int err = 0;
    switch (WaitFor(fd, POLLIN, end, &err)) {
      case Wait::kReady:
        break;
      case Wait::kTimeout:
        return TimeoutError("reading the TCP " + std::string(what) + " (" + std::to_string(got) +
                            " of " + std::to_string(want) + " octets)");
      case Wait::kError:
        return SocketError("poll", err);
    }
    const ssize_t n = ::recv(fd, out.data() + got, want - got, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
        continue;
      }
      return TcpError("recv: " + ErrnoText(errno) + " after " + std::to_string(got) + " of " +
                      std::to_string(want) + " octets of the " + std::string(what));
    }
    if (n == 0) {
      return TcpError("connection closed after " + std::to_string(got) + " of " +
                      std::to_string(want) + " octets of the " + std::string(what));
    }
    got += static_cast<std::size_t>(n);
  }
  return out;
}

// One query over TCP (RFC 1035 §4.2.2, RFC 7766 §8): a two-octet length
// before each message; messages that do not answer the query are skipped.
Result<dns::Message> TcpExchange(const sockaddr_storage& server, socklen_t server_len,
                                 std::string_view wire, const dns::Message& query, TimePoint end) {
  Socket sock(::socket(server.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (sock.get() < 0) {
    return SocketError("socket", errno);
  }
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&server), server_len) != 0) {
    if (errno != EINPROGRESS && errno != EINTR) {
      return TcpError("connect: " + ErrnoText(errno));
    }
    int err = 0;
    switch (WaitFor(sock.get(), POLLOUT, end, &err)) {
      case Wait::kReady:
        break;
      case Wait::kTimeout:
        return TimeoutError("TCP connect");
      case Wait::kError:
        return SocketError("poll", err);
    }
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    if (::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
      return SocketError("getsockopt", errno);
    }
    if (so_error != 0) {
      return TcpError("connect: " + ErrnoText(so_error));
    }
  }
  std::string framed;
  framed.reserve(wire.size() + 2);
  framed += static_cast<char>((wire.size() >> 8) & 0xFF);
  framed += static_cast<char>(wire.size() & 0xFF);
  framed.append(wire);
  if (auto failure = SendAll(sock.get(), framed, end, /*tcp=*/true)) {
    return *failure;
  }
  for (;;) {
    auto prefix = ReadExact(sock.get(), 2, end, "length prefix");
    if (!prefix) {
      return Result<dns::Message>::Failure(prefix.diagnostics());
    }
    const std::size_t length =
        (static_cast<unsigned char>((*prefix)[0]) << 8) | static_cast<unsigned char>((*prefix)[1]);
    auto body = ReadExact(sock.get(), length, end, "message");
    if (!body) {
      return Result<dns::Message>::Failure(body.diagnostics());
    }
    auto checked = CheckReply(*body, query);
    if (!checked) {
      return Result<dns::Message>::Failure(checked.diagnostics());
    }
    if (checked->has_value()) {
      return std::move(**checked);
    }
  }
}

std::uint16_t WireType(spf::QueryType type) {
  switch (type) {
    case spf::QueryType::kTxt:
      return static_cast<std::uint16_t>(dns::RrType::kTxt);
    case spf::QueryType::kA:
      return static_cast<std::uint16_t>(dns::RrType::kA);
    case spf::QueryType::kAaaa:
      return static_cast<std::uint16_t>(dns::RrType::kAaaa);
    case spf::QueryType::kMx:
      return static_cast<std::uint16_t>(dns::RrType::kMx);
    case spf::QueryType::kPtr:
      return static_cast<std::uint16_t>(dns::RrType::kPtr);
  }
  return 0;
}

bool Owns(const dns::Record& r, const dns::Name& owner, std::uint16_t type) {
  return r.type == type && r.klass == kClassIn && r.name == owner;
}

// The CNAME target for `owner` in `answers`, or nullptr.
const dns::Name* CnameTarget(const std::vector<dns::Record>& answers, const dns::Name& owner) {
  for (const dns::Record& r : answers) {
    if (Owns(r, owner, static_cast<std::uint16_t>(dns::RrType::kCname))) {
      if (const auto* target = std::get_if<dns::RdataName>(&r.rdata)) {
        return &target->name;
      }
    }
  }
  return nullptr;
}

// Fills `out` with the records of `type` owned by `owner`; returns whether
// there was any record of that type (usable or not).
bool CollectData(const std::vector<dns::Record>& answers, const dns::Name& owner,
                 spf::QueryType type, spf::DnsAnswer& out) {
  const std::uint16_t wire_type = WireType(type);
  bool any = false;
  struct Mx {
    std::uint16_t preference;
    std::string exchange;
  };
  std::vector<Mx> mx;
  for (const dns::Record& r : answers) {
    if (!Owns(r, owner, wire_type)) {
      continue;
    }
    any = true;
    switch (type) {
      case spf::QueryType::kTxt:
        if (const auto* txt = std::get_if<dns::RdataTxt>(&r.rdata)) {
          // RFC 7208 §3.3: the strings of one record joined, no separator.
          std::string joined;
          for (const std::string& s : txt->strings) {
            joined += s;
          }
          out.txt.push_back(std::move(joined));
        }
        break;
      case spf::QueryType::kA:
        if (const auto* a = std::get_if<dns::RdataA>(&r.rdata)) {
          out.addresses.push_back(
              spf::IpAddress::V4(a->address[0], a->address[1], a->address[2], a->address[3]));
        }
        break;
      case spf::QueryType::kAaaa:
        if (const auto* a = std::get_if<dns::RdataAaaa>(&r.rdata)) {
          spf::IpAddress ip;
          ip.v6 = true;
          ip.bytes = a->address;
          out.addresses.push_back(ip);
        }
        break;
      case spf::QueryType::kMx:
        if (const auto* m = std::get_if<dns::RdataMx>(&r.rdata)) {
          // RFC 7505: a null MX has the root as exchange, shown as ".".
          mx.push_back(Mx{m->preference, m->exchange.ToString()});
        }
        break;
      case spf::QueryType::kPtr:
        if (const auto* p = std::get_if<dns::RdataName>(&r.rdata)) {
          out.names.push_back(p->name.ToString());
        }
        break;
    }
  }
  // RFC 5321 §5.1: lower preference first; ties keep the wire order.
  std::stable_sort(mx.begin(), mx.end(),
                   [](const Mx& a, const Mx& b) { return a.preference < b.preference; });
  for (Mx& m : mx) {
    out.names.push_back(std::move(m.exchange));
    out.preferences.push_back(m.preference);
  }
  return any;
}

spf::DnsAnswer StatusOnly(spf::DnsStatus status) {
  spf::DnsAnswer a;
  a.status = status;
  return a;
}

}  // namespace

Result<StubResolver> StubResolver::Create(const StubOptions& opts) {
  StubResolver r(opts);
  const std::vector<std::uint8_t> octets = text::AddressLiteralOctets(opts.address);
  if (octets.empty()) {
    return MakeDiag("net.dns.address", Severity::kError, 0,
                    "the server address is not an IPv4 or IPv6 literal", opts.address);
  }
  r.v6_ = octets.size() == 16;
  std::memcpy(r.address_.data(), octets.data(), octets.size());
  // RFC 5452 §9.2: ids an attacker cannot predict, from the kernel's CSPRNG
  // (NextId). The first batch is drawn here, so that a machine without it
  // is an error now rather than a weak id later.
  if (!r.RefillIds()) {
    return MakeDiag("net.dns.random", Severity::kError, 0,
                    "no random bytes for the message ids (getrandom)", std::strerror(errno));
  }
  return r;
}

Result<StubResolver> StubResolver::CreateInMemory(const StubOptions& opts,
                                                  MemoryExchange exchange) {
  StubOptions o = opts;
  o.address = "127.0.0.1";  // never used: no socket is opened
  auto r = Create(o);
  if (r) {
    r->memory_ = std::move(exchange);
  }
  return r;
}

bool StubResolver::RefillIds() {
  std::size_t got = 0;
  const std::size_t want = sizeof ids_;
  auto* bytes = reinterpret_cast<unsigned char*>(ids_.data());
  while (got < want) {
    const ssize_t n = getrandom(bytes + got, want - got, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    got += static_cast<std::size_t>(n);
  }
  next_id_ = 0;
  return true;
}

std::uint16_t StubResolver::NextId() {
  // Review finding: the ids came from std::mt19937, whose outputs are
  // linear in its state: about 1,250 observed ids gave away every later
  // one. getrandom(2) cannot fail once it has worked (Create) for these
  // sizes; if it ever did, the last batch is reused rather than zeros.
  if (next_id_ == ids_.size()) {
    if (!RefillIds()) {
      next_id_ = 0;
    }
  }
  return ids_[next_id_++];
}

Result<Exchange> StubResolver::Ask(const dns::Name& name, std::uint16_t type) {
  const TimePoint deadline = SteadyClock::now() + opts_.deadline;
  sockaddr_storage server{};
  const socklen_t server_len = ServerSockaddr(v6_, address_, opts_.port, &server);
  Exchange exchange;

  // Each try is bounded by its own timeout and by the query's deadline.
  const auto try_end = [&] {
    return std::min(SteadyClock::now() + opts_.attempt_timeout, deadline);
  };

  if (!opts_.tcp_only) {
    const int attempts = std::max(opts_.attempts, 1);
    bool truncated = false;
    for (int i = 0; i < attempts && SteadyClock::now() < deadline; ++i) {
      const dns::Message query = dns::MakeQuery(NextId(), name, type, opts_.udp_payload);
      auto wire = dns::Encode(query);
      if (!wire) {
        return Result<Exchange>::Failure(wire.diagnostics());
      }
      ++exchange.udp_tries;
      auto reply = memory_ ? MemoryTry(memory_, *wire, query, false)
                           : UdpTry(server, server_len, *wire, query, try_end());
      if (!reply) {
        return Result<Exchange>::Failure(reply.diagnostics());
      }
      if (!reply->has_value()) {
        continue;  // this try timed out
      }
      dns::Message& m = **reply;
      // RFC 1035 §4.2.1, RFC 7766 §5: TC means "ask again over TCP".
      if (m.header.tc && opts_.tcp_fallback) {
        truncated = true;
        break;
      }
      exchange.response = std::move(m);
      return exchange;
    }
    if (!truncated) {
      return TimeoutError("no acceptable reply to " + std::to_string(exchange.udp_tries) +
                          " UDP tries");
    }
  }

  if (SteadyClock::now() >= deadline) {
    return TimeoutError("the deadline passed before the TCP query");
  }
  const dns::Message query = dns::MakeQuery(NextId(), name, type, opts_.udp_payload);
  auto wire = dns::Encode(query);
  if (!wire) {
    return Result<Exchange>::Failure(wire.diagnostics());
  }
  Result<dns::Message> reply = TimeoutError("");
  if (memory_) {
    auto m = MemoryTry(memory_, *wire, query, true);
    if (!m) {
      return Result<Exchange>::Failure(m.diagnostics());
    }
    if (!m->has_value()) {
      return TimeoutError("no acceptable reply over TCP (in memory)");
    }
    reply = std::move(**m);
  } else {
    reply = TcpExchange(server, server_len, *wire, query, try_end());
  }
  if (!reply) {
    return Result<Exchange>::Failure(reply.diagnostics());
  }
  exchange.response = std::move(*reply);
  exchange.over_tcp = true;
  return exchange;
}

spf::DnsAnswer StubResolver::Query(std::string_view name, spf::QueryType type) {
  // Raw labels (RFC 7208 names are bytes between dots, not presentation
  // text); the root is no name to ask about here.
  auto start = dns::Name::FromDotted(name);
  if (!start || start->IsRoot()) {
    return StatusOnly(spf::DnsStatus::kError);
  }
  const std::uint16_t wire_type = WireType(type);
  std::vector<dns::Name> seen{*start};
  std::size_t links = 0;
  dns::Name current = *start;
  for (;;) {
    auto exchange = Ask(current, wire_type);
    if (!exchange) {
      return StatusOnly(exchange.error().id == "net.dns.timeout" ? spf::DnsStatus::kTimeout
                                                                 : spf::DnsStatus::kError);
    }
    const dns::Message& m = exchange->response;
    const std::uint16_t rcode = m.ExtendedRcode();
    if (rcode == static_cast<std::uint16_t>(dns::Rcode::kNxDomain)) {
      return StatusOnly(spf::DnsStatus::kNxDomain);
    }
    if (rcode != static_cast<std::uint16_t>(dns::Rcode::kNoError)) {
      return StatusOnly(spf::DnsStatus::kError);
    }
    if (m.header.tc) {
      // Only with tcp_fallback off, or TC over TCP: RFC 2181 §9 says to
      // ignore such a reply, as the records asked for may be the ones cut.
      return StatusOnly(spf::DnsStatus::kError);
    }
    // RFC 1034 §3.6.2, §4.3.2: follow the chain through the answer.
    dns::Name owner = current;
    bool followed = false;
    for (;;) {
      spf::DnsAnswer out;
      if (CollectData(m.answers, owner, type, out)) {
        return out;
      }
      const dns::Name* target = CnameTarget(m.answers, owner);
      if (target == nullptr) {
        break;
      }
      ++links;
      if (links > opts_.max_cname_links ||
          std::find(seen.begin(), seen.end(), *target) != seen.end()) {
        return StatusOnly(spf::DnsStatus::kError);
      }
      seen.push_back(*target);
      owner = *target;
      followed = true;
    }
    if (!followed) {
      return spf::DnsAnswer{};  // NOERROR without data: NODATA
    }
    // The chain leaves the answer at `owner`: ask for it.
    current = owner;
  }
}

}  // namespace mxconform::net
