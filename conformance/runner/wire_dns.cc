#include "conformance/runner/wire_dns.h"

#include "common/text.h"

namespace mxconform::conformance {

Result<std::unique_ptr<WireDns>> WireDns::Start(const WireDnsOptions& opts) {
  std::unique_ptr<WireDns> w(new WireDns());
  w->responder_ = std::make_unique<mocks::dns::Responder>(dns::Zone());
  auto server = mocks::dns::Server::Start(*w->responder_, mocks::dns::ServerOptions{});
  if (!server) {
    return Result<std::unique_ptr<WireDns>>::Failure(server.diagnostics());
  }
  w->server_ = std::move(*server);
  net::StubOptions so;
  so.address = "127.0.0.1";
  so.port = w->server_->port();
  so.attempt_timeout = opts.attempt_timeout;
  so.attempts = opts.attempts;
  so.deadline = opts.attempt_timeout * (opts.attempts + 1);
  so.tcp_only = opts.tcp_only;
  auto stub = net::StubResolver::Create(so);
  if (!stub) {
    return Result<std::unique_ptr<WireDns>>::Failure(stub.diagnostics());
  }
  w->stub_ = std::make_unique<net::StubResolver>(std::move(*stub));
  return w;
}

void WireDns::Serve(const MockZone& zone) {
  responder_->Reset(zone.zone, zone.rules);
  responder_->ClearLog();
  delays_ = zone.delays;
}

spf::DnsAnswer WireDns::Resolver::Query(std::string_view name, spf::QueryType type) {
  std::string key(name);
  if (!key.empty() && key.back() == '.') {
    key.pop_back();
  }
  key = text::ToLowerCopy(key);
  log_.push_back(std::string(spf::QueryTypeName(type)) + " " + key);
  if (clock_ != nullptr) {
    if (auto d = wire_.delays_.find(key); d != wire_.delays_.end()) {
      clock_->Advance(d->second);
    }
  }
  return wire_.stub_->Query(name, type);
}

}  // namespace mxconform::conformance
