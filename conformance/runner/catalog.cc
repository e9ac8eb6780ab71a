#include "conformance/runner/catalog.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "common/file.h"
#include "conformance/runner/yaml_budget.h"

namespace mxconform::conformance {

std::vector<std::string> CatalogIds(std::string_view requirements_md) {
  // "| ATK-07 |" or "| STS-4.2-01 |" at the start of a table row.
  static const std::regex kRow(
      R"(^\|\s*(ATK-[0-9]{2}|STS-(?:3\.3|4|5|7)(?:\.[0-9]+)?-[0-9]+)\s*\|)");
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::istringstream lines{std::string(requirements_md)};
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kRow) && seen.insert(m[1]).second) {
      out.push_back(m[1]);
    }
  }
  return out;
}

Result<std::map<std::string, std::string>> LoadInformational(const std::filesystem::path& file) {
  auto text = ReadFileAtMost(file, kMaxInputFileBytes, {"catalog.unreadable", "catalog.too_large"});
  if (!text) {
    return text.error();
  }
  auto parsed = ParseInformational(*text);
  if (!parsed) {
    Diagnostic d = parsed.error();
    d.detail = file.string() + ":" + d.detail;  // "FILE:LINE:COL: what", as read errors name it
    return d;
  }
  return parsed;
}

namespace {

// ParseInformational without its guard (yaml-cpp throws on a few shapes).
Result<std::map<std::string, std::string>> ParseInformationalUnguarded(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return MakeDiag("catalog.yaml", Severity::kError, 0, "YAML syntax error",
                    LineColumn(e.mark) + ": " + e.msg);
  }
  if (!WithinYamlBudget(root)) {
    return MakeDiag("catalog.yaml", Severity::kError, 0, kYamlTooLarge, "1:1: the whole file");
  }
  std::map<std::string, std::string> out;
  if (!root || root.IsNull()) {
    return out;
  }
  auto at = [](const YAML::Node& n) { return LineColumn(n.Mark()) + ": "; };
  if (!root.IsMap()) {
    return MakeDiag("catalog.field", Severity::kError, 0, "bad catalog file",
                    at(root) + "want a map of id to the reason it has no scenario");
  }
  for (const auto& kv : root) {
    if (!kv.first.IsScalar() || kv.first.Scalar().empty()) {
      return MakeDiag("catalog.field", Severity::kError, 0, "bad catalog file",
                      at(kv.first) + "a key must be a requirement or attack id");
    }
    if (!kv.second.IsScalar() || kv.second.Scalar().empty()) {
      return MakeDiag(
          "catalog.field", Severity::kError, 0, "bad catalog file",
          at(kv.second) + kv.first.Scalar() + ": the reason must be a non-empty string");
    }
    out[kv.first.Scalar()] = kv.second.Scalar();
  }
  return out;
}

}  // namespace

Result<std::map<std::string, std::string>> ParseInformational(std::string_view text) {
  try {
    return ParseInformationalUnguarded(text);
  } catch (const YAML::Exception& e) {
    return MakeDiag("catalog.yaml", Severity::kError, 0, "bad catalog file",
                    LineColumn(e.mark) + ": " + YamlShapeError(e.msg));
  }
}

Result<std::map<std::string, std::string>> LoadCatalogFolder(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return out;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".yaml") {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto one = LoadInformational(f);
    if (!one) {
      return one.error();  // it names the file
    }
    for (auto& [id, why] : *one) {
      if (!out.emplace(id, why).second) {
        return MakeDiag("catalog.field", Severity::kError, 0, "bad catalog file",
                        f.string() + ": " + id + " is already explained in another file");
      }
    }
  }
  return out;
}

Coverage ComputeCoverage(const std::vector<std::string>& ids,
                         const std::vector<Scenario>& scenarios,
                         const std::map<std::string, std::string>& informational) {
  Coverage c;
  std::map<std::string, std::vector<std::string>> cited;
  for (const auto& s : scenarios) {
    std::set<std::string> mine;
    for (const auto& q : s.requirements) {
      mine.insert(q.id);
    }
    mine.insert(s.attacks.begin(), s.attacks.end());
    for (const auto& id : mine) {
      cited[id].push_back(s.id);
    }
  }
  const std::set<std::string> wanted(ids.begin(), ids.end());
  for (const auto& id : ids) {
    CatalogEntry e;
    e.id = id;
    if (auto it = cited.find(id); it != cited.end()) {
      e.scenarios = it->second;
    }
    if (auto it = informational.find(id); it != informational.end()) {
      e.informational = it->second;
    }
    if (e.scenarios.empty() && e.informational.empty()) {
      c.unmapped.push_back(id);
    }
    c.entries.push_back(std::move(e));
  }
  for (const auto& [id, why] : informational) {
    if (wanted.count(id) == 0) {
      c.stray.push_back(id);
    }
  }
  return c;
}

nlohmann::json CatalogJson(const std::vector<const Scenario*>& listed, const Coverage& coverage) {
  using json = nlohmann::json;
  json scenarios = json::array();
  for (const Scenario* s : listed) {
    json reqs = json::array();
    for (const auto& q : s->requirements) {
      reqs.push_back({{"id", q.id}, {"level", q.level}});
    }
    scenarios.push_back({{"id", s->id},
                         {"title", s->title},
                         {"file", s->file.generic_string()},
                         {"tags", s->tags},
                         {"requirements", reqs},
                         {"attacks", s->attacks}});
  }
  json entries = json::array();
  for (const auto& e : coverage.entries) {
    json x = {{"id", e.id}, {"scenarios", e.scenarios}};
    if (!e.informational.empty()) {
      x["informational"] = e.informational;
    }
    entries.push_back(std::move(x));
  }
  return {{"scenarios", std::move(scenarios)},
          {"coverage", std::move(entries)},
          {"unmapped", coverage.unmapped},
          {"stray_informational", coverage.stray}};
}

std::vector<CaseResult> InformationalCases(const Coverage& coverage) {
  std::vector<CaseResult> out;
  for (const auto& e : coverage.entries) {
    if (e.informational.empty() || !e.scenarios.empty()) {
      continue;
    }
    CaseResult r;
    r.id = "catalog/" + e.id;
    r.suite = "scenarios";
    r.kind = "informational";
    r.summary = "not observable from outside";
    r.requirements = {e.id};
    r.outcome = Outcome::kInformational;
    r.message = e.informational;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace mxconform::conformance
