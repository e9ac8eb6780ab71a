// Fuzz target: the ASCII / UTF-8 helpers every parser stands on
// (common/text.h, common/profile.h) and the names the command line and the
// scenario and zone files read (mtasts::ParseProfile, the sender profiles of
// `--target reference:PROFILE`; the mock MX's starttls and tls_max knobs,
// mocks::smtp::ParseStartTls and ParseTlsVersion; the mock DNS fault knobs,
// mocks::dns::ParseFault; the receiver's spf::ParseStatusCodes), each
// against a plain reference written here.
//
// Asserts, for any input:
//  - FindNonPrintable (eight bytes at a time) = the first byte < 0x20,
//    = 0x7f or >= 0x80;
//  - Printable (runs of plain bytes in one append) = the byte loop, at
//    several cuts;
//  - AlnumRunEnd (SSE2, from every start) = the byte loop over IsAlnum;
//  - ParseDecimal, for every digit limit 1..25, = a reference that rejects
//    empty, over-long, non-digit and above-UINT64_MAX input;
//  - ValidUtf8Prefix is a prefix whose bytes re-validate, and the byte after
//    it (if any) does not extend it;
//  - AddressLiteralOctets = inet_pton (IPv4, else IPv6) on input without a
//    NUL byte, and nothing with one;
//  - ParseProfileName accepts exactly "strict" and "interop";
//  - mtasts::ParseProfile, ParseStartTls, ParseTlsVersion, ParseFault and
//    ParseStatusCodes
//    each accept exactly the names their *Name function gives for the
//    enum's values, and give back the value of that name;
//  - Base64Decode(Base64(x)) == x, wrapped or not; Base64Decode and
//    QuotedPrintableDecode return on any input and never grow it.
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/profile.h"
#include "common/text.h"
#include "fuzz_check.h"
#include "mocks/dns/responder.h"
#include "mocks/smtp/dialogue.h"
#include "mtasts/sender.h"
#include "spf/receiver.h"

namespace {

namespace text = mxconform::text;

bool RefDecimal(std::string_view s, std::size_t max_digits, std::uint64_t& out) {
  if (s.empty() || s.size() > max_digits) {
    return false;
  }
  unsigned __int128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > UINT64_MAX) {
      return false;
    }
  }
  out = static_cast<std::uint64_t>(v);
  return true;
}

// Printable one byte at a time: plain ASCII but '\\' as is, anything else
// as \xNN, cut at `max` bytes with "...".
std::string RefPrintable(std::string_view s, std::size_t max) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
    }
  }
  return s.size() > max ? out + "..." : out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);

  std::size_t bad = 0;
  while (bad < in.size()) {
    const auto c = static_cast<unsigned char>(in[bad]);
    if (c < 0x20 || c >= 0x7f) {
      break;
    }
    ++bad;
  }
  FUZZ_CHECK(text::FindNonPrintable(in) == bad);

  // Printable, every diagnostic's detail, for a few cuts: the byte loop.
  for (std::size_t max :
       {std::size_t{0}, std::size_t{1}, std::size_t{16}, std::size_t{64}, in.size()}) {
    FUZZ_CHECK_MSG(text::Printable(in, max) == RefPrintable(in, max), std::to_string(max));
  }

  for (std::size_t from = 0; from <= in.size(); ++from) {
    std::size_t want = from;
    while (want < in.size() && text::IsAlnum(in[want])) {
      ++want;
    }
    FUZZ_CHECK_MSG(text::AlnumRunEnd(in, from) == want, std::to_string(from));
  }

  for (std::size_t max = 1; max <= 25; ++max) {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    const bool ok = text::ParseDecimal(in, max, a);
    FUZZ_CHECK(ok == RefDecimal(in, max, b));
    FUZZ_CHECK(!ok || a == b);
  }

  const std::size_t good = text::ValidUtf8Prefix(in);
  FUZZ_CHECK(good <= in.size());
  FUZZ_CHECK(text::IsValidUtf8(in.substr(0, good)));
  if (good < in.size()) {
    FUZZ_CHECK(text::ValidUtf8Prefix(in.substr(good)) == 0);
  }

  // inet_pton reads a C string: input with a NUL byte is never an address.
  const std::vector<std::uint8_t> octets = text::AddressLiteralOctets(in);
  if (in.find('\0') != std::string_view::npos) {
    FUZZ_CHECK(octets.empty());
  } else {
    const std::string z(in);
    unsigned char v4[4], v6[16];
    if (inet_pton(AF_INET, z.c_str(), v4) == 1) {
      FUZZ_CHECK(octets == std::vector<std::uint8_t>(v4, v4 + 4));
    } else if (inet_pton(AF_INET6, z.c_str(), v6) == 1) {
      FUZZ_CHECK(octets == std::vector<std::uint8_t>(v6, v6 + 16));
    } else {
      FUZZ_CHECK(octets.empty());
    }
  }

  mxconform::Profile p = mxconform::Profile::kStrict;
  const bool named = mxconform::ParseProfileName(in, p);
  FUZZ_CHECK(named == (in == "strict" || in == "interop"));
  FUZZ_CHECK(!named || (p == mxconform::Profile::kInterop) == (in == "interop"));

  namespace mtasts = mxconform::mtasts;
  const auto sender = mtasts::ParseProfile(in);
  bool listed = false;
  for (const mtasts::SenderProfile q : mtasts::AllProfiles()) {
    listed |= mtasts::ProfileName(q) == in;
  }
  FUZZ_CHECK(sender.has_value() == listed);
  FUZZ_CHECK(!sender || mtasts::ProfileName(*sender) == in);

  // Name <-> value tables over contiguous enums: value k of `count` is
  // named name(k), and parse(in) is the k whose name is `in`, if any.
  auto check_names = [&in](auto parse, auto name, int count) {
    using Value = typename decltype(parse(in))::value_type;
    const auto got = parse(in);
    bool found = false;
    for (int k = 0; k < count; ++k) {
      if (name(static_cast<Value>(k)) == in) {
        found = true;
        FUZZ_CHECK(got.has_value() && *got == static_cast<Value>(k));
      }
    }
    FUZZ_CHECK(got.has_value() == found);
  };
  namespace smtp = mxconform::mocks::smtp;
  namespace dns = mxconform::mocks::dns;
  check_names([](std::string_view s) { return smtp::ParseStartTls(s); },
              [](smtp::StartTls v) { return smtp::StartTlsName(v); },
              static_cast<int>(smtp::StartTls::kGarbageAfter220) + 1);
  check_names([](std::string_view s) { return smtp::ParseTlsVersion(s); },
              [](smtp::TlsVersion v) { return smtp::TlsVersionName(v); },
              static_cast<int>(smtp::TlsVersion::kTls1_3) + 1);
  check_names([](std::string_view s) { return dns::ParseFault(s); },
              [](dns::Fault v) { return dns::FaultName(v); },
              static_cast<int>(dns::Fault::kDropAfter) + 1);
  check_names([](std::string_view s) { return mxconform::spf::ParseStatusCodes(s); },
              [](mxconform::spf::StatusCodes v) { return mxconform::spf::StatusCodesName(v); },
              static_cast<int>(mxconform::spf::StatusCodes::kRfc7372) + 1);
  // Base64 (report attachments): encoding then decoding gives the input
  // back, wrapped or not; decoding anything returns, and what it accepts
  // is at most 3 bytes per 4 characters. Quoted-printable decoding never
  // makes the text longer.
  FUZZ_CHECK(text::Base64Decode(text::Base64(in)) == std::string(in));
  FUZZ_CHECK(text::Base64Decode(text::Base64(in, 76)) == std::string(in));
  if (const auto b = text::Base64Decode(in)) {
    FUZZ_CHECK(b->size() <= in.size() / 4 * 3 + 3);
  }
  if (const auto q = text::QuotedPrintableDecode(in)) {
    FUZZ_CHECK(q->size() <= in.size());
  }
  return 0;
}
