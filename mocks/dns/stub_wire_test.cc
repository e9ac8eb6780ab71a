// The stub resolver (src/net) against the mock server over loopback: every
// answer shape and every fault knob, as the evaluators see them through
// spf::Resolver, over UDP and over TCP.
#include <gtest/gtest.h>

#include <memory>

#include "mocks/dns/responder.h"
#include "mocks/dns/server.h"
#include "net/stub_resolver.h"

namespace mxconform::mocks::dns {
namespace {

namespace wire = mxconform::dns;
using spf::DnsStatus;
using spf::QueryType;

Name N(std::string_view s) { return *Name::Parse(s); }

Record Rr(std::string_view owner, wire::RrType type, wire::Rdata data) {
  Record r;
  r.name = N(owner);
  r.type = static_cast<std::uint16_t>(type);
  r.ttl = 60;
  r.rdata = std::move(data);
  return r;
}

Zone TestZone() {
  Zone z;
  z.AddOrigin(N("example.test"));
  z.Add(Rr("example.test", wire::RrType::kTxt, wire::RdataTxt{{"v=spf1 ", "mx ", "-all"}}));
  z.Add(Rr("example.test", wire::RrType::kMx, wire::RdataMx{20, N("mx2.example.test")}));
  z.Add(Rr("example.test", wire::RrType::kMx, wire::RdataMx{10, N("mx1.example.test")}));
  z.Add(Rr("mx1.example.test", wire::RrType::kA, wire::RdataA{{192, 0, 2, 1}}));
  z.Add(Rr("mx1.example.test", wire::RrType::kAaaa,
           wire::RdataAaaa{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}));
  z.Add(Rr("www.example.test", wire::RrType::kCname, wire::RdataName{N("alias.example.test")}));
  z.Add(Rr("alias.example.test", wire::RrType::kCname, wire::RdataName{N("mx1.example.test")}));
  z.Add(Rr("loop.example.test", wire::RrType::kCname, wire::RdataName{N("loop.example.test")}));
  z.Add(Rr("_dmarc.sub.example.test", wire::RrType::kTxt, wire::RdataTxt{{"v=DMARC1; p=none"}}));
  for (std::uint8_t i = 0; i < 80; ++i) {
    z.Add(Rr("many.example.test", wire::RrType::kA, wire::RdataA{{198, 51, 100, i}}));
  }
  return z;
}

Rule Knob(Fault f, std::string_view name) {
  Rule r;
  r.fault = f;
  r.name = N(name);
  return r;
}

// How the stub reaches the server: UDP (TCP on TC), TCP only, or in
// memory through Responder::HandleInMemory (the in-process scenario mode).
enum class Path { kUdp, kTcp, kMemory };

class StubWireTest : public ::testing::TestWithParam<Path> {
 protected:
  void Start(std::vector<Rule> rules) {
    responder_ = std::make_unique<Responder>(TestZone(), std::move(rules));
    net::StubOptions o;
    o.attempt_timeout = std::chrono::milliseconds(200);
    o.attempts = 1;
    o.deadline = std::chrono::milliseconds(1000);
    o.tcp_only = GetParam() == Path::kTcp;
    Result<net::StubResolver> stub = net::StubResolver::CreateInMemory(o, nullptr);
    if (GetParam() == Path::kMemory) {
      Responder* r = responder_.get();
      stub = net::StubResolver::CreateInMemory(o, [r, o](std::string_view q, bool tcp) {
        return r->HandleInMemory(q, tcp ? Transport::kTcp : Transport::kUdp, o.attempt_timeout);
      });
    } else {
      auto server = Server::Start(*responder_, ServerOptions{});
      ASSERT_TRUE(server.ok()) << server.error().Text();
      server_ = std::move(*server);
      o.port = server_->port();
      stub = net::StubResolver::Create(o);
    }
    ASSERT_TRUE(stub.ok());
    stub_ = std::make_unique<net::StubResolver>(std::move(*stub));
  }
  std::unique_ptr<Responder> responder_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<net::StubResolver> stub_;
};

TEST_P(StubWireTest, AnswersEveryShape) {
  Start({});
  auto txt = stub_->Query("example.test", QueryType::kTxt);
  EXPECT_EQ(txt.status, DnsStatus::kOk);
  EXPECT_EQ(txt.txt, (std::vector<std::string>{"v=spf1 mx -all"}));
  auto mx = stub_->Query("EXAMPLE.test", QueryType::kMx);
  EXPECT_EQ(mx.names, (std::vector<std::string>{"mx1.example.test", "mx2.example.test"}));
  auto a = stub_->Query("mx1.example.test", QueryType::kA);
  ASSERT_EQ(a.addresses.size(), 1u);
  EXPECT_EQ(a.addresses[0], spf::IpAddress::V4(192, 0, 2, 1));
  auto aaaa = stub_->Query("mx1.example.test", QueryType::kAaaa);
  ASSERT_EQ(aaaa.addresses.size(), 1u);
  EXPECT_TRUE(aaaa.addresses[0].v6);
  auto chain = stub_->Query("www.example.test", QueryType::kA);
  EXPECT_EQ(chain.status, DnsStatus::kOk);
  ASSERT_EQ(chain.addresses.size(), 1u);
  EXPECT_EQ(stub_->Query("loop.example.test", QueryType::kA).status, DnsStatus::kError);
  EXPECT_EQ(stub_->Query("none.example.test", QueryType::kA).status, DnsStatus::kNxDomain);
  auto nodata = stub_->Query("mx1.example.test", QueryType::kMx);
  EXPECT_EQ(nodata.status, DnsStatus::kOk);
  EXPECT_TRUE(nodata.empty());
  auto ent = stub_->Query("sub.example.test", QueryType::kTxt);
  EXPECT_EQ(ent.status, DnsStatus::kOk);
  EXPECT_TRUE(ent.empty());
  // Outside the zone: REFUSED, an error to the evaluator, logged unscripted.
  EXPECT_EQ(stub_->Query("example.org", QueryType::kA).status, DnsStatus::kError);
  EXPECT_EQ(responder_->Log().back().answered_by, "unscripted");
  // 80 A records do not fit UDP: TC, then TCP, whatever the transport asked.
  EXPECT_EQ(stub_->Query("many.example.test", QueryType::kA).addresses.size(), 80u);
  const auto log = responder_->Log();
  const auto& last = log.back();
  EXPECT_EQ(last.transport, Transport::kTcp);
  if (GetParam() != Path::kTcp) {
    EXPECT_TRUE(log[log.size() - 2].truncated);
  }
}

TEST_P(StubWireTest, EveryKnobAsTheEvaluatorSeesIt) {
  Rule spoof = Knob(Fault::kSpoof, "mx1.example.test");
  spoof.type = 1;
  spoof.spoof.push_back(Rr(".", wire::RrType::kA, wire::RdataA{{203, 0, 113, 66}}));
  Rule malformed = Knob(Fault::kMalformed, "bad.example.test");
  malformed.raw = std::string("\0\0\x81\x80\0\x01\0\x01\0\0\0\0\x03", 13);
  Rule drop = Knob(Fault::kDropAfter, "flaky.example.test");
  drop.count = 1;
  Rule slow = Knob(Fault::kNone, "slow.example.test");
  slow.delay_ms = 50;
  Rule too_slow = Knob(Fault::kNone, "tooslow.example.test");
  too_slow.delay_ms = 600;
  Start({Knob(Fault::kServfail, "servfail.example.test"),
         Knob(Fault::kRefused, "refused.example.test"),
         Knob(Fault::kNxDomain, "example.test"),  // the name exists, the knob denies it
         Knob(Fault::kNoData, "alias.example.test"), Knob(Fault::kTimeout, "timeout.example.test"),
         Knob(Fault::kTruncate, "www.example.test"), Knob(Fault::kWrongId, "wrongid.example.test"),
         spoof, malformed, drop, slow, too_slow});
  EXPECT_EQ(stub_->Query("servfail.example.test", QueryType::kA).status, DnsStatus::kError);
  EXPECT_EQ(stub_->Query("refused.example.test", QueryType::kA).status, DnsStatus::kError);
  EXPECT_EQ(stub_->Query("example.test", QueryType::kTxt).status, DnsStatus::kNxDomain);
  auto nodata = stub_->Query("alias.example.test", QueryType::kA);
  EXPECT_EQ(nodata.status, DnsStatus::kOk);
  EXPECT_TRUE(nodata.empty());
  EXPECT_EQ(stub_->Query("timeout.example.test", QueryType::kA).status, DnsStatus::kTimeout);
  // truncate: TC over UDP, the zone's answer (a CNAME chain) over TCP.
  auto tc = stub_->Query("www.example.test", QueryType::kA);
  EXPECT_EQ(tc.status, DnsStatus::kOk);
  EXPECT_EQ(tc.addresses.size(), 1u);
  EXPECT_EQ(responder_->Log().back().transport, Transport::kTcp);
  // wrong_id: the reply is not ours; the stub waits it out.
  EXPECT_EQ(stub_->Query("wrongid.example.test", QueryType::kA).status, DnsStatus::kTimeout);
  auto spoofed = stub_->Query("mx1.example.test", QueryType::kA);
  ASSERT_EQ(spoofed.addresses.size(), 1u);
  EXPECT_EQ(spoofed.addresses[0], spf::IpAddress::V4(203, 0, 113, 66));
  EXPECT_EQ(stub_->Query("bad.example.test", QueryType::kA).status, DnsStatus::kError);
  EXPECT_EQ(stub_->Query("flaky.example.test", QueryType::kA).status, DnsStatus::kNxDomain);
  EXPECT_EQ(stub_->Query("flaky.example.test", QueryType::kA).status, DnsStatus::kTimeout);
  EXPECT_EQ(stub_->Query("slow.example.test", QueryType::kA).status, DnsStatus::kNxDomain);
  EXPECT_EQ(stub_->Query("tooslow.example.test", QueryType::kA).status, DnsStatus::kTimeout);
  // Through Ask(): the malformed reply is a located codec error.
  auto ask = stub_->Ask(N("bad.example.test"), 1);
  ASSERT_FALSE(ask.ok());
  EXPECT_EQ(ask.error().id, "net.dns.malformed");
}

INSTANTIATE_TEST_SUITE_P(Paths, StubWireTest,
                         ::testing::Values(Path::kUdp, Path::kTcp, Path::kMemory),
                         [](const auto& p) {
                           return p.param == Path::kUdp   ? "Udp"
                                  : p.param == Path::kTcp ? "Tcp"
                                                          : "Memory";
                         });

}  // namespace
}  // namespace mxconform::mocks::dns
