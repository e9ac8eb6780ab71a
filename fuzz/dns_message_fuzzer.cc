// Fuzz target: the DNS wire codec (src/dns/message.h): Decode, Encode and
// the helpers that read a decoded message.
//
// Input: one DNS message in wire form.
//
// Asserts, for any input:
//  - a failure carries exactly one error, with a `dns.wire.` id, a message
//    and an offset <= size;
//  - nothing is allocated beyond the input: questions * 5 + records * 11
//    <= size - 12;
//  - an accepted message encodes with and without compression, both
//    decode to an equal message (Message::operator==), the compressed form
//    is no longer, the uncompressed one needs no pointer (decodes with
//    max_pointer_hops 0) and the compressed one fewer than 16 hops;
//  - encoding is canonical and keeps case: re-encoding what the encodings
//    decode to gives the same bytes, and the uncompressed encoding of the
//    compressed round trip equals the uncompressed encoding;
//  - with small DecodeLimits the decoder gives the same message or fails,
//    and a failure that is not a limit (`too_many_records`,
//    `pointer_hops`) is the default decoder's failure (id and offset); a
//    message the default limits refuse is refused too;
//  - at most one OPT record, in the additional section, owned by the root
//    (RFC 6891 §6.1.1, §6.1.2); Opt(), ExtendedRcode() (<= 0xfff) and
//    RdataToString() agree with the records; names in the message are valid
//    (labels 1-63, <= 255 octets);
//  - DecodeLimits::question_only gives the same header and questions, and no
//    records, whenever the whole message decodes; where it fails, the whole
//    decode fails with the same id and offset.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/result.h"
#include "dns/message.h"
#include "fuzz_check.h"

namespace {

namespace dns = mxconform::dns;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;

bool IsLimit(std::string_view id) {
  return id == "dns.wire.too_many_records" || id == "dns.wire.pointer_hops";
}

void CheckName(const dns::Name& n) {
  FUZZ_CHECK(n.WireLength() <= 255);
  for (const auto& l : n.labels()) {
    FUZZ_CHECK(!l.empty() && l.size() <= 63);
  }
}

void CheckRecord(const dns::Record& r) {
  CheckName(r.name);
  const std::string text = dns::RdataToString(r);
  switch (static_cast<dns::RrType>(r.type)) {
    case dns::RrType::kA:
      FUZZ_CHECK(std::holds_alternative<dns::RdataA>(r.rdata));
      break;
    case dns::RrType::kAaaa:
      FUZZ_CHECK(std::holds_alternative<dns::RdataAaaa>(r.rdata));
      FUZZ_CHECK(text.find(':') != std::string::npos);
      break;
    case dns::RrType::kNs:
    case dns::RrType::kCname:
    case dns::RrType::kPtr: {
      const auto* n = std::get_if<dns::RdataName>(&r.rdata);
      FUZZ_CHECK(n != nullptr);
      CheckName(n->name);
      FUZZ_CHECK(!text.empty() && text.back() == '.');
      break;
    }
    case dns::RrType::kMx: {
      const auto* mx = std::get_if<dns::RdataMx>(&r.rdata);
      FUZZ_CHECK(mx != nullptr);
      CheckName(mx->exchange);
      FUZZ_CHECK(text.starts_with(std::to_string(mx->preference) + " "));
      break;
    }
    case dns::RrType::kSoa: {
      const auto* soa = std::get_if<dns::RdataSoa>(&r.rdata);
      FUZZ_CHECK(soa != nullptr);
      CheckName(soa->mname);
      CheckName(soa->rname);
      break;
    }
    case dns::RrType::kTxt:
    case dns::RrType::kSpf: {
      const auto* txt = std::get_if<dns::RdataTxt>(&r.rdata);
      FUZZ_CHECK(txt != nullptr);
      for (const auto& s : txt->strings) {
        FUZZ_CHECK(s.size() <= 255);
      }
      for (char c : text) {
        FUZZ_CHECK(c >= 0x20 && c < 0x7f);  // quoted and escaped
      }
      break;
    }
    default: {
      const auto* raw = std::get_if<dns::RdataRaw>(&r.rdata);
      FUZZ_CHECK(raw != nullptr);
      FUZZ_CHECK_MSG(text.starts_with("\\# " + std::to_string(raw->bytes.size())), text);
      FUZZ_CHECK(text.size() == 3 + std::to_string(raw->bytes.size()).size() +
                                    (raw->bytes.empty() ? 0 : 1 + 2 * raw->bytes.size()));
      break;
    }
  }
}

void CheckMessage(const dns::Message& m, std::size_t size) {
  const std::size_t records = m.answers.size() + m.authority.size() + m.additional.size();
  FUZZ_CHECK(m.questions.size() * 5 + records * 11 <= size - 12);
  for (const auto& q : m.questions) {
    CheckName(q.name);
  }
  std::size_t opts = 0;
  const dns::Record* last_opt = nullptr;
  for (const auto* section : {&m.answers, &m.authority, &m.additional}) {
    for (const auto& r : *section) {
      CheckRecord(r);
      FUZZ_CHECK(r.type != static_cast<std::uint16_t>(dns::RrType::kOpt) ||
                 (section == &m.additional && r.name.IsRoot()));
    }
  }
  for (const auto& r : m.additional) {
    if (r.type == static_cast<std::uint16_t>(dns::RrType::kOpt)) {
      ++opts;
      last_opt = &r;
    }
  }
  FUZZ_CHECK(opts <= 1);
  FUZZ_CHECK(m.Opt() == last_opt);
  FUZZ_CHECK(m.ExtendedRcode() <= 0xfff);
  FUZZ_CHECK((m.ExtendedRcode() & 0xf) == m.header.rcode);
  if (opts != 1) {
    FUZZ_CHECK(m.ExtendedRcode() == m.header.rcode);
  }
}

std::string MustEncode(const dns::Message& m, bool compress) {
  auto r = dns::Encode(m, dns::EncodeOptions{.compress = compress});
  FUZZ_CHECK_MSG(r.ok(), Describe(r.diagnostics()));
  return std::move(r).value();
}

dns::Message MustDecode(const std::string& wire, const dns::DecodeLimits& limits,
                        const char* what) {
  auto r = dns::Decode(wire, limits);
  FUZZ_CHECK_MSG(r.ok(), std::string(what) + ": " + Describe(r.diagnostics()));
  return std::move(r).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);

  auto decoded = dns::Decode(std::span<const std::uint8_t>(data, size));
  CheckDiagnostics(decoded.ok(), decoded.diagnostics(), size, "dns.wire.");
  FUZZ_CHECK(decoded.diagnostics().size() == (decoded.ok() ? 0u : 1u));

  // Small limits: the same message, a limit, or the same failure.
  dns::DecodeLimits small;
  small.max_records = 2;
  small.max_pointer_hops = 2;
  auto limited = dns::Decode(in, small);
  CheckDiagnostics(limited.ok(), limited.diagnostics(), size, "dns.wire.");
  if (limited.ok()) {
    FUZZ_CHECK(decoded.ok());
    FUZZ_CHECK(*limited == *decoded);
  } else if (!IsLimit(limited.error().id)) {
    FUZZ_CHECK_MSG(!decoded.ok() && decoded.error().id == limited.error().id &&
                       decoded.error().offset == limited.error().offset,
                   "limited: " + Describe(limited.diagnostics()) +
                       " default: " + Describe(decoded.diagnostics()));
  }

  // Header and question only: what a TC reply is read for.
  dns::DecodeLimits head;
  head.question_only = true;
  auto question = dns::Decode(in, head);
  CheckDiagnostics(question.ok(), question.diagnostics(), size, "dns.wire.");
  if (!question.ok()) {
    FUZZ_CHECK_MSG(!decoded.ok() && decoded.error().id == question.error().id &&
                       decoded.error().offset == question.error().offset,
                   "question only: " + Describe(question.diagnostics()) +
                       " whole: " + Describe(decoded.diagnostics()));
  } else {
    FUZZ_CHECK(question->answers.empty() && question->authority.empty() &&
               question->additional.empty());
    if (decoded.ok()) {
      FUZZ_CHECK(question->header == decoded->header);
      FUZZ_CHECK(question->questions == decoded->questions);
    }
  }

  if (!decoded.ok()) {
    return 0;
  }
  const dns::Message& m = *decoded;
  CheckMessage(m, size);

  const std::string compressed = MustEncode(m, true);
  const std::string plain = MustEncode(m, false);
  FUZZ_CHECK(compressed.size() <= plain.size());

  dns::DecodeLimits no_pointers;
  no_pointers.max_pointer_hops = 0;
  const dns::Message from_plain = MustDecode(plain, no_pointers, "uncompressed");
  dns::DecodeLimits short_chains;
  short_chains.max_pointer_hops = 15;
  const dns::Message from_compressed = MustDecode(compressed, short_chains, "compressed");
  FUZZ_CHECK(from_plain == m);
  FUZZ_CHECK(from_compressed == m);

  // Canonical, and the case of every name kept.
  FUZZ_CHECK(MustEncode(from_compressed, true) == compressed);
  FUZZ_CHECK(MustEncode(from_plain, true) == compressed);
  FUZZ_CHECK(MustEncode(from_compressed, false) == plain);
  return 0;
}
