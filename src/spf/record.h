// The SPF record (RFC 7208 §4.5, §4.6, §5, §6, §12): version selection among
// the TXT RRs of a domain and the record parser. Parsing validates the whole
// record before anything is evaluated (§4.6, SPF-4.6-01): a record that
// parses here can be evaluated term by term without further syntax errors,
// except those that only show after macro expansion.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/text.h"
#include "spf/ip.h"

namespace mxconform::spf {

// A byte range of Record::text (common/text.h).
using TextSpan = mxconform::TextSpan;

enum class Qualifier : std::uint8_t { kPass, kFail, kSoftFail, kNeutral };  // + - ~ ?

enum class MechanismKind : std::uint8_t { kAll, kInclude, kA, kMx, kPtr, kIp4, kIp6, kExists };

std::string_view MechanismName(MechanismKind k);  // "all", "include", ...
char QualifierChar(Qualifier q);                  // '+', '-', '~', '?'

struct Mechanism {
  Qualifier qualifier = Qualifier::kPass;
  bool explicit_qualifier = false;  // the qualifier was written
  MechanismKind kind = MechanismKind::kAll;
  // The whole term as written (qualifier included), for traces.
  TextSpan term;
  // The domain-spec (a macro-string) as written, without the ':' and
  // without the CIDR suffix; empty when absent (a, mx, ptr use <domain>).
  TextSpan domain_spec;
  // ip4 / ip6: the network. a / mx: unused.
  IpAddress network;
  // CIDR prefix lengths (§5.6); 32 / 128 when not written.
  std::uint8_t cidr4 = 32;
  std::uint8_t cidr6 = 128;
  bool has_cidr4 = false;  // written explicitly
  bool has_cidr6 = false;
  bool operator==(const Mechanism&) const = default;
};

struct Modifier {
  TextSpan term;   // "name=value" as written
  TextSpan name;   // as written (compare case-insensitively)
  TextSpan value;  // the macro-string
  bool operator==(const Modifier&) const = default;
};

struct Record {
  // A copy of the record text; every TextSpan refers into it.
  std::string text;
  std::vector<Mechanism> mechanisms;    // in order
  std::optional<Modifier> redirect;     // §6.1
  std::optional<Modifier> explanation;  // exp=, §6.2
  std::vector<Modifier> unknown;        // unknown modifiers, kept (§6, SPF-6-02)
  // Index into `mechanisms` of the first `all`, if any (§5.1: a redirect is
  // then never used).
  std::optional<std::uint32_t> first_all;
  // Terms that cost a DNS lookup (include a mx ptr exists, plus redirect
  // when it can be reached): the static estimate `check` prints (§4.6.4).
  std::uint32_t dns_terms = 0;
  Diagnostics diagnostics;  // warnings / info on success

  std::string_view View(TextSpan s) const { return std::string_view(text).substr(s.pos, s.len); }
};

// True if `s` is an RFC 7208 `name` (§4.6.1): ALPHA *( ALPHA / DIGIT / "-" /
// "_" / "." ). Modifier names; §9.1 uses it for Received-SPF keys too.
bool IsModifierName(std::string_view s);

// True if `txt` is an SPF record per §4.5 (SPF-4.5-01): it starts with
// "v=spf1" (case-insensitive) followed by a space or the end of the text.
bool IsSpfRecord(std::string_view txt);

// §4.5 selection among the TXT RRs of a domain (each RR already joined, §3.3):
// the index of the one SPF record; `spf.record.none` (severity error, maps to
// result none) when there is none, `spf.record.multiple` (maps to permerror)
// when there are several.
Result<std::size_t> SelectRecord(std::span<const std::string> rrs);

// Parses `text` (one joined TXT RR that IsSpfRecord() accepts; otherwise
// `spf.record.version`) into `out`, reusing its storage. Returns true if the
// record is valid. On failure out.diagnostics holds at least one error
// (`spf.record.*` or `spf.macro.*`) with its byte offset into `text`; every
// error in the record is reported, not only the first (§4.6, S10).
bool ParseRecordInto(std::string_view text, Record& out);

// Parser knobs for tests and fuzzers. fast_paths = false sends every term
// through the general path (the one that reports errors) instead of the
// shortcuts for the usual term shapes, so that the two can be compared;
// the result is the same either way.
struct RecordParseOptions {
  bool fast_paths = true;
};
bool ParseRecordInto(std::string_view text, Record& out, const RecordParseOptions& opts);

// Same, returning a value or the diagnostics of the failure.
Result<Record> ParseRecord(std::string_view text);

// Canonical text: "v=spf1" then each mechanism (qualifier only when written,
// lower-case name, domain-spec as written, CIDR only when written), then
// redirect, exp and the unknown modifiers in order (moving a modifier does
// not change what a record means, §6). Parsing the
// output gives an equal record (up to spans).
std::string SerializeRecord(const Record& r);

}  // namespace mxconform::spf
