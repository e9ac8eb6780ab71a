#include "conformance/runner/model_json.h"

#include "common/text.h"

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

std::string JsonText(std::string_view s) {
  if (text::IsValidUtf8(s)) {
    return std::string(s);
  }
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      out.push_back(c);
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

std::string DumpJson(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// obj[key] if obj is a map that holds key, else nullptr.
const nlohmann::json* FieldOf(const nlohmann::json& obj, const std::string& key) {
  if (!obj.is_object()) {
    return nullptr;
  }
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

}  // namespace

std::string TextField(const nlohmann::json& obj, const std::string& key, std::string def) {
  const auto* v = FieldOf(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : def;
}

bool BoolField(const nlohmann::json& obj, const std::string& key, bool def) {
  const auto* v = FieldOf(obj, key);
  return v != nullptr && v->is_boolean() ? v->get<bool>() : def;
}

std::int64_t IntField(const nlohmann::json& obj, const std::string& key, std::int64_t def) {
  const auto* v = FieldOf(obj, key);
  return v != nullptr && v->is_number_integer() ? v->get<std::int64_t>() : def;
}

nlohmann::json ListField(const nlohmann::json& obj, const std::string& key) {
  const auto* v = FieldOf(obj, key);
  return v != nullptr && v->is_array() ? *v : nlohmann::json::array();
}

nlohmann::json MapField(const nlohmann::json& obj, const std::string& key) {
  const auto* v = FieldOf(obj, key);
  return v != nullptr && v->is_object() ? *v : nlohmann::json::object();
}

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

nlohmann::json ToJson(const spf::Record& r) {
  nlohmann::json mechs = nlohmann::json::array();
  for (const auto& m : r.mechanisms) {
    nlohmann::json j = {{"term", r.View(m.term)},
                        {"qualifier", std::string(1, spf::QualifierChar(m.qualifier))},
                        {"mechanism", spf::MechanismName(m.kind)}};
    if (!m.domain_spec.empty()) {
      j["domain_spec"] = r.View(m.domain_spec);
    }
    if (m.kind == spf::MechanismKind::kIp4 || m.kind == spf::MechanismKind::kIp6) {
      j["network"] = spf::ReadableIpForm(m.network);
    }
    if (m.has_cidr4 || m.kind == spf::MechanismKind::kIp4) {
      j["cidr4"] = m.cidr4;
    }
    if (m.has_cidr6 || m.kind == spf::MechanismKind::kIp6) {
      j["cidr6"] = m.cidr6;
    }
    mechs.push_back(std::move(j));
  }
  nlohmann::json out = {{"mechanisms", std::move(mechs)}, {"dns_terms", r.dns_terms}};
  if (r.redirect) {
    out["redirect"] = r.View(r.redirect->value);
  }
  if (r.explanation) {
    out["exp"] = r.View(r.explanation->value);
  }
  nlohmann::json unknown = nlohmann::json::array();
  for (const auto& m : r.unknown) {
    unknown.push_back({{"name", r.View(m.name)}, {"value", r.View(m.value)}});
  }
  out["unknown_modifiers"] = std::move(unknown);
  return out;
}

nlohmann::json ToJson(const spf::EvalResult& r) {
  nlohmann::json queries = nlohmann::json::array();
  for (const auto& q : r.queries) {
    queries.push_back({{"depth", q.depth},
                       {"type", spf::QueryTypeName(q.type)},
                       {"name", JsonText(q.name)},
                       {"status", spf::DnsStatusName(q.status)},
                       {"answers", q.answers}});
  }
  nlohmann::json trace = nlohmann::json::array();
  for (const auto& t : r.trace) {
    trace.push_back({{"depth", t.depth},
                     {"domain", JsonText(t.domain)},
                     {"term", JsonText(t.term)},
                     {"outcome", JsonText(t.outcome)}});
  }
  nlohmann::json out = {{"result", spf::SpfResultName(r.result)},
                        {"reason", r.reason},
                        {"domain", JsonText(r.domain)},
                        {"dns_terms", r.dns_terms},
                        {"void_lookups", r.void_lookups},
                        {"queries", std::move(queries)},
                        {"trace", std::move(trace)}};
  if (!r.detail.empty()) {
    out["detail"] = JsonText(r.detail);
  }
  if (!r.mechanism.empty()) {
    out["mechanism"] = JsonText(r.mechanism);
  }
  if (!r.explanation.empty()) {
    out["explanation"] = JsonText(r.explanation);
  }
  return out;
}

using json = nlohmann::json;

json ToJson(const spf::MailReply& r) {
  json lines = json::array();
  for (const auto& l : r.lines) {
    lines.push_back(JsonText(l));
  }
  return {{"disposition", std::string(spf::DispositionName(r.disposition))},
          {"reply", r.code},
          {"enhanced", JsonText(r.enhanced)},
          {"lines", lines}};
}

json ToJson(const dmarc::Record& r) {
  auto disp = [](const std::optional<dmarc::Disposition>& d) {
    return d ? json(std::string(dmarc::DispositionName(*d))) : json(nullptr);
  };
  auto uris = [&r](const std::vector<dmarc::ReportUri>& v) {
    json a = json::array();
    for (const auto& u : v) {
      json x = {{"uri", JsonText(r.View(u.uri))}, {"mailto", u.mailto}};
      if (u.max_size) {
        x["max_size"] = *u.max_size;
      }
      a.push_back(x);
    }
    return a;
  };
  std::string fo;
  for (auto [bit, c] : {std::pair{dmarc::kFo0, '0'}, std::pair{dmarc::kFo1, '1'},
                        std::pair{dmarc::kFoD, 'd'}, std::pair{dmarc::kFoS, 's'}}) {
    if ((r.fo & bit) != 0) {
      fo += fo.empty() ? std::string(1, c) : std::string(":") + c;
    }
  }
  json j = {{"mode", std::string(dmarc::ModeName(r.mode))},
            {"usable", r.usable},
            {"request", std::string(dmarc::DispositionName(r.request))},
            {"p", disp(r.p)},
            {"sp", disp(r.sp)},
            {"np", disp(r.np)},
            {"subdomain_request", std::string(dmarc::DispositionName(r.SubdomainRequest()))},
            {"nonexistent_request", std::string(dmarc::DispositionName(r.NonExistentRequest()))},
            {"adkim", r.adkim == dmarc::Alignment::kStrict ? "s" : "r"},
            {"aspf", r.aspf == dmarc::Alignment::kStrict ? "s" : "r"},
            {"fo", fo},
            {"rua", uris(r.rua)},
            {"ruf", uris(r.ruf)}};
  if (r.mode == dmarc::Mode::kBis) {
    j["t"] = r.t;
    j["psd"] = r.psd == dmarc::Psd::kYes ? "y" : (r.psd == dmarc::Psd::kNo ? "n" : "u");
  } else {
    j["pct"] = r.pct;
    j["ri"] = r.ri;
  }
  json unknown = json::array();
  for (const auto& u : r.unknown) {
    unknown.push_back({{"name", JsonText(r.View(u.name))}, {"value", JsonText(r.View(u.value))}});
  }
  j["unknown"] = unknown;
  return j;
}

json ToJson(const dmarc::EvalResult& r) {
  auto queries = [](const std::vector<dmarc::DnsQuery>& v) {
    json a = json::array();
    for (const auto& q : v) {
      a.push_back({{"query", JsonText(q.Key())},
                   {"status", std::string(spf::DnsStatusName(q.status))},
                   {"answers", q.answers}});
    }
    return a;
  };
  json j = {{"result", std::string(dmarc::DmarcResultName(r.result))},
            {"reason", r.reason},
            {"mode", std::string(dmarc::ModeName(r.mode))},
            {"author_domain", JsonText(r.author_domain)},
            {"policy_domain", JsonText(r.policy_domain)},
            {"org_domain", JsonText(r.org_domain)},
            {"spf_aligned", r.spf_aligned},
            {"dkim_aligned", r.dkim_aligned},
            {"disposition", std::string(dmarc::DispositionName(r.disposition))},
            {"queries", queries(r.queries)},
            {"existence_queries", queries(r.existence_queries)},
            {"authentication_results", JsonText(r.AuthenticationResults())},
            {"diagnostics", DiagnosticsJson(r.diagnostics)}};
  j["policy"] = r.policy ? json(std::string(dmarc::DispositionName(*r.policy))) : json(nullptr);
  j["policy_source"] = r.policy_source
                           ? json(std::string(dmarc::PolicySourceName(*r.policy_source)))
                           : json(nullptr);
  if (!r.existence_queries.empty()) {
    // true, false, or null where a DNS error left it open (the milder of
    // sp and np then applies).
    j["author_exists"] = r.existence_unknown ? json(nullptr) : json(r.author_exists);
  }
  j["record"] = r.record ? ToJson(*r.record) : json(nullptr);
  json ids = json::array();
  for (const auto& o : r.identifiers) {
    ids.push_back({{"method", o.method == dmarc::IdentifierOutcome::Method::kSpf ? "spf" : "dkim"},
                   {"result", std::string(dmarc::AuthResultName(o.result))},
                   {"domain", JsonText(o.domain)},
                   {"selector", JsonText(o.selector)},
                   {"aligned", o.aligned},
                   {"checked", o.checked}});
  }
  j["identifiers"] = ids;
  if (r.mode == dmarc::Mode::k7489 && r.record) {
    j["sampled"] = r.sampled;
  }
  return j;
}

json ToJson(const dmarc::MultiEvalResult& r) {
  json authors = json::array();
  for (const auto& a : r.authors) {
    authors.push_back(ToJson(a));
  }
  json skipped = json::array();
  for (const auto& d : r.skipped) {
    skipped.push_back(JsonText(d));
  }
  json j = {{"result", std::string(dmarc::DmarcResultName(r.result))},
            {"disposition", std::string(dmarc::DispositionName(r.disposition))},
            {"reason", r.reason},
            {"exempt", r.exempt},
            {"authors", authors},
            {"skipped", skipped},
            {"authentication_results", JsonText(r.AuthenticationResults())},
            {"diagnostics", DiagnosticsJson(r.diagnostics)}};
  j["decided_by"] =
      r.decided_by ? json(JsonText(r.authors[*r.decided_by].author_domain)) : json(nullptr);
  return j;
}

}  // namespace mxconform::conformance
