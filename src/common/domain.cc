#include "common/domain.h"

#include <idn2.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/host_simd.h"
#include "common/text.h"

namespace mxconform::domain {
namespace {

struct FreeDeleter {
  void operator()(char* p) const { idn2_free(p); }
};

// Byte classes of a host name (RFC 1123 §2.1 LDH).
constexpr std::uint8_t kLetDig = 0;
constexpr std::uint8_t kHyphen = 1;
constexpr std::uint8_t kDot = 2;
constexpr std::uint8_t kOther = 3;
constexpr std::uint8_t kHigh = 4;
struct HostClassTable {
  std::uint8_t v[256] = {};
  constexpr HostClassTable() {
    for (int c = 0; c < 256; ++c) {
      v[c] = c >= 0x80                             ? kHigh
             : text::IsAlnum(static_cast<char>(c)) ? kLetDig
             : c == '-'                            ? kHyphen
             : c == '.'                            ? kDot
                                                   : kOther;
    }
  }
};
constexpr HostClassTable kHostClass{};

// Accepts, sixteen bytes at a time, names of at most 32 bytes that are plain
// LDH labels with no label that could be an A-label ("x?--"). Returns false
// whenever it is not sure: the caller then runs the full check, which also
// finds where the problem is. Hand-written because no library offers an LDH
// check; without SSE2 it always defers.
bool FastAcceptShortName(std::string_view body) {
#if defined(__SSE2__)
  const std::size_t n = body.size();
  if (n == 0 || n > 32) {
    return false;
  }
  alignas(16) unsigned char buf[32] = {};
  std::memcpy(buf, body.data(), n);
  HostBytes m;
  ClassifyHost16(buf, 0, m);
  if (n > 16) {
    ClassifyHost16(buf + 16, 16, m);
  }
  return IsPlainLdhName(m, n);
#else
  return false;
#endif
}

std::string_view StripDot(std::string_view s) {
  if (!s.empty() && s.back() == '.') {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::string_view NameErrorMessage(NameError e) {
  switch (e) {
    case NameError::kOk:
      return "ok";
    case NameError::kEmpty:
      return "empty domain name";
    case NameError::kTooLong:
      return "domain name longer than 253 octets";
    case NameError::kEmptyLabel:
      return "empty label";
    case NameError::kLabelTooLong:
      return "label longer than 63 octets";
    case NameError::kBadCharacter:
      return "character not allowed in a host name (letters, digits, '-' and '.' only)";
    case NameError::kNonAscii:
      return "non-ASCII byte: internationalised names must be given as A-labels (xn--)";
    case NameError::kHyphenEdge:
      return "label starts or ends with '-'";
    case NameError::kBadALabel:
      return "'xn--' label is not a valid A-label";
    case NameError::kTrailingDot:
      return "trailing dot not allowed here";
  }
  return "invalid domain name";
}

NameCheck CheckName(std::string_view name, const NameRules& rules) {
  if (name.empty()) {
    return {NameError::kEmpty, 0};
  }
  std::string_view body = name;
  if (body.back() == '.') {
    if (!rules.allow_trailing_dot) {
      return {NameError::kTrailingDot, name.size() - 1};
    }
    body.remove_suffix(1);
    if (body.empty()) {
      return {NameError::kEmptyLabel, 0};
    }
  }
  if (body.size() > kMaxName) {
    return {NameError::kTooLong, kMaxName};
  }
  if (rules.fast_path && FastAcceptShortName(body)) {
    return {};
  }
  // One pass over the bytes, one table lookup each; a label is checked
  // when its end is seen.
  std::size_t start = 0;
  const std::size_t n = body.size();
  const auto* b = reinterpret_cast<const unsigned char*>(body.data());
  std::size_t i = 0;
  while (true) {
    std::uint8_t cls = kDot;
    while (i < n && (cls = kHostClass.v[b[i]]) <= kHyphen) {
      ++i;
    }
    if (i < n && cls != kDot) {
      return {cls == kHigh ? NameError::kNonAscii : NameError::kBadCharacter, i};
    }
    std::size_t len = i - start;
    if (len == 0) {
      return {NameError::kEmptyLabel, start};
    }
    if (len > kMaxLabel) {
      return {NameError::kLabelTooLong, start + kMaxLabel};
    }
    if (body[start] == '-' || body[i - 1] == '-') {
      return {NameError::kHyphenEdge, body[start] == '-' ? start : i - 1};
    }
    if (rules.check_a_labels && len >= 4 && body[start + 2] == '-' && body[start + 3] == '-' &&
        text::ToLower(body[start]) == 'x' && text::ToLower(body[start + 1]) == 'n' &&
        !IsValidALabel(body.substr(start, len))) {
      return {NameError::kBadALabel, start};
    }
    if (i >= n) {
      break;
    }
    start = ++i;
  }
  return {};
}

bool IsValidALabel(std::string_view label) {
  std::string in = text::ToLowerCopy(label);
  char* u = nullptr;
  // Punycode-decode the label (libidn2 checks the A-label form on the way).
  if (idn2_to_unicode_8z8z(in.c_str(), &u, 0) != IDN2_OK || u == nullptr) {
    return false;
  }
  std::unique_ptr<char, FreeDeleter> ulabel(u);
  char* a = nullptr;
  // Re-encode with IDNA2008 lookup rules; a valid A-label round-trips.
  if (idn2_lookup_u8(reinterpret_cast<const uint8_t*>(ulabel.get()),
                     reinterpret_cast<uint8_t**>(&a), IDN2_NONTRANSITIONAL) != IDN2_OK ||
      a == nullptr) {
    return false;
  }
  std::unique_ptr<char, FreeDeleter> alabel(a);
  return in == alabel.get();
}

Result<std::string> ToALabels(std::string_view utf8_name) {
  std::string in(utf8_name);
  if (in.find('\0') != std::string::npos) {
    return MakeDiag("domain.idna.invalid", Severity::kError, in.find('\0'), "NUL byte in name");
  }
  char* out = nullptr;
  int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(in.c_str()),
                          reinterpret_cast<uint8_t**>(&out), IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  if (rc != IDN2_OK || out == nullptr) {
    return MakeDiag("domain.idna.invalid", Severity::kError, 0,
                    "not a valid internationalised domain name", idn2_strerror(rc));
  }
  std::unique_ptr<char, FreeDeleter> holder(out);
  return text::ToLowerCopy(holder.get());
}

std::string Fold(std::string_view name) { return text::ToLowerCopy(StripDot(name)); }

bool NamesEqual(std::string_view name, std::string_view host) {
  return text::EqualsIgnoreCase(StripDot(name), StripDot(host));
}

bool MatchesMxPattern(std::string_view pattern, std::string_view host) {
  pattern = StripDot(pattern);
  host = StripDot(host);
  if (pattern.empty() || host.empty()) {
    return false;
  }
  if (pattern.size() >= 2 && pattern[0] == '*' && pattern[1] == '.') {
    std::string_view rest = pattern.substr(2);
    std::size_t dot = host.find('.');
    if (rest.empty() || dot == std::string_view::npos || dot == 0) {
      return false;  // "*." alone, or a host without a leftmost label to spend
    }
    // Exactly one label: the suffix after the first dot must equal `rest`.
    return text::EqualsIgnoreCase(host.substr(dot + 1), rest);
  }
  return text::EqualsIgnoreCase(pattern, host);
}

}  // namespace mxconform::domain
