// The DNS seen by check_host() (RFC 7208 §4.4, §5): a narrow, synchronous
// interface, so the evaluator runs the same in tests, fuzzers, against the
// in-memory zone of an openspf suite and, later, against the stub resolver.
// No I/O happens in src/spf itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spf/ip.h"

namespace mxconform::spf {

enum class DnsStatus : std::uint8_t {
  kOk,        // NOERROR; the answer may be empty (a void lookup, §4.6.4)
  kNxDomain,  // RCODE 3 (also a void lookup)
  kError,     // SERVFAIL or any other RCODE (§5: temperror inside a mechanism)
  kTimeout,   // no answer in time (treated like kError)
};

std::string_view DnsStatusName(DnsStatus s);

// Record types check_host() asks for. SPF (type 99) is never asked for
// (RFC 7208 §3.1, SPF-3.1-01).
enum class QueryType : std::uint8_t { kTxt, kA, kAaaa, kMx, kPtr };

std::string_view QueryTypeName(QueryType t);

// TXT: each element is one RR with its character-strings joined with no
// separator (RFC 7208 §3.3). A/AAAA: addresses. MX: exchange names in
// preference order, with their preferences (a resolver that does not know
// them leaves `preferences` empty). PTR: names. CNAME chains are followed
// by the resolver.
struct DnsAnswer {
  DnsStatus status = DnsStatus::kOk;
  std::vector<std::string> txt;            // kTxt
  std::vector<IpAddress> addresses;        // kA / kAaaa
  std::vector<std::string> names;          // kMx (exchanges) / kPtr
  std::vector<std::uint16_t> preferences;  // kMx: names[k]'s preference
  bool empty() const { return txt.empty() && addresses.empty() && names.empty(); }
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // `name` is an absolute domain name without the trailing dot, in A-label
  // form; for kPtr it is the reverse name (see ReverseName()).
  virtual DnsAnswer Query(std::string_view name, QueryType type) = 0;
};

}  // namespace mxconform::spf
