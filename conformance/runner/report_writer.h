// Writes a run's results: index.json (the machine-readable record), junit.xml
// (for CI dashboards), summary.txt (for people) and report.html (a
// self-contained page with the evidence next to each verdict).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "conformance/runner/vectors.h"

namespace mxconform::conformance {

struct RunInfo {
  std::string implementation = "mxconform-reference";
  std::string started;  // RFC 3339 UTC
  std::vector<std::string> suites;
};

struct Totals {
  std::size_t total = 0, pass = 0, fail = 0, error = 0, other = 0;
};
Totals Count(const std::vector<CaseResult>& results);

nlohmann::json IndexJson(const RunInfo& info, const std::vector<CaseResult>& results);
std::string JunitXml(const RunInfo& info, const std::vector<CaseResult>& results);
std::string SummaryText(const RunInfo& info, const std::vector<CaseResult>& results);
// What SafeTextTo() escapes for: nothing but bytes (summary.txt), one
// line of a terminal, HTML, XML element text, XML attribute values.
enum class Markup : std::uint8_t { kNone, kLine, kHtml, kXmlText, kXmlAttribute };
// Appends text from a peer (any bytes) so that the output is well-formed in
// `markup`: control bytes other than tab, newline and CR (kLine: those too,
// so that the text stays one line and cannot overwrite it), bytes that are
// not well-formed UTF-8, and U+FFFE / U+FFFF (not XML characters) show as
// `\xNN`; with HTML or XML markup, & < > " ' as references; in XML text
// CR, and in XML attribute values tab, LF and CR, as character references,
// which the parser would otherwise normalise away.
void SafeTextTo(std::string& out, std::string_view s, Markup markup);

// report.html (report_html.cc): one self-contained page, no external URL.
std::string HtmlReport(const RunInfo& info, const std::vector<CaseResult>& results);
// The matrix row of a requirement id in report.html: "RFC 8461 §3.3" for
// STS-3.3-01, "RFC 6125 §6.4.1" for CERT-6125-6.4.1, "RFC 8461 edge cases"
// for P13, "attacks" for ATK-01; "other" for an id of no known shape.
std::string RequirementSection(std::string_view requirement_id);

// What a wire scenario logs comes from the implementation under test,
// which may fill the mocks' logs to their caps (2,000 transcript lines a
// session, 256 sessions, ...): a case's evidence is cut to about
// kEvidenceBudget octets of text before it is kept for the reports.
inline constexpr std::size_t kEvidenceBudget = 256 * 1024;
// Cuts the strings of `j`, in document order, once `budget` octets of them
// have been kept: the string that crosses the budget ends with
// "... (N more octets)", later strings keep only that note, and an array
// loses its remaining elements to one "... (N more elements)"; keys,
// numbers and booleans stay. Returns true if anything was cut.
bool BoundEvidence(nlohmann::json& j, std::size_t budget = kEvidenceBudget);

// Removes the four files an earlier run left in `dir`, so that a run that
// stops before writing its own leaves none rather than the last one's (a
// CI job that publishes junit.xml whatever the exit code would show the
// old result). Absent files are fine; `report.remove_failed` otherwise.
Result<bool> RemoveReports(const std::filesystem::path& dir);

// Writes the four files into `dir` (created if needed). Returns an error
// diagnostic `report.write_failed` naming the file on failure.
Result<bool> WriteReports(const std::filesystem::path& dir, const RunInfo& info,
                          const std::vector<CaseResult>& results);

// The current time as RFC 3339 UTC ("2026-11-29T18:35:05Z").
std::string NowRfc3339();

}  // namespace mxconform::conformance
