// TXT record text helpers shared by every `v=` record parser: joining the
// character-strings of one RR (RFC 7208 §3.3, RFC 8461 §3.1: no separator)
// and reading DNS presentation form (RFC 1035 §5.1: "a" "b", \X and \DDD).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
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
// longer than 255 octets. With `source`, also the offset in `rdata` each
// output byte came from (an escape's backslash for \X and \DDD).
Result<std::string> DecodePresentation(std::string_view rdata,
                                       std::vector<std::uint32_t>* source = nullptr);

// One TXT RR read from a file, with where it was.
struct FileRecord {
  std::string text;           // the joined record text
  std::uint32_t line = 0;     // 1-based line in the file
  std::uint32_t column = 0;   // 1-based column where the text starts
  bool presentation = false;  // decoded from presentation form
  // Presentation form only: the 1-based column of each byte of `text` in
  // its line, then one for the end of the text (escapes and quotes make
  // them differ from column + offset).
  std::vector<std::uint32_t> columns;
  // The column of byte `offset` of `text` (offset == text.size(): its end).
  std::uint32_t ColumnOf(std::size_t offset) const {
    if (!columns.empty()) {
      return columns[std::min(offset, columns.size() - 1)];
    }
    return column + static_cast<std::uint32_t>(offset);
  }
};

// Splits an input file into TXT RRs: one RR per line that is not blank. A
// line whose first non-blank byte is '"' is presentation form and is
// decoded; any other line is taken whole as the already-joined record text
// (a trailing CR is dropped; blanks before or after the record are part of
// it). Errors carry offsets into `file` and the line and column.
Result<std::vector<FileRecord>> SplitRecords(std::string_view file);

// The record-selection rule the `v=` TXT protocols share (RFC 8461 §3.1,
// RFC 8460 §3): with a single RR, that one is parsed as is; with several,
// those not beginning with `prefix` are discarded and exactly one must
// remain. Returns the index of the RR to parse, or an error with the
// protocol's own id (`none_id` when nothing is left, `multiple_id` when more
// than one is).
struct SelectionRule {
  std::string_view prefix;
  std::string_view none_id;
  std::string_view none_message;
  std::string_view multiple_id;
  std::string_view multiple_message;
};
Result<std::size_t> SelectRecord(std::span<const std::string> rrs, const SelectionRule& rule);

}  // namespace mxconform::txt
