#include "conformance/runner/mock_zone.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include "common/file.h"
#include "common/text.h"
#include "conformance/runner/yaml_budget.h"
#include "spf/ip.h"

namespace mxconform::conformance {
namespace {

namespace wire = mxconform::dns;
namespace mock = mxconform::mocks::dns;

constexpr std::uint16_t Type(wire::RrType t) { return static_cast<std::uint16_t>(t); }

// The TTL of every record of a zone file, and the negative-caching TTL of
// the SOA AddDefaultSoas() writes.
constexpr std::uint32_t kDefaultTtl = 300;

std::string At(std::uint32_t line, std::uint32_t column) {
  return std::to_string(line) + ":" + std::to_string(column);
}
std::string At(const YAML::Mark& m) { return LineColumn(m); }

Diagnostic Error(std::string_view id, std::string_view message, std::string detail) {
  return MakeDiag(id, Severity::kError, 0, message, std::move(detail));
}

// A name of the zone data: the bytes between dots (no escapes), one
// trailing dot ignored.
std::optional<wire::Name> ZoneName(std::string_view text) {
  auto n = wire::Name::FromDotted(text);
  return n ? std::optional<wire::Name>(*n) : std::nullopt;
}

// TXT strings as written, each cut into 255-octet strings.
std::vector<std::string> Strings(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    if (v.empty()) {
      out.emplace_back();
    }
    for (std::size_t i = 0; i < v.size(); i += 255) {
      out.push_back(v.substr(i, 255));
    }
  }
  return out;
}

std::string NameKey(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  return text::ToLowerCopy(name);
}

}  // namespace

Result<std::vector<wire::Record>> WireRecords(const wire::Name& owner, const OpenspfRecord& r) {
  const std::string& t = r.type;
  const std::string v = r.values.empty() ? "" : r.values[0];
  const std::string where = At(r.line, r.column) + ": ";
  wire::Record rr;
  rr.name = owner;
  rr.ttl = kDefaultTtl;
  if (t == "TXT" || t == "SPF") {
    rr.type = Type(t == "TXT" ? wire::RrType::kTxt : wire::RrType::kSpf);
    rr.rdata = wire::RdataTxt{Strings(r.values)};
  } else if (t == "A" || t == "AAAA") {
    auto ip = spf::ParseIp(v);
    if (!ip || ip->v6 != (t == "AAAA")) {
      return Error("zone.record", "bad address", where + t + " " + v);
    }
    rr.type = Type(ip->v6 ? wire::RrType::kAaaa : wire::RrType::kA);
    if (ip->v6) {
      wire::RdataAaaa a;
      std::copy(ip->bytes.begin(), ip->bytes.end(), a.address.begin());
      rr.rdata = a;
    } else {
      wire::RdataA a;
      std::copy(ip->bytes.begin(), ip->bytes.begin() + 4, a.address.begin());
      rr.rdata = a;
    }
  } else if (t == "MX" || t == "PTR" || t == "CNAME" || t == "NS") {
    auto target = ZoneName(v);
    if (!target) {
      return Error("zone.record", "bad name in record data", where + t + " " + v);
    }
    if (t == "MX") {
      if (r.preference < 0 || r.preference > 65535) {
        return Error("zone.record", "MX preference outside 0-65535", where + v);
      }
      rr.type = Type(wire::RrType::kMx);
      rr.rdata = wire::RdataMx{static_cast<std::uint16_t>(r.preference), *target};
    } else {
      rr.type = Type(t == "PTR"     ? wire::RrType::kPtr
                     : t == "CNAME" ? wire::RrType::kCname
                                    : wire::RrType::kNs);
      rr.rdata = wire::RdataName{*target};
    }
  } else if (t == "SOA") {
    // [mname, rname, serial, refresh, retry, expire, minimum] (RFC 1035
    // §3.3.13); the minimum is the negative-caching TTL (RFC 2308 §4).
    auto mname = r.values.size() == 7 ? ZoneName(r.values[0]) : std::nullopt;
    auto rname = r.values.size() == 7 ? ZoneName(r.values[1]) : std::nullopt;
    if (!mname || !rname) {
      return Error("zone.record", "bad name in SOA data", where + text::Join(r.values, " "));
    }
    std::uint32_t field[5] = {};
    for (std::size_t k = 0; k < 5; ++k) {
      const std::string& f = r.values[2 + k];
      auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), field[k]);
      if (ec != std::errc() || p != f.data() + f.size()) {
        return Error("zone.record", "SOA numbers are 0-4294967295", where + f);
      }
    }
    rr.type = Type(wire::RrType::kSoa);
    rr.rdata = wire::RdataSoa{*mname, *rname, field[0], field[1], field[2], field[3], field[4]};
  } else {
    return Error("zone.type", "not a record type", where + t);
  }
  return std::vector<wire::Record>{std::move(rr)};
}

namespace {

// The records and knobs of a zonedata list (OpenspfMockZone's rules).
Result<MockZone> FromZonedata(const OpenspfDocument& doc, const wire::ZoneOptions& options,
                              bool skip_unservable) {
  MockZone out{wire::Zone(options), {}, {}, {}};
  // Entries per name in order, across repeats of the name (as OpenspfZone::Load).
  std::vector<std::string> order;
  std::map<std::string, std::vector<const OpenspfRecord*>> entries;
  std::map<std::string, const OpenspfName*> first;
  for (const auto& n : doc.zonedata) {
    std::string key = NameKey(n.name);
    if (entries.find(key) == entries.end()) {
      order.push_back(key);
      first[key] = &n;
    }
    for (const auto& r : n.records) {
      entries[key].push_back(&r);
    }
  }
  for (const auto& key : order) {
    const OpenspfName& spelled = *first[key];
    auto owner = ZoneName(spelled.name);
    if (!owner && skip_unservable) {
      out.unservable.push_back(spelled.name);
      continue;
    }
    if (!owner) {
      return Error("zone.record", "bad owner name",
                   At(spelled.line, spelled.column) + ": " + spelled.name);
    }
    out.zone.Touch(*owner);
    const auto& list = entries[key];
    const bool has_txt = std::any_of(list.begin(), list.end(),
                                     [](const OpenspfRecord* r) { return r->type == "TXT"; });
    std::set<std::uint16_t> before_timeout;
    bool timeout = false;
    auto add = [&](const OpenspfRecord& r) -> std::optional<Diagnostic> {
      auto rrs = WireRecords(*owner, r);
      if (!rrs) {
        return rrs.error();
      }
      for (auto& rr : *rrs) {
        out.zone.Add(rr);
      }
      return std::nullopt;
    };
    for (const OpenspfRecord* r : list) {
      const std::string& t = r->type;
      const std::string v = r->values.empty() ? "" : r->values[0];
      if (t == "TIMEOUT") {
        timeout = true;
        break;
      }
      if (t == "TXT") {
        if (!r->is_list && v == "NONE") {
          continue;
        }
        before_timeout.insert(Type(wire::RrType::kTxt));
      } else if (t == "SPF") {
        // Served as type SPF always, and as TXT when the name has no TXT
        // entry (the suite's drivers duplicate SPF into TXT).
        if (!has_txt) {
          OpenspfRecord as_txt = *r;
          as_txt.type = "TXT";
          if (auto bad = add(as_txt)) {
            return *bad;
          }
        }
      } else if (t == "A" || t == "AAAA" || t == "MX" || t == "PTR") {
        before_timeout.insert(t == "A"      ? Type(wire::RrType::kA)
                              : t == "AAAA" ? Type(wire::RrType::kAaaa)
                              : t == "MX"   ? Type(wire::RrType::kMx)
                                            : Type(wire::RrType::kPtr));
      } else if (t == "SERVFAIL") {
        mock::Rule rule;
        rule.id = "SERVFAIL " + key;
        rule.name = *owner;
        rule.fault = mock::Fault::kServfail;
        out.rules.push_back(std::move(rule));
        continue;
      } else if (t == "DELAY") {
        std::int64_t seconds = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
        if (ec != std::errc() || p != v.data() + v.size() || seconds < 0) {
          return Error("zone.record", "bad DELAY", At(r->line, r->column) + ": " + v);
        }
        out.delays[key] += seconds;
        continue;
      }
      if (auto bad = add(*r)) {
        return *bad;
      }
    }
    if (timeout) {
      // Types listed before TIMEOUT answer from the zone; every other query
      // of the name times out.
      for (std::uint16_t type : before_timeout) {
        mock::Rule rule;
        rule.id = "TIMEOUT " + key + " (listed before)";
        rule.name = *owner;
        rule.type = type;
        out.rules.push_back(std::move(rule));
      }
      mock::Rule rule;
      rule.id = "TIMEOUT " + key;
      rule.name = *owner;
      rule.fault = mock::Fault::kTimeout;
      out.rules.push_back(std::move(rule));
    }
  }
  return out;
}

}  // namespace

Result<MockZone> OpenspfMockZone(const OpenspfDocument& doc, bool empty_non_terminals) {
  return FromZonedata(
      doc, wire::ZoneOptions{.wildcards = false, .empty_non_terminals = empty_non_terminals},
      /*skip_unservable=*/true);
}

namespace {

std::optional<std::uint32_t> Unsigned(const YAML::Node& n, std::uint64_t max) {
  if (!n.IsScalar()) {
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(v);
}

std::optional<bool> Bool(const YAML::Node& n) {
  if (!n.IsScalar()) {
    return std::nullopt;
  }
  const std::string& s = n.Scalar();
  if (s == "true") {
    return true;
  }
  if (s == "false") {
    return false;
  }
  return std::nullopt;
}

std::optional<std::string> Hex(std::string_view s) {
  std::string out;
  std::string digits;
  for (char c : s) {
    if (c != ' ' && c != ':') {
      digits.push_back(c);
    }
  }
  if (digits.size() % 2 != 0) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(digits.data() + i, digits.data() + i + 2, v, 16);
    if (ec != std::errc() || p != digits.data() + i + 2) {
      return std::nullopt;
    }
    out.push_back(static_cast<char>(v));
  }
  return out;
}

// One `faults` entry.
Result<mock::Rule> ParseFaultEntry(const YAML::Node& f) {
  auto bad = [&](const YAML::Node& at, const std::string& what) {
    return Error("zone.fault", "bad fault entry", At(at.Mark()) + ": " + what);
  };
  if (!f.IsMap()) {
    return bad(f, "a fault must be a map of knob settings");
  }
  mock::Rule rule;
  int knobs = 0;
  for (const auto& kv : f) {
    const std::string k = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (k == "id") {
      if (!v.IsScalar()) {
        return bad(v, "id must be a string");
      }
      rule.id = v.Scalar();
    } else if (k == "name") {
      auto n = v.IsScalar() ? ZoneName(v.Scalar()) : std::nullopt;
      if (!n) {
        return bad(v, "name must be a domain name");
      }
      rule.name = *n;
    } else if (k == "subtree") {
      auto b = Bool(v);
      if (!b) {
        return bad(v, "subtree must be true or false");
      }
      rule.subtree = *b;
    } else if (k == "type") {
      auto t = v.IsScalar() ? wire::ParseRrType(v.Scalar()) : std::nullopt;
      if (!t) {
        return bad(v, "type must be a record type name (TXT, MX, TYPE65, ...)");
      }
      rule.type = *t;
    } else if (k == "transport") {
      if (!v.IsScalar() || (v.Scalar() != "udp" && v.Scalar() != "tcp")) {
        return bad(v, "transport must be udp or tcp");
      }
      rule.transport = v.Scalar() == "udp" ? mock::Transport::kUdp : mock::Transport::kTcp;
    } else if (k == "from" || k == "until") {
      auto s = Unsigned(v, 1ULL << 40);
      if (!s) {
        return bad(v, k + " must be a number of seconds on the server clock");
      }
      (k == "from" ? rule.from : rule.until) = *s;
    } else if (k == "delay_ms") {
      auto ms = Unsigned(v, 600000);
      if (!ms) {
        return bad(v, "delay_ms must be 0-600000");
      }
      rule.delay_ms = *ms;
    } else if (auto fault = mock::ParseFault(k); fault && *fault != mock::Fault::kNone) {
      ++knobs;
      rule.fault = *fault;
      if (*fault == mock::Fault::kDropAfter) {
        auto n = Unsigned(v, 1ULL << 32);
        if (!n) {
          return bad(v, "drop_after must be a number of queries");
        }
        rule.count = *n;
      } else if (*fault == mock::Fault::kMalformed) {
        auto raw = v.IsScalar() ? Hex(v.Scalar()) : std::nullopt;
        if (!raw) {
          return bad(v, "malformed must be the reply bytes in hex");
        }
        rule.raw = *raw;
      } else if (*fault == mock::Fault::kSpoof) {
        if (!v.IsSequence()) {
          return bad(v, "spoof must be a list of records in the zonedata form");
        }
        // The records are read by the zonedata reader, under a stand-in
        // owner; the root owner gives them the query name when served.
        YAML::Node holder;
        holder["spoofed.invalid"] = v;
        auto doc = ParseOpenspfZone(YAML::Dump(holder));
        if (!doc) {
          return bad(v, "spoof records: " + doc.error().Text());
        }
        for (const auto& n : doc->zonedata) {
          for (const auto& r : n.records) {
            auto rrs = WireRecords(wire::Name(), r);
            if (!rrs) {
              return bad(v, "spoof records: " + rrs.error().Text());
            }
            for (auto& rr : *rrs) {
              rule.spoof.push_back(std::move(rr));
            }
          }
        }
      } else {
        auto b = Bool(v);
        if (!b || !*b) {
          return bad(v, k + " takes true");
        }
      }
    } else {
      return bad(kv.first, "unknown key '" + k +
                               "' (knobs: servfail refused nxdomain nodata "
                               "timeout truncate wrong_id spoof malformed drop_after; conditions: "
                               "name subtree type transport from until; also id, delay_ms)");
    }
  }
  if (knobs > 1) {
    return bad(f, "a fault sets one knob (and optionally delay_ms)");
  }
  if (knobs == 0 && rule.delay_ms == 0) {
    return bad(f, "a fault needs a knob or delay_ms");
  }
  return rule;
}

}  // namespace

namespace {

// An SOA at each origin that has none of its own, as every real zone has at
// its apex: negative answers then carry it in the authority section (RFC
// 2308 §3, a MUST), so a caching resolver under test caches them for the
// SOA's minimum (§5), the TTL the zone's records have too.
void AddDefaultSoas(wire::Zone& zone) {
  // `label` then the labels of `origin`; the origin itself where that would
  // pass the 255-octet limit.
  auto below = [](std::string label, const wire::Name& origin) {
    wire::Name n;
    n.Append(std::move(label));
    for (const auto& l : origin.labels()) {
      n.Append(l);
    }
    return n.WireLength() <= 255 ? n : origin;
  };
  // The origins without one, found before any is added: Add() moves
  // records, so pointers from Records() do not outlive it (the scenario
  // fuzzer found a use after free).
  std::vector<wire::Name> missing;
  {
    const auto records = zone.Records();
    for (const wire::Name& origin : zone.origins()) {
      if (std::find(missing.begin(), missing.end(), origin) == missing.end() &&
          std::none_of(records.begin(), records.end(), [&](const wire::ZoneRecord* z) {
            return z->rr.type == Type(wire::RrType::kSoa) && z->rr.name == origin;
          })) {
        missing.push_back(origin);
      }
    }
  }
  for (const wire::Name& origin : missing) {
    wire::Record rr;
    rr.name = origin;
    rr.type = Type(wire::RrType::kSoa);
    rr.ttl = kDefaultTtl;
    rr.rdata = wire::RdataSoa{
        below("ns", origin), below("hostmaster", origin), 1, 3600, 600, 604800, kDefaultTtl};
    zone.Add(rr);
  }
}

// ParseMockZone without its guard (yaml-cpp throws on a few shapes).
Result<MockZone> ParseMockZoneUnguarded(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Error("zone.yaml", "YAML syntax error", At(e.mark) + ": " + e.msg);
  }
  if (!WithinYamlBudget(root)) {
    return Error("zone.yaml", kYamlTooLarge, At(root.Mark()));
  }
  if (!root.IsMap()) {
    return Error("zone.yaml", "a zone file must be a map", At(root.Mark()));
  }
  const bool structured = static_cast<bool>(root["zonedata"]);
  for (const char* key : {"origins", "options", "faults"}) {
    if (root[key] && !structured) {
      return Error("zone.yaml", "a zone file with origins, options or faults needs `zonedata`",
                   At(root[key].Mark()) + ": " + key);
    }
  }
  if (structured) {
    for (const auto& kv : root) {
      const std::string k = kv.first.Scalar();
      if (k != "zonedata" && k != "origins" && k != "options" && k != "faults") {
        return Error("zone.yaml", "unknown top-level key", At(kv.first.Mark()) + ": " + k);
      }
    }
  }
  wire::ZoneOptions options;
  bool default_soa = true;
  if (const YAML::Node o = root["options"]) {
    if (!o.IsMap()) {
      return Error("zone.yaml", "`options` must be a map", At(o.Mark()));
    }
    for (const auto& kv : o) {
      const std::string k = kv.first.Scalar();
      auto b = Bool(kv.second);
      if ((k != "wildcards" && k != "empty_non_terminals" && k != "soa") || !b) {
        return Error("zone.yaml", "options: wildcards, empty_non_terminals and soa, true or false",
                     At(kv.first.Mark()) + ": " + k);
      }
      (k == "wildcards"             ? options.wildcards
       : k == "empty_non_terminals" ? options.empty_non_terminals
                                    : default_soa) = *b;
    }
  }
  auto doc = ParseOpenspfZone(text);
  if (!doc) {
    const Diagnostic& d = doc.error();
    return Error("zone.yaml", "bad zonedata", At(d.line, d.column) + ": " + d.Text());
  }
  std::vector<wire::Name> origins;
  if (const YAML::Node o = root["origins"]) {
    if (!o.IsSequence()) {
      return Error("zone.yaml", "`origins` must be a list of names", At(o.Mark()));
    }
    for (const auto& name : o) {
      auto n = name.IsScalar() ? ZoneName(name.Scalar()) : std::nullopt;
      if (!n) {
        return Error("zone.yaml", "bad origin name", At(name.Mark()));
      }
      origins.push_back(*n);
    }
  }
  for (const auto& n : doc->zonedata) {
    auto owner = ZoneName(n.name);
    if (!owner) {
      return Error("zone.record", "bad owner name", At(n.line, n.column) + ": " + n.name);
    }
    if (!origins.empty() && std::none_of(origins.begin(), origins.end(),
                                         [&](const auto& o) { return owner->IsSubdomainOf(o); })) {
      return Error("zone.record", "name outside every origin",
                   At(n.line, n.column) + ": " + n.name);
    }
    for (const auto& r : n.records) {
      if (r.type == "DELAY") {
        return Error("zone.type", "DELAY moves a case's virtual clock; a server cannot",
                     At(r.line, r.column) + ": use a fault with delay_ms");
      }
    }
  }
  auto built = FromZonedata(*doc, options, /*skip_unservable=*/false);
  if (!built) {
    return built;
  }
  MockZone out{wire::Zone(options), {}, {}, {}};
  out.zone = std::move(built->zone);
  for (const auto& o : origins) {
    out.zone.AddOrigin(o);
  }
  if (default_soa) {
    AddDefaultSoas(out.zone);
  }
  if (const YAML::Node faults = root["faults"]) {
    if (!faults.IsSequence()) {
      return Error("zone.fault", "`faults` must be a list", At(faults.Mark()));
    }
    for (const auto& f : faults) {
      auto rule = ParseFaultEntry(f);
      if (!rule) {
        return rule.error();
      }
      out.rules.push_back(std::move(*rule));
    }
  }
  // The zonedata's TIMEOUT and SERVFAIL knobs come after the faults given.
  for (auto& r : built->rules) {
    out.rules.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<MockZone> ParseMockZone(std::string_view text) {
  try {
    return ParseMockZoneUnguarded(text);
  } catch (const YAML::Exception& e) {
    return MakeDiag("zone.yaml", Severity::kError, 0, "bad zone",
                    LineColumn(e.mark) + ": " + YamlShapeError(e.msg));
  }
}

Result<MockZone> LoadMockZoneFile(const std::string& path) {
  auto text = ReadFileAtMost(path, kMaxInputFileBytes, {"zone.unreadable", "zone.too_large"});
  if (!text) {
    return text.error();
  }
  return ParseMockZone(*text);
}

}  // namespace mxconform::conformance
