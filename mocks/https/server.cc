#include "mocks/https/server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <deque>
#include <exception>
#include <iterator>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "common/clock.h"
#include "common/text.h"
#include "mocks/common/server_base.h"
#include "mocks/https/routing.h"

namespace mxconform::mocks::https {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// `reset`: how long the partial body gets to reach the client before the RST
// (a RST discards what the kernel has not sent yet).
constexpr auto kResetPause = std::chrono::milliseconds(50);
// A request's header stays small (its body is ServerOptions's).
constexpr std::uint32_t kMaxRequestHeader = 16 * 1024;
// What the read buffer may hold at once: a header, or a chunk-size line,
// its extensions or the trailers, with room to spare.
constexpr std::size_t kMaxReadBuffer = 2 * kMaxRequestHeader;

constexpr std::string_view kBadRequest =
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n"
    "Connection: close\r\n\r\nbad request\n";
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::string_view kTooLarge =
    "HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
    "Connection: close\r\n\r\ntoo large\n";

// Why an HTTP/1.1 request's Host header is unusable (RFC 9112 §3.2: none,
// several, or a bad value); "" if it is fine. An HTTP/1.0 request may
// leave it out.
std::string HostProblem(const http::request<http::string_body>& req) {
  const auto [first, last] = req.equal_range(http::field::host);
  const auto count = std::distance(first, last);
  if (count == 0) {
    return req.version() >= 11 ? "no Host header" : "";
  }
  if (count > 1) {
    return "more than one Host header";
  }
  return ValidHostHeader(first->value()) ? "" : "bad Host header";
}

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// The SSL ex_data slot of a connection's Hello (Asio keeps its verify
// callback in the app data slot and deletes what it finds there).
int HelloIndex() {
  static const int kIndex = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return kIndex;
}

}  // namespace

class Server::Impl {
 public:
  Impl(Config config, const ServerOptions& opts, asio::ip::address address)
      : config_(std::move(config)), opts_(opts), address_(std::move(address)) {}
  ~Impl() { Stop(); }

  // Checks the config and builds the TLS contexts; the error, if any.
  std::optional<Diagnostic> Setup();
  std::optional<Diagnostic> Bind();
  void Run();
  void Stop();

  std::uint16_t port() const { return port_; }
  const ServerOptions& options() const { return opts_; }
  ServerStats stats() const {
    ServerStats s;
    s.connections = stats_.connections.load(std::memory_order_relaxed);
    s.open = stats_.open.load(std::memory_order_relaxed);
    s.refused = stats_.refused.load(std::memory_order_relaxed);
    s.timeouts = stats_.timeouts.load(std::memory_order_relaxed);
    s.handshake_failures = stats_.handshake_failures.load(std::memory_order_relaxed);
    s.requests = stats_.requests.load(std::memory_order_relaxed);
    s.unscripted = stats_.unscripted.load(std::memory_order_relaxed);
    return s;
  }
  std::vector<LogEntry> Log() const {
    std::lock_guard lock(log_mu_);
    return {log_.begin(), log_.end()};
  }

 private:
  struct Counters {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> open{0};
    std::atomic<std::uint64_t> refused{0};
    std::atomic<std::uint64_t> timeouts{0};
    std::atomic<std::uint64_t> handshake_failures{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> unscripted{0};
  };

  // What the servername callback learnt about a connection's ClientHello.
  struct Hello {
    std::string sni;
    std::string rule;  // why the handshake was refused ("unknown-sni", "handshake_failure")
    int fd = -1;       // the TCP socket, for HandshakeFailure::kClose
  };

  // A connection: TLS over a Beast tcp_stream (which carries the deadlines),
  // or the tcp_stream alone with plain_http, and the timer of a trickle or a
  // reset. Registered in `conns_` while its session runs, so that Stop()
  // can close it.
  struct Conn {
    Conn(tcp::socket s, ssl::context* ctx) : timer(s.get_executor()) {
      if (ctx != nullptr) {
        tls.emplace(std::move(s), *ctx);
      } else {
        plain.emplace(std::move(s));
      }
    }
    beast::tcp_stream& Lowest() { return tls ? tls->next_layer() : *plain; }
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    std::optional<beast::tcp_stream> plain;
    asio::steady_timer timer;
    Hello hello;
  };

  class Registration {
   public:
    Registration(std::unordered_set<Conn*>& set, Conn* c) : set_(set), c_(c) { set_.insert(c_); }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    ~Registration() { set_.erase(c_); }

   private:
    std::unordered_set<Conn*>& set_;
    Conn* c_;
  };

  static int OnServerName(SSL* ssl, int* alert, void* arg);
  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(tcp::socket socket, OpenSlot slot);
  template <typename Stream>
  asio::awaitable<void> Serve(Stream& stream, Conn& conn, LogEntry entry);
  template <typename Stream>
  asio::awaitable<void> Finish(Stream& stream, Conn& conn);
  void AddLog(LogEntry e);
  void CloseAll();

  // Declared before io_ so that they outlive it: coroutine frames that
  // io_'s destructor destroys still touch them.
  Config config_;
  const ServerOptions opts_;
  const asio::ip::address address_;
  std::uint16_t port_ = 0;
  Counters stats_;
  mutable std::mutex log_mu_;
  std::deque<LogEntry> log_;
  std::size_t log_body_bytes_ = 0;  // the bodies log_ holds, together
  // The listener's context; OnServerName moves each connection to its
  // host's (one per host: its certificate and chain).
  std::optional<ssl::context> ssl_;
  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };
  std::map<std::string, std::unique_ptr<SSL_CTX, CtxFree>> host_ctx_;
  std::unordered_set<Conn*> conns_;  // io thread only
  bool stopping_ = false;            // io thread only

  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_backoff_{io_};

  IoThread io_thread_{io_};
};

std::optional<Diagnostic> Server::Impl::Setup() {
  auto config_error = [](std::string detail) {
    return MakeDiag("mocks.https.config", Severity::kError, 0,
                    "the mock HTTPS server config is invalid", std::move(detail));
  };
  std::map<std::string, HostConfig> hosts;
  for (auto& [name, host] : config_.hosts) {
    hosts[HostWithoutPort(name)] = std::move(host);
  }
  config_.hosts = std::move(hosts);
  config_.default_host = HostWithoutPort(config_.default_host);
  if (!config_.default_host.empty() && !config_.hosts.contains(config_.default_host)) {
    return config_error("default_host " + config_.default_host + " is not in hosts");
  }
  if (opts_.plain_http) {
    return std::nullopt;
  }
  if (config_.pki == nullptr) {
    return config_error("no PKI (required unless plain_http)");
  }
  for (const auto& [name, host] : config_.hosts) {
    if (!config_.pki->Has(host.certificate)) {
      return config_error("host " + name + ": no certificate \"" + host.certificate +
                          "\" in the PKI");
    }
    std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_server_method()));
    if (ctx == nullptr) {
      return MakeDiag("mocks.https.tls", Severity::kError, 0,
                      "the mock HTTPS server cannot make a TLS context", OpenSslErrors());
    }
    Result<bool> used = config_.pki->UseInServer(ctx.get(), host.certificate, host.intermediates);
    if (!used.ok()) {
      return MakeDiag("mocks.https.tls", Severity::kError, 0,
                      "the mock HTTPS server cannot load a certificate",
                      "host " + name + ": " + used.error().Text());
    }
    host_ctx_[name] = std::move(ctx);
  }
  ssl_.emplace(ssl::context::tls_server);
  SSL_CTX* base = ssl_->native_handle();
  SSL_CTX_set_tlsext_servername_callback(base, &Impl::OnServerName);
  SSL_CTX_set_tlsext_servername_arg(base, this);
  return std::nullopt;
}

// OpenSSL calls this after the ClientHello's extensions, SNI or not
// (OpenSSL 1.1.1 and later), before the server sends anything: it picks
// the host's context (certificate and chain) or refuses the handshake.
int Server::Impl::OnServerName(SSL* ssl, int* alert, void* arg) {
  auto* self = static_cast<Impl*>(arg);
  auto* hello = static_cast<Hello*>(SSL_get_ex_data(ssl, HelloIndex()));
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const std::string sni = name != nullptr ? text::ToLowerCopy(name) : "";
  if (hello != nullptr) {
    hello->sni = name != nullptr ? name : "";
  }
  auto host = self->config_.hosts.find(sni);
  if (host == self->config_.hosts.end() && !self->config_.default_host.empty()) {
    host = self->config_.hosts.find(self->config_.default_host);
  }
  // The server-wide knob fails every handshake, whatever the SNI: before
  // the host is looked up, so an unknown name or none fails the same way.
  if (host == self->config_.hosts.end() &&
      self->opts_.handshake_failure == HandshakeFailure::kNone) {
    if (hello != nullptr) {
      hello->rule = "unknown-sni";
    }
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  HandshakeFailure failure = self->opts_.handshake_failure != HandshakeFailure::kNone
                                 ? self->opts_.handshake_failure
                                 : host->second.handshake_failure;
  if (failure != HandshakeFailure::kNone) {
    if (hello != nullptr) {
      hello->rule = "handshake_failure";
      if (failure == HandshakeFailure::kClose && hello->fd >= 0) {
        // The FIN goes out now; the alert OpenSSL then writes fails (EPIPE,
        // Asio sends with MSG_NOSIGNAL) and never reaches the client.
        ::shutdown(hello->fd, SHUT_RDWR);
      }
    }
    *alert = SSL_AD_HANDSHAKE_FAILURE;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  SSL_set_SSL_CTX(ssl, self->host_ctx_.at(host->first).get());
  return SSL_TLSEXT_ERR_OK;
}

std::optional<Diagnostic> Server::Impl::Bind() {
  const tcp::endpoint ep(address_, opts_.port);
  if (const error_code ec = BindListener(acceptor_, ep, port_)) {
    return MakeDiag("mocks.https.bind", Severity::kError, 0, "the mock HTTPS server cannot bind",
                    EndpointText(ep) + ": " + ec.message());
  }
  return std::nullopt;
}

void Server::Impl::Run() {
  asio::co_spawn(io_, AcceptLoop(), asio::detached);
  io_thread_.Start();
}

void Server::Impl::Stop() {
  io_thread_.Stop([this] { CloseAll(); });
}

void Server::Impl::CloseAll() {
  stopping_ = true;
  error_code ec;
  acceptor_.close(ec);
  accept_backoff_.cancel();
  for (Conn* c : conns_) {
    c->Lowest().close();
    c->timer.cancel();
  }
}

void Server::Impl::AddLog(LogEntry e) {
  std::lock_guard lock(log_mu_);
  log_body_bytes_ += e.body.size();
  log_.push_back(std::move(e));
  while (log_.size() > opts_.max_log) {
    log_body_bytes_ -= log_.front().body.size();
    log_.pop_front();
  }
  // Oldest bodies go first (the newest too, if it alone is over budget).
  for (auto it = log_.begin(); log_body_bytes_ > opts_.max_logged_body_bytes && it != log_.end();
       ++it) {
    if (!it->body.empty()) {
      log_body_bytes_ -= it->body.size();
      std::string().swap(it->body);
      it->body_dropped = true;
    }
  }
}

asio::awaitable<void> Server::Impl::AcceptLoop() {
  return AcceptConnections(acceptor_, accept_backoff_, stopping_,
                           {stats_.connections, stats_.open, stats_.refused}, opts_.max_connections,
                           [this](tcp::socket socket, OpenSlot slot) {
                             return Session(std::move(socket), std::move(slot));
                           });
}

// One connection: the handshake (unless plain_http), one request, one
// answer. The io_context has one thread, so it is the connection's strand.
asio::awaitable<void> Server::Impl::Session(tcp::socket socket, OpenSlot slot) {
  if (stopping_) {
    co_return;
  }
  LogEntry entry;
  entry.time = std::chrono::system_clock::now();
  {
    error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    entry.peer = ec ? "?" : EndpointText(remote);
  }
  Conn conn(std::move(socket), opts_.plain_http ? nullptr : &*ssl_);
  Registration registered(conns_, &conn);
  if (!conn.tls) {
    co_await Serve(*conn.plain, conn, std::move(entry));
    co_return;
  }
  conn.hello.fd = conn.Lowest().socket().native_handle();
  SSL_set_ex_data(conn.tls->native_handle(), HelloIndex(), &conn.hello);
  conn.Lowest().expires_after(std::chrono::milliseconds(opts_.handshake_timeout_ms));
  auto [ec] = co_await conn.tls->async_handshake(ssl::stream_base::server, kUseTuple);
  if (stopping_) {
    co_return;
  }
  entry.sni = conn.hello.sni;
  if (ec) {
    const bool timed_out = ec == beast::error::timeout;
    entry.rule = !conn.hello.rule.empty() ? conn.hello.rule : timed_out ? "timeout" : "handshake";
    entry.outcome = "handshake failed";
    entry.detail = ec.message();
    // Logged before counted: a test that sees the count finds the entry.
    AddLog(std::move(entry));
    (timed_out ? stats_.timeouts : stats_.handshake_failures)
        .fetch_add(1, std::memory_order_relaxed);
    conn.Lowest().close();
    co_return;
  }
  co_await Serve(*conn.tls, conn, std::move(entry));
}

template <typename Stream>
asio::awaitable<void> Server::Impl::Serve(Stream& stream, Conn& conn, LogEntry entry) {
  // Bounded: the parser's header and body limits leave out chunk-size
  // lines, chunk extensions and trailers, which Beast looks for in the
  // buffer; an endless one grew it without limit (review finding). Past
  // the bound the read fails with buffer_overflow, answered 400 below.
  beast::flat_buffer buffer(kMaxReadBuffer);
  http::request_parser<http::string_body> parser;
  parser.header_limit(kMaxRequestHeader);
  parser.body_limit(opts_.max_request_body);
  const auto request_timeout = std::chrono::milliseconds(opts_.request_timeout_ms);
  conn.Lowest().expires_after(request_timeout);
  auto [read_ec, read_n] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
  if (stopping_) {
    co_return;
  }
  // RFC 9112 §6.3 (4): a Transfer-Encoding whose last coding is not
  // chunked leaves the body's length unknown, which Beast reads as no body;
  // §3.2: an HTTP/1.1 request without exactly one valid Host; §3.2.2: an
  // absolute-form target whose authority is not a host. Each MUST get 400
  // (a reporter's broken POST is seen, not logged as empty).
  std::string problem;
  if (!read_ec) {
    const auto& head = parser.get();
    problem = HostProblem(head);
    if (head.count(http::field::transfer_encoding) != 0 && !parser.chunked()) {
      problem = "Transfer-Encoding without chunked last";
    }
    if (std::string bad_target = TargetProblem(head.target()); !bad_target.empty()) {
      problem = std::move(bad_target);
    }
    // RFC 9110 §10.1.1: a client that sent "Expect: 100-continue" waits
    // for a 100 before the content; a server MUST send it or the final
    // status at once. The 400 above is known now: it goes without the body.
    const bool wants_continue =
        head.version() >= 11 && text::EqualsIgnoreCase(head[http::field::expect], "100-continue");
    if (!parser.is_done() && wants_continue && problem.empty()) {
      conn.Lowest().expires_after(std::chrono::milliseconds(opts_.write_timeout_ms));
      std::tie(read_ec, read_n) =
          co_await asio::async_write(stream, asio::buffer(kContinue), kUseTuple);
      conn.Lowest().expires_after(request_timeout);
    }
    if (!read_ec && !parser.is_done() && (problem.empty() || !wants_continue)) {
      std::tie(read_ec, read_n) = co_await http::async_read(stream, buffer, parser, kUseTuple);
    }
    if (stopping_) {
      co_return;
    }
  }
  if (read_ec) {
    entry.detail = read_ec.message();
    const bool timed_out = read_ec == beast::error::timeout;
    if (timed_out) {
      entry.rule = "timeout";
      entry.outcome = "no request";
    } else if (read_ec.category() == http::make_error_code(http::error::bad_method).category() &&
               read_ec != http::error::end_of_stream && read_ec != http::error::partial_message) {
      // A body over max_request_body: 413 (RFC 9110 §15.5.14). Not HTTP (a
      // ClientHello sent to a plain_http listener, say): 400, as a web
      // server answers garbage.
      const bool too_large = read_ec == http::error::body_limit;
      entry.rule = too_large ? "too-large" : "bad-request";
      entry.outcome = too_large ? "413" : "400";
      AddLog(std::move(entry));
      conn.Lowest().expires_after(std::chrono::milliseconds(opts_.write_timeout_ms));
      // RFC 9110 §6.6.1: a Date on every 4xx (review finding: none had one).
      const std::string reply =
          WithDate(too_large ? kTooLarge : kBadRequest, HttpDate(SystemClock().Now()));
      co_await asio::async_write(stream, asio::buffer(reply), kUseTuple);
      co_await Finish(stream, conn);
      co_return;
    } else {
      entry.rule = "no-request";
      entry.outcome = "no request";
    }
    AddLog(std::move(entry));
    if (timed_out) {
      stats_.timeouts.fetch_add(1, std::memory_order_relaxed);
    }
    conn.Lowest().close();
    co_return;
  }
  stats_.requests.fetch_add(1, std::memory_order_relaxed);
  const auto& req = parser.get();
  entry.method = std::string(req.method_string());
  entry.target = std::string(req.target());
  entry.content_type = std::string(req[http::field::content_type]);
  entry.body = req.body();
  if (!problem.empty()) {
    entry.rule = "bad-request";
    entry.outcome = "400";
    entry.detail = std::move(problem);
    AddLog(std::move(entry));
    conn.Lowest().expires_after(std::chrono::milliseconds(opts_.write_timeout_ms));
    const std::string reply = WithDate(kBadRequest, HttpDate(SystemClock().Now()));
    co_await asio::async_write(stream, asio::buffer(reply), kUseTuple);
    co_await Finish(stream, conn);
    co_return;
  }
  Routed routed = Route(config_, req[http::field::host], entry.sni, entry.target);
  entry.host = routed.host;
  if (!routed.scripted) {
    stats_.unscripted.fetch_add(1, std::memory_order_relaxed);
    entry.rule = "unscripted";
  } else {
    entry.rule = routed.route + " " + routed.path;
  }
  const Response& r = routed.response();

  if (r.stall) {
    entry.outcome = "stalled";
    AddLog(std::move(entry));
    // Never answer; wait for the client to go (or the hold to end, or Stop).
    conn.Lowest().expires_after(std::chrono::milliseconds(opts_.stall_hold_ms));
    char sink[256];
    for (;;) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kUseTuple);
      if (ec || stopping_) {
        break;
      }
    }
    conn.Lowest().close();
    co_return;
  }

  const int status = StatusOf(r);
  const Rendered out = Render(r, http::obsolete_reason(static_cast<http::status>(status)),
                              req.method() == http::verb::head, HttpDate(SystemClock().Now()));
  const std::string& head = out.head;
  const std::vector<std::string>& pieces = out.pieces;
  const auto write_timeout = std::chrono::milliseconds(opts_.write_timeout_ms);
  auto write = [&](std::string_view bytes) -> asio::awaitable<bool> {
    conn.Lowest().expires_after(write_timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), kUseTuple);
    if (ec == beast::error::timeout) {
      stats_.timeouts.fetch_add(1, std::memory_order_relaxed);
    }
    co_return !ec && !stopping_;
  };

  if (r.reset) {
    entry.outcome = "reset";
    AddLog(std::move(entry));
    std::string encoded;
    for (const std::string& p : pieces) {
      encoded += p;
    }
    if (co_await write(head + encoded.substr(0, encoded.size() / 2))) {
      conn.timer.expires_after(kResetPause);
      co_await conn.timer.async_wait(kUseTuple);
    }
    if (stopping_) {
      co_return;
    }
    error_code ec;
    conn.Lowest().socket().set_option(asio::socket_base::linger(true, 0), ec);
    conn.Lowest().socket().close(ec);
    co_return;
  }

  entry.outcome = std::to_string(status);
  AddLog(std::move(entry));
  bool ok = co_await write(head);
  for (std::size_t i = 0; ok && i < pieces.size(); ++i) {
    if (r.trickle_ms > 0) {
      conn.timer.expires_after(std::chrono::milliseconds(r.trickle_ms));
      auto [ec] = co_await conn.timer.async_wait(kUseTuple);
      if (ec || stopping_) {
        co_return;
      }
    }
    ok = co_await write(pieces[i]);
  }
  if (stopping_) {
    co_return;
  }
  if (!ok) {
    conn.Lowest().close();
    co_return;
  }
  if (r.no_close_notify) {
    // A FIN under the TLS stream, no close_notify; then wait, within the
    // write deadline, for the client to close (as Finish does for TCP).
    conn.Lowest().expires_after(write_timeout);
    error_code ec;
    conn.Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    char sink[256];
    for (;;) {
      auto [fin_ec, fin_n] = co_await conn.Lowest().async_read_some(asio::buffer(sink), kUseTuple);
      if (fin_ec || stopping_) {
        break;
      }
    }
    conn.Lowest().close();
    co_return;
  }
  co_await Finish(stream, conn);
}

// The graceful end of an answered connection: TLS close_notify (or a TCP
// FIN), then wait, within the write deadline, for the client to close, so
// that unread request bytes never turn the close into a RST that could
// destroy the response in flight.
template <typename Stream>
asio::awaitable<void> Server::Impl::Finish(Stream& stream, Conn& conn) {
  conn.Lowest().expires_after(std::chrono::milliseconds(opts_.write_timeout_ms));
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    char sink[256];
    for (;;) {
      auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(sink), kUseTuple);
      if (read_ec || stopping_) {
        break;
      }
    }
  } else {
    co_await stream.async_shutdown(kUseTuple);
  }
  if (!stopping_) {
    conn.Lowest().close();
  }
}

Result<std::unique_ptr<Server>> Server::Start(Config config, const ServerOptions& opts) {
  try {
    error_code ec;
    asio::ip::address address = asio::ip::make_address(opts.address, ec);
    if (ec) {
      return MakeDiag("mocks.https.address", Severity::kError, 0,
                      "the mock HTTPS server address is not an IP literal", opts.address);
    }
    auto impl = std::make_unique<Impl>(std::move(config), opts, std::move(address));
    if (auto failed = impl->Setup()) {
      return *std::move(failed);
    }
    if (auto failed = impl->Bind()) {
      return *std::move(failed);
    }
    impl->Run();
    return std::unique_ptr<Server>(new Server(std::move(impl)));
  } catch (const std::exception& e) {
    // What Asio, OpenSSL's context or the thread library throws despite the
    // error-code overloads (out of memory, no thread to be had).
    return MakeDiag("mocks.https.bind", Severity::kError, 0, "the mock HTTPS server cannot start",
                    e.what());
  }
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

std::uint16_t Server::port() const { return impl_->port(); }

std::string Server::address() const { return impl_->options().address; }

ServerStats Server::stats() const { return impl_->stats(); }

std::vector<LogEntry> Server::Log() const { return impl_->Log(); }

void Server::Stop() {
  try {
    impl_->Stop();
  } catch (...) {
    // join() failing leaves nothing better to do; Stop() never throws.
  }
}

}  // namespace mxconform::mocks::https
