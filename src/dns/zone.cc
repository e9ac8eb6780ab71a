#include "dns/zone.h"

#include <algorithm>
#include <set>

namespace mxconform::dns {
namespace {

constexpr std::uint16_t kTypeCname = static_cast<std::uint16_t>(RrType::kCname);
constexpr std::uint16_t kTypeSoa = static_cast<std::uint16_t>(RrType::kSoa);
constexpr std::uint16_t kTypeAny = static_cast<std::uint16_t>(RrType::kAny);

// A copy of `r` owned by `owner` (the spelling of the question for the
// first link and for wildcard answers).
Record Owned(const Record& r, const Name& owner) {
  Record out = r;
  out.name = owner;
  return out;
}

}  // namespace

std::string Zone::Key(const Name& name) {
  std::string key;
  const auto& labels = name.labels();
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) {
    key.push_back(static_cast<char>(it->size()));
    for (char c : *it) {
      key.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
    }
  }
  return key;
}

void Zone::AddOrigin(const Name& origin) { origins_.push_back(origin.Folded()); }

void Zone::Add(const Record& rr, std::optional<UnixSeconds> from,
               std::optional<UnixSeconds> until) {
  std::string key = Key(rr.name);
  Node& n = nodes_[key];
  n.records.push_back(ZoneRecord{rr, from, until});
  order_.emplace_back(std::move(key), n.records.size() - 1);
}

void Zone::Touch(const Name& name) { nodes_[Key(name)].touched = true; }

bool Zone::Covers(const Name& name) const { return OriginOf(name) != nullptr || origins_.empty(); }

const Name* Zone::OriginOf(const Name& name) const {
  const Name* best = nullptr;
  for (const auto& o : origins_) {
    if (name.IsSubdomainOf(o) && (best == nullptr || o.labels().size() > best->labels().size())) {
      best = &o;
    }
  }
  return best;
}

const Zone::Node* Zone::FindNode(const Name& name) const {
  auto it = nodes_.find(Key(name));
  return it == nodes_.end() ? nullptr : &it->second;
}

bool Zone::HasDescendant(const std::string& key, UnixSeconds now) const {
  // Descendants' keys extend `key`, so they follow it in the map.
  for (auto it = nodes_.upper_bound(key); it != nodes_.end(); ++it) {
    if (it->first.compare(0, key.size(), key) != 0) {
      return false;
    }
    if (NodeExists(it->second, now)) {
      return true;
    }
  }
  return false;
}

bool Zone::NodeExists(const Node& n, UnixSeconds now) {
  return n.touched || std::any_of(n.records.begin(), n.records.end(),
                                  [now](const ZoneRecord& r) { return r.VisibleAt(now); });
}

bool Zone::Exists(const Name& name, UnixSeconds now, bool with_empty_non_terminals) const {
  std::string key = Key(name);
  auto it = nodes_.find(key);
  if (it != nodes_.end() && NodeExists(it->second, now)) {
    return true;
  }
  return with_empty_non_terminals && HasDescendant(key, now);
}

const Zone::Node* Zone::Wildcard(const Name& name, UnixSeconds now) const {
  // RFC 4592 §3.3.1: the closest encloser is the longest existing ancestor;
  // its "*" child, if it exists, is the source of synthesis. A name that
  // exists itself never matches a wildcard.
  const auto& labels = name.labels();
  for (std::size_t drop = 1; drop <= labels.size(); ++drop) {
    Name ancestor;
    for (std::size_t i = drop; i < labels.size(); ++i) {
      ancestor.Append(labels[i]);
    }
    // Existence here is the tree's, empty non-terminals included, whatever
    // empty_non_terminals says about answering them (RFC 4592 §2.2.2).
    if (!ancestor.IsRoot() && !Exists(ancestor, now, true)) {
      continue;
    }
    Name star;
    star.Append("*");
    for (const auto& l : ancestor.labels()) {
      star.Append(l);
    }
    const Node* n = FindNode(star);
    return n != nullptr && NodeExists(*n, now) ? n : nullptr;
  }
  return nullptr;
}

std::vector<Record> Zone::NegativeAuthority(const Name& name, UnixSeconds now) const {
  std::vector<Record> out;
  const Name* o = OriginOf(name);
  if (o == nullptr) {
    return out;
  }
  if (const Node* n = FindNode(*o)) {
    for (const auto& r : n->records) {
      if (r.rr.type == kTypeSoa && r.VisibleAt(now)) {
        out.push_back(r.rr);
        // RFC 2308 §3: its TTL is the lesser of its own and its minimum
        // field, the negative-caching TTL.
        if (const auto* soa = std::get_if<RdataSoa>(&r.rr.rdata)) {
          out.back().ttl = std::min(out.back().ttl, soa->minimum);
        }
        break;
      }
    }
  }
  return out;
}

ZoneAnswer Zone::Find(const Name& qname, std::uint16_t qtype, UnixSeconds now) const {
  ZoneAnswer out;
  const Name* origin = OriginOf(qname);
  if (origin == nullptr && !origins_.empty()) {
    out.covered = false;
    out.rcode = Rcode::kRefused;
    return out;
  }
  auto negative = [&](Rcode rcode, const Name& last) {
    out.rcode = rcode;
    out.authority = NegativeAuthority(last, now);
  };

  Name current = qname;
  std::set<std::string> seen;
  for (std::size_t links = 0;; ++links) {
    std::string key = Key(current);
    seen.insert(key);
    const Node* node = nullptr;
    bool synthesised = false;
    if (auto it = nodes_.find(key); it != nodes_.end() && NodeExists(it->second, now)) {
      node = &it->second;
    } else if (const bool empty_non_terminal = HasDescendant(key, now);
               !(opts_.empty_non_terminals && empty_non_terminal)) {
      // An empty non-terminal is NXDOMAIN when empty_non_terminals is
      // unset, but it still exists for wildcards: no synthesis (RFC 4592
      // §2.2.2).
      if (opts_.wildcards && !empty_non_terminal && (node = Wildcard(current, now)) != nullptr) {
        synthesised = true;
        out.wildcard = true;
      } else if (!origins_.empty() && OriginOf(current) == nullptr) {
        // A chain that leaves the zone: what the resolver gets is the chain
        // so far; it asks elsewhere for the rest.
        return out;
      } else {
        negative(Rcode::kNxDomain, current);
        return out;
      }
    }
    if (node == nullptr) {  // an empty non-terminal
      negative(Rcode::kNoError, current);
      return out;
    }
    // The owner written in the answer: the question's spelling for the
    // first link and for synthesised records; the zone's after that.
    const Name& owner = current;
    const ZoneRecord* cname = nullptr;
    std::size_t found = 0;
    for (const auto& r : node->records) {
      if (!r.VisibleAt(now)) {
        continue;
      }
      if (r.rr.type == kTypeCname && qtype != kTypeCname && qtype != kTypeAny) {
        cname = cname == nullptr ? &r : cname;
        continue;
      }
      if (qtype == kTypeAny || r.rr.type == qtype) {
        out.answers.push_back(synthesised || links == 0 ? Owned(r.rr, owner) : r.rr);
        ++found;
        ++out.data;
      }
    }
    if (cname == nullptr) {
      if (found == 0) {
        negative(Rcode::kNoError, current);
      }
      return out;
    }
    // RFC 1034 §4.3.2 3a: a CNAME at the name answers for every type; the
    // records beside it (a broken zone) are not served.
    out.answers.resize(out.answers.size() - found);
    out.data = 0;
    out.answers.push_back(synthesised || links == 0 ? Owned(cname->rr, owner) : cname->rr);
    const auto* target = std::get_if<RdataName>(&cname->rr.rdata);
    if (target == nullptr) {
      return out;  // CNAME with other RDATA: nothing to follow
    }
    if (links >= opts_.max_cname_links) {
      out.chain_cut = true;
      return out;
    }
    if (seen.count(Key(target->name)) != 0) {
      out.chain_loop = true;
      return out;
    }
    current = target->name;
  }
}

std::vector<const ZoneRecord*> Zone::Records() const {
  std::vector<const ZoneRecord*> out;
  out.reserve(order_.size());
  for (const auto& [key, index] : order_) {
    out.push_back(&nodes_.at(key).records[index]);
  }
  return out;
}

}  // namespace mxconform::dns
