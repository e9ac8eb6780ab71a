#include "tlsrpt/report.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "common/domain.h"
#include "common/text.h"

namespace mxconform::tlsrpt {
namespace {

using Json = nlohmann::json;
constexpr std::size_t kNone = std::string_view::npos;

// ---------------------------------------------------------------- lexical

// RFC 6901 reference token: "~" -> "~0", "/" -> "~1".
std::string PointerToken(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// RFC 7493 §2.2: the largest integer every IEEE 754 double holds exactly.
constexpr std::uint64_t kMaxExactInteger = (std::uint64_t{1} << 53) - 1;

// RFC 3986 §3: scheme ":" then at least one byte, each a URI character
// (unreserved, reserved or '%'). The shape is checked, not each part.
bool LooksLikeUri(std::string_view s) {
  const std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size() ||
      !text::IsAlpha(s[0])) {
    return false;
  }
  for (std::size_t k = 1; k < colon; ++k) {
    if (!text::IsAlnum(s[k]) && s[k] != '+' && s[k] != '-' && s[k] != '.') {
      return false;
    }
  }
  constexpr std::string_view kUriMarks = "-._~:/?#[]@!$&'()*+,;=%";
  for (std::size_t k = colon + 1; k < s.size(); ++k) {
    if (!text::IsAlnum(s[k]) && kUriMarks.find(s[k]) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// RFC 7493 §2.1: I-JSON holds no noncharacter, U+FDD0..U+FDEF or the last
// two code points of a plane (U+xFFFE, U+xFFFF).
constexpr bool IsNoncharacter(std::uint32_t cp) {
  return (cp >= 0xFDD0 && cp <= 0xFDEF) || ((cp & 0xFFFE) == 0xFFFE && cp <= 0x10FFFF);
}

int Hex4(std::string_view s, std::size_t at) {
  if (at + 4 > s.size()) {
    return -1;
  }
  int v = 0;
  for (std::size_t k = at; k < at + 4; ++k) {
    const int d = text::HexDigitValue(s[k]);
    if (d < 0) {
      return -1;
    }
    v = v * 16 + d;
  }
  return v;
}

// The offset of the first noncharacter in JSON text that is valid UTF-8
// and parses, written as UTF-8 or as a \u escape (a surrogate pair for
// the planes above the first); kNone if there is none. A backslash only
// occurs inside strings, so every "\u" outside an escaped backslash is an
// escape.
std::size_t NoncharacterAt(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b == '\\') {
      const int cu = i + 1 < s.size() && s[i + 1] == 'u' ? Hex4(s, i + 2) : -1;
      if (cu < 0) {
        i += 2;  // \\, \" and the other one-letter escapes
        continue;
      }
      std::uint32_t cp = static_cast<std::uint32_t>(cu);
      std::size_t len = 6;
      const int low =
          cu >= 0xD800 && cu <= 0xDBFF && i + 7 < s.size() && s[i + 6] == '\\' && s[i + 7] == 'u'
              ? Hex4(s, i + 8)
              : -1;
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<std::uint32_t>(low) - 0xDC00);
        len = 12;
      }
      if (IsNoncharacter(cp)) {
        return i;
      }
      i += len;
      continue;
    }
    // Valid UTF-8 (checked before): the lead byte gives the length.
    const std::size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    std::uint32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (std::size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    if (len == 3 || len == 4) {
      if (IsNoncharacter(cp)) {
        return i;
      }
    }
    i += len;
  }
  return kNone;
}

// The offset of the bracket that opens nesting level kMaxReportDepth + 1
// outside strings, or kNone. Scanning before parsing keeps deep inputs away
// from the JSON library: up to the point where its lexer stops with an
// error, its string boundaries are the ones tracked here.
std::size_t TooDeepAt(std::string_view s) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxReportDepth) {
        return i;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return kNone;
}

// Builds the DOM like nlohmann's own SAX DOM parser, and also reports
// duplicate member names, which I-JSON forbids (RFC 7493 §2.3; RFC 8460 §4,
// RPT-4-01) and nlohmann silently collapses. The SAX interface carries no
// position for values, so duplicate_key has offset 0.
class DomBuilder {
 public:
  DomBuilder(Json& root, std::size_t size, Diagnostics& diags)
      : root_(root), size_(size), diags_(diags) {}

  bool null() { return Put(Json(nullptr)); }
  bool boolean(bool v) { return Put(Json(v)); }
  bool number_integer(Json::number_integer_t v) { return Put(Json(v)); }
  bool number_unsigned(Json::number_unsigned_t v) { return Put(Json(v)); }
  bool number_float(Json::number_float_t v, const Json::string_t& /*text*/) { return Put(Json(v)); }
  bool string(Json::string_t& v) { return Put(Json(std::move(v))); }
  bool binary(Json::binary_t& v) { return Put(Json::binary(std::move(v))); }
  bool start_object(std::size_t /*size*/) { return Open(Json::object()); }
  bool start_array(std::size_t /*size*/) { return Open(Json::array()); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(Json::string_t& k) {
    const Frame& f = stack_.back();
    if (f.node->contains(k)) {
      diags_.push_back(MakeDiag("tlsrpt.report.duplicate_key", Severity::kError, 0,
                                "duplicate member name (I-JSON, RFC 7493 §2.3)",
                                f.pointer + "/" + PointerToken(k)));
    }
    key_ = std::move(k);
    return true;
  }

  // `position` counts the bytes read, the offending one (or the end of the
  // input) included.
  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const Json::exception& ex) {
    std::size_t offset = std::min(position > 0 ? position - 1 : 0, size_);
    diags_.push_back(MakeDiag("tlsrpt.report.invalid_json", Severity::kError, offset,
                              "not valid JSON", ex.what()));
    return false;
  }

 private:
  struct Frame {
    Json* node;
    std::string pointer;
  };

  Json* Insert(Json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& parent = *stack_.back().node;
    if (parent.is_array()) {
      parent.push_back(std::move(v));
      return &parent.back();
    }
    Json& slot = parent[key_];
    slot = std::move(v);
    return &slot;
  }
  bool Put(Json&& v) {
    Insert(std::move(v));
    return true;
  }
  bool Open(Json&& v) {
    std::string pointer;
    if (!stack_.empty()) {
      const Frame& f = stack_.back();
      pointer = f.pointer + "/" +
                (f.node->is_array() ? std::to_string(f.node->size()) : PointerToken(key_));
    }
    Json* node = Insert(std::move(v));
    stack_.push_back(Frame{node, std::move(pointer)});
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  Json& root_;
  std::size_t size_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  std::string key_;
};

// -------------------------------------------------------------- values

constexpr bool IsLeapYear(std::uint64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr std::uint64_t DaysInMonth(std::uint64_t y, std::uint64_t m) {
  constexpr std::array<std::uint64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

enum class DateTimeCheck : std::uint8_t { kInvalid, kValid, kHour24 };

// RFC 3339 §5.6 date-time with the §5.7 ranges ("T" and "Z" in either case,
// as ABNF literals are); also "24:00:00" (kHour24), which ISO 8601 allows for
// the end of a day and RFC 3339 does not.
DateTimeCheck CheckDateTime(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z / (+ / -)HH:MM)
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return DateTimeCheck::kInvalid;
  }
  std::uint64_t year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!text::ParseDecimal(s.substr(0, 4), 4, year) ||
      !text::ParseDecimal(s.substr(5, 2), 2, month) ||
      !text::ParseDecimal(s.substr(8, 2), 2, day) ||
      !text::ParseDecimal(s.substr(11, 2), 2, hour) ||
      !text::ParseDecimal(s.substr(14, 2), 2, minute) ||
      !text::ParseDecimal(s.substr(17, 2), 2, second)) {
    return DateTimeCheck::kInvalid;
  }
  std::size_t i = 19;
  bool fraction_zero = true;
  if (s[i] == '.') {
    std::size_t start = ++i;
    while (i < s.size() && text::IsDigit(s[i])) {
      fraction_zero = fraction_zero && s[i] == '0';
      ++i;
    }
    if (i == start) {
      return DateTimeCheck::kInvalid;
    }
  }
  std::string_view zone = s.substr(i);
  if (zone != "Z" && zone != "z") {
    std::uint64_t zh = 0, zm = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' ||
        !text::ParseDecimal(zone.substr(1, 2), 2, zh) ||
        !text::ParseDecimal(zone.substr(4, 2), 2, zm) || zh > 23 || zm > 59) {
      return DateTimeCheck::kInvalid;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || minute > 59 ||
      second > 60) {
    return DateTimeCheck::kInvalid;
  }
  if (hour == 24 && minute == 0 && second == 0 && fraction_zero) {
    return DateTimeCheck::kHour24;
  }
  return hour <= 23 ? DateTimeCheck::kValid : DateTimeCheck::kInvalid;
}

// RFC 5952 §4 text of an IPv6 address: lower-case hex without leading zeros,
// "::" for the first longest run of two or more zero groups.
std::string FormatIpv6(const unsigned char (&b)[16]) {
  std::array<unsigned, 8> g{};
  for (std::size_t k = 0; k < 8; ++k) {
    g[k] = static_cast<unsigned>(b[2 * k] << 8 | b[2 * k + 1]);
  }
  std::size_t best = 8, best_len = 1;
  for (std::size_t k = 0; k < 8;) {
    std::size_t e = k;
    while (e < 8 && g[e] == 0) {
      ++e;
    }
    if (e - k > best_len) {
      best = k;
      best_len = e - k;
    }
    k = e == k ? k + 1 : e;
  }
  std::string out;
  char buf[8];
  for (std::size_t k = 0; k < 8; ++k) {
    if (k == best) {
      out += "::";
      k += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') {
      out += ':';
    }
    std::snprintf(buf, sizeof buf, "%x", g[k]);
    out += buf;
  }
  return out;
}

enum class IpCheck : std::uint8_t { kInvalid, kCanonical, kNotCanonical };

// Dotted-quad IPv4 or IPv6 text (RFC 8460 §4.4); IPv6 is canonical in the
// RFC 5952 form, or for IPv4-mapped addresses its §5 mixed form.
IpCheck CheckIp(const std::string& s) {
  if (s.find('\0') != std::string::npos) {
    return IpCheck::kInvalid;
  }
  if (s.find(':') == std::string::npos) {
    unsigned char v4[4];
    return inet_pton(AF_INET, s.c_str(), v4) == 1 ? IpCheck::kCanonical : IpCheck::kInvalid;
  }
  unsigned char v6[16];
  if (inet_pton(AF_INET6, s.c_str(), v6) != 1) {
    return IpCheck::kInvalid;
  }
  if (s == FormatIpv6(v6)) {
    return IpCheck::kCanonical;
  }
  constexpr std::array<unsigned char, 12> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(kMapped.begin(), kMapped.end(), v6)) {
    char mixed[32];
    std::snprintf(mixed, sizeof mixed, "::ffff:%u.%u.%u.%u", v6[12], v6[13], v6[14], v6[15]);
    if (s == mixed) {
      return IpCheck::kCanonical;
    }
  }
  return IpCheck::kNotCanonical;
}

std::optional<PolicyType> PolicyTypeFromName(std::string_view name) {
  for (PolicyType t : {PolicyType::kSts, PolicyType::kTlsa, PolicyType::kNoPolicyFound}) {
    if (PolicyTypeName(t) == name) {
      return t;
    }
  }
  return std::nullopt;
}

// ------------------------------------------------------------ semantics

// Walks the DOM into the model. Every diagnostic has offset 0 and the JSON
// pointer of the member as detail: nlohmann keeps no positions of values.
class ModelReader {
 public:
  explicit ModelReader(Diagnostics& diags) : diags_(diags) {}

  void Read(const Json& root, Report& r) {
    if (!root.is_object()) {
      Error("tlsrpt.report.wrong_type", "the report is not a JSON object", "");
      return;
    }
    const std::string top;
    String(root, "organization-name", top, true, r.organization_name);
    if (const Json* range = Object(root, "date-range", top, true)) {
      DateTime(*range, "start-datetime", "/date-range", r.date_range.start_datetime);
      DateTime(*range, "end-datetime", "/date-range", r.date_range.end_datetime);
    }
    String(root, "contact-info", top, true, r.contact_info);
    String(root, "report-id", top, true, r.report_id);
    const Json* policies = Member(root, "policies", top, true);
    if (policies == nullptr) {
      return;
    }
    if (!policies->is_array()) {
      // RFC 8460 §4, RPT-4-02: an array even with one policy.
      Error("tlsrpt.report.wrong_type", "policies must be an array", "/policies");
      return;
    }
    for (std::size_t k = 0; k < policies->size(); ++k) {
      r.policies.push_back(Policy((*policies)[k], "/policies/" + std::to_string(k)));
    }
  }

 private:
  PolicyReport Policy(const Json& v, const std::string& ptr) {
    PolicyReport p;
    if (!v.is_object()) {
      Error("tlsrpt.report.wrong_type", "a policies element is not an object", ptr);
      return p;
    }
    if (const Json* pol = Object(v, "policy", ptr, true)) {
      const std::string pp = ptr + "/policy";
      std::string type;
      if (String(*pol, "policy-type", pp, true, type)) {
        // RFC 8460 §4.4, RPT-4-03.
        if (auto t = PolicyTypeFromName(type)) {
          p.policy_type = *t;
        } else {
          Error("tlsrpt.report.bad_value", "policy-type is not sts, tlsa or no-policy-found",
                pp + "/policy-type");
        }
      }
      // Tolerance: no policy-string (seen when no policy was fetched).
      const Json* ps = Member(*pol, "policy-string", pp, false);
      p.policy_string_present = ps != nullptr;
      if (ps != nullptr) {
        StringArray(*ps, pp + "/policy-string", p.policy_string);
      }
      if (String(*pol, "policy-domain", pp, true, p.policy_domain)) {
        // RFC 8460 §4.4, RPT-4-06: A-labels.
        domain::NameRules rules;
        rules.allow_trailing_dot = false;
        if (!domain::CheckName(p.policy_domain, rules).ok()) {
          Error("tlsrpt.report.bad_value", "policy-domain is not an A-label domain name",
                pp + "/policy-domain");
        }
      }
      if (const Json* mx = Member(*pol, "mx-host", pp, false)) {
        // Tolerance: the spec form is one string; some reporters send an
        // array, others omit the member.
        if (const auto* s = mx->get_ptr<const Json::string_t*>()) {
          p.mx_host.push_back(*s);
        } else if (mx->is_array()) {
          Warning("tlsrpt.report.mx_host_array", "mx-host is an array, not a string",
                  pp + "/mx-host");
          StringArray(*mx, pp + "/mx-host", p.mx_host);
        } else {
          Error("tlsrpt.report.wrong_type", "mx-host is not a string", pp + "/mx-host");
        }
        // RFC 8460 §4.4, RPT-4-06: the MX pattern (an optional "*." and a
        // host name) uses A-labels too.
        for (std::size_t k = 0; k < p.mx_host.size(); ++k) {
          std::string_view host = p.mx_host[k];
          if (host.size() >= 2 && host[0] == '*' && host[1] == '.') {
            host.remove_prefix(2);
          }
          domain::NameRules rules;
          rules.allow_trailing_dot = true;
          if (!domain::CheckName(host, rules).ok()) {
            Error("tlsrpt.report.bad_value", "mx-host is not an A-label host name or pattern",
                  pp + "/mx-host" + (mx->is_array() ? "/" + std::to_string(k) : ""));
          }
        }
      }
    }
    if (const Json* sum = Object(v, "summary", ptr, true)) {
      const std::string sp = ptr + "/summary";
      Count(*sum, "total-successful-session-count", sp, p.total_successful_session_count);
      Count(*sum, "total-failure-session-count", sp, p.total_failure_session_count);
    }
    // Tolerance: failure-details may be absent (no failures).
    if (const Json* fd = Member(v, "failure-details", ptr, false)) {
      const std::string fp = ptr + "/failure-details";
      if (!fd->is_array()) {
        Error("tlsrpt.report.wrong_type", "failure-details is not an array", fp);
      } else {
        for (std::size_t k = 0; k < fd->size(); ++k) {
          p.failure_details.push_back(Failure((*fd)[k], fp + "/" + std::to_string(k)));
        }
      }
    }
    return p;
  }

  FailureDetail Failure(const Json& v, const std::string& ptr) {
    FailureDetail f;
    if (!v.is_object()) {
      Error("tlsrpt.report.wrong_type", "a failure-details element is not an object", ptr);
      return f;
    }
    std::string type;
    bool type_ok = false;
    if (String(v, "result-type", ptr, true, type)) {
      // RFC 8460 §4.3: a registered result type.
      if (auto t = ResultTypeFromName(type)) {
        f.result_type = *t;
        type_ok = true;
      } else {
        Error("tlsrpt.report.bad_value", "result-type is not a registered result type",
              ptr + "/result-type");
      }
    }
    Ip(v, "sending-mta-ip", ptr, true, f.sending_mta_ip);
    // A negotiation failure (§4.3.1) happened with an MX, which it names; a
    // policy failure (§4.3.2: a fetch error, say) may have reached none.
    // receiving-ip is left out by Appendix B's own report: a warning.
    const bool with_mx = type_ok && IsNegotiationFailure(f.result_type);
    if (String(v, "receiving-mx-hostname", ptr, with_mx, f.receiving_mx_hostname)) {
      // RFC 8460 §4.4: "the hostname of the receiving MTA MX record" (a
      // trailing dot, as some MX names are written, is allowed).
      domain::NameRules rules;
      rules.allow_trailing_dot = true;
      if (!domain::CheckName(f.receiving_mx_hostname, rules).ok()) {
        Warning("tlsrpt.report.bad_mx_hostname",
                "receiving-mx-hostname is not a host name (RFC 8460 §4.4)",
                ptr + "/receiving-mx-hostname");
      }
    }
    String(v, "receiving-mx-helo", ptr, false, f.receiving_mx_helo);
    Ip(v, "receiving-ip", ptr, false, f.receiving_ip);
    if (with_mx && v.find("receiving-ip") == v.end()) {
      Warning("tlsrpt.report.missing_receiving_ip",
              "a negotiation failure without receiving-ip (as in RFC 8460 Appendix B)", ptr);
    }
    Count(v, "failed-session-count", ptr, f.failed_session_count);
    if (String(v, "additional-information", ptr, false, f.additional_information) &&
        !LooksLikeUri(f.additional_information)) {
      // RFC 8460 §4.4: "a URI [RFC3986] that points to additional
      // information".
      Warning("tlsrpt.report.additional_information_not_uri",
              "additional-information is not a URI (RFC 8460 §4.4)",
              ptr + "/additional-information");
    }
    String(v, "failure-reason-code", ptr, false, f.failure_reason_code);
    if (type_ok && f.failure_reason_code.empty() &&
        (f.result_type == ResultType::kCertificateNotTrusted ||
         f.result_type == ResultType::kValidationFailure)) {
      // RFC 8460 §4.3, RPT-4-09 (SHOULD).
      Warning("tlsrpt.report.missing_failure_reason",
              "certificate-not-trusted and validation-failure should carry failure-reason-code",
              ptr);
    }
    return f;
  }

  // The member, or nullptr when absent (a missing_field error if `required`).
  const Json* Member(const Json& obj, const char* key, const std::string& ptr, bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) {
        Error("tlsrpt.report.missing_field", "required member is missing", ptr + "/" + key);
      }
      return nullptr;
    }
    return &*it;
  }

  // The member if it is an object; nullptr (with a diagnostic) otherwise.
  const Json* Object(const Json& obj, const char* key, const std::string& ptr, bool required) {
    const Json* v = Member(obj, key, ptr, required);
    if (v != nullptr && !v->is_object()) {
      Error("tlsrpt.report.wrong_type", "member is not an object", ptr + "/" + key);
      return nullptr;
    }
    return v;
  }

  // Copies a string member into `out`; false if absent or not a string.
  bool String(const Json& obj, const char* key, const std::string& ptr, bool required,
              std::string& out) {
    const Json* v = Member(obj, key, ptr, required);
    if (v == nullptr) {
      return false;
    }
    const auto* s = v->get_ptr<const Json::string_t*>();
    if (s == nullptr) {
      Error("tlsrpt.report.wrong_type", "member is not a string", ptr + "/" + key);
      return false;
    }
    out = *s;
    return true;
  }

  void StringArray(const Json& v, const std::string& ptr, std::vector<std::string>& out) {
    if (!v.is_array()) {
      Error("tlsrpt.report.wrong_type", "member is not an array of strings", ptr);
      return;
    }
    for (std::size_t k = 0; k < v.size(); ++k) {
      if (const auto* s = v[k].get_ptr<const Json::string_t*>()) {
        out.push_back(*s);
      } else {
        Error("tlsrpt.report.wrong_type", "array element is not a string",
              ptr + "/" + std::to_string(k));
      }
    }
  }

  // RFC 8460 §4.2, RPT-4-07: counts are non-negative JSON integers.
  void Count(const Json& obj, const char* key, const std::string& ptr, std::uint64_t& out) {
    const Json* v = Member(obj, key, ptr, true);
    if (v == nullptr) {
      return;
    }
    if (const auto* u = v->get_ptr<const Json::number_unsigned_t*>()) {
      out = *u;
      if (*u > kMaxExactInteger) {
        // RFC 7493 §2.2 (I-JSON, SHOULD NOT): past 2^53 - 1 a receiver
        // reading numbers as doubles loses the exact count.
        Warning("tlsrpt.report.count_not_exact",
                "session count above 2^53 - 1, which I-JSON receivers may not hold exactly "
                "(RFC 7493 §2.2)",
                ptr + "/" + key);
      }
    } else if (const auto* i = v->get_ptr<const Json::number_integer_t*>()) {
      if (*i < 0) {
        Error("tlsrpt.report.bad_value", "session count is negative", ptr + "/" + key);
      } else {
        out = static_cast<std::uint64_t>(*i);  // "-0"
      }
    } else {
      // Floats (also integers beyond 2^64, which nlohmann reads as floats).
      Error("tlsrpt.report.wrong_type", "session count is not an integer", ptr + "/" + key);
    }
  }

  // RFC 8460 §4.1, RPT-4-11: RFC 3339 date-time.
  void DateTime(const Json& obj, const char* key, const std::string& ptr, std::string& out) {
    if (!String(obj, key, ptr, true, out)) {
      return;
    }
    switch (CheckDateTime(out)) {
      case DateTimeCheck::kValid:
        break;
      case DateTimeCheck::kHour24:
        Warning("tlsrpt.report.datetime_hour_24",
                "24:00:00 is not an RFC 3339 time; read as the end of the day", ptr + "/" + key);
        break;
      case DateTimeCheck::kInvalid:
        Error("tlsrpt.report.bad_value", "not an RFC 3339 date-time", ptr + "/" + key);
        break;
    }
  }

  // RFC 8460 §4.4, RPT-4-13: dotted-quad or RFC 5952 IPv6 text.
  void Ip(const Json& obj, const char* key, const std::string& ptr, bool required,
          std::string& out) {
    if (!String(obj, key, ptr, required, out)) {
      return;
    }
    switch (CheckIp(out)) {
      case IpCheck::kCanonical:
        break;
      case IpCheck::kNotCanonical:
        Warning("tlsrpt.report.ip_not_canonical", "IPv6 address not in RFC 5952 form",
                ptr + "/" + key);
        break;
      case IpCheck::kInvalid:
        Error("tlsrpt.report.bad_value", "not an IPv4 or IPv6 address", ptr + "/" + key);
        break;
    }
  }

  void Error(std::string_view id, std::string_view message, std::string ptr) {
    diags_.push_back(MakeDiag(id, Severity::kError, 0, message, std::move(ptr)));
  }
  void Warning(std::string_view id, std::string_view message, std::string ptr) {
    diags_.push_back(MakeDiag(id, Severity::kWarning, 0, message, std::move(ptr)));
  }

  Diagnostics& diags_;
};

}  // namespace

std::string_view PolicyTypeName(PolicyType t) {
  switch (t) {
    case PolicyType::kSts:
      return "sts";
    case PolicyType::kTlsa:
      return "tlsa";
    case PolicyType::kNoPolicyFound:
      return "no-policy-found";
  }
  return "no-policy-found";
}

bool Report::operator==(const Report& o) const {
  return organization_name == o.organization_name && date_range == o.date_range &&
         contact_info == o.contact_info && report_id == o.report_id && policies == o.policies;
}

Result<Report> ReadReport(std::string_view json) {
  if (json.size() > kMaxReportBytes) {
    return MakeDiag("tlsrpt.report.too_large", Severity::kError, kMaxReportBytes,
                    "report larger than 16 MiB", std::to_string(json.size()) + " bytes");
  }
  // RFC 8460 §4, RPT-4-01: I-JSON is UTF-8 (RFC 7493 §2.1).
  if (std::size_t valid = text::ValidUtf8Prefix(json); valid != json.size()) {
    return MakeDiag("tlsrpt.report.invalid_utf8", Severity::kError, valid,
                    "report is not valid UTF-8");
  }
  if (std::size_t deep = TooDeepAt(json); deep != kNone) {
    return MakeDiag("tlsrpt.report.too_deep", Severity::kError, deep,
                    "arrays and objects nested more than 64 deep");
  }
  Diagnostics diags;
  Json root;
  try {
    DomBuilder builder(root, json.size(), diags);
    if (!Json::sax_parse(json.begin(), json.end(), &builder) && !HasError(diags)) {
      diags.push_back(
          MakeDiag("tlsrpt.report.invalid_json", Severity::kError, 0, "not valid JSON"));
    }
  } catch (const Json::exception& e) {
    diags.push_back(
        MakeDiag("tlsrpt.report.invalid_json", Severity::kError, 0, "not valid JSON", e.what()));
  }
  if (HasError(diags)) {
    return Result<Report>::Failure(std::move(diags));
  }
  // RFC 8460 §4, RPT-4-01: RFC 7493 §2.1 forbids noncharacters as it does
  // surrogates (which the UTF-8 check and the parser refuse).
  if (std::size_t at = NoncharacterAt(json); at != kNone) {
    return MakeDiag("tlsrpt.report.noncharacter", Severity::kError, at,
                    "a Unicode noncharacter (U+FDD0-U+FDEF, U+xFFFE, U+xFFFF), which I-JSON "
                    "forbids (RFC 7493 §2.1)");
  }
  Report r;
  ModelReader(diags).Read(root, r);
  if (HasError(diags)) {
    return Result<Report>::Failure(std::move(diags));
  }
  r.diagnostics = std::move(diags);
  return r;
}

std::string WriteReport(const Report& r, bool pretty) {
  // ordered_json keeps the member order of the RFC 8460 §4.5 example.
  using OJson = nlohmann::ordered_json;
  OJson root = OJson::object();
  root["organization-name"] = r.organization_name;
  root["date-range"]["start-datetime"] = r.date_range.start_datetime;
  root["date-range"]["end-datetime"] = r.date_range.end_datetime;
  root["contact-info"] = r.contact_info;
  root["report-id"] = r.report_id;
  OJson& policies = root["policies"] = OJson::array();
  for (const PolicyReport& p : r.policies) {
    OJson entry = OJson::object();
    OJson& pol = entry["policy"];
    pol["policy-type"] = std::string(PolicyTypeName(p.policy_type));
    pol["policy-string"] = p.policy_string;
    pol["policy-domain"] = p.policy_domain;
    if (!p.mx_host.empty()) {
      pol["mx-host"] = p.mx_host.front();
    }
    entry["summary"]["total-successful-session-count"] = p.total_successful_session_count;
    entry["summary"]["total-failure-session-count"] = p.total_failure_session_count;
    if (!p.failure_details.empty()) {
      OJson& details = entry["failure-details"] = OJson::array();
      for (const FailureDetail& f : p.failure_details) {
        OJson d = OJson::object();
        d["result-type"] = std::string(ResultTypeName(f.result_type));
        d["sending-mta-ip"] = f.sending_mta_ip;
        // A policy failure (a fetch error, say) may have reached no MX: no
        // MX fields then. A negotiation failure always names one (§4.3.1).
        if (!f.receiving_mx_hostname.empty() || IsNegotiationFailure(f.result_type)) {
          d["receiving-mx-hostname"] = f.receiving_mx_hostname;
        }
        if (!f.receiving_mx_helo.empty()) {
          d["receiving-mx-helo"] = f.receiving_mx_helo;
        }
        if (!f.receiving_ip.empty()) {
          d["receiving-ip"] = f.receiving_ip;
        }
        d["failed-session-count"] = f.failed_session_count;
        if (!f.additional_information.empty()) {
          d["additional-information"] = f.additional_information;
        }
        if (!f.failure_reason_code.empty()) {
          d["failure-reason-code"] = f.failure_reason_code;
        }
        details.push_back(std::move(d));
      }
    }
    policies.push_back(std::move(entry));
  }
  // error_handler_t::replace: dump() does not throw on invalid UTF-8.
  return root.dump(pretty ? 2 : -1, ' ', false, OJson::error_handler_t::replace);
}

}  // namespace mxconform::tlsrpt
