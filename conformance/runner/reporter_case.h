// The `tlsrpt-reporter` case kind: one Policy Domain's day of sessions, the
// reference TLS-RPT reporter (src/tlsrpt/reporter.h) run over it on a
// virtual clock against scripted rua endpoints, and what it did: when it
// tried which URI, what it sent, when it stopped. The cases read as the
// reporter's behaviour RFC 8460 §3-§5 asks for (conformance/README.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mxconform::conformance {

// What is wrong with the shape of a tlsrpt-reporter case's `input`, or "".
std::string ReporterInputProblem(const nlohmann::json& input);

// Runs a case whose input ReporterInputProblem() accepts; the values its
// expectations compare against.
nlohmann::json RunReporterCase(const nlohmann::json& input);

}  // namespace mxconform::conformance
