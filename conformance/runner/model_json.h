// JSON views of the reference parsers' results, shared by `mxconform check
// --json`, the vector runner and the reports.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.h"
#include "mtasts/policy.h"
#include "mtasts/txt_record.h"
#include "tlsrpt/report.h"
#include "tlsrpt/txt_record.h"

namespace mxconform::conformance {

nlohmann::json DiagnosticJson(const Diagnostic& d);
nlohmann::json DiagnosticsJson(const Diagnostics& d);

nlohmann::json ToJson(const mtasts::TxtRecord& r);
nlohmann::json ToJson(const mtasts::Policy& p);
nlohmann::json ToJson(const tlsrpt::TxtRecord& r);
nlohmann::json ToJson(const tlsrpt::Report& r);

}  // namespace mxconform::conformance
