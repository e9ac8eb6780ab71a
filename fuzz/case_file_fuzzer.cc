// Fuzz target: the case files `mxconform run --suite` reads, which vendors
// write by hand: the parser case files (conformance/vectors/*.yaml: STS and
// TLS-RPT records, policies, MX patterns, reports, report mails, the TLS-RPT
// reporter, MX RRsets, Received-SPF fields) and the DMARC case files
// (conformance/vectors/dmarc/*.yaml). Each is loaded, linted, and run when
// it lints clean, as `run` does; DMARC cases in-process only (no wire).
// Also the expectations file of `run --expect` (known failures).
//
// Input: the text of one file, given to all three readers. A file that names an
// `input_file` reads it from beside a path that does not exist (fuzz/in/),
// so the case fails to build its input instead of reading this machine's
// files.
//
// Asserts, for any input:
//  - loading returns (no exception escapes, no crash); a failure is one
//    `vectors.file.yaml` error, located (line and column from 1); both
//    readers agree on whether the text loads;
//  - the expectations reader fails exactly when that fails (then with
//    `vectors.expectations.yaml`, located) or the xfail list is malformed
//    (`vectors.expectations.shape`, naming the file); what it accepts has
//    a non-empty reason for each id;
//  - the lints return; each problem names the file;
//  - a file that lints clean runs: one result per case (parser files) or
//    per test and mode (DMARC), with the id the file gives, in file order;
//    a pass has no message and anything else has one; results turn into
//    JSON text without an exception; a second run gives the same outcomes
//    and messages.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/runner/dmarc_cases.h"
#include "conformance/runner/model_json.h"
#include "conformance/runner/vectors.h"
#include "fuzz_check.h"

namespace {

namespace conf = mxconform::conformance;
using nlohmann::json;

constexpr std::string_view kPath = "fuzz/in/cases.yaml";

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void CheckLoadFailure(const mxconform::Diagnostic& d) {
  FUZZ_CHECK_MSG(d.id == "vectors.file.yaml", std::string(d.id));
  FUZZ_CHECK(d.line >= 1 && d.column >= 1);
}

void CheckExpectations(const mxconform::Result<conf::Expectations>& e, bool loads) {
  if (e.ok()) {
    FUZZ_CHECK(loads);
    for (const auto& [id, reason] : e->xfail) {
      FUZZ_CHECK_MSG(!reason.empty(), id);
    }
    return;
  }
  const mxconform::Diagnostic& d = e.error();
  if (!loads) {
    FUZZ_CHECK_MSG(d.id == "vectors.expectations.yaml", std::string(d.id));
    FUZZ_CHECK(d.line >= 1 && d.column >= 1);
  } else {
    FUZZ_CHECK_MSG(d.id == "vectors.expectations.shape", std::string(d.id));
    FUZZ_CHECK_MSG(StartsWith(d.detail, kPath), d.detail);
  }
}

void CheckProblems(const std::vector<std::string>& problems, std::string_view file) {
  for (const auto& p : problems) {
    FUZZ_CHECK_MSG(StartsWith(p, file), p);
  }
}

// What every result of a run must be, and the same a second time.
void CheckResults(const std::vector<conf::CaseResult>& first,
                  const std::vector<conf::CaseResult>& again, const std::vector<std::string>& ids) {
  FUZZ_CHECK(first.size() == ids.size());
  FUZZ_CHECK(again.size() == first.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    const auto& r = first[i];
    FUZZ_CHECK_MSG(r.id == ids[i], r.id + " vs " + ids[i]);
    FUZZ_CHECK_MSG((r.outcome == conf::Outcome::kPass) == r.message.empty(), r.message);
    FUZZ_CHECK(r.outcome == conf::Outcome::kPass || r.outcome == conf::Outcome::kFail ||
               r.outcome == conf::Outcome::kError);
    (void)conf::DumpJson(r.expected);
    (void)conf::DumpJson(r.actual);
    FUZZ_CHECK(again[i].id == r.id);
    FUZZ_CHECK(again[i].outcome == r.outcome);
    FUZZ_CHECK_MSG(again[i].message == r.message, r.message + " / " + again[i].message);
  }
}

void CheckParserCases(const conf::CaseFile& f) {
  std::set<std::string> seen;
  const auto problems = conf::LintCaseFile(f, {}, seen);
  CheckProblems(problems, f.path.filename().string());
  if (!problems.empty()) {
    return;
  }
  std::vector<std::string> ids;
  for (const auto& c : f.doc["cases"]) {
    ids.push_back(c["id"].get<std::string>());
  }
  CheckResults(conf::RunCaseFile(f), conf::RunCaseFile(f), ids);
}

void CheckDmarcCases(const conf::DmarcCaseFile& f) {
  const auto problems = conf::LintDmarcCaseFile(f, {});
  CheckProblems(problems, f.path.string());
  if (!problems.empty()) {
    return;
  }
  const std::string suite = conf::TextField(f.doc, "suite");
  std::vector<std::string> ids;
  for (const auto& t : f.doc["tests"]) {
    std::vector<std::string> modes = {"bis", "7489"};
    if (t.contains("modes")) {
      modes.clear();
      for (const auto& m : t["modes"]) {  // `modes: [7489]` is a number
        modes.push_back(m.is_string() ? m.get<std::string>() : conf::DumpJson(m));
      }
    }
    for (const auto& m : modes) {
      ids.push_back(suite + "/" + t["name"].get<std::string>() + "/" + m);
    }
  }
  CheckResults(conf::RunDmarcCaseFile(f), conf::RunDmarcCaseFile(f), ids);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(text);

  auto f = conf::ParseCaseFile(text, kPath);
  auto d = conf::ParseDmarcCaseFile(text, kPath);
  FUZZ_CHECK(f.ok() == d.ok());
  CheckExpectations(conf::ParseExpectations(text, kPath), f.ok());
  if (!f.ok()) {
    CheckLoadFailure(f.error());
    CheckLoadFailure(d.error());
    return 0;
  }
  CheckParserCases(*f);
  CheckDmarcCases(*d);
  return 0;
}
