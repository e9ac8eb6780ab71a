// An authoritative zone in memory, as the mock DNS server and the
// evaluators' in-process resolvers see DNS: record sets by owner name and
// type, CNAME chains, NXDOMAIN vs NODATA (RFC 8020: an empty non-terminal
// exists), wildcard records (RFC 4592) and records valid only for a range of
// the zone's clock (so a scenario can change a record between deliveries).
// No I/O and no YAML: conformance/ loads zone files into this.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "dns/message.h"

namespace mxconform::dns {

struct ZoneOptions {
  // Wildcards, if set, makes a "*" owner stand for the names below its
  // parent that do not exist (RFC 4592 §2.2); unset, "*" is a literal label
  // (what the openspf drivers do).
  bool wildcards = true;
  // Empty non-terminals, if set, exist (NOERROR with no data, RFC 8020 §2);
  // unset, a name with no records of its own is NXDOMAIN even when names
  // below it have records (what the openspf drivers do).
  bool empty_non_terminals = true;
  // CNAME links followed inside the zone for one answer (RFC 1034 §4.3.2
  // step 3a); a longer chain stops there, and a loop stops where a name
  // repeats. The resolver then sees a chain that does not end.
  std::size_t max_cname_links = 8;
};

// A record, visible while from <= now < until on the zone's clock (each
// bound optional).
struct ZoneRecord {
  Record rr;
  std::optional<UnixSeconds> from, until;
  bool VisibleAt(UnixSeconds now) const {
    return (!from || now >= *from) && (!until || now < *until);
  }
};

// What the zone answers for one question.
struct ZoneAnswer {
  // NOERROR (data or NODATA), NXDOMAIN (the name, or the end of a CNAME
  // chain, does not exist; RFC 6604 §3), or REFUSED (the name is outside
  // every origin: `covered` is false).
  Rcode rcode = Rcode::kNoError;
  bool covered = true;
  // The CNAME links followed (owners as asked for the first, as written in
  // the zone after), then the records of the final name and type. A
  // wildcard answer carries the query name as its owner.
  std::vector<Record> answers;
  // The origin's SOA for a negative answer (NXDOMAIN or NODATA), when the
  // zone has one (RFC 2308 §3).
  std::vector<Record> authority;
  std::size_t data = 0;     // records of the final name and type
  bool wildcard = false;    // synthesised from a "*" owner
  bool chain_loop = false;  // the CNAME chain came back to a name
  bool chain_cut = false;   // the CNAME chain was longer than max_cname_links
};

class Zone {
 public:
  explicit Zone(ZoneOptions opts = {}) : opts_(opts) {}

  // The zone answers for names at or below an origin; without any origin
  // it answers for every name. Queries outside answer REFUSED (the mock
  // server logs them as unscripted).
  void AddOrigin(const Name& origin);
  const std::vector<Name>& origins() const { return origins_; }

  // Adds a record (class IN). A CNAME beside other data at one name is kept
  // as given (the mock may serve broken zones); lookups then follow the
  // CNAME for every type but CNAME itself.
  void Add(const Record& rr, std::optional<UnixSeconds> from = std::nullopt,
           std::optional<UnixSeconds> until = std::nullopt);
  // Makes `name` exist with no records (NOERROR, no data for any type).
  void Touch(const Name& name);

  bool Covers(const Name& name) const;

  // Answers (qname, qtype) as an authoritative server would at time `now`.
  // qtype ANY (255) returns every record set at the name without following
  // a CNAME; qtype CNAME returns the CNAME itself.
  ZoneAnswer Find(const Name& qname, std::uint16_t qtype, UnixSeconds now) const;

  // The authority section of a negative answer about `name` (NXDOMAIN or
  // NODATA, RFC 2308 §3): the SOA of the origin `name` is under, when that
  // origin has one visible at `now`, with the TTL RFC 2308 §3 gives it (the
  // lesser of its own and its minimum field); empty otherwise.
  std::vector<Record> NegativeAuthority(const Name& name, UnixSeconds now) const;

  // Every record, in the order added (for listing and for tests). The
  // pointers are valid until the next Add() or Touch().
  std::vector<const ZoneRecord*> Records() const;
  std::size_t NameCount() const { return nodes_.size(); }
  const ZoneOptions& options() const { return opts_; }

 private:
  struct Node {
    std::vector<ZoneRecord> records;  // in the order added
    bool touched = false;             // Touch(): exists with no visible record
  };
  // A node exists at `now` when it was touched or one of its records is
  // visible then.
  static bool NodeExists(const Node& n, UnixSeconds now);
  // Key: the folded name's labels, root first, each after its length
  // octet, so that a name's descendants are the keys it prefixes.
  static std::string Key(const Name& name);
  const Node* FindNode(const Name& name) const;
  bool HasDescendant(const std::string& key, UnixSeconds now) const;
  const Node* Wildcard(const Name& name, UnixSeconds now) const;
  // Whether `name` has records now, or, if `with_empty_non_terminals`,
  // names below it do.
  bool Exists(const Name& name, UnixSeconds now, bool with_empty_non_terminals) const;
  const Name* OriginOf(const Name& name) const;

  ZoneOptions opts_;
  std::vector<Name> origins_;
  std::map<std::string, Node> nodes_;
  std::vector<std::pair<std::string, std::size_t>> order_;  // (key, index) as added
};

}  // namespace mxconform::dns
