#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "common/file.h"
#include "conformance/runner/report_writer.h"

#ifndef MXCONFORM_SOURCE_DIR
#define MXCONFORM_SOURCE_DIR "."
#endif

namespace mxconform::cli {

std::string ForTerminal(std::string_view s) {
  std::string out;
  conformance::SafeTextTo(out, s, conformance::Markup::kLine);
  return out;
}

void PrintLoadErrors(const std::filesystem::path& file, const Diagnostics& d) {
  for (const auto& e : d) {
    std::string line = file.string();
    if (e.line != 0) {
      line += ":" + std::to_string(e.line) + ":" + std::to_string(e.column);
    }
    line += ": " + std::string(e.id) + ": " + e.Text();
    std::cerr << "mxconform: " << ForTerminal(line) << "\n";
  }
}

CLI::Validator FiniteRange(double lo, double hi) {
  std::ostringstream bounds;
  bounds << lo << " - " << hi;
  const std::string range = bounds.str();
  return CLI::Validator(
      [lo, hi, range](std::string& in) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(in, v)) {
          return "Value " + in + " is not a number";
        }
        if (!(v >= lo && v <= hi)) {  // false for nan
          return "Value " + in + " not in range " + range;
        }
        return {};
      },
      "in [" + range + "]");
}

std::optional<std::string> ReadInput(const std::string& path, std::size_t max) {
  if (path.empty()) {
    // fopen("") fails with ENOENT, and "mxconform: : No such file or
    // directory" says nothing about what was wrong.
    std::cerr << "mxconform: an empty argument names no file (give a path, or - for standard "
                 "input)\n";
    return std::nullopt;
  }
  FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  // A path is the user's bytes: control bytes in it must not reach the
  // terminal as they are.
  const std::string name = path == "-" ? "<stdin>" : ForTerminal(path);
  if (f == nullptr) {
    std::cerr << "mxconform: " << name << ": " << std::strerror(errno) << "\n";
    return std::nullopt;
  }
  std::string out;
  int saved = 0;
  const ReadStatus status = ReadStreamAtMost(f, max, out, saved);
  if (f != stdin) {
    std::fclose(f);
  }
  if (status == ReadStatus::kError) {
    std::cerr << "mxconform: " << name << ": " << std::strerror(saved) << "\n";
    return std::nullopt;
  }
  if (status == ReadStatus::kTooLarge) {
    std::cerr << "mxconform: " << name << ": larger than " << max << " bytes\n";
    return std::nullopt;
  }
  return out;
}

std::string DefaultVectorsDir() { return MXCONFORM_SOURCE_DIR "/conformance/vectors"; }
std::string DefaultScenariosDir() { return MXCONFORM_SOURCE_DIR "/conformance/scenarios"; }
std::string DefaultReportsDir() { return MXCONFORM_SOURCE_DIR "/reports/latest"; }
std::string DefaultRequirementsFile() {
  return MXCONFORM_SOURCE_DIR "/../shared/spec/requirements.md";
}
std::string DefaultExpectationsFile() {
  return MXCONFORM_SOURCE_DIR "/conformance/expectations/reference.yaml";
}
std::string DefaultOpenspfSuite() {
  return MXCONFORM_SOURCE_DIR "/../shared/vectors/openspf/rfc7208-tests.yml";
}

}  // namespace mxconform::cli
