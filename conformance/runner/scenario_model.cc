#include "conformance/runner/scenario_model.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include "common/file.h"
#include "common/text.h"
#include "conformance/runner/yaml_budget.h"
#include "mocks/dns/responder.h"
#include "mocks/smtp/dialogue.h"
#include "spf/ip.h"
#include "tlsrpt/result_type.h"

namespace mxconform::conformance {
namespace {

using json = nlohmann::json;
namespace pki = mxconform::mocks::pki;

std::string At(const YAML::Mark& m) { return LineColumn(m); }

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
          "digest", "eku", "leaf_issuer", "permitted_dns"},
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
  if (n["leaf_issuer"]) {
    c.leaf_issuer = r.Bool(n["leaf_issuer"], "leaf_issuer");
  }
  if (n["permitted_dns"]) {
    c.permitted_dns = r.List(n["permitted_dns"], "permitted_dns");
  }
  if (n["eku"]) {
    const std::string e = r.Str(n["eku"], "eku");
    if (e == "client-auth") {
      c.client_auth_only = true;
    } else if (e != "server-auth") {
      r.Fail(n["eku"], "eku must be server-auth or client-auth");
    }
  }
  return c;
}

HttpsPathSpec ReadPath(Reader& r, const YAML::Node& n) {
  HttpsPathSpec p;
  r.Keys(n,
         {"status", "content_type", "body", "location", "cache_control", "oversized", "trickle_ms",
          "stall", "reset", "chunked", "close_delimited", "no_close_notify",
          "chunk_extension_bytes", "interim"},
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
  if (n["chunked"]) {
    p.chunked = r.Bool(n["chunked"], "chunked");
  }
  if (n["close_delimited"]) {
    p.close_delimited = r.Bool(n["close_delimited"], "close_delimited");
  }
  if (n["no_close_notify"]) {
    p.no_close_notify = r.Bool(n["no_close_notify"], "no_close_notify");
  }
  if (n["chunk_extension_bytes"]) {
    p.chunk_extension_bytes = static_cast<std::uint32_t>(
        r.Int(n["chunk_extension_bytes"], "chunk_extension_bytes", 0, 1 << 20));
  }
  if (const YAML::Node interim = n["interim"]) {
    if (!interim.IsSequence() || interim.size() > 8) {
      r.Fail(interim, "interim must be a list of at most 8 statuses 100-199");
    } else {
      for (const auto& status : interim) {
        p.interim.push_back(static_cast<int>(r.Int(status, "interim", 100, 199)));
      }
    }
  }
  return p;
}

// A host's `later` list into spec.later: phases in time order, each read
// by `read(phase, spec)` from the host's own settings.
template <typename Spec, typename ReadPhase>
void ReadLater(Reader& r, const YAML::Node& later, Spec& spec, ReadPhase read) {
  if (!later.IsSequence()) {
    r.Fail(later, "later must be a list of {at, ...}");
    return;
  }
  UnixSeconds prev = 0;
  for (const auto& phase : later) {
    if (!phase.IsMap() || !phase["at"]) {
      r.Fail(phase, "a later phase needs at (the clock time it starts)");
      continue;
    }
    HostPhase<Spec> p;
    p.at = r.Int(phase["at"], "at", 0, 4'102'444'800);
    if (p.at <= prev) {
      r.Fail(phase["at"], "later phases must be in time order");
    }
    prev = p.at;
    p.spec = std::make_shared<const Spec>(read(phase, spec));
    spec.later.push_back(std::move(p));
  }
}

// The phase of `host` in force at `now`: the last that has begun, else
// the host's own settings.
template <typename Spec>
const Spec& InForce(const Spec& host, UnixSeconds now) {
  const Spec* in_force = &host;
  for (const auto& p : host.later) {
    if (now >= p.at) {
      in_force = p.spec.get();
    }
  }
  return *in_force;
}

// One https host, or one of its `later` phases (which starts from the
// host's settings, `base`, and has an `at`).
HttpsHostSpec ReadHttpsHost(Reader& r, const YAML::Node& v, HttpsHostSpec base, bool top) {
  HttpsHostSpec spec = std::move(base);
  spec.later.clear();
  if (top) {
    r.Keys(v,
           {"cert", "intermediates", "plain_http", "down", "handshake_failure", "sni_required",
            "paths", "later"},
           "an https host");
  } else {
    r.Keys(v,
           {"at", "cert", "intermediates", "plain_http", "down", "handshake_failure",
            "sni_required", "paths"},
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
  if (v["down"]) {
    spec.down = r.Bool(v["down"], "down");
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
  } else if (paths) {
    r.Fail(paths, "paths must be a map of path to its response");
  }
  if (const YAML::Node later = v["later"]; top && later) {
    ReadLater(r, later, spec, [&r](const YAML::Node& phase, const HttpsHostSpec& host) {
      return ReadHttpsHost(r, phase, host, false);
    });
  }
  return spec;
}

}  // namespace

std::string HostKey(std::string_view name) {
  if (name.size() > 1 && name.back() == '.') {
    name.remove_suffix(1);
  }
  return text::ToLowerCopy(name);
}

namespace {

// An IPv4 or IPv6 address as the sender writes one it resolved
// (spf::ReadableIpForm); "" if `text` is neither.
std::string CanonicalIp(std::string_view text) {
  std::optional<spf::IpAddress> ip = spf::ParseIp4(text);
  if (!ip) {
    ip = spf::ParseIp6(text);
  }
  return ip ? spf::ReadableIpForm(*ip) : std::string();
}

// One smtp host, or one of its `later` phases (see ReadHttpsHost).
SmtpHostSpec ReadSmtpHost(Reader& r, const YAML::Node& v, SmtpHostSpec base, bool top) {
  SmtpHostSpec spec = std::move(base);
  spec.later.clear();
  if (top) {
    r.Keys(v,
           {"cert", "default_cert", "intermediates", "starttls", "tls_max", "inject", "greylist",
            "reject", "down", "starttls_under_tls", "require_tls", "starttls_settle_ms",
            "accept_unknown_params", "down_addresses", "later"},
           "an smtp host");
  } else {
    r.Keys(v,
           {"at", "cert", "default_cert", "intermediates", "starttls", "tls_max", "inject",
            "greylist", "reject", "down", "starttls_under_tls", "require_tls", "starttls_settle_ms",
            "accept_unknown_params"},
           "a later phase of an smtp host");
  }
  if (v["cert"]) {
    spec.cert = r.Str(v["cert"], "cert");
  }
  if (v["default_cert"]) {
    spec.default_cert = r.Str(v["default_cert"], "default_cert");
  }
  if (v["tls_max"]) {
    spec.tls_max = r.Str(v["tls_max"], "tls_max");
    const auto version = mocks::smtp::ParseTlsVersion(spec.tls_max);
    if (!version || *version == mocks::smtp::TlsVersion::kAny) {
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
    if (!mocks::smtp::ParseStartTls(spec.starttls)) {
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
  if (v["starttls_under_tls"]) {
    spec.starttls_under_tls = r.Bool(v["starttls_under_tls"], "starttls_under_tls");
  }
  if (v["starttls_settle_ms"]) {
    spec.starttls_settle_ms =
        static_cast<std::uint32_t>(r.Int(v["starttls_settle_ms"], "starttls_settle_ms", 0, 5000));
  }
  if (v["require_tls"]) {
    spec.require_tls = r.Bool(v["require_tls"], "require_tls");
  }
  if (v["accept_unknown_params"]) {
    spec.accept_unknown_params = r.Bool(v["accept_unknown_params"], "accept_unknown_params");
  }
  if (top && v["down_addresses"]) {
    spec.down_addresses.clear();
    for (const auto& a : r.List(v["down_addresses"], "down_addresses")) {
      std::string address = CanonicalIp(a);
      if (address.empty()) {
        r.Fail(v["down_addresses"], "down_addresses: '" + a + "' is not an IPv4 or IPv6 address");
        continue;
      }
      spec.down_addresses.push_back(std::move(address));
    }
  }
  if (const YAML::Node later = v["later"]; top && later) {
    ReadLater(r, later, spec, [&r](const YAML::Node& phase, const SmtpHostSpec& host) {
      return ReadSmtpHost(r, phase, host, false);
    });
  }
  return spec;
}

ScenarioExpect ReadExpect(Reader& r, const YAML::Node& n) {
  ScenarioExpect e;
  r.Keys(n,
         {"verdict", "channel", "mx", "tls_rpt", "policy", "contacted", "not_contacted",
          "first_contacted", "queried", "not_queried", "fetches", "alerted", "smtp_client",
          "reports", "report_counts", "report_posts", "report_mails", "level"},
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
  if (n["first_contacted"]) {
    e.first_contacted = r.List(n["first_contacted"], "first_contacted");
    std::set<std::string> distinct(e.first_contacted.begin(), e.first_contacted.end());
    if (e.first_contacted.empty() || distinct.size() != e.first_contacted.size()) {
      r.Fail(n["first_contacted"], "first_contacted: one host or more, each once");
    }
  }
  if (n["queried"]) {
    e.queried = r.List(n["queried"], "queried");
    // An empty list says "none", as contacted: [] and tls_rpt: [] do; it
    // used to check nothing.
    e.no_queries = n["queried"].IsSequence() && n["queried"].size() == 0;
  }
  if (n["not_queried"]) {
    e.not_queried = r.List(n["not_queried"], "not_queried");
  }
  if (const YAML::Node f = n["fetches"]) {
    ScenarioExpect::Count c;
    if (f.IsMap()) {
      r.Keys(f, {"at_least", "at_most"}, "fetches");
      if (f["at_least"]) {
        c.at_least = static_cast<std::uint32_t>(r.Int(f["at_least"], "at_least", 0, 1000));
      }
      if (f["at_most"]) {
        c.at_most = static_cast<std::uint32_t>(r.Int(f["at_most"], "at_most", 0, 1000));
      }
      if (!f["at_least"] && !f["at_most"]) {
        r.Fail(f, "fetches: a count, or a map with at_least and/or at_most");
      } else if (c.at_least > c.at_most) {
        r.Fail(f, "fetches: at_least is above at_most");
      }
    } else {
      c.at_least = c.at_most = static_cast<std::uint32_t>(r.Int(f, "fetches", 0, 1000));
    }
    e.fetches = c;
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
  if (n["reports"]) {
    e.reports = r.List(n["reports"], "reports");
    for (const auto& a : *e.reports) {
      const auto sp = a.rfind(' ');
      if (sp == std::string::npos || sp == 0 ||
          (a.compare(sp + 1, std::string::npos, "accepted") != 0 &&
           a.compare(sp + 1, std::string::npos, "refused") != 0)) {
        r.Fail(n["reports"], "reports: each entry is \"URI accepted\" or \"URI refused\"");
        break;
      }
    }
  }
  if (const YAML::Node c = n["report_counts"]; c && !c.IsMap()) {
    r.Fail(c, "report_counts must be a map {successful: N, failed: N}");
  } else if (c) {
    r.Keys(c, {"successful", "failed"}, "report_counts");
    if (!c["successful"] || !c["failed"]) {
      r.Fail(c, "report_counts needs both successful and failed");
    }
    ScenarioExpect::ReportCounts rc;
    rc.successful = static_cast<std::uint64_t>(
        r.Int(c["successful"], "report_counts.successful", 0, 1'000'000));
    rc.failed =
        static_cast<std::uint64_t>(r.Int(c["failed"], "report_counts.failed", 0, 1'000'000));
    e.report_counts = rc;
  }
  if (const YAML::Node c = n["report_posts"]; c && !c.IsSequence()) {
    r.Fail(c, "report_posts must be a list of {url, content_type}");
  } else if (c) {
    e.report_posts.emplace();
    for (const auto& post : c) {
      if (!post.IsMap()) {
        r.Fail(post, "report_posts: each entry is a map {url, content_type}");
        break;
      }
      r.Keys(post, {"url", "content_type"}, "report_posts");
      if (!post["url"] || !post["content_type"]) {
        r.Fail(post, "report_posts: each entry needs url and content_type");
        break;
      }
      e.report_posts->push_back({r.Str(post["url"], "report_posts.url"),
                                 r.Str(post["content_type"], "report_posts.content_type")});
    }
  }
  if (const YAML::Node c = n["report_mails"]; c && !c.IsSequence()) {
    r.Fail(c, "report_mails must be a list of {to, mx}");
  } else if (c) {
    e.report_mails.emplace();
    for (const auto& mail : c) {
      if (!mail.IsMap()) {
        r.Fail(mail, "report_mails: each entry is a map {to, mx[, report_domain]}");
        break;
      }
      r.Keys(mail, {"to", "mx", "report_domain"}, "report_mails");
      if (!mail["to"] || !mail["mx"]) {
        r.Fail(mail, "report_mails: each entry needs to and mx");
        break;
      }
      ScenarioExpect::ReportMail m;
      m.to = r.Str(mail["to"], "report_mails.to");
      m.mx = r.Str(mail["mx"], "report_mails.mx");
      if (mail["report_domain"]) {
        m.report_domain = r.Str(mail["report_domain"], "report_mails.report_domain");
      }
      e.report_mails->push_back(std::move(m));
    }
  }
  if (const YAML::Node c = n["smtp_client"]; c && !c.IsMap()) {
    r.Fail(c, "smtp_client must be a map of rules");
  } else if (c) {
    SmtpClientExpect sc;
    r.Keys(c,
           {"starttls_bare", "no_pipelining_into_tls", "ehlo_first_under_tls",
            "no_starttls_under_tls", "no_mail_in_clear", "quit_after_tls", "no_envelope_to"},
           "smtp_client");
    // A rule is checked when it is `true`; `false` would check nothing.
    auto rule = [&](const char* key, bool& flag) {
      if (c[key]) {
        flag = r.Bool(c[key], key);
        if (!flag) {
          r.Fail(c[key], std::string("smtp_client.") + key +
                             ": only `true` is checked; leave the key out instead");
        }
      }
    };
    rule("starttls_bare", sc.starttls_bare);
    rule("no_pipelining_into_tls", sc.no_pipelining_into_tls);
    rule("ehlo_first_under_tls", sc.ehlo_first_under_tls);
    rule("no_starttls_under_tls", sc.no_starttls_under_tls);
    rule("no_mail_in_clear", sc.no_mail_in_clear);
    if (c["quit_after_tls"]) {
      sc.quit_after_tls = r.List(c["quit_after_tls"], "smtp_client.quit_after_tls");
    }
    if (c["no_envelope_to"]) {
      sc.no_envelope_to = r.List(c["no_envelope_to"], "smtp_client.no_envelope_to");
    }
    if (!sc.Any()) {
      r.Fail(c, "smtp_client: no rule to check");
    }
    e.smtp_client = std::move(sc);
  }
  return e;
}

}  // namespace

const HttpsHostSpec& HttpsHostSpec::At(UnixSeconds now) const { return InForce(*this, now); }

const SmtpHostSpec& SmtpHostSpec::At(UnixSeconds now) const { return InForce(*this, now); }

namespace {

constexpr FileReadIds kScenarioFile{"scenario.unreadable", "scenario.too_large"};

// The reader of bases (nullopt: unreadable or too large).
std::optional<std::string> ReadBase(const std::filesystem::path& path) {
  auto text = ReadFileAtMost(path, kMaxInputFileBytes, kScenarioFile);
  if (!text) {
    return std::nullopt;
  }
  return std::move(*text);
}

}  // namespace

Result<Scenario> LoadScenario(const std::filesystem::path& file) {
  auto text = ReadFileAtMost(file, kMaxInputFileBytes, kScenarioFile);
  if (!text) {
    return text.error();
  }
  return ParseScenario(*text, file, ReadBase);
}

namespace {

// ParseScenario without its guard: yaml-cpp throws on a few shapes (a key
// looked up in a sequence or a scalar, say) that the readers above do not
// test for one by one. `r` is the guard's, so that an error recorded before
// the throw (Keys() finding a scalar where a map belongs) is the one shown.
Result<Scenario> ParseScenarioUnguarded(Reader& r, std::string_view text,
                                        const std::filesystem::path& file,
                                        const BaseReader& read_base) {
  try {
    r.root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return MakeDiag("scenario.yaml", Severity::kError, 0, "YAML syntax error",
                    At(e.mark) + ": " + e.msg);
  }
  if (!WithinYamlBudget(r.root)) {
    return MakeDiag("scenario.yaml", Severity::kError, 0, kYamlTooLarge, At(r.root.Mark()));
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
    const std::optional<std::string> btext = read_base(base_path);
    if (!btext) {
      return FieldError(base_name, "cannot read the base " + base_path.string());
    }
    YAML::Node merged;
    try {
      merged = YAML::Load(*btext);
    } catch (const YAML::Exception& e) {
      return MakeDiag("scenario.yaml", Severity::kError, 0, "YAML syntax error in the base",
                      base_path.string() + ":" + At(e.mark) + ": " + e.msg);
    }
    if (!WithinYamlBudget(merged)) {
      return MakeDiag("scenario.yaml", Severity::kError, 0, kYamlTooLarge,
                      base_path.string() + ":" + At(merged.Mark()));
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
        // Host by host, a name in another case replacing the base's (the
        // two were kept side by side, and each mode picked another).
        // Two of the scenario's own stay, for the reader to refuse.
        std::set<std::string> mine;
        for (const auto& host : kv.second) {
          const std::string key = HostKey(host.first.Scalar());
          std::vector<std::string> same;
          for (const auto& b : merged[k]) {
            if (mine.count(key) == 0 && HostKey(b.first.Scalar()) == key) {
              same.push_back(b.first.Scalar());
            }
          }
          mine.insert(key);
          for (const auto& name : same) {
            merged[k].remove(name);
          }
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
         {"id", "title", "requirements", "tags", "attacks", "clock", "pki", "trusted",
          "sender_names", "dns", "https", "smtp", "steps"},
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
  if (root["sender_names"]) {
    s.sender_names = r.List(root["sender_names"], "sender_names");
  }
  if (const YAML::Node d = root["dns"]) {
    auto zone = ParseMockZone(YAML::Dump(d));
    if (!zone) {
      Diagnostic e = zone.error();
      e.detail = "in dns (line " + std::to_string(PositionOf(d.Mark()).line) + "): " + e.detail;
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
        if (!s.https.emplace(HostKey(kv.first.Scalar()), std::move(spec)).second) {
          r.Fail(kv.first, "https host '" + kv.first.Scalar() +
                               "' is listed twice (host names differ only in case or a final dot)");
        }
      }
    }
  }
  if (const YAML::Node m = root["smtp"]) {
    if (!m.IsMap()) {
      r.Fail(m, "smtp must be a map of MX host to its behaviour");
    } else {
      for (const auto& kv : m) {
        SmtpHostSpec spec = ReadSmtpHost(r, kv.second, SmtpHostSpec{}, true);
        if (!s.smtp.emplace(HostKey(kv.first.Scalar()), std::move(spec)).second) {
          r.Fail(kv.first, "smtp host '" + kv.first.Scalar() +
                               "' is listed twice (host names differ only in case or a final dot)");
        }
      }
    }
  }
  if (const YAML::Node steps = root["steps"]; steps && steps.IsSequence()) {
    for (const auto& st : steps) {
      ScenarioStep step;
      step.line = PositionOf(st.Mark()).line;
      if (!st.IsMap() || st.size() != 1) {
        r.Fail(st, "a step is one of deliver, advance_clock, restart_sender, report, expect");
        continue;
      }
      const auto kv = *st.begin();
      const std::string k = kv.first.Scalar();
      if (k == "deliver") {
        step.kind = ScenarioStep::Kind::kDeliver;
        r.Keys(kv.second, {"to", "as", "times"}, "deliver");
        step.to = r.Str(kv.second["to"], "deliver.to");
        if (kv.second.IsMap() && kv.second["times"]) {
          step.times =
              static_cast<std::uint32_t>(r.Int(kv.second["times"], "deliver.times", 1, 100));
        }
        if (kv.second.IsMap() && kv.second["as"]) {
          const std::string as = r.Str(kv.second["as"], "deliver.as");
          if (as != "message" && as != "report") {
            r.Fail(kv.second["as"], "deliver.as must be message or report");
          }
          step.report = as == "report";
        }
      } else if (k == "advance_clock") {
        step.kind = ScenarioStep::Kind::kAdvanceClock;
        step.seconds = r.Int(kv.second, "advance_clock", 0, 10LL * 366 * 86400);
      } else if (k == "restart_sender") {
        step.kind = ScenarioStep::Kind::kRestartSender;
        r.Keys(kv.second, {"keep_cache"}, "restart_sender");
        step.keep_cache = r.Bool(kv.second["keep_cache"], "restart_sender.keep_cache");
      } else if (k == "report") {
        step.kind = ScenarioStep::Kind::kReport;
        if (!kv.second.IsMap() || kv.second.size() != 0) {
          r.Fail(kv.second, "report takes no settings: write report: {}");
        }
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

}  // namespace

Result<Scenario> ParseScenario(std::string_view text, const std::filesystem::path& file,
                               const BaseReader& read_base) {
  Reader r;
  try {
    return ParseScenarioUnguarded(r, text, file, read_base);
  } catch (const YAML::Exception& e) {
    if (r.error) {
      return *r.error;  // the cause; the throw came from reading on past it
    }
    return MakeDiag("scenario.field", Severity::kError, 0, "bad scenario field",
                    At(e.mark) + ": " + YamlShapeError(e.msg));
  }
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
  // A phase that starts at or before the clock is in force from the first
  // step: the host's own settings would never be met (review finding).
  const auto phase_from_start = [&](const std::string& kind, const std::string& host,
                                    UnixSeconds at) {
    if (at <= s.clock) {
      out.push_back(where + kind + " " + host + " (at " + std::to_string(at) +
                    "): the phase starts at or before the clock (" + std::to_string(s.clock) +
                    "), so the host's own settings never apply");
    }
  };
  for (const auto& [host, h] : s.https) {
    for (const auto& phase : h.later) {
      phase_from_start("https", host, phase.at);
    }
    if (!h.plain_http && !h.down && certs.count(h.cert) == 0) {
      out.push_back(where + "https " + host + ": cert '" + h.cert + "' is not in pki");
    }
    for (const auto& phase : h.later) {
      if (!phase.spec->plain_http && !phase.spec->down && certs.count(phase.spec->cert) == 0) {
        out.push_back(where + "https " + host + " (at " + std::to_string(phase.at) + "): cert '" +
                      phase.spec->cert + "' is not in pki");
      }
    }
  }
  for (const auto& [host, h] : s.smtp) {
    auto check = [&](const SmtpHostSpec& m, const std::string& name) {
      if (m.starttls != "absent" && m.starttls != "strip-from-ehlo" && !m.down &&
          certs.count(m.cert) == 0) {
        out.push_back(where + "smtp " + name + ": cert '" + m.cert + "' is not in pki");
      }
      if (!m.default_cert.empty() && certs.count(m.default_cert) == 0) {
        out.push_back(where + "smtp " + name + ": default_cert '" + m.default_cert +
                      "' is not in pki");
      }
    };
    check(h, host);
    for (const auto& phase : h.later) {
      phase_from_start("smtp", host, phase.at);
      check(*phase.spec, host + " (at " + std::to_string(phase.at) + ")");
    }
    // A down address the zone does not give the host would change nothing.
    if (!h.down_addresses.empty()) {
      std::set<std::string> zone_addresses;
      for (const dns::ZoneRecord* z : s.dns.zone.Records()) {
        if ((std::holds_alternative<dns::RdataA>(z->rr.rdata) ||
             std::holds_alternative<dns::RdataAaaa>(z->rr.rdata)) &&
            text::EqualsIgnoreCase(z->rr.name.ToString(), host)) {
          zone_addresses.insert(CanonicalIp(dns::RdataToString(z->rr)));
        }
      }
      for (const auto& a : h.down_addresses) {
        if (zone_addresses.count(a) == 0) {
          out.push_back(where + "smtp " + host + ": down_addresses: " + a +
                        " is not an A or AAAA record of the host in the dns section");
        }
      }
    }
  }
  bool deliver = false;
  bool expect = false;
  std::uint32_t last_times = 0;
  bool reported = false;
  for (const auto& st : s.steps) {
    deliver |= st.kind == ScenarioStep::Kind::kDeliver;
    expect |= st.kind == ScenarioStep::Kind::kExpect;
    reported |= st.kind == ScenarioStep::Kind::kReport;
    if (st.kind == ScenarioStep::Kind::kExpect &&
        (st.expect.reports || st.expect.report_counts || st.expect.report_posts ||
         st.expect.report_mails) &&
        !reported) {
      out.push_back(where + "line " + std::to_string(st.line) +
                    ": reports, report_counts, report_posts and report_mails judge a report step: "
                    "none comes before it");
    }
    if (st.kind == ScenarioStep::Kind::kDeliver) {
      last_times = st.times;
    }
    if (st.kind == ScenarioStep::Kind::kExpect && !st.expect.first_contacted.empty() &&
        last_times < 2) {
      out.push_back(where + "line " + std::to_string(st.line) +
                    ": first_contacted judges several deliveries: the deliver step before it "
                    "needs times: 2 or more");
    }
    if (st.kind == ScenarioStep::Kind::kExpect && st.expect.smtp_client) {
      for (const auto& [key, hosts] :
           {std::pair{"quit_after_tls", &st.expect.smtp_client->quit_after_tls},
            std::pair{"no_envelope_to", &st.expect.smtp_client->no_envelope_to}}) {
        for (const auto& h : *hosts) {
          if (s.smtp.count(HostKey(h)) == 0) {
            out.push_back(where + "line " + std::to_string(st.line) + ": smtp_client." + key +
                          ": '" + h + "' is not an smtp host");
          }
        }
      }
    }
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
    if (ListedAsFile(*it) && it->path().extension() == ".yaml" && !shared) {
      out.push_back(it->path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ScenarioExpect::Count::Text() const {
  if (exact()) {
    return std::to_string(at_least);
  }
  if (at_most == 0xffffffff) {
    return "at least " + std::to_string(at_least);
  }
  if (at_least == 0) {
    return "at most " + std::to_string(at_most);
  }
  return std::to_string(at_least) + " to " + std::to_string(at_most);
}

std::vector<std::string> WireOnlyElements(const Scenario& s) {
  std::vector<std::string> out;
  for (const ScenarioStep& step : s.steps) {
    if (step.kind == ScenarioStep::Kind::kExpect && step.expect.smtp_client) {
      out.push_back("smtp_client (line " + std::to_string(step.line) +
                    "): the fakes see no SMTP commands");
    }
  }
  // A host's own settings, then what each later phase adds (a phase
  // starts from the host's settings: what it keeps is named once).
  const auto each_phase = [&out](const std::string& who, const auto& host, const auto& list) {
    const std::vector<std::string> own = list(host);
    for (const auto& item : own) {
      out.push_back(who + ": " + item);
    }
    for (const auto& phase : host.later) {
      for (const auto& item : list(*phase.spec)) {
        if (std::find(own.begin(), own.end(), item) == own.end()) {
          out.push_back(who + " (from " + std::to_string(phase.at) + "): " + item);
        }
      }
    }
  };
  // Each knob with what the fake makes of it, when it is on.
  using Knobs = std::initializer_list<std::pair<bool, std::string_view>>;
  const auto named = [](std::vector<std::string>& items, const std::string& prefix, Knobs knobs) {
    for (const auto& [on, what] : knobs) {
      if (on) {
        items.push_back(prefix + std::string(what));
      }
    }
  };
  for (const auto& [name, host] : s.https) {
    each_phase("https " + name, host, [&named](const HttpsHostSpec& h) {
      std::vector<std::string> items;
      named(items, "", {{h.sni_required, "sni_required (the fake does not see the ClientHello)"}});
      for (const auto& [path, rule] : h.paths) {
        // For the framing knobs (chunked on) the fake hands the body over
        // as it is, and refuses a close-delimited one without close_notify
        // itself.
        named(items, path + " ",
              {{rule.stall, "stall (the fake times the fetch out itself)"},
               {rule.trickle_ms != 0,
                "trickle_ms (the fake compares with the fetch deadline itself)"},
               {rule.oversized, "oversized (the fake applies the size cap itself)"},
               {rule.reset, "reset (the fake reports the cut itself)"},
               {!rule.cache_control.empty(), "cache_control (the fake passes no headers)"},
               {rule.chunked, "chunked (the fake has no framing)"},
               {rule.close_delimited, "close_delimited (the fake has no framing)"},
               {rule.no_close_notify, "no_close_notify (the fake has no framing)"},
               {rule.chunk_extension_bytes != 0, "chunk_extension_bytes (the fake has no framing)"},
               {!rule.interim.empty(), "interim (the fake has no framing)"}});
      }
      return items;
    });
  }
  for (const auto& [name, host] : s.smtp) {
    each_phase("smtp " + name, host, [&named](const SmtpHostSpec& m) {
      std::vector<std::string> items;
      const auto tls_max = mocks::smtp::ParseTlsVersion(m.tls_max);
      const bool old_tls = tls_max && *tls_max != mocks::smtp::TlsVersion::kAny &&
                           *tls_max < mocks::smtp::TlsVersion::kTls1_2;
      named(items, "",
            {{!m.inject.empty(), "inject (the fake sends no bytes)"},
             {m.starttls_under_tls, "starttls_under_tls (the fake sends no EHLO reply)"},
             {m.starttls_settle_ms != 0, "starttls_settle_ms (the fake sees no pipelining)"},
             {m.accept_unknown_params, "accept_unknown_params (the fake sees no parameters)"},
             {m.starttls == "garbage-after-220",
              "starttls garbage-after-220 (the fake fails the handshake itself)"}});
      if (old_tls) {
        items.push_back("tls_max " + m.tls_max +
                        " (the fake applies the sender's TLS 1.2 floor itself)");
      }
      return items;
    });
  }
  return out;
}

}  // namespace mxconform::conformance
