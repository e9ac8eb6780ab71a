#include "tlsrpt/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mxconform::tlsrpt {
namespace {

using Json = nlohmann::json;

// A report in the shape of the RFC 8460 §4.5 example: one STS policy with
// two failure kinds, one TLSA policy without failures.
constexpr std::string_view kFullReport = R"json({
  "organization-name": "Sender Mail Co.",
  "date-range": {
    "start-datetime": "2026-11-28T00:00:00Z",
    "end-datetime": "2026-11-28T23:59:59Z"
  },
  "contact-info": "tlsrpt-admin@sender.example",
  "report-id": "2026-11-28T00:00:00Z_recipient.example",
  "policies": [
    {
      "policy": {
        "policy-type": "sts",
        "policy-string": ["version: STSv1", "mode: enforce", "mx: mx1.recipient.example",
                          "mx: *.backup.recipient.example", "max_age: 604800"],
        "policy-domain": "recipient.example",
        "mx-host": "*.backup.recipient.example"
      },
      "summary": {
        "total-successful-session-count": 4821,
        "total-failure-session-count": 7
      },
      "failure-details": [
        {
          "result-type": "certificate-expired",
          "sending-mta-ip": "2001:db8:40::25",
          "receiving-mx-hostname": "mx2.backup.recipient.example",
          "receiving-mx-helo": "mx2.backup.recipient.example",
          "receiving-ip": "198.51.100.62",
          "failed-session-count": 5,
          "additional-information": "https://sender.example/tlsrpt/notes/expired"
        },
        {
          "result-type": "validation-failure",
          "sending-mta-ip": "203.0.113.9",
          "receiving-mx-hostname": "mx1.recipient.example",
          "receiving-ip": "2001:db8:aa::1",
          "failed-session-count": 2,
          "failure-reason-code": "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"
        }
      ]
    },
    {
      "policy": {
        "policy-type": "tlsa",
        "policy-string": ["3 0 1 A9C1D85E3A2F5B0C6D7E8F9A0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C"],
        "policy-domain": "xn--bcher-kva.example",
        "mx-host": "mx.xn--bcher-kva.example"
      },
      "summary": {
        "total-successful-session-count": 310,
        "total-failure-session-count": 0
      }
    }
  ]
})json";

// A minimal valid report to which tests apply one change.
Json Minimal() {
  return Json::parse(R"json({
    "organization-name": "Org",
    "date-range": {"start-datetime": "2026-01-01T00:00:00Z",
                   "end-datetime": "2026-01-01T23:59:59Z"},
    "contact-info": "admin@org.example",
    "report-id": "r1",
    "policies": [{
      "policy": {"policy-type": "sts", "policy-string": ["version: STSv1"],
                 "policy-domain": "example.com", "mx-host": "mx.example.com"},
      "summary": {"total-successful-session-count": 1, "total-failure-session-count": 1},
      "failure-details": [{
        "result-type": "starttls-not-supported", "sending-mta-ip": "192.0.2.1",
        "receiving-mx-hostname": "mx.example.com", "receiving-ip": "192.0.2.2",
        "failed-session-count": 1}]
    }]
  })json");
}

const std::string kFailure = "/policies/0/failure-details/0";
const std::string kPolicy = "/policies/0/policy";

// The first error as "id detail", or "ok".
std::string Outcome(std::string_view json) {
  auto r = ReadReport(json);
  return r.ok() ? "ok" : std::string(r.error().id) + " " + r.error().detail;
}
std::string OutcomeOf(const Json& j) { return Outcome(std::string_view(j.dump())); }

// Warning ids and details of a successful read.
std::vector<std::string> Warnings(const Json& j) {
  auto r = ReadReport(j.dump());
  EXPECT_TRUE(r.ok()) << OutcomeOf(j);
  std::vector<std::string> out;
  if (r.ok()) {
    for (const auto& d : r->diagnostics) {
      out.push_back(std::string(d.id) + " " + d.detail);
    }
  }
  return out;
}

TEST(TlsrptReport, ReadsTheFullReport) {
  auto r = ReadReport(kFullReport);
  ASSERT_TRUE(r.ok()) << r.error().Text();
  EXPECT_TRUE(r->diagnostics.empty());
  EXPECT_EQ(r->organization_name, "Sender Mail Co.");
  EXPECT_EQ(r->date_range.end_datetime, "2026-11-28T23:59:59Z");
  ASSERT_EQ(r->policies.size(), 2u);
  const PolicyReport& sts = r->policies[0];
  EXPECT_EQ(sts.policy_type, PolicyType::kSts);
  EXPECT_EQ(sts.policy_string.size(), 5u);
  EXPECT_TRUE(sts.policy_string_present);
  EXPECT_EQ(sts.mx_host, (std::vector<std::string>{"*.backup.recipient.example"}));
  EXPECT_EQ(sts.total_successful_session_count, 4821u);
  EXPECT_EQ(sts.total_failure_session_count, 7u);
  ASSERT_EQ(sts.failure_details.size(), 2u);
  EXPECT_EQ(sts.failure_details[0].result_type, ResultType::kCertificateExpired);
  EXPECT_EQ(sts.failure_details[0].receiving_mx_helo, "mx2.backup.recipient.example");
  EXPECT_EQ(sts.failure_details[1].failure_reason_code, "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED");
  EXPECT_EQ(sts.failure_details[1].receiving_mx_helo, "");
  EXPECT_EQ(r->policies[1].policy_type, PolicyType::kTlsa);
  EXPECT_TRUE(r->policies[1].failure_details.empty());
}

TEST(TlsrptReport, FullReportReadWriteRead) {
  auto first = ReadReport(kFullReport);
  ASSERT_TRUE(first.ok());
  for (bool pretty : {false, true}) {
    std::string written = WriteReport(*first, pretty);
    auto second = ReadReport(written);
    ASSERT_TRUE(second.ok()) << second.error().Text();
    EXPECT_EQ(*second, *first);
    EXPECT_EQ(WriteReport(*second, pretty), written);
    // The written form is the spec form.
    Json j = Json::parse(written);
    EXPECT_TRUE(j["policies"].is_array());
    EXPECT_TRUE(j["policies"][0]["policy"]["mx-host"].is_string());
    EXPECT_FALSE(j["policies"][1].contains("failure-details"));
    EXPECT_FALSE(j["policies"][0]["failure-details"][1].contains("receiving-mx-helo"));
    EXPECT_TRUE(j["policies"][0]["summary"]["total-failure-session-count"].is_number_unsigned());
  }
  EXPECT_EQ(WriteReport(*first).find('\n'), std::string::npos);
  EXPECT_NE(WriteReport(*first, true).find("\n  \"date-range\": {"), std::string::npos);
}

TEST(TlsrptReport, WriterFromAModel) {
  Report r;
  r.organization_name = "O";
  r.date_range = {"2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"};
  r.contact_info = "a@o.example";
  r.report_id = "id";
  PolicyReport p;
  p.policy_type = PolicyType::kNoPolicyFound;
  p.policy_domain = "o.example";
  p.total_successful_session_count = 3;
  r.policies.push_back(p);
  std::string written = WriteReport(r);
  EXPECT_EQ(written,
            R"({"organization-name":"O","date-range":{"start-datetime":"2026-01-01T00:00:00Z",)"
            R"("end-datetime":"2026-01-02T00:00:00Z"},"contact-info":"a@o.example",)"
            R"("report-id":"id","policies":[{"policy":{"policy-type":"no-policy-found",)"
            R"("policy-string":[],"policy-domain":"o.example"},"summary":)"
            R"({"total-successful-session-count":3,"total-failure-session-count":0}}]})");
  auto back = ReadReport(written);
  ASSERT_TRUE(back.ok()) << back.error().Text();
  EXPECT_EQ(*back, r);

  // Documented collapses: several mx-host names keep the first; an absent
  // policy-string is written as [] and reads back as present.
  r.policies[0].mx_host = {"a.o.example", "b.o.example"};
  r.policies[0].policy_string_present = false;
  back = ReadReport(WriteReport(r));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->policies[0].mx_host, (std::vector<std::string>{"a.o.example"}));
  EXPECT_TRUE(back->policies[0].policy_string_present);

  // Invalid UTF-8 in the model does not throw.
  r.organization_name = "bad \xff";
  EXPECT_NE(WriteReport(r).find("bad \xef\xbf\xbd"), std::string::npos);
}

// RPT-4-01: I-JSON has no noncharacters (RFC 7493 §2.1), raw or escaped.
// Review finding: a report holding U+FFFF or U+FDD0 read as valid, while
// one holding a lone surrogate, which the same sentence forbids, did not.
TEST(TlsrptReport, NoncharactersAreRefused) {
  const std::string json = Minimal().dump();
  const std::size_t at = json.find("\"Org\"") + 4;  // just before the closing quote
  for (std::string_view bad : {"\\uFFFF", "\\ufdd0", "\\uFDEF", "\\uD83F\\uDFFE", "\xef\xbf\xbf",
                               "\xef\xb7\x90", "\xf4\x8f\xbf\xbe"}) {
    std::string j = json;
    j.insert(at, bad);
    auto r = ReadReport(j);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().id, "tlsrpt.report.noncharacter") << bad;
    EXPECT_EQ(r.error().offset, at) << bad;
  }
  // Their neighbours are characters; an escaped backslash before "uFFFF"
  // is text, not an escape.
  for (std::string_view good : {"\\uFFFD", "\\uFDCF", "\\uFDF0", "\\uD83F\\uDFFD", "\xef\xbf\xbd",
                                "\\\\uFFFF", "\xf0\x9f\x98\x80"}) {
    std::string j = json;
    j.insert(at, good);
    auto r = ReadReport(j);
    EXPECT_TRUE(r.ok()) << good << ": " << r.error().Text();
  }
}

// Review finding: members of a defined shape took any text, and counts
// past what an I-JSON receiver holds exactly passed without a word. Each is
// a warning now (RFC 8460 §4.4 says what they are; RFC 7493 §2.2 is a
// SHOULD NOT): the report stays valid.
TEST(TlsrptReport, ShapesOfFailureDetailsAndCountsAreWarnedAbout) {
  auto warned = [](const Json& j) {
    auto r = ReadReport(j.dump());
    EXPECT_TRUE(r.ok()) << j.dump();
    std::string ids;
    if (r.ok()) {
      for (const auto& d : r->diagnostics) {
        ids += std::string(d.id) + " " + d.detail + ";";
      }
    }
    return ids;
  };
  Json j = Minimal();
  Json& f = j["policies"][0]["failure-details"][0];
  f["receiving-mx-hostname"] = "mx1 bad host!";
  EXPECT_NE(warned(j).find("tlsrpt.report.bad_mx_hostname "
                           "/policies/0/failure-details/0/receiving-mx-hostname;"),
            std::string::npos)
      << warned(j);
  f["receiving-mx-hostname"] = "mx1.example.com.";
  EXPECT_EQ(warned(j).find("bad_mx_hostname"), std::string::npos) << warned(j);
  f["additional-information"] = "see the logs, really";
  EXPECT_NE(warned(j).find("tlsrpt.report.additional_information_not_uri"), std::string::npos);
  f["additional-information"] = "https://reports.example/details?id=1";
  EXPECT_EQ(warned(j).find("additional_information"), std::string::npos) << warned(j);
  j["policies"][0]["summary"]["total-successful-session-count"] = (std::uint64_t{1} << 53) - 1;
  EXPECT_EQ(warned(j).find("count_not_exact"), std::string::npos) << warned(j);
  j["policies"][0]["summary"]["total-successful-session-count"] = std::uint64_t{1} << 53;
  EXPECT_NE(warned(j).find("tlsrpt.report.count_not_exact "
                           "/policies/0/summary/total-successful-session-count;"),
            std::string::npos)
      << warned(j);
}

TEST(TlsrptReport, InputLimits) {
  auto r = ReadReport(std::string(kMaxReportBytes + 1, ' '));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tlsrpt.report.too_large");

  std::string json = Minimal().dump();
  json.insert(20, "\xc3\x28");
  r = ReadReport(json);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tlsrpt.report.invalid_utf8");
  EXPECT_EQ(r.error().offset, 20u);

  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  r = ReadReport(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tlsrpt.report.too_deep");
  EXPECT_EQ(r.error().offset, 64u);
  // 64 levels are fine for the scanner; brackets in strings do not count.
  EXPECT_EQ(Outcome(std::string(64, '[') + std::string(64, ']')), "tlsrpt.report.wrong_type ");
  EXPECT_EQ(Outcome(R"({"x": ")" + std::string(100, '[') + R"(\"["})"),
            "tlsrpt.report.missing_field /organization-name");
  EXPECT_EQ(Outcome(std::string(70, '{')), "tlsrpt.report.too_deep ");
}

TEST(TlsrptReport, InvalidJson) {
  auto r = ReadReport(R"({"a": 1,])");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tlsrpt.report.invalid_json");
  EXPECT_EQ(r.error().offset, 8u);
  EXPECT_FALSE(r.error().detail.empty());
  EXPECT_EQ(ReadReport("").error().id, "tlsrpt.report.invalid_json");
  EXPECT_EQ(ReadReport("{} x").error().offset, 3u);
  EXPECT_EQ(ReadReport(R"({"a": "\ud800"})").error().id, "tlsrpt.report.invalid_json");
  EXPECT_EQ(ReadReport(R"({"a": 1e999})").error().id, "tlsrpt.report.invalid_json");
}

TEST(TlsrptReport, DuplicateKeys) {
  // RPT-4-01: I-JSON forbids duplicate member names.
  std::string json = Minimal().dump();
  json.insert(1, R"("report-id":"r0",)");
  EXPECT_EQ(Outcome(json), "tlsrpt.report.duplicate_key /report-id");
  json = Minimal().dump();
  std::size_t at = json.find(R"("failed-session-count")");
  json.insert(at, R"("receiving-ip":"192.0.2.3",)");
  EXPECT_EQ(Outcome(json), "tlsrpt.report.duplicate_key " + kFailure + "/receiving-ip");
  EXPECT_EQ(Outcome(R"({"a":{"x/y~":1,"x/y~":2}})"), "tlsrpt.report.duplicate_key /a/x~1y~0");
  EXPECT_EQ(Outcome(R"({"a":[{},{"k":1,"k":1}]})"), "tlsrpt.report.duplicate_key /a/1/k");
}

TEST(TlsrptReport, RequiredMembers) {
  for (const std::string& ptr : std::vector<std::string>{
           "/organization-name", "/date-range", "/date-range/start-datetime", "/contact-info",
           "/report-id", "/policies", kPolicy, kPolicy + "/policy-type", kPolicy + "/policy-domain",
           "/policies/0/summary", "/policies/0/summary/total-successful-session-count",
           "/policies/0/summary/total-failure-session-count", kFailure + "/result-type",
           kFailure + "/sending-mta-ip", kFailure + "/failed-session-count"}) {
    Json j = Minimal();
    Json::json_pointer p(ptr);
    j[p.parent_pointer()].erase(p.back());
    EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.missing_field " + ptr);
  }
  // A negotiation failure names its MX; receiving-ip may be left out, as
  // RFC 8460 Appendix B's own report does (a warning).
  Json no_mx = Minimal();
  no_mx["policies"][0]["failure-details"][0].erase("receiving-mx-hostname");
  EXPECT_EQ(OutcomeOf(no_mx), "tlsrpt.report.missing_field " + kFailure + "/receiving-mx-hostname");
  Json no_ip = Minimal();
  no_ip["policies"][0]["failure-details"][0].erase("receiving-ip");
  auto r = ReadReport(no_ip.dump());
  ASSERT_TRUE(r.ok()) << r.error().Text();
  ASSERT_EQ(r->diagnostics.size(), 1u);
  EXPECT_EQ(r->diagnostics[0].id, "tlsrpt.report.missing_receiving_ip");
  // A policy failure (sts-policy-fetch-error) may have reached no MX at all.
  Json fetch = Minimal();
  fetch["policies"][0]["failure-details"][0]["result-type"] = "sts-policy-fetch-error";
  fetch["policies"][0]["failure-details"][0].erase("receiving-mx-hostname");
  fetch["policies"][0]["failure-details"][0].erase("receiving-ip");
  EXPECT_EQ(OutcomeOf(fetch), "ok");
  // Present, they must still be what they say.
  Json empty_ip = Minimal();
  empty_ip["policies"][0]["failure-details"][0]["receiving-ip"] = "";
  EXPECT_EQ(OutcomeOf(empty_ip), "tlsrpt.report.bad_value " + kFailure + "/receiving-ip");
}

TEST(TlsrptReport, OptionalMembersAndUnknownMembers) {
  Json j = Minimal();
  j["policies"][0]["policy"].erase("policy-string");
  j["policies"][0]["policy"].erase("mx-host");
  j["policies"][0].erase("failure-details");
  j["extra"] = {{"anything", 1}};
  j["policies"][0]["policy"]["x-vendor"] = true;
  auto r = ReadReport(j.dump());
  ASSERT_TRUE(r.ok()) << r.error().Text();
  EXPECT_TRUE(r->diagnostics.empty());
  EXPECT_FALSE(r->policies[0].policy_string_present);
  EXPECT_TRUE(r->policies[0].mx_host.empty());
  EXPECT_TRUE(r->policies[0].failure_details.empty());
}

TEST(TlsrptReport, PoliciesMustBeAnArray) {
  // RPT-4-02.
  Json j = Minimal();
  j["policies"] = j["policies"][0];
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type /policies");
  j["policies"] = Json::array({1});
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type /policies/0");
  EXPECT_EQ(Outcome("[]"), "tlsrpt.report.wrong_type ");
}

TEST(TlsrptReport, PolicyType) {
  // RPT-4-03.
  for (auto [name, type] : {std::pair{"sts", PolicyType::kSts},
                            {"tlsa", PolicyType::kTlsa},
                            {"no-policy-found", PolicyType::kNoPolicyFound}}) {
    Json j = Minimal();
    j["policies"][0]["policy"]["policy-type"] = name;
    auto r = ReadReport(j.dump());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->policies[0].policy_type, type);
  }
  for (Json bad : {Json("STS"), Json("dane"), Json(1)}) {
    Json j = Minimal();
    j["policies"][0]["policy"]["policy-type"] = bad;
    EXPECT_EQ(OutcomeOf(j), std::string(bad.is_string() ? "tlsrpt.report.bad_value "
                                                        : "tlsrpt.report.wrong_type ") +
                                kPolicy + "/policy-type");
  }
}

TEST(TlsrptReport, Counts) {
  // RPT-4-07: non-negative JSON integers.
  const std::string ptr = "/policies/0/summary/total-failure-session-count";
  Json j = Minimal();
  j["policies"][0]["summary"]["total-failure-session-count"] = 1.5;
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type " + ptr);
  j["policies"][0]["summary"]["total-failure-session-count"] = "3";
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type " + ptr);
  j["policies"][0]["summary"]["total-failure-session-count"] = -1;
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.bad_value " + ptr);
  std::string text = Minimal().dump();
  std::size_t at = text.find(R"("failed-session-count":1)");
  EXPECT_EQ(Outcome(text.replace(at, 24, R"("failed-session-count":2.0)")),
            "tlsrpt.report.wrong_type " + kFailure + "/failed-session-count");
  text = Minimal().dump();
  at = text.find(R"("failed-session-count":1)");
  EXPECT_EQ(Outcome(text.replace(at, 24, R"("failed-session-count":99999999999999999999)")),
            "tlsrpt.report.wrong_type " + kFailure + "/failed-session-count");
  j = Minimal();
  j["policies"][0]["summary"]["total-failure-session-count"] = UINT64_MAX;
  auto r = ReadReport(j.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->policies[0].total_failure_session_count, UINT64_MAX);
}

TEST(TlsrptReport, ResultType) {
  for (ResultType t : kAllResultTypes) {
    Json j = Minimal();
    j["policies"][0]["failure-details"][0]["result-type"] = ResultTypeName(t);
    j["policies"][0]["failure-details"][0]["failure-reason-code"] = "code";
    auto r = ReadReport(j.dump());
    ASSERT_TRUE(r.ok()) << ResultTypeName(t);
    EXPECT_EQ(r->policies[0].failure_details[0].result_type, t);
  }
  Json j = Minimal();
  j["policies"][0]["failure-details"][0]["result-type"] = "certificate-revoked";
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.bad_value " + kFailure + "/result-type");
}

TEST(TlsrptReport, MissingFailureReasonCode) {
  // RPT-4-09 (SHOULD): a warning, not an error.
  for (std::string_view type : {"certificate-not-trusted", "validation-failure"}) {
    Json j = Minimal();
    j["policies"][0]["failure-details"][0]["result-type"] = type;
    EXPECT_EQ(Warnings(j),
              (std::vector<std::string>{"tlsrpt.report.missing_failure_reason " + kFailure}));
    j["policies"][0]["failure-details"][0]["failure-reason-code"] = "X509_V_ERR_CERT_UNTRUSTED";
    EXPECT_TRUE(Warnings(j).empty());
  }
}

TEST(TlsrptReport, MxHostForms) {
  Json j = Minimal();
  j["policies"][0]["policy"]["mx-host"] = {"mx1.example.com", "mx2.example.com"};
  EXPECT_EQ(Warnings(j),
            (std::vector<std::string>{"tlsrpt.report.mx_host_array " + kPolicy + "/mx-host"}));
  auto r = ReadReport(j.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->policies[0].mx_host,
            (std::vector<std::string>{"mx1.example.com", "mx2.example.com"}));
  j["policies"][0]["policy"]["mx-host"] = {"mx1.example.com", 7};
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type " + kPolicy + "/mx-host/1");
  j["policies"][0]["policy"]["mx-host"] = Json::object();
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type " + kPolicy + "/mx-host");
}

TEST(TlsrptReport, PolicyString) {
  Json j = Minimal();
  j["policies"][0]["policy"]["policy-string"] = "version: STSv1";
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type " + kPolicy + "/policy-string");
  j["policies"][0]["policy"]["policy-string"] = {"version: STSv1", {"mx: a"}};
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type " + kPolicy + "/policy-string/1");
  j["policies"][0]["policy"]["policy-string"] = Json::array();
  auto r = ReadReport(j.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->policies[0].policy_string_present);
  EXPECT_TRUE(r->policies[0].policy_string.empty());
}

TEST(TlsrptReport, OptionalMemberTypes) {
  for (std::string_view key :
       {"receiving-mx-helo", "additional-information", "failure-reason-code"}) {
    Json j = Minimal();
    j["policies"][0]["failure-details"][0][key] = 1;
    EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type " + kFailure + "/" + std::string(key));
  }
  Json j = Minimal();
  j["policies"][0]["failure-details"] = Json::object();
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type /policies/0/failure-details");
  j["date-range"] = "2026-01-01";
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.wrong_type /date-range");
}

TEST(TlsrptReport, DateTimes) {
  // RPT-4-11: RFC 3339 date-time.
  for (std::string_view good :
       {"2026-11-28T00:00:00Z", "2026-11-28t23:59:59z", "2026-11-28T23:59:59.999Z",
        "2024-02-29T12:00:00+01:00", "2026-12-31T23:59:60Z", "2026-11-28T00:00:00-05:30"}) {
    Json j = Minimal();
    j["date-range"]["end-datetime"] = good;
    EXPECT_TRUE(Warnings(j).empty()) << good;
  }
  for (std::string_view bad :
       {"2026-11-28", "2026-11-28 00:00:00Z", "2026-11-28T00:00:00", "2026-13-01T00:00:00Z",
        "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-28T24:00:01Z",
        "2026-11-28T25:00:00Z", "2026-11-28T00:60:00Z", "2026-11-28T00:00:61Z",
        "2026-11-28T00:00:00.Z", "2026-11-28T00:00:00+1:00", "2026-11-28T00:00:00+24:00",
        "2026-11-28T00:00:00ZZ", "1600000000", "+026-11-28T00:00:00Z"}) {
    Json j = Minimal();
    j["date-range"]["end-datetime"] = bad;
    EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.bad_value /date-range/end-datetime") << bad;
  }
  Json j = Minimal();
  j["date-range"]["end-datetime"] = "2026-01-01T24:00:00Z";
  EXPECT_EQ(Warnings(j),
            (std::vector<std::string>{"tlsrpt.report.datetime_hour_24 /date-range/end-datetime"}));
}

TEST(TlsrptReport, IpAddresses) {
  // RPT-4-13: dotted-quad or RFC 5952 IPv6.
  for (std::string_view good :
       {"192.0.2.1", "2001:db8::1", "::1", "::", "2001:db8:0:1:1:1:1:1", "2001:0:0:1::1",
        "2001:db8::1:0:0:1", "::ffff:192.0.2.1", "::ffff:c000:201"}) {
    Json j = Minimal();
    j["policies"][0]["failure-details"][0]["receiving-ip"] = good;
    EXPECT_TRUE(Warnings(j).empty()) << good;
  }
  for (std::string_view odd :
       {"2001:0db8:0:0:0:0:0:1", "2001:DB8::1", "2001:db8::0:1", "2001:db8:0:0:1::1", "::0:1"}) {
    Json j = Minimal();
    j["policies"][0]["failure-details"][0]["receiving-ip"] = odd;
    EXPECT_EQ(Warnings(j), (std::vector<std::string>{"tlsrpt.report.ip_not_canonical " + kFailure +
                                                     "/receiving-ip"}))
        << odd;
  }
  for (std::string_view bad : {"192.0.2", "192.0.2.256", "192.0.02.1", "mx.example.com", "",
                               "fe80::1%eth0", "2001:db8::1::2", " 192.0.2.1"}) {
    Json j = Minimal();
    j["policies"][0]["failure-details"][0]["sending-mta-ip"] = bad;
    EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.bad_value " + kFailure + "/sending-mta-ip") << bad;
  }
  Json j = Minimal();
  j["policies"][0]["failure-details"][0]["sending-mta-ip"] = std::string("192.0.2.1\0x", 11);
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.bad_value " + kFailure + "/sending-mta-ip");
}

TEST(TlsrptReport, PolicyDomainUsesALabels) {
  // RPT-4-06.
  for (std::string_view bad : {"b\xc3\xbc"
                               "cher.example",
                               "example.com.", "xn--zz.example", "a_b.example", ""}) {
    Json j = Minimal();
    j["policies"][0]["policy"]["policy-domain"] = bad;
    EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.bad_value " + kPolicy + "/policy-domain") << bad;
  }
}

// Regression: a U-label in mx-host was accepted (RPT-4-06 covers it too).
TEST(TlsrptReport, MxHostUsesALabels) {
  Json j = Minimal();
  j["policies"][0]["policy"]["mx-host"] = "*.b\u00fccher.example";
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.bad_value " + kPolicy + "/mx-host");
  j["policies"][0]["policy"]["mx-host"] = Json::array({"mx.example.com", "mx.b\u00fccher.example"});
  EXPECT_EQ(OutcomeOf(j), "tlsrpt.report.bad_value " + kPolicy + "/mx-host/1");
  j["policies"][0]["policy"]["mx-host"] = "*.xn--bcher-kva.example";
  EXPECT_EQ(OutcomeOf(j), "ok");
}

TEST(TlsrptReport, AllErrorsAreReported) {
  Json j = Minimal();
  j.erase("report-id");
  j["policies"][0]["summary"]["total-successful-session-count"] = -2;
  j["policies"][0]["failure-details"][0]["result-type"] = "nope";
  auto r = ReadReport(j.dump());
  ASSERT_FALSE(r.ok());
  std::vector<std::string> pointers;
  for (const auto& d : r.diagnostics()) {
    EXPECT_EQ(d.offset, 0u);
    pointers.push_back(d.detail);
  }
  EXPECT_EQ(pointers, (std::vector<std::string>{
                          "/report-id", "/policies/0/summary/total-successful-session-count",
                          kFailure + "/result-type"}));
}

}  // namespace
}  // namespace mxconform::tlsrpt
