// TXT record text helpers shared by every `v=` record parser: joining the
// character-strings of one RR (RFC 7208 §3.3, RFC 8461 §3.1: no separator)
// and reading DNS presentation form (RFC 1035 §5.1: "a" "b", \X and \DDD).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mxconform::txt {

// Decodes the presentation form of one TXT RR's RDATA: one or more
// character-strings, each quoted ("...") or a bare run of non-space bytes,
// separated by white space, with \X and \DDD escapes. Returns the strings
// joined with no separator. Errors (`txt.presentation.*`): an unterminated
// quote, a bad \DDD escape (value > 255 or fewer than 3 digits), a string
// longer than 255 octets.
Result<std::string> DecodePresentation(std::string_view rdata);

// Splits an input file into TXT RRs: one RR per non-empty line. A line whose
// first non-blank byte is '"' is presentation form and is decoded; any other
// line is taken as the already-joined record text (a trailing CR is dropped).
// Diagnostics carry offsets into `file`.
Result<std::vector<std::string>> SplitRecords(std::string_view file);

}  // namespace mxconform::txt
