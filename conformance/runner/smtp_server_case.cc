#include "conformance/runner/smtp_server_case.h"

#include <chrono>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mocks/pki/pki.h"
#include "mocks/smtp/server.h"
#include "net/smtp_client.h"
#include "net/smtp_text.h"
#include "spf/receiver.h"

namespace mxconform::conformance {
namespace {

using nlohmann::json;

constexpr std::string_view kHost = "mx.probe.test";

// "CODE", or "CODE X.Y.Z" when the first line starts with an enhanced
// status code.
std::string Summary(const net::SmtpSession::ProbeReply& r) {
  const std::string_view enhanced =
      r.lines.empty() ? std::string_view() : net::EnhancedStatusCode(r.lines.front());
  return std::to_string(r.code) + (enhanced.empty() ? "" : " " + std::string(enhanced));
}

}  // namespace

Result<json> EvaluateSmtpServer(const json& input) {
  if (std::string why = SmtpServerInputProblem(input); !why.empty()) {
    return MakeDiag("vectors.case.input", Severity::kError, 0, why);
  }
  namespace pki = mocks::pki;
  // The server presents a chain of a fresh test PKI, valid now; the probe
  // checks no certificate (the server's TLS duties are what is tested).
  const UnixSeconds now = std::time(nullptr);
  pki::CertSpec root;
  root.name = "root";
  root.ca = true;
  root.common_name = "mxconform smtp-server root";
  pki::CertSpec leaf;
  leaf.name = "leaf";
  leaf.issuer = "root";
  leaf.dns_names = {std::string(kHost)};
  auto built = pki::Pki::Build({root, leaf}, now);
  if (!built) {
    return built.error();
  }
  mocks::smtp::ServerOptions so;
  so.hostname = std::string(kHost);
  so.pki = *built;
  so.default_chain = {"leaf", true};
  const json server = input.value("server", json::object());
  if (server.contains("starttls")) {
    so.starttls = *mocks::smtp::ParseStartTls(server["starttls"].get<std::string>());
  }
  so.require_tls = server.value("require_tls", false);
  so.require_client_certificate = server.value("require_client_certificate", false);
  // The reference receiver at MAIL FROM: the null MX check, then SPF for
  // the connecting address, over the case's zone (a fresh copy per check:
  // the hook runs on the server's thread).
  std::optional<OpenspfDocument> zone;
  if (server.value("spf", false)) {
    auto z = SmtpServerZone(input);
    if (!z) {
      return z.error();
    }
    zone = std::move(*z);
    so.on_mail = [&zone](const mocks::smtp::MailContext& m) {
      const auto ip = spf::ParseIp(m.client);
      if (!ip) {
        return std::string("451 4.3.0 client address unknown");
      }
      FixedClock clock(0);
      OpenspfZone dns(clock);
      if (dns.Load(*zone)) {
        return std::string("451 4.3.0 zone unreadable");
      }
      return spf::FormatReply(spf::CheckAtMail(*ip, m.helo, m.reverse_path, dns),
                              /*final_crlf=*/false);
    };
  }
  so.read_timeout_ms = 5000;
  so.handshake_timeout_ms = 5000;
  so.session_timeout_ms = 20000;
  auto started = mocks::smtp::Server::Start(so);
  if (!started) {
    return started.error();
  }
  std::unique_ptr<mocks::smtp::Server> srv = std::move(*started);

  net::SmtpConnectorOptions co;
  co.addresses[std::string(kHost)] = srv->endpoint();
  co.connect_timeout = std::chrono::milliseconds(3000);
  co.io_timeout = std::chrono::milliseconds(3000);
  co.handshake_timeout = std::chrono::milliseconds(3000);
  co.session_timeout = std::chrono::milliseconds(15000);
  net::SmtpConnector connector(co);
  json replies = json::array();
  json transcript = json::array();
  std::string detail;
  std::unique_ptr<net::SmtpSession> session = connector.ConnectSmtp(kHost, "127.0.0.1", detail);
  if (!session) {
    replies.push_back("no reply: cannot connect: " + detail);
  } else {
    for (const auto& step : input["script"]) {
      if (step == "tls") {
        const std::string why = session->ProbeHandshake(kHost);
        replies.push_back(why.empty() ? std::string("tls") : "tls failed: " + why);
        if (!why.empty()) {
          break;
        }
        continue;
      }
      net::SmtpSession::ProbeReply r;
      if (step == "banner") {
        r = session->ProbeRead();
      } else if (step.is_string()) {
        r = session->ProbeSend(step.get<std::string>() + "\r\n");
      } else {
        r = session->ProbeSend(step["send"].get<std::string>());
      }
      if (r.code == 0) {
        replies.push_back("no reply: the session broke (see the transcript)");
        break;
      }
      replies.push_back(Summary(r));
    }
    for (const auto& line : session->transcript()) {
      transcript.push_back(line);
    }
    session.reset();  // closes without QUIT: the script says what is sent
  }
  srv->Stop();
  for (const auto& log : srv->Sessions()) {
    for (const auto& line : log.transcript) {
      transcript.push_back("server: " + line);
    }
  }
  return json{{"replies", std::move(replies)}, {"transcript", std::move(transcript)}};
}

}  // namespace mxconform::conformance
