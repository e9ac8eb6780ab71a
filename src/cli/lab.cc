// `mxconform lab dns`: the mock DNS server in the foreground, for pointing
// software (dig, an MTA, a resolver) at a zone by hand.
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>

#include "cli/cli.h"
#include "conformance/runner/mock_zone.h"
#include "mocks/dns/responder.h"
#include "mocks/dns/server.h"

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
    std::string address;
    std::uint16_t port = 0;
    if (!SplitListen(o->listen, address, port)) {
      std::cerr << "mxconform: --listen: expected ADDRESS:PORT, got '" << o->listen << "'\n";
      rc = kExitUsage;
      return;
    }
    auto zone = conformance::LoadMockZoneFile(o->zone);
    if (!zone) {
      std::cerr << "mxconform: " << o->zone << ": " << zone.error().Text() << " ["
                << zone.error().id << "]\n";
      rc = kExitInvalid;
      return;
    }
    // Ctrl-C and SIGTERM are taken by sigwait below; block them before the
    // server's thread starts so that it inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    ElapsedClock clock;
    const std::size_t names = zone->zone.NameCount();
    const std::size_t rules = zone->rules.size();
    mocks::dns::Responder responder(std::move(zone->zone), std::move(zone->rules),
                                    mocks::dns::ResponderOptions{.clock = &clock});
    std::mutex out_mu;
    responder.SetObserver([&out_mu](const mocks::dns::LogEntry& e) {
      std::lock_guard lock(out_mu);
      std::cout << e.Text() << std::endl;  // flushed: the lab is read live
    });
    mocks::dns::ServerOptions so;
    so.address = address;
    so.port = port;
    auto server = mocks::dns::Server::Start(responder, so);
    if (!server) {
      std::cerr << "mxconform: cannot serve on " << o->listen << ": " << server.error().Text()
                << "\n";
      rc = kExitUsage;
      return;
    }
    {
      std::lock_guard lock(out_mu);
      const bool v6 = address.find(':') != std::string::npos;
      std::cout << "mxconform lab dns: " << names << " names, " << rules
                << " fault rule(s), listening on udp+tcp " << (v6 ? "[" : "") << address
                << (v6 ? "]" : "") << ":" << (*server)->port() << " (Ctrl-C stops)" << std::endl;
    }
    int sig = 0;
    sigwait(&stop_signals, &sig);
    (*server)->Stop();
    std::lock_guard lock(out_mu);
    std::cout << "mxconform lab dns: stopped after " << responder.logged() << " queries"
              << std::endl;
    rc = kExitOk;
  });
}

}  // namespace

void AddLab(CLI::App& app, int& rc) {
  auto* lab = app.add_subcommand("lab", "Run mock servers in the foreground for manual testing");
  lab->require_subcommand(1);
  AddLabDns(*lab, rc);
}

}  // namespace mxconform::cli
