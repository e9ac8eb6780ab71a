// Micro-benchmarks of the reference parsers on representative records. The
// corpus-wide, side-by-side numbers come from `mxconform bench` and
// ../shared/bench/run_peers.sh; these isolate one record shape each.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "dmarc/eval.h"
#include "dmarc/record.h"
#include "mtasts/policy.h"
#include "mtasts/txt_record.h"
#include "spf/eval.h"
#include "spf/record.h"
#include "spf/zone.h"
#include "tlsrpt/report.h"
#include "tlsrpt/txt_record.h"

namespace mxconform {
namespace {

void BM_StsTxt(benchmark::State& state) {
  const std::string rec = "v=STSv1; id=20190429T010101";
  mtasts::TxtRecord out;
  mtasts::ParseOptions opts;
  for (auto _ : state) {
    benchmark::DoNotOptimize(mtasts::ParseTxtRecordInto(rec, opts, out));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(rec.size()));
}
BENCHMARK(BM_StsTxt);

void BM_StsPolicy(benchmark::State& state) {
  const std::string body =
      "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\n"
      "mx: aspmx.l.google.com\r\nmax_age: 604800\r\n";
  mtasts::Policy out;
  mtasts::ParseOptions opts;
  for (auto _ : state) {
    benchmark::DoNotOptimize(mtasts::ParsePolicyInto(body, opts, out));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_StsPolicy);

void BM_StsPolicyFreshValue(benchmark::State& state) {
  // The allocating convenience API, for comparison with the reusing one.
  const std::string body =
      "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\n"
      "max_age: 604800\r\n";
  for (auto _ : state) {
    benchmark::DoNotOptimize(mtasts::ParsePolicy(body));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StsPolicyFreshValue);

void BM_TlsrptTxt(benchmark::State& state) {
  const std::string rec = "v=TLSRPTv1; rua=mailto:tlsrpt@example.com";
  tlsrpt::TxtRecord out;
  tlsrpt::ParseOptions opts;
  for (auto _ : state) {
    benchmark::DoNotOptimize(tlsrpt::ParseTxtRecordInto(rec, opts, out));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlsrptTxt);

void BM_TlsrptReport(benchmark::State& state) {
  const std::string json = R"({"organization-name":"Company-X",
    "date-range":{"start-datetime":"2026-11-28T00:00:00Z","end-datetime":"2026-11-28T23:59:59Z"},
    "contact-info":"sts-reporting@company-x.example","report-id":"5065427c-23d3-47ca-b6e0",
    "policies":[{"policy":{"policy-type":"sts","policy-string":["version: STSv1","mode: testing",
    "mx: *.mail.company-y.example","max_age: 86400"],"policy-domain":"company-y.example",
    "mx-host":"*.mail.company-y.example"},"summary":{"total-successful-session-count":5326,
    "total-failure-session-count":303},"failure-details":[{"result-type":"certificate-expired",
    "sending-mta-ip":"2001:db8:abcd:0012::1","receiving-mx-hostname":"mx1.mail.company-y.example",
    "receiving-ip":"203.0.113.56","failed-session-count":100}]}]})";
  for (auto _ : state) {
    benchmark::DoNotOptimize(tlsrpt::ReadReport(json));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TlsrptReport);

// A record of the usual shape: includes, ip4/ip6 ranges, a macro.
constexpr std::string_view kSpfRecord =
    "v=spf1 include:_spf.google.com include:servers.mcsv.net ip4:192.0.2.0/24 "
    "ip6:2001:db8::/32 a mx:mail.example.com/24 exists:%{ir}.%{v}._spf.example.com ~all";

void BM_SpfRecord(benchmark::State& state) {
  spf::Record out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(spf::ParseRecordInto(kSpfRecord, out));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kSpfRecord.size()));
}
BENCHMARK(BM_SpfRecord);

// check_host() over an in-memory zone: a record with two includes, an a,
// an mx with two hosts and an exists, evaluated for a client that only the
// last mechanism matches (every term runs, 6 DNS-lookup terms, 11 queries).
void BM_SpfCheckHost(benchmark::State& state) {
  spf::ZoneResolver zone;
  zone.AddTxt("example.com",
              "v=spf1 include:_a.example.net include:_b.example.net a mx "
              "exists:%{ir}.allow.example.org -all");
  zone.AddTxt("_a.example.net", "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:a::/48 ~all");
  zone.AddTxt("_b.example.net", "v=spf1 ip4:203.0.113.0/25 -all");
  zone.AddA("example.com", spf::IpAddress::V4(192, 0, 2, 1));
  zone.AddMx("example.com", 10, "mx1.example.com");
  zone.AddMx("example.com", 20, "mx2.example.com");
  zone.AddA("mx1.example.com", spf::IpAddress::V4(192, 0, 2, 11));
  zone.AddA("mx2.example.com", spf::IpAddress::V4(192, 0, 2, 12));
  zone.AddA("9.2.0.192.allow.example.org", spf::IpAddress::V4(127, 0, 0, 2));
  spf::EvalInput in;
  in.ip = spf::IpAddress::V4(192, 0, 2, 9);
  in.sender = "someone@example.com";
  in.helo = "mail.example.com";
  for (auto _ : state) {
    spf::EvalResult r = spf::CheckMailFrom(in, zone);
    if (r.result != spf::SpfResult::kPass) {
      state.SkipWithError("expected pass");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SpfCheckHost);

// A DMARC record of the usual shape (RFC 9989 mode).
constexpr std::string_view kDmarcRecord =
    "v=DMARC1; p=quarantine; sp=reject; rua=mailto:dmarc@example.com,"
    "mailto:rua@ag.dmarcian.example; adkim=s; fo=1";

void BM_DmarcRecord(benchmark::State& state) {
  dmarc::Record out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(dmarc::ParseRecordInto(kDmarcRecord, out));
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kDmarcRecord.size()));
}
BENCHMARK(BM_DmarcRecord);

// A DMARC evaluation in RFC 9989 mode: no record at the author, the
// Organizational Domain's found by the tree walk (4 queries), relaxed SPF
// alignment through another walk (2 more), then the existence check.
void BM_DmarcEvaluate(benchmark::State& state) {
  spf::ZoneResolver zone;
  zone.SetEmptyNonTerminals(true);
  zone.AddTxt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com");
  zone.AddA("a.mail.example.com", spf::IpAddress::V4(192, 0, 2, 1));
  dmarc::EvalInput in;
  in.from_domain = "a.mail.example.com";
  in.spf = dmarc::AuthIdentifier{dmarc::AuthResult::kPass, "bounce.example.com"};
  for (auto _ : state) {
    dmarc::EvalResult r = dmarc::Evaluate(in, zone);
    if (r.result != dmarc::DmarcResult::kPass) {
      state.SkipWithError("expected pass");
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DmarcEvaluate);

}  // namespace
}  // namespace mxconform

BENCHMARK_MAIN();
