#include "mocks/dns/server.h"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

#include "mocks/common/server_base.h"

namespace mxconform::mocks::dns {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using asio::ip::udp;
using boost::system::error_code;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// With port 0, how often a new UDP port is tried when TCP cannot have it.
constexpr int kBindAttempts = 8;
// Datagrams read per wake-up of the UDP loop before the other handlers of
// the io_context get a turn.
constexpr std::size_t kUdpBatch = 64;
// Delayed UDP replies waiting at once; beyond this a reply is dropped (and
// counted), so a flood of queries for a delayed name cannot grow memory.
constexpr std::size_t kMaxPendingUdpReplies = 4096;
constexpr std::size_t kMaxTcpMessage = 65535;  // RFC 1035 §4.2.2: a 2-octet length

bool WouldBlock(const error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

class Server::Impl {
 public:
  Impl(Responder& responder, const ServerOptions& opts, asio::ip::address address)
      : responder_(responder), opts_(opts), address_(std::move(address)) {}

  ~Impl() { Stop(); }

  // Opens and binds the sockets; the error diagnostic, if any.
  std::optional<Diagnostic> Bind();
  // Starts the loops and the thread.
  void Run();
  void Stop();

  std::uint16_t port() const { return port_; }
  const ServerOptions& options() const { return opts_; }
  ServerStats stats() const {
    ServerStats s;
    s.udp_datagrams = stats_.udp_datagrams.load(std::memory_order_relaxed);
    s.udp_replies_dropped = stats_.udp_replies_dropped.load(std::memory_order_relaxed);
    s.tcp_connections = stats_.tcp_connections.load(std::memory_order_relaxed);
    s.tcp_open = stats_.tcp_open.load(std::memory_order_relaxed);
    s.tcp_refused = stats_.tcp_refused.load(std::memory_order_relaxed);
    s.tcp_timeouts = stats_.tcp_timeouts.load(std::memory_order_relaxed);
    s.tcp_messages = stats_.tcp_messages.load(std::memory_order_relaxed);
    return s;
  }

 private:
  struct Counters {
    std::atomic<std::uint64_t> udp_datagrams{0};
    std::atomic<std::uint64_t> udp_replies_dropped{0};
    std::atomic<std::uint64_t> tcp_connections{0};
    std::atomic<std::uint64_t> tcp_open{0};
    std::atomic<std::uint64_t> tcp_refused{0};
    std::atomic<std::uint64_t> tcp_timeouts{0};
    std::atomic<std::uint64_t> tcp_messages{0};
  };

  // A TCP connection: the stream (beast::tcp_stream carries the read and
  // write deadlines) and the timer of a delayed reply. Registered in
  // `conns_` while its session runs, so that Stop() can close it.
  struct Conn {
    explicit Conn(tcp::socket s) : stream(std::move(s)), delay(stream.get_executor()) {}
    beast::tcp_stream stream;
    asio::steady_timer delay;
  };

  // Removes a registration when the scope (a coroutine frame) ends.
  template <typename T>
  class Registration {
   public:
    Registration(std::unordered_set<T*>& set, T* item) : set_(set), item_(item) {
      set_.insert(item_);
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration() { set_.erase(item_); }

   private:
    std::unordered_set<T*>& set_;
    T* item_;
  };

  asio::awaitable<void> UdpLoop();
  void OnDatagram(std::size_t size, const udp::endpoint& from);
  asio::awaitable<void> DelayedUdpReply(std::string bytes, udp::endpoint to,
                                        std::chrono::milliseconds delay);
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(tcp::socket socket, OpenSlot slot);
  // On the io thread: closes every socket and cancels every timer, so each
  // coroutine ends and run() returns.
  void CloseAll();

  // Declared before io_ so that they outlive it: coroutine frames that
  // io_'s destructor destroys still touch them. "io thread only": touched
  // by the io thread, or by Stop() once that thread is joined.
  Responder& responder_;
  const ServerOptions opts_;
  const asio::ip::address address_;
  std::uint16_t port_ = 0;
  Counters stats_;
  std::unordered_set<Conn*> conns_;                 // io thread only
  std::unordered_set<asio::steady_timer*> timers_;  // delayed UDP replies; io thread only
  bool stopping_ = false;                           // io thread only
  std::vector<std::uint8_t> udp_buffer_ = std::vector<std::uint8_t>(65535);

  asio::io_context io_{1};
  udp::socket udp_{io_};
  tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_backoff_{io_};

  IoThread io_thread_{io_};
};

std::optional<Diagnostic> Server::Impl::Bind() {
  auto failure = [&](std::string_view what, std::uint16_t port, const error_code& ec) {
    return MakeDiag("mocks.dns.bind", Severity::kError, 0, "the mock DNS server cannot bind",
                    std::string(what) + " " + EndpointText(address_, port) + ": " + ec.message());
  };
  // With port 0 UDP picks the port and TCP must get the same one; another
  // program may hold it for TCP, so a few UDP ports are tried.
  const bool retry = opts_.port == 0 && opts_.udp && opts_.tcp;
  std::optional<Diagnostic> last;
  for (int attempt = 0; attempt < (retry ? kBindAttempts : 1); ++attempt) {
    error_code ec;
    udp_.close(ec);
    acceptor_.close(ec);
    std::uint16_t port = opts_.port;
    if (opts_.udp) {
      const udp::endpoint ep(address_, port);
      udp_.open(ep.protocol(), ec);
      if (!ec) {
        udp_.bind(ep, ec);
      }
      if (!ec) {
        port = udp_.local_endpoint(ec).port();
      }
      if (!ec) {
        // Replies are sent at once or dropped (see OnDatagram).
        udp_.non_blocking(true, ec);
      }
      if (ec) {
        return failure("udp", port, ec);
      }
    }
    if (opts_.tcp) {
      const tcp::endpoint ep(address_, port);
      ec = BindListener(acceptor_, ep, port);
      if (ec) {
        last = failure("tcp", port, ec);
        if (retry && ec == asio::error::address_in_use) {
          continue;
        }
        return last;
      }
    }
    port_ = port;
    return std::nullopt;
  }
  error_code ec;
  udp_.close(ec);
  acceptor_.close(ec);
  return last;
}

void Server::Impl::Run() {
  if (opts_.udp) {
    asio::co_spawn(io_, UdpLoop(), asio::detached);
  }
  if (opts_.tcp) {
    asio::co_spawn(io_, AcceptLoop(), asio::detached);
  }
  io_thread_.Start();
}

void Server::Impl::Stop() {
  io_thread_.Stop([this] { CloseAll(); });
}

void Server::Impl::CloseAll() {
  stopping_ = true;
  error_code ec;
  udp_.close(ec);
  acceptor_.close(ec);
  accept_backoff_.cancel();
  for (Conn* c : conns_) {
    c->stream.close();
    c->delay.cancel();
  }
  for (asio::steady_timer* t : timers_) {
    t->cancel();
  }
}

// UDP (RFC 1035 §4.2.1). The socket is non-blocking: the loop drains what
// is queued, then waits for readability, so a busy server pays one wake-up
// per batch instead of one per datagram.
asio::awaitable<void> Server::Impl::UdpLoop() {
  udp::endpoint from;
  for (;;) {
    for (std::size_t i = 0; i < kUdpBatch; ++i) {
      error_code ec;
      const std::size_t n = udp_.receive_from(asio::buffer(udp_buffer_), from, 0, ec);
      if (stopping_ || !udp_.is_open()) {
        co_return;
      }
      if (WouldBlock(ec)) {
        break;
      }
      if (ec) {
        // ECONNREFUSED from an ICMP port unreachable and other per-datagram
        // errors: the next datagram is served as usual.
        continue;
      }
      try {
        OnDatagram(n, from);
      } catch (...) {
        // Out of memory for one reply: that query goes unanswered.
      }
    }
    // An error (the socket closed) shows in the next receive_from.
    co_await udp_.async_wait(udp::socket::wait_read, kUseTuple);
    if (stopping_ || !udp_.is_open()) {
      co_return;
    }
  }
}

void Server::Impl::OnDatagram(std::size_t size, const udp::endpoint& from) {
  stats_.udp_datagrams.fetch_add(1, std::memory_order_relaxed);
  Reply reply = responder_.Handle({udp_buffer_.data(), size}, Transport::kUdp,
                                  EndpointText(from.address(), from.port()));
  if (!reply.bytes) {
    return;
  }
  if (reply.delay.count() > 0) {
    if (timers_.size() >= kMaxPendingUdpReplies) {
      stats_.udp_replies_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // A coroutine of its own, so the wait holds up no other query.
    asio::co_spawn(io_, DelayedUdpReply(std::move(*reply.bytes), from, reply.delay),
                   asio::detached);
    return;
  }
  // The socket is non-blocking, so this send never waits: a full send
  // buffer drops the reply as a busy real server would, and any other send
  // error (the client's port is gone) only loses that reply.
  error_code ec;
  udp_.send_to(asio::buffer(*reply.bytes), from, 0, ec);
  if (ec) {
    stats_.udp_replies_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

asio::awaitable<void> Server::Impl::DelayedUdpReply(std::string bytes, udp::endpoint to,
                                                    std::chrono::milliseconds delay) {
  if (stopping_) {
    co_return;
  }
  asio::steady_timer timer(io_, delay);
  {
    Registration<asio::steady_timer> registered(timers_, &timer);
    auto [ec] = co_await timer.async_wait(kUseTuple);
    if (ec || stopping_) {
      co_return;
    }
  }
  error_code ec;
  udp_.send_to(asio::buffer(bytes), to, 0, ec);
  if (ec) {
    stats_.udp_replies_dropped.fetch_add(1, std::memory_order_relaxed);
  }
}

// TCP (RFC 1035 §4.2.2, RFC 7766).
asio::awaitable<void> Server::Impl::AcceptLoop() {
  return AcceptConnections(acceptor_, accept_backoff_, stopping_,
                           {stats_.tcp_connections, stats_.tcp_open, stats_.tcp_refused},
                           opts_.max_tcp_connections, [this](tcp::socket socket, OpenSlot slot) {
                             return Session(std::move(socket), std::move(slot));
                           });
}

// One connection: messages read one after the other (pipelined queries are
// answered in order), each within tcp_idle_ms of the previous one, each
// reply written within write_timeout_ms. The io_context has one thread, so
// it is the connection's strand.
asio::awaitable<void> Server::Impl::Session(tcp::socket socket, OpenSlot slot) {
  if (stopping_) {
    co_return;
  }
  std::string peer = "?";
  {
    error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (!ec) {
      peer = EndpointText(remote.address(), remote.port());
    }
  }
  Conn conn(std::move(socket));
  Registration<Conn> registered(conns_, &conn);
  const auto idle = std::chrono::milliseconds(opts_.tcp_idle_ms);
  const auto write_timeout = std::chrono::milliseconds(opts_.write_timeout_ms);
  std::array<std::uint8_t, 2> length{};
  std::vector<std::uint8_t> message;
  bool timed_out = false;
  for (;;) {
    // One deadline for the length and the message after it: a complete
    // message within tcp_idle_ms, or the connection is closed.
    conn.stream.expires_after(idle);
    auto [read_ec, read_n] =
        co_await asio::async_read(conn.stream, asio::buffer(length), kUseTuple);
    if (read_ec) {
      timed_out = read_ec == beast::error::timeout;
      break;
    }
    const std::size_t size = (std::size_t{length[0]} << 8) | length[1];
    if (size == 0) {
      break;  // nothing a client would send: the end
    }
    message.resize(size);
    auto [body_ec, body_n] =
        co_await asio::async_read(conn.stream, asio::buffer(message), kUseTuple);
    if (body_ec) {
      timed_out = body_ec == beast::error::timeout;
      break;
    }
    if (stopping_) {
      break;
    }
    stats_.tcp_messages.fetch_add(1, std::memory_order_relaxed);
    Reply reply = responder_.Handle(message, Transport::kTcp, peer);
    if (!reply.bytes) {
      continue;  // the client times out; the next query may still come
    }
    if (reply.bytes->size() > kMaxTcpMessage) {
      break;  // cannot be framed (a scenario's oversized raw reply)
    }
    if (reply.delay.count() > 0) {
      conn.stream.expires_never();
      conn.delay.expires_after(reply.delay);
      auto [delay_ec] = co_await conn.delay.async_wait(kUseTuple);
      if (delay_ec || stopping_) {
        break;
      }
    }
    const std::array<std::uint8_t, 2> prefix = {
        static_cast<std::uint8_t>(reply.bytes->size() >> 8),
        static_cast<std::uint8_t>(reply.bytes->size() & 0xFF)};
    const std::array<asio::const_buffer, 2> out = {asio::buffer(prefix),
                                                   asio::buffer(*reply.bytes)};
    conn.stream.expires_after(write_timeout);
    auto [write_ec, write_n] = co_await asio::async_write(conn.stream, out, kUseTuple);
    if (write_ec) {
      timed_out = write_ec == beast::error::timeout;
      break;
    }
  }
  if (timed_out) {
    stats_.tcp_timeouts.fetch_add(1, std::memory_order_relaxed);
  }
  conn.stream.close();
}

Result<std::unique_ptr<Server>> Server::Start(Responder& responder, const ServerOptions& opts) {
  try {
    error_code ec;
    asio::ip::address address = asio::ip::make_address(opts.address, ec);
    if (ec) {
      return MakeDiag("mocks.dns.address", Severity::kError, 0,
                      "the mock DNS server address is not an IP literal", opts.address);
    }
    if (address.is_unspecified()) {
      // A UDP reply leaves from the address the kernel picks for the route
      // back, not the one asked, and a resolver drops it (RFC 5452 §9.1).
      return MakeDiag("mocks.dns.address", Severity::kError, 0,
                      "the mock DNS server needs one address of this host, not a wildcard",
                      "UDP replies could leave by another address of the host, and "
                      "resolvers drop those (RFC 5452 §9.1)");
    }
    auto impl = std::make_unique<Impl>(responder, opts, std::move(address));
    if (auto failed = impl->Bind()) {
      return *std::move(failed);
    }
    impl->Run();
    return std::unique_ptr<Server>(new Server(std::move(impl)));
  } catch (const std::exception& e) {
    // What Asio or the thread library throws despite the error-code
    // overloads (out of memory, no thread to be had): the OS said no.
    return MakeDiag("mocks.dns.bind", Severity::kError, 0, "the mock DNS server cannot start",
                    e.what());
  }
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

std::uint16_t Server::port() const { return impl_->port(); }

std::string Server::address() const { return impl_->options().address; }

ServerStats Server::stats() const { return impl_->stats(); }

void Server::Stop() {
  try {
    impl_->Stop();
  } catch (...) {
    // join() failing leaves nothing better to do; Stop() never throws.
  }
}

}  // namespace mxconform::mocks::dns
