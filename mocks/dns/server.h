// The mock DNS server on the wire: Boost.Asio, UDP and TCP on one address
// and port, every query handed to a Responder (responder.h). One
// io_context on one thread of its own, so a test or `mxconform lab dns`
// starts it, talks to it over loopback and stops it.
//
// Hostile peers cannot exhaust it: a TCP connection is closed after
// `tcp_idle_ms` without a complete message, a length prefix is read with
// the same deadline, at most `max_tcp_connections` are open at once (more
// are accepted and closed at once), every write has a deadline, and
// garbage datagrams cost one Responder call each.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "mocks/dns/responder.h"

namespace mxconform::mocks::dns {

struct ServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  std::uint16_t port = 0;             // 0: an ephemeral port (see Server::port)
  bool udp = true;
  bool tcp = true;
  std::size_t max_tcp_connections = 64;
  std::uint32_t tcp_idle_ms = 5000;  // per read, from the connection's last message
  std::uint32_t write_timeout_ms = 5000;
};

struct ServerStats {
  std::uint64_t udp_datagrams = 0;
  // Replies not sent: the send failed or its buffer was full (dropped as a
  // busy server would), or too many delayed replies were already waiting.
  std::uint64_t udp_replies_dropped = 0;
  std::uint64_t tcp_connections = 0;  // accepted in total (refused ones too)
  std::uint64_t tcp_open = 0;         // open now
  std::uint64_t tcp_refused = 0;      // closed at once: over max_tcp_connections
  std::uint64_t tcp_timeouts = 0;     // closed by a read or write deadline
  std::uint64_t tcp_messages = 0;
};

class Server {
 public:
  // Binds and starts serving on a thread of its own. UDP and TCP share the
  // port (with port 0, TCP binds the port UDP got). Errors:
  // `mocks.dns.address` (not an IP literal, or the wildcard 0.0.0.0 or ::,
  // from which UDP replies could leave by another address of the host),
  // `mocks.dns.bind` (the OS said no; detail says why).
  static Result<std::unique_ptr<Server>> Start(Responder& responder, const ServerOptions& opts);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::string address() const;  // as given
  ServerStats stats() const;
  // Closes the sockets, cancels pending delayed replies and joins the
  // thread; if that has not finished within a second, stops the io_context
  // regardless. Idempotent. Called from the server's own thread (a
  // Responder observer) it only stops; the destructor joins.
  void Stop();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxconform::mocks::dns
