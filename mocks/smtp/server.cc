#include "mocks/smtp/server.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <unordered_set>
#include <utility>

#include "mocks/common/server_base.h"
#include "net/smtp_text.h"

namespace mxconform::mocks::smtp {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;
using TlsStream = ssl::stream<beast::tcp_stream>;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// The transcript of one session: lines kept, octets shown per line.
constexpr std::size_t kMaxLoggedLines = 2000;
// Plaintext drained (and discarded) after STARTTLS, at most.
constexpr std::size_t kMaxDrain = 65536;
// After QUIT over TLS: how long the close_notify exchange may take.
constexpr milliseconds kShutdownTimeout{1000};
// A TLS record: alert, TLS 1.2, length 2, fatal (2), handshake_failure (40).
constexpr std::array<unsigned char, 7> kHandshakeFailureAlert = {0x15, 0x03, 0x03, 0x00,
                                                                 0x02, 0x02, 0x28};
constexpr std::string_view kGarbage = "garbage-after-220: these bytes are not TLS\r\n";

// ServerOptions::weak_key_exchange on `ctx`: TLS 1.2 only; an RSA
// certificate gets DHE over RFC 5114's 1024-bit group, an ECDSA one ECDHE;
// the key exchange is signed with SHA-1 either way. Security level 0,
// which all of that needs. A message on failure.
std::optional<std::string> WeakKeyExchange(SSL_CTX* ctx) {
  SSL_CTX_set_security_level(ctx, 0);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, "DHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256") !=
          1 ||
      SSL_CTX_set1_sigalgs_list(ctx, "RSA+SHA1:ECDSA+SHA1") != 1) {
    return "weak_key_exchange: cannot restrict the TLS 1.2 handshake";
  }
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> pctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr), &EVP_PKEY_CTX_free);
  char group[] = "dh_1024_160";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0), OSSL_PARAM_END};
  EVP_PKEY* dh = nullptr;
  if (!pctx || EVP_PKEY_fromdata_init(pctx.get()) != 1 ||
      EVP_PKEY_fromdata(pctx.get(), &dh, EVP_PKEY_KEY_PARAMETERS,
                        const_cast<OSSL_PARAM*>(params)) != 1) {
    return "weak_key_exchange: no 1024-bit DH group";
  }
  SSL_CTX_set_dh_auto(ctx, 0);
  if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {  // takes `dh` on success
    EVP_PKEY_free(dh);
    return "weak_key_exchange: cannot set the DH group";
  }
  return std::nullopt;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

int VersionConstant(TlsVersion v) {
  switch (v) {
    case TlsVersion::kAny:
      return 0;
    case TlsVersion::kTls1_0:
      return TLS1_VERSION;
    case TlsVersion::kTls1_1:
      return TLS1_1_VERSION;
    case TlsVersion::kTls1_2:
      return TLS1_2_VERSION;
    case TlsVersion::kTls1_3:
      return TLS1_3_VERSION;
  }
  return 0;
}

// The ex_data slot of an SSL that points at its connection's TlsSeen
// (Asio keeps its own pointer in the app data).
int SeenIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

class Server::Impl {
 public:
  Impl(const ServerOptions& opts, asio::ip::address address)
      : opts_(opts), address_(std::move(address)) {
    dialogue_opts_.hostname = opts_.hostname;
    dialogue_opts_.starttls = opts_.starttls;
    dialogue_opts_.greylist = opts_.greylist;
    dialogue_opts_.reject_rcpt = opts_.reject_rcpt;
    dialogue_opts_.starttls_under_tls = opts_.starttls_under_tls;
    dialogue_opts_.require_tls = opts_.require_tls;
    dialogue_opts_.accept_unknown_params = opts_.accept_unknown_params;
    dialogue_opts_.max_message_bytes = opts_.max_message_bytes;
    dialogue_opts_.max_recipients = opts_.max_recipients;
    dialogue_opts_.on_mail = opts_.on_mail;
  }
  ~Impl() { Stop(); }

  std::optional<Diagnostic> SetUpTls();
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
    s.handshakes = stats_.handshakes.load(std::memory_order_relaxed);
    s.handshake_failures = stats_.handshake_failures.load(std::memory_order_relaxed);
    s.deliveries = stats_.deliveries.load(std::memory_order_relaxed);
    s.finished = stats_.finished.load(std::memory_order_relaxed);
    return s;
  }
  std::vector<SessionLog> Sessions() const {
    std::lock_guard lock(log_mu_);
    std::vector<SessionLog> out;
    out.reserve(log_.size());
    for (const auto& e : log_) {
      out.push_back(*e);
    }
    return out;
  }
  bool WaitForSessions(std::size_t count, milliseconds timeout) const {
    std::unique_lock lock(log_mu_);
    return log_cv_.wait_for(lock, timeout, [&] { return finished_ >= count; });
  }

 private:
  struct Counters {
    std::atomic<std::uint64_t> connections{0};
    std::atomic<std::uint64_t> open{0};
    std::atomic<std::uint64_t> refused{0};
    std::atomic<std::uint64_t> timeouts{0};
    std::atomic<std::uint64_t> handshakes{0};
    std::atomic<std::uint64_t> handshake_failures{0};
    std::atomic<std::uint64_t> deliveries{0};
    std::atomic<std::uint64_t> finished{0};
  };

  // What the SNI callback saw and chose, for the session's log.
  struct TlsSeen {
    bool called = false;
    std::string sni;
    ChainSpec chain;
  };

  // A connection: the plaintext stream until STARTTLS, then the TLS stream
  // it moved into. beast::tcp_stream carries the deadlines.
  struct Conn {
    explicit Conn(tcp::socket s)
        : plain(std::in_place, std::move(s)), timer(plain->get_executor()) {}
    beast::tcp_stream& Timed() { return tls ? tls->next_layer() : *plain; }
    void Close() {
      error_code ec;
      if (tls) {
        tls->next_layer().socket().close(ec);
      } else if (plain) {
        plain->socket().close(ec);
      }
      timer.cancel();
    }
    std::optional<beast::tcp_stream> plain;
    std::unique_ptr<TlsStream> tls;
    asio::steady_timer timer;  // the banner delay
    std::string client;        // the peer's address, without the port
    LineBuffer in;             // received, not yet consumed
    std::array<char, 4096> chunk{};
    TlsSeen seen;
    Steady::time_point deadline;
    bool timed_out = false;
    std::string error;  // the last I/O error
  };

  enum class ReadStatus : std::uint8_t { kLine, kTooLong, kClosed, kTimeout, kError, kStopped };

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

  static int OnServerName(SSL* ssl, int* alert, void* arg);

  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Session(tcp::socket socket, OpenSlot slot);
  // The dialogue; returns how it ended (SessionLog::end).
  asio::awaitable<std::string> Converse(Conn& c, const std::shared_ptr<SessionLog>& log);
  // Sends the action's reply and counts its error; how the session ended,
  // or nullopt to go on.
  asio::awaitable<std::optional<std::string>> Send(Conn& c, const std::shared_ptr<SessionLog>& log,
                                                   std::uint32_t& errors, Action action);
  // After a STARTTLS that is accepted: the 220, then the handshake (or the
  // knob that breaks it). Nullopt when the session goes on over TLS.
  asio::awaitable<std::optional<std::string>> StartTlsAccepted(
      Conn& c, const std::shared_ptr<SessionLog>& log, Dialogue& d);
  // After the 354: the message, up to CRLF.CRLF, and the reply to it.
  asio::awaitable<std::optional<std::string>> Data(Conn& c, const std::shared_ptr<SessionLog>& log,
                                                   Dialogue& d, std::uint32_t& errors);
  asio::awaitable<ReadStatus> ReadLine(Conn& c, std::size_t cap, std::string& line, bool& crlf);
  asio::awaitable<bool> Write(Conn& c, std::string bytes);
  // Logs each line of `text` ("\r\n" between lines) and writes it.
  asio::awaitable<bool> Reply(Conn& c, const std::shared_ptr<SessionLog>& log, std::string text);
  // How a failed read ends the session ("client closed", "timeout", ...).
  asio::awaitable<std::string> ReadEnd(Conn& c, const std::shared_ptr<SessionLog>& log,
                                       ReadStatus rs);
  // Drops what the client sent after STARTTLS in plaintext: the buffer and
  // what the socket already holds. Returns the bytes dropped.
  static std::string DrainPlaintext(Conn& c);

  std::shared_ptr<SessionLog> NewLog(std::string peer);
  // Changes a log under the lock.
  template <typename F>
  void Update(const std::shared_ptr<SessionLog>& log, F&& f) {
    std::lock_guard lock(log_mu_);
    f(*log);
  }
  void Line(const std::shared_ptr<SessionLog>& log, std::string line) {
    Update(log, [&](SessionLog& l) {
      if (l.transcript.size() < kMaxLoggedLines) {
        l.transcript.push_back(std::move(line));
      } else if (l.transcript.size() == kMaxLoggedLines) {
        l.transcript.push_back("*: transcript truncated");
      }
    });
  }
  void Finish(const std::shared_ptr<SessionLog>& log, std::string end);
  void CloseAll();

  // Declared before io_: coroutine frames that io_'s destructor destroys
  // still touch them. "io thread only": touched by the io thread, or by
  // Stop() once that thread is joined.
  const ServerOptions opts_;
  const asio::ip::address address_;
  std::uint16_t port_ = 0;
  Counters stats_;
  std::unordered_set<Conn*> conns_;  // io thread only
  bool stopping_ = false;            // io thread only
  DialogueOptions dialogue_opts_;    // from opts_
  std::uint64_t greylisted_ = 0;     // transactions greylisted; io thread only
  std::uint64_t next_message_ = 0;   // io thread only

  // TLS: the context a handshake starts with (the default chain) and one
  // per SNI of chain_by_sni (lower case); read-only once serving.
  std::unique_ptr<ssl::context> default_ctx_;
  std::map<std::string, std::unique_ptr<ssl::context>> sni_ctx_;

  mutable std::mutex log_mu_;
  mutable std::condition_variable log_cv_;
  std::deque<std::shared_ptr<SessionLog>> log_;  // guarded by log_mu_
  std::uint64_t next_id_ = 0;                    // guarded by log_mu_
  std::size_t finished_ = 0;                     // guarded by log_mu_

  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_backoff_{io_};

  IoThread io_thread_{io_};
};

// ---- set-up ------------------------------------------------------------

std::optional<Diagnostic> Server::Impl::SetUpTls() {
  auto failure = [](std::string detail) {
    return MakeDiag("mocks.smtp.tls", Severity::kError, 0, "the mock SMTP server cannot set up TLS",
                    std::move(detail));
  };
  const bool needs_cert =
      opts_.starttls == StartTls::kOffer || opts_.starttls == StartTls::kStripFromEhlo;
  if (opts_.min_version != TlsVersion::kAny && opts_.max_version != TlsVersion::kAny &&
      opts_.min_version > opts_.max_version) {
    return failure("min_version above max_version");
  }
  if (!opts_.pki) {
    if (needs_cert) {
      return failure(std::string("starttls: ") + std::string(StartTlsName(opts_.starttls)) +
                     " needs a PKI and a default_chain");
    }
    return std::nullopt;
  }
  if (!needs_cert && opts_.default_chain.leaf.empty() && opts_.chain_by_sni.empty()) {
    return std::nullopt;
  }
  const bool old_versions =
      opts_.min_version == TlsVersion::kTls1_0 || opts_.min_version == TlsVersion::kTls1_1 ||
      opts_.max_version == TlsVersion::kTls1_0 || opts_.max_version == TlsVersion::kTls1_1;
  auto make = [&](const ChainSpec& chain,
                  std::unique_ptr<ssl::context>& out) -> std::optional<Diagnostic> {
    if (!opts_.pki->Has(chain.leaf)) {
      return failure("no certificate named \"" + chain.leaf + "\" in the PKI");
    }
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* n = ctx->native_handle();
    auto used = opts_.pki->UseInServer(n, chain.leaf, chain.intermediates);
    if (!used.ok()) {
      return failure(chain.leaf + ": " + used.error().Text());
    }
    if (opts_.min_version != TlsVersion::kAny &&
        SSL_CTX_set_min_proto_version(n, VersionConstant(opts_.min_version)) != 1) {
      return failure("cannot set the minimum TLS version");
    }
    if (opts_.max_version != TlsVersion::kAny &&
        SSL_CTX_set_max_proto_version(n, VersionConstant(opts_.max_version)) != 1) {
      return failure("cannot set the maximum TLS version");
    }
    if (old_versions) {
      // OpenSSL 3 negotiates TLS 1.0 and 1.1 only at security level 0.
      SSL_CTX_set_security_level(n, 0);
    }
    if (opts_.weak_key_exchange) {
      if (auto f = WeakKeyExchange(n)) {
        return failure(*f);
      }
    }
    if (opts_.require_client_certificate) {
      // Ask for one; whatever comes is accepted (the check is whether one came).
      SSL_CTX_set_verify(n, SSL_VERIFY_PEER, [](int, X509_STORE_CTX*) { return 1; });
    }
    SSL_CTX_set_tlsext_servername_callback(n, &Impl::OnServerName);
    SSL_CTX_set_tlsext_servername_arg(n, this);
    out = std::move(ctx);
    return std::nullopt;
  };
  if (opts_.default_chain.leaf.empty()) {
    return failure("no default_chain");
  }
  if (auto f = make(opts_.default_chain, default_ctx_)) {
    return f;
  }
  for (const auto& [sni, chain] : opts_.chain_by_sni) {
    if (auto f = make(chain, sni_ctx_[Lower(sni)])) {
      return f;
    }
  }
  return std::nullopt;
}

// Chooses the chain by SNI (RFC 6066 §3): the context of that name, else
// the default one. Runs in the handshake, on the io thread.
int Server::Impl::OnServerName(SSL* ssl, int* /*alert*/, void* arg) {
  auto* self = static_cast<Impl*>(arg);
  auto* seen = static_cast<TlsSeen*>(SSL_get_ex_data(ssl, SeenIndex()));
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const std::string sni = name != nullptr ? name : "";
  ssl::context* chosen = self->default_ctx_.get();
  ChainSpec spec = self->opts_.default_chain;
  if (!sni.empty()) {
    const std::string key = Lower(sni);
    if (auto it = self->sni_ctx_.find(key); it != self->sni_ctx_.end()) {
      chosen = it->second.get();
      for (const auto& [k, chain] : self->opts_.chain_by_sni) {
        if (Lower(k) == key) {
          spec = chain;
        }
      }
    }
  }
  if (chosen != nullptr && chosen->native_handle() != SSL_get_SSL_CTX(ssl)) {
    SSL_set_SSL_CTX(ssl, chosen->native_handle());
  }
  if (seen != nullptr) {
    seen->called = true;
    seen->sni = sni;
    seen->chain = std::move(spec);
  }
  return SSL_TLSEXT_ERR_OK;
}

std::optional<Diagnostic> Server::Impl::Bind() {
  const tcp::endpoint ep(address_, opts_.port);
  if (const error_code ec = BindListener(acceptor_, ep, port_)) {
    return MakeDiag("mocks.smtp.bind", Severity::kError, 0, "the mock SMTP server cannot bind",
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
    c->Close();
  }
}

std::shared_ptr<SessionLog> Server::Impl::NewLog(std::string peer) {
  auto log = std::make_shared<SessionLog>();
  log->peer = std::move(peer);
  std::lock_guard lock(log_mu_);
  log->id = ++next_id_;
  log_.push_back(log);
  while (log_.size() > std::max<std::size_t>(opts_.max_logged_sessions, 1)) {
    log_.pop_front();
  }
  return log;
}

void Server::Impl::Finish(const std::shared_ptr<SessionLog>& log, std::string end) {
  {
    std::lock_guard lock(log_mu_);
    log->end = std::move(end);
    log->finished = true;
    ++finished_;
  }
  stats_.finished.fetch_add(1, std::memory_order_relaxed);
  log_cv_.notify_all();
}

// ---- connections -------------------------------------------------------

asio::awaitable<void> Server::Impl::AcceptLoop() {
  return AcceptConnections(acceptor_, accept_backoff_, stopping_,
                           {stats_.connections, stats_.open, stats_.refused}, opts_.max_connections,
                           [this](tcp::socket socket, OpenSlot slot) {
                             return Session(std::move(socket), std::move(slot));
                           });
}

asio::awaitable<void> Server::Impl::Session(tcp::socket socket, OpenSlot slot) {
  if (stopping_) {
    co_return;
  }
  std::string peer = "?";
  std::string client;
  {
    error_code ec;
    const tcp::endpoint remote = socket.remote_endpoint(ec);
    if (!ec) {
      peer = EndpointText(remote);
      client = remote.address().to_string();
    }
  }
  const std::shared_ptr<SessionLog> log = NewLog(std::move(peer));
  Conn conn(std::move(socket));
  conn.client = std::move(client);
  conn.deadline = Steady::now() + milliseconds(opts_.session_timeout_ms);
  std::string end;
  {
    Registration<Conn> registered(conns_, &conn);
    end = co_await Converse(conn, log);
    if (stopping_) {
      end = "stopped";
    }
    conn.Close();
  }
  if (conn.timed_out) {
    stats_.timeouts.fetch_add(1, std::memory_order_relaxed);
  }
  Line(log, "*: end: " + end);
  Finish(log, std::move(end));
}

asio::awaitable<Server::Impl::ReadStatus> Server::Impl::ReadLine(Conn& c, std::size_t cap,
                                                                 std::string& line, bool& crlf) {
  for (;;) {
    // The buffer stays under cap + one read (LineBuffer drops an overlong
    // line as it arrives).
    const LineBuffer::Status got = c.in.Next(cap, line, crlf);
    if (got == LineBuffer::Status::kLine) {
      co_return ReadStatus::kLine;
    }
    if (got == LineBuffer::Status::kTooLong) {
      co_return ReadStatus::kTooLong;
    }
    const auto left = std::chrono::duration_cast<milliseconds>(c.deadline - Steady::now());
    if (left.count() <= 0) {
      c.timed_out = true;
      c.error = "session deadline";
      co_return ReadStatus::kTimeout;
    }
    c.Timed().expires_after(std::min(milliseconds(opts_.read_timeout_ms), left));
    error_code ec;
    std::size_t n = 0;
    if (c.tls) {
      std::tie(ec, n) = co_await c.tls->async_read_some(asio::buffer(c.chunk), kUseTuple);
    } else {
      std::tie(ec, n) = co_await c.plain->async_read_some(asio::buffer(c.chunk), kUseTuple);
    }
    if (stopping_) {
      co_return ReadStatus::kStopped;
    }
    if (ec == beast::error::timeout) {
      c.timed_out = true;
      c.error = "read timed out";
      co_return ReadStatus::kTimeout;
    }
    if (ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == ssl::error::stream_truncated) {
      co_return ReadStatus::kClosed;
    }
    if (ec) {
      c.error = ec.message();
      co_return ReadStatus::kError;
    }
    c.in.Append(std::string_view(c.chunk.data(), n));
  }
}

asio::awaitable<bool> Server::Impl::Write(Conn& c, std::string bytes) {
  c.Timed().expires_after(milliseconds(opts_.write_timeout_ms));
  error_code ec;
  std::size_t n = 0;
  if (c.tls) {
    std::tie(ec, n) = co_await asio::async_write(*c.tls, asio::buffer(bytes), kUseTuple);
  } else {
    std::tie(ec, n) = co_await asio::async_write(*c.plain, asio::buffer(bytes), kUseTuple);
  }
  if (ec) {
    if (ec == beast::error::timeout) {
      c.timed_out = true;
    }
    c.error = ec.message();
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> Server::Impl::Reply(Conn& c, const std::shared_ptr<SessionLog>& log,
                                          std::string text) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find("\r\n", start);
    Line(log, "S: " + net::TranscriptText(std::string_view(text).substr(start, end - start)));
    if (end == std::string::npos) {
      break;
    }
    start = end + 2;
  }
  text += "\r\n";
  const bool written = co_await Write(c, std::move(text));
  co_return written;
}

asio::awaitable<std::string> Server::Impl::ReadEnd(Conn& c, const std::shared_ptr<SessionLog>& log,
                                                   ReadStatus rs) {
  switch (rs) {
    case ReadStatus::kClosed:
      co_return "client closed";
    case ReadStatus::kTimeout: {
      Line(log, "*: " + c.error);
      // A read deadline closes the socket (beast::tcp_stream does); at the
      // session deadline it is still open and a 421 tells a live client
      // why (RFC 5321 §3.8).
      if (c.Timed().socket().is_open()) {
        std::string bye = "421 4.4.2 " + opts_.hostname + " Error: timeout exceeded";
        const bool sent = co_await Reply(c, log, std::move(bye));
        (void)sent;
      }
      co_return "timeout";
    }
    case ReadStatus::kStopped:
      co_return "stopped";
    default:
      Line(log, "*: read failed: " + c.error);
      co_return "read failed";
  }
}

std::string Server::Impl::DrainPlaintext(Conn& c) {
  std::string dropped = c.in.Take();
  error_code ec;
  tcp::socket& s = c.plain->socket();
  while (dropped.size() < kMaxDrain) {
    const std::size_t avail = s.available(ec);
    if (ec || avail == 0) {
      break;
    }
    const std::size_t n =
        s.read_some(asio::buffer(c.chunk.data(), std::min(avail, c.chunk.size())), ec);
    if (ec || n == 0) {
      break;
    }
    dropped.append(c.chunk.data(), n);
  }
  return dropped;
}

// ---- the dialogue ------------------------------------------------------
//
// GCC 12 miscompiles some co_await expressions (one inside an if
// condition, with a by-value argument, crashes): the commands are decided
// by plain functions (Decide) and every awaited result goes to a named
// local.

asio::awaitable<std::optional<std::string>> Server::Impl::Send(
    Conn& c, const std::shared_ptr<SessionLog>& log, std::uint32_t& errors, Action action) {
  if (!action.note.empty()) {
    Line(log, "*: " + action.note);
  }
  if (!action.reply.empty()) {
    const bool sent = co_await Reply(c, log, std::move(action.reply));
    if (!sent) {
      co_return "write failed";
    }
  }
  if (action.error && ++errors >= opts_.max_errors) {
    std::string bye = "421 4.7.0 " + opts_.hostname + " Too many errors, closing";
    const bool sent = co_await Reply(c, log, std::move(bye));
    (void)sent;
    co_return "too many errors";
  }
  co_return std::nullopt;
}

asio::awaitable<std::string> Server::Impl::Converse(Conn& c,
                                                    const std::shared_ptr<SessionLog>& log) {
  if (opts_.banner_delay_ms > 0) {
    Line(log, "*: banner delayed " + std::to_string(opts_.banner_delay_ms) + " ms");
    c.timer.expires_after(milliseconds(opts_.banner_delay_ms));
    auto [ec] = co_await c.timer.async_wait(kUseTuple);
    if (ec || stopping_) {
      co_return "stopped";
    }
  }
  std::string banner = "220 " + opts_.hostname + " ESMTP mxconform mock";
  const bool greeted = co_await Reply(c, log, std::move(banner));
  if (!greeted) {
    co_return "write failed";
  }
  Dialogue d(dialogue_opts_, greylisted_);
  d.SetClient(c.client);
  std::uint32_t errors = 0;
  for (;;) {
    std::string line;
    bool crlf = false;
    const ReadStatus rs = co_await ReadLine(c, kMaxCommandLine, line, crlf);
    Action action;
    if (rs == ReadStatus::kTooLong) {
      Line(log,
           "C: (a command line over " + std::to_string(kMaxCommandLine) + " octets, discarded)");
      action =
          Action{"500 5.5.2 Line too long (RFC 5321 section 4.5.3.1.4)", true, Next::kContinue, {}};
    } else if (rs != ReadStatus::kLine) {
      std::string end = co_await ReadEnd(c, log, rs);
      co_return end;
    } else {
      Line(log, "C: " + net::TranscriptText(line));
      Update(log, [&](SessionLog& l) {
        if (l.commands.size() < kMaxLoggedLines) {
          l.commands.push_back(
              ClientCommand{net::TranscriptText(line).substr(0, 1024), c.tls != nullptr});
        }
      });
      action = d.Command(line, c.tls != nullptr);
    }
    const Next next = action.next;
    std::optional<std::string> end = co_await Send(c, log, errors, std::move(action));
    if (end) {
      co_return *end;
    }
    if (next == Next::kStartTls) {
      end = co_await StartTlsAccepted(c, log, d);
    } else if (next == Next::kData) {
      end = co_await Data(c, log, d, errors);
    } else if (next == Next::kQuit) {
      if (c.tls) {
        c.Timed().expires_after(std::min(kShutdownTimeout, milliseconds(opts_.write_timeout_ms)));
        auto [ec] = co_await c.tls->async_shutdown(kUseTuple);
        Line(log, ec ? "*: TLS shutdown: " + ec.message()
                     : std::string("*: TLS shutdown: close_notify exchanged"));
      }
      end = "quit";
    }
    if (end) {
      co_return *end;
    }
    if (stopping_) {
      co_return "stopped";
    }
  }
}

asio::awaitable<std::optional<std::string>> Server::Impl::StartTlsAccepted(
    Conn& c, const std::shared_ptr<SessionLog>& log, Dialogue& d) {
  // RFC 3207 §5: what the client pipelined after STARTTLS is not read as
  // SMTP (CVE-2011-0411, command injection).
  std::string dropped = DrainPlaintext(c);
  if (opts_.starttls_settle_ms > 0) {
    c.timer.expires_after(milliseconds(opts_.starttls_settle_ms));
    auto [ec] = co_await c.timer.async_wait(kUseTuple);
    if (ec || stopping_) {
      co_return "stopped";
    }
    dropped += DrainPlaintext(c);
  }
  if (!dropped.empty()) {
    Line(log, "*: discarded " + std::to_string(dropped.size()) +
                  " plaintext octets the client sent after STARTTLS (RFC 3207 §5): \"" +
                  net::TranscriptText(dropped) + "\"");
    Update(log, [&](SessionLog& l) { l.discarded_after_starttls += dropped.size(); });
  }
  std::string out = "220 2.0.0 Ready to start TLS";
  Line(log, "S: " + out);
  out += "\r\n";
  if (!opts_.inject_after_starttls.empty()) {
    Line(log, "*: injected with the 220 (inject_after_starttls): \"" +
                  net::TranscriptText(opts_.inject_after_starttls) + "\"");
    Update(log, [&](SessionLog& l) { l.injected = opts_.inject_after_starttls; });
    out += opts_.inject_after_starttls;
  }
  Update(log, [](SessionLog& l) { l.starttls_accepted = true; });
  const bool sent = co_await Write(c, std::move(out));
  if (!sent) {
    co_return "write failed";
  }

  if (opts_.starttls == StartTls::kAbortHandshake || opts_.starttls == StartTls::kGarbageAfter220) {
    // Wait for the ClientHello (or the deadline), then break the handshake.
    c.plain->expires_after(milliseconds(opts_.handshake_timeout_ms));
    auto [ec, n] = co_await c.plain->async_read_some(asio::buffer(c.chunk), kUseTuple);
    if (stopping_) {
      co_return "stopped";
    }
    const std::string got = ec ? "nothing (" + ec.message() + ")" : std::to_string(n) + " octets";
    stats_.handshake_failures.fetch_add(1, std::memory_order_relaxed);
    if (opts_.starttls == StartTls::kAbortHandshake) {
      Line(log, "*: abort-handshake: read " + got +
                    " of the ClientHello, sent a fatal handshake_failure alert, closed");
      Update(log, [](SessionLog& l) { l.tls_error = "aborted by the server (abort-handshake)"; });
      std::string alert(kHandshakeFailureAlert.begin(), kHandshakeFailureAlert.end());
      const bool written = co_await Write(c, std::move(alert));
      (void)written;
      co_return "abort-handshake";
    }
    Line(log, "*: garbage-after-220: read " + got + " of the ClientHello, sent \"" +
                  net::TranscriptText(kGarbage) + "\", closed");
    Update(log,
           [](SessionLog& l) { l.tls_error = "garbage sent by the server (garbage-after-220)"; });
    std::string garbage(kGarbage);
    const bool written = co_await Write(c, std::move(garbage));
    (void)written;
    co_return "garbage-after-220";
  }

  // TLS after STARTTLS: the socket moves into the ssl::stream.
  c.tls = std::make_unique<TlsStream>(std::move(*c.plain), *default_ctx_);
  c.plain.reset();
  c.seen = TlsSeen{};
  c.seen.chain = opts_.default_chain;
  SSL* ssl = c.tls->native_handle();
  SSL_set_ex_data(ssl, SeenIndex(), &c.seen);
  c.tls->next_layer().expires_after(milliseconds(opts_.handshake_timeout_ms));
  auto [ec] = co_await c.tls->async_handshake(ssl::stream_base::server, kUseTuple);
  SSL_set_ex_data(ssl, SeenIndex(), nullptr);
  if (stopping_) {
    co_return "stopped";
  }
  Update(log, [&](SessionLog& l) {
    l.sni = c.seen.sni;
    if (c.seen.called || !ec) {
      l.certificate = c.seen.chain.leaf;
      l.certificate_intermediates = c.seen.chain.intermediates;
    }
  });
  if (ec) {
    if (ec == beast::error::timeout) {
      c.timed_out = true;
    }
    const std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
    Line(log, "*: TLS handshake failed: " + why);
    Update(log, [&](SessionLog& l) { l.tls_error = why; });
    stats_.handshake_failures.fetch_add(1, std::memory_order_relaxed);
    co_return "handshake failed";
  }
  const std::string version = SSL_get_version(ssl);
  const std::string cipher = SSL_get_cipher_name(ssl);
  Line(log, "*: TLS " + version + " " + cipher + ", SNI " +
                (c.seen.sni.empty() ? std::string("none") : c.seen.sni) + ", certificate " +
                c.seen.chain.leaf +
                (c.seen.chain.intermediates ? " with intermediates" : " without intermediates"));
  Update(log, [&](SessionLog& l) {
    l.channel = "tls";
    l.tls_version = version;
    l.tls_cipher = cipher;
  });
  stats_.handshakes.fetch_add(1, std::memory_order_relaxed);
  // RFC 3207 §4.2: the server forgets what the client said before TLS.
  d.ForgetBeforeTls();
  const bool client_certificate = SSL_get0_peer_certificate(ssl) != nullptr;
  Update(log, [&](SessionLog& l) { l.client_certificate = client_certificate; });
  if (opts_.require_client_certificate && !client_certificate) {
    Line(log, "*: no client certificate: 554 to every command but QUIT (RFC 3207 §4.1)");
    d.RefuseForLackOfSecurity();
  }
  co_return std::nullopt;
}

asio::awaitable<std::optional<std::string>> Server::Impl::Data(
    Conn& c, const std::shared_ptr<SessionLog>& log, Dialogue& d, std::uint32_t& errors) {
  MessageReader m(opts_.max_message_bytes);
  for (;;) {
    std::string line;
    bool crlf = false;
    const ReadStatus rs = co_await ReadLine(c, kMaxWireTextLine, line, crlf);
    if (rs == ReadStatus::kTooLong) {
      m.TooLong(crlf);
      continue;
    }
    if (rs != ReadStatus::kLine) {
      Line(log, "C: (message data: " + std::to_string(m.size()) + " octets, " +
                    std::to_string(m.lines()) + " lines, unfinished)");
      std::string end = co_await ReadEnd(c, log, rs);
      co_return end;
    }
    if (m.Line(line, crlf)) {
      break;
    }
  }
  Line(log, "C: (message data: " + std::to_string(m.size()) + " octets, " +
                std::to_string(m.lines()) + " lines)");
  Line(log, "C: .");
  std::string queued;
  if (!m.too_long() && !m.too_big()) {
    Delivery delivery;
    delivery.mail_from = d.state().from;
    delivery.rcpt_to = d.state().rcpts;
    delivery.size = m.size();
    delivery.body = m.TakeBody();
    delivery.channel = c.tls ? "tls" : "plaintext";
    delivery.received = std::chrono::steady_clock::now();
    Update(log, [&](SessionLog& l) {
      l.data_completed = true;
      if (l.deliveries.size() < kMaxLoggedDeliveries) {
        l.deliveries.push_back(std::move(delivery));
      } else {
        ++l.deliveries_not_logged;
      }
    });
    stats_.deliveries.fetch_add(1, std::memory_order_relaxed);
    queued = "MXC" + std::to_string(++next_message_);
  }
  Action action = d.MessageDone(m, queued);
  std::optional<std::string> end = co_await Send(c, log, errors, std::move(action));
  co_return end;
}

// ---- Server ------------------------------------------------------------

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& opts) {
  try {
    error_code ec;
    asio::ip::address address = asio::ip::make_address(opts.address, ec);
    if (ec) {
      return MakeDiag("mocks.smtp.address", Severity::kError, 0,
                      "the mock SMTP server address is not an IP literal", opts.address);
    }
    auto impl = std::make_unique<Impl>(opts, std::move(address));
    if (auto failed = impl->SetUpTls()) {
      return *std::move(failed);
    }
    if (auto failed = impl->Bind()) {
      return *std::move(failed);
    }
    impl->Run();
    return std::unique_ptr<Server>(new Server(std::move(impl)));
  } catch (const std::exception& e) {
    return MakeDiag("mocks.smtp.bind", Severity::kError, 0, "the mock SMTP server cannot start",
                    e.what());
  }
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(); }

std::uint16_t Server::port() const { return impl_->port(); }

std::string Server::address() const { return impl_->options().address; }

std::string Server::endpoint() const {
  const std::string& a = impl_->options().address;
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" +
         std::to_string(impl_->port());
}

const ServerOptions& Server::options() const { return impl_->options(); }

ServerStats Server::stats() const { return impl_->stats(); }

std::vector<SessionLog> Server::Sessions() const {
  try {
    return impl_->Sessions();
  } catch (...) {
    return {};
  }
}

bool Server::WaitForSessions(std::size_t count, std::chrono::milliseconds timeout) const {
  return impl_->WaitForSessions(count, timeout);
}

void Server::Stop() {
  try {
    impl_->Stop();
  } catch (...) {
    // join() failing leaves nothing better to do; Stop() never throws.
  }
}

}  // namespace mxconform::mocks::smtp
