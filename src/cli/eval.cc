// `mxconform eval spf`: check_host() against a zone file, printing the
// result, a Received-SPF header and the lookup tree.
#include "spf/eval.h"

#include <iostream>

#include "cli/cli.h"
#include "common/clock.h"
#include "conformance/runner/model_json.h"
#include "conformance/runner/openspf.h"
#include "spf/ip.h"

namespace mxconform::cli {
namespace {

// Zone files are small hand-written YAML; refuse anything huge.
constexpr std::size_t kMaxZoneBytes = std::size_t{16} * 1024 * 1024;

// The evaluation as a tree: each trace step and query indented by its
// include / redirect depth, in the order they happened.
void PrintTree(const spf::EvalResult& r) {
  std::cout << "lookup tree (" << r.dns_terms << " DNS-lookup terms, " << r.void_lookups
            << " void lookups):\n";
  for (const auto& t : r.trace) {
    std::string indent(2 + 2 * static_cast<std::size_t>(t.depth), ' ');
    std::cout << indent << (t.term.empty() ? "[" + t.domain + "]" : t.term) << " -> " << t.outcome
              << "\n";
  }
  std::cout << "queries:\n";
  for (const auto& x : r.queries) {
    std::cout << std::string(2 + 2 * static_cast<std::size_t>(x.depth), ' ')
              << spf::QueryTypeName(x.type) << " " << x.name << " -> "
              << spf::DnsStatusName(x.status) << " (" << x.answers << " answers)\n";
  }
}

}  // namespace

void AddEval(CLI::App& app, int& rc) {
  auto* eval = app.add_subcommand("eval", "Evaluate a policy against an in-memory world");
  eval->require_subcommand(1);
  auto* cmd = eval->add_subcommand(
      "spf", "RFC 7208 check_host() against a zone file: result, Received-SPF header, lookups");
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
  cmd->add_flag("--json", o->json, "Print the result, counters, queries and trace as JSON");
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
    auto text = ReadInput(o->zone, kMaxZoneBytes);
    if (!text) {
      rc = kExitUsage;
      return;
    }
    auto doc = conformance::ParseOpenspfZone(*text);
    if (!doc) {
      for (const auto& d : doc.diagnostics()) {
        std::cerr << o->zone << ":" << d.line << ":" << d.column << ": " << d.id << ": " << d.Text()
                  << "\n";
      }
      rc = kExitInvalid;
      return;
    }
    conformance::OpenspfFile file;
    file.path = o->zone;
    file.origin = conformance::OpenspfOrigin::kThirdParty;
    file.documents.push_back(*doc);
    auto problems = conformance::LintOpenspfFile(file, {});
    if (!problems.empty()) {
      for (const auto& p : problems) {
        std::cerr << p << "\n";
      }
      rc = kExitInvalid;
      return;
    }
    FixedClock clock(o->now);
    conformance::OpenspfZone zone(clock);
    if (auto err = zone.Load(*doc)) {
      std::cerr << "mxconform: " << o->zone << ": " << *err << "\n";
      rc = kExitInvalid;
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
    if (o->json) {
      nlohmann::json j = conformance::ToJson(r);
      j["identity"] = o->identity;
      j["received_spf"] = spf::ReceivedSpfHeader(r, in, o->identity);
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
      PrintTree(r);
    }
    // The evaluation ran: its verdict is in the output, not the exit code.
    rc = kExitOk;
  });
}

}  // namespace mxconform::cli
