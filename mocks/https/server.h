// The mock MTA-STS policy host: HTTPS (HTTP/1.1 over TLS, Boost.Beast over
// asio::ssl) on one address and port (port 0: ephemeral, reported), one
// io_context on a thread of its own, so a test or a wire run starts it,
// fetches from it over loopback and stops it.
//
// What it serves is scripted per host (the SNI name picks the certificate,
// the Host header picks the rules) and per path; every misbehaviour a
// scenario needs is a named knob (Response, HostConfig, ServerOptions),
// each documented where it is declared. It is exhaustive (Deckard): a host
// or path the config does not list answers 404 and is logged as
// `unscripted`, so a scenario can fail on a request it did not expect.
//
// One request per connection: every response says `Connection: close`
// (an MTA-STS fetch is a single GET). Hostile or slow peers cannot hold it:
// the handshake, the request read and every write have a deadline, at most
// `max_connections` are open at once (more are accepted and closed at
// once), and Stop() closes whatever is open, stalled or trickling
// connections included.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "mocks/pki/pki.h"

namespace mxconform::mocks::https {

// The body size the `oversized` knob is meant to be used with: above the
// 64 KiB cap RFC 8461 §3.3 suggests (STS-3.3-09).
inline constexpr std::size_t kOversizedBytes = 70000;

struct Header {
  std::string name;
  std::string value;
};

// One scripted answer to a request for a path.
struct Response {
  int status = 200;
  // Sent as given, in order (Content-Type with its parameters, Location,
  // Cache-Control, ...). The server adds `Connection: close` and the
  // framing (Content-Length, or Transfer-Encoding: chunked) unless these
  // headers already carry Content-Length or Transfer-Encoding, which a
  // scenario may then get wrong on purpose. A 1xx, 204 or 304 status has
  // no content: neither framing nor `body` is sent unless these headers
  // frame it.
  std::vector<Header> headers;
  std::string body;
  // chunked, if set, makes the server send the body with Transfer-Encoding:
  // chunked (RFC 9112 §7.1) in chunks of at most 1024 bytes (or
  // `trickle_bytes` when trickling) instead of a Content-Length.
  bool chunked = false;

  // ---- knobs ----
  // redirect, if not empty, makes the server answer with a Location header
  // of this value and status 301 (or `status`, when that is already a 3xx).
  std::string redirect;
  // content_type, if set, makes the server send this Content-Type instead of
  // any in `headers` (an empty value: no Content-Type header at all).
  std::optional<std::string> content_type;
  // oversized, if not 0, makes the server send a body of exactly this many
  // bytes (use kOversizedBytes): `body` (a valid policy), then padding lines
  // `x-padding-N: xxx…` up to the size. The policy grammar (RFC 8461 §3.2)
  // has no comments; extension fields are what a parser must skip, so the
  // body is valid except for its size. A `body` longer than the size is
  // cut to it.
  std::size_t oversized = 0;
  // trickle_ms, if not 0, makes the server send the body (after the headers)
  // in pieces of `trickle_bytes` with this delay before each piece.
  std::uint32_t trickle_ms = 0;
  std::size_t trickle_bytes = 8;
  // stall, if set, makes the server read the request and never answer: the
  // connection stays open until the client closes it, `stall_hold_ms`
  // passes or the server stops.
  bool stall = false;
  // reset, if set, makes the server send the headers and the first half of
  // the (encoded) body, then close the TCP connection abruptly (SO_LINGER
  // 0: a RST, no TLS close_notify).
  bool reset = false;
  // close_delimited, if set, makes the server send no Content-Length and no
  // chunked framing, `chunked` notwithstanding: the body ends with the
  // connection (RFC 9112 §6.3).
  bool close_delimited = false;
  // no_close_notify, if set, makes the server end the connection after the
  // response with a TCP FIN and no TLS close_notify: what a forged FIN makes
  // of it. A close-delimited body then cannot be told from a cut one (RFC
  // 9112 §8).
  bool no_close_notify = false;
  // chunk_extension_bytes, if not 0, makes the first chunk-size line of a
  // chunked body carry a chunk extension (";x=xxx…") of this many bytes
  // (finite; a client's buffer limit meets it): framing no body or header
  // limit counts.
  std::size_t chunk_extension_bytes = 0;
  // interim, if not empty, makes the server send these 1xx responses (100,
  // 103, ...; header only) before the response (RFC 9110 §15.2).
  std::vector<int> interim;

  // A 200 with Content-Type: text/plain and `body`.
  static Response Text(std::string body);
};

// How a TLS handshake is made to fail.
enum class HandshakeFailure : std::uint8_t {
  kNone,
  // kAlert, if set, makes the server answer the ClientHello with a fatal
  // handshake_failure alert (40) and close.
  kAlert,
  // kClose, if set, makes the server close the TCP connection right after
  // the ClientHello, without an alert.
  kClose,
};

// One virtual host, by name (the SNI the client sends, the Host header it
// asks for).
struct HostConfig {
  // The leaf (a name in Config::pki) presented to a client that sends this
  // SNI; with `intermediates` false, the leaf alone (the "missing
  // intermediate" knob: intermediates, if false, makes the server send its
  // leaf without the intermediates a client needs to build a path).
  std::string certificate;
  bool intermediates = true;
  // handshake_failure, if not kNone, makes the server fail the handshake of
  // every client sending this SNI (see HandshakeFailure). Per SNI because
  // the SNI is known in OpenSSL's servername callback, before the server
  // says anything.
  HandshakeFailure handshake_failure = HandshakeFailure::kNone;
  // Rules by request path (the target up to any '?', compared exactly).
  std::map<std::string, Response> paths;
};

struct Config {
  // The PKI the certificates come from; required unless plain_http.
  std::shared_ptr<const pki::Pki> pki;
  // By host name, ASCII case-insensitive (stored lower case by Start).
  std::map<std::string, HostConfig> hosts;
  // A host in `hosts` whose certificate is presented for an unknown SNI or
  // none; empty: such a handshake is refused with an unrecognized_name
  // alert (112) and logged. Requests are still routed by their Host header
  // (an unknown one is unscripted).
  std::string default_host;
};

struct ServerOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  std::uint16_t port = 0;             // 0: an ephemeral port (see Server::port)
  // plain_http, if set, makes the server speak HTTP/1.1 in clear on its
  // port, no TLS at all (a ClientHello is read as a malformed request and
  // answered 400 in clear, as a plain web server would). Per server: without
  // TLS there is no SNI to tell hosts apart before answering.
  bool plain_http = false;
  // handshake_failure, if not kNone, makes the server fail every handshake,
  // whatever the SNI (it overrides HostConfig::handshake_failure).
  HandshakeFailure handshake_failure = HandshakeFailure::kNone;
  std::size_t max_connections = 64;
  std::uint32_t handshake_timeout_ms = 5000;
  std::uint32_t request_timeout_ms = 5000;  // a complete request after the handshake
  std::uint32_t write_timeout_ms = 5000;    // per write (each trickled piece has its own)
  std::uint32_t stall_hold_ms = 60000;      // the longest a stalled connection is kept
  std::size_t max_log = 10000;              // the log keeps the last entries
  // A request body above this (a TLS-RPT report POSTed to an https rua,
  // RFC 8460 §3) is answered 413 and logged as "too-large" (detail:
  // Beast's "body limit exceeded"). RFC 8460 sets no size; a day's gzip
  // report is a few KiB.
  std::size_t max_request_body = 1024 * 1024;
  // The request bodies the log holds, together, stay under this: older
  // entries lose theirs first (LogEntry::body_dropped).
  std::size_t max_logged_body_bytes = 16 * 1024 * 1024;
};

// One request, or one connection that never got to a request.
struct LogEntry {
  std::chrono::system_clock::time_point time;
  std::string peer;    // "127.0.0.1:40000"
  std::string sni;     // as sent; empty: none (or plain_http)
  std::string host;    // the Host header (without any port); empty: none
  std::string method;  // empty when no request was read
  std::string target;
  // The request's Content-Type and body as received: what a TLS-RPT
  // submitter POSTed (RFC 8460 §3, RPT-3-09), empty for a GET.
  std::string content_type;
  std::string body;
  bool body_dropped = false;  // the body went to keep the log's body budget
  // Which rule answered: "<host> <path>", "unscripted" (404); or what
  // ended the connection first: "unknown-sni" (no host for the SNI, no
  // default), "handshake_failure" (the knob), "handshake" (the client's
  // handshake failed), "timeout" (a handshake or request deadline),
  // "bad-request" (not HTTP: answered 400), "too-large" (a body over
  // max_request_body: answered 413), "no-request" (closed before a
  // request).
  std::string rule;
  // The status sent ("200", "404"), or "stalled", "reset", "handshake
  // failed", "no request".
  std::string outcome;
  std::string detail;  // why, for failures (OpenSSL's or Beast's message)
};

struct ServerStats {
  std::uint64_t connections = 0;  // accepted in total (refused ones too)
  std::uint64_t open = 0;         // open now
  std::uint64_t refused = 0;      // closed at once: over max_connections
  std::uint64_t timeouts = 0;     // closed by a handshake, read or write deadline
  std::uint64_t handshake_failures = 0;
  std::uint64_t requests = 0;
  std::uint64_t unscripted = 0;  // requests answered 404 because no rule matched
};

class Server {
 public:
  // Checks the config, builds one TLS context per host, binds and starts
  // serving on a thread of its own. Errors: `mocks.https.address` (not an
  // IP literal), `mocks.https.config` (no PKI without plain_http, a host
  // whose certificate the PKI does not have, a default_host not in hosts;
  // detail names it), `mocks.https.tls` (OpenSSL refused a context or a
  // certificate; detail: its error), `mocks.https.bind` (the OS said no).
  static Result<std::unique_ptr<Server>> Start(Config config, const ServerOptions& opts);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::string address() const;  // as given
  ServerStats stats() const;
  // A copy of the log, oldest first.
  std::vector<LogEntry> Log() const;
  // Closes the listener and every connection (stalled and trickling ones
  // included), cancels every timer and joins the thread; if that has not
  // finished within a second, stops the io_context regardless. Idempotent;
  // never hangs.
  void Stop();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxconform::mocks::https
