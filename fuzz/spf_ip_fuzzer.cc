// Fuzz target: the SPF address parsers and printers (spf/ip.h).
//
// Asserts, for any input:
//  - ParseIp4 accepts exactly what glibc's inet_pton(AF_INET) accepts
//    (four decimal octets, no leading zeros), with the same bytes;
//  - ParseIp6 accepts exactly what inet_pton(AF_INET6) accepts, with the
//    same bytes (both refuse zone ids, brackets, CIDR suffixes);
//  - ParseIp6Delimited (the text followed by "/64" or a space, read in
//    place) agrees with ParseIp6;
//  - ParseIp is ParseIp4, else ParseIp6;
//  - every parsed address prints (ReadableIpForm) to text that parses back
//    to it, agrees with inet_ntop outside ::/96, and MacroIpForm / ReverseName have the
//    RFC 7208 §7.3 shapes (4 or 32 dot-separated parts);
//  - Unmap and CidrMatch agree with a bitwise reference.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "spf/ip.h"

namespace {

namespace spf = mxconform::spf;

std::size_t Parts(std::string_view s) {
  std::size_t n = 1;
  for (char c : s) {
    n += c == '.' ? 1 : 0;
  }
  return n;
}

bool RefCidr(const spf::IpAddress& a, const spf::IpAddress& n, unsigned len) {
  if (a.v6 != n.v6) {
    return false;
  }
  for (unsigned bit = 0; bit < len; ++bit) {
    const unsigned mask = 0x80u >> (bit % 8);
    if ((a.bytes[bit / 8] & mask) != (n.bytes[bit / 8] & mask)) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);
  // inet_pton needs a NUL-terminated string; an embedded NUL would end it early.
  const bool has_nul = in.find('\0') != std::string_view::npos;
  const std::string z(in);

  auto v4 = spf::ParseIp4(in);
  if (!has_nul) {
    unsigned char ref[4];
    const bool ok = inet_pton(AF_INET, z.c_str(), ref) == 1;
    FUZZ_CHECK(v4.has_value() == ok);
    if (ok) {
      FUZZ_CHECK(!v4->v6 && std::memcmp(v4->bytes.data(), ref, 4) == 0);
    }
  } else {
    FUZZ_CHECK(!v4.has_value());
  }
  auto v6 = spf::ParseIp6(in);
  if (!has_nul) {
    unsigned char ref[16];
    const bool ok = inet_pton(AF_INET6, z.c_str(), ref) == 1;
    FUZZ_CHECK(v6.has_value() == ok);
    if (ok) {
      FUZZ_CHECK(v6->v6 && std::memcmp(v6->bytes.data(), ref, 16) == 0);
    }
  } else {
    FUZZ_CHECK(!v6.has_value());
  }
  // ParseIp6Delimited reads the text in place, up to the delimiter after it.
  for (const char* after : {"/64 ", "    "}) {
    const std::string buf = std::string(in) + after;
    auto in_place = spf::ParseIp6Delimited(std::string_view(buf).substr(0, in.size()));
    FUZZ_CHECK(in_place == v6);
  }
  auto any = spf::ParseIp(in);
  FUZZ_CHECK(any.has_value() == (v4.has_value() || v6.has_value()));
  if (any) {
    FUZZ_CHECK(*any == (v4 ? *v4 : *v6));
    const spf::IpAddress& a = *any;
    const std::string text = spf::ReadableIpForm(a);
    auto back = a.v6 ? spf::ParseIp6(text) : spf::ParseIp4(text);
    FUZZ_CHECK_MSG(back.has_value() && *back == a, text);
    // glibc prints the deprecated IPv4-compatible range (::a.b.c.d, RFC
    // 4291 §2.5.5.1) in dotted form; RFC 5952 §5 keeps that form for the
    // mapped range only, so those addresses are left out of the comparison.
    static constexpr std::uint8_t kZero[12] = {};
    if (!a.v6 || std::memcmp(a.bytes.data(), kZero, 12) != 0) {
      char ntop[INET6_ADDRSTRLEN];
      FUZZ_CHECK(inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), ntop, sizeof ntop) !=
                 nullptr);
      FUZZ_CHECK_MSG(text == ntop, text + " vs " + ntop);
    }
    FUZZ_CHECK(Parts(spf::MacroIpForm(a)) == (a.v6 ? 32u : 4u));
    const std::string rev = spf::ReverseName(a);
    FUZZ_CHECK_MSG(rev.ends_with(a.v6 ? ".ip6.arpa" : ".in-addr.arpa"), rev);
    FUZZ_CHECK(Parts(rev) == (a.v6 ? 34u : 6u));
    const spf::IpAddress u = spf::Unmap(a);
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const bool mapped = a.v6 && std::memcmp(a.bytes.data(), kMapped, 12) == 0;
    FUZZ_CHECK(mapped ? (!u.v6 && std::memcmp(u.bytes.data(), a.bytes.data() + 12, 4) == 0)
                      : u == a);
    // CIDR against the address itself and a neighbour, at every length.
    spf::IpAddress other = a;
    other.bytes[(size * 7) % (a.v6 ? 16 : 4)] ^= static_cast<std::uint8_t>(1u << (size % 8));
    const unsigned max = a.v6 ? 128 : 32;
    for (unsigned len = 0; len <= max; ++len) {
      FUZZ_CHECK(spf::CidrMatch(a, a, len));
      FUZZ_CHECK(spf::CidrMatch(other, a, len) == RefCidr(other, a, len));
    }
  }
  return 0;
}
