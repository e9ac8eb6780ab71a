#include "mtasts/policy.h"

#include <bit>
#include <cstring>

#include "common/domain.h"
#include "common/host_simd.h"
#include "common/text.h"

namespace mxconform::mtasts {
namespace {

constexpr std::uint8_t kSeenVersion = 1;
constexpr std::uint8_t kSeenMode = 2;
constexpr std::uint8_t kSeenMaxAge = 4;

// Bytes of an ext-name (RFC 8461 §3.2): ALPHA / DIGIT / "_" / "-" / ".".
struct NameCharTable {
  bool v[256] = {};
  constexpr NameCharTable() {
    for (int c = 0; c < 256; ++c) {
      v[c] = text::IsAlnum(static_cast<char>(c)) || c == '_' || c == '-' || c == '.';
    }
  }
};
constexpr NameCharTable kNameChar{};

class PolicyParser {
 public:
  PolicyParser(std::string_view in, const ParseOptions& opts, Policy& out)
      : in_(in),
        n_(in.size()),
        interop_(opts.profile == Profile::kInterop),
        fast_paths_(opts.fast_paths),
        out_(out) {}

  bool Run() {
    out_.mode = Mode::kNone;
    out_.max_age = 0;
    out_.extensions.clear();
    out_.diagnostics.clear();
    out_.mx_spans.clear();
    std::size_t mx_count = 0;
    if (n_ > kMaxPolicyBytes) {
      // STS-3.3-09, P39: a body above the suggested 64 KiB cap is refused.
      out_.text.clear();
      Error("mtasts.policy.too_large", kMaxPolicyBytes, "policy body larger than 64 KiB",
            std::to_string(n_) + " bytes");
      return false;
    }
    // The patterns are spans of this copy; offsets equal body offsets.
    text::AssignInPlace(out_.text, in_);
    if (n_ == 0) {
      Error("mtasts.policy.empty", 0, "empty policy body");
      return false;
    }
    std::size_t pos = 0;
    while (pos < n_) {
      pos = FastLine(pos, mx_count);
    }
    if ((seen_ & kSeenVersion) == 0) {
      Error("mtasts.policy.missing_version", n_, "required field \"version\" is missing");
    }
    if ((seen_ & kSeenMode) == 0) {
      Error("mtasts.policy.missing_mode", n_, "required field \"mode\" is missing");
    }
    if ((seen_ & kSeenMaxAge) == 0) {
      Error("mtasts.policy.missing_max_age", n_, "required field \"max_age\" is missing");
    }
    if ((seen_ & kSeenMode) != 0 && out_.mode != Mode::kNone && mx_count == 0 && !bad_mx_) {
      // STS-3.2-12, P29: mx is required unless the mode is none.
      Error("mtasts.policy.missing_mx", mode_off_,
            "mode is enforce or testing but no \"mx\" field");
    }
    return !failed_;
  }

 private:
  // Erratum 6253 (P16): the prose says CRLF but the ABNF allows LF; both
  // are accepted, and the first bare LF is noted.
  void NoteBareLf(std::size_t at) {
    if (!noted_lf_) {
      noted_lf_ = true;
      Note("mtasts.policy.bare_lf", at,
           "line ends in a bare LF: accepted (the ABNF allows LF; RFC 8461 erratum 6253)");
    }
  }

  // The general path for one line: finds its end, then Line() does the rest.
  std::size_t SlowLine(std::size_t pos, std::size_t& mx_count) {
    const void* hit = std::memchr(in_.data() + pos, '\n', n_ - pos);
    std::size_t nl =
        hit != nullptr ? static_cast<std::size_t>(static_cast<const char*>(hit) - in_.data()) : n_;
    std::size_t end = nl;
    if (nl < n_) {
      if (end > pos && in_[end - 1] == '\r') {
        --end;
      } else {
        NoteBareLf(nl);
      }
    }
    Line(pos, end, mx_count);
    return nl + 1;
  }

  // If a line ends at `i` (LF, CRLF or the end of the body), sets `next` to
  // where the following line starts and returns true.
  bool LineEndsAt(std::size_t i, std::size_t& next) {
    if (i == n_) {
      next = n_;
      return true;
    }
    if (in_[i] == '\n') {
      next = i + 1;
      return true;
    }
    if (in_[i] == '\r' && i + 1 < n_ && in_[i + 1] == '\n') {
      next = i + 2;
      return true;
    }
    return false;
  }

  // `version: STSv1`, `mode: enforce|testing|none` and `max_age: N` (N at
  // most the cap) in their usual shape, seen for the first time, with the
  // value straight after the spaces and the line end straight after the
  // value. Returns 0 for anything else; the general path then gives the
  // same result.
  std::size_t FastKnownLine(std::size_t pos) {
    std::string_view rest = in_.substr(pos);
    std::size_t v = 0;
    std::uint8_t field = 0;
    if (rest.starts_with("version:")) {
      field = kSeenVersion;
      v = pos + 8;
    } else if (rest.starts_with("mode:")) {
      field = kSeenMode;
      v = pos + 5;
    } else if (rest.starts_with("max_age:")) {
      field = kSeenMaxAge;
      v = pos + 8;
    } else {
      return 0;
    }
    if ((seen_ & field) != 0) {
      return 0;  // a duplicate: the general path warns
    }
    while (v < n_ && in_[v] == ' ') {
      ++v;
    }
    std::string_view value = in_.substr(v);
    std::size_t len = 0;
    Mode mode = Mode::kNone;
    std::uint64_t age = 0;
    if (field == kSeenVersion) {
      if (!value.starts_with("STSv1")) {
        return 0;
      }
      len = 5;
    } else if (field == kSeenMode) {
      if (value.starts_with("enforce")) {
        mode = Mode::kEnforce;
        len = 7;
      } else if (value.starts_with("testing")) {
        mode = Mode::kTesting;
        len = 7;
      } else if (value.starts_with("none")) {
        mode = Mode::kNone;
        len = 4;
      } else {
        return 0;
      }
    } else {
      while (len < value.size() && len < 9 && text::IsDigit(value[len])) {
        age = age * 10 + static_cast<std::uint64_t>(value[len] - '0');
        ++len;
      }
      if (len == 0 || age > kMaxAgeCap) {
        return 0;
      }
    }
    std::size_t next = 0;
    if (!LineEndsAt(v + len, next)) {
      return 0;
    }
    if (v + len < n_ && in_[v + len] == '\n') {
      NoteBareLf(v + len);
    }
    seen_ |= field;
    if (field == kSeenMode) {
      mode_off_ = v;
      out_.mode = mode;
    } else if (field == kSeenMaxAge) {
      out_.max_age = static_cast<std::uint32_t>(age);
    }
    return next;
  }

  // An `mx:` line of the usual shape (spaces, an optional "*.", a plain LDH
  // host of at most 31 bytes, then CRLF, LF or the end of the body) in one
  // go: 32 bytes are classified with SSE2, the host ends at the first byte
  // that is neither LDH nor '.', and the label rules are checked on the
  // masks. Returns 0 (nothing done) for anything else, which the general
  // path then handles with the same result; the body must be at least 32
  // bytes long.
  std::size_t FastMxLine(std::size_t pos, std::size_t& mx_count) {
#if defined(__SSE2__)
    std::size_t v = pos + 3;
    while (v < n_ && in_[v] == ' ') {
      ++v;
    }
    std::size_t h = v;
    if (n_ - h >= 2 && in_[h] == '*' && in_[h + 1] == '.') {
      h += 2;
    }
    // The 32 bytes from the host on; near the end of the body, the body's
    // last 32 bytes instead, with the masks shifted to start at the host
    // (the bits past the end are then clear and end the host there).
    std::size_t base = h;
    if (n_ - h < 32) {
      if (n_ < 32) {
        return 0;
      }
      base = n_ - 32;
    }
    domain::HostBytes m;
    domain::ClassifyHost16(in_.data() + base, 0, m);
    domain::ClassifyHost16(in_.data() + base + 16, 16, m);
    if (base != h) {
      m = domain::ShiftHostBytes(m, h - base);
    }
    const std::uint64_t beyond = base == h ? ~std::uint64_t{0xffffffff} : 0;
    const std::uint64_t name = (m.ldh | m.dot) | beyond;
    if (name == ~std::uint64_t{0}) {
      return 0;  // 32 bytes or more of host: the general path
    }
    const auto len = static_cast<std::size_t>(std::countr_zero(~name));
    if (len == 0) {
      return 0;
    }
    std::size_t line_end = h + len;
    std::size_t next = 0;
    if (line_end == n_) {
      next = n_;  // the last line, without a line end
    } else if (in_[line_end] == '\n') {
      next = line_end + 1;
    } else if (in_[line_end] == '\r' && line_end + 1 < n_ && in_[line_end + 1] == '\n') {
      next = line_end + 2;
    } else {
      return 0;  // trailing white space, a bad byte, a port...: the general path
    }
    if (!domain::IsPlainLdhName(m, len)) {
      return 0;  // an empty label, a hyphen at a label edge, maybe an A-label
    }
    if (line_end < n_ && in_[line_end] == '\n') {
      NoteBareLf(line_end);
    }
    StoreMx(in_.substr(v, line_end - v), mx_count);
    return next;
#else
    return 0;
#endif
  }

  // The common shape, `name:` then a value, in one pass over the bytes: the
  // name through a table, the value up to the line end eight bytes at a time.
  // Anything unusual (white space before the name or the colon, blank
  // lines, bad bytes in the name) goes to SlowLine. Returns where the next
  // line starts.
  std::size_t FastLine(std::size_t pos, std::size_t& mx_count) {
    if (fast_paths_) {
      if (n_ - pos >= 3 && in_[pos] == 'm' && in_[pos + 1] == 'x' && in_[pos + 2] == ':') {
        if (std::size_t next = FastMxLine(pos, mx_count); next != 0) {
          return next;
        }
      } else if (std::size_t next = FastKnownLine(pos); next != 0) {
        return next;
      }
    }
    std::size_t i = pos;
    while (i < n_ && kNameChar.v[static_cast<unsigned char>(in_[i])]) {
      ++i;
    }
    if (i == pos || i == n_ || in_[i] != ':' || i - pos > 32 || !text::IsAlnum(in_[pos])) {
      return SlowLine(pos, mx_count);
    }
    std::string_view name = in_.substr(pos, i - pos);
    ++i;
    while (i < n_ && text::IsWsp(in_[i])) {
      ++i;
    }
    const std::size_t vstart = i;
    std::size_t line_end = n_;
    std::size_t next = n_;
    bool non_ascii = false;
    while (true) {
      i += text::FindNonPrintable(in_.substr(i));
      if (i >= n_) {
        break;
      }
      auto c = static_cast<unsigned char>(in_[i]);
      if (c == '\n') {
        line_end = i;
        next = i + 1;
        NoteBareLf(i);
        break;
      }
      if (c == '\r' && i + 1 < n_ && in_[i + 1] == '\n') {
        line_end = i;
        next = i + 2;
        break;
      }
      if (c == '\t' || c >= 0x80) {
        non_ascii |= c >= 0x80;
        ++i;
        continue;
      }
      // A bare CR or another control byte: the general path reports it.
      return SlowLine(pos, mx_count);
    }
    std::string_view value = in_.substr(vstart, line_end - vstart);
    if (non_ascii) {
      std::size_t good = text::ValidUtf8Prefix(value);
      if (good != value.size()) {
        Error("mtasts.policy.invalid_utf8", vstart + good, "invalid UTF-8");
        return next;
      }
    }
    while (!value.empty() && text::IsWsp(value.back())) {
      value.remove_suffix(1);  // P20: *WSP after each field
    }
    Dispatch(name, value, vstart, pos, mx_count);
    return next;
  }

  void Line(std::size_t start, std::size_t end, std::size_t& mx_count) {
    std::string_view line = in_.substr(start, end - start);
    bool non_ascii = false;
    for (std::size_t i = text::FindNonPrintable(line); i < line.size();
         i = i + 1 + text::FindNonPrintable(line.substr(i + 1))) {
      auto c = static_cast<unsigned char>(line[i]);
      if (c >= 0x80) {
        non_ascii = true;
        continue;
      }
      if (c == '\t') {
        continue;
      }
      if (c == '\r') {
        // P17: CR is only allowed as part of CRLF.
        Error("mtasts.policy.bare_cr", start + i, "CR not followed by LF");
      } else {
        Error("mtasts.policy.control_character", start + i, "control character in policy",
              text::Printable(line.substr(i, 1)));
      }
      return;
    }
    if (non_ascii) {
      std::size_t good = text::ValidUtf8Prefix(line);
      if (good != line.size()) {
        Error("mtasts.policy.invalid_utf8", start + good, "invalid UTF-8");
        return;
      }
    }
    std::size_t i = 0;
    while (i < line.size() && text::IsWsp(line[i])) {
      ++i;
    }
    if (i == line.size()) {
      // P23: the ABNF has no empty lines (a final line end is allowed).
      Relax("mtasts.policy.blank_line", start, "blank line");
      return;
    }
    if (i != 0 &&
        !Relax("mtasts.policy.leading_whitespace", start, "white space before the field name")) {
      return;
    }
    std::size_t colon = line.find(':', i);
    if (colon == std::string_view::npos) {
      Error("mtasts.policy.missing_colon", start + i, "line has no ':' after the field name",
            text::Printable(line));
      return;
    }
    std::size_t name_end = colon;
    while (name_end > i && text::IsWsp(line[name_end - 1])) {
      --name_end;
    }
    if (name_end != colon &&
        !Relax("mtasts.policy.space_before_colon", start + name_end,
               "white space between field name and ':' (P18: outside the ABNF)")) {
      return;
    }
    std::string_view name = line.substr(i, name_end - i);
    if (!text::IsFieldName(name)) {
      Error("mtasts.policy.bad_field_name", start + i, "field name outside the RFC 8461 grammar",
            text::Printable(name));
      return;
    }
    std::size_t v = colon + 1;
    while (v < line.size() && text::IsWsp(line[v])) {
      ++v;
    }
    std::size_t vend = line.size();
    while (vend > v && text::IsWsp(line[vend - 1])) {
      --vend;  // P20: *WSP after each field
    }
    std::string_view value = line.substr(v, vend - v);
    std::size_t voff = start + v;
    Dispatch(name, value, voff, start + i, mx_count);
  }

  void Dispatch(std::string_view name, std::string_view value, std::size_t voff,
                std::size_t name_off, std::size_t& mx_count) {
    // Names and values of the known fields are case-sensitive (P21).
    switch (name.size()) {
      case 2:
        if (name == "mx") {
          MxField(value, voff, mx_count);
          return;
        }
        break;
      case 4:
        if (name == "mode") {
          ModeField(value, voff, name_off);
          return;
        }
        break;
      case 7:
        if (name == "version") {
          VersionField(value, voff, name_off);
          return;
        }
        if (name == "max_age") {
          MaxAgeField(value, voff, name_off);
          return;
        }
        break;
      default:
        break;
    }
    ExtField(name, value, voff, name_off);
  }

  // STS-3.2-11, P24: for a repeated non-mx field only the first counts.
  bool FirstTime(std::uint8_t bit, std::size_t at) {
    if ((seen_ & bit) != 0) {
      Warn("mtasts.policy.duplicate_field", at,
           "field repeated: only the first occurrence counts (RFC 8461 §3.2)");
      return false;
    }
    seen_ |= bit;
    return true;
  }

  void VersionField(std::string_view value, std::size_t voff, std::size_t at) {
    if (!FirstTime(kSeenVersion, at)) {
      return;
    }
    if (value != "STSv1") {
      // STS-3.2-04
      Error("mtasts.policy.bad_version", voff, "version must be \"STSv1\"", text::Printable(value));
    }
  }

  void ModeField(std::string_view value, std::size_t voff, std::size_t at) {
    if (!FirstTime(kSeenMode, at)) {
      return;
    }
    mode_off_ = voff;
    // STS-3.2-05
    if (value == "enforce") {
      out_.mode = Mode::kEnforce;
    } else if (value == "testing") {
      out_.mode = Mode::kTesting;
    } else if (value == "none") {
      out_.mode = Mode::kNone;
    } else {
      Error("mtasts.policy.bad_mode", voff, "mode must be \"enforce\", \"testing\" or \"none\"",
            text::Printable(value));
    }
  }

  void MaxAgeField(std::string_view value, std::size_t voff, std::size_t at) {
    if (!FirstTime(kSeenMaxAge, at)) {
      return;
    }
    std::uint64_t v = 0;
    // STS-3.2-06: 1*10DIGIT (P33: no sign, exponent, or 11th digit; P35:
    // leading zeros are digits like any other).
    if (!text::ParseDecimal(value, 10, v)) {
      Error("mtasts.policy.bad_max_age", voff, "max_age must be 1 to 10 decimal digits",
            text::Printable(value));
      return;
    }
    if (v > kMaxAgeCap) {
      // Erratum 7282 (P32): the ABNF allows 10 digits, the prose caps the
      // value at 31557600. Strict rejects; interop clamps. Either way no
      // cache lifetime above the cap ever comes out of the parser.
      if (!Relax("mtasts.policy.max_age_above_cap", voff,
                 "max_age above 31557600 (RFC 8461 §3.2, erratum 7282): strict rejects, interop "
                 "clamps to 31557600")) {
        return;
      }
      v = kMaxAgeCap;
    }
    out_.max_age = static_cast<std::uint32_t>(v);
  }

  void MxField(std::string_view value, std::size_t voff, std::size_t& mx_count) {
    // STS-3.2-08/09, P25-P28: ["*."] Domain, one per line, A-labels only.
    std::string_view host = value;
    std::size_t hoff = voff;
    if (host.size() >= 2 && host[0] == '*' && host[1] == '.') {
      host.remove_prefix(2);
      hoff += 2;
    }
    domain::NameRules rules;
    rules.allow_trailing_dot = interop_;
    domain::NameCheck check = domain::CheckName(host, rules);
    if (!check.ok()) {
      bad_mx_ = true;
      Error("mtasts.policy.bad_mx", hoff + check.offset, "invalid mx pattern",
            std::string(domain::NameErrorMessage(check.error)) + ": " + text::Printable(value));
      return;
    }
    if (host.back() == '.') {
      Warn("mtasts.policy.mx_trailing_dot", voff + value.size() - 1,
           "mx pattern ends in a root dot: accepted and dropped (outside RFC 5321 Domain)");
      value.remove_suffix(1);
    }
    StoreMx(value, mx_count);
  }

  // `value` is a view of the body.
  void StoreMx(std::string_view value, std::size_t& mx_count) {
    out_.mx_spans.push_back(TextSpan{static_cast<std::uint32_t>(value.data() - in_.data()),
                                     static_cast<std::uint32_t>(value.size())});
    ++mx_count;
  }

  void ExtField(std::string_view name, std::string_view value, std::size_t voff, std::size_t at) {
    // ext-value = vchar [*(%x20 / vchar) vchar], vchar including UTF-8.
    std::size_t bad = value.empty() ? 0 : value.find('\t');
    if (value.empty() || bad != std::string_view::npos) {
      Relax(
          "mtasts.policy.bad_extension", value.empty() ? at : voff + bad,
          value.empty() ? "extension field with an empty value" : "tab inside an extension value");
      return;
    }
    for (const auto& e : out_.extensions) {
      if (e.name == name) {
        Warn("mtasts.policy.duplicate_field", at,
             "field repeated: only the first occurrence counts (RFC 8461 §3.2)");
        return;
      }
    }
    // STS-3.2-10, P37/P38: unknown fields are accepted and ignored.
    out_.extensions.push_back(Extension{std::string(name), std::string(value)});
  }

  void Error(std::string_view id, std::size_t at, std::string_view message,
             std::string detail = {}) {
    failed_ = true;
    out_.diagnostics.push_back(MakeDiag(id, Severity::kError, at, message, std::move(detail)));
  }
  void Warn(std::string_view id, std::size_t at, std::string_view message) {
    out_.diagnostics.push_back(MakeDiag(id, Severity::kWarning, at, message));
  }
  void Note(std::string_view id, std::size_t at, std::string_view message) {
    out_.diagnostics.push_back(MakeDiag(id, Severity::kInfo, at, message));
  }
  // A deviation that strict rejects and interop accepts with a warning.
  // Returns true if parsing of the line goes on.
  bool Relax(std::string_view id, std::size_t at, std::string_view message) {
    if (!interop_) {
      Error(id, at, message);
      return false;
    }
    Warn(id, at, message);
    return true;
  }

  std::string_view in_;
  std::size_t n_;
  bool interop_;
  bool fast_paths_;
  Policy& out_;
  std::uint8_t seen_ = 0;
  bool failed_ = false;
  bool bad_mx_ = false;
  bool noted_lf_ = false;
  std::size_t mode_off_ = 0;  // where the mode value is, for missing_mx
};

}  // namespace

std::string_view ModeName(Mode m) {
  switch (m) {
    case Mode::kEnforce:
      return "enforce";
    case Mode::kTesting:
      return "testing";
    case Mode::kNone:
      return "none";
  }
  return "none";
}

bool ParsePolicyInto(std::string_view body, const ParseOptions& opts, Policy& out) {
  return PolicyParser(body, opts, out).Run();
}

Result<Policy> ParsePolicy(std::string_view body, const ParseOptions& opts) {
  Policy p;
  if (!ParsePolicyInto(body, opts, p)) {
    return Result<Policy>::Failure(std::move(p.diagnostics));
  }
  return p;
}

std::string SerializePolicy(const Policy& p) {
  std::string out;
  for (const auto& line : PolicyStrings(p)) {
    out += line;
    out += "\r\n";
  }
  return out;
}

std::vector<std::string> PolicyStrings(const Policy& p) {
  std::vector<std::string> lines;
  lines.reserve(3 + p.mx_count() + p.extensions.size());
  lines.emplace_back("version: STSv1");
  lines.push_back("mode: " + std::string(ModeName(p.mode)));
  for (std::size_t i = 0; i < p.mx_count(); ++i) {
    lines.push_back("mx: " + std::string(p.mx(i)));
  }
  lines.push_back("max_age: " + std::to_string(p.max_age));
  for (const auto& e : p.extensions) {
    lines.push_back(e.name + ": " + e.value);
  }
  return lines;
}

std::vector<std::string> Policy::MxPatterns() const {
  std::vector<std::string> out;
  out.reserve(mx_spans.size());
  for (const auto& s : mx_spans) {
    out.emplace_back(s.In(text));
  }
  return out;
}

void Policy::AddMx(std::string_view pattern) {
  mx_spans.push_back(TextSpan{static_cast<std::uint32_t>(text.size()),
                              static_cast<std::uint32_t>(pattern.size())});
  text.append(pattern);
}

bool PolicyMatchesMx(const Policy& p, std::string_view mx_host) {
  for (std::size_t i = 0; i < p.mx_count(); ++i) {
    if (domain::MatchesMxPattern(p.mx(i), mx_host)) {
      return true;
    }
  }
  return false;
}

}  // namespace mxconform::mtasts
