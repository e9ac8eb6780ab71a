// The MX RRset reader and publisher lint (see mx_rrset.h). Hand-written:
// a line-oriented reader of the two forms dig prints, with every error
// located, and checks that cite the RFC rule they apply.
#include "mtasts/mx_rrset.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/domain.h"
#include "common/text.h"

namespace mxconform::mtasts {
namespace {

struct Token {
  std::string_view text;
  std::size_t offset;  // in the whole input
};

// The tokens of one line (SP / TAB separated, up to a ';' comment).
std::vector<Token> Tokens(std::string_view line, std::size_t line_offset) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < line.size()) {
    if (text::IsWsp(line[i])) {
      ++i;
      continue;
    }
    if (line[i] == ';') {
      break;
    }
    std::size_t e = i;
    while (e < line.size() && !text::IsWsp(line[e]) && line[e] != ';') {
      ++e;
    }
    out.push_back({line.substr(i, e - i), line_offset + i});
    i = e;
  }
  return out;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return text::IsDigit(c); });
}

bool AllAlpha(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return text::IsAlpha(c); });
}

bool IsClass(std::string_view s) {
  return text::EqualsIgnoreCase(s, "IN") || text::EqualsIgnoreCase(s, "CH") ||
         text::EqualsIgnoreCase(s, "HS") || text::EqualsIgnoreCase(s, "CS");
}

std::string_view DropRootDot(std::string_view name) {
  return name.size() > 1 && name.back() == '.' ? name.substr(0, name.size() - 1) : name;
}

class Reader {
 public:
  explicit Reader(std::string_view input) : in_(input) {}

  Result<MxRrset> Run() {
    if (in_.size() > kMaxMxRrsetBytes) {
      return MakeDiag("mx.rrset.too_large", Severity::kError, 0,
                      "input larger than 64 KiB: not one MX RRset");
    }
    std::size_t pos = 0;
    while (pos < in_.size() && !stop_) {
      std::size_t nl = in_.find('\n', pos);
      if (nl == std::string_view::npos) {
        nl = in_.size();
      }
      std::string_view line = in_.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
      }
      Line(line, pos);
      pos = nl + 1;
    }
    if (out_.rrs.empty() && !failed_) {
      Error("mx.rrset.empty", 0, "no MX RR in the input");
    }
    if (failed_) {
      return Result<MxRrset>::Failure(std::move(out_.diagnostics));
    }
    return std::move(out_);
  }

 private:
  void Error(std::string_view id, std::size_t at, std::string_view message,
             std::string detail = {}) {
    out_.diagnostics.push_back(MakeDiag(id, Severity::kError, at, message, std::move(detail)));
    failed_ = true;
  }

  void Line(std::string_view line, std::size_t offset) {
    const std::vector<Token> t = Tokens(line, offset);
    if (t.empty()) {
      return;
    }
    if (t.size() == 2) {
      Rr(t[0], t[1], t[0].offset);
      return;
    }
    // A master-file line: [owner] [ttl] [class] MX preference exchange
    // (RFC 1035 §5.1; TTL and class in either order). A line that begins
    // with a blank has no owner and takes the previous one.
    std::size_t i = 0;
    if (!text::IsWsp(line[0])) {
      if (!Owner(t[0])) {
        return;
      }
      i = 1;
    } else if (!have_owner_) {
      Error("mx.rrset.owner", t[0].offset,
            "a master-file line without an owner name, and no earlier line gave one");
      return;
    }
    bool ttl = false;
    bool cls = false;
    for (; i < t.size(); ++i) {
      const std::string_view w = t[i].text;
      if (!ttl && AllDigits(w) && i + 2 < t.size()) {
        std::uint64_t v = 0;
        if (!text::ParseDecimal(w, 10, v) || v > 0x7fffffffu) {
          Error("mx.rrset.syntax", t[i].offset, "TTL above 2^31 - 1 (RFC 2181 §8)",
                text::Printable(w, 12));
          return;
        }
        ttl = true;
      } else if (!cls && IsClass(w)) {
        if (!text::EqualsIgnoreCase(w, "IN")) {
          Error("mx.rrset.type", t[i].offset, "not an Internet (IN) class RR",
                text::Printable(w, 12));
          return;
        }
        cls = true;
      } else {
        break;
      }
    }
    if (i == t.size()) {
      Error("mx.rrset.syntax", t.back().offset, "expected MX, a preference and an exchange");
      return;
    }
    if (!text::EqualsIgnoreCase(t[i].text, "MX")) {
      if (AllAlpha(t[i].text)) {
        Error("mx.rrset.type", t[i].offset,
              "not an MX RR: give the MX RRset of one name (a CNAME at the name is followed "
              "first, RFC 5321 §5.1)",
              text::Printable(t[i].text, 12));
      } else {
        Error("mx.rrset.syntax", t[i].offset,
              "expected [TTL] [class] MX preference exchange after the owner name",
              text::Printable(t[i].text, 12));
      }
      return;
    }
    if (t.size() - i != 3) {
      Error("mx.rrset.syntax", t[i].offset,
            "an MX RR has two RDATA fields: a preference and an exchange (RFC 1035 §3.3.9)");
      return;
    }
    Rr(t[i + 1], t[i + 2], t[0].offset);
  }

  bool Owner(const Token& tok) {
    if (tok.text == "@") {
      Error("mx.rrset.owner", tok.offset,
            "'@' stands for the zone's $ORIGIN, which is not read here: write the name");
      return false;
    }
    const std::string_view name = DropRootDot(tok.text);
    const domain::NameCheck c = domain::CheckName(name);
    if (!c.ok()) {
      Error("mx.rrset.owner", tok.offset + std::min(c.offset, name.size()),
            "the owner name is not a domain name",
            std::string(domain::NameErrorMessage(c.error)) + ": " + text::Printable(tok.text, 40));
      return false;
    }
    if (!have_owner_) {
      have_owner_ = true;
      out_.owner = std::string(name);
    } else if (!domain::NamesEqual(out_.owner, name)) {
      Error("mx.rrset.owner", tok.offset, "RRs of different owner names: not one MX RRset",
            text::Printable(tok.text, 40) + " after " + text::Printable(out_.owner, 40));
      return false;
    }
    return true;
  }

  void Rr(const Token& pref, const Token& exch, std::size_t at) {
    std::uint64_t v = 0;
    if (!text::ParseDecimal(pref.text, 5, v) || v > 0xffff) {
      Error("mx.rrset.preference", pref.offset,
            "the preference is a 16-bit unsigned number, 0 to 65535 (RFC 1035 §3.3.9)",
            text::Printable(pref.text, 12));
      return;
    }
    MxRr rr;
    rr.preference = static_cast<std::uint16_t>(v);
    rr.offset = static_cast<std::uint32_t>(at);
    rr.exchange_offset = static_cast<std::uint32_t>(exch.offset);
    if (exch.text == ".") {
      rr.exchange = ".";
    } else {
      const std::string_view name = DropRootDot(exch.text);
      const domain::NameCheck c = domain::CheckName(name);
      if (!c.ok()) {
        Error(
            "mx.rrset.exchange", exch.offset + std::min(c.offset, name.size()),
            "the exchange is not a host name (RFC 5321 §2.3.5)",
            std::string(domain::NameErrorMessage(c.error)) + ": " + text::Printable(exch.text, 40));
        return;
      }
      rr.exchange = std::string(name);
    }
    if (out_.rrs.size() == kMaxMxRrs) {
      Error("mx.rrset.too_many", at, "more than 4096 MX RRs: not one RRset");
      stop_ = true;
      return;
    }
    if (!seen_.emplace(rr.preference, domain::Fold(rr.exchange)).second) {
      out_.diagnostics.push_back(
          MakeDiag("mx.rrset.duplicate", Severity::kWarning, at,
                   "the same RR twice: an RRset holds each RR once (RFC 2181 §5), so DNS "
                   "servers serve one",
                   text::Printable(rr.exchange, 40)));
    }
    out_.rrs.push_back(std::move(rr));
  }

  std::string_view in_;
  MxRrset out_;
  std::set<std::pair<std::uint16_t, std::string>> seen_;
  bool have_owner_ = false;
  bool failed_ = false;
  bool stop_ = false;
};

// The last label is all digits: the name is an IPv4 address written as an
// exchange (or no name the public DNS can hold: RFC 3696 §2, top-level
// domains are never all-numeric).
bool LooksLikeAddress(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  return AllDigits(dot == std::string_view::npos ? name : name.substr(dot + 1));
}

}  // namespace

Result<MxRrset> ParseMxRrset(std::string_view input) { return Reader(input).Run(); }

Diagnostics LintMxRrset(const MxRrset& set, const MxLintOptions& options) {
  Diagnostics out;
  const auto nulls = static_cast<std::size_t>(
      std::count_if(set.rrs.begin(), set.rrs.end(), [](const MxRr& r) { return r.IsNull(); }));
  const std::size_t hosts = set.rrs.size() - nulls;
  bool null_noted = false;
  for (const MxRr& r : set.rrs) {
    if (!r.IsNull()) {
      if (LooksLikeAddress(r.exchange)) {
        out.push_back(MakeDiag("mx.exchange.address", Severity::kError, r.exchange_offset,
                               "the exchange is an address, not a host name: senders look it "
                               "up as a name, which fails (RFC 5321 §5.1)",
                               text::Printable(r.exchange, 40)));
      }
      continue;
    }
    if (hosts > 0) {
      out.push_back(MakeDiag("mx.null.mixed", Severity::kError, r.offset,
                             "a null MX beside other MX RRs: RFC 7505 §3 forbids it, and "
                             "senders read the mix differently (bounce, or use the others)"));
    }
    if (r.preference != 0) {
      out.push_back(MakeDiag("mx.null.preference", Severity::kWarning, r.offset,
                             "a null MX has preference 0 (RFC 7505 §3)",
                             std::to_string(r.preference)));
    }
    if (!null_noted) {
      null_noted = true;
      out.push_back(MakeDiag(
          "mx.null.sender", options.sends_mail ? Severity::kWarning : Severity::kInfo, r.offset,
          options.sends_mail
              ? "this domain sends mail but accepts none: receivers may reject mail whose "
                "MAIL FROM or From domain publishes a null MX (RFC 7505 §4.2)"
              : "a domain with a null MX should not be used in MAIL FROM or From: receivers "
                "may reject that mail (RFC 7505 §4.2)"));
    }
  }
  const Policy* p = options.policy;
  if (p == nullptr || hosts == 0) {
    return out;
  }
  const Severity sev = p->mode == Mode::kEnforce   ? Severity::kError
                       : p->mode == Mode::kTesting ? Severity::kWarning
                                                   : Severity::kInfo;
  std::size_t matched = 0;
  for (const MxRr& r : set.rrs) {
    if (r.IsNull()) {
      continue;
    }
    if (PolicyMatchesMx(*p, r.exchange)) {
      ++matched;
      continue;
    }
    out.push_back(MakeDiag(
        "mx.policy.unmatched", sev, r.exchange_offset,
        "no mx pattern of the MTA-STS policy matches this exchange: MTA-STS "
        "senders do not deliver to it under mode enforce (RFC 8461 §4.1, §5)",
        text::Printable(r.exchange, 40) + " (policy mode " + std::string(ModeName(p->mode)) + ")"));
  }
  if (matched == 0 && p->mode != Mode::kNone) {
    const auto first =
        std::find_if(set.rrs.begin(), set.rrs.end(), [](const MxRr& r) { return !r.IsNull(); });
    out.push_back(MakeDiag("mx.policy.no_match",
                           p->mode == Mode::kEnforce ? Severity::kError : Severity::kWarning,
                           first->offset,
                           p->mode == Mode::kEnforce
                               ? "no exchange matches the policy: MTA-STS senders cannot deliver "
                                 "to this domain (RFC 8461 §5)"
                               : "no exchange matches the policy: under enforce, MTA-STS senders "
                                 "could not deliver to this domain (RFC 8461 §5)"));
  }
  return out;
}

}  // namespace mxconform::mtasts
