#include "conformance/runner/model_json.h"

namespace mxconform::conformance {
namespace {

nlohmann::json ExtensionsJson(const auto& exts) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& e : exts) {
    a.push_back({{"name", e.name}, {"value", e.value}});
  }
  return a;
}

}  // namespace

nlohmann::json DiagnosticJson(const Diagnostic& d) {
  return {{"id", std::string(d.id)}, {"severity", std::string(SeverityName(d.severity))},
          {"offset", d.offset},      {"line", d.line},
          {"column", d.column},      {"message", d.Text()}};
}

nlohmann::json DiagnosticsJson(const Diagnostics& d) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& x : d) {
    a.push_back(DiagnosticJson(x));
  }
  return a;
}

nlohmann::json ToJson(const mtasts::TxtRecord& r) {
  return {{"id", r.id}, {"extensions", ExtensionsJson(r.extensions)}};
}

nlohmann::json ToJson(const mtasts::Policy& p) {
  return {{"mode", std::string(mtasts::ModeName(p.mode))},
          {"max_age", p.max_age},
          {"mx", p.MxPatterns()},
          {"extensions", ExtensionsJson(p.extensions)},
          {"policy_string", mtasts::PolicyStrings(p)}};
}

nlohmann::json ToJson(const tlsrpt::TxtRecord& r) {
  nlohmann::json rua = nlohmann::json::array();
  for (const auto& u : r.rua) {
    rua.push_back(u.uri);
  }
  return {{"rua", rua}, {"extensions", ExtensionsJson(r.extensions)}};
}

nlohmann::json ToJson(const tlsrpt::Report& r) {
  return nlohmann::json::parse(tlsrpt::WriteReport(r), nullptr, false);
}

}  // namespace mxconform::conformance
