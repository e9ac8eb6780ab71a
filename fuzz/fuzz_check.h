// What the fuzz targets (fuzz/*_fuzzer.cc) share: FUZZ_CHECK, which prints
// the failed expression and the input and aborts, the checks every parser
// target makes of its diagnostics, and two small input helpers.
//
// Targets include it as "fuzz_check.h" (the including file's folder is
// searched first), so fuzz/build.sh needs no -I for fuzz/. Each target is
// its own program: the inline state below is per target.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/text.h"

namespace mxconform::fuzz {

// How a failed check shows what it knows: up to `input_bytes` of the input
// (printable form), and whether Describe adds each diagnostic's detail.
struct FailureOutput {
  std::size_t input_bytes = 512;
  bool diagnostic_details = false;
};

// The input being run and how failures show it (set by SetInput).
inline std::string_view g_input;
inline FailureOutput g_failure_output;

// Records the input LLVMFuzzerTestOneInput was given, for CheckFailed; the
// first thing every target does.
inline void SetInput(std::string_view input, FailureOutput output = {}) {
  g_input = input;
  g_failure_output = output;
}

// Prints where and what failed, `detail` when not empty and the input, then
// aborts (so libFuzzer keeps the input as a crash).
[[noreturn]] inline void CheckFailed(const char* file, int line, const char* expr,
                                     const std::string& detail) {
  std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
  if (!detail.empty()) {
    std::fprintf(stderr, "  %s\n", detail.c_str());
  }
  std::fprintf(stderr, "  input (%zu bytes): %s\n", g_input.size(),
               text::Printable(g_input, g_failure_output.input_bytes).c_str());
  std::abort();
}

// Aborts with the expression, `detail` (evaluated only on failure) and the
// input when `cond` is false.
#define FUZZ_CHECK_MSG(cond, detail)                                       \
  do {                                                                     \
    if (!(cond)) {                                                         \
      ::mxconform::fuzz::CheckFailed(__FILE__, __LINE__, #cond, (detail)); \
    }                                                                      \
  } while (0)
#define FUZZ_CHECK(cond) FUZZ_CHECK_MSG(cond, std::string())

// "id@offset(severity) " per diagnostic, for failure messages; with
// FailureOutput::diagnostic_details, "id@offset(severity)[detail] ".
inline std::string Describe(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d) {
    out += std::string(x.id) + "@" + std::to_string(x.offset) + "(" +
           std::string(SeverityName(x.severity)) + ")";
    if (g_failure_output.diagnostic_details && !x.detail.empty()) {
      out += "[" + text::Printable(x.detail, 80) + "]";
    }
    out += " ";
  }
  return out;
}

// The diagnostics contract of a parser for an input of `size` bytes that
// parsed to `ok`: every diagnostic has an id starting with `id_prefix`
// (`mtasts.txt.`), an offset <= size and a message; there is an error
// exactly when the parse failed.
inline void CheckDiagnostics(bool ok, const Diagnostics& d, std::size_t size,
                             std::string_view id_prefix) {
  bool any_error = false;
  for (const auto& x : d) {
    FUZZ_CHECK_MSG(x.offset <= size, Describe(d));
    FUZZ_CHECK_MSG(x.id.starts_with(id_prefix), Describe(d));
    FUZZ_CHECK(!x.message.empty());
    any_error |= x.IsError();
  }
  FUZZ_CHECK_MSG(any_error == !ok, Describe(d));
}

// Two runs reported the same thing: equal id, severity, offset and detail,
// in order (message, line and column are not compared).
inline bool SameDiagnostics(const Diagnostics& a, const Diagnostics& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || a[i].severity != b[i].severity || a[i].offset != b[i].offset ||
        a[i].detail != b[i].detail) {
      return false;
    }
  }
  return true;
}

// Two parsed records' name=value lists (SPF unknown modifiers, DMARC
// unknown tags: elements with `name` and `value` spans into their record,
// read with View()) hold the same texts; where they sit may differ.
template <typename Record, typename List>
bool SameNameValueTexts(const Record& a, const List& la, const Record& b, const List& lb) {
  if (la.size() != lb.size()) {
    return false;
  }
  for (std::size_t k = 0; k < la.size(); ++k) {
    if (a.View(la[k].name) != b.View(lb[k].name) || a.View(la[k].value) != b.View(lb[k].value)) {
      return false;
    }
  }
  return true;
}

// The input split on '\n' (no LF: one line; a final LF: an empty last line),
// e.g. one TXT RR per line for SelectTxtRecord.
inline std::vector<std::string> SplitLines(std::string_view in) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t nl = in.find('\n', start);
    if (nl == std::string_view::npos) {
      out.emplace_back(in.substr(start));
      return out;
    }
    out.emplace_back(in.substr(start, nl - start));
    start = nl + 1;
  }
}

// Upper-cases a-z only (no locale, bytes >= 0x80 untouched).
inline std::string ToUpperAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return out;
}

}  // namespace mxconform::fuzz
