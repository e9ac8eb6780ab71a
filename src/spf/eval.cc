// check_host() (RFC 7208 §4-§7) over a Resolver. The evaluator is written by
// hand: no well-kept C++ SPF library takes an injectable, synchronous
// resolver and reports every query and limit the way the suite needs.
//
// Decisions on the points RFC 7208 leaves open (../../../shared/spec/
// requirements.md §3.4):
//  - Void lookups (§4.6.4, SPF-4.6.4-06) are counted per term, on the
//    term's own query: the A/AAAA of `a`, the MX of `mx`, the PTR of `ptr`,
//    the A of `exists`, the TXT of an include or redirect target. The
//    top-level TXT, the address lookups of MX exchanges and PTR names, the
//    PTR lookup of %{p} and the exp TXT are not counted. The answer that
//    goes over the limit is counted, so EvalResult::void_lookups can reach
//    limit + 1.
//  - %{p} (§4.6.4, §7.3): each expansion of a domain-spec that uses it costs
//    one DNS term, charged before its PTR query, on top of the term's own
//    cost; the validated name is recomputed for each expansion (it depends
//    on <domain>). %{p} inside exp= is looked up but not counted, like exp.
//  - A target name that is not a valid domain after expansion and §7.3
//    truncation (§4.8: an empty label, a label over 63 octets, a control or
//    non-ASCII byte) makes a/mx/ptr/exists not match, with no query: the
//    openspf `invalid-domain-*` cases accept fail or permerror; we read
//    §4.3 and §5 (NXDOMAIN = no match) by analogy. An
//    include or redirect target goes through §4.3 like any <domain>: a
//    malformed one gives none, mapped to permerror (§5.2, §6.1).
//  - RFC 8616 §4: when the local-part is not ASCII, a term whose domain-spec
//    uses %{s} or %{l} (either case) matches nothing, with no query: an
//    include of it does not match (rather than the permerror an invalid
//    include target gives), and such a redirect= is not followed, so the
//    record ends in neutral (§4.7). The term still counts (§4.6.4).
//  - mx (§4.6.4, openspf `mx-limit`): more than EvalLimits::mx_names
//    exchanges (null MX "." entries excluded) is a permerror before any
//    address lookup.
//  - ptr and %{p} look at the first EvalLimits::ptr_names PTR names only. A
//    ptr mechanism only forward-confirms the names that are the target or
//    below it (the others cannot make it match, §4: same results, fewer
//    queries); %{p} confirms candidates in its preference order (SPF-7.3-05)
//    and stops at the first validated one.
//  - The initial <domain> (§4.3) is malformed when it is empty, longer than
//    253 octets, has an empty label or one over 63 octets, a single label,
//    an all-numeric last label (a bare IP address), a byte outside
//    %x21-7E after A-label conversion, or is an address literal "[...]".

#include "spf/eval.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "common/domain.h"
#include "common/result.h"
#include "common/text.h"
#include "spf/macro.h"
#include "spf/record.h"

namespace mxconform::spf {

std::string_view SpfResultName(SpfResult r) {
  switch (r) {
    case SpfResult::kNone:
      return "none";
    case SpfResult::kNeutral:
      return "neutral";
    case SpfResult::kPass:
      return "pass";
    case SpfResult::kFail:
      return "fail";
    case SpfResult::kSoftFail:
      return "softfail";
    case SpfResult::kTempError:
      return "temperror";
    case SpfResult::kPermError:
      return "permerror";
  }
  return "permerror";
}

std::string_view DnsStatusName(DnsStatus s) {
  switch (s) {
    case DnsStatus::kOk:
      return "NOERROR";
    case DnsStatus::kNxDomain:
      return "NXDOMAIN";
    case DnsStatus::kError:
      return "SERVFAIL";
    case DnsStatus::kTimeout:
      return "TIMEOUT";
  }
  return "SERVFAIL";
}

std::string_view QueryTypeName(QueryType t) {
  switch (t) {
    case QueryType::kTxt:
      return "TXT";
    case QueryType::kA:
      return "A";
    case QueryType::kAaaa:
      return "AAAA";
    case QueryType::kMx:
      return "MX";
    case QueryType::kPtr:
      return "PTR";
  }
  return "TXT";
}

namespace {

// Reason ids (stable; see eval.h).
constexpr std::string_view kReasonMatched = "spf.eval.matched";
constexpr std::string_view kReasonDefault = "spf.eval.default";
constexpr std::string_view kReasonNoRecord = "spf.eval.no_record";
constexpr std::string_view kReasonMultiple = "spf.eval.multiple_records";
constexpr std::string_view kReasonSyntax = "spf.eval.syntax";
constexpr std::string_view kReasonBadDomain = "spf.eval.bad_domain";
constexpr std::string_view kReasonDnsError = "spf.eval.dns_error";
constexpr std::string_view kReasonLookupLimit = "spf.eval.lookup_limit";
constexpr std::string_view kReasonVoidLimit = "spf.eval.void_limit";
constexpr std::string_view kReasonMxLimit = "spf.eval.mx_limit";
constexpr std::string_view kReasonTimeLimit = "spf.eval.time_limit";
constexpr std::string_view kReasonDepthLimit = "spf.eval.depth_limit";
constexpr std::string_view kReasonIncludeNone = "spf.eval.include_none";
constexpr std::string_view kReasonRedirectNone = "spf.eval.redirect_none";
constexpr std::string_view kReasonInternal = "spf.eval.internal_error";

// How a recursive evaluation was entered: decides what "none" becomes
// (§5.2, §6.1).
enum class Origin : std::uint8_t { kTop, kInclude, kRedirect };

// The result of one check_host() level.
struct Outcome {
  SpfResult result = SpfResult::kNone;
  std::string_view reason;
  std::string detail;
  std::string domain;
  std::string mechanism;
  std::string explanation;
};

Outcome MakeOutcome(SpfResult r, std::string_view reason, std::string detail,
                    std::string_view domain) {
  Outcome o;
  o.result = r;
  o.reason = reason;
  o.detail = std::move(detail);
  o.domain = std::string(domain);
  return o;
}

SpfResult QualifierResult(Qualifier q) {
  switch (q) {
    case Qualifier::kPass:
      return SpfResult::kPass;
    case Qualifier::kFail:
      return SpfResult::kFail;
    case Qualifier::kSoftFail:
      return SpfResult::kSoftFail;
    case Qualifier::kNeutral:
      return SpfResult::kNeutral;
  }
  return SpfResult::kNeutral;
}

bool IsAllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return text::IsDigit(c); });
}

// A <target-name> a query can be built from (§4.8, RFC 1035 §2.3.4): not
// empty, no empty label, no label over 63 octets, no control or non-ASCII
// byte. Space and other printable bytes are allowed: macro expansion can
// produce them (openspf `macro-mania-in-domain`) and DNS carries them.
// `name` has no trailing dot (TruncateDomain removed it).
bool IsQueryableName(std::string_view name) {
  if (name.empty() || name.size() > domain::kMaxName) {
    return false;
  }
  std::size_t label = 0;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) {
      return false;
    }
    if (c == '.') {
      if (label == 0) {
        return false;
      }
      label = 0;
    } else if (++label > domain::kMaxLabel) {
      return false;
    }
  }
  return label != 0;
}

// RFC 7208 §4.3 (SPF-4.3-01): a well-formed, multi-label <domain>. `name`
// is ASCII (A-labels) without its trailing dot. See the file comment for
// what "malformed" covers.
bool IsWellFormedDomain(std::string_view name) {
  if (!IsQueryableName(name) || name.front() == '[') {
    return false;
  }
  for (char c : name) {
    if (!text::IsVchar(c)) {
      return false;  // no space in a <domain>
    }
  }
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) {
    return false;  // a single label
  }
  return !IsAllDigits(name.substr(dot + 1));
}

bool HasNonAscii(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Converts a domain to the form check_host() uses: A-labels (§4.3,
// SPF-4.3-02) and no trailing dot. Returns false if libidn2 refuses it.
// On failure `out` holds the input as is (trailing dot dropped).
bool NormalizeDomain(std::string_view in, std::string& out) {
  bool ok = true;
  out = std::string(in);
  if (HasNonAscii(in)) {
    Result<std::string> a = domain::ToALabels(in);
    if (a.ok()) {
      out = std::move(a.value());
    } else {
      ok = false;
    }
  }
  if (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  return ok;
}

// Lower case, one trailing dot dropped: for comparing names.
std::string FoldName(std::string_view s) {
  if (!s.empty() && s.back() == '.') {
    s.remove_suffix(1);
  }
  return text::ToLowerCopy(s);
}

// True if folded `name` is folded `target` or a subdomain of it (§5.5).
bool IsAtOrBelow(std::string_view name, std::string_view target) {
  if (name.size() == target.size()) {
    return name == target;
  }
  return name.size() > target.size() && name.ends_with(target) &&
         name[name.size() - target.size() - 1] == '.';
}

std::size_t AnswerCount(const DnsAnswer& a, QueryType t) {
  switch (t) {
    case QueryType::kTxt:
      return a.txt.size();
    case QueryType::kA:
    case QueryType::kAaaa:
      return a.addresses.size();
    case QueryType::kMx:
    case QueryType::kPtr:
      return a.names.size();
  }
  return 0;
}

bool IsDnsError(DnsStatus s) { return s == DnsStatus::kError || s == DnsStatus::kTimeout; }

// The address query for the client's family (§5, SPF-5-01).
QueryType AddressType(const IpAddress& ip) { return ip.v6 ? QueryType::kAaaa : QueryType::kA; }

enum class Match : std::uint8_t { kMatch, kNoMatch, kError };

// What expanding a domain-spec gave.
// kSkip: RFC 8616 §4, a term whose domain-spec uses %{s} or %{l} while the
// local part is not ASCII matches nothing.
enum class Target : std::uint8_t { kOk, kInvalid, kSkip, kError };

class Evaluator {
 public:
  Evaluator(const EvalInput& in, std::string local_part, std::string sender_domain, Resolver& dns,
            const EvalLimits& limits, EvalResult& out)
      : in_(in),
        local_(std::move(local_part)),
        sender_domain_(std::move(sender_domain)),
        ip_(Unmap(in.ip)),
        dns_(dns),
        limits_(limits),
        out_(out) {
    local_non_ascii_ = HasNonAscii(local_);
    if (limits_.clock != nullptr) {
      start_ = limits_.clock->Now();
    }
  }

  // check_host() at `depth` for `domain` (already normalized).
  Outcome Check(const std::string& domain, std::uint16_t depth, Origin origin, bool in_include);

 private:
  // Sends one query and logs it. Returns false (with `err` set to temperror)
  // when the time budget is spent before or by the query (SPF-4.6.4-07).
  bool Ask(std::string_view name, QueryType type, std::uint16_t depth, DnsAnswer& ans, Outcome& err,
           std::string_view domain);
  bool OverBudget() const {
    return limits_.clock != nullptr && limits_.clock->Now() - start_ > limits_.time_budget_seconds;
  }
  // Charges one DNS term (SPF-4.6.4-01); false (permerror) if it would be
  // one too many; nothing is counted or queried then.
  bool CountTerm(Outcome& err, std::string_view domain, std::string_view what);
  // Counts one void answer (SPF-4.6.4-06); false (permerror) past the limit.
  bool CountVoid(Outcome& err, std::string_view domain, std::string_view name);

  Target ExpandTarget(std::string_view spec, const std::string& domain, std::uint16_t depth,
                      bool counted, std::string& target, Outcome& err);
  // %{p} (§7.3, SPF-7.3-05): the validated name or "unknown". Returns false
  // only when the evaluation must stop (limit or time budget, in `err`).
  bool ValidatedName(const std::string& domain, std::uint16_t depth, bool counted,
                     std::string& name, Outcome& err);
  MacroContext Context(const std::string& domain, std::string_view ptr_name) const;

  Match EvalMechanism(const Record& rec, const Mechanism& m, const std::string& domain,
                      std::uint16_t depth, Outcome& err);
  Match EvalA(const Mechanism& m, const std::string& target, const std::string& domain,
              std::uint16_t depth, Outcome& err);
  Match EvalMx(const Mechanism& m, const std::string& target, const std::string& domain,
               std::uint16_t depth, Outcome& err);
  Match EvalPtr(const std::string& target, const std::string& domain, std::uint16_t depth,
                Outcome& err);
  Match EvalExists(const std::string& target, const std::string& domain, std::uint16_t depth,
                   Outcome& err);
  Match EvalInclude(const std::string& target, const std::string& domain, std::uint16_t depth,
                    Outcome& err);
  // Forward-confirms one PTR name: 1 if it has <ip>, 0 if not or on a DNS
  // error (skipped, §5.5), -1 when the evaluation must stop (`err`).
  int Confirm(const std::string& name, const std::string& domain, std::uint16_t depth,
              Outcome& err);

  // §6.2: the explanation for a fail, or "" when there is none to give.
  std::string Explain(const Record& rec, const std::string& domain, std::uint16_t depth);

  void Trace(std::uint16_t depth, std::string_view domain, std::string_view term,
             std::string outcome) {
    TraceStep s;
    s.depth = depth;
    s.domain = std::string(domain);
    s.term = std::string(term);
    s.outcome = std::move(outcome);
    out_.trace.push_back(std::move(s));
  }

  const EvalInput& in_;
  std::string local_;
  std::string sender_domain_;
  IpAddress ip_;
  bool local_non_ascii_ = false;
  Resolver& dns_;
  const EvalLimits& limits_;
  EvalResult& out_;
  UnixSeconds start_ = 0;
};

bool Evaluator::Ask(std::string_view name, QueryType type, std::uint16_t depth, DnsAnswer& ans,
                    Outcome& err, std::string_view domain) {
  if (OverBudget()) {
    err = MakeOutcome(SpfResult::kTempError, kReasonTimeLimit,
                      "evaluation time budget of " + std::to_string(limits_.time_budget_seconds) +
                          " s spent before querying " + std::string(name),
                      domain);
    return false;
  }
  try {
    ans = dns_.Query(name, type);
  } catch (...) {
    // A Resolver that throws is treated like SERVFAIL; nothing escapes.
    ans = DnsAnswer{};
    ans.status = DnsStatus::kError;
  }
  QueryRecord q;
  q.depth = depth;
  q.type = type;
  q.name = std::string(name);
  q.status = ans.status;
  q.answers = static_cast<std::uint32_t>(AnswerCount(ans, type));
  out_.queries.push_back(std::move(q));
  if (OverBudget()) {
    err = MakeOutcome(SpfResult::kTempError, kReasonTimeLimit,
                      "evaluation time budget of " + std::to_string(limits_.time_budget_seconds) +
                          " s spent while querying " + std::string(name),
                      domain);
    return false;
  }
  return true;
}

bool Evaluator::CountTerm(Outcome& err, std::string_view domain, std::string_view what) {
  if (out_.dns_terms >= limits_.dns_terms) {
    err = MakeOutcome(SpfResult::kPermError, kReasonLookupLimit,
                      "more than " + std::to_string(limits_.dns_terms) +
                          " DNS-querying terms (RFC 7208 §4.6.4), at " + std::string(what),
                      domain);
    return false;
  }
  ++out_.dns_terms;
  return true;
}

bool Evaluator::CountVoid(Outcome& err, std::string_view domain, std::string_view name) {
  ++out_.void_lookups;
  if (out_.void_lookups > limits_.void_lookups) {
    err = MakeOutcome(SpfResult::kPermError, kReasonVoidLimit,
                      "more than " + std::to_string(limits_.void_lookups) +
                          " void lookups (RFC 7208 §4.6.4), at " + std::string(name),
                      domain);
    return false;
  }
  return true;
}

MacroContext Evaluator::Context(const std::string& domain, std::string_view ptr_name) const {
  MacroContext ctx;
  ctx.local_part = local_;
  ctx.sender_domain = sender_domain_;
  ctx.domain = domain;
  ctx.ip = ip_;
  ctx.helo = in_.helo;
  ctx.validated_ptr = ptr_name;
  ctx.receiver = in_.receiver;
  ctx.now = in_.now;
  return ctx;
}

int Evaluator::Confirm(const std::string& name, const std::string& domain, std::uint16_t depth,
                       Outcome& err) {
  std::string q = name;
  if (!q.empty() && q.back() == '.') {
    q.pop_back();
  }
  if (!IsQueryableName(q)) {
    return 0;
  }
  DnsAnswer ans;
  if (!Ask(q, AddressType(ip_), depth, ans, err, domain)) {
    return -1;
  }
  if (ans.status != DnsStatus::kOk) {
    return 0;  // §5.5: a DNS error on the A lookup skips the name
  }
  for (const IpAddress& a : ans.addresses) {
    if (a == ip_) {
      return 1;
    }
  }
  return 0;
}

bool Evaluator::ValidatedName(const std::string& domain, std::uint16_t depth, bool counted,
                              std::string& name, Outcome& err) {
  name = "unknown";
  if (counted && !CountTerm(err, domain, "%{p}")) {
    return false;
  }
  DnsAnswer ptr;
  if (!Ask(ReverseName(ip_), QueryType::kPtr, depth, ptr, err, domain)) {
    return false;
  }
  if (ptr.status != DnsStatus::kOk) {
    return true;  // "unknown" on a DNS error or no name
  }
  // The first ptr_names names (SPF-4.6.4-04), in preference order: <domain>
  // itself, then its subdomains, then the rest (SPF-7.3-05).
  std::size_t n = std::min<std::size_t>(ptr.names.size(), limits_.ptr_names);
  std::string target = FoldName(domain);
  std::vector<std::pair<int, std::size_t>> order;
  order.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::string f = FoldName(ptr.names[i]);
    int rank = f == target ? 0 : (IsAtOrBelow(f, target) ? 1 : 2);
    order.emplace_back(rank, i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [rank, i] : order) {
    int c = Confirm(ptr.names[i], domain, depth, err);
    if (c < 0) {
      return false;
    }
    if (c > 0) {
      name = ptr.names[i];
      if (name.size() > 1 && name.back() == '.') {
        name.pop_back();
      }
      return true;
    }
  }
  return true;
}

Target Evaluator::ExpandTarget(std::string_view spec, const std::string& domain,
                               std::uint16_t depth, bool counted, std::string& target,
                               Outcome& err) {
  if (spec.empty()) {
    target = domain;  // §4.8 (SPF-4.8-01): the current <domain>
    return Target::kOk;
  }
  if (local_non_ascii_ && (UsesMacroLetter(spec, 's') || UsesMacroLetter(spec, 'l'))) {
    target.clear();
    return Target::kSkip;  // RFC 8616 §4
  }
  std::string ptr_name = "unknown";
  if (UsesMacroLetter(spec, 'p') && !ValidatedName(domain, depth, counted, ptr_name, err)) {
    return Target::kError;
  }
  // A domain-spec's expansion never fails on length (macro.h): past the
  // limit it keeps the labels §7.3 truncation keeps.
  Result<std::string> r = ExpandMacro(spec, MacroUse::kDomainSpec, Context(domain, ptr_name));
  if (!r.ok()) {
    err = MakeOutcome(
        SpfResult::kPermError, kReasonSyntax,
        "macro expansion failed: " + std::string(r.error().id) + " " + r.error().Text(), domain);
    return Target::kError;
  }
  // §7.3 (SPF-7.3-07): drop labels from the left past 253 octets.
  target = std::string(TruncateDomain(r.value()));
  return IsQueryableName(target) ? Target::kOk : Target::kInvalid;
}

Match Evaluator::EvalA(const Mechanism& m, const std::string& target, const std::string& domain,
                       std::uint16_t depth, Outcome& err) {
  // §5.3: A for an IPv4 client, AAAA for IPv6 (SPF-5-01).
  DnsAnswer ans;
  if (!Ask(target, AddressType(ip_), depth, ans, err, domain)) {
    return Match::kError;
  }
  if (IsDnsError(ans.status)) {
    err = MakeOutcome(SpfResult::kTempError, kReasonDnsError,
                      std::string(DnsStatusName(ans.status)) + " for " +
                          std::string(QueryTypeName(AddressType(ip_))) + " " + target,
                      domain);
    return Match::kError;
  }
  if (ans.status == DnsStatus::kNxDomain || ans.addresses.empty()) {
    return CountVoid(err, domain, target) ? Match::kNoMatch : Match::kError;
  }
  unsigned prefix = ip_.v6 ? m.cidr6 : m.cidr4;
  for (const IpAddress& a : ans.addresses) {
    if (CidrMatch(ip_, a, prefix)) {
      return Match::kMatch;
    }
  }
  return Match::kNoMatch;
}

Match Evaluator::EvalMx(const Mechanism& m, const std::string& target, const std::string& domain,
                        std::uint16_t depth, Outcome& err) {
  // §5.4: MX of the target, then the addresses of each exchange; never the
  // implicit MX (SPF-5.4-02).
  DnsAnswer mx;
  if (!Ask(target, QueryType::kMx, depth, mx, err, domain)) {
    return Match::kError;
  }
  if (IsDnsError(mx.status)) {
    err = MakeOutcome(SpfResult::kTempError, kReasonDnsError,
                      std::string(DnsStatusName(mx.status)) + " for MX " + target, domain);
    return Match::kError;
  }
  if (mx.status == DnsStatus::kNxDomain || mx.names.empty()) {
    return CountVoid(err, domain, target) ? Match::kNoMatch : Match::kError;
  }
  std::vector<std::string> hosts;
  for (const std::string& name : mx.names) {
    if (name.empty() || name == ".") {
      continue;  // null MX (RFC 7505): no host
    }
    hosts.push_back(name);
  }
  if (hosts.size() > limits_.mx_names) {
    // §4.6.4 (SPF-4.6.4-03), read as the openspf `mx-limit` case does.
    err = MakeOutcome(SpfResult::kPermError, kReasonMxLimit,
                      std::to_string(hosts.size()) + " MX names for " + target + " (limit " +
                          std::to_string(limits_.mx_names) + ")",
                      domain);
    return Match::kError;
  }
  unsigned prefix = ip_.v6 ? m.cidr6 : m.cidr4;
  for (std::string& host : hosts) {
    if (host.back() == '.') {
      host.pop_back();
    }
    if (!IsQueryableName(host)) {
      continue;
    }
    DnsAnswer ans;
    if (!Ask(host, AddressType(ip_), depth, ans, err, domain)) {
      return Match::kError;
    }
    if (IsDnsError(ans.status)) {
      err = MakeOutcome(SpfResult::kTempError, kReasonDnsError,
                        std::string(DnsStatusName(ans.status)) + " for " +
                            std::string(QueryTypeName(AddressType(ip_))) + " " + host,
                        domain);
      return Match::kError;
    }
    for (const IpAddress& a : ans.addresses) {
      if (CidrMatch(ip_, a, prefix)) {
        return Match::kMatch;
      }
    }
  }
  return Match::kNoMatch;
}

Match Evaluator::EvalPtr(const std::string& target, const std::string& domain, std::uint16_t depth,
                         Outcome& err) {
  // §5.5 (SPF-5.5-01, -02).
  DnsAnswer ptr;
  std::string reverse = ReverseName(ip_);
  if (!Ask(reverse, QueryType::kPtr, depth, ptr, err, domain)) {
    return Match::kError;
  }
  if (IsDnsError(ptr.status)) {
    return Match::kNoMatch;  // a DNS error on the PTR lookup: no match
  }
  if (ptr.status == DnsStatus::kNxDomain || ptr.names.empty()) {
    return CountVoid(err, domain, reverse) ? Match::kNoMatch : Match::kError;
  }
  std::string folded_target = FoldName(target);
  std::size_t n = std::min<std::size_t>(ptr.names.size(), limits_.ptr_names);
  for (std::size_t i = 0; i < n; ++i) {
    if (!IsAtOrBelow(FoldName(ptr.names[i]), folded_target)) {
      continue;
    }
    int c = Confirm(ptr.names[i], domain, depth, err);
    if (c < 0) {
      return Match::kError;
    }
    if (c > 0) {
      return Match::kMatch;
    }
  }
  return Match::kNoMatch;
}

Match Evaluator::EvalExists(const std::string& target, const std::string& domain,
                            std::uint16_t depth, Outcome& err) {
  // §5.7 (SPF-5.7-01): always an A query, even for an IPv6 client.
  DnsAnswer ans;
  if (!Ask(target, QueryType::kA, depth, ans, err, domain)) {
    return Match::kError;
  }
  if (IsDnsError(ans.status)) {
    err = MakeOutcome(SpfResult::kTempError, kReasonDnsError,
                      std::string(DnsStatusName(ans.status)) + " for A " + target, domain);
    return Match::kError;
  }
  if (ans.status == DnsStatus::kNxDomain || ans.addresses.empty()) {
    return CountVoid(err, domain, target) ? Match::kNoMatch : Match::kError;
  }
  return Match::kMatch;
}

Match Evaluator::EvalInclude(const std::string& target, const std::string& domain,
                             std::uint16_t depth, Outcome& err) {
  // §5.2 (SPF-5.2-01).
  Outcome sub = Check(target, static_cast<std::uint16_t>(depth + 1), Origin::kInclude, true);
  switch (sub.result) {
    case SpfResult::kPass:
      return Match::kMatch;
    case SpfResult::kFail:
    case SpfResult::kSoftFail:
    case SpfResult::kNeutral:
      return Match::kNoMatch;
    case SpfResult::kTempError:
    case SpfResult::kPermError:
    case SpfResult::kNone:  // Check() maps none to permerror for includes
      break;
  }
  err = std::move(sub);
  if (err.result == SpfResult::kNone) {
    err.result = SpfResult::kPermError;
  }
  return Match::kError;
}

Match Evaluator::EvalMechanism(const Record& rec, const Mechanism& m, const std::string& domain,
                               std::uint16_t depth, Outcome& err) {
  switch (m.kind) {
    case MechanismKind::kAll:
      return Match::kMatch;
    case MechanismKind::kIp4:
      // §5.6; an IPv4-mapped client was unmapped (SPF-5-01).
      return !ip_.v6 && !m.network.v6 && CidrMatch(ip_, m.network, m.cidr4) ? Match::kMatch
                                                                            : Match::kNoMatch;
    case MechanismKind::kIp6:
      return ip_.v6 && m.network.v6 && CidrMatch(ip_, m.network, m.cidr6) ? Match::kMatch
                                                                          : Match::kNoMatch;
    case MechanismKind::kInclude:
    case MechanismKind::kA:
    case MechanismKind::kMx:
    case MechanismKind::kPtr:
    case MechanismKind::kExists:
      break;
  }
  // §4.6.4: these terms cost a DNS lookup, counted before anything is asked.
  std::string_view term = rec.View(m.term);
  if (!CountTerm(err, domain, term)) {
    return Match::kError;
  }
  std::string target;
  Target t = ExpandTarget(rec.View(m.domain_spec), domain, depth, true, target, err);
  if (t == Target::kError) {
    return Match::kError;
  }
  if (t == Target::kSkip) {
    Trace(depth, domain, term, "the local part is not ASCII (RFC 8616 §4): no match");
    return Match::kNoMatch;
  }
  if (m.kind == MechanismKind::kInclude) {
    if (t == Target::kInvalid || !IsWellFormedDomain(target)) {
      // §4.3 on the target gives none, which include maps to permerror.
      err = MakeOutcome(SpfResult::kPermError, kReasonBadDomain,
                        "include target is not a valid domain: " + text::Printable(target, 80),
                        domain);
      return Match::kError;
    }
    if (depth + 1 > kMaxIncludeDepth) {
      err = MakeOutcome(SpfResult::kPermError, kReasonDepthLimit,
                        "include/redirect nesting deeper than " + std::to_string(kMaxIncludeDepth),
                        domain);
      return Match::kError;
    }
    return EvalInclude(target, domain, depth, err);
  }
  if (t == Target::kInvalid) {
    Trace(depth, domain, term, "target is not a valid domain name: no match");
    return Match::kNoMatch;
  }
  switch (m.kind) {
    case MechanismKind::kA:
      return EvalA(m, target, domain, depth, err);
    case MechanismKind::kMx:
      return EvalMx(m, target, domain, depth, err);
    case MechanismKind::kPtr:
      return EvalPtr(target, domain, depth, err);
    case MechanismKind::kExists:
      return EvalExists(target, domain, depth, err);
    default:
      break;
  }
  return Match::kNoMatch;
}

std::string Evaluator::Explain(const Record& rec, const std::string& domain, std::uint16_t depth) {
  // §6.2 (SPF-6.2-01..05): any problem means "as if there were no exp=".
  const Modifier& exp = *rec.explanation;
  std::string_view spec = rec.View(exp.value);
  Outcome ignored;
  std::string target;
  // The exp lookup (and a %{p} in it) does not count toward the term limit.
  if (ExpandTarget(spec, domain, depth, false, target, ignored) != Target::kOk) {
    Trace(depth, domain, rec.View(exp.term), "no explanation: bad target");
    return {};
  }
  DnsAnswer ans;
  if (!Ask(target, QueryType::kTxt, depth, ans, ignored, domain)) {
    Trace(depth, domain, rec.View(exp.term), "no explanation: time budget spent");
    return {};
  }
  if (ans.status != DnsStatus::kOk || ans.txt.size() != 1) {
    Trace(depth, domain, rec.View(exp.term),
          "no explanation: " + std::string(DnsStatusName(ans.status)) + " with " +
              std::to_string(ans.txt.size()) + " TXT records");
    return {};
  }
  const std::string& txt = ans.txt.front();
  Diagnostics diags;
  if (HasNonAscii(txt) || !ValidateMacroString(txt, MacroUse::kExplain, 0, diags)) {
    Trace(depth, domain, rec.View(exp.term), "no explanation: not a valid explain-string");
    return {};
  }
  std::string ptr_name = "unknown";
  if (UsesMacroLetter(txt, 'p') && !ValidatedName(domain, depth, false, ptr_name, ignored)) {
    return {};
  }
  Result<std::string> r = ExpandMacro(txt, MacroUse::kExplain, Context(domain, ptr_name));
  // §6.2 (SPF-6.2-03): US-ASCII only; a lower-case %{l} of a non-ASCII
  // local-part would break that.
  if (!r.ok() || HasNonAscii(r.value())) {
    Trace(depth, domain, rec.View(exp.term), "no explanation: expansion failed");
    return {};
  }
  Trace(depth, domain, rec.View(exp.term), "explanation: " + text::Printable(r.value(), 200));
  return std::move(r.value());
}

Outcome Evaluator::Check(const std::string& domain, std::uint16_t depth, Origin origin,
                         bool in_include) {
  Outcome err;
  // §4.4: TXT only (SPF-3.1-01).
  DnsAnswer ans;
  if (!Ask(domain, QueryType::kTxt, depth, ans, err, domain)) {
    return err;
  }
  if (IsDnsError(ans.status)) {
    // §4.4 (SPF-4.4-01); inside include/redirect the same temperror wins.
    Trace(depth, domain, "", "temperror: TXT lookup " + std::string(DnsStatusName(ans.status)));
    return MakeOutcome(SpfResult::kTempError, kReasonDnsError,
                       std::string(DnsStatusName(ans.status)) + " for TXT " + domain, domain);
  }
  if (origin != Origin::kTop && (ans.status == DnsStatus::kNxDomain || ans.txt.empty())) {
    // An include/redirect target's lookup is the term's query.
    if (!CountVoid(err, domain, domain)) {
      return err;
    }
  }
  std::string_view none_reason = origin == Origin::kInclude    ? kReasonIncludeNone
                                 : origin == Origin::kRedirect ? kReasonRedirectNone
                                                               : kReasonNoRecord;
  SpfResult none_result = origin == Origin::kTop ? SpfResult::kNone : SpfResult::kPermError;
  if (ans.status == DnsStatus::kNxDomain) {
    Trace(depth, domain, "", "no SPF record: NXDOMAIN");
    return MakeOutcome(none_result, none_reason, "NXDOMAIN for TXT " + domain, domain);
  }
  Result<std::size_t> pick = SelectRecord(ans.txt);
  if (!pick.ok()) {
    if (pick.error().id == "spf.record.multiple") {
      // §4.5 (SPF-4.5-01): several SPF records.
      Trace(depth, domain, "", "permerror: several SPF records");
      return MakeOutcome(SpfResult::kPermError, kReasonMultiple,
                         "more than one v=spf1 TXT record at " + domain, domain);
    }
    Trace(depth, domain, "", "no SPF record");
    return MakeOutcome(none_result, none_reason, "no v=spf1 TXT record at " + domain, domain);
  }
  const std::string& text = ans.txt[pick.value()];
  Trace(depth, domain, "", "record: " + text::Printable(text, 512));
  Record rec;
  if (!ParseRecordInto(text, rec)) {
    // §4.6 (SPF-4.6-01): the whole record is checked before evaluation.
    const Diagnostic* d = FirstError(rec.diagnostics);
    std::string detail = d == nullptr ? std::string("invalid record")
                                      : std::string(d->id) + " at offset " +
                                            std::to_string(d->offset) + ": " + d->Text();
    Trace(depth, domain, "", "permerror: " + detail);
    return MakeOutcome(SpfResult::kPermError, kReasonSyntax, std::move(detail), domain);
  }

  // §4.6.2: mechanisms left to right; the first match decides.
  for (const Mechanism& m : rec.mechanisms) {
    Match match = EvalMechanism(rec, m, domain, depth, err);
    std::string_view term = rec.View(m.term);
    if (match == Match::kError) {
      Trace(depth, domain, term,
            std::string(SpfResultName(err.result)) + ": " + std::string(err.reason));
      return err;
    }
    if (match == Match::kNoMatch) {
      Trace(depth, domain, term, "no match");
      continue;
    }
    Outcome o = MakeOutcome(QualifierResult(m.qualifier), kReasonMatched, {}, domain);
    o.mechanism = std::string(term);
    o.detail = "matched " + o.mechanism;
    Trace(depth, domain, term, "match: " + std::string(SpfResultName(o.result)));
    // §6.2: exp= only for a fail from a mechanism match, never inside an
    // include (SPF-5.2-02); a redirected record uses its own (SPF-6.2-04).
    if (o.result == SpfResult::kFail && !in_include && rec.explanation.has_value()) {
      o.explanation = Explain(rec, domain, depth);
    }
    return o;
  }

  // §6.1: no mechanism matched (so there is no `all`, §5.1); redirect if any.
  if (rec.redirect.has_value()) {
    std::string_view term = rec.View(rec.redirect->term);
    if (!CountTerm(err, domain, term)) {
      Trace(depth, domain, term, "permerror: " + std::string(err.reason));
      return err;
    }
    std::string target;
    Target t = ExpandTarget(rec.View(rec.redirect->value), domain, depth, true, target, err);
    if (t == Target::kError) {
      Trace(depth, domain, term, "permerror: " + std::string(err.reason));
      return err;
    }
    if (t == Target::kSkip) {
      // RFC 8616 §4: the term matches nothing, so there is nowhere to go;
      // the record ends as one without redirect= (§4.7).
      Trace(depth, domain, term, "the local part is not ASCII (RFC 8616 §4): not followed");
    } else {
      if (t == Target::kInvalid || !IsWellFormedDomain(target)) {
        // §6.1 (SPF-6.1-02): a malformed target is a permerror.
        Trace(depth, domain, term, "permerror: bad redirect target");
        return MakeOutcome(SpfResult::kPermError, kReasonBadDomain,
                           "redirect target is not a valid domain: " + text::Printable(target, 80),
                           domain);
      }
      if (depth + 1 > kMaxIncludeDepth) {
        Trace(depth, domain, term, "permerror: nesting too deep");
        return MakeOutcome(
            SpfResult::kPermError, kReasonDepthLimit,
            "include/redirect nesting deeper than " + std::to_string(kMaxIncludeDepth), domain);
      }
      Trace(depth, domain, term, "redirect to " + target);
      Outcome sub =
          Check(target, static_cast<std::uint16_t>(depth + 1), Origin::kRedirect, in_include);
      if (sub.result == SpfResult::kNone) {
        sub.result = SpfResult::kPermError;  // §6.1: none becomes permerror
      }
      return sub;
    }
  }
  // §4.7 (SPF-4.7-01).
  Trace(depth, domain, "", "no match: neutral");
  return MakeOutcome(SpfResult::kNeutral, kReasonDefault, "no mechanism matched", domain);
}

// Splits a sender into local-part and domain (the last '@'); an empty
// local-part becomes "postmaster" (§4.3, SPF-4.3-03). Without '@' the whole
// string is the domain.
void SplitSender(std::string_view sender, std::string& local, std::string& dom) {
  std::size_t at = sender.rfind('@');
  if (at == std::string_view::npos) {
    local.clear();
    dom = std::string(sender);
  } else {
    local = std::string(sender.substr(0, at));
    dom = std::string(sender.substr(at + 1));
  }
  if (local.empty()) {
    local = "postmaster";
  }
}

// The common driver: §4.3 checks on `raw_domain`, then check_host().
EvalResult Run(const EvalInput& in, std::string_view raw_domain, std::string local,
               std::string_view raw_sender_domain, Resolver& dns, const EvalLimits& limits) {
  EvalResult out;
  try {
    std::string dom;
    bool converted = NormalizeDomain(raw_domain, dom);
    std::string sender_domain;
    // %{o} uses A-labels too (RFC 8616 §4); raw bytes if libidn2 refuses.
    NormalizeDomain(raw_sender_domain, sender_domain);
    out.domain = dom;
    if (!converted || !IsWellFormedDomain(dom)) {
      // §4.3 (SPF-4.3-01): none, without a query.
      out.result = SpfResult::kNone;
      out.reason = kReasonBadDomain;
      out.detail = "not a well-formed multi-label domain: " + text::Printable(raw_domain, 80);
      TraceStep s;
      s.domain = dom;
      s.outcome = "none: " + out.detail;
      out.trace.push_back(std::move(s));
      return out;
    }
    Evaluator ev(in, std::move(local), std::move(sender_domain), dns, limits, out);
    Outcome o = ev.Check(dom, 0, Origin::kTop, false);
    out.result = o.result;
    out.reason = o.reason;
    out.detail = std::move(o.detail);
    out.domain = std::move(o.domain);
    out.mechanism = std::move(o.mechanism);
    out.explanation = std::move(o.explanation);
    TraceStep s;
    s.domain = out.domain;
    s.outcome =
        "result: " + std::string(SpfResultName(out.result)) + " (" + std::string(out.reason) + ")";
    out.trace.push_back(std::move(s));
  } catch (const std::exception& e) {
    // Allocation failure or a bug: never let it escape (README: no
    // exceptions cross a public API of src/).
    out.result = SpfResult::kTempError;
    out.reason = kReasonInternal;
    out.detail = e.what();
  } catch (...) {
    out.result = SpfResult::kTempError;
    out.reason = kReasonInternal;
    out.detail = "unknown exception";
  }
  return out;
}

bool IsAddressLiteral(std::string_view helo) { return !helo.empty() && helo.front() == '['; }

}  // namespace

EvalResult CheckHost(const EvalInput& in, std::string_view domain, Resolver& dns,
                     const EvalLimits& limits) {
  std::string local;
  std::string sender_domain;
  SplitSender(in.sender, local, sender_domain);
  if (in.sender.empty()) {
    sender_domain = std::string(domain);
  }
  return Run(in, domain, std::move(local), sender_domain, dns, limits);
}

EvalResult CheckMailFrom(const EvalInput& in, Resolver& dns, const EvalLimits& limits) {
  if (in.sender.empty()) {
    // §2.4 (SPF-2.4-02): a null reverse-path is postmaster@<HELO>.
    return Run(in, in.helo, "postmaster", in.helo, dns, limits);
  }
  std::string local;
  std::string sender_domain;
  SplitSender(in.sender, local, sender_domain);
  return Run(in, sender_domain, std::move(local), sender_domain, dns, limits);
}

EvalResult CheckHelo(const EvalInput& in, Resolver& dns, const EvalLimits& limits) {
  if (IsAddressLiteral(in.helo)) {
    // §2.3 (SPF-2.3-02): an address literal is not checked.
    EvalResult out;
    out.result = SpfResult::kNone;
    out.reason = kReasonBadDomain;
    out.domain = in.helo;
    out.detail = "HELO is an address literal: " + text::Printable(in.helo, 80);
    return out;
  }
  return Run(in, in.helo, "postmaster", in.helo, dns, limits);
}

namespace {

// Sender-provided text reduced to printable ASCII and a bounded length
// (§9.1: no invalid characters, not excessively long).
std::string Sanitize(std::string_view s, std::size_t max = 256) {
  std::string out;
  for (char c : s.substr(0, std::min(s.size(), max))) {
    out.push_back(text::IsVchar(c) || c == ' ' ? c : '?');
  }
  if (s.size() > max) {
    out += "...";
  }
  return out;
}

// Our own messages cite sections as "§4.6.4"; a header field is US-ASCII
// (RFC 5322 §2.2), and Sanitize() would make the two bytes of "§" into
// "??". "section 4.6.4" says the same in ASCII.
std::string AsciiCites(std::string_view s) {
  constexpr std::string_view kSection = "\xc2\xa7";  // U+00A7 in UTF-8
  std::string out;
  for (std::size_t at = 0;;) {
    const std::size_t k = s.find(kSection, at);
    out += s.substr(at, k - at);
    if (k == std::string_view::npos) {
      return out;
    }
    out += "section ";
    at = k + kSection.size();
  }
}

// A key-value value: a dot-atom when it is one, else a quoted-string.
std::string Value(std::string_view raw) {
  std::string s = Sanitize(raw);
  bool dot_atom =
      !s.empty() && s.front() != '.' && s.back() != '.' && s.find("..") == std::string::npos;
  for (char c : s) {
    dot_atom = dot_atom && (text::IsAtext(c) || c == '.');
  }
  if (dot_atom) {
    return s;
  }
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      q.push_back('\\');
    }
    q.push_back(c);
  }
  q.push_back('"');
  return q;
}

// Text for inside a "( ... )" comment: parentheses and backslashes quoted.
std::string CommentText(std::string_view raw) {
  std::string out;
  for (char c : Sanitize(raw)) {
    if (c == '(' || c == ')' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string ReceivedSpfHeader(const EvalResult& r, const EvalInput& in, std::string_view identity) {
  std::string ip = ReadableIpForm(Unmap(in.ip));
  std::string sender = in.sender.empty() ? "postmaster@" + in.helo : in.sender;
  // The comment names the <sender> check_host() was given: for the HELO
  // identity that is postmaster@<HELO domain> (§2.3), whatever MAIL FROM was.
  const std::string checked = identity == "helo" ? "postmaster@" + in.helo : sender;
  std::string who = CommentText(in.receiver) + ": ";
  std::string what;
  switch (r.result) {
    case SpfResult::kPass:
      what = "domain of " + CommentText(checked) + " designates " + ip + " as permitted sender";
      break;
    case SpfResult::kFail:
      what = "domain of " + CommentText(checked) + " does not designate " + ip +
             " as permitted sender";
      break;
    case SpfResult::kSoftFail:
      what = "domain of transitioning " + CommentText(checked) + " does not designate " + ip +
             " as permitted sender";
      break;
    case SpfResult::kNeutral:
      what = ip + " is neither permitted nor denied by domain of " + CommentText(checked);
      break;
    case SpfResult::kNone:
      what = "domain of " + CommentText(checked) + " does not provide an SPF record";
      break;
    case SpfResult::kTempError:
      what = "temporary error evaluating the SPF record of " + CommentText(r.domain);
      break;
    case SpfResult::kPermError:
      what = "permanent error in the SPF record of " + CommentText(r.domain);
      break;
  }
  // EID 5436: "Received-SPF:" [CFWS] result [FWS comment] [FWS key-value-list],
  // the pairs separated by ";" [CFWS]. Each piece below is preceded by FWS.
  std::vector<std::string> pieces;
  pieces.push_back("Received-SPF: " + std::string(SpfResultName(r.result)));
  pieces.push_back("(" + who + what + ")");
  pieces.push_back("client-ip=" + Value(ip) + ";");
  pieces.push_back("envelope-from=" + Value(sender) + ";");
  pieces.push_back("helo=" + Value(in.helo) + ";");
  pieces.push_back("receiver=" + Value(in.receiver) + ";");
  pieces.push_back("identity=" + Value(identity));
  auto add = [&](std::string pair) {
    pieces.back() += ';';
    pieces.push_back(std::move(pair));
  };
  if (!r.mechanism.empty()) {
    add("mechanism=" + Value(r.mechanism));
  } else if (r.reason == kReasonDefault) {
    add("mechanism=default");
  }
  if ((r.result == SpfResult::kTempError || r.result == SpfResult::kPermError) &&
      !r.detail.empty()) {
    add("problem=" + Value(AsciiCites(r.detail)));
  }
  // RFC 5322 §2.1.1: a line MUST NOT pass 998 octets. Fold at the FWS
  // before a piece where the line would; a header that fits stays one line.
  constexpr std::size_t kMaxLine = 998;
  std::string h = pieces.front();
  std::size_t line = h.size();
  for (std::size_t k = 1; k < pieces.size(); ++k) {
    if (line + 1 + pieces[k].size() > kMaxLine) {
      h += "\r\n ";
      line = 1;
    } else {
      h += ' ';
      ++line;
    }
    h += pieces[k];
    line += pieces[k].size();
  }
  return h;
}

}  // namespace mxconform::spf
