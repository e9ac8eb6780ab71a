#include "conformance/runner/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <sstream>
#include <utility>

#include "common/text.h"
#include "mocks/dns/responder.h"
#include "mocks/dns/server.h"
#include "mocks/https/server.h"
#include "mocks/smtp/server.h"
#include "mtasts/sender.h"
#include "net/policy_fetcher.h"
#include "net/smtp_client.h"
#include "net/stub_resolver.h"
#include "tls/verify.h"
#include "tlsrpt/result_type.h"

namespace mxconform::conformance {
namespace {

using json = nlohmann::json;
namespace pki = mxconform::mocks::pki;

std::string At(const YAML::Mark& m) {
  return std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

Diagnostic FieldError(const YAML::Node& at, const std::string& what) {
  return MakeDiag("scenario.field", Severity::kError, 0, "bad scenario field",
                  At(at.Mark()) + ": " + what);
}

// Reads the scenario's YAML, collecting the first error.
class Reader {
 public:
  std::optional<Diagnostic> error;

  void Fail(const YAML::Node& at, const std::string& what) {
    if (!error) {
      error = FieldError(at, what);
    }
  }

  std::string Str(const YAML::Node& n, const std::string& what) {
    if (!n || !n.IsScalar()) {
      Fail(n ? n : root, what + " must be a string");
      return "";
    }
    return n.Scalar();
  }

  std::int64_t Int(const YAML::Node& n, const std::string& what, std::int64_t lo, std::int64_t hi) {
    try {
      if (n && n.IsScalar()) {
        const auto v = n.as<std::int64_t>();
        if (v >= lo && v <= hi) {
          return v;
        }
      }
    } catch (const YAML::Exception&) {
    }
    Fail(n ? n : root,
         what + " must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
    return lo;
  }

  bool Bool(const YAML::Node& n, const std::string& what) {
    if (n && n.IsScalar() && (n.Scalar() == "true" || n.Scalar() == "false")) {
      return n.Scalar() == "true";
    }
    Fail(n ? n : root, what + " must be true or false");
    return false;
  }

  std::vector<std::string> List(const YAML::Node& n, const std::string& what) {
    std::vector<std::string> out;
    if (!n || !n.IsSequence()) {
      Fail(n ? n : root, what + " must be a list of strings");
      return out;
    }
    for (const auto& e : n) {
      out.push_back(Str(e, what + " entries"));
    }
    return out;
  }

  void Keys(const YAML::Node& n, std::initializer_list<const char*> allowed,
            const std::string& where) {
    if (!n.IsMap()) {
      Fail(n, where + " must be a map");
      return;
    }
    for (const auto& kv : n) {
      const std::string k = kv.first.Scalar();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; })) {
        std::string list;
        for (const char* a : allowed) {
          list += (list.empty() ? "" : " ") + std::string(a);
        }
        Fail(kv.first, "unknown key '" + k + "' in " + where + " (known: " + list + ")");
      }
    }
  }

  YAML::Node root;
};

pki::CertSpec ReadCert(Reader& r, const YAML::Node& n) {
  pki::CertSpec c;
  r.Keys(n,
         {"name", "issuer", "ca", "common_name", "dns_names", "not_before", "not_after", "key",
          "digest"},
         "a pki entry");
  c.name = r.Str(n["name"], "pki name");
  if (n["issuer"]) {
    c.issuer = r.Str(n["issuer"], "issuer");
  }
  if (n["ca"]) {
    c.ca = r.Bool(n["ca"], "ca");
  }
  if (n["common_name"]) {
    c.common_name = r.Str(n["common_name"], "common_name");
  }
  if (n["dns_names"]) {
    c.dns_names = r.List(n["dns_names"], "dns_names");
  }
  constexpr std::int64_t kTenYears = 10LL * 366 * 86400;
  if (n["not_before"]) {
    c.not_before = r.Int(n["not_before"], "not_before", -kTenYears, kTenYears);
  }
  if (n["not_after"]) {
    c.not_after = r.Int(n["not_after"], "not_after", -kTenYears, kTenYears);
  }
  if (n["key"]) {
    const std::string k = r.Str(n["key"], "key");
    if (k == "ecdsa-p256") {
      c.key = pki::KeyType::kEcdsaP256;
    } else if (k == "rsa-2048") {
      c.key = pki::KeyType::kRsa2048;
    } else if (k == "rsa-1024") {
      c.key = pki::KeyType::kRsa1024;
    } else {
      r.Fail(n["key"], "key must be ecdsa-p256, rsa-2048 or rsa-1024");
    }
  }
  if (n["digest"]) {
    const std::string d = r.Str(n["digest"], "digest");
    if (d == "sha256") {
      c.digest = pki::Digest::kSha256;
    } else if (d == "sha1") {
      c.digest = pki::Digest::kSha1;
    } else {
      r.Fail(n["digest"], "digest must be sha256 or sha1");
    }
  }
  return c;
}

HttpsPathSpec ReadPath(Reader& r, const YAML::Node& n) {
  HttpsPathSpec p;
  r.Keys(n,
         {"status", "content_type", "body", "location", "cache_control", "oversized", "trickle_ms",
          "stall", "reset"},
         "an https path");
  if (n["status"]) {
    p.status = static_cast<int>(r.Int(n["status"], "status", 100, 599));
  }
  if (n["content_type"]) {
    p.content_type = r.Str(n["content_type"], "content_type");
  }
  if (n["body"]) {
    p.body = r.Str(n["body"], "body");
  }
  if (n["location"]) {
    p.location = r.Str(n["location"], "location");
  }
  if (n["cache_control"]) {
    p.cache_control = r.Str(n["cache_control"], "cache_control");
  }
  if (n["oversized"]) {
    p.oversized = r.Bool(n["oversized"], "oversized");
  }
  if (n["trickle_ms"]) {
    p.trickle_ms = static_cast<std::uint32_t>(r.Int(n["trickle_ms"], "trickle_ms", 0, 60000));
  }
  if (n["stall"]) {
    p.stall = r.Bool(n["stall"], "stall");
  }
  if (n["reset"]) {
    p.reset = r.Bool(n["reset"], "reset");
  }
  return p;
}

const std::set<std::string> kStarttlsKnobs = {
    "offer",     "absent",          "strip-from-ehlo",  "reply-454",
    "reply-502", "abort-handshake", "garbage-after-220"};

// One https host, or one of its `later` phases (which starts from the
// host's settings, `base`, and has an `at`).
HttpsHostSpec ReadHttpsHost(Reader& r, const YAML::Node& v, HttpsHostSpec base, bool top) {
  HttpsHostSpec spec = std::move(base);
  spec.later.clear();
  if (top) {
    r.Keys(v,
           {"cert", "intermediates", "plain_http", "handshake_failure", "sni_required", "paths",
            "later"},
           "an https host");
  } else {
    r.Keys(
        v,
        {"at", "cert", "intermediates", "plain_http", "handshake_failure", "sni_required", "paths"},
        "a later phase of an https host");
  }
  if (v["cert"]) {
    spec.cert = r.Str(v["cert"], "cert");
  }
  if (v["intermediates"]) {
    spec.intermediates = r.Bool(v["intermediates"], "intermediates");
  }
  if (v["plain_http"]) {
    spec.plain_http = r.Bool(v["plain_http"], "plain_http");
  }
  if (v["handshake_failure"]) {
    spec.handshake_failure = r.Bool(v["handshake_failure"], "handshake_failure");
  }
  if (v["sni_required"]) {
    spec.sni_required = r.Bool(v["sni_required"], "sni_required");
  }
  if (const YAML::Node paths = v["paths"]; paths && paths.IsMap()) {
    for (const auto& pv : paths) {
      spec.paths[pv.first.Scalar()] = ReadPath(r, pv.second);
    }
  }
  if (const YAML::Node later = v["later"]; top && later) {
    if (!later.IsSequence()) {
      r.Fail(later, "later must be a list of {at, ...}");
      return spec;
    }
    UnixSeconds prev = 0;
    for (const auto& phase : later) {
      if (!phase.IsMap() || !phase["at"]) {
        r.Fail(phase, "a later phase needs at (the clock time it starts)");
        continue;
      }
      HttpsHostSpec::Phase p;
      p.at = r.Int(phase["at"], "at", 0, 4'102'444'800);
      if (p.at <= prev) {
        r.Fail(phase["at"], "later phases must be in time order");
      }
      prev = p.at;
      p.spec = std::make_shared<const HttpsHostSpec>(ReadHttpsHost(r, phase, spec, false));
      spec.later.push_back(std::move(p));
    }
  }
  return spec;
}

// The scenario's tls_max names, as the mock MX's versions.
std::optional<mocks::smtp::TlsVersion> TlsMax(std::string_view name) {
  using V = mocks::smtp::TlsVersion;
  static const std::map<std::string_view, V> kNames = {{"tls1.0", V::kTls1_0},
                                                       {"tls1.1", V::kTls1_1},
                                                       {"tls1.2", V::kTls1_2},
                                                       {"tls1.3", V::kTls1_3}};
  auto it = kNames.find(name);
  return it == kNames.end() ? std::nullopt : std::optional<V>(it->second);
}

ScenarioExpect ReadExpect(Reader& r, const YAML::Node& n) {
  ScenarioExpect e;
  r.Keys(n,
         {"verdict", "channel", "mx", "tls_rpt", "policy", "contacted", "not_contacted", "queried",
          "not_queried", "fetches", "alerted", "level"},
         "expect");
  if (n["verdict"]) {
    e.verdict = r.Str(n["verdict"], "verdict");
    if (*e.verdict != "delivered" && *e.verdict != "deferred" && *e.verdict != "bounced") {
      r.Fail(n["verdict"], "verdict must be delivered, deferred or bounced");
    }
  }
  if (n["channel"]) {
    e.channel = r.Str(n["channel"], "channel");
    if (*e.channel != "verified-tls" && *e.channel != "unverified-tls" &&
        *e.channel != "plaintext") {
      r.Fail(n["channel"], "channel must be verified-tls, unverified-tls or plaintext");
    }
  }
  if (n["mx"]) {
    e.mx = r.Str(n["mx"], "mx");
  }
  if (const YAML::Node t = n["tls_rpt"]) {
    if (t.IsMap()) {
      r.Keys(t, {"one_of"}, "tls_rpt");
      const YAML::Node alts = t["one_of"];
      if (!alts || !alts.IsSequence() || alts.size() < 2) {
        r.Fail(t, "tls_rpt: {one_of: [[...], [...]]} needs two lists or more");
      } else {
        e.tls_rpt.emplace();
        for (const auto& a : alts) {
          e.tls_rpt->push_back(r.List(a, "tls_rpt.one_of"));
        }
      }
    } else {
      e.tls_rpt = std::vector<std::vector<std::string>>{r.List(t, "tls_rpt")};
    }
  }
  if (const YAML::Node p = n["policy"]) {
    if (p.IsScalar() && p.Scalar() == "none") {
      e.policy_mode = "none-held";
    } else if (p.IsMap()) {
      r.Keys(p, {"mode", "id"}, "expect.policy");
      e.policy_mode = r.Str(p["mode"], "policy.mode");
      if (p["id"]) {
        e.policy_id = r.Str(p["id"], "policy.id");
      }
    } else {
      r.Fail(p, "policy must be none or {mode, id}");
    }
  }
  if (n["contacted"]) {
    e.contacted = r.List(n["contacted"], "contacted");
  }
  if (n["not_contacted"]) {
    e.not_contacted = r.List(n["not_contacted"], "not_contacted");
  }
  if (n["queried"]) {
    e.queried = r.List(n["queried"], "queried");
  }
  if (n["not_queried"]) {
    e.not_queried = r.List(n["not_queried"], "not_queried");
  }
  if (n["fetches"]) {
    e.fetches = static_cast<std::uint32_t>(r.Int(n["fetches"], "fetches", 0, 1000));
  }
  if (n["level"]) {
    e.level = r.Str(n["level"], "level");
    if (e.level != "SHOULD" && e.level != "MAY") {
      r.Fail(n["level"], "an expect step's level is SHOULD or MAY (MUST is the default)");
    }
  }
  if (n["alerted"]) {
    e.alerted = r.Bool(n["alerted"], "alerted");
  }
  return e;
}

}  // namespace

const HttpsHostSpec& HttpsHostSpec::At(UnixSeconds now) const {
  const HttpsHostSpec* in_force = this;
  for (const auto& p : later) {
    if (now >= p.at) {
      in_force = p.spec.get();
    }
  }
  return *in_force;
}

Result<Scenario> LoadScenario(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return MakeDiag("scenario.unreadable", Severity::kError, 0, "cannot read the scenario",
                    file.string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  Reader r;
  try {
    r.root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    return MakeDiag("scenario.yaml", Severity::kError, 0, "YAML syntax error",
                    At(e.mark) + ": " + e.msg);
  }
  if (!r.root.IsMap()) {
    return FieldError(r.root, "a scenario is a map");
  }
  if (const YAML::Node base_name = r.root["base"]) {
    // A shared world: its keys first, the scenario's on top (https and
    // smtp host by host).
    if (!base_name.IsScalar()) {
      return FieldError(base_name, "base must be a path relative to the scenario");
    }
    const auto base_path = file.parent_path() / base_name.Scalar();
    std::ifstream bin(base_path, std::ios::binary);
    if (!bin) {
      return FieldError(base_name, "cannot read the base " + base_path.string());
    }
    std::ostringstream btext;
    btext << bin.rdbuf();
    YAML::Node merged;
    try {
      merged = YAML::Load(btext.str());
    } catch (const YAML::Exception& e) {
      return MakeDiag("scenario.yaml", Severity::kError, 0, "YAML syntax error in the base",
                      base_path.string() + ":" + At(e.mark) + ": " + e.msg);
    }
    if (!merged.IsMap()) {
      return FieldError(base_name, "the base must be a map");
    }
    for (const auto& kv : r.root) {
      const std::string k = kv.first.Scalar();
      if (k == "base") {
        continue;
      }
      if ((k == "https" || k == "smtp") && merged[k] && merged[k].IsMap() && kv.second.IsMap()) {
        for (const auto& host : kv.second) {
          merged[k][host.first.Scalar()] = host.second;
        }
      } else if (k == "pki" && merged[k] && merged[k].IsSequence() && kv.second.IsSequence()) {
        // Certificates by name: the scenario's replace the base's of the
        // same name, the others are added.
        YAML::Node certs(YAML::NodeType::Sequence);
        std::set<std::string> mine;
        for (const auto& c : kv.second) {
          if (c.IsMap() && c["name"] && c["name"].IsScalar()) {
            mine.insert(c["name"].Scalar());
          }
        }
        for (const auto& c : merged[k]) {
          if (!(c.IsMap() && c["name"] && c["name"].IsScalar() && mine.count(c["name"].Scalar()))) {
            certs.push_back(c);
          }
        }
        for (const auto& c : kv.second) {
          certs.push_back(c);
        }
        merged[k] = certs;
      } else {
        merged[k] = kv.second;
      }
    }
    r.root = merged;
  }
  const YAML::Node& root = r.root;
  Scenario s;
  s.file = file;
  r.Keys(root,
         {"id", "title", "requirements", "tags", "attacks", "clock", "pki", "trusted", "dns",
          "https", "smtp", "steps"},
         "a scenario");
  s.id = r.Str(root["id"], "id");
  s.title = r.Str(root["title"], "title");
  if (const YAML::Node reqs = root["requirements"]; reqs && reqs.IsSequence()) {
    for (const auto& q : reqs) {
      r.Keys(q, {"id", "level"}, "a requirement");
      s.requirements.push_back({r.Str(q["id"], "requirement id"), r.Str(q["level"], "level")});
    }
  } else {
    r.Fail(reqs ? reqs : root, "requirements must be a list of {id, level}");
  }
  if (root["tags"]) {
    s.tags = r.List(root["tags"], "tags");
  }
  if (root["attacks"]) {
    s.attacks = r.List(root["attacks"], "attacks");
  }
  if (root["clock"]) {
    s.clock = r.Int(root["clock"], "clock", 0, 4'102'444'800);
  }
  if (const YAML::Node p = root["pki"]) {
    if (!p.IsSequence()) {
      r.Fail(p, "pki must be a list of certificates");
    } else {
      for (const auto& c : p) {
        s.certs.push_back(ReadCert(r, c));
      }
    }
  }
  if (root["trusted"]) {
    s.trusted = r.List(root["trusted"], "trusted");
  }
  if (const YAML::Node d = root["dns"]) {
    auto zone = ParseMockZone(YAML::Dump(d));
    if (!zone) {
      Diagnostic e = zone.error();
      e.detail = "in dns (line " + std::to_string(d.Mark().line + 1) + "): " + e.detail;
      return e;
    }
    s.dns = std::move(*zone);
  } else {
    r.Fail(root, "a scenario needs dns");
  }
  if (const YAML::Node h = root["https"]) {
    if (!h.IsMap()) {
      r.Fail(h, "https must be a map of host to its behaviour");
    } else {
      for (const auto& kv : h) {
        HttpsHostSpec spec = ReadHttpsHost(r, kv.second, HttpsHostSpec{}, true);
        s.https[kv.first.Scalar()] = std::move(spec);
      }
    }
  }
  if (const YAML::Node m = root["smtp"]) {
    if (!m.IsMap()) {
      r.Fail(m, "smtp must be a map of MX host to its behaviour");
    } else {
      for (const auto& kv : m) {
        SmtpHostSpec spec;
        const YAML::Node& v = kv.second;
        r.Keys(v,
               {"cert", "default_cert", "intermediates", "starttls", "tls_max", "inject",
                "greylist", "reject", "down"},
               "an smtp host");
        if (v["cert"]) {
          spec.cert = r.Str(v["cert"], "cert");
        }
        if (v["default_cert"]) {
          spec.default_cert = r.Str(v["default_cert"], "default_cert");
        }
        if (v["tls_max"]) {
          spec.tls_max = r.Str(v["tls_max"], "tls_max");
          if (!TlsMax(spec.tls_max)) {
            r.Fail(v["tls_max"], "tls_max must be tls1.0, tls1.1, tls1.2 or tls1.3");
          }
        }
        if (v["inject"]) {
          spec.inject = r.Str(v["inject"], "inject");
        }
        if (v["intermediates"]) {
          spec.intermediates = r.Bool(v["intermediates"], "intermediates");
        }
        if (v["starttls"]) {
          spec.starttls = r.Str(v["starttls"], "starttls");
          if (kStarttlsKnobs.count(spec.starttls) == 0) {
            r.Fail(v["starttls"],
                   "starttls must be offer, absent, strip-from-ehlo, reply-454, reply-502, "
                   "abort-handshake or garbage-after-220");
          }
        }
        if (v["greylist"]) {
          spec.greylist = static_cast<std::uint32_t>(r.Int(v["greylist"], "greylist", 0, 100));
        }
        if (v["reject"]) {
          spec.reject = r.Bool(v["reject"], "reject");
        }
        if (v["down"]) {
          spec.down = r.Bool(v["down"], "down");
        }
        s.smtp[kv.first.Scalar()] = std::move(spec);
      }
    }
  }
  if (const YAML::Node steps = root["steps"]; steps && steps.IsSequence()) {
    for (const auto& st : steps) {
      ScenarioStep step;
      step.line = static_cast<std::uint32_t>(st.Mark().line + 1);
      if (!st.IsMap() || st.size() != 1) {
        r.Fail(st, "a step is one of deliver, advance_clock, restart_sender, expect");
        continue;
      }
      const auto kv = *st.begin();
      const std::string k = kv.first.Scalar();
      if (k == "deliver") {
        step.kind = ScenarioStep::Kind::kDeliver;
        r.Keys(kv.second, {"to"}, "deliver");
        step.to = r.Str(kv.second["to"], "deliver.to");
      } else if (k == "advance_clock") {
        step.kind = ScenarioStep::Kind::kAdvanceClock;
        step.seconds = r.Int(kv.second, "advance_clock", 0, 10LL * 366 * 86400);
      } else if (k == "restart_sender") {
        step.kind = ScenarioStep::Kind::kRestartSender;
        r.Keys(kv.second, {"keep_cache"}, "restart_sender");
        step.keep_cache = r.Bool(kv.second["keep_cache"], "restart_sender.keep_cache");
      } else if (k == "expect") {
        step.kind = ScenarioStep::Kind::kExpect;
        step.expect = ReadExpect(r, kv.second);
      } else {
        r.Fail(kv.first, "unknown step '" + k + "'");
      }
      s.steps.push_back(std::move(step));
    }
  } else {
    r.Fail(steps ? steps : root, "steps must be a list");
  }
  if (r.error) {
    return *r.error;
  }
  return s;
}

std::vector<std::string> LintScenario(const Scenario& s, const std::filesystem::path& root,
                                      const std::set<std::string>& known_ids) {
  std::vector<std::string> out;
  const std::string where = s.file.string() + ": ";
  auto rel = std::filesystem::relative(s.file, root);
  std::string want = rel.replace_extension("").generic_string();
  if (s.id != want) {
    out.push_back(where + "id '" + s.id + "' must be the file's path under " + root.string() +
                  " ('" + want + "')");
  }
  if (s.requirements.empty()) {
    out.push_back(where + "no requirements");
  }
  for (const auto& q : s.requirements) {
    if (!known_ids.empty() && known_ids.count(q.id) == 0) {
      out.push_back(where + "unknown requirement id " + q.id);
    }
    if (q.level != "MUST" && q.level != "SHOULD" && q.level != "MAY") {
      out.push_back(where + q.id + ": level must be MUST, SHOULD or MAY");
    }
  }
  for (const auto& a : s.attacks) {
    const bool shaped = a.size() == 6 && a.rfind("ATK-", 0) == 0 &&
                        std::isdigit(static_cast<unsigned char>(a[4])) != 0 &&
                        std::isdigit(static_cast<unsigned char>(a[5])) != 0;
    if (!shaped || (!known_ids.empty() && known_ids.count(a) == 0)) {
      out.push_back(where + "attacks: '" + a + "' is not an ATK row of the catalogue");
    }
  }
  static const std::set<std::string> kTags = {"downgrade",    "mitm",  "bad-cert",
                                              "policy-fetch", "cache", "control"};
  for (const auto& t : s.tags) {
    if (kTags.count(t) == 0) {
      out.push_back(where + "unknown tag " + t);
    }
  }
  std::map<std::string, const pki::CertSpec*> certs;
  for (const auto& c : s.certs) {
    certs[c.name] = &c;
  }
  for (const auto& t : s.trusted) {
    if (certs.count(t) == 0 || !certs[t]->ca) {
      out.push_back(where + "trusted '" + t + "' is not a CA of the pki section");
    }
  }
  for (const auto& [host, h] : s.https) {
    if (!h.plain_http && certs.count(h.cert) == 0) {
      out.push_back(where + "https " + host + ": cert '" + h.cert + "' is not in pki");
    }
    for (const auto& phase : h.later) {
      if (!phase.spec->plain_http && certs.count(phase.spec->cert) == 0) {
        out.push_back(where + "https " + host + " (at " + std::to_string(phase.at) + "): cert '" +
                      phase.spec->cert + "' is not in pki");
      }
    }
  }
  for (const auto& [host, m] : s.smtp) {
    if (m.starttls != "absent" && m.starttls != "strip-from-ehlo" && certs.count(m.cert) == 0) {
      out.push_back(where + "smtp " + host + ": cert '" + m.cert + "' is not in pki");
    }
    if (!m.default_cert.empty() && certs.count(m.default_cert) == 0) {
      out.push_back(where + "smtp " + host + ": default_cert '" + m.default_cert +
                    "' is not in pki");
    }
  }
  bool deliver = false;
  bool expect = false;
  for (const auto& st : s.steps) {
    deliver |= st.kind == ScenarioStep::Kind::kDeliver;
    expect |= st.kind == ScenarioStep::Kind::kExpect;
    if (st.kind == ScenarioStep::Kind::kExpect && st.expect.tls_rpt) {
      std::vector<std::string> named;
      for (const auto& alt : *st.expect.tls_rpt) {
        named.insert(named.end(), alt.begin(), alt.end());
      }
      for (const auto& t : named) {
        if (!tlsrpt::ResultTypeFromName(t)) {
          out.push_back(where + "line " + std::to_string(st.line) + ": '" + t +
                        "' is not an RFC 8460 result type");
        }
      }
    }
  }
  if (!deliver || !expect) {
    out.push_back(where + "a scenario needs a deliver step and an expect step");
  }
  return out;
}

std::vector<std::filesystem::path> FindScenarioFiles(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    return out;
  }
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    // Folders whose name starts with '_' hold shared pieces (`base:`).
    const auto rel = std::filesystem::relative(it->path(), root, ec);
    const bool shared = std::any_of(rel.begin(), rel.end(), [](const std::filesystem::path& c) {
      return !c.empty() && c.string()[0] == '_';
    });
    if (it->is_regular_file() && it->path().extension() == ".yaml" && !shared) {
      out.push_back(it->path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// What happened that the scenario did not script; the run ends in error.
struct Unscripted {
  std::vector<std::string> what;
};

constexpr std::string_view kPolicyPath = "/.well-known/mta-sts.txt";
constexpr std::size_t kPolicyCap = 64 * 1024;  // RFC 8461 §3.3
// The sender's deadlines in both modes: the whole policy fetch (in-process,
// a trickled body that would take longer times out), and each DNS, SMTP or
// TLS step on the wire. Short, so that a wire run meeting a stalling peer
// ends fast; RFC 8461 §3.3 lets a sender choose (STS-3.3-09).
constexpr std::uint32_t kFetchTimeoutMs = 1000;
constexpr std::uint32_t kWireTimeoutMs = 1000;

tls::VerifyResult VerifyFromPki(const pki::Pki& p, const std::string& leaf, bool intermediates,
                                const tls::TrustStore& trust, std::string_view host,
                                UnixSeconds now) {
  tls::VerifyOptions o;
  o.time = now;
  return tls::Verify(p.Chain(leaf, intermediates), trust, host, o);
}

class FakeFetcher final : public mtasts::PolicyFetcher {
 public:
  FakeFetcher(const Scenario& s, const pki::Pki& p, const tls::TrustStore& trust, const Clock& c,
              Unscripted& u, std::vector<std::string>& log)
      : s_(s), pki_(p), trust_(trust), clock_(c), unscripted_(u), log_(log) {}

  mtasts::FetchResponse Fetch(std::string_view host, std::string_view path_in) override {
    mtasts::FetchResponse r;
    auto it = s_.https.find(std::string(host));
    log_.push_back("https " + std::string(host) + std::string(path_in));
    ++fetches_;
    if (it == s_.https.end()) {
      unscripted_.what.push_back("HTTPS request to " + std::string(host));
      r.failure = mtasts::FetchFailure::kNetwork;
      r.detail = "unscripted host";
      return r;
    }
    const HttpsHostSpec& h = it->second.At(clock_.Now());
    if (h.plain_http || h.handshake_failure) {
      r.failure = mtasts::FetchFailure::kTlsHandshake;
      r.detail = h.plain_http ? "the host speaks plain HTTP" : "handshake aborted";
      return r;
    }
    tls::VerifyResult v = VerifyFromPki(pki_, h.cert, h.intermediates, trust_, host, clock_.Now());
    if (!v.ok()) {
      r.failure = mtasts::FetchFailure::kCertificateInvalid;
      r.detail = std::string(tls::CertFailureResultType(v.failure)) + ": " + v.detail;
      return r;
    }
    auto p = h.paths.find(std::string(path_in));
    if (p == h.paths.end()) {
      unscripted_.what.push_back("HTTPS GET " + std::string(host) + std::string(path_in));
      r.status = 404;
      return r;
    }
    const HttpsPathSpec& path = p->second;
    if (path.stall) {
      r.failure = mtasts::FetchFailure::kTimeout;
      r.detail = "no answer";
      return r;
    }
    if (path.reset) {
      r.failure = mtasts::FetchFailure::kNetwork;
      r.detail = "connection reset mid-body";
      return r;
    }
    const std::size_t size = path.oversized ? kPolicyCap + 4096 : path.body.size();
    if (size > kPolicyCap) {
      r.failure = mtasts::FetchFailure::kTooLarge;
      r.detail = std::to_string(size) + " octets";
      return r;
    }
    if (path.trickle_ms != 0 &&
        static_cast<std::uint64_t>(path.trickle_ms) * ((size + 63) / 64) >= kFetchTimeoutMs) {
      r.failure = mtasts::FetchFailure::kTimeout;
      r.detail = "body trickled past the deadline";
      return r;
    }
    r.status = path.status;
    r.content_type = path.content_type;
    r.location = path.location;
    r.body = path.body;
    return r;
  }

  std::uint32_t fetches() const { return fetches_; }

 private:
  std::uint32_t fetches_ = 0;
  const Scenario& s_;
  const pki::Pki& pki_;
  const tls::TrustStore& trust_;
  const Clock& clock_;
  Unscripted& unscripted_;
  std::vector<std::string>& log_;
};

class FakeSession final : public mtasts::MxSession {
 public:
  FakeSession(const std::string& host, const SmtpHostSpec& spec, std::uint32_t& messages,
              const pki::Pki& p, const tls::TrustStore& trust, const Clock& c,
              std::vector<std::string>& log)
      : host_(host),
        spec_(spec),
        messages_(messages),
        pki_(p),
        trust_(trust),
        clock_(c),
        log_(log) {}

  bool Greet(std::string&) override { return true; }
  bool StarttlsOffered() const override {
    return spec_.starttls != "absent" && spec_.starttls != "strip-from-ehlo";
  }
  mtasts::StartTlsResult StartTls(std::string_view sni) override {
    mtasts::StartTlsResult r;
    if (spec_.starttls == "reply-454" || spec_.starttls == "reply-502") {
      r.outcome = mtasts::TlsOutcome::kStarttlsRefused;
      r.usable = false;
      r.detail = spec_.starttls == "reply-454" ? "454 TLS not available" : "502 not implemented";
      return r;
    }
    if (spec_.starttls == "abort-handshake" || spec_.starttls == "garbage-after-220") {
      r.outcome = mtasts::TlsOutcome::kHandshakeFailed;
      r.usable = false;
      r.detail = spec_.starttls;
      return r;
    }
    // The sender asks for TLS 1.2 or later (RFC 8461 §7.2), as
    // net::SmtpConnector does on the wire.
    if (spec_.tls_max == "tls1.0" || spec_.tls_max == "tls1.1") {
      r.outcome = mtasts::TlsOutcome::kHandshakeFailed;
      r.usable = false;
      r.detail = "no common TLS version (the MX stops at " + spec_.tls_max + ")";
      return r;
    }
    // The chain for the SNI sent; another name (or none) gets the default.
    const bool named = spec_.default_cert.empty() || text::EqualsIgnoreCase(sni, host_);
    tls::VerifyResult v = VerifyFromPki(pki_, named ? spec_.cert : spec_.default_cert,
                                        spec_.intermediates, trust_, sni, clock_.Now());
    tls_ = true;
    switch (v.failure) {
      case tls::CertFailure::kNone:
        r.outcome = mtasts::TlsOutcome::kOk;
        break;
      case tls::CertFailure::kExpired:
        // RFC 8461 §4.2 names only "expired"; not-yet-valid reports the
        // same result type (STS-4.2-01).
        r.outcome = mtasts::TlsOutcome::kCertExpired;
        break;
      case tls::CertFailure::kNotTrusted:
        r.outcome = mtasts::TlsOutcome::kCertUntrusted;
        break;
      case tls::CertFailure::kHostMismatch:
        r.outcome = mtasts::TlsOutcome::kCertHostMismatch;
        break;
      case tls::CertFailure::kValidation:
        // As net::SmtpConnector does: TLS is up, the chain is unacceptable
        // (a weak key, SHA-1); decision.h has no outcome closer than this.
        r.outcome = mtasts::TlsOutcome::kCertUntrusted;
        break;
    }
    r.detail = v.ok() ? "verified" : std::string(tls::CertFailureResultType(v.failure));
    return r;
  }
  mtasts::SendResult Send(std::string_view, std::string_view) override {
    log_.push_back("smtp " + host_ + ": MAIL/RCPT/DATA over " + (tls_ ? "TLS" : "plaintext"));
    if (spec_.reject) {
      return {mtasts::SendStatus::kPermFail, "550 rejected"};
    }
    if (messages_ < spec_.greylist) {
      ++messages_;
      return {mtasts::SendStatus::kTempFail, "451 4.7.1 greylisted"};
    }
    ++messages_;
    return {mtasts::SendStatus::kAccepted, "250 ok"};
  }
  void Quit() override {}

 private:
  std::string host_;
  const SmtpHostSpec& spec_;
  std::uint32_t& messages_;
  const pki::Pki& pki_;
  const tls::TrustStore& trust_;
  const Clock& clock_;
  std::vector<std::string>& log_;
  bool tls_ = false;
};

class FakeConnector final : public mtasts::MxConnector {
 public:
  FakeConnector(const Scenario& s, const pki::Pki& p, const tls::TrustStore& trust, const Clock& c,
                Unscripted& u, std::vector<std::string>& log)
      : s_(s), pki_(p), trust_(trust), clock_(c), unscripted_(u), log_(log) {}

  std::unique_ptr<mtasts::MxSession> Connect(std::string_view host, std::string& detail) override {
    // As net::SmtpConnector maps names: ASCII case and one trailing dot
    // do not matter.
    std::string key = text::ToLowerCopy(host);
    if (key.size() > 1 && key.back() == '.') {
      key.pop_back();
    }
    log_.push_back("smtp connect " + key);
    auto it = s_.smtp.find(key);
    if (it == s_.smtp.end()) {
      unscripted_.what.push_back("SMTP connection to " + key);
      detail = "unscripted MX";
      return nullptr;
    }
    if (it->second.down) {
      detail = "connection refused";
      return nullptr;
    }
    return std::make_unique<FakeSession>(key, it->second, messages_[key], pki_, trust_, clock_,
                                         log_);
  }

 private:
  const Scenario& s_;
  const pki::Pki& pki_;
  const tls::TrustStore& trust_;
  const Clock& clock_;
  Unscripted& unscripted_;
  std::vector<std::string>& log_;
  std::map<std::string, std::uint32_t> messages_;
};

// What the world saw, for the expectations that look past the sender's own
// report: the DNS queries (as "name TYPE") and the policy fetches.
struct Observer {
  std::function<std::size_t()> dns_mark;  // where the DNS log is now
  std::function<std::vector<std::string>(std::size_t)> dns_since;
  std::function<std::uint32_t()> fetches;
};

std::vector<std::string> QueriesSince(const mocks::dns::Responder& responder, std::size_t mark) {
  std::vector<std::string> out;
  const auto log = responder.Log();
  for (std::size_t i = mark; i < log.size(); ++i) {
    std::string name = text::ToLowerCopy(log[i].qname);
    if (name.size() > 1 && name.back() == '.') {
      name.pop_back();
    }
    out.push_back(name + " " + dns::RrTypeName(log[i].qtype));
  }
  return out;
}

// The first unmet expectation, or "".
std::string Check(const ScenarioExpect& e, const mtasts::DeliveryReport& r,
                  const mtasts::PolicyCache& cache, const std::string& domain, const Observer& obs,
                  std::size_t dns_mark) {
  if (e.verdict && *e.verdict != mtasts::VerdictName(r.verdict)) {
    return "verdict: expected " + *e.verdict + ", got " +
           std::string(mtasts::VerdictName(r.verdict));
  }
  if (e.channel && *e.channel != mtasts::ChannelName(r.channel)) {
    return "channel: expected " + *e.channel + ", got " +
           std::string(mtasts::ChannelName(r.channel));
  }
  if (e.mx && *e.mx != r.mx) {
    return "mx: expected " + *e.mx + ", got " + (r.mx.empty() ? "none" : r.mx);
  }
  if (e.tls_rpt) {
    std::vector<std::string> got;
    for (const auto& f : r.failures) {
      got.emplace_back(tlsrpt::ResultTypeName(f.type));
    }
    if (std::find(e.tls_rpt->begin(), e.tls_rpt->end(), got) == e.tls_rpt->end()) {
      const json want = e.tls_rpt->size() == 1 ? json(e.tls_rpt->front()) : json(*e.tls_rpt);
      return "tls_rpt: expected " + std::string(e.tls_rpt->size() == 1 ? "" : "one of ") +
             want.dump() + ", got " + json(got).dump();
    }
  }
  if (e.policy_mode) {
    const mtasts::CachedPolicy* held = cache.Effective(domain);
    const std::string got =
        held == nullptr ? "none-held" : std::string(mtasts::ModeName(held->policy.mode));
    if (got != *e.policy_mode) {
      return "policy: expected " + (*e.policy_mode == "none-held" ? "none held" : *e.policy_mode) +
             ", got " + (got == "none-held" ? "none held" : got);
    }
    if (e.policy_id && held != nullptr && held->id != *e.policy_id) {
      return "policy id: expected " + *e.policy_id + ", got " + held->id;
    }
  }
  if (e.contacted && *e.contacted != r.contacted) {
    return "contacted: expected " + json(*e.contacted).dump() + ", got " + json(r.contacted).dump();
  }
  for (const auto& h : e.not_contacted) {
    if (std::find(r.contacted.begin(), r.contacted.end(), h) != r.contacted.end()) {
      return "contacted " + h + ", which it must not";
    }
  }
  if (!e.queried.empty() || !e.not_queried.empty()) {
    const std::vector<std::string> asked = obs.dns_since(dns_mark);
    auto was_asked = [&](const std::string& q) {
      return std::any_of(asked.begin(), asked.end(),
                         [&](const std::string& a) { return text::EqualsIgnoreCase(a, q); });
    };
    for (const auto& q : e.queried) {
      if (!was_asked(q)) {
        return "queried: expected " + q + ", not asked (asked: " + json(asked).dump() + ")";
      }
    }
    for (const auto& q : e.not_queried) {
      if (was_asked(q)) {
        return "queried " + q + ", which it must not";
      }
    }
  }
  if (e.fetches && *e.fetches != obs.fetches()) {
    return "fetches: expected " + std::to_string(*e.fetches) + " policy fetches so far, got " +
           std::to_string(obs.fetches());
  }
  if (e.alerted && *e.alerted != !r.alerts.empty()) {
    return *e.alerted ? "alerted: expected an alert to the administrator, got none"
                      : "alerted: expected no alert, got: " + r.alerts.front();
  }
  return "";
}

}  // namespace

namespace {

// Builds (or reuses) a scenario's PKI. Scenarios that share a base share
// its certificates; keys, RSA ones above all, cost more than a whole
// in-process run, so one build per distinct (specs, start) serves all.
Result<std::shared_ptr<const pki::Pki>> BuildPki(const std::vector<pki::CertSpec>& specs,
                                                 UnixSeconds start) {
  std::string key = std::to_string(start);
  for (const auto& c : specs) {
    key += "\n" + c.name + "|" + c.issuer + "|" + (c.ca ? "ca" : "") + "|" + c.common_name + "|";
    for (const auto& d : c.dns_names) {
      key += d + ",";
    }
    key += "|" + std::to_string(c.not_before) + "|" + std::to_string(c.not_after) + "|" +
           std::to_string(static_cast<int>(c.key)) + "|" +
           std::to_string(static_cast<int>(c.digest));
  }
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const pki::Pki>> cache;
  std::lock_guard lock(mu);
  if (auto it = cache.find(key); it != cache.end()) {
    return it->second;
  }
  auto built = pki::Pki::Build(specs, start);
  if (built) {
    cache[key] = *built;
  }
  return built;
}

// The case skeleton both modes fill.
CaseResult NewCase(const Scenario& s, std::string_view mode) {
  CaseResult r;
  r.id = s.id + "/" + std::string(mode);
  r.suite = "scenarios";
  r.kind = "scenario";
  r.summary = s.title;
  r.file = s.file.string();
  for (const auto& q : s.requirements) {
    r.requirements.push_back(q.id);
  }
  // What the scenario expects, step by step (the report shows it beside
  // the transcript).
  json expected = json::array();
  for (const auto& st : s.steps) {
    if (st.kind != ScenarioStep::Kind::kExpect) {
      continue;
    }
    const ScenarioExpect& e = st.expect;
    json x = {{"line", st.line}};
    if (e.verdict) {
      x["verdict"] = *e.verdict;
    }
    if (e.channel) {
      x["channel"] = *e.channel;
    }
    if (e.mx) {
      x["mx"] = *e.mx;
    }
    if (e.tls_rpt) {
      x["tls_rpt"] =
          e.tls_rpt->size() == 1 ? json(e.tls_rpt->front()) : json({{"one_of", *e.tls_rpt}});
    }
    if (e.policy_mode) {
      x["policy"] = *e.policy_mode == "none-held" ? json("none") : json({{"mode", *e.policy_mode}});
      if (e.policy_id) {
        x["policy"]["id"] = *e.policy_id;
      }
    }
    if (e.contacted) {
      x["contacted"] = *e.contacted;
    }
    if (!e.not_contacted.empty()) {
      x["not_contacted"] = e.not_contacted;
    }
    if (!e.queried.empty()) {
      x["queried"] = e.queried;
    }
    if (!e.not_queried.empty()) {
      x["not_queried"] = e.not_queried;
    }
    if (e.fetches) {
      x["fetches"] = *e.fetches;
    }
    if (e.alerted) {
      x["alerted"] = *e.alerted;
    }
    if (!e.level.empty()) {
      x["level"] = e.level;
    }
    expected.push_back(std::move(x));
  }
  json levels = json::object();
  for (const auto& q : s.requirements) {
    levels[q.id] = q.level;
  }
  r.expected = {{"expect", std::move(expected)}, {"levels", std::move(levels)}};
  if (!s.attacks.empty()) {
    r.expected["attacks"] = s.attacks;
  }
  return r;
}

// Runs one deliver step's work, or gives up on it: nullopt when it did not
// finish in time (wire mode's watchdog).
using StepGuard = std::function<std::optional<mtasts::DeliveryReport>(
    const std::function<mtasts::DeliveryReport()>& work)>;
// Tests only: delivers instead of the sender (ScenarioRunOptions).
using Replacement = std::function<mtasts::DeliveryReport(const std::string& to)>;

// Runs the steps against the given I/O; "" when every expectation held,
// else the outcome and why (kFail: an expectation, kError: the scenario or
// a step that did not finish).
std::pair<Outcome, std::string> RunSteps(const Scenario& s, spf::Resolver& dns,
                                         mtasts::PolicyFetcher& fetcher,
                                         mtasts::MxConnector& connector, FixedClock& clock,
                                         const ScenarioRunOptions& opts, const Observer& obs,
                                         const StepGuard& guard, const Replacement& replacement,
                                         json& transcript) {
  auto cache = std::make_unique<mtasts::PolicyCache>(clock);
  mtasts::DeliveryReport last;
  std::string last_domain;
  std::size_t dns_mark = 0;
  bool delivered_once = false;
  std::string soft_miss;  // the first SHOULD or MAY step that failed
  for (const auto& step : s.steps) {
    switch (step.kind) {
      case ScenarioStep::Kind::kDeliver: {
        mtasts::SenderOptions so;
        so.profile = opts.profile;
        mtasts::Sender sender(dns, fetcher, connector, *cache, clock, so);
        dns_mark = obs.dns_mark();
        std::optional<mtasts::DeliveryReport> done =
            guard([&] { return replacement ? replacement(step.to) : sender.Deliver(step.to); });
        if (!done) {
          transcript.push_back({{"step", "deliver " + step.to},
                                {"at", clock.Now()},
                                {"sender", json::array({"did not finish"})}});
          return {Outcome::kError, "line " + std::to_string(step.line) + ": deliver " + step.to +
                                       ": the sender did not finish within " +
                                       std::to_string(opts.step_budget.count()) +
                                       " ms (the mocks were stopped)"};
        }
        last = std::move(*done);
        last_domain = step.to.substr(step.to.rfind('@') + 1);
        delivered_once = true;
        json steps = json::array();
        for (const auto& line : last.steps) {
          steps.push_back(line);
        }
        for (const auto& alert : last.alerts) {
          steps.push_back("ALERT: " + alert);
        }
        // What the sender did, whatever the expectations: where the RFCs
        // allow more than one reading (tls_rpt one_of), this records which
        // one it took.
        json types = json::array();
        for (const auto& f : last.failures) {
          types.push_back(std::string(tlsrpt::ResultTypeName(f.type)));
        }
        transcript.push_back({{"step", "deliver " + step.to},
                              {"at", clock.Now()},
                              {"sender", steps},
                              {"verdict", std::string(mtasts::VerdictName(last.verdict))},
                              {"channel", std::string(mtasts::ChannelName(last.channel))},
                              {"mx", last.mx},
                              {"tls_rpt", types}});
        break;
      }
      case ScenarioStep::Kind::kAdvanceClock:
        clock.Advance(step.seconds);
        transcript.push_back({{"step", "advance_clock " + std::to_string(step.seconds)}});
        break;
      case ScenarioStep::Kind::kRestartSender:
        if (!step.keep_cache) {
          cache = std::make_unique<mtasts::PolicyCache>(clock);
        }
        transcript.push_back(
            {{"step", std::string("restart_sender") + (step.keep_cache ? " (cache kept)" : "")}});
        break;
      case ScenarioStep::Kind::kExpect: {
        if (!delivered_once) {
          return {Outcome::kError,
                  "line " + std::to_string(step.line) + ": expect before any deliver step"};
        }
        std::string why = Check(step.expect, last, *cache, last_domain, obs, dns_mark);
        if (!why.empty() && step.expect.level.empty()) {
          return {Outcome::kFail, "line " + std::to_string(step.line) + ": " + why};
        }
        if (!why.empty() && soft_miss.empty()) {
          soft_miss = "line " + std::to_string(step.line) + " (" + step.expect.level + "): " + why;
        }
        break;
      }
    }
  }
  if (!soft_miss.empty()) {
    return {Outcome::kNonStrict, soft_miss};
  }
  return {Outcome::kPass, ""};
}

void Finish(CaseResult& r, std::chrono::steady_clock::time_point start, Outcome o,
            std::string message, json transcript) {
  r.outcome = o;
  r.message = std::move(message);
  r.actual = {{"transcript", std::move(transcript)}};
  r.duration_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

json DnsLog(const mocks::dns::Responder& responder, Unscripted& unscripted) {
  json out = json::array();
  for (const auto& e : responder.Log()) {
    out.push_back(e.qname + " " + dns::RrTypeName(e.qtype) + " -> " + e.answered_by);
    if (e.answered_by == "unscripted") {
      unscripted.what.push_back("DNS query " + e.qname + " " + dns::RrTypeName(e.qtype));
    }
  }
  return out;
}

}  // namespace

CaseResult RunScenarioInProcess(const Scenario& s, const ScenarioRunOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  CaseResult r = NewCase(s, "in-process");
  json transcript = json::array();
  FixedClock clock(s.clock);
  auto built = BuildPki(s.certs, s.clock);
  if (!built) {
    Finish(r, start, Outcome::kError, "pki: " + built.error().Text(), transcript);
    return r;
  }
  const pki::Pki& p = **built;
  auto trust = tls::TrustStore::FromPem(p.BundlePem(s.trusted));
  if (!trust) {
    Finish(r, start, Outcome::kError, "trusted roots: " + trust.error().Text(), transcript);
    return r;
  }
  mocks::dns::Responder responder(s.dns.zone, s.dns.rules,
                                  mocks::dns::ResponderOptions{.clock = &clock});
  net::StubOptions so;
  so.attempts = 2;
  auto stub = net::StubResolver::CreateInMemory(so, [&](std::string_view q, bool tcp) {
    return responder.HandleInMemory(
        q, tcp ? mocks::dns::Transport::kTcp : mocks::dns::Transport::kUdp, so.attempt_timeout);
  });
  if (!stub) {
    Finish(r, start, Outcome::kError, "resolver: " + stub.error().Text(), transcript);
    return r;
  }
  Unscripted unscripted;
  std::vector<std::string> log;
  FakeFetcher fetcher(s, p, *trust, clock, unscripted, log);
  FakeConnector connector(s, p, *trust, clock, unscripted, log);
  const Observer obs{
      [&] { return responder.Log().size(); },
      [&](std::size_t mark) { return QueriesSince(responder, mark); },
      [&] { return fetcher.fetches(); },
  };
  // No sockets, no waiting: every step finishes.
  const StepGuard direct = [](const std::function<mtasts::DeliveryReport()>& work) {
    return std::optional<mtasts::DeliveryReport>(work());
  };
  auto [outcome, why] =
      RunSteps(s, *stub, fetcher, connector, clock, opts, obs, direct, {}, transcript);
  transcript.push_back({{"dns", DnsLog(responder, unscripted)}, {"requests", log}});
  if (!unscripted.what.empty()) {
    outcome = Outcome::kError;
    why = "scenario error: unscripted " + unscripted.what.front();
  }
  Finish(r, start, outcome, why, transcript);
  return r;
}

Result<std::unique_ptr<ScenarioWorld>> ScenarioWorld::Start(const Scenario& s, const Clock& clock,
                                                            std::optional<UnixSeconds> pki_start) {
  auto fail = [](const std::string& what) {
    return MakeDiag("scenario.world", Severity::kError, 0, "cannot start the scenario's mocks",
                    what);
  };
  std::unique_ptr<ScenarioWorld> w(new ScenarioWorld());
  auto built = BuildPki(s.certs, pki_start.value_or(s.clock));
  if (!built) {
    return fail("pki: " + built.error().Text());
  }
  w->pki = *built;
  w->bundle_pem = w->pki->BundlePem(s.trusted);
  auto trust_store = tls::TrustStore::FromPem(w->bundle_pem);
  if (!trust_store) {
    return fail("trusted roots: " + trust_store.error().Text());
  }
  w->trust = std::make_shared<const tls::TrustStore>(std::move(*trust_store));

  w->responder = std::make_unique<mocks::dns::Responder>(
      s.dns.zone, s.dns.rules, mocks::dns::ResponderOptions{.clock = &clock});
  auto dns_server = mocks::dns::Server::Start(*w->responder, mocks::dns::ServerOptions{});
  if (!dns_server) {
    return fail("mock DNS server: " + dns_server.error().Text());
  }
  w->dns_server = std::move(*dns_server);

  // One mock policy host per scripted host and per `later` phase of it
  // (plain_http is a property of a listener).
  auto start_https = [&](const std::string& host,
                         const HttpsHostSpec& h) -> Result<std::unique_ptr<mocks::https::Server>> {
    mocks::https::Config c;
    c.pki = w->pki;
    mocks::https::HostConfig hc;
    hc.certificate = h.cert;
    hc.intermediates = h.intermediates;
    hc.handshake_failure = h.handshake_failure ? mocks::https::HandshakeFailure::kAlert
                                               : mocks::https::HandshakeFailure::kNone;
    for (const auto& [path, ps] : h.paths) {
      mocks::https::Response resp;
      resp.status = ps.status;
      resp.content_type = ps.content_type;
      resp.body = ps.body;
      if (!ps.location.empty()) {
        resp.redirect = ps.location;
      }
      if (!ps.cache_control.empty()) {
        resp.headers.push_back({"Cache-Control", ps.cache_control});
      }
      resp.oversized = ps.oversized ? mocks::https::kOversizedBytes : 0;
      resp.trickle_ms = ps.trickle_ms;
      resp.trickle_bytes = 64;
      resp.stall = ps.stall;
      resp.reset = ps.reset;
      hc.paths[path] = std::move(resp);
    }
    c.hosts[host] = std::move(hc);
    if (!h.sni_required) {
      c.default_host = host;  // any SNI, or none, gets this host
    }
    mocks::https::ServerOptions ho;
    ho.plain_http = h.plain_http;
    ho.stall_hold_ms = 2 * kFetchTimeoutMs;
    auto server = mocks::https::Server::Start(std::move(c), ho);
    if (!server) {
      return fail("mock policy host " + host + ": " + server.error().Text());
    }
    return std::move(*server);
  };
  auto address_of = [](const mocks::https::Server& server) {
    return server.address() + ":" + std::to_string(server.port());
  };
  for (const auto& [host, h] : s.https) {
    auto server = start_https(host, h);
    if (!server) {
      return server.error();
    }
    w->https_addresses[host] = address_of(**server);
    w->https_phases[host].emplace_back(0, w->https_addresses[host]);
    w->https[host] = std::move(*server);
    for (const auto& phase : h.later) {
      auto later = start_https(host, *phase.spec);
      if (!later) {
        return later.error();
      }
      w->https_phases[host].emplace_back(phase.at, address_of(**later));
      w->https_later.push_back(std::move(*later));
    }
  }
  // One mock MX per scripted MX; a `down` one has no address.
  for (const auto& [host, m] : s.smtp) {
    if (m.down) {
      continue;
    }
    mocks::smtp::ServerOptions mo;
    mo.hostname = host;
    mo.starttls = mocks::smtp::ParseStartTls(m.starttls).value_or(mocks::smtp::StartTls::kOffer);
    mo.pki = w->pki;
    mo.default_chain = {m.cert, m.intermediates};
    if (!m.default_cert.empty()) {
      mo.chain_by_sni[host] = {m.cert, m.intermediates};
      mo.default_chain = {m.default_cert, m.intermediates};
    }
    if (!m.tls_max.empty()) {
      mo.max_version = TlsMax(m.tls_max).value_or(mocks::smtp::TlsVersion::kAny);
    }
    mo.inject_after_starttls = m.inject;
    mo.greylist = m.greylist;
    mo.reject_rcpt = m.reject;
    mo.read_timeout_ms = mo.handshake_timeout_ms = mo.write_timeout_ms = 2 * kWireTimeoutMs;
    auto server = mocks::smtp::Server::Start(mo);
    if (!server) {
      return fail("mock MX " + host + ": " + server.error().Text());
    }
    w->smtp_addresses[host] = (*server)->endpoint();
    w->smtp[host] = std::move(*server);
  }
  return w;
}

ScenarioWorld::~ScenarioWorld() { Stop(); }

void ScenarioWorld::Stop() {
  for (auto& [host, server] : smtp) {
    server->Stop();
  }
  for (auto& [host, server] : https) {
    server->Stop();
  }
  for (auto& server : https_later) {
    server->Stop();
  }
  if (dns_server) {
    dns_server->Stop();
  }
}

namespace {

// net::HttpsPolicyFetcher with the address of each policy host's phase in
// force at the virtual clock's time.
class PhasedFetcher final : public mtasts::PolicyFetcher {
 public:
  PhasedFetcher(
      net::HttpsFetcherOptions base,
      const std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>>& phases,
      const Clock& clock)
      : base_(std::move(base)), phases_(phases), clock_(clock) {}

  mtasts::FetchResponse Fetch(std::string_view host, std::string_view path) override {
    if (phases_.count(text::ToLowerCopy(host)) == 0) {
      unknown.push_back(std::string(host));
    }
    net::HttpsFetcherOptions o = base_;
    for (const auto& [name, list] : phases_) {
      std::string address;
      for (const auto& [at, addr] : list) {
        if (clock_.Now() >= at) {
          address = addr;
        }
      }
      o.addresses[name] = address;
    }
    return net::HttpsPolicyFetcher(std::move(o)).Fetch(host, path);
  }

  std::vector<std::string> unknown;  // hosts the scenario does not list

 private:
  net::HttpsFetcherOptions base_;
  const std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>>& phases_;
  const Clock& clock_;
};

}  // namespace

CaseResult RunScenarioWire(const Scenario& s, const ScenarioRunOptions& opts) {
  const auto start = std::chrono::steady_clock::now();
  CaseResult r = NewCase(s, "wire");
  json transcript = json::array();
  FixedClock clock(s.clock);
  auto world = ScenarioWorld::Start(s, clock);
  if (!world) {
    Finish(r, start, Outcome::kError, world.error().Text(), transcript);
    return r;
  }
  ScenarioWorld& w = **world;

  net::StubOptions so;
  so.port = w.dns_server->port();
  so.attempt_timeout = std::chrono::milliseconds(kWireTimeoutMs);
  so.attempts = 2;
  so.deadline = std::chrono::milliseconds(3 * kWireTimeoutMs);
  auto stub = net::StubResolver::Create(so);
  if (!stub) {
    Finish(r, start, Outcome::kError, "resolver: " + stub.error().Text(), transcript);
    return r;
  }
  net::HttpsFetcherOptions fo;
  fo.trust = w.trust;
  fo.clock = &clock;
  fo.connect_timeout = fo.handshake_timeout = fo.total_timeout =
      std::chrono::milliseconds(kFetchTimeoutMs);
  PhasedFetcher fetcher(fo, w.https_phases, clock);
  net::SmtpConnectorOptions co;
  co.addresses = w.smtp_addresses;
  co.trust = w.trust;
  co.clock = &clock;
  co.connect_timeout = co.io_timeout = co.handshake_timeout =
      std::chrono::milliseconds(kWireTimeoutMs);
  co.min_version = net::TlsVersion::kTls1_2;  // RFC 8461 §7.2
  net::SmtpConnector connector(co);

  const Observer obs{
      [&] { return w.responder->Log().size(); },
      [&](std::size_t mark) { return QueriesSince(*w.responder, mark); },
      [&] {
        std::uint64_t n = 0;
        for (const auto& [host, server] : w.https) {
          n += server->stats().connections;
        }
        for (const auto& server : w.https_later) {
          n += server->stats().connections;
        }
        return static_cast<std::uint32_t>(n);
      },
  };
  // The watchdog: a step past its budget stops the mocks, which ends every
  // connection the sender holds, so that the step returns and the run ends
  // with an error naming it. The reference sender's I/O has deadlines of
  // its own; this guards against a target that has none.
  const StepGuard watchdog = [&](const std::function<mtasts::DeliveryReport()>& work)
      -> std::optional<mtasts::DeliveryReport> {
    auto future = std::async(std::launch::async, work);
    if (future.wait_for(opts.step_budget) == std::future_status::ready) {
      return future.get();
    }
    w.Stop();
    future.wait();
    return std::nullopt;
  };
  Replacement replacement;
  if (opts.deliver_override) {
    replacement = [&](const std::string& to) { return opts.deliver_override(w, to); };
  }
  auto [outcome, why] =
      RunSteps(s, *stub, fetcher, connector, clock, opts, obs, watchdog, replacement, transcript);

  Unscripted unscripted;
  for (const auto& host : fetcher.unknown) {
    unscripted.what.push_back("HTTPS request to " + host);
  }
  json requests = json::array();
  auto log_https = [&](const std::string& host, const mocks::https::Server& server) {
    for (const auto& e : server.Log()) {
      requests.push_back("https " + e.sni + " " + e.method + " " + e.target + " -> " + e.outcome +
                         (e.detail.empty() ? "" : " (" + e.detail + ")"));
    }
    if (server.stats().unscripted != 0) {
      unscripted.what.push_back("HTTPS request to " + host + " (see the transcript)");
    }
  };
  for (const auto& [host, server] : w.https) {
    log_https(host, *server);
  }
  for (const auto& server : w.https_later) {
    log_https("a later phase", *server);
  }
  json sessions = json::object();
  for (const auto& [host, server] : w.smtp) {
    json lines = json::array();
    for (const auto& session : server->Sessions()) {
      for (const auto& line : session.transcript) {
        lines.push_back(line);
      }
      lines.push_back("-- " + session.channel +
                      (session.tls_version.empty() ? "" : " " + session.tls_version) +
                      (session.data_completed ? ", delivered" : ""));
    }
    if (!lines.empty()) {
      sessions[host] = lines;
    }
  }
  transcript.push_back(
      {{"dns", DnsLog(*w.responder, unscripted)}, {"https", requests}, {"smtp", sessions}});
  for (const auto& step : transcript) {
    if (!step.contains("sender")) {
      continue;
    }
    for (const auto& line : step["sender"]) {
      // "HOST: no connection (...)" for a host the scenario does not list
      // (a `down` MX is listed and simply not started).
      const std::string text = line.get<std::string>();
      const std::string host = text.substr(0, text.find(':'));
      if (text.find(": no connection (") != std::string::npos && s.smtp.count(host) == 0) {
        unscripted.what.push_back("SMTP connection to " + host);
      }
    }
  }
  if (!unscripted.what.empty()) {
    outcome = Outcome::kError;
    why = "scenario error: unscripted " + unscripted.what.front();
  }
  Finish(r, start, outcome, why, transcript);
  return r;
}

}  // namespace mxconform::conformance
