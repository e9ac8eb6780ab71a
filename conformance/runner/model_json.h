// JSON views of the reference parsers' results, shared by `mxconform check
// --json`, the vector runner and the reports.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"
#include "dmarc/eval.h"
#include "dmarc/record.h"
#include "mtasts/policy.h"
#include "mtasts/txt_record.h"
#include "spf/eval.h"
#include "spf/receiver.h"
#include "spf/record.h"
#include "tlsrpt/report.h"
#include "tlsrpt/txt_record.h"

namespace mxconform::conformance {

// Text for JSON: nlohmann::json refuses to serialise invalid UTF-8, and
// inputs, file names and evaluator output may hold any byte. Valid UTF-8 is
// kept; otherwise ASCII is kept and other bytes show as \xHH.
std::string JsonText(std::string_view s);

// Compact JSON that never throws, for messages and for handing JSON on as
// text: bytes that are not UTF-8 show as U+FFFD (plain dump() throws).
std::string DumpJson(const nlohmann::json& j);

// Reading hand-written files without exceptions (json::value() and get()
// throw on a wrong type): `obj[key]` when `obj` is a map holding `key` with
// a value of the wanted type, else the default. ListField / MapField give an
// empty list / map by default.
std::string TextField(const nlohmann::json& obj, const std::string& key, std::string def = "");
bool BoolField(const nlohmann::json& obj, const std::string& key, bool def);
std::int64_t IntField(const nlohmann::json& obj, const std::string& key, std::int64_t def);
nlohmann::json ListField(const nlohmann::json& obj, const std::string& key);
nlohmann::json MapField(const nlohmann::json& obj, const std::string& key);

nlohmann::json DiagnosticJson(const Diagnostic& d);
nlohmann::json DiagnosticsJson(const Diagnostics& d);

nlohmann::json ToJson(const mtasts::TxtRecord& r);
nlohmann::json ToJson(const mtasts::Policy& p);
nlohmann::json ToJson(const tlsrpt::TxtRecord& r);
nlohmann::json ToJson(const tlsrpt::Report& r);
// An SPF record's terms as written and as understood, and the static
// DNS-term estimate.
nlohmann::json ToJson(const spf::Record& r);
// A check_host() result with its counters, queries and trace.
nlohmann::json ToJson(const spf::EvalResult& r);
// A receiver's reply to MAIL FROM: disposition, reply code, enhanced code
// and the text lines.
nlohmann::json ToJson(const spf::MailReply& r);
// A DMARC record: the tags as understood (defaults filled in) and whether it
// can be used.
nlohmann::json ToJson(const dmarc::Record& r);
// A DMARC evaluation: result, policy, alignment, queries.
nlohmann::json ToJson(const dmarc::EvalResult& r);
// The evaluation of several From domains: the verdict, which author decided
// it, those not evaluated, and each author's evaluation.
nlohmann::json ToJson(const dmarc::MultiEvalResult& r);

}  // namespace mxconform::conformance
