// What every mock server (mocks/dns, mocks/https, mocks/smtp) does the same
// way around its Boost.Asio io_context: one thread of its own that runs it
// and goes on after a handler throws; a stop that is graceful first and
// hard after a second, so that Stop() returns whatever the clients do; the
// TCP listener's bind sequence; and the accept loop with its cap on open
// connections.
#pragma once

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace mxconform::mocks {

class IoThread {
 public:
  // How long the graceful stop may take before the io_context is stopped.
  static constexpr auto kGracefulStop = std::chrono::seconds(1);

  explicit IoThread(boost::asio::io_context& io) : io_(io) {}
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  // The owner calls Stop() before the io_context and what close_all
  // touches go away.
  ~IoThread() = default;

  // Runs the io_context on a new thread until it has no work or is
  // stopped; a handler that throws ends run(), and serving goes on with
  // the next one.
  void Start();

  // Stops serving: posts `close_all` (close every socket, cancel every
  // timer) to the io thread so that each coroutine ends and run() returns;
  // after kGracefulStop the io_context is stopped regardless. Then, on
  // this thread, `close_all` again and the aborted operations run to their
  // end, so no socket outlives Stop(). Idempotent. Called from the io
  // thread itself (a handler that stops its own server), it can only
  // close and stop; a later Stop() from another thread, or the owner's
  // destructor, joins.
  void Stop(const std::function<void()>& close_all);

 private:
  boost::asio::io_context& io_;
  std::mutex stop_mu_;
  bool stopped_ = false;
  std::promise<void> done_;
  std::future<void> done_future_ = done_.get_future();
  std::thread thread_;
};

// open, SO_REUSEADDR (a restarted server takes its port back from
// TIME_WAIT; on Linux two listeners never share a port), bind, listen, and
// `port` set to the port the listener got (the kernel's pick for port 0).
// On failure the acceptor is closed again and `port` is left alone.
boost::system::error_code BindListener(boost::asio::ip::tcp::acceptor& acceptor,
                                       const boost::asio::ip::tcp::endpoint& ep,
                                       std::uint16_t& port);

// "127.0.0.1:25", "[::1]:25": an endpoint as the mocks' logs and
// diagnostics name it. IPv4 by hand: inet_ntop's sprintf was a tenth of the
// DNS mock's time per UDP query (callgrind, dns_loadgen).
std::string EndpointText(const boost::asio::ip::address& address, std::uint16_t port);
inline std::string EndpointText(const boost::asio::ip::tcp::endpoint& ep) {
  return EndpointText(ep.address(), ep.port());
}

// One slot of a server's count of open connections, taken when a
// connection is accepted and given back when its session's coroutine frame
// goes, whichever way it goes (even a frame destroyed before it ever ran).
class OpenSlot {
 public:
  explicit OpenSlot(std::atomic<std::uint64_t>& open) : open_(&open) {
    open_->fetch_add(1, std::memory_order_relaxed);
  }
  OpenSlot(OpenSlot&& o) noexcept : open_(std::exchange(o.open_, nullptr)) {}
  OpenSlot(const OpenSlot&) = delete;
  OpenSlot& operator=(const OpenSlot&) = delete;
  OpenSlot& operator=(OpenSlot&&) = delete;
  ~OpenSlot() {
    if (open_ != nullptr) {
      open_->fetch_sub(1, std::memory_order_relaxed);
    }
  }

 private:
  std::atomic<std::uint64_t>* open_;
};

// The counters of an accept loop (ServerStats fields).
struct AcceptCounters {
  std::atomic<std::uint64_t>& accepted;
  std::atomic<std::uint64_t>& open;
  std::atomic<std::uint64_t>& refused;
};

// After a failed accept (EMFILE, ENOBUFS): a pause rather than a busy loop.
inline constexpr auto kAcceptBackoff = std::chrono::milliseconds(50);

// Accepts connections until `stopping` (set on the io thread by the
// server's CloseAll) or the acceptor is closed. A failed accept (out of
// descriptors or buffers; a client that reset first is not one on Linux)
// waits kAcceptBackoff on `backoff`. With `max_open` connections open, a new
// one is closed at once and counted as refused; otherwise
// `session(socket, slot)`, an awaitable, is spawned on the io_context.
template <typename Session>
boost::asio::awaitable<void> AcceptConnections(boost::asio::ip::tcp::acceptor& acceptor,
                                               boost::asio::steady_timer& backoff,
                                               const bool& stopping, AcceptCounters counters,
                                               std::size_t max_open, Session session) {
  constexpr auto kUseTuple = boost::asio::as_tuple(boost::asio::use_awaitable);
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
    if (stopping || !acceptor.is_open()) {
      co_return;
    }
    if (ec) {
      backoff.expires_after(kAcceptBackoff);
      co_await backoff.async_wait(kUseTuple);
      if (stopping) {
        co_return;
      }
      continue;
    }
    counters.accepted.fetch_add(1, std::memory_order_relaxed);
    if (counters.open.load(std::memory_order_relaxed) >= max_open) {
      counters.refused.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code closed;
      socket.close(closed);
      continue;
    }
    OpenSlot slot(counters.open);
    boost::asio::co_spawn(acceptor.get_executor(), session(std::move(socket), std::move(slot)),
                          boost::asio::detached);
  }
}

}  // namespace mxconform::mocks
