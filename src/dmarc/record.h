// The DMARC policy record: RFC 9989 §4.7 / §4.8 (DMARCbis, the default) and
// RFC 7489 §6.3 / §6.4 (on request). One parser for both; the mode decides
// which tags exist (bis: t, psd, np; 7489: pct, rf, ri, and np from RFC 9091
// is accepted in both) and what an obsolete `!size` suffix on a report URI
// means. Every D1-D29 decision of ../../shared/spec/requirements.md §4.2 is
// cited where it is made, in record.cc.
//
// Three outcomes:
//  - not a DMARC record (`v=DMARC1` is not the first tag, exactly; D2, D3,
//    D27, D28): ParseRecordInto() returns false with one error diagnostic
//    (`dmarc.record.version`); policy discovery discards such a TXT RR;
//  - a DMARC record that cannot be used (an invalid p / sp / np and no valid
//    rua, D5, D8): returns true, `usable` false, with an error diagnostic
//    naming the tag; discovery keeps it (it counts as a record at that name)
//    but no policy is applied (§4.10.1 / 7489 §6.6.3 step 6);
//  - a usable record: returns true, `usable` true; tags with syntax errors
//    fall back to their defaults (D10, D15, D16, D26) with a warning each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/text.h"

namespace mxconform::dmarc {

using TextSpan = mxconform::TextSpan;

enum class Mode : std::uint8_t {
  kBis,   // RFC 9989 (default)
  k7489,  // RFC 7489
};
std::string_view ModeName(Mode m);  // "bis", "7489"

enum class Disposition : std::uint8_t { kNone, kQuarantine, kReject };
std::string_view DispositionName(Disposition d);  // "none", "quarantine", "reject"

enum class Alignment : std::uint8_t { kRelaxed, kStrict };  // r / s
enum class Psd : std::uint8_t { kUnknown, kYes, kNo };      // u / y / n (bis only)

// fo= options as a bit set (RFC 9989 §4.7, RFC 7489 §6.3).
enum FailureOption : std::uint8_t {
  kFo0 = 1,  // "0"
  kFo1 = 2,  // "1"
  kFoD = 4,  // "d"
  kFoS = 8,  // "s"
};

struct ReportUri {
  TextSpan uri;  // the URI as written, without any "!size" suffix
  // The "!size[kmgt]" suffix, in bytes (binary units: k = 2^10 ... t = 2^40).
  // Set in 7489 mode only (DM7-6.2-01); bis mode accepts the suffix and
  // ignores the size (DMB-4.8-02, D11), so there it is always empty.
  std::optional<std::uint64_t> max_size;
  bool had_size_suffix = false;  // written, in either mode
  // The scheme is "mailto" (case-insensitive) and the rest is an addr-spec
  // with a domain. Receivers only need to support mailto; other valid URIs
  // are kept and marked unsupported (D14, DM7-6.3-05).
  bool mailto = false;
  bool operator==(const ReportUri&) const = default;
};

// A tag this mode does not know (D25; in bis mode also pct, rf, ri: D9,
// D26), kept for reports and `check`.
struct UnknownTag {
  TextSpan name;
  TextSpan value;
  bool operator==(const UnknownTag&) const = default;
};

struct Record {
  // A copy of the record text; every TextSpan refers into it.
  std::string text;
  Mode mode = Mode::kBis;

  // The policy tags as written and valid; empty when absent or invalid
  // (an invalid one also sets the matching *_invalid flag and leaves a
  // diagnostic).
  std::optional<Disposition> p, sp, np;
  // np_invalid is bis only: in 7489 mode an invalid np takes its default
  // (RFC 7489 §6.3; §6.6.3 voids a record for p and sp only), with a
  // warning.
  bool p_invalid = false, sp_invalid = false, np_invalid = false;

  // Whether the record can be used at all (see the top of this file), and
  // the request it makes for the domain it was published for after the
  // D5-D8 rules: p as written, or none when p is absent or invalid and a
  // valid rua exists (D6, D7).
  bool usable = false;
  Disposition request = Disposition::kNone;

  Alignment adkim = Alignment::kRelaxed;
  Alignment aspf = Alignment::kRelaxed;
  std::uint8_t fo = kFo0;   // FailureOption bits
  bool t = false;           // bis: t=y (D18)
  Psd psd = Psd::kUnknown;  // bis: psd= (D19)

  // 7489 mode only (removed in bis): pct (0..100), ri (seconds), rf.
  std::uint8_t pct = 100;
  std::uint32_t ri = 86400;
  bool has_pct = false;  // pct was written and valid

  // Report URIs, valid ones only, in order. D12-D14: a raw ',' splits; an
  // element that is not a URI is dropped with a warning.
  std::vector<ReportUri> rua, ruf;

  std::vector<UnknownTag> unknown;
  Diagnostics diagnostics;  // warnings on success; the error when unusable

  std::string_view View(TextSpan s) const { return std::string_view(text).substr(s.pos, s.len); }
  // The subdomain policy (sp, else p; DM7-6.3-07) and the non-existent
  // subdomain policy (np, else sp, else p; DMB-4.7-03), after the D6/D7
  // rule; only meaningful when `usable`.
  Disposition SubdomainRequest() const;
  Disposition NonExistentRequest() const;
  // HasValidRua: the rua holds at least one syntactically valid reporting
  // URI (RFC 7489 §6.6.3, RFC 9989 §4.10.1): a mailto: with an addr-spec or
  // a URI of another scheme (D14: kept though not sent to). HasValidRuf: at
  // least one valid mailto ruf URI.
  bool HasValidRua() const;
  bool HasValidRuf() const;
};

struct ParseOptions {
  Mode mode = Mode::kBis;
  // Tests and fuzzers compare the shortcut for the usual record shape with
  // the general path; the result is the same either way.
  bool fast_paths = true;
};

// True if `txt` starts a DMARC record for discovery's filter: "v", optional
// WSP, "=", optional WSP, "DMARC1" (case-sensitive), then WSP, ";" or the end
// (RFC 9989 §4.10 step 2, 7489 §6.6.3 step 3).
bool IsDmarcRecord(std::string_view txt);

// Parses one joined TXT RR (multi-string joined with no separator, D24)
// into `out`, reusing its storage. See the top of this file for the return
// value. Diagnostics carry byte offsets into `text`.
bool ParseRecordInto(std::string_view text, Record& out, const ParseOptions& opts = {});

// Same, returning the record or the `dmarc.record.version` failure. An
// unusable record is a value (check `usable`).
Result<Record> ParseRecord(std::string_view text, const ParseOptions& opts = {});

// Canonical text: "v=DMARC1", then the tags that were written and valid in
// the order p sp np adkim aspf fo t psd pct ri rua ruf, then unknown tags in
// order, joined by "; ". An invalid p, sp or np is written with an empty
// value ("sp="), so that it stays invalid. Parsing it in the same mode gives
// an equal record (up to spans and diagnostics).
std::string SerializeRecord(const Record& r);

}  // namespace mxconform::dmarc
