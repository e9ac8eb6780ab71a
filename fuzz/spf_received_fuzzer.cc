// Fuzz target: the Received-SPF reader (src/spf/received.h) and, through
// it, the reference's own header writer (spf::ReceivedSpfHeader).
//
// Asserts, for any input read as a header field:
//  - the diagnostics contract (ids `spf.received.`, offsets inside the
//    input, an error exactly when the read failed, and then only one);
//  - on success: each pair's key is an RFC 7208 name located where it is
//    written, Find() returns the first pair of a key, and reading again
//    gives the same;
// and, with the input cut at its LF bytes into a sender, a HELO name, a
// receiver name, a matched mechanism and a problem (the first byte picks
// the result and the identity, the next 16 the client address):
//  - the header the reference writes for that evaluation reads back, with
//    no warning, the same result, the client address as client-ip, and the
//    identity it was given (SPF-9-01: the header parses).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "spf/eval.h"
#include "spf/ip.h"
#include "spf/received.h"
#include "spf/record.h"

namespace {

using namespace mxconform;  // NOLINT(google-build-using-namespace)

void CheckReader(std::string_view in) {
  auto r = spf::ReadReceivedSpf(in);
  const Diagnostics& d = r.ok() ? r->diagnostics : r.diagnostics();
  fuzz::CheckDiagnostics(r.ok(), d, in.size(), "spf.received.");
  if (!r) {
    FUZZ_CHECK_MSG(d.size() == 1, fuzz::Describe(d));
    return;
  }
  for (const auto& x : d) {
    FUZZ_CHECK_MSG(x.severity == Severity::kWarning, fuzz::Describe(d));
  }
  for (const auto& p : r->pairs) {
    FUZZ_CHECK_MSG(spf::IsModifierName(p.key), p.key);
    FUZZ_CHECK(p.offset + p.key.size() <= in.size());
    FUZZ_CHECK(in.substr(p.offset, p.key.size()) == p.key);
    const spf::ReceivedSpfPair* first = r->Find(p.key);
    FUZZ_CHECK(first != nullptr && first->offset <= p.offset);
  }
  auto again = spf::ReadReceivedSpf(in);
  FUZZ_CHECK(again.ok() && again->pairs == r->pairs && again->comment == r->comment &&
             again->result == r->result && fuzz::SameDiagnostics(again->diagnostics, d));
}

void CheckWriter(std::string_view in) {
  if (in.size() < 17) {
    return;
  }
  const auto selector = static_cast<std::uint8_t>(in[0]);
  spf::EvalInput ev;
  ev.ip.v6 = (selector & 0x80) != 0;
  std::memcpy(ev.ip.bytes.data(), in.data() + 1, ev.ip.v6 ? 16 : 4);  // IPv4: the rest zero
  std::string_view rest = in.substr(17);
  std::string parts[5];
  for (auto& part : parts) {
    const std::size_t nl = rest.find('\n');
    part = std::string(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  ev.sender = parts[0];
  ev.helo = parts[1];
  ev.receiver = parts[2];
  spf::EvalResult r;
  r.result = static_cast<spf::SpfResult>((selector & 0x0f) % 7);
  r.mechanism = parts[3];
  r.detail = parts[4];
  r.domain = parts[0];
  const std::string_view identity = (selector & 0x10) != 0 ? "helo" : "mailfrom";
  const std::string h = spf::ReceivedSpfHeader(r, ev, identity);
  auto back = spf::ReadReceivedSpf(h);
  FUZZ_CHECK_MSG(back.ok(), h + "\n" + (back.ok() ? "" : back.error().Text()));
  FUZZ_CHECK_MSG(back->diagnostics.empty(), h + "\n" + fuzz::Describe(back->diagnostics));
  FUZZ_CHECK(back->result == r.result);
  const spf::ReceivedSpfPair* ip = back->Find("client-ip");
  FUZZ_CHECK(ip != nullptr && spf::ParseIp(ip->value).has_value());
  FUZZ_CHECK(back->Find("identity") != nullptr && back->Find("identity")->value == identity);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz::SetInput(in);
  CheckReader(in);
  CheckWriter(in);
  return 0;
}
