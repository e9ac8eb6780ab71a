// Fuzz target: the SPF record parser (RFC 7208 §4.5, §4.6, §5, §6, §7.1).
//
// Asserts, for any input:
//  - a failure carries at least one error, a success none; every diagnostic
//    has an `spf.` id (spf.record.* or spf.macro.*) and an offset inside the
//    input (<= size);
//  - the fast paths and the general path (RecordParseOptions::fast_paths)
//    give the same verdict, mechanisms, modifiers and diagnostics;
//  - a text that IsSpfRecord() refuses fails with spf.record.version only;
//  - a valid record: every span lies inside the text; every domain-spec and
//    redirect / exp value is a valid domain-spec macro-string; an ip4
//    network is what ParseIp4() makes of its text; dns_terms and first_all
//    match the mechanisms; parse(serialise(r)) equals r up to spans, and
//    serialising that again gives the same text;
//  - parsing into a reused Record gives what a fresh one gives, and
//    ParseRecord agrees with ParseRecordInto;
//  - SelectRecord over the input split on '\n' picks the one line that
//    IsSpfRecord() accepts, or fails when there are none or several.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "fuzz_check.h"
#include "spf/macro.h"
#include "spf/record.h"

namespace {

namespace spf = mxconform::spf;
using mxconform::Diagnostics;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;
using mxconform::fuzz::SameDiagnostics;
using mxconform::fuzz::SameNameValueTexts;
using mxconform::fuzz::SplitLines;

bool SpanInside(const spf::Record& r, spf::TextSpan s) {
  return s.pos <= r.text.size() && s.len <= r.text.size() - s.pos;
}

// Mechanisms equal up to where they are in their texts.
bool SameMechanisms(const spf::Record& a, const spf::Record& b) {
  if (a.mechanisms.size() != b.mechanisms.size()) {
    return false;
  }
  for (std::size_t k = 0; k < a.mechanisms.size(); ++k) {
    spf::Mechanism x = a.mechanisms[k];
    spf::Mechanism y = b.mechanisms[k];
    if (a.View(x.domain_spec) != b.View(y.domain_spec)) {
      return false;
    }
    x.term = y.term = {};
    x.domain_spec = y.domain_spec = {};
    if (!(x == y)) {
      return false;
    }
  }
  return true;
}

bool SameModifier(const spf::Record& a, const std::optional<spf::Modifier>& x, const spf::Record& b,
                  const std::optional<spf::Modifier>& y) {
  if (x.has_value() != y.has_value()) {
    return false;
  }
  return !x || a.View(x->value) == b.View(y->value);
}

bool SameModifiers(const spf::Record& a, const spf::Record& b) {
  return SameModifier(a, a.redirect, b, b.redirect) &&
         SameModifier(a, a.explanation, b, b.explanation) &&
         SameNameValueTexts(a, a.unknown, b, b.unknown);
}

// The same parse: verdict, mechanisms (with spans), modifiers, diagnostics.
bool SameParse(bool ok_a, const spf::Record& a, bool ok_b, const spf::Record& b) {
  return ok_a == ok_b && a.mechanisms == b.mechanisms && a.redirect == b.redirect &&
         a.explanation == b.explanation && a.unknown == b.unknown && a.first_all == b.first_all &&
         a.dns_terms == b.dns_terms && SameDiagnostics(a.diagnostics, b.diagnostics);
}

void CheckValidRecord(const spf::Record& r) {
  std::uint32_t dns = 0;
  std::optional<std::uint32_t> first_all;
  for (std::size_t k = 0; k < r.mechanisms.size(); ++k) {
    const spf::Mechanism& m = r.mechanisms[k];
    FUZZ_CHECK(SpanInside(r, m.term));
    FUZZ_CHECK(SpanInside(r, m.domain_spec));
    FUZZ_CHECK(!m.term.empty());
    FUZZ_CHECK(m.cidr4 <= 32 && m.cidr6 <= 128);
    FUZZ_CHECK(m.has_cidr4 || m.cidr4 == 32);
    FUZZ_CHECK(m.has_cidr6 || m.cidr6 == 128);
    if (!m.domain_spec.empty()) {
      Diagnostics d;
      FUZZ_CHECK_MSG(
          spf::ValidateMacroString(r.View(m.domain_spec), spf::MacroUse::kDomainSpec, 0, d),
          Describe(d));
    }
    switch (m.kind) {
      case spf::MechanismKind::kAll:
        first_all = first_all.value_or(static_cast<std::uint32_t>(k));
        break;
      case spf::MechanismKind::kIp4: {
        // The network as ParseIp4() reads the text between ':' and '/'.
        std::string_view term = r.View(m.term);
        std::string_view addr = term.substr(term.find(':') + 1);
        addr = addr.substr(0, addr.find('/'));
        auto a = spf::ParseIp4(addr);
        FUZZ_CHECK_MSG(a.has_value() && *a == m.network, std::string(addr));
        FUZZ_CHECK(!m.has_cidr6 && m.domain_spec.empty());
        break;
      }
      case spf::MechanismKind::kIp6:
        FUZZ_CHECK(m.network.v6 && !m.has_cidr4 && m.domain_spec.empty());
        break;
      case spf::MechanismKind::kInclude:
      case spf::MechanismKind::kExists:
        FUZZ_CHECK(!m.domain_spec.empty() && !m.has_cidr4 && !m.has_cidr6);
        ++dns;
        break;
      case spf::MechanismKind::kPtr:
        FUZZ_CHECK(!m.has_cidr4 && !m.has_cidr6);
        ++dns;
        break;
      case spf::MechanismKind::kA:
      case spf::MechanismKind::kMx:
        ++dns;
        break;
    }
  }
  FUZZ_CHECK(r.first_all == first_all);
  if (r.redirect && !first_all) {
    ++dns;
  }
  FUZZ_CHECK(r.dns_terms == dns);
  for (const auto* mod :
       {r.redirect ? &*r.redirect : nullptr, r.explanation ? &*r.explanation : nullptr}) {
    if (mod != nullptr) {
      FUZZ_CHECK(SpanInside(r, mod->term) && SpanInside(r, mod->value));
      Diagnostics d;
      FUZZ_CHECK(!mod->value.empty());
      FUZZ_CHECK_MSG(spf::ValidateMacroString(r.View(mod->value), spf::MacroUse::kDomainSpec, 0, d),
                     Describe(d));
    }
  }
  for (const auto& mod : r.unknown) {
    FUZZ_CHECK(SpanInside(r, mod.term) && SpanInside(r, mod.name) && SpanInside(r, mod.value));
    FUZZ_CHECK(!mod.name.empty());
  }
}

void CheckRoundTrip(const spf::Record& r) {
  const std::string text = spf::SerializeRecord(r);
  spf::Record again;
  const bool ok = spf::ParseRecordInto(text, again);
  FUZZ_CHECK_MSG(ok, "serialised: " + text + " -> " + Describe(again.diagnostics));
  FUZZ_CHECK_MSG(SameMechanisms(r, again), "serialised: " + text);
  FUZZ_CHECK_MSG(SameModifiers(r, again), "serialised: " + text);
  FUZZ_CHECK(again.first_all == r.first_all);
  FUZZ_CHECK(again.dns_terms == r.dns_terms);
  FUZZ_CHECK_MSG(spf::SerializeRecord(again) == text, "serialised: " + text);
}

void CheckSelect(std::string_view in) {
  const std::vector<std::string> rrs = SplitLines(in);
  std::size_t count = 0;
  std::size_t last = 0;
  for (std::size_t k = 0; k < rrs.size(); ++k) {
    if (spf::IsSpfRecord(rrs[k])) {
      ++count;
      last = k;
    }
  }
  auto r = spf::SelectRecord(rrs);
  if (count == 1) {
    FUZZ_CHECK(r.ok() && *r == last);
  } else {
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(r.error().id == (count == 0 ? "spf.record.none" : "spf.record.multiple"));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);

  spf::Record fast;
  spf::Record general;
  const bool ok = spf::ParseRecordInto(in, fast);
  const bool general_ok =
      spf::ParseRecordInto(in, general, spf::RecordParseOptions{.fast_paths = false});
  CheckDiagnostics(ok, fast.diagnostics, size, "spf.");
  FUZZ_CHECK(fast.text == in);
  FUZZ_CHECK_MSG(
      SameParse(ok, fast, general_ok, general),
      "fast: " + Describe(fast.diagnostics) + " general: " + Describe(general.diagnostics));

  if (!spf::IsSpfRecord(in)) {
    FUZZ_CHECK(!ok && fast.diagnostics.size() == 1);
    FUZZ_CHECK(fast.diagnostics[0].id == "spf.record.version");
  }
  if (ok) {
    CheckValidRecord(fast);
    CheckRoundTrip(fast);
  }

  // Reusing a Record that holds another parse's state changes nothing.
  spf::Record reused;
  spf::ParseRecordInto("v=spf1 a:x.example.com/24//64 -all redirect=r.example exp=e.example y=z",
                       reused);
  const bool reused_ok = spf::ParseRecordInto(in, reused);
  FUZZ_CHECK(SameParse(ok, fast, reused_ok, reused));

  // The Result wrapper agrees.
  auto wrapped = spf::ParseRecord(in);
  FUZZ_CHECK(wrapped.ok() == ok);
  if (ok) {
    FUZZ_CHECK(wrapped->mechanisms == fast.mechanisms);
  } else {
    FUZZ_CHECK(SameDiagnostics(wrapped.diagnostics(), fast.diagnostics));
  }

  CheckSelect(in);
  return 0;
}
