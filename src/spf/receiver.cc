#include "spf/receiver.h"

#include <utility>

namespace mxconform::spf {
namespace {

// Text of one reply line at most this long: with "550-5.7.24 " and CRLF a
// line stays well inside the 512 octets of RFC 5321 §4.5.3.1.5.
constexpr std::size_t kLineText = 400;

std::string Printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) {
      c = '?';
    }
  }
  return out;
}

// `text` split into lines of at most kLineText bytes, at a space when there
// is one in the second half of the line.
void AppendWrapped(std::string_view text, std::vector<std::string>& lines) {
  while (text.size() > kLineText) {
    std::size_t cut = text.rfind(' ', kLineText);
    if (cut == std::string_view::npos || cut < kLineText / 2) {
      cut = kLineText;
    }
    lines.push_back(Printable(text.substr(0, cut)));
    text.remove_prefix(cut);
    while (!text.empty() && text.front() == ' ') {
      text.remove_prefix(1);
    }
  }
  if (!text.empty()) {
    lines.push_back(Printable(text));
  }
}

std::string_view IdentityLabel(std::string_view identity) {
  return identity == "helo" ? "HELO" : "MAIL FROM";
}

// A refusal: `text` made printable and wrapped into its lines.
MailReply Refusal(Disposition d, int code, std::string enhanced, std::string_view text) {
  MailReply reply;
  reply.disposition = d;
  reply.code = code;
  reply.enhanced = std::move(enhanced);
  AppendWrapped(text, reply.lines);
  return reply;
}

}  // namespace

std::string_view StatusCodesName(StatusCodes c) {
  return c == StatusCodes::kRfc7372 ? "rfc7372" : "rfc7208";
}

std::optional<StatusCodes> ParseStatusCodes(std::string_view name) {
  if (name == "rfc7208") {
    return StatusCodes::kRfc7208;
  }
  if (name == "rfc7372") {
    return StatusCodes::kRfc7372;
  }
  return std::nullopt;
}

std::string_view DispositionName(Disposition d) {
  switch (d) {
    case Disposition::kAccept:
      return "accept";
    case Disposition::kReject:
      return "reject";
    case Disposition::kDefer:
      return "defer";
  }
  return "accept";
}

MailReply ReplyToMail(const EvalResult& r, std::string_view identity, const IpAddress& ip,
                      const ReceiverPolicy& policy) {
  const bool rfc7372 = policy.codes == StatusCodes::kRfc7372;
  const std::string check = "SPF " + std::string(IdentityLabel(identity)) + " check";
  // Every line goes through AppendWrapped(): printable, and wrapped to fit
  // a reply line whatever the domain or the explanation hold.
  const std::string who = r.domain.empty() ? std::string("the sender") : r.domain;
  switch (r.result) {
    case SpfResult::kFail:
      if (policy.reject_fail) {
        // §8.4 (SPF-8-01): 550 and 5.7.1, or 5.7.23 (RFC 7372 §3.2). The
        // domain's explanation may be given; the RFC's own example puts it
        // after a line naming the domain.
        const std::string enhanced = rfc7372 ? "5.7.23" : "5.7.1";
        if (r.explanation.empty()) {
          return Refusal(Disposition::kReject, 550, enhanced,
                         check + " failed: " + r.domain + " does not designate " +
                             ReadableIpForm(ip) + " as a permitted sender");
        }
        MailReply reply = Refusal(Disposition::kReject, 550, enhanced, check + " failed:");
        AppendWrapped("The domain " + r.domain + " explains:", reply.lines);
        AppendWrapped(r.explanation, reply.lines);
        return reply;
      }
      break;
    case SpfResult::kTempError:
      if (policy.defer_temperror) {
        // §8.6 (SPF-8-03): 451 and 4.4.3, or 4.7.24 (RFC 7372 §3.2).
        return Refusal(Disposition::kDefer, 451, rfc7372 ? "4.7.24" : "4.4.3",
                       check + ": temporary error checking " + who + ", try again later");
      }
      break;
    case SpfResult::kPermError:
      if (policy.reject_permerror) {
        // §8.7 (SPF-8-04): 550 and 5.5.2, or 5.7.24 (RFC 7372 §3.2).
        return Refusal(Disposition::kReject, 550, rfc7372 ? "5.7.24" : "5.5.2",
                       check + ": the SPF record of " + who + " cannot be used (permerror)");
      }
      break;
    case SpfResult::kSoftFail:  // §8.5, SPF-8-02: not rejected on its own
    case SpfResult::kNone:      // §8.1, §8.2, SPF-8-05: none and neutral alike
    case SpfResult::kNeutral:
    case SpfResult::kPass:
      break;
  }
  // Accepted (RFC 3463 X.1.0: other address status); the result goes into
  // the Received-SPF header (§9.1), not into the reply code.
  return Refusal(Disposition::kAccept, 250, "2.1.0",
                 "Sender OK (" + check + ": " + std::string(SpfResultName(r.result)) + ")");
}

std::optional<MailReply> NullMxRefusal(std::string_view reverse_path, Resolver& dns,
                                       const ReceiverPolicy& policy) {
  const std::size_t at = reverse_path.rfind('@');
  if (!policy.reject_null_mx_sender || at == std::string_view::npos) {
    return std::nullopt;
  }
  // RFC 7505 §3: a null MX is the only MX of its domain, with the root as
  // its exchange.
  const std::string domain(reverse_path.substr(at + 1));
  const DnsAnswer mx = dns.Query(domain, QueryType::kMx);
  if (mx.status == DnsStatus::kOk && mx.names.size() == 1 &&
      (mx.names[0].empty() || mx.names[0] == ".")) {
    return Refusal(Disposition::kReject, 550, "5.7.27",
                   "Sender address rejected: " + domain +
                       " publishes a null MX and accepts no mail (RFC 7505)");
  }
  return std::nullopt;
}

MailReply CheckAtMail(const IpAddress& client, std::string_view helo, std::string_view reverse_path,
                      Resolver& dns, const ReceiverPolicy& policy, const EvalLimits& limits) {
  if (auto refused = NullMxRefusal(reverse_path, dns, policy)) {
    return std::move(*refused);
  }
  EvalInput in;
  in.ip = client;
  in.sender = std::string(reverse_path);
  in.helo = std::string(helo);
  return ReplyToMail(CheckMailFrom(in, dns, limits), "mailfrom", client, policy);
}

std::string FormatReply(const MailReply& reply, bool final_crlf) {
  std::string out;
  const std::string code = std::to_string(reply.code);
  const std::string enhanced = reply.enhanced.empty() ? "" : reply.enhanced + " ";
  const std::size_t n = reply.lines.empty() ? 1 : reply.lines.size();
  for (std::size_t k = 0; k < n; ++k) {
    out += k == 0 ? "" : "\r\n";
    out += code + (k + 1 < n ? "-" : " ") + enhanced;
    out += reply.lines.empty() ? "" : reply.lines[k];
  }
  return final_crlf ? out + "\r\n" : out;
}

}  // namespace mxconform::spf
