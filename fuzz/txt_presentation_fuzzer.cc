// Fuzz target: DNS presentation form of TXT records (common/txt.h), which
// `mxconform check` reads from files: DecodePresentation and SplitRecords.
//
// Asserts, for any input:
//  - a failure carries an error whose offset is inside the input;
//  - decoding never grows the text (every escape is longer than its byte);
//  - a decoded record, written back in presentation form (quoted strings of
//    at most 255 bytes, '"' '\' and non-printable bytes as \DDD), decodes to
//    the same bytes;
//  - the source offsets DecodePresentation gives are one per decoded byte,
//    strictly increasing and inside the input, and each plain byte (not
//    an escape's backslash) is the byte decoded;
//  - SplitRecords gives records with increasing line numbers, each equal to
//    what DecodePresentation (or the raw line) gives for its line; a
//    presentation record has a column per byte plus one for its end,
//    strictly increasing from 2 (after the quote).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/txt.h"
#include "fuzz_check.h"

namespace {

namespace txt = mxconform::txt;

// The decoded bytes in presentation form: 255-byte quoted strings.
std::string Encode(std::string_view bytes) {
  std::string out;
  std::size_t in_string = 0;
  out += '"';
  for (char c : bytes) {
    if (in_string == 255) {
      out += "\" \"";
      in_string = 0;
    }
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03u", u);
      out += buf;
    } else {
      out += c;
    }
    ++in_string;
  }
  out += '"';
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);

  auto decoded = txt::DecodePresentation(in);
  if (!decoded) {
    FUZZ_CHECK(decoded.error().IsError());
    FUZZ_CHECK(decoded.error().offset <= size);
  } else {
    FUZZ_CHECK(decoded->size() <= size);
    std::vector<std::uint32_t> source;
    auto with_source = txt::DecodePresentation(in, &source);
    FUZZ_CHECK(with_source.ok() && *with_source == *decoded);
    FUZZ_CHECK(source.size() == decoded->size());
    for (std::size_t k = 0; k < source.size(); ++k) {
      FUZZ_CHECK(source[k] < size && (k == 0 || source[k] > source[k - 1]));
      FUZZ_CHECK(in[source[k]] == '\\' || in[source[k]] == (*decoded)[k]);
    }
    auto again = txt::DecodePresentation(Encode(*decoded));
    FUZZ_CHECK_MSG(again.ok() && *again == *decoded,
                   "re-encoded record does not decode to the same bytes");
  }

  auto records = txt::SplitRecords(in);
  if (!records) {
    FUZZ_CHECK(records.error().offset <= size);
    FUZZ_CHECK(records.error().line >= 1);
    return 0;
  }
  std::uint32_t last_line = 0;
  for (const auto& r : *records) {
    FUZZ_CHECK(r.line > last_line);
    last_line = r.line;
    FUZZ_CHECK(!r.text.empty() || r.presentation);
    if (r.presentation) {
      FUZZ_CHECK(r.columns.size() == r.text.size() + 1);
      for (std::size_t k = 0; k < r.columns.size(); ++k) {
        FUZZ_CHECK(r.columns[k] >= 2 && (k == 0 || r.columns[k] > r.columns[k - 1]));
      }
    } else {
      FUZZ_CHECK(r.columns.empty());
    }
  }
  return 0;
}
