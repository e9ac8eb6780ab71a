// DMARC evaluation (RFC 9989 §4.4, §4.10, §5.3; RFC 7489 §3.1, §6.6): from
// the RFC5322.From domain and the SPF and DKIM results to the DMARC result,
// the aligned identifiers, the policy that applies and the disposition, with
// every DNS query listed. Also the external report destination check of
// RFC 9990 §4 / 7489 §7.1. No I/O: DNS through spf::Resolver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dmarc/discovery.h"
#include "dmarc/record.h"

namespace mxconform::dmarc {

// The result of an authentication method as DMARC sees it (RFC 8601 names).
enum class AuthResult : std::uint8_t {
  kNone,
  kPass,
  kFail,
  kSoftFail,
  kNeutral,
  kTempError,
  kPermError,
  kPolicy
};
std::string_view AuthResultName(AuthResult r);
// "pass", "fail", ... (also "softfail", "neutral", "temperror", "permerror",
// "none", "policy"); nullopt for anything else.
std::optional<AuthResult> ParseAuthResult(std::string_view s);

struct AuthIdentifier {
  AuthIdentifier() = default;
  AuthIdentifier(AuthResult r, std::string d, std::string s = {})
      : result(r), domain(std::move(d)), selector(std::move(s)) {}

  AuthResult result = AuthResult::kNone;
  std::string domain;    // SPF: the MAIL FROM domain (postmaster@HELO for <>); DKIM: d=
  std::string selector;  // DKIM: s= (kept for reports, DMB-5.3.3-01); SPF: empty
};

// One authenticated identifier as the evaluation kept it (RFC 9989 §5.3.3,
// RFC 7489 §6.6.2: what a report needs): the method, its result, the
// domain (and the DKIM selector) and whether that domain aligns with the
// Author Domain under the record's aspf / adkim.
struct IdentifierOutcome {
  enum class Method : std::uint8_t { kSpf, kDkim };
  Method method = Method::kSpf;
  AuthResult result = AuthResult::kNone;
  std::string domain;  // A-labels, lower case, as compared
  std::string selector;
  bool aligned = false;  // the domain aligns; false when not checked
  // Alignment was evaluated: for pass and temperror only (another result
  // cannot lead to a pass, and its Org Domain is not looked up), and when
  // the Org Domain lookups it needed did not fail.
  bool checked = false;
  // "spf pass example.com aligned", "dkim fail mail.example.com s=sel unaligned",
  // "dkim none x.example unchecked".
  std::string Text() const;
};

struct EvalInput {
  std::string from_domain;            // RFC5322.From domain, U- or A-labels
  std::optional<AuthIdentifier> spf;  // the MAIL FROM SPF check (DMB-4.4.2-01)
  std::vector<AuthIdentifier> dkim;   // one per signature
  DiscoveryOptions discovery;         // mode, tree walk labels
  // 7489 pct sampling (DM7-6.6.4-01/02): a draw in [0, 1); the message is
  // in the sample when draw * 100 < pct. Injected so that runs repeat;
  // empty: draw 0 (always sampled, except pct=0).
  std::function<double()> random;
};

enum class DmarcResult : std::uint8_t { kNone, kPass, kFail, kTempError, kPermError };
std::string_view DmarcResultName(DmarcResult r);

enum class PolicySource : std::uint8_t { kP, kSp, kNp };
std::string_view PolicySourceName(PolicySource s);  // "p", "sp", "np"

struct EvalResult {
  DmarcResult result = DmarcResult::kNone;
  Mode mode = Mode::kBis;
  std::string author_domain;  // A-labels, lower case
  // Why: a short text naming the rule that decided (with its section).
  std::string reason;

  std::optional<Record> record;  // the record that applies
  std::string policy_domain;     // where it was found
  std::string org_domain;        // the Author Domain's Organizational Domain
  // The rule that applies: p for the author's own record, sp for an
  // existing subdomain, np for a non-existent one (the value falls back to
  // sp, then p, when the tag is absent).
  std::optional<PolicySource> policy_source;
  std::optional<Disposition> policy;  // after the D6-D8 rules and t=y
  bool author_exists = true;          // from the existence check, when made
  // The existence check ended in a DNS error: the milder of sp and np
  // applies (`policy_source` says which; sp on a tie), and author_exists
  // stays true.
  bool existence_unknown = false;
  bool sampled = true;  // 7489 pct
  Disposition disposition = Disposition::kNone;

  bool spf_aligned = false;                   // the SPF identifier passed and aligns
  bool dkim_aligned = false;                  // some DKIM identifier passed and aligns
  std::string spf_org_domain;                 // relaxed alignment only
  std::vector<std::string> dkim_org_domains;  // per signature; "" when not needed
  // SPF (when given) then each DKIM signature in input order, once a record
  // applied and alignment was evaluated (DM7-6.6.2-01, DMB-5.3.3-01).
  std::vector<IdentifierOutcome> identifiers;

  std::vector<DnsQuery> queries;            // _dmarc TXT queries, in order
  std::vector<DnsQuery> existence_queries;  // the np check (A; 7489: A AAAA MX)
  Diagnostics diagnostics;                  // the applied record's, plus notes

  // "dmarc=fail (p=reject dis=reject) header.from=example.com
  // policy.dmarc=reject" (RFC 8601 §2.7 method, RFC 9989 §9.1 properties;
  // the comment adds "from _dmarc.DOMAIN" when the record is not the
  // author's).
  std::string AuthenticationResults() const;
};

// Runs discovery, alignment and policy selection.
EvalResult Evaluate(const EvalInput& in, Resolver& dns);

// Several RFC5322.From domains (one From field with addresses in several
// domains). RFC 7489 §6.6.1 evaluates each as the Author Domain and applies
// the strictest policy among the checks that fail (DM7-6.6.1-02). RFC 9989
// §5.3.1 puts such messages outside DMARC; its Security Considerations
// ("Denial of DMARC Processing Attacks") let a receiver that still wants a
// verdict use the 7489 approach with a cap on the domains evaluated, and
// call the evaluation incomplete past it (DMB-5.3.1-02).
enum class MultiAuthorRule : std::uint8_t {
  kByMode,     // 7489 mode: kStrictest; bis mode: kExempt
  kStrictest,  // evaluate each (up to max_domains), strictest failing policy
  kExempt,     // no DMARC result for the message
};

// "by-mode", "strictest", "exempt"; nullopt for anything else.
std::optional<MultiAuthorRule> ParseMultiAuthorRule(std::string_view s);

struct MultiAuthorOptions {
  MultiAuthorRule rule = MultiAuthorRule::kByMode;
  std::size_t max_domains = 10;  // distinct domains evaluated at most
  // The most a caller may ask for (the CLI and the case files check it).
  static constexpr std::size_t kMostDomains = 100;
};

struct MultiEvalResult {
  DmarcResult result = DmarcResult::kNone;
  Disposition disposition = Disposition::kNone;
  std::string reason;
  // One evaluation per distinct domain (case-insensitive, as A-labels), in
  // the order given, up to max_domains.
  std::vector<EvalResult> authors;
  std::vector<std::string> skipped;       // distinct domains past max_domains
  std::optional<std::size_t> decided_by;  // the author whose result decided
  bool exempt = false;                    // several domains and kExempt
  Diagnostics diagnostics;                // dmarc.from.* notes

  // One RFC 8601 resinfo per author evaluated, joined with "; ".
  std::string AuthenticationResults() const;
};

// Evaluate() for the domains of one From field; `base` gives the other
// inputs (its from_domain is ignored). One distinct domain: exactly
// Evaluate()'s result. None: result none.
MultiEvalResult EvaluateAuthors(const std::vector<std::string>& from_domains, const EvalInput& base,
                                Resolver& dns, const MultiAuthorOptions& opts = {});

// RFC 9990 §4 / 7489 §7.1: which report URIs of `uris` (from the record at
// `policy_domain`) may receive reports. A mailto URI whose host has another
// Organizational Domain than `policy_domain` needs a DMARC record at
// `<policy_domain>._report._dmarc.<host>`; an rua there replaces the URI if
// its host is the same (DMB-R4-05), else the destination is dropped. A name
// too long for DNS is never queried (DMB-R4-02). Non-mailto URIs are not
// destinations (DM7-6.3-05).
struct ReportCheck {
  std::vector<std::string> destinations;  // URIs, without size suffixes
  std::vector<DnsQuery> queries;          // the _report._dmarc queries
  // URIs whose authorization query met a temporary DNS error (SERVFAIL,
  // timeout): not destinations now, but not refused either. A receiver MAY
  // temp-fail the delivery so that the check is made again later (RFC 9990
  // §4, RFC 7489 §7.1 step 4; DMB-R4-03).
  std::vector<std::string> retry;
};
ReportCheck CheckReportDestinations(const Record& record, const std::string& policy_domain,
                                    DmarcLookups& lookups);

}  // namespace mxconform::dmarc
