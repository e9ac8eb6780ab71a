// An in-memory DNS zone for check_host(): what the openspf test suite's
// `zonedata` describes (A, AAAA, MX, PTR, TXT, CNAME, TIMEOUT), filled by the
// suite loader in conformance/ or by tests and fuzzers. Exhaustive in the
// Deckard sense only for names: a name that was never added is NXDOMAIN.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "spf/resolver.h"

namespace mxconform::spf {

class ZoneResolver final : public Resolver {
 public:
  // Names are compared case-insensitively; one trailing dot is ignored.
  // Adding any record (or Touch) makes the name exist: queries for other
  // types there answer NOERROR with no records.
  void Touch(std::string_view name);
  void AddTxt(std::string_view name, std::string joined_text);
  void AddA(std::string_view name, const IpAddress& a);  // A or AAAA by family
  void AddMx(std::string_view name, std::uint16_t preference, std::string_view exchange);
  void AddPtr(std::string_view reverse_name, std::string_view target);
  void AddCname(std::string_view name, std::string_view target);
  // Every query for `name` times out (openspf `TIMEOUT`).
  void SetTimeout(std::string_view name);
  // Every query for `name` answers SERVFAIL.
  void SetServfail(std::string_view name);
  // Queries for `name` time out for every type it has no records of; types
  // it has records of answer normally. This is how the pyspf driver reads an
  // openspf `TIMEOUT` entry listed after records (`spftimeout`: the TXT
  // record answers, only the type-SPF query would time out).
  void SetTimeoutWhereEmpty(std::string_view name);

  // With `on`, a name that was never added but has a descendant that was
  // (an empty non-terminal: `example.com` when only `_dmarc.example.com` is
  // listed) answers NOERROR with no records, as real DNS does (RFC 8020
  // §2). Off by default: the openspf drivers answer NXDOMAIN there.
  void SetEmptyNonTerminals(bool on) { empty_non_terminals_ = on; }

  // Follows CNAME chains (at most 8 links; a longer chain or a loop is
  // kError). MX answers are sorted by preference, then insertion order.
  DnsAnswer Query(std::string_view name, QueryType type) override;

 private:
  struct Node {
    bool timeout = false;
    bool timeout_where_empty = false;
    bool servfail = false;
    std::string cname;
    std::vector<std::string> txt;
    std::vector<IpAddress> a, aaaa;
    std::vector<std::pair<std::uint16_t, std::string>> mx;
    std::vector<std::string> ptr;
  };
  Node& At(std::string_view name);
  bool IsEmptyNonTerminal(const std::string& key) const;
  std::map<std::string, Node, std::less<>> nodes_;
  bool empty_non_terminals_ = false;
};

}  // namespace mxconform::spf
