// Fuzz target: the MX RRset reader and publisher lint (src/mtasts/mx_rrset.h).
//
// The input is an MX RRset as `check mx` reads it, optionally preceded by
// an MTA-STS policy body and a line "%%" ("POLICY\n%%\nRRSET"). Asserts:
//  - the diagnostics contract (ids `mx.rrset.`, offsets inside the input,
//    an error exactly when the read failed);
//  - a read RRset holds 1..kMaxMxRrs RRs, each located inside the input
//    where its exchange is written (up to a root dot), each exchange "." or
//    a name domain::CheckName accepts;
//  - the lint's findings are located inside the input, and say what the
//    RRset and policy imply: one `mx.null.mixed` per null MX when there are
//    other exchanges, an `mx.policy.unmatched` exactly for each exchange no
//    pattern matches (PolicyMatchesMx), `mx.policy.no_match` exactly when
//    none matches under enforce or testing, none of either without a
//    policy;
//  - reading the input again gives the same result.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/domain.h"
#include "fuzz_check.h"
#include "mtasts/mx_rrset.h"
#include "mtasts/policy.h"

namespace {

using namespace mxconform;  // NOLINT(google-build-using-namespace)

std::size_t Count(const Diagnostics& d, std::string_view id) {
  std::size_t n = 0;
  for (const auto& x : d) {
    n += x.id == id ? 1 : 0;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  fuzz::SetInput(in);
  std::string_view rrset = in;
  std::optional<mtasts::Policy> policy;
  if (const std::size_t sep = in.find("\n%%\n"); sep != std::string_view::npos) {
    auto p = mtasts::ParsePolicy(in.substr(0, sep));
    if (p) {
      policy = std::move(*p);
    }
    rrset = in.substr(sep + 4);
  }

  auto r = mtasts::ParseMxRrset(rrset);
  fuzz::CheckDiagnostics(r.ok(), r.ok() ? r->diagnostics : r.diagnostics(), rrset.size(),
                         "mx.rrset.");
  auto again = mtasts::ParseMxRrset(rrset);
  FUZZ_CHECK(again.ok() == r.ok());
  FUZZ_CHECK(fuzz::SameDiagnostics(r.ok() ? r->diagnostics : r.diagnostics(),
                                   again.ok() ? again->diagnostics : again.diagnostics()));
  if (!r) {
    return 0;
  }
  FUZZ_CHECK(again->rrs == r->rrs && again->owner == r->owner);
  FUZZ_CHECK(!r->rrs.empty() && r->rrs.size() <= mtasts::kMaxMxRrs);
  std::size_t nulls = 0;
  for (const auto& rr : r->rrs) {
    FUZZ_CHECK(rr.offset <= rr.exchange_offset && rr.exchange_offset < rrset.size());
    FUZZ_CHECK(rrset.substr(rr.exchange_offset).starts_with(rr.exchange));
    if (rr.IsNull()) {
      ++nulls;
    } else {
      domain::NameRules rules;
      rules.check_a_labels = false;  // the reader checked them; this only re-checks the shape
      FUZZ_CHECK_MSG(domain::CheckName(rr.exchange, rules).ok(), rr.exchange);
    }
  }
  const std::size_t hosts = r->rrs.size() - nulls;

  for (const bool sends_mail : {false, true}) {
    mtasts::MxLintOptions o;
    o.sends_mail = sends_mail;
    o.policy = policy ? &*policy : nullptr;
    const Diagnostics d = mtasts::LintMxRrset(*r, o);
    for (const auto& x : d) {
      FUZZ_CHECK_MSG(x.offset < rrset.size() && !x.message.empty(), fuzz::Describe(d));
    }
    FUZZ_CHECK(Count(d, "mx.null.mixed") == (hosts > 0 ? nulls : 0));
    FUZZ_CHECK(Count(d, "mx.null.sender") == (nulls > 0 ? 1u : 0u));
    std::size_t unmatched = 0;
    if (policy && hosts > 0) {
      for (const auto& rr : r->rrs) {
        unmatched += !rr.IsNull() && !mtasts::PolicyMatchesMx(*policy, rr.exchange) ? 1 : 0;
      }
    }
    FUZZ_CHECK_MSG(Count(d, "mx.policy.unmatched") == unmatched, fuzz::Describe(d));
    const bool none_match =
        policy && hosts > 0 && unmatched == hosts && policy->mode != mtasts::Mode::kNone;
    FUZZ_CHECK_MSG(Count(d, "mx.policy.no_match") == (none_match ? 1u : 0u), fuzz::Describe(d));
  }
  return 0;
}
