#include "spf/zone.h"

#include <algorithm>
#include <utility>

#include "common/text.h"

namespace mxconform::spf {
namespace {

// RFC 1034 §3.6.2 asks resolvers to follow CNAME chains and to signal loops;
// eight links is more than any sane zone uses and bounds the work.
constexpr int kMaxCnameLinks = 8;

// The map key: ASCII lower case, one trailing root dot dropped.
std::string Key(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return text::ToLowerCopy(name);
}

// A name as it appears in an MX or PTR answer: one trailing dot dropped,
// except that the root itself (a null MX, RFC 7505) stays ".".
std::string AnswerName(std::string_view name) {
  if (name.size() > 1 && name.back() == '.') {
    name.remove_suffix(1);
  }
  return std::string(name);
}

}  // namespace

ZoneResolver::Node& ZoneResolver::At(std::string_view name) {
  std::string key = Key(name);
  auto it = nodes_.find(key);
  if (it == nodes_.end()) {
    it = nodes_.emplace(std::move(key), Node{}).first;
  }
  return it->second;
}

void ZoneResolver::Touch(std::string_view name) { At(name); }

void ZoneResolver::AddTxt(std::string_view name, std::string joined_text) {
  At(name).txt.push_back(std::move(joined_text));
}

void ZoneResolver::AddA(std::string_view name, const IpAddress& a) {
  Node& n = At(name);
  (a.v6 ? n.aaaa : n.a).push_back(a);
}

void ZoneResolver::AddMx(std::string_view name, std::uint16_t preference,
                         std::string_view exchange) {
  Node& n = At(name);
  n.mx.emplace_back(preference, AnswerName(exchange));
  // Stable: equal preferences keep their insertion order.
  std::stable_sort(n.mx.begin(), n.mx.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
}

void ZoneResolver::AddPtr(std::string_view reverse_name, std::string_view target) {
  At(reverse_name).ptr.push_back(AnswerName(target));
}

void ZoneResolver::AddCname(std::string_view name, std::string_view target) {
  At(name).cname = Key(target);
}

void ZoneResolver::SetTimeout(std::string_view name) { At(name).timeout = true; }

void ZoneResolver::SetServfail(std::string_view name) { At(name).servfail = true; }

void ZoneResolver::SetTimeoutWhereEmpty(std::string_view name) {
  At(name).timeout_where_empty = true;
}

bool ZoneResolver::IsEmptyNonTerminal(const std::string& key) const {
  // A descendant's key ends in "." + key; in the sorted map, look at every
  // entry that ends that way (zones here are small, so a scan is fine).
  const std::string suffix = "." + key;
  for (const auto& [name, node] : nodes_) {
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

DnsAnswer ZoneResolver::Query(std::string_view name, QueryType type) {
  DnsAnswer ans;
  std::string key = Key(name);
  for (int links = 0;; ++links) {
    auto it = nodes_.find(key);
    if (it == nodes_.end()) {
      if (!(empty_non_terminals_ && IsEmptyNonTerminal(key))) {
        ans.status = DnsStatus::kNxDomain;
      }
      return ans;
    }
    const Node& n = it->second;
    if (n.timeout) {
      ans.status = DnsStatus::kTimeout;
      return ans;
    }
    if (n.servfail) {
      ans.status = DnsStatus::kError;
      return ans;
    }
    if (!n.cname.empty()) {
      if (links == kMaxCnameLinks) {
        // A loop or an over-long chain: what a resolver reports as SERVFAIL.
        ans.status = DnsStatus::kError;
        return ans;
      }
      key = n.cname;
      continue;
    }
    switch (type) {
      case QueryType::kTxt:
        ans.txt = n.txt;
        break;
      case QueryType::kA:
        ans.addresses = n.a;
        break;
      case QueryType::kAaaa:
        ans.addresses = n.aaaa;
        break;
      case QueryType::kMx:
        for (const auto& [pref, exchange] : n.mx) {
          ans.names.push_back(exchange);
          ans.preferences.push_back(pref);
        }
        break;
      case QueryType::kPtr:
        ans.names = n.ptr;
        break;
    }
    if (n.timeout_where_empty && ans.empty()) {
      ans.status = DnsStatus::kTimeout;
    }
    return ans;
  }
}

}  // namespace mxconform::spf
