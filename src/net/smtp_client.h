// The wire MxConnector: an SMTP client (RFC 5321) with STARTTLS (RFC 3207)
// that implements mtasts::MxConnector / MxSession for the reference sender
// on the wire. Each session owns a private io_context and runs every step
// synchronously, each read, write and handshake with a deadline and the
// whole session within a deadline of its own; no call throws.
//
// What it does that a lazy client would not:
//  - after the 220 to STARTTLS it reads nothing more in plaintext: bytes
//    that came with or after that reply (a response injection, the
//    CVE-2011-0411 class) are discarded and reported (RFC 3207 §5);
//  - the handshake never fails on the certificate: the peer chain is
//    verified afterwards with tls::Verify for the MX name at the clock's
//    time, so an unverified session can go on (opportunistic TLS) while the
//    outcome says why it is not verified (RFC 8461 §4.2).
//
// TlsOutcome of StartTls (see StartTls for `usable`):
//   reply to STARTTLS not 220             -> kStarttlsRefused (plaintext goes on)
//   connection lost, handshake failed     -> kHandshakeFailed
//   tls::CertFailure::kNone               -> kOk
//   kExpired, "certificate has expired"   -> kCertExpired
//   kExpired, "certificate is not yet valid" -> kCertNotYetValid
//   kNotTrusted                           -> kCertUntrusted
//   kHostMismatch                         -> kCertHostMismatch
//   kValidation (weak key, SHA-1, a bad chain, no chain) -> kCertUntrusted,
//     with "validation-failure: " before the detail: a chain problem, not a
//     failed negotiation (the TLS-RPT type then is certificate-not-trusted).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "mtasts/sender.h"
#include "tls/verify.h"

namespace mxconform::net {

// A TLS protocol version bound; kAny leaves OpenSSL's (and the system
// configuration's) bound as it is.
enum class TlsVersion : std::uint8_t { kAny, kTls1_0, kTls1_1, kTls1_2, kTls1_3 };
std::string_view TlsVersionName(TlsVersion v);  // "any", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"

struct SmtpConnectorOptions {
  // MX host -> "127.0.0.1:PORT" or "[::1]:PORT". Host names are compared
  // ASCII case-insensitively, one trailing dot ignored.
  std::map<std::string, std::string> addresses;
  // (HOST, ADDRESS) (an exchange and one of its DNS addresses) -> where to
  // connect instead of `addresses`' entry for HOST: one address of a
  // multihomed exchange that behaves unlike the others (a closed port).
  // Host names compare as in `addresses`.
  std::map<std::pair<std::string, std::string>, std::string> address_endpoints;
  // The sender's trusted roots; null: every chain is kCertUntrusted.
  std::shared_ptr<const tls::TrustStore> trust;
  // The verification time; must outlive the connector and its sessions.
  // Null: the system clock.
  const Clock* clock = nullptr;
  // How chains are verified (allow_cn, security_level); `time` is replaced
  // by the clock's time at each handshake.
  tls::VerifyOptions verify;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds io_timeout{5000};  // each read of a reply, each write
  std::chrono::milliseconds handshake_timeout{5000};
  // From Connect to the last byte: every deadline is capped by what is left.
  std::chrono::milliseconds session_timeout{30000};
  std::string ehlo_name = "sender.mxconform.invalid";
  // RFC 8461 §7.2: TLS 1.2 or later. From TLS 1.2 on, the TLS 1.2 key
  // exchange is ECDHE with an AEAD cipher and signed with SHA-2 or better
  // (RFC 9325); kAny, 1.0 or 1.1 keep OpenSSL's full lists (tests of old
  // versions).
  TlsVersion min_version = TlsVersion::kTls1_2;
  TlsVersion max_version = TlsVersion::kAny;
};

// One SMTP session. Once broken (a timeout, a reset, a reply that is not
// SMTP) every later call fails at once and says why.
class SmtpSession final : public mtasts::MxSession {
 public:
  ~SmtpSession() override;  // closes the connection without QUIT
  SmtpSession(const SmtpSession&) = delete;
  SmtpSession& operator=(const SmtpSession&) = delete;

  // Reads the banner (220, else false) and sends EHLO; a 4xx or 5xx reply
  // to EHLO falls back to HELO (RFC 5321 §3.2). False, with `detail`, when
  // the server refused or the dialogue broke.
  bool Greet(std::string& detail) override;
  bool StarttlsOffered() const override;
  // STARTTLS, the handshake with SNI `sni` (none when empty; one trailing
  // dot dropped), the verification of the peer's chain for `sni`, then
  // EHLO again. `usable`: true when the session goes on over TLS, whatever
  // the certificate; false after kHandshakeFailed (the connection is
  // closed) and after kStarttlsRefused, where the session stays usable in
  // plaintext (the caller decides whether to send without TLS). The EHLO
  // over TLS follows at once only for kOk (an EHLO that fails then makes
  // `usable` false, the outcome kept); after a certificate failure it
  // waits for Send() (a failure there is Send's kBroken), so that a caller
  // who gives up on the MX sends QUIT first (RFC 3207 §4.1). Either way
  // what the EHLO before TLS listed is forgotten (RFC 3207 §4.2).
  mtasts::StartTlsResult StartTls(std::string_view sni) override;
  // MAIL FROM, RCPT TO, DATA and `message` (its lines end in CRLF, LF or a
  // bare CR; each goes out with CRLF and dot-stuffed, RFC 5321 §2.3.8,
  // §4.5.2), or a small generated test message when it is empty. An
  // envelope address with CR or LF is kPermFail with nothing sent (command
  // injection). kAccepted only for a 2xx
  // after the final dot; a 4xx at any step is kTempFail, a 5xx kPermFail,
  // anything else kBroken. The detail names the step and quotes the reply.
  mtasts::SendResult Send(std::string_view from, std::string_view to,
                          std::string_view message) override;
  // QUIT, a TLS close_notify when over TLS, and the close; never fails.
  void Quit() override;

  // ---- probing a server (the smtp-server cases; the sender never calls
  // these). Each read, write and handshake keeps the deadlines above.
  // One reply: its code, 0 when none came (the session broke: broken()
  // and the transcript say why), and its text lines.
  struct ProbeReply {
    int code = 0;
    std::vector<std::string> lines;
  };
  // Reads the next reply (after ConnectSmtp, the banner).
  ProbeReply ProbeRead();
  // Writes `bytes` as given, CR LF included (several commands in one write
  // are pipelined), then reads one reply.
  ProbeReply ProbeSend(std::string_view bytes);
  // The TLS handshake now, after the server's 220 to STARTTLS, with SNI
  // `sni`; no EHLO after it and no certificate check. Plaintext received
  // before it is dropped (RFC 3207 §5). "" when TLS is up, else why not.
  std::string ProbeHandshake(std::string_view sni);

  // Every line out ("C: "), in ("S: ") and what the client saw or did
  // ("*: "), before and after TLS.
  const std::vector<std::string>& transcript() const;
  // The EHLO reply's lines after the greeting, as sent ("STARTTLS",
  // "SIZE 10240000"); the latest EHLO's (after TLS, the second one's).
  const std::vector<std::string>& ehlo_keywords() const;
  bool tls_active() const;
  std::string tls_version() const;  // "TLSv1.3"; "" without TLS
  std::string tls_cipher() const;   // OpenSSL's name; "" without TLS
  // Plaintext bytes received after the 220 to STARTTLS and discarded.
  std::size_t discarded_after_starttls() const;
  bool broken() const;

  class Impl;

 private:
  friend class SmtpConnector;
  explicit SmtpSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class SmtpConnector final : public mtasts::MxConnector {
 public:
  explicit SmtpConnector(SmtpConnectorOptions opts);
  ~SmtpConnector() override;

  // Connects to where `mx_host` at `address` maps to (address_endpoints,
  // else addresses). Null, with `detail`, when the host is not in the map
  // ("no address for HOST"), the endpoint does not parse, or the TCP
  // connection fails or times out.
  std::unique_ptr<mtasts::MxSession> Connect(std::string_view mx_host, std::string_view address,
                                             std::string& detail) override;
  // The same, with the concrete type (transcript, TLS details).
  std::unique_ptr<SmtpSession> ConnectSmtp(std::string_view mx_host, std::string_view address,
                                           std::string& detail);

  const SmtpConnectorOptions& options() const { return opts_; }

 private:
  SmtpConnectorOptions opts_;
};

}  // namespace mxconform::net
