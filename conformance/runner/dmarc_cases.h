// DMARC case files (conformance/vectors/dmarc/*.yaml): loading, lint and the
// runner that evaluates each case with the reference (src/dmarc) in every
// mode it lists, over an in-memory zone. The format is in
// conformance/README.md ("DMARC suites").
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "conformance/runner/vectors.h"

namespace mxconform::conformance {

struct DmarcCaseFile {
  std::filesystem::path path;
  nlohmann::json doc;  // the YAML, as JSON
};

// Errors as for LoadCaseFile() (`vectors.file.*`).
Result<DmarcCaseFile> LoadDmarcCaseFile(const std::filesystem::path& path);
// The same from the file's text, as ParseCaseFile().
Result<DmarcCaseFile> ParseDmarcCaseFile(std::string_view text, const std::filesystem::path& path);

// Checks a loaded file: `suite` and `tests` present, test names unique and
// well-formed, known keys, modes bis / 7489, known results, dispositions and
// policy sources, spf / dkim inputs of the form {result, domain}, zonedata
// that loads, requirement ids known (when `known_ids` is non-empty).
// Returns the problems ("file [test]: what").
std::vector<std::string> LintDmarcCaseFile(const DmarcCaseFile& f,
                                           const std::set<std::string>& known_ids);

class ZoneWire;  // openspf.h

// One CaseResult per test and mode: id `<suite>/<name>/<mode>`, kind
// "dmarc". A test passes when every expectation key it gives holds. With
// `wire` (a WireDns, wire_dns.h), each is evaluated a second time over the
// wire (the mock DNS server serving the test's zone, through the stub
// resolver) and fails unless everything it reports is the same.
std::vector<CaseResult> RunDmarcCaseFile(const DmarcCaseFile& f, ZoneWire* wire = nullptr);

// `dir`/dmarc/*.yaml, sorted.
std::vector<std::filesystem::path> FindDmarcCaseFiles(const std::filesystem::path& vectors_dir);

}  // namespace mxconform::conformance
