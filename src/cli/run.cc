// `mxconform run` and `mxconform lint`: the conformance vectors.
#include <iostream>

#include "cli/cli.h"
#include "conformance/runner/report_writer.h"
#include "conformance/runner/vectors.h"

namespace mxconform::cli {
namespace {

namespace fs = std::filesystem;
using conformance::CaseFile;

struct Loaded {
  std::vector<CaseFile> files;
  std::vector<std::string> problems;
  bool io_error = false;
};

Loaded LoadAndLint(const std::vector<std::string>& suites, const std::string& vectors_dir,
                   const std::string& requirements, bool verbose) {
  Loaded l;
  std::vector<fs::path> paths;
  if (suites.empty()) {
    paths = conformance::FindCaseFiles(vectors_dir);
    if (paths.empty()) {
      std::cerr << "mxconform: " << vectors_dir << ": no *.yaml case files\n";
      l.io_error = true;
      return l;
    }
  } else {
    paths.assign(suites.begin(), suites.end());
  }
  std::set<std::string> known;
  auto cat = ReadInput(requirements, std::size_t{16} * 1024 * 1024);
  if (cat) {
    known = conformance::ExtractRequirementIds(*cat);
  } else if (verbose) {
    std::cerr << "mxconform: requirement ids not checked (" << requirements
              << " unreadable; pass --requirements)\n";
  }
  std::set<std::string> seen;
  for (const auto& p : paths) {
    auto f = conformance::LoadCaseFile(p);
    if (!f) {
      const auto& e = f.error();
      std::cerr << "mxconform: " << e.Text();
      if (e.line != 0) {
        std::cerr << " (line " << e.line << ", column " << e.column << ")";
      }
      std::cerr << "\n";
      l.io_error = true;
      continue;
    }
    auto problems = conformance::LintCaseFile(*f, known, seen);
    l.problems.insert(l.problems.end(), problems.begin(), problems.end());
    l.files.push_back(std::move(*f));
  }
  return l;
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
    std::string filter;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--suite", o->suites, "A case file to run (repeatable); default: every suite");
  cmd->add_option("--vectors", o->vectors, "Directory of case files")->capture_default_str();
  cmd->add_option("--out", o->out, "Report directory")->capture_default_str();
  cmd->add_option("--requirements", o->requirements, "Requirements catalogue, for the lint")
      ->capture_default_str();
  cmd->add_option("--filter", o->filter, "Only cases whose id starts with this prefix");
  cmd->add_flag("-q,--quiet", o->quiet, "Print only the closing line");
  cmd->callback([o, &rc] {
    Loaded l = LoadAndLint(o->suites, o->vectors, o->requirements, !o->quiet);
    if (l.io_error) {
      rc = kExitUsage;
      return;
    }
    if (!l.problems.empty()) {
      for (const auto& p : l.problems) {
        std::cerr << "lint: " << p << "\n";
      }
      std::cerr << "mxconform: " << l.problems.size()
                << " problem(s) in the case files; fix them before running\n";
      rc = kExitInvalid;
      return;
    }
    conformance::RunInfo info;
    info.started = conformance::NowRfc3339();
    std::vector<conformance::CaseResult> results;
    for (const auto& f : l.files) {
      info.suites.push_back(f.doc.value("suite", ""));
      for (auto& r : conformance::RunCaseFile(f)) {
        if (r.id.rfind(o->filter, 0) == 0) {
          results.push_back(std::move(r));
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
    rc = (t.fail == 0 && t.error == 0 && t.total > 0) ? kExitOk : kExitInvalid;
  });
}

void AddLint(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "lint", "Check case files: ids, requirement ids, inputs, expectation keys");
  struct Opts {
    std::vector<std::string> files;
    std::string vectors = DefaultVectorsDir();
    std::string requirements = DefaultRequirementsFile();
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("files", o->files, "Case files; default: every file under --vectors");
  cmd->add_option("--vectors", o->vectors, "Directory of case files")->capture_default_str();
  cmd->add_option("--requirements", o->requirements, "Requirements catalogue")
      ->capture_default_str();
  cmd->callback([o, &rc] {
    Loaded l = LoadAndLint(o->files, o->vectors, o->requirements, true);
    for (const auto& p : l.problems) {
      std::cout << p << "\n";
    }
    std::size_t cases = 0;
    for (const auto& f : l.files) {
      cases += f.doc.value("cases", nlohmann::json::array()).size();
    }
    std::cout << l.files.size() << " files, " << cases << " cases, " << l.problems.size()
              << " problems\n";
    rc = l.io_error ? kExitUsage : (l.problems.empty() ? kExitOk : kExitInvalid);
  });
}

}  // namespace mxconform::cli
