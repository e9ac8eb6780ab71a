// The attack catalog's coverage (issue 7): every ATK row of the
// requirements catalogue and every sender-side MTA-STS requirement that
// issue 7 names (STS-3.3-*, STS-4*, STS-5*, STS-7*) maps to the scenarios
// that cite it, or to a written reason why no scenario can observe it from
// outside (conformance/scenarios/_catalog/*.yaml).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "conformance/runner/scenario_model.h"
#include "conformance/runner/vectors.h"

namespace mxconform::conformance {

// The ids the catalog must cover, in the catalogue's order: ATK-NN rows
// and the STS-3.3 / STS-4 / STS-5 / STS-7 requirement rows of
// `requirements_md` (the table rows, not mentions in prose).
std::vector<std::string> CatalogIds(std::string_view requirements_md);

// Reads informational.yaml: a map of id to its reason (a non-empty
// string). Errors: `catalog.unreadable`, `catalog.too_large`,
// `catalog.yaml`, `catalog.field`; each detail starts with the file's path,
// then, for the last two, "line:column: ".
Result<std::map<std::string, std::string>> LoadInformational(const std::filesystem::path& file);
// The same from text (what LoadInformational reads).
Result<std::map<std::string, std::string>> ParseInformational(std::string_view text);

// Every `<scenarios>/_catalog/*.yaml`, merged; an id in two files is
// `catalog.field`. No folder: an empty map.
Result<std::map<std::string, std::string>> LoadCatalogFolder(const std::filesystem::path& dir);

struct CatalogEntry {
  std::string id;
  std::vector<std::string> scenarios;  // scenario ids citing it (requirements or attacks)
  std::string informational;           // the reason, when no scenario can observe it
};

// One entry per id of `ids`, and the ids that map to nothing (which lint
// and the catalog test reject).
struct Coverage {
  std::vector<CatalogEntry> entries;
  std::vector<std::string> unmapped;
  std::vector<std::string> stray;  // informational ids not in `ids`
};
Coverage ComputeCoverage(const std::vector<std::string>& ids,
                         const std::vector<Scenario>& scenarios,
                         const std::map<std::string, std::string>& informational);

// `mxconform list --json`: {"scenarios": [...], "coverage": [...],
// "unmapped": [...]}.
nlohmann::json CatalogJson(const std::vector<const Scenario*>& listed, const Coverage& coverage);

// The catalog's informational entries as run results (outcome
// informational, the reason as the message), so that a report shows them.
std::vector<CaseResult> InformationalCases(const Coverage& coverage);

}  // namespace mxconform::conformance
