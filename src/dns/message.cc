// The DNS wire codec (see message.h). Hand-written: see the note there.

#include "dns/message.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mxconform::dns {

namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxLabel = 63;              // RFC 1035 §2.3.4
constexpr std::size_t kMaxNameWire = 255;          // RFC 1035 §2.3.4
constexpr std::size_t kMaxPointerTarget = 0x3FFF;  // 14 bits (RFC 1035 §4.1.4)
constexpr std::size_t kMinQuestion = 5;            // root name, type, class
constexpr std::size_t kMinRecord = 11;             // root name, type, class, TTL, RDLENGTH
// Pointer chains Encode writes stay below this many hops, well under
// DecodeLimits::max_pointer_hops, so what Encode writes Decode reads.
constexpr std::size_t kMaxEncodeHops = 16;

unsigned char Fold(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

bool LabelEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Fold(static_cast<unsigned char>(a[i])) != Fold(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// RFC 4034 §6.1: labels as lower-cased unsigned octet strings, a prefix first.
int CompareLabel(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = Fold(static_cast<unsigned char>(a[i]));
    const unsigned char y = Fold(static_cast<unsigned char>(b[i]));
    if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  if (a.size() == b.size()) {
    return 0;
  }
  return a.size() < b.size() ? -1 : 1;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void AppendDecimal3(unsigned char c, std::string& out) {
  out += '\\';
  out += static_cast<char>('0' + c / 100);
  out += static_cast<char>('0' + (c / 10) % 10);
  out += static_cast<char>('0' + c % 10);
}

// Types whose RDATA names may be compressed (RFC 3597 §4: the RFC 1035 types
// we know; every later type is written uncompressed).
bool CompressibleRdata(std::uint16_t type) {
  switch (static_cast<RrType>(type)) {
    case RrType::kNs:
    case RrType::kCname:
    case RrType::kSoa:
    case RrType::kPtr:
    case RrType::kMx:
      return true;
    default:
      return false;
  }
}

void PutU16(std::uint16_t v, std::string& out) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xFF);
}

void PutU32(std::uint32_t v, std::string& out) {
  PutU16(static_cast<std::uint16_t>(v >> 16), out);
  PutU16(static_cast<std::uint16_t>(v & 0xFFFF), out);
}

// ---------------------------------------------------------------------------
// Decoding.

class Decoder {
 public:
  Decoder(std::span<const std::uint8_t> wire, const DecodeLimits& limits)
      : w_(wire), limits_(limits) {}

  Result<Message> Run() {
    Message m;
    if (w_.size() < kHeaderSize) {
      return Fail("dns.wire.truncated", 0, "message shorter than the 12-octet header",
                  std::to_string(w_.size()) + " octets");
    }
    Header& h = m.header;
    h.id = U16(0);
    const std::uint8_t f1 = w_[2];
    const std::uint8_t f2 = w_[3];
    h.qr = (f1 & 0x80) != 0;
    h.opcode = static_cast<std::uint8_t>((f1 >> 3) & 0x0F);
    h.aa = (f1 & 0x04) != 0;
    h.tc = (f1 & 0x02) != 0;
    h.rd = (f1 & 0x01) != 0;
    h.ra = (f2 & 0x80) != 0;
    h.z = (f2 & 0x40) != 0;
    h.ad = (f2 & 0x20) != 0;
    h.cd = (f2 & 0x10) != 0;
    h.rcode = static_cast<std::uint8_t>(f2 & 0x0F);
    std::size_t counts[4];
    for (std::size_t s = 0; s < 4; ++s) {
      counts[s] = U16(4 + 2 * s);
      if (counts[s] > limits_.max_records) {
        return Fail("dns.wire.too_many_records", 4 + 2 * s,
                    "section count above DecodeLimits::max_records",
                    std::to_string(counts[s]) + " > " + std::to_string(limits_.max_records));
      }
    }
    pos_ = kHeaderSize;
    // Never reserve more entries than the remaining octets could hold.
    m.questions.reserve(std::min(counts[0], (w_.size() - pos_) / kMinQuestion));
    for (std::size_t i = 0; i < counts[0]; ++i) {
      Question q;
      if (!ReadName(pos_, w_.size(), "dns.wire.truncated", q.name)) {
        return Failure();
      }
      if (!Need(4)) {
        return Failure();
      }
      q.type = U16(pos_);
      q.klass = U16(pos_ + 2);
      pos_ += 4;
      m.questions.push_back(std::move(q));
    }
    if (limits_.question_only) {
      return m;
    }
    std::vector<Record>* sections[3] = {&m.answers, &m.authority, &m.additional};
    bool seen_opt = false;
    for (std::size_t s = 0; s < 3; ++s) {
      sections[s]->reserve(std::min(counts[s + 1], (w_.size() - pos_) / kMinRecord));
      for (std::size_t i = 0; i < counts[s + 1]; ++i) {
        const std::size_t at = pos_;
        Record r;
        if (!ReadRecord(r)) {
          return Failure();
        }
        if (r.type == static_cast<std::uint16_t>(RrType::kOpt) &&
            !CheckOpt(r, at, s == 2, seen_opt)) {
          return Failure();
        }
        sections[s]->push_back(std::move(r));
      }
    }
    if (pos_ != w_.size()) {
      return Fail("dns.wire.trailing_bytes", pos_, "octets after the last record",
                  std::to_string(w_.size() - pos_) + " octets");
    }
    return m;
  }

 private:
  Result<Message> Failure() { return Result<Message>(std::move(err_)); }

  Result<Message> Fail(std::string_view id, std::size_t offset, std::string_view message,
                       std::string detail = {}) {
    SetError(id, offset, message, std::move(detail));
    return Failure();
  }

  bool SetError(std::string_view id, std::size_t offset, std::string_view message,
                std::string detail = {}) {
    err_ = MakeDiag(id, Severity::kError, offset, message, std::move(detail));
    return false;
  }

  // True if `n` octets follow pos_ in the message; else a `truncated` error.
  bool Need(std::size_t n) {
    if (w_.size() - pos_ < n) {
      return SetError(
          "dns.wire.truncated", pos_, "message ends inside a fixed-size field",
          "need " + std::to_string(n) + " octets, " + std::to_string(w_.size() - pos_) + " remain");
    }
    return true;
  }

  std::uint16_t U16(std::size_t p) const {
    return static_cast<std::uint16_t>((w_[p] << 8) | w_[p + 1]);
  }
  std::uint32_t U32(std::size_t p) const {
    return (static_cast<std::uint32_t>(U16(p)) << 16) | U16(p + 2);
  }

  // Reads the name at `pos`, whose own octets (before any pointer) must end
  // by `end`; `overrun_id` is the error when they do not (`truncated` in a
  // question or owner name, `rdata_length` inside RDATA). On success `pos`
  // is just past the name's own octets. RFC 1035 §4.1.4; every pointer must
  // point before the labels it continues, so targets strictly decrease.
  bool ReadName(std::size_t& pos, std::size_t end, std::string_view overrun_id, Name& out) {
    std::size_t p = pos;
    std::size_t bound = end;
    std::size_t segment_start = pos;  // where the current run of labels began
    std::size_t resume = 0;           // past the first pointer
    bool jumped = false;
    std::size_t hops = 0;
    std::size_t wire = 1;  // the root octet
    std::string_view overrun = overrun_id;
    for (;;) {
      if (p >= bound) {
        return SetError(overrun, p, "name runs past its end", "label length octet missing");
      }
      const std::uint8_t b = w_[p];
      if ((b & 0xC0) == 0xC0) {
        if (bound - p < 2) {
          return SetError(overrun, p, "name runs past its end", "pointer cut in half");
        }
        const std::size_t target = (static_cast<std::size_t>(b & 0x3F) << 8) | w_[p + 1];
        if (target < kHeaderSize) {
          return SetError("dns.wire.pointer_header", p,
                          "compression pointer into the 12-octet header",
                          "pointer to " + std::to_string(target));
        }
        if (target >= segment_start) {
          return SetError("dns.wire.pointer_forward", p,
                          "compression pointer does not point before the labels it continues",
                          "pointer to " + std::to_string(target) + ", must be below " +
                              std::to_string(segment_start));
        }
        if (++hops > limits_.max_pointer_hops) {
          return SetError("dns.wire.pointer_hops", p,
                          "more compression pointers than DecodeLimits::max_pointer_hops",
                          std::to_string(hops) + " hops");
        }
        if (!jumped) {
          jumped = true;
          resume = p + 2;
          bound = w_.size();
          overrun = "dns.wire.truncated";
        }
        p = target;
        segment_start = target;
        continue;
      }
      if ((b & 0xC0) != 0) {
        return SetError("dns.wire.bad_label_type", p,
                        "label type 0x40 or 0x80 (extended or reserved, RFC 6891 §5)",
                        std::to_string(b >> 6));
      }
      if (b == 0) {
        ++p;
        break;
      }
      if (wire + 1 + b > kMaxNameWire) {
        return SetError("dns.wire.name_too_long", p,
                        "name longer than 255 octets (RFC 1035 §2.3.4)",
                        std::to_string(wire + 1 + b) + " octets");
      }
      if (bound - p - 1 < b) {
        return SetError(overrun, p, "name runs past its end",
                        "label of " + std::to_string(b) + " octets");
      }
      out.Append(std::string(reinterpret_cast<const char*>(w_.data() + p + 1), b));
      wire += 1 + b;
      p += 1 + b;
    }
    pos = jumped ? resume : p;
    return true;
  }

  bool ReadRecord(Record& r) {
    if (!ReadName(pos_, w_.size(), "dns.wire.truncated", r.name)) {
      return false;
    }
    if (!Need(10)) {
      return false;
    }
    r.type = U16(pos_);
    r.klass = U16(pos_ + 2);
    r.ttl = U32(pos_ + 4);
    const std::size_t rdlength_at = pos_ + 8;
    const std::size_t rdlength = U16(rdlength_at);
    pos_ += 10;
    if (w_.size() - pos_ < rdlength) {
      return SetError("dns.wire.truncated", pos_, "message ends inside RDATA",
                      "RDLENGTH " + std::to_string(rdlength) + ", " +
                          std::to_string(w_.size() - pos_) + " octets remain");
    }
    const std::size_t start = pos_;
    const std::size_t end = pos_ + rdlength;
    if (!ReadRdata(r, start, end, rdlength_at)) {
      return false;
    }
    pos_ = end;
    return true;
  }

  // RFC 6891 §6.1.1, §6.1.2: one OPT at most, in the additional section,
  // owned by the root, its RDATA a run of {code, length, data} options.
  // `at` is where the record starts; pos_ is just past its RDATA.
  bool CheckOpt(const Record& r, std::size_t at, bool additional, bool& seen) {
    if (!additional) {
      return SetError("dns.wire.opt_section", at,
                      "OPT record outside the additional section (RFC 6891 §6.1.1)");
    }
    if (seen) {
      return SetError("dns.wire.opt_duplicate", at, "more than one OPT record (RFC 6891 §6.1.1)");
    }
    seen = true;
    if (!r.name.IsRoot()) {
      return SetError("dns.wire.opt_owner", at, "OPT owner name is not the root (RFC 6891 §6.1.2)",
                      r.name.ToString());
    }
    const auto* raw = std::get_if<RdataRaw>(&r.rdata);
    const std::size_t len = raw == nullptr ? 0 : raw->bytes.size();
    const std::size_t end = pos_;
    std::size_t p = end - len;
    while (p < end) {
      if (end - p < 4) {
        return SetError("dns.wire.opt_options", p, "OPT option cut short (RFC 6891 §6.1.2)",
                        std::to_string(end - p) + " octets left, an option header is 4");
      }
      const std::size_t option_length = U16(p + 2);
      if (end - p - 4 < option_length) {
        return SetError("dns.wire.opt_options", p, "OPT option runs past RDATA (RFC 6891 §6.1.2)",
                        "OPTION-LENGTH " + std::to_string(option_length) + ", " +
                            std::to_string(end - p - 4) + " octets left");
      }
      p += 4 + option_length;
    }
    return true;
  }

  // MD (3), MF (4), MB (7), MG (8), MR (9): one name; MINFO (14): two.
  static int ObsoleteTypeNames(std::uint16_t type) {
    switch (type) {
      case 3:
      case 4:
      case 7:
      case 8:
      case 9:
        return 1;
      case 14:
        return 2;
      default:
        return 0;
    }
  }

  bool RdataShort(std::size_t at, std::size_t need, std::size_t end) {
    return SetError(
        "dns.wire.rdata_length", at, "RDATA shorter than its type's fields",
        "need " + std::to_string(need) + " octets, " + std::to_string(end - at) + " remain");
  }

  bool RdataFull(std::size_t p, std::size_t end) {
    if (p != end) {
      return SetError("dns.wire.rdata_length", p, "RDATA longer than its type's fields",
                      std::to_string(end - p) + " octets left over");
    }
    return true;
  }

  bool ReadRdata(Record& r, std::size_t start, std::size_t end, std::size_t rdlength_at) {
    const std::size_t len = end - start;
    std::size_t p = start;
    switch (static_cast<RrType>(r.type)) {
      case RrType::kA:
      case RrType::kAaaa: {
        const bool v4 = r.type == static_cast<std::uint16_t>(RrType::kA);
        const std::size_t want = v4 ? 4 : 16;
        if (len != want) {
          return SetError("dns.wire.bad_address_length", rdlength_at,
                          v4 ? std::string_view("A RDATA is not 4 octets")
                             : std::string_view("AAAA RDATA is not 16 octets"),
                          "RDLENGTH " + std::to_string(len));
        }
        if (v4) {
          RdataA a;
          std::copy_n(w_.data() + start, 4, a.address.begin());
          r.rdata = a;
        } else {
          RdataAaaa a;
          std::copy_n(w_.data() + start, 16, a.address.begin());
          r.rdata = a;
        }
        return true;
      }
      case RrType::kNs:
      case RrType::kCname:
      case RrType::kPtr: {
        RdataName n;
        if (!ReadName(p, end, "dns.wire.rdata_length", n.name) || !RdataFull(p, end)) {
          return false;
        }
        r.rdata = std::move(n);
        return true;
      }
      case RrType::kMx: {
        RdataMx mx;
        if (len < 2) {
          return RdataShort(p, 2, end);
        }
        mx.preference = U16(p);
        p += 2;
        if (!ReadName(p, end, "dns.wire.rdata_length", mx.exchange) || !RdataFull(p, end)) {
          return false;
        }
        r.rdata = std::move(mx);
        return true;
      }
      case RrType::kSoa: {
        RdataSoa soa;
        if (!ReadName(p, end, "dns.wire.rdata_length", soa.mname) ||
            !ReadName(p, end, "dns.wire.rdata_length", soa.rname)) {
          return false;
        }
        if (end - p < 20) {
          return RdataShort(p, 20, end);
        }
        soa.serial = U32(p);
        soa.refresh = U32(p + 4);
        soa.retry = U32(p + 8);
        soa.expire = U32(p + 12);
        soa.minimum = U32(p + 16);
        p += 20;
        if (!RdataFull(p, end)) {
          return false;
        }
        r.rdata = std::move(soa);
        return true;
      }
      case RrType::kTxt:
      case RrType::kSpf: {
        // RFC 1035 §3.3.14 asks for one or more character-strings; an empty
        // RDATA is read as none, so that Encode and Decode stay inverses
        // (and such a record is simply no SPF record, RFC 7208 §4.5).
        RdataTxt txt;
        txt.strings.reserve(std::min<std::size_t>(len, 256));
        while (p < end) {
          const std::size_t n = w_[p];
          if (end - p - 1 < n) {
            return SetError("dns.wire.txt_string", p, "character-string runs past RDATA's end",
                            "length " + std::to_string(n) + ", " + std::to_string(end - p - 1) +
                                " octets remain");
          }
          txt.strings.emplace_back(reinterpret_cast<const char*>(w_.data() + p + 1), n);
          p += 1 + n;
        }
        r.rdata = std::move(txt);
        return true;
      }
      default: {
        // RFC 3597 §4: the other RFC 1035 types with names in RDATA may be
        // compressed too. Their names are read and the RDATA kept raw in
        // uncompressed form, so that it means the same wherever it is
        // written again.
        if (const int names = ObsoleteTypeNames(r.type); names > 0) {
          std::string bytes;
          for (int k = 0; k < names; ++k) {
            Name n;
            if (!ReadName(p, end, "dns.wire.rdata_length", n)) {
              return false;
            }
            EncodeName(n, bytes);
          }
          if (!RdataFull(p, end)) {
            return false;
          }
          r.rdata = RdataRaw{std::move(bytes)};
          return true;
        }
        // OPT (its options), and every other type: kept as read (RFC 3597).
        r.rdata = RdataRaw{std::string(reinterpret_cast<const char*>(w_.data() + start), len)};
        return true;
      }
    }
  }

  std::span<const std::uint8_t> w_;
  DecodeLimits limits_;
  std::size_t pos_ = 0;
  Diagnostic err_;
};

// ---------------------------------------------------------------------------
// Encoding.

class Encoder {
 public:
  explicit Encoder(bool compress) : compress_(compress) { nodes_.push_back(Node{}); }

  Result<std::string> Run(const Message& m) {
    const Header& h = m.header;
    PutU16(h.id, out_);
    out_ += static_cast<char>((h.qr ? 0x80 : 0) | ((h.opcode & 0x0F) << 3) | (h.aa ? 0x04 : 0) |
                              (h.tc ? 0x02 : 0) | (h.rd ? 0x01 : 0));
    out_ += static_cast<char>((h.ra ? 0x80 : 0) | (h.z ? 0x40 : 0) | (h.ad ? 0x20 : 0) |
                              (h.cd ? 0x10 : 0) | (h.rcode & 0x0F));
    const std::size_t counts[4] = {m.questions.size(), m.answers.size(), m.authority.size(),
                                   m.additional.size()};
    for (std::size_t c : counts) {
      if (c > 0xFFFF) {
        return Fail("dns.encode.too_large", out_.size(), "more than 65535 entries in a section",
                    std::to_string(c));
      }
      PutU16(static_cast<std::uint16_t>(c), out_);
    }
    for (const Question& q : m.questions) {
      if (!WriteName(q.name, true)) {
        return Failure();
      }
      PutU16(q.type, out_);
      PutU16(q.klass, out_);
    }
    for (const auto* section : {&m.answers, &m.authority, &m.additional}) {
      for (const Record& r : *section) {
        if (!WriteRecord(r)) {
          return Failure();
        }
      }
    }
    return std::move(out_);
  }

 private:
  // One suffix of a name already written: a node of the tree of suffixes,
  // keyed by (parent suffix, label) with labels matched byte for byte.
  struct Node {
    std::size_t offset = 0;  // where its first label starts
    std::size_t hops = 0;    // pointers followed reading it from there
    bool usable = false;     // offset fits a pointer
  };

  Result<std::string> Failure() { return Result<std::string>(std::move(err_)); }

  Result<std::string> Fail(std::string_view id, std::size_t offset, std::string_view message,
                           std::string detail = {}) {
    SetError(id, offset, message, std::move(detail));
    return Failure();
  }

  bool SetError(std::string_view id, std::size_t offset, std::string_view message,
                std::string detail = {}) {
    err_ = MakeDiag(id, Severity::kError, offset, message, std::move(detail));
    return false;
  }

  bool WriteName(const Name& name, bool compress) {
    for (const std::string& l : name.labels()) {
      if (l.empty() || l.size() > kMaxLabel) {
        return SetError("dns.encode.name", out_.size(), "label not 1-63 octets",
                        std::to_string(l.size()) + " octets");
      }
    }
    if (name.WireLength() > kMaxNameWire) {
      return SetError("dns.encode.name", out_.size(), "name longer than 255 octets",
                      std::to_string(name.WireLength()) + " octets");
    }
    if (!compress_ || !compress) {
      EncodeName(name, out_);
      return true;
    }
    const auto& labels = name.labels();
    const std::size_t k = labels.size();
    // ids[i]: the node of the suffix labels[i..k), for i >= matched.
    std::vector<std::size_t> ids(k + 1, 0);
    std::size_t matched = k;
    while (matched > 0) {
      auto it = children_.find({ids[matched], labels[matched - 1]});
      if (it == children_.end()) {
        break;
      }
      --matched;
      ids[matched] = it->second;
    }
    // The longest known suffix that a pointer may reach.
    std::size_t use = k;
    for (std::size_t i = matched; i < k; ++i) {
      const Node& n = nodes_[ids[i]];
      if (n.usable && n.hops + 1 < kMaxEncodeHops) {
        use = i;
        break;
      }
    }
    const std::size_t hops = use < k ? nodes_[ids[use]].hops + 1 : 0;
    std::vector<std::size_t> at(use);
    for (std::size_t j = 0; j < use; ++j) {
      at[j] = out_.size();
      out_ += static_cast<char>(labels[j].size());
      out_ += labels[j];
    }
    if (use < k) {
      PutU16(static_cast<std::uint16_t>(0xC000 | nodes_[ids[use]].offset), out_);
    } else {
      out_ += '\0';
    }
    // Record the suffixes just written, innermost first.
    for (std::size_t j = use; j-- > 0;) {
      if (j < matched) {
        ids[j] = nodes_.size();
        nodes_.push_back(Node{});
        children_.emplace(std::make_pair(ids[j + 1], labels[j]), ids[j]);
      }
      Node& n = nodes_[ids[j]];
      if (at[j] <= kMaxPointerTarget && (!n.usable || hops < n.hops)) {
        n.offset = at[j];
        n.hops = hops;
        n.usable = true;
      }
    }
    return true;
  }

  bool WriteTxt(const RdataTxt& t) {
    for (const std::string& s : t.strings) {
      if (s.size() > 255) {
        return SetError("dns.encode.txt", out_.size(), "character-string over 255 octets",
                        std::to_string(s.size()) + " octets");
      }
      out_ += static_cast<char>(s.size());
      out_ += s;
    }
    return true;
  }

  bool WriteRdata(const Record& r) {
    const bool compress = CompressibleRdata(r.type);
    if (const auto* raw = std::get_if<RdataRaw>(&r.rdata)) {
      out_ += raw->bytes;
    } else if (const auto* a = std::get_if<RdataA>(&r.rdata)) {
      out_.append(reinterpret_cast<const char*>(a->address.data()), a->address.size());
    } else if (const auto* aaaa = std::get_if<RdataAaaa>(&r.rdata)) {
      out_.append(reinterpret_cast<const char*>(aaaa->address.data()), aaaa->address.size());
    } else if (const auto* n = std::get_if<RdataName>(&r.rdata)) {
      return WriteName(n->name, compress);
    } else if (const auto* mx = std::get_if<RdataMx>(&r.rdata)) {
      PutU16(mx->preference, out_);
      return WriteName(mx->exchange, compress);
    } else if (const auto* txt = std::get_if<RdataTxt>(&r.rdata)) {
      return WriteTxt(*txt);
    } else if (const auto* soa = std::get_if<RdataSoa>(&r.rdata)) {
      if (!WriteName(soa->mname, compress) || !WriteName(soa->rname, compress)) {
        return false;
      }
      for (std::uint32_t v : {soa->serial, soa->refresh, soa->retry, soa->expire, soa->minimum}) {
        PutU32(v, out_);
      }
    }
    return true;
  }

  bool WriteRecord(const Record& r) {
    if (!WriteName(r.name, true)) {
      return false;
    }
    PutU16(r.type, out_);
    PutU16(r.klass, out_);
    PutU32(r.ttl, out_);
    const std::size_t rdlength_at = out_.size();
    PutU16(0, out_);
    if (!WriteRdata(r)) {
      return false;
    }
    const std::size_t len = out_.size() - rdlength_at - 2;
    if (len > 0xFFFF) {
      return SetError("dns.encode.too_large", rdlength_at + 2, "RDATA over 65535 octets",
                      std::to_string(len) + " octets");
    }
    out_[rdlength_at] = static_cast<char>(len >> 8);
    out_[rdlength_at + 1] = static_cast<char>(len & 0xFF);
    return true;
  }

  bool compress_;
  std::string out_;
  std::vector<Node> nodes_;  // [0] is the root
  std::map<std::pair<std::size_t, std::string>, std::size_t> children_;
  Diagnostic err_;
};

}  // namespace

// ---------------------------------------------------------------------------
// Name.

Result<Name> Name::Parse(std::string_view text) { return Read(text, true); }

Result<Name> Name::FromDotted(std::string_view text) { return Read(text, false); }

Result<Name> Name::Read(std::string_view text, bool escapes) {
  Name name;
  if (text.empty() || text == ".") {
    return name;
  }
  std::size_t wire = 1;
  std::string label;
  std::size_t label_start = 0;
  auto finish_label = [&]() -> std::optional<Diagnostic> {
    wire += 1 + label.size();
    if (wire > kMaxNameWire) {
      return MakeDiag("dns.name.too_long", Severity::kError, label_start,
                      "name longer than 255 octets in wire form (RFC 1035 §2.3.4)",
                      std::to_string(wire) + " octets");
    }
    name.labels_.push_back(std::move(label));
    label.clear();
    return std::nullopt;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '.') {
      if (label.empty()) {
        return MakeDiag("dns.name.empty_label", Severity::kError, i, "empty label");
      }
      if (auto d = finish_label()) {
        return std::move(*d);
      }
      ++i;
      label_start = i;
      continue;
    }
    char byte = c;
    if (c == '\\' && escapes) {
      // RFC 1035 §5.1: \DDD is the octet DDD (decimal), \X is X.
      if (i + 1 >= text.size()) {
        return MakeDiag("dns.name.syntax", Severity::kError, i, "'\\' at the end of the name");
      }
      if (IsDigit(text[i + 1])) {
        if (i + 3 >= text.size() || !IsDigit(text[i + 2]) || !IsDigit(text[i + 3])) {
          return MakeDiag("dns.name.syntax", Severity::kError, i,
                          "\\DDD escape needs three decimal digits");
        }
        const int v = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
        if (v > 255) {
          return MakeDiag("dns.name.syntax", Severity::kError, i, "\\DDD escape above 255",
                          std::string(text.substr(i, 4)));
        }
        byte = static_cast<char>(v);
        i += 4;
      } else {
        byte = text[i + 1];
        i += 2;
      }
    } else {
      ++i;
    }
    label += byte;
    if (label.size() > kMaxLabel) {
      return MakeDiag("dns.name.label_too_long", Severity::kError, label_start,
                      "label longer than 63 octets (RFC 1035 §2.3.4)");
    }
  }
  if (!label.empty()) {
    if (auto d = finish_label()) {
      return std::move(*d);
    }
  }
  return name;
}

std::size_t Name::WireLength() const {
  std::size_t n = 1;
  for (const auto& l : labels_) {
    n += 1 + l.size();
  }
  return n;
}

std::string Name::ToString() const {
  if (labels_.empty()) {
    return ".";
  }
  std::string out;
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    if (i > 0) {
      out += '.';
    }
    for (char ch : labels_[i]) {
      const auto c = static_cast<unsigned char>(ch);
      // RFC 1035 §5.1: the special characters as \X, what is not
      // printable (space included) as \DDD, the rest as is ('*' of a
      // wildcard, '_', '/' ...).
      if (std::string_view(".\\\"();@$").find(ch) != std::string_view::npos) {
        out += '\\';
        out += ch;
      } else if (c > 0x20 && c < 0x7f) {
        out += ch;
      } else {
        AppendDecimal3(c, out);
      }
    }
  }
  return out;
}

bool Name::IsSubdomainOf(const Name& other) const {
  if (other.labels_.size() > labels_.size()) {
    return false;
  }
  const std::size_t skip = labels_.size() - other.labels_.size();
  for (std::size_t i = 0; i < other.labels_.size(); ++i) {
    if (!LabelEqual(labels_[skip + i], other.labels_[i])) {
      return false;
    }
  }
  return true;
}

Name Name::Folded() const {
  Name out = *this;
  for (auto& l : out.labels_) {
    for (char& c : l) {
      c = static_cast<char>(Fold(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

bool Name::operator==(const Name& o) const {
  return labels_.size() == o.labels_.size() && IsSubdomainOf(o);
}

bool Name::operator<(const Name& o) const {
  const std::size_t a = labels_.size();
  const std::size_t b = o.labels_.size();
  for (std::size_t i = 1; i <= std::min(a, b); ++i) {
    const int c = CompareLabel(labels_[a - i], o.labels_[b - i]);
    if (c != 0) {
      return c < 0;
    }
  }
  return a < b;
}

// ---------------------------------------------------------------------------
// Types, classes, rcodes.

namespace {

struct TypeName {
  std::uint16_t type;
  std::string_view name;
};

constexpr TypeName kTypeNames[] = {
    {1, "A"},      {2, "NS"},    {5, "CNAME"},  {6, "SOA"},   {10, "NULL"},   {12, "PTR"},
    {13, "HINFO"}, {15, "MX"},   {16, "TXT"},   {28, "AAAA"}, {33, "SRV"},    {39, "DNAME"},
    {41, "OPT"},   {43, "DS"},   {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"}, {50, "NSEC3"},
    {52, "TLSA"},  {64, "SVCB"}, {65, "HTTPS"}, {99, "SPF"},  {251, "IXFR"},  {252, "AXFR"},
    {255, "ANY"},  {257, "CAA"},
};

}  // namespace

std::string RrTypeName(std::uint16_t type) {
  for (const auto& t : kTypeNames) {
    if (t.type == type) {
      return std::string(t.name);
    }
  }
  return "TYPE" + std::to_string(type);  // RFC 3597 §5
}

std::optional<std::uint16_t> ParseRrType(std::string_view name) {
  for (const auto& t : kTypeNames) {
    if (t.name.size() == name.size() && LabelEqual(t.name, name)) {
      return t.type;
    }
  }
  if (name.size() > 4 && name.size() <= 9 && LabelEqual(name.substr(0, 4), "TYPE")) {
    std::uint32_t v = 0;
    for (char c : name.substr(4)) {
      if (!IsDigit(c)) {
        return std::nullopt;
      }
      v = v * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (v <= 0xFFFF) {
      return static_cast<std::uint16_t>(v);
    }
  }
  return std::nullopt;
}

std::string_view RcodeName(std::uint8_t rcode) {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v(256);
    for (std::size_t i = 0; i < v.size(); ++i) {
      v[i] = "RCODE" + std::to_string(i);
    }
    // RFC 1035 §4.1.1, RFC 2136 §2.2, RFC 6891 §9.
    const char* known[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                           "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
    for (std::size_t i = 0; i < std::size(known); ++i) {
      v[i] = known[i];
    }
    v[16] = "BADVERS";
    return v;
  }();
  return kNames[rcode];
}

// ---------------------------------------------------------------------------
// Message.

const Record* Message::Opt() const {
  const Record* found = nullptr;
  for (const Record& r : additional) {
    if (r.type == static_cast<std::uint16_t>(RrType::kOpt)) {
      if (found != nullptr) {
        return nullptr;  // RFC 6891 §6.1.1: more than one is a FORMERR
      }
      found = &r;
    }
  }
  return found;
}

std::uint16_t Message::ExtendedRcode() const {
  std::uint16_t rc = header.rcode & 0x0F;
  if (const Record* opt = Opt()) {
    // RFC 6891 §6.1.3: the upper 8 bits of the 12-bit rcode.
    rc = static_cast<std::uint16_t>(rc | (((opt->ttl >> 24) & 0xFF) << 4));
  }
  return rc;
}

Result<Message> Decode(std::span<const std::uint8_t> wire, const DecodeLimits& limits) {
  return Decoder(wire, limits).Run();
}

Result<Message> Decode(std::string_view wire, const DecodeLimits& limits) {
  return Decode(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(wire.data()),
                                              wire.size()),
                limits);
}

Result<std::string> Encode(const Message& m, const EncodeOptions& opts) {
  return Encoder(opts.compress).Run(m);
}

void EncodeName(const Name& name, std::string& out) {
  for (const std::string& l : name.labels()) {
    if (l.empty()) {
      continue;
    }
    const std::size_t n = std::min(l.size(), kMaxLabel);
    out += static_cast<char>(n);
    out.append(l, 0, n);
  }
  out += '\0';
}

Message MakeQuery(std::uint16_t id, const Name& name, std::uint16_t type,
                  std::uint16_t udp_payload) {
  Message m;
  m.header.id = id;
  m.header.rd = true;
  m.questions.push_back(Question{name, type, static_cast<std::uint16_t>(RrClass::kIn)});
  if (udp_payload != 0) {
    Record opt;  // RFC 6891 §6.1.2: root owner, CLASS = payload, TTL 0
    opt.type = static_cast<std::uint16_t>(RrType::kOpt);
    opt.klass = udp_payload;
    opt.ttl = 0;
    opt.rdata = RdataRaw{};
    m.additional.push_back(std::move(opt));
  }
  return m;
}

Message MakeResponse(const Message& query, Rcode rcode) {
  Message m;
  m.header.id = query.header.id;
  m.header.qr = true;
  m.header.opcode = query.header.opcode;
  m.header.rd = query.header.rd;
  m.header.rcode = static_cast<std::uint8_t>(rcode);
  m.questions = query.questions;
  return m;
}

namespace {

std::string Absolute(const Name& n) { return n.IsRoot() ? "." : n.ToString() + "."; }

void AppendQuoted(std::string_view s, std::string& out) {
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c >= 0x7F) {
      AppendDecimal3(c, out);
    } else {
      out += ch;
    }
  }
  out += '"';
}

}  // namespace

std::string RdataToString(const Record& r) {
  if (const auto* a = std::get_if<RdataA>(&r.rdata)) {
    const auto& b = a->address;
    return std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." +
           std::to_string(b[3]);
  }
  if (const auto* aaaa = std::get_if<RdataAaaa>(&r.rdata)) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (inet_ntop(AF_INET6, aaaa->address.data(), buf, sizeof(buf)) == nullptr) {
      return "::";  // cannot happen with a 16-octet address and this buffer
    }
    return buf;
  }
  if (const auto* n = std::get_if<RdataName>(&r.rdata)) {
    return Absolute(n->name);
  }
  if (const auto* mx = std::get_if<RdataMx>(&r.rdata)) {
    return std::to_string(mx->preference) + " " + Absolute(mx->exchange);
  }
  if (const auto* txt = std::get_if<RdataTxt>(&r.rdata)) {
    std::string out;
    for (const auto& s : txt->strings) {
      if (!out.empty()) {
        out += ' ';
      }
      AppendQuoted(s, out);
    }
    return out;
  }
  if (const auto* soa = std::get_if<RdataSoa>(&r.rdata)) {
    return Absolute(soa->mname) + " " + Absolute(soa->rname) + " " + std::to_string(soa->serial) +
           " " + std::to_string(soa->refresh) + " " + std::to_string(soa->retry) + " " +
           std::to_string(soa->expire) + " " + std::to_string(soa->minimum);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* raw = std::get_if<RdataRaw>(&r.rdata);
  const std::string_view bytes = raw != nullptr ? std::string_view(raw->bytes) : "";
  std::string out = "\\# " + std::to_string(bytes.size());  // RFC 3597 §5
  if (!bytes.empty()) {
    out += ' ';
    for (char ch : bytes) {
      const auto c = static_cast<unsigned char>(ch);
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

}  // namespace mxconform::dns
