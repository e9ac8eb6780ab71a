#include "dmarc/advice.h"

#include <algorithm>
#include <string_view>

namespace mxconform::dmarc {
namespace {

bool IsWsp(char c) { return c == ' ' || c == '\t'; }

// The offset of the value of the first tag-spec named `name` in `text`
// (tag-specs split at ';', names and values trimmed of WSP; names are
// case-sensitive, D21), or the text's end if there is none.
std::size_t ValueOffset(std::string_view text, std::string_view name) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t end = std::min(text.find(';', i), text.size());
    std::size_t k = i;
    while (k < end && IsWsp(text[k])) {
      ++k;
    }
    const std::size_t eq = text.find('=', k);
    if (eq < end) {
      std::size_t name_end = eq;
      while (name_end > k && IsWsp(text[name_end - 1])) {
        --name_end;
      }
      if (text.substr(k, name_end - k) == name) {
        std::size_t v = eq + 1;
        while (v < end && IsWsp(text[v])) {
          ++v;
        }
        return v;
      }
    }
    i = end + 1;
  }
  return text.size();
}

}  // namespace

Diagnostics PublisherAdvice(const Record& r) {
  Diagnostics out;
  if (!r.usable) {
    return out;
  }
  if (r.mode == Mode::kBis && r.p == Disposition::kReject) {
    out.push_back(MakeDiag(
        "dmarc.advice.reject_indirect_flows", Severity::kInfo, ValueOffset(r.text, "p"),
        "p=reject: mailing lists and forwarders make a domain's own mail fail DMARC; RFC 9989 "
        "§7.4 asks a domain whose users post to lists not to publish reject, and one that does "
        "to sign its mail with DKIM rather than rely on SPF"));
  }
  return out;
}

}  // namespace mxconform::dmarc
