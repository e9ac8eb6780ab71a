// `mxconform list`: the scenario catalog, filtered by tag or requirement,
// and (with --json) the coverage of every ATK row and every sender-side
// MTA-STS requirement.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "conformance/runner/catalog.h"
#include "conformance/runner/scenario_model.h"

namespace mxconform::cli {
namespace fs = std::filesystem;

void AddList(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "list", "Print the scenario catalog: ids, titles, tags, requirement and attack ids");
  struct Opts {
    std::string tag;
    std::string requirement;
    bool json = false;
    std::string scenarios_root = DefaultScenariosDir();
    std::string requirements = DefaultRequirementsFile();
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--tag", o->tag, "Only scenarios with this tag");
  cmd->add_option("--requirement", o->requirement,
                  "Only scenarios citing this requirement or attack id (STS-5-01, ATK-07)");
  cmd->add_flag("--json", o->json,
                "Print JSON: the scenarios, and the coverage of every ATK row and every "
                "STS-3.3/4/5/7 requirement (scenarios, or the reason none can observe it)");
  cmd->add_option("--scenarios-root", o->scenarios_root, "The scenario folder")
      ->capture_default_str();
  cmd->add_option("--requirements", o->requirements, "The requirements catalogue")
      ->capture_default_str();
  cmd->callback([o, &rc] {
    std::error_code ec;
    if (!fs::is_directory(o->scenarios_root, ec)) {
      std::cerr << "mxconform: " << o->scenarios_root << ": not a folder of scenarios\n";
      rc = kExitUsage;
      return;
    }
    std::vector<conformance::Scenario> all;
    bool bad = false;
    for (const auto& f : conformance::FindScenarioFiles(o->scenarios_root)) {
      auto s = conformance::LoadScenario(f);
      if (!s) {
        PrintLoadErrors(f, s.diagnostics());
        bad = true;
        continue;
      }
      all.push_back(std::move(*s));
    }
    if (bad) {
      // As `run` and `lint` do for a file that does not load.
      rc = kExitUsage;
      return;
    }
    std::vector<const conformance::Scenario*> listed;
    for (const auto& s : all) {
      const bool tagged =
          o->tag.empty() || std::find(s.tags.begin(), s.tags.end(), o->tag) != s.tags.end();
      const bool cites =
          o->requirement.empty() ||
          std::any_of(s.requirements.begin(), s.requirements.end(),
                      [&](const auto& q) { return q.id == o->requirement; }) ||
          std::find(s.attacks.begin(), s.attacks.end(), o->requirement) != s.attacks.end();
      if (tagged && cites) {
        listed.push_back(&s);
      }
    }
    if (!o->json) {
      for (const auto* s : listed) {
        std::string reqs;
        for (const auto& q : s->requirements) {
          reqs += (reqs.empty() ? "" : " ") + q.id + "(" + q.level + ")";
        }
        for (const auto& a : s->attacks) {
          reqs += " " + a;
        }
        std::string tags;
        for (const auto& t : s->tags) {
          tags += (tags.empty() ? "" : ",") + t;
        }
        std::cout << ForTerminal(s->id) << "\n  " << ForTerminal(s->title)
                  << "\n  tags: " << ForTerminal(tags.empty() ? "-" : tags)
                  << "  ids: " << ForTerminal(reqs) << "\n";
      }
      std::cout << listed.size() << " of " << all.size() << " scenarios\n";
      rc = kExitOk;
      return;
    }
    auto catalogue = ReadInput(o->requirements, std::size_t{16} * 1024 * 1024);
    if (!catalogue) {
      rc = kExitUsage;
      return;
    }
    auto informational = conformance::LoadCatalogFolder(fs::path(o->scenarios_root) / "_catalog");
    if (!informational) {
      std::cerr << "mxconform: " << informational.error().Text() << "\n";
      rc = kExitInvalid;
      return;
    }
    const auto coverage =
        conformance::ComputeCoverage(conformance::CatalogIds(*catalogue), all, *informational);
    std::cout << conformance::CatalogJson(listed, coverage).dump(2) << "\n";
    rc = kExitOk;
  });
}

}  // namespace mxconform::cli
