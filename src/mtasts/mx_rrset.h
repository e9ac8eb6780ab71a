// A domain's MX RRset as a publisher sees it, and what to tell the
// publisher about it: the null MX rules of RFC 7505 (§3, §4.2), exchanges
// that no sender can use (RFC 5321 §5.1), and, given the domain's MTA-STS
// policy, the exchanges its `mx` patterns leave out (RFC 8461 §4.1, §5).
//
// The input is what `dig MX example.com` prints: one RR per line, either
// the RDATA alone ("10 mx1.example.com.", `dig +short`) or a master-file
// line ("example.com. 300 IN MX 10 mx1.example.com.", RFC 1035 §5.1) with
// optional TTL and class in either order. ';' starts a comment; blank
// lines are skipped. Names are taken as absolute ($ORIGIN is not read).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "mtasts/policy.h"

namespace mxconform::mtasts {

// Inputs above this are refused (`mx.rrset.too_large`): a real RRset fits in
// one DNS message.
constexpr std::size_t kMaxMxRrsetBytes = 64 * 1024;
// RRs above this are refused (`mx.rrset.too_many`): a 64 KiB DNS message
// holds fewer.
constexpr std::size_t kMaxMxRrs = 4096;

struct MxRr {
  std::uint16_t preference = 0;
  // As written, without a trailing root dot; "." for a null MX exchange.
  std::string exchange;
  std::uint32_t offset = 0;           // of the RR's first byte in the input
  std::uint32_t exchange_offset = 0;  // of the exchange
  bool IsNull() const { return exchange == "."; }
  bool operator==(const MxRr&) const = default;
};

struct MxRrset {
  // The owner name of the master-file lines (without a trailing dot), or
  // empty when every line was RDATA only.
  std::string owner;
  std::vector<MxRr> rrs;    // in input order
  Diagnostics diagnostics;  // warnings and info only on success
};

// Reads the RRset. Errors (each with its byte offset): `mx.rrset.too_large`,
// `mx.rrset.too_many`, `mx.rrset.empty` (no RR), `mx.rrset.syntax` (a line
// of neither form), `mx.rrset.type` (a master-file line of another type or
// class), `mx.rrset.preference` (not 0..65535), `mx.rrset.exchange` (not a
// host name, RFC 5321 §2.3.5), `mx.rrset.owner` (lines of several owners:
// not one RRset). Warning: `mx.rrset.duplicate` (RFC 2181 §5: an RRset
// holds each RR once).
Result<MxRrset> ParseMxRrset(std::string_view input);

struct MxLintOptions {
  // The domain's MTA-STS policy, if it has one: each exchange is checked
  // against its `mx` patterns.
  const Policy* policy = nullptr;
  // The domain is used in RFC5321.MailFrom or RFC5322.From (RFC 7505 §4.2).
  bool sends_mail = false;
};

// What a publisher should fix or know, located at the RR concerned:
//  - `mx.null.mixed` (error, MX-7505-02): a null MX beside other MX RRs.
//  - `mx.null.preference` (warning): a "." exchange with a preference
//    other than 0 (RFC 7505 §3 defines the null MX with preference 0).
//  - `mx.null.sender` (warning with sends_mail, else info, MX-7505-04).
//  - `mx.exchange.address` (error, catalogue M10, MX-5.1-12): an exchange
//    written as an IPv4 address; senders look it up as a name and fail.
//  - `mx.policy.unmatched` (error under mode enforce, warning under
//    testing, info under none; STS-4.1-05): no `mx` pattern of the policy
//    matches the exchange, so MTA-STS senders will not deliver to it.
//  - `mx.policy.no_match` (error under enforce): no exchange matches, so
//    MTA-STS senders cannot deliver to the domain at all.
Diagnostics LintMxRrset(const MxRrset& set, const MxLintOptions& options = {});

}  // namespace mxconform::mtasts
