// The `mxconform` command line: one function per command, each returning the
// process exit code (0 ok / valid, 1 invalid or failures, 2 usage or I/O).
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mxconform::cli {

constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;
constexpr int kExitUsage = 2;
// `run --skip-missing` when a --suite file does not exist (ctest's
// SKIP_RETURN_CODE).
constexpr int kExitSkip = 77;

// Reads a whole file ("-" = standard input), refusing more than `max` bytes.
// On failure prints "mxconform: FILE: reason" to stderr and returns nullopt.
std::optional<std::string> ReadInput(const std::string& path, std::size_t max);

// Text from a file or a peer, made safe for one line of a terminal:
// control bytes (CR and LF included) and ill-formed UTF-8 as \xNN escapes
// (an ESC sequence in a scenario's title would otherwise reach the
// operator's terminal), valid UTF-8 kept: conformance::SafeTextTo with
// Markup::kLine.
std::string ForTerminal(std::string_view s);

// "mxconform: FILE[:LINE:COL]: id: message: detail" on stderr, one line per
// diagnostic of a file that did not load, made safe for a terminal.
void PrintLoadErrors(const std::filesystem::path& file, const Diagnostics& d);

// CLI::Range for a floating-point option that also refuses nan, which
// CLI::Range lets through (every comparison with nan is false).
CLI::Validator FiniteRange(double lo, double hi);

// Each Add* registers a subcommand; `rc` receives the exit code when it runs.
void AddCheck(CLI::App& app, int& rc);
void AddRun(CLI::App& app, int& rc);
void AddLint(CLI::App& app, int& rc);
void AddBench(CLI::App& app, int& rc);
void AddEval(CLI::App& app, int& rc);
void AddLab(CLI::App& app, int& rc);
void AddList(CLI::App& app, int& rc);

// Defaults baked in at build time, overridable on the command line.
std::string DefaultVectorsDir();
// conformance/scenarios: scenario ids are paths under it.
std::string DefaultScenariosDir();
std::string DefaultReportsDir();
std::string DefaultRequirementsFile();
// The openspf RFC 7208 suite (../shared/vectors/openspf/rfc7208-tests.yml).
std::string DefaultOpenspfSuite();
// The reference's known failures (conformance/expectations/reference.yaml).
std::string DefaultExpectationsFile();

}  // namespace mxconform::cli
