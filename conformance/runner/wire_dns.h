// Cases over the wire: the mock DNS server (mocks/dns) on loopback serving
// a case's zone, and the stub resolver (src/net) asking it, so that an SPF
// or DMARC case evaluated in-process can be evaluated again over real
// sockets and the two results compared (`mxconform run --wire`).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "conformance/runner/mock_zone.h"
#include "mocks/dns/responder.h"
#include "mocks/dns/server.h"
#include "net/stub_resolver.h"
#include "spf/resolver.h"

namespace mxconform::conformance {

struct WireDnsOptions {
  // Per try; the openspf TIMEOUT cases wait this long (once per query).
  std::chrono::milliseconds attempt_timeout{250};
  int attempts = 1;
  bool tcp_only = false;  // every query over TCP (RFC 7766 paths)
};

class WireDns final : public ZoneWire {
 public:
  // Starts the server on 127.0.0.1:0 with an empty zone. Errors: those of
  // mocks::dns::Server::Start and net::StubResolver::Create.
  static Result<std::unique_ptr<WireDns>> Start(const WireDnsOptions& opts = {});

  // Serves `zone` (and its knobs) from now on; keeps its DELAY entries for
  // the next resolver; clears the server's log.
  void Serve(const MockZone& zone) override;

  // A resolver for one evaluation: it asks the server through the stub
  // resolver, logs "<TYPE> <name>" as OpenspfZone does, and moves `clock`
  // (if given) by the served zone's DELAY for each name asked.
  class Resolver final : public spf::Resolver {
   public:
    Resolver(WireDns& wire, FixedClock* clock) : wire_(wire), clock_(clock) {}
    spf::DnsAnswer Query(std::string_view name, spf::QueryType type) override;
    const std::vector<std::string>& log() const { return log_; }

   private:
    WireDns& wire_;
    FixedClock* clock_;
    std::vector<std::string> log_;
  };

  std::unique_ptr<spf::Resolver> NewResolver(FixedClock* clock) override {
    return std::make_unique<Resolver>(*this, clock);
  }

  mocks::dns::Responder& responder() { return *responder_; }
  std::uint16_t port() const { return server_->port(); }

 private:
  WireDns() = default;
  std::unique_ptr<mocks::dns::Responder> responder_;
  std::unique_ptr<mocks::dns::Server> server_;
  std::unique_ptr<net::StubResolver> stub_;
  std::map<std::string, std::int64_t> delays_;
};

}  // namespace mxconform::conformance
