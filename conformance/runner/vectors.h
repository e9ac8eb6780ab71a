// Conformance vectors: YAML case files (conformance/vectors/*.yaml), their
// linter, and the runner that checks the reference parsers against them.
// The file format is described in conformance/README.md.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace mxconform::conformance {

// Outcomes as in the project style (h2spec / Autobahn): the reference only
// produces pass, fail and error; the others come with implementations.
// kPartial is a scenario run in-process whose every check passed, where
// the scenario also holds what only the wire run exercises (the fakes
// ignore it, or decide its result themselves): it is not a pass, because
// what it leaves out is the point of some of the requirements it cites.
enum class Outcome : std::uint8_t {
  kPass,
  kPartial,
  kFail,
  kNonStrict,
  kInformational,
  kUnimplemented,
  kSkip,
  kXfail,
  kXpass,
  kError,
};
std::string_view OutcomeName(Outcome o);

struct CaseFile {
  std::filesystem::path path;
  nlohmann::json doc;  // the YAML, as JSON
};

// Reads a YAML case file into JSON. Errors: `vectors.file.unreadable`,
// `vectors.file.yaml` (with the YAML parser's line and column).
Result<CaseFile> LoadCaseFile(const std::filesystem::path& path);

// The same from the file's text; `path` only names it (in errors and in
// CaseFile::path). Errors: `vectors.file.yaml`.
Result<CaseFile> ParseCaseFile(std::string_view text, const std::filesystem::path& path);

// The requirement and edge-case ids (STS-3.1-04, P13, R7, ATK-01, ...) found
// in the catalogue text.
std::set<std::string> ExtractRequirementIds(std::string_view catalogue);

// Checks a case file: known kind, unique path-like ids under the suite,
// known requirement ids (when `known_ids` is non-empty), exactly one input,
// expectation keys valid for the kind. `seen_ids` collects ids across files.
// Returns the problems found (empty when clean); each names the case.
std::vector<std::string> LintCaseFile(const CaseFile& f, const std::set<std::string>& known_ids,
                                      std::set<std::string>& seen_ids);

struct CaseResult {
  std::string id;
  std::string suite;
  std::string kind;
  std::string summary;
  std::string file;
  std::vector<std::string> requirements;
  Outcome outcome = Outcome::kError;
  std::string message;      // why it failed, or empty
  nlohmann::json expected;  // per profile
  nlohmann::json actual;    // per profile
  double duration_ms = 0;
};

// Kinds whose cases need more than the model's parsers: cert-match builds
// certificates and verifies them with OpenSSL (EvaluateCertMatch,
// cert_match.h, in mx_conformance). Given a case's `input` (of the shape
// the lint checks), an evaluator returns the actual value of every expect
// key of its kind, or an error.
using CaseEvaluator = std::function<Result<nlohmann::json>(const nlohmann::json& input)>;
using CaseEvaluators = std::map<std::string, CaseEvaluator>;

// Runs every case of `f` against the reference parsers (both profiles where
// the kind has profiles), or the evaluator `extra` has for its kind. A case
// whose input cannot be built, or whose kind has no evaluator, is an error.
std::vector<CaseResult> RunCaseFile(const CaseFile& f, const CaseEvaluators& extra = {});

// Known failures of the implementation under test, each with its reason
// (tlsfuzzer -x/-X): a listed case that fails is an xfail, a listed case that
// passes is an xpass, which fails the run, so the list cannot rot.
struct Expectations {
  std::map<std::string, std::string> xfail;  // case id -> reason
};

// Reads an expectations file: YAML `xfail: [{id: ..., reason: ...}, ...]`.
// Errors: `vectors.expectations.unreadable`, `vectors.expectations.yaml`
// (with line and column), `vectors.expectations.shape` (an entry without a
// string id and a non-empty reason, or an id listed twice).
Result<Expectations> LoadExpectations(const std::filesystem::path& path);

// LoadExpectations on text already read; `path` names it in diagnostics.
Result<Expectations> ParseExpectations(std::string_view text, const std::filesystem::path& path);

// Turns the listed failures into xfail (the reason first in the message)
// and the listed passes into xpass.
void ApplyExpectations(const Expectations& e, std::vector<CaseResult>& results);

// Case files under `dir` (*.yaml, sorted).
std::vector<std::filesystem::path> FindCaseFiles(const std::filesystem::path& dir);

}  // namespace mxconform::conformance
