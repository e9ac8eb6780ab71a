// `mxconform eval spf`: check_host() against a zone file, printing the
// result, a Received-SPF header and the lookup tree. `mxconform eval dmarc`:
// DMARC discovery, alignment and policy against a zone file.
#include "spf/eval.h"

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/text.h"
#include "conformance/runner/model_json.h"
#include "conformance/runner/openspf.h"
#include "dmarc/eval.h"
#include "spf/ip.h"
#include "spf/receiver.h"

namespace mxconform::cli {
namespace {

// Zone files are small hand-written YAML; refuse anything huge.
constexpr std::size_t kMaxZoneBytes = std::size_t{16} * 1024 * 1024;

// "tag X of _dmarc.DOMAIN": the tag whose value applies. The rule (`policy_source`: p, sp for an
// existing subdomain, np for a non-existent one) falls back to sp, then
// p, when its tag is not written. Review finding: the output said "tag np"
// for a record without np.
std::string WrittenTag(const dmarc::EvalResult& r) {
  const dmarc::PolicySource rule = *r.policy_source;
  const bool np = r.record && r.record->np;
  const bool sp = r.record && r.record->sp;
  const std::string where = " of _dmarc." + r.policy_domain;
  if (rule == dmarc::PolicySource::kNp && !np) {
    return sp ? "tag sp" + where + ", which has no np"
              : "tag p" + where + ", which has no np or sp";
  }
  if (rule == dmarc::PolicySource::kSp && !sp) {
    return "tag p" + where + ", which has no sp";
  }
  return "tag " + std::string(dmarc::PolicySourceName(rule)) + where;
}

// The evaluation as a tree: each trace step and query indented by its
// include / redirect depth, in the order they happened.
void PrintTree(const spf::EvalResult& r) {
  std::cout << "lookup tree (" << r.dns_terms << " DNS-lookup terms, " << r.void_lookups
            << " void lookups):\n";
  for (const auto& t : r.trace) {
    std::string indent(2 + 2 * static_cast<std::size_t>(t.depth), ' ');
    std::cout << indent << text::Printable(t.term.empty() ? "[" + t.domain + "]" : t.term, 1024)
              << " -> " << t.outcome << "\n";
  }
  std::cout << "queries:\n";
  for (const auto& x : r.queries) {
    std::cout << std::string(2 + 2 * static_cast<std::size_t>(x.depth), ' ')
              << spf::QueryTypeName(x.type) << " " << text::Printable(x.name, 1024) << " -> "
              << spf::DnsStatusName(x.status) << " (" << x.answers << " answers)\n";
  }
}

}  // namespace

// Reads a zone file (`--zone`) into `zone`: the YAML, then the same checks
// the suite lint makes (record types, addresses), each problem printed with
// its file, line and column. Returns kExitOk, kExitUsage (unreadable) or
// kExitInvalid (malformed).
int LoadZoneFile(const std::string& path, conformance::OpenspfZone& zone) {
  auto text = ReadInput(path, kMaxZoneBytes);
  if (!text) {
    return kExitUsage;
  }
  auto doc = conformance::ParseOpenspfZone(*text);
  if (!doc) {
    for (const auto& d : doc.diagnostics()) {
      std::cerr << path << ":" << d.line << ":" << d.column << ": " << d.id << ": " << d.Text()
                << "\n";
    }
    return kExitInvalid;
  }
  conformance::OpenspfFile file;
  file.path = path;
  file.origin = conformance::OpenspfOrigin::kThirdParty;
  file.documents.push_back(*doc);
  auto problems = conformance::LintOpenspfFile(file, {});
  if (!problems.empty()) {
    for (const auto& p : problems) {
      std::cerr << p << "\n";
    }
    return kExitInvalid;
  }
  if (auto err = zone.Load(*doc)) {
    std::cerr << "mxconform: " << path << ": " << *err << "\n";
    return kExitInvalid;
  }
  return kExitOk;
}

// "RESULT:DOMAIN" (pass:example.com) into an identifier; with `selector`,
// "RESULT:DOMAIN:SELECTOR" too (a DKIM s=; a domain has no ':').
std::optional<dmarc::AuthIdentifier> ParseIdentifier(const std::string& s, bool selector) {
  const std::size_t colon = s.find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  auto r = dmarc::ParseAuthResult(s.substr(0, colon));
  if (!r) {
    return std::nullopt;
  }
  const std::size_t second = s.find(':', colon + 1);
  if (second != std::string::npos && (!selector || second + 1 == s.size())) {
    return std::nullopt;
  }
  if (second == std::string::npos) {
    return dmarc::AuthIdentifier{*r, s.substr(colon + 1)};
  }
  return dmarc::AuthIdentifier{*r, s.substr(colon + 1, second - colon - 1), s.substr(second + 1)};
}

// One DMARC query per line: "  TXT _dmarc.x -> NOERROR (1 answers)".
void PrintQueries(const std::vector<dmarc::DnsQuery>& queries) {
  for (const auto& q : queries) {
    std::cout << "  " << q.Key() << " -> " << spf::DnsStatusName(q.status) << " (" << q.answers
              << " answers)\n";
  }
}

// `eval dmarc` with several --from: the verdict, then each author.
void PrintAuthors(const dmarc::MultiEvalResult& r, bool json) {
  if (json) {
    std::cout << conformance::ToJson(r).dump(2) << "\n";
    return;
  }
  std::cout << dmarc::DmarcResultName(r.result) << " (" << r.reason << ")\n";
  // An empty author domain (a From address without one) is named.
  const auto shown = [](const std::string& d) { return d.empty() ? "(empty)" : ForTerminal(d); };
  if (r.decided_by) {
    std::cout << "decided by: " << shown(r.authors[*r.decided_by].author_domain)
              << ", disposition: " << dmarc::DispositionName(r.disposition) << "\n";
  }
  for (const auto& a : r.authors) {
    std::cout << "author " << shown(a.author_domain) << ": " << dmarc::DmarcResultName(a.result)
              << " (" << ForTerminal(a.reason) << ")\n";
    PrintQueries(a.queries);
  }
  for (const auto& d : r.skipped) {
    std::cout << "not evaluated: " << text::Printable(d) << "\n";
  }
  if (!r.authors.empty()) {
    std::cout << "Authentication-Results: " << r.AuthenticationResults() << "\n";
  }
}

// `eval dmarc`: discovery, alignment and policy against a zone file.
void AddEvalDmarc(CLI::App& eval, int& rc) {
  auto* cmd = eval.add_subcommand(
      "dmarc",
      "RFC 9989 / RFC 7489 DMARC evaluation against a zone file: result, policy, "
      "alignment, queries");
  struct Opts {
    std::vector<std::string> from;
    std::string multi_from = "by-mode";
    std::size_t max_from = 10;
    std::string spf;
    std::vector<std::string> dkim;
    std::string zone;
    std::string mode = "bis";
    int labels = 8;
    double random = 0;
    bool reports = false;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--from", o->from,
                  "The RFC5322.From domain; repeat it for a From field with several addresses")
      ->required();
  cmd->add_option("--multi-from", o->multi_from,
                  "Several From domains: by-mode (7489: strictest failing policy, RFC 7489 "
                  "§6.6.1; bis: exempt, RFC 9989 §5.3.1), strictest or exempt")
      ->check(
          [](const std::string& s) {
            return dmarc::ParseMultiAuthorRule(s) ? std::string()
                                                  : "not by-mode, strictest or exempt: " + s;
          },
          "by-mode|strictest|exempt")
      ->capture_default_str();
  cmd->add_option("--max-from-domains", o->max_from,
                  "Distinct From domains evaluated at most (RFC 9989 \"Denial of DMARC Processing "
                  "Attacks\"); past it the "
                  "evaluation is incomplete")
      ->check(CLI::Range(std::size_t{1}, dmarc::MultiAuthorOptions::kMostDomains))
      ->capture_default_str();
  cmd->add_option("--spf", o->spf, "The MAIL FROM SPF result and domain, RESULT:DOMAIN");
  cmd->add_option("--dkim", o->dkim,
                  "A DKIM result, d= domain and optionally s= selector, "
                  "RESULT:DOMAIN[:SELECTOR] (repeatable)");
  cmd->add_option("--zone", o->zone,
                  "Zone file: YAML map of name to records in the openspf `zonedata` format; "
                  "names not listed are NXDOMAIN, their ancestors exist")
      ->required();
  cmd->add_option("--mode", o->mode, "bis (RFC 9989) or 7489")
      ->check(CLI::IsMember({"bis", "7489"}))
      ->capture_default_str();
  cmd->add_option("--tree-walk-labels", o->labels,
                  "bis tree-walk shortcut: 8 (RFC 9989) or 5 (drafts -04 to -30)")
      ->check(CLI::IsMember({5, 8}))
      ->capture_default_str();
  cmd->add_option("--random", o->random, "7489 pct sampling draw in [0,1)")
      ->check(FiniteRange(0.0, 0.999999))
      ->capture_default_str();
  cmd->add_flag("--check-reports", o->reports,
                "Also run the RFC 9990 §4 external report destination check on rua");
  cmd->add_flag("--json", o->json, "Print the whole result as JSON");
  cmd->callback([o, &rc] {
    dmarc::EvalInput in;
    in.from_domain = o->from.front();
    in.discovery.mode = o->mode == "7489" ? dmarc::Mode::k7489 : dmarc::Mode::kBis;
    in.discovery.tree_walk_labels = o->labels;
    const double draw = o->random;
    in.random = [draw] { return draw; };
    if (!o->spf.empty()) {
      in.spf = ParseIdentifier(o->spf, false);
      if (!in.spf) {
        std::cerr << "mxconform: --spf " << o->spf << ": not RESULT:DOMAIN\n";
        rc = kExitUsage;
        return;
      }
    }
    for (const auto& d : o->dkim) {
      auto id = ParseIdentifier(d, true);
      if (!id) {
        std::cerr << "mxconform: --dkim " << d << ": not RESULT:DOMAIN[:SELECTOR]\n";
        rc = kExitUsage;
        return;
      }
      in.dkim.push_back(*id);
    }
    FixedClock clock(0);
    conformance::OpenspfZone zone(clock);
    zone.SetEmptyNonTerminals(true);
    if ((rc = LoadZoneFile(o->zone, zone)) != kExitOk) {
      return;
    }
    if (o->from.size() > 1) {
      dmarc::MultiAuthorOptions mo;
      mo.rule = *dmarc::ParseMultiAuthorRule(o->multi_from);  // checked by the option
      mo.max_domains = o->max_from;
      PrintAuthors(dmarc::EvaluateAuthors(o->from, in, zone, mo), o->json);
      rc = kExitOk;
      return;
    }
    dmarc::EvalResult r = dmarc::Evaluate(in, zone);
    std::optional<dmarc::ReportCheck> reports;
    if (o->reports && r.record) {
      dmarc::DmarcLookups lookups(zone, in.discovery);
      reports = dmarc::CheckReportDestinations(*r.record, r.policy_domain, lookups);
    }
    if (o->json) {
      nlohmann::json j = conformance::ToJson(r);
      if (reports) {
        j["rua_destinations"] = reports->destinations;
        j["rua_retry"] = reports->retry;
        nlohmann::json q = nlohmann::json::array();
        for (const auto& x : reports->queries) {
          q.push_back(x.Key());
        }
        j["report_queries"] = q;
      }
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << dmarc::DmarcResultName(r.result) << " (" << r.reason << ")\n";
      if (r.policy) {
        std::cout << "policy: " << dmarc::DispositionName(*r.policy) << " (" << WrittenTag(r)
                  << (r.existence_unknown
                          ? "; the existence check failed, so the milder of sp and np"
                          : "")
                  << "), disposition: " << dmarc::DispositionName(r.disposition) << "\n";
      }
      if (!r.org_domain.empty()) {
        std::cout << "organizational domain: " << r.org_domain << "\n";
      }
      std::cout << "alignment: spf " << (r.spf_aligned ? "aligned" : "not aligned") << ", dkim "
                << (r.dkim_aligned ? "aligned" : "not aligned") << "\n";
      for (const auto& id : r.identifiers) {
        std::cout << "  " << text::Printable(id.Text(), 200) << "\n";
      }
      std::cout << "Authentication-Results: " << r.AuthenticationResults() << "\n";
      std::cout << "queries:\n";
      PrintQueries(r.queries);
      PrintQueries(r.existence_queries);
      if (reports) {
        std::cout << "report destinations:";
        for (const auto& d : reports->destinations) {
          std::cout << " " << d;
        }
        std::cout << "\n";
      }
    }
    rc = kExitOk;
  });
}

void AddEval(CLI::App& app, int& rc) {
  auto* eval = app.add_subcommand("eval", "Evaluate a policy against an in-memory world");
  eval->require_subcommand(1);
  auto* cmd = eval->add_subcommand(
      "spf",
      "RFC 7208 check_host() against a zone file: result, Received-SPF header, the reply to "
      "MAIL FROM, lookups");
  struct Opts {
    std::string ip;
    std::string sender;
    std::string helo;
    std::string zone;
    std::string identity = "mailfrom";
    std::string receiver = "unknown";
    std::int64_t now = 0;
    unsigned lookups = 10;
    unsigned voids = 2;
    std::string status_codes = "rfc7208";
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--ip", o->ip, "The SMTP client's address (IPv4 or IPv6)")->required();
  cmd->add_option("--sender", o->sender, "MAIL FROM address (empty for a null reverse-path)");
  cmd->add_option("--helo", o->helo, "HELO/EHLO name");
  cmd->add_option("--zone", o->zone,
                  "Zone file: YAML map of name to records in the openspf `zonedata` format "
                  "(TXT, A, AAAA, MX, PTR, CNAME, TIMEOUT); names not listed are NXDOMAIN")
      ->required();
  cmd->add_option("--identity", o->identity, "mailfrom (RFC 7208 §2.4) or helo (§2.3)")
      ->check(CLI::IsMember({"mailfrom", "helo"}))
      ->capture_default_str();
  cmd->add_option("--receiver", o->receiver, "%{r}: the receiving host's name")
      ->capture_default_str();
  cmd->add_option("--now", o->now, "%{t}: Unix time")->capture_default_str();
  cmd->add_option("--max-lookups", o->lookups, "DNS-lookup term limit (RFC 7208 §4.6.4)")
      ->check(CLI::Range(0u, 1000u))
      ->capture_default_str();
  cmd->add_option("--max-void", o->voids, "Void lookup limit (RFC 7208 §4.6.4)")
      ->check(CLI::Range(0u, 1000u))
      ->capture_default_str();
  cmd->add_option("--status-codes", o->status_codes,
                  "Enhanced status codes of the reply to MAIL FROM: rfc7208 (5.7.1, 4.4.3, "
                  "5.5.2) or rfc7372 (5.7.23, 4.7.24, 5.7.24)")
      ->check(CLI::IsMember({"rfc7208", "rfc7372"}))
      ->capture_default_str();
  cmd->add_flag("--json", o->json,
                "Print the result, counters, queries, trace and SMTP reply as JSON");
  cmd->callback([o, &rc] {
    auto ip = spf::ParseIp(o->ip);
    if (!ip) {
      std::cerr << "mxconform: --ip " << o->ip << ": not an IPv4 or IPv6 address\n";
      rc = kExitUsage;
      return;
    }
    if (o->identity == "helo" && o->helo.empty()) {
      std::cerr << "mxconform: --identity helo needs --helo\n";
      rc = kExitUsage;
      return;
    }
    FixedClock clock(o->now);
    conformance::OpenspfZone zone(clock);
    if ((rc = LoadZoneFile(o->zone, zone)) != kExitOk) {
      return;
    }
    spf::EvalInput in;
    in.ip = *ip;
    in.sender = o->sender;
    in.helo = o->helo;
    in.receiver = o->receiver;
    in.now = o->now;
    spf::EvalLimits limits;
    limits.dns_terms = o->lookups;
    limits.void_lookups = o->voids;
    limits.clock = &clock;
    spf::EvalResult r = o->identity == "helo" ? spf::CheckHelo(in, zone, limits)
                                              : spf::CheckMailFrom(in, zone, limits);
    // What a receiver that rejects on fail and permerror and defers on
    // temperror answers to MAIL FROM (RFC 7208 §8).
    spf::ReceiverPolicy policy;
    policy.codes = *spf::ParseStatusCodes(o->status_codes);  // checked by CLI11
    const spf::MailReply reply = spf::ReplyToMail(r, o->identity, *ip, policy);
    if (o->json) {
      nlohmann::json j = conformance::ToJson(r);
      j["identity"] = o->identity;
      j["received_spf"] = spf::ReceivedSpfHeader(r, in, o->identity);
      j["smtp_reply"] = conformance::ToJson(reply);
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << spf::SpfResultName(r.result) << " (" << r.reason;
      if (!r.detail.empty()) {
        std::cout << ": " << r.detail;
      }
      std::cout << ")\n";
      if (!r.explanation.empty()) {
        std::cout << "explanation: " << r.explanation << "\n";
      }
      std::cout << spf::ReceivedSpfHeader(r, in, o->identity) << "\n";
      std::string wire = spf::FormatReply(reply);
      std::cout << "reply to MAIL FROM (" << spf::DispositionName(reply.disposition) << "):\n";
      for (std::size_t b = 0; b < wire.size();) {
        const std::size_t e = wire.find("\r\n", b);
        std::cout << "  " << wire.substr(b, e - b) << "\n";
        b = e + 2;
      }
      PrintTree(r);
    }
    // The evaluation ran: its verdict is in the output, not the exit code.
    rc = kExitOk;
  });
  AddEvalDmarc(*eval, rc);
}

}  // namespace mxconform::cli
