// Fuzz target: check_host() (spf::CheckMailFrom / CheckHelo / CheckHost)
// over an in-memory zone built from the input (RFC 7208 §4-§7).
//
// Input layout (missing bytes read as 0):
//   byte 0       flags: bit0 IPv6 client, bit1 null MAIL FROM, bit2 check
//                HELO instead, bit3 other limits (bytes 26-29), bit4 a clock
//                that advances 1 s per query with the budget of byte 30,
//                bit5 call CheckHost on c.example directly, bit6 a non-ASCII
//                local part, bit7 an IPv4-mapped IPv6 client
//   bytes 1-16   the client address (IPv4 uses bytes 1-4)
//   bytes 17-24  one byte per fixed name (kNames): bits0-1 0 normal,
//                1 absent (NXDOMAIN), 2 TIMEOUT, 3 SERVFAIL; bit2 A (or AAAA)
//                = client, bit3 A = an IPv4 address that is not the client,
//                bit4 AAAA = the client's bytes, bit5 MX -> the
//                next name, bit6 null MX, bit7 CNAME -> the next name
//   byte 25      PTR names of the client: bits0-3 how many (cycling through
//                kNames, starting at bits4-7)
//   bytes 26-30  dns_terms (0-255), void_lookups, mx_names, ptr_names (each
//                mod 8 / 12 / 12), the time budget (mod 30)
//   the rest     TXT records, one per line ('\n'): line i is a TXT RR of
//                kNames[i % 8]; the sender is user@a.example, HELO b.example
//
// Asserts: the result is one of the 7 values with a `spf.eval.` reason; never
// more than EvalLimits::dns_terms counted terms; void lookups <= limit + 1;
// the query log equals what the resolver saw, and its size and its TXT, MX
// and PTR counts stay within what the counted terms allow; recursion depth
// is bounded; an explanation only comes with fail and is ASCII; the
// Received-SPF header is one printable line; the time budget stops the
// evaluation; evaluating twice gives the same answer.
// SPF_EVAL_FUZZER_PRINT=1 prints each input's result (for writing seeds).

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "fuzz_check.h"
#include "spf/eval.h"
#include "spf/zone.h"

namespace {

using namespace mxconform::spf;  // NOLINT(google-build-using-namespace)
using mxconform::FixedClock;

constexpr std::size_t kHeader = 31;
constexpr std::array<std::string_view, 8> kNames = {"a.example",   "b.example",   "c.example",
                                                    "d.example",   "e.example",   "mx.example",
                                                    "x.a.example", "loop.example"};

// Records what the evaluator asked, and optionally spends clock time.
class LoggingResolver final : public Resolver {
 public:
  LoggingResolver(Resolver& inner, FixedClock* clock) : inner_(inner), clock_(clock) {}
  DnsAnswer Query(std::string_view name, QueryType type) override {
    log.emplace_back(type, std::string(name));
    if (clock_ != nullptr) {
      clock_->Advance(1);
    }
    return inner_.Query(name, type);
  }
  std::vector<std::pair<QueryType, std::string>> log;

 private:
  Resolver& inner_;
  FixedClock* clock_;
};

std::uint8_t At(std::string_view in, std::size_t i) {
  return i < in.size() ? static_cast<std::uint8_t>(in[i]) : 0;
}

void BuildZone(std::string_view in, const IpAddress& client, ZoneResolver& z) {
  // An IPv4 address that is not the client's (for exists, and for A
  // queries that must not match).
  IpAddress other = client.v6 ? IpAddress::V4(192, 0, 2, 1) : client;
  if (!client.v6) {
    other.bytes[3] ^= 1;
  }
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    std::uint8_t b = At(in, 17 + i);
    std::string_view name = kNames[i];
    std::string_view next = kNames[(i + 1) % kNames.size()];
    switch (b & 3) {
      case 1:
        continue;  // absent: NXDOMAIN (unless a TXT line adds it below)
      case 2:
        z.SetTimeout(name);
        break;
      case 3:
        z.SetServfail(name);
        break;
      default:
        z.Touch(name);
        break;
    }
    if (b & 4) {
      z.AddA(name, client);
    }
    if (b & 8) {
      z.AddA(name, other);
    }
    if (b & 16) {
      IpAddress six = client;
      six.v6 = true;
      z.AddA(name, six);
    }
    if (b & 32) {
      z.AddMx(name, static_cast<std::uint16_t>(i), next);
    }
    if (b & 64) {
      z.AddMx(name, 0, ".");
    }
    if (b & 128) {
      z.AddCname(name, next);
    }
  }
  std::uint8_t p = At(in, 25);
  std::string reverse = ReverseName(Unmap(client));
  for (unsigned k = 0; k < (p & 15u); ++k) {
    z.AddPtr(reverse, kNames[((p >> 4) + k) % kNames.size()]);
  }
  std::size_t pos = kHeader;
  for (std::size_t line = 0; pos <= in.size(); ++line) {
    std::size_t nl = in.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? in.size() : nl;
    if (pos < in.size() || nl != std::string_view::npos) {
      z.AddTxt(kNames[line % kNames.size()], std::string(in.substr(pos, end - pos)));
    }
    if (nl == std::string_view::npos) {
      break;
    }
    pos = nl + 1;
  }
}

struct Run {
  EvalResult r;
  std::vector<std::pair<QueryType, std::string>> log;
};

Run Evaluate(std::string_view in, const EvalInput& input, EvalLimits limits, bool use_clock) {
  ZoneResolver zone;
  BuildZone(in, input.ip, zone);
  FixedClock clock(1700000000);
  if (use_clock) {
    limits.clock = &clock;
  }
  LoggingResolver dns(zone, use_clock ? &clock : nullptr);
  std::uint8_t flags = At(in, 0);
  Run run;
  if (flags & 32) {
    run.r = CheckHost(input, "c.example", dns, limits);
  } else if (flags & 4) {
    run.r = CheckHelo(input, dns, limits);
  } else {
    run.r = CheckMailFrom(input, dns, limits);
  }
  run.log = std::move(dns.log);
  return run;
}

void CheckInvariants(const Run& run, const EvalLimits& limits, bool use_clock,
                     std::int64_t budget) {
  const EvalResult& r = run.r;
  FUZZ_CHECK(r.result <= SpfResult::kPermError);
  FUZZ_CHECK_MSG(r.reason.starts_with("spf.eval."), std::string(r.reason));
  FUZZ_CHECK_MSG(r.dns_terms <= limits.dns_terms, std::to_string(r.dns_terms));
  FUZZ_CHECK_MSG(r.void_lookups <= limits.void_lookups + 1, std::to_string(r.void_lookups));
  if (r.reason == "spf.eval.lookup_limit" || r.reason == "spf.eval.void_limit" ||
      r.reason == "spf.eval.mx_limit" || r.reason == "spf.eval.syntax" ||
      r.reason == "spf.eval.include_none" || r.reason == "spf.eval.redirect_none") {
    FUZZ_CHECK_MSG(r.result == SpfResult::kPermError, std::string(r.reason));
  }
  if (r.reason == "spf.eval.void_limit") {
    FUZZ_CHECK(r.void_lookups == limits.void_lookups + 1);
  } else {
    FUZZ_CHECK(r.void_lookups <= limits.void_lookups);
  }
  if (r.reason == "spf.eval.depth_limit") {
    // Each level below the top cost a counted include or redirect.
    FUZZ_CHECK(r.result == SpfResult::kPermError && r.dns_terms > kMaxIncludeDepth);
  }
  if (r.reason == "spf.eval.time_limit") {
    FUZZ_CHECK(use_clock && r.result == SpfResult::kTempError);
  }

  // The log is what the resolver saw, in order.
  FUZZ_CHECK_MSG(r.queries.size() == run.log.size(),
                 std::to_string(r.queries.size()) + " vs " + std::to_string(run.log.size()));
  std::size_t txt = 0;
  std::size_t mx = 0;
  std::size_t ptr = 0;
  for (std::size_t i = 0; i < r.queries.size(); ++i) {
    const QueryRecord& q = r.queries[i];
    FUZZ_CHECK(q.type == run.log[i].first && q.name == run.log[i].second);
    FUZZ_CHECK_MSG(q.depth <= kMaxIncludeDepth && q.depth <= limits.dns_terms,
                   std::to_string(q.depth));
    FUZZ_CHECK(!q.name.empty() && q.name.size() <= 253);
    txt += q.type == QueryType::kTxt;
    mx += q.type == QueryType::kMx;
    ptr += q.type == QueryType::kPtr;
  }
  // Per counted term at most one primary query plus mx_names / ptr_names
  // address lookups; outside the count: the top-level TXT and the exp TXT
  // with up to two %{p} (domain-spec and text).
  std::size_t per_term = 1 + std::max(limits.mx_names, limits.ptr_names);
  std::size_t bound = 1 + r.dns_terms * per_term + 1 + 2 * (1 + limits.ptr_names);
  FUZZ_CHECK_MSG(r.queries.size() <= bound,
                 std::to_string(r.queries.size()) + " > " + std::to_string(bound));
  FUZZ_CHECK_MSG(txt <= 2 + r.dns_terms, std::to_string(txt));
  FUZZ_CHECK_MSG(mx <= r.dns_terms, std::to_string(mx));
  FUZZ_CHECK_MSG(ptr <= r.dns_terms + 2, std::to_string(ptr));
  if (use_clock) {
    // One second per query; nothing is sent once the budget is spent.
    FUZZ_CHECK_MSG(static_cast<std::int64_t>(r.queries.size()) <= budget + 1,
                   std::to_string(r.queries.size()));
  }

  if (!r.explanation.empty()) {
    FUZZ_CHECK(r.result == SpfResult::kFail);
    for (char c : r.explanation) {
      FUZZ_CHECK(static_cast<unsigned char>(c) < 0x80);
    }
  }
  if (!r.mechanism.empty()) {
    FUZZ_CHECK(r.reason == "spf.eval.matched");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);
  std::uint8_t flags = At(in, 0);

  EvalInput input;
  input.ip.v6 = (flags & 1) != 0;
  for (std::size_t i = 0; i < (input.ip.v6 ? 16u : 4u); ++i) {
    input.ip.bytes[i] = At(in, 1 + i);
  }
  if (flags & 128) {  // IPv4-mapped: ::ffff:a.b.c.d
    IpAddress mapped;
    mapped.v6 = true;
    mapped.bytes[10] = 0xff;
    mapped.bytes[11] = 0xff;
    for (std::size_t i = 0; i < 4; ++i) {
      mapped.bytes[12 + i] = At(in, 1 + i);
    }
    input.ip = mapped;
  }
  input.sender = (flags & 2) ? "" : ((flags & 64) ? "j\xC3\xB6rg@a.example" : "user@a.example");
  input.helo = "b.example";
  input.receiver = "mx.receiver.example";
  input.now = 1700000000;

  EvalLimits limits;
  if (flags & 8) {
    limits.dns_terms = At(in, 26);  // up to 255: deep enough for kMaxIncludeDepth
    limits.void_lookups = At(in, 27) % 8;
    limits.mx_names = At(in, 28) % 12;
    limits.ptr_names = At(in, 29) % 12;
  }
  bool use_clock = (flags & 16) != 0;
  std::int64_t budget = At(in, 30) % 30;
  limits.time_budget_seconds = budget;

  Run first = Evaluate(in, input, limits, use_clock);
  CheckInvariants(first, limits, use_clock, budget);

  // Deterministic: the same zone gives the same evaluation.
  Run second = Evaluate(in, input, limits, use_clock);
  FUZZ_CHECK(second.r.result == first.r.result && second.r.reason == first.r.reason);
  FUZZ_CHECK(second.log == first.log);
  FUZZ_CHECK(second.r.explanation == first.r.explanation);

  if (std::getenv("SPF_EVAL_FUZZER_PRINT") != nullptr) {
    // For writing seeds: what each input evaluates to.
    std::fprintf(stderr, "%s %s terms=%u void=%u queries=%zu exp=\"%s\" (%s)\n",
                 std::string(SpfResultName(first.r.result)).c_str(),
                 std::string(first.r.reason).c_str(), first.r.dns_terms, first.r.void_lookups,
                 first.r.queries.size(), first.r.explanation.c_str(), first.r.detail.c_str());
  }

  std::string header = ReceivedSpfHeader(first.r, input, (flags & 4) ? "helo" : "mailfrom");
  FUZZ_CHECK(header.starts_with("Received-SPF: "));
  for (char c : header) {
    FUZZ_CHECK_MSG(c >= 0x20 && c < 0x7f, header);
  }
  return 0;
}
