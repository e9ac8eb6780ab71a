// ASCII and UTF-8 helpers shared by the parsers. Locale-independent.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace mxconform {

// A byte range of a string its owner keeps. Unlike a string_view it stays
// right when the owner is copied or moved; parsers use it to hand back
// parts of their input without a copy per part.
struct TextSpan {
  std::uint32_t pos = 0;
  std::uint32_t len = 0;
  bool empty() const { return len == 0; }
  std::string_view In(std::string_view s) const { return s.substr(pos, len); }
  bool operator==(const TextSpan&) const = default;
};

}  // namespace mxconform

namespace mxconform::text {

constexpr bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

namespace internal {
struct AlnumTable {
  bool v[256] = {};
  constexpr AlnumTable() {
    for (int c = 0; c < 256; ++c) {
      v[c] = IsAlpha(static_cast<char>(c)) || IsDigit(static_cast<char>(c));
    }
  }
};
inline constexpr AlnumTable kAlnum{};
}  // namespace internal

// One table lookup: parsers call this on every byte of an id or a name.
constexpr bool IsAlnum(char c) { return internal::kAlnum.v[static_cast<unsigned char>(c)]; }
// RFC 5234 WSP: SP or HTAB.
constexpr bool IsWsp(char c) { return c == ' ' || c == '\t'; }
// RFC 5234 VCHAR: %x21-7E.
constexpr bool IsVchar(char c) { return c >= 0x21 && c <= 0x7e; }
// RFC 5322 §3.2.3 atext: the bytes of an atom.
constexpr bool IsAtext(char c) {
  return IsAlnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}
// 0-15 for a hexadecimal digit (either case), else -1.
constexpr int HexDigitValue(char c) {
  return IsDigit(c)               ? c - '0'
         : (c >= 'A' && c <= 'F') ? c - 'A' + 10
         : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                  : -1;
}
constexpr char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLowerCopy(std::string_view s);

// The field-name rule that RFC 8461 (sts-ext-name, sts-policy-ext-name) and
// RFC 8460 (tlsrpt-ext-name) share: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_"
// / "-" / ".").
bool IsFieldName(std::string_view s);

// Returns the index of the first byte of `s` that is a C0 control (< 0x20,
// TAB included), DEL or not ASCII (>= 0x80), or s.size() if there is none.
// Eight bytes at a time; inline because parsers call it once per line.
inline std::size_t FindNonPrintable(std::string_view s) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  std::size_t i = 0;
  const std::size_t n = s.size();
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    // Per byte, the high bit of: the byte itself (>= 0x80), "byte < 0x20"
    // and "byte == 0x7f". The subtraction tricks can also flag a byte above
    // a flagged one (a borrow), never below it, so the lowest flag is exact.
    std::uint64_t x = w ^ (0x7f * kOnes);
    std::uint64_t hit =
        (w & kHigh) | ((w - 0x20 * kOnes) & ~w & kHigh) | ((x - kOnes) & ~x & kHigh);
    if (hit != 0) {
      // Little-endian load: the lowest set bit is the first byte in memory.
      static_assert(std::endian::native == std::endian::little);
      return i + static_cast<std::size_t>(std::countr_zero(hit)) / 8;
    }
  }
  if (i < n && n >= 8) {
    // The last (partial) word: load the final eight bytes, overlapping bytes
    // already known to be clean, which cannot raise a flag.
    std::uint64_t w;
    std::memcpy(&w, s.data() + n - 8, 8);
    std::uint64_t x = w ^ (0x7f * kOnes);
    std::uint64_t hit =
        (w & kHigh) | ((w - 0x20 * kOnes) & ~w & kHigh) | ((x - kOnes) & ~x & kHigh);
    return hit == 0 ? n : n - 8 + static_cast<std::size_t>(std::countr_zero(hit)) / 8;
  }
  for (; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f) {
      return i;
    }
  }
  return n;
}

#if defined(__SSE2__)
namespace internal {
// Bit k set if byte k of the 16 at `p` is ALPHA or DIGIT. Bytes >= 0x80 are
// negative as signed bytes and match neither range.
inline std::uint32_t AlnumMask16(const char* p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
  const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                      _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                      _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
  return static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_or_si128(digit, alpha)));
}
}  // namespace internal
#endif

// Returns the index of the first byte at or after `i` in `s` that is not
// ALPHA or DIGIT, or s.size(). Sixteen bytes at a time with SSE2; the last
// partial block re-reads the record's final sixteen bytes (never a byte
// outside `s`).
inline std::size_t AlnumRunEnd(std::string_view s, std::size_t i) {
  const std::size_t n = s.size();
#if defined(__SSE2__)
  for (; n - i >= 16; i += 16) {
    const std::uint32_t m = internal::AlnumMask16(s.data() + i);
    if (m != 0xffff) {
      return i + static_cast<std::size_t>(std::countr_zero(~m));
    }
  }
  if (i < n && n >= 16) {
    const std::size_t base = n - 16;
    const std::uint32_t m = internal::AlnumMask16(s.data() + base) >> (i - base);
    return i + static_cast<std::size_t>(std::countr_zero(~m));  // at most n
  }
#endif
  while (i < n && IsAlnum(s[i])) {
    ++i;
  }
  return i;
}

// Returns the length of the longest prefix of `s` that is well-formed UTF-8
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t ValidUtf8Prefix(std::string_view s);
inline bool IsValidUtf8(std::string_view s) { return ValidUtf8Prefix(s) == s.size(); }

// An IPv4 (dotted quad) or IPv6 address literal as inet_pton(3) reads it:
// its 4 or 16 octets, in network order; empty for anything else, including
// text with a NUL byte (inet_pton would stop reading there).
std::vector<std::uint8_t> AddressLiteralOctets(std::string_view s);

// Replaces `s` with `value`, reusing its buffer. clear() + append() skips
// assign()'s general path, which showed in parser profiles; `value` may
// point into `s` (a parser handed its own stored text back), and is then
// moved down in place without a new buffer.
inline void AssignInPlace(std::string& s, std::string_view value) {
  const std::less<const char*> before;
  if (!before(value.data(), s.data()) && before(value.data(), s.data() + s.size())) {
    s.assign(value.data(), value.size());  // assign() handles the overlap
    return;
  }
  s.clear();
  s.append(value.data(), value.size());
}

// AssignInPlace(), and at least `slack` bytes of the buffer past the
// terminating NUL, so that a vector load that starts inside the text may run
// past its end. Those bytes are readable but unspecified (left from earlier
// contents, or never written): a reader must not let them decide anything.
// The NUL at s[size()] is what stops a scan.
inline void AssignWithSlack(std::string& s, std::string_view value, std::size_t slack) {
  if (s.capacity() < value.size() + slack) {
    std::string fresh;
    fresh.reserve(value.size() + slack);
    fresh.assign(value.data(), value.size());
    s.swap(fresh);  // `value` may point into the old buffer, which lives until here
    return;
  }
  AssignInPlace(s, value);
}

// Renders bytes for a message: printable ASCII as is, anything else as \xNN;
// cut at `max` input bytes with "...".
std::string Printable(std::string_view s, std::size_t max = 64);

// The strings of `v` with `sep` between them.
std::string Join(const std::vector<std::string>& v, std::string_view sep);

// Parses 1..max_digits decimal digits into `out`. Returns false on an empty
// string, a non-digit, more than max_digits digits or overflow of uint64.
bool ParseDecimal(std::string_view s, std::size_t max_digits, std::uint64_t& out);

// Appends `v` in decimal, without leading zeros ("0" for 0).
inline void AppendDecimal(std::string& out, std::uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) {
    out.push_back(digits[--n]);
  }
}

// RFC 4648 §4 base64 of `data`, with CR LF after every `line` output
// characters (and after the last line) when `line` is not 0: RFC 2045 §6.8
// asks for lines of at most 76.
std::string Base64(std::string_view data, std::size_t line = 0);

// The bytes of base64 text (RFC 4648 §4) as MIME carries it: CR, LF, SP
// and TAB anywhere are skipped (RFC 2045 §6.8); anything else outside the
// alphabet, a '=' anywhere but in the final padding, a wrong padding or a
// length that is not a whole number of quanta gives nullopt.
std::optional<std::string> Base64Decode(std::string_view text);

// The bytes of quoted-printable text (RFC 2045 §6.7): "=XX" is a byte, "="
// at the end of a line a soft line break. A '=' followed by anything else
// gives nullopt.
std::optional<std::string> QuotedPrintableDecode(std::string_view text);

// The bytes of percent-encoded text (RFC 3986 §2.1): "%XX" is a byte, any
// other byte itself. A '%' not followed by two hex digits gives nullopt.
std::optional<std::string> PercentDecode(std::string_view text);

}  // namespace mxconform::text
