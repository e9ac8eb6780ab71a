// DMARC evaluation. The decisions the RFCs leave open, made here:
//  - The SPF identifier is only the MAIL FROM check's (DMB-4.4.2-01, D-A8);
//    the caller passes postmaster@HELO's result for a null reverse-path.
//  - Temporary errors: when nothing passed aligned, a temperror result of an
//    identifier whose domain would align, or a DNS failure while finding an
//    Organizational Domain that alignment needs, makes the result temperror
//    (DM7-6.6.2-03, DMB-5.3.6-01); the policy is then not applied.
//  - Non-existence (np): bis asks `A <author>` and takes NXDOMAIN only
//    (DMB-3.2.13-01, RFC 8020). 7489 follows RFC 9091 §2.1: NXDOMAIN, or no
//    A, AAAA and MX records (asked in that order, stopping at the first
//    answer that decides). A DNS error there leaves it open, and the milder
//    of sp and np applies (sp on a tie), so that a DNS error never makes
//    the policy stricter than either reading (DMB-4.10.1-06). The check is
//    made only when the record that applies is not the author's own.
//  - bis Organizational Domains are only looked up when relaxed alignment
//    needs them (DMB-4.10.2-02); `org_domain` stays empty otherwise.
//  - An unusable record (D5, D8) gives permerror and no policy.
#include "dmarc/eval.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/domain.h"
#include "common/text.h"

namespace mxconform::dmarc {
namespace {

// A From domain in a reason: an empty one (a From address without a
// domain) is named, not left as a gap in the sentence.
std::string DomainText(const std::string& domain) {
  return domain.empty() ? std::string("the empty From domain") : domain;
}

constexpr std::string_view kResultNames[] = {"none", "pass", "fail", "temperror", "permerror"};
constexpr std::string_view kAuthNames[] = {"none",    "pass",      "fail",      "softfail",
                                           "neutral", "temperror", "permerror", "policy"};

Disposition Lower(Disposition d) {
  return d == Disposition::kReject ? Disposition::kQuarantine : Disposition::kNone;
}

bool Matters(AuthResult r) { return r == AuthResult::kPass || r == AuthResult::kTempError; }

class Evaluator {
 public:
  Evaluator(const EvalInput& in, Resolver& dns) : in_(in), lookups_(dns, in.discovery) {}

  EvalResult Run() {
    r_.mode = in_.discovery.mode;
    Result<std::string> a = domain::ToALabels(in_.from_domain);
    if (!a.ok() || !domain::CheckName(domain::Fold(*a)).ok()) {
      r_.reason = Cite("no usable RFC5322.From domain", "RFC 9989 §5.3.1", "RFC 7489 §6.6.1");
      r_.diagnostics.push_back(MakeDiag("dmarc.from.invalid", Severity::kError, 0,
                                        "the From domain is not a domain name",
                                        text::Printable(in_.from_domain)));
      return Finish();
    }
    author_ = domain::Fold(*a);
    r_.author_domain = author_;
    // The identifiers' domains, compared without case (DMB-4.4-01) and in
    // A-labels like the author's (an SMTPUTF8 sender's SPF domain may come
    // as U-labels, RFC 8616), folded once here for discovery and alignment.
    // One that does not convert is compared as given.
    auto comparable = [](const std::string& d) {
      Result<std::string> alabels = domain::ToALabels(d);
      return domain::Fold(alabels.ok() ? *alabels : d);
    };
    if (in_.spf) {
      spf_domain_ = comparable(in_.spf->domain);
    }
    for (const AuthIdentifier& d : in_.dkim) {
      dkim_domains_.push_back(comparable(d.domain));
    }
    if (!(r_.mode == Mode::kBis ? DiscoverBis() : Discover7489())) {
      return Finish();
    }
    const Record& rec = *r_.record;
    r_.diagnostics = rec.diagnostics;
    if (!rec.usable) {
      r_.result = DmarcResult::kPermError;
      r_.reason =
          "the DMARC record cannot be used: an invalid or missing policy and no valid rua "
          "(RFC 9989 §4.10.1, RFC 7489 §6.6.3)";
      return Finish();
    }
    Align(rec);
    ChoosePolicy(rec);
    return Finish();
  }

 private:
  // bis §4.10: `_dmarc.<author>` first; the rest of the walk only when no
  // record is there or relaxed alignment needs the Organizational Domain.
  bool DiscoverBis() {
    const NameLookup& first = lookups_.Lookup(author_);
    if (first.error()) {
      return TempError("DNS error looking up _dmarc." + author_ + " (RFC 9989 §4.10.1)");
    }
    if (first.record && !NeedsOrgDomain(*first.record)) {
      r_.record = first.record;
      r_.policy_domain = author_;
      own_record_ = true;
      if (first.record->psd != Psd::kUnknown) {
        // The walk would stop here anyway: the Org Domain costs nothing.
        r_.org_domain = DmarcLookups::SelectOrgDomain(author_, {&first});
      }
      return true;
    }
    bool error = false;
    std::vector<const NameLookup*> found = lookups_.Walk(author_, 1, error);
    if (first.record) {
      // The policy is the author's; a failed walk only leaves the Org
      // Domain unknown, which Aligns() turns into a temporary error for
      // the identifiers that needed it.
      r_.record = first.record;
      r_.policy_domain = author_;
      own_record_ = true;
      org_error_ = error;
      if (!error) {
        r_.org_domain = DmarcLookups::SelectOrgDomain(author_, found);
      }
      return true;
    }
    if (error) {
      return TempError("DNS error during the DMARC tree walk (RFC 9989 §4.10.1)");
    }
    r_.org_domain = DmarcLookups::SelectOrgDomain(author_, found);
    // DMB-4.10.1-01: the Organizational Domain's record, else the PSD's.
    const NameLookup* use = nullptr;
    for (const NameLookup* f : found) {
      if (f->domain == r_.org_domain) {
        use = f;
      }
    }
    if (use == nullptr && !found.empty() && found.back()->record->psd == Psd::kYes) {
      use = found.back();
    }
    if (use == nullptr) {
      r_.reason =
          "no DMARC record for the Author Domain, its Organizational Domain or a PSD "
          "(RFC 9989 §4.10.1)";
      return false;
    }
    r_.record = use->record;
    r_.policy_domain = use->domain;
    return true;
  }

  // 7489 §6.6.3: the author's name, then the Organizational Domain's.
  bool Discover7489() {
    r_.org_domain = PublicSuffixList::Default().OrgDomain(author_);
    const NameLookup* at = &lookups_.Lookup(author_);
    if (!at->error() && at->dmarc_records == 0 && r_.org_domain != author_) {
      at = &lookups_.Lookup(r_.org_domain);
    }
    if (at->error()) {
      return TempError("DNS error looking up _dmarc." + at->domain + " (RFC 7489 §6.6.3)");
    }
    if (at->dmarc_records > 1) {
      // D23 (7489): several records end discovery.
      r_.reason = "several DMARC records at _dmarc." + at->domain + " (RFC 7489 §6.6.3 step 5)";
      return false;
    }
    if (!at->record) {
      r_.reason =
          "no DMARC record at the Author Domain or its Organizational Domain (RFC 7489 "
          "§6.6.3)";
      return false;
    }
    r_.record = at->record;
    r_.policy_domain = at->domain;
    own_record_ = at->domain == author_;
    return true;
  }

  bool TempError(std::string why) {
    r_.result = DmarcResult::kTempError;
    r_.reason = std::move(why);
    return false;
  }

  // DMB-4.10.2-02: relaxed alignment of an identifier that matters and is
  // not the author itself.
  bool NeedsOrgDomain(const Record& rec) const {
    if (rec.aspf == Alignment::kRelaxed && in_.spf && Matters(in_.spf->result) &&
        spf_domain_ != author_) {
      return true;
    }
    if (rec.adkim == Alignment::kRelaxed) {
      for (std::size_t k = 0; k < in_.dkim.size(); ++k) {
        if (Matters(in_.dkim[k].result) && dkim_domains_[k] != author_) {
          return true;
        }
      }
    }
    return false;
  }

  // Whether `domain` aligns with the author (ignoring its result); `org`
  // receives its Organizational Domain when one was needed. A DNS error
  // while finding it sets `error`.
  bool Aligns(const std::string& domain, Alignment mode, std::string& org, bool& error) {
    // An identifier that is not a domain name never aligns: a NUL or other
    // byte would otherwise cut the name short inside the PSL lookup
    // ("x.example.com\0.attacker.net"; found by dmarc_discovery_fuzzer).
    if (domain.empty() || !domain::CheckName(domain).ok()) {
      return false;
    }
    if (domain == author_) {
      return true;
    }
    if (mode == Alignment::kStrict) {
      return false;  // DM7-3.1-01: exact match only
    }
    if (org_error_) {
      error = true;  // the author's Org Domain could not be found
      return false;
    }
    if (r_.org_domain.empty()) {
      r_.org_domain = lookups_.OrgDomain(author_, error);
    }
    org = lookups_.OrgDomain(domain, error);
    return org == r_.org_domain;
  }

  void Align(const Record& rec) {
    bool temp = false;
    using Method = IdentifierOutcome::Method;
    // Keeps one identifier; for a result that matters, checks its alignment
    // (looking up Org Domains as needed, into `org`). True for an aligned
    // pass.
    auto keep = [&](Method method, const AuthIdentifier& id, const std::string& domain,
                    Alignment mode, std::string& org) {
      IdentifierOutcome& o = r_.identifiers.emplace_back();
      o.method = method;
      o.result = id.result;
      o.domain = domain;
      o.selector = id.selector;
      if (!Matters(id.result)) {
        return false;
      }
      bool error = false;
      o.aligned = Aligns(domain, mode, org, error);
      o.checked = !error;
      temp |= error || (o.aligned && id.result == AuthResult::kTempError);
      return o.aligned && id.result == AuthResult::kPass;
    };
    if (in_.spf) {
      r_.spf_aligned = keep(Method::kSpf, *in_.spf, spf_domain_, rec.aspf, r_.spf_org_domain);
    }
    r_.dkim_org_domains.assign(in_.dkim.size(), std::string());
    for (std::size_t k = 0; k < in_.dkim.size(); ++k) {
      // DMB-4.4.1-01: any one aligned pass is enough.
      r_.dkim_aligned |=
          keep(Method::kDkim, in_.dkim[k], dkim_domains_[k], rec.adkim, r_.dkim_org_domains[k]);
    }
    if (r_.spf_aligned || r_.dkim_aligned) {
      r_.result = DmarcResult::kPass;
      // The section of the mode's own RFC that decided.
      r_.reason = r_.spf_aligned ? Cite("SPF passed and is aligned", "RFC 9989 §4.4.2",
                                        "RFC 7489 §3.1.2, §4.2")
                                 : Cite("a DKIM signature passed and is aligned", "RFC 9989 §4.4.1",
                                        "RFC 7489 §3.1.1, §4.2");
    } else if (temp) {
      r_.result = DmarcResult::kTempError;
      r_.reason =
          "no aligned pass and a temporary error where one could have come from (RFC "
          "9989 §5.3.6, RFC 7489 §6.6.2)";
    } else {
      r_.result = DmarcResult::kFail;
      r_.reason = Cite("no authenticated identifier is aligned with the Author Domain",
                       "RFC 9989 §5.3.5", "RFC 7489 §4.2, §6.6.2");
    }
  }

  // `what (section)`, the section from the RFC of the mode in force.
  std::string Cite(std::string_view what, std::string_view bis, std::string_view rfc7489) const {
    return std::string(what) + " (" + std::string(r_.mode == Mode::kBis ? bis : rfc7489) + ")";
  }

  enum class Existence { kExists, kNonExistent, kUnknown };

  // Whether the author exists, for np (see the top of this file).
  Existence AuthorExists() {
    Resolver& dns = lookups_.dns();
    auto ask = [&](QueryType t) {
      spf::DnsAnswer a = dns.Query(author_, t);
      r_.existence_queries.push_back(
          DnsQuery{t, author_, a.status,
                   static_cast<std::uint32_t>(a.addresses.size() + a.names.size() + a.txt.size())});
      return a;
    };
    auto failed = [](const spf::DnsAnswer& x) {
      return x.status == DnsStatus::kError || x.status == DnsStatus::kTimeout;
    };
    spf::DnsAnswer a = ask(QueryType::kA);
    if (a.status == DnsStatus::kNxDomain) {
      return Existence::kNonExistent;
    }
    if (failed(a)) {
      return Existence::kUnknown;
    }
    if (r_.mode == Mode::kBis || !a.empty()) {
      return Existence::kExists;
    }
    for (QueryType t : {QueryType::kAaaa, QueryType::kMx}) {
      spf::DnsAnswer b = ask(t);
      if (failed(b)) {
        return Existence::kUnknown;
      }
      if (b.status != DnsStatus::kOk || !b.empty()) {
        return Existence::kExists;
      }
    }
    return Existence::kNonExistent;  // RFC 9091 §2.1: no A, AAAA or MX
  }

  void ChoosePolicy(const Record& rec) {
    Disposition policy = rec.request;
    PolicySource source = PolicySource::kP;
    if (!own_record_) {
      const Existence exists = AuthorExists();
      r_.author_exists = exists != Existence::kNonExistent;
      r_.existence_unknown = exists == Existence::kUnknown;
      // `source` names the rule that applies; the value falls back when
      // the tag is absent. DMB-4.7-03: np, else sp, else p; DM7-6.3-07 /
      // DMB-4.7-04: sp, else p.
      const Disposition np = rec.NonExistentRequest();
      const Disposition sp = rec.SubdomainRequest();
      if (exists == Existence::kNonExistent || (r_.existence_unknown && np < sp)) {
        policy = np;
        source = PolicySource::kNp;
      } else {
        policy = sp;
        source = PolicySource::kSp;
      }
    }
    if (rec.mode == Mode::kBis && rec.t) {
      policy = Lower(policy);  // DMB-4.7-06: t=y asks for one level less
    }
    r_.policy = policy;
    r_.policy_source = source;
    if (r_.result != DmarcResult::kFail) {
      return;
    }
    Disposition d = policy;
    if (rec.mode == Mode::k7489) {
      const double draw = in_.random ? in_.random() : 0.0;
      r_.sampled = draw * 100.0 < static_cast<double>(rec.pct);
      if (!r_.sampled) {
        d = Lower(d);  // DM7-6.6.4-02
      }
    }
    r_.disposition = d;
  }

  EvalResult Finish() {
    r_.queries = lookups_.queries();
    return std::move(r_);
  }

  const EvalInput& in_;
  DmarcLookups lookups_;
  EvalResult r_;
  std::string author_;
  std::string spf_domain_;                 // folded
  std::vector<std::string> dkim_domains_;  // folded, per signature
  bool own_record_ = false;
  bool org_error_ = false;  // the walk for the author's Org Domain failed
};

// The host of a mailto: URI ("mailto:a@b.example?x" -> "b.example").
std::string MailtoHost(std::string_view uri) {
  const std::size_t q = uri.find('?');
  uri = uri.substr(0, q);
  const std::size_t at = uri.rfind('@');
  return at == std::string_view::npos ? std::string() : domain::Fold(uri.substr(at + 1));
}

bool FitsDns(std::string_view name) {
  if (name.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) {
      dot = name.size();
    }
    if (dot - start > 63 || dot == start) {
      return false;
    }
    start = dot + 1;
  }
  return true;
}

}  // namespace

std::string_view AuthResultName(AuthResult r) { return kAuthNames[static_cast<int>(r)]; }

std::optional<AuthResult> ParseAuthResult(std::string_view s) {
  for (std::size_t k = 0; k < std::size(kAuthNames); ++k) {
    if (text::EqualsIgnoreCase(s, kAuthNames[k])) {
      return static_cast<AuthResult>(k);
    }
  }
  return std::nullopt;
}

std::string_view DmarcResultName(DmarcResult r) { return kResultNames[static_cast<int>(r)]; }

std::string_view PolicySourceName(PolicySource s) {
  switch (s) {
    case PolicySource::kP:
      return "p";
    case PolicySource::kSp:
      return "sp";
    case PolicySource::kNp:
      return "np";
  }
  return "p";
}

std::string IdentifierOutcome::Text() const {
  std::string s = method == Method::kSpf ? "spf " : "dkim ";
  s += AuthResultName(result);
  s += ' ';
  s += domain;
  if (!selector.empty()) {
    s += " s=" + selector;
  }
  s += !checked ? " unchecked" : aligned ? " aligned" : " unaligned";
  return s;
}

std::string EvalResult::AuthenticationResults() const {
  std::string s = "dmarc=" + std::string(DmarcResultName(result));
  if (policy) {
    s += " (p=" + std::string(DispositionName(*policy)) +
         " dis=" + std::string(DispositionName(disposition));
    // Where the record came from, when not the author: a comment, as no
    // property is registered for it.
    if (!policy_domain.empty() && policy_domain != author_domain) {
      s += " from _dmarc." + policy_domain;
    }
    s += ")";
  }
  if (!author_domain.empty()) {
    s += " header.from=" + author_domain;
  }
  if (policy) {
    // RFC 9989 §9.1 registers header.from and policy.dmarc: the policy
    // evaluated, after the record's options (t=y).
    s += " policy.dmarc=" + std::string(DispositionName(*policy));
  }
  return s;
}

EvalResult Evaluate(const EvalInput& in, Resolver& dns) { return Evaluator(in, dns).Run(); }

std::optional<MultiAuthorRule> ParseMultiAuthorRule(std::string_view s) {
  if (s == "by-mode") {
    return MultiAuthorRule::kByMode;
  }
  if (s == "strictest") {
    return MultiAuthorRule::kStrictest;
  }
  if (s == "exempt") {
    return MultiAuthorRule::kExempt;
  }
  return std::nullopt;
}

std::string MultiEvalResult::AuthenticationResults() const {
  std::string s;
  for (const EvalResult& a : authors) {
    s += (s.empty() ? "" : "; ") + a.AuthenticationResults();
  }
  return s;
}

MultiEvalResult EvaluateAuthors(const std::vector<std::string>& from_domains, const EvalInput& base,
                                Resolver& dns, const MultiAuthorOptions& opts) {
  MultiEvalResult out;
  // Distinct domains, compared as folded A-labels; one that is not a
  // domain name is kept as written (its evaluation says so).
  std::vector<std::string> distinct;
  std::set<std::string> keys;
  for (const std::string& d : from_domains) {
    Result<std::string> a = domain::ToALabels(d);
    if (keys.insert(a.ok() ? domain::Fold(*a) : d).second) {
      distinct.push_back(d);
    }
  }
  auto evaluate = [&](const std::string& d) {
    EvalInput in = base;
    in.from_domain = d;
    return Evaluate(in, dns);
  };
  if (distinct.empty()) {
    out.reason = std::string("no RFC5322.From domain: DMARC does not apply (") +
                 (base.discovery.mode == Mode::kBis ? "RFC 9989 §5.3.1)" : "RFC 7489 §6.6.1)");
    return out;
  }
  if (distinct.size() == 1) {
    out.authors.push_back(evaluate(distinct[0]));
    out.result = out.authors[0].result;
    out.disposition = out.authors[0].disposition;
    out.reason = out.authors[0].reason;
    out.decided_by = 0;
    return out;
  }
  const bool strictest =
      opts.rule == MultiAuthorRule::kStrictest ||
      (opts.rule == MultiAuthorRule::kByMode && base.discovery.mode == Mode::k7489);
  const std::string count = std::to_string(distinct.size());
  if (!strictest) {
    out.exempt = true;
    out.reason = "the From field holds " + count +
                 " different domains: exempt from DMARC (RFC 9989 §5.3.1; a receiver may "
                 "still evaluate each, RFC 9989 \"Denial of DMARC Processing Attacks\")";
    return out;
  }
  for (const std::string& d : distinct) {
    if (out.authors.size() == opts.max_domains) {
      out.skipped.push_back(d);
    } else {
      out.authors.push_back(evaluate(d));
    }
  }
  // RFC 7489 §6.6.1: the strictest policy among the checks that fail;
  // otherwise an error if any, and pass only if every domain passed.
  auto first = [&](DmarcResult r) -> std::optional<std::size_t> {
    for (std::size_t k = 0; k < out.authors.size(); ++k) {
      if (out.authors[k].result == r) {
        return k;
      }
    }
    return std::nullopt;
  };
  if (auto f = first(DmarcResult::kFail)) {
    std::size_t worst = *f;
    for (std::size_t k = *f; k < out.authors.size(); ++k) {
      if (out.authors[k].result == DmarcResult::kFail &&
          out.authors[k].disposition > out.authors[worst].disposition) {
        worst = k;
      }
    }
    out.decided_by = worst;
    out.result = DmarcResult::kFail;
    out.disposition = out.authors[worst].disposition;
    out.reason = DomainText(out.authors[worst].author_domain) +
                 " fails, with the strictest policy among the From domains that fail (RFC "
                 "7489 §6.6.1)";
  } else if (auto t = first(DmarcResult::kTempError)) {
    out.decided_by = *t;
    out.result = DmarcResult::kTempError;
    out.reason = "no From domain fails, and " + DomainText(out.authors[*t].author_domain) +
                 " could not be evaluated: " + out.authors[*t].reason;
  } else if (auto p = first(DmarcResult::kPermError)) {
    out.decided_by = *p;
    out.result = DmarcResult::kPermError;
    out.reason = "no From domain fails, and " + DomainText(out.authors[*p].author_domain) +
                 " could not be evaluated: " + out.authors[*p].reason;
  } else if (!out.skipped.empty()) {
    out.reason = "no From domain evaluated fails, but only " + std::to_string(opts.max_domains) +
                 " of " + count +
                 " were evaluated: no verdict (RFC 9989 \"Denial of DMARC Processing Attacks\")";
  } else if (auto n = first(DmarcResult::kNone)) {
    out.decided_by = *n;
    out.reason = "no From domain fails, and " + DomainText(out.authors[*n].author_domain) +
                 " has no DMARC result: " + out.authors[*n].reason;
  } else {
    out.result = DmarcResult::kPass;
    out.reason = "each of the " + count + " From domains passes (RFC 7489 §6.6.1)";
  }
  if (!out.skipped.empty()) {
    out.diagnostics.push_back(
        MakeDiag("dmarc.from.incomplete", Severity::kWarning, 0,
                 "more From domains than evaluated: the evaluation is incomplete (RFC 9989 "
                 "\"Denial of DMARC Processing Attacks\")",
                 std::to_string(out.skipped.size()) + " not evaluated"));
  }
  return out;
}

ReportCheck CheckReportDestinations(const Record& record, const std::string& policy_domain,
                                    DmarcLookups& lookups) {
  ReportCheck out;
  bool error = false;
  const std::string own_org = lookups.OrgDomain(policy_domain, error);
  ParseOptions po;
  po.mode = lookups.options().mode;
  for (const ReportUri& u : record.rua) {
    if (!u.mailto) {
      continue;  // DM7-6.3-05: receivers only need mailto
    }
    const std::string uri(record.View(u.uri));
    const std::string host = MailtoHost(uri);
    bool host_error = false;
    if (host.empty() || lookups.OrgDomain(host, host_error) == own_org) {
      out.destinations.push_back(uri);
      continue;
    }
    if (error || host_error) {
      // DMB-R4-03: a temporary error in either Organizational Domain walk
      // leaves undecided whether the host is external at all. Review
      // finding: the walk stopped at the error, the host read as its own
      // Org Domain, and the Domain Owner's own address was refused.
      out.retry.push_back(uri);
      continue;
    }
    const std::string name = policy_domain + "._report._dmarc." + host;
    if (!FitsDns(name)) {
      continue;  // DMB-R4-02: unconfirmed
    }
    spf::DnsAnswer a = lookups.dns().Query(name, QueryType::kTxt);
    out.queries.push_back(
        DnsQuery{QueryType::kTxt, name, a.status, static_cast<std::uint32_t>(a.txt.size())});
    if (a.status == spf::DnsStatus::kError || a.status == spf::DnsStatus::kTimeout) {
      out.retry.push_back(uri);  // DMB-R4-03: undecided, not refused
      continue;
    }
    bool authorized = false;
    std::vector<std::string> overrides;
    bool has_override = false;
    for (const std::string& txt : a.txt) {
      Record v;
      if (!ParseRecordInto(txt, v, po)) {
        continue;  // DMB-R4-04: not a DMARC tag-list
      }
      authorized = true;
      for (const ReportUri& o : v.rua) {
        has_override = true;
        if (o.mailto && MailtoHost(v.View(o.uri)) == host) {
          overrides.emplace_back(v.View(o.uri));
        }
      }
    }
    if (!authorized) {
      continue;
    }
    if (!has_override) {
      out.destinations.push_back(uri);
    } else {
      // DMB-R4-05: an override to another host voids the destination.
      out.destinations.insert(out.destinations.end(), overrides.begin(), overrides.end());
    }
  }
  return out;
}

}  // namespace mxconform::dmarc
