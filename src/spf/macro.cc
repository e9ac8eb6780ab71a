// SPF macro validation and expansion (RFC 7208 §7), written by hand: no
// library implements the §7.1 grammar and the §7.3 transformers. One
// scanner (Scan) serves validation and the record parser's domain-end check;
// expansion re-reads the validated string and bounds its output.
#include "spf/macro.h"

#include <cstring>
#include <utility>
#include <vector>

#include "common/text.h"

namespace mxconform::spf {
namespace {

// Byte classes of the macro grammar (RFC 7208 §7.1).
enum : std::uint8_t {
  kLetter = 1,     // macro-letter, either case
  kExpOnly = 2,    // c r t: only in an explanation (§7.2, SPF-7.2-01)
  kDelimiter = 4,  // "." / "-" / "+" / "," / "/" / "_" / "="
  kUnreserved = 8  // RFC 3986 unreserved: ALPHA DIGIT "-" "." "_" "~"
};

struct MacroTable {
  std::uint8_t v[256] = {};
  constexpr MacroTable() {
    for (char c : std::string_view("slodiphcrtvSLODIPHCRTV")) {
      v[static_cast<unsigned char>(c)] |= kLetter;
    }
    for (char c : std::string_view("crtCRT")) {
      v[static_cast<unsigned char>(c)] |= kExpOnly;
    }
    for (char c : std::string_view(".-+,/_=")) {
      v[static_cast<unsigned char>(c)] |= kDelimiter;
    }
    for (int c = 0; c < 256; ++c) {
      auto ch = static_cast<char>(c);
      if (text::IsAlnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
        v[c] |= kUnreserved;
      }
    }
  }
  std::uint8_t operator[](char c) const { return v[static_cast<unsigned char>(c)]; }
};
constexpr MacroTable kClass{};

// Largest DIGIT transformer value kept as is; a larger one keeps all the
// parts just the same (§7.3: "more parts than are available"), so parsing
// saturates here instead of overflowing.
constexpr std::uint32_t kDigitCap = 1u << 20;

// One parsed "%{...}" macro-expand: [start, end) in the string.
struct Expand {
  std::size_t start = 0;
  std::size_t end = 0;
  char letter = 0;           // as written
  std::uint32_t digits = 0;  // 0 when none were written
  bool reverse = false;
  std::size_t delims = 0;  // position of the delimiters
  std::size_t n_delims = 0;
};

// Parses the macro-expand starting at s[i] == '%', s[i + 1] == '{'. On
// success fills `x` and returns true; otherwise records the error and sets
// x.end to where scanning resumes.
bool ParseExpand(std::string_view s, std::size_t i, MacroUse use, std::size_t base,
                 Diagnostics* diags, Expand& x) {
  const std::size_t n = s.size();
  x.start = i;
  std::size_t j = i + 2;
  auto fail = [&](std::string_view id, std::size_t at, std::string_view message) {
    if (diags != nullptr) {
      diags->push_back(MakeDiag(id, Severity::kError, base + at, message,
                                text::Printable(s.substr(i, j < n ? j - i + 1 : n - i))));
    }
    // Resume after the closing brace, if any, so one bad macro gives one error.
    std::size_t close = s.find('}', j);
    x.end = close == std::string_view::npos ? n : close + 1;
    return false;
  };
  if (j >= n) {
    return fail("spf.macro.unterminated", i, "\"%{\" without a closing \"}\"");
  }
  const char letter = s[j];
  if ((kClass[letter] & kLetter) == 0) {
    return fail("spf.macro.unknown_letter", j,
                "unknown macro letter (RFC 7208 §7.1: s l o d i p h c r t v)");
  }
  if ((kClass[letter] & kExpOnly) != 0 && use == MacroUse::kDomainSpec) {
    return fail("spf.macro.exp_only_letter", j,
                "macro letters c, r and t are allowed only in an explanation (RFC 7208 §7.2)");
  }
  x.letter = letter;
  ++j;
  const std::size_t digits_at = j;
  std::uint32_t v = 0;
  while (j < n && text::IsDigit(s[j])) {
    v = v * 10 + static_cast<std::uint32_t>(s[j] - '0');
    if (v > kDigitCap) {
      v = kDigitCap;
    }
    ++j;
  }
  if (j != digits_at && v == 0) {
    return fail("spf.macro.zero_digits", digits_at,
                "DIGIT transformer of zero (RFC 7208 §7.3: the value MUST be nonzero)");
  }
  x.digits = v;
  x.reverse = false;
  if (j < n && (s[j] == 'r' || s[j] == 'R')) {
    x.reverse = true;
    ++j;
  }
  x.delims = j;
  while (j < n && (kClass[s[j]] & kDelimiter) != 0) {
    ++j;
  }
  x.n_delims = j - x.delims;
  if (j >= n) {
    return fail("spf.macro.unterminated", i, "\"%{\" without a closing \"}\"");
  }
  if (s[j] != '}') {
    return fail("spf.macro.bad_transformer", j,
                "unexpected character in a macro: expected digits, \"r\", delimiters, \"}\"");
  }
  x.end = j + 1;
  return true;
}

bool Scan(std::string_view s, MacroUse use, std::size_t base, Diagnostics& diags,
          std::size_t& expand_end) {
  const std::size_t n = s.size();
  expand_end = 0;
  bool ok = true;
  std::size_t i = 0;
  while (i < n) {
    const char c = s[i];
    if (c == '%') {
      const char d = i + 1 < n ? s[i + 1] : '\0';
      if (d == '%' || d == '_' || d == '-') {
        i += 2;
        expand_end = i;
        continue;
      }
      if (d != '{') {
        // §7.3, SPF-7.1-01: a '%' not followed by '{', '%', '-' or '_'.
        diags.push_back(MakeDiag("spf.macro.bad_escape", Severity::kError, base + i,
                                 "'%' not followed by '{', '%', '_' or '-' (RFC 7208 §7.3)",
                                 text::Printable(s.substr(i, 2))));
        ok = false;
        ++i;
        continue;
      }
      Expand x;
      if (ParseExpand(s, i, use, base, &diags, x)) {
        expand_end = x.end;
      } else {
        ok = false;
      }
      i = x.end;
      continue;
    }
    if ((c < 0x21 || c > 0x7e) && !(c == ' ' && use == MacroUse::kExplain)) {
      diags.push_back(MakeDiag("spf.macro.bad_char", Severity::kError, base + i,
                               "character outside the macro-string grammar (%x21-7E)",
                               text::Printable(s.substr(i, 1))));
      ok = false;
    }
    ++i;
  }
  return ok;
}

// Builds the expansion into `out`. An explanation fails past kMaxExpansion;
// a domain-spec keeps only what §7.3's truncation can keep (Compact).
class Expander {
 public:
  Expander(const MacroContext& ctx, std::string& out, MacroUse use)
      : ctx_(ctx), out_(out), rolling_(use == MacroUse::kDomainSpec) {}

  // Appends `v`; false if an explanation would exceed kMaxExpansion.
  bool Append(std::string_view v) {
    if (!rolling_ && v.size() > kMaxExpansion - out_.size()) {
      return false;
    }
    out_.append(v.data(), v.size());
    return Fit();
  }

  bool Macro(std::string_view s, const Expand& x) {
    std::string_view value = Value(text::ToLower(x.letter));
    const bool escape = x.letter >= 'A' && x.letter <= 'Z';
    if (x.digits == 0 && !x.reverse && x.n_delims == 0) {
      return escape ? AppendEscaped(value) : Append(value);
    }
    // §7.3: split on any of the delimiters (default "."), keeping empty
    // parts; reverse with "r"; keep the N right-hand parts; join with ".".
    std::string_view delims =
        x.n_delims == 0 ? std::string_view(".") : s.substr(x.delims, x.n_delims);
    parts_.clear();
    std::size_t start = 0;
    for (std::size_t k = 0; k < value.size(); ++k) {
      if (delims.find(value[k]) != std::string_view::npos) {
        parts_.push_back(value.substr(start, k - start));
        start = k + 1;
      }
    }
    parts_.push_back(value.substr(start));
    if (x.reverse) {
      for (std::size_t a = 0, b = parts_.size() - 1; a < b; ++a, --b) {
        std::swap(parts_[a], parts_[b]);
      }
    }
    std::size_t first = 0;
    if (x.digits != 0 && x.digits < parts_.size()) {
      first = parts_.size() - x.digits;
    }
    joined_.clear();
    for (std::size_t k = first; k < parts_.size(); ++k) {
      if (k != first) {
        joined_.push_back('.');
      }
      joined_.append(parts_[k].data(), parts_[k].size());
      if (!rolling_ && joined_.size() > kMaxExpansion) {
        return false;  // (a domain-spec's part is no longer than the value)
      }
    }
    return escape ? AppendEscaped(joined_) : Append(joined_);
  }

 private:
  // The value of a lower-case macro letter (§7.2, §7.3).
  std::string_view Value(char letter) {
    switch (letter) {
      case 's':
        scratch_.clear();
        scratch_.append(ctx_.local_part);
        scratch_.push_back('@');
        scratch_.append(ctx_.sender_domain);
        return scratch_;
      case 'l':
        return ctx_.local_part;
      case 'o':
        return ctx_.sender_domain;
      case 'd':
        return ctx_.domain;
      case 'i':
        scratch_ = MacroIpForm(ctx_.ip);
        return scratch_;
      case 'p':
        return ctx_.validated_ptr.empty() ? std::string_view("unknown") : ctx_.validated_ptr;
      case 'v':
        return ctx_.ip.v6 ? std::string_view("ip6") : std::string_view("in-addr");
      case 'h':
        return ctx_.helo;
      case 'c':
        scratch_ = ReadableIpForm(ctx_.ip);
        return scratch_;
      case 'r':
        return ctx_.receiver.empty() ? std::string_view("unknown") : ctx_.receiver;
      case 't':
        scratch_ = std::to_string(ctx_.now);
        return scratch_;
      default:
        return {};
    }
  }

  // §7.3 (SPF-7.3-08): upper-case macros are URL-escaped; RFC 3986
  // unreserved characters stay, every other byte becomes %XX.
  bool AppendEscaped(std::string_view v) {
    constexpr char kHexUpper[] = "0123456789ABCDEF";
    for (char c : v) {
      if ((kClass[c] & kUnreserved) != 0) {
        if (!rolling_ && out_.size() >= kMaxExpansion) {
          return false;
        }
        out_.push_back(c);
      } else {
        if (!rolling_ && out_.size() + 3 > kMaxExpansion) {
          return false;
        }
        const auto b = static_cast<unsigned char>(c);
        out_.push_back('%');
        out_.push_back(kHexUpper[b >> 4]);
        out_.push_back(kHexUpper[b & 0xf]);
      }
    }
    return Fit();
  }

  // A domain-spec past kMaxExpansion: Compact. Always true for one (an
  // explanation never gets here over the limit).
  bool Fit() {
    if (rolling_ && out_.size() > kMaxExpansion) {
      Compact();
    }
    return true;
  }

  // §7.3 truncation keeps at most 253 bytes (plus one trailing dot it drops
  // first), starting just after a dot or at the start. So everything up to
  // a dot that has at least 255 bytes after it goes whatever follows:
  // dropping it here keeps the output small and the truncated name the
  // same (S29 with thousands of macros). What is left then has no dot
  // before its last 255 bytes: when it is longer than that, it starts with
  // one label of more than 253 bytes, and 254 of them stay, still too long
  // to survive truncation, as the whole label was.
  void Compact() {
    constexpr std::size_t kTail = 255;   // bytes after the last dot cut at
    constexpr std::size_t kLabel = 254;  // a label too long for any name
    const std::size_t dot = out_.rfind('.', out_.size() - kTail - 1);
    if (dot != std::string::npos) {
      out_.erase(0, dot + 1);
    }
    if (out_.size() > kTail + kLabel) {
      out_.erase(0, out_.size() - kTail - kLabel);
    }
  }

  const MacroContext& ctx_;
  std::string& out_;
  bool rolling_;
  std::string scratch_;
  std::string joined_;
  std::vector<std::string_view> parts_;
};

}  // namespace

bool ScanMacroString(std::string_view s, MacroUse use, std::size_t base_offset, Diagnostics& diags,
                     std::size_t& expand_end) {
  return Scan(s, use, base_offset, diags, expand_end);
}

bool ValidateMacroString(std::string_view s, MacroUse use, std::size_t base_offset,
                         Diagnostics& diags) {
  std::size_t expand_end = 0;
  return Scan(s, use, base_offset, diags, expand_end);
}

bool UsesMacroLetter(std::string_view s, char letter) {
  const char lower = text::ToLower(letter);
  for (std::size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] != '%') {
      continue;
    }
    if (s[i + 1] == '{') {
      if (text::ToLower(s[i + 2]) == lower) {
        return true;
      }
      i += 2;
    } else {
      ++i;  // "%%", "%_", "%-": the second byte is not a macro start
    }
  }
  return false;
}

Result<std::string> ExpandMacro(std::string_view s, MacroUse use, const MacroContext& ctx) {
  Diagnostics diags;
  std::size_t expand_end = 0;
  if (!Scan(s, use, 0, diags, expand_end)) {
    return Result<std::string>::Failure(std::move(diags));
  }
  std::string out;
  Expander expander(ctx, out, use);
  auto too_long = [](std::size_t at) {
    return MakeDiag("spf.macro.too_long", Severity::kError, at,
                    "macro expansion longer than the limit",
                    std::to_string(kMaxExpansion) + " bytes");
  };
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const std::size_t pct = s.find('%', i);
    const std::size_t lit_end = pct == std::string_view::npos ? n : pct;
    if (!expander.Append(s.substr(i, lit_end - i))) {
      return too_long(i);
    }
    if (lit_end == n) {
      break;
    }
    i = lit_end;
    // §7.1: "%%" is '%', "%_" a space, "%-" the URL-encoded space "%20".
    const char d = s[i + 1];  // Scan() guarantees a valid escape here
    std::string_view special = d == '%' ? "%" : d == '_' ? " " : d == '-' ? "%20" : "";
    if (d != '{') {
      if (!expander.Append(special)) {
        return too_long(i);
      }
      i += 2;
      continue;
    }
    Expand x;
    ParseExpand(s, i, use, 0, nullptr, x);
    if (!expander.Macro(s, x)) {
      return too_long(i);
    }
    i = x.end;
  }
  return out;
}

std::string_view TruncateDomain(std::string_view name) {
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  // §7.3 (SPF-7.3-07): remove labels from the left until 253 bytes remain.
  // A single label longer than that cannot be shortened and is returned as
  // is (the caller's name check then refuses it).
  while (name.size() > 253) {
    const std::size_t dot = name.find('.');
    if (dot == std::string_view::npos) {
      break;
    }
    name.remove_prefix(dot + 1);
  }
  return name;
}

}  // namespace mxconform::spf
