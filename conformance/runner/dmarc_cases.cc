#include "conformance/runner/dmarc_cases.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "common/clock.h"
#include "conformance/runner/mock_zone.h"
#include "conformance/runner/model_json.h"
#include "conformance/runner/openspf.h"
#include "dmarc/advice.h"
#include "dmarc/eval.h"

namespace mxconform::conformance {
namespace {

using json = nlohmann::json;
namespace dmarc = mxconform::dmarc;

const std::set<std::string> kTestKeys = {"name",
                                         "requirements",
                                         "summary",
                                         "modes",
                                         "zonedata",
                                         "from",
                                         "spf",
                                         "dkim",
                                         "random",
                                         "tree_walk_labels",
                                         "check_reports",
                                         "expect",
                                         "expect_bis",
                                         "expect_7489",
                                         "note",
                                         "multi_from",
                                         "max_from_domains"};
const std::set<std::string> kExpectKeys = {
    "result",      "policy_domain",    "org_domain",     "policy",      "policy_source",
    "disposition", "spf_aligned",      "dkim_aligned",   "queries",     "existence_queries",
    "rua",         "rua_destinations", "report_queries", "rua_retry",   "authors",
    "decided_by",  "skipped",          "exempt",         "identifiers", "advice"};
const std::set<std::string> kResults = {"none", "pass", "fail", "temperror", "permerror"};
const std::set<std::string> kDispositions = {"none", "quarantine", "reject"};
const std::set<std::string> kSources = {"p", "sp", "np"};

std::vector<std::string> Modes(const json& t) {
  if (!t.contains("modes")) {
    return {"bis", "7489"};
  }
  std::vector<std::string> m;
  for (const auto& x : t["modes"]) {
    m.push_back(x.is_string() ? x.get<std::string>() : DumpJson(x));
  }
  return m;
}

// expect, then expect_<mode> on top.
json Expected(const json& t, const std::string& mode) {
  json e = MapField(t, "expect");
  const std::string k = "expect_" + mode;
  if (t.contains(k) && t[k].is_object()) {
    for (const auto& [key, v] : t[k].items()) {
      e[key] = v;
    }
  }
  return e;
}

json ZoneOf(const json& doc, const json& t) {
  if (t.contains("zonedata")) {
    return t["zonedata"];
  }
  return MapField(doc, "zonedata");
}

std::optional<dmarc::AuthIdentifier> Identifier(const json& j) {
  if (!j.is_object() || !j.contains("result") || !j["result"].is_string()) {
    return std::nullopt;
  }
  auto r = dmarc::ParseAuthResult(j["result"].get<std::string>());
  if (!r) {
    return std::nullopt;
  }
  dmarc::AuthIdentifier id;
  id.result = *r;
  id.domain = TextField(j, "domain");
  id.selector = TextField(j, "selector");
  return id;
}

std::string Text(const json& v) { return v.is_string() ? v.get<std::string>() : DumpJson(v); }

// Loads `zonedata` into `zone`; the error text if it does not load (YAML
// shape, a bad address, an unknown type).
std::optional<std::string> LoadZone(const json& zonedata, OpenspfZone& zone) {
  auto doc = ParseOpenspfZone(DumpJson(zonedata));
  if (!doc) {
    return doc.error().Text();
  }
  return zone.Load(*doc);
}

std::optional<std::string> ZoneProblem(const json& zonedata) {
  FixedClock clock(0);
  OpenspfZone zone(clock);
  return LoadZone(zonedata, zone);
}

// The test's zone for the mock DNS server, as LoadZone presents it
// in-process (with empty non-terminals, as the DMARC suites ask).
Result<MockZone> LoadMockZone(const json& zonedata) {
  auto doc = ParseOpenspfZone(DumpJson(zonedata));
  if (!doc) {
    return Result<MockZone>::Failure(doc.diagnostics());
  }
  return OpenspfMockZone(*doc, /*empty_non_terminals=*/true);
}

json Keys(const std::vector<dmarc::DnsQuery>& qs) {
  json a = json::array();
  for (const auto& q : qs) {
    a.push_back(q.Key());
  }
  return a;
}

}  // namespace

Result<DmarcCaseFile> LoadDmarcCaseFile(const std::filesystem::path& path) {
  auto f = LoadCaseFile(path);
  if (!f) {
    return Result<DmarcCaseFile>::Failure(f.diagnostics());
  }
  return DmarcCaseFile{path, std::move(f->doc)};
}

Result<DmarcCaseFile> ParseDmarcCaseFile(std::string_view text, const std::filesystem::path& path) {
  auto f = ParseCaseFile(text, path);
  if (!f) {
    return Result<DmarcCaseFile>::Failure(f.diagnostics());
  }
  return DmarcCaseFile{path, std::move(f->doc)};
}

std::vector<std::string> LintDmarcCaseFile(const DmarcCaseFile& f,
                                           const std::set<std::string>& known_ids) {
  std::vector<std::string> p;
  const std::string file = f.path.string();
  auto problem = [&](const std::string& test, const std::string& what) {
    p.push_back(file + (test.empty() ? "" : " [" + test + "]") + ": " + what);
  };
  const json& d = f.doc;
  if (!d.is_object() || !d.contains("suite") || !d["suite"].is_string()) {
    problem("", "no `suite`");
    return p;
  }
  if (!d.contains("tests") || !d["tests"].is_array() || d["tests"].empty()) {
    problem("", "no `tests` list");
    return p;
  }
  if (d.contains("zonedata")) {
    if (auto bad = ZoneProblem(d["zonedata"])) {
      problem("", "zonedata does not load: " + *bad);
    }
  }
  std::set<std::string> names;
  for (const auto& t : d["tests"]) {
    const std::string name = TextField(t, "name");
    if (name.empty() ||
        name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
      problem(name, "test `name` missing or not lower-case letters, digits and '-'");
      continue;
    }
    if (!names.insert(name).second) {
      problem(name, "test name used twice");
    }
    for (const auto& [k, v] : t.items()) {
      if (!kTestKeys.count(k)) {
        problem(name, "unknown key `" + k + "`");
      }
    }
    if (!t.contains("requirements") || !t["requirements"].is_array() || t["requirements"].empty()) {
      problem(name, "no `requirements` list");
    } else if (!known_ids.empty()) {
      for (const auto& r : t["requirements"]) {
        if (!r.is_string() || !known_ids.count(r.get<std::string>())) {
          problem(name, "unknown requirement id " + Text(r));
        }
      }
    }
    if (!t.contains("summary") || !t["summary"].is_string()) {
      problem(name, "no `summary`");
    }
    if (!t.contains("from") || !(t["from"].is_string() || t["from"].is_array())) {
      problem(name, "no `from` domain (or list of domains)");
    } else if (t["from"].is_array()) {
      for (const auto& x : t["from"]) {
        if (!x.is_string()) {
          problem(name, "a `from` entry is not a string");
        }
      }
    }
    if (t.contains("multi_from") &&
        !(t["multi_from"].is_string() &&
          dmarc::ParseMultiAuthorRule(t["multi_from"].get<std::string>()))) {
      problem(name, "`multi_from` is not by-mode, strictest or exempt");
    }
    if (t.contains("max_from_domains") &&
        !(t["max_from_domains"].is_number_integer() && t["max_from_domains"].get<long>() >= 1 &&
          t["max_from_domains"].get<long>() <=
              static_cast<long>(dmarc::MultiAuthorOptions::kMostDomains))) {
      problem(name, "`max_from_domains` is not a count from 1 to " +
                        std::to_string(dmarc::MultiAuthorOptions::kMostDomains));
    }
    if (const std::int64_t labels = IntField(t, "tree_walk_labels", 0);
        t.contains("tree_walk_labels") && labels != 5 && labels != 8) {
      problem(name, "`tree_walk_labels` is not 8 (RFC 9989) or 5 (drafts -04 to -30)");
    }
    if (t.contains("check_reports") && !t["check_reports"].is_boolean()) {
      problem(name, "`check_reports` is not true or false");
    }
    if (t.contains("random") && !(t["random"].is_number() && t["random"].get<double>() >= 0 &&
                                  t["random"].get<double>() < 1)) {
      problem(name, "`random` is not a draw in [0, 1)");
    }
    if ((t.contains("multi_from") || t.contains("max_from_domains")) &&
        !(t.contains("from") && t["from"].is_array())) {
      problem(name, "`multi_from` / `max_from_domains` need a `from` list");
    }
    for (const auto& m : Modes(t)) {
      if (m != "bis" && m != "7489") {
        problem(name, "unknown mode " + m);
      }
    }
    if (t.contains("spf") && !Identifier(t["spf"])) {
      problem(name, "`spf` is not {result, domain} with a known result");
    }
    if (t.contains("dkim")) {
      if (!t["dkim"].is_array()) {
        problem(name, "`dkim` is not a list");
      } else {
        for (const auto& x : t["dkim"]) {
          if (!Identifier(x)) {
            problem(name, "a `dkim` entry is not {result, domain} with a known result");
          }
        }
      }
    }
    if (t.contains("zonedata")) {
      if (auto bad = ZoneProblem(t["zonedata"])) {
        problem(name, "zonedata does not load: " + *bad);
      }
    }
    bool expects = true;
    for (const auto& m : Modes(t)) {
      expects &= !Expected(t, m).empty();
    }
    if (!expects) {
      problem(name, "no `expect` (or `expect_<mode>` for every mode)");
      continue;
    }
    for (const std::string ek : {"expect", "expect_bis", "expect_7489"}) {
      if (!t.contains(ek)) {
        continue;
      }
      if (!t[ek].is_object()) {
        problem(name, ek + " is not a map");
        continue;
      }
      for (const auto& [k, v] : t[ek].items()) {
        if (!kExpectKeys.count(k)) {
          problem(name, ek + ": unknown key `" + k + "`");
        } else if (k == "result") {
          const json list = v.is_array() ? v : json::array({v});
          for (const auto& x : list) {
            if (!x.is_string() || !kResults.count(x.get<std::string>())) {
              problem(name, ek + ": unknown result " + Text(x));
            }
          }
        } else if ((k == "policy" || k == "disposition") &&
                   (!v.is_string() || !kDispositions.count(v.get<std::string>()))) {
          problem(name, ek + ": unknown " + k + " " + Text(v));
        } else if (k == "policy_source" &&
                   (!v.is_string() || !kSources.count(v.get<std::string>()))) {
          problem(name, ek + ": unknown policy_source " + Text(v));
        } else if ((k == "identifiers" || k == "advice") &&
                   (!v.is_array() || std::any_of(v.begin(), v.end(),
                                                 [](const json& x) { return !x.is_string(); }))) {
          problem(name, ek + ": " + k + " must be a list of strings");
        } else if ((k == "rua_destinations" || k == "report_queries" || k == "rua_retry") &&
                   !BoolField(t, "check_reports", false)) {
          problem(name, ek + ": `" + k + "` needs check_reports: true");
        }
      }
    }
  }
  return p;
}

std::vector<CaseResult> RunDmarcCaseFile(const DmarcCaseFile& f, ZoneWire* wire) {
  std::vector<CaseResult> out;
  const json& d = f.doc;
  const std::string suite = TextField(d, "suite", "dmarc");
  for (const auto& t : ListField(d, "tests")) {
    for (const std::string& mode : Modes(t)) {
      const auto start = std::chrono::steady_clock::now();
      CaseResult r;
      r.suite = suite;
      r.kind = "dmarc";
      r.file = f.path.string();
      r.id = suite + "/" + TextField(t, "name", "?") + "/" + mode;
      r.summary = TextField(t, "summary");
      for (const auto& q : ListField(t, "requirements")) {
        r.requirements.push_back(Text(q));
      }
      const json want = Expected(t, mode);
      r.expected = want;

      FixedClock clock(0);
      OpenspfZone zone(clock);
      zone.SetEmptyNonTerminals(true);
      if (auto bad = LoadZone(ZoneOf(d, t), zone)) {
        r.outcome = Outcome::kError;
        r.message = "zonedata: " + *bad;
        out.push_back(std::move(r));
        continue;
      }
      dmarc::EvalInput in;
      const bool several = t.contains("from") && t["from"].is_array();
      in.from_domain = several ? "" : TextField(t, "from");
      in.discovery.mode = mode == "7489" ? dmarc::Mode::k7489 : dmarc::Mode::kBis;
      in.discovery.tree_walk_labels = static_cast<int>(IntField(t, "tree_walk_labels", 8));
      if (t.contains("spf")) {
        in.spf = Identifier(t["spf"]);
      }
      for (const auto& x : ListField(t, "dkim")) {
        if (auto id = Identifier(x)) {
          in.dkim.push_back(*id);
        }
      }
      if (t.contains("random") && t["random"].is_number()) {
        const double draw = t["random"].get<double>();
        in.random = [draw] { return draw; };
      }
      // A `from` list: the verdict over its domains and each author's.
      auto evaluate_authors = [&](spf::Resolver& resolver) {
        std::vector<std::string> from;
        for (const auto& x : t["from"]) {
          from.push_back(Text(x));
        }
        dmarc::MultiAuthorOptions mo;
        mo.rule =
            dmarc::ParseMultiAuthorRule(TextField(t, "multi_from", "by-mode")).value_or(mo.rule);
        mo.max_domains = static_cast<std::size_t>(IntField(t, "max_from_domains", 10));
        const dmarc::MultiEvalResult m = dmarc::EvaluateAuthors(from, in, resolver, mo);
        json a;
        a["result"] = std::string(dmarc::DmarcResultName(m.result));
        a["reason"] = m.reason;
        a["disposition"] = std::string(dmarc::DispositionName(m.disposition));
        a["exempt"] = m.exempt;
        a["decided_by"] = m.decided_by ? json(m.authors[*m.decided_by].author_domain) : json();
        a["skipped"] = m.skipped;
        a["authors"] = json::array();
        a["queries"] = json::array();
        for (const auto& e : m.authors) {
          a["authors"].push_back(
              {{"domain", e.author_domain},
               {"result", std::string(dmarc::DmarcResultName(e.result))},
               {"disposition", std::string(dmarc::DispositionName(e.disposition))}});
          for (const auto& q : Keys(e.queries)) {
            a["queries"].push_back(q);
          }
        }
        a["authentication_results"] = m.AuthenticationResults();
        for (const auto& dg : m.diagnostics) {
          a["diagnostics"].push_back(std::string(dg.id));
        }
        return std::pair{a, m.reason};
      };
      // Everything the evaluation reports, from one resolver.
      auto evaluate = [&](spf::Resolver& resolver) {
        if (several) {
          return evaluate_authors(resolver);
        }
        dmarc::EvalResult e = dmarc::Evaluate(in, resolver);
        json a;
        a["result"] = std::string(dmarc::DmarcResultName(e.result));
        a["reason"] = e.reason;
        a["policy_domain"] = e.policy_domain;
        a["org_domain"] = e.org_domain;
        if (e.policy) {
          a["policy"] = std::string(dmarc::DispositionName(*e.policy));
        }
        if (e.policy_source) {
          a["policy_source"] = std::string(dmarc::PolicySourceName(*e.policy_source));
        }
        a["disposition"] = std::string(dmarc::DispositionName(e.disposition));
        a["spf_aligned"] = e.spf_aligned;
        a["dkim_aligned"] = e.dkim_aligned;
        json ids = json::array();
        for (const auto& o : e.identifiers) {
          ids.push_back(JsonText(o.Text()));
        }
        a["identifiers"] = ids;
        a["queries"] = Keys(e.queries);
        a["existence_queries"] = Keys(e.existence_queries);
        a["authentication_results"] = e.AuthenticationResults();
        json rua = json::array();
        if (e.record) {
          for (const auto& u : e.record->rua) {
            std::string s(e.record->View(u.uri));
            if (u.max_size) {
              s += " !" + std::to_string(*u.max_size);
            }
            rua.push_back(s);
          }
        }
        a["rua"] = rua;
        // What RFC 9989 asks of the publisher of the record that applies.
        json advice = json::array();
        if (e.record) {
          for (const auto& dg : dmarc::PublisherAdvice(*e.record)) {
            advice.push_back(std::string(dg.id));
          }
        }
        a["advice"] = advice;
        if (BoolField(t, "check_reports", false)) {
          json dest = json::array();
          json rq = json::array();
          json retry = json::array();
          if (e.record) {
            dmarc::DmarcLookups lookups(resolver, in.discovery);
            dmarc::ReportCheck rc =
                dmarc::CheckReportDestinations(*e.record, e.policy_domain, lookups);
            dest = rc.destinations;
            retry = rc.retry;
            rq = Keys(rc.queries);
          }
          a["rua_destinations"] = dest;
          a["report_queries"] = rq;
          a["rua_retry"] = retry;
        }
        for (const auto& dg : e.diagnostics) {
          a["diagnostics"].push_back(std::string(dg.id));
        }
        return std::pair{a, e.reason};
      };
      auto [a, reason] = evaluate(zone);
      if (wire != nullptr) {
        // The same evaluation over the wire must tell the same story.
        auto served = LoadMockZone(ZoneOf(d, t));
        if (!served) {
          a["wire"] = "zone: " + served.error().Text();
        } else {
          wire->Serve(*served);
          a["wire"] = evaluate(*wire->NewResolver(nullptr)).first;
        }
      }

      std::string why;
      for (const auto& [k, v] : want.items()) {
        if (!why.empty()) {
          break;
        }
        if (k == "result") {
          const json list = v.is_array() ? v : json::array({v});
          if (std::find(list.begin(), list.end(), a["result"]) == list.end()) {
            why = "result: expected " + DumpJson(list) + ", got " + DumpJson(a["result"]) + " (" +
                  reason + ")";
          }
          continue;
        }
        const json got = a.contains(k) ? a[k] : json();
        if (got != v) {
          why = k + ": expected " + DumpJson(v) + ", got " +
                (got.is_null() ? "nothing" : DumpJson(got));
        }
      }
      if (why.empty() && a.contains("wire")) {
        json here = a;
        here.erase("wire");
        if (here != a["wire"]) {
          why = "wire and in-process disagree: in-process " + DumpJson(here) + ", over the wire " +
                DumpJson(a["wire"]);
        }
      }
      r.actual = a;
      r.outcome = why.empty() ? Outcome::kPass : Outcome::kFail;
      r.message = why;
      r.duration_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<std::filesystem::path> FindDmarcCaseFiles(const std::filesystem::path& vectors_dir) {
  return FindCaseFiles(vectors_dir / "dmarc");
}

}  // namespace mxconform::conformance
