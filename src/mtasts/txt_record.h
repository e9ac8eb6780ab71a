// The `_mta-sts` TXT record (RFC 8461 §3.1).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "mtasts/types.h"

namespace mxconform::mtasts {

struct TxtRecord {
  std::string id;                     // 1..32 ALPHA/DIGIT; the first id wins
  std::vector<Extension> extensions;  // unknown fields, in order
  Diagnostics diagnostics;            // warnings and info only on success
};

// Parses one TXT record's joined text (the character-strings of one RR
// concatenated with no separator, STS-3.1-06) into `out`, reusing its
// storage. Returns true if the record is valid under `opts.profile`. On
// failure out.diagnostics holds at least one error (`mtasts.txt.*`) with its
// byte offset; `out` is otherwise unspecified.
bool ParseTxtRecordInto(std::string_view record, const ParseOptions& opts, TxtRecord& out);

// Same, returning a value or the diagnostics of the failure.
Result<TxtRecord> ParseTxtRecord(std::string_view record, const ParseOptions& opts = {});

// RFC 8461 §3.1 selection among the TXT RRs at `_mta-sts.<domain>`
// (STS-3.1-04): with several RRs, those that do not begin with the literal
// "v=STSv1;" are discarded; unless exactly one remains there is no policy.
// With a single RR it is parsed as is. Returns the parsed record, or
// `mtasts.txt.no_record` / `mtasts.txt.multiple_records` or the record's own
// parse error. Diagnostic offsets are within the chosen record; the index of
// that record is written to `*chosen` when given.
Result<TxtRecord> SelectTxtRecord(std::span<const std::string> rrs, const ParseOptions& opts = {},
                                  std::size_t* chosen = nullptr);

// The record in canonical form: "v=STSv1; id=ID" then "; name=value" per
// extension.
std::string SerializeTxtRecord(const TxtRecord& r);

}  // namespace mxconform::mtasts
