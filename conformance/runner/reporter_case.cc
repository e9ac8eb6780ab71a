#include "conformance/runner/reporter_case.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/domain.h"
#include "spf/zone.h"
#include "tlsrpt/reporter.h"
#include "tlsrpt/result_type.h"
#include "tlsrpt/submission.h"

namespace mxconform::conformance {
namespace {

using nlohmann::json;

// The day the sessions fall in: the UTC day that starts at this instant.
constexpr UnixSeconds kDay = 1800000000 - 1800000000 % 86400;
constexpr std::int64_t kDefaultUntil = 2 * 86400;
// Past this many Run() rounds the case stops: the reporter must settle
// (deliver, give up) long before, whatever the endpoints answer.
constexpr int kMaxRounds = 1000;

// The DNS the reporter sees: the zone, with every query written down.
class LoggingResolver final : public spf::Resolver {
 public:
  explicit LoggingResolver(spf::Resolver& inner) : inner_(inner) {}
  spf::DnsAnswer Query(std::string_view name, spf::QueryType type) override {
    log.push_back(std::string(spf::QueryTypeName(type)) + " " + std::string(name));
    return inner_.Query(name, type);
  }
  std::vector<std::string> log;

 private:
  spf::Resolver& inner_;
};

// The rua endpoints: each URI answers from its script, the last answer
// repeating; a URI without one does not answer (HTTPS status 0, mail not
// accepted). Each submission is written down, with whether what was sent
// reads as a report (src/tlsrpt/submission.h).
class ScriptedTransport final : public tlsrpt::ReportTransport {
 public:
  ScriptedTransport(const json& endpoints, const Clock& clock) : clock_(clock) {
    for (const auto& [uri, answers] : endpoints.items()) {
      script_[uri] = answers;
    }
  }

  int Post(std::string_view url, std::string_view content_type, std::string_view body,
           std::string& detail) override {
    const json a = Next(std::string(url));
    const int status = a.is_number_integer() ? a.get<int>() : 0;
    if (status == 0) {
      detail = "no answer";
    }
    Note(std::string(url), content_type, tlsrpt::ReadReportPost(content_type, body),
         status == 0 ? "no-answer" : std::to_string(status));
    return status;
  }

  bool Mail(std::string_view address, std::string_view message, std::string& detail) override {
    const std::string uri = "mailto:" + std::string(address);
    const json a = Next(uri);
    const bool accepted = a.is_boolean() && a.get<bool>();
    if (!accepted) {
      detail = "not accepted";
    }
    Note(uri, "message/rfc822", tlsrpt::ReadReportMail(message), accepted ? "accepted" : "refused");
    return accepted;
  }

  struct Sent {
    UnixSeconds time;
    std::string uri;
    std::string media_type;
    std::string error;  // why what was sent does not read as a report; "" if it does
    std::string answer;
  };
  std::vector<Sent> sent;

 private:
  json Next(const std::string& uri) {
    auto it = script_.find(uri);
    if (it == script_.end() || !it->second.is_array() || it->second.empty()) {
      return json();
    }
    std::size_t& k = used_[uri];
    const json& list = it->second;
    const json a = list[std::min(k, list.size() - 1)];
    ++k;
    return a;
  }
  void Note(std::string uri, std::string_view media_type, const Result<tlsrpt::Submission>& read,
            std::string answer) {
    sent.push_back({clock_.Now(), std::move(uri), std::string(media_type),
                    read.ok() ? std::string() : read.error().Text(), std::move(answer)});
  }

  const Clock& clock_;
  std::map<std::string, json> script_;
  std::map<std::string, std::size_t> used_;
};

bool IsIntIn(const json& v, std::int64_t lo, std::int64_t hi) {
  return v.is_number_integer() && v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi;
}

}  // namespace

std::string ReporterInputProblem(const json& i) {
  if (!i.is_object()) {
    return "tlsrpt-reporter input must be a map";
  }
  for (const auto& [k, v] : i.items()) {
    if (k == "domain") {
      if (!v.is_string()) {
        return "tlsrpt-reporter input: domain must be a string";
      }
      // The Policy Domain, in A-label form as the reporter keeps it.
      if (const auto c = domain::CheckName(v.get<std::string>()); !c.ok()) {
        return "tlsrpt-reporter input: domain is not a domain name: " +
               std::string(domain::NameErrorMessage(c.error)) + " at byte " +
               std::to_string(c.offset);
      }
    } else if (k == "record") {
      const bool list =
          v.is_array() && !v.empty() &&
          std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string(); });
      if (!v.is_string() && !list) {
        return "tlsrpt-reporter input: record must be a string or a list of strings";
      }
    } else if (k == "sessions") {
      if (!v.is_array()) {
        return "tlsrpt-reporter input: sessions must be a list";
      }
      for (const auto& s : v) {
        if (!s.is_object() || !s.contains("at") || !IsIntIn(s["at"], 0, 86399)) {
          return "tlsrpt-reporter input: each session needs `at`, seconds into the day "
                 "(0-86399)";
        }
        for (const auto& [sk, sv] : s.items()) {
          if (sk == "result") {
            if (!sv.is_string() ||
                (sv != "success" && !tlsrpt::ResultTypeFromName(sv.get<std::string>()))) {
              return "tlsrpt-reporter input: a session result is `success` or an RFC 8460 "
                     "result type";
            }
          } else if (sk == "report_delivery") {
            if (!sv.is_boolean()) {
              return "tlsrpt-reporter input: report_delivery must be true or false";
            }
          } else if (sk != "at") {
            return "tlsrpt-reporter input: unknown session key '" + sk + "'";
          }
        }
      }
    } else if (k == "endpoints") {
      if (!v.is_object()) {
        return "tlsrpt-reporter input: endpoints must map a URI to its answers";
      }
      for (const auto& [uri, answers] : v.items()) {
        const bool https = uri.rfind("https:", 0) == 0;
        if (!answers.is_array() || answers.empty() ||
            !std::all_of(answers.begin(), answers.end(), [&](const json& a) {
              return https ? IsIntIn(a, 0, 999) : a.is_boolean();
            })) {
          return "tlsrpt-reporter input: endpoint " + uri +
                 " needs a non-empty list of answers (HTTP statuses for https, true / false "
                 "for mailto)";
        }
      }
    } else if (k == "until") {
      if (!IsIntIn(v, 0, 30 * 86400)) {
        return "tlsrpt-reporter input: until must be seconds (0 to 30 days)";
      }
    } else {
      return "tlsrpt-reporter input: unknown key '" + k + "'";
    }
  }
  return "";
}

json RunReporterCase(const json& i) {
  const std::string domain = i.value("domain", std::string("example.com"));
  spf::ZoneResolver zone;
  if (i.contains("record")) {
    const json records = i["record"].is_string() ? json::array({i["record"]}) : i["record"];
    for (const auto& r : records) {
      zone.AddTxt("_smtp._tls." + domain, r.get<std::string>());
    }
  }
  LoggingResolver dns(zone);
  FixedClock clock(kDay);
  tlsrpt::Reporter reporter(dns, clock);
  for (const auto& s : i.value("sessions", json::array())) {
    tlsrpt::SessionOutcome o;
    o.time = kDay + s["at"].get<std::int64_t>();
    o.policy_domain = domain;
    o.policy_type = tlsrpt::PolicyType::kSts;
    o.policy_string = {"version: STSv1", "mode: enforce", "mx: mx.example.net", "max_age: 86400"};
    o.mx_host = "mx.example.net";
    const std::string result = s.value("result", std::string("success"));
    o.success = result == "success";
    if (!o.success) {
      o.failure.result_type = *tlsrpt::ResultTypeFromName(result);
      o.failure.receiving_mx_hostname = "mx.example.net";
      o.failure.sending_mta_ip = "192.0.2.25";
      o.failure.receiving_ip = "198.51.100.25";
    }
    o.report_delivery = s.value("report_delivery", false);
    reporter.Record(o);
  }
  ScriptedTransport transport(i.value("endpoints", json::object()), clock);
  // From the end of the day: run, then move the clock to the next attempt
  // due, until none is left or `until` has passed.
  const UnixSeconds day_end = kDay + 86400;
  const UnixSeconds stop = day_end + i.value("until", kDefaultUntil);
  clock.Set(day_end);
  for (int round = 0; round < kMaxRounds; ++round) {
    reporter.Run(transport);
    UnixSeconds next = stop + 1;
    for (const auto& p : reporter.reports()) {
      if (p.state == tlsrpt::ReportState::kWaiting) {
        next = std::min(next, std::max(p.next_attempt, clock.Now() + 1));
      }
    }
    if (next > stop) {
      break;
    }
    clock.Set(next);
  }

  json a;
  const auto& reports = reporter.reports();
  a["state"] = reports.empty() ? "none" : std::string(tlsrpt::ReportStateName(reports[0].state));
  a["queries"] = dns.log;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  json types = json::array();
  if (!reports.empty()) {
    for (const auto& p : reports[0].report.policies) {
      ok += p.total_successful_session_count;
      failed += p.total_failure_session_count;
      for (const auto& f : p.failure_details) {
        types.push_back(std::string(tlsrpt::ResultTypeName(f.result_type)));
      }
    }
  }
  a["counts"] = {{"successful", ok}, {"failed", failed}};
  a["result_types"] = types;
  a["report_sessions"] = reporter.report_sessions();
  json attempts = json::array();
  json media = json::array();
  json unreadable = json::array();
  const UnixSeconds first = transport.sent.empty() ? 0 : transport.sent.front().time;
  for (const auto& s : transport.sent) {
    attempts.push_back("+" + std::to_string(s.time - first) + " " + s.uri + " " + s.answer);
    if (std::find(media.begin(), media.end(), s.media_type) == media.end()) {
      media.push_back(s.media_type);
    }
    if (!s.error.empty()) {
      unreadable.push_back(s.uri + ": " + s.error);
    }
  }
  a["attempts"] = attempts;
  a["media_types"] = media;
  // Every submission read back as a report by the Policy Domain's side
  // (src/tlsrpt/submission.h); the reasons of those that did not.
  a["submissions_read"] = unreadable.empty();
  a["unreadable"] = unreadable;
  if (!transport.sent.empty()) {
    a["first_attempt_delay"] = transport.sent.front().time - day_end;
  }
  return a;
}

}  // namespace mxconform::conformance
