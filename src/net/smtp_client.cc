#include "net/smtp_client.h"

#include <openssl/ssl.h>
#include <openssl/tls1.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cctype>
#include <ctime>
#include <exception>
#include <optional>
#include <utility>

#include "common/clock.h"
#include "net/smtp_text.h"

namespace mxconform::net {
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

// RFC 5321 §4.5.3.1.5 caps a reply line at 512 octets; servers exceed it
// in their texts, so the client allows more, but not without bound.
constexpr std::size_t kMaxReplyLine = 4096;
constexpr std::size_t kMaxReplyLines = 128;
// QUIT, its reply and the TLS close_notify: a short wait at most.
constexpr milliseconds kQuitTimeout{1000};
// The transcript: lines kept, octets shown per line.
constexpr std::size_t kMaxTranscriptLines = 4096;
// Plaintext drained after the 220 to STARTTLS, at most (it is discarded).
constexpr std::size_t kMaxDrain = 65536;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The map key of a host: lower case, one trailing dot dropped.
std::string NormalizeHost(std::string_view host) {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  return Lower(host);
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

std::string ErrorText(const error_code& ec) {
  if (ec == beast::error::timeout) {
    return "timed out";
  }
  if (ec == asio::error::eof) {
    return "connection closed by the server";
  }
  return ec.message();
}

// "127.0.0.1:2525" or "[::1]:2525".
std::optional<tcp::endpoint> ParseAddress(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) {
      return std::nullopt;
    }
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port == 0 || port > 65535) {
    return std::nullopt;
  }
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(std::string(host), ec);
  if (ec) {
    return std::nullopt;
  }
  return tcp::endpoint(address, static_cast<std::uint16_t>(port));
}

// An SMTP reply; code 0: none (the session broke).
struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // the texts, without the code
  std::string Text() const {
    std::string out = std::to_string(code);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      out += i == 0 ? " " : " / ";
      out += lines[i];
    }
    return out;
  }
};

}  // namespace

std::string_view TlsVersionName(TlsVersion v) {
  switch (v) {
    case TlsVersion::kAny:
      return "any";
    case TlsVersion::kTls1_0:
      return "TLSv1";
    case TlsVersion::kTls1_1:
      return "TLSv1.1";
    case TlsVersion::kTls1_2:
      return "TLSv1.2";
    case TlsVersion::kTls1_3:
      return "TLSv1.3";
  }
  return "any";
}

class SmtpSession::Impl {
 public:
  Impl(SmtpConnectorOptions opts, std::string host)
      : opts_(std::move(opts)),
        host_(std::move(host)),
        deadline_(Steady::now() + opts_.session_timeout) {
    plain_.emplace(io_);
  }
  ~Impl() { Close(); }

  // "" when connected, else why not.
  std::string Connect(const tcp::endpoint& ep) {
    std::string err = Run(DoConnect(ep));
    if (!err.empty()) {
      Close();
    }
    return err;
  }

  bool Greet(std::string& detail);
  bool StarttlsOffered() const;
  mtasts::StartTlsResult StartTls(std::string_view sni);
  mtasts::SendResult Send(std::string_view from, std::string_view to, std::string_view message);
  void Quit();
  ProbeReply ProbeRead();
  ProbeReply ProbeSend(std::string_view bytes);
  std::string ProbeHandshake(std::string_view sni);

  const std::vector<std::string>& transcript() const { return transcript_; }
  const std::vector<std::string>& keywords() const { return keywords_; }
  bool tls_active() const { return tls_ != nullptr && !closed_; }
  const std::string& tls_version() const { return tls_version_; }
  const std::string& tls_cipher() const { return tls_cipher_; }
  std::size_t discarded() const { return discarded_; }
  bool broken() const { return broken_; }
  void Break(std::string why) {
    if (!broken_) {
      broken_ = true;
      if (session_capped_ && Steady::now() + milliseconds(5) >= deadline_) {
        why += " (session deadline of " + std::to_string(opts_.session_timeout.count()) +
               " ms reached)";
      }
      broken_why_ = std::move(why);
      Add("*: session broken: " + broken_why_);
    }
    Close();
  }
  std::string BrokenDetail() const { return "session broken: " + broken_why_; }

 private:
  // Runs `aw` on the session's io_context to its end. Every operation in
  // it has a deadline, so this returns. A coroutine that threw (out of
  // memory) breaks the session and yields T{}.
  template <typename T>
  T Run(asio::awaitable<T> aw) {
    std::optional<T> out;
    asio::co_spawn(io_, std::move(aw), [&out](std::exception_ptr e, T value) {
      if (!e) {
        out.emplace(std::move(value));
      }
    });
    io_.restart();
    try {
      io_.run();
    } catch (...) {
      // A handler threw: the result stays empty.
    }
    if (!out) {
      Break("internal error");
      return T{};
    }
    return std::move(*out);
  }

  // The deadline of one operation: `op`, or what is left of the session
  // (at least a millisecond, so the operation fails with a timeout).
  milliseconds Budget(milliseconds op) {
    if (quitting_) {
      op = std::min(op, kQuitTimeout);
    }
    const auto left = std::chrono::duration_cast<milliseconds>(deadline_ - Steady::now());
    session_capped_ = left <= op;
    return std::max(milliseconds(1), std::min(op, left));
  }

  beast::tcp_stream& Timed() { return tls_ ? tls_->next_layer() : *plain_; }

  void Add(std::string line) {
    if (transcript_.size() < kMaxTranscriptLines) {
      transcript_.push_back(std::move(line));
    } else if (transcript_.size() == kMaxTranscriptLines) {
      transcript_.push_back("*: transcript truncated");
    }
  }

  void Close() {
    if (closed_) {
      return;
    }
    closed_ = true;
    error_code ec;
    if (tls_) {
      tls_->next_layer().socket().close(ec);
    } else if (plain_) {
      plain_->socket().close(ec);
    }
  }

  asio::awaitable<std::string> DoConnect(tcp::endpoint ep) {
    plain_->expires_after(Budget(opts_.connect_timeout));
    auto [ec] = co_await plain_->async_connect(ep, kUseTuple);
    if (ec) {
      co_return ErrorText(ec);
    }
    co_return std::string();
  }

  // One line (without CR LF); false when the session broke.
  asio::awaitable<bool> ReadLine(std::string& line) {
    for (;;) {
      const std::size_t lf = in_.find('\n');
      if (lf != std::string::npos) {
        if (lf + 1 > kMaxReplyLine) {
          Break("a reply line over " + std::to_string(kMaxReplyLine) + " octets");
          co_return false;
        }
        line.assign(in_, 0, lf);
        if (!line.empty() && line.back() == '\r') {
          line.pop_back();
        }
        in_.erase(0, lf + 1);
        co_return true;
      }
      if (in_.size() > kMaxReplyLine) {
        Break("a reply line over " + std::to_string(kMaxReplyLine) + " octets");
        co_return false;
      }
      Timed().expires_after(Budget(opts_.io_timeout));
      error_code ec;
      std::size_t n = 0;
      if (tls_) {
        std::tie(ec, n) = co_await tls_->async_read_some(asio::buffer(chunk_), kUseTuple);
      } else {
        std::tie(ec, n) = co_await plain_->async_read_some(asio::buffer(chunk_), kUseTuple);
      }
      if (ec) {
        Break("reading a reply: " + ErrorText(ec));
        co_return false;
      }
      in_.append(chunk_.data(), n);
    }
  }

  // A whole reply, multiline or not (RFC 5321 §4.2.1); code 0 when the
  // session broke.
  asio::awaitable<Reply> ReadReply() {
    Reply r;
    for (std::size_t i = 0;; ++i) {
      std::string line;
      // GCC 12 miscompiles a co_await inside an if condition: every
      // awaited result goes to a named local first.
      const bool got = co_await ReadLine(line);
      if (!got) {
        co_return Reply{};
      }
      Add("S: " + TranscriptText(line));
      const std::optional<ReplyLine> parsed = ParseReplyLine(line);
      if (!parsed) {
        Break("not an SMTP reply: " + TranscriptText(line));
        co_return Reply{};
      }
      if (i == 0) {
        r.code = parsed->code;
      } else if (parsed->code != r.code) {
        Break("reply codes differ within one reply: " + TranscriptText(line));
        co_return Reply{};
      }
      r.lines.push_back(parsed->text);
      if (parsed->last) {
        co_return r;
      }
      if (i + 1 >= kMaxReplyLines) {
        Break("a reply of over " + std::to_string(kMaxReplyLines) + " lines");
        co_return Reply{};
      }
    }
  }

  asio::awaitable<bool> Write(std::string bytes) {
    Timed().expires_after(Budget(opts_.io_timeout));
    error_code ec;
    std::size_t n = 0;
    if (tls_) {
      std::tie(ec, n) = co_await asio::async_write(*tls_, asio::buffer(bytes), kUseTuple);
    } else {
      std::tie(ec, n) = co_await asio::async_write(*plain_, asio::buffer(bytes), kUseTuple);
    }
    if (ec) {
      Break("writing: " + ErrorText(ec));
      co_return false;
    }
    co_return true;
  }

  asio::awaitable<Reply> Command(std::string line) {
    Add("C: " + TranscriptText(line));
    std::string bytes = line + "\r\n";
    const bool written = co_await Write(std::move(bytes));
    if (!written) {
      co_return Reply{};
    }
    Reply reply = co_await ReadReply();
    co_return reply;
  }

  asio::awaitable<error_code> Handshake() {
    tls_->next_layer().expires_after(Budget(opts_.handshake_timeout));
    auto [ec] = co_await tls_->async_handshake(ssl::stream_base::client, kUseTuple);
    co_return ec;
  }

  asio::awaitable<bool> QuitDialogue() {
    std::string quit = "QUIT";
    const Reply r = co_await Command(std::move(quit));
    if (r.code != 0 && tls_) {
      tls_->next_layer().expires_after(Budget(kQuitTimeout));
      auto [ec] = co_await tls_->async_shutdown(kUseTuple);
      Add(ec ? "*: TLS shutdown: " + ErrorText(ec) : "*: TLS shutdown: close_notify exchanged");
    }
    co_return true;
  }

  // EHLO, or HELO after a 4xx or 5xx to EHLO; false with `detail`.
  bool Ehlo(std::string& detail) {
    Reply r = Run(Command("EHLO " + opts_.ehlo_name));
    if (r.code == 0) {
      detail = "EHLO: " + broken_why_;
      return false;
    }
    keywords_.clear();
    if (r.code / 100 == 2) {
      keywords_.assign(r.lines.begin() + 1, r.lines.end());
      return true;
    }
    Add("*: EHLO refused, HELO instead (RFC 5321 §3.2)");
    Reply h = Run(Command("HELO " + opts_.ehlo_name));
    if (h.code == 0) {
      detail = "HELO: " + broken_why_;
      return false;
    }
    if (h.code / 100 != 2) {
      detail = "EHLO: " + r.Text() + "; HELO: " + h.Text();
      return false;
    }
    return true;
  }

  // The plaintext dropped (RFC 3207 §5), then the TLS stream with SNI `sni_in`
  // (one trailing dot dropped, into `sni`) and the handshake; "" when TLS is
  // up, else why not (the session is then closed or broken). `injected`
  // says what was dropped, if anything.
  std::string Upgrade(std::string_view sni_in, std::string& sni, std::string& injected);

  // Drops plaintext that came with or after the 220 to STARTTLS: what is
  // buffered and what the socket already holds (RFC 3207 §5). Returns the
  // bytes dropped.
  std::string DrainPlaintext() {
    std::string dropped = std::move(in_);
    in_.clear();
    error_code ec;
    tcp::socket& s = plain_->socket();
    while (dropped.size() < kMaxDrain) {
      const std::size_t avail = s.available(ec);
      if (ec || avail == 0) {
        break;
      }
      const std::size_t n =
          s.read_some(asio::buffer(chunk_.data(), std::min(avail, chunk_.size())), ec);
      if (ec || n == 0) {
        break;
      }
      dropped.append(chunk_.data(), n);
    }
    return dropped;
  }

  // RFC 9325 §4.2's ciphers for TLS 1.2: ECDHE, then AES-GCM or
  // ChaCha20-Poly1305; and handshake signatures without SHA-1 or SHA-224.
  static constexpr const char* kModernTls12Ciphers = "ECDHE+AESGCM:ECDHE+CHACHA20";
  static constexpr const char* kModernSigalgs =
      "ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512:ed25519:ed448:rsa_pss_rsae_sha256:"
      "rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:rsa_pss_pss_sha256:rsa_pss_pss_sha384:"
      "rsa_pss_pss_sha512:RSA+SHA256:RSA+SHA384:RSA+SHA512";

  // The TLS context: no verification in the handshake (the chain is
  // verified afterwards, so an unverified session can go on), security
  // level 0 so that weak certificates reach tls::Verify, which judges them
  // at its own level, and the configured version bounds. Null on failure.
  std::unique_ptr<ssl::context> MakeContext(std::string& why) {
    try {
      auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
      SSL_CTX* c = ctx->native_handle();
      SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
      SSL_CTX_set_security_level(c, 0);
      if (opts_.min_version != TlsVersion::kAny &&
          SSL_CTX_set_min_proto_version(c, VersionConstant(opts_.min_version)) != 1) {
        why = "cannot set the minimum TLS version";
        return nullptr;
      }
      if (opts_.max_version != TlsVersion::kAny &&
          SSL_CTX_set_max_proto_version(c, VersionConstant(opts_.max_version)) != 1) {
        why = "cannot set the maximum TLS version";
        return nullptr;
      }
      // Level 0 also lifts OpenSSL's limits on the handshake itself. Review
      // finding: a TLS 1.2 server with a 1024-bit DH group and a SHA-1
      // signature over it gave a "verified" session. With TLS 1.2 or later
      // (RFC 8461 §7.2), the key exchange is ECDHE with an AEAD cipher and
      // signed with SHA-2 or better (RFC 9325 §4.2, §4.1); TLS 1.3's suites
      // are all of that kind. A client set to allow older versions is a
      // deliberate test of them and keeps OpenSSL's full lists.
      if (opts_.min_version == TlsVersion::kTls1_2 || opts_.min_version == TlsVersion::kTls1_3) {
        if (SSL_CTX_set_cipher_list(c, kModernTls12Ciphers) != 1 ||
            SSL_CTX_set1_sigalgs_list(c, kModernSigalgs) != 1) {
          why = "cannot restrict the TLS 1.2 ciphers and signature algorithms";
          return nullptr;
        }
      }
      return ctx;
    } catch (const std::exception& e) {
      why = e.what();
      return nullptr;
    }
  }

  SmtpConnectorOptions opts_;
  std::string host_;
  Steady::time_point deadline_;
  asio::io_context io_{1};
  std::optional<beast::tcp_stream> plain_;
  std::unique_ptr<ssl::context> ctx_;
  std::unique_ptr<TlsStream> tls_;
  std::string in_;  // received, not yet consumed
  std::array<char, 4096> chunk_{};
  bool broken_ = false;
  bool closed_ = false;
  bool greeted_ = false;
  bool quitting_ = false;
  bool ehlo_pending_ = false;    // TLS is up and EHLO over it not sent yet
  bool session_capped_ = false;  // the last deadline was the session's
  std::string broken_why_;
  std::vector<std::string> transcript_;
  std::vector<std::string> keywords_;
  std::string tls_version_;
  std::string tls_cipher_;
  std::size_t discarded_ = 0;
  unsigned messages_ = 0;
};

bool SmtpSession::Impl::Greet(std::string& detail) {
  if (broken_) {
    detail = BrokenDetail();
    return false;
  }
  const Reply banner = Run(ReadReply());
  if (banner.code == 0) {
    detail = "no banner: " + broken_why_;
    return false;
  }
  if (banner.code != 220) {
    // RFC 5321 §3.1: after a 554 banner the client sends QUIT.
    detail = "banner: " + banner.Text();
    Quit();
    return false;
  }
  if (!Ehlo(detail)) {
    return false;
  }
  greeted_ = true;
  return true;
}

bool SmtpSession::Impl::StarttlsOffered() const {
  return std::any_of(keywords_.begin(), keywords_.end(), [](const std::string& k) {
    const std::string word = Lower(k.substr(0, k.find(' ')));
    return word == "starttls";
  });
}

mtasts::StartTlsResult SmtpSession::Impl::StartTls(std::string_view sni_in) {
  using mtasts::TlsOutcome;
  mtasts::StartTlsResult r;
  auto failed = [&](std::string why) {
    r.outcome = TlsOutcome::kHandshakeFailed;
    r.usable = false;
    r.detail = std::move(why);
    return r;
  };
  if (broken_ || closed_) {
    return failed(broken_ ? BrokenDetail() : "session closed");
  }
  if (tls_) {
    r.outcome = TlsOutcome::kStarttlsRefused;
    r.usable = false;
    r.detail = "TLS is already active; STARTTLS not sent";
    return r;
  }
  const Reply reply = Run(Command("STARTTLS"));
  if (reply.code == 0) {
    return failed("STARTTLS: " + broken_why_);
  }
  if (reply.code != 220) {
    // The session stays usable in plaintext; the caller decides.
    r.outcome = TlsOutcome::kStarttlsRefused;
    r.usable = false;
    r.detail = "STARTTLS refused: " + reply.Text();
    return r;
  }
  std::string injected;
  std::string sni;
  if (std::string why = Upgrade(sni_in, sni, injected); !why.empty()) {
    return failed(std::move(why));
  }
  SSL* s = tls_->native_handle();

  // The peer's chain, leaf first (a client's SSL_get_peer_cert_chain has
  // the leaf), verified for the MX name at the clock's time.
  std::vector<X509*> chain;
  if (STACK_OF(X509)* sk = SSL_get_peer_cert_chain(s)) {
    for (int i = 0; i < sk_X509_num(sk); ++i) {
      chain.push_back(sk_X509_value(sk, i));
    }
  }
  if (!chain.empty()) {
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(chain.front()), subject, sizeof(subject));
    Add("*: peer certificate " + std::string(subject) + ", " + std::to_string(chain.size()) +
        " certificate(s) sent");
  }
  const std::string name = sni.empty() ? host_ : sni;
  tls::VerifyOptions vo = opts_.verify;
  vo.time = opts_.clock != nullptr ? opts_.clock->Now() : 0;
  tls::VerifyResult v;
  if (opts_.trust == nullptr) {
    v.failure = tls::CertFailure::kNotTrusted;
    v.detail = "no trust store configured";
  } else {
    v = tls::Verify(chain, *opts_.trust, name, vo);
  }
  switch (v.failure) {
    case tls::CertFailure::kNone:
      r.outcome = TlsOutcome::kOk;
      r.detail = tls_version_ + " " + tls_cipher_ + ", certificate valid for " + name;
      break;
    case tls::CertFailure::kExpired:
      r.outcome = v.detail.find("not yet valid") != std::string::npos ? TlsOutcome::kCertNotYetValid
                                                                      : TlsOutcome::kCertExpired;
      r.detail = "certificate-expired: " + v.detail;
      break;
    case tls::CertFailure::kNotTrusted:
      r.outcome = TlsOutcome::kCertUntrusted;
      r.detail = "certificate-not-trusted: " + v.detail;
      break;
    case tls::CertFailure::kHostMismatch:
      r.outcome = TlsOutcome::kCertHostMismatch;
      r.detail = "certificate-host-mismatch: " + v.detail;
      break;
    case tls::CertFailure::kValidation:
      // A chain problem (weak key, SHA-1, not a CA): the certificate is
      // not to be trusted; the negotiation itself went well.
      r.outcome = TlsOutcome::kCertUntrusted;
      r.detail = "validation-failure: " + v.detail;
      break;
  }
  Add("*: certificate for " + name + ": " + (v.ok() ? std::string("valid") : r.detail));
  if (!injected.empty()) {
    r.detail += "; " + injected;
  }
  // RFC 3207 §4.2: the client discards what it knew and sends EHLO again.
  keywords_.clear();
  if (!v.ok()) {
    // RFC 3207 §4.1: the caller now decides whether this session is good
    // enough; if it is not, its QUIT is the first command under TLS. The
    // EHLO waits for Send().
    ehlo_pending_ = true;
    r.usable = true;
    return r;
  }
  std::string ehlo;
  if (!Ehlo(ehlo)) {
    r.usable = false;
    r.detail += "; after TLS: " + ehlo;
    return r;
  }
  r.usable = true;
  return r;
}

std::string SmtpSession::Impl::Upgrade(std::string_view sni_in, std::string& sni,
                                       std::string& injected) {
  // RFC 3207 §5: nothing received in plaintext after the 220 is read as
  // SMTP (CVE-2011-0411, response injection).
  const std::string dropped = DrainPlaintext();
  if (!dropped.empty()) {
    discarded_ = dropped.size();
    injected = "discarded " + std::to_string(dropped.size()) +
               " plaintext octets received after the 220 to STARTTLS (RFC 3207 §5): \"" +
               TranscriptText(dropped) + "\"";
    Add("*: " + injected);
  }
  std::string why;
  ctx_ = MakeContext(why);
  if (!ctx_) {
    Close();
    return "TLS context: " + why;
  }
  sni = std::string(sni_in);
  if (!sni.empty() && sni.back() == '.') {
    sni.pop_back();
  }
  try {
    tls_ = std::make_unique<TlsStream>(std::move(*plain_), *ctx_);
  } catch (const std::exception& e) {
    Close();
    return std::string("TLS stream: ") + e.what();
  }
  plain_.reset();
  SSL* s = tls_->native_handle();
  if (!sni.empty() && SSL_set_tlsext_host_name(s, sni.c_str()) != 1) {
    Close();
    return "cannot set SNI " + sni;
  }
  Add("*: TLS handshake, SNI " + (sni.empty() ? std::string("none") : sni));
  const error_code hs = Run(Handshake());
  if (hs) {
    Break("TLS handshake failed: " + ErrorText(hs));
    std::string detail = "TLS handshake failed: " + ErrorText(hs);
    if (!injected.empty()) {
      detail += "; " + injected;
    }
    return detail;
  }
  tls_version_ = SSL_get_version(s);
  tls_cipher_ = SSL_get_cipher_name(s);
  Add("*: TLS " + tls_version_ + " " + tls_cipher_);
  return "";
}

SmtpSession::ProbeReply SmtpSession::Impl::ProbeRead() {
  if (broken_ || closed_) {
    return {};
  }
  const Reply r = Run(ReadReply());
  return {r.code, r.lines};
}

SmtpSession::ProbeReply SmtpSession::Impl::ProbeSend(std::string_view bytes) {
  if (broken_ || closed_) {
    return {};
  }
  Add("C: " + TranscriptText(bytes));
  if (!Run(Write(std::string(bytes)))) {
    return {};
  }
  return ProbeRead();
}

std::string SmtpSession::Impl::ProbeHandshake(std::string_view sni_in) {
  if (broken_ || closed_) {
    return broken_ ? BrokenDetail() : "session closed";
  }
  if (tls_) {
    return "TLS is already active";
  }
  std::string sni;
  std::string injected;
  return Upgrade(sni_in, sni, injected);
}

mtasts::SendResult SmtpSession::Impl::Send(std::string_view from, std::string_view to,
                                           std::string_view message) {
  using mtasts::SendStatus;
  mtasts::SendResult out;
  if (broken_ || closed_) {
    out.detail = broken_ ? BrokenDetail() : "session closed";
    return out;
  }
  if (!greeted_) {
    out.detail = "not greeted (Greet first)";
    return out;
  }
  if (ehlo_pending_) {
    ehlo_pending_ = false;
    std::string why;
    if (!Ehlo(why)) {
      out.detail = "after TLS: " + why;
      return out;
    }
  }
  // RFC 5321 §2.3.8: CR and LF only as CRLF. In an envelope address they
  // would end the command and start another (command injection): refused,
  // with nothing sent.
  for (std::string_view address : {from, to}) {
    if (address.find_first_of("\r\n") != std::string_view::npos) {
      return {SendStatus::kPermFail,
              "not sent: an envelope address contains CR or LF (RFC 5321 §2.3.8): " +
                  TranscriptText(address)};
    }
  }
  // Nullopt when `reply` is the `expected` class; else the result.
  auto judge = [&](std::string_view step, const Reply& reply,
                   int expected) -> std::optional<mtasts::SendResult> {
    if (reply.code == 0) {
      return mtasts::SendResult{SendStatus::kBroken, std::string(step) + ": " + broken_why_};
    }
    if (reply.code / 100 == expected) {
      return std::nullopt;
    }
    mtasts::SendResult f;
    f.detail = std::string(step) + ": " + reply.Text();
    f.status = reply.code / 100 == 4   ? SendStatus::kTempFail
               : reply.code / 100 == 5 ? SendStatus::kPermFail
                                       : SendStatus::kBroken;
    if (f.status != SendStatus::kBroken) {
      // The transaction is over; the session may go on (RFC 5321 §4.1.1.5).
      Run(Command("RSET"));
    } else {
      Break("unexpected reply to " + std::string(step) + ": " + reply.Text());
    }
    return f;
  };
  if (auto f = judge("MAIL FROM", Run(Command("MAIL FROM:<" + std::string(from) + ">")), 2)) {
    return *f;
  }
  if (auto f = judge("RCPT TO", Run(Command("RCPT TO:<" + std::string(to) + ">")), 2)) {
    return *f;
  }
  if (auto f = judge("DATA", Run(Command("DATA")), 3)) {
    return *f;
  }
  const UnixSeconds now = opts_.clock != nullptr ? opts_.clock->Now() : std::time(nullptr);
  ++messages_;
  std::vector<std::string> lines;
  if (message.empty()) {
    lines = {
        "From: <" + std::string(from) + ">",
        "To: <" + std::string(to) + ">",
        "Subject: mxconform test message",
        "Date: " + Rfc5322Date(now),
        "Message-ID: <" + std::to_string(now) + "." + std::to_string(messages_) + "@" +
            opts_.ehlo_name + ">",
        "",
        "A test message from mxconform.",
        ".A line that starts with a dot (RFC 5321 §4.5.2).",
    };
  } else {
    // The caller's lines, ended by CRLF, a bare LF or a bare CR; a last line
    // without an end is one. RFC 5321 §2.3.8: CR and LF go out only as
    // CRLF, so a bare CR ends a line too (and the line after it is
    // dot-stuffed): "\r.\r" can never reach the server, which might take it
    // for the end of the data (SMTP smuggling).
    while (!message.empty()) {
      const std::size_t end = message.find_first_of("\r\n");
      lines.emplace_back(message.substr(0, end));
      if (end == std::string_view::npos) {
        break;
      }
      const bool crlf =
          message[end] == '\r' && end + 1 < message.size() && message[end + 1] == '\n';
      message.remove_prefix(end + (crlf ? 2 : 1));
    }
  }
  std::string data;
  for (const std::string& line : lines) {
    // RFC 5321 §4.5.2: a line that starts with "." gets one more.
    const std::string stuffed = !line.empty() && line.front() == '.' ? "." + line : line;
    Add("C: " + TranscriptText(stuffed));
    data += stuffed + "\r\n";
  }
  Add("C: .");
  data += ".\r\n";
  if (!Run(Write(std::move(data)))) {
    return {SendStatus::kBroken, "message data: " + broken_why_};
  }
  if (auto f = judge("end of data", Run(ReadReply()), 2)) {
    return *f;
  }
  out.status = SendStatus::kAccepted;
  out.detail = "accepted";
  // The last reply is in the transcript; quote it in the detail.
  for (auto it = transcript_.rbegin(); it != transcript_.rend(); ++it) {
    if (it->rfind("S: ", 0) == 0) {
      out.detail = it->substr(3);
      break;
    }
  }
  return out;
}

void SmtpSession::Impl::Quit() {
  if (closed_) {
    return;
  }
  if (!broken_) {
    quitting_ = true;
    Run(QuitDialogue());
  }
  Close();
}

SmtpSession::SmtpSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SmtpSession::~SmtpSession() = default;

bool SmtpSession::Greet(std::string& detail) {
  try {
    return impl_->Greet(detail);
  } catch (...) {
    impl_->Break("internal error");
    detail = "internal error";
    return false;
  }
}

bool SmtpSession::StarttlsOffered() const {
  try {
    return impl_->StarttlsOffered();
  } catch (...) {
    return false;
  }
}

namespace {

// An entry point's body: an exception ends here, the session broken, and
// the caller gets `fallback` (no reply, or the reason).
template <typename Impl, typename R, typename F>
R Guarded(Impl& impl, R fallback, F&& body) {
  try {
    return body();
  } catch (...) {
    impl.Break("internal error");
    return fallback;
  }
}

}  // namespace

mtasts::StartTlsResult SmtpSession::StartTls(std::string_view sni) {
  return Guarded(
      *impl_, mtasts::StartTlsResult{mtasts::TlsOutcome::kHandshakeFailed, false, "internal error"},
      [&] { return impl_->StartTls(sni); });
}

mtasts::SendResult SmtpSession::Send(std::string_view from, std::string_view to,
                                     std::string_view message) {
  return Guarded(*impl_, mtasts::SendResult{mtasts::SendStatus::kBroken, "internal error"},
                 [&] { return impl_->Send(from, to, message); });
}

// The probes, like every other entry point, end an exception here: the
// session is broken, with no reply (code 0) or the reason.
SmtpSession::ProbeReply SmtpSession::ProbeRead() {
  return Guarded(*impl_, ProbeReply{}, [&] { return impl_->ProbeRead(); });
}

SmtpSession::ProbeReply SmtpSession::ProbeSend(std::string_view bytes) {
  return Guarded(*impl_, ProbeReply{}, [&] { return impl_->ProbeSend(bytes); });
}

std::string SmtpSession::ProbeHandshake(std::string_view sni) {
  return Guarded(*impl_, std::string("internal error"), [&] { return impl_->ProbeHandshake(sni); });
}

void SmtpSession::Quit() {
  try {
    impl_->Quit();
  } catch (...) {
    impl_->Break("internal error");
  }
}

const std::vector<std::string>& SmtpSession::transcript() const { return impl_->transcript(); }
const std::vector<std::string>& SmtpSession::ehlo_keywords() const { return impl_->keywords(); }
bool SmtpSession::tls_active() const { return impl_->tls_active(); }
std::string SmtpSession::tls_version() const { return impl_->tls_version(); }
std::string SmtpSession::tls_cipher() const { return impl_->tls_cipher(); }
std::size_t SmtpSession::discarded_after_starttls() const { return impl_->discarded(); }
bool SmtpSession::broken() const { return impl_->broken(); }

SmtpConnector::SmtpConnector(SmtpConnectorOptions opts) : opts_(std::move(opts)) {
  std::map<std::string, std::string> normalized;
  for (auto& [host, address] : opts_.addresses) {
    normalized.emplace(NormalizeHost(host), address);
  }
  opts_.addresses = std::move(normalized);
  std::map<std::pair<std::string, std::string>, std::string> by_address;
  for (auto& [key, endpoint] : opts_.address_endpoints) {
    by_address.emplace(std::pair(NormalizeHost(key.first), key.second), endpoint);
  }
  opts_.address_endpoints = std::move(by_address);
}

SmtpConnector::~SmtpConnector() = default;

std::unique_ptr<mtasts::MxSession> SmtpConnector::Connect(std::string_view mx_host,
                                                          std::string_view address,
                                                          std::string& detail) {
  return ConnectSmtp(mx_host, address, detail);
}

std::unique_ptr<SmtpSession> SmtpConnector::ConnectSmtp(std::string_view mx_host,
                                                        std::string_view address,
                                                        std::string& detail) {
  try {
    const std::string key = NormalizeHost(mx_host);
    const std::string* endpoint = nullptr;
    if (auto it = opts_.address_endpoints.find({key, std::string(address)});
        it != opts_.address_endpoints.end()) {
      endpoint = &it->second;
    } else if (auto host = opts_.addresses.find(key); host != opts_.addresses.end()) {
      endpoint = &host->second;
    }
    if (endpoint == nullptr) {
      detail = "no address for " + std::string(mx_host);
      return nullptr;
    }
    const std::optional<tcp::endpoint> ep = ParseAddress(*endpoint);
    if (!ep) {
      detail = "not an address: " + *endpoint;
      return nullptr;
    }
    auto impl = std::make_unique<SmtpSession::Impl>(opts_, key);
    const std::string err = impl->Connect(*ep);
    if (!err.empty()) {
      detail = "connect " + *endpoint + ": " + err;
      return nullptr;
    }
    return std::unique_ptr<SmtpSession>(new SmtpSession(std::move(impl)));
  } catch (const std::exception& e) {
    detail = std::string("cannot connect: ") + e.what();
    return nullptr;
  }
}

}  // namespace mxconform::net
