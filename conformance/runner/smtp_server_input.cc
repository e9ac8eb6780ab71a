// The shape of an smtp-server case's input (smtp_server_case.h), in the
// model library: the case-file lint and the runner both check it, and the
// fuzz targets link no sockets.
#include <string>

#include "conformance/runner/smtp_server_case.h"
#include "mocks/smtp/dialogue.h"

namespace mxconform::conformance {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxSteps = 64;
constexpr std::size_t kMaxSend = 4096;

bool Printable(const std::string& s, bool crlf_allowed) {
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 || u >= 0x7f) && !(crlf_allowed && (c == '\r' || c == '\n'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<OpenspfDocument> SmtpServerZone(const json& input) {
  // JSON is YAML: the map goes to the openspf zone reader as it is; then
  // it is loaded once, which checks what the reader leaves to the load
  // (addresses, record data).
  auto doc = ParseOpenspfZone(json{{"zonedata", input.value("zonedata", json::object())}}.dump());
  if (!doc) {
    return doc;
  }
  FixedClock clock(0);
  OpenspfZone zone(clock);
  if (auto bad = zone.Load(*doc)) {
    return MakeDiag("vectors.openspf.zonedata", Severity::kError, 0, "a zonedata entry is bad",
                    *bad);
  }
  return doc;
}

std::string SmtpServerInputProblem(const json& input) {
  if (!input.is_object()) {
    return "smtp-server input must be a map with a script";
  }
  for (const auto& [k, v] : input.items()) {
    if (k == "server") {
      if (!v.is_object()) {
        return "smtp-server input: server must be a map";
      }
      for (const auto& [knob, value] : v.items()) {
        if (knob == "starttls") {
          if (!value.is_string() || !mocks::smtp::ParseStartTls(value.get<std::string>())) {
            return "smtp-server input: server.starttls must be offer, absent, strip-from-ehlo, "
                   "reply-454, reply-502, abort-handshake or garbage-after-220";
          }
        } else if (knob == "require_tls" || knob == "require_client_certificate" || knob == "spf") {
          if (!value.is_boolean()) {
            return "smtp-server input: server." + knob + " must be a boolean";
          }
        } else {
          return "smtp-server input: unknown server knob '" + knob + "'";
        }
      }
    } else if (k == "zonedata") {
      if (!v.is_object()) {
        return "smtp-server input: zonedata must be a map of name to records";
      }
      if (!input.contains("server") || !input["server"].is_object() ||
          input["server"].value("spf", false) != true) {
        return "smtp-server input: zonedata is read only with server.spf: true";
      }
      auto zone = SmtpServerZone(input);
      if (!zone) {
        return "smtp-server input: zonedata: " + zone.error().Text();
      }
    } else if (k != "script") {
      return "smtp-server input: unknown key '" + k + "'";
    }
  }
  if (!input.contains("script") || !input["script"].is_array() || input["script"].empty()) {
    return "smtp-server input needs a script: a list of steps";
  }
  if (input["script"].size() > kMaxSteps) {
    return "smtp-server input: a script of at most " + std::to_string(kMaxSteps) + " steps";
  }
  for (const auto& step : input["script"]) {
    if (step.is_string()) {
      const std::string s = step.get<std::string>();
      if (s.empty() || s.size() > kMaxSend || !Printable(s, false)) {
        return "smtp-server input: a command line is 1 to " + std::to_string(kMaxSend) +
               " printable ASCII characters (banner and tls name the other steps)";
      }
    } else if (step.is_object() && step.size() == 1 && step.contains("send") &&
               step["send"].is_string()) {
      const std::string s = step["send"].get<std::string>();
      if (s.empty() || s.size() > kMaxSend || !Printable(s, true)) {
        return "smtp-server input: send takes 1 to " + std::to_string(kMaxSend) +
               " octets of printable ASCII, CR and LF";
      }
    } else {
      return "smtp-server input: a step is banner, tls, a command line or {send: BYTES}";
    }
  }
  return "";
}

}  // namespace mxconform::conformance
