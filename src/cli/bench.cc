// `mxconform bench`: parser throughput on the corpus format of
// ../shared/bench/gen_corpus.py, printed the way ../shared/bench/run_peers.sh
// reads it (a RESULT line with median_rps=N, and "N records/s").
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>

#include "cli/cli.h"
#include "common/text.h"
#include "conformance/runner/scenario.h"
#include "dmarc/record.h"
#include "mtasts/policy.h"
#include "mtasts/txt_record.h"
#include "spf/eval.h"
#include "spf/record.h"
#include "tlsrpt/txt_record.h"

namespace mxconform::cli {
namespace {

struct Corpus {
  std::vector<std::string> records;
  std::size_t bytes = 0;
};

// sts-policy records are one line each with \\, \n and \r escapes; decoded
// once here, outside the timed loop (as the peer harnesses do).
std::string DecodePolicyLine(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[i + 1];
      if (n == 'n' || n == 'r' || n == '\\') {
        out.push_back(n == 'n' ? '\n' : n == 'r' ? '\r' : '\\');
        ++i;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::optional<Corpus> LoadCorpus(const std::string& path, bool policy) {
  auto text = ReadInput(path, 1u << 30);
  if (!text) {
    return std::nullopt;
  }
  Corpus c;
  std::size_t pos = 0;
  while (pos < text->size()) {
    std::size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) {
      nl = text->size();
    }
    std::string_view line(text->data() + pos, nl - pos);
    c.records.push_back(policy ? DecodePolicyLine(line) : std::string(line));
    c.bytes += c.records.back().size();
    pos = nl + 1;
  }
  return c;
}

// One parser behind a uniform "record → accepted?" call, with its reusable
// output value.
class Runner {
 public:
  virtual ~Runner() = default;
  virtual bool Parse(std::string_view rec) = 0;
};

// The reference parser `Parse` with its options and reusable output value.
template <typename Options, typename Out, bool (*kParse)(std::string_view, const Options&, Out&)>
class ParserRunner final : public Runner {
 public:
  explicit ParserRunner(Profile p) { opts_.profile = p; }
  bool Parse(std::string_view rec) override { return kParse(rec, opts_, out_); }

 private:
  Options opts_;
  Out out_;
};

using StsTxtRunner =
    ParserRunner<mtasts::ParseOptions, mtasts::TxtRecord, &mtasts::ParseTxtRecordInto>;
using StsPolicyRunner =
    ParserRunner<mtasts::ParseOptions, mtasts::Policy, &mtasts::ParsePolicyInto>;
using TlsrptTxtRunner =
    ParserRunner<tlsrpt::ParseOptions, tlsrpt::TxtRecord, &tlsrpt::ParseTxtRecordInto>;

// SPF has one grammar, so the record parser takes no options.
class SpfRecordRunner final : public Runner {
 public:
  bool Parse(std::string_view rec) override { return spf::ParseRecordInto(rec, out_); }

 private:
  spf::Record out_;
};

// DMARC policy records in RFC 9989 mode: accepted if it is a DMARC record
// that can be used (an unusable one applies no policy).
class DmarcRecordRunner final : public Runner {
 public:
  explicit DmarcRecordRunner(dmarc::Mode m) { opts_.mode = m; }
  bool Parse(std::string_view rec) override {
    return dmarc::ParseRecordInto(rec, out_, opts_) && out_.usable;
  }

 private:
  dmarc::ParseOptions opts_;
  dmarc::Record out_;
};

// The DNS of the evaluation benchmark, the world mailauth's harness in
// ../shared/bench builds: the record under test is the TXT of
// bench.example, every other TXT query (include and redirect targets, exp)
// answers "v=spf1 ?all", and A, AAAA, MX and PTR answer NOERROR with no
// records.
class BenchResolver final : public spf::Resolver {
 public:
  void SetRecord(std::string_view rec) { text::AssignInPlace(record_, rec); }
  spf::DnsAnswer Query(std::string_view name, spf::QueryType type) override {
    spf::DnsAnswer a;
    if (type == spf::QueryType::kTxt) {
      a.txt.push_back(name == "bench.example" ? record_ : std::string("v=spf1 ?all"));
    }
    return a;
  }

 private:
  std::string record_;
};

// check_host() from 192.0.2.1 for postmaster@bench.example: nothing
// matches, so the whole record, includes and all, is walked. A record is
// accepted unless the result is permerror (the ok of mailauth's harness).
class SpfEvalRunner final : public Runner {
 public:
  SpfEvalRunner() {
    in_.ip = spf::IpAddress::V4(192, 0, 2, 1);
    in_.sender = "postmaster@bench.example";
    in_.helo = "mail.bench.example";
  }
  bool Parse(std::string_view rec) override {
    dns_.SetRecord(rec);
    return spf::CheckHost(in_, "bench.example", dns_).result != spf::SpfResult::kPermError;
  }

 private:
  spf::EvalInput in_;
  BenchResolver dns_;
};

}  // namespace

// `bench-scenarios`: the wall time of running the whole scenario set, the
// issue 6 budget (in-process under 0.5 s, on the wire under 5 s).
void AddBenchScenarios(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "bench-scenarios",
      "Wall time of one run of every scenario against the reference sender (median of runs)");
  struct Opts {
    std::string mode = "in-process";
    std::string root = DefaultScenariosDir();
    int runs = 5;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--mode", o->mode, "in-process or wire")
      ->check(CLI::IsMember({"in-process", "wire"}))
      ->capture_default_str();
  cmd->add_option("--scenarios-root", o->root, "The scenario tree")->capture_default_str();
  cmd->add_option("--runs", o->runs, "Timed runs (the median is reported)")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->callback([o, &rc] {
    std::vector<conformance::Scenario> all;
    for (const auto& p : conformance::FindScenarioFiles(o->root)) {
      auto s = conformance::LoadScenario(p);
      if (!s) {
        std::cerr << "mxconform: " << p.string() << ": " << s.error().Text() << "\n";
        rc = kExitUsage;
        return;
      }
      all.push_back(std::move(*s));
    }
    if (all.empty()) {
      std::cerr << "mxconform: no scenarios under " << o->root << "\n";
      rc = kExitUsage;
      return;
    }
    std::vector<double> seconds;
    std::size_t failed = 0;
    for (int run = 0; run < o->runs; ++run) {
      const auto t0 = std::chrono::steady_clock::now();
      for (const auto& s : all) {
        auto r = o->mode == "wire" ? conformance::RunScenarioWire(s)
                                   : conformance::RunScenarioInProcess(s);
        failed += r.outcome == conformance::Outcome::kPass ? 0 : 1;
      }
      seconds.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(seconds.begin(), seconds.end());
    std::printf(
        "RESULT kind=scenarios mode=%s scenarios=%zu runs=%d median_s=%.3f min_s=%.3f "
        "failed=%zu\n",
        o->mode.c_str(), all.size(), o->runs, seconds[seconds.size() / 2], seconds[0], failed);
    rc = failed == 0 ? kExitOk : kExitInvalid;
  });
}

void AddBench(CLI::App& app, int& rc) {
  AddBenchScenarios(app, rc);
  auto* cmd = app.add_subcommand(
      "bench", "Parser throughput on a ../shared/bench corpus file (records/s, median of runs)");
  struct Opts {
    std::string kind;
    std::string input;
    std::string verdicts;
    std::string profile = "strict";
    std::string mode = "bis";
    int runs = 5;
    double min_time = 0.5;
    int min_of = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--kind", o->kind,
                  "Corpus kind; spf-eval runs check_host() on the spf corpus (evaluations/s)")
      ->required()
      ->check(CLI::IsMember({"sts-txt", "sts-policy", "tlsrpt", "spf", "spf-eval", "dmarc"}));
  cmd->add_option("--input", o->input, "Corpus file: one record per line")->required();
  cmd->add_option("--verdicts", o->verdicts, "Write one 0/1 verdict per record to this file");
  cmd->add_option("--profile", o->profile, "strict or interop")
      ->check(CLI::IsMember({"strict", "interop"}))
      ->capture_default_str();
  cmd->add_option("--mode", o->mode, "dmarc: RFC 9989 (bis) or RFC 7489 rules")
      ->check(CLI::IsMember({"bis", "7489"}))
      ->capture_default_str();
  cmd->add_option("--runs", o->runs, "Timed runs (the median is reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--min-time", o->min_time, "Seconds per run (whole passes over the corpus)")
      ->check(FiniteRange(0.0, 600.0))
      ->capture_default_str();
  cmd->add_option("--min-of", o->min_of,
                  "Also time each block of 5,000 records N times and print the sum of the "
                  "fastest (a MINOF line): steady on a shared machine, for comparing two "
                  "builds; side-by-side tables use the median")
      ->check(CLI::Range(0, 10000));
  cmd->callback([o, &rc] {
    auto corpus = LoadCorpus(o->input, o->kind == "sts-policy");
    if (!corpus) {
      rc = kExitUsage;
      return;
    }
    if (corpus->records.empty()) {
      std::cerr << "mxconform: " << o->input << ": no records\n";
      rc = kExitUsage;
      return;
    }
    Profile profile = Profile::kStrict;
    ParseProfileName(o->profile, profile);
    std::unique_ptr<Runner> runner;
    if (o->kind == "sts-txt") {
      runner = std::make_unique<StsTxtRunner>(profile);
    } else if (o->kind == "sts-policy") {
      runner = std::make_unique<StsPolicyRunner>(profile);
    } else if (o->kind == "spf") {
      runner = std::make_unique<SpfRecordRunner>();
    } else if (o->kind == "dmarc") {
      runner = std::make_unique<DmarcRecordRunner>(o->mode == "7489" ? dmarc::Mode::k7489
                                                                     : dmarc::Mode::kBis);
    } else if (o->kind == "spf-eval") {
      runner = std::make_unique<SpfEvalRunner>();
    } else {
      runner = std::make_unique<TlsrptTxtRunner>(profile);
    }
    // Verdict pass, which is also the warm-up.
    std::size_t ok = 0;
    std::string verdicts;
    for (const auto& r : corpus->records) {
      bool v = runner->Parse(r);
      ok += v ? 1 : 0;
      verdicts += v ? "1\n" : "0\n";
    }
    if (!o->verdicts.empty()) {
      std::ofstream f(o->verdicts, std::ios::binary | std::ios::trunc);
      f << verdicts;
      if (!f) {
        std::cerr << "mxconform: " << o->verdicts << ": cannot write\n";
        rc = kExitUsage;
        return;
      }
    }
    using Clock = std::chrono::steady_clock;
    std::vector<double> rps;
    long passes_total = 0;
    std::size_t sink = 0;
    for (int run = 0; run < o->runs; ++run) {
      auto t0 = Clock::now();
      double t = 0;
      long passes = 0;
      do {
        for (const auto& r : corpus->records) {
          sink += runner->Parse(r) ? 1 : 0;
        }
        ++passes;
        t = std::chrono::duration<double>(Clock::now() - t0).count();
      } while (t < o->min_time);
      rps.push_back(static_cast<double>(corpus->records.size()) * static_cast<double>(passes) / t);
      passes_total += passes;
    }
    std::sort(rps.begin(), rps.end());
    double med = rps[rps.size() / 2];
    double n = static_cast<double>(corpus->records.size());
    std::printf(
        "RESULT peer=mxconform kind=%s records=%zu ok=%zu bytes=%zu runs=%d passes=%ld "
        "median_rps=%.0f mbps=%.2f ns_per_rec=%.1f\n",
        o->kind.c_str(), corpus->records.size(), ok, corpus->bytes, o->runs, passes_total, med,
        med * (static_cast<double>(corpus->bytes) / n) / 1e6, 1e9 / med);
    const bool profiled = o->kind == "sts-txt" || o->kind == "sts-policy" || o->kind == "tlsrpt";
    std::printf("%.0f records/s (%s, %s %s, %zu of %zu accepted)\n", med, o->kind.c_str(),
                o->kind == "dmarc" ? "mode" : "profile",
                (o->kind == "dmarc" ? o->mode : (profiled ? o->profile : std::string("-"))).c_str(),
                ok, corpus->records.size());
    if (o->min_of > 0) {
      // The fastest of N timings of each block, summed: interference from
      // other work on the machine only ever adds time, so the minimum of a
      // short block is what the parser itself costs (to ~1% here, where
      // medians of whole passes drift by 10-30%).
      constexpr std::size_t kBlock = 5000;
      const std::size_t count = corpus->records.size();
      std::vector<double> best((count + kBlock - 1) / kBlock,
                               std::numeric_limits<double>::infinity());
      for (int rep = 0; rep < o->min_of; ++rep) {
        for (std::size_t b = 0; b < best.size(); ++b) {
          const std::size_t from = b * kBlock;
          const std::size_t to = std::min(count, from + kBlock);
          const auto t0 = Clock::now();
          for (std::size_t i = from; i < to; ++i) {
            sink += runner->Parse(corpus->records[i]) ? 1 : 0;
          }
          best[b] = std::min(best[b], std::chrono::duration<double>(Clock::now() - t0).count());
        }
      }
      double total = 0;
      for (double t : best) {
        total += t;
      }
      std::printf("MINOF peer=mxconform kind=%s records=%zu block=%zu reps=%d ns_per_rec=%.1f\n",
                  o->kind.c_str(), count, kBlock, o->min_of,
                  total * 1e9 / static_cast<double>(count));
    }
    (void)sink;
    rc = kExitOk;
  });
}

}  // namespace mxconform::cli
