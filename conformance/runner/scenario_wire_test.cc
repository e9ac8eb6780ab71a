// The wire runner meeting a misbehaving client (issue 6): a client that
// stalls, sends garbage or disconnects mid-TLS never hangs the runner or a
// mock, and a step that does not finish ends the run with an error naming
// it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "conformance/runner/scenario.h"
#include "conformance/runner/test_world.h"

namespace mxconform::conformance {
namespace {

namespace fs = std::filesystem;

// A blocking client socket with no timeout of its own: whatever deadline
// ends it must come from the other side.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  bool connected() const { return connected_; }
  void Send(const std::string& s) { (void)!::send(fd_, s.data(), s.size(), MSG_NOSIGNAL); }
  // Reads until `want` shows up or the peer closes; returns what came.
  std::string ReadUntil(const std::string& want) {
    std::string got;
    char buf[512];
    while (got.find(want) == std::string::npos) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        break;
      }
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }
  // Blocks until the peer closes the connection.
  void WaitForClose() {
    char buf[512];
    while (::recv(fd_, buf, sizeof buf, 0) > 0) {
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::uint16_t PortOf(const std::string& endpoint) {
  return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

class ScenarioWireTest : public ::testing::Test {
 protected:
  ScenarioWireTest()
      : root_(fs::temp_directory_path() / ("mxconform-wire-" + std::to_string(::getpid()))) {
    fs::create_directories(root_ / "t");
    std::ofstream(root_ / "t/misbehave.yaml") << R"(id: t/misbehave
title: "t"
requirements: [{id: STS-5-01, level: MUST}]
)" << kTestWorld << R"(steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: delivered}
)";
    auto s = LoadScenario(root_ / "t/misbehave.yaml");
    EXPECT_TRUE(s.ok()) << s.error().Text();
    if (s.ok()) {
      scenario_ = std::move(*s);
    }
  }
  ~ScenarioWireTest() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  // The test world with mx1's later phases (test_world.h kMxPhases).
  Result<Scenario> MxPhases() {
    std::ofstream(root_ / "t/mx-phases.yaml") << R"(id: t/mx-phases
title: "t"
requirements: [{id: STS-5-01, level: MUST}]
)" << kTestWorld.substr(0, kTestWorld.find("smtp:"))
                                              << kMxPhases;
    return LoadScenario(root_ / "t/mx-phases.yaml");
  }
  fs::path root_;
  Scenario scenario_;
};

TEST_F(ScenarioWireTest, AnMxLaterPhaseIsAMockOfItsOwn) {
  auto s = MxPhases();
  ASSERT_TRUE(s.ok()) << s.error().Text();
  const CaseResult r = RunScenarioWire(*s, {});
  EXPECT_EQ(r.outcome, Outcome::kPass) << r.message;
  // Each phase that listens is a server of its own, and its sessions are
  // in the transcript under the time it begins.
  const auto& smtp = r.actual["transcript"].back()["smtp"];
  for (const char* label : {"mx1.example.test", "mx1.example.test (from 1800003600)",
                            "mx1.example.test (from 1800007200)"}) {
    EXPECT_TRUE(smtp.contains(label)) << label << "\n" << smtp.dump();
  }
  EXPECT_FALSE(smtp.contains("mx1.example.test (from 1800010800)")) << smtp.dump();
}

// Whether another socket can bind `port` on loopback (no SO_REUSEADDR).
bool PortIsFree(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return bound;
}

// A `down` host or phase refuses connections on a port that nothing else
// can be given while the world runs; the lab's Follow() holds a host's own
// port the same way while it is down, and serves on it again after.
TEST_F(ScenarioWireTest, ADownHostsPortRefusesConnectionsAndStaysHeld) {
  auto s = MxPhases();
  ASSERT_TRUE(s.ok()) << s.error().Text();
  FixedClock clock(s->clock);
  auto world = ScenarioWorld::Start(*s, clock);
  ASSERT_TRUE(world.ok()) << world.error().Text();
  ScenarioWorld& w = **world;
  const auto& phases = w.smtp_phases.at("mx1.example.test");
  ASSERT_EQ(phases.size(), 4u);
  ASSERT_EQ(phases.back().first, 1800010800);
  const std::uint16_t down = PortOf(phases.back().second);
  EXPECT_FALSE(RawClient(down).connected());
  EXPECT_FALSE(PortIsFree(down));

  const std::uint16_t own = PortOf(w.smtp_addresses.at("mx1.example.test"));
  // A session open when the host goes down: cut, and kept with its server.
  RawClient open(own);
  ASSERT_TRUE(open.connected());
  EXPECT_NE(open.ReadUntil("\r\n").find("220"), std::string::npos);
  auto changed = w.Follow(*s, 1800010800);
  ASSERT_TRUE(changed.ok()) << changed.error().Text();
  EXPECT_EQ(*changed, std::vector<std::string>{"mx1.example.test"});
  ASSERT_EQ(w.smtp_retired.size(), 1u);
  EXPECT_EQ(w.smtp_retired[0].first, "mx1.example.test");
  const auto sessions = w.smtp_retired[0].second->Sessions();
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_TRUE(sessions[0].finished);
  EXPECT_EQ(sessions[0].end, "stopped");
  EXPECT_FALSE(RawClient(own).connected());
  EXPECT_FALSE(PortIsFree(own));

  changed = w.Follow(*s, 1800007200);  // up again, STARTTLS stripped
  ASSERT_TRUE(changed.ok()) << changed.error().Text();
  RawClient again(own);
  ASSERT_TRUE(again.connected());
  EXPECT_NE(again.ReadUntil("\r\n").find("220"), std::string::npos);

  w.Stop();
  EXPECT_TRUE(PortIsFree(down));
}

TEST_F(ScenarioWireTest, AStallingClientEndsTheRunWithAnErrorNamingTheStep) {
  ScenarioRunOptions o;
  o.step_budget = std::chrono::milliseconds(1500);
  o.deliver_override = [](const ScenarioWorld& w, const std::string&) {
    // Says EHLO and STARTTLS, then waits forever for a handshake it never
    // starts: only the watchdog stopping the mocks ends the wait.
    RawClient c(PortOf(w.smtp_addresses.at("mx1.example.test")));
    EXPECT_TRUE(c.connected());
    EXPECT_NE(c.ReadUntil("\r\n").find("220"), std::string::npos);
    c.Send("EHLO stall.test\r\nSTARTTLS\r\n");
    c.ReadUntil("Ready to start TLS");
    c.WaitForClose();
    return mtasts::DeliveryReport{};
  };
  const CaseResult r = RunScenarioWire(scenario_, o);
  EXPECT_EQ(r.outcome, Outcome::kError);
  // The deliver step's line: three header lines, the world, "steps:".
  const auto deliver_line = 5 + std::count(kTestWorld.begin(), kTestWorld.end(), '\n');
  EXPECT_NE(r.message.find("line " + std::to_string(deliver_line) +
                           ": deliver a@example.test: the sender did not finish within 1500 ms"),
            std::string::npos)
      << r.message;
  // The mock ended the session and logged the dialogue before TLS.
  const std::string transcript = r.actual.dump();
  EXPECT_NE(transcript.find("STARTTLS"), std::string::npos) << transcript;
}

TEST_F(ScenarioWireTest, SmtpClientRulesJudgeWhatTheMockSaw) {
  // The reference sender keeps the RFC 3207 rules ...
  std::ofstream(root_ / "t/client.yaml") << R"(id: t/client
title: "t"
requirements: [{id: TLS-4-06, level: MUST}]
)" << kTestWorld << R"(steps:
  - deliver: {to: a@example.test}
  - expect:
      smtp_client: {starttls_bare: true, no_pipelining_into_tls: true, ehlo_first_under_tls: true}
)";
  auto s = LoadScenario(root_ / "t/client.yaml");
  ASSERT_TRUE(s.ok()) << s.error().Text();
  const CaseResult ok = RunScenarioWire(*s, {});
  EXPECT_EQ(ok.outcome, Outcome::kPass) << ok.message;
  // ... and a client that pipelines a command after STARTTLS breaks one:
  // the mock discards the bytes and the rule names the session.
  ScenarioRunOptions o;
  o.deliver_override = [](const ScenarioWorld& w, const std::string&) {
    RawClient c(PortOf(w.smtp_addresses.at("mx1.example.test")));
    EXPECT_TRUE(c.connected());
    c.ReadUntil("\r\n");
    c.Send("EHLO eager.test\r\n");
    c.ReadUntil("STARTTLS\r\n");
    c.Send("STARTTLS\r\nMAIL FROM:<a@eager.test>\r\n");
    c.ReadUntil("Ready to start TLS");
    return mtasts::DeliveryReport{};
  };
  const CaseResult bad = RunScenarioWire(*s, o);
  EXPECT_EQ(bad.outcome, Outcome::kFail);
  EXPECT_NE(bad.message.find("smtp_client: mx1.example.test (session 1): 26 octets sent after "
                             "STARTTLS"),
            std::string::npos)
      << bad.message;
}

// A sender that keeps its SMTP session open from one delivery to the next
// (a connection cache) is judged on what it sends on it later too: the
// mark counted sessions only, so the second delivery's MAIL in clear on
// the first delivery's session went unseen (review finding).
TEST_F(ScenarioWireTest, CommandsOnAReusedSessionAreJudged) {
  std::ofstream(root_ / "t/reuse.yaml") << R"(id: t/reuse
title: "t"
requirements: [{id: TLS-4-03, level: MUST}]
)" << kTestWorld << R"(steps:
  - deliver: {to: a@example.test}
  - expect: {smtp_client: {no_mail_in_clear: true}}
  - deliver: {to: b@example.test}
  - expect: {smtp_client: {no_mail_in_clear: true}}
)";
  auto s = LoadScenario(root_ / "t/reuse.yaml");
  ASSERT_TRUE(s.ok()) << s.error().Text();
  ScenarioRunOptions o;
  std::unique_ptr<RawClient> cached;  // the session both deliveries use
  o.deliver_override = [&cached](const ScenarioWorld& w, const std::string& to) {
    if (!cached) {
      cached = std::make_unique<RawClient>(PortOf(w.smtp_addresses.at("mx1.example.test")));
      EXPECT_TRUE(cached->connected());
      cached->ReadUntil("\r\n");
      cached->Send("EHLO cache.test\r\n");
      cached->ReadUntil("STARTTLS\r\n");
      cached->Send("NOOP\r\n");
      cached->ReadUntil("250 ");
      return mtasts::DeliveryReport{};
    }
    cached->Send("MAIL FROM:<a@cache.test>\r\n");
    cached->ReadUntil("\r\n");
    cached->Send("QUIT\r\n");
    cached->ReadUntil("221");
    (void)to;
    return mtasts::DeliveryReport{};
  };
  const CaseResult r = RunScenarioWire(*s, o);
  EXPECT_EQ(r.outcome, Outcome::kFail) << r.message;
  EXPECT_NE(r.message.find("smtp_client: mx1.example.test (session 1): sent \"MAIL "
                           "FROM:<a@cache.test>\" without TLS"),
            std::string::npos)
      << r.message;
  // The first step passed: the failure is the second expect's line.
  const auto second_expect = 8 + std::count(kTestWorld.begin(), kTestWorld.end(), '\n');
  EXPECT_EQ(r.message.rfind("line " + std::to_string(second_expect) + ": ", 0), 0u) << r.message;
}

// Report mails are judged in the order they arrived, across MX hosts: the
// wire runner listed them MX host by host (review finding). The reporter
// mails example.org's report (to r@z.example, through mx.z) before
// example.test's (to r@a.example, through mx.a), which is not the hosts'
// name order.
TEST_F(ScenarioWireTest, ReportMailsKeepTheirOrderAcrossMxHosts) {
  // kTestWorld with a DNS section of its own, and two more MX hosts.
  const std::string_view world = kTestWorld;
  std::ofstream(root_ / "t/mail-order.yaml") << R"(id: t/mail-order
title: "t"
requirements: [{id: RPT-3-12, level: MUST}]
)" << world.substr(0, world.find("dns:")) << R"(dns:
  origins: [example.test, example.org, z.example, a.example]
  zonedata:
    example.test: [{MX: [10, mx1.example.test]}]
    example.org: [{MX: [10, mx1.example.test]}]
    mx1.example.test: [{A: 127.0.0.1}]
    _mta-sts.example.test: [{TXT: "v=STSv1; id=1"}]
    _smtp._tls.example.test: [{TXT: "v=TLSRPTv1; rua=mailto:r@a.example"}]
    _smtp._tls.example.org: [{TXT: "v=TLSRPTv1; rua=mailto:r@z.example"}]
    z.example: [{MX: [10, mx.z.example]}]
    mx.z.example: [{A: 127.0.0.1}]
    a.example: [{MX: [10, mx.a.example]}]
    mx.a.example: [{A: 127.0.0.1}]
)" << world.substr(world.find("https:")) << R"(  mx.z.example: {starttls: absent}
  mx.a.example: {starttls: absent}
steps:
  - deliver: {to: a@example.test}
  - deliver: {to: b@example.org}
  - report: {}
  - expect:
      report_mails: [{to: r@z.example, mx: mx.z.example}, {to: r@a.example, mx: mx.a.example}]
)";
  auto s = LoadScenario(root_ / "t/mail-order.yaml");
  ASSERT_TRUE(s.ok()) << s.error().Text();
  const CaseResult in_process = RunScenarioInProcess(*s);
  EXPECT_EQ(in_process.outcome, Outcome::kPass) << in_process.message;
  const CaseResult wire = RunScenarioWire(*s);
  EXPECT_EQ(wire.outcome, Outcome::kPass) << wire.message;
}

// The HTTPS framing knobs in scenario YAML reach the mock: a policy sent
// close-delimited and ended by a bare FIN (no close_notify: a forged FIN
// could have cut it, RFC 9112 §9.8) is not taken by the reference; with
// close_notify, or chunked with 1xx first, it is. In-process the fakes
// have no framing, so the case is partial and names the knobs.
TEST_F(ScenarioWireTest, FramingKnobsInScenarioYamlReachTheMock) {
  const std::string_view world = kTestWorld;
  // The scenario `name` with the policy path's `knobs` (flow-map entries)
  // and the expected policy.
  const auto write = [&](const std::string& name, const std::string& knobs,
                         const std::string& policy) {
    const std::string path =
        "      /.well-known/mta-sts.txt: {body: \"version: STSv1\\nmode: "
        "enforce\\nmx: mx1.example.test\\nmax_age: 600\\n\", " +
        knobs + "}\n";
    std::ofstream(root_ / ("t/" + name + ".yaml"))
        << "id: t/" << name << "\ntitle: \"t\"\nrequirements: [{id: STS-3.3-10, level: MUST}]\n"
        << world.substr(0, world.find("https:"))
        << "https:\n  mta-sts.example.test:\n    cert: policy\n    paths:\n"
        << path << world.substr(world.find("smtp:"))
        << "steps:\n  - deliver: {to: a@example.test}\n  - expect: {verdict: delivered, policy: "
        << policy << "}\n";
    return LoadScenario(root_ / ("t/" + name + ".yaml"));
  };
  auto cut = write("forged-fin", "close_delimited: true, no_close_notify: true", "none");
  ASSERT_TRUE(cut.ok()) << cut.error().Text();
  EXPECT_TRUE(cut->https.at("mta-sts.example.test").paths.begin()->second.no_close_notify);
  EXPECT_EQ(RunScenarioWire(*cut).outcome, Outcome::kPass);
  const CaseResult in_process = RunScenarioInProcess(*cut);
  EXPECT_EQ(in_process.outcome, Outcome::kPartial) << in_process.message;
  EXPECT_NE(in_process.message.find("/.well-known/mta-sts.txt no_close_notify (the fake has no "
                                    "framing)"),
            std::string::npos)
      << in_process.message;
  for (const auto& [name, knobs] :
       {std::pair{"close-notify", "close_delimited: true"},
        std::pair{"chunked-interim",
                  "chunked: true, chunk_extension_bytes: 16, interim: [100, 103]"}}) {
    auto s = write(name, knobs, "{mode: enforce, id: \"1\"}");
    ASSERT_TRUE(s.ok()) << s.error().Text();
    const CaseResult r = RunScenarioWire(*s);
    EXPECT_EQ(r.outcome, Outcome::kPass) << name << ": " << r.message;
  }
  // Out of range: a load error naming the key.
  for (const auto& [bad, key] :
       {std::pair{"interim: [200]", "interim"}, std::pair{"interim: 100", "interim"},
        std::pair{"chunk_extension_bytes: -1", "chunk_extension_bytes"}}) {
    auto b = write("bad-knob", bad, "none");
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_NE(b.error().Text().find(key), std::string::npos) << bad << ": " << b.error().Text();
  }
}

TEST_F(ScenarioWireTest, RequireTlsRefusesPlaintextMailInBothModes) {
  // A sender that does not look for MTA-STS meets an MX whose STARTTLS an
  // attacker stripped and that requires TLS: the 530 to MAIL is permanent
  // in-process and on the wire alike.
  std::ofstream(root_ / "t/require-tls.yaml") << R"(id: t/require-tls
title: "t"
requirements: [{id: STS-5-01, level: MUST}]
)" << kTestWorld.substr(0, kTestWorld.find("smtp:"))
                                              << R"(smtp:
  mx1.example.test: {cert: mx1, starttls: strip-from-ehlo, require_tls: true}
steps:
  - deliver: {to: a@example.test}
  - expect: {verdict: bounced, contacted: [mx1.example.test]}
)";
  auto s = LoadScenario(root_ / "t/require-tls.yaml");
  ASSERT_TRUE(s.ok()) << s.error().Text();
  EXPECT_TRUE(s->smtp.at("mx1.example.test").require_tls);
  ScenarioRunOptions o;
  o.profile = mtasts::SenderProfile::kOpportunistic;
  const CaseResult in_process = RunScenarioInProcess(*s, o);
  EXPECT_EQ(in_process.outcome, Outcome::kPass) << in_process.message;
  const CaseResult wire = RunScenarioWire(*s, o);
  EXPECT_EQ(wire.outcome, Outcome::kPass) << wire.message;
  EXPECT_NE(wire.actual.dump().find("530 5.7.0 Must issue a STARTTLS command first"),
            std::string::npos);
}

TEST_F(ScenarioWireTest, GarbageAndAClientVanishingMidTlsDoNotHangTheRun) {
  ScenarioRunOptions o;
  o.step_budget = std::chrono::milliseconds(10000);
  o.deliver_override = [](const ScenarioWorld& w, const std::string&) {
    const std::uint16_t port = PortOf(w.smtp_addresses.at("mx1.example.test"));
    {
      // Garbage, a huge line without a newline, then gone.
      RawClient c(port);
      c.ReadUntil("\r\n");
      c.Send(std::string(70000, '\x01'));
    }
    {
      // STARTTLS, the start of a ClientHello, then gone.
      RawClient c(port);
      c.ReadUntil("\r\n");
      c.Send("EHLO vanish.test\r\nSTARTTLS\r\n");
      c.ReadUntil("Ready to start TLS");
      c.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    }
    // The mock still serves a well-behaved client afterwards.
    RawClient ok(port);
    EXPECT_NE(ok.ReadUntil("\r\n").find("220"), std::string::npos);
    ok.Send("QUIT\r\n");
    EXPECT_NE(ok.ReadUntil("\r\n").find("221"), std::string::npos);
    return mtasts::DeliveryReport{};  // deferred, nothing delivered
  };
  const CaseResult r = RunScenarioWire(scenario_, o);
  // The run completed: the expectation (delivered) is what failed.
  EXPECT_EQ(r.outcome, Outcome::kFail);
  EXPECT_NE(r.message.find("verdict: expected delivered, got deferred"), std::string::npos)
      << r.message;
}

}  // namespace
}  // namespace mxconform::conformance
