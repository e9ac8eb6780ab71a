// Fuzz target: what the mock MX reads from a client (mocks/smtp/dialogue.h),
// driven the way server.cc drives it: bytes arrive in chunks, LineBuffer
// makes lines (512 octets for commands, 1000 in the message text), each
// command line gets Dialogue::Command, DATA switches to MessageReader up to
// the final ".", STARTTLS drains what was pipelined and (as if the
// handshake worked) makes the dialogue forget the session, and 10 errors or
// QUIT end it.
//
// Input: byte 0 sets the knobs (bits 0-2 the starttls mode, bit 3
// reject_rcpt, bits 4-5 greylist 0-3, bit 6 small limits: 2 recipients,
// 64-octet messages, bit 7 starttls_under_tls); byte 1 seeds the chunk
// sizes (1-64 octets), its bit 7 sets require_tls, its bit 4
// accept_unknown_params, its bit 5 makes the
// server refuse everything but QUIT after STARTTLS (no client certificate
// under require_client_certificate), and its bit 6 a MAIL
// FROM hook that answers as the reference receiver does (src/spf/
// receiver.h) for a result chosen by the path's length, with the path as
// the domain's explanation; the rest is what the client sends.
//
// Asserts, for any input:
//  - the buffer never holds a line's cap or more after asking for more
//    (an overlong line is dropped as it arrives);
//  - every reply is one or more lines "DDD-text" ... "DDD text" with one
//    code, 2xx-5xx, no CR, LF or other control byte inside, each at most
//    510 octets (512 with its CR LF, RFC 5321 §4.5.3.1.5); only STARTTLS's
//    go-ahead has no reply (the server writes its 220 itself);
//  - 354 only with a MAIL and at least one RCPT; a 250 "queued" only for a
//    message neither too big nor with an overlong line; MAIL and RCPT
//    state consistent (no recipients without MAIL, at most
//    max_recipients); at most `greylist` transactions greylisted;
//  - the kept message body is at most 64 KiB and no more than its size;
//  - an EHLO reply under TLS lists STARTTLS only with starttls_under_tls,
//    and STARTTLS under TLS is never accepted;
//  - with require_tls, no mail transaction starts before TLS (MAIL never
//    gets a 250 there);
//  - a MAIL the hook refuses starts no transaction, and its replies, made
//    from the client's bytes, keep the reply format above;
//  - once the server refuses for lack of security, every command but QUIT
//    gets 554 and no session state changes;
//  - without accept_unknown_params, a MAIL that gets a 2xx carries no
//    parameter but SIZE and BODY, and an RCPT that gets one none at all
//    (RFC 5321 §4.1.1.11: the others get 555).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "mocks/smtp/dialogue.h"
#include "spf/receiver.h"

namespace {

namespace smtp = mxconform::mocks::smtp;

constexpr std::uint32_t kMaxErrors = 10;  // ServerOptions::max_errors

bool Digit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

// True if `line` starts with `verb` (lower case) and a space, in any case.
bool IsVerb(std::string_view line, std::string_view verb) {
  if (line.size() <= verb.size() || line[verb.size()] != ' ') {
    return false;
  }
  for (std::size_t i = 0; i < verb.size(); ++i) {
    if (Lower(line[i]) != verb[i]) {
      return false;
    }
  }
  return true;
}

// The keywords of the parameters after the path's '>' (none without one).
std::vector<std::string> ParamKeywords(std::string_view line) {
  std::vector<std::string> out;
  const std::size_t close = line.find('>');
  if (close == std::string_view::npos) {
    return out;
  }
  std::string_view rest = line.substr(close + 1);
  while (!rest.empty()) {
    const std::size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(start);
    const std::size_t end = std::min(rest.find(' '), rest.size());
    std::string keyword(rest.substr(0, std::min(rest.find('='), end)));
    std::transform(keyword.begin(), keyword.end(), keyword.begin(), Lower);
    out.push_back(std::move(keyword));
    rest.remove_prefix(end);
  }
  return out;
}

void CheckReply(const smtp::Action& a) {
  if (a.next == smtp::Next::kStartTls) {
    FUZZ_CHECK(a.reply.empty());
    return;
  }
  FUZZ_CHECK(!a.reply.empty());
  std::string_view rest = a.reply;
  const std::string_view code = rest.substr(0, 3);
  while (true) {
    const std::size_t end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    FUZZ_CHECK(line.size() >= 4 && line.size() <= 510);
    FUZZ_CHECK(Digit(line[0]) && Digit(line[1]) && Digit(line[2]));
    FUZZ_CHECK(line[0] >= '2' && line[0] <= '5');
    FUZZ_CHECK(line.substr(0, 3) == code);
    FUZZ_CHECK(line[3] == (end == std::string_view::npos ? ' ' : '-'));
    for (char c : line) {
      const auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u >= 0x20 && u < 0x7f);  // US-ASCII text (RFC 5321 §2.4, §4.2)
    }
    if (end == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(end + 2);
  }
  // 500 and 501 count toward max_errors, nothing else does.
  FUZZ_CHECK(a.error == (code == "500" || code == "501"));
}

void CheckState(const smtp::SessionState& st, const smtp::DialogueOptions& o) {
  if (!st.mail) {
    FUZZ_CHECK(st.rcpts.empty() && st.from.empty());
  }
  FUZZ_CHECK(st.rcpts.size() <= o.max_recipients);
  if (st.mail) {
    FUZZ_CHECK(st.greeted);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mxconform::fuzz::SetInput(std::string_view(reinterpret_cast<const char*>(data), size));
  if (size < 2) {
    return 0;
  }
  smtp::DialogueOptions o;
  o.starttls = static_cast<smtp::StartTls>(data[0] % 7);
  o.reject_rcpt = (data[0] & 8) != 0;
  o.greylist = (data[0] >> 4) & 3;
  if ((data[0] & 64) != 0) {
    o.max_recipients = 2;
    o.max_message_bytes = 64;
  }
  o.starttls_under_tls = (data[0] & 128) != 0;
  o.require_tls = (data[1] & 128) != 0;
  o.accept_unknown_params = (data[1] & 16) != 0;
  const bool refuse_after_tls = (data[1] & 32) != 0;
  if ((data[1] & 64) != 0) {
    o.on_mail = [](const smtp::MailContext& m) {
      mxconform::spf::EvalResult r;
      r.result = static_cast<mxconform::spf::SpfResult>(m.reverse_path.size() % 7);
      r.domain = std::string(m.helo);
      r.explanation = std::string(m.reverse_path);
      const auto ip = mxconform::spf::IpAddress::V4(192, 0, 2, 1);
      return mxconform::spf::FormatReply(mxconform::spf::ReplyToMail(r, "mailfrom", ip),
                                         /*final_crlf=*/false);
    };
  }
  std::uint32_t seed = data[1];
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);

  std::uint64_t greylisted = 0;
  smtp::Dialogue d(o, greylisted);
  smtp::LineBuffer buf;
  std::optional<smtp::MessageReader> message;
  bool tls = false;
  std::uint32_t errors = 0;
  std::uint64_t queued = 0;
  std::size_t pos = 0;
  bool ended = false;
  while (!ended) {
    std::string line;
    bool crlf = false;
    const std::size_t cap = message ? smtp::kMaxWireTextLine : smtp::kMaxCommandLine;
    const smtp::LineBuffer::Status got = buf.Next(cap, line, crlf);
    if (got == smtp::LineBuffer::Status::kNeedMore) {
      FUZZ_CHECK(buf.size() < cap);
      if (pos == in.size()) {
        break;  // the client is gone
      }
      seed = seed * 1103515245u + 12345u;
      const std::size_t chunk = 1 + (seed >> 16) % 64;
      buf.Append(in.substr(pos, chunk));
      pos += std::min(chunk, in.size() - pos);
      continue;
    }
    FUZZ_CHECK(line.size() < cap && line.find('\n') == std::string::npos);
    if (message) {
      if (got == smtp::LineBuffer::Status::kTooLong) {
        message->TooLong(crlf);
        continue;
      }
      if (!message->Line(line, crlf)) {
        FUZZ_CHECK(message->body().size() <= smtp::kMaxKeptBody);
        continue;
      }
      FUZZ_CHECK(message->body().size() <= message->size());
      const bool deliverable = !message->too_long() && !message->too_big();
      FUZZ_CHECK(!deliverable || message->size() <= o.max_message_bytes);
      const std::string id = deliverable ? "MXC" + std::to_string(++queued) : std::string();
      const smtp::Action a = d.MessageDone(*message, id);
      CheckReply(a);
      FUZZ_CHECK((a.reply.rfind("250 ", 0) == 0) == deliverable);
      FUZZ_CHECK(!d.state().mail);
      message.reset();
      errors += a.error ? 1 : 0;
      ended = errors >= kMaxErrors;
      continue;
    }
    const bool was_mail = d.state().mail;
    smtp::Action a;
    if (got == smtp::LineBuffer::Status::kTooLong) {
      a = smtp::Action{"500 5.5.2 Line too long", true, smtp::Next::kContinue, {}};
    } else {
      a = d.Command(line, tls);
    }
    CheckReply(a);
    CheckState(d.state(), o);
    if (d.refusing() && got != smtp::LineBuffer::Status::kTooLong) {
      // RFC 3207 §4.1: 554 to all but QUIT, and nothing starts.
      FUZZ_CHECK(a.reply.rfind("554 5.7.0 ", 0) == 0 || a.reply.rfind("221 ", 0) == 0);
      FUZZ_CHECK(!d.state().greeted && !d.state().mail);
    }
    if (!was_mail && line.size() >= 5 && (line[0] | 0x20) == 'm' && (line[1] | 0x20) == 'a' &&
        (line[2] | 0x20) == 'i' && (line[3] | 0x20) == 'l' && line[4] == ' ') {
      // A transaction starts exactly when MAIL gets a 2xx.
      FUZZ_CHECK(d.state().mail == (!a.reply.empty() && a.reply[0] == '2'));
    }
    if (!o.accept_unknown_params && !a.reply.empty() && a.reply[0] == '2') {
      if (IsVerb(line, "mail")) {
        for (const std::string& k : ParamKeywords(line)) {
          FUZZ_CHECK_MSG(k == "size" || k == "body", k);
        }
      } else if (IsVerb(line, "rcpt")) {
        FUZZ_CHECK(ParamKeywords(line).empty());
      }
    }
    FUZZ_CHECK(greylisted <= o.greylist);
    if (o.require_tls && !tls) {
      FUZZ_CHECK(!d.state().mail);
    }
    if (tls && a.reply.rfind("250-", 0) == 0) {  // a multi-line reply: EHLO's
      // RFC 3207 §4.2: no STARTTLS after the handshake unless the knob.
      FUZZ_CHECK((a.reply.find("\r\n250 STARTTLS") != std::string::npos) ==
                 (o.starttls_under_tls && o.starttls != smtp::StartTls::kAbsent &&
                  o.starttls != smtp::StartTls::kStripFromEhlo));
    }
    errors += a.error ? 1 : 0;
    if (errors >= kMaxErrors) {
      break;
    }
    switch (a.next) {
      case smtp::Next::kContinue:
        break;
      case smtp::Next::kData:
        FUZZ_CHECK(a.reply.rfind("354 ", 0) == 0);
        FUZZ_CHECK(d.state().mail && !d.state().rcpts.empty());
        message.emplace(o.max_message_bytes);
        break;
      case smtp::Next::kStartTls:
        FUZZ_CHECK(!tls && d.state().ehlo);
        FUZZ_CHECK(o.starttls != smtp::StartTls::kAbsent &&
                   o.starttls != smtp::StartTls::kReply454 &&
                   o.starttls != smtp::StartTls::kReply502);
        if (o.starttls == smtp::StartTls::kAbortHandshake ||
            o.starttls == smtp::StartTls::kGarbageAfter220) {
          ended = true;  // the server breaks the handshake and closes
          break;
        }
        // RFC 3207 §5: what was pipelined is dropped, not read as SMTP.
        buf.Take();
        FUZZ_CHECK(buf.size() == 0);
        tls = true;
        d.ForgetBeforeTls();
        FUZZ_CHECK(!d.state().greeted && !d.state().mail);
        if (refuse_after_tls) {
          d.RefuseForLackOfSecurity();  // require_client_certificate, none sent
        }
        break;
      case smtp::Next::kQuit:
        FUZZ_CHECK(a.reply.rfind("221 ", 0) == 0);
        ended = true;
        break;
    }
  }
  return 0;
}
