#include "spf/receiver.h"

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

}  // namespace

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
  const std::string& domain = r.domain;
  const std::string client = ReadableIpForm(ip);
  MailReply reply;
  switch (r.result) {
    case SpfResult::kFail:
      if (policy.reject_fail) {
        // §8.4 (SPF-8-01): 550 and 5.7.1, or 5.7.23 (RFC 7372 §3.2). The
        // domain's explanation may be given; the RFC's own example puts it
        // after a line naming the domain.
        reply.disposition = Disposition::kReject;
        reply.code = 550;
        reply.enhanced = rfc7372 ? "5.7.23" : "5.7.1";
        if (r.explanation.empty()) {
          AppendWrapped(check + " failed: " + domain + " does not designate " + client +
                            " as a permitted sender",
                        reply.lines);
        } else {
          reply.lines.push_back(check + " failed:");
          AppendWrapped("The domain " + domain + " explains:", reply.lines);
          AppendWrapped(r.explanation, reply.lines);
        }
        return reply;
      }
      break;
    case SpfResult::kTempError:
      if (policy.defer_temperror) {
        // §8.6 (SPF-8-03): 451 and 4.4.3, or 4.7.24 (RFC 7372 §3.2).
        reply.disposition = Disposition::kDefer;
        reply.code = 451;
        reply.enhanced = rfc7372 ? "4.7.24" : "4.4.3";
        AppendWrapped(check + ": temporary error checking " +
                          (domain.empty() ? std::string("the sender") : domain) +
                          ", try again later",
                      reply.lines);
        return reply;
      }
      break;
    case SpfResult::kPermError:
      if (policy.reject_permerror) {
        // §8.7 (SPF-8-04): 550 and 5.5.2, or 5.7.24 (RFC 7372 §3.2).
        reply.disposition = Disposition::kReject;
        reply.code = 550;
        reply.enhanced = rfc7372 ? "5.7.24" : "5.5.2";
        AppendWrapped(check + ": the SPF record of " +
                          (domain.empty() ? std::string("the sender") : domain) +
                          " cannot be used (permerror)",
                      reply.lines);
        return reply;
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
  reply.disposition = Disposition::kAccept;
  reply.code = 250;
  reply.enhanced = "2.1.0";
  reply.lines.push_back("Sender OK (" + check + ": " + std::string(SpfResultName(r.result)) + ")");
  return reply;
}

MailReply CheckAtMail(const IpAddress& client, std::string_view helo, std::string_view reverse_path,
                      Resolver& dns, const ReceiverPolicy& policy, const EvalLimits& limits) {
  const std::size_t at = reverse_path.rfind('@');
  if (policy.reject_null_mx_sender && at != std::string_view::npos) {
    // RFC 7505 §3: a null MX is the only MX of its domain, with the root as
    // its exchange.
    const std::string domain(reverse_path.substr(at + 1));
    const DnsAnswer mx = dns.Query(domain, QueryType::kMx);
    if (mx.status == DnsStatus::kOk && mx.names.size() == 1 &&
        (mx.names[0].empty() || mx.names[0] == ".")) {
      MailReply reply;
      reply.disposition = Disposition::kReject;
      reply.code = 550;
      reply.enhanced = "5.7.27";
      AppendWrapped("Sender address rejected: " + domain +
                        " publishes a null MX and accepts no mail (RFC 7505)",
                    reply.lines);
      return reply;
    }
  }
  EvalInput in;
  in.ip = client;
  in.sender = std::string(reverse_path);
  in.helo = std::string(helo);
  return ReplyToMail(CheckMailFrom(in, dns, limits), "mailfrom", client, policy);
}

std::string FormatReply(const MailReply& reply) {
  std::string out;
  const std::string code = std::to_string(reply.code);
  const std::vector<std::string> empty = {""};
  const auto& lines = reply.lines.empty() ? empty : reply.lines;
  for (std::size_t k = 0; k < lines.size(); ++k) {
    out += code;
    out += k + 1 < lines.size() ? '-' : ' ';
    if (!reply.enhanced.empty()) {
      out += reply.enhanced;
      out += ' ';
    }
    out += lines[k];
    out += "\r\n";
  }
  return out;
}

}  // namespace mxconform::spf
