#include "conformance/runner/vectors.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <optional>
#include <regex>
#include <sstream>

#include "common/domain.h"
#include "common/file.h"
#include "common/text.h"
#include "common/txt.h"
#include "conformance/runner/model_json.h"
#include "conformance/runner/reporter_case.h"
#include "conformance/runner/smtp_server_case.h"
#include "conformance/runner/yaml_budget.h"
#include "mtasts/mx_rrset.h"
#include "mtasts/policy.h"
#include "mtasts/txt_record.h"
#include "spf/received.h"
#include "tlsrpt/report.h"
#include "tlsrpt/result_type.h"
#include "tlsrpt/submission.h"
#include "tlsrpt/txt_record.h"

namespace mxconform::conformance {
namespace {

using nlohmann::json;

const std::set<std::string> kKinds = {
    "sts-txt",    "sts-policy",      "sts-mx-match", "tlsrpt-txt",   "tlsrpt-report", "tlsrpt-mail",
    "cert-match", "tlsrpt-reporter", "mx-rrset",     "received-spf", "smtp-server"};
const std::set<std::string> kInputKeys = {"input", "input_escaped", "input_rrs",
                                          "input_presentation", "input_file"};

// Kinds whose input is a map (`input: {...}`), not text.
bool IsMapKind(const std::string& kind) {
  return kind == "sts-mx-match" || kind == "cert-match" || kind == "tlsrpt-reporter" ||
         kind == "mx-rrset" || kind == "smtp-server";
}

bool HasProfiles(const std::string& kind) {
  return kind == "sts-txt" || kind == "sts-policy" || kind == "tlsrpt-txt";
}

std::set<std::string> ExpectKeys(const std::string& kind) {
  std::set<std::string> common = {"valid", "error", "diagnostics"};
  if (kind == "sts-txt") {
    common.insert({"id", "extensions"});
  } else if (kind == "sts-policy") {
    common.insert({"mode", "max_age", "mx", "extensions"});
  } else if (kind == "sts-mx-match") {
    return {"match"};
  } else if (kind == "cert-match") {
    return {"match", "result_type"};
  } else if (kind == "tlsrpt-reporter") {
    return {"state",        "queries",          "counts",
            "result_types", "report_sessions",  "attempts",
            "media_types",  "submissions_read", "first_attempt_at_most"};
  } else if (kind == "smtp-server") {
    return {"replies"};
  } else if (kind == "mx-rrset") {
    common.insert({"errors", "warnings", "info", "rrs"});
  } else if (kind == "received-spf") {
    common.insert({"result", "pairs", "comment"});
  } else if (kind == "tlsrpt-txt") {
    common.insert({"rua", "extensions"});
  } else if (kind == "tlsrpt-report") {
    common.insert({"policies", "result_types", "mx_host", "policy_string_present"});
  } else if (kind == "tlsrpt-mail") {
    common.insert({"policies", "gzip", "filename", "tls_report_domain", "tls_report_submitter"});
  }
  return common;
}

// YAML is Unicode text and JSON strings are UTF-8: a scalar or key with
// other bytes (raw ones: YAML's escapes always give UTF-8) stops the load
// at that node, like a YAML syntax error. Thrown here and caught in
// ParseCaseFile, the one caller.
void CheckUtf8(const YAML::Node& n, const std::string& s) {
  const std::size_t ok = text::ValidUtf8Prefix(s);
  if (ok != s.size()) {
    throw YAML::ParserException(n.Mark(), "not UTF-8 at byte " + std::to_string(ok) +
                                              " of this value (YAML is Unicode text; a case "
                                              "spells other bytes in input_escaped)");
  }
}

json YamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& x : n) {
        a.push_back(YamlToJson(x));
      }
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) {
        const auto key = kv.first.as<std::string>();
        CheckUtf8(kv.first, key);
        o[key] = YamlToJson(kv.second);
      }
      return o;
    }
    case YAML::NodeType::Scalar:
      break;
  }
  const std::string& s = n.Scalar();
  CheckUtf8(n, s);
  if (n.Tag() == "?") {  // plain scalar: resolve the YAML core schema types
    if (s == "true" || s == "True") {
      return true;
    }
    if (s == "false" || s == "False") {
      return false;
    }
    if (s == "~" || s == "null") {
      return nullptr;
    }
    static const std::regex kInt("-?[0-9]+");
    if (std::regex_match(s, kInt) && s.size() < 19) {
      return std::stoll(s);
    }
    static const std::regex kFloat(R"(-?[0-9]+\.[0-9]*([eE][-+]?[0-9]+)?)");
    if (std::regex_match(s, kFloat) && s.size() < 40) {
      // from_chars, not stod: "1.0e999" is out of range, which stod throws
      // and JSON cannot hold; it stays the text it is.
      double d = 0;
      const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec == std::errc() && end == s.data() + s.size() && std::isfinite(d)) {
        return d;
      }
    }
  }
  return s;
}

// C-style escapes for inputs YAML cannot carry (invalid UTF-8, lone bytes):
// \r \n \t \\ \xHH.
Result<std::string> Unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 1 >= s.size()) {
      return MakeDiag("vectors.case.bad_escape", Severity::kError, i, "backslash at end");
    }
    char c = s[++i];
    switch (c) {
      case 'r':
        out.push_back('\r');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case 'x': {
        if (i + 2 >= s.size()) {
          return MakeDiag("vectors.case.bad_escape", Severity::kError, i,
                          "\\x needs two hex digits");
        }
        auto hex = [](char h) -> int {
          if (h >= '0' && h <= '9') {
            return h - '0';
          }
          if (h >= 'a' && h <= 'f') {
            return h - 'a' + 10;
          }
          if (h >= 'A' && h <= 'F') {
            return h - 'A' + 10;
          }
          return -1;
        };
        int hi = hex(s[i + 1]);
        int lo = hex(s[i + 2]);
        if (hi < 0 || lo < 0) {
          return MakeDiag("vectors.case.bad_escape", Severity::kError, i,
                          "\\x needs two hex digits");
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        break;
      }
      default:
        return MakeDiag("vectors.case.bad_escape", Severity::kError, i, "unknown escape");
    }
  }
  return out;
}

struct Input {
  std::string text;
  std::vector<std::string> rrs;
  bool has_rrs = false;
  std::string pattern, host;  // sts-mx-match
  json raw;                   // cert-match, tlsrpt-reporter: the input map, for its evaluator
};

bool IsStringList(const json& v) {
  return v.is_array() &&
         std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string(); });
}

// mx-rrset: {rrset, policy, sends_mail}, rrset required; a policy must parse
// (strict), so that the case tests the lint and not the policy parser.
std::string MxInputProblem(const json& i) {
  if (!i.is_object() || !i.contains("rrset") || !i["rrset"].is_string()) {
    return "mx-rrset input needs a string rrset";
  }
  for (const auto& [k, v] : i.items()) {
    if (k == "policy") {
      if (!v.is_string()) {
        return "mx-rrset input: policy must be a string";
      }
      auto p = mtasts::ParsePolicy(v.get<std::string>());
      if (!p) {
        return "mx-rrset input: the policy does not parse (" + std::string(p.error().id) + ")";
      }
    } else if (k == "sends_mail") {
      if (!v.is_boolean()) {
        return "mx-rrset input: sends_mail must be a boolean";
      }
    } else if (k != "rrset") {
      return "mx-rrset input: unknown key '" + k + "'";
    }
  }
  return "";
}

// What is wrong with the `input` map of an sts-mx-match, cert-match,
// tlsrpt-reporter or mx-rrset case, or "".
std::string MapInputProblem(const json& c, const std::string& kind) {
  const json i = c.is_object() && c.contains("input") ? c["input"] : json();
  if (kind == "tlsrpt-reporter") {
    return ReporterInputProblem(i);
  }
  if (kind == "mx-rrset") {
    return MxInputProblem(i);
  }
  if (kind == "smtp-server") {
    return SmtpServerInputProblem(i);
  }
  if (kind == "sts-mx-match") {
    if (!i.is_object() || !i.contains("pattern") || !i.contains("host") ||
        !i["pattern"].is_string() || !i["host"].is_string()) {
      return "sts-mx-match input needs string pattern and host";
    }
    return "";
  }
  // cert-match: {host, dns_names, ip_addresses, common_name}, host required.
  if (!i.is_object() || !i.contains("host") || !i["host"].is_string()) {
    return "cert-match input needs a string host";
  }
  for (const auto& [k, v] : i.items()) {
    if (k == "dns_names" || k == "ip_addresses") {
      if (!IsStringList(v)) {
        return "cert-match input: " + k + " must be a list of strings";
      }
    } else if (k == "common_name") {
      if (!v.is_string()) {
        return "cert-match input: common_name must be a string";
      }
    } else if (k != "host") {
      return "cert-match input: unknown key '" + k + "'";
    }
  }
  return "";
}

// What is wrong with the type of a case's input (not a map input), or
// "": each input key holds a string, input_rrs a non-empty list of them,
// input_file a relative path that stays in the case file's folder.
std::string InputTypeProblem(const json& c) {
  for (const char* k : {"input", "input_escaped", "input_presentation", "input_file"}) {
    if (c.contains(k) && !c[k].is_string()) {
      return std::string(k) + " must be a string";
    }
  }
  if (c.contains("input_rrs")) {
    const json& rrs = c["input_rrs"];
    if (!IsStringList(rrs) || rrs.empty()) {
      return "input_rrs must be a non-empty list of strings";
    }
  }
  if (c.contains("input_file")) {
    const std::filesystem::path p(c["input_file"].get<std::string>());
    if (p.empty() || p.is_absolute() || p.has_root_name() ||
        std::any_of(p.begin(), p.end(), [](const auto& part) { return part == ".."; })) {
      return "input_file must be a relative path inside the case file's folder";
    }
  }
  return "";
}

// Largest input_file read: far above any record or policy a case needs,
// and a bound on what a case file can make the runner hold.
constexpr std::uintmax_t kMaxInputFile = 1u << 20;

// The regular file `name` (checked by InputTypeProblem) under `dir`, at most
// kMaxInputFile bytes. Not a FIFO or device: reading one could block or
// never end.
Result<std::string> ReadInputFile(const std::filesystem::path& dir, const std::string& name) {
  const std::filesystem::path path = dir / name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return MakeDiag("vectors.case.bad_input", Severity::kError, 0,
                    "input_file is not a readable regular file", path.string());
  }
  const std::uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) {
    return MakeDiag("vectors.case.bad_input", Severity::kError, 0, "input_file unreadable",
                    path.string());
  }
  if (size > kMaxInputFile) {
    return MakeDiag("vectors.case.bad_input", Severity::kError, 0,
                    "input_file is larger than 1 MiB", path.string());
  }
  // Bounded again by the read itself, should the file grow after the check.
  return ReadFileAtMost(path, kMaxInputFile, {"vectors.case.bad_input", "vectors.case.bad_input"});
}

Result<Input> BuildInput(const json& c, const std::string& kind, const std::filesystem::path& dir) {
  Input in;
  if (IsMapKind(kind)) {
    if (const std::string bad = MapInputProblem(c, kind); !bad.empty()) {
      return MakeDiag("vectors.case.bad_input", Severity::kError, 0,
                      "case input of the wrong shape", bad);
    }
    const json& i = c["input"];
    if (kind != "sts-mx-match") {
      in.raw = i;
    } else {
      in.pattern = i["pattern"].get<std::string>();
      in.host = i["host"].get<std::string>();
    }
    return in;
  }
  const std::string bad_type = InputTypeProblem(c);
  if (!bad_type.empty()) {
    return MakeDiag("vectors.case.bad_input", Severity::kError, 0, "case input of the wrong type",
                    bad_type);
  }
  if (c.contains("input")) {
    in.text = c["input"].get<std::string>();
  } else if (c.contains("input_escaped")) {
    auto u = Unescape(c["input_escaped"].get<std::string>());
    if (!u) {
      return u.error();
    }
    in.text = std::move(*u);
  } else if (c.contains("input_rrs")) {
    in.has_rrs = true;
    for (const auto& x : c["input_rrs"]) {
      auto u = Unescape(x.get<std::string>());
      if (!u) {
        return u.error();
      }
      in.rrs.push_back(std::move(*u));
    }
  } else if (c.contains("input_presentation")) {
    auto d = txt::DecodePresentation(c["input_presentation"].get<std::string>());
    if (!d) {
      return d.error();
    }
    in.text = std::move(*d);
  } else if (c.contains("input_file")) {
    auto text = ReadInputFile(dir, c["input_file"].get<std::string>());
    if (!text) {
      return text.error();
    }
    in.text = std::move(*text);
  } else {
    return MakeDiag("vectors.case.bad_input", Severity::kError, 0, "case has no input");
  }
  return in;
}

json DiagIds(const Diagnostics& d) {
  json a = json::array();
  for (const auto& x : d) {
    a.push_back(std::string(x.id));
  }
  return a;
}

// An mx-rrset case: the RRset read, then linted as `check mx` does. Valid
// when it reads and the lint finds no error; the ids by severity, in order.
json RunMxCase(const json& i) {
  std::optional<mtasts::Policy> policy;
  if (i.contains("policy")) {
    auto p = mtasts::ParsePolicy(i["policy"].get<std::string>());
    if (!p) {  // MxInputProblem refused it already
      return {{"valid", false}, {"error", std::string(p.error().id)}};
    }
    policy = std::move(*p);
  }
  auto set = mtasts::ParseMxRrset(i["rrset"].get<std::string>());
  Diagnostics all;
  json rrs = json::array();
  if (set) {
    all = set->diagnostics;
    mtasts::MxLintOptions o;
    o.policy = policy ? &*policy : nullptr;
    o.sends_mail = i.contains("sends_mail") && i["sends_mail"].get<bool>();
    for (auto& d : mtasts::LintMxRrset(*set, o)) {
      all.push_back(std::move(d));
    }
    for (const auto& r : set->rrs) {
      rrs.push_back(std::to_string(r.preference) + " " + r.exchange);
    }
  } else {
    all = set.diagnostics();
  }
  json by[3] = {json::array(), json::array(), json::array()};
  for (const auto& d : all) {
    by[d.severity == Severity::kError     ? 0
       : d.severity == Severity::kWarning ? 1
                                          : 2]
        .push_back(std::string(d.id));
  }
  json out = {{"valid", set.ok() && by[0].empty()},
              {"diagnostics", DiagIds(all)},
              {"errors", by[0]},
              {"warnings", by[1]},
              {"info", by[2]},
              {"rrs", rrs}};
  if (!set.ok()) {
    out["error"] = std::string(set.error().id);
  }
  return out;
}

template <typename R>
json ParseOutcome(const R& r, const json& value) {
  json a;
  a["valid"] = r.ok();
  if (r.ok()) {
    a.update(value);
    a["diagnostics"] = DiagIds(r->diagnostics);
  } else {
    a["error"] = std::string(r.error().id);
    a["diagnostics"] = DiagIds(r.diagnostics());
  }
  return a;
}

json Actual(const std::string& kind, const Input& in, Profile profile) {
  if (kind == "sts-mx-match") {
    return {{"match", domain::MatchesMxPattern(in.pattern, in.host)}};
  }
  if (kind == "sts-txt") {
    mtasts::ParseOptions o{profile};
    auto r = in.has_rrs ? mtasts::SelectTxtRecord(in.rrs, o) : mtasts::ParseTxtRecord(in.text, o);
    return ParseOutcome(r, r.ok() ? ToJson(*r) : json::object());
  }
  if (kind == "sts-policy") {
    auto r = mtasts::ParsePolicy(in.text, mtasts::ParseOptions{profile});
    json v = json::object();
    if (r.ok()) {
      v = ToJson(*r);
      v.erase("policy_string");
    }
    return ParseOutcome(r, v);
  }
  if (kind == "tlsrpt-txt") {
    tlsrpt::ParseOptions o{profile};
    auto r = in.has_rrs ? tlsrpt::SelectTxtRecord(in.rrs, o) : tlsrpt::ParseTxtRecord(in.text, o);
    return ParseOutcome(r, r.ok() ? ToJson(*r) : json::object());
  }
  if (kind == "received-spf") {
    auto r = spf::ReadReceivedSpf(in.text);
    json v = json::object();
    if (r.ok()) {
      v["result"] = std::string(spf::SpfResultName(r->result));
      v["comment"] = JsonText(r->comment);
      json pairs = json::array();
      for (const auto& p : r->pairs) {
        pairs.push_back(JsonText(p.key + "=" + p.value));
      }
      v["pairs"] = pairs;
    }
    return ParseOutcome(r, v);
  }
  if (kind == "tlsrpt-mail") {
    auto r = tlsrpt::ReadReportMail(in.text);
    json v = json::object();
    if (r.ok()) {
      v["policies"] = r->report.policies.size();
      v["gzip"] = r->gzip;
      v["filename"] = JsonText(r->filename);
      v["tls_report_domain"] = JsonText(r->report_domain);
      v["tls_report_submitter"] = JsonText(r->submitter);
    }
    return ParseOutcome(r, v);
  }
  // tlsrpt-report
  auto r = tlsrpt::ReadReport(in.text);
  json v = json::object();
  if (r.ok()) {
    v["policies"] = r->policies.size();
    json types = json::array();
    for (const auto& p : r->policies) {
      for (const auto& f : p.failure_details) {
        types.push_back(std::string(tlsrpt::ResultTypeName(f.result_type)));
      }
    }
    v["result_types"] = types;
    if (!r->policies.empty()) {
      v["mx_host"] = r->policies[0].mx_host;
      v["policy_string_present"] = r->policies[0].policy_string_present;
    }
  }
  return ParseOutcome(r, v);
}

// Returns an empty string if `actual` satisfies `expected`, else why not.
std::string Compare(const json& expected, const json& actual) {
  for (const auto& [key, want] : expected.items()) {
    if (key == "diagnostics") {
      const json got = ListField(actual, "diagnostics");
      for (const auto& id : want) {
        if (std::find(got.begin(), got.end(), id) == got.end()) {
          return "missing diagnostic " + DumpJson(id) + " (got " + DumpJson(got) + ")";
        }
      }
      continue;
    }
    if (key == "first_attempt_at_most") {
      // tlsrpt-reporter: the first submission no later than this many
      // seconds after the day ended (RFC 8460 §4.1's random delay).
      const json got =
          actual.contains("first_attempt_delay") ? actual["first_attempt_delay"] : json();
      if (!got.is_number_integer() || !want.is_number_integer() ||
          got.get<std::int64_t>() > want.get<std::int64_t>()) {
        return key + ": expected a first attempt within " + DumpJson(want) +
               " s of the day's end, got " + (got.is_null() ? "none" : DumpJson(got));
      }
      continue;
    }
    if (!actual.contains(key)) {
      return key + ": expected " + DumpJson(want) + ", got nothing";
    }
    if (actual[key] != want) {
      return key + ": expected " + DumpJson(want) + ", got " + DumpJson(actual[key]);
    }
  }
  return {};
}

bool IsPathLike(const std::string& id) {
  static const std::regex kPath("[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)+");
  return std::regex_match(id, kPath);
}

}  // namespace

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kPass:
      return "pass";
    case Outcome::kPartial:
      return "partial";
    case Outcome::kFail:
      return "fail";
    case Outcome::kNonStrict:
      return "non-strict";
    case Outcome::kInformational:
      return "informational";
    case Outcome::kUnimplemented:
      return "unimplemented";
    case Outcome::kSkip:
      return "skip";
    case Outcome::kXfail:
      return "xfail";
    case Outcome::kXpass:
      return "xpass";
    case Outcome::kError:
      return "error";
  }
  return "error";
}

Result<CaseFile> LoadCaseFile(const std::filesystem::path& path) {
  auto text = ReadFileAtMost(path, kMaxInputFileBytes,
                             {"vectors.file.unreadable", "vectors.file.too_large"});
  if (!text) {
    return text.error();
  }
  return ParseCaseFile(*text, path);
}

Result<CaseFile> ParseCaseFile(std::string_view text, const std::filesystem::path& path) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!WithinYamlBudget(root)) {
      Diagnostic d =
          MakeDiag("vectors.file.yaml", Severity::kError, 0, kYamlTooLarge, path.string());
      d.line = 1;
      d.column = 1;
      return d;
    }
    return CaseFile{path, YamlToJson(root)};
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports errors by exception; they stop here.
    Diagnostic d = MakeDiag("vectors.file.yaml", Severity::kError, 0, "YAML error",
                            path.string() + ": " + e.msg);
    SetPosition(d, e.mark);
    return d;
  }
}

std::set<std::string> ExtractRequirementIds(std::string_view catalogue) {
  std::set<std::string> ids;
  // After the area: a number (STS-3.1-04, DMB-R4-05) or a word and a
  // number (CERT-NUL-01, CERT-PKIX-02); not a bare word ("TLS-RPT").
  static const std::regex kReq(
      R"(\b((?:STS|RPT|SPF|DM7|DMB|TLS|CERT|MX)-(?:R?[0-9]|[A-Z]+-[0-9])[0-9A-Za-z.]*(?:-[0-9A-Za-z.]+)*|ATK-[0-9]+))");
  // Edge-case rows (P13, D7) and ambiguity decisions (D-A3).
  static const std::regex kRow(R"(^\|\s*\**([PRSDCM][0-9]+[a-z]?|[A-Z]-A[0-9]+)\**\s*\|)");
  std::string text(catalogue);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kReq); it != std::sregex_iterator();
       ++it) {
    std::string id = (*it)[1];
    while (!id.empty() && id.back() == '.') {
      id.pop_back();
    }
    ids.insert(id);
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kRow)) {
      ids.insert(m[1]);
    }
  }
  return ids;
}

std::vector<std::string> LintCaseFile(const CaseFile& f, const std::set<std::string>& known_ids,
                                      std::set<std::string>& seen_ids) {
  std::vector<std::string> problems;
  const std::string where = f.path.filename().string();
  auto problem = [&](const std::string& id, const std::string& what) {
    problems.push_back(where + (id.empty() ? "" : " [" + id + "]") + ": " + what);
  };
  const json& d = f.doc;
  if (!d.is_object()) {
    problem("", "top level must be a map");
    return problems;
  }
  std::string suite = TextField(d, "suite");
  std::string kind = TextField(d, "kind");
  if (suite.empty() || !IsPathLike(suite + "/x")) {
    problem("", "suite must be a path-like id");
  }
  if (kKinds.count(kind) == 0) {
    problem("", "unknown kind '" + kind + "'");
    return problems;
  }
  if (!d.contains("description") || !d["description"].is_string()) {
    problem("", "description missing");
  }
  if (!d.contains("cases") || !d["cases"].is_array() || d["cases"].empty()) {
    problem("", "cases must be a non-empty list");
    return problems;
  }
  const std::set<std::string> allowed_expect = ExpectKeys(kind);
  const std::set<std::string> allowed_case = {
      "id",        "requirements", "summary",       "expect",    "interop",
      "note",      "input",        "input_escaped", "input_rrs", "input_presentation",
      "input_file"};
  for (const auto& c : d["cases"]) {
    if (!c.is_object()) {
      problem("", "each case must be a map");
      continue;
    }
    std::string id = TextField(c, "id");
    if (id.empty() || !IsPathLike(id)) {
      problem(id, "id must be path-like (lowercase segments separated by '/')");
    } else if (id.rfind(suite + "/", 0) != 0) {
      problem(id, "id must start with the suite id '" + suite + "/'");
    }
    if (!seen_ids.insert(id).second) {
      problem(id, "duplicate case id");
    }
    for (const auto& [k, v] : c.items()) {
      if (allowed_case.count(k) == 0) {
        problem(id, "unknown key '" + k + "'");
      }
    }
    if (!c.contains("summary") || !c["summary"].is_string() ||
        c["summary"].get<std::string>().empty()) {
      problem(id, "summary missing");
    }
    if (!c.contains("requirements") || !c["requirements"].is_array() || c["requirements"].empty()) {
      problem(id, "requirements must be a non-empty list");
    } else if (!known_ids.empty()) {
      for (const auto& r : c["requirements"]) {
        if (!r.is_string() || known_ids.count(r.get<std::string>()) == 0) {
          problem(id, "unknown requirement id " + DumpJson(r));
        }
      }
    }
    int inputs = 0;
    for (const auto& k : kInputKeys) {
      inputs += c.contains(k) ? 1 : 0;
    }
    if (inputs != 1) {
      problem(id, "exactly one of input, input_escaped, input_rrs, input_presentation, input_file");
    } else if (IsMapKind(kind)) {
      if (const std::string bad = MapInputProblem(c, kind); !bad.empty()) {
        problem(id, bad);
      }
    } else if (const std::string bad = InputTypeProblem(c); !bad.empty()) {
      problem(id, bad);
    }
    if ((c.contains("input_rrs") || c.contains("input_presentation")) && kind != "sts-txt" &&
        kind != "tlsrpt-txt") {
      problem(id, "input_rrs / input_presentation only for TXT kinds");
    }
    if (!c.contains("expect") || !c["expect"].is_object()) {
      problem(id, "expect must be a map");
      continue;
    }
    auto check_expect = [&](const json& e, const char* what) {
      for (const auto& [k, v] : e.items()) {
        if (allowed_expect.count(k) == 0) {
          problem(id, std::string(what) + ": key '" + k + "' not valid for kind " + kind);
        }
      }
      if (e.contains("valid") && !e["valid"].is_boolean()) {
        problem(id, std::string(what) + ": valid must be a boolean");
      }
      if (e.contains("error") && BoolField(e, "valid", true)) {
        problem(id, std::string(what) + ": error given but valid is not false");
      }
      if (e.contains("result_types")) {
        for (const auto& t : e["result_types"]) {
          if (!t.is_string() || !tlsrpt::ResultTypeFromName(t.get<std::string>())) {
            problem(id, "unknown result type " + DumpJson(t));
          }
        }
      }
    };
    const json& e = c["expect"];
    const bool matcher = kind == "sts-mx-match" || kind == "cert-match";
    const std::string required = matcher                     ? "match"
                                 : kind == "tlsrpt-reporter" ? "state"
                                 : kind == "smtp-server"     ? "replies"
                                                             : "valid";
    if (!e.contains(required)) {
      problem(id, "expect." + required + " missing");
    }
    check_expect(e, "expect");
    if (c.contains("interop")) {
      if (!HasProfiles(kind)) {
        problem(id, "interop override on a kind without profiles");
      } else if (!c["interop"].is_object()) {
        problem(id, "interop must be a map");
      } else {
        check_expect(c["interop"], "interop");
      }
    }
  }
  return problems;
}

std::vector<CaseResult> RunCaseFile(const CaseFile& f, const CaseEvaluators& extra) {
  std::vector<CaseResult> out;
  const json& d = f.doc;
  std::string kind = TextField(d, "kind");
  for (const auto& c : ListField(d, "cases")) {
    CaseResult r;
    r.id = TextField(c, "id");
    r.suite = TextField(d, "suite");
    r.kind = kind;
    r.summary = TextField(c, "summary");
    r.file = f.path.filename().string();
    for (const auto& q : ListField(c, "requirements")) {
      r.requirements.push_back(q.is_string() ? q.get<std::string>() : DumpJson(q));
    }
    auto t0 = std::chrono::steady_clock::now();
    auto in = BuildInput(c, kind, f.path.parent_path());
    if (!in) {
      r.outcome = Outcome::kError;
      r.message = in.error().Text();
    } else {
      std::vector<Profile> profiles = {Profile::kStrict};
      if (HasProfiles(kind)) {
        profiles.push_back(Profile::kInterop);
      }
      r.outcome = Outcome::kPass;
      r.expected = json::object();
      r.actual = json::object();
      for (Profile p : profiles) {
        json want = MapField(c, "expect");
        if (p == Profile::kInterop && c.contains("interop") && c["interop"].is_object()) {
          want.update(c["interop"]);
          if (BoolField(c["interop"], "valid", true)) {
            want.erase("error");
          }
        }
        json got;
        if (kind == "cert-match" || kind == "smtp-server") {
          // Evaluators that need OpenSSL or sockets come from the program.
          const auto it = extra.find(kind);
          if (it == extra.end()) {
            r.outcome = Outcome::kError;
            r.message = "no evaluator for kind " + kind + " in this program";
            break;
          }
          auto e = it->second(in->raw);
          if (!e) {
            r.outcome = Outcome::kError;
            r.message = e.error().Text();
            break;
          }
          got = std::move(*e);
        } else if (kind == "tlsrpt-reporter") {
          got = RunReporterCase(in->raw);
        } else if (kind == "mx-rrset") {
          got = RunMxCase(in->raw);
        } else {
          got = Actual(kind, *in, p);
        }
        std::string pname(HasProfiles(kind) ? ProfileName(p) : "reference");
        r.expected[pname] = want;
        r.actual[pname] = got;
        std::string why = Compare(want, got);
        if (!why.empty() && r.outcome == Outcome::kPass) {
          r.outcome = Outcome::kFail;
          r.message = pname + ": " + why;
        }
      }
    }
    r.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    out.push_back(std::move(r));
  }
  return out;
}

namespace {

// The xfail list of an expectations file that loaded as YAML.
Result<Expectations> ExpectationsFrom(Result<CaseFile> f) {
  if (!f) {
    Diagnostic d = f.error();
    d.id = d.id == "vectors.file.yaml"        ? "vectors.expectations.yaml"
           : d.id == "vectors.file.too_large" ? "vectors.expectations.too_large"
                                              : "vectors.expectations.unreadable";
    return d;
  }
  auto bad = [&](std::string detail) {
    return MakeDiag("vectors.expectations.shape", Severity::kError, 0,
                    "expectations: xfail must be a list of {id, reason}",
                    f->path.string() + ": " + std::move(detail));
  };
  Expectations e;
  const json& d = f->doc;
  if (d.is_null()) {
    return e;
  }
  if (!d.is_object() || (d.contains("xfail") && !d["xfail"].is_array())) {
    return bad("top level");
  }
  for (const auto& x : ListField(d, "xfail")) {
    if (!x.is_object() || !x.contains("id") || !x["id"].is_string() || !x.contains("reason") ||
        !x["reason"].is_string() || x["reason"].get<std::string>().empty()) {
      return bad(DumpJson(x));
    }
    if (!e.xfail.emplace(x["id"].get<std::string>(), x["reason"].get<std::string>()).second) {
      return bad("listed twice: " + x["id"].get<std::string>());
    }
  }
  return e;
}

}  // namespace

Result<Expectations> LoadExpectations(const std::filesystem::path& path) {
  return ExpectationsFrom(LoadCaseFile(path));
}

Result<Expectations> ParseExpectations(std::string_view text, const std::filesystem::path& path) {
  return ExpectationsFrom(ParseCaseFile(text, path));
}

void ApplyExpectations(const Expectations& e, std::vector<CaseResult>& results) {
  for (auto& r : results) {
    auto it = e.xfail.find(r.id);
    if (it == e.xfail.end()) {
      continue;
    }
    if (r.outcome == Outcome::kPass) {
      r.outcome = Outcome::kXpass;
      r.message = "listed as an expected failure but passed; remove it from the expectations";
    } else if (r.outcome == Outcome::kFail) {
      r.outcome = Outcome::kXfail;
      r.message = "expected failure: " + it->second + " [" + r.message + "]";
    }
  }
}

std::vector<std::filesystem::path> FindCaseFiles(const std::filesystem::path& dir) {
  return FilesWithExtension(dir, ".yaml");
}

}  // namespace mxconform::conformance
