#include "common/result.h"

namespace mxconform {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "error";
}

std::string Diagnostic::Text() const {
  std::string out(message);
  if (!detail.empty()) {
    out += ": ";
    out += detail;
  }
  return out;
}

bool HasError(const Diagnostics& d) { return FirstError(d) != nullptr; }

const Diagnostic* FirstError(const Diagnostics& d) {
  for (const auto& x : d) {
    if (x.IsError()) {
      return &x;
    }
  }
  return nullptr;
}

void LocateDiagnostics(std::string_view input, Diagnostics& d) {
  for (auto& x : d) {
    std::size_t end = x.offset < input.size() ? x.offset : input.size();
    std::uint32_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < end; ++i) {
      if (input[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    x.line = line;
    x.column = static_cast<std::uint32_t>(x.offset - line_start + 1);
  }
}

}  // namespace mxconform
