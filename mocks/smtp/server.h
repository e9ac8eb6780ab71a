// The mock SMTP server on the wire: a real ESMTP server (RFC 5321) with
// STARTTLS (RFC 3207) on one loopback port per MX, whose misbehaviours are
// named knobs (ServerOptions). Boost.Asio coroutines, one io_context on one
// thread of its own, so a test or `mxconform lab` starts one server per MX,
// talks to it over loopback and stops it.
//
// Commands: EHLO, HELO, STARTTLS, MAIL, RCPT, DATA (dot-stuffing, the end
// at CRLF.CRLF only, a size cap), RSET, NOOP, QUIT. An unknown command is
// 500, a known one not implemented here (VRFY, EXPN, HELP, ...) 502, one out
// of sequence 503, bad parameters 501; after `max_errors` of 500/501 the
// server says 421 and closes. A command line over 512 octets and a text
// line over 1000 (RFC 5321 §4.5.3.1.4, §4.5.3.1.6; CRLF included) is
// discarded as it comes, so garbage cannot grow memory, and refused.
//
// Hostile peers cannot hold it: every read, write and handshake has a
// deadline, every session one of its own, at most `max_connections` are
// open at once, and Stop() returns within about a second whatever the
// clients do.
//
// Each session leaves a SessionLog (the transcript, TLS details, the
// deliveries) in a bounded, thread-safe log that tests read.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "mocks/pki/pki.h"
#include "mocks/smtp/dialogue.h"

namespace mxconform::mocks::smtp {

// StartTls and TlsVersion, with their names, are in dialogue.h.

// A certificate chain from the scenario's PKI: `leaf` and, if
// `intermediates`, its issuers up to the root (Pki::Chain).
struct ChainSpec {
  std::string leaf;
  bool intermediates = true;
};

struct ServerOptions {
  std::string address = "127.0.0.1";           // IPv4 or IPv6 literal
  std::uint16_t port = 0;                      // 0: an ephemeral port (see Server::port)
  std::string hostname = "mx.mxconform.test";  // in the banner and the EHLO reply

  // ---- knobs ----
  // Starttls (see StartTls) makes the server offer, hide, refuse or break
  // STARTTLS.
  StartTls starttls = StartTls::kOffer;
  // The PKI the chains come from; needed for kOffer and kStripFromEhlo.
  std::shared_ptr<const pki::Pki> pki;
  // Chain_by_sni, if set, makes the server present, for a ClientHello with
  // that SNI (ASCII case-insensitive), that chain instead of the default.
  std::map<std::string, ChainSpec> chain_by_sni;
  // The chain presented without SNI or with an SNI not in chain_by_sni.
  ChainSpec default_chain;
  // Min_version / max_version, if set, make the server negotiate only TLS
  // versions within them (e.g. both kTls1_2: TLS 1.2 only); TLS 1.0 or
  // 1.1 also lowers OpenSSL's security level to 0, which they need.
  TlsVersion min_version = TlsVersion::kAny;
  TlsVersion max_version = TlsVersion::kAny;
  // Weak_key_exchange, if set, makes the server negotiate TLS 1.2 only and
  // sign its key exchange with SHA-1; with an RSA certificate the key
  // exchange is also finite-field DHE over a 1024-bit group (RFC 5114's,
  // 80-bit security), with an ECDSA one (the PKI's default) ECDHE. RFC 9325
  // §4.1 and §4.2 rule both out (ATK-18's class). A client holding to TLS
  // 1.2's modern suites fails the handshake.
  bool weak_key_exchange = false;
  // Inject_after_starttls, if set, makes the server send these plaintext
  // bytes (e.g. "250 ok\r\n") in the same write as its 220 to STARTTLS, a
  // response injection (the CVE-2011-0411 class); the handshake follows.
  std::string inject_after_starttls;
  // Greylist, if set, makes the server answer 451 4.7.1 to RCPT in its
  // first `greylist` mail transactions (counted over all sessions).
  std::uint32_t greylist = 0;
  // Reject_rcpt, if set, makes the server answer 550 5.1.1 to every RCPT.
  bool reject_rcpt = false;
  // Banner_delay_ms, if set, makes the server wait this long after accept
  // before its 220 banner.
  std::uint32_t banner_delay_ms = 0;
  // Starttls_settle_ms, if set, makes the server wait this long after a
  // STARTTLS it accepts, and drop what arrived meanwhile too, before its
  // 220. Without it, only what the client sent by the time the command was
  // read counts as pipelined after STARTTLS (`discarded_after_starttls`),
  // so a client that sends more in a separate write is caught or not by
  // timing; a client that waits for the 220 sends nothing in the pause.
  std::uint32_t starttls_settle_ms = 0;
  // Starttls_under_tls, if set, makes the server list STARTTLS in its reply
  // to an EHLO after the handshake too, which RFC 3207 §4.2 forbids: a
  // client that trusts the list tries STARTTLS inside TLS (TLS-4.2-03).
  // The command itself still gets 503.
  bool starttls_under_tls = false;
  // Require_tls, if set, makes the server answer 530 5.7.0 to every command
  // but NOOP, EHLO, STARTTLS and QUIT until TLS is active, as a server that
  // is not publicly referenced may (RFC 3207 §4, TLS-4-07). Off, the server
  // takes mail without TLS, as a publicly referenced MX must (TLS-4-05).
  bool require_tls = false;
  // Accept_unknown_params, if set, makes the server take MAIL and RCPT
  // parameters of extensions its EHLO reply does not list, as lenient
  // servers do. Off, such a parameter gets 555 5.5.4 (RFC 5321 §4.1.1.11):
  // MAIL takes SIZE=n and BODY=7BIT or 8BITMIME, RCPT takes none, so a
  // client that sends a parameter it was not offered (RFC 5321 §2.2.2) is
  // seen failing.
  bool accept_unknown_params = false;
  // Require_client_certificate, if set, makes the server ask for a client
  // certificate in the TLS handshake (any certificate is accepted) and,
  // when the client sends none, answer 554 5.7.0 to every command but QUIT
  // after the handshake, as RFC 3207 §4.1 says a server that finds the
  // security achieved insufficient should (TLS-4.1-02).
  bool require_client_certificate = false;

  // ---- extension ----
  // On_mail, if set, is asked at each MAIL FROM whose syntax and SIZE are
  // good, with the client's address and HELO name, and answers instead of
  // 250 (see MailHook). It runs on the server's thread and must not block
  // beyond its own deadlines: the reference receiver's SPF check at MAIL
  // (src/spf/receiver.h) plugs in here.
  MailHook on_mail;

  // ---- limits and deadlines ----
  std::size_t max_message_bytes = 1 << 20;  // above: 552 5.3.4 (also SIZE= in MAIL)
  std::size_t max_recipients = 100;         // above: 452 4.5.3 (RFC 5321 §4.5.3.1.8)
  std::uint32_t max_errors = 10;            // 500/501 replies before 421 and close
  std::size_t max_connections = 64;         // more are accepted and closed at once
  std::uint32_t read_timeout_ms = 10000;    // each read (a command, a data line)
  std::uint32_t write_timeout_ms = 5000;
  std::uint32_t handshake_timeout_ms = 5000;
  std::uint32_t session_timeout_ms = 60000;  // the whole connection
  std::size_t max_logged_sessions = 256;     // the log keeps the latest ones
};

// A message whose DATA completed (the final dot read and 250 sent).
struct Delivery {
  std::string mail_from;
  std::vector<std::string> rcpt_to;
  std::size_t size = 0;  // octets, after dot-unstuffing, CRLF line ends
  std::string body;      // the first 64 KiB of it
  std::string channel;   // "tls" or "plaintext"
  // When the final dot was read: orders messages across the mocks of one
  // process (a reporter mailing through two MX hosts).
  std::chrono::steady_clock::time_point received;
};

// One command line the client sent, and whether TLS was active then.
struct ClientCommand {
  std::string line;  // without CR LF, as TranscriptText shows it, cut at 1024 octets
  bool tls = false;
};

// One connection, as the server saw it.
struct SessionLog {
  std::uint64_t id = 0;  // 1, 2, ... in accept order
  std::string peer;      // "127.0.0.1:40000"
  // Every line in ("C: ") and out ("S: "), before and after TLS, and what
  // the server did or noticed ("*: "); lines shown with CR, LF and
  // controls escaped, each cut at 1024 octets, at most 2000 lines.
  std::vector<std::string> transcript;
  // The client's command lines in order (not the message text after
  // DATA), at most 2000: what the runner judges RFC 3207 client rules on.
  std::vector<ClientCommand> commands;
  std::string channel = "plaintext";  // "tls" once a handshake completed
  bool starttls_accepted = false;     // a 220 to STARTTLS was sent
  std::string tls_version;            // "TLSv1.3"; "" without TLS
  std::string tls_cipher;
  bool client_certificate = false;  // the client sent a certificate in the handshake
  std::string sni;                  // as the ClientHello had it; "" when none
  // The leaf name of the chain presented ("" when the handshake did not
  // get that far), and whether its intermediates went with it. The mock
  // cannot know whether the client verified it; the runner judges.
  std::string certificate;
  bool certificate_intermediates = false;
  std::string tls_error;                     // why the handshake failed
  std::size_t discarded_after_starttls = 0;  // plaintext octets pipelined after STARTTLS
  std::string injected;                      // what inject_after_starttls sent
  bool data_completed = false;               // at least one message delivered
  // The first kMaxLoggedDeliveries messages delivered in the session; the
  // count of the rest. A client may deliver for as long as the session
  // lasts, each message keeping up to kMaxKeptBody octets.
  std::vector<Delivery> deliveries;
  std::size_t deliveries_not_logged = 0;
  // How it ended: "quit", "client closed", "timeout", "too many errors",
  // "handshake failed", "abort-handshake", "garbage-after-220",
  // "write failed", "read failed", "stopped".
  std::string end;
  bool finished = false;
};

inline constexpr std::size_t kMaxLoggedDeliveries = 16;

struct ServerStats {
  std::uint64_t connections = 0;  // accepted in total (refused ones too)
  std::uint64_t open = 0;         // open now
  std::uint64_t refused = 0;      // closed at once: over max_connections
  std::uint64_t timeouts = 0;     // sessions ended by a deadline
  std::uint64_t handshakes = 0;   // TLS handshakes completed
  std::uint64_t handshake_failures = 0;
  std::uint64_t deliveries = 0;  // messages whose DATA completed
  std::uint64_t finished = 0;    // sessions finished
};

class Server {
 public:
  // Binds and starts serving on a thread of its own. Errors:
  // `mocks.smtp.address` (not an IP literal), `mocks.smtp.bind` (the OS
  // said no; detail says why), `mocks.smtp.tls` (a knob needs a
  // certificate and there is no PKI or no such leaf, min above max, or
  // OpenSSL refused the chain; detail says which).
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& opts);
  ~Server();  // Stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  std::string address() const;   // as given
  std::string endpoint() const;  // "127.0.0.1:PORT" or "[::1]:PORT"
  const ServerOptions& options() const;
  ServerStats stats() const;
  // The latest sessions (at most max_logged_sessions), oldest first, those
  // still running included; a copy.
  std::vector<SessionLog> Sessions() const;
  // Waits until `count` sessions have finished since Start; false on
  // timeout.
  bool WaitForSessions(std::size_t count, std::chrono::milliseconds timeout) const;
  // Closes the listener and every connection and joins the thread; if that
  // has not finished within a second, stops the io_context regardless.
  // Idempotent; never hangs on a client.
  void Stop();

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mxconform::mocks::smtp
