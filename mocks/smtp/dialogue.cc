#include "mocks/smtp/dialogue.h"

#include <algorithm>
#include <array>

#include "common/text.h"
#include "net/smtp_text.h"

namespace mxconform::mocks::smtp {
namespace {

constexpr std::array<std::string_view, 7> kStartTlsNames = {
    "offer",     "absent",          "strip-from-ehlo",   "reply-454",
    "reply-502", "abort-handshake", "garbage-after-220",
};

constexpr std::array<std::string_view, 5> kTlsVersionNames = {"any", "tls1.0", "tls1.1", "tls1.2",
                                                              "tls1.3"};

char UpperChar(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = UpperChar(c);
  }
  return out;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return text::EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

// What a reply repeats of the client's words (the EHLO name, a path): at
// most kMaxEcho octets, control bytes and DEL as '?', so that a reply line
// stays within RFC 5321's 512 octets (§4.5.3.1.5) and a client's CR or
// NUL never comes back to it inside a reply (the smtp_dialogue_fuzzer
// found both).
constexpr std::size_t kMaxEcho = 64;
std::string Echo(std::string_view s) {
  std::string out(s.substr(0, kMaxEcho));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {  // textstring is HT and %d32-126 (§4.2)
      c = '?';
    }
  }
  if (s.size() > kMaxEcho) {
    out += "...";
  }
  return out;
}

Action Reply(std::string text) { return Action{std::move(text), false, Next::kContinue, {}}; }
Action Error(std::string text) { return Action{std::move(text), true, Next::kContinue, {}}; }

// The parameters after MAIL's or RCPT's path (RFC 5321 §4.1.2: esmtp-param
// *(SP esmtp-param), esmtp-keyword ["=" esmtp-value]) against the
// extensions the EHLO reply lists: MAIL takes SIZE=n (RFC 1870) and
// BODY=7BIT or 8BITMIME (RFC 6152), RCPT takes none. The reply for the
// first one that does not fit: 501 for a bad SIZE or BODY value, 555 for
// a keyword of no listed extension (§4.1.1.11); "" if all fit.
std::string ParamProblem(std::string_view params, bool mail) {
  std::size_t i = 0;
  while (i < params.size()) {
    if (params[i] == ' ') {
      ++i;
      continue;
    }
    const std::size_t end = std::min(params.find(' ', i), params.size());
    const std::string_view param = params.substr(i, end - i);
    i = end;
    const std::size_t eq = param.find('=');
    const std::string_view keyword = param.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    if (mail && text::EqualsIgnoreCase(keyword, "SIZE")) {
      if (value.empty() ||
          !std::all_of(value.begin(), value.end(), [](char c) { return text::IsDigit(c); })) {
        return "501 5.5.4 Bad SIZE parameter";
      }
    } else if (mail && text::EqualsIgnoreCase(keyword, "BODY")) {
      if (!text::EqualsIgnoreCase(value, "7BIT") && !text::EqualsIgnoreCase(value, "8BITMIME")) {
        return "501 5.5.4 Bad BODY parameter";
      }
    } else {
      return "555 5.5.4 Unsupported option: " + Echo(keyword);
    }
  }
  return {};
}

}  // namespace

std::string_view StartTlsName(StartTls s) { return kStartTlsNames[static_cast<std::size_t>(s)]; }

std::optional<StartTls> ParseStartTls(std::string_view name) {
  for (std::size_t i = 0; i < kStartTlsNames.size(); ++i) {
    if (kStartTlsNames[i] == name) {
      return static_cast<StartTls>(i);
    }
  }
  return std::nullopt;
}

std::string_view TlsVersionName(TlsVersion v) {
  return kTlsVersionNames[static_cast<std::size_t>(v)];
}

std::optional<TlsVersion> ParseTlsVersion(std::string_view name) {
  for (std::size_t i = 0; i < kTlsVersionNames.size(); ++i) {
    if (kTlsVersionNames[i] == name) {
      return static_cast<TlsVersion>(i);
    }
  }
  return std::nullopt;
}

LineBuffer::Status LineBuffer::Next(std::size_t cap, std::string& line, bool& crlf) {
  const std::size_t lf = in_.find('\n');
  if (lf != std::string::npos) {
    if (overlong_ || lf + 1 > cap) {
      crlf = lf > 0 && in_[lf - 1] == '\r';
      in_.erase(0, lf + 1);
      overlong_ = false;
      return Status::kTooLong;
    }
    line.assign(in_, 0, lf);
    crlf = !line.empty() && line.back() == '\r';
    if (crlf) {
      line.pop_back();
    }
    in_.erase(0, lf + 1);
    return Status::kLine;
  }
  if (in_.size() >= cap) {
    // Already longer than allowed: what comes up to the LF is dropped as
    // it arrives. The last octet stays: a CR there makes the line's end a
    // CR LF.
    overlong_ = true;
    in_.erase(0, in_.size() - 1);
  }
  return Status::kNeedMore;
}

std::string LineBuffer::Take() {
  std::string out = std::move(in_);
  in_.clear();
  overlong_ = false;
  return out;
}

bool MessageReader::Line(std::string_view line, bool crlf) {
  if (line == "." && crlf && prev_crlf_) {
    return true;
  }
  const bool line_start = prev_crlf_;
  prev_crlf_ = crlf;
  ++lines_;
  const std::string_view text =
      line_start && !line.empty() && line.front() == '.' ? line.substr(1) : line;
  if (text.size() + 2 > kMaxTextLine) {
    --lines_;
    TooLong(crlf);
    return false;
  }
  size_ += text.size() + (crlf ? 2 : 1);
  if (size_ > max_bytes_) {
    too_big_ = true;
  }
  if (!too_big_ && body_.size() < kMaxKeptBody) {
    body_.append(text);
    body_ += crlf ? "\r\n" : "\n";
    if (body_.size() > kMaxKeptBody) {
      body_.resize(kMaxKeptBody);
    }
  }
  return false;
}

void MessageReader::TooLong(bool crlf) {
  too_long_ = true;
  prev_crlf_ = crlf;
}

void SessionState::ResetTransaction() {
  mail = false;
  greylisted = false;
  grey_decided = false;
  from.clear();
  rcpts.clear();
}

Action Dialogue::Command(std::string_view line, bool tls) {
  const std::size_t space = line.find(' ');
  const std::string verb = Upper(line.substr(0, space));
  const std::string_view arg =
      space == std::string_view::npos ? std::string_view() : line.substr(space + 1);

  // RFC 3207 §4.1 (TLS-4.1-02): security found insufficient after the
  // handshake; only QUIT is still served.
  if (refuse_ && verb != "QUIT") {
    return Reply("554 5.7.0 Command refused due to lack of security");
  }
  // RFC 3207 §4 (TLS-4-07): a server that requires TLS answers 530 to
  // every command other than NOOP, EHLO, STARTTLS and QUIT until TLS is
  // active (5.7.0 with ENHANCEDSTATUSCODES, which this server lists).
  if (opts_.require_tls && !tls && verb != "NOOP" && verb != "EHLO" && verb != "STARTTLS" &&
      verb != "QUIT") {
    return Reply("530 5.7.0 Must issue a STARTTLS command first");
  }
  if (verb == "EHLO" || verb == "HELO") {
    if (arg.empty()) {
      return Error("501 5.5.4 Syntax: " + verb + " hostname");
    }
    // RFC 5321 §4.1.4: EHLO or HELO resets the transaction.
    st_.ResetTransaction();
    st_.greeted = true;
    st_.ehlo = verb == "EHLO";
    st_.helo = std::string(arg);
    if (verb == "HELO") {
      return Reply("250 " + opts_.hostname);
    }
    std::vector<std::string> lines = {
        opts_.hostname + " greets " + Echo(arg),
        "SIZE " + std::to_string(opts_.max_message_bytes),
        "8BITMIME",
        "ENHANCEDSTATUSCODES",
    };
    // RFC 3207 §4.2: not after the handshake, unless a knob says so.
    if ((!tls || opts_.starttls_under_tls) && opts_.starttls != StartTls::kAbsent &&
        opts_.starttls != StartTls::kStripFromEhlo) {
      lines.emplace_back("STARTTLS");
    }
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      text +=
          (i == 0 ? "" : "\r\n") + std::string(i + 1 == lines.size() ? "250 " : "250-") + lines[i];
    }
    return Reply(std::move(text));
  }
  if (verb == "STARTTLS") {
    if (tls) {
      return Reply("503 5.5.1 Error: TLS already active");
    }
    switch (opts_.starttls) {
      case StartTls::kAbsent:
      case StartTls::kReply502:
        return Reply("502 5.5.1 Error: command not implemented");
      case StartTls::kReply454:
        return Reply("454 4.7.0 TLS not available due to temporary reason");
      default:
        break;
    }
    if (!arg.empty()) {
      // RFC 3207 §4: STARTTLS takes no parameters.
      return Error("501 5.5.4 Syntax: STARTTLS");
    }
    if (!st_.ehlo) {
      return Reply("503 5.5.1 Error: send EHLO first");
    }
    return Action{"", false, Next::kStartTls, {}};
  }
  if (verb == "MAIL") {
    if (!st_.greeted) {
      return Reply("503 5.5.1 Error: send HELO/EHLO first");
    }
    if (st_.mail) {
      return Reply("503 5.5.1 Error: nested MAIL command");
    }
    const std::optional<net::PathArgument> from =
        StartsWithNoCase(arg, "FROM:") ? net::ParsePathArgument(arg.substr(5)) : std::nullopt;
    if (!from) {
      return Error("501 5.5.4 Syntax: MAIL FROM:<address>");
    }
    if (!opts_.accept_unknown_params) {
      if (std::string problem = ParamProblem(from->params, true); !problem.empty()) {
        return problem[2] == '1' ? Error(std::move(problem)) : Reply(std::move(problem));
      }
    }
    const long long size = net::SizeParameter(from->params);
    if (size < 0) {
      return Error("501 5.5.4 Bad SIZE parameter");
    }
    if (static_cast<unsigned long long>(size) > opts_.max_message_bytes) {
      return Reply("552 5.3.4 Message size exceeds fixed limit");
    }
    std::string reply = "250 2.1.0 Ok";
    if (opts_.on_mail) {
      std::string decided = opts_.on_mail(MailContext{client_, st_.helo, from->path, tls});
      if (!decided.empty()) {
        reply = std::move(decided);
      }
      if (reply[0] != '2') {
        Action a = Reply(std::move(reply));
        a.note = "MAIL FROM refused by the receiver's check; no transaction";
        return a;
      }
    }
    st_.mail = true;
    st_.from = from->path;
    return Reply(std::move(reply));
  }
  if (verb == "RCPT") {
    if (!st_.mail) {
      return Reply("503 5.5.1 Error: need MAIL command");
    }
    const std::optional<net::PathArgument> to =
        StartsWithNoCase(arg, "TO:") ? net::ParsePathArgument(arg.substr(3)) : std::nullopt;
    if (!to || to->path.empty()) {
      return Error("501 5.5.4 Syntax: RCPT TO:<address>");
    }
    if (!opts_.accept_unknown_params) {
      if (std::string problem = ParamProblem(to->params, false); !problem.empty()) {
        return Reply(std::move(problem));
      }
    }
    const std::string& path = to->path;
    const std::string shown = Echo(path);
    if (st_.rcpts.size() >= opts_.max_recipients) {
      return Reply("452 4.5.3 Error: too many recipients");
    }
    std::string note;
    if (!st_.grey_decided) {
      st_.grey_decided = true;
      if (greylisted_ < opts_.greylist) {
        ++greylisted_;
        st_.greylisted = true;
        note = "greylisting this transaction (" + std::to_string(greylisted_) + " of " +
               std::to_string(opts_.greylist) + ")";
      }
    }
    if (st_.greylisted) {
      Action a = Reply("451 4.7.1 <" + shown + ">: Recipient address rejected: Greylisted");
      a.note = std::move(note);
      return a;
    }
    if (opts_.reject_rcpt) {
      return Reply("550 5.1.1 <" + shown + ">: Recipient address rejected");
    }
    st_.rcpts.push_back(path);
    return Reply("250 2.1.5 Ok");
  }
  if (verb == "DATA") {
    if (!arg.empty()) {
      return Error("501 5.5.4 Syntax: DATA");
    }
    if (!st_.mail) {
      return Reply("503 5.5.1 Error: need MAIL command");
    }
    if (st_.rcpts.empty()) {
      return Reply("503 5.5.1 Error: need RCPT command");
    }
    return Action{"354 End data with <CR><LF>.<CR><LF>", false, Next::kData, {}};
  }
  if (verb == "RSET") {
    if (!arg.empty()) {
      return Error("501 5.5.4 Syntax: RSET");
    }
    st_.ResetTransaction();
    return Reply("250 2.0.0 Ok");
  }
  if (verb == "NOOP") {
    return Reply("250 2.0.0 Ok");
  }
  if (verb == "QUIT") {
    return Action{"221 2.0.0 Bye", false, Next::kQuit, {}};
  }
  static constexpr std::array<std::string_view, 11> kNotImplemented = {
      "VRFY", "EXPN", "HELP", "TURN", "ETRN", "BDAT", "AUTH", "ATRN", "SEND", "SOML", "SAML"};
  if (std::find(kNotImplemented.begin(), kNotImplemented.end(), verb) != kNotImplemented.end()) {
    return Reply("502 5.5.1 Error: command not implemented");
  }
  return Error("500 5.5.2 Error: command not recognized");
}

Action Dialogue::MessageDone(const MessageReader& m, std::string_view queued_id) {
  Action a;
  if (m.too_long()) {
    a = Error("500 5.5.2 Error: a message line over 1000 octets (RFC 5321 section 4.5.3.1.6)");
  } else if (m.too_big()) {
    a = Reply("552 5.3.4 Message size exceeds fixed limit");
  } else {
    a = Reply("250 2.0.0 Ok: queued as " + std::string(queued_id));
  }
  st_.ResetTransaction();
  return a;
}

}  // namespace mxconform::mocks::smtp
