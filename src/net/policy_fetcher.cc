#include "net/policy_fetcher.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <charconv>
#include <exception>
#include <optional>
#include <utility>
#include <vector>

namespace mxconform::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;
using mtasts::FetchFailure;
using mtasts::FetchResponse;
using Clock = std::chrono::steady_clock;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// A policy host's response header is small; Beast's default is 8 KiB.
constexpr std::uint32_t kMaxHeader = 16 * 1024;
// Chunk-size lines (with their extensions) and other framing held at once.
constexpr std::uint32_t kMaxFraming = 4096;
// 1xx responses skipped before the final one.
constexpr int kMaxInterim = 4;

// Lower case, one trailing dot dropped.
std::string NormalizeHost(std::string_view host) {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  std::string out(host);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// "127.0.0.1:8443" or "[::1]:8443".
std::optional<tcp::endpoint> ParseAddress(std::string_view text) {
  std::string_view ip;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find("]:");
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    ip = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    ip = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  error_code bad;
  const asio::ip::address address = asio::ip::make_address(std::string(ip), bad);
  if (bad) {
    return std::nullopt;
  }
  return tcp::endpoint(address, static_cast<std::uint16_t>(value));
}

FetchResponse Fail(FetchFailure f, std::string detail) {
  FetchResponse r;
  r.failure = f;
  r.detail = std::move(detail);
  return r;
}

// What one exchange sends: a GET (the policy fetch) or a POST (a report).
struct Outgoing {
  http::verb method = http::verb::get;
  std::string host;
  std::string path;
  std::string content_type;  // POST only
  std::string body;          // POST only
  bool verify_certificate = true;
};

// One exchange, as a coroutine on the caller's private io_context.
class Exchange {
 public:
  Exchange(const HttpsFetcherOptions& opts, Outgoing out, tcp::endpoint endpoint)
      : opts_(opts),
        out_(std::move(out)),
        host_(out_.host),
        endpoint_(endpoint),
        deadline_(Clock::now() + opts.total_timeout) {}

  // Connects, checks the chain, sends `request` and reads the answer, in
  // the calling thread. Never throws.
  static FetchResponse Send(const HttpsFetcherOptions& opts, Outgoing request);

  asio::awaitable<FetchResponse> Run(ssl::context& ctx);

 private:
  Clock::time_point Until(std::chrono::milliseconds phase) const {
    return std::min(Clock::now() + phase, deadline_);
  }
  // A deadline ended the operation: Beast's timeout, or an error that
  // came after the deadline (the socket it closed, seen by the TLS layer).
  bool TimedOut(const error_code& ec, Clock::time_point phase_end) const {
    return ec == beast::error::timeout || Clock::now() >= phase_end;
  }

  const HttpsFetcherOptions& opts_;
  const Outgoing out_;
  const std::string& host_;
  const tcp::endpoint endpoint_;
  const Clock::time_point deadline_;
};

asio::awaitable<FetchResponse> Exchange::Run(ssl::context& ctx) {
  beast::ssl_stream<beast::tcp_stream> stream(co_await asio::this_coro::executor, ctx);
  beast::tcp_stream& tcp = stream.next_layer();
  const std::string where = host_ + " (" + endpoint_.address().to_string() + " port " +
                            std::to_string(endpoint_.port()) + ")";

  const Clock::time_point connect_end = Until(opts_.connect_timeout);
  tcp.expires_at(connect_end);
  if (auto [ec] = co_await tcp.async_connect(endpoint_, kUseTuple); ec) {
    co_return TimedOut(ec, connect_end)
        ? Fail(FetchFailure::kTimeout, "connect to " + where + ": timed out")
        : Fail(FetchFailure::kNetwork, "connect to " + where + ": " + ec.message());
  }

  // SNI = the policy host (RFC 8461 §3.3: the certificate is checked for it).
  if (SSL_set_tlsext_host_name(stream.native_handle(), host_.c_str()) != 1) {
    co_return Fail(FetchFailure::kTlsHandshake, "cannot send SNI " + host_);
  }
  const Clock::time_point handshake_end = Until(opts_.handshake_timeout);
  tcp.expires_at(handshake_end);
  if (auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, kUseTuple); ec) {
    co_return TimedOut(ec, handshake_end)
        ? Fail(FetchFailure::kTimeout, "TLS handshake with " + where + ": timed out")
        : Fail(FetchFailure::kTlsHandshake, "TLS handshake with " + where + ": " + ec.message());
  }

  // RFC 8461 §3.3 (STS-3.3-01, -02): PKIX to the trust store and the DNS-ID
  // mta-sts.<domain>, at the scenario's time; before any request is sent.
  // A report POST may go on regardless (RFC 8460 §3, RPT-3-10).
  std::string ignored_failure;
  {
    std::vector<X509*> chain;
    // On the client side OpenSSL's chain starts with the peer's own
    // certificate.
    if (STACK_OF(X509)* sk = SSL_get_peer_cert_chain(stream.native_handle()); sk != nullptr) {
      for (int i = 0; i < sk_X509_num(sk); ++i) {
        chain.push_back(sk_X509_value(sk, i));
      }
    }
    std::string failure;
    if (opts_.trust == nullptr) {
      failure = "certificate-not-trusted: no trust store configured";
    } else {
      tls::VerifyOptions verify = opts_.verify;
      verify.time = opts_.clock != nullptr ? opts_.clock->Now() : 0;
      const tls::VerifyResult v = tls::Verify(chain, *opts_.trust, host_, verify);
      if (!v.ok()) {
        failure = std::string(tls::CertFailureResultType(v.failure)) + ": " + v.detail;
      }
    }
    if (!failure.empty() && out_.verify_certificate) {
      co_return Fail(FetchFailure::kCertificateInvalid, std::move(failure));
    }
    ignored_failure = std::move(failure);
  }

  // The request and the response share what is left of the whole fetch.
  http::request<http::string_body> req{out_.method, out_.path, 11};
  req.set(http::field::host, host_);
  req.set(http::field::user_agent, "mxconform");
  req.set(http::field::connection, "close");
  if (out_.method == http::verb::post) {
    req.set(http::field::content_type, out_.content_type);
    req.body() = out_.body;
    req.prepare_payload();
  }
  tcp.expires_at(deadline_);
  if (auto [ec, n] = co_await http::async_write(stream, req, kUseTuple); ec) {
    co_return TimedOut(ec, deadline_)
        ? Fail(FetchFailure::kTimeout, "sending the request to " + where + ": timed out")
        : Fail(FetchFailure::kNetwork, "sending the request to " + where + ": " + ec.message());
  }

  // The parser bounds the header and the body, not what lies between
  // (a chunk-size line with an endless extension): the buffer's own limit.
  beast::flat_buffer buffer(kMaxHeader + opts_.max_body + kMaxFraming);
  std::optional<http::response_parser<http::string_body>> parsing;
  error_code ec;
  // RFC 9110 §15.2: a client MUST be able to parse 1xx responses before the
  // final one (103 Early Hints, a 100 Continue nobody asked for); they are
  // skipped, a few at most.
  for (int interim = 0;; ++interim) {
    parsing.emplace();
    parsing->header_limit(kMaxHeader);
    // RFC 8461 §3.3 (STS-3.3-09): a Content-Length above the cap fails at
    // the header, a chunked or close-delimited body as soon as it passes it.
    parsing->body_limit(opts_.max_body);
    auto [read_ec, n] = co_await http::async_read(stream, buffer, *parsing, kUseTuple);
    ec = read_ec;
    const unsigned status = parsing->is_header_done() ? parsing->get().result_int() : 0;
    if (ec || status < 100 || status > 199 || status == 101 || interim == kMaxInterim) {
      break;
    }
  }
  http::response_parser<http::string_body>& parser = *parsing;
  // A body delimited by the end of the connection (RFC 9112 §6.3) that ends
  // without TLS close_notify may have been cut by anyone on the path (a
  // forged FIN): RFC 9112 §8 counts it incomplete, and a cut policy (a
  // shorter max_age, fewer mx lines) is no policy. stream_truncated is
  // therefore a network failure, never a short body.
  if (ec == ssl::error::stream_truncated) {
    co_return Fail(FetchFailure::kNetwork,
                   "reading the response from " + where +
                       ": the connection ended without TLS close_notify, so the response may "
                       "be cut (RFC 9112 §8)");
  }
  if (ec == http::error::buffer_overflow) {
    co_return Fail(FetchFailure::kTooLarge, "response framing (a chunk line) above " +
                                                std::to_string(kMaxFraming) + " bytes");
  }
  if (ec == http::error::body_limit) {
    std::string detail = "body above " + std::to_string(opts_.max_body) + " bytes";
    if (parser.content_length()) {
      detail += " (Content-Length " + std::to_string(*parser.content_length()) + ")";
    }
    co_return Fail(FetchFailure::kTooLarge, std::move(detail));
  }
  if (ec) {
    co_return TimedOut(ec, deadline_)
        ? Fail(FetchFailure::kTimeout, "reading the response from " + where + ": timed out")
        : Fail(FetchFailure::kNetwork, "reading the response from " + where + ": " + ec.message());
  }

  http::response<http::string_body> res = parser.release();
  FetchResponse out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(res[http::field::content_type]);
  out.location = std::string(res[http::field::location]);
  out.body = std::move(res.body());
  if (!ignored_failure.empty()) {
    out.detail = "certificate error ignored: " + ignored_failure;
  }
  // Connection: close; no close_notify round trip is waited for.
  error_code ignored;
  tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp.close();
  co_return out;
}

FetchResponse Exchange::Send(const HttpsFetcherOptions& opts, Outgoing request) {
  try {
    const std::string host = NormalizeHost(request.host);
    request.host = host;
    const auto it = opts.addresses.find(host);
    if (it == opts.addresses.end()) {
      return Fail(FetchFailure::kNetwork, "no address for " + host);
    }
    const std::optional<tcp::endpoint> endpoint = ParseAddress(it->second);
    if (!endpoint) {
      return Fail(FetchFailure::kNetwork, "no address for " + host + ": cannot read \"" +
                                              it->second + "\" (want IP:PORT or [IPv6]:PORT)");
    }
    ssl::context ctx(ssl::context::tls_client);
    // The chain is checked by tls::Verify after the handshake, at the
    // scenario's time, not by OpenSSL during it at the system time.
    ctx.set_verify_mode(ssl::verify_none);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);

    asio::io_context io{1};
    Exchange exchange(opts, std::move(request), *endpoint);
    FetchResponse out = Fail(FetchFailure::kNetwork, "the exchange did not finish");
    asio::co_spawn(io, exchange.Run(ctx), [&out](std::exception_ptr e, FetchResponse r) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          out = Fail(FetchFailure::kNetwork, std::string("internal error: ") + x.what());
        } catch (...) {
          out = Fail(FetchFailure::kNetwork, "internal error");
        }
        return;
      }
      out = std::move(r);
    });
    io.run();
    return out;
  } catch (const std::exception& e) {
    // Out of memory, or an OpenSSL context that could not be made.
    return Fail(FetchFailure::kNetwork, std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail(FetchFailure::kNetwork, "internal error");
  }
}

}  // namespace

HttpsPolicyFetcher::HttpsPolicyFetcher(HttpsFetcherOptions opts) : opts_(std::move(opts)) {
  std::map<std::string, std::string> addresses;
  for (auto& [host, address] : opts_.addresses) {
    addresses[NormalizeHost(host)] = std::move(address);
  }
  opts_.addresses = std::move(addresses);
}

FetchResponse HttpsPolicyFetcher::Fetch(std::string_view host, std::string_view path) {
  Outgoing out;
  out.host = std::string(host);
  out.path = std::string(path);
  return Exchange::Send(opts_, std::move(out));
}

FetchResponse HttpsPolicyFetcher::Post(const HttpsPostRequest& request) {
  Outgoing out;
  out.method = http::verb::post;
  out.host = request.host;
  out.path = request.path;
  out.content_type = request.content_type;
  out.body = request.body;
  out.verify_certificate = request.verify_certificate;
  return Exchange::Send(opts_, std::move(out));
}

}  // namespace mxconform::net
