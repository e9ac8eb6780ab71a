// `mxconform lab dns`: the mock DNS server in the foreground, for pointing
// software (dig, an MTA, a resolver) at a zone by hand. `mxconform lab
// receiver`: the reference receiver (SPF at MAIL FROM) over such a zone.
// `mxconform lab scenario`: a scenario's mocks.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "cli/cli.h"
#include "common/text.h"
#include "conformance/runner/mock_zone.h"
#include "conformance/runner/scenario.h"
#include "mocks/dns/responder.h"
#include "mocks/dns/server.h"
#include "mocks/smtp/server.h"
#include "net/stub_resolver.h"
#include "spf/ip.h"
#include "spf/receiver.h"
#include "tlsrpt/submission.h"

namespace mxconform::cli {
namespace {

// The server's clock for time-ranged faults: seconds since the lab started.
class ElapsedClock final : public Clock {
 public:
  UnixSeconds Now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                            start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// "127.0.0.1:5353", "[::1]:5353"; false if it is neither.
bool SplitListen(const std::string& s, std::string& address, std::uint16_t& port) {
  std::string host;
  std::string digits;
  if (!s.empty() && s[0] == '[') {
    const auto close = s.find("]:");
    if (close == std::string::npos) {
      return false;
    }
    host = s.substr(1, close - 1);
    digits = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || s.find(':') != colon) {
      return false;
    }
    host = s.substr(0, colon);
    digits = s.substr(colon + 1);
  }
  if (host.empty() || digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos || std::stoul(digits) > 65535) {
    return false;
  }
  address = host;
  port = static_cast<std::uint16_t>(std::stoul(digits));
  return true;
}

// "127.0.0.1:53", "[::1]:53".
std::string HostPort(const std::string& address, std::uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

// A zone file served by the mock DNS server, for `lab dns` and `lab
// receiver`; the clock of its time-ranged faults starts with it.
struct LabDns {
  ElapsedClock clock;
  std::size_t names = 0;
  std::size_t rules = 0;
  std::unique_ptr<mocks::dns::Responder> responder;
  std::unique_ptr<mocks::dns::Server> server;
};

// The zone file at `path`; nullopt, with the reason printed and rc set
// (2: unreadable or too large, as for `eval`; 1: it does not load).
// Called before the stop signals are blocked: reading a FIFO can wait for
// a writer, and Ctrl-C must still end that.
std::optional<conformance::MockZone> LoadLabZone(const std::string& path, int& rc) {
  auto zone = conformance::LoadMockZoneFile(path);
  if (!zone) {
    std::cerr << "mxconform: " << text::Printable(path, 256) << ": " << zone.error().Text() << " ["
              << zone.error().id << "]\n";
    const bool unreadable =
        zone.error().id == "zone.unreadable" || zone.error().id == "zone.too_large";
    rc = unreadable ? kExitUsage : kExitInvalid;
    return std::nullopt;
  }
  return std::move(*zone);
}

// `zone` served on `listen`; nullptr, with the reason printed and rc set
// to 2 (the address is bad or taken), otherwise. `observer` sees every
// query.
std::unique_ptr<LabDns> StartLabDns(conformance::MockZone zone, const std::string& listen,
                                    std::function<void(const mocks::dns::LogEntry&)> observer,
                                    int& rc) {
  std::string address;
  std::uint16_t port = 0;
  if (!SplitListen(listen, address, port)) {
    std::cerr << "mxconform: expected ADDRESS:PORT to listen on, got '" << listen << "'\n";
    rc = kExitUsage;
    return nullptr;
  }
  auto lab = std::make_unique<LabDns>();
  lab->names = zone.zone.NameCount();
  lab->rules = zone.rules.size();
  lab->responder =
      std::make_unique<mocks::dns::Responder>(std::move(zone.zone), std::move(zone.rules),
                                              mocks::dns::ResponderOptions{.clock = &lab->clock});
  if (observer) {
    lab->responder->SetObserver(std::move(observer));
  }
  mocks::dns::ServerOptions so;
  so.address = address;
  so.port = port;
  auto server = mocks::dns::Server::Start(*lab->responder, so);
  if (!server) {
    std::cerr << "mxconform: cannot serve DNS on " << listen << ": " << server.error().Text()
              << "\n";
    rc = kExitUsage;
    return nullptr;
  }
  lab->server = std::move(*server);
  return lab;
}

// Ctrl-C, SIGTERM and `more`, blocked here so that the servers' threads,
// started after, inherit the mask; the caller sigwait()s on the set.
sigset_t BlockStopSignals(std::initializer_list<int> more = {}) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  for (int sig : more) {
    sigaddset(&stop_signals, sig);
  }
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

void AddLabDns(CLI::App& lab, int& rc) {
  auto* cmd = lab.add_subcommand(
      "dns",
      "Serve a zone file on UDP and TCP until Ctrl-C, printing every query (the mock DNS "
      "server; the zone format is in conformance/README.md, \"Mock DNS zones\")");
  struct Opts {
    std::string zone;
    std::string listen = "127.0.0.1:5353";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--zone", o->zone, "Zone file (YAML)")->required();
  cmd->add_option("--listen", o->listen, "ADDRESS:PORT ([v6]:PORT; port 0 picks a free one)")
      ->capture_default_str();
  cmd->callback([o, &rc] {
    auto zone = LoadLabZone(o->zone, rc);
    if (!zone) {
      return;
    }
    const sigset_t stop_signals = BlockStopSignals();
    std::mutex out_mu;
    auto dns = StartLabDns(
        std::move(*zone), o->listen,
        [&out_mu](const mocks::dns::LogEntry& e) {
          std::lock_guard lock(out_mu);
          std::cout << e.Text() << std::endl;  // flushed: the lab is read live
        },
        rc);
    if (!dns) {
      return;
    }
    {
      std::lock_guard lock(out_mu);
      std::cout << "mxconform lab dns: " << dns->names << " names, " << dns->rules
                << " fault rule(s), listening on udp+tcp "
                << HostPort(dns->server->address(), dns->server->port()) << " (Ctrl-C stops)"
                << std::endl;
    }
    int sig = 0;
    sigwait(&stop_signals, &sig);
    dns->server->Stop();
    std::lock_guard lock(out_mu);
    std::cout << "mxconform lab dns: stopped after " << dns->responder->logged() << " queries"
              << std::endl;
    rc = kExitOk;
  });
}

void AddLabReceiver(CLI::App& lab, int& rc) {
  auto* cmd = lab.add_subcommand(
      "receiver",
      "The reference receiver until Ctrl-C: an SMTP server that checks SPF at MAIL FROM with the "
      "client's address (RFC 7208 §2.5, §8) and refuses null-MX senders (RFC 7505), against a "
      "zone served by the mock DNS server; prints each decision");
  struct Opts {
    std::string zone;
    std::string listen = "127.0.0.1:2525";
    std::string dns_listen = "127.0.0.1:0";
    std::string status_codes = "rfc7208";
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--zone", o->zone, "Zone file (YAML, as for lab dns)")->required();
  cmd->add_option("--listen", o->listen, "SMTP ADDRESS:PORT ([v6]:PORT; port 0 picks one)")
      ->capture_default_str();
  cmd->add_option("--dns-listen", o->dns_listen, "The mock DNS server's ADDRESS:PORT")
      ->capture_default_str();
  cmd->add_option("--status-codes", o->status_codes,
                  "Enhanced status codes: rfc7208 (5.7.1, 4.4.3, 5.5.2) or rfc7372 (5.7.23, "
                  "4.7.24, 5.7.24)")
      ->check(CLI::IsMember({"rfc7208", "rfc7372"}))
      ->capture_default_str();
  cmd->callback([o, &rc] {
    std::string address;
    std::uint16_t port = 0;
    if (!SplitListen(o->listen, address, port)) {
      std::cerr << "mxconform: --listen: expected ADDRESS:PORT, got '" << o->listen << "'\n";
      rc = kExitUsage;
      return;
    }
    auto zone = LoadLabZone(o->zone, rc);
    if (!zone) {
      return;
    }
    const sigset_t stop_signals = BlockStopSignals();
    auto dns = StartLabDns(std::move(*zone), o->dns_listen, {}, rc);
    if (!dns) {
      return;
    }
    net::StubOptions stub_opts;
    stub_opts.address = dns->server->address();
    stub_opts.port = dns->server->port();
    stub_opts.attempt_timeout = std::chrono::milliseconds(1000);
    stub_opts.deadline = std::chrono::milliseconds(3000);
    auto stub = net::StubResolver::Create(stub_opts);
    if (!stub) {
      std::cerr << "mxconform: " << stub.error().Text() << "\n";
      rc = kExitUsage;
      return;
    }
    spf::ReceiverPolicy policy;
    policy.codes = *spf::ParseStatusCodes(o->status_codes);  // checked by CLI11
    std::mutex out_mu;
    mocks::smtp::ServerOptions so;
    so.address = address;
    so.port = port;
    so.starttls = mocks::smtp::StartTls::kAbsent;  // SPF is the point here, not TLS
    // Runs on the SMTP server's thread, the only user of the stub resolver.
    so.on_mail = [&](const mocks::smtp::MailContext& m) {
      const auto ip = spf::ParseIp(m.client);
      const std::string reply =
          ip ? spf::FormatReply(spf::CheckAtMail(*ip, m.helo, m.reverse_path, *stub, policy),
                                /*final_crlf=*/false)
             : std::string("451 4.3.0 client address unknown");
      std::lock_guard lock(out_mu);
      std::cout << "MAIL FROM:<" << text::Printable(m.reverse_path, 256) << "> from " << m.client
                << " (HELO " << text::Printable(m.helo, 256)
                << "): " << reply.substr(0, reply.find("\r\n")) << std::endl;
      return reply;
    };
    auto smtp = mocks::smtp::Server::Start(so);
    if (!smtp) {
      std::cerr << "mxconform: cannot serve SMTP on " << o->listen << ": " << smtp.error().Text()
                << "\n";
      dns->server->Stop();
      rc = kExitUsage;
      return;
    }
    {
      std::lock_guard lock(out_mu);
      std::cout << "mxconform lab receiver: SMTP on " << (*smtp)->endpoint() << ", DNS on "
                << HostPort(dns->server->address(), dns->server->port()) << " (Ctrl-C stops)"
                << std::endl;
      nlohmann::json info = {{"smtp", (*smtp)->endpoint()},
                             {"dns", HostPort(dns->server->address(), dns->server->port())}};
      std::cout << info.dump() << std::endl;
    }
    int sig = 0;
    sigwait(&stop_signals, &sig);
    (*smtp)->Stop();
    dns->server->Stop();
    std::lock_guard lock(out_mu);
    std::cout << "mxconform lab receiver: stopped" << std::endl;
    rc = kExitOk;
  });
}

// The scenario's clock, running: the scenario's start plus the seconds
// since the lab started (so time-ranged DNS knobs fire as they would),
// plus whatever Advance() added (read by the DNS server's thread).
class ScenarioClock final : public Clock {
 public:
  explicit ScenarioClock(UnixSeconds start) : start_(start) {}
  UnixSeconds Now() const override { return start_ + elapsed_.Now() + skipped_.load(); }
  void Advance(UnixSeconds seconds) { skipped_ += seconds; }

 private:
  UnixSeconds start_;
  ElapsedClock elapsed_;
  std::atomic<UnixSeconds> skipped_{0};
};

// The first scenario time after `now` at which something changes: a
// host's later phase begins, or a DNS fault's time range starts or ends.
// A TLS-RPT report that software under test sent to the lab (POSTed to
// an https host or mailed to an MX), read as a Policy Domain reads it
// (tlsrpt/submission.h): whose report, on which domains, the session
// counts and the warnings; or why it is not an RFC 8460 report.
std::string DescribeReport(const Result<tlsrpt::Submission>& read) {
  if (!read) {
    return "not an RFC 8460 report: " + read.error().Text();
  }
  const tlsrpt::Report& r = read->report;
  std::set<std::string> domains;
  std::uint64_t successful = 0;
  std::uint64_t failed = 0;
  for (const auto& p : r.policies) {
    domains.insert(p.policy_domain);
    successful += p.total_successful_session_count;
    failed += p.total_failure_session_count;
  }
  std::string out = "an RFC 8460 report from \"" + r.organization_name + "\" on " +
                    text::Join(std::vector<std::string>(domains.begin(), domains.end()), ", ") +
                    ": " + std::to_string(successful) + " successful and " +
                    std::to_string(failed) + " failed sessions" +
                    (read->gzip ? ", gzip" : ", not gzip");
  for (const auto& d : read->diagnostics) {
    out += "\n        warning: " + d.Text();
  }
  return out;
}

// True if a message's header section announces a TLS-RPT report (RFC
// 8460 §5.3): a TLS-Report-Domain field or report-type="tlsrpt".
bool LooksLikeReportMail(std::string_view message) {
  const std::string head = "\n" + text::ToLowerCopy(message.substr(0, message.find("\r\n\r\n")));
  return head.find("\ntls-report-domain:") != std::string::npos ||
         head.find("report-type=\"tlsrpt\"") != std::string::npos ||
         head.find("report-type=tlsrpt") != std::string::npos;
}

std::optional<UnixSeconds> NextChange(const conformance::Scenario& s, UnixSeconds now) {
  std::optional<UnixSeconds> next;
  auto consider = [&](std::optional<UnixSeconds> t) {
    if (t && *t > now && (!next || *t < *next)) {
      next = t;
    }
  };
  for (const auto& [host, h] : s.https) {
    for (const auto& phase : h.later) {
      consider(phase.at);
    }
  }
  for (const auto& [host, h] : s.smtp) {
    for (const auto& phase : h.later) {
      consider(phase.at);
    }
  }
  for (const auto& rule : s.dns.rules) {
    consider(rule.from);
    consider(rule.until);
  }
  return next;
}

// The `later` phases of `hosts` (the https or the smtp ones): when each
// begins, where it listens on a port of its own, and whether it is down.
template <typename Hosts>
nlohmann::json LaterPhases(
    const Hosts& hosts,
    const std::map<std::string, std::vector<std::pair<UnixSeconds, std::string>>>& phases) {
  nlohmann::json later = nlohmann::json::object();
  for (const auto& [host, h] : hosts) {
    const auto& listed = phases.at(host);  // [0] is the host itself
    for (std::size_t i = 0; i < h.later.size() && i + 1 < listed.size(); ++i) {
      later[host].push_back({{"from", h.later[i].at},
                             {"address", listed[i + 1].second},
                             {"down", h.later[i].spec->down}});
    }
  }
  return later;
}

void AddLabScenario(CLI::App& lab, int& rc) {
  auto* cmd = lab.add_subcommand(
      "scenario",
      "Start a scenario's mocks (DNS, policy hosts, MX servers) on loopback until Ctrl-C, print "
      "where they listen and the CA bundle, and log every request");
  struct Opts {
    std::string scenario;
    std::string root = DefaultScenariosDir();
    std::string bundle;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("scenario", o->scenario, "A scenario file, or an id under --scenarios-root")
      ->required();
  cmd->add_option("--scenarios-root", o->root, "Where scenario ids start")->capture_default_str();
  cmd->add_option("--ca-bundle", o->bundle,
                  "Write the trusted roots here (default: a file in a new temporary folder)");
  cmd->callback([o, &rc] {
    std::filesystem::path file = o->scenario;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      file = std::filesystem::path(o->root) / (o->scenario + ".yaml");
    }
    auto s = conformance::LoadScenario(file);
    if (!s) {
      std::cerr << "mxconform: " << file.string() << ": " << s.error().Text() << " ["
                << s.error().id << "]\n";
      rc = ec || !std::filesystem::exists(file) ? kExitUsage : kExitInvalid;
      return;
    }
    // SIGINT and SIGTERM stop the lab; SIGUSR1 moves the scenario clock.
    sigset_t stop_signals = BlockStopSignals({SIGUSR1});

    ScenarioClock clock(s->clock);
    const UnixSeconds now = SystemClock().Now();
    auto world = conformance::ScenarioWorld::Start(*s, clock, now);
    if (!world) {
      std::cerr << "mxconform: " << world.error().Text() << "\n";
      rc = kExitUsage;
      return;
    }
    conformance::ScenarioWorld& w = **world;
    std::string bundle = o->bundle;
    // The temporary folder of the bundle goes when the lab stops, on every
    // path out (one was left behind per run).
    struct TempDir {
      std::string path;
      ~TempDir() {
        if (!path.empty()) {
          std::error_code ec;
          std::filesystem::remove_all(path, ec);
        }
      }
    } temp;
    if (bundle.empty()) {
      char dir[] = "/tmp/mxconform-lab-XXXXXX";
      if (mkdtemp(dir) == nullptr) {
        std::cerr << "mxconform: cannot make a temporary folder\n";
        rc = kExitUsage;
        return;
      }
      temp.path = dir;
      bundle = std::string(dir) + "/ca.pem";
    }
    {
      std::ofstream out(bundle, std::ios::binary);
      out << w.bundle_pem;
      if (!out) {
        std::cerr << "mxconform: cannot write " << bundle << "\n";
        rc = kExitUsage;
        return;
      }
    }
    std::mutex out_mu;
    w.responder->SetObserver([&out_mu](const mocks::dns::LogEntry& e) {
      std::lock_guard lock(out_mu);
      std::cout << "dns   " << e.Text() << std::endl;
    });
    const std::string dns = "127.0.0.1:" + std::to_string(w.dns_server->port());
    // A host follows the scenario clock: when one of its `later` phases
    // begins, its own address behaves as that phase (Follow). Each phase
    // also listens on a port of its own from the start.
    const nlohmann::json later = LaterPhases(s->https, w.https_phases);
    const nlohmann::json smtp_later = LaterPhases(s->smtp, w.smtp_phases);
    nlohmann::json down_addresses = nlohmann::json::array();
    for (const auto& [pair, endpoint] : w.smtp_address_endpoints) {
      down_addresses.push_back(
          {{"host", pair.first}, {"address", pair.second}, {"route_to", endpoint}});
    }
    nlohmann::json j = {{"scenario", s->id},
                        {"dns", dns},
                        {"https", w.https_addresses},
                        {"https_later", later},
                        {"smtp", w.smtp_addresses},
                        {"smtp_later", smtp_later},
                        {"smtp_down_addresses", down_addresses},
                        {"ca_bundle", bundle},
                        {"pid", static_cast<long>(getpid())}};
    if (!s->sender_names.empty()) {
      j["sender_names"] = s->sender_names;
    }
    auto print_later = [&](const char* kind, const std::string& host, const nlohmann::json& all) {
      for (const auto& phase : all.value(host, nlohmann::json::array())) {
        const UnixSeconds from = phase["from"];
        std::cout << "  " << kind << host << " as from " << from << " (scenario start + "
                  << from - s->clock << " s)" << (phase["down"].get<bool>() ? ", down," : "")
                  << " at " << phase["address"].get<std::string>() << "\n";
      }
    };
    {
      std::lock_guard lock(out_mu);
      std::cout << "mxconform lab scenario " << s->id << " (" << s->title << ")\n";
      std::cout << "  dns   " << dns << " (udp+tcp); unbound: forward-addr: 127.0.0.1@"
                << w.dns_server->port() << "; dig @127.0.0.1 -p " << w.dns_server->port()
                << " NAME TYPE\n";
      for (const auto& [host, addr] : w.https_addresses) {
        std::cout << "  https " << host << (s->https.at(host).down ? ", down," : "") << " at "
                  << addr << "\n";
        print_later("https ", host, later);
      }
      for (const auto& [host, addr] : w.smtp_addresses) {
        std::cout << "  smtp  " << host << (s->smtp.at(host).down ? ", down," : "") << " at "
                  << addr << "\n";
        print_later("smtp  ", host, smtp_later);
        for (const auto& address : s->smtp.at(host).down_addresses) {
          std::cout << "  smtp  " << host << " at its address " << address
                    << " refuses connections: route that address to "
                    << w.smtp_address_endpoints.at({host, address}) << "\n";
        }
      }
      std::cout << "  CA bundle (trusted roots): " << bundle << "\n";
      if (!s->sender_names.empty()) {
        std::cout << "  the software under test is known as an MX host by these names (give it "
                     "them as its own, e.g. Postfix myhostname):";
        for (const auto& name : s->sender_names) {
          std::cout << " " << name;
        }
        std::cout << "\n";
      }
      std::cout << "  certificates are valid relative to now; the scenario clock runs from the "
                   "scenario's start: DNS time ranges follow it, and a host's address behaves "
                   "as its phase in force (each phase also listens on its own port)\n";
      const auto next = NextChange(*s, clock.Now());
      if (next) {
        std::cout << "  kill -USR1 " << getpid() << " moves the scenario clock to its next "
                  << "change (scenario start + " << *next - s->clock << " s)\n";
      }
      std::cout << j.dump() << "\n(Ctrl-C stops)" << std::endl;
    }
    // Live logs of the policy hosts and MX servers: polled, printed once.
    std::map<std::string, std::size_t> https_seen;
    std::vector<std::size_t> later_seen(w.https_later.size());
    std::map<std::string, std::size_t> smtp_seen;
    std::vector<std::size_t> smtp_later_seen(w.smtp_later.size());
    const timespec tick{0, 200 * 1000 * 1000};
    // A policy host's requests not printed yet, under `label`.
    auto print_https = [&](const std::string& label, const mocks::https::Server& server,
                           std::size_t& seen) {
      auto log = server.Log();
      for (std::size_t i = seen; i < log.size(); ++i) {
        std::lock_guard lock(out_mu);
        // The client's words escaped, as the DNS log's are: an SNI or
        // target may hold a terminal's control sequences.
        std::cout << "https " << label << " sni=" << text::Printable(log[i].sni, 256) << " "
                  << text::Printable(log[i].method, 32) << " "
                  << text::Printable(log[i].target, 512) << " -> " << log[i].outcome << " ("
                  << text::Printable(log[i].rule, 512) << ")" << std::endl;
        if (log[i].method == "POST") {
          // A TLS-RPT reporter under test POSTing to an https rua.
          std::cout << "      report: "
                    << (log[i].body_dropped ? std::string("the body was dropped from the log")
                                            : DescribeReport(tlsrpt::ReadReportPost(
                                                  log[i].content_type, log[i].body)))
                    << std::endl;
        }
      }
      seen = log.size();
    };
    // An MX's finished sessions not printed yet, under `label`.
    auto print_smtp = [&](const std::string& label, const mocks::smtp::Server& server,
                          std::size_t& seen) {
      auto sessions = server.Sessions();
      for (std::size_t i = seen; i < sessions.size(); ++i) {
        if (!sessions[i].finished) {
          break;  // printed when it ends
        }
        std::lock_guard lock(out_mu);
        std::cout << "smtp  " << label << " session " << sessions[i].id << " from "
                  << sessions[i].peer << ": " << sessions[i].channel
                  << (sessions[i].tls_version.empty() ? "" : " " + sessions[i].tls_version)
                  << (sessions[i].data_completed ? ", delivered" : ", not delivered")
                  << (sessions[i].end.empty() ? "" : " (" + sessions[i].end + ")") << "\n";
        for (const auto& line : sessions[i].transcript) {
          std::cout << "      " << line << "\n";
        }
        // A TLS-RPT reporter under test mailing to a rua=mailto: address.
        for (const auto& d : sessions[i].deliveries) {
          if (LooksLikeReportMail(d.body)) {
            std::cout << "      report mail to " << text::Printable(text::Join(d.rcpt_to, ","), 512)
                      << ": "
                      << (d.size > d.body.size()
                              ? "larger than the " + std::to_string(d.body.size()) +
                                    " octets the log keeps: not read"
                              : DescribeReport(tlsrpt::ReadReportMail(d.body)))
                      << "\n";
          }
        }
        std::cout << std::flush;
        seen = i + 1;
      }
    };
    // Everything logged and not printed yet.
    auto print_logs = [&] {
      for (const auto& [host, server] : w.https) {
        print_https(host, *server, https_seen[host]);
      }
      for (std::size_t k = 0; k < w.https_later.size(); ++k) {
        const auto& phase = w.https_later[k];
        print_https(phase.host + " (phase from " + std::to_string(phase.at) + ")", *phase.server,
                    later_seen[k]);
      }
      for (const auto& [host, server] : w.smtp) {
        print_smtp(host, *server, smtp_seen[host]);
      }
      for (std::size_t k = 0; k < w.smtp_later.size(); ++k) {
        const auto& phase = w.smtp_later[k];
        print_smtp(phase.host + " (phase from " + std::to_string(phase.at) + ")", *phase.server,
                   smtp_later_seen[k]);
      }
    };
    for (;;) {
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      print_logs();
      if (sig == SIGUSR1) {
        const UnixSeconds at = clock.Now();
        const auto next = NextChange(*s, at);
        std::lock_guard lock(out_mu);
        if (next) {
          clock.Advance(*next - at);
          std::cout << "lab   scenario clock moved to " << *next << " (scenario start + "
                    << *next - s->clock << " s)" << std::endl;
        } else {
          std::cout << "lab   nothing changes after scenario start + " << at - s->clock << " s"
                    << std::endl;
        }
      } else if (sig > 0) {
        break;
      }
      auto changed = w.Follow(*s, clock.Now());
      if (!changed) {
        std::lock_guard lock(out_mu);
        std::cout << "lab   " << changed.error().Text() << std::endl;
        continue;
      }
      // The servers taken off: what they logged since the last poll,
      // sessions the switch cut short included ("stopped").
      for (const auto& [host, server] : w.https_retired) {
        print_https(host, *server, https_seen[host]);
      }
      for (const auto& [host, server] : w.smtp_retired) {
        print_smtp(host, *server, smtp_seen[host]);
      }
      w.https_retired.clear();
      w.smtp_retired.clear();
      for (const auto& host : *changed) {
        https_seen[host] = 0;  // a restarted server's logs start afresh
        smtp_seen[host] = 0;
        std::lock_guard lock(out_mu);
        std::cout << "lab   " << host << " switched to its phase in force at scenario start + "
                  << clock.Now() - s->clock << " s" << std::endl;
      }
    }
    w.Stop();
    std::lock_guard lock(out_mu);
    std::cout << "mxconform lab scenario: stopped" << std::endl;
    rc = kExitOk;
  });
}

}  // namespace

void AddLab(CLI::App& app, int& rc) {
  auto* lab = app.add_subcommand("lab", "Run mock servers in the foreground for manual testing");
  lab->require_subcommand(1);
  AddLabDns(*lab, rc);
  AddLabReceiver(*lab, rc);
  AddLabScenario(*lab, rc);
}

}  // namespace mxconform::cli
