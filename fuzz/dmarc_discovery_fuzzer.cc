// Fuzz target: DMARC policy discovery and evaluation (dmarc::Evaluate,
// DmarcLookups::WalkNames / Walk / SelectOrgDomain / OrgDomain,
// CheckReportDestinations) over an in-memory zone built from the input
// (RFC 9989 §4.10, §4.10.1, §4.10.2; RFC 7489 §6.6.3; RFC 9990 §4).
//
// Input layout (missing bytes read as 0):
//   byte 0     flags: bit0 RFC 7489 mode (else bis), bit1 tree_walk_labels 5
//              (else 8), bits2-3 how many DKIM identifiers (0-3), bit4 an
//              SPF identifier, bit5 a 7489 pct draw of byte 5 / 256 (else
//              no random function: draw 0), bits6-7 the rule for several
//              From domains (0 by mode, 1 strictest, 2 exempt, 3 by mode
//              with at most 2 domains)
//   byte 1     SPF: bits0-2 the result (AuthResult: 0 none, 1 pass, 2 fail,
//              3 softfail, 4 neutral, 5 temperror, 6 permerror, 7 policy),
//              bits3-7 the domain selector
//   bytes 2-4  DKIM 1-3, the same
//   byte 5     the pct draw
//   the rest   the zone, one entry per line ('\n', a final '\r' dropped):
//              `NAME TYPE [VALUE]`, fields split on spaces or tabs, TYPE in
//              any case: TXT (VALUE is the rest of the line, spaces kept),
//              A, AAAA, MX (VALUE the exchange), CNAME (VALUE the target),
//              NX (every query for NAME answers NXDOMAIN, even with
//              descendants), SERVFAIL, TIMEOUT; or `from DOMAIN`, the
//              RFC5322.From domain (the last one wins; default: the first
//              NAME without a leading `_dmarc.`, else example.com; all of
//              them are the From field's domains for EvaluateAuthors). Other
//              lines are ignored. Names never listed answer NXDOMAIN, empty
//              non-terminals NOERROR with no records (RFC 8020).
// Domain selector (5 bits): bit4 clear: 0 the author domain, k > 0 its last
// k labels (the whole author when it has fewer); bit4 set: zone name
// (bits0-3 mod their number) without a leading `_dmarc.`, as written
// (case, dots and all), else the author.
//
// Asserts:
//  - bis: at most tree_walk_labels `_dmarc` TXT queries for the author's
//    own names (`_dmarc.` + a suffix of the author at a label boundary),
//    plus one per identifier that is itself such a suffix with at least
//    that many labels (its own walk starts there); every `_dmarc` query is
//    on the reference walk (RFC 9989 §4.10 step 4) of the author or an
//    identifier; no name is queried twice; the first query is the author's.
//  - 7489: at most 2 `_dmarc` queries (the author, its PSL Organizational
//    Domain) and 3 existence queries; bis at most 1 existence query.
//  - the query lists are exactly what the resolver saw, with its status;
//    two runs agree.
//  - the result is in range; pass ⇒ spf_aligned || dkim_aligned and the
//    reverse; aligned ⇒ that identifier passed (strict: equal to the
//    author); none ⇒ no record; permerror ⇔ record present and unusable;
//    disposition != none ⇒ fail; policy_source set ⇔ policy set ⇔ a usable
//    record; the existence check is made exactly when the record is not the
//    author's own; policy_source is p for the author's own record, else sp
//    or np by the existence check (the milder of the two when the check
//    ended in a DNS error, sp on a tie), and the policy is that rule's value
//    (Record::SubdomainRequest / NonExistentRequest; t=y one level less).
//  - a usable single DMARC record at `_dmarc.<author>` and an identifier
//    that passed with exactly the author's domain ⇒ pass (eval.cc's rule:
//    DNS errors only matter when nothing passed aligned).
//  - WalkNames(d) for the author and clean identifiers: first d, strictly
//    fewer labels each step, last one label, at most tree_walk_labels
//    names, each a suffix of d at a label boundary, equal to the reference.
//  - SelectOrgDomain / OrgDomain / PSL OrgDomain: a suffix of the domain at
//    a label boundary; policy_domain too.
//  - CheckReportDestinations for the record that applies: every
//    destination is a mailto: URI; every query name fits DNS (<= 253
//    octets, labels 1-63) and is `<policy_domain>._report._dmarc.<host>`.
//  - the Organizational Domain found for an identifier is a suffix of it
//    at a label boundary.
//  - ParseMultiAuthorRule and ParseAuthResult, on each `from` string,
//    accept only their names.
//  - EvaluateAuthors over the `from` lines: each author evaluated is
//    Evaluate() of that domain alone, in the order given, and one distinct
//    domain gives its verdict; several are exempt only when the rule
//    allows it, else each is evaluated up to the cap and the rest listed
//    as skipped (with a diagnostic); fail exactly when an author fails, with the strictest
//    failing disposition and decided_by on it; pass exactly when every
//    domain was evaluated and passed.
// DMARC_DISCOVERY_FUZZER_PRINT=1 prints each input's result (for seeds).
// corpus/dmarc_discovery_fuzzer/crash-*.bin are bugs this target found.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "common/domain.h"
#include "common/text.h"
#include "dmarc/discovery.h"
#include "dmarc/eval.h"
#include "dmarc/record.h"
#include "fuzz_check.h"
#include "spf/ip.h"
#include "spf/zone.h"

namespace {

using namespace mxconform::dmarc;  // NOLINT(google-build-using-namespace)
using mxconform::spf::DnsAnswer;
using mxconform::spf::IpAddress;
using mxconform::spf::ZoneResolver;
namespace text = mxconform::text;

constexpr std::size_t kHeader = 6;

std::uint8_t At(std::string_view in, std::size_t i) {
  return i < in.size() ? static_cast<std::uint8_t>(in[i]) : 0;
}

// Lower case, one trailing dot dropped: how the evaluator and the zone
// compare names.
std::string Fold(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return text::ToLowerCopy(name);
}

// An identifier's domain as the evaluator compares it: in A-labels when it
// converts, as given otherwise, folded.
std::string Comparable(const std::string& name) {
  auto a = mxconform::domain::ToALabels(name);
  return Fold(a.ok() ? *a : name);
}

bool IsSuffixAtLabel(std::string_view s, std::string_view d) {
  if (s == d) {
    return true;
  }
  return !s.empty() && d.size() > s.size() && d.ends_with(s) && d[d.size() - s.size() - 1] == '.';
}

// Non-empty labels only (no leading, trailing or double dot).
bool CleanName(std::string_view d) {
  if (d.empty() || d.front() == '.' || d.back() == '.') {
    return false;
  }
  return d.find("..") == std::string_view::npos;
}

bool FitsDns(std::string_view name) {
  if (name.empty() || name.size() > 253) {
    return false;
  }
  std::size_t start = 0;
  while (true) {
    std::size_t dot = name.find('.', start);
    std::size_t end = dot == std::string_view::npos ? name.size() : dot;
    if (end == start || end - start > 63) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

// The walk of RFC 9989 §4.10 step 4, written from the text: the name; then
// with x labels, x - 1 labels when x < L, else L - 1; then one label less
// each time down to the TLD.
std::vector<std::string> RefWalk(const std::string& d, int l) {
  std::vector<std::string> out;
  const int x = LabelCount(d);
  if (x == 0) {
    return out;
  }
  out.push_back(d);
  for (int n = x < l ? x - 1 : l - 1; n >= 1; --n) {
    out.push_back(LastLabels(d, n));
  }
  return out;
}

struct Query {
  QueryType type;
  std::string name;
  DnsStatus status;
  bool operator==(const Query&) const = default;
};

// The zone, NX overrides and a log of what was asked.
class FuzzResolver final : public Resolver {
 public:
  DnsAnswer Query(std::string_view name, QueryType type) override {
    DnsAnswer a = Ask(name, type);
    log.push_back({type, std::string(name), a.status});
    return a;
  }
  // Without logging (the target's own look at the zone).
  DnsAnswer Ask(std::string_view name, QueryType type) {
    if (nx.count(Fold(name)) != 0) {
      DnsAnswer a;
      a.status = DnsStatus::kNxDomain;
      return a;
    }
    return zone.Query(name, type);
  }

  ZoneResolver zone;
  std::set<std::string> nx;
  std::vector<::Query> log;
};

std::vector<std::string_view> Fields(std::string_view line, std::string_view& rest) {
  std::vector<std::string_view> f;
  std::size_t pos = 0;
  rest = {};
  while (f.size() < 2) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) {
      ++pos;
    }
    if (pos == line.size()) {
      return f;
    }
    std::size_t end = line.find_first_of(" \t", pos);
    if (end == std::string_view::npos) {
      end = line.size();
    }
    f.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  if (pos < line.size()) {
    rest = line.substr(pos + 1);  // one separator; the rest as written
  }
  return f;
}

std::string_view StripDmarc(std::string_view name) {
  if (name.size() > 7 && text::EqualsIgnoreCase(name.substr(0, 7), "_dmarc.")) {
    name.remove_prefix(7);
  }
  return name;
}

// Fills `dns` from the zone text; returns the From domain and the names,
// and every `from` line's domain in `froms`.
std::string BuildZone(std::string_view zone, FuzzResolver& dns, std::vector<std::string>& names,
                      std::vector<std::string>& froms) {
  std::optional<std::string> from;
  const IpAddress v4 = IpAddress::V4(192, 0, 2, 1);
  IpAddress v6;
  v6.v6 = true;
  v6.bytes[0] = 0x20;
  v6.bytes[1] = 0x01;
  v6.bytes[2] = 0x0d;
  v6.bytes[3] = 0xb8;
  v6.bytes[15] = 1;
  for (std::string& line_s : mxconform::fuzz::SplitLines(zone)) {
    std::string_view line = line_s;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    std::string_view value;
    std::vector<std::string_view> f = Fields(line, value);
    if (f.size() < 2) {
      continue;
    }
    const std::string type = mxconform::fuzz::ToUpperAscii(f[1]);
    if (text::EqualsIgnoreCase(f[0], "from")) {
      from = std::string(f[1]);
      froms.push_back(*from);
      continue;
    }
    const std::string_view name = f[0];
    if (type == "TXT") {
      dns.zone.AddTxt(name, std::string(value));
    } else if (type == "A") {
      dns.zone.AddA(name, v4);
    } else if (type == "AAAA") {
      dns.zone.AddA(name, v6);
    } else if (type == "MX") {
      dns.zone.AddMx(name, 10, value.empty() ? std::string_view(".") : value);
    } else if (type == "CNAME") {
      dns.zone.AddCname(name, value);
    } else if (type == "NX") {
      dns.nx.insert(Fold(name));
    } else if (type == "SERVFAIL") {
      dns.zone.SetServfail(name);
    } else if (type == "TIMEOUT") {
      dns.zone.SetTimeout(name);
    } else {
      continue;
    }
    names.emplace_back(StripDmarc(name));
  }
  if (from) {
    return *from;
  }
  return names.empty() ? std::string("example.com") : names.front();
}

std::string PickDomain(std::uint8_t selector, const std::string& author,
                       const std::vector<std::string>& names) {
  if ((selector & 16) != 0 && !names.empty()) {
    return names[(selector & 15) % names.size()];
  }
  const int k = selector & 15;
  return k == 0 ? author : LastLabels(author, k);
}

struct Run {
  EvalResult r;
  std::vector<Query> log;
};

Run Evaluate(const EvalInput& input, FuzzResolver& dns) {
  dns.log.clear();
  Run run;
  run.r = mxconform::dmarc::Evaluate(input, dns);
  run.log = std::move(dns.log);
  dns.log.clear();
  return run;
}

// EvaluateAuthors over the `from` lines (DM7-6.6.1-02, DMB-5.3.1-02); rule
// 0 by mode, 1 strictest, 2 exempt, 3 by mode with at most 2 domains.
void CheckAuthors(const EvalInput& input, const std::vector<std::string>& froms, std::uint8_t rule,
                  FuzzResolver& dns) {
  // The name parsers of eval.h, on every `from` string: a name parses only
  // when it is one of the names, exactly.
  for (const std::string& f : froms) {
    if (ParseMultiAuthorRule(f)) {
      FUZZ_CHECK(f == "by-mode" || f == "strictest" || f == "exempt");
    }
    if (auto r = ParseAuthResult(f)) {
      FUZZ_CHECK(text::EqualsIgnoreCase(f, AuthResultName(*r)));
    }
  }
  MultiAuthorOptions opts;
  opts.rule = rule == 1   ? MultiAuthorRule::kStrictest
              : rule == 2 ? MultiAuthorRule::kExempt
                          : MultiAuthorRule::kByMode;
  opts.max_domains = rule == 3 ? 2 : 10;
  const MultiEvalResult m = EvaluateAuthors(froms, input, dns, opts);
  // The distinct domains in the order given, each as first written.
  std::vector<std::string> distinct;
  std::set<std::string> keys;
  for (const std::string& f : froms) {
    mxconform::Result<std::string> a = mxconform::domain::ToALabels(f);
    if (keys.insert(a.ok() ? mxconform::domain::Fold(*a) : f).second) {
      distinct.push_back(f);
    }
  }
  FUZZ_CHECK(m.authors.size() <= opts.max_domains);
  FUZZ_CHECK(m.result <= DmarcResult::kPermError && m.disposition <= Disposition::kReject);
  if (distinct.empty()) {
    FUZZ_CHECK(m.authors.empty() && m.result == DmarcResult::kNone && !m.exempt);
    return;
  }
  if (m.exempt) {
    FUZZ_CHECK(distinct.size() > 1 && opts.rule != MultiAuthorRule::kStrictest);
    FUZZ_CHECK(m.authors.empty() && m.result == DmarcResult::kNone &&
               m.disposition == Disposition::kNone);
    return;
  }
  FUZZ_CHECK(m.authors.size() + m.skipped.size() == distinct.size());
  FUZZ_CHECK(distinct.size() == 1 || m.skipped.empty() == (m.diagnostics.size() == 0));
  // Each author's evaluation is Evaluate() of that domain alone, in order.
  for (std::size_t k = 0; k < m.authors.size(); ++k) {
    EvalInput one = input;
    one.from_domain = distinct[k];
    const EvalResult e = mxconform::dmarc::Evaluate(one, dns);
    const EvalResult& a = m.authors[k];
    FUZZ_CHECK(a.mode == input.discovery.mode && a.result == e.result &&
               a.disposition == e.disposition && a.reason == e.reason &&
               a.author_domain == e.author_domain && a.queries.size() == e.queries.size());
  }
  FUZZ_CHECK(std::equal(m.skipped.begin(), m.skipped.end(), distinct.begin() + m.authors.size()));
  if (distinct.size() == 1) {
    FUZZ_CHECK(m.result == m.authors[0].result && m.disposition == m.authors[0].disposition &&
               m.reason == m.authors[0].reason);
    return;
  }
  // RFC 7489 §6.6.1: the strictest disposition among those that fail.
  Disposition worst = Disposition::kNone;
  bool any_fail = false;
  bool all_pass = true;
  for (const EvalResult& a : m.authors) {
    if (a.result == DmarcResult::kFail) {
      any_fail = true;
      worst = std::max(worst, a.disposition);
    }
    all_pass &= a.result == DmarcResult::kPass;
  }
  FUZZ_CHECK((m.result == DmarcResult::kFail) == any_fail);
  FUZZ_CHECK(m.disposition == (any_fail ? worst : Disposition::kNone));
  if (any_fail) {
    FUZZ_CHECK(m.decided_by && m.authors[*m.decided_by].result == DmarcResult::kFail &&
               m.authors[*m.decided_by].disposition == worst);
  }
  FUZZ_CHECK((m.result == DmarcResult::kPass) == (all_pass && m.skipped.empty()));
}

void CheckWalkNames(const DmarcLookups& lookups, const std::string& d, int l) {
  const std::vector<std::string> w = lookups.WalkNames(d);
  FUZZ_CHECK_MSG(!w.empty() && w.front() == d, d);
  FUZZ_CHECK_MSG(LabelCount(w.back()) == 1, w.back());
  FUZZ_CHECK_MSG(static_cast<int>(w.size()) <= l, std::to_string(w.size()));
  for (std::size_t k = 0; k < w.size(); ++k) {
    FUZZ_CHECK_MSG(IsSuffixAtLabel(w[k], d), w[k] + " of " + d);
    if (k > 0) {
      FUZZ_CHECK_MSG(LabelCount(w[k]) < LabelCount(w[k - 1]), w[k]);
    }
  }
  FUZZ_CHECK_MSG(w == RefWalk(d, l), d);
}

// The author's own `_dmarc` RRset holds exactly one DMARC record and it is
// usable (asked of the zone directly, parsed with the record parser).
bool OwnUsableRecord(FuzzResolver& dns, const std::string& author, Mode mode) {
  DnsAnswer a = dns.Ask("_dmarc." + author, QueryType::kTxt);
  if (a.status != DnsStatus::kOk) {
    return false;
  }
  ParseOptions po;
  po.mode = mode;
  int count = 0;
  bool usable = false;
  for (const std::string& txt : a.txt) {
    Record rec;
    if (ParseRecordInto(txt, rec, po)) {
      ++count;
      usable = rec.usable;
    }
  }
  return count == 1 && usable;
}

void CheckQueries(const EvalInput& input, const Run& run) {
  const EvalResult& r = run.r;
  const std::string& author = r.author_domain;
  const int l = input.discovery.tree_walk_labels;

  // The lists are what the resolver saw: the _dmarc TXT queries, then the
  // existence check.
  FUZZ_CHECK_MSG(run.log.size() == r.queries.size() + r.existence_queries.size(),
                 std::to_string(run.log.size()));
  for (std::size_t k = 0; k < run.log.size(); ++k) {
    const DnsQuery& q =
        k < r.queries.size() ? r.queries[k] : r.existence_queries[k - r.queries.size()];
    FUZZ_CHECK_MSG(
        q.type == run.log[k].type && q.name == run.log[k].name && q.status == run.log[k].status,
        q.Key() + " vs " + run.log[k].name);
  }
  std::set<std::string> seen;
  for (const DnsQuery& q : r.queries) {
    FUZZ_CHECK_MSG(q.type == QueryType::kTxt && q.name.starts_with("_dmarc."), q.Key());
    FUZZ_CHECK_MSG(seen.insert(q.name).second, "queried twice: " + q.Key());
  }
  for (const DnsQuery& q : r.existence_queries) {
    FUZZ_CHECK_MSG(q.name == author && q.type != QueryType::kTxt, q.Key());
  }
  if (author.empty()) {
    FUZZ_CHECK(r.queries.empty() && r.existence_queries.empty());
    return;
  }
  FUZZ_CHECK_MSG(!r.queries.empty() && r.queries.front().name == "_dmarc." + author,
                 r.queries.empty() ? std::string("no query") : r.queries.front().Key());

  if (input.discovery.mode == Mode::k7489) {
    FUZZ_CHECK_MSG(r.queries.size() <= 2, std::to_string(r.queries.size()));
    FUZZ_CHECK_MSG(r.existence_queries.size() <= 3, std::to_string(r.existence_queries.size()));
    const std::string org = PublicSuffixList::Default().OrgDomain(author);
    FUZZ_CHECK_MSG(IsSuffixAtLabel(org, author), org + " of " + author);
    for (const DnsQuery& q : r.queries) {
      FUZZ_CHECK_MSG(q.name == "_dmarc." + author || q.name == "_dmarc." + org, q.Key());
    }
    return;
  }

  FUZZ_CHECK_MSG(r.existence_queries.size() <= 1, std::to_string(r.existence_queries.size()));
  // Every name is on the author's walk or on an identifier's (those that
  // relaxed alignment may need an Organizational Domain for).
  std::set<std::string> allowed;
  for (const std::string& n : RefWalk(author, l)) {
    allowed.insert("_dmarc." + n);
  }
  std::set<std::string> extra_starts;  // identifiers that start a walk off the author's
  auto add_identifier = [&](const AuthIdentifier& id) {
    const std::string d = Comparable(id.domain);
    for (const std::string& n : RefWalk(d, l)) {
      allowed.insert("_dmarc." + n);
    }
    if (d != author && IsSuffixAtLabel(d, author) && LabelCount(d) >= l) {
      extra_starts.insert(d);
    }
  };
  if (input.spf) {
    add_identifier(*input.spf);
  }
  for (const AuthIdentifier& id : input.dkim) {
    add_identifier(id);
  }
  std::size_t own = 0;
  for (const DnsQuery& q : r.queries) {
    FUZZ_CHECK_MSG(allowed.count(q.name) != 0, "off every walk: " + q.Key());
    own += IsSuffixAtLabel(std::string_view(q.name).substr(7), author);
  }
  FUZZ_CHECK_MSG(own <= static_cast<std::size_t>(l) + extra_starts.size(),
                 std::to_string(own) + " _dmarc queries for the author's names, walk limit " +
                     std::to_string(l));
}

void CheckResult(const EvalInput& input, const Run& run, FuzzResolver& dns) {
  const EvalResult& r = run.r;
  const std::string& author = r.author_domain;
  FUZZ_CHECK(r.result <= DmarcResult::kPermError);
  FUZZ_CHECK(r.disposition <= Disposition::kReject);
  FUZZ_CHECK(r.mode == input.discovery.mode);
  FUZZ_CHECK(!r.reason.empty());
  FUZZ_CHECK_MSG(author == text::ToLowerCopy(author), author);

  const bool aligned = r.spf_aligned || r.dkim_aligned;
  FUZZ_CHECK((r.result == DmarcResult::kPass) == aligned);
  if (r.spf_aligned) {
    FUZZ_CHECK(input.spf && input.spf->result == AuthResult::kPass);
    if (r.record->aspf == Alignment::kStrict) {
      FUZZ_CHECK_MSG(Comparable(input.spf->domain) == author, input.spf->domain);
    }
  }
  if (r.dkim_aligned) {
    bool any = false;
    for (const AuthIdentifier& d : input.dkim) {
      any |= d.result == AuthResult::kPass &&
             (r.record->adkim == Alignment::kRelaxed || Comparable(d.domain) == author);
    }
    FUZZ_CHECK(any);
  }
  if (r.result == DmarcResult::kNone) {
    FUZZ_CHECK(!r.record);
  }
  FUZZ_CHECK((r.result == DmarcResult::kPermError) == (r.record && !r.record->usable));
  if (r.result == DmarcResult::kPass || r.result == DmarcResult::kFail) {
    FUZZ_CHECK(r.record && r.record->usable);
  }
  if (r.disposition != Disposition::kNone) {
    FUZZ_CHECK(r.result == DmarcResult::kFail);
  }
  FUZZ_CHECK(r.policy_source.has_value() == r.policy.has_value());
  FUZZ_CHECK(r.policy.has_value() == (r.record && r.record->usable));
  if (r.policy) {
    FUZZ_CHECK(r.disposition <= *r.policy);
    if (r.result == DmarcResult::kFail && r.mode == Mode::kBis) {
      FUZZ_CHECK(r.disposition == *r.policy);
    }
  }
  if (r.record) {
    FUZZ_CHECK_MSG(IsSuffixAtLabel(r.policy_domain, author), r.policy_domain + " / " + author);
  }
  if (r.policy) {
    const bool own = r.policy_domain == author;
    FUZZ_CHECK_MSG(r.existence_queries.empty() == own, r.policy_domain);
    // The rule that applies (eval.h): p for the author's own record, sp for
    // an existing subdomain, np for a non-existent one; t=y one level less.
    // A DNS error on the existence check: the milder of sp and np (sp on
    // a tie).
    const bool np_applies =
        !r.author_exists ||
        (r.existence_unknown && r.record->NonExistentRequest() < r.record->SubdomainRequest());
    const PolicySource want_source =
        own ? PolicySource::kP : (np_applies ? PolicySource::kNp : PolicySource::kSp);
    FUZZ_CHECK_MSG(*r.policy_source == want_source,
                   std::string(PolicySourceName(*r.policy_source)));
    FUZZ_CHECK(!r.existence_unknown || (r.author_exists && !own));
    Disposition want =
        own ? r.record->request
            : (np_applies ? r.record->NonExistentRequest() : r.record->SubdomainRequest());
    if (r.record->mode == Mode::kBis && r.record->t) {
      want = want == Disposition::kReject ? Disposition::kQuarantine : Disposition::kNone;
    }
    FUZZ_CHECK_MSG(*r.policy == want, std::string(DispositionName(*r.policy)));
    if (own) {
      FUZZ_CHECK(r.author_exists);
    }
    if (!r.author_exists) {
      FUZZ_CHECK(!r.existence_queries.empty());
    }
  } else {
    FUZZ_CHECK(r.existence_queries.empty());
  }
  auto check_org = [&](const std::string& org, const AuthIdentifier& id) {
    const std::string d = Comparable(id.domain);
    FUZZ_CHECK_MSG(org.empty() || IsSuffixAtLabel(org, d),
                   text::Printable(org) + " of " + text::Printable(d));
  };
  if (input.spf) {
    check_org(r.spf_org_domain, *input.spf);
  } else {
    FUZZ_CHECK(r.spf_org_domain.empty());
  }
  FUZZ_CHECK(r.dkim_org_domains.empty() || r.dkim_org_domains.size() == input.dkim.size());
  for (std::size_t k = 0; k < r.dkim_org_domains.size(); ++k) {
    check_org(r.dkim_org_domains[k], input.dkim[k]);
  }
  if (!r.org_domain.empty()) {
    FUZZ_CHECK_MSG(IsSuffixAtLabel(r.org_domain, author), r.org_domain + " / " + author);
  }
  const std::string ar = r.AuthenticationResults();
  FUZZ_CHECK_MSG(ar.starts_with("dmarc=" + std::string(DmarcResultName(r.result))), ar);

  // eval.cc: a DNS error only matters when nothing passed aligned; an
  // identical domain aligns in either mode without any lookup.
  if (!author.empty() && OwnUsableRecord(dns, author, input.discovery.mode)) {
    bool exact = input.spf && input.spf->result == AuthResult::kPass &&
                 Comparable(input.spf->domain) == author;
    for (const AuthIdentifier& d : input.dkim) {
      exact |= d.result == AuthResult::kPass && Comparable(d.domain) == author;
    }
    if (exact) {
      FUZZ_CHECK_MSG(r.result == DmarcResult::kPass,
                     std::string(DmarcResultName(r.result)) + ": " + r.reason);
    }
  }
}

void CheckOrgDomains(const EvalInput& input, const std::string& d, FuzzResolver& dns) {
  if (!CleanName(d)) {
    return;  // the walk's properties are about names with non-empty labels
  }
  DmarcLookups lookups(dns, input.discovery);
  CheckWalkNames(lookups, d, input.discovery.tree_walk_labels);
  bool error = false;
  if (input.discovery.mode == Mode::kBis) {
    std::vector<const NameLookup*> found = lookups.Walk(d, 0, error);
    for (const NameLookup* f : found) {
      FUZZ_CHECK(f->record.has_value() && IsSuffixAtLabel(f->domain, d));
    }
    const std::string sel = DmarcLookups::SelectOrgDomain(d, found);
    FUZZ_CHECK_MSG(IsSuffixAtLabel(sel, d), sel + " of " + d);
  }
  error = false;
  const std::string org = lookups.OrgDomain(d, error);
  FUZZ_CHECK_MSG(IsSuffixAtLabel(org, d), text::Printable(org) + " of " + text::Printable(d));
}

void CheckReports(const EvalInput& input, const EvalResult& r, FuzzResolver& dns) {
  if (!r.record) {
    return;
  }
  DmarcLookups lookups(dns, input.discovery);
  dns.log.clear();
  ReportCheck rc = CheckReportDestinations(*r.record, r.policy_domain, lookups);
  for (const std::string& dest : rc.destinations) {
    FUZZ_CHECK_MSG(dest.size() >= 7 && text::EqualsIgnoreCase(dest.substr(0, 7), "mailto:"), dest);
  }
  const std::string prefix = r.policy_domain + "._report._dmarc.";
  std::size_t report_log = 0;
  for (const Query& q : dns.log) {
    report_log += q.name.find("._report._dmarc.") != std::string::npos;
  }
  FUZZ_CHECK(report_log >= rc.queries.size());
  for (const DnsQuery& q : rc.queries) {
    FUZZ_CHECK_MSG(q.type == QueryType::kTxt && q.name.starts_with(prefix), q.Key());
    FUZZ_CHECK_MSG(q.name.size() <= 253 && FitsDns(q.name), q.Key());
  }
  dns.log.clear();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);
  const std::uint8_t flags = At(in, 0);

  FuzzResolver dns;
  dns.zone.SetEmptyNonTerminals(true);
  std::vector<std::string> names;
  std::vector<std::string> froms;
  const std::string from =
      BuildZone(in.size() > kHeader ? in.substr(kHeader) : std::string_view(), dns, names, froms);

  EvalInput input;
  input.from_domain = from;
  input.discovery.mode = (flags & 1) != 0 ? Mode::k7489 : Mode::kBis;
  input.discovery.tree_walk_labels = (flags & 2) != 0 ? 5 : 8;
  if ((flags & 32) != 0) {
    const double draw = At(in, 5) / 256.0;
    input.random = [draw] { return draw; };
  }
  // The identifiers' domains need the author's name as the evaluator sees
  // it; ancestors of a name it refuses are taken from the folded From.
  mxconform::Result<std::string> a = mxconform::domain::ToALabels(from);
  const std::string author_guess = a.ok() ? Fold(*a) : Fold(from);
  auto identifier = [&](std::uint8_t b) {
    AuthIdentifier id;
    id.result = static_cast<AuthResult>(b & 7);
    id.domain = PickDomain(static_cast<std::uint8_t>(b >> 3), author_guess, names);
    return id;
  };
  if ((flags & 16) != 0) {
    input.spf = identifier(At(in, 1));
  }
  for (int k = 0; k < ((flags >> 2) & 3); ++k) {
    input.dkim.push_back(identifier(At(in, 2 + k)));
  }

  Run first = Evaluate(input, dns);
  CheckQueries(input, first);
  CheckResult(input, first, dns);

  // Deterministic: the same zone gives the same evaluation.
  Run second = Evaluate(input, dns);
  FUZZ_CHECK(second.log == first.log);
  FUZZ_CHECK(second.r.result == first.r.result && second.r.reason == first.r.reason &&
             second.r.policy == first.r.policy && second.r.disposition == first.r.disposition &&
             second.r.policy_domain == first.r.policy_domain &&
             second.r.org_domain == first.r.org_domain);

  if (std::getenv("DMARC_DISCOVERY_FUZZER_PRINT") != nullptr) {
    std::string qs;
    for (const DnsQuery& q : first.r.queries) {
      qs += " " + q.name + "/" + std::string(mxconform::spf::DnsStatusName(q.status));
    }
    std::fprintf(stderr, "%s [%s] policy_domain=%s org=%s queries=%zu exist=%zu:%s (%s)\n",
                 first.r.AuthenticationResults().c_str(),
                 std::string(ModeName(first.r.mode)).c_str(), first.r.policy_domain.c_str(),
                 first.r.org_domain.c_str(), first.r.queries.size(),
                 first.r.existence_queries.size(), qs.c_str(), first.r.reason.c_str());
  }

  if (!first.r.author_domain.empty()) {
    CheckOrgDomains(input, first.r.author_domain, dns);
    if (input.spf) {
      const std::string d = Comparable(input.spf->domain);
      if (!d.empty()) {
        CheckOrgDomains(input, d, dns);
      }
    }
    for (const AuthIdentifier& id : input.dkim) {
      const std::string d = Comparable(id.domain);
      if (!d.empty()) {
        CheckOrgDomains(input, d, dns);
      }
    }
  }
  CheckReports(input, first.r, dns);
  CheckAuthors(input, froms, static_cast<std::uint8_t>(flags >> 6), dns);
  return 0;
}
