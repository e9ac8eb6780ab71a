// The DNS wire format (RFC 1035 §4, RFC 3596 AAAA, RFC 6891 EDNS0 OPT,
// RFC 7208 §3.1 SPF, RFC 7505 null MX): messages with header, question and
// the three record sections, name compression on read and write, and the
// record types the evaluators and the mock server need; any other type is
// kept as raw RDATA. Hand-written: no Debian library parses DNS messages
// into values with located errors and also writes deliberately malformed
// ones for the mock server's fault knobs.
//
// Reading never trusts a length or a pointer: every read is bounds-checked,
// compression pointers must point strictly backwards, before the labels
// they continue (so successive targets decrease and loops end), a name
// has at most 255 octets and 127 labels, and the whole message is consumed
// (trailing bytes are an error). Errors are `dns.wire.*` diagnostics whose
// offset is the byte of the message where reading failed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace mxconform::dns {

// A domain name as a list of labels, each 1-63 octets of any value (the
// wire format allows any byte; presentation escapes them). The root is the
// empty list. Comparison is case-insensitive for ASCII letters (RFC 4343).
class Name {
 public:
  Name() = default;
  // Presentation form: labels separated by '.', one optional trailing dot,
  // "\." and "\\" and "\DDD" escapes (RFC 1035 §5.1). "" and "." are the
  // root. Errors: `dns.name.syntax`, `dns.name.label_too_long` (> 63),
  // `dns.name.too_long` (> 255 octets in wire form), `dns.name.empty_label`.
  static Result<Name> Parse(std::string_view text);
  // The form the evaluators use (a name as the bytes between dots, as in
  // an SPF domain-spec): like Parse, but '\\' is an ordinary byte.
  static Result<Name> FromDotted(std::string_view text);

  const std::vector<std::string>& labels() const { return labels_; }
  bool IsRoot() const { return labels_.empty(); }
  // Octets in wire form, uncompressed (the root is 1).
  std::size_t WireLength() const;
  // Presentation form without the trailing dot ("." for the root): the
  // RFC 1035 §5.1 specials . \ " ( ) ; @ $ as \X, bytes outside 0x21-0x7E
  // as \DDD, everything else as is ("*.example.com").
  std::string ToString() const;
  // True if this name is `other` or below it.
  bool IsSubdomainOf(const Name& other) const;
  // Lower-cased copy (ASCII only).
  Name Folded() const;
  bool operator==(const Name& o) const;  // case-insensitive
  bool operator<(const Name& o) const;   // canonical order (RFC 4034 §6.1)

  // Appends a label (1-63 octets; the caller checks the 255-octet total
  // with WireLength()).
  void Append(std::string label) { labels_.push_back(std::move(label)); }

 private:
  static Result<Name> Read(std::string_view text, bool escapes);
  std::vector<std::string> labels_;
};

enum class RrType : std::uint16_t {
  kA = 1,
  kNs = 2,
  kCname = 5,
  kSoa = 6,
  kPtr = 12,
  kMx = 15,
  kTxt = 16,
  kAaaa = 28,
  kOpt = 41,
  kSpf = 99,
  kAny = 255,
};
// "A", "TXT", ... or "TYPE<n>" (RFC 3597) for others.
std::string RrTypeName(std::uint16_t type);
// The inverse, case-insensitive, "TYPE<n>" included; nullopt otherwise.
std::optional<std::uint16_t> ParseRrType(std::string_view name);

enum class RrClass : std::uint16_t { kIn = 1, kCh = 3, kAny = 255 };

enum class Rcode : std::uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};
std::string_view RcodeName(std::uint8_t rcode);  // "NOERROR", ..., "RCODE<n>"

enum class Opcode : std::uint8_t { kQuery = 0 };

// Equality of the values below is field by field, with names compared as
// Name::operator== does (case-insensitively, RFC 4343); Decode(Encode(m))
// also keeps the case of every name, which only a byte comparison of two
// encodings shows.
struct Header {
  std::uint16_t id = 0;
  bool qr = false;  // response
  std::uint8_t opcode = 0;
  bool aa = false, tc = false, rd = false, ra = false, ad = false, cd = false;
  bool z = false;          // the reserved bit, kept as read
  std::uint8_t rcode = 0;  // low 4 bits; EDNS extends it (Message::ExtendedRcode)
  bool operator==(const Header&) const = default;
};

struct Question {
  Name name;
  std::uint16_t type = 0;
  std::uint16_t klass = 1;
  bool operator==(const Question&) const = default;
};

// RDATA by type. MX with an empty exchange name (the root) is a null MX
// (RFC 7505). TXT and SPF keep their character-strings apart (RFC 1035
// §3.3.14); joining them is the reader's business (RFC 7208 §3.3).
struct RdataA {
  std::array<std::uint8_t, 4> address{};
  bool operator==(const RdataA&) const = default;
};
struct RdataAaaa {
  std::array<std::uint8_t, 16> address{};
  bool operator==(const RdataAaaa&) const = default;
};
struct RdataName {  // NS, CNAME, PTR
  Name name;
  bool operator==(const RdataName&) const = default;
};
struct RdataMx {
  std::uint16_t preference = 0;
  Name exchange;
  bool operator==(const RdataMx&) const = default;
};
struct RdataTxt {                    // TXT, SPF
  std::vector<std::string> strings;  // each 0-255 octets
  bool operator==(const RdataTxt&) const = default;
};
struct RdataSoa {
  Name mname, rname;
  std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
  bool operator==(const RdataSoa&) const = default;
};
struct RdataRaw {  // any other type, and OPT's options
  std::string bytes;
  bool operator==(const RdataRaw&) const = default;
};
using Rdata = std::variant<RdataRaw, RdataA, RdataAaaa, RdataName, RdataMx, RdataTxt, RdataSoa>;

struct Record {
  Name name;
  std::uint16_t type = 0;
  std::uint16_t klass = 1;  // for OPT: the UDP payload size
  std::uint32_t ttl = 0;    // for OPT: extended rcode, version, flags
  Rdata rdata;
  bool operator==(const Record&) const = default;
};

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<Record> answers, authority, additional;

  // The OPT record of `additional` (RFC 6891 §6.1.1), if exactly one.
  const Record* Opt() const;
  // The full 12-bit rcode: header.rcode plus the OPT's extended bits.
  std::uint16_t ExtendedRcode() const;

  bool operator==(const Message&) const = default;
};

struct DecodeLimits {
  std::size_t max_records = 4096;     // per section
  std::size_t max_pointer_hops = 64;  // compression pointers followed per name
  // Read the header and the question section only; what follows is not
  // looked at (the record sections come back empty). For a reply with TC
  // set, which RFC 2181 §9 says to ignore but for its id and question.
  bool question_only = false;
};

// Decodes one message. Errors (`dns.wire.*`, offset where it failed):
// `truncated` (a read past the end), `trailing_bytes`, `bad_label_type`
// (0x40 / 0x80 label types), `pointer_forward` (a compression pointer to
// its own position or later, or not before the start of the name or of the
// previous pointer's target: each target is below the last, so loops are
// impossible), `pointer_header` (a compression pointer into the 12-octet
// header, where no name can be), `pointer_hops`, `name_too_long`,
// `too_many_records`,
// `rdata_length` (RDATA shorter or longer than its type's fields),
// `txt_string` (a character-string past RDATA's end), `bad_address_length`
// (A not 4, AAAA not 16 octets; at the RDLENGTH field), and for OPT (RFC
// 6891 §6.1.1, §6.1.2; at the record's owner name) `opt_section` (outside
// the additional section), `opt_duplicate` (a second OPT), `opt_owner` (an
// owner other than the root) and `opt_options` (an option that runs past
// RDATA, at the option). Types are read by
// TYPE alone, whatever the class; TXT with empty RDATA reads as no strings.
// The names in MD, MF, MB, MG, MR and MINFO RDATA are decompressed (RFC 3597
// §4) and the RDATA kept raw in uncompressed form.
Result<Message> Decode(std::span<const std::uint8_t> wire, const DecodeLimits& limits = {});
Result<Message> Decode(std::string_view wire, const DecodeLimits& limits = {});

struct EncodeOptions {
  bool compress = true;  // RFC 1035 §4.1.4 pointers for repeated suffixes
};

// Encodes a message. Fails only for what cannot be written: a name over
// 255 octets or a label over 63 (`dns.encode.name`, also for an empty
// label), a character-string over 255 octets (`dns.encode.txt`), RDATA over
// 65535 octets or more than 65535 records in a section
// (`dns.encode.too_large`); the offset is the output byte reached. RDATA is
// written from the alternative `rdata` holds, whatever `type` says (the mock
// server can send mismatched data on purpose). Compression matches suffixes
// byte for byte (case is kept, for 0x20 randomisation), compresses RDATA
// names only in NS, CNAME, SOA, PTR and MX (RFC 3597 §4) and keeps every
// pointer chain under 16 hops, far below DecodeLimits::max_pointer_hops.
Result<std::string> Encode(const Message& m, const EncodeOptions& opts = {});

// Appends the wire form of `name` to `out` without compression. For a name
// Encode refuses, labels are cut to 63 octets and empty ones skipped.
void EncodeName(const Name& name, std::string& out);

// A query for (name, type) with a random-looking id chosen by the caller,
// RD set, and an EDNS0 OPT advertising `udp_payload` when it is non-zero.
Message MakeQuery(std::uint16_t id, const Name& name, std::uint16_t type,
                  std::uint16_t udp_payload = 1232);

// A response skeleton for `query`: same id, question and RD, QR set.
Message MakeResponse(const Message& query, Rcode rcode);

// Record data for humans and logs: "192.0.2.1", "10 mx.example.com.",
// "\"v=spf1\" \" -all\"", "\\# 3 010203" for raw (RFC 3597).
std::string RdataToString(const Record& r);

}  // namespace mxconform::dns
