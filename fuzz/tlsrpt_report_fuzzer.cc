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
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/text.h"
#include "fuzz_check.h"
#include "tlsrpt/report.h"

namespace {

namespace tlsrpt = mxconform::tlsrpt;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;

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
  mxconform::fuzz::SetInput(in, {.input_bytes = 1024, .diagnostic_details = true});

  auto r = tlsrpt::ReadReport(in);
  CheckDiagnostics(r.ok(), r.ok() ? r->diagnostics : r.diagnostics(), size, "tlsrpt.report.");
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
