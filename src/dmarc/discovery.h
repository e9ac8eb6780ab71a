// DMARC policy discovery and Organizational Domains: the RFC 9989 §4.10 DNS
// tree walk (bis mode) and the RFC 7489 §6.6.3 two-query discovery with the
// public suffix list (7489 mode). DNS goes through the same narrow Resolver
// as SPF's check_host() (src/spf/resolver.h); no I/O happens here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dmarc/record.h"
#include "spf/resolver.h"

namespace mxconform::dmarc {

using spf::DnsStatus;
using spf::QueryType;
using spf::Resolver;

// One DNS query as made, for the result's query list.
struct DnsQuery {
  QueryType type = QueryType::kTxt;
  std::string name;
  DnsStatus status = DnsStatus::kOk;
  std::uint32_t answers = 0;
  std::string Key() const;  // "TXT _dmarc.example.com"
};

// The public suffix list (RFC 7489 §3.2), from Debian's `publicsuffix`
// package through libpsl (its built-in copy when the file is missing).
class PublicSuffixList {
 public:
  // The list libpsl considers current on this machine.
  static const PublicSuffixList& Default();
  // The registrable domain: the longest public suffix plus one label. A
  // name that is itself a public suffix, or has no label to add, is its own
  // Organizational Domain (D-A2). Input and output lower-case A-labels.
  std::string OrgDomain(std::string_view domain) const;
  ~PublicSuffixList();
  PublicSuffixList(const PublicSuffixList&) = delete;
  PublicSuffixList& operator=(const PublicSuffixList&) = delete;

 private:
  PublicSuffixList();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What one `_dmarc.<name>` TXT query found, after the filter of RFC 9989
// §4.10 step 2 / 7489 §6.6.3 step 3 (TXT RRs that are not DMARC records are
// dropped).
struct NameLookup {
  std::string domain;  // the name, without "_dmarc."
  DnsStatus status = DnsStatus::kOk;
  int dmarc_records = 0;         // how many RRs passed the filter
  std::optional<Record> record;  // set when exactly one did
  bool error() const { return status == DnsStatus::kError || status == DnsStatus::kTimeout; }
};

struct DiscoveryOptions {
  Mode mode = Mode::kBis;
  // bis: the walk's shortcut (§4.10 step 4): 8 in RFC 9989; 5 in drafts
  // -04 to -30 (D-A6, `--tree-walk-labels 5`).
  int tree_walk_labels = 8;
};

// The `_dmarc` lookups of one evaluation: each name is queried at most once
// and every query is logged in order.
class DmarcLookups {
 public:
  DmarcLookups(Resolver& dns, const DiscoveryOptions& opts) : dns_(dns), opts_(opts) {}

  const NameLookup& Lookup(const std::string& domain);

  // bis: the names the tree walk for `domain` visits, in order (§4.10):
  // the name, then with x labels the name shortened to x-1 labels when
  // x < L, else to L-1, then one label less at a time down to the TLD
  // (L = tree_walk_labels).
  std::vector<std::string> WalkNames(const std::string& domain) const;

  // bis: walks from `domain`, skipping the first `skip` names, until a
  // record with psd=y or psd=n or the TLD; stops early on a DNS error.
  // Returns the lookups that found a record, in walk order; `error` is set
  // when a query failed.
  std::vector<const NameLookup*> Walk(const std::string& domain, std::size_t skip, bool& error);

  // bis §4.10.2: the Organizational Domain of `domain` from the records the
  // walk found (psd=n: that name; psd=y: one label below it, unless it is
  // the starting name; otherwise the fewest labels; no record: `domain`).
  static std::string SelectOrgDomain(const std::string& domain,
                                     const std::vector<const NameLookup*>& found);

  // The Organizational Domain of `domain` in the current mode (bis: walk;
  // 7489: the public suffix list, no query). `error` as for Walk().
  std::string OrgDomain(const std::string& domain, bool& error);

  const std::vector<DnsQuery>& queries() const { return queries_; }
  const DiscoveryOptions& options() const { return opts_; }
  Resolver& dns() { return dns_; }

 private:
  Resolver& dns_;
  DiscoveryOptions opts_;
  std::map<std::string, NameLookup> cache_;
  std::vector<DnsQuery> queries_;
};

// Label count of a domain name without a trailing dot ("" has none).
int LabelCount(std::string_view domain);

// The last `n` labels of `domain` (all of them when it has fewer).
std::string LastLabels(std::string_view domain, int n);

}  // namespace mxconform::dmarc
