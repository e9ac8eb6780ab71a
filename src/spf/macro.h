// SPF macros (RFC 7208 §7): validation of a macro-string and its expansion.
// Expansion is pure: everything it needs (including the validated PTR name
// for %{p}, which costs DNS lookups) is in MacroContext, filled by the
// evaluator before the call. Output is bounded: at most kMaxExpansion bytes
// (a domain-spec keeps the part §7.3 truncation can keep; an explanation
// fails past it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "spf/ip.h"

namespace mxconform::spf {

// Where a macro-string appears: domain-specs may not use c, r, t
// (§7.2, SPF-7.2-01); an explain-string may, and may contain spaces.
enum class MacroUse : std::uint8_t { kDomainSpec, kExplain };

// Upper bound on any expansion result (before §7.3 truncation to 253).
// An explanation longer than this fails (§6.2: implementations MAY limit
// it); a domain-spec is cut down to its last labels instead.
inline constexpr std::size_t kMaxExpansion = 8192;

// Checks `s` against the macro-string grammar (or explain-string for
// kExplain). Appends each error (`spf.macro.*`, offset = `base_offset` + the
// position in `s`) to `diags` and returns false if there was one.
// Errors: `spf.macro.bad_escape` (a '%' not followed by '{', '%', '_', '-'),
// `spf.macro.unknown_letter`, `spf.macro.exp_only_letter` (c r t outside an
// explanation), `spf.macro.zero_digits` (%{d0}), `spf.macro.unterminated`,
// `spf.macro.bad_transformer`, `spf.macro.bad_char` (not %x21-7E).
bool ValidateMacroString(std::string_view s, MacroUse use, std::size_t base_offset,
                         Diagnostics& diags);

// ValidateMacroString that also sets `expand_end` to the position in `s`
// just after its last macro-expand (0 when there is none), so that a caller
// checking a domain-spec (§7.1 domain-end) knows whether `s` ends with one:
// `expand_end == s.size()`. Same diagnostics, same return value.
bool ScanMacroString(std::string_view s, MacroUse use, std::size_t base_offset, Diagnostics& diags,
                     std::size_t& expand_end);

// True if `s` (valid) uses macro letter `letter` (lower-case) in any case.
bool UsesMacroLetter(std::string_view s, char letter);

struct MacroContext {
  std::string_view local_part;     // %{l}: "postmaster" when the sender had none
  std::string_view sender_domain;  // %{o}
  std::string_view domain;         // %{d}: current <domain>
  IpAddress ip;                    // %{i} %{c} %{v}
  std::string_view helo;           // %{h}
  std::string_view validated_ptr;  // %{p}: "unknown" when none
  std::string_view receiver;       // %{r}: "unknown" when not configured
  std::int64_t now = 0;            // %{t}
};

// Expands `s`, which ValidateMacroString accepted for `use`. URL-escapes
// upper-case letters (RFC 3986 unreserved kept, §7.3); splits on the
// delimiters, reverses, keeps the N rightmost parts (N up to at least 127;
// larger N keep all parts), joins with '.'. Returns `spf.macro.*` on an
// invalid string, or for an explanation `spf.macro.too_long` when the output
// would exceed kMaxExpansion. A domain-spec never fails on length: past
// kMaxExpansion whole labels are dropped from the left, which §7.3 would
// drop anyway, so TruncateDomain() of the output is the §7.3 result of the
// whole expansion (and the output stays under kMaxExpansion bytes). The
// truncation itself is TruncateDomain()'s.
Result<std::string> ExpandMacro(std::string_view s, MacroUse use, const MacroContext& ctx);

// §7.3 (S29, SPF-7.3-07): when an expanded domain is longer than 253 bytes
// (a trailing dot excluded), drop whole labels from the left until it fits.
// Also drops one trailing dot. Returns the (possibly shortened) name.
std::string_view TruncateDomain(std::string_view name);

}  // namespace mxconform::spf
