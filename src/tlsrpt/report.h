// The TLS-RPT aggregate report (RFC 8460 §4): a typed model, a tolerant JSON
// reader and a writer of the spec form (§4.4 member names).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "tlsrpt/result_type.h"

namespace mxconform::tlsrpt {

// Inputs above this size are refused by ReadReport.
constexpr std::size_t kMaxReportBytes = std::size_t{16} * 1024 * 1024;
// Deepest nesting of JSON arrays and objects ReadReport accepts (the spec
// form needs 5).
constexpr std::size_t kMaxReportDepth = 64;

// RFC 3339 date-time text, as read (validated by ReadReport) or written.
struct DateRange {
  std::string start_datetime;
  std::string end_datetime;
  bool operator==(const DateRange&) const = default;
};

// RFC 8460 §4.4 policy-type (RPT-4-03).
enum class PolicyType : std::uint8_t { kSts, kTlsa, kNoPolicyFound };

// "sts", "tlsa" or "no-policy-found".
std::string_view PolicyTypeName(PolicyType t);

// One `failure-details` entry. Optional members are empty when absent.
struct FailureDetail {
  ResultType result_type = ResultType::kValidationFailure;
  std::string sending_mta_ip;
  std::string receiving_mx_hostname;
  std::string receiving_mx_helo;  // optional
  std::string receiving_ip;
  std::uint64_t failed_session_count = 0;
  std::string additional_information;  // optional
  std::string failure_reason_code;     // optional
  bool operator==(const FailureDetail&) const = default;
};

// One `policies` element: the `policy` object, its `summary` and its
// `failure-details`.
struct PolicyReport {
  PolicyType policy_type = PolicyType::kSts;
  std::vector<std::string> policy_string;
  // False when the input had no `policy-string` (seen on fetch errors). The
  // writer always emits one (`[]` when empty), so it reads back as true.
  bool policy_string_present = true;
  std::string policy_domain;
  // The spec form is one string; read from a string (one element), an array
  // of strings or absence (empty). The writer emits the first element only.
  std::vector<std::string> mx_host;
  std::uint64_t total_successful_session_count = 0;
  std::uint64_t total_failure_session_count = 0;
  std::vector<FailureDetail> failure_details;  // absent in the input = empty
  bool operator==(const PolicyReport&) const = default;
};

struct Report {
  std::string organization_name;
  DateRange date_range;
  std::string contact_info;
  std::string report_id;
  std::vector<PolicyReport> policies;
  Diagnostics diagnostics;  // warnings and info from ReadReport

  // Compares the content; `diagnostics` is not compared.
  bool operator==(const Report& o) const;
};

// Reads a JSON report. Tolerant where deployed reporters differ from the
// spec form (mx-host as an array or absent, policy-string or failure-details
// absent, unknown members), each documented at the rule. Returns the model
// with warnings in `diagnostics`, or a failure whose diagnostics
// (`tlsrpt.report.*`) hold the errors found, in this order of checks:
// `too_large`, `invalid_utf8`, `too_deep` (first one only, at its byte
// offset); `invalid_json` (at the byte offset nlohmann reports) and
// `duplicate_key`; else every semantic error: `missing_field`, `wrong_type`,
// `bad_value`. From `duplicate_key` on, the detail is the JSON pointer of the
// member and the offset is 0: the JSON library reports no value positions.
Result<Report> ReadReport(std::string_view json);

// Writes the spec form of RFC 8460 §4.4: member names as in the RFC,
// `policies` always an array, `policy-string` always present, `mx-host` as
// one string (the first element; omitted when empty), optional members and
// an empty `failure-details` omitted, counts as integers. Invalid UTF-8 in a
// string is replaced by U+FFFD. For a valid model (one ReadReport accepts),
// ReadReport(WriteReport(r)) equals r while the text stays within
// kMaxReportBytes, except that an mx_host of several names keeps the first
// only and policy_string_present becomes true.
std::string WriteReport(const Report& r, bool pretty = false);

}  // namespace mxconform::tlsrpt
