#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli/cli.h"

#ifndef MXCONFORM_SOURCE_DIR
#define MXCONFORM_SOURCE_DIR "."
#endif

namespace mxconform::cli {

std::optional<std::string> ReadInput(const std::string& path, std::size_t max) {
  FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  const std::string name = path == "-" ? "<stdin>" : path;
  if (f == nullptr) {
    std::cerr << "mxconform: " << name << ": " << std::strerror(errno) << "\n";
    return std::nullopt;
  }
  std::string out;
  char buf[65536];
  bool too_big = false;
  bool failed = false;
  while (true) {
    std::size_t n = std::fread(buf, 1, sizeof buf, f);
    if (n == 0) {
      failed = std::ferror(f) != 0;
      break;
    }
    if (out.size() + n > max) {
      too_big = true;
      break;
    }
    out.append(buf, n);
  }
  int saved = errno;
  if (f != stdin) {
    std::fclose(f);
  }
  if (failed) {
    std::cerr << "mxconform: " << name << ": " << std::strerror(saved) << "\n";
    return std::nullopt;
  }
  if (too_big) {
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
