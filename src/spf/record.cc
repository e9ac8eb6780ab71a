// The SPF record parser (RFC 7208 §4.5, §4.6, §5, §6, §7.1). The record is
// copied into a padded buffer and one pass of SIMD compares (AVX2 where the
// build targets it, SSE2 otherwise) turns it into bit masks (spaces; the
// delimiters ':' '=' '/' and '%'), so that term ends and delimiters are
// found with a shift and a count of trailing zeros. The commonest term
// shapes then take a short path with few branches (FastTerm, FastModifier):
// bare mechanisms, domain-specs with the usual macros or a CIDR length,
// ip4 and ip6 networks, redirect and exp. Everything else, and anything
// that fails those checks, goes through the general path (Term), which
// reports every error with its offset. RecordParseOptions::fast_paths =
// false sends every term through the general path (tests and the record
// fuzzer compare the two).
// Hand-written: no library parses RFC 7208 records into spans.
#include "spf/record.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <utility>

#include "common/opaque.h"
#include "common/text.h"
#include "spf/macro.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#include <immintrin.h>
#include <tmmintrin.h>
#endif

namespace mxconform::spf {
namespace {

constexpr std::string_view kVersion = "v=spf1";
constexpr std::size_t kNpos = std::string_view::npos;

// Records up to this many bytes are parsed from a copy on the stack (with
// their byte masks); longer ones from the heap.
constexpr std::size_t kStackBytes = 1024;
constexpr std::size_t kStackWords = kStackBytes / 64;
// Spaces after the copy: whole 16-byte loads and 8-byte name loads never
// leave it, and bytes past the end read as separators.
constexpr std::size_t kPadding = 64;
// Spaces before the copy: a 16-byte load that ends inside the record never
// leaves it either.
constexpr std::size_t kFrontPadding = 16;

// Byte classes for the scalar checks.
enum : std::uint8_t {
  kLdh = 1,        // ALPHA / DIGIT / "-"
  kAlphaOrHy = 2,  // ALPHA / "-": a toplabel needs one (§7.1)
  kDigit = 4,
  kNameChar = 8,  // modifier name: ALPHA / DIGIT / "-" / "_" / "." (§4.6.1)
};

struct ClassTable {
  std::uint8_t v[256] = {};
  constexpr ClassTable() {
    for (int c = 0; c < 256; ++c) {
      const auto ch = static_cast<char>(c);
      const bool alpha = text::IsAlpha(ch);
      const bool digit = text::IsDigit(ch);
      v[c] = static_cast<std::uint8_t>(
          ((alpha || digit || ch == '-') ? kLdh : 0) | ((alpha || ch == '-') ? kAlphaOrHy : 0) |
          (digit ? kDigit : 0) |
          ((alpha || digit || ch == '-' || ch == '_' || ch == '.') ? kNameChar : 0));
    }
  }
  std::uint8_t operator[](char c) const { return v[static_cast<unsigned char>(c)]; }
};
constexpr ClassTable kClass{};

// For a qualifier byte, 0x80 | the Qualifier it stands for (RFC 7208
// §4.6.2); 0 for any other byte.
struct QualifierTable {
  std::uint8_t v[256] = {};
  constexpr QualifierTable() {
    v[static_cast<unsigned char>('+')] = 0x80 | static_cast<std::uint8_t>(Qualifier::kPass);
    v[static_cast<unsigned char>('-')] = 0x80 | static_cast<std::uint8_t>(Qualifier::kFail);
    v[static_cast<unsigned char>('~')] = 0x80 | static_cast<std::uint8_t>(Qualifier::kSoftFail);
    v[static_cast<unsigned char>('?')] = 0x80 | static_cast<std::uint8_t>(Qualifier::kNeutral);
  }
};
constexpr QualifierTable kQualifier{};

// A mechanism or modifier name packed little-endian into a word, lower-case.
constexpr std::uint64_t Word(std::string_view w) {
  std::uint64_t r = 0;
  for (std::size_t k = 0; k < w.size(); ++k) {
    r |= static_cast<std::uint64_t>(static_cast<unsigned char>(w[k])) << (8 * k);
  }
  return r;
}

constexpr std::uint64_t kAllWord = Word("all");
constexpr std::uint64_t kRedirectWord = Word("redirect");
constexpr std::uint64_t kExpWord = Word("exp");

// Mechanism names by a perfect hash of their words: one multiply, one
// compare, then a jump table, instead of a tree of 64-bit compares.
constexpr std::uint64_t kNameHash = 0xc71c5cf140a980bdULL;
constexpr unsigned NameSlot(std::uint64_t word) {
  return static_cast<unsigned>((word * kNameHash) >> 61);
}
constexpr int kUnknownMechanism = 8;
struct NameTable {
  std::uint64_t word[8] = {};
  std::uint8_t kind[8] = {};
  constexpr NameTable() {
    constexpr std::pair<std::string_view, MechanismKind> kNames[] = {
        {"all", MechanismKind::kAll}, {"include", MechanismKind::kInclude},
        {"a", MechanismKind::kA},     {"mx", MechanismKind::kMx},
        {"ptr", MechanismKind::kPtr}, {"ip4", MechanismKind::kIp4},
        {"ip6", MechanismKind::kIp6}, {"exists", MechanismKind::kExists}};
    for (const auto& [name, k] : kNames) {
      word[NameSlot(Word(name))] = Word(name);
      kind[NameSlot(Word(name))] = static_cast<std::uint8_t>(k);
    }
  }
  // The MechanismKind of a lower-cased name word, or kUnknownMechanism.
  constexpr int Find(std::uint64_t w) const {
    const unsigned slot = NameSlot(w);
    return word[slot] == w ? kind[slot] : kUnknownMechanism;
  }
};
constexpr NameTable kNames{};
// The hash is perfect on the eight names (each finds its own kind).
static_assert(kNames.Find(Word("all")) == static_cast<int>(MechanismKind::kAll) &&
              kNames.Find(Word("include")) == static_cast<int>(MechanismKind::kInclude) &&
              kNames.Find(Word("a")) == static_cast<int>(MechanismKind::kA) &&
              kNames.Find(Word("mx")) == static_cast<int>(MechanismKind::kMx) &&
              kNames.Find(Word("ptr")) == static_cast<int>(MechanismKind::kPtr) &&
              kNames.Find(Word("ip4")) == static_cast<int>(MechanismKind::kIp4) &&
              kNames.Find(Word("ip6")) == static_cast<int>(MechanismKind::kIp6) &&
              kNames.Find(Word("exists")) == static_cast<int>(MechanismKind::kExists));

#if defined(__SSSE3__)
// For an ip4-network whose parts have 1-3 digits each, indexed by
// (len0 - 1) + 3 (len1 - 1) + 9 (len2 - 1) + 27 (len3 - 1): the byte
// shuffle that right-aligns part k's digits in bytes 4k..4k+2 and zeroes
// the rest (-128 selects zero), so that one multiply-add by 100, 10, 1
// gives each part's value.
struct Ip4ShuffleTable {
  alignas(16) std::int8_t m[81][16] = {};
  constexpr Ip4ShuffleTable() {
    for (int idx = 0; idx < 81; ++idx) {
      const int lens[4] = {idx % 3 + 1, idx / 3 % 3 + 1, idx / 9 % 3 + 1, idx / 27 + 1};
      int at = 0;  // where part p starts in the address
      for (int p = 0; p < 4; ++p) {
        for (int k = 0; k < 4; ++k) {
          m[idx][4 * p + k] = -128;
        }
        for (int k = 0; k < lens[p]; ++k) {
          m[idx][4 * p + 3 - lens[p] + k] = static_cast<std::int8_t>(at + k);
        }
        at += lens[p] + 1;
      }
    }
  }
};
constexpr Ip4ShuffleTable kIp4Shuffle{};
#endif

// Macro grammar bytes for FastMacro (RFC 7208 §7.1): the letters allowed in
// a domain-spec (not the explanation-only c, r, t), and the delimiters.
enum : std::uint8_t { kMacroLetter = 1, kMacroDelimiter = 2 };
struct MacroByteTable {
  std::uint8_t v[256] = {};
  constexpr MacroByteTable() {
    for (char c : std::string_view("slodiphvSLODIPHV")) {
      v[static_cast<unsigned char>(c)] |= kMacroLetter;
    }
    for (char c : std::string_view(".-+,/_=")) {
      v[static_cast<unsigned char>(c)] |= kMacroDelimiter;
    }
  }
};
constexpr MacroByteTable kMacro{};

#if defined(__SSE2__)
// Byte vectors the SIMD checks use, built once at start-up. Read from
// memory they fold into the instructions that use them; a _mm_set1_epi8()
// constant is rebuilt in each call of a function that is not inlined
// (three instructions with AVX2: the compiler prefers a broadcast).
struct VectorConstants {
  __m128i x20, before_a, after_z, after_f, before_0, after_9, hyphen, colon, dot, zero_char;
  __m128i ip4_weights;  // bytes 100, 10, 1, 0 in each 4-byte lane
  __m128i ones16;       // 16-bit lanes of 1
  __m128i x255;         // 32-bit lanes of 255
};
[[gnu::noinline]] VectorConstants MakeVectorConstants() {
  return {_mm_set1_epi8(0x20),    _mm_set1_epi8('a' - 1),     _mm_set1_epi8('z' + 1),
          _mm_set1_epi8('f' + 1), _mm_set1_epi8('0' - 1),     _mm_set1_epi8('9' + 1),
          _mm_set1_epi8('-'),     _mm_set1_epi8(':'),         _mm_set1_epi8('.'),
          _mm_set1_epi8('0'),     _mm_set1_epi32(0x00010a64), _mm_set1_epi16(1),
          _mm_set1_epi32(255)};
}
const VectorConstants kVec = MakeVectorConstants();
#endif
// The low `k` bits (k may be 64 or more: all of them).
inline std::uint64_t Low(std::size_t k) {
  // Branch-free: for k >= 64 the second term is all ones.
  return ((std::uint64_t{1} << (k & 63)) - 1) | (std::uint64_t{0} - (k >= 64 ? 1u : 0u));
}

enum MaskId : int {
  kSpaceMask,    // ' '
  kSpecialMask,  // ':' '=' '/' '%': the term delimiters of §4.6.1 and macros
  kMaskCount
};

// The byte masks of one record: bit k of word w describes byte 64 * w + k.
// Each mask has one word of padding past the record (bytes past the end
// read as spaces) so that Window() can read 8 bytes of it anywhere inside
// the record. Queries loop over windows of at least 57 bytes; a term almost
// always lies in one, so the loops run once.
class ByteMasks {
 public:
  // `p` holds the n record bytes followed by at least kPadding spaces, so
  // the last word's chunks past the record read spaces.
  ByteMasks(const char* p, std::size_t n, std::uint64_t* storage) : words_((n + 63) / 64) {
    for (int c = 0; c < kMaskCount; ++c) {
      m_[c] = storage + static_cast<std::size_t>(c) * (words_ + 1);
    }
#if defined(__AVX2__)
    // As below, 32 bytes at a time.
    const __m256i kSeparators =
        _mm256_setr_epi8(' ', 0, 0, 0, 0, '%', 0, 0, 0, 0, ':', 0, 0, '=', 0, '/', ' ', 0, 0, 0, 0,
                         '%', 0, 0, 0, 0, ':', 0, 0, '=', 0, '/');
    __m256i bad = _mm256_setzero_si256();
    for (std::size_t w = 0; w < words_; ++w) {
      std::uint64_t space = 0;
      std::uint64_t special = 0;
      for (int k = 0; k < 2; ++k) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64 * w + 32 * k));
        const __m256i sep = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(kSeparators, v), v);
        const __m256i sp = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(' '));
        bad = _mm256_or_si256(bad, _mm256_cmpgt_epi8(_mm256_set1_epi8(0x21),
                                                     _mm256_add_epi8(v, _mm256_set1_epi8(1))));
        const auto sep_bits =
            static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(sep)));
        const auto sp_bits =
            static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(sp)));
        space |= sp_bits << (32 * k);
        special |= (sep_bits ^ sp_bits) << (32 * k);
      }
      m_[kSpaceMask][w] = space;
      m_[kSpecialMask][w] = special;
    }
    any_bad_ = !_mm256_testz_si256(bad, bad);
#elif defined(__SSE2__)
    __m128i bad = _mm_setzero_si128();
    for (std::size_t w = 0; w < words_; ++w) {
      std::uint64_t space = 0;
      std::uint64_t special = 0;
      for (int k = 0; k < 4; ++k) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 64 * w + 16 * k));
        const __m128i is_special =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('='))),
                         _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')),
                                      _mm_cmpeq_epi8(v, _mm_set1_epi8('%'))));
        // Signed compare: bytes >= 0x80 are negative, so "< 0x20" takes the
        // control bytes and the 8-bit ones; DEL on top.
        bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                             _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
        space |= static_cast<std::uint64_t>(static_cast<std::uint16_t>(
                     _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')))))
                 << (16 * k);
        special |=
            static_cast<std::uint64_t>(static_cast<std::uint16_t>(_mm_movemask_epi8(is_special)))
            << (16 * k);
      }
      m_[kSpaceMask][w] = space;
      m_[kSpecialMask][w] = special;
    }
    any_bad_ = _mm_movemask_epi8(bad) != 0;
#else
    for (std::size_t w = 0; w < words_; ++w) {
      std::uint64_t space = 0;
      std::uint64_t special = 0;
      for (unsigned k = 0; k < 64; ++k) {
        const char ch = p[64 * w + k];
        const auto u = static_cast<unsigned char>(ch);
        space |= static_cast<std::uint64_t>(ch == ' ') << k;
        special |= static_cast<std::uint64_t>(ch == ':' || ch == '=' || ch == '/' || ch == '%')
                   << k;
        any_bad_ |= u < 0x20 || u >= 0x7f;
      }
      m_[kSpaceMask][w] = space;
      m_[kSpecialMask][w] = special;
    }
#endif
    m_[kSpaceMask][words_] = ~std::uint64_t{0};
    m_[kSpecialMask][words_] = 0;
  }

  static std::size_t StorageWords(std::size_t n) { return kMaskCount * ((n + 63) / 64 + 1); }

  // True if the record holds a control byte (TAB included), DEL or a byte
  // >= 0x80 (RFC 7208 §3, §4.6.1: printable US-ASCII and SP only).
  bool any_bad() const { return any_bad_; }

  const std::uint64_t* Mask(MaskId c) const { return m_[c]; }

  // The bits of mask `c` for the bytes from b on (b < the record size):
  // kWindow of them at least, zeros above.
  std::uint64_t Window(MaskId c, std::size_t b) const { return WindowOf(m_[c], b); }

  static constexpr std::size_t kWindow = 57;
  static std::uint64_t WindowOf(const std::uint64_t* mask, std::size_t b) {
    if constexpr (std::endian::native == std::endian::little) {
      // One unaligned load from the byte that holds bit b (64 - b % 8 bits
      // of the mask), where two aligned loads and three shifts would give
      // 64 bits.
      std::uint64_t w;
      std::memcpy(&w, reinterpret_cast<const unsigned char*>(mask) + (b >> 3), 8);
      return w >> (b & 7);
    } else {
      const std::uint64_t* m = mask + (b >> 6);
      const unsigned off = static_cast<unsigned>(b & 63);
      return (m[0] >> off) | ((m[1] << 1) << (63 - off));
    }
  }

  // The first byte in [b, e) in class `c` (kSet) or not in it; e if none.
  template <bool kSet>
  std::size_t Next(MaskId c, std::size_t b, std::size_t e) const {
    for (; b < e; b += kWindow) {
      const std::uint64_t x = (kSet ? Window(c, b) : ~Window(c, b)) & Low(std::min(e - b, kWindow));
      if (x != 0) {
        return b + static_cast<std::size_t>(std::countr_zero(x));
      }
    }
    return e;
  }

 private:
  std::size_t words_;
  std::uint64_t* m_[kMaskCount];
  bool any_bad_ = false;
};

}  // namespace

bool IsModifierName(std::string_view s) {
  if (s.empty() || !text::IsAlpha(s[0])) {
    return false;
  }
  for (char c : s) {
    if ((kClass[c] & kNameChar) == 0) {
      return false;
    }
  }
  return true;
}

namespace {

bool IsBadByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u >= 0x7f;
}

// 1 for the mechanisms that cost a DNS lookup (RFC 7208 §4.6.4), by kind.
constexpr std::uint32_t kDnsMechanism[8] = {
    0,  // all
    1,  // include
    1,  // a
    1,  // mx
    1,  // ptr
    0,  // ip4
    0,  // ip6
    1,  // exists
};
static_assert(static_cast<int>(MechanismKind::kExists) == 7 &&
              static_cast<int>(MechanismKind::kIp4) == 5);

class Parser {
 public:
  // `copy` is the record text followed by kPadding spaces.
  Parser(Record& out, const char* copy, const ByteMasks& masks, bool fast_paths)
      : out_(out), t_(copy), n_(out.text.size()), m_(masks), fast_paths_(fast_paths) {}

  bool Run() {
    // The fast paths take clean records only; the other loop checks each
    // term for bad bytes.
    if (fast_paths_ && !m_.any_bad()) {
      Loop<true>();
    } else {
      Loop<false>();
    }
    Finish();
    return !failed_;
  }

  template <bool kFast>
  void Loop() {
    // Locals, not members, in the loop: stores into a Mechanism (uint8_t
    // fields) may alias anything, and would make the compiler reload them.
    const char* const t = t_;
    const std::size_t n = n_;
    const bool any_bad = !kFast && m_.any_bad();
    const std::uint64_t* const space_mask = m_.Mask(kSpaceMask);
    const std::uint64_t* const special_mask = m_.Mask(kSpecialMask);
    std::vector<Mechanism>& mechanisms = out_.mechanisms;
    std::uint32_t dns = 0;
    std::optional<std::uint32_t> first_all;
    // terms = *( 1*SP ( directive / modifier ) ), record = version terms *SP.
    // i is at the space after the version or a term, or at n.
    std::size_t i = kVersion.size();
    while (i < n) {
      ++i;
      if (t[i] == ' ') {  // more than one space (the copy's padding is spaces)
        while (i < n && t[i] == ' ') {
          ++i;
        }
        if (i >= n) {
          break;
        }
      }
      // The term's bits, relative to its start, when it fits in one window
      // (nearly always); otherwise queries go to the record's masks.
      TermSlot ts;
      ts.s = static_cast<std::uint32_t>(i);
      const std::uint64_t spaces = ByteMasks::WindowOf(space_mask, i);
      ts.local = spaces != 0;
      if (ts.local) {
        i += static_cast<std::size_t>(std::countr_zero(spaces));
        // The bits below the first space: the term's.
        ts.special = ByteMasks::WindowOf(special_mask, ts.s) & ((spaces & (0 - spaces)) - 1);
      } else {
        i = m_.Next<true>(kSpaceMask, i, n);
        ts.special = 0;
      }
      ts.e = static_cast<std::uint32_t>(i);
      if (any_bad && HasBadByte(ts.s, ts.e)) {
        BadBytes(ts.s, ts.e);
        continue;
      }
      Mechanism& m = mechanisms.emplace_back();
      const bool try_fast = kFast && ts.local;
      if (!(try_fast && FastTerm(t, ts, m))) {
        if (try_fast && FastModifier(t, ts, m)) {
          mechanisms.pop_back();
          continue;
        }
        term_ = ts;
        if (!Term(ts.s, ts.e, m)) {
          mechanisms.pop_back();
          continue;
        }
      }
      const MechanismKind kind = m.kind;
      dns += kDnsMechanism[static_cast<int>(kind)];
      if (kind == MechanismKind::kAll && !first_all) {
        first_all = static_cast<std::uint32_t>(mechanisms.size() - 1);
      }
    }
    dns_ = dns;
    out_.first_all = first_all;
  }

 private:
  std::string_view View(std::size_t b, std::size_t e) const {
    return std::string_view(t_ + b, e - b);
  }

  // The offending text for a diagnostic's detail, at most 12 bytes and
  // "...": it fits std::string's inline buffer, so reporting an error in a
  // record of printable text allocates nothing.
  std::string Detail(std::size_t b, std::size_t e) const { return text::Printable(View(b, e), 12); }

  [[gnu::cold, gnu::noinline]] void Error(std::string_view id, std::size_t at,
                                          std::string_view message, std::string detail = {}) {
    out_.diagnostics.push_back(MakeDiag(id, Severity::kError, at, message, std::move(detail)));
    failed_ = true;
  }

  bool HasBadByte(std::size_t b, std::size_t e) const {
    for (std::size_t k = b; k < e; ++k) {
      if (IsBadByte(t_[k])) {
        return true;
      }
    }
    return false;
  }

  // A term holding bytes outside VCHAR: RFC 7208 §3 and §4.6.1 allow only
  // printable US-ASCII separated by SP (S7, S8). One error per run of such
  // bytes; the rest of the term is not checked further.
  [[gnu::cold, gnu::noinline]] void BadBytes(std::size_t b, std::size_t e) {
    std::size_t i = b;
    while (i < e) {
      if (!IsBadByte(t_[i])) {
        ++i;
        continue;
      }
      std::size_t end = i + 1;
      while (end < e && IsBadByte(t_[end])) {
        ++end;
      }
      const auto c = static_cast<unsigned char>(t_[i]);
      std::string detail = Detail(i, end);
      if (c == '\t') {
        Error("spf.record.tab", i,
              "TAB in the record: terms are separated by spaces only (RFC 7208 §4.6.1)",
              std::move(detail));
      } else if (c >= 0x80) {
        Error("spf.record.non_ascii", i, "non-ASCII byte in the record (RFC 7208 §3)",
              std::move(detail));
      } else {
        Error("spf.record.control_character", i, "control character in the record",
              std::move(detail));
      }
      i = end;
    }
  }

  // The name at [b, b + len), lower-cased into a word; 0 if longer than 8.
  [[gnu::always_inline]] std::uint64_t NameWord(std::size_t b, std::size_t len) const {
    if (len - 1 >= 8) {
      return 0;  // empty or longer than any name we know
    }
    std::uint64_t w;
    std::memcpy(&w, t_ + b, 8);  // inside the padded copy
    // OR 0x20 lower-cases letters; it maps no other byte to a letter.
    return (w | 0x2020202020202020ULL) & Low(8 * len);
  }

  static TextSpan Span(std::size_t b, std::size_t e) {
    return TextSpan{static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e - b)};
  }

  // The first ':' '=' '/' or '%' in [b, e) (inside the current term), or e.
  std::size_t FirstSpecial(std::size_t b, std::size_t e) const {
    if (term_.local) {
      // e - b < 64 here: a bit at e - b stands for "none before e".
      const std::uint64_t x = ((term_.special >> (b - term_.s)) & Low(e - b)) | std::uint64_t{1}
                                                                                    << (e - b);
      return b + static_cast<std::size_t>(std::countr_zero(x));
    }
    return m_.Next<true>(kSpecialMask, b, e);
  }

  // The first ':' '=' or '/' in [b, e), or e ('%' is not a delimiter).
  std::size_t FirstDelimiter(std::size_t b, std::size_t e) const {
    std::size_t k = FirstSpecial(b, e);
    while (k < e && t_[k] == '%') {
      k = FirstSpecial(k + 1, e);
    }
    return k;
  }

  // Where the term being parsed is.
  struct TermSlot {
    std::uint32_t s;
    std::uint32_t e;
    std::uint64_t special;  // its ':' '=' '/' '%' bits from s, when `local`
    bool local;             // the term ends inside the window at s
  };

  // The commonest term shapes, checked with few branches: "all", "a", "mx",
  // "ptr" bare; include / exists / a / mx / ptr ":" and a domain-spec
  // without special bytes; a / mx with a dual CIDR length only; ip4 and
  // ip6. True if the term was one of them and valid, with `m` filled in;
  // false leaves the term to Term(), which gives the same result for these
  // shapes and reports errors. The term lies in one window and is
  // printable; `t` is the padded copy. Static, on locals: see Run().
  static bool FastTerm(const char* t, const TermSlot& ts, Mechanism& m) {
    const std::size_t s = ts.s;
    const std::size_t e = ts.e;
    const std::uint8_t qual = kQualifier.v[static_cast<unsigned char>(t[s])];
    const std::size_t p = s + (qual >> 7);
    // The name ends at the first special byte (§4.6.1); a '%' there or an
    // '=' (a modifier) is left to Term().
    const std::size_t delim = p + static_cast<std::size_t>(std::countr_zero(
                                      (ts.special >> (p - s)) | std::uint64_t{1} << (e - p)));
    const char d = t[delim];  // t[e] is the space that ends the term
    const std::size_t name = delim - p;
    if (d == '%' || d == '=' || name - 1 >= 8) {
      return false;
    }
    const int kind = kNames.Find(LowerWord(t, p) & kNameMask[name]);
    m.qualifier = static_cast<Qualifier>(qual & 3);
    m.explicit_qualifier = qual != 0;
    m.kind = static_cast<MechanismKind>(kind & 7);
    m.term = Span(s, e);
    // Tests in the order of how common the kinds are. GCC turns all but the
    // first (ip4, a quarter of the terms) back into a jump table; the test in
    // front of it is what measured faster than one jump for every kind.
    if (kind == static_cast<int>(MechanismKind::kIp4)) {
      return d == ':' && FastIp4(t, ts, delim + 1, m);
    }
    if (kind == static_cast<int>(MechanismKind::kInclude) ||
        kind == static_cast<int>(MechanismKind::kExists)) {
      return d == ':' && FastDomain(t, ts, delim + 1, m, false);
    }
    if (static_cast<unsigned>(kind - static_cast<int>(MechanismKind::kA)) <= 2) {
      // a, mx, ptr: bare, or ":" and a domain-spec without special bytes (no
      // macro, no CIDR); a/mx with a CIDR and nothing else.
      if (d == ' ') {
        return true;
      }
      if (d == ':') {
        return FastDomain(t, ts, delim + 1, m, kind != static_cast<int>(MechanismKind::kPtr));
      }
      return kind != static_cast<int>(MechanismKind::kPtr) && FastDualCidr(t, delim, e, m);
    }
    if (kind == static_cast<int>(MechanismKind::kAll)) {
      return d == ' ';
    }
    if (kind == static_cast<int>(MechanismKind::kIp6)) {
      return d == ':' && FastIp6(t, ts, delim + 1, m);
    }
    return false;
  }

  // "redirect=" or "exp=" and a domain-spec of the shapes FastDomain()
  // takes, the first of its kind in the record (§6.1, §6.2). True if the
  // term was one and valid, recorded in out_; false leaves the term to
  // Term(). `scratch` is a Mechanism FastDomain() may write into.
  [[gnu::noinline]] bool FastModifier(const char* t, const TermSlot& ts, Mechanism& scratch) {
    const std::size_t s = ts.s;
    const std::size_t e = ts.e;
    const std::size_t eq =
        s + static_cast<std::size_t>(std::countr_zero(ts.special | std::uint64_t{1} << (e - s)));
    const std::size_t len = eq - s;
    if (eq == e || t[eq] != '=' || len - 1 >= 8) {
      return false;
    }
    const std::uint64_t w = LowerWord(t, s) & kNameMask[len];
    const bool redirect = w == kRedirectWord;
    if (!(redirect || w == kExpWord)) {
      return false;
    }
    bool& seen = redirect ? seen_redirect_ : seen_exp_;
    if (seen || !FastDomain(t, ts, eq + 1, scratch, false)) {
      return false;
    }
    seen = true;
    (redirect ? out_.redirect : out_.explanation) =
        spf::Modifier{Span(s, e), Span(s, eq), Span(eq + 1, e)};
    return true;
  }

  // Masks for the first 0-8 bytes of a word.
  static constexpr std::uint64_t kNameMask[9] = {0,
                                                 0xff,
                                                 0xffff,
                                                 0xffffff,
                                                 0xffffffff,
                                                 0xffffffffff,
                                                 0xffffffffffff,
                                                 0xffffffffffffff,
                                                 ~std::uint64_t{0}};

  // "/" ip4-length, "//" ip6-length or both at [b, e) (§5.3, §5.4, §5.6).
  // This and the ip4 / ip6 readers are not inlined into the term loop: the
  // loop keeps fewer values on the stack without them (1% on the corpus).
  [[gnu::noinline]] static bool FastDualCidr(const char* t, std::size_t b, std::size_t e,
                                             Mechanism& m) {
    std::size_t i = b;
    if (i + 1 < e && t[i + 1] != '/') {
      std::size_t j = i + 1;
      while (j < e && t[j] != '/') {
        ++j;
      }
      const int v = SmallNumber(t, i + 1, j, 32);
      if (v < 0) {
        return false;
      }
      m.cidr4 = static_cast<std::uint8_t>(v);
      m.has_cidr4 = true;
      i = j;
    }
    if (i == e) {
      return true;
    }
    const int v = i + 2 < e && t[i + 1] == '/' ? SmallNumber(t, i + 2, e, 128) : -1;
    if (v < 0) {
      return false;
    }
    m.cidr6 = static_cast<std::uint8_t>(v);
    m.has_cidr6 = true;
    return true;
  }

  // ip6 ":" ip6-network [ ip6-cidr-length ] with the network at b (§5.6):
  // a '/' can only be the last special byte.
  [[gnu::noinline]] static bool FastIp6(const char* t, const TermSlot& ts, std::size_t b,
                                        Mechanism& m) {
    const std::size_t e = ts.e;
    const std::uint64_t rest = ts.special >> (b - ts.s);
    std::size_t end = e;
    if (rest != 0) {
      const std::size_t last = b + 63 - static_cast<std::size_t>(std::countl_zero(rest));
      if (t[last] == '/') {
        const int v = t[last - 1] != '/' ? SmallNumber(t, last + 1, e, 128) : -1;
        if (v < 0) {
          return false;
        }
        m.cidr6 = static_cast<std::uint8_t>(v);
        m.has_cidr6 = true;
        end = last;
      }
    }
    // t[end] is the '/' or the space after the address.
    if (Ip6(t, b, end, m.network)) {
      return true;
    }
    std::optional<IpAddress> a = ParseIp6Delimited(std::string_view(t + b, end - b));
    if (!a) {
      return false;
    }
    m.network = *a;
    return true;
  }

  // An IPv6 address at [b, e) in its usual forms: hex groups and at most
  // one "::", 32 bytes at most, no embedded IPv4 (RFC 4291 §2.2 forms 1 and
  // 2). True if it is one, with `out` set; false if not, or if it is
  // another form (ParseIp6Delimited() decides). Both 16-byte halves are
  // classified at once; each group is read from one 4-byte load.
  static bool Ip6(const char* t, std::size_t b, std::size_t e, IpAddress& out) {
    const std::size_t len = e - b;
    if (len < 2 || len > 32) {
      return false;
    }
#if defined(__SSE2__)
    std::uint32_t hex = 0;
    std::uint32_t colon = 0;
    for (int k = 0; k < 2; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + b + 16 * k));
      const __m128i lower = _mm_or_si128(v, kVec.x20);
      const __m128i digit =
          _mm_and_si128(_mm_cmpgt_epi8(v, kVec.before_0), _mm_cmplt_epi8(v, kVec.after_9));
      const __m128i letter =
          _mm_and_si128(_mm_cmpgt_epi8(lower, kVec.before_a), _mm_cmplt_epi8(lower, kVec.after_f));
      hex |= static_cast<std::uint32_t>(
                 static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_or_si128(digit, letter))))
             << (16 * k);
      colon |= static_cast<std::uint32_t>(
                   static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, kVec.colon))))
               << (16 * k);
    }
    const auto all = static_cast<std::uint32_t>(Low(len));
    hex &= all;
    colon &= all;
    // Only hex digits and colons; no group of five digits or more; "::"
    // once at most (":::" counts twice).
    const std::uint32_t gap = colon & (colon >> 1);
    if ((hex | colon) != all || (hex & (hex >> 1) & (hex >> 2) & (hex >> 3) & (hex >> 4)) != 0 ||
        (gap & (gap - 1)) != 0) {
      return false;
    }
    // A single ':' at either end.
    const std::uint32_t last = std::uint32_t{1} << (len - 1);
    if (Opaque((colon & ~gap & 1) | (colon & ~(gap << 1) & last)) != 0) {
      return false;
    }
    std::uint32_t starts = hex & ~(hex << 1);
    std::uint32_t ends = hex & ~(hex >> 1);
    const auto groups = static_cast<unsigned>(std::popcount(starts));
    if (gap == 0 ? groups != 8 : groups > 7) {
      return false;
    }
    // Groups after the "::" go to the end.
    const unsigned before = gap == 0 ? 8 : static_cast<unsigned>(std::popcount(starts & (gap - 1)));
    out.bytes = {};
    out.v6 = true;
    for (unsigned k = 0; ends != 0; ++k) {
      const auto s = static_cast<unsigned>(std::countr_zero(starts));
      const auto p = static_cast<unsigned>(std::countr_zero(ends));
      starts &= starts - 1;
      ends &= ends - 1;
      // The four bytes that end with the group's last digit; those before
      // its first are cleared. Each byte becomes its value: '0'-'9' have
      // bit 6 clear, letters have it set and need 9 more.
      std::uint32_t w;
      std::memcpy(&w, t + b + p - 3, 4);  // the copy has padding in front
      w &= ~std::uint32_t{0} << (8 * (3 - (p - s)));
      w = (w & 0x0f0f0f0fu) + 9 * ((w >> 6) & 0x01010101u);
      // First digit in the low byte: swap, then pack the nibbles.
      w = __builtin_bswap32(w);
      w = (w | (w >> 4)) & 0x00ff00ffu;
      w = (w | (w >> 8)) & 0xffffu;
      const unsigned slot = k < before ? k : k + 8 - groups;
      out.bytes[2 * slot] = static_cast<std::uint8_t>(w >> 8);
      out.bytes[2 * slot + 1] = static_cast<std::uint8_t>(w);
    }
    return true;
#else
    return false;  // ParseIp6Delimited() decides
#endif
  }

  // The 8 bytes at p, letters lower-cased. OR 0x20 maps no other printable
  // byte to a letter and leaves ':' and digits as they are.
  static std::uint64_t LowerWord(const char* t, std::size_t p) {
    std::uint64_t w;
    std::memcpy(&w, t + p, 8);  // inside the padded copy
    return w | 0x2020202020202020ULL;
  }

  // A domain-spec at [b, e) without special bytes (hence no macro and no
  // CIDR, §5): valid if it ends in "." toplabel [ "." ] (§7.1).
  static bool FastDomain(const char* t, const TermSlot& ts, std::size_t b, Mechanism& m,
                         bool cidr) {
    const std::size_t e = ts.e;
    if (b >= e) {
      return false;
    }
    std::uint64_t rest = ts.special >> (b - ts.s);
    std::size_t lo = b;   // where the literal tail begins
    std::size_t end = e;  // where the domain-spec ends
    if (rest != 0) {
      const std::size_t k = b + static_cast<std::size_t>(std::countr_zero(rest));
      if (t[k] == '/') {
        if (!cidr || k == b || !FastDualCidr(t, k, e, m)) {
          return false;
        }
        end = k;
      } else {
        // Macro-expands, and nothing else special, up to the end.
        while (rest != 0) {
          const std::size_t at = b + static_cast<std::size_t>(std::countr_zero(rest));
          const std::size_t after = FastMacro(t, at);
          if (after == 0) {
            return false;
          }
          lo = after;
          rest &= ~Low(after - b);
        }
        if (lo == e) {
          m.domain_spec = Span(b, e);
          return true;
        }
      }
    }
    const std::size_t top_end = end - (t[end - 1] == '.' && end - 1 > lo ? 1 : 0);
    if (!TopLabel(t, lo, top_end)) {
      return false;
    }
    m.domain_spec = Span(b, end);
    return true;
  }

  // The end of the macro-expand at `at` (§7.1) in a domain-spec, in its
  // usual forms: "%{" letter [ nonzero digits ] [ "r" ] *delimiter "}", or
  // "%%" "%_" "%-". 0 for anything else (Term() says what is wrong).
  static std::size_t FastMacro(const char* t, std::size_t at) {
    if (t[at] != '%') {
      return 0;
    }
    const char c = t[at + 1];
    if (c != '{') {
      return c == '%' || c == '_' || c == '-' ? at + 2 : 0;
    }
    if ((kMacro.v[static_cast<unsigned char>(t[at + 2])] & kMacroLetter) == 0) {
      return 0;
    }
    std::size_t j = at + 3;
    if (t[j] >= '1' && t[j] <= '9') {
      do {
        ++j;
      } while (t[j] >= '0' && t[j] <= '9');
    }
    j += (t[j] | 0x20) == 'r' ? 1 : 0;
    while ((kMacro.v[static_cast<unsigned char>(t[j])] & kMacroDelimiter) != 0) {
      ++j;
    }
    return t[j] == '}' ? j + 1 : 0;
  }

  // ip4 ":" ip4-network [ ip4-cidr-length ] with the network at b (§5.6).
  [[gnu::noinline]] static bool FastIp4(const char* t, const TermSlot& ts, std::size_t b,
                                        Mechanism& m) {
    const std::size_t e = ts.e;
    if (b >= e) {
      return false;
    }
    // At most one special byte: the '/' before the length.
    const std::uint64_t rest = ts.special >> (b - ts.s);
    if ((rest & (rest - 1)) != 0) {
      return false;
    }
    const std::size_t slash =
        b + static_cast<std::size_t>(std::countr_zero(rest | std::uint64_t{1} << (e - b)));
    if (!Ip4(t, b, slash, m.network)) {
      return false;
    }
    // The length, if any, without a branch on whether there is one: the
    // digits after the '/' (or, without one, the three spaces after e,
    // which read as "no length").
    const bool has = slash != e;
    const std::size_t digits = e - slash - has;  // 0 without a '/'
    const char* d = t + slash + 1;
    const auto c0 = static_cast<unsigned>(static_cast<unsigned char>(d[0])) - '0';
    const auto c1 = static_cast<unsigned>(static_cast<unsigned char>(d[1])) - '0';
    const unsigned two = digits == 2 ? 1u : 0u;
    const unsigned v = c0 + two * (c0 * 9 + c1);
    const bool bad = (digits - 1 > 1) | (c0 > 9) | (two & ((c1 > 9) | (c0 == 0))) | (v > 32);
    if (Opaque(has & (bad | (t[slash] != '/')))) {
      return false;
    }
    m.cidr4 = static_cast<std::uint8_t>(has ? v : 32);
    m.has_cidr4 = has;
    return true;
  }

  // The general path: fills `m` and returns true for a valid mechanism;
  // false for a modifier (recorded in out_) or an invalid term (reported).
  [[gnu::noinline]] bool Term(std::size_t s, std::size_t e, Mechanism& m) {
    m = Mechanism{};  // whatever FastTerm() left in it
    const std::uint8_t qual = kQualifier.v[static_cast<unsigned char>(t_[s])];
    const bool explicit_q = qual != 0;
    const std::size_t p = s + (qual >> 7);
    // RFC 7208 §4.6.1 (SPF-4.6.1-02): a term with '=' before any ':' or '/'
    // is a modifier, whatever its name looks like.
    std::size_t delim;
    if (term_.local) {
      // The first special byte after the qualifier (p - s is 0 or 1).
      delim = p + static_cast<std::size_t>(
                      std::countr_zero((term_.special >> (p - s)) | std::uint64_t{1} << (e - p)));
      if (delim != e && t_[delim] == '%') {
        delim = FirstDelimiter(delim, e);
      }
    } else {
      delim = FirstDelimiter(p, e);
    }
    if (delim != e && t_[delim] == '=') {
      Modifier(s, p, delim, e, explicit_q);
      return false;
    }
    m.qualifier = static_cast<Qualifier>(qual & 3);
    m.explicit_qualifier = explicit_q;
    m.term = Span(s, e);
    bool ok = true;
    // RFC 7208 §4.6.1 (SPF-4.6.1-01): mechanism names are case-insensitive.
    const int kind = kNames.Find(NameWord(p, delim - p));
    m.kind = static_cast<MechanismKind>(kind & 7);  // dropped if unknown
    switch (kind) {
      case static_cast<int>(MechanismKind::kAll):
        if (delim != e) {
          ok = AllArgument(delim, s, e);
        }
        break;
      case static_cast<int>(MechanismKind::kInclude):
      case static_cast<int>(MechanismKind::kExists):
        ok = RequiredDomain(m, p, delim, e);
        break;
      case static_cast<int>(MechanismKind::kA):
      case static_cast<int>(MechanismKind::kMx):
        ok = DomainAndDualCidr(m, p, delim, e);
        break;
      case static_cast<int>(MechanismKind::kPtr):
        if (delim == e) {
          break;
        }
        if (t_[delim] == '/') {
          Error("spf.record.unexpected_cidr", delim, "\"ptr\" takes no CIDR length (RFC 7208 §5.5)",
                Detail(s, e));
          ok = false;
        } else {
          ok = DomainSpecNoCidr(m, delim + 1, e);
        }
        break;
      case static_cast<int>(MechanismKind::kIp4):
        ok = Ip4Network(m, delim, e);
        break;
      case static_cast<int>(MechanismKind::kIp6):
        ok = Ip6Network(m, delim, e);
        break;
      default:
        ok = UnknownMechanism(s, p, delim, e);
        break;
    }
    return ok;
  }

  // §5.1: all = "all", nothing after it (S16).
  [[gnu::cold, gnu::noinline]] bool AllArgument(std::size_t at, std::size_t s, std::size_t e) {
    Error("spf.record.all_argument", at,
          "\"all\" takes no argument, domain or CIDR length (RFC 7208 §5.1)", Detail(s, e));
    return false;
  }

  // A term that is not a mechanism: [p, delim) is what stands for its name.
  [[gnu::cold, gnu::noinline]] bool UnknownMechanism(std::size_t s, std::size_t p,
                                                     std::size_t delim, std::size_t e) {
    std::size_t k = p;
    while (k < delim && text::IsAlnum(t_[k])) {
      ++k;
    }
    if (k == p + 3 && k < delim && NameWord(p, 3) == kAllWord) {
      return AllArgument(k, s, e);  // "all.", "all-x"
    }
    if (k == p && p + 1 < e && std::string_view("!*#^&|<>+-~?").find(t_[p]) != kNpos) {
      Error("spf.record.bad_qualifier", p,
            "not a qualifier: a directive starts with '+', '-', '~', '?' or the mechanism name "
            "(RFC 7208 §4.6.1)",
            Detail(s, e));
      return false;
    }
    // S19: "redirect:x" is an unknown mechanism, not a modifier.
    Error("spf.record.unknown_mechanism", p, "unknown mechanism (RFC 7208 §4.6.1, §5)",
          Detail(p, delim));
    return false;
  }

  // include / exists: ":" domain-spec, no CIDR (§5.2, §5.7; S17, S18).
  bool RequiredDomain(Mechanism& m, std::size_t p, std::size_t delim, std::size_t e) {
    if (delim == e) {
      Error("spf.record.missing_domain_spec", delim,
            "mechanism requires \":\" and a domain-spec (RFC 7208 §5.2, §5.7)",
            std::string(MechanismName(m.kind)));
      return false;
    }
    if (t_[delim] == '/') {
      Error("spf.record.unexpected_cidr", delim,
            "mechanism takes no CIDR length (RFC 7208 §5.2, §5.7)", Detail(p, e));
      return false;
    }
    return DomainSpecNoCidr(m, delim + 1, e);
  }

  // The start of the run of digits that ends at e (e if there is none).
  std::size_t DigitsBefore(std::size_t b, std::size_t e) const {
    while (e > b && text::IsDigit(t_[e - 1])) {
      --e;
    }
    return e;
  }

  // Where a CIDR suffix "/" 1*DIGIT (and, with `dual`, "//" 1*DIGIT after
  // it) starts in [b, e); e if there is none. A domain-spec never ends that
  // way (domain-end ends in a toplabel or a macro), so the split is
  // unambiguous: "a:foo:bar/baz.example.com" has no CIDR.
  std::size_t CidrSuffix(std::size_t b, std::size_t e, bool dual) const {
    std::size_t cut = e;
    std::size_t k = DigitsBefore(b, e);
    if (dual && k < e && k >= b + 2 && t_[k - 1] == '/' && t_[k - 2] == '/') {
      cut = k - 2;
      k = DigitsBefore(b, cut);
    }
    if (k < cut && k >= b + 1 && t_[k - 1] == '/') {
      cut = k - 1;
      if (cut > b && t_[cut - 1] == '/') {
        --cut;  // "//" before a single length: the caller reports it
      }
    }
    return cut;
  }

  // A domain-spec at [b, e) of a mechanism without CIDR: a trailing
  // "/digits" is reported as a CIDR length the mechanism does not take.
  bool DomainSpecNoCidr(Mechanism& m, std::size_t b, std::size_t e) {
    const std::size_t special = FirstSpecial(b, e);
    if (special != e) {
      const std::size_t cut = CidrSuffix(b, e, true);
      if (cut != e) {
        Error("spf.record.unexpected_cidr", cut,
              "mechanism takes no CIDR length (RFC 7208 §5.2, §5.5, §5.7)", Detail(cut, e));
        DomainSpec(b, cut, FirstSpecial(b, cut));
        return false;
      }
    }
    if (!DomainSpec(b, e, special)) {
      return false;
    }
    m.domain_spec = Span(b, e);
    return true;
  }

  // a / mx: [ ":" domain-spec ] [ dual-cidr-length ] (§5.3, §5.4, S15).
  bool DomainAndDualCidr(Mechanism& m, std::size_t p, std::size_t delim, std::size_t e) {
    if (delim == e) {
      return true;
    }
    if (t_[delim] == '/') {
      return DualCidr(m, delim, e);
    }
    const std::size_t b = delim + 1;
    std::size_t special = FirstSpecial(b, e);
    std::size_t cut = e;
    if (special != e) {
      cut = CidrSuffix(b, e, true);
      special = FirstSpecial(b, cut);
    }
    bool ok = DomainSpec(b, cut, special);
    if (ok) {
      m.domain_spec = Span(b, cut);
    }
    if (cut < e) {
      ok &= DualCidr(m, cut, e);
    }
    return ok;
  }

  // Parses 1-3 digits at [b, e) into `out` if they are a CIDR length of at
  // most `max` without a leading zero (§5.6: "0" / %x31-39 0*2DIGIT);
  // reports the error otherwise.
  bool CidrValue(std::size_t b, std::size_t e, unsigned max, std::uint8_t& out) {
    if (t_[b] == '0' && e - b > 1) {
      Error("spf.record.cidr_leading_zero", b, "CIDR length with a leading zero (RFC 7208 §5.6)",
            Detail(b, e));
      return false;
    }
    unsigned v = 0;
    for (std::size_t k = b; k < e && v <= max; ++k) {
      v = v * 10 + static_cast<unsigned>(t_[k] - '0');
    }
    if (v > max) {
      Error("spf.record.cidr_range", b,
            max == 32 ? std::string_view("IPv4 CIDR length above 32 (RFC 7208 §5.6)")
                      : std::string_view("IPv6 CIDR length above 128 (RFC 7208 §5.6)"),
            Detail(b, e));
      return false;
    }
    out = static_cast<std::uint8_t>(v);
    return true;
  }

  [[gnu::cold, gnu::noinline]] bool BadCidr(std::size_t at, std::size_t e) {
    Error("spf.record.bad_cidr", at,
          "malformed CIDR length: expected \"/\" ip4-length and/or \"//\" ip6-length "
          "(RFC 7208 §5.6)",
          Detail(at, e));
    return false;
  }

  // dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] at [b, e),
  // t_[b] == '/'.
  bool DualCidr(Mechanism& m, std::size_t b, std::size_t e) {
    // The usual shapes ("/24", "//64", "/24//64") without a branch per digit;
    // anything else goes to DualCidrSlow(), which reports what is wrong.
    std::size_t i = b;
    if (i + 1 < e && t_[i + 1] != '/') {
      std::size_t j = i + 1;
      while (j < e && t_[j] != '/') {
        ++j;
      }
      const int v = SmallNumber(t_, i + 1, j, 32);
      if (v < 0) {
        return DualCidrSlow(m, b, e);
      }
      m.cidr4 = static_cast<std::uint8_t>(v);
      m.has_cidr4 = true;
      i = j;
    }
    if (i == e) {
      return true;
    }
    if (i + 2 < e && t_[i + 1] == '/') {
      if (const int v = SmallNumber(t_, i + 2, e, 128); v >= 0) {
        m.cidr6 = static_cast<std::uint8_t>(v);
        m.has_cidr6 = true;
        return true;
      }
    }
    return DualCidrSlow(m, b, e);
  }

  [[gnu::cold, gnu::noinline]] bool DualCidrSlow(Mechanism& m, std::size_t b, std::size_t e) {
    std::size_t i = b;
    if (i + 1 < e && t_[i + 1] != '/') {
      const std::size_t j = DigitsAfter(i + 1, e);
      if (j == i + 1) {
        return BadCidr(i, e);
      }
      if (!CidrValue(i + 1, j, 32, m.cidr4)) {
        return false;
      }
      m.has_cidr4 = true;
      i = j;
    }
    if (i == e) {
      return true;
    }
    if (i + 2 >= e || t_[i] != '/' || t_[i + 1] != '/' || DigitsAfter(i + 2, e) != e) {
      return BadCidr(i, e);
    }
    if (!CidrValue(i + 2, e, 128, m.cidr6)) {
      return false;
    }
    m.has_cidr6 = true;
    return true;
  }

  std::size_t DigitsAfter(std::size_t b, std::size_t e) const {
    while (b < e && text::IsDigit(t_[b])) {
      ++b;
    }
    return b;
  }

  // A single CIDR length "/" 1*DIGIT at [slash, e) for ip4 / ip6.
  bool SingleCidr(std::size_t slash, std::size_t e, unsigned max, bool& has, std::uint8_t& out) {
    if (const int v = SmallNumber(t_, slash + 1, e, max); v >= 0) {
      out = static_cast<std::uint8_t>(v);
      has = true;
      return true;
    }
    if (slash + 1 == e || DigitsAfter(slash + 1, e) != e) {
      // Includes "ip4:192.0.2.1//64" (S13: ip4 and ip6 have no dual CIDR).
      return BadCidr(slash, e);
    }
    if (!CidrValue(slash + 1, e, max, out)) {
      return false;
    }
    has = true;
    return true;
  }

  // "ip4" / "ip6" must be followed by ":" and an address (§5.6).
  bool NetworkStart(std::size_t delim, std::size_t e) {
    if (delim == e || t_[delim] != ':' || delim + 1 == e) {
      Error("spf.record.missing_address", delim,
            "ip4 and ip6 require \":\" and an address (RFC 7208 §5.6)");
      return false;
    }
    return true;
  }

  // ip4 = "ip4" ":" ip4-network [ ip4-cidr-length ] (§5.6, S13).
  bool Ip4Network(Mechanism& m, std::size_t delim, std::size_t e) {
    if (!NetworkStart(delim, e)) {
      return false;
    }
    const std::size_t b = delim + 1;
    // The network ends at the first '/' (an ip4-network has no special byte).
    std::size_t end = FirstSpecial(b, e);
    while (end < e && t_[end] != '/') {
      end = FirstSpecial(end + 1, e);
    }
    bool ok = true;
    if (!Ip4(t_, b, end, m.network)) {
      Error("spf.record.bad_ip4", b,
            "not a dotted-quad IPv4 address without leading zeros (RFC 7208 §5.6)", Detail(b, end));
      ok = false;
    }
    if (end == e) {
      return ok;
    }
    return SingleCidr(end, e, 32, m.has_cidr4, m.cidr4) && ok;
  }

  // 1-3 digits at [b, e) without a leading zero and at most `max` (a qnum
  // of §5.6, or a CIDR length: "0" / %x31-39 0*2DIGIT): the value, or -1.
  // Branch-free over the digits.
  static int SmallNumber(const char* t, std::size_t b, std::size_t e, unsigned max) {
    const std::size_t n = e - b;
    if (n - 1 > 2) {
      return -1;  // none, or more than three bytes
    }
    static constexpr unsigned kMul0[4] = {0, 1, 10, 100};
    static constexpr unsigned kMul1[4] = {0, 0, 1, 10};
    const char* d = t + b;
    const auto c0 = static_cast<unsigned>(static_cast<unsigned char>(d[0])) - '0';
    const auto c1 = static_cast<unsigned>(static_cast<unsigned char>(d[n > 1 ? 1 : 0])) - '0';
    const auto c2 = static_cast<unsigned>(static_cast<unsigned char>(d[n - 1])) - '0';
    const unsigned v = c0 * kMul0[n] + c1 * kMul1[n] + (n == 3 ? c2 : 0);
    const bool bad = (c0 > 9) | (c1 > 9) | (c2 > 9) | (v > max) | (c0 == 0 && n > 1);
    return bad ? -1 : static_cast<int>(v);
  }

  // The positions of the first three bits of `dots` (a 16-bit mask), 16
  // for each that is missing; false if it has more than three.
  static bool FirstThreeDots(std::uint32_t dots, unsigned& d1, unsigned& d2, unsigned& d3) {
    d1 = static_cast<unsigned>(std::countr_zero(dots | 0x10000u));
    dots &= dots - 1;
    d2 = static_cast<unsigned>(std::countr_zero(dots | 0x10000u));
    dots &= dots - 1;
    d3 = static_cast<unsigned>(std::countr_zero(dots | 0x10000u));
    dots &= dots - 1;
    return dots == 0;
  }

  // ip4-network at [b, e) without a branch per byte or per part: one
  // 16-byte load classifies the (at most 15) bytes into digits and dots.
  // With SSSE3 the part lengths pick a shuffle that puts each part's digits
  // in a 4-byte lane, and two multiply-adds give the four values; without
  // it, the parts are computed from the dot positions. Same answer as
  // ParseIp4() (the unit tests and the record fuzzer compare them).
#if defined(__SSSE3__)
  static bool Ip4(const char* t, std::size_t b, std::size_t e, IpAddress& out) {
    const std::size_t len = e - b;
    if (len < 7 || len > 15) {
      return false;
    }
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + b));
    const auto all = static_cast<std::uint32_t>((1u << len) - 1);
    std::uint32_t dots =
        static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, kVec.dot))) & all;
    const auto digits = static_cast<std::uint32_t>(_mm_movemask_epi8(
        _mm_and_si128(_mm_cmpgt_epi8(v, kVec.before_0), _mm_cmplt_epi8(v, kVec.after_9))));
    const auto zeros =
        static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, kVec.zero_char)));
    // A part that starts with '0' and goes on with a digit.
    const std::uint32_t starts = (dots << 1) | 1u;
    if (((dots | digits) & all) != all || (zeros & starts & (digits >> 1) & all) != 0) {
      return false;
    }
    unsigned d1 = 0;
    unsigned d2 = 0;
    unsigned d3 = 0;
    if (!FirstThreeDots(dots, d1, d2, d3)) {
      return false;
    }
    // Each part's length less one, 0..2 (a missing dot leaves d3 at 16).
    const unsigned l0 = d1 - 1, l1 = d2 - d1 - 2, l2 = d3 - d2 - 2,
                   l3 = static_cast<unsigned>(len) - d3 - 2;
    if ((l0 > 2) | (l1 > 2) | (l2 > 2) | (l3 > 2)) {
      return false;
    }
    const __m128i shuffle = _mm_load_si128(
        reinterpret_cast<const __m128i*>(kIp4Shuffle.m[l0 + 3 * l1 + 9 * l2 + 27 * l3]));
    const __m128i spread = _mm_shuffle_epi8(_mm_sub_epi8(v, kVec.zero_char), shuffle);
    const __m128i pairs = _mm_maddubs_epi16(spread, kVec.ip4_weights);
    const __m128i parts = _mm_madd_epi16(pairs, kVec.ones16);
    if (_mm_movemask_epi8(_mm_cmpgt_epi32(parts, kVec.x255)) != 0) {
      return false;
    }
    const __m128i bytes = _mm_packus_epi16(_mm_packs_epi32(parts, parts), parts);
    const auto word = static_cast<std::uint32_t>(_mm_cvtsi128_si32(bytes));
    out.bytes = {};
    std::memcpy(out.bytes.data(), &word, 4);
    out.v6 = false;
    return true;
  }

#else
  static bool Ip4(const char* t, std::size_t b, std::size_t e, IpAddress& out) {
    const std::size_t len = e - b;
    if (len < 7 || len > 15) {
      return false;
    }
    std::uint32_t dots = 0;
    std::uint32_t digits = 0;
#if defined(__SSE2__)
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + b));
    dots = static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
    digits = static_cast<std::uint16_t>(_mm_movemask_epi8(_mm_and_si128(
        _mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)))));
#else
    for (std::size_t k = 0; k < 16; ++k) {
      dots |= static_cast<std::uint32_t>(t[b + k] == '.') << k;
      digits |= static_cast<std::uint32_t>(text::IsDigit(t[b + k])) << k;
    }
#endif
    const auto all = static_cast<std::uint32_t>(Low(len));
    dots &= all;
    // Every byte a digit or a dot, and exactly three dots.
    if (((dots | digits) & all) != all) {
      return false;
    }
    unsigned d1 = 0;
    unsigned d2 = 0;
    unsigned d3 = 0;
    if (!FirstThreeDots(dots, d1, d2, d3) || d3 >= len) {
      return false;
    }
    const unsigned q0 = Qnum(t, b, d1);
    const unsigned q1 = Qnum(t, b + d1 + 1, d2 - d1 - 1);
    const unsigned q2 = Qnum(t, b + d2 + 1, d3 - d2 - 1);
    const unsigned q3 = Qnum(t, b + d3 + 1, static_cast<unsigned>(len) - d3 - 1);
    if ((q0 | q1 | q2 | q3) > 255) {
      return false;
    }
    out.bytes[0] = static_cast<std::uint8_t>(q0);
    out.bytes[1] = static_cast<std::uint8_t>(q1);
    out.bytes[2] = static_cast<std::uint8_t>(q2);
    out.bytes[3] = static_cast<std::uint8_t>(q3);
    out.v6 = false;
    return true;
  }

#endif

  // The value of the n digits at b (known to be digits) if they form a qnum
  // (1-3 digits, no leading zero, §5.6); otherwise a value above 255.
  static unsigned Qnum(const char* t, std::size_t b, unsigned n) {
    const auto c0 = static_cast<unsigned>(t[b] - '0');
    const auto c1 = static_cast<unsigned>(static_cast<unsigned char>(t[b + 1])) - '0';
    const auto c2 = static_cast<unsigned>(static_cast<unsigned char>(t[b + 2])) - '0';
    // v = c0, c0 c1 or c0 c1 c2 by the length, with multiplies by 0 or 1
    // rather than branches.
    const unsigned two = static_cast<unsigned>(n >= 2);
    const unsigned three = static_cast<unsigned>(n >= 3);
    unsigned v = c0;
    v += two * (v * 9 + c1);
    v += three * (v * 9 + c2);
    const unsigned bad = static_cast<unsigned>(n - 1 > 2) | (two & static_cast<unsigned>(c0 == 0));
    return v | bad << 8;
  }

  // ip6 = "ip6" ":" ip6-network [ ip6-cidr-length ] (§5.6, S14).
  bool Ip6Network(Mechanism& m, std::size_t delim, std::size_t e) {
    if (!NetworkStart(delim, e)) {
      return false;
    }
    const std::size_t b = delim + 1;
    std::size_t end = CidrSuffix(b, e, false);
    std::optional<IpAddress> a = ParseIp6(View(b, end));
    if (!a) {
      // Report the address up to the first '/', and a malformed length
      // after it, as for ip4.
      end = b;
      while (end < e && t_[end] != '/') {
        ++end;
      }
      a = ParseIp6(View(b, end));
      if (!a) {
        Error("spf.record.bad_ip6", b, "not an RFC 4291 IPv6 address (RFC 7208 §5.6)",
              Detail(b, end));
        if (end != e) {
          std::uint8_t ignored = 0;
          bool has = false;
          SingleCidr(end, e, 128, has, ignored);
        }
        return false;
      }
    }
    m.network = *a;
    if (end == e) {
      return true;
    }
    return SingleCidr(end, e, 128, m.has_cidr6, m.cidr6);
  }

  // domain-spec = macro-string domain-end (§7.1), at [b, e); `special` is
  // the first ':' '=' '/' or '%' in it (e if none).
  bool DomainSpec(std::size_t b, std::size_t e, std::size_t special) {
    if (b == e) {
      Error("spf.record.empty_domain_spec", b, "empty domain-spec (RFC 7208 §7.1)");
      return false;
    }
    std::size_t lo = b;
    if (special != e && HasPercent(special, e)) {
      std::size_t expand_end = 0;
      if (!ScanMacroString(View(b, e), MacroUse::kDomainSpec, b, out_.diagnostics, expand_end)) {
        failed_ = true;
        return false;
      }
      if (b + expand_end == e) {
        return true;  // domain-end = macro-expand
      }
      lo = b + expand_end;
    }
    // domain-end = "." toplabel [ "." ], in the literal tail [lo, e).
    std::size_t end = e;
    if (t_[end - 1] == '.' && end - 1 > lo) {
      --end;
    }
    if (TopLabel(t_, lo, end)) {
      return true;
    }
    return DomainEndError(b, lo, end, e);
  }

  // True if [lo, end) ends in "." toplabel, where
  //   toplabel = ( *alphanum ALPHA *alphanum ) /
  //              ( 1*alphanum "-" *( alphanum / "-" ) alphanum ):
  // LDH back to a '.', no hyphen at either end, and a letter unless there is
  // a hyphen (§7.1).
  static bool TopLabel(const char* t, std::size_t lo, std::size_t end) {
#if defined(__SSE2__)
    // The 16 bytes before `end` at once (the copy has padding in front).
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + end - 16));
    const __m128i lower = _mm_or_si128(v, kVec.x20);
    const __m128i alpha =
        _mm_and_si128(_mm_cmpgt_epi8(lower, kVec.before_a), _mm_cmplt_epi8(lower, kVec.after_z));
    const __m128i digit =
        _mm_and_si128(_mm_cmpgt_epi8(v, kVec.before_0), _mm_cmplt_epi8(v, kVec.after_9));
    const __m128i hyphen = _mm_cmpeq_epi8(v, kVec.hyphen);
    const auto alpha_or_hy = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(alpha, hyphen)));
    const auto ldh = static_cast<std::uint16_t>(
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha, digit), hyphen)));
    const auto run = static_cast<std::size_t>(std::countl_one(ldh));
    if (run < 16) {
      const std::size_t k = end - run;
      return run != 0 && k > lo && t[k - 1] == '.' && (alpha_or_hy >> (16 - run)) != 0 &&
             t[k] != '-' && t[end - 1] != '-';
    }
    // A label of 16 bytes or more: the loop below.
#endif
    std::size_t k = end;
    std::uint8_t any = 0;
    while (k > lo && (kClass[t[k - 1]] & kLdh) != 0) {
      any |= kClass[t[k - 1]];
      --k;
    }
    return k > lo && k < end && t[k - 1] == '.' && (any & kAlphaOrHy) != 0 && t[k] != '-' &&
           t[end - 1] != '-';
  }

  bool HasPercent(std::size_t special, std::size_t e) const {
    for (std::size_t k = special; k < e; k = FirstSpecial(k + 1, e)) {
      if (t_[k] == '%') {
        return true;
      }
    }
    return false;
  }

  // Why [lo, end) (end excluding one trailing dot) is not "." toplabel.
  [[gnu::cold, gnu::noinline]] bool DomainEndError(std::size_t b, std::size_t lo, std::size_t end,
                                                   std::size_t e) {
    std::size_t k = end;
    while (k > lo && (kClass[t_[k - 1]] & kLdh) != 0) {
      --k;
    }
    if (k == end || k == lo || t_[k - 1] != '.') {
      const std::size_t at = k == end ? end - 1 : (k == lo ? lo : k - 1);
      Error("spf.record.domain_end", at,
            "domain-spec does not end in \".\" toplabel or a macro (RFC 7208 §7.1)", Detail(b, e));
      return false;
    }
    if (t_[k] == '-' || t_[end - 1] == '-') {
      Error("spf.record.domain_end", t_[k] == '-' ? k : end - 1,
            "top label begins or ends with '-' (RFC 7208 §7.1)", Detail(k, end));
      return false;
    }
    Error("spf.record.numeric_toplabel", k, "all-numeric top label (RFC 7208 §7.1 toplabel)",
          Detail(k, end));
    return false;
  }

  // A term with '=' before any ':' or '/': name at [p, eq), value after.
  void Modifier(std::size_t s, std::size_t p, std::size_t eq, std::size_t e, bool explicit_q) {
    const std::size_t b = eq + 1;
    // §4.6.1: name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ), no
    // qualifier (S12).
    if (explicit_q || !IsModifierName(View(p, eq))) {
      Error("spf.record.bad_modifier_name", s,
            "modifier name is not ALPHA *( ALPHA / DIGIT / \"-\" / \"_\" / \".\" ) "
            "(RFC 7208 §4.6.1)",
            Detail(s, eq));
      return;
    }
    spf::Modifier mod;
    mod.term = Span(s, e);
    mod.name = Span(p, eq);
    mod.value = Span(b, e);
    const std::uint64_t w = NameWord(p, eq - p);
    const std::size_t special = FirstSpecial(b, e);
    if (w == kRedirectWord || w == kExpWord) {
      const bool redirect = w == kRedirectWord;
      bool& seen = redirect ? seen_redirect_ : seen_exp_;
      bool ok = true;
      if (seen) {
        // §6 (SPF-6-01, S11): redirect and exp at most once each.
        Error(redirect ? std::string_view("spf.record.duplicate_redirect")
                       : std::string_view("spf.record.duplicate_exp"),
              s,
              redirect ? std::string_view("second \"redirect\" modifier (RFC 7208 §6)")
                       : std::string_view("second \"exp\" modifier (RFC 7208 §6)"));
        ok = false;
      }
      seen = true;
      // §6.1, §6.2: the value is a domain-spec; "exp=" is an error
      // (SPF-6.2-05).
      ok &= DomainSpec(b, e, special);
      if (ok) {
        (redirect ? out_.redirect : out_.explanation) = mod;
      }
      return;
    }
    // §6 (SPF-6-02): unknown modifiers are kept; the value must still be a
    // macro-string. It is never expanded, so the letters c, r and t, which
    // §7.2 reserves for explanations, are not an error here.
    if (special != e && HasPercent(special, e) &&
        !ValidateMacroString(View(b, e), MacroUse::kExplain, b, out_.diagnostics)) {
      failed_ = true;
      return;
    }
    out_.unknown.push_back(mod);
  }

  void Finish() {
    std::uint32_t dns = dns_;
    if (out_.redirect) {
      if (out_.first_all) {
        // §5.1, §6.1 (SPF-5.1-01): a redirect is ignored when "all" is present.
        out_.diagnostics.push_back(MakeDiag(
            "spf.record.redirect_ignored", Severity::kInfo, out_.redirect->term.pos,
            "\"redirect\" is never used: the record has an \"all\" mechanism (RFC 7208 §6.1)"));
      } else {
        ++dns;
      }
    }
    out_.dns_terms = dns;
    if (!failed_ && dns > 10) {
      // §4.6.4 (SPF-4.6.4-01): more than 10 DNS terms cannot all be evaluated.
      out_.diagnostics.push_back(MakeDiag("spf.record.dns_terms_over_limit", Severity::kWarning, 0,
                                          "more than 10 terms that cause DNS lookups: evaluation "
                                          "reaching them gives permerror (RFC 7208 §4.6.4)",
                                          std::to_string(dns)));
    }
  }

  Record& out_;
  const char* t_;
  std::size_t n_;
  const ByteMasks& m_;
  const bool fast_paths_;
  std::uint32_t dns_ = 0;
  bool failed_ = false;
  bool seen_redirect_ = false;
  bool seen_exp_ = false;
  TermSlot term_;  // the term Term() is parsing
};

void Reset(Record& out) {
  out.mechanisms.clear();
  out.redirect.reset();
  out.explanation.reset();
  out.unknown.clear();
  out.first_all.reset();
  out.dns_terms = 0;
  out.diagnostics.clear();
}

bool StartsWithVersion(std::string_view t) {
  // "v=spf1" is an ABNF literal, hence case-insensitive (S4). OR 0x20 maps
  // only 'V', 'S', 'P', 'F' to the lower-case letters compared.
  return t.size() >= kVersion.size() && (t[0] | 0x20) == 'v' && t[1] == '=' &&
         (t[2] | 0x20) == 's' && (t[3] | 0x20) == 'p' && (t[4] | 0x20) == 'f' && t[5] == '1';
}

}  // namespace

std::string_view MechanismName(MechanismKind k) {
  switch (k) {
    case MechanismKind::kAll:
      return "all";
    case MechanismKind::kInclude:
      return "include";
    case MechanismKind::kA:
      return "a";
    case MechanismKind::kMx:
      return "mx";
    case MechanismKind::kPtr:
      return "ptr";
    case MechanismKind::kIp4:
      return "ip4";
    case MechanismKind::kIp6:
      return "ip6";
    case MechanismKind::kExists:
      return "exists";
  }
  return "all";
}

char QualifierChar(Qualifier q) {
  switch (q) {
    case Qualifier::kPass:
      return '+';
    case Qualifier::kFail:
      return '-';
    case Qualifier::kSoftFail:
      return '~';
    case Qualifier::kNeutral:
      return '?';
  }
  return '+';
}

bool IsSpfRecord(std::string_view txt) {
  // §4.5 (SPF-4.5-01, S3): the version is ended by SP or the end.
  return StartsWithVersion(txt) && (txt.size() == kVersion.size() || txt[kVersion.size()] == ' ');
}

Result<std::size_t> SelectRecord(std::span<const std::string> rrs) {
  std::size_t found = rrs.size();
  std::size_t count = 0;
  for (std::size_t k = 0; k < rrs.size(); ++k) {
    if (IsSpfRecord(rrs[k])) {
      if (count == 0) {
        found = k;
      }
      ++count;
    }
  }
  if (count == 0) {
    // §4.5 (S1): no SPF record is the result "none".
    return MakeDiag("spf.record.none", Severity::kError, 0,
                    "no TXT record begins with \"v=spf1\" followed by a space or its end");
  }
  if (count > 1) {
    // §4.5 (S2): several SPF records are a permerror, even identical ones.
    return MakeDiag("spf.record.multiple", Severity::kError, 0,
                    "more than one TXT record is an SPF record (RFC 7208 §4.5)",
                    std::to_string(count) + " records");
  }
  return found;
}

bool ParseRecordInto(std::string_view text, Record& out) {
  return ParseRecordInto(text, out, RecordParseOptions{});
}

bool ParseRecordInto(std::string_view text, Record& out, const RecordParseOptions& opts) {
  Reset(out);
  text::AssignInPlace(out.text, text);  // `text` may point into out.text
  if (out.text.size() > std::numeric_limits<std::uint32_t>::max()) {
    out.diagnostics.push_back(
        MakeDiag("spf.record.too_long", Severity::kError, 0, "record longer than 4 GiB"));
    return false;
  }
  if (!IsSpfRecord(out.text)) {
    const bool prefix = StartsWithVersion(out.text);
    out.diagnostics.push_back(MakeDiag(
        "spf.record.version", Severity::kError, prefix ? kVersion.size() : 0,
        prefix ? std::string_view("\"v=spf1\" is not followed by a space or the end of the "
                                  "record (RFC 7208 §4.5)")
               : std::string_view("record does not begin with \"v=spf1\" (RFC 7208 §4.5)"),
        text::Printable(std::string_view(out.text).substr(0, kVersion.size() + 1), 16)));
    return false;
  }
  const std::size_t n = out.text.size();
  char stack_copy[kFrontPadding + kStackBytes + kPadding];
  std::uint64_t stack_masks[kMaskCount * (kStackWords + 1)];
  std::unique_ptr<char[]> heap_copy;
  std::unique_ptr<std::uint64_t[]> heap_masks;
  char* copy = stack_copy;
  std::uint64_t* storage = stack_masks;
  if (n > kStackBytes) {
    heap_copy = std::make_unique<char[]>(kFrontPadding + n + kPadding);
    heap_masks = std::make_unique<std::uint64_t[]>(ByteMasks::StorageWords(n));
    copy = heap_copy.get();
    storage = heap_masks.get();
  }
  std::memset(copy, ' ', kFrontPadding);
  copy += kFrontPadding;
  std::memcpy(copy, out.text.data(), n);
  std::memset(copy + n, ' ', kPadding);
  const ByteMasks masks(copy, n, storage);
  return Parser(out, copy, masks, opts.fast_paths).Run();
}

Result<Record> ParseRecord(std::string_view text) {
  Record r;
  if (!ParseRecordInto(text, r)) {
    return Result<Record>::Failure(std::move(r.diagnostics));
  }
  return r;
}

std::string SerializeRecord(const Record& r) {
  std::string out(kVersion);
  for (const Mechanism& m : r.mechanisms) {
    out.push_back(' ');
    if (m.explicit_qualifier) {
      out.push_back(QualifierChar(m.qualifier));
    }
    out += MechanismName(m.kind);
    if (m.kind == MechanismKind::kIp4 || m.kind == MechanismKind::kIp6) {
      out.push_back(':');
      out += ReadableIpForm(m.network);
    } else if (!m.domain_spec.empty()) {
      out.push_back(':');
      out += r.View(m.domain_spec);
    }
    if (m.has_cidr4) {
      out.push_back('/');
      out += std::to_string(m.cidr4);
    }
    if (m.has_cidr6) {
      out += m.kind == MechanismKind::kIp6 ? "/" : "//";
      out += std::to_string(m.cidr6);
    }
  }
  if (r.redirect) {
    out += " redirect=";
    out += r.View(r.redirect->value);
  }
  if (r.explanation) {
    out += " exp=";
    out += r.View(r.explanation->value);
  }
  for (const Modifier& m : r.unknown) {
    out.push_back(' ');
    out += r.View(m.name);
    out.push_back('=');
    out += r.View(m.value);
  }
  return out;
}

}  // namespace mxconform::spf
