// The `_smtp._tls` TXT record (RFC 8460 §3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/profile.h"
#include "common/result.h"

namespace mxconform::tlsrpt {

using mxconform::Profile;

// An unknown `name=value` field: kept, in order, but without meaning
// (RFC 8460 §3, RPT-3-07).
struct Extension {
  std::string name;
  std::string value;
  bool operator==(const Extension&) const = default;
};

// The two report transports of RFC 8460 §3 (RPT-3-03).
enum class UriScheme : std::uint8_t { kMailto, kHttps };

// One usable `rua` URI, as written in the record (scheme case preserved).
struct ReportUri {
  UriScheme scheme = UriScheme::kMailto;
  std::string uri;
  bool operator==(const ReportUri&) const = default;
};

// Strict is the RFC 8460 §3 ABNF; interop also accepts an empty field
// (";;"), white space after the last field without a final ';' and a
// malformed extension (skipped), each with a warning.
struct ParseOptions {
  Profile profile = Profile::kStrict;
  // Use the SIMD fast path for plain mailto: and https: URIs. It accepts exactly what
  // the general path accepts; tests and fuzzers turn it off to compare.
  bool fast_paths = true;
};

struct TxtRecord {
  std::vector<ReportUri> rua;         // usable URIs of every rua field, in order
  std::vector<Extension> extensions;  // unknown fields, in order
  Diagnostics diagnostics;            // warnings and info only on success

  // Not part of the value: URI buffers ParseTxtRecordInto keeps between
  // calls, so that a reused record with fewer URIs than the last one does
  // not free what the next one needs.
  std::vector<std::string> spare_uris;
};

// Parses one TXT record's joined text (the caller joins the character-strings
// of the RR with no separator, RPT-3-06; see common/txt.h) into `out`,
// reusing its storage: a reused `out` makes a typical record allocation-free.
// Returns true if the record is valid under `opts.profile`. On failure
// out.diagnostics holds at least one error (`tlsrpt.txt.*`) with its byte
// offset; `out` is otherwise unspecified.
bool ParseTxtRecordInto(std::string_view record, const ParseOptions& opts, TxtRecord& out);

// Same, returning a value or the diagnostics of the failure.
Result<TxtRecord> ParseTxtRecord(std::string_view record, const ParseOptions& opts = {});

// RFC 8460 §3 selection among the TXT RRs at `_smtp._tls.<domain>`
// (RPT-3-05): with several RRs, those that do not begin with the literal
// "v=TLSRPTv1;" are discarded; unless exactly one remains the domain does not
// do TLS-RPT. A single RR is parsed as is. Returns the parsed record, or
// `tlsrpt.txt.no_record` / `tlsrpt.txt.multiple_records` or the record's own
// parse error. Diagnostic offsets are within the chosen record; its index is
// written to `*chosen` when given.
Result<TxtRecord> SelectTxtRecord(std::span<const std::string> rrs, const ParseOptions& opts = {},
                                  std::size_t* chosen = nullptr);

// The record in canonical form: "v=TLSRPTv1; rua=U1,U2" then "; name=value"
// per extension. Parsing the output of a parsed record gives the same rua and
// extensions.
std::string SerializeTxtRecord(const TxtRecord& r);

}  // namespace mxconform::tlsrpt
