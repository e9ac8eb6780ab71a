// Hand-written address parsing: RFC 7208 §5.6 restricts ip4-network beyond
// what inet_pton(3) checks (no leading zeros), and the record parser wants
// to parse a span of its text without a NUL-terminated copy.
#include "spf/ip.h"

#include <bit>
#include <cstddef>
#include <cstring>

#include "common/text.h"

namespace mxconform::spf {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// The value of each hex digit; 0xff for any other byte.
struct HexTable {
  std::uint8_t v[256] = {};
  constexpr HexTable() {
    for (int c = 0; c < 256; ++c) {
      v[c] = c >= '0' && c <= '9'   ? static_cast<std::uint8_t>(c - '0')
             : c >= 'a' && c <= 'f' ? static_cast<std::uint8_t>(c - 'a' + 10)
             : c >= 'A' && c <= 'F' ? static_cast<std::uint8_t>(c - 'A' + 10)
                                    : 0xff;
    }
  }
};
constexpr HexTable kHexValue{};

// Parses ip4-network into out[0..3]; false on any deviation.
bool ParseIp4Bytes(std::string_view s, std::uint8_t* out) {
  const std::size_t n = s.size();
  if (n < 7 || n > 15) {
    return false;
  }
  std::size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part != 0) {
      if (i >= n || s[i] != '.') {
        return false;
      }
      ++i;
    }
    // qnum: 1-3 digits, no leading zero (RFC 7208 §5.6), at most 255.
    if (i >= n || s[i] < '0' || s[i] > '9') {
      return false;
    }
    unsigned v = static_cast<unsigned>(s[i] - '0');
    ++i;
    int digits = 1;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      if (v == 0 || ++digits > 3) {
        return false;  // "01", or a fourth digit
      }
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    if (v > 255) {
      return false;
    }
    out[part] = static_cast<std::uint8_t>(v);
  }
  return i == n;
}

void AppendDottedQuad(std::string& out, const std::uint8_t* b) {
  for (int k = 0; k < 4; ++k) {
    if (k != 0) {
      out.push_back('.');
    }
    text::AppendDecimal(out, b[k]);
  }
}

bool IsMappedV4(const IpAddress& a) {
  if (!a.v6) {
    return false;
  }
  for (int k = 0; k < 10; ++k) {
    if (a.bytes[k] != 0) {
      return false;
    }
  }
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}

}  // namespace

IpAddress IpAddress::V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress r;
  r.bytes[0] = a;
  r.bytes[1] = b;
  r.bytes[2] = c;
  r.bytes[3] = d;
  return r;
}

std::optional<IpAddress> ParseIp4(std::string_view s) {
  IpAddress r;
  if (!ParseIp4Bytes(s, r.bytes.data())) {
    return std::nullopt;
  }
  return r;
}

namespace {

// RFC 4291 §2.2: eight groups of 1-4 hex digits separated by ':'; one "::"
// stands for one or more zero groups; the last 32 bits may be written as a
// dotted quad (form 3). `buf` holds the n = s.size() bytes of s, and then
// at least 4 more readable bytes, the first of which is not a hex digit,
// '.' or ':' (so that a group's four digits and the byte after them are
// read without a bounds check).
std::optional<IpAddress> ParseIp6Core(const unsigned char* buf, std::string_view s) {
  const std::size_t n = s.size();
  std::uint16_t groups[8] = {};
  int count = 0;
  int gap = -1;  // index in `groups` where "::" stands
  std::size_t i = 0;
  if (buf[0] == ':') {
    if (buf[1] != ':') {
      return std::nullopt;
    }
    gap = 0;
    i = 2;
  }
  while (i < n) {
    const unsigned char* u = buf + i;
    const unsigned h0 = kHexValue.v[u[0]], h1 = kHexValue.v[u[1]], h2 = kHexValue.v[u[2]],
                   h3 = kHexValue.v[u[3]];
    const unsigned digits = static_cast<unsigned>(h0 < 16) | static_cast<unsigned>(h1 < 16) << 1 |
                            static_cast<unsigned>(h2 < 16) << 2 |
                            static_cast<unsigned>(h3 < 16) << 3;
    // The number of hex digits at i, up to four.
    const auto len = static_cast<unsigned>(std::countr_one(digits));
    if (buf[i + len] == '.') {
      // An embedded IPv4 tail: it must end the text and fill two groups.
      std::uint8_t q[4];
      if (count > 6 || !ParseIp4Bytes(s.substr(i), q)) {
        return std::nullopt;
      }
      groups[count++] = static_cast<std::uint16_t>(q[0] << 8 | q[1]);
      groups[count++] = static_cast<std::uint16_t>(q[2] << 8 | q[3]);
      i = n;
      break;
    }
    if (len == 0 || (len == 4 && kHexValue.v[u[4]] < 16) || count == 8) {
      return std::nullopt;  // empty group, more than 4 digits, a ninth group
    }
    const unsigned packed = (h0 & 15) << 12 | (h1 & 15) << 8 | (h2 & 15) << 4 | (h3 & 15);
    groups[count++] = static_cast<std::uint16_t>(packed >> (4 * (4 - len)));
    i += len;
    if (i == n) {
      break;
    }
    if (buf[i] != ':') {
      return std::nullopt;  // '%' zone id, '/', ']', anything else
    }
    ++i;
    if (buf[i] == ':') {
      if (gap >= 0) {
        return std::nullopt;  // a second "::"
      }
      gap = count;
      ++i;
    } else if (i == n) {
      return std::nullopt;  // a single trailing ':'
    }
  }
  if (gap < 0 ? count != 8 : count > 7) {
    return std::nullopt;
  }
  IpAddress r;
  r.v6 = true;
  const int before = gap < 0 ? count : gap;
  const int after = count - before;
  for (int k = 0; k < before; ++k) {
    r.bytes[2 * k] = static_cast<std::uint8_t>(groups[k] >> 8);
    r.bytes[2 * k + 1] = static_cast<std::uint8_t>(groups[k]);
  }
  for (int k = 0; k < after; ++k) {
    const int dst = 8 - after + k;
    r.bytes[2 * dst] = static_cast<std::uint8_t>(groups[before + k] >> 8);
    r.bytes[2 * dst + 1] = static_cast<std::uint8_t>(groups[before + k]);
  }
  return r;
}

}  // namespace

std::optional<IpAddress> ParseIp6(std::string_view s) {
  const std::size_t n = s.size();
  if (n < 2 || n > 45) {
    return std::nullopt;  // "::" is the shortest; 45 the longest (form 3)
  }
  // A copy with NUL padding (NUL is no hex digit).
  unsigned char buf[45 + 8];
  std::memcpy(buf, s.data(), n);
  std::memset(buf + n, 0, 8);
  return ParseIp6Core(buf, s);
}

std::optional<IpAddress> ParseIp6Delimited(std::string_view s) {
  if (s.size() < 2 || s.size() > 45) {
    return std::nullopt;
  }
  return ParseIp6Core(reinterpret_cast<const unsigned char*>(s.data()), s);
}

std::optional<IpAddress> ParseIp(std::string_view s) {
  if (s.find(':') != std::string_view::npos) {
    return ParseIp6(s);
  }
  return ParseIp4(s);
}

IpAddress Unmap(const IpAddress& a) {
  if (!IsMappedV4(a)) {
    return a;
  }
  return IpAddress::V4(a.bytes[12], a.bytes[13], a.bytes[14], a.bytes[15]);
}

bool CidrMatch(const IpAddress& a, const IpAddress& net, unsigned prefix_len) {
  if (a.v6 != net.v6) {
    return false;
  }
  const unsigned max = a.v6 ? 128 : 32;
  if (prefix_len > max) {
    prefix_len = max;
  }
  const unsigned whole = prefix_len / 8;
  for (unsigned k = 0; k < whole; ++k) {
    if (a.bytes[k] != net.bytes[k]) {
      return false;
    }
  }
  const unsigned rest = prefix_len % 8;
  if (rest == 0) {
    return true;
  }
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[whole] & mask) == (net.bytes[whole] & mask);
}

std::string MacroIpForm(const IpAddress& a) {
  std::string out;
  if (!a.v6) {
    out.reserve(15);
    AppendDottedQuad(out, a.bytes.data());
    return out;
  }
  // RFC 7208 §7.3 (SPF-7.3-04): 32 nibbles, high nibble first, dot-separated.
  out.reserve(63);
  for (int k = 0; k < 16; ++k) {
    if (k != 0) {
      out.push_back('.');
    }
    out.push_back(kHex[a.bytes[k] >> 4]);
    out.push_back('.');
    out.push_back(kHex[a.bytes[k] & 0xf]);
  }
  return out;
}

std::string ReadableIpForm(const IpAddress& a) {
  std::string out;
  if (!a.v6) {
    AppendDottedQuad(out, a.bytes.data());
    return out;
  }
  if (IsMappedV4(a)) {
    // RFC 5952 §5: mixed notation for IPv4-mapped addresses.
    out = "::ffff:";
    AppendDottedQuad(out, a.bytes.data() + 12);
    return out;
  }
  std::uint16_t g[8];
  for (int k = 0; k < 8; ++k) {
    g[k] = static_cast<std::uint16_t>(a.bytes[2 * k] << 8 | a.bytes[2 * k + 1]);
  }
  // RFC 5952 §4.2: "::" replaces the longest run of two or more zero groups,
  // the first one on a tie.
  int best = -1;
  int best_len = 1;
  for (int k = 0; k < 8;) {
    if (g[k] != 0) {
      ++k;
      continue;
    }
    int j = k;
    while (j < 8 && g[j] == 0) {
      ++j;
    }
    if (j - k > best_len) {
      best = k;
      best_len = j - k;
    }
    k = j;
  }
  for (int k = 0; k < 8; ++k) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (k != 0 && k != best + best_len) {
      out.push_back(':');
    }
    // RFC 5952 §4.1, §4.3: no leading zeros, lower case.
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int nib = (g[k] >> shift) & 0xf;
      if (nib != 0 || started || shift == 0) {
        out.push_back(kHex[nib]);
        started = true;
      }
    }
  }
  return out;
}

std::string ReverseName(const IpAddress& a) {
  std::string out;
  if (!a.v6) {
    out.reserve(29);
    for (int k = 3; k >= 0; --k) {
      text::AppendDecimal(out, a.bytes[k]);
      out.push_back('.');
    }
    out += "in-addr.arpa";
    return out;
  }
  out.reserve(72);
  for (int k = 15; k >= 0; --k) {
    out.push_back(kHex[a.bytes[k] & 0xf]);
    out.push_back('.');
    out.push_back(kHex[a.bytes[k] >> 4]);
    out.push_back('.');
  }
  out += "ip6.arpa";
  return out;
}

}  // namespace mxconform::spf
