// The DMARC policy record parser (RFC 9989 §4.7 / §4.8, RFC 7489 §6.3 /
// §6.4). One pass over a copy of the record in Record::text: the version,
// then one tag-spec per ';'. A tag is found by its first byte and length
// (no string compares per tag), and each value is checked by the rule of its
// tag as it is read, so a valid record is read once. Anything that fails a
// rule is rescanned up to its ';' to report it (a bad byte first). Two fast
// paths: the usual "mailto:local@plain.domain" report URI, with or without
// a "!size" suffix, is checked 32 bytes at a time with AVX2, 16 with SSE2
// (FastMailto), and none /
// quarantine / reject are compared in 4-byte words (Policy);
// ParseOptions::fast_paths = false sends every value through the byte loops,
// and the tests and the fuzzer compare the two. A third of the time goes to
// mispredicted branches on data (the corpus with 8 records repeated runs 35%
// faster at the same instruction count); what helps is taking those branches
// away where the data varies at random (the policy word, r or s), not where
// it follows a pattern the predictor learns. Tried and not kept, timed
// interleaved with the kept version (2026-12-02): a perfect hash for tag
// names (5% slower: the jump on the name's length is predicted well, and the
// hash's multiply delays the jump on the tag), a branch-free step over the
// first WSP (3% slower), the tag name's length without a branch (1.5%
// slower), 16-byte scans for WSP, names and ';' (30% slower), three 16-byte
// mailto: blocks without a test between them (1-2% slower). Earlier:
// classifying the whole record into bit masks up front.
// Hand-written: no library parses DMARC records into spans.
//
// Decisions (../../shared/spec/requirements.md §4.2, §4.5), cited where made:
//  - D2, D3, D27, D28: `v`, then *WSP "=" *WSP, then exactly "DMARC1", then
//    WSP, ';' or the end, or this is not a DMARC record (the same test as
//    IsDmarcRecord, so ParseRecordInto() succeeds exactly when it does).
//    "v=DMARC1 p=reject" (WSP, then no ';') is therefore a DMARC record
//    whose first tag-spec is broken (`dmarc.tag.syntax`).
//  - D21: tag names are case-sensitive; D22 / D-A4: the values of p sp np
//    adkim aspf fo t psd are not.
//  - D-A3: a repeated known tag is a syntax error in that tag (the first
//    value is dropped too): p / sp / np become invalid, others default.
//  - D5-D8, D-A1: an invalid p / sp / np, or no p: with a valid mailto: rua
//    the record requests none for everything, else it is unusable.
//  - Bytes outside %x20-7E other than HTAB make the tag-spec they are in
//    invalid (`dmarc.tag.non_printable`; in rua / ruf only the URI element
//    that holds one is dropped, `dmarc.uri.invalid`); in the version they
//    make the record not a DMARC record.
//  - Tag names are ALPHA *(ALPHA / DIGIT / "_") in both modes (RFC 6376
//    §3.2, which 7489 refers to; bis's 1*ALPHA is a subset). Unknown tags
//    with an empty value are kept; repeated unknown tags are kept, not
//    flagged: unknown tags mean nothing. ";;" (an empty tag-spec) is
//    allowed silently.
//  - fo: 7489 allows WSP around ':' and any repeats (its ABNF); bis follows
//    its ABNF (no WSP, 0 / 1 exclusive, d and s once each; D16). rf follows
//    7489's ABNF literally: Keyword *(*WSP ":" Keyword).
//  - A URI of scheme mailto that is not local@domain ("mailto:", D13's
//    "mailto:a") is a URI, kept with mailto = false, like other schemes.
#include "dmarc/record.h"

#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <utility>

#include "common/domain.h"
#include "common/host_simd.h"
#include "common/opaque.h"
#include "common/text.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace mxconform::dmarc {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;
constexpr std::uint32_t kDefaultRi = 86400;
constexpr std::string_view kSizeIgnored =
    "report size limit \"!size\" is obsolete in RFC 9989 and ignored (D11)";

// The bytes that may follow a plain mailto: URI (FastMailto): ',' ';' '!'
// and WSP, as bits of a 64-bit mask (all are below 64).
constexpr std::uint64_t kUriStop = (std::uint64_t{1} << ',') | (std::uint64_t{1} << ';') |
                                   (std::uint64_t{1} << '!') | (std::uint64_t{1} << ' ') |
                                   (std::uint64_t{1} << '\t');

// Readable bytes past the text's NUL (ParseRecordInto): FastMailto loads 64
// bytes from any position inside the text.
constexpr std::size_t kReadSlack = 64;

// Byte classes, one table lookup per byte.
enum : std::uint8_t {
  kWsp = 1,        // RFC 5234 WSP
  kAlpha = 2,      // ALPHA
  kNameChar = 4,   // tag-name after the first byte: ALPHA / DIGIT / "_" (RFC 6376 §3.2)
  kUriChar = 8,    // RFC 3986 unreserved / reserved, less "," ";" "!" (%-encoded here)
  kHexDigit = 16,  // HEXDIG, either case
  kText = 32,      // %x20-7E / HTAB: what a tag-spec may hold
  kScheme = 64,    // scheme after the first byte: ALPHA / DIGIT / "+" / "-" / "."
  kLdh = 128,      // ALPHA / DIGIT / "-" (RFC 5321 Keyword)
};

constexpr std::array<std::uint8_t, 256> MakeClasses() {
  std::array<std::uint8_t, 256> t{};
  t[' '] = kWsp | kText;
  t['\t'] = kWsp | kText;
  constexpr std::string_view kUriPunct = "-._~:/?#[]@$&'()*+=";
  for (int b = 0x21; b <= 0x7e; ++b) {
    const auto c = static_cast<char>(b);
    std::uint8_t k = kText;
    const bool alpha = text::IsAlpha(c);
    const bool digit = text::IsDigit(c);
    if (alpha) {
      k |= kAlpha;
    }
    if (alpha || digit || c == '_') {
      k |= kNameChar;
    }
    if (alpha || digit || kUriPunct.find(c) != kNpos) {
      k |= kUriChar;
    }
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      k |= kHexDigit;
    }
    if (alpha || digit || c == '+' || c == '-' || c == '.') {
      k |= kScheme;
    }
    if (alpha || digit || c == '-') {
      k |= kLdh;
    }
    t[static_cast<std::size_t>(b)] = k;
  }
  return t;
}

constexpr std::array<std::uint8_t, 256> kClass = MakeClasses();

inline std::uint8_t ClassOf(char c) { return kClass[static_cast<unsigned char>(c)]; }

// The tags, in the bit order of Parser::seen_.
enum class Tag : std::uint8_t {
  kV,
  kP,
  kSp,
  kNp,
  kAdkim,
  kAspf,
  kFo,
  kRua,
  kRuf,
  kT,    // bis
  kPsd,  // bis
  kPct,  // 7489
  kRi,   // 7489
  kRf,   // 7489
  kUnknown,
  kRemoved,  // pct, rf, ri in bis mode (D9, D26): unknown, with a note
  kBisOnly,  // t, psd in 7489 mode: unknown, with a note
};

// Which tag `name` is in `mode`: its first byte and length decide, then at
// most one fixed-size compare. Tag names are case-sensitive (D21: `P` is an
// unknown tag).
Tag Identify(const char* p, std::size_t len, bool bis) {
  switch (len) {
    case 1:
      if (p[0] == 'p') {
        return Tag::kP;
      }
      if (p[0] == 'v') {
        return Tag::kV;
      }
      if (p[0] == 't') {
        return bis ? Tag::kT : Tag::kBisOnly;
      }
      return Tag::kUnknown;
    case 2:
      switch (p[0]) {
        case 's':
          return p[1] == 'p' ? Tag::kSp : Tag::kUnknown;
        case 'n':
          return p[1] == 'p' ? Tag::kNp : Tag::kUnknown;  // RFC 9091: both modes
        case 'f':
          return p[1] == 'o' ? Tag::kFo : Tag::kUnknown;
        case 'r':
          if (p[1] == 'i') {
            return bis ? Tag::kRemoved : Tag::kRi;
          }
          if (p[1] == 'f') {
            return bis ? Tag::kRemoved : Tag::kRf;
          }
          return Tag::kUnknown;
        default:
          return Tag::kUnknown;
      }
    case 3:
      if (p[0] == 'r' && p[1] == 'u') {
        return p[2] == 'a' ? Tag::kRua : p[2] == 'f' ? Tag::kRuf : Tag::kUnknown;
      }
      if (p[0] == 'p') {
        if (p[1] == 'c' && p[2] == 't') {
          return bis ? Tag::kRemoved : Tag::kPct;
        }
        if (p[1] == 's' && p[2] == 'd') {
          return bis ? Tag::kPsd : Tag::kBisOnly;
        }
      }
      return Tag::kUnknown;
    case 4:
      return std::memcmp(p, "aspf", 4) == 0 ? Tag::kAspf : Tag::kUnknown;
    case 5:
      return std::memcmp(p, "adkim", 5) == 0 ? Tag::kAdkim : Tag::kUnknown;
    default:
      return Tag::kUnknown;
  }
}

// The eight most common tag names with their '=' right after them, in the
// order of how common they are, compared as one little-endian word each
// (adding ri, np and rf, the next three, measured no faster).
struct NameWord {
  Tag tag;
  std::uint8_t len;  // of the name; 0: not one of them
};
constexpr std::uint64_t WordOf(std::string_view s) {
  std::uint64_t w = 0;
  for (std::size_t k = 0; k < s.size(); ++k) {
    w |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[k])) << (8 * k);
  }
  return w;
}

// The tag whose name and '=' start the 8 bytes at `p` (readable: the text
// keeps kReadSlack bytes past its end), if it is one of the usual ones. This
// replaces the byte loop over the name, whose end varies from tag to tag,
// and Identify's jumps on the name's length and first byte with one chain
// of tests, which the jump on the tag in Dispatch then follows.
inline NameWord IdentifyWord(const char* p, bool bis) {
  if constexpr (std::endian::native != std::endian::little) {
    return {Tag::kUnknown, 0};
  }
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  auto is = [w](std::string_view name) {
    const std::uint64_t mask = (std::uint64_t{1} << (8 * name.size())) - 1;
    return (w & mask) == WordOf(name);
  };
  if (is("p=")) {
    return {Tag::kP, 1};
  }
  if (is("rua=")) {
    return {Tag::kRua, 3};
  }
  if (is("ruf=")) {
    return {Tag::kRuf, 3};
  }
  if (is("adkim=")) {
    return {Tag::kAdkim, 5};
  }
  if (is("sp=")) {
    return {Tag::kSp, 2};
  }
  if (is("aspf=")) {
    return {Tag::kAspf, 4};
  }
  if (is("pct=")) {
    return {bis ? Tag::kRemoved : Tag::kPct, 3};
  }
  if (is("fo=")) {
    return {Tag::kFo, 2};
  }
  return {Tag::kUnknown, 0};
}

// `len` bytes at `p`, all ALPHA, equal `lower` ignoring case (D22, D-A4).
inline bool AlphaEquals(const char* p, std::size_t len, std::string_view lower) {
  if (len != lower.size()) {
    return false;
  }
  for (std::size_t k = 0; k < len; ++k) {
    if (static_cast<char>(p[k] | 0x20) != lower[k]) {
      return false;
    }
  }
  return true;
}

// none / quarantine / reject, any case, from an ALPHA run.
inline bool ParseDisposition(const char* p, std::size_t len, Disposition& out) {
  switch (len) {
    case 4:
      out = Disposition::kNone;
      return AlphaEquals(p, len, "none");
    case 6:
      out = Disposition::kReject;
      return AlphaEquals(p, len, "reject");
    case 10:
      out = Disposition::kQuarantine;
      return AlphaEquals(p, len, "quarantine");
    default:
      return false;
  }
}

// For Parser::Policy: by the low five bits of a value's first byte, the
// policy word it may be, as three little-endian 4-byte words (lower case)
// at offsets 0, mid and len - 4. Other letters get words that match nothing
// (a byte OR 0x20 is never 0).
struct PolicyWord {
  std::uint32_t w[3] = {};
  std::uint8_t len = 4;
  std::uint8_t mid = 0;
  Disposition disposition = Disposition::kNone;
};
struct PolicyWordTable {
  PolicyWord by_letter[32];
  constexpr PolicyWordTable() {
    constexpr std::pair<std::string_view, Disposition> kWords[] = {
        {"none", Disposition::kNone},
        {"quarantine", Disposition::kQuarantine},
        {"reject", Disposition::kReject}};
    for (const auto& [word, d] : kWords) {
      PolicyWord& pw = by_letter[static_cast<unsigned char>(word[0]) & 31];
      pw.len = static_cast<std::uint8_t>(word.size());
      pw.mid = static_cast<std::uint8_t>(word.size() >= 8 ? 4 : word.size() - 4);
      const std::size_t at[3] = {0, pw.mid, word.size() - 4};
      for (int k = 0; k < 3; ++k) {
        for (std::size_t j = 0; j < 4; ++j) {
          pw.w[k] |= std::uint32_t{static_cast<unsigned char>(word[at[k] + j])} << (8 * j);
        }
      }
      pw.disposition = d;
    }
  }
};
constexpr PolicyWordTable kPolicyWords{};

struct VersionMatch {
  bool ok = false;
  std::size_t end = 0;  // after "DMARC1"
  std::size_t bad = 0;  // where it stopped matching
};

// D2, D3, D27, D28 (DM7-6.3-01, DMB-4.7-02): "v" *WSP "=" *WSP "DMARC1"
// (case-sensitive), then WSP, ';' or the end.
VersionMatch MatchVersion(std::string_view s) {
  const std::size_t n = s.size();
  if (n >= 9 && std::memcmp(s.data(), "v=DMARC1;", 9) == 0) {
    return {true, 8, 0};
  }
  if (n == 0 || s[0] != 'v') {
    return {false, 0, 0};
  }
  std::size_t i = 1;
  while (i < n && text::IsWsp(s[i])) {
    ++i;
  }
  if (i == n || s[i] != '=') {
    return {false, 0, i};
  }
  ++i;
  while (i < n && text::IsWsp(s[i])) {
    ++i;
  }
  for (char c : std::string_view("DMARC1")) {
    if (i == n || s[i] != c) {
      return {false, 0, i};
    }
    ++i;
  }
  if (i < n && s[i] != ';' && !text::IsWsp(s[i])) {
    return {false, 0, i};  // D27: "v=DMARC1p=reject"
  }
  return {true, i, 0};
}

// Message per tag for a value outside its rule; see Parser::Invalid.
std::string_view InvalidMessage(Tag tag, bool bis) {
  switch (tag) {
    case Tag::kP:
    case Tag::kSp:
      return "policy is not none, quarantine or reject: the tag is invalid (RFC 9989 §4.10.1, "
             "RFC 7489 §6.6.3)";
    case Tag::kNp:
      // RFC 7489 §6.6.3 voids a record for a bad p or sp only; np (RFC
      // 9091) is outside it, so §6.3's default applies.
      return bis ? "policy is not none, quarantine or reject: the tag is invalid (RFC 9989 "
                   "§4.10.1)"
                 : "policy is not none, quarantine or reject: np takes its default, sp or "
                   "else p (RFC 7489 §6.3, §6.6.3 voids a record for p and sp only)";
    case Tag::kAdkim:
    case Tag::kAspf:
      return "not r or s: the default r applies (D15)";
    case Tag::kFo:
      return bis ? "not a ':'-separated list of 0 or 1, d and s, each at most once (RFC 9989 "
                   "§4.8): the default 0 applies (D16)"
                 : "not a ':'-separated list of 0, 1, d and s (RFC 7489 §6.4): the default 0 "
                   "applies";
    case Tag::kT:
      return "not y or n: the default n applies (RFC 9989 §4.7)";
    case Tag::kPsd:
      return "not y, n or u: the default u applies (RFC 9989 §4.7)";
    case Tag::kPct:
      return "not an integer 0-100 of 1 to 3 digits: the default 100 applies (D10)";
    case Tag::kRi:
      return "not a 32-bit unsigned integer: the default 86400 applies (D26)";
    case Tag::kRf:
      return "not a ':'-separated list of keywords: the default afrf applies (RFC 7489 §6.4)";
    default:
      return "invalid value";
  }
}

class Parser {
 public:
  Parser(const ParseOptions& opts, Record& out)
      : s_(out.text.data()),
        n_(out.text.size()),
        bis_(opts.mode == Mode::kBis),
        fast_(opts.fast_paths),
        out_(out) {}

  bool Run() {
    const VersionMatch v = MatchVersion(std::string_view(s_, n_));
    if (!v.ok) {
      out_.diagnostics.push_back(MakeDiag(
          "dmarc.record.version", Severity::kError, v.bad,
          "not a DMARC record: it does not start with \"v=DMARC1\" followed by ';', white space "
          "or the end (RFC 9989 §4.7, RFC 7489 §6.3; D2, D3, D27, D28)",
          text::Printable(std::string_view(s_, n_), 16)));
      return false;
    }
    seen_ = Bit(Tag::kV);
    std::size_t i = SkipWsp(v.end);
    if (i < n_ && s_[i] != ';') {
      // "v=DMARC1 p=reject": white space, then no ';'. IsDmarcRecord()
      // accepts it (discovery keeps it), so it is a DMARC record whose
      // first tag-spec is broken.
      i = BadSpec(i, i, "dmarc.tag.syntax", "expected ';' after \"v=DMARC1\"");
    }
    // Invariant: i == n_ or s_[i] == ';'.
    while (i < n_) {
      i = SkipWsp(i + 1);  // D4: *WSP ";" *WSP
      if (i == n_) {
        break;  // D1: a final ';'
      }
      if (s_[i] == ';') {
        continue;  // an empty tag-spec (";;"): allowed
      }
      i = TagSpec(i);
    }
    Finish();
    return true;
  }

 private:
  static constexpr std::uint32_t Bit(Tag t) { return 1u << static_cast<unsigned>(t); }

  // The scanning loops need no bounds check: s_ is the data of a
  // std::string, so s_[n_] is a NUL, which is in no class.
  std::size_t SkipWsp(std::size_t i) const {
    while ((ClassOf(s_[i]) & kWsp) != 0) {
      ++i;
    }
    return i;
  }

  // The ';' at or after `i`, or n_.
  std::size_t FindSemicolon(std::size_t i) const {
    if (i >= n_) {
      return n_;
    }
    const void* p = std::memchr(s_ + i, ';', n_ - i);
    return p == nullptr ? n_ : static_cast<std::size_t>(static_cast<const char*>(p) - s_);
  }

  // `end` less trailing WSP, not before `from` (D29).
  std::size_t TrimEnd(std::size_t from, std::size_t end) const {
    while (end > from && text::IsWsp(s_[end - 1])) {
      --end;
    }
    return end;
  }

  // Where a value that stopped at `k` ends: the ';' or n_ after optional
  // WSP, or kNpos if more of the value follows (it is then invalid).
  std::size_t ValueEnd(std::size_t k) const {
    k = SkipWsp(k);
    // Whether the tag is the record's last varies at random: one test.
    return Opaque(static_cast<unsigned>(k == n_) | static_cast<unsigned>(s_[k] == ';')) != 0
               ? k
               : kNpos;
  }

  // The first byte in [from, to) that no tag-spec may hold, or kNpos.
  std::size_t FindBadByte(std::size_t from, std::size_t to) const {
    for (std::size_t k = from; k < to; ++k) {
      if ((ClassOf(s_[k]) & kText) == 0) {
        return k;
      }
    }
    return kNpos;
  }

  std::string Detail(std::size_t from, std::size_t to) const {
    return text::Printable(std::string_view(s_ + from, to - from), 48);
  }

  // Diagnostics are built in place: bis mode notes pct and every "!size"
  // suffix, in half the records of a usual corpus, and a temporary
  // Diagnostic moved in cost about 70 instructions more each.
  Diagnostic& Add(std::string_view id, Severity severity, std::size_t at,
                  std::string_view message) {
    Diagnostic& d = out_.diagnostics.emplace_back();
    d.id = id;
    d.severity = severity;
    d.offset = static_cast<std::uint32_t>(at);
    d.message = message;
    return d;
  }
  void Warn(std::string_view id, std::size_t at, std::string_view message,
            std::string detail = {}) {
    Add(id, Severity::kWarning, at, message).detail = std::move(detail);
  }
  void Note(std::string_view id, std::size_t at, std::string_view message) {
    Add(id, Severity::kInfo, at, message);
  }

  // A tag-spec from `start` that is not name=value, broken at `at`: skipped
  // to its ';' with one warning, `id` or, if it holds a bad byte,
  // dmarc.tag.non_printable there. Returns the ';' or n_.
  std::size_t BadSpec(std::size_t start, std::size_t at, std::string_view id,
                      std::string_view message) {
    const std::size_t end = FindSemicolon(at);
    if (!NonPrintable(start, end)) {
      Warn(id, at, message, Detail(start, TrimEnd(start, end)));
    }
    return end;
  }

  // Records dmarc.tag.non_printable and returns true if [start, end) holds
  // a byte outside %x20-7E / HTAB.
  bool NonPrintable(std::size_t start, std::size_t end) {
    const std::size_t bad = FindBadByte(start, end);
    if (bad == kNpos) {
      return false;
    }
    Warn("dmarc.tag.non_printable", bad,
         "control or non-ASCII byte in a tag: the tag is invalid (RFC 9989 §4.8 dmarc-value)",
         Detail(bad, bad + 1));
    return true;
  }

  // Parses the tag-spec at `start` (not WSP, not ';'). Returns the ';'
  // that ends it, or n_.
  std::size_t TagSpec(std::size_t start) {
    if (fast_) {
      const NameWord w = IdentifyWord(s_ + start, bis_);
      if (w.len != 0) {
        return Dispatch(w.tag, start, start + w.len, start + w.len);
      }
    }
    if ((ClassOf(s_[start]) & kAlpha) == 0) {
      return BadSpec(start, start, "dmarc.tag.syntax",
                     "a tag-spec is name=value and the name starts with a letter");
    }
    std::size_t name_end = start + 1;
    while ((ClassOf(s_[name_end]) & kNameChar) != 0) {
      ++name_end;
    }
    const std::size_t eq = SkipWsp(name_end);
    if (eq == n_ || s_[eq] != '=') {
      return BadSpec(start, eq, "dmarc.tag.syntax", "expected '=' after the tag name");
    }
    return Dispatch(Identify(s_ + start, name_end - start, bis_), start, name_end, eq);
  }

  // The tag `tag` whose name is [start, name_end) and whose '=' is at `eq`.
  std::size_t Dispatch(Tag tag, std::size_t start, std::size_t name_end, std::size_t eq) {
    const std::size_t v = SkipWsp(eq + 1);  // D4
    if (tag < Tag::kUnknown) {
      const std::uint32_t bit = Bit(tag);
      if ((seen_ & bit) != 0) {
        return Duplicate(tag, start, name_end, v);
      }
      seen_ |= bit;
    }
    // Tests in the order of how common the tags are. GCC keeps the first two
    // (p, rua) as tests and turns the rest back into a jump table; those
    // tests in front of the jump are what measured faster (1%) than one
    // jump for every tag, which come in random order.
    if (tag == Tag::kP) {
      if (!bis_ && tag_before_p_) {
        // RFC 7489 §6.3: "v" and "p" MUST appear in that order, and the
        // §6.4 ABNF puts p right after v (RFC 9989 drops the rule). A
        // publisher's error that receivers forgive: a warning.
        Warn("dmarc.tag.p_not_second", start,
             "p is not the tag right after v, where RFC 7489 §6.3 and §6.4 put it");
      }
      return Policy(tag, start, v, out_.p, out_.p_invalid);
    }
    tag_before_p_ = true;
    if (tag == Tag::kRua) {
      return UriList(v, out_.rua);
    }
    if (tag == Tag::kRuf) {
      return UriList(v, out_.ruf);
    }
    if (tag == Tag::kAdkim) {
      return RorS(tag, start, v, out_.adkim);
    }
    if (tag == Tag::kAspf) {
      return RorS(tag, start, v, out_.aspf);
    }
    if (tag == Tag::kSp) {
      return Policy(tag, start, v, out_.sp, out_.sp_invalid);
    }
    if (tag == Tag::kFo) {
      return Fo(start, v);
    }
    if (tag == Tag::kPct) {
      return Pct(start, v);
    }
    if (tag == Tag::kNp) {
      return Policy(tag, start, v, out_.np, out_.np_invalid);
    }
    if (tag == Tag::kRi) {
      return Ri(start, v);
    }
    if (tag == Tag::kRf) {
      return Rf(start, v);
    }
    if (tag == Tag::kT) {
      return YesNo(start, v);
    }
    if (tag == Tag::kPsd) {
      return PsdTag(start, v);
    }
    // v (always a repeat: seen_ starts with it), unknown, removed, bis-only
    return Unknown(tag, start, name_end, v);
  }

  // D-A3 (strict reading, D20): a repeated tag is a syntax error in that
  // tag. The first value is dropped as well: p / sp / np become invalid
  // (then the D6-D8 rule), the others take their defaults; a repeated rua
  // or ruf leaves no URIs of either.
  std::size_t Duplicate(Tag tag, std::size_t start, std::size_t name_end, std::size_t v) {
    Warn("dmarc.tag.duplicate", start,
         "tag given more than once: a syntax error in that tag (D20, D-A3); p, sp and np become "
         "invalid, other tags take their defaults",
         Detail(start, name_end));
    switch (tag) {
      case Tag::kP:
        InvalidatePolicy(start, "p", out_.p, out_.p_invalid);
        break;
      case Tag::kSp:
        InvalidatePolicy(start, "sp", out_.sp, out_.sp_invalid);
        break;
      case Tag::kNp:
        InvalidatePolicy(start, "np", out_.np, out_.np_invalid);
        break;
      case Tag::kAdkim:
        out_.adkim = Alignment::kRelaxed;
        break;
      case Tag::kAspf:
        out_.aspf = Alignment::kRelaxed;
        break;
      case Tag::kFo:
        out_.fo = kFo0;
        break;
      case Tag::kRua:
        out_.rua.clear();
        break;
      case Tag::kRuf:
        out_.ruf.clear();
        break;
      case Tag::kT:
        out_.t = false;
        break;
      case Tag::kPsd:
        out_.psd = Psd::kUnknown;
        break;
      case Tag::kPct:
        out_.pct = 100;
        out_.has_pct = false;
        break;
      case Tag::kRi:
        out_.ri = kDefaultRi;
        break;
      default:  // v (the version stands), rf (not kept)
        break;
    }
    return FindSemicolon(v);
  }

  void InvalidatePolicy(std::size_t start, std::string_view name, std::optional<Disposition>& field,
                        bool& invalid) {
    field.reset();
    if (!bis_ && name == "np") {
      return;  // 7489: not a record-voiding error (see InvalidMessage)
    }
    invalid = true;
    if (bad_policy_at_ == kNpos) {
      bad_policy_at_ = start;
      bad_policy_name_ = name;
    }
  }

  // A value of `tag` that fails its rule: from `v`, stopped at `k` (where
  // its end, `end`, is known unless kNpos). Warns (dmarc.tag.invalid_value,
  // or dmarc.tag.non_printable) and returns the ';' or n_.
  std::size_t Invalid(Tag tag, std::size_t start, std::size_t v, std::size_t k, std::size_t end) {
    if (end == kNpos) {
      end = FindSemicolon(k);
    }
    if (!NonPrintable(start, end)) {
      Warn("dmarc.tag.invalid_value", v, InvalidMessage(tag, bis_), Detail(start, TrimEnd(v, end)));
    }
    return end;
  }

  // The run of ALPHA at `v`.
  std::size_t AlphaRun(std::size_t v) const {
    while ((ClassOf(s_[v]) & kAlpha) != 0) {
      ++v;
    }
    return v;
  }

  // p, sp, np (D7, D8, D22): none / quarantine / reject, any case; empty or
  // anything else makes the tag invalid (see Finish).
  std::size_t Policy(Tag tag, std::size_t start, std::size_t v, std::optional<Disposition>& field,
                     bool& invalid) {
    if (fast_) {
      // The usual values, none / quarantine / reject in any case, without a
      // branch on which (the words vary at random from record to record,
      // and the byte loops below mispredicted where each one ends): the
      // first letter picks the word, three 4-byte loads cover it, and
      // ValueEnd() checks what follows. Anything else, or a big-endian
      // machine (the words never match there), takes the general path.
      const PolicyWord& pw = kPolicyWords.by_letter[static_cast<unsigned char>(s_[v]) & 31];
      if (v + pw.len <= n_) {
        std::uint32_t a;
        std::uint32_t b;
        std::uint32_t c;
        std::memcpy(&a, s_ + v, 4);
        std::memcpy(&b, s_ + v + pw.mid, 4);
        std::memcpy(&c, s_ + v + pw.len - 4, 4);
        const std::uint32_t diff = ((a | 0x20202020u) ^ pw.w[0]) | ((b | 0x20202020u) ^ pw.w[1]) |
                                   ((c | 0x20202020u) ^ pw.w[2]);
        if (diff == 0) {
          const std::size_t end = ValueEnd(v + pw.len);
          if (end != kNpos) {
            field = pw.disposition;
            return end;
          }
        }
      }
    }
    const std::size_t w = AlphaRun(v);
    const std::size_t end = ValueEnd(w);
    Disposition d = Disposition::kNone;
    if (end != kNpos && ParseDisposition(s_ + v, w - v, d)) {
      field = d;
      return end;
    }
    InvalidatePolicy(start, tag == Tag::kP ? "p" : tag == Tag::kSp ? "sp" : "np", field, invalid);
    return Invalid(tag, start, v, w, end);
  }

  // The one-letter value at `v` (lower-cased) if the value is one ALPHA,
  // else 0; `end` gets the ';' / n_ after it, or kNpos.
  char Letter(std::size_t v, std::size_t& end) const {
    const std::size_t w = AlphaRun(v);
    end = ValueEnd(w);
    return (end != kNpos && w == v + 1) ? text::ToLower(s_[v]) : '\0';
  }

  // adkim, aspf: r / s, any case; else the default r (D15).
  std::size_t RorS(Tag tag, std::size_t start, std::size_t v, Alignment& field) {
    std::size_t end = kNpos;
    const char c = Letter(v, end);
    // One test of r-or-s, not one each: r and s come at random.
    if (Opaque(static_cast<unsigned>(c == 'r') | static_cast<unsigned>(c == 's')) != 0) {
      field = c == 's' ? Alignment::kStrict : Alignment::kRelaxed;
      return end;
    }
    field = Alignment::kRelaxed;
    return Invalid(tag, start, v, v, end);
  }

  // t (bis, D18): y / n; else the default n.
  std::size_t YesNo(std::size_t start, std::size_t v) {
    std::size_t end = kNpos;
    const char c = Letter(v, end);
    if (c == 'y' || c == 'n') {
      out_.t = c == 'y';
      return end;
    }
    out_.t = false;
    return Invalid(Tag::kT, start, v, v, end);
  }

  // psd (bis, D19): y / n / u; else the default u.
  std::size_t PsdTag(std::size_t start, std::size_t v) {
    std::size_t end = kNpos;
    const char c = Letter(v, end);
    if (c == 'y' || c == 'n' || c == 'u') {
      out_.psd = c == 'y' ? Psd::kYes : c == 'n' ? Psd::kNo : Psd::kUnknown;
      return end;
    }
    out_.psd = Psd::kUnknown;
    return Invalid(Tag::kPsd, start, v, v, end);
  }

  // fo (D16, D17). 7489 §6.4: ("0" / "1" / "d" / "s") *(*WSP ":" *WSP (...)),
  // repeats allowed. bis §4.8: ':' with no WSP, 0 and 1 exclusive, d and s
  // at most once each. Letters in any case (D-A4). Else the default 0.
  std::size_t Fo(std::size_t start, std::size_t v) {
    std::uint8_t bits = 0;
    bool repeat = false;
    bool ok = true;
    std::size_t k = v;
    while (true) {
      std::uint8_t b = 0;
      if (k < n_) {
        switch (s_[k]) {
          case '0':
            b = kFo0;
            break;
          case '1':
            b = kFo1;
            break;
          case 'd':
          case 'D':
            b = kFoD;
            break;
          case 's':
          case 'S':
            b = kFoS;
            break;
          default:
            break;
        }
      }
      if (b == 0) {
        ok = false;
        break;
      }
      repeat |= (bits & b) != 0;
      bits |= b;
      ++k;
      const std::size_t j = bis_ ? k : SkipWsp(k);
      if (j < n_ && s_[j] == ':') {
        k = bis_ ? j + 1 : SkipWsp(j + 1);
        continue;
      }
      break;
    }
    const std::size_t end = ok ? ValueEnd(k) : kNpos;
    if (end != kNpos && !(bis_ && (repeat || (bits & (kFo0 | kFo1)) == (kFo0 | kFo1)))) {
      out_.fo = bits;
      return end;
    }
    out_.fo = kFo0;
    return Invalid(Tag::kFo, start, v, k, end);
  }

  // The run of DIGIT at `v`.
  std::size_t DigitRun(std::size_t v) const {
    while (text::IsDigit(s_[v])) {
      ++v;
    }
    return v;
  }

  // pct (7489, D9, D10): 1*3DIGIT, 0..100; else the default 100.
  std::size_t Pct(std::size_t start, std::size_t v) {
    const std::size_t w = DigitRun(v);
    const std::size_t end = ValueEnd(w);
    std::uint64_t value = 0;
    if (end != kNpos && text::ParseDecimal(std::string_view(s_ + v, w - v), 3, value) &&
        value <= 100) {
      out_.pct = static_cast<std::uint8_t>(value);
      out_.has_pct = true;
      return end;
    }
    out_.pct = 100;
    out_.has_pct = false;
    return Invalid(Tag::kPct, start, v, w, end);
  }

  // ri (7489, D26): 1*DIGIT that fits 32 bits (leading zeros allowed); else
  // the default 86400.
  std::size_t Ri(std::size_t start, std::size_t v) {
    const std::size_t w = DigitRun(v);
    const std::size_t end = ValueEnd(w);
    std::size_t first = v;
    while (first + 1 < w && s_[first] == '0') {
      ++first;
    }
    std::uint64_t value = 0;
    if (end != kNpos && w > v &&
        text::ParseDecimal(std::string_view(s_ + first, w - first), 10, value) &&
        value <= std::numeric_limits<std::uint32_t>::max()) {
      out_.ri = static_cast<std::uint32_t>(value);
      return end;
    }
    out_.ri = kDefaultRi;
    return Invalid(Tag::kRi, start, v, w, end);
  }

  // rf (7489 §6.4): Keyword *(*WSP ":" Keyword), Keyword = RFC 5321 Ldh-str
  // (the ABNF allows no WSP after ':'). Checked, not kept (afrf is the only
  // format); a bad list warns.
  std::size_t Rf(std::size_t start, std::size_t v) {
    std::size_t k = v;
    bool ok = true;
    while (true) {
      const std::size_t kw = k;
      while ((ClassOf(s_[k]) & kLdh) != 0) {
        ++k;
      }
      if (k == kw || s_[k - 1] == '-') {
        ok = false;
        break;
      }
      const std::size_t j = SkipWsp(k);
      if (j < n_ && s_[j] == ':') {
        k = j + 1;
        continue;
      }
      break;
    }
    const std::size_t end = ok ? ValueEnd(k) : kNpos;
    if (end != kNpos) {
      return end;
    }
    return Invalid(Tag::kRf, start, v, k, end);
  }

  // D25 (DM7-6.3-02, DMB-4.7-01): an unknown tag is ignored, kept in
  // `unknown`; in bis mode pct, rf and ri are unknown (D9, D26), in 7489
  // mode t and psd, each with a note. A repeated v is dropped.
  std::size_t Unknown(Tag tag, std::size_t start, std::size_t name_end, std::size_t v) {
    std::size_t end = v;
    std::size_t bad = kNpos;
    while (end < n_ && s_[end] != ';') {
      if ((ClassOf(s_[end]) & kText) == 0 && bad == kNpos) {
        bad = end;
      }
      ++end;
    }
    if (bad != kNpos) {
      NonPrintable(bad, bad + 1);
      return end;
    }
    if (tag == Tag::kRemoved) {
      Note("dmarc.tag.removed", start,
           "tag removed by RFC 9989 (pct, rf, ri): ignored as an unknown tag (D9, D26)");
    } else if (tag == Tag::kBisOnly) {
      Note("dmarc.tag.not_in_7489", start,
           "tag defined by RFC 9989 only (t, psd): ignored as an unknown tag in RFC 7489 mode");
    }
    const std::size_t vend = TrimEnd(v, end);  // D29
    out_.unknown.push_back(UnknownTag{
        TextSpan{static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(name_end - start)},
        TextSpan{static_cast<std::uint32_t>(v), static_cast<std::uint32_t>(vend - v)}});
    return end;
  }

  // The ',' or ';' at or after `k`, or n_: the end of a URI element.
  std::size_t ElementEnd(std::size_t k) const {
    while (k < n_ && s_[k] != ',' && s_[k] != ';') {
      ++k;
    }
    return k;
  }

#if defined(__SSE2__)
  // FastMailto's classes of the 64 bytes from p, bit k for p[k]: the host
  // classes (common/host_simd.h) and `extra`, the other bytes a plain
  // mailto: URI may hold ('@', ':', '_', '+'). The SSE2 loop stops after the
  // block with the first byte that is in neither.
#if defined(__AVX2__)
  // Both 32-byte blocks are classified without a test between them: where a
  // URI ends varies from record to record, and a branch on it after the
  // first block cost more than the second block (3%, 2026-12-02). The text
  // has kReadSlack readable bytes past its NUL, and the NUL is not plain, so
  // the URI ends by n_ and the bytes read past it decide nothing.
  static void ClassifyMailto(const char* p, domain::HostBytes& m, std::uint64_t& extra,
                             std::uint64_t& at) {
    auto eq = [](__m256i x, char c) { return _mm256_cmpeq_epi8(x, _mm256_set1_epi8(c)); };
    for (int sh = 0; sh < 64; sh += 32) {
      domain::ClassifyHost32(p + sh, sh, m);
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + sh));
      const __m256i a = eq(x, '@');
      auto bits = [sh](__m256i mask) {
        return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(mask)))
               << sh;
      };
      extra |= bits(
          _mm256_or_si256(_mm256_or_si256(a, eq(x, ':')), _mm256_or_si256(eq(x, '_'), eq(x, '+'))));
      at |= bits(a);
    }
  }
#else
  static void ClassifyMailto(const char* p, domain::HostBytes& m, std::uint64_t& extra,
                             std::uint64_t& at) {
    auto eq = [](__m128i x, char c) { return _mm_cmpeq_epi8(x, _mm_set1_epi8(c)); };
    // As above, the NUL at n_ ends the URI, so the loop stops in the block
    // that holds it, inside the text's slack.
    for (int sh = 0; sh < 64; sh += 16) {
      domain::ClassifyHost16(p + sh, sh, m);
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + sh));
      const __m128i a = eq(x, '@');
      auto bits = [sh](__m128i mask) {
        return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(mask)))
               << sh;
      };
      extra |=
          bits(_mm_or_si128(_mm_or_si128(a, eq(x, ':')), _mm_or_si128(eq(x, '_'), eq(x, '+'))));
      at |= bits(a);
      if ((((m.ldh | m.dot | extra) >> sh) & 0xffff) != 0xffff) {
        break;  // the URI ends in this block
      }
    }
  }
#endif

  // The usual element, "mailto:" + local part + "@" + a plain LDH domain,
  // all of LDH, '.', '_', '+' and '@', ending at ',' ';' WSP or the end
  // within 64 bytes. The bytes are classified 32 at a time (AVX2) or 16 at
  // a time and the domain's label rules checked on the masks
  // (common/host_simd.h). Returns the end of the URI, or 0 for anything
  // else (then the general path decides, with the same result: the unit
  // tests and the fuzzer compare the two).
  std::size_t FastMailto(std::size_t i) const {
    const char* p = s_ + i;
    if (n_ - i < 10 || std::memcmp(p, "mailto:", 7) != 0) {
      return 0;
    }
    domain::HostBytes m;
    std::uint64_t extra = 0;
    std::uint64_t at = 0;
    ClassifyMailto(p, m, extra, at);
    return MailtoEnd(i, m.ldh | m.dot | extra, at, m);
  }

  // The end of the URI at `i` from its masks (bit k for byte i + k): the
  // plain bytes run to a ',' ';' '!' WSP or the end, hold exactly one '@' with
  // something on each side, and the domain after it is plain LDH; else 0.
  std::size_t MailtoEnd(std::size_t i, std::uint64_t plain, std::uint64_t at,
                        const domain::HostBytes& m) const {
    if (plain == ~std::uint64_t{0}) {
      return 0;  // 64 bytes or more
    }
    const auto len = static_cast<std::size_t>(std::countr_zero(~plain));
    const std::size_t end = i + len;
    // What ends a URI varies from element to element: one test, not one a byte.
    const auto c = static_cast<unsigned char>(s_[end]);
    if (Opaque(static_cast<unsigned>(end == n_) |
               (static_cast<unsigned>(c < 64) & static_cast<unsigned>(kUriStop >> (c & 63)))) ==
        0) {
      return 0;  // '%', '?', a bad byte...; a '!' is for UriList to read
    }
    at &= (std::uint64_t{1} << len) - 1;
    if (at == 0 || (at & (at - 1)) != 0) {
      return 0;  // not exactly one '@'
    }
    const auto at_pos = static_cast<std::size_t>(std::countr_zero(at));
    if (at_pos <= 7 || at_pos + 1 >= len) {
      return 0;  // empty local part or domain
    }
    // ':' is in the local part only; the domain must be plain LDH.
    if (!domain::IsPlainLdhName(domain::ShiftHostBytes(m, at_pos + 1), len - at_pos - 1)) {
      return 0;
    }
    return end;
  }
#endif

  // rua / ruf (D11-D14; DM7-6.2-01, DMB-4.8-02): URIs split on raw ','
  // with *WSP around. Each element is a URI (RFC 3986 characters, a scheme,
  // ',' and '!' %-encoded) with an optional "!" 1*DIGIT [k/m/g/t] size.
  // Invalid elements are dropped with a warning; valid URIs that are not
  // mailto: addresses are kept, marked (D14).
  std::size_t UriList(std::size_t v, std::vector<ReportUri>& list) {
    std::size_t k = v;
    while (true) {
      const std::size_t el = k;
#if defined(__SSE2__)
      if (fast_) {
        const std::size_t uri_end = FastMailto(k);
        if (uri_end != 0) {
          // A "!size" suffix (one URI in nine in a usual corpus) stays on
          // this path: the general one costs about 700 instructions a URI.
          const bool suffix = s_[uri_end] == '!';
          std::uint64_t size = 0;
          std::size_t bad = kNpos;
          std::string_view why;
          const std::size_t e = SkipWsp(suffix ? SizeSuffix(uri_end, size, bad, why) : uri_end);
          // Anything else after it, or a bad suffix: the general path
          // reports it. ';' (or the end) and ',' come at random: one test.
          const auto c = static_cast<unsigned char>(s_[e]);
          const unsigned last = static_cast<unsigned>(e == n_) | static_cast<unsigned>(c == ';');
          if (bad == kNpos && Opaque(last | static_cast<unsigned>(c == ',')) != 0) {
            if (suffix && bis_) {
              Note("dmarc.uri.size_ignored", uri_end, kSizeIgnored);
            }
            list.push_back(ReportUri{
                TextSpan{static_cast<std::uint32_t>(el), static_cast<std::uint32_t>(uri_end - el)},
                suffix && !bis_ ? std::optional<std::uint64_t>(size) : std::nullopt, suffix, true});
            if (last != 0) {
              return e;
            }
            k = SkipWsp(e + 1);
            continue;
          }
        }
      }
#endif
      std::size_t bad = kNpos;
      std::string_view why;
      while (true) {
        if ((ClassOf(s_[k]) & kUriChar) != 0) {
          ++k;
        } else if (s_[k] == '%' && (ClassOf(s_[k + 1]) & kHexDigit) != 0 &&
                   (ClassOf(s_[k + 2]) & kHexDigit) != 0) {
          k += 3;  // s_[k + 2] is read only if s_[k + 1] is not the final NUL
        } else {
          break;
        }
      }
      const std::size_t uri_end = k;
      bool suffix = false;
      std::uint64_t size = 0;
      if (k < n_ && s_[k] == '!') {
        suffix = true;
        k = SizeSuffix(k, size, bad, why);
      }
      std::size_t e = SkipWsp(k);
      if (bad == kNpos && e < n_ && s_[e] != ',' && s_[e] != ';') {
        bad = k;
        why = suffix ? std::string_view("size suffix is not \"!\" digits [k/m/g/t]")
              : (ClassOf(s_[k]) & kText) == 0
                  ? std::string_view("control or non-ASCII byte in a URI")
              : s_[k] == '%' ? std::string_view("'%' not followed by two hex digits")
                             : std::string_view(
                                   "character not allowed in a URI (RFC 3986; ',' and '!' must "
                                   "be %-encoded)");
      }
      if (bad != kNpos) {
        e = ElementEnd(e);
      }
      bool mailto = false;
      if (bad == kNpos) {
        ClassifyUri(el, uri_end, mailto, bad, why);
      }
      if (bad != kNpos) {
        Warn("dmarc.uri.invalid", bad, why, Detail(el, TrimEnd(el, e)));
      } else {
        if (suffix && bis_) {
          // D11, DMB-4.8-02: obsolete syntax, accepted; the size is ignored.
          Note("dmarc.uri.size_ignored", uri_end, kSizeIgnored);
        }
        if (!mailto) {
          // D14, DM7-6.3-05: kept, but receivers need only support mailto.
          Note("dmarc.uri.unsupported", el,
               "not a mailto: address: receivers need only support mailto: and ignore other "
               "URIs (D14)");
        }
        std::optional<std::uint64_t> max_size;
        if (suffix && !bis_) {
          max_size = size;  // DM7-6.2-01
        }
        list.push_back(ReportUri{
            TextSpan{static_cast<std::uint32_t>(el), static_cast<std::uint32_t>(uri_end - el)},
            max_size, suffix, mailto});
      }
      if (e == n_ || s_[e] == ';') {
        return e;
      }
      k = SkipWsp(e + 1);  // past ','
    }
  }

  // "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] at `k` (the '!'), any case, in
  // bytes with binary units, at most 2^64-1. Returns the end.
  std::size_t SizeSuffix(std::size_t k, std::uint64_t& size, std::size_t& bad,
                         std::string_view& why) const {
    const std::size_t d = k + 1;
    std::size_t j = d;
    std::uint64_t value = 0;
    bool overflow = false;
    while (text::IsDigit(s_[j])) {
      overflow |= __builtin_mul_overflow(value, 10u, &value) ||
                  __builtin_add_overflow(value, static_cast<unsigned>(s_[j] - '0'), &value);
      ++j;
    }
    if (j == d) {
      bad = k;
      why = "'!' not followed by a size (raw '!' must be %-encoded in a URI)";
      return j;
    }
    unsigned shift = 0;
    if (j < n_) {
      switch (text::ToLower(s_[j])) {
        case 'k':
          shift = 10;
          break;
        case 'm':
          shift = 20;
          break;
        case 'g':
          shift = 30;
          break;
        case 't':
          shift = 40;
          break;
        default:
          break;
      }
      if (shift != 0) {
        ++j;
      }
    }
    // The grammar has no upper bound, so a size past 64 bits is still a
    // size: the largest one, no limit in practice (7489); bis ignores it.
    if (overflow || value > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
      size = std::numeric_limits<std::uint64_t>::max();
      return j;
    }
    size = value << shift;
    return j;
  }

  // The scheme and, for mailto, the addr-spec of the URI [el, end), whose
  // characters are already checked. Sets `bad` / `why` if it is not a URI.
  void ClassifyUri(std::size_t el, std::size_t end, bool& mailto, std::size_t& bad,
                   std::string_view& why) const {
    if (el == end) {
      bad = el;
      why = "empty URI";
      return;
    }
    std::size_t colon = el + 6;
    if (end - el < 7 || std::memcmp(s_ + el, "mailto:", 7) != 0) {
      // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1)
      if ((ClassOf(s_[el]) & kAlpha) == 0) {
        bad = el;
        why = "URI without a scheme";
        return;
      }
      colon = el + 1;
      while (colon < end && (ClassOf(s_[colon]) & kScheme) != 0) {
        ++colon;
      }
      if (colon == end || s_[colon] != ':') {
        bad = el;
        why = "URI without a scheme";
        return;
      }
      if (colon - el != 6 || !AlphaEquals(s_ + el, 6, "mailto")) {
        return;  // a valid URI of another scheme
      }
    }
    // mailto (RFC 6068): an addr-spec, local "@" domain, then any "?hfields".
    std::size_t q = colon + 1;
    std::size_t at = kNpos;
    std::size_t ats = 0;
    for (; q < end && s_[q] != '?'; ++q) {
      if (s_[q] == '@') {
        at = q;
        ++ats;
      }
    }
    if (ats != 1 || at == colon + 1) {
      return;
    }
    domain::NameRules rules;
    rules.fast_path = fast_;
    mailto = domain::CheckName(std::string_view(s_ + at + 1, q - at - 1), rules).ok();
  }

  // D5-D8, D-A1 (DM7-6.6.3-03, DMB-4.10.1-04): an invalid p, sp or np
  // (bis; in 7489 p or sp), or no p, with a rua holding at least one
  // syntactically valid reporting URI: the record requests none for every
  // policy; without one it cannot be used.
  void Finish() {
    if (out_.p && !out_.sp_invalid && !out_.np_invalid) {
      out_.usable = true;
      out_.request = *out_.p;
      return;
    }
    const std::size_t at = bad_policy_at_ == kNpos ? n_ : bad_policy_at_;
    std::string detail(bad_policy_at_ == kNpos ? std::string_view("no p") : bad_policy_name_);
    out_.request = Disposition::kNone;
    if (out_.HasValidRua()) {
      out_.usable = true;
      Warn("dmarc.record.policy_none", at,
           "no valid p (absent or invalid), or an invalid sp or np, and a valid rua: the record "
           "requests none (D6, D7; RFC 9989 §4.10.1, RFC 7489 §6.6.3)",
           std::move(detail));
      return;
    }
    out_.usable = false;
    out_.diagnostics.push_back(MakeDiag(
        "dmarc.record.unusable", Severity::kError, at,
        "no valid p (absent or invalid), or an invalid sp or np, and no syntactically valid rua "
        "URI: no DMARC policy applies (D5, D8, D-A1; RFC 9989 §4.10.1, RFC 7489 §6.6.3)",
        std::move(detail)));
  }

  const char* s_;
  std::size_t n_;
  bool bis_;
  bool fast_;
  Record& out_;
  std::uint32_t seen_ = 0;
  bool tag_before_p_ = false;  // a tag other than v came before p (7489 order)
  std::size_t bad_policy_at_ = kNpos;
  std::string_view bad_policy_name_;
};

void Reset(Record& r, Mode mode) {
  r.mode = mode;
  r.p.reset();
  r.sp.reset();
  r.np.reset();
  r.p_invalid = r.sp_invalid = r.np_invalid = false;
  r.usable = false;
  r.request = Disposition::kNone;
  r.adkim = r.aspf = Alignment::kRelaxed;
  r.fo = kFo0;
  r.t = false;
  r.psd = Psd::kUnknown;
  r.pct = 100;
  r.ri = kDefaultRi;
  r.has_pct = false;
  r.rua.clear();
  r.ruf.clear();
  r.unknown.clear();
  r.diagnostics.clear();
}

// The length of a valid "!size" suffix at `pos` of `s` (0 if there is none).
std::size_t SuffixLength(std::string_view s, std::size_t pos) {
  if (pos >= s.size() || s[pos] != '!') {
    return 0;
  }
  std::size_t j = pos + 1;
  while (j < s.size() && text::IsDigit(s[j])) {
    ++j;
  }
  if (j == pos + 1) {
    return 0;
  }
  if (j < s.size()) {
    const char u = text::ToLower(s[j]);
    if (u == 'k' || u == 'm' || u == 'g' || u == 't') {
      ++j;
    }
  }
  return j - pos;
}

void AppendUris(const Record& r, std::string_view name, const std::vector<ReportUri>& list,
                std::string& out) {
  if (list.empty()) {
    return;
  }
  out += "; ";
  out += name;
  out += '=';
  for (std::size_t k = 0; k < list.size(); ++k) {
    if (k != 0) {
      out += ',';
    }
    const ReportUri& u = list[k];
    out += r.View(u.uri);
    if (!u.had_size_suffix) {
      continue;
    }
    // The suffix as written when the text still holds it (bis keeps no
    // size); else the size in bytes.
    const std::size_t written = SuffixLength(r.text, u.uri.pos + u.uri.len);
    if (written != 0) {
      out += std::string_view(r.text).substr(u.uri.pos + u.uri.len, written);
    } else {
      out += '!';
      out += std::to_string(u.max_size.value_or(0));
    }
  }
}

void AppendPolicy(std::string_view name, const std::optional<Disposition>& d, bool invalid,
                  std::string& out) {
  if (d) {
    out += "; ";
    out += name;
    out += '=';
    out += DispositionName(*d);
  } else if (invalid) {
    // An empty value: invalid again when parsed, so the record means the
    // same (D7, D8).
    out += "; ";
    out += name;
    out += '=';
  }
}

}  // namespace

std::string_view ModeName(Mode m) { return m == Mode::kBis ? "bis" : "7489"; }

std::string_view DispositionName(Disposition d) {
  switch (d) {
    case Disposition::kNone:
      return "none";
    case Disposition::kQuarantine:
      return "quarantine";
    case Disposition::kReject:
      return "reject";
  }
  return "none";
}

Disposition Record::SubdomainRequest() const {
  // DM7-6.3-07, DMB-4.7-04: sp, else p; none in the D6 / D7 case.
  if (!usable || !p || p_invalid || sp_invalid || np_invalid) {
    return Disposition::kNone;
  }
  return sp.value_or(*p);
}

Disposition Record::NonExistentRequest() const {
  // DMB-4.7-03: np, else sp, else p; none in the D6 / D7 case.
  if (!usable || !p || p_invalid || sp_invalid || np_invalid) {
    return Disposition::kNone;
  }
  return np.value_or(sp.value_or(*p));
}

bool Record::HasValidRua() const {
  for (const auto& u : rua) {
    // Every URI kept is syntactically valid (RFC 3986) except a mailto:
    // whose address is not an addr-spec (RFC 6068; D13's "mailto:a").
    if (u.mailto ||
        !AlphaEquals(text.data() + u.uri.pos, std::min<std::size_t>(u.uri.len, 7), "mailto:")) {
      return true;
    }
  }
  return false;
}

bool Record::HasValidRuf() const {
  for (const auto& u : ruf) {
    if (u.mailto) {
      return true;
    }
  }
  return false;
}

bool IsDmarcRecord(std::string_view txt) { return MatchVersion(txt).ok; }

bool ParseRecordInto(std::string_view text, Record& out, const ParseOptions& opts) {
  Reset(out, opts.mode);
  text::AssignWithSlack(out.text, text, kReadSlack);  // `text` may point into out.text
  if (out.text.size() > std::numeric_limits<std::uint32_t>::max()) {
    out.diagnostics.push_back(
        MakeDiag("dmarc.record.too_long", Severity::kError, 0, "record longer than 4 GiB"));
    return false;
  }
  return Parser(opts, out).Run();
}

Result<Record> ParseRecord(std::string_view text, const ParseOptions& opts) {
  Record r;
  if (!ParseRecordInto(text, r, opts)) {
    return Result<Record>::Failure(std::move(r.diagnostics));
  }
  return r;
}

std::string SerializeRecord(const Record& r) {
  std::string out = "v=DMARC1";
  AppendPolicy("p", r.p, r.p_invalid, out);
  AppendPolicy("sp", r.sp, r.sp_invalid, out);
  AppendPolicy("np", r.np, r.np_invalid, out);
  if (r.adkim == Alignment::kStrict) {
    out += "; adkim=s";
  }
  if (r.aspf == Alignment::kStrict) {
    out += "; aspf=s";
  }
  if (r.fo != kFo0) {
    out += "; fo=";
    constexpr std::pair<std::uint8_t, char> kOptions[] = {
        {kFo0, '0'}, {kFo1, '1'}, {kFoD, 'd'}, {kFoS, 's'}};
    bool first = true;
    for (const auto& [bit, c] : kOptions) {
      if ((r.fo & bit) != 0) {
        if (!first) {
          out += ':';
        }
        out += c;
        first = false;
      }
    }
  }
  if (r.t) {
    out += "; t=y";
  }
  if (r.psd != Psd::kUnknown) {
    out += r.psd == Psd::kYes ? "; psd=y" : "; psd=n";
  }
  if (r.has_pct) {
    out += "; pct=";
    out += std::to_string(r.pct);
  }
  if (r.ri != kDefaultRi) {
    out += "; ri=";
    out += std::to_string(r.ri);
  }
  AppendUris(r, "rua", r.rua, out);
  AppendUris(r, "ruf", r.ruf, out);
  for (const auto& u : r.unknown) {
    out += "; ";
    out += r.View(u.name);
    out += '=';
    out += r.View(u.value);
  }
  return out;
}

}  // namespace mxconform::dmarc
