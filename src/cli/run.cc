// `mxconform run` and `mxconform lint`: the conformance vectors (YAML case
// files, *.yaml) and the SPF suites in the openspf format (*.yml: ours in
// the vectors directory, and the third-party RFC 7208 suite).
#include <fnmatch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "cli/cli.h"
#include "common/file.h"
#include "conformance/runner/catalog.h"
#include "conformance/runner/cert_match.h"
#include "conformance/runner/dmarc_cases.h"
#include "conformance/runner/model_json.h"
#include "conformance/runner/openspf.h"
#include "conformance/runner/report_writer.h"
#include "conformance/runner/scenario.h"
#include "conformance/runner/smtp_server_case.h"
#include "conformance/runner/vectors.h"
#include "conformance/runner/wire_dns.h"

namespace mxconform::cli {
namespace {

namespace fs = std::filesystem;
using conformance::CaseFile;
using conformance::OpenspfFile;
using conformance::OpenspfOrigin;

struct Sources {
  std::vector<std::string> suites;  // empty: everything under `vectors`
  std::string vectors;
  std::string requirements;
  std::string openspf;  // the third-party suite run with the defaults; "" for none
  bool verbose = true;
  // Scenarios: `scenarios` names folders, files or id prefixes under
  // `scenarios_root`; with no suites and no scenarios named, all of them.
  std::vector<std::string> scenarios;
  std::string scenarios_root;
};

struct Loaded {
  std::optional<std::string> catalogue;  // the requirements catalogue, when readable
  std::vector<CaseFile> files;
  std::vector<OpenspfFile> spf_files;
  std::vector<conformance::DmarcCaseFile> dmarc_files;
  std::vector<conformance::Scenario> scenarios;
  std::map<std::string, std::vector<std::string>> refs;  // openspf test -> requirement ids
  std::vector<std::string> problems;
  bool io_error = false;
};

// True if `p` lies under `dir` (both made absolute and normal).
bool IsUnder(const fs::path& p, const fs::path& dir) {
  std::error_code ec;
  fs::path a = fs::weakly_canonical(p, ec);
  fs::path b = fs::weakly_canonical(dir, ec);
  auto rel = a.lexically_relative(b);
  return !rel.empty() && *rel.begin() != "..";
}

bool SamePath(const fs::path& a, const fs::path& b) {
  std::error_code ec;
  return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
}

// "mxconform: message: detail (line L, column C)" for a case file.
void PrintCaseFileError(const Diagnostic& e) {
  std::string line = e.Text();
  if (e.line != 0) {
    line += " (line " + std::to_string(e.line) + ", column " + std::to_string(e.column) + ")";
  }
  std::cerr << "mxconform: " << ForTerminal(line) << "\n";
}

Loaded LoadAndLint(const Sources& s) {
  Loaded l;
  // A file to load; `text` holds its contents when they were already read
  // (a suite named without .yml, read once to tell its format).
  struct Pending {
    fs::path path;
    OpenspfOrigin origin = OpenspfOrigin::kOurs;
    std::optional<std::string> text = std::nullopt;
  };
  std::vector<Pending> case_paths;
  std::vector<Pending> spf_paths;
  std::vector<fs::path> dmarc_paths;
  std::vector<fs::path> named_scenarios;  // scenario files given as suites
  const auto all_scenarios = conformance::FindScenarioFiles(s.scenarios_root);
  if (s.suites.empty() && !s.scenarios.empty()) {
    // Scenarios only.
  } else if (s.suites.empty()) {
    for (auto& p : conformance::FindCaseFiles(s.vectors)) {
      case_paths.push_back({std::move(p)});
    }
    dmarc_paths = conformance::FindDmarcCaseFiles(s.vectors);
    for (auto& p : conformance::FindOpenspfFiles(s.vectors)) {
      spf_paths.push_back({std::move(p), OpenspfOrigin::kOurs});
    }
    if (case_paths.empty() && spf_paths.empty()) {
      std::cerr << "mxconform: " << s.vectors << ": no *.yaml case files or *.yml SPF suites\n";
      l.io_error = true;
      return l;
    }
    if (!s.openspf.empty()) {
      std::error_code ec;
      if (fs::is_regular_file(s.openspf, ec)) {
        spf_paths.push_back({s.openspf, OpenspfOrigin::kThirdParty});
      } else if (SamePath(s.openspf, DefaultOpenspfSuite())) {
        std::cerr << "mxconform: skipped the openspf RFC 7208 suite: " << s.openspf
                  << " not found (../shared is not beside the checkout; pass --openspf FILE)\n";
      } else {
        // Named on the command line: not running it is no pass.
        std::cerr << "mxconform: --openspf " << s.openspf << ": not a readable file\n";
        l.io_error = true;
      }
    }
  } else {
    for (const auto& p : s.suites) {
      if (std::any_of(all_scenarios.begin(), all_scenarios.end(),
                      [&](const fs::path& f) { return SamePath(f, p); })) {
        named_scenarios.emplace_back(p);  // a scenario, not a case file
      } else if (fs::path(p).parent_path().filename() == "dmarc") {
        dmarc_paths.emplace_back(p);
      } else {
        const OpenspfOrigin origin =
            IsUnder(p, s.vectors) ? OpenspfOrigin::kOurs : OpenspfOrigin::kThirdParty;
        if (fs::path(p).extension() == ".yml") {
          spf_paths.push_back({p, origin});
          continue;
        }
        // Any other name: read once, and the contents tell the format.
        auto text = ReadFileAtMost(p, kMaxInputFileBytes,
                                   {"vectors.file.unreadable", "vectors.file.too_large"});
        if (!text) {
          PrintCaseFileError(text.error());
          l.io_error = true;
        } else if (conformance::IsOpenspfText(*text)) {
          spf_paths.push_back({p, origin, std::move(*text)});
        } else {
          case_paths.push_back({p, origin, std::move(*text)});
        }
      }
    }
  }
  std::set<std::string> known;
  l.catalogue = ReadInput(s.requirements, std::size_t{16} * 1024 * 1024);
  const auto& cat = l.catalogue;
  if (cat) {
    known = conformance::ExtractRequirementIds(*cat);
    l.refs = conformance::OpenspfCatalogueRefs(*cat);
  } else if (!SamePath(s.requirements, DefaultRequirementsFile())) {
    // Named on the command line: a lint that cannot check ids is no pass.
    std::cerr << "mxconform: --requirements " << s.requirements
              << ": unreadable, so requirement ids cannot be checked\n";
    l.io_error = true;
  } else if (s.verbose) {
    std::cerr << "mxconform: requirement ids not checked (" << s.requirements
              << " unreadable: ../shared is not beside the checkout; pass --requirements FILE)\n";
  }
  std::set<std::string> seen;
  for (const auto& [p, origin, text] : case_paths) {
    auto f = text ? conformance::ParseCaseFile(*text, p) : conformance::LoadCaseFile(p);
    if (!f) {
      PrintCaseFileError(f.error());
      l.io_error = true;
      continue;
    }
    auto problems = conformance::LintCaseFile(*f, known, seen);
    l.problems.insert(l.problems.end(), problems.begin(), problems.end());
    l.files.push_back(std::move(*f));
  }
  for (const auto& [p, origin, text] : spf_paths) {
    auto f = text ? conformance::ParseOpenspf(*text, p, origin)
                  : conformance::LoadOpenspfFile(p, origin);
    if (!f) {
      PrintLoadErrors(p, f.diagnostics());
      l.io_error = true;
      continue;
    }
    auto problems = conformance::LintOpenspfFile(*f, known);
    l.problems.insert(l.problems.end(), problems.begin(), problems.end());
    l.spf_files.push_back(std::move(*f));
  }
  for (const auto& p : dmarc_paths) {
    auto f = conformance::LoadDmarcCaseFile(p);
    if (!f) {
      PrintLoadErrors(p, f.diagnostics());
      l.io_error = true;
      continue;
    }
    auto problems = conformance::LintDmarcCaseFile(*f, known);
    l.problems.insert(l.problems.end(), problems.begin(), problems.end());
    l.dmarc_files.push_back(std::move(*f));
  }
  std::vector<fs::path> scenario_paths = named_scenarios;
  if (s.suites.empty() || !s.scenarios.empty()) {
    if (std::error_code ec; !fs::is_directory(s.scenarios_root, ec)) {
      // A typo in --scenarios-root would otherwise run no scenario at all.
      std::cerr << "mxconform: " << s.scenarios_root << ": not a folder of scenarios\n";
      l.io_error = true;
    }
    if (s.scenarios.empty()) {
      scenario_paths = all_scenarios;
    }
    for (const auto& want : s.scenarios) {
      std::error_code ec;
      const bool is_path = fs::exists(want, ec);
      std::size_t before = scenario_paths.size();
      for (const auto& p : all_scenarios) {
        const std::string id =
            fs::relative(p, s.scenarios_root, ec).replace_extension("").generic_string();
        if (is_path ? (SamePath(p, want) || IsUnder(p, want)) : id.rfind(want, 0) == 0) {
          scenario_paths.push_back(p);
        }
      }
      if (scenario_paths.size() == before) {
        std::cerr << "mxconform: --scenarios " << want << ": no scenario under " << s.scenarios_root
                  << " matches\n";
        l.io_error = true;
      }
    }
  }
  for (const auto& p : scenario_paths) {
    auto sc = conformance::LoadScenario(p);
    if (!sc) {
      PrintLoadErrors(p, sc.diagnostics());
      l.io_error = true;
      continue;
    }
    auto problems = conformance::LintScenario(*sc, s.scenarios_root, known);
    l.problems.insert(l.problems.end(), problems.begin(), problems.end());
    l.scenarios.push_back(std::move(*sc));
  }
  return l;
}

// --filter: a prefix, or a glob when it has a wildcard character.
bool Selected(const std::string& id, const std::string& filter) {
  if (filter.find_first_of("*?[") != std::string::npos) {
    return fnmatch(filter.c_str(), id.c_str(), 0) == 0;
  }
  return id.rfind(filter, 0) == 0;
}

}  // namespace

void AddRun(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "run", "Run conformance suites against the reference and write reports/latest/");
  struct Opts {
    std::vector<std::string> suites;
    std::string vectors = DefaultVectorsDir();
    std::string out = DefaultReportsDir();
    std::string requirements = DefaultRequirementsFile();
    std::string openspf = DefaultOpenspfSuite();
    std::string expectations = DefaultExpectationsFile();
    std::string filter;
    bool quiet = false;
    bool skip_missing = false;
    bool wire = false;
    bool wire_tcp = false;
    std::vector<std::string> scenarios;
    std::string scenarios_root = DefaultScenariosDir();
    std::string mode = "both";
    std::string target = "reference";
    bool strict = false;
    int jobs = 1;
    int wire_timeout_ms = 250;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--suite", o->suites,
                  "A case file (*.yaml) or an openspf-format SPF suite (*.yml) to run "
                  "(repeatable); default: every suite");
  cmd->add_option("--vectors", o->vectors, "Directory of case files")->capture_default_str();
  cmd->add_option("--out,--report", o->out, "Report directory")->capture_default_str();
  cmd->add_option("--requirements", o->requirements, "Requirements catalogue, for the lint")
      ->capture_default_str();
  cmd->add_option("--openspf", o->openspf,
                  "The third-party openspf RFC 7208 suite run without --suite (\"\" for none)")
      ->capture_default_str();
  cmd->add_option("--expectations", o->expectations,
                  "Known failures, each with its reason (xfail; a listed case that passes "
                  "fails the run); \"\" for none")
      ->capture_default_str();
  cmd->add_option("--filter", o->filter,
                  "Only cases whose id starts with this prefix, or matches it as a glob when "
                  "it has * ? or [");
  cmd->add_option(
         "--target", o->target,
         "The sender the scenarios judge: reference, or reference:PROFILE, a negative "
         "control that cuts one corner (opportunistic, no-cache, follow-redirects, "
         "cleartext-fallback, no-name-check, no-shuffle; conformance/README.md lists what each "
         "must fail)")
      ->check([](const std::string& t) -> std::string {
        if (t == "reference") {
          return "";
        }
        if (t.rfind("reference:", 0) == 0 && mtasts::ParseProfile(t.substr(10))) {
          return "";
        }
        std::string names;
        for (auto p : mtasts::AllProfiles()) {
          names += (names.empty() ? "" : ", ") + std::string(mtasts::ProfileName(p));
        }
        return "unknown target '" + t + "' (want reference or reference:PROFILE, PROFILE one of " +
               names + ")";
      })
      ->capture_default_str();
  cmd->add_flag("--strict", o->strict,
                "A scenario that fails only SHOULD or MAY requirements is a failure (default: "
                "the outcome non-strict, which does not fail the run)");
  cmd->add_option("--jobs,-j", o->jobs, "Scenarios run at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "Print only the closing line");
  cmd->add_flag("--skip-missing", o->skip_missing,
                "If a --suite file does not exist, print SKIPPED and exit 77 (for ctest)");
  auto* wire_flag =
      cmd->add_flag("--wire", o->wire,
                    "Evaluate every SPF and DMARC case a second time over the wire (the mock DNS "
                    "server on 127.0.0.1, the stub resolver) and fail it unless both agree");
  // Alone it would do nothing, silently (review finding): a usage error.
  cmd->add_flag("--wire-tcp", o->wire_tcp, "With --wire: send every query over TCP")
      ->needs(wire_flag);
  cmd->add_option("--scenarios", o->scenarios,
                  "Scenarios to run: a folder, a file or an id prefix under --scenarios-root "
                  "(repeatable); with no --suite and no --scenarios, every scenario");
  cmd->add_option("--scenarios-root", o->scenarios_root, "Where scenario ids start")
      ->capture_default_str();
  cmd->add_option("--mode", o->mode,
                  "How scenarios run: in-process (fakes, a virtual clock), wire (the socket "
                  "mocks on loopback; the good-path scenario runs first and a failure there "
                  "stops the run as a setup error), or both")
      ->check(CLI::IsMember({"in-process", "wire", "both"}))
      ->capture_default_str();
  cmd->add_option("--wire-timeout-ms", o->wire_timeout_ms,
                  "With --wire: the stub resolver's timeout (the TIMEOUT cases wait this long)")
      ->check(CLI::Range(20, 10000))
      ->capture_default_str();
  cmd->callback([o, &rc] {
    // A run that stops early (lint problems, an unreadable suite, a setup
    // error, a skip) must not leave the last run's reports looking like its
    // own (review finding).
    if (auto removed = conformance::RemoveReports(o->out); !removed) {
      std::cerr << "mxconform: " << ForTerminal(removed.error().Text()) << "\n";
      rc = kExitUsage;
      return;
    }
    if (o->skip_missing) {
      for (const auto& s : o->suites) {
        std::error_code ec;
        if (!fs::exists(s, ec)) {
          std::cout << "SKIPPED: " << s << " not found"
                    << (SamePath(s, DefaultOpenspfSuite())
                            ? " (../shared is not beside the checkout)"
                            : "")
                    << "\n";
          rc = kExitSkip;
          return;
        }
      }
    }
    Loaded l = LoadAndLint({o->suites, o->vectors, o->requirements, o->openspf, !o->quiet,
                            o->scenarios, o->scenarios_root});
    conformance::Expectations expectations;
    std::error_code ec;
    if (!o->expectations.empty() &&
        (o->expectations != DefaultExpectationsFile() || fs::exists(o->expectations, ec))) {
      auto e = conformance::LoadExpectations(o->expectations);
      if (!e) {
        PrintLoadErrors(o->expectations, e.diagnostics());
        l.io_error = true;
      } else {
        expectations = std::move(*e);
      }
    }
    if (l.io_error) {
      rc = kExitUsage;
      return;
    }
    if (!l.problems.empty()) {
      for (const auto& p : l.problems) {
        std::cerr << "lint: " << ForTerminal(p) << "\n";
      }
      std::cerr << "mxconform: " << l.problems.size()
                << " problem(s) in the case files; fix them before running\n";
      rc = kExitInvalid;
      return;
    }
    conformance::RunInfo info;
    info.started = conformance::NowRfc3339();
    conformance::ScenarioRunOptions scenario_opts;
    if (o->target.rfind("reference:", 0) == 0) {
      scenario_opts.profile = *mtasts::ParseProfile(o->target.substr(10));
      info.implementation = "mxconform-" + o->target;
    }
    std::vector<conformance::CaseResult> results;
    for (const auto& f : l.files) {
      info.suites.push_back(conformance::TextField(f.doc, "suite"));
      for (auto& r :
           conformance::RunCaseFile(f, {{"cert-match", conformance::EvaluateCertMatch},
                                        {"smtp-server", conformance::EvaluateSmtpServer}})) {
        if (Selected(r.id, o->filter)) {
          results.push_back(std::move(r));
        }
      }
    }
    std::unique_ptr<conformance::WireDns> wire;
    if (o->wire) {
      conformance::WireDnsOptions wo;
      wo.attempt_timeout = std::chrono::milliseconds(o->wire_timeout_ms);
      wo.tcp_only = o->wire_tcp;
      auto w = conformance::WireDns::Start(wo);
      if (!w) {
        std::cerr << "mxconform: cannot start the mock DNS server: " << w.error().Text() << "\n";
        rc = kExitUsage;
        return;
      }
      wire = std::move(*w);
    }
    conformance::OpenspfRunOptions run_opts;
    run_opts.refs = &l.refs;
    run_opts.wire = wire.get();
    for (const auto& f : l.spf_files) {
      for (auto& r : conformance::RunOpenspfFile(f, run_opts)) {
        if (std::find(info.suites.begin(), info.suites.end(), r.suite) == info.suites.end()) {
          info.suites.push_back(r.suite);
        }
        if (Selected(r.id, o->filter)) {
          results.push_back(std::move(r));
        }
      }
    }
    for (const auto& f : l.dmarc_files) {
      info.suites.push_back(conformance::TextField(f.doc, "suite", "dmarc"));
      for (auto& r : conformance::RunDmarcCaseFile(f, wire.get())) {
        if (Selected(r.id, o->filter)) {
          results.push_back(std::move(r));
        }
      }
    }
    if (!l.scenarios.empty()) {
      info.suites.push_back("scenarios");
    }
    const bool in_process = o->mode != "wire";
    const bool on_wire = o->mode != "in-process";
    // (scenario, wire?) jobs, run by --jobs threads; results keep the
    // order of the list. --filter selects before anything runs.
    std::vector<std::pair<const conformance::Scenario*, bool>> todo;
    bool any_wire = false;
    for (const auto& sc : l.scenarios) {
      if (in_process && Selected(sc.id + "/in-process", o->filter)) {
        todo.emplace_back(&sc, false);
      }
      if (on_wire && Selected(sc.id + "/wire", o->filter)) {
        todo.emplace_back(&sc, true);
        any_wire = true;
      }
    }
    if (any_wire) {
      // The sanity case first (tlsfuzzer): if the happy path fails on the
      // wire, the setup is broken and 200 failures would say nothing.
      const auto sanity = std::find_if(l.scenarios.begin(), l.scenarios.end(), [](const auto& sc) {
        return sc.id == "mta-sts/rfc8461-5/enforce-good-path";
      });
      if (sanity != l.scenarios.end()) {
        auto r = conformance::RunScenarioWire(*sanity);
        if (r.outcome != conformance::Outcome::kPass) {
          std::cerr << "mxconform: setup error: the sanity scenario " << ForTerminal(sanity->id)
                    << " failed on the wire: " << ForTerminal(r.message) << "\n";
          rc = kExitUsage;
          return;
        }
      }
    }
    std::vector<conformance::CaseResult> done(todo.size());
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> finished{0};
    auto work = [&] {
      for (std::size_t i = next++; i < todo.size(); i = next++) {
        const auto& [sc, on] = todo[i];
        done[i] = on ? conformance::RunScenarioWire(*sc, scenario_opts)
                     : conformance::RunScenarioInProcess(*sc, scenario_opts);
        conformance::BoundEvidence(done[i].actual);
        ++finished;
      }
    };
    std::vector<std::thread> pool;
    for (int k = 0; k < std::min<int>(o->jobs, static_cast<int>(todo.size())); ++k) {
      pool.emplace_back(work);
    }
    // A progress line on a terminal, for runs longer than a second.
    const auto t0 = std::chrono::steady_clock::now();
    const bool tty = isatty(STDERR_FILENO) != 0 && !o->quiet;
    bool shown = false;
    while (finished < todo.size() && !pool.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (tty && std::chrono::steady_clock::now() - t0 > std::chrono::seconds(1)) {
        std::cerr << "\rscenarios: " << finished.load() << "/" << todo.size() << std::flush;
        shown = true;
      }
    }
    for (auto& t : pool) {
      t.join();
    }
    if (shown) {
      std::cerr << "\r" << std::string(40, ' ') << "\r";
    }
    for (std::size_t i = 0; i < todo.size(); ++i) {
      conformance::CaseResult& r = done[i];
      // h2spec --strict: a miss of SHOULD / MAY requirements only is
      // non-strict unless --strict.
      const auto& reqs = todo[i].first->requirements;
      const bool only_should =
          !reqs.empty() &&
          std::all_of(reqs.begin(), reqs.end(), [](const auto& q) { return q.level != "MUST"; });
      if (r.outcome == conformance::Outcome::kFail && only_should && !o->strict) {
        r.outcome = conformance::Outcome::kNonStrict;
        r.message = "SHOULD: " + r.message;
      }
      // A SHOULD or MAY expect step that failed (the MUST steps held).
      if (r.outcome == conformance::Outcome::kNonStrict && o->strict) {
        r.outcome = conformance::Outcome::kFail;
      }
      results.push_back(std::move(r));
    }
    // A whole-catalog run shows, beside the scenarios, what no scenario can
    // observe and why (scenarios/_catalog/*.yaml): informational outcomes.
    if (o->scenarios.empty() && !l.scenarios.empty()) {
      auto informational = conformance::LoadCatalogFolder(fs::path(o->scenarios_root) / "_catalog");
      if (!informational) {
        std::cerr << "mxconform: " << informational.error().Text() << "\n";
        rc = kExitInvalid;
        return;
      }
      if (l.catalogue) {
        const auto coverage = conformance::ComputeCoverage(conformance::CatalogIds(*l.catalogue),
                                                           l.scenarios, *informational);
        for (auto& r : conformance::InformationalCases(coverage)) {
          if (Selected(r.id, o->filter)) {
            results.push_back(std::move(r));
          }
        }
      }
    }
    conformance::ApplyExpectations(expectations, results);
    if (o->suites.empty() && o->scenarios.empty() && o->filter.empty()) {
      // Everything ran: an entry no case answered to is stale (a renamed
      // case, or one fixed and removed), or its suite was skipped.
      std::set<std::string_view> ran;
      for (const auto& r : results) {
        ran.insert(r.id);
      }
      for (const auto& [id, reason] : expectations.xfail) {
        if (ran.count(id) == 0) {
          std::cerr << "mxconform: warning: " << ForTerminal(o->expectations) << " lists "
                    << ForTerminal(id) << ", but no case of that id ran\n";
        }
      }
    }
    auto w = conformance::WriteReports(o->out, info, results);
    if (!w) {
      std::cerr << "mxconform: " << w.error().Text() << "\n";
      rc = kExitUsage;
      return;
    }
    std::string summary = conformance::SummaryText(info, results);
    if (o->quiet) {
      summary = summary.substr(summary.rfind('\n', summary.size() - 2) + 1);
    }
    std::cout << summary << "reports: " << o->out << "/{index.json,junit.xml,summary.txt,"
              << "report.html}\n";
    conformance::Totals t = conformance::Count(results);
    if (t.total == 0) {
      // Nothing ran is not a pass (exit 1); say why, as a typo in --filter
      // is the usual cause.
      std::cerr << "mxconform: nothing ran: "
                << (o->filter.empty() ? std::string("the selection holds no case or scenario")
                                      : "no case or scenario matches --filter '" + o->filter + "'")
                << "\n";
    }
    rc = (t.fail == 0 && t.error == 0 && t.total > 0) ? kExitOk : kExitInvalid;
  });
}

void AddLint(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "lint", "Check case files and SPF suites: ids, requirement ids, inputs, expectation keys");
  struct Opts {
    std::vector<std::string> files;
    std::string vectors = DefaultVectorsDir();
    std::string requirements = DefaultRequirementsFile();
    std::string openspf = DefaultOpenspfSuite();
    std::string scenarios_root = DefaultScenariosDir();
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("files", o->files,
                  "Case files, SPF suites or scenario files (under --scenarios-root); default: "
                  "every file under --vectors and --openspf, and every scenario");
  cmd->add_option("--vectors", o->vectors, "Directory of case files")->capture_default_str();
  cmd->add_option("--requirements", o->requirements, "Requirements catalogue")
      ->capture_default_str();
  cmd->add_option("--openspf", o->openspf,
                  "The third-party openspf RFC 7208 suite linted without FILES (\"\" for none)")
      ->capture_default_str();
  cmd->add_option("--scenarios-root", o->scenarios_root, "Where scenario ids start")
      ->capture_default_str();
  cmd->callback([o, &rc] {
    Loaded l = LoadAndLint(
        {o->files, o->vectors, o->requirements, o->openspf, true, {}, o->scenarios_root});
    for (const auto& p : l.problems) {
      std::cout << ForTerminal(p) << "\n";
    }
    std::size_t cases = 0;
    for (const auto& f : l.files) {
      cases += conformance::ListField(f.doc, "cases").size();
    }
    for (const auto& f : l.spf_files) {
      for (const auto& d : f.documents) {
        cases += d.tests.size();
      }
    }
    for (const auto& f : l.dmarc_files) {
      cases += conformance::ListField(f.doc, "tests").size();
    }
    std::cout << l.files.size() + l.spf_files.size() + l.dmarc_files.size() << " files, " << cases
              << " cases, " << l.scenarios.size() << " scenarios, " << l.problems.size()
              << " problems\n";
    rc = l.io_error ? kExitUsage : (l.problems.empty() ? kExitOk : kExitInvalid);
  });
}

}  // namespace mxconform::cli
