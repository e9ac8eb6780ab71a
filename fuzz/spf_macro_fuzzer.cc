// Fuzz target: SPF macro validation and expansion (RFC 7208 §7).
//
// The input is split on '\n' into the macro string, then the context
// fields: local part, sender domain, <domain>, HELO, validated PTR name,
// receiver, client IP (text; an unparsable one gives 192.0.2.3), and a
// last line whose first byte picks the use (odd: explanation). Missing
// fields are empty. Asserts:
//  - ValidateMacroString: an error exactly when it returns false, every
//    diagnostic `spf.macro.*` at an offset inside the string (+ the base);
//  - ExpandMacro succeeds exactly when the string is valid, except for an
//    explanation's spf.macro.too_long (a domain-spec never fails on
//    length); its output never exceeds kMaxExpansion and does not depend on
//    fields of letters the string does not use (UsesMacroLetter); a string
//    without '%' expands to itself, or for a domain-spec past the limit to
//    a name that truncates (§7.3) to the same as the string does;
//  - expanding twice gives the same output;
//  - TruncateDomain returns a suffix of the name of at most 253 bytes
//    unless a single label is longer, and never ends in a dot.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "fuzz_check.h"
#include "spf/ip.h"
#include "spf/macro.h"

namespace {

namespace spf = mxconform::spf;
using mxconform::Diagnostics;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;
using mxconform::fuzz::SplitLines;

void CheckTruncate(std::string_view name) {
  const std::string_view t = spf::TruncateDomain(name);
  std::string_view base = name;
  if (!base.empty() && base.back() == '.') {
    base.remove_suffix(1);
  }
  FUZZ_CHECK(base.ends_with(t));
  FUZZ_CHECK(t.size() <= 253 || t.find('.') == std::string_view::npos);
  if (base.size() <= 253) {
    FUZZ_CHECK(t == base);
  } else if (t.size() < base.size()) {
    FUZZ_CHECK(base[base.size() - t.size() - 1] == '.');
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);
  const std::vector<std::string> f = SplitLines(in);
  auto field = [&f](std::size_t k) -> std::string_view {
    return k < f.size() ? std::string_view(f[k]) : std::string_view();
  };
  const std::string_view s = field(0);
  spf::MacroContext ctx;
  ctx.local_part = field(1);
  ctx.sender_domain = field(2);
  ctx.domain = field(3);
  ctx.helo = field(4);
  ctx.validated_ptr = field(5);
  ctx.receiver = field(6);
  ctx.ip = spf::ParseIp(field(7)).value_or(spf::IpAddress::V4(192, 0, 2, 3));
  ctx.now = static_cast<std::int64_t>(size) * 1000003;
  const spf::MacroUse use = !field(8).empty() && (field(8)[0] & 1) != 0
                                ? spf::MacroUse::kExplain
                                : spf::MacroUse::kDomainSpec;

  Diagnostics diags;
  const bool valid = spf::ValidateMacroString(s, use, 7, diags);
  CheckDiagnostics(valid, diags, s.size() + 7, "spf.macro.");
  for (const auto& d : diags) {
    FUZZ_CHECK(d.offset >= 7);
  }
  std::size_t expand_end = 0;
  Diagnostics again;
  FUZZ_CHECK(spf::ScanMacroString(s, use, 7, again, expand_end) == valid);
  FUZZ_CHECK(mxconform::fuzz::SameDiagnostics(diags, again));
  FUZZ_CHECK(expand_end <= s.size());

  auto r = spf::ExpandMacro(s, use, ctx);
  if (!valid) {
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(r.error().id != "spf.macro.too_long");
    return 0;
  }
  if (!r.ok()) {
    FUZZ_CHECK_MSG(r.error().id == "spf.macro.too_long", Describe(r.diagnostics()));
    FUZZ_CHECK(use == spf::MacroUse::kExplain);
    FUZZ_CHECK(r.error().offset <= s.size());
    return 0;
  }
  const std::string& out = *r;
  FUZZ_CHECK(out.size() <= spf::kMaxExpansion);
  if (s.find('%') == std::string_view::npos) {
    if (s.size() <= spf::kMaxExpansion) {
      FUZZ_CHECK(out == s);
    } else {
      FUZZ_CHECK(spf::TruncateDomain(out) == spf::TruncateDomain(s));
    }
  }
  auto r2 = spf::ExpandMacro(s, use, ctx);
  FUZZ_CHECK(r2.ok() && *r2 == out);

  // Fields of letters the string does not use do not matter.
  spf::MacroContext other = ctx;
  if (!spf::UsesMacroLetter(s, 'l') && !spf::UsesMacroLetter(s, 's')) {
    other.local_part = "other-local";
  }
  if (!spf::UsesMacroLetter(s, 'd')) {
    other.domain = "other.example";
  }
  if (!spf::UsesMacroLetter(s, 'h')) {
    other.helo = "other-helo.example";
  }
  if (!spf::UsesMacroLetter(s, 'i') && !spf::UsesMacroLetter(s, 'c') &&
      !spf::UsesMacroLetter(s, 'v')) {
    other.ip = spf::IpAddress::V4(198, 51, 100, 7);
  }
  if (!spf::UsesMacroLetter(s, 't')) {
    other.now = 42;
  }
  auto r3 = spf::ExpandMacro(s, use, other);
  FUZZ_CHECK(r3.ok() || r3.error().id == "spf.macro.too_long");
  if (r3.ok()) {
    FUZZ_CHECK_MSG(*r3 == out, "with other unused fields: " + *r3);
  }

  CheckTruncate(out);
  CheckTruncate(s);
  return 0;
}
