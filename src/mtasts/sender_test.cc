#include "mtasts/sender.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "spf/zone.h"

namespace mxconform::mtasts {
namespace {

using tlsrpt::ResultType;

constexpr const char* kEnforce =
    "version: STSv1\nmode: enforce\nmx: mx1.example.test\nmx: mx2.example.test\nmax_age: 86400\n";
constexpr const char* kTesting =
    "version: STSv1\nmode: testing\nmx: mx1.example.test\nmax_age: 86400\n";

class FakeFetcher final : public PolicyFetcher {
 public:
  FetchResponse Fetch(std::string_view host, std::string_view path) override {
    ++calls;
    last_host = std::string(host);
    last_path = std::string(path);
    return response;
  }
  FetchResponse response{std::nullopt, "", 200, "text/plain; charset=utf-8", "", kEnforce};
  int calls = 0;
  std::string last_host;
  std::string last_path;
};

// An MX as the fake sees it: what its SMTP dialogue does.
struct FakeMx {
  bool reachable = true;
  bool starttls = true;
  TlsOutcome tls = TlsOutcome::kOk;
  bool usable_after_failure = true;  // the session goes on after a bad certificate
  SendStatus send = SendStatus::kAccepted;
};

class FakeSession final : public MxSession {
 public:
  FakeSession(const FakeMx& mx, std::vector<std::string>& snis) : mx_(mx), snis_(snis) {}
  bool Greet(std::string&) override { return true; }
  bool StarttlsOffered() const override { return mx_.starttls; }
  StartTlsResult StartTls(std::string_view sni) override {
    snis_.emplace_back(sni);
    StartTlsResult r;
    r.outcome = mx_.tls;
    r.usable = mx_.tls == TlsOutcome::kOk ||
               (mx_.tls != TlsOutcome::kHandshakeFailed &&
                mx_.tls != TlsOutcome::kStarttlsRefused && mx_.usable_after_failure);
    r.detail = "fake";
    return r;
  }
  SendResult Send(std::string_view, std::string_view, std::string_view) override {
    return {mx_.send, "fake"};
  }
  void Quit() override {}

 private:
  FakeMx mx_;
  std::vector<std::string>& snis_;
};

class FakeConnector final : public MxConnector {
 public:
  std::unique_ptr<MxSession> Connect(std::string_view host, std::string_view address,
                                     std::string& detail) override {
    connects.push_back(std::string(host) + " " + std::string(address));
    auto it = mxs.find(std::string(host));
    if (it == mxs.end() || !it->second.reachable || refused.count(std::string(address)) != 0) {
      detail = "refused";
      return nullptr;
    }
    return std::make_unique<FakeSession>(it->second, snis);
  }
  std::map<std::string, FakeMx> mxs{{"mx1.example.test", {}}, {"mx2.example.test", {}}};
  std::set<std::string> refused;      // addresses that refuse connections
  std::vector<std::string> connects;  // "HOST ADDRESS", in order
  std::vector<std::string> snis;      // the SNI of each StartTls, in order
};

// The test zone, plus an A record (192.0.2.1) for every host the fake
// connector knows that the zone gives none: the sender only connects to an
// exchange with addresses (RFC 5321 §5.1), and most tests are about
// something else.
class HostsResolver final : public spf::Resolver {
 public:
  HostsResolver(spf::Resolver& zone, const FakeConnector& connector)
      : zone_(zone), connector_(connector) {}
  spf::DnsAnswer Query(std::string_view name, spf::QueryType type) override {
    spf::DnsAnswer a = zone_.Query(name, type);
    if (type == spf::QueryType::kA && a.addresses.empty() &&
        connector_.mxs.count(std::string(name)) != 0) {
      a.status = spf::DnsStatus::kOk;
      a.addresses.push_back(spf::IpAddress::V4(192, 0, 2, 1));
    }
    return a;
  }

 private:
  spf::Resolver& zone_;
  const FakeConnector& connector_;
};

// Counts the queries that reach the zone.
class CountingResolver final : public spf::Resolver {
 public:
  explicit CountingResolver(spf::Resolver& inner) : inner_(inner) {}
  spf::DnsAnswer Query(std::string_view name, spf::QueryType type) override {
    ++queries;
    return inner_.Query(name, type);
  }
  int queries = 0;

 private:
  spf::Resolver& inner_;
};

class SenderTest : public ::testing::Test {
 protected:
  SenderTest() {
    zone.AddTxt("_mta-sts.example.test", "v=STSv1; id=20260101");
    zone.AddMx("example.test", 10, "mx1.example.test");
    zone.AddMx("example.test", 20, "mx2.example.test");
  }
  DeliveryReport Deliver(SenderProfile profile = SenderProfile::kReference) {
    SenderOptions o;
    o.profile = profile;
    Sender s(dns, fetcher, connector, cache, o);
    return s.Deliver("user@example.test");
  }
  std::vector<ResultType> Types(const DeliveryReport& r) {
    std::vector<ResultType> out;
    for (const auto& f : r.failures) {
      out.push_back(f.type);
    }
    return out;
  }
  FixedClock clock{1'800'000'000};
  spf::ZoneResolver zone;
  FakeFetcher fetcher;
  FakeConnector connector;
  HostsResolver dns{zone, connector};  // what the senders ask
  PolicyCache cache{clock};
};

TEST_F(SenderTest, EnforceDeliversOverVerifiedTlsToTheFirstMx) {
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.channel, Channel::kVerifiedTls);
  EXPECT_EQ(r.mx, "mx1.example.test");
  EXPECT_EQ(r.policy_mode, Mode::kEnforce);
  EXPECT_EQ(r.policy_id, "20260101");
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(fetcher.last_host, "mta-sts.example.test");
}

TEST_F(SenderTest, StrippedStarttlsUnderEnforceDefersAndReports) {
  connector.mxs["mx1.example.test"].starttls = false;
  connector.mxs["mx2.example.test"].starttls = false;
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDeferred);
  EXPECT_EQ(Types(r), (std::vector<ResultType>{ResultType::kStarttlsNotSupported,
                                               ResultType::kStarttlsNotSupported}));
  EXPECT_EQ(r.contacted.size(), 2u);
}

TEST_F(SenderTest, StrippedStarttlsUnderTestingDeliversInPlaintextAndReports) {
  fetcher.response.body = kTesting;
  connector.mxs["mx1.example.test"].starttls = false;
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.channel, Channel::kPlaintext);
  EXPECT_EQ(Types(r), (std::vector<ResultType>{ResultType::kStarttlsNotSupported}));
}

TEST_F(SenderTest, BadCertificateOnTheFirstMxFallsBackToTheNextUnderEnforce) {
  connector.mxs["mx1.example.test"].tls = TlsOutcome::kCertHostMismatch;
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.mx, "mx2.example.test");
  EXPECT_EQ(Types(r), (std::vector<ResultType>{ResultType::kCertificateHostMismatch}));
}

TEST_F(SenderTest, HandshakeFailureNeverFallsBackToPlaintextOnTheSameMx) {
  fetcher.response.body = kTesting;
  connector.mxs["mx1.example.test"].tls = TlsOutcome::kHandshakeFailed;
  zone = spf::ZoneResolver();
  zone.AddTxt("_mta-sts.example.test", "v=STSv1; id=1");
  zone.AddMx("example.test", 10, "mx1.example.test");
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDeferred);
  EXPECT_EQ(r.contacted, (std::vector<std::string>{"mx1.example.test"}));
}

TEST_F(SenderTest, AnMxOutsideThePolicyIsNeverContactedUnderEnforce) {
  zone = spf::ZoneResolver();
  zone.AddTxt("_mta-sts.example.test", "v=STSv1; id=1");
  zone.AddMx("example.test", 5, "evil.example.net");
  zone.AddMx("example.test", 10, "mx1.example.test");
  connector.mxs["evil.example.net"] = {};
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.mx, "mx1.example.test");
  EXPECT_EQ(r.contacted, (std::vector<std::string>{"mx1.example.test"}));
  EXPECT_EQ(Types(r), (std::vector<ResultType>{ResultType::kValidationFailure}));
}

TEST_F(SenderTest, FetchFailuresAreReportedAndNoPolicyMeansOpportunisticTls) {
  struct Case {
    FetchResponse response;
    ResultType type;
  };
  const Case cases[] = {
      {{std::nullopt, "", 301, "text/plain", "https://elsewhere.example/", ""},
       ResultType::kStsPolicyFetchError},
      {{std::nullopt, "", 404, "text/plain", "", ""}, ResultType::kStsPolicyFetchError},
      {{std::nullopt, "", 200, "text/html", "", kEnforce}, ResultType::kStsPolicyInvalid},
      {{std::nullopt, "", 200, "text/plain", "", "version: STSv1\nmode: nonsense\n"},
       ResultType::kStsPolicyInvalid},
      {{FetchFailure::kCertificateInvalid, "certificate-expired", 0, "", "", ""},
       ResultType::kStsWebpkiInvalid},
      {{FetchFailure::kTimeout, "stalled", 0, "", "", ""}, ResultType::kStsPolicyFetchError},
  };
  for (const auto& c : cases) {
    cache.Clear();
    fetcher.response = c.response;
    connector.mxs["mx1.example.test"].tls = TlsOutcome::kCertUntrusted;
    auto r = Deliver();
    EXPECT_EQ(r.verdict, Verdict::kDelivered) << c.response.status;
    EXPECT_EQ(r.channel, Channel::kUnverifiedTls) << c.response.status;
    EXPECT_FALSE(r.policy_mode.has_value());
    EXPECT_EQ(Types(r), (std::vector<ResultType>{c.type})) << c.response.status;
  }
}

TEST_F(SenderTest, ACachedEnforcePolicySurvivesAStrippedTxtRecord) {
  EXPECT_EQ(Deliver().verdict, Verdict::kDelivered);
  EXPECT_EQ(fetcher.calls, 1);
  // The attacker removes the TXT record and STARTTLS.
  zone = spf::ZoneResolver();
  zone.AddMx("example.test", 10, "mx1.example.test");
  connector.mxs["mx1.example.test"].starttls = false;
  clock.Advance(3600);
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDeferred);
  EXPECT_EQ(r.policy_mode, Mode::kEnforce);
  EXPECT_EQ(fetcher.calls, 1);
  // After max_age the policy is gone and delivery is opportunistic again.
  clock.Advance(86400);
  auto later = Deliver();
  EXPECT_EQ(later.verdict, Verdict::kDelivered);
  EXPECT_EQ(later.channel, Channel::kPlaintext);
}

TEST_F(SenderTest, MxRecordsDecideTheDestination) {
  zone = spf::ZoneResolver();
  zone.AddMx("example.test", 0, ".");
  EXPECT_EQ(Deliver().verdict, Verdict::kBounced);  // null MX, RFC 7505
  zone = spf::ZoneResolver();
  zone.Touch("example.test");
  connector.mxs["example.test"] = {};
  auto implicit = Deliver();
  EXPECT_EQ(implicit.verdict, Verdict::kDelivered);
  EXPECT_EQ(implicit.mx, "example.test");
  zone = spf::ZoneResolver();
  EXPECT_EQ(Deliver().verdict, Verdict::kBounced);  // NXDOMAIN
  zone.SetServfail("example.test");
  EXPECT_EQ(Deliver().verdict, Verdict::kDeferred);
}

// Catalogue M8: a null MX published beside other MX records. RFC 7505 §3
// forbids the set and leaves the client's reading open; "." names no host.
// The reference drops it and uses the other exchanges (it used to connect
// to a host named "."). Two "." records and nothing else are still a null
// MX.
TEST_F(SenderTest, ANullMxAmongOtherMxRecordsIsIgnored) {
  zone = spf::ZoneResolver();
  zone.AddMx("example.test", 0, ".");
  zone.AddMx("example.test", 10, "mx1.example.test");
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.mx, "mx1.example.test");
  EXPECT_EQ(r.contacted, std::vector<std::string>{"mx1.example.test"});
  EXPECT_NE(std::find_if(r.steps.begin(), r.steps.end(),
                         [](const std::string& l) {
                           return l.find("among other MX records") != std::string::npos;
                         }),
            r.steps.end());
  zone = spf::ZoneResolver();
  zone.AddMx("example.test", 0, ".");
  zone.AddMx("example.test", 0, ".");
  auto twice = Deliver();
  EXPECT_EQ(twice.verdict, Verdict::kBounced);
  EXPECT_TRUE(twice.contacted.empty());
}

// MX-5.1-10 (catalogue M12): a sender that is itself one of the exchanges
// tries only the more preferred ones, and bounces when there are none. It
// used to try every exchange, itself included.
TEST_F(SenderTest, AnMxHostDropsExchangesOfItsOwnPreferenceAndAbove) {
  zone = spf::ZoneResolver();
  zone.AddMx("example.test", 10, "mx1.example.test");
  zone.AddMx("example.test", 20, "mx2.example.test");
  zone.AddMx("example.test", 20, "mx3.example.test");
  zone.AddMx("example.test", 30, "mx4.example.test");
  connector.mxs["mx1.example.test"].reachable = false;
  SenderOptions so;
  so.local_names = {"MX3.example.test."};
  Sender s(dns, fetcher, connector, cache, so);
  auto r = s.Deliver("user@example.test");
  EXPECT_EQ(r.verdict, Verdict::kDeferred);
  EXPECT_EQ(r.contacted, std::vector<std::string>{"mx1.example.test"});

  so.local_names = {"mx1.example.test"};
  Sender best(dns, fetcher, connector, cache, so);
  auto b = best.Deliver("user@example.test");
  EXPECT_EQ(b.verdict, Verdict::kBounced);
  EXPECT_TRUE(b.contacted.empty());

  // The implicit MX is this host: undeliverable too.
  zone = spf::ZoneResolver();
  zone.Touch("example.test");
  so.local_names = {"example.test"};
  Sender implicit(dns, fetcher, connector, cache, so);
  auto i = implicit.Deliver("user@example.test");
  EXPECT_EQ(i.verdict, Verdict::kBounced);
  EXPECT_TRUE(i.contacted.empty());
}

// STS-3.4-03, RFC 5321 §5.1: an address literal has no Policy Domain and
// is not resolved; the TLS ClientHello carries no SNI (RFC 6066 §3). The
// sender used to query "_mta-sts.[192.0.2.25]" and an MX for the literal.
TEST_F(SenderTest, AnAddressLiteralIsDeliveredWithoutAnyLookup) {
  CountingResolver counting(dns);
  connector.mxs["[192.0.2.25]"] = {};
  connector.mxs["[192.0.2.25]"].tls = TlsOutcome::kCertHostMismatch;
  Sender s(counting, fetcher, connector, cache, SenderOptions{});
  auto r = s.Deliver("user@[192.0.2.25]");
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.mx, "[192.0.2.25]");
  EXPECT_EQ(r.channel, Channel::kUnverifiedTls);
  EXPECT_EQ(counting.queries, 0);
  EXPECT_EQ(fetcher.calls, 0);
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(connector.snis, std::vector<std::string>{""});
  // A domain still gets its MX host's name as SNI.
  connector.snis.clear();
  EXPECT_EQ(Deliver().verdict, Verdict::kDelivered);
  EXPECT_EQ(connector.snis, std::vector<std::string>{"mx1.example.test"});
}

// MX-5.1-09 (RFC 5321 §5.1): hosts of equal preference are tried in a
// random order, and never before a host of lower preference. The two at
// preference 10 refuse connections, so each delivery tries both, then the
// one at 20. A sender that keeps the answer's order shows one order only.
TEST_F(SenderTest, EqualPreferenceMxHostsAreTriedInRandomOrder) {
  zone = spf::ZoneResolver();
  zone.AddMx("example.test", 10, "a.example.test");
  zone.AddMx("example.test", 10, "b.example.test");
  zone.AddMx("example.test", 20, "c.example.test");
  connector.mxs = {{"a.example.test", {.reachable = false}},
                   {"b.example.test", {.reachable = false}},
                   {"c.example.test", {.starttls = false}}};
  const std::vector<std::string> ab = {"a.example.test", "b.example.test", "c.example.test"};
  const std::vector<std::string> ba = {"b.example.test", "a.example.test", "c.example.test"};
  std::set<std::vector<std::string>> seen;
  Sender s(dns, fetcher, connector, cache, SenderOptions{});
  for (int k = 0; k < 50; ++k) {  // both orders, but for a chance of 2^-49
    auto r = s.Deliver("user@example.test");
    EXPECT_TRUE(r.contacted == ab || r.contacted == ba);
    seen.insert(r.contacted);
  }
  EXPECT_EQ(seen.size(), 2u);
  // A seed fixes the order: two senders with one seed agree, delivery by
  // delivery.
  SenderOptions seeded;
  seeded.mx_shuffle_seed = 7;
  Sender s1(zone, fetcher, connector, cache, seeded);
  Sender s2(zone, fetcher, connector, cache, seeded);
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(s1.Deliver("user@example.test").contacted, s2.Deliver("user@example.test").contacted);
  }
}

// The no-shuffle control (issue 7's negative controls): equal
// preferences in the order the DNS answer lists them, every time.
TEST_F(SenderTest, NoShuffleProfileKeepsTheAnswersOrder) {
  zone = spf::ZoneResolver();
  zone.AddMx("example.test", 10, "b.example.test");
  zone.AddMx("example.test", 10, "a.example.test");
  zone.AddMx("example.test", 20, "c.example.test");
  connector.mxs = {{"a.example.test", {.reachable = false}},
                   {"b.example.test", {.reachable = false}},
                   {"c.example.test", {.starttls = false}}};
  SenderOptions o;
  o.profile = SenderProfile::kNoShuffle;
  Sender s(dns, fetcher, connector, cache, o);
  for (int k = 0; k < 20; ++k) {
    EXPECT_EQ(s.Deliver("user@example.test").contacted,
              (std::vector<std::string>{"b.example.test", "a.example.test", "c.example.test"}));
  }
  EXPECT_EQ(ParseProfile("no-shuffle"), SenderProfile::kNoShuffle);
  EXPECT_EQ(ProfileName(SenderProfile::kNoShuffle), "no-shuffle");
}

TEST_F(SenderTest, GreylistingDefersAndTriesTheNextMxAPermanentFailureBounces) {
  connector.mxs["mx1.example.test"].send = SendStatus::kTempFail;
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.mx, "mx2.example.test");
  connector.mxs["mx2.example.test"].send = SendStatus::kTempFail;
  EXPECT_EQ(Deliver().verdict, Verdict::kDeferred);
  connector.mxs["mx1.example.test"].send = SendStatus::kPermFail;
  EXPECT_EQ(Deliver().verdict, Verdict::kBounced);
}

TEST_F(SenderTest, EachAddressOfAMultihomedExchangeIsTriedInOrder) {
  // RFC 5321 §5.1 (MX-5.1-11): the addresses in the resolver's order,
  // until one takes the message; then the next exchange.
  zone.AddA("mx1.example.test", spf::IpAddress::V4(192, 0, 2, 10));
  zone.AddA("mx1.example.test", spf::IpAddress::V4(192, 0, 2, 11));
  connector.refused = {"192.0.2.10"};
  auto r = Deliver();
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.mx, "mx1.example.test");
  EXPECT_EQ(connector.connects, (std::vector<std::string>{"mx1.example.test 192.0.2.10",
                                                          "mx1.example.test 192.0.2.11"}));
  EXPECT_EQ(r.contacted, (std::vector<std::string>{"mx1.example.test", "mx1.example.test"}));
  EXPECT_NE(std::find(r.steps.begin(), r.steps.end(),
                      "mx1.example.test [192.0.2.10]: no connection (refused)"),
            r.steps.end());

  // A temporary failure at one address is no reason to skip the others.
  connector.connects.clear();
  connector.refused.clear();
  connector.mxs["mx1.example.test"].send = SendStatus::kTempFail;
  r = Deliver();
  EXPECT_EQ(r.mx, "mx2.example.test");
  EXPECT_EQ(connector.connects,
            (std::vector<std::string>{"mx1.example.test 192.0.2.10", "mx1.example.test 192.0.2.11",
                                      "mx2.example.test 192.0.2.1"}));

  // A permanent one ends the delivery: no other address, no other MX.
  connector.connects.clear();
  connector.mxs["mx1.example.test"].send = SendStatus::kPermFail;
  EXPECT_EQ(Deliver().verdict, Verdict::kBounced);
  EXPECT_EQ(connector.connects, std::vector<std::string>{"mx1.example.test 192.0.2.10"});
}

TEST_F(SenderTest, AFailedRefreshOfACachedPolicyRaisesAnAlert) {
  EXPECT_TRUE(Deliver().alerts.empty());
  zone = spf::ZoneResolver();
  zone.AddTxt("_mta-sts.example.test", "v=STSv1; id=2");
  zone.AddMx("example.test", 10, "mx1.example.test");
  fetcher.response = {FetchFailure::kTimeout, "stalled", 0, "", "", ""};
  auto r = Deliver();
  EXPECT_EQ(r.policy_mode, Mode::kEnforce);  // the cached one still applies
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_NE(r.alerts[0].find("stalled"), std::string::npos);
  // First contact failing is no refresh: nothing to alert about.
  cache.Clear();
  EXPECT_TRUE(Deliver().alerts.empty());
}

// RPT-3-11: a TLS-RPT report to a mailto: rua goes through under the
// recipient domain's enforce policy even to an MX whose certificate fails
// (ATK-49), and RPT-3-12: nothing of that delivery is reported.
TEST_F(SenderTest, Rpt311AReportIsDeliveredWithoutEnforcingMtaSts) {
  connector.mxs["mx1.example.test"].tls = TlsOutcome::kCertUntrusted;
  connector.mxs["mx2.example.test"].tls = TlsOutcome::kCertUntrusted;
  const DeliveryReport message = Deliver();
  EXPECT_EQ(message.verdict, Verdict::kDeferred);
  EXPECT_FALSE(message.report_delivery);
  EXPECT_EQ(Types(message), (std::vector<ResultType>{ResultType::kCertificateNotTrusted,
                                                     ResultType::kCertificateNotTrusted}));
  Sender s(dns, fetcher, connector, cache);
  const DeliveryReport report = s.Deliver("tlsrpt@example.test", Purpose::kReport);
  EXPECT_EQ(report.verdict, Verdict::kDelivered);
  EXPECT_EQ(report.mx, "mx1.example.test");
  EXPECT_EQ(report.channel, Channel::kUnverifiedTls);
  EXPECT_TRUE(report.report_delivery);
  EXPECT_TRUE(report.failures.empty());
  EXPECT_FALSE(report.policy_mode.has_value());
  EXPECT_EQ(fetcher.calls, 1);  // the message's fetch only
}

// RPT-3-11: "even if the TLS fails": a handshake that fails is retried in
// plaintext on the same host, which a message never is.
TEST_F(SenderTest, Rpt311AReportSurvivesAFailedHandshakeInPlaintext) {
  connector.mxs["mx1.example.test"].tls = TlsOutcome::kHandshakeFailed;
  connector.mxs["mx2.example.test"].tls = TlsOutcome::kHandshakeFailed;
  EXPECT_EQ(Deliver().verdict, Verdict::kDeferred);
  Sender s(dns, fetcher, connector, cache);
  const DeliveryReport report = s.Deliver("tlsrpt@example.test", Purpose::kReport);
  EXPECT_EQ(report.verdict, Verdict::kDelivered);
  EXPECT_EQ(report.mx, "mx1.example.test");
  EXPECT_EQ(report.channel, Channel::kPlaintext);
  EXPECT_EQ(report.contacted, (std::vector<std::string>{"mx1.example.test", "mx1.example.test"}));
  EXPECT_TRUE(report.failures.empty());
}

TEST(SenderProfile, NamesRoundTrip) {
  for (SenderProfile p : AllProfiles()) {
    EXPECT_EQ(ParseProfile(ProfileName(p)), p);
  }
  EXPECT_EQ(ParseProfile("nonsense"), std::nullopt);
  EXPECT_EQ(AllProfiles().front(), SenderProfile::kReference);
}

TEST_F(SenderTest, OpportunisticProfileNeverLooksForAPolicy) {
  connector.mxs["mx1.example.test"].starttls = false;
  auto r = Deliver(SenderProfile::kOpportunistic);
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.channel, Channel::kPlaintext);
  EXPECT_EQ(fetcher.calls, 0);
  EXPECT_TRUE(r.failures.empty());
  EXPECT_EQ(cache.Effective("example.test"), nullptr);
}

TEST_F(SenderTest, NoCacheProfileForgetsThePolicyAfterEachDelivery) {
  EXPECT_EQ(Deliver(SenderProfile::kNoCache).policy_mode, Mode::kEnforce);
  EXPECT_EQ(cache.Effective("example.test"), nullptr);
  EXPECT_EQ(Deliver(SenderProfile::kNoCache).verdict, Verdict::kDelivered);
  EXPECT_EQ(fetcher.calls, 2);  // the reference would have fetched once
}

TEST_F(SenderTest, FollowRedirectsProfileFetchesTheLocation) {
  fetcher.response = {std::nullopt, "", 302, "text/plain", "https://mirror.example.net/p.txt", ""};
  auto r = Deliver(SenderProfile::kFollowRedirects);
  EXPECT_EQ(fetcher.calls, 4);  // the first answer and three redirects followed
  EXPECT_EQ(fetcher.last_host, "mirror.example.net");
  EXPECT_EQ(fetcher.last_path, "/p.txt");
  fetcher.calls = 0;
  cache.Clear();
  Deliver();
  EXPECT_EQ(fetcher.calls, 1);
  EXPECT_EQ(fetcher.last_path, kPolicyPath);
}

TEST_F(SenderTest, CleartextFallbackProfileRetriesTheSameMxInPlaintext) {
  connector.mxs["mx1.example.test"].tls = TlsOutcome::kHandshakeFailed;
  auto ref = Deliver();
  EXPECT_EQ(ref.mx, "mx2.example.test");
  EXPECT_EQ(ref.channel, Channel::kVerifiedTls);
  auto r = Deliver(SenderProfile::kCleartextFallback);
  EXPECT_EQ(r.verdict, Verdict::kDelivered);
  EXPECT_EQ(r.mx, "mx1.example.test");
  EXPECT_EQ(r.channel, Channel::kPlaintext);
  EXPECT_EQ(r.contacted, (std::vector<std::string>{"mx1.example.test", "mx1.example.test"}));
}

TEST_F(SenderTest, NoNameCheckProfileAcceptsACertificateForAnotherHost) {
  connector.mxs["mx1.example.test"].tls = TlsOutcome::kCertHostMismatch;
  auto r = Deliver(SenderProfile::kNoNameCheck);
  EXPECT_EQ(r.mx, "mx1.example.test");
  EXPECT_EQ(r.channel, Channel::kVerifiedTls);
  EXPECT_TRUE(r.failures.empty());
  connector.mxs["mx1.example.test"].tls = TlsOutcome::kCertUntrusted;
  EXPECT_EQ(Deliver(SenderProfile::kNoNameCheck).mx, "mx2.example.test");  // the chain still counts
}

}  // namespace
}  // namespace mxconform::mtasts
