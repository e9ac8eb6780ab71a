// IP addresses as SPF sees them (RFC 7208 §5.6, §7.3): parsing of the
// ip4-network / ip6-network text forms, CIDR matching, and the macro forms
// of an address (%{i} dotted / nibble form, %{c} readable form).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mxconform::spf {

struct IpAddress {
  bool v6 = false;
  // IPv4 in bytes[0..3] (network order, rest zero); IPv6 in all 16 bytes.
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const IpAddress&) const = default;

  static IpAddress V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d);
};

// RFC 7208 ip4-network: four decimal octets 0..255 without leading zeros
// ("01" is rejected), nothing else. Returns nullopt on any deviation.
std::optional<IpAddress> ParseIp4(std::string_view s);

// RFC 4291 §2.2 text form (with "::" compression and an embedded dotted
// IPv4 tail). No zone id, no brackets, no CIDR. Returns nullopt on any
// deviation.
std::optional<IpAddress> ParseIp6(std::string_view s);

// ParseIp6() without the copy, for a parser that holds the text in a
// padded buffer: s.data()[s.size()] and the 4 bytes after it must be
// readable, and s.data()[s.size()] must not be a hex digit, '.' or ':' (a
// '/' or a space in an SPF record). Same result as ParseIp6().
std::optional<IpAddress> ParseIp6Delimited(std::string_view s);

// Either form (an IPv4 text gives an IPv4 address). Used for command-line
// and test-suite client addresses.
std::optional<IpAddress> ParseIp(std::string_view s);

// If `a` is an IPv4-mapped IPv6 address (::ffff:a.b.c.d), the IPv4 address;
// otherwise `a` unchanged (RFC 7208 §5, SPF-5-01).
IpAddress Unmap(const IpAddress& a);

// True if `a` and `net` are the same family and agree on the first
// `prefix_len` bits. prefix_len is at most 32 for IPv4, 128 for IPv6.
bool CidrMatch(const IpAddress& a, const IpAddress& net, unsigned prefix_len);

// %{i}: "192.0.2.3" for IPv4; 32 dot-separated lower-case nibbles for
// IPv6 (RFC 7208 §7.3, SPF-7.3-04).
std::string MacroIpForm(const IpAddress& a);

// %{c}: dotted quad for IPv4, RFC 5952 compressed lower-case text for IPv6.
std::string ReadableIpForm(const IpAddress& a);

// The reverse-lookup name: "3.2.0.192.in-addr.arpa" / nibbles + "ip6.arpa".
std::string ReverseName(const IpAddress& a);

}  // namespace mxconform::spf
