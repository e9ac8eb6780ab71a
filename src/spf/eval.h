// check_host() (RFC 7208 §4, §5, §6) over an abstract Resolver, with every
// limit of §4.6.4 and a trace of what was asked and decided.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "spf/ip.h"
#include "spf/resolver.h"

namespace mxconform::spf {

enum class SpfResult : std::uint8_t {
  kNone,
  kNeutral,
  kPass,
  kFail,
  kSoftFail,
  kTempError,
  kPermError,
};

// "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror".
std::string_view SpfResultName(SpfResult r);

// Every limit of RFC 7208 §4.6.4; defaults are the RFC's.
struct EvalLimits {
  unsigned dns_terms = 10;    // include a mx ptr exists redirect (SPF-4.6.4-01)
  unsigned void_lookups = 2;  // NOERROR-empty or NXDOMAIN answers (SPF-4.6.4-06)
  unsigned mx_names = 10;     // per mx term; more -> permerror (SPF-4.6.4-03)
  unsigned ptr_names = 10;    // per ptr / %{p}; the rest ignored (SPF-4.6.4-04)
  // Wall-clock budget for one evaluation (SPF-4.6.4-07), read from `clock`
  // before each query; exceeding it gives temperror. No clock: no budget.
  const Clock* clock = nullptr;
  std::int64_t time_budget_seconds = 20;
};

// Include/redirect nesting beyond which evaluation stops with permerror
// `spf.eval.depth_limit`, whatever EvalLimits says: with the RFC limits each
// level costs a DNS term, so depth stays <= dns_terms; this bounds the stack
// when a caller raises dns_terms.
inline constexpr std::uint16_t kMaxIncludeDepth = 32;

struct EvalInput {
  IpAddress ip;                      // the SMTP client; IPv4-mapped IPv6 is treated as IPv4
  std::string sender;                // MAIL FROM address without <>; empty for a null path
  std::string helo;                  // most recent HELO/EHLO argument
  std::string receiver = "unknown";  // %{r}
  std::int64_t now = 0;              // %{t}
};

// One DNS query made during the evaluation, in order.
struct QueryRecord {
  std::uint16_t depth = 0;  // 0 for the top-level domain, +1 per include/redirect
  QueryType type = QueryType::kTxt;
  std::string name;
  DnsStatus status = DnsStatus::kOk;
  std::uint32_t answers = 0;
};

// One step of the evaluation: a record fetched, a term evaluated, a result.
struct TraceStep {
  std::uint16_t depth = 0;
  std::string domain;   // the <domain> being evaluated
  std::string term;     // the term as written, or "" for record-level steps
  std::string outcome;  // e.g. "match", "no match", "pass", "permerror: ..."
};

struct EvalResult {
  SpfResult result = SpfResult::kNone;
  // Why, as a stable dotted id: `spf.eval.matched`, `spf.eval.default`
  // (no match, neutral), `spf.eval.no_record`, `spf.eval.lookup_limit`,
  // `spf.eval.void_limit`, `spf.eval.mx_limit`, `spf.eval.dns_error`,
  // `spf.eval.time_limit`, `spf.eval.include_none`, `spf.eval.redirect_none`,
  // `spf.eval.syntax` (record or macro error), `spf.eval.bad_domain`
  // (malformed <domain>: none at the top, permerror as an include or
  // redirect target), `spf.eval.multiple_records` (permerror, §4.5),
  // `spf.eval.depth_limit` (kMaxIncludeDepth), `spf.eval.internal_error`
  // (temperror; an exception was caught, e.g. out of memory).
  std::string_view reason;
  std::string detail;              // human-readable specifics of `reason`
  std::string domain;              // the domain whose record decided
  std::string mechanism;           // the matching term as written, if one matched
  std::string explanation;         // §6.2 text, only for fail with a usable exp=
  std::uint32_t dns_terms = 0;     // counted toward EvalLimits::dns_terms
  std::uint32_t void_lookups = 0;  // counted toward EvalLimits::void_lookups
  std::vector<QueryRecord> queries;
  std::vector<TraceStep> trace;
};

// check_host(<ip>, <domain>, <sender>) of RFC 7208 §4. `domain` is the
// domain to check (U-labels are converted to A-labels, §4.3); a malformed
// domain gives none (SPF-4.3-01). <sender> is `in.sender` (an empty one is
// postmaster@<domain>; an empty local-part is "postmaster"). Never throws:
// failures are results (temperror `spf.eval.internal_error` at worst).
EvalResult CheckHost(const EvalInput& in, std::string_view domain, Resolver& dns,
                     const EvalLimits& limits = {});

// The MAIL FROM identity (§2.4): the domain of `in.sender`, or, for a null
// path, postmaster@<in.helo> (SPF-2.4-02).
EvalResult CheckMailFrom(const EvalInput& in, Resolver& dns, const EvalLimits& limits = {});

// The HELO identity (§2.3): sender postmaster@<helo>; an address literal or a
// name that is not a multi-label domain gives none without a query
// (SPF-2.3-02).
EvalResult CheckHelo(const EvalInput& in, Resolver& dns, const EvalLimits& limits = {});

// A Received-SPF header field (§9.1, with the EID 5436 grammar), without the
// trailing CRLF: `Received-SPF: pass (comment) client-ip=...; envelope-from=
// ...; helo=...; receiver=...; identity=mailfrom|helo; mechanism=...`. The
// comment names the <sender> checked (postmaster@HELO for identity helo).
// One line when it fits 998 octets (RFC 5322 §2.1.1); otherwise folded
// ("\r\n ") before the comment or a pair, where the line would pass that.
std::string ReceivedSpfHeader(const EvalResult& r, const EvalInput& in, std::string_view identity);

}  // namespace mxconform::spf
