// Fuzz target: the TLS-RPT aggregate report reader and writer (RFC 8460 §4).
//
// Asserts, for any input:
//  - a failure carries at least one error, a success none; every diagnostic
//    has a `tlsrpt.report.*` id and an offset <= the input size;
//  - a report that reads writes (compact and pretty) to valid UTF-8 that
//    reads back equal to it under report.h's round-trip rules (mx_host keeps
//    its first name only, policy_string_present becomes true);
//  - WriteReport is stable: writing the same model twice, or the model read
//    back from its own output, gives the same text.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/text.h"
#include "tlsrpt/report.h"

namespace {

namespace tlsrpt = mxconform::tlsrpt;
using mxconform::Diagnostics;

std::string_view g_input;

[[noreturn]] void CheckFailed(const char* file, int line, const char* expr,
                              const std::string& detail) {
  std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
  if (!detail.empty()) {
    std::fprintf(stderr, "  %s\n", detail.c_str());
  }
  std::fprintf(stderr, "  input (%zu bytes): %s\n", g_input.size(),
               mxconform::text::Printable(g_input, 1024).c_str());
  std::abort();
}

// Aborts with the expression, `detail` (evaluated only on failure) and the
// input when `cond` is false.
#define FUZZ_CHECK_MSG(cond, detail)                    \
  do {                                                  \
    if (!(cond)) {                                      \
      CheckFailed(__FILE__, __LINE__, #cond, (detail)); \
    }                                                   \
  } while (0)
#define FUZZ_CHECK(cond) FUZZ_CHECK_MSG(cond, std::string())

std::string Describe(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d) {
    out += std::string(x.id) + "@" + std::to_string(x.offset) + "(" +
           std::string(mxconform::SeverityName(x.severity)) + ")" +
           (x.detail.empty() ? "" : "[" + mxconform::text::Printable(x.detail, 80) + "]") + " ";
  }
  return out;
}

void CheckDiagnostics(bool ok, const Diagnostics& d, std::size_t size) {
  bool any_error = false;
  for (const auto& x : d) {
    FUZZ_CHECK_MSG(x.offset <= size, Describe(d));
    FUZZ_CHECK_MSG(x.id.starts_with("tlsrpt.report."), Describe(d));
    FUZZ_CHECK(!x.message.empty());
    any_error |= x.IsError();
  }
  FUZZ_CHECK_MSG(any_error == !ok, Describe(d));
}

// What ReadReport(WriteReport(r)) gives back, per report.h.
tlsrpt::Report AfterRoundTrip(const tlsrpt::Report& r) {
  tlsrpt::Report want = r;
  want.diagnostics.clear();
  for (auto& p : want.policies) {
    if (p.mx_host.size() > 1) {
      p.mx_host.resize(1);
    }
    p.policy_string_present = true;
  }
  return want;
}

void CheckReadsBack(const std::string& text, const tlsrpt::Report& want) {
  FUZZ_CHECK_MSG(mxconform::text::IsValidUtf8(text), mxconform::text::Printable(text, 1024));
  auto again = tlsrpt::ReadReport(text);
  FUZZ_CHECK_MSG(again.ok(), "written: " + mxconform::text::Printable(text, 1024) + " -> " +
                                 Describe(again.diagnostics()));
  FUZZ_CHECK_MSG(*again == want, "written: " + mxconform::text::Printable(text, 1024));
  for (const auto& x : again->diagnostics) {
    FUZZ_CHECK(!x.IsError());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  g_input = in;

  auto r = tlsrpt::ReadReport(in);
  CheckDiagnostics(r.ok(), r.ok() ? r->diagnostics : r.diagnostics(), size);
  if (!r.ok()) {
    return 0;
  }

  std::string text = tlsrpt::WriteReport(*r);
  FUZZ_CHECK_MSG(tlsrpt::WriteReport(*r) == text, "WriteReport is not deterministic");
  tlsrpt::Report want = AfterRoundTrip(*r);
  CheckReadsBack(text, want);
  // The canonical model writes the same text as the model it came from.
  FUZZ_CHECK(tlsrpt::WriteReport(want) == text);
  auto again = tlsrpt::ReadReport(text);
  FUZZ_CHECK(tlsrpt::WriteReport(*again) == text);

  std::string pretty = tlsrpt::WriteReport(*r, /*pretty=*/true);
  FUZZ_CHECK(tlsrpt::WriteReport(*r, /*pretty=*/true) == pretty);
  CheckReadsBack(pretty, want);
  return 0;
}
