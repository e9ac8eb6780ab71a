#include "common/text.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace mxconform::text {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) {
      return false;
    }
  }
  return true;
}

std::string ToLowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = ToLower(c);
  }
  return out;
}

bool IsFieldName(std::string_view s) {
  if (s.empty() || s.size() > 32 || !IsAlnum(s[0])) {
    return false;
  }
  for (char c : s.substr(1)) {
    if (!IsAlnum(c) && c != '_' && c != '-' && c != '.') {
      return false;
    }
  }
  return true;
}

std::vector<std::uint8_t> AddressLiteralOctets(std::string_view s) {
  if (s.find('\0') != std::string_view::npos) {
    return {};
  }
  const std::string z(s);
  std::vector<std::uint8_t> v4(4), v6(16);
  if (inet_pton(AF_INET, z.c_str(), v4.data()) == 1) {
    return v4;
  }
  if (inet_pton(AF_INET6, z.c_str(), v6.data()) == 1) {
    return v6;
  }
  return {};
}

std::size_t ValidUtf8Prefix(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) {
        lo = 0xa0;  // no overlongs
      } else if (c == 0xed) {
        hi = 0x9f;  // no surrogates
      }
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) {
        lo = 0x90;
      } else if (c == 0xf4) {
        hi = 0x8f;  // nothing above U+10FFFF
      }
    } else {
      return i;
    }
    if (i + len > n) {
      return i;
    }
    if (p[i + 1] < lo || p[i + 1] > hi) {
      return i;
    }
    for (std::size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xbf) {
        return i;
      }
    }
    i += len;
  }
  return n;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 0) {
      out += sep;
    }
    out += v[i];
  }
  return out;
}

std::string Printable(std::string_view s, std::size_t max) {
  constexpr char kHex[] = "0123456789abcdef";
  const std::size_t n = s.size() < max ? s.size() : max;
  std::string out;
  std::size_t i = 0;
  while (i < n) {
    // The run of bytes that stand for themselves, in one append: a
    // diagnostic's detail is usually all of it.
    const std::string_view rest = s.substr(i, n - i);
    const std::size_t run = std::min(FindNonPrintable(rest), rest.find('\\'));  // <= size
    out.append(rest.data(), run);
    i += run;
    if (i == n) {
      break;
    }
    const auto c = static_cast<unsigned char>(s[i]);
    const char escaped[4] = {'\\', 'x', kHex[c >> 4], kHex[c & 15]};
    out.append(escaped, sizeof escaped);
    ++i;
  }
  if (n < s.size()) {
    out += "...";
  }
  return out;
}

bool ParseDecimal(std::string_view s, std::size_t max_digits, std::uint64_t& out) {
  if (s.empty() || s.size() > max_digits) {
    return false;
  }
  // Up to 19 digits cannot overflow 64 bits, so the common case needs no
  // per-digit overflow test (a division).
  const bool may_overflow = s.size() > 19;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) {
      return false;
    }
    auto d = static_cast<std::uint64_t>(c - '0');
    if (may_overflow && v > (UINT64_MAX - d) / 10) {
      return false;
    }
    v = v * 10 + d;
  }
  out = v;
  return true;
}

std::string Base64(std::string_view data, std::size_t line) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  const std::size_t chars = (data.size() + 2) / 3 * 4;
  out.reserve(chars + (line == 0 ? 0 : (chars / line + 1) * 2));
  std::size_t column = 0;
  auto put = [&](char c) {
    out.push_back(c);
    if (line != 0 && ++column == line) {
      out += "\r\n";
      column = 0;
    }
  };
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const auto v = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16 |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8 |
                   static_cast<unsigned char>(data[i + 2]);
    put(kAlphabet[v >> 18]);
    put(kAlphabet[(v >> 12) & 63]);
    put(kAlphabet[(v >> 6) & 63]);
    put(kAlphabet[v & 63]);
  }
  if (const std::size_t rest = data.size() - i; rest != 0) {
    auto v = static_cast<std::uint32_t>(static_cast<unsigned char>(data[i])) << 16;
    if (rest == 2) {
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[i + 1])) << 8;
    }
    put(kAlphabet[v >> 18]);
    put(kAlphabet[(v >> 12) & 63]);
    put(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    put('=');
  }
  if (line != 0 && column != 0) {
    out += "\r\n";
  }
  return out;
}

namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

}  // namespace

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int n = 0;    // sextets in acc
  int pad = 0;  // '=' seen
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == ' ' || c == '\t') {
      continue;
    }
    if (c == '=') {
      ++pad;
      if (n < 2 || n + pad > 4) {
        return std::nullopt;
      }
      continue;
    }
    const int v = Base64Value(c);
    if (v < 0 || pad != 0) {
      return std::nullopt;
    }
    acc = acc << 6 | static_cast<std::uint32_t>(v);
    if (++n == 4) {
      out.push_back(static_cast<char>(acc >> 16));
      out.push_back(static_cast<char>(acc >> 8));
      out.push_back(static_cast<char>(acc));
      acc = 0;
      n = 0;
    }
  }
  if (n == 0 && pad == 0) {
    return out;
  }
  if (n + pad != 4) {
    return std::nullopt;
  }
  if (n == 2) {
    out.push_back(static_cast<char>(acc >> 4));
  } else {  // n == 3
    out.push_back(static_cast<char>(acc >> 10));
    out.push_back(static_cast<char>(acc >> 2));
  }
  return out;
}

std::optional<std::string> QuotedPrintableDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out.push_back(text[i]);
      continue;
    }
    if (text.substr(i + 1, 2) == "\r\n") {
      i += 2;  // soft line break
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '\n') {
      i += 1;
      continue;
    }
    const int hi = i + 2 < text.size() ? HexDigitValue(text[i + 1]) : -1;
    const int lo = hi >= 0 ? HexDigitValue(text[i + 2]) : -1;
    if (lo < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const int hi = i + 2 < text.size() ? HexDigitValue(text[i + 1]) : -1;
    const int lo = hi >= 0 ? HexDigitValue(text[i + 2]) : -1;
    if (lo < 0) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace mxconform::text
