#include "tlsrpt/txt_record.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "common/domain.h"
#include "common/host_simd.h"
#include "common/text.h"
#include "common/txt.h"

namespace mxconform::tlsrpt {
namespace {

constexpr std::string_view kVersion = "v=TLSRPTv1";
constexpr std::string_view kSelectPrefix = "v=TLSRPTv1;";
constexpr std::size_t kMaxExtName = 32;  // (ALPHA / DIGIT) *31(...)
constexpr std::size_t kNone = std::string_view::npos;

// Byte classes for the single pass over the record. Bytes >= 0x80 and
// control bytes other than HTAB belong to no class.
enum : std::uint8_t {
  kWsp = 1,        // RFC 5234 WSP
  kNameChar = 2,   // tlsrpt-ext-name after the first byte: ALPHA / DIGIT / "_" / "-" / "."
  kExtValue = 4,   // tlsrpt-ext-value: %x21-3A / %x3C / %x3E-7E
  kUriToken = 8,   // what a rua URI token runs over: VCHAR except "," and ";"
  kUriPlain = 16,  // RFC 3986 unreserved / reserved, less "!" "," ";" (RPT-3-04) and
                   // less ":" "@" "?", which the scan records
  kHexDigit = 32,  // HEXDIG, case-insensitive
  kText = 64,      // VCHAR / WSP: every byte the record may hold
};

constexpr std::array<std::uint8_t, 256> MakeClasses() {
  std::array<std::uint8_t, 256> t{};
  t[' '] = kWsp | kText;
  t['\t'] = kWsp | kText;
  constexpr std::string_view kUriPunct = "-._~/#[]$&'()*+=";
  for (int b = 0x21; b <= 0x7e; ++b) {
    auto c = static_cast<char>(b);
    std::uint8_t k = kText;
    if (text::IsAlnum(c) || c == '_' || c == '-' || c == '.') {
      k |= kNameChar;
    }
    if (c != ';' && c != '=') {
      k |= kExtValue;
    }
    if (c != ',' && c != ';') {
      k |= kUriToken;
    }
    if (text::IsAlnum(c) || kUriPunct.find(c) != kNone) {
      k |= kUriPlain;
    }
    if (text::IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      k |= kHexDigit;
    }
    t[static_cast<std::size_t>(b)] = k;
  }
  return t;
}

constexpr std::array<std::uint8_t, 256> kClass = MakeClasses();

// What the scan of one rua URI token found. Positions are relative to the
// token; the scan records them so that classifying needs no further search.
struct UriScan {
  std::size_t colon = kNone;  // first ':'
  std::size_t query = kNone;  // first '?'
  std::size_t at = kNone;     // first '@' before `query`
  std::size_t ats = 0;        // number of '@' before `query`
  bool bad = false;           // a character outside RFC 3986, or a bad %HH
};

// mailto: addr-spec with exactly one '@', a non-empty local part and an
// A-label domain; a "?hfields" part is allowed.
bool IsMailtoTarget(std::string_view uri, const UriScan& scan) {
  std::size_t end = scan.query == kNone ? uri.size() : scan.query;
  if (scan.ats != 1 || scan.at <= scan.colon + 1) {
    return false;
  }
  return domain::CheckName(uri.substr(scan.at + 1, end - scan.at - 1)).ok();
}

// https: "//" authority with a host: a DNS name (A-labels) or an IP literal,
// optionally with userinfo and a numeric port.
bool IsHttpsTarget(std::string_view rest) {
  if (rest.substr(0, 2) != "//") {
    return false;
  }
  // authority = [ userinfo "@" ] host [ ":" port ], up to "/", "?" or "#".
  std::string_view auth = rest.substr(2);
  std::size_t end = 0;
  std::size_t at = kNone;
  for (; end < auth.size() && auth[end] != '/' && auth[end] != '?' && auth[end] != '#'; ++end) {
    if (auth[end] == '@') {
      at = end;
    }
  }
  auth = auth.substr(0, end);
  if (at != kNone) {
    auth.remove_prefix(at + 1);
  }
  std::string_view port;
  if (!auth.empty() && auth[0] == '[') {
    std::size_t close = auth.find(']');
    char buf[INET6_ADDRSTRLEN + 1];
    if (close == kNone || close - 1 >= sizeof buf) {
      return false;
    }
    std::memcpy(buf, auth.data() + 1, close - 1);
    buf[close - 1] = '\0';
    unsigned char addr[16];
    if (inet_pton(AF_INET6, buf, addr) != 1) {
      return false;
    }
    std::string_view after = auth.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return false;
      }
      port = after.substr(1);
    }
  } else {
    std::size_t colon = auth.find(':');
    if (colon != kNone) {
      port = auth.substr(colon + 1);
      auth = auth.substr(0, colon);
    }
    if (!domain::CheckName(auth).ok()) {
      return false;
    }
  }
  for (char c : port) {
    if (!text::IsDigit(c)) {
      return false;
    }
  }
  return true;
}

class TxtParser {
 public:
  TxtParser(std::string_view in, const ParseOptions& opts, TxtRecord& out)
      : in_(in),
        n_(in.size()),
        interop_(opts.profile == Profile::kInterop),
        fast_paths_(opts.fast_paths),
        out_(out) {}

  bool Run() {
    out_.diagnostics.clear();
    bool ok = Parse();
    // Drop what the previous use of `out` left beyond this record.
    while (out_.rua.size() > n_rua_) {
      out_.spare_uris.push_back(std::move(out_.rua.back().uri));
      out_.rua.pop_back();
    }
    out_.extensions.erase(out_.extensions.begin() + static_cast<std::ptrdiff_t>(n_ext_),
                          out_.extensions.end());
    return ok;
  }

 private:
  bool Parse() {
    // RFC 8460 §3, RPT-3-02 (R4): the record starts with the case-sensitive
    // "v=TLSRPTv1".
    if (!HasAt(0, kVersion)) {
      return Fail("tlsrpt.txt.version", 0, "record does not start with \"v=TLSRPTv1\"");
    }
    std::size_t i = kVersion.size();
    if (i < n_ && in_[i] != ';' && !text::IsWsp(in_[i])) {
      if (BadByte(i)) {
        return false;
      }
      return Fail("tlsrpt.txt.version", 0, "record does not start with \"v=TLSRPTv1\"",
                  text::Printable(in_.substr(0, i + 1)));
    }
    bool first_delim = true;
    while (true) {
      // field-delim = *WSP ";" *WSP
      std::size_t ws = i;
      i = SkipWsp(i);
      if (i == n_) {
        if (ws != i && !Relax("tlsrpt.txt.trailing_whitespace", ws,
                              "white space after the last field without a ';'")) {
          return false;
        }
        break;
      }
      if (in_[i] != ';') {
        if (BadByte(i)) {
          return false;
        }
        return Fail("tlsrpt.txt.expected_delimiter", i, "expected ';' between fields");
      }
      if (first_delim && ws != i) {
        // R13: the ABNF allows WSP before ';', but RFC 8460 §3 (RPT-3-05)
        // filters several RRs on the literal prefix "v=TLSRPTv1;". A lone
        // record is parsed by the ABNF; SelectTxtRecord applies the prefix.
        Note("tlsrpt.txt.wsp_before_delimiter", ws,
             "white space before ';': valid by the ABNF, but such a record is discarded when "
             "several TXT records are present");
      }
      first_delim = false;
      i = SkipWsp(i + 1);
      if (i == n_) {
        break;  // [field-delim] after the last field (R2)
      }
      if (in_[i] == ';') {
        if (!Relax("tlsrpt.txt.empty_field", i, "empty field between ';' delimiters")) {
          return false;
        }
        continue;
      }
      if (!Field(i)) {
        return false;
      }
    }
    if (first_rua_ == kNone) {
      // RFC 8460 §3 (R5, R6): at least one field, and rua is required.
      return Fail("tlsrpt.txt.missing_rua", n_, "record has no \"rua\" field");
    }
    if (n_rua_ == 0) {
      return Fail("tlsrpt.txt.no_usable_rua", first_rua_,
                  "no rua URI is a well-formed mailto: or https: URI");
    }
    return true;
  }

  std::size_t SkipWsp(std::size_t i) const {
    while (i < n_ && text::IsWsp(in_[i])) {
      ++i;
    }
    return i;
  }

  // True if the input holds `lit` at `i` (i <= n_). With a literal the
  // compiler inlines the fixed-size compare.
  bool HasAt(std::size_t i, std::string_view lit) const {
    return n_ - i >= lit.size() && std::memcmp(in_.data() + i, lit.data(), lit.size()) == 0;
  }

  std::uint8_t ClassAt(std::size_t i) const { return kClass[static_cast<unsigned char>(in_[i])]; }

  // Parses the field starting at `i`; leaves `i` after it.
  bool Field(std::size_t& i) {
    std::size_t start = i;
    if (HasAt(i, "rua=")) {  // %s"rua=": case-sensitive
      i += 4;
      return Rua(start, i);
    }
    while (i < n_ && (ClassAt(i) & kNameChar) != 0) {
      ++i;
    }
    std::string_view name = in_.substr(start, i - start);
    if (i == n_ || in_[i] != '=') {
      return BadExtension(start, i, "field is not name=value");
    }
    ++i;
    if (name.empty() || name.size() > kMaxExtName || !text::IsAlnum(name[0])) {
      return BadExtension(start, i, "extension name outside the RFC 8460 grammar");
    }
    std::size_t value = i;
    while (i < n_ && (ClassAt(i) & kExtValue) != 0) {
      ++i;
    }
    if (i == value) {
      return BadExtension(start, i, "extension with an empty value");
    }
    std::size_t after = SkipWsp(i);
    if (after < n_ && in_[after] != ';') {
      return BadExtension(start, i,
                          after != i ? "white space inside an extension value"
                                     : "character not allowed in an extension value");
    }
    // RFC 8460 §3, RPT-3-07 (R12): unknown fields are ignored; kept for round trips.
    if (n_ext_ < out_.extensions.size()) {
      out_.extensions[n_ext_].name.assign(name);
      out_.extensions[n_ext_].value.assign(in_.substr(value, i - value));
    } else {
      out_.extensions.push_back(
          Extension{std::string(name), std::string(in_.substr(value, i - value))});
    }
    ++n_ext_;
    return true;
  }

  // tlsrpt-rua: `i` is just after "rua="; leaves `i` after the last URI.
  bool Rua(std::size_t start, std::size_t& i) {
    if (first_rua_ == kNone) {
      first_rua_ = i;
    } else {
      // R7: the ABNF allows repeated fields; their URIs are unioned in order.
      Warn("tlsrpt.txt.duplicate_rua", start, "repeated rua field: the URIs are combined");
    }
    while (true) {
      // tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
      std::size_t uri = i;
      if (fast_paths_) {
        UriScheme scheme = UriScheme::kMailto;
        if (std::size_t end = FastUri(i, scheme); end != 0) {
          StoreUri(scheme, in_.substr(uri, end - uri));
          i = end;
          std::size_t j = SkipWsp(i);
          if (j == n_ || in_[j] != ',') {
            return true;
          }
          i = SkipWsp(j + 1);
          continue;
        }
      }
      UriScan scan;
      while (true) {
        // Runs of plain URI characters, four bytes per test where possible.
        while (i + 4 <= n_ &&
               (ClassAt(i) & ClassAt(i + 1) & ClassAt(i + 2) & ClassAt(i + 3) & kUriPlain) != 0) {
          i += 4;
        }
        while (i < n_ && (ClassAt(i) & kUriPlain) != 0) {
          ++i;
        }
        if (i == n_ || (ClassAt(i) & kUriToken) == 0) {
          break;
        }
        std::size_t rel = i - uri;
        switch (in_[i]) {
          case ':':
            scan.colon = std::min(scan.colon, rel);
            break;
          case '?':
            scan.query = std::min(scan.query, rel);
            break;
          case '@':
            if (scan.query == kNone) {
              scan.at = std::min(scan.at, rel);
              ++scan.ats;
            }
            break;
          case '%':
            // RFC 3986 pct-encoded.
            if (i + 2 < n_ && (ClassAt(i + 1) & kHexDigit) != 0 &&
                (ClassAt(i + 2) & kHexDigit) != 0) {
              i += 2;
            } else {
              scan.bad = true;
            }
            break;
          default:
            scan.bad = true;  // e.g. a raw "!" (RPT-3-04, R8)
            break;
        }
        ++i;
      }
      if (i < n_ && (ClassAt(i) & kText) == 0 && BadByte(i)) {
        return false;
      }
      AddUri(in_.substr(uri, i - uri), uri, scan);
      std::size_t j = SkipWsp(i);
      if (j == n_ || in_[j] != ',') {
        return true;
      }
      i = SkipWsp(j + 1);
    }
  }

  void AddUri(std::string_view uri, std::size_t at, const UriScan& scan) {
    UriScheme scheme = UriScheme::kMailto;
    if (scan.bad || !ClassifyUri(uri, scan, scheme)) {
      // R8, R9: a malformed URI, or one of a scheme other than mailto: and
      // https: (RPT-3-03), is not a reporting endpoint.
      Warn("tlsrpt.txt.uri_ignored", at, "rua URI ignored: not a well-formed mailto: or https: URI",
           std::string(uri));
      return;
    }
    StoreUri(scheme, uri);
  }

  void StoreUri(UriScheme scheme, std::string_view uri) {
    if (n_rua_ < out_.rua.size()) {
      out_.rua[n_rua_].scheme = scheme;
      text::AssignInPlace(out_.rua[n_rua_].uri, uri);
    } else if (!out_.spare_uris.empty()) {
      out_.rua.push_back(ReportUri{scheme, std::move(out_.spare_uris.back())});
      out_.spare_uris.pop_back();
      text::AssignInPlace(out_.rua.back().uri, uri);
    } else {
      out_.rua.push_back(ReportUri{scheme, std::string(uri)});
    }
    ++n_rua_;
  }

  // A URI of one of the two usual shapes, "mailto:" + local part + "@" + a
  // plain LDH domain, or "https://" + a plain LDH host + an optional "/"
  // path, all of LDH, '.', '@', ':' and '/', ending at ',' ';' WSP or the end of the
  // record within 64 bytes: the bytes are classified 16 at a time with SSE2
  // (only as many blocks as the URI needs) and the host's label rules
  // checked on the masks. Returns the end of the URI and sets `scheme`, or
  // returns 0 for anything else (the general path then decides, with the
  // same result; the tlsrpt_txt fuzzer compares the two).
  std::size_t FastUri(std::size_t i, UriScheme& scheme) const {
#if defined(__SSE2__)
    const std::size_t rest = n_ - i;
    const char* p = in_.data() + i;
    std::size_t host = 0;  // where the domain or host starts
    if (rest >= 10 && std::memcmp(p, "mailto:", 7) == 0) {
      scheme = UriScheme::kMailto;
    } else if (rest >= 10 && std::memcmp(p, "https://", 8) == 0) {
      scheme = UriScheme::kHttps;
      host = 8;
    } else {
      return 0;
    }
    // Plain here is LDH, '.', '@', ':' and '/': every byte of the usual
    // URIs. Anything else (other RFC 3986 punctuation included) ends the
    // scan, and the general path takes the URI unless that byte ends it.
    const std::size_t avail = std::min<std::size_t>(64, rest);
    domain::HostBytes m;  // letters, digits, '-', '.', 'x'
    std::uint64_t plain = 0;
    std::uint64_t at = 0;
    std::uint64_t slash = 0;
    auto eq = [](__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
    for (std::size_t shift = 0; shift < avail; shift += 16) {
      // Blocks past the end of the record: the last 16 bytes of the record
      // instead (overlapping the block before; classifying a byte twice is
      // harmless), or, in a record shorter than that, a NUL-padded copy.
      std::size_t at_byte = shift;
      const void* src = p + shift;
      alignas(16) unsigned char tail[16];
      if (shift + 16 > rest) {
        if (rest >= 16) {
          at_byte = rest - 16;
          src = p + at_byte;
        } else {
          std::memset(tail, 0, sizeof tail);
          std::memcpy(tail, p, rest);
          src = tail;
        }
      }
      const __m128i v = _mm_loadu_si128(static_cast<const __m128i*>(src));
      const __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
      const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                          _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
      const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                          _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
      const __m128i hy = eq(v, '-');
      const __m128i dot = eq(v, '.');
      const __m128i a = eq(v, '@');
      const __m128i sl = eq(v, '/');
      const __m128i ldh = _mm_or_si128(_mm_or_si128(digit, alpha), hy);
      const __m128i pl =
          _mm_or_si128(_mm_or_si128(ldh, dot), _mm_or_si128(_mm_or_si128(a, sl), eq(v, ':')));
      const int sh = static_cast<int>(at_byte);
      auto bits = [sh](__m128i mask) {
        return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(mask)))
               << sh;
      };
      const auto pm = static_cast<std::uint32_t>(_mm_movemask_epi8(pl));
      plain |= static_cast<std::uint64_t>(pm) << sh;
      m.ldh |= bits(ldh);
      m.dot |= bits(dot);
      m.hyphen |= bits(hy);
      m.x |= bits(eq(lower, 'x'));
      at |= bits(a);
      slash |= bits(sl);
      if (pm != 0xffff) {
        break;  // the URI ends in this block
      }
    }
    if (plain == ~std::uint64_t{0}) {
      return 0;  // 64 bytes or more: the general path
    }
    const auto len = static_cast<std::size_t>(std::countr_zero(~plain));
    const std::size_t end = i + len;
    if (end != n_ && in_[end] != ',' && in_[end] != ';' && !text::IsWsp(in_[end])) {
      return 0;  // '%', '?', a raw '!', a bad byte...: the general path
    }
    const std::uint64_t in_uri = (std::uint64_t{1} << len) - 1;
    std::size_t host_len = 0;
    if (scheme == UriScheme::kMailto) {
      at &= in_uri;
      if (at == 0 || (at & (at - 1)) != 0) {
        return 0;  // not exactly one '@'
      }
      const auto at_pos = static_cast<std::size_t>(std::countr_zero(at));
      if (at_pos <= 7 || at_pos + 1 >= len) {
        return 0;  // empty local part or domain
      }
      host = at_pos + 1;
      host_len = len - host;
    } else {
      // The authority runs to the first '/' (or the end): it must be the
      // host alone, no userinfo, port or IP literal.
      const std::uint64_t after_host = (slash & in_uri) >> host;
      host_len =
          after_host == 0 ? len - host : static_cast<std::size_t>(std::countr_zero(after_host));
      const std::uint64_t host_bits =
          host_len == 0 ? 0 : ((std::uint64_t{1} << host_len) - 1) << host;
      if (host_len == 0 || ((m.ldh | m.dot) & host_bits) != host_bits) {
        return 0;
      }
    }
    // The domain or host as CheckName would see it.
    if (!domain::IsPlainLdhName(domain::ShiftHostBytes(m, host), host_len)) {
      return 0;  // not LDH, an empty label, a hyphen at a label edge, maybe an A-label
    }
    return end;
#else
    (void)i;
    (void)scheme;
    return 0;
#endif
  }

  // The scheme is case-insensitive (RFC 3986 §3.1); the exact lower-case
  // comparison first is the fast path.
  static bool ClassifyUri(std::string_view uri, const UriScan& scan, UriScheme& scheme) {
    if (scan.colon == kNone) {
      return false;
    }
    std::string_view name = uri.substr(0, scan.colon);
    if (name == "mailto" || text::EqualsIgnoreCase(name, "mailto")) {
      scheme = UriScheme::kMailto;
      return IsMailtoTarget(uri, scan);
    }
    if (name == "https" || text::EqualsIgnoreCase(name, "https")) {
      scheme = UriScheme::kHttps;
      return IsHttpsTarget(uri.substr(scan.colon + 1));
    }
    return false;
  }

  // Strict rejects a malformed extension; interop skips it to the next ';'.
  // Either way a non-ASCII or control byte up to that ';' is an error.
  bool BadExtension(std::size_t start, std::size_t& i, std::string_view message) {
    std::size_t end = start;
    while (end < n_ && in_[end] != ';') {
      if (BadByte(end)) {
        return false;
      }
      ++end;
    }
    std::string field = text::Printable(in_.substr(start, end - start));
    if (!interop_) {
      return Fail("tlsrpt.txt.bad_extension", start, message, std::move(field));
    }
    Warn("tlsrpt.txt.bad_extension", start, message, std::move(field));
    i = end;
    return true;
  }

  // The record is US-ASCII text (RFC 8460 §3 ABNF): records an error and
  // returns true if the byte at `i` is 8-bit or a control other than HTAB.
  bool BadByte(std::size_t i) {
    auto c = static_cast<unsigned char>(in_[i]);
    if (c >= 0x80) {
      Fail("tlsrpt.txt.non_ascii", i, "non-ASCII byte in record",
           text::Printable(in_.substr(i, 1)));
      return true;
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      Fail("tlsrpt.txt.control_character", i, "control character in record",
           text::Printable(in_.substr(i, 1)));
      return true;
    }
    return false;
  }

  bool Fail(std::string_view id, std::size_t at, std::string_view message,
            std::string detail = {}) {
    out_.diagnostics.push_back(MakeDiag(id, Severity::kError, at, message, std::move(detail)));
    return false;
  }
  void Warn(std::string_view id, std::size_t at, std::string_view message,
            std::string detail = {}) {
    out_.diagnostics.push_back(MakeDiag(id, Severity::kWarning, at, message, std::move(detail)));
  }
  void Note(std::string_view id, std::size_t at, std::string_view message) {
    out_.diagnostics.push_back(MakeDiag(id, Severity::kInfo, at, message));
  }
  // A deviation strict rejects and interop accepts with a warning.
  bool Relax(std::string_view id, std::size_t at, std::string_view message) {
    if (!interop_) {
      return Fail(id, at, message);
    }
    Warn(id, at, message);
    return true;
  }

  std::string_view in_;
  std::size_t n_;
  bool interop_;
  bool fast_paths_;
  TxtRecord& out_;
  std::size_t n_rua_ = 0;
  std::size_t n_ext_ = 0;
  std::size_t first_rua_ = kNone;  // offset of the first rua value
};

}  // namespace

bool ParseTxtRecordInto(std::string_view record, const ParseOptions& opts, TxtRecord& out) {
  return TxtParser(record, opts, out).Run();
}

Result<TxtRecord> ParseTxtRecord(std::string_view record, const ParseOptions& opts) {
  TxtRecord r;
  if (!ParseTxtRecordInto(record, opts, r)) {
    return Result<TxtRecord>::Failure(std::move(r.diagnostics));
  }
  return r;
}

Result<TxtRecord> SelectTxtRecord(std::span<const std::string> rrs, const ParseOptions& opts,
                                  std::size_t* chosen) {
  // RFC 8460 §3, RPT-3-05 (R10): discard RRs that do not begin with
  // "v=TLSRPTv1;"; unless exactly one remains there is no TLS-RPT policy.
  static constexpr txt::SelectionRule kRule = {
      kSelectPrefix, "tlsrpt.txt.no_record", "no TXT record begins with \"v=TLSRPTv1;\"",
      "tlsrpt.txt.multiple_records",
      "more than one TXT record begins with \"v=TLSRPTv1;\": no TLS-RPT"};
  auto k = txt::SelectRecord(rrs, kRule);
  if (!k) {
    return Result<TxtRecord>::Failure(k.diagnostics());
  }
  if (chosen != nullptr) {
    *chosen = *k;
  }
  return ParseTxtRecord(rrs[*k], opts);
}

std::string SerializeTxtRecord(const TxtRecord& r) {
  std::string out = "v=TLSRPTv1; rua=";
  for (std::size_t k = 0; k < r.rua.size(); ++k) {
    if (k != 0) {
      out += ',';
    }
    out += r.rua[k].uri;
  }
  for (const auto& e : r.extensions) {
    out += "; ";
    out += e.name;
    out += '=';
    out += e.value;
  }
  return out;
}

}  // namespace mxconform::tlsrpt
