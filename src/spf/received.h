// The Received-SPF header field (RFC 7208 §9.1) read back: what a receiver
// under test wrote, checked against the grammar as amended by erratum 5436
//
//   header-field   = "Received-SPF:" [CFWS] result [ FWS comment ]
//                    [ FWS key-value-list ] [FWS] CRLF
//   key-value-list = key-value-pair *( ";" [CFWS] key-value-pair ) [";"]
//   key-value-pair = key [CFWS] "=" ( dot-atom / quoted-string )
//
// with comment, dot-atom, quoted-string, FWS and CFWS as RFC 5322 §3.2
// defines them (no obsolete forms), and against what §9.1 asks the pairs
// to carry (SPF-9-01).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "spf/eval.h"

namespace mxconform::spf {

// Header fields above this are refused (`spf.received.too_large`).
constexpr std::size_t kMaxReceivedSpfBytes = 16 * 1024;
// Comments nested deeper than this are refused (`spf.received.comment`).
constexpr std::size_t kMaxCommentDepth = 32;

struct ReceivedSpfPair {
  std::string key;           // as written
  std::string value;         // a dot-atom as written, a quoted-string unquoted
  std::uint32_t offset = 0;  // of the key in the input
  bool quoted = false;
  bool operator==(const ReceivedSpfPair&) const = default;
};

struct ReceivedSpf {
  SpfResult result = SpfResult::kNone;
  // The comment after the result, without its parentheses; empty when
  // there is none.
  std::string comment;
  std::vector<ReceivedSpfPair> pairs;  // in order
  Diagnostics diagnostics;             // warnings only on success

  // The first pair whose key equals `key` (ASCII case-insensitive).
  const ReceivedSpfPair* Find(std::string_view key) const;
};

// Reads one header field: the field name and colon, then the body, folded
// or not (CRLF or LF followed by white space), with or without the final
// line end. Errors, located: `spf.received.too_large`,
// `spf.received.field_name`, `spf.received.result`,
// `spf.received.comment` (unterminated or too deep), `spf.received.key`,
// `spf.received.equals`, `spf.received.value` (neither a dot-atom nor a
// quoted-string: an IPv6 address must be quoted), `spf.received.syntax`
// (anything else out of place), `spf.received.fold` (a line break not
// followed by white space), `spf.received.byte` (a byte outside printable
// US-ASCII, SP and HTAB). Warnings: `spf.received.duplicate_key`,
// `spf.received.missing_key` (§9.1: client-ip and helo, and envelope-from
// when the MAIL FROM identity was checked, so that the result can be
// verified), `spf.received.client_ip` (not an IP address),
// `spf.received.identity` (neither mailfrom, helo nor a name).
Result<ReceivedSpf> ReadReceivedSpf(std::string_view field);

}  // namespace mxconform::spf
