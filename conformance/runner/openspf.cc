#include "conformance/runner/openspf.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <regex>
#include <sstream>

#include "common/clock.h"
#include "common/file.h"
#include "common/text.h"
#include "conformance/runner/mock_zone.h"
#include "conformance/runner/model_json.h"
#include "conformance/runner/yaml_budget.h"
#include "net/smtp_text.h"
#include "spf/eval.h"
#include "spf/ip.h"
#include "spf/resolver.h"
#include "spf/zone.h"

namespace mxconform::conformance {
namespace {

using nlohmann::json;

const std::set<std::string> kResults = {"pass", "fail",      "softfail", "neutral",
                                        "none", "permerror", "temperror"};
// Record types of the openspf format, plus ours: SERVFAIL (every query for
// the name answers SERVFAIL) and DELAY (every query for the name takes that
// many seconds of the virtual clock).
const std::set<std::string> kRecordTypes = {"TXT", "SPF",   "A",       "AAAA",     "MX",
                                            "PTR", "CNAME", "TIMEOUT", "SERVFAIL", "DELAY"};
const std::set<std::string> kQueryTypes = {"TXT", "A", "AAAA", "MX", "PTR"};
// Keys of a test: the openspf ones (spec .. strict), then our extensions
// (requirements .. void_lookups).
const std::set<std::string> kTestKeys = {
    "spec",        "helo",         "host",     "mailfrom",        "result",
    "explanation", "description",  "comment",  "strict",          "requirements",
    "receiver",    "now",          "identity", "queries_include", "queries_exclude",
    "dns_terms",   "void_lookups", "smtp"};
const std::set<std::string> kDocumentKeys = {"description", "comment", "tests", "zonedata"};

std::string Printable(std::string_view s) { return JsonText(s); }

json PrintableList(const std::vector<std::string>& v) {
  json a = json::array();
  for (const auto& s : v) {
    a.push_back(Printable(s));
  }
  return a;
}

json NodeJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& x : n) {
        a.push_back(NodeJson(x));
      }
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) {
        o[Printable(kv.first.Scalar())] = NodeJson(kv.second);
      }
      return o;
    }
    case YAML::NodeType::Scalar:
      return Printable(n.Scalar());
    default:
      return nullptr;
  }
}

Diagnostic Located(std::string_view id, std::string_view message, const YAML::Mark& m,
                   std::string detail) {
  Diagnostic d = MakeDiag(id, Severity::kError, m.pos < 0 ? 0 : static_cast<std::size_t>(m.pos),
                          message, std::move(detail));
  SetPosition(d, m);
  return d;
}

std::optional<std::int64_t> ParseInt(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty()) {
    return std::nullopt;
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

// A scalar (or null, read as "") into `out`; false for other shapes.
bool ScalarInto(const YAML::Node& n, std::string& out) {
  if (n.IsNull()) {
    out.clear();
    return true;
  }
  if (!n.IsScalar()) {
    return false;
  }
  out = n.Scalar();
  return true;
}

bool ScalarListInto(const YAML::Node& n, std::vector<std::string>& out) {
  if (!n.IsSequence()) {
    return false;
  }
  out.clear();
  for (const auto& x : n) {
    if (!x.IsScalar()) {
      return false;
    }
    out.push_back(x.Scalar());
  }
  return true;
}

class Loader {
 public:
  Diagnostics errors;

  void Error(std::string_view id, std::string_view message, const YAML::Mark& m,
             std::string detail) {
    errors.push_back(Located(id, message, m, std::move(detail)));
  }

  void Test(const YAML::Node& key, const YAML::Node& body, OpenspfTest& t) {
    t.name = key.Scalar();
    SetPosition(t, key.Mark());
    if (!body.IsMap()) {
      Error("vectors.openspf.tests", "a test must be a map", body.Mark(), t.name);
      return;
    }
    t.fields = NodeJson(body);
    for (const auto& kv : body) {
      const std::string k = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      auto bad = [&](const char* what) {
        Error("vectors.openspf.field", "test field of the wrong shape", v.Mark(),
              t.name + "." + k + ": " + what);
      };
      std::string* text_field = nullptr;
      if (k == "helo") {
        text_field = &t.helo;
      } else if (k == "host") {
        text_field = &t.host;
      } else if (k == "mailfrom") {
        text_field = &t.mailfrom;
      } else if (k == "spec") {
        text_field = &t.spec;
      } else if (k == "description") {
        text_field = &t.description;
      } else if (k == "comment") {
        text_field = &t.comment;
      }
      if (text_field != nullptr) {
        if (!ScalarInto(v, *text_field)) {
          bad("must be a string");
        }
      } else if (k == "result") {
        if (v.IsScalar()) {
          t.results = {v.Scalar()};
        } else if (!ScalarListInto(v, t.results) || t.results.empty()) {
          bad("must be a result or a non-empty list of results");
        }
      } else if (k == "explanation" || k == "receiver" || k == "identity") {
        if (!v.IsScalar()) {
          bad("must be a string");
        } else if (k == "explanation") {
          t.explanation = v.Scalar();
        } else if (k == "receiver") {
          t.receiver = v.Scalar();
        } else {
          t.identity = v.Scalar();
        }
      } else if (k == "requirements" || k == "queries_include" || k == "queries_exclude") {
        auto& list = k == "requirements"      ? t.requirements
                     : k == "queries_include" ? t.queries_include
                                              : t.queries_exclude;
        if (!ScalarListInto(v, list)) {
          bad("must be a list of strings");
        }
      } else if (k == "now" || k == "dns_terms" || k == "void_lookups") {
        auto n = v.IsScalar() ? ParseInt(v.Scalar()) : std::nullopt;
        if (!n || *n < 0) {
          bad("must be a non-negative integer");
        } else if (k == "now") {
          t.now = *n;
        } else if (k == "dns_terms") {
          t.dns_terms = *n;
        } else {
          t.void_lookups = *n;
        }
      } else if (k == "smtp") {
        Smtp(v, t, bad);
      }
      // Other keys (`strict`, unknown ones) stay in `fields`; the lint
      // reports unknown keys in our files.
    }
  }

  // smtp: {reply: NNN, enhanced: "C.S.D", status_codes: rfc7208|rfc7372}
  template <typename Bad>
  void Smtp(const YAML::Node& v, OpenspfTest& t, const Bad& bad) {
    if (!v.IsMap()) {
      bad("must be a map {reply, enhanced, status_codes}");
      return;
    }
    OpenspfTest::Smtp smtp;
    for (const auto& kv : v) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& x = kv.second;
      if (!x.IsScalar()) {
        bad(("smtp." + key + " must be a scalar").c_str());
        return;
      }
      const std::string& s = x.Scalar();
      if (key == "reply") {
        const auto n = ParseInt(s);
        if (!n || *n < 200 || *n > 599) {
          bad("smtp.reply must be a reply code from 200 to 599");
          return;
        }
        smtp.reply = static_cast<int>(*n);
      } else if (key == "enhanced") {
        if (net::EnhancedStatusCode(s) != s) {
          bad("smtp.enhanced must be an RFC 3463 status code such as 5.7.1");
          return;
        }
        smtp.enhanced = s;
      } else if (key == "status_codes") {
        const auto codes = spf::ParseStatusCodes(s);
        if (!codes) {
          bad("smtp.status_codes must be rfc7208 or rfc7372");
          return;
        }
        smtp.codes = *codes;
      } else {
        bad(("unknown smtp key '" + key + "' (reply, enhanced, status_codes)").c_str());
        return;
      }
    }
    if (smtp.reply == 0) {
      bad("smtp.reply is required");
      return;
    }
    if (smtp.enhanced && (*smtp.enhanced)[0] != static_cast<char>('0' + smtp.reply / 100)) {
      bad("smtp.enhanced must be of the reply code's class");
      return;
    }
    t.smtp = smtp;
  }

  void Record(const YAML::Node& e, OpenspfRecord& r) {
    SetPosition(r, e.Mark());
    if (e.IsScalar()) {  // TIMEOUT, SERVFAIL
      r.type = e.Scalar();
      return;
    }
    if (!e.IsMap() || e.size() != 1) {
      Error("vectors.openspf.zonedata", "a zone entry must be TYPE or {TYPE: value}", e.Mark(), "");
      return;
    }
    const auto kv = *e.begin();
    r.type = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (r.type == "TXT" || r.type == "SPF") {
      if (v.IsSequence()) {
        r.is_list = true;
        if (!ScalarListInto(v, r.values)) {
          Error("vectors.openspf.zonedata", "TXT / SPF data must be a string or a list of strings",
                v.Mark(), r.type);
        }
        return;
      }
    } else if (r.type == "MX") {
      if (!v.IsSequence() || v.size() != 2 || !v[0].IsScalar() || !v[1].IsScalar() ||
          !ParseInt(v[0].Scalar())) {
        Error("vectors.openspf.zonedata", "MX data must be [preference, exchange]", v.Mark(), "");
        return;
      }
      r.preference = *ParseInt(v[0].Scalar());
      r.values = {v[1].Scalar()};
      return;
    } else if (r.type == "SOA") {
      // Mock zones only (the lint refuses it in SPF and DMARC cases).
      if (!v.IsSequence() || v.size() != 7 ||
          !std::all_of(v.begin(), v.end(), [](const YAML::Node& x) { return x.IsScalar(); })) {
        Error("vectors.openspf.zonedata",
              "SOA data must be [mname, rname, serial, refresh, retry, expire, minimum]", v.Mark(),
              "");
        return;
      }
      for (const auto& x : v) {
        r.values.push_back(x.Scalar());
      }
      return;
    }
    std::string s;
    if (!ScalarInto(v, s)) {
      Error("vectors.openspf.zonedata", "record data must be a string", v.Mark(), r.type);
      return;
    }
    r.values = {s};
  }

  void Document(const YAML::Node& d, OpenspfDocument& doc) {
    SetPosition(doc, d.Mark());
    for (const auto& kv : d) {
      doc.keys.push_back(kv.first.Scalar());
    }
    if (d["description"] && d["description"].IsScalar()) {
      doc.description = d["description"].Scalar();
    }
    const YAML::Node tests = d["tests"];
    if (!tests) {
      Error("vectors.openspf.document", "a document needs `tests`", d.Mark(), "");
    } else if (!tests.IsMap()) {
      Error("vectors.openspf.tests", "`tests` must be a map of test name to test", tests.Mark(),
            "");
    } else {
      for (const auto& kv : tests) {
        OpenspfTest t;
        Test(kv.first, kv.second, t);
        doc.tests.push_back(std::move(t));
      }
    }
    Zone(d["zonedata"], doc);
  }

  // A `zonedata` map: name -> list of records (absent or null: no names).
  void Zone(const YAML::Node& zone, OpenspfDocument& doc) {
    if (!zone || zone.IsNull()) {
      return;
    }
    if (!zone.IsMap()) {
      Error("vectors.openspf.zonedata", "`zonedata` must be a map of name to records", zone.Mark(),
            "");
      return;
    }
    for (const auto& kv : zone) {
      OpenspfName n;
      n.name = kv.first.Scalar();
      SetPosition(n, kv.first.Mark());
      if (kv.second.IsSequence()) {
        for (const auto& e : kv.second) {
          OpenspfRecord r;
          Record(e, r);
          n.records.push_back(std::move(r));
        }
      } else if (!kv.second.IsNull()) {
        Error("vectors.openspf.zonedata", "the records of a name must be a list", kv.second.Mark(),
              n.name);
      }
      doc.zonedata.push_back(std::move(n));
    }
  }
};

std::string Where(const OpenspfFile& f, std::uint32_t line, std::uint32_t column) {
  return f.path.filename().string() + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string NameKey(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return text::ToLowerCopy(name);
}

// A name as a resolver answer carries it: absolute, without the trailing
// dot of the presentation form.
std::string StripDot(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return std::string(name);
}

std::string QueryTypeText(spf::QueryType t) { return std::string(spf::QueryTypeName(t)); }

// "<TYPE> <name>" with the name lower-cased and without a trailing dot, so
// expectations compare as DNS names do.
std::string QueryKey(std::string_view type, std::string_view name) {
  return std::string(type) + " " + NameKey(name);
}
std::string QueryKey(std::string_view q) {
  auto sp = q.find(' ');
  if (sp == std::string_view::npos) {
    return std::string(q);
  }
  return QueryKey(q.substr(0, sp), q.substr(sp + 1));
}

bool IsSegment(const std::string& s) {
  static const std::regex kSegment("[a-z0-9][a-z0-9._-]*");
  return std::regex_match(s, kSegment);
}

std::string CollapseSpace(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out.push_back(' ');
      space = false;
    }
    out.push_back(c);
  }
  return out;
}

std::string FileSuite(const OpenspfFile& f, const OpenspfDocument& d) {
  if (f.origin == OpenspfOrigin::kThirdParty) {
    std::string slug = Slug(d.description);
    return "spf/openspf/" + (slug.empty() ? "document-" + std::to_string(d.index + 1) : slug);
  }
  std::string stem = f.path.stem().string();
  if (stem.rfind("spf-", 0) == 0) {
    stem = stem.substr(4);
  }
  std::string slug = Slug(stem);
  return "spf/" + (slug.empty() ? "cases" : slug);
}

std::vector<std::string> RefsFor(const std::string& name,
                                 const std::map<std::string, std::vector<std::string>>& refs) {
  std::vector<std::string> out;
  for (const auto& [key, ids] : refs) {
    bool hit = key == name || (!key.empty() && key.back() == '*' &&
                               name.rfind(key.substr(0, key.size() - 1), 0) == 0);
    if (hit) {
      for (const auto& id : ids) {
        if (std::find(out.begin(), out.end(), id) == out.end()) {
          out.push_back(id);
        }
      }
    }
  }
  return out;
}

// What must agree between an in-process and a wire evaluation.
json Fingerprint(const spf::EvalResult& e) {
  json out = {{"result", std::string(spf::SpfResultName(e.result))},
              {"reason", Printable(e.reason)},
              {"detail", Printable(e.detail)},
              {"explanation", Printable(e.explanation)},
              {"dns_terms", e.dns_terms},
              {"void_lookups", e.void_lookups}};
  json queries = json::array();
  for (const auto& q : e.queries) {
    queries.push_back(Printable(std::string(spf::QueryTypeName(q.type)) + " " + q.name + " -> " +
                                std::string(spf::DnsStatusName(q.status)) + " " +
                                std::to_string(q.answers)));
  }
  out["queries"] = queries;
  return out;
}

CaseResult RunTest(const OpenspfFile& f, const OpenspfDocument& d, const OpenspfTest& t,
                   const OpenspfRunOptions& opts) {
  CaseResult r;
  r.suite = FileSuite(f, d);
  r.id = r.suite + "/" + (IsSegment(t.name) ? t.name : Slug(t.name));
  r.kind = "spf";
  r.file = f.path.filename().string();
  r.summary = CollapseSpace(!t.description.empty() ? t.description
                            : !t.comment.empty()
                                ? t.comment
                                : "openspf test " + t.name +
                                      (t.spec.empty() ? "" : " (RFC 7208 " + t.spec + ")"));
  r.summary = Printable(r.summary);
  r.requirements = t.requirements;
  if (r.requirements.empty() && opts.refs != nullptr) {
    r.requirements = RefsFor(t.name, *opts.refs);
  }
  const bool helo_identity = t.identity ? *t.identity == "helo" : t.mailfrom.empty();

  json expected = json::object();
  expected["result"] = t.results;
  if (t.explanation) {
    expected["explanation"] = Printable(*t.explanation);
  }
  if (!t.queries_include.empty()) {
    expected["queries_include"] = PrintableList(t.queries_include);
  }
  if (!t.queries_exclude.empty()) {
    expected["queries_exclude"] = PrintableList(t.queries_exclude);
  }
  if (t.dns_terms) {
    expected["dns_terms"] = *t.dns_terms;
  }
  if (t.void_lookups) {
    expected["void_lookups"] = *t.void_lookups;
  }
  if (t.smtp) {
    expected["smtp"] = {{"reply", t.smtp->reply},
                        {"status_codes", std::string(spf::StatusCodesName(t.smtp->codes))}};
    if (t.smtp->enhanced) {
      expected["smtp"]["enhanced"] = *t.smtp->enhanced;
    }
  }
  expected["input"] = {{"identity", helo_identity ? "helo" : "mailfrom"},
                       {"host", Printable(t.host)},
                       {"helo", Printable(t.helo)},
                       {"mailfrom", Printable(t.mailfrom)}};
  if (!t.spec.empty()) {
    expected["spec"] = Printable(t.spec);
  }
  r.expected = {{"reference", expected}};

  auto t0 = std::chrono::steady_clock::now();
  auto finish = [&](Outcome o, std::string message, json actual) {
    r.outcome = o;
    r.message = Printable(message);
    r.actual = {{"reference", std::move(actual)}};
    r.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };

  auto ip = spf::ParseIp(t.host);
  if (!ip) {
    return finish(Outcome::kError, "host '" + t.host + "' is not an IP address", json::object());
  }
  spf::EvalInput in;
  in.ip = *ip;
  in.sender = t.mailfrom;
  in.helo = t.helo;
  if (t.receiver) {
    in.receiver = *t.receiver;
  }
  in.now = t.now.value_or(0);
  FixedClock clock(in.now);
  OpenspfZone dns(clock);
  if (auto bad = dns.Load(d)) {
    return finish(Outcome::kError, "zonedata: " + *bad, json::object());
  }
  spf::EvalLimits limits;
  limits.clock = &clock;

  auto evaluate = [&](spf::Resolver& resolver, const spf::EvalLimits& l) {
    if (opts.evaluate) {
      return opts.evaluate(in, helo_identity, resolver, l);
    }
    return helo_identity ? spf::CheckHelo(in, resolver, l) : spf::CheckMailFrom(in, resolver, l);
  };
  spf::EvalResult e;
  try {
    e = evaluate(dns, limits);
  } catch (const std::exception& ex) {
    // The evaluator does not throw by design; one that does must not stop
    // the other cases.
    return finish(Outcome::kError, std::string("evaluator threw: ") + ex.what(), json::object());
  }

  const std::string result(spf::SpfResultName(e.result));
  json actual = json::object();
  actual["result"] = result;
  actual["reason"] = Printable(e.reason);
  if (!e.detail.empty()) {
    actual["detail"] = Printable(e.detail);
  }
  actual["domain"] = Printable(e.domain);
  if (!e.mechanism.empty()) {
    actual["mechanism"] = Printable(e.mechanism);
  }
  if (e.result == spf::SpfResult::kFail) {
    actual["explanation"] = e.explanation.empty() ? "DEFAULT" : Printable(e.explanation);
  }
  actual["dns_terms"] = e.dns_terms;
  actual["void_lookups"] = e.void_lookups;
  std::vector<std::string> asked;
  json queries = json::array();
  for (const auto& q : e.queries) {
    std::string type = QueryTypeText(q.type);
    asked.push_back(QueryKey(type, q.name));
    queries.push_back(Printable(type + " " + q.name + " -> " +
                                std::string(spf::DnsStatusName(q.status)) + " " +
                                std::to_string(q.answers)));
  }
  actual["queries"] = queries;
  json trace = json::array();
  for (const auto& s : e.trace) {
    trace.push_back(Printable(std::to_string(s.depth) + " " + s.domain +
                              (s.term.empty() ? "" : " " + s.term) + ": " + s.outcome));
  }
  actual["trace"] = trace;

  // Verdict: the first unmet expectation.
  std::string why;
  if (std::find(t.results.begin(), t.results.end(), result) == t.results.end()) {
    std::string want;
    for (const auto& x : t.results) {
      want += (want.empty() ? "" : " or ") + x;
    }
    why = "result: expected " + want + ", got " + result + " (" + std::string(e.reason) +
          (e.detail.empty() ? "" : ": " + e.detail) + ")";
  } else if (t.explanation && e.result == spf::SpfResult::kFail) {
    std::string got = e.explanation.empty() ? "DEFAULT" : e.explanation;
    if (!ExplanationMatches(*t.explanation, got)) {
      why = "explanation: expected \"" + *t.explanation + "\", got \"" + got + "\"";
    }
  }
  if (t.smtp) {
    // RFC 7208 §8: the receiver's reply to MAIL FROM for this result.
    spf::ReceiverPolicy policy;
    policy.codes = t.smtp->codes;
    const std::string_view identity = helo_identity ? "helo" : "mailfrom";
    // The reference receiver refuses a reverse-path whose domain publishes
    // a null MX before it looks at SPF (RFC 7505 §4.1, MX-7505-03).
    std::optional<spf::MailReply> null_mx;
    if (!opts.receive && !helo_identity) {
      // Its own lookup, over its own copy of the zone: the evaluation's
      // query log stays the evaluation's.
      OpenspfZone receiver_dns(clock);
      if (!receiver_dns.Load(d)) {
        null_mx = spf::NullMxRefusal(t.mailfrom, receiver_dns, policy);
      }
    }
    const spf::MailReply reply = null_mx        ? *null_mx
                                 : opts.receive ? opts.receive(e, identity, *ip, policy)
                                                : spf::ReplyToMail(e, identity, *ip, policy);
    actual["smtp"] = ToJson(reply);
    if (why.empty() && (reply.code != t.smtp->reply ||
                        (t.smtp->enhanced && reply.enhanced != *t.smtp->enhanced))) {
      why = "smtp: expected " + std::to_string(t.smtp->reply) +
            (t.smtp->enhanced ? " " + *t.smtp->enhanced : "") + " to MAIL FROM, got " +
            std::to_string(reply.code) + " " + reply.enhanced +
            (reply.lines.empty() ? "" : " \"" + reply.lines.front() + "\"");
    }
  }
  for (const auto& q : t.queries_include) {
    if (why.empty() && std::find(asked.begin(), asked.end(), QueryKey(q)) == asked.end()) {
      why = "query \"" + q + "\" expected, not made";
    }
  }
  for (const auto& q : t.queries_exclude) {
    if (why.empty() && std::find(asked.begin(), asked.end(), QueryKey(q)) != asked.end()) {
      why = "query \"" + q + "\" made, must not be";
    }
  }
  if (why.empty() && t.dns_terms && e.dns_terms != *t.dns_terms) {
    why = "dns_terms: expected " + std::to_string(*t.dns_terms) + ", got " +
          std::to_string(e.dns_terms);
  }
  if (why.empty() && t.void_lookups && e.void_lookups != *t.void_lookups) {
    why = "void_lookups: expected " + std::to_string(*t.void_lookups) + ", got " +
          std::to_string(e.void_lookups);
  }
  // The evidence must be true: EvalResult::queries lists what the zone was
  // asked, in order.
  if (why.empty() && asked != dns.log()) {
    json zone_log = json::array();
    for (const auto& q : dns.log()) {
      zone_log.push_back(Printable(q));
    }
    actual["zone_queries"] = zone_log;
    why = "EvalResult.queries differs from the queries the zone received (see zone_queries)";
  }
  if (opts.wire != nullptr) {
    // The same evaluation over the wire must tell the same story.
    std::string wire_why;
    auto zone = OpenspfMockZone(d, /*empty_non_terminals=*/false);
    if (!zone) {
      wire_why = "zone: " + zone.error().Text();
    } else {
      opts.wire->Serve(*zone);
      FixedClock wire_clock(in.now);
      const std::unique_ptr<spf::Resolver> wire_dns = opts.wire->NewResolver(&wire_clock);
      spf::EvalLimits wire_limits = limits;
      wire_limits.clock = &wire_clock;
      const json here = Fingerprint(e);
      const json there = Fingerprint(evaluate(*wire_dns, wire_limits));
      actual["wire"] = there;
      if (here != there) {
        wire_why = "in-process " + DumpJson(here) + ", over the wire " + DumpJson(there);
      }
    }
    if (why.empty() && !wire_why.empty()) {
      why = "wire and in-process disagree: " + wire_why;
    }
  }
  return finish(why.empty() ? Outcome::kPass : Outcome::kFail, why, std::move(actual));
}

}  // namespace

std::optional<std::string> OpenspfZone::Load(const OpenspfDocument& doc) {
  // Entries per name, in order, across repeats of the name.
  std::vector<std::string> order;
  std::map<std::string, std::vector<const OpenspfRecord*>> entries;
  std::map<std::string, std::string> spelled;
  for (const auto& n : doc.zonedata) {
    std::string key = NameKey(n.name);
    if (entries.find(key) == entries.end()) {
      order.push_back(key);
      spelled[key] = n.name;
    }
    auto& list = entries[key];
    for (const auto& r : n.records) {
      list.push_back(&r);
    }
  }
  for (const auto& key : order) {
    const std::string& name = spelled[key];
    zone_.Touch(name);
    const auto& list = entries[key];
    bool has_txt = std::any_of(list.begin(), list.end(),
                               [](const OpenspfRecord* r) { return r->type == "TXT"; });
    std::set<spf::QueryType> before_timeout;
    bool timeout = false;
    for (const OpenspfRecord* r : list) {
      const std::string& t = r->type;
      const std::string v = r->values.empty() ? "" : r->values[0];
      if (t == "TIMEOUT") {
        timeout = true;
        break;
      }
      if (t == "TXT") {
        if (r->is_list || v != "NONE") {
          zone_.AddTxt(name, text::Join(r->values, ""));
          before_timeout.insert(spf::QueryType::kTxt);
        }
      } else if (t == "SPF") {
        if (!has_txt) {
          zone_.AddTxt(name, text::Join(r->values, ""));  // after TIMEOUT in pyspf: not spared
        }
      } else if (t == "A" || t == "AAAA") {
        auto ip = spf::ParseIp(v);
        if (!ip || ip->v6 != (t == "AAAA")) {
          return "bad " + t + " address '" + v + "' at " + name;
        }
        zone_.AddA(name, *ip);
        before_timeout.insert(ip->v6 ? spf::QueryType::kAaaa : spf::QueryType::kA);
      } else if (t == "MX") {
        if (r->preference < 0 || r->preference > 65535) {
          return "bad MX preference at " + name;
        }
        zone_.AddMx(name, static_cast<std::uint16_t>(r->preference), StripDot(v));
        before_timeout.insert(spf::QueryType::kMx);
      } else if (t == "PTR") {
        zone_.AddPtr(name, StripDot(v));
        before_timeout.insert(spf::QueryType::kPtr);
      } else if (t == "CNAME") {
        zone_.AddCname(name, StripDot(v));
      } else if (t == "SERVFAIL") {
        zone_.SetServfail(name);
      } else if (t == "DELAY") {
        auto n = ParseInt(v);
        if (!n || *n < 0) {
          return "bad DELAY at " + name;
        }
        delay_[key] += *n;
      } else {
        return "unknown record type '" + t + "' at " + name;
      }
    }
    if (timeout) {
      if (before_timeout.empty()) {
        zone_.SetTimeout(name);
      } else {
        spared_[key] = before_timeout;
      }
    }
  }
  return std::nullopt;
}

spf::DnsAnswer OpenspfZone::Query(std::string_view name, spf::QueryType type) {
  log_.push_back(QueryKey(QueryTypeText(type), name));
  const std::string key = NameKey(name);
  if (auto d = delay_.find(key); d != delay_.end()) {
    clock_.Advance(d->second);
  }
  if (auto s = spared_.find(key); s != spared_.end() && s->second.count(type) == 0) {
    spf::DnsAnswer a;
    a.status = spf::DnsStatus::kTimeout;
    return a;
  }
  return zone_.Query(name, type);
}

bool ExplanationMatches(std::string_view expected, std::string_view got) {
  if (expected.size() != got.size()) {
    return false;
  }
  auto hex_letter = [](char c) { return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  for (std::size_t k = 0; k < expected.size(); ++k) {
    char a = expected[k];
    char b = got[k];
    if (a == b) {
      continue;
    }
    // The label bounds are read from `expected`; where `got` differs at a
    // bound, the loop fails when it reaches that position.
    bool own_label = (k == 0 || expected[k - 1] == '.' || expected[k - 1] == ' ') &&
                     (k + 1 == expected.size() || expected[k + 1] == '.' || expected[k + 1] == ' ');
    if (!own_label || !hex_letter(a) || !hex_letter(b) || (a | 0x20) != (b | 0x20)) {
      return false;
    }
  }
  return true;
}

std::string Slug(std::string_view s) {
  std::string out;
  bool dash = false;
  for (char c : s) {
    if (text::IsAlnum(c)) {
      if (dash && !out.empty()) {
        out.push_back('-');
      }
      dash = false;
      out.push_back(text::ToLower(c));
    } else {
      dash = true;
    }
  }
  return out;
}

namespace {

Result<OpenspfFile> ParseOpenspfUnguarded(std::string_view text, const std::filesystem::path& path,
                                          OpenspfOrigin origin) {
  OpenspfFile f;
  f.path = path;
  f.origin = origin;
  std::vector<YAML::Node> docs;
  try {
    if (!LoadAllDocuments(std::string(text), docs)) {
      return Located("vectors.openspf.yaml", "YAML error", YAML::Mark(),
                     "the YAML reader found more documents than the text can hold");
    }
  } catch (const YAML::Exception& e) {
    // yaml-cpp reports errors by exception; they stop here.
    return Located("vectors.openspf.yaml", "YAML error", e.mark, e.msg);
  }
  std::size_t budget = kMaxYamlNodes;
  for (const auto& d : docs) {
    if (!internal::CountYamlNodes(d, budget, 0)) {
      return Located("vectors.openspf.yaml", kYamlTooLarge, d.Mark(), "");
    }
  }
  Loader l;
  std::size_t index = 0;
  for (const auto& d : docs) {
    if (d.IsNull()) {
      continue;  // an empty document (a trailing ---)
    }
    OpenspfDocument doc;
    doc.index = index++;
    if (!d.IsMap()) {
      l.Error("vectors.openspf.document", "a document must be a map", d.Mark(), "");
      continue;
    }
    l.Document(d, doc);
    f.documents.push_back(std::move(doc));
  }
  if (f.documents.empty() && l.errors.empty()) {
    return Located("vectors.openspf.document", "no documents", YAML::Mark(), "");
  }
  if (!l.errors.empty()) {
    return Result<OpenspfFile>::Failure(std::move(l.errors));
  }
  return f;
}

}  // namespace

// yaml-cpp throws on a few shapes (a key looked up in a sequence, say)
// that the loader does not test for one by one: a located error instead.
Result<OpenspfFile> ParseOpenspf(std::string_view text, const std::filesystem::path& path,
                                 OpenspfOrigin origin) {
  try {
    return ParseOpenspfUnguarded(text, path, origin);
  } catch (const YAML::Exception& e) {
    return Located("vectors.openspf.yaml", "YAML error", e.mark, YamlShapeError(e.msg));
  }
}

namespace {

Result<OpenspfDocument> ParseOpenspfZoneUnguarded(std::string_view text) {
  YAML::Node d;
  try {
    d = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Located("vectors.openspf.yaml", "YAML error", e.mark, e.msg);
  }
  if (!WithinYamlBudget(d)) {
    return Located("vectors.openspf.yaml", kYamlTooLarge, d.Mark(), "");
  }
  if (!d.IsMap()) {
    return Located("vectors.openspf.zonedata", "a zone file must be a map of name to records",
                   d.Mark(), "");
  }
  Loader l;
  OpenspfDocument doc;
  l.Zone(d["zonedata"] ? d["zonedata"] : d, doc);
  if (!l.errors.empty()) {
    return Result<OpenspfDocument>::Failure(std::move(l.errors));
  }
  return doc;
}

}  // namespace

// yaml-cpp throws on a few shapes (a key looked up in a sequence, say)
// that the loader does not test for one by one: a located error instead.
Result<OpenspfDocument> ParseOpenspfZone(std::string_view text) {
  try {
    return ParseOpenspfZoneUnguarded(text);
  } catch (const YAML::Exception& e) {
    return Located("vectors.openspf.yaml", "YAML error", e.mark, YamlShapeError(e.msg));
  }
}

Result<OpenspfFile> LoadOpenspfFile(const std::filesystem::path& path, OpenspfOrigin origin) {
  auto text = ReadFileAtMost(path, kMaxInputFileBytes,
                             {"vectors.openspf.unreadable", "vectors.openspf.too_large"});
  if (!text) {
    return text.error();
  }
  return ParseOpenspf(*text, path, origin);
}

bool IsOpenspfText(std::string_view text) {
  try {
    std::vector<YAML::Node> docs;
    if (!LoadAllDocuments(std::string(text), docs)) {
      return false;
    }
    for (const auto& d : docs) {
      if (d.IsNull()) {
        continue;
      }
      return d.IsMap() && d["tests"] && !d["cases"];
    }
  } catch (const YAML::Exception&) {
    // Not readable as YAML: not ours to claim; the case-file loader reports it.
  }
  return false;
}

std::vector<std::string> LintOpenspfFile(const OpenspfFile& f,
                                         const std::set<std::string>& known_ids) {
  std::vector<std::string> problems;
  const bool ours = f.origin == OpenspfOrigin::kOurs;
  auto problem = [&](std::uint32_t line, std::uint32_t column, const std::string& test,
                     const std::string& what) {
    problems.push_back(Where(f, line, column) + (test.empty() ? "" : " [" + test + "]") + ": " +
                       what);
  };
  std::map<std::string, std::uint32_t> names;  // test name -> line of its first use
  for (const auto& d : f.documents) {
    if (ours) {
      for (const auto& k : d.keys) {
        if (kDocumentKeys.count(k) == 0) {
          problem(d.line, d.column, "", "unknown document key '" + k + "'");
        }
      }
      if (d.description.empty()) {
        problem(d.line, d.column, "", "document description missing");
      }
    }
    for (const auto& t : d.tests) {
      auto p = [&](const std::string& what) { problem(t.line, t.column, t.name, what); };
      auto [it, fresh] = names.emplace(t.name, t.line);
      if (!fresh) {
        p("duplicate test name (first at line " + std::to_string(it->second) + ")");
      }
      if (!IsSegment(t.name) && ours) {
        p("test name must be lower-case letters, digits, '.', '_' or '-'");
      }
      if (t.results.empty()) {
        p("result missing");
      }
      for (const auto& res : t.results) {
        if (kResults.count(res) == 0) {
          p("unknown result '" + res + "'");
        }
      }
      if (t.explanation &&
          std::find(t.results.begin(), t.results.end(), "fail") == t.results.end()) {
        p("explanation given but fail is not an acceptable result");
      }
      if (!t.fields.contains("host")) {
        p("host missing");
      } else if (!spf::ParseIp(t.host)) {
        p("host '" + t.host + "' is not an IP address");
      }
      if (!t.fields.contains("helo") || !t.fields.contains("mailfrom")) {
        p("helo and mailfrom are required (mailfrom may be \"\")");
      }
      if (t.identity && *t.identity != "helo" && *t.identity != "mailfrom") {
        p("identity must be helo or mailfrom");
      }
      for (const auto* list : {&t.queries_include, &t.queries_exclude}) {
        for (const auto& q : *list) {
          auto sp = q.find(' ');
          if (sp == std::string::npos || kQueryTypes.count(q.substr(0, sp)) == 0 ||
              sp + 1 >= q.size() || q.find(' ', sp + 1) != std::string::npos) {
            p("query expectation '" + q + "' must be \"<TXT|A|AAAA|MX|PTR> <name>\"");
          }
        }
      }
      if (!ours) {
        continue;
      }
      for (const auto& [k, v] : t.fields.items()) {
        if (kTestKeys.count(k) == 0) {
          p("unknown key '" + k + "'");
        }
      }
      if (t.description.empty()) {
        p("description missing (paraphrase the requirement)");
      }
      if (t.requirements.empty()) {
        p("requirements must be a non-empty list");
      } else if (!known_ids.empty()) {
        for (const auto& id : t.requirements) {
          if (known_ids.count(id) == 0) {
            p("unknown requirement id \"" + id + "\"");
          }
        }
      }
    }
    for (const auto& n : d.zonedata) {
      for (const auto& r : n.records) {
        auto p = [&](const std::string& what) { problem(r.line, r.column, n.name, what); };
        if (kRecordTypes.count(r.type) == 0) {
          p("unknown record type '" + r.type + "'");
          continue;
        }
        const std::string v = r.values.empty() ? "" : r.values[0];
        if (r.type == "A" || r.type == "AAAA") {
          auto ip = spf::ParseIp(v);
          if (!ip || ip->v6 != (r.type == "AAAA")) {
            p(r.type + " data '" + v + "' is not an " + (r.type == "A" ? "IPv4" : "IPv6") +
              " address");
          }
        } else if (r.type == "MX" && (r.preference < 0 || r.preference > 65535)) {
          p("MX preference out of range");
        } else if (r.type == "DELAY") {
          auto n2 = ParseInt(v);
          if (!n2 || *n2 < 0) {
            p("DELAY must be a number of seconds");
          }
        } else if ((r.type == "PTR" || r.type == "CNAME") && v.empty()) {
          p(r.type + " data missing");
        }
      }
    }
  }
  return problems;
}

std::map<std::string, std::vector<std::string>> OpenspfCatalogueRefs(std::string_view catalogue) {
  std::map<std::string, std::vector<std::string>> refs;
  static const std::regex kRow(R"(^\|\s*\**((?:SPF-[0-9][0-9A-Za-z.-]*)|S[0-9]+)\**\s*\|)");
  static const std::regex kTick(R"(`([a-z0-9][a-z0-9-]*\*?)`)");
  std::istringstream lines{std::string(catalogue)};
  std::string line;
  bool in_spf = false;
  while (std::getline(lines, line)) {
    if (line.rfind("## ", 0) == 0) {
      in_spf = line.find("SPF") != std::string::npos;
      continue;
    }
    std::smatch m;
    if (!in_spf || !std::regex_search(line, m, kRow)) {
      continue;
    }
    const std::string id = m[1];
    for (auto it = std::sregex_iterator(line.begin(), line.end(), kTick);
         it != std::sregex_iterator(); ++it) {
      // Plain words in the prose (`none`, `a`) land here too; they only
      // matter if a test has that name.
      const std::string name = (*it)[1];
      auto& ids = refs[name];
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
        ids.push_back(id);
      }
    }
  }
  return refs;
}

std::vector<CaseResult> RunOpenspfFile(const OpenspfFile& f, const OpenspfRunOptions& opts) {
  std::vector<CaseResult> out;
  for (const auto& d : f.documents) {
    for (const auto& t : d.tests) {
      out.push_back(RunTest(f, d, t, opts));
    }
  }
  return out;
}

std::vector<std::filesystem::path> FindOpenspfFiles(const std::filesystem::path& dir) {
  return FilesWithExtension(dir, ".yml");
}

}  // namespace mxconform::conformance
