// ASCII and UTF-8 helpers shared by the parsers. Locale-independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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
constexpr char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLowerCopy(std::string_view s);

std::string_view TrimWsp(std::string_view s);

// Returns the index of the first byte of `s` that is a C0 control (< 0x20,
// TAB included), DEL or not ASCII (>= 0x80), or s.size() if there is none.
// Eight bytes at a time: records are scanned once for these before parsing.
std::size_t FindNonPrintable(std::string_view s);

// Returns the length of the longest prefix of `s` that is well-formed UTF-8
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t ValidUtf8Prefix(std::string_view s);
inline bool IsValidUtf8(std::string_view s) { return ValidUtf8Prefix(s) == s.size(); }

// Renders bytes for a message: printable ASCII as is, anything else as \xNN;
// cut at `max` input bytes with "...".
std::string Printable(std::string_view s, std::size_t max = 64);

// Parses 1..max_digits decimal digits into `out`. Returns false on an empty
// string, a non-digit, more than max_digits digits or overflow of uint64.
bool ParseDecimal(std::string_view s, std::size_t max_digits, std::uint64_t& out);

}  // namespace mxconform::text
