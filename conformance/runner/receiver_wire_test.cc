// The reference receiver on the wire (RFC 7208 §2.5, §8; SPF-2.5-01): the
// mock MX with the SPF check of src/spf/receiver.h at MAIL FROM, the zone
// served by the mock DNS server and asked through the stub resolver, and
// clients that connect from different loopback addresses. The check must
// use the address the client connected from and answer MAIL itself, not
// RCPT or DATA. A sender domain with a null MX is refused first (RFC 7505).
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "conformance/runner/mock_zone.h"
#include "conformance/runner/openspf.h"
#include "conformance/runner/wire_dns.h"
#include "mocks/smtp/raw_client_test_util.h"
#include "mocks/smtp/server.h"
#include "spf/receiver.h"

namespace mxconform::conformance {
namespace {

using mocks::smtp::testing::Raw;

constexpr const char* kZone = R"(description: receiver
tests: {}
zonedata:
  example.test:
    - TXT: "v=spf1 ip4:127.0.0.2 -all"
  helo.example.test:
    - TXT: "v=spf1 ip4:127.0.0.3 -all"
  soft.example.test:
    - TXT: "v=spf1 ip4:127.0.0.2 ~all"
  broken.example.test:
    - SERVFAIL
  nullmx.example.test:
    - TXT: "v=spf1 +all"
    - MX: [0, "."]
)";

class ReferenceReceiver : public ::testing::Test {
 protected:
  void SetUp() override {
    auto w = WireDns::Start(WireDnsOptions{.attempt_timeout = std::chrono::milliseconds(200)});
    ASSERT_TRUE(w.ok()) << w.error().Text();
    wire_ = std::move(*w);
    auto f = ParseOpenspf(kZone, "spf-receiver-wire.yml", OpenspfOrigin::kOurs);
    ASSERT_TRUE(f.ok()) << f.error().Text();
    auto zone = OpenspfMockZone(f->documents[0], /*empty_non_terminals=*/false);
    ASSERT_TRUE(zone.ok()) << zone.error().Text();
    wire_->Serve(*zone);

    mocks::smtp::ServerOptions o;
    o.starttls = mocks::smtp::StartTls::kAbsent;
    o.on_mail = [this](const mocks::smtp::MailContext& m) {
      const auto ip = spf::ParseIp(m.client);
      std::string reply;
      if (ip) {
        const std::unique_ptr<spf::Resolver> dns = wire_->NewResolver(nullptr);
        reply = spf::FormatReply(spf::CheckAtMail(*ip, m.helo, m.reverse_path, *dns),
                                 /*final_crlf=*/false);  // the server adds it
      } else {
        reply = "451 4.3.0 client address unknown";
      }
      std::lock_guard<std::mutex> lock(mu_);
      checked_.push_back(std::string(m.client) + " <" + std::string(m.reverse_path) + ">");
      return reply;
    };
    auto s = mocks::smtp::Server::Start(o);
    ASSERT_TRUE(s.ok()) << s.error().Text();
    server_ = std::move(*s);
  }

  // A session from `source` up to the reply to MAIL FROM:<from>.
  std::string MailFrom(const char* source, const std::string& from, const char* helo, Raw& c) {
    EXPECT_TRUE(c.ok()) << source;
    EXPECT_EQ(c.Reply().substr(0, 4), "220 ");
    EXPECT_TRUE(c.Send(std::string("EHLO ") + helo + "\r\n"));
    EXPECT_EQ(c.Reply().substr(0, 4), "250-");
    EXPECT_TRUE(c.Send("MAIL FROM:<" + from + ">\r\n"));
    return c.Reply();
  }

  std::vector<std::string> Checked() {
    std::lock_guard<std::mutex> lock(mu_);
    return checked_;
  }

  std::unique_ptr<WireDns> wire_;
  std::unique_ptr<mocks::smtp::Server> server_;
  std::mutex mu_;
  std::vector<std::string> checked_;
};

TEST_F(ReferenceReceiver, ChecksAtMailWithTheConnectingAddress) {  // SPF-2.5-01, SPF-8-01
  {
    Raw allowed(server_->port(), "127.0.0.2");
    EXPECT_EQ(MailFrom("127.0.0.2", "a@example.test", "client.example.test", allowed),
              "250 2.1.0 Sender OK (SPF MAIL FROM check: pass)\r\n");
    ASSERT_TRUE(allowed.Send("RCPT TO:<b@mx.example.test>\r\n"));
    EXPECT_EQ(allowed.Reply().substr(0, 4), "250 ");
  }
  {
    // The same sender, the same HELO, another address: refused at MAIL.
    Raw refused(server_->port(), "127.0.0.3");
    EXPECT_EQ(MailFrom("127.0.0.3", "a@example.test", "client.example.test", refused),
              "550 5.7.1 SPF MAIL FROM check failed: example.test does not designate "
              "127.0.0.3 as a permitted sender\r\n");
    ASSERT_TRUE(refused.Send("RCPT TO:<b@mx.example.test>\r\n"));
    EXPECT_EQ(refused.Reply().substr(0, 4), "503 ");  // no transaction was started
  }
  EXPECT_EQ(Checked(),
            (std::vector<std::string>{"127.0.0.2 <a@example.test>", "127.0.0.3 <a@example.test>"}));
}

TEST_F(ReferenceReceiver, ANullPathIsCheckedWithTheHeloName) {  // SPF-2.5-01, SPF-2.4-02
  Raw allowed(server_->port(), "127.0.0.3");
  EXPECT_EQ(MailFrom("127.0.0.3", "", "helo.example.test", allowed).substr(0, 4), "250 ");
  Raw refused(server_->port(), "127.0.0.2");
  EXPECT_EQ(MailFrom("127.0.0.2", "", "helo.example.test", refused).substr(0, 10), "550 5.7.1 ");
}

TEST_F(ReferenceReceiver, SoftfailIsAcceptedAndADnsErrorDeferred) {  // SPF-8-02, SPF-8-03
  Raw soft(server_->port(), "127.0.0.3");
  EXPECT_EQ(MailFrom("127.0.0.3", "a@soft.example.test", "client.example.test", soft),
            "250 2.1.0 Sender OK (SPF MAIL FROM check: softfail)\r\n");
  Raw broken(server_->port(), "127.0.0.2");
  EXPECT_EQ(
      MailFrom("127.0.0.2", "a@broken.example.test", "client.example.test", broken).substr(0, 10),
      "451 4.4.3 ");
}

TEST_F(ReferenceReceiver, ANullMxSenderDomainIsRefusedAtMail) {  // MX-7505-03
  Raw c(server_->port(), "127.0.0.2");
  EXPECT_EQ(MailFrom("127.0.0.2", "a@nullmx.example.test", "client.example.test", c),
            "550 5.7.27 Sender address rejected: nullmx.example.test publishes a null MX and "
            "accepts no mail (RFC 7505)\r\n");
}

}  // namespace
}  // namespace mxconform::conformance
