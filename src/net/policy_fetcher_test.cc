// The wire policy fetcher against the mock policy host (mocks/https): every
// knob of the mock as a FetchResponse. Timeouts are short (hundreds of
// milliseconds) and only bounded loosely from above, never asserted tightly.
#include "net/policy_fetcher.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "mocks/https/server.h"
#include "mocks/pki/pki.h"

namespace mxconform::net {
namespace {

using mocks::https::Config;
using mocks::https::HandshakeFailure;
using mocks::https::HostConfig;
using mocks::https::Response;
using mocks::https::Server;
using mocks::https::ServerOptions;
using mocks::pki::CertSpec;
using mocks::pki::Pki;
using mtasts::FetchFailure;
using mtasts::FetchResponse;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr UnixSeconds kStart = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kDay = 86400;
constexpr std::string_view kPath = "/.well-known/mta-sts.txt";
constexpr std::string_view kPolicy =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.mail.example.test\r\n"
    "max_age: 86400\r\n";

// The hosts of the knob scenarios, each served with the "good" leaf.
const std::vector<std::string>& KnobHosts() {
  static const std::vector<std::string> kHosts = {
      "mta-sts.example.test",  "mta-sts.redirect.test",    "mta-sts.ctype.test",
      "mta-sts.big.test",      "mta-sts.bigchunk.test",    "mta-sts.slow.test",
      "mta-sts.drip.test",     "mta-sts.stall.test",       "mta-sts.reset.test",
      "mta-sts.chunked.test",  "mta-sts.alert.test",       "mta-sts.close.test",
      "mta-sts.empty.test",    "mta-sts.other.test",       "mta-sts.closedelim.test",
      "mta-sts.nonotify.test", "mta-sts.nonotifylen.test", "mta-sts.chunkext.test",
      "mta-sts.hints.test",    "mta-sts.manyhints.test"};
  return kHosts;
}

CertSpec Ca(std::string name, std::string issuer) {
  CertSpec s;
  s.name = name;
  s.issuer = std::move(issuer);
  s.ca = true;
  s.common_name = "Test " + name;
  s.not_before = -365 * kDay;
  s.not_after = 3650 * kDay;
  return s;
}

CertSpec Leaf(std::string name, std::string issuer, std::vector<std::string> dns) {
  CertSpec s;
  s.name = std::move(name);
  s.issuer = std::move(issuer);
  s.common_name = dns.empty() ? "" : dns.front();
  s.dns_names = std::move(dns);
  return s;
}

std::shared_ptr<const Pki> BuildPki() {
  CertSpec expired = Leaf("expired", "inter", {"mta-sts.expired.test"});
  expired.not_before = -100 * kDay;
  expired.not_after = -kDay;
  auto built = Pki::Build(
      {
          Ca("root", ""),
          Ca("inter", "root"),
          Ca("evil_root", ""),
          Leaf("good", "inter", KnobHosts()),
          expired,
          Leaf("wrong_name", "inter", {"www.example.net"}),
          Leaf("untrusted", "evil_root", {"mta-sts.untrusted.test"}),
          Leaf("nointer", "inter", {"mta-sts.nointer.test", "mta-sts.withinter.test"}),
      },
      kStart);
  return built.ok() ? built.value() : nullptr;
}

// A TCP socket bound to 127.0.0.1 on an ephemeral port (listening, if
// asked); -1 on failure.
int BoundSocket(std::uint16_t& port, bool listen) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return -1;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      (listen && ::listen(fd, 4) != 0) ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(sa.sin_port);
  return fd;
}

HostConfig Host(std::string cert, Response r, bool intermediates = true) {
  HostConfig h;
  h.certificate = std::move(cert);
  h.intermediates = intermediates;
  h.paths[std::string(kPath)] = std::move(r);
  return h;
}

class FetcherTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new std::shared_ptr<const Pki>(BuildPki());
    ASSERT_NE(*pki_, nullptr);
  }
  static void TearDownTestSuite() {
    delete pki_;
    pki_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(*pki_, nullptr);
    Config c;
    c.pki = *pki_;
    const Response ok = Response::Text(std::string(kPolicy));
    c.hosts["mta-sts.example.test"] = Host("good", ok);
    Response redirect = ok;
    redirect.redirect = "https://mta-sts.other.test/.well-known/mta-sts.txt";
    c.hosts["mta-sts.redirect.test"] = Host("good", redirect);
    c.hosts["mta-sts.other.test"] = Host("good", ok);
    Response ctype = ok;
    ctype.content_type = "text/html; charset=utf-8";
    c.hosts["mta-sts.ctype.test"] = Host("good", ctype);
    Response big = ok;
    big.oversized = mocks::https::kOversizedBytes;
    c.hosts["mta-sts.big.test"] = Host("good", big);
    big.chunked = true;
    c.hosts["mta-sts.bigchunk.test"] = Host("good", big);
    Response slow = ok;
    slow.trickle_ms = 100;
    slow.trickle_bytes = 8;
    c.hosts["mta-sts.slow.test"] = Host("good", slow);
    Response drip = ok;
    drip.trickle_ms = 5;
    drip.trickle_bytes = 16;
    c.hosts["mta-sts.drip.test"] = Host("good", drip);
    Response stall = ok;
    stall.stall = true;
    c.hosts["mta-sts.stall.test"] = Host("good", stall);
    Response reset = ok;
    reset.oversized = 20000;  // enough body for a half to be short
    reset.reset = true;
    c.hosts["mta-sts.reset.test"] = Host("good", reset);
    Response chunked = ok;
    chunked.chunked = true;
    chunked.body = std::string(kPolicy) + std::string(3000, '\n');  // several chunks
    c.hosts["mta-sts.chunked.test"] = Host("good", chunked);
    Response delimited = ok;
    delimited.close_delimited = true;
    c.hosts["mta-sts.closedelim.test"] = Host("good", delimited);
    delimited.no_close_notify = true;
    c.hosts["mta-sts.nonotify.test"] = Host("good", delimited);
    Response no_notify = ok;
    no_notify.no_close_notify = true;
    c.hosts["mta-sts.nonotifylen.test"] = Host("good", no_notify);
    Response hints = ok;
    hints.interim = {103, 100};
    c.hosts["mta-sts.hints.test"] = Host("good", hints);
    hints.interim = {103, 103, 103, 103, 103, 103};
    c.hosts["mta-sts.manyhints.test"] = Host("good", hints);
    Response extension = chunked;
    extension.chunk_extension_bytes = 1 << 20;
    c.hosts["mta-sts.chunkext.test"] = Host("good", extension);
    HostConfig alert = Host("good", ok);
    alert.handshake_failure = HandshakeFailure::kAlert;
    c.hosts["mta-sts.alert.test"] = alert;
    HostConfig close = Host("good", ok);
    close.handshake_failure = HandshakeFailure::kClose;
    c.hosts["mta-sts.close.test"] = close;
    HostConfig empty;  // a host with no path scripted
    empty.certificate = "good";
    c.hosts["mta-sts.empty.test"] = empty;
    c.hosts["mta-sts.expired.test"] = Host("expired", ok);
    c.hosts["mta-sts.wrongname.test"] = Host("wrong_name", ok);
    c.hosts["mta-sts.untrusted.test"] = Host("untrusted", ok);
    c.hosts["mta-sts.nointer.test"] = Host("nointer", ok, /*intermediates=*/false);
    c.hosts["mta-sts.withinter.test"] = Host("nointer", ok, /*intermediates=*/true);
    auto server = Server::Start(std::move(c), ServerOptions{});
    ASSERT_TRUE(server.ok()) << server.error().Text();
    server_ = std::move(*server);

    auto trust = tls::TrustStore::FromPem((*pki_)->BundlePem({"root"}));
    ASSERT_TRUE(trust.ok()) << trust.error().Text();
    trust_ = std::make_shared<const tls::TrustStore>(std::move(*trust));
  }

  HttpsFetcherOptions Options(milliseconds total = milliseconds(5000)) {
    HttpsFetcherOptions o;
    const std::string address = "127.0.0.1:" + std::to_string(server_->port());
    for (const std::string& h : KnobHosts()) {
      o.addresses[h] = address;
    }
    for (const char* h :
         {"mta-sts.expired.test", "mta-sts.wrongname.test", "mta-sts.untrusted.test",
          "mta-sts.nointer.test", "mta-sts.withinter.test"}) {
      o.addresses[h] = address;
    }
    o.trust = trust_;
    o.clock = &clock_;
    o.total_timeout = total;
    return o;
  }

  FetchResponse Fetch(std::string_view host, milliseconds total = milliseconds(5000)) {
    HttpsPolicyFetcher fetcher(Options(total));
    return fetcher.Fetch(host, mtasts::kPolicyPath);
  }

  // Requests the server logged for `host` (its Host header).
  std::size_t RequestsFor(std::string_view host) const {
    std::size_t n = 0;
    for (const auto& e : server_->Log()) {
      n += e.host == host && !e.method.empty() ? 1 : 0;
    }
    return n;
  }

  static std::shared_ptr<const Pki>* pki_;
  FixedClock clock_{kStart};
  std::shared_ptr<const tls::TrustStore> trust_;
  std::unique_ptr<Server> server_;
};

std::shared_ptr<const Pki>* FetcherTest::pki_ = nullptr;

TEST_F(FetcherTest, FetchesThePolicy) {
  const FetchResponse r = Fetch("mta-sts.example.test");
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain");
  EXPECT_EQ(r.body, kPolicy);
  EXPECT_TRUE(r.location.empty());
  const auto log = server_->Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].sni, "mta-sts.example.test");   // SNI = the policy host
  EXPECT_EQ(log[0].host, "mta-sts.example.test");  // and so is Host
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].target, kPath);
  EXPECT_EQ(log[0].outcome, "200");
}

TEST_F(FetcherTest, HostNamesCompareWithoutCaseOrTrailingDot) {
  const FetchResponse r = Fetch("MTA-STS.Example.Test.");
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.body, kPolicy);
}

// STS-3.3-06: the 3xx comes back as it is, and nobody asks the target.
TEST_F(FetcherTest, RedirectIsNotFollowed) {
  const FetchResponse r = Fetch("mta-sts.redirect.test");
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.location, "https://mta-sts.other.test/.well-known/mta-sts.txt");
  EXPECT_EQ(RequestsFor("mta-sts.redirect.test"), 1u);
  EXPECT_EQ(RequestsFor("mta-sts.other.test"), 0u);
}

// The media type is the sender's to judge: it passes through as sent.
TEST_F(FetcherTest, WrongContentTypePassesThrough) {
  const FetchResponse r = Fetch("mta-sts.ctype.test");
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, kPolicy);
}

// STS-3.3-09: a Content-Length above the cap fails before the body.
TEST_F(FetcherTest, OversizedBodyIsTooLarge) {
  const FetchResponse r = Fetch("mta-sts.big.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTooLarge) << r.detail;
  EXPECT_NE(r.detail.find("Content-Length 70000"), std::string::npos) << r.detail;
  EXPECT_TRUE(r.body.empty());
}

TEST_F(FetcherTest, OversizedChunkedBodyIsTooLarge) {
  const FetchResponse r = Fetch("mta-sts.bigchunk.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTooLarge) << r.detail;
}

TEST_F(FetcherTest, SmallerCapIsHonoured) {
  HttpsFetcherOptions o = Options();
  o.max_body = 16;
  HttpsPolicyFetcher fetcher(o);
  const FetchResponse r = fetcher.Fetch("mta-sts.chunked.test", mtasts::kPolicyPath);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTooLarge) << r.detail;
}

TEST_F(FetcherTest, TrickleSlowerThanTheTimeoutTimesOut) {
  // About 13 pieces 100 ms apart against a 300 ms deadline.
  const auto start = steady_clock::now();
  const FetchResponse r = Fetch("mta-sts.slow.test", milliseconds(300));
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTimeout) << r.detail;
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(FetcherTest, TrickleWithinTheTimeoutGivesTheWholeBody) {
  const FetchResponse r = Fetch("mta-sts.drip.test", milliseconds(10000));
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.body, kPolicy);
}

TEST_F(FetcherTest, StallTimesOutWithinTheDeadline) {
  const auto start = steady_clock::now();
  const FetchResponse r = Fetch("mta-sts.stall.test", milliseconds(300));
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTimeout) << r.detail;
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(server_->Log().back().outcome, "stalled");
}

TEST_F(FetcherTest, HandshakeTimeoutIsATimeout) {
  // A listener that never answers the ClientHello: a bare socket whose
  // backlog completes the TCP handshake and that says nothing.
  std::uint16_t port = 0;
  const int fd = BoundSocket(port, /*listen=*/true);
  ASSERT_GE(fd, 0);
  HttpsFetcherOptions o = Options();
  o.handshake_timeout = milliseconds(300);
  o.addresses["mta-sts.silent.test"] = "127.0.0.1:" + std::to_string(port);
  HttpsPolicyFetcher fetcher(o);
  const FetchResponse r = fetcher.Fetch("mta-sts.silent.test", mtasts::kPolicyPath);
  ::close(fd);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTimeout) << r.detail;
  EXPECT_NE(r.detail.find("TLS handshake"), std::string::npos) << r.detail;
}

TEST_F(FetcherTest, ResetIsANetworkFailure) {
  const FetchResponse r = Fetch("mta-sts.reset.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kNetwork) << r.detail;
  EXPECT_EQ(server_->Log().back().outcome, "reset");
}

TEST_F(FetcherTest, ChunkedBodyIsReadWhole) {
  const FetchResponse r = Fetch("mta-sts.chunked.test");
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.body, std::string(kPolicy) + std::string(3000, '\n'));
}

// RFC 9112 §6.3: a body may end with the connection. Ended by TLS
// close_notify it is whole; ended by a bare TCP FIN it cannot be told from
// one an attacker cut with a forged FIN (§8), and a cut policy (a shorter
// max_age, fewer mx lines) must not be taken for the policy.
TEST_F(FetcherTest, ACloseDelimitedBodyNeedsCloseNotify) {
  FetchResponse r = Fetch("mta-sts.closedelim.test");
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kPolicy);
  r = Fetch("mta-sts.nonotify.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kNetwork) << r.detail;
  EXPECT_NE(r.detail.find("close_notify"), std::string::npos) << r.detail;
  // With a Content-Length the body is whole before the close: no matter.
  r = Fetch("mta-sts.nonotifylen.test");
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.body, kPolicy);
}

// RFC 9110 §15.2: 1xx responses before the final one are skipped (a few).
TEST_F(FetcherTest, InterimResponsesAreSkipped) {
  FetchResponse r = Fetch("mta-sts.hints.test");
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kPolicy);
  // Past a handful, the last one is what the fetch got: not a policy.
  r = Fetch("mta-sts.manyhints.test");
  EXPECT_EQ(r.status, 103);
}

// A chunk-size line with a 1 MiB extension: no header or body limit counts
// it, so the read buffer's own limit must, before memory grows with it.
TEST_F(FetcherTest, AnEndlessChunkExtensionIsTooLarge) {
  const FetchResponse r = Fetch("mta-sts.chunkext.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTooLarge) << r.detail;
}

TEST_F(FetcherTest, HandshakeAlertIsAHandshakeFailure) {
  const FetchResponse r = Fetch("mta-sts.alert.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTlsHandshake) << r.detail;
  EXPECT_NE(r.detail.find("handshake failure"), std::string::npos) << r.detail;
}

TEST_F(FetcherTest, CloseAfterClientHelloIsAHandshakeFailure) {
  const FetchResponse r = Fetch("mta-sts.close.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTlsHandshake) << r.detail;
}

TEST_F(FetcherTest, ServerWideHandshakeFailure) {
  Config c;
  c.pki = *pki_;
  c.hosts["mta-sts.example.test"] = Host("good", Response::Text(std::string(kPolicy)));
  ServerOptions so;
  so.handshake_failure = HandshakeFailure::kAlert;
  auto server = Server::Start(std::move(c), so);
  ASSERT_TRUE(server.ok()) << server.error().Text();
  HttpsFetcherOptions o = Options();
  o.addresses["mta-sts.example.test"] = "127.0.0.1:" + std::to_string((*server)->port());
  HttpsPolicyFetcher fetcher(o);
  const FetchResponse r = fetcher.Fetch("mta-sts.example.test", mtasts::kPolicyPath);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTlsHandshake) << r.detail;
}

TEST_F(FetcherTest, PlainHttpIsAHandshakeFailure) {
  Config c;
  c.hosts["mta-sts.example.test"] = Host("", Response::Text(std::string(kPolicy)));
  ServerOptions so;
  so.plain_http = true;
  auto server = Server::Start(std::move(c), so);
  ASSERT_TRUE(server.ok()) << server.error().Text();
  HttpsFetcherOptions o = Options();
  o.addresses["mta-sts.example.test"] = "127.0.0.1:" + std::to_string((*server)->port());
  HttpsPolicyFetcher fetcher(o);
  const FetchResponse r = fetcher.Fetch("mta-sts.example.test", mtasts::kPolicyPath);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTlsHandshake) << r.detail;
  EXPECT_EQ((*server)->Log().back().rule, "bad-request");
}

// STS-3.3-01: each bad certificate, with the RFC 8460 result type.
// ---- a TLS-RPT report POSTed to an https rua (RFC 8460 §3) ----

HttpsPostRequest Report(std::string host) {
  HttpsPostRequest p;
  p.host = std::move(host);
  p.path = mtasts::kPolicyPath;  // the only path the hosts script
  p.content_type = "application/tlsrpt+gzip";
  p.body = std::string("\x1f\x8b\x08\0report\r\n\0bytes", 19);  // any bytes, NULs too
  return p;
}

TEST_F(FetcherTest, PostSendsTheBodyAndItsMediaType) {
  HttpsPolicyFetcher fetcher(Options());
  const FetchResponse r = fetcher.Post(Report("mta-sts.example.test"));
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kPolicy);  // the scripted answer comes back
  EXPECT_TRUE(r.detail.empty()) << r.detail;
  const auto log = server_->Log();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].method, "POST");  // RPT-3-09
  EXPECT_EQ(log[0].sni, "mta-sts.example.test");
  EXPECT_EQ(log[0].host, "mta-sts.example.test");
  EXPECT_EQ(log[0].target, kPath);
  EXPECT_EQ(log[0].content_type, "application/tlsrpt+gzip");
  EXPECT_EQ(log[0].body, Report("").body);
  EXPECT_FALSE(log[0].body_dropped);
}

TEST_F(FetcherTest, PostChecksTheCertificateUnlessToldNot) {
  HttpsPolicyFetcher fetcher(Options());
  const FetchResponse refused = fetcher.Post(Report("mta-sts.expired.test"));
  ASSERT_TRUE(refused.failure);
  EXPECT_EQ(*refused.failure, FetchFailure::kCertificateInvalid);
  EXPECT_EQ(refused.detail, "certificate-expired: certificate has expired");
  EXPECT_EQ(RequestsFor("mta-sts.expired.test"), 0u);  // nothing sent

  // RFC 8460 §3 (RPT-3-10): a submitter may ignore certificate errors.
  HttpsPostRequest anyway = Report("mta-sts.expired.test");
  anyway.verify_certificate = false;
  const FetchResponse sent = fetcher.Post(anyway);
  ASSERT_FALSE(sent.failure) << sent.detail;
  EXPECT_EQ(sent.status, 200);
  EXPECT_EQ(sent.detail, "certificate error ignored: certificate-expired: certificate has expired");
  EXPECT_EQ(RequestsFor("mta-sts.expired.test"), 1u);
  EXPECT_EQ(server_->Log().back().body, anyway.body);
}

TEST_F(FetcherTest, PostToAStallingHostTimesOut) {
  HttpsPolicyFetcher fetcher(Options(milliseconds(300)));
  const auto t0 = std::chrono::steady_clock::now();
  const FetchResponse r = fetcher.Post(Report("mta-sts.stall.test"));
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kTimeout) << r.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(3000));
}

TEST_F(FetcherTest, ExpiredCertificate) {
  const FetchResponse r = Fetch("mta-sts.expired.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kCertificateInvalid);
  EXPECT_EQ(r.detail, "certificate-expired: certificate has expired");
  // Verified before any request is sent.
  EXPECT_EQ(RequestsFor("mta-sts.expired.test"), 0u);
}

TEST_F(FetcherTest, WrongNameCertificate) {
  const FetchResponse r = Fetch("mta-sts.wrongname.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kCertificateInvalid);
  EXPECT_EQ(r.detail.rfind("certificate-host-mismatch: ", 0), 0u) << r.detail;
}

TEST_F(FetcherTest, UntrustedCertificate) {
  const FetchResponse r = Fetch("mta-sts.untrusted.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kCertificateInvalid);
  EXPECT_EQ(r.detail.rfind("certificate-not-trusted: ", 0), 0u) << r.detail;
}

TEST_F(FetcherTest, MissingIntermediate) {
  const FetchResponse r = Fetch("mta-sts.nointer.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kCertificateInvalid);
  EXPECT_EQ(r.detail.rfind("certificate-not-trusted: ", 0), 0u) << r.detail;
  // The same leaf with its intermediate is fine.
  const FetchResponse ok = Fetch("mta-sts.withinter.test");
  EXPECT_FALSE(ok.failure) << ok.detail;
}

TEST_F(FetcherTest, VerificationUsesTheClock) {
  clock_.Set(kStart + 200 * kDay);  // past the good leaf's not_after
  const FetchResponse r = Fetch("mta-sts.example.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kCertificateInvalid);
  EXPECT_EQ(r.detail.rfind("certificate-expired: ", 0), 0u) << r.detail;
}

TEST_F(FetcherTest, NoTrustStoreTrustsNothing) {
  HttpsFetcherOptions o = Options();
  o.trust = nullptr;
  HttpsPolicyFetcher fetcher(o);
  const FetchResponse r = fetcher.Fetch("mta-sts.example.test", mtasts::kPolicyPath);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kCertificateInvalid);
}

TEST_F(FetcherTest, UnscriptedPathIsA404) {
  const FetchResponse r = Fetch("mta-sts.empty.test");
  ASSERT_FALSE(r.failure) << r.detail;
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(server_->Log().back().rule, "unscripted");
  EXPECT_EQ(server_->stats().unscripted, 1u);
}

TEST_F(FetcherTest, NoAddressIsANetworkFailure) {
  const FetchResponse r = Fetch("mta-sts.unknown.test");
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kNetwork);
  EXPECT_EQ(r.detail, "no address for mta-sts.unknown.test");
  HttpsFetcherOptions o = Options();
  o.addresses["mta-sts.bad.test"] = "localhost";
  HttpsPolicyFetcher fetcher(o);
  const FetchResponse bad = fetcher.Fetch("mta-sts.bad.test", mtasts::kPolicyPath);
  ASSERT_TRUE(bad.failure);
  EXPECT_EQ(*bad.failure, FetchFailure::kNetwork);
}

TEST_F(FetcherTest, ConnectionRefusedIsANetworkFailure) {
  // A port that was just free: bound, then closed.
  std::uint16_t port = 0;
  const int fd = BoundSocket(port, /*listen=*/false);
  ASSERT_GE(fd, 0);
  ::close(fd);
  HttpsFetcherOptions o = Options();
  o.addresses["mta-sts.closed.test"] = "127.0.0.1:" + std::to_string(port);
  HttpsPolicyFetcher fetcher(o);
  const FetchResponse r = fetcher.Fetch("mta-sts.closed.test", mtasts::kPolicyPath);
  ASSERT_TRUE(r.failure);
  EXPECT_EQ(*r.failure, FetchFailure::kNetwork) << r.detail;
}

}  // namespace
}  // namespace mxconform::net
