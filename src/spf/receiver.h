// What a receiving MTA that checks SPF during the SMTP transaction answers
// to MAIL FROM (RFC 7208 §2.5, §8.4-§8.7; status codes of RFC 3463, or the
// SPF-specific ones RFC 7372 registered). Rejecting at all is local policy
// ("if the checking software chooses to reject"); when it does, §8 says
// which reply to use, and that is what this decides. The reference
// receiver's answer for the SPF-8-* vectors and `mxconform eval spf`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spf/eval.h"

namespace mxconform::spf {

// Which enhanced status codes a receiver uses.
enum class StatusCodes : std::uint8_t {
  kRfc7208,  // 5.7.1 (fail), 4.4.3 (temperror), 5.5.2 (permerror)
  kRfc7372,  // 5.7.23 (fail), 4.7.24 (temperror), 5.7.24 (permerror)
};

// "rfc7208", "rfc7372" (the `status_codes` of the vectors and the CLI).
std::string_view StatusCodesName(StatusCodes c);
std::optional<StatusCodes> ParseStatusCodes(std::string_view name);

struct ReceiverPolicy {
  bool reject_fail = true;       // §8.4: 550
  bool defer_temperror = true;   // §8.6: 451
  bool reject_permerror = true;  // §8.7: 550
  StatusCodes codes = StatusCodes::kRfc7208;
  // CheckAtMail() only: a reverse-path whose domain publishes a null MX
  // (RFC 7505: one MX, exchange ".") cannot receive bounces; refused with
  // 550 5.7.27 (RFC 7505 §4.1, MX-7505-03) before SPF is checked.
  bool reject_null_mx_sender = true;
  // There is no knob to reject softfail: §8.5 (SPF-8-02) says not to reject
  // on softfail alone, and none / neutral must be treated alike (§8.1,
  // §8.2, SPF-8-05), so a receiver without other evidence accepts all three.
};

enum class Disposition : std::uint8_t { kAccept, kReject, kDefer };

std::string_view DispositionName(Disposition d);  // "accept", "reject", "defer"

struct MailReply {
  Disposition disposition = Disposition::kAccept;
  int code = 250;        // 250, 550 or 451
  std::string enhanced;  // "2.1.0", "5.7.1", ...
  // The reply's text lines, without code or enhanced code: printable ASCII,
  // each short enough for a 512-octet reply line (RFC 5321 §4.5.3.1.5).
  std::vector<std::string> lines;
};

// The reply to MAIL FROM given the SPF result of `identity` ("mailfrom" or
// "helo") for the client `ip`. A fail reply carries the domain's §6.2
// explanation when it has one (§8.4), made printable and wrapped.
MailReply ReplyToMail(const EvalResult& r, std::string_view identity, const IpAddress& ip,
                      const ReceiverPolicy& policy = {});

// The null MX check of ReceiverPolicy::reject_null_mx_sender on its own:
// 550 5.7.27 when the reverse-path's domain publishes a null MX (RFC 7505
// §4.1, MX-7505-03), nullopt otherwise (no domain, the check off, or any
// other MX answer).
std::optional<MailReply> NullMxRefusal(std::string_view reverse_path, Resolver& dns,
                                       const ReceiverPolicy& policy = {});

// The reference receiver's check at MAIL FROM (RFC 7208 §2.5, SPF-2.5-01):
// the null MX check of ReceiverPolicy::reject_null_mx_sender, then
// check_host() for the MAIL FROM identity of the client that connected from
// `client`, with `helo` the session's HELO / EHLO argument (the identity
// of a null reverse-path, §2.4, and %{h}), then ReplyToMail(). The mock MX
// calls it through ServerOptions::on_mail.
MailReply CheckAtMail(const IpAddress& client, std::string_view helo, std::string_view reverse_path,
                      Resolver& dns, const ReceiverPolicy& policy = {},
                      const EvalLimits& limits = {});

// The reply as sent on the wire: "550-5.7.1 line\r\n...550 5.7.1 last\r\n";
// without the last CR LF when `final_crlf` is false (what a mock MX hook
// returns, mocks/smtp/dialogue.h).
std::string FormatReply(const MailReply& reply, bool final_crlf = true);

}  // namespace mxconform::spf
