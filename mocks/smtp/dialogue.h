// The mock MX's SMTP dialogue without a transport (RFC 5321 §4.1, §4.5.2,
// §4.5.3.1; RFC 3207): how the bytes a client sends become lines, the reply
// to each command line and the session state it changes, and how the
// message text after DATA is read; and the names of the session's TLS
// knobs, which scenarios spell. server.cc feeds it what it reads off the
// socket and writes what it returns; fuzz/smtp_dialogue_fuzzer.cc feeds it
// arbitrary bytes. No I/O and no Boost here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxconform::mocks::smtp {

// What the server does about STARTTLS.
enum class StartTls : std::uint8_t {
  // Offer, if set, makes the server advertise STARTTLS in EHLO and
  // negotiate TLS after its 220 (the well-behaved default).
  kOffer,
  // Absent, if set, makes the server leave STARTTLS out of EHLO and refuse
  // the command with 502, as a server without TLS does.
  kAbsent,
  // Strip-from-ehlo, if set, makes the server leave STARTTLS out of EHLO,
  // as a MITM that strips it would, while the command still works.
  kStripFromEhlo,
  // Reply-454, if set, makes the server advertise STARTTLS and answer the
  // command with 454 4.7.0 (TLS not available for a temporary reason).
  kReply454,
  // Reply-502, if set, makes the server advertise STARTTLS and answer the
  // command with 502 5.5.1 (not implemented).
  kReply502,
  // Abort-handshake, if set, makes the server answer 220, read the
  // ClientHello, send a fatal handshake_failure alert and close.
  kAbortHandshake,
  // Garbage-after-220, if set, makes the server answer 220, read the
  // ClientHello, and send bytes that are not TLS, then close.
  kGarbageAfter220,
};
// "offer", "absent", "strip-from-ehlo", "reply-454", "reply-502",
// "abort-handshake", "garbage-after-220".
std::string_view StartTlsName(StartTls s);
std::optional<StartTls> ParseStartTls(std::string_view name);

// A TLS protocol version bound; kAny keeps OpenSSL's (and the system
// configuration's, TLS 1.2 at least on Debian) bound.
enum class TlsVersion : std::uint8_t { kAny, kTls1_0, kTls1_1, kTls1_2, kTls1_3 };
// "any", "tls1.0", "tls1.1", "tls1.2", "tls1.3" (a scenario's tls_max).
std::string_view TlsVersionName(TlsVersion v);
std::optional<TlsVersion> ParseTlsVersion(std::string_view name);

// RFC 5321 §4.5.3.1.4 and §4.5.3.1.6, CRLF included.
inline constexpr std::size_t kMaxCommandLine = 512;
inline constexpr std::size_t kMaxTextLine = 1000;
// A text line on the wire: "not counting the leading dot duplicated for
// transparency" (§4.5.3.1.6), so one more; MessageReader checks the rest.
inline constexpr std::size_t kMaxWireTextLine = kMaxTextLine + 1;
// Octets of a delivered message kept (MessageReader::body).
inline constexpr std::size_t kMaxKeptBody = 64 * 1024;

// Lines out of a byte stream, in bounded memory: a line longer than the cap
// is dropped as its bytes arrive, so the buffer never holds more than the
// cap plus the bytes appended last, and is then reported once as too long.
class LineBuffer {
 public:
  enum class Status : std::uint8_t { kLine, kTooLong, kNeedMore };

  void Append(std::string_view bytes) { in_.append(bytes); }
  // The next line of at most `cap` octets, its LF included, in `line`
  // without its CR LF; `crlf` says whether it ended in CR LF or in a bare
  // LF. kNeedMore: no whole line yet (Append more).
  Status Next(std::size_t cap, std::string& line, bool& crlf);
  // Everything buffered, which is then empty (what a client pipelined
  // after STARTTLS, RFC 3207 §5).
  std::string Take();
  std::size_t size() const { return in_.size(); }

 private:
  std::string in_;
  bool overlong_ = false;  // the line being read is over the cap
};

// The message text after DATA's 354, one line at a time (RFC 5321
// §4.1.1.4, §4.5.2): "." ends it only at the start of a line (after a CR
// LF) and with a CR LF of its own, so a "." after a bare LF is data (no
// SMTP smuggling); one leading dot is removed at the start of a line.
class MessageReader {
 public:
  explicit MessageReader(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  // A line as LineBuffer::Next gives it (cap kMaxWireTextLine); true if it
  // was the final ".". Over kMaxTextLine once unstuffed: as TooLong().
  bool Line(std::string_view line, bool crlf);
  // A line over kMaxTextLine, dropped (LineBuffer::Status::kTooLong).
  void TooLong(bool crlf);

  std::size_t size() const { return size_; }  // octets, unstuffed, CRLF ends
  std::size_t lines() const { return lines_; }
  bool too_big() const { return too_big_; }    // over max_bytes
  bool too_long() const { return too_long_; }  // a line was over kMaxTextLine
  // The first kMaxKeptBody octets, unless too big.
  const std::string& body() const { return body_; }
  std::string TakeBody() { return std::move(body_); }

 private:
  std::size_t max_bytes_;
  std::size_t size_ = 0;
  std::size_t lines_ = 0;
  bool too_big_ = false;
  bool too_long_ = false;
  bool prev_crlf_ = true;  // the next line starts a line
  std::string body_;
};

// What a MAIL FROM hook is told (DialogueOptions::on_mail).
struct MailContext {
  std::string_view client;        // the connecting address, "127.0.0.2" or "::1"
  std::string_view helo;          // the last HELO / EHLO argument of the session
  std::string_view reverse_path;  // MAIL FROM's path without <>; "" for the null path
  bool tls = false;               // TLS is active
};

// A MAIL FROM hook: the reply to send instead of 250 (lines joined by CR
// LF, no final CR LF), or "" to accept as usual. A reply that is not 2xx
// starts no mail transaction.
using MailHook = std::function<std::string(const MailContext&)>;

// The dialogue knobs and limits (a subset of ServerOptions).
struct DialogueOptions {
  std::string hostname = "mx.mxconform.test";
  StartTls starttls = StartTls::kOffer;
  std::uint32_t greylist = 0;          // transactions answered 451 at RCPT, over all sessions
  bool reject_rcpt = false;            // 550 to every RCPT
  bool starttls_under_tls = false;     // STARTTLS listed after the handshake too
  bool require_tls = false;            // 530 to all but NOOP, EHLO, STARTTLS, QUIT before TLS
  bool accept_unknown_params = false;  // 250 to MAIL / RCPT parameters of unlisted extensions
  std::size_t max_message_bytes = 1 << 20;
  std::size_t max_recipients = 100;
  MailHook on_mail;  // asked at MAIL FROM once its syntax and SIZE are good
};

// What comes after a reply.
enum class Next : std::uint8_t { kContinue, kStartTls, kData, kQuit };

// The server's answer to a command: the reply (none when empty; lines
// joined by CR LF, without the final one), whether it counts toward
// max_errors (500 and 501), what comes next, and a note for the
// transcript ("*: ").
struct Action {
  std::string reply;
  bool error = false;
  Next next = Next::kContinue;
  std::string note;
};

// The SMTP state of one session (RFC 5321 §4.1.4).
struct SessionState {
  bool greeted = false;  // HELO or EHLO
  bool ehlo = false;
  bool mail = false;
  bool greylisted = false;  // this transaction
  bool grey_decided = false;
  std::string helo;  // the last HELO / EHLO argument (kept across transactions)
  std::string from;
  std::vector<std::string> rcpts;
  // A new mail transaction: RSET, EHLO, HELO, the end of DATA.
  void ResetTransaction();
};

class Dialogue {
 public:
  // `greylisted` counts the transactions greylisted so far over all
  // sessions (the greylist knob); it must outlive the dialogue.
  Dialogue(const DialogueOptions& opts, std::uint64_t& greylisted)
      : opts_(opts), greylisted_(greylisted) {}

  // The reply to one command line (without its CR LF) and the state it
  // changes; `tls` says whether TLS is active on the session.
  Action Command(std::string_view line, bool tls);
  // The reply to a message whose final "." was read, and a new
  // transaction. `queued_id` names the message in the 250.
  Action MessageDone(const MessageReader& m, std::string_view queued_id);

  // RFC 3207 §4.2: after the TLS handshake the server forgets what the
  // client said before it (the greeting too).
  void ForgetBeforeTls() { st_ = SessionState{}; }

  // RFC 3207 §4.1 (TLS-4.1-02): the server found the security achieved by
  // the handshake insufficient (require_client_certificate and no client
  // certificate); from now on every command but QUIT gets 554.
  void RefuseForLackOfSecurity() { refuse_ = true; }
  bool refusing() const { return refuse_; }

  // The connecting client's address, for the MAIL FROM hook.
  void SetClient(std::string address) { client_ = std::move(address); }

  const SessionState& state() const { return st_; }

 private:
  const DialogueOptions& opts_;
  std::uint64_t& greylisted_;
  SessionState st_;
  std::string client_;
  bool refuse_ = false;
};

}  // namespace mxconform::mocks::smtp
