#include "tlsrpt/submission.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/compress.h"
#include "common/domain.h"
#include "common/text.h"

namespace mxconform::tlsrpt {
namespace {

struct Field {
  std::string name;   // lower-cased
  std::string value;  // unfolded, outer white space trimmed
  std::size_t offset = 0;
};

struct Entity {
  std::vector<Field> fields;
  std::string_view body;
  std::size_t body_offset = 0;

  const Field* Get(std::string_view name) const {
    for (const Field& f : fields) {
      if (f.name == name) {
        return &f;
      }
    }
    return nullptr;
  }
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && text::IsWsp(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (text::IsWsp(s.back()) || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// The line at `pos` without its line break, and where the next one starts.
std::string_view LineAt(std::string_view s, std::size_t pos, std::size_t& next) {
  const std::size_t lf = s.find('\n', pos);
  next = lf == std::string_view::npos ? s.size() : lf + 1;
  std::string_view line = s.substr(pos, (lf == std::string_view::npos ? s.size() : lf) - pos);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return line;
}

// RFC 5322 §2.2: header fields up to the first empty line; a line that
// starts with white space continues the field before it. `base` is the
// offset of `s` in the message, for diagnostics.
bool ReadEntity(std::string_view s, std::size_t base, bool need_body, Entity& e, Diagnostics& d) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t next = 0;
    const std::string_view line = LineAt(s, pos, next);
    if (line.empty()) {
      e.body = s.substr(next);
      e.body_offset = base + next;
      return true;
    }
    if (text::IsWsp(line.front())) {
      if (e.fields.empty()) {
        d.push_back(MakeDiag("tlsrpt.submission.header", Severity::kError, base + pos,
                             "a header section cannot start with a continuation line "
                             "(RFC 5322 §2.2.3)"));
        return false;
      }
      e.fields.back().value += " ";
      e.fields.back().value += Trim(line);
    } else {
      const std::size_t colon = line.find(':');
      bool ok = colon != std::string_view::npos && colon != 0;
      for (std::size_t k = 0; ok && k < colon; ++k) {
        ok = text::IsVchar(line[k]);  // ftext: VCHAR but ':'
      }
      if (!ok) {
        d.push_back(MakeDiag("tlsrpt.submission.header", Severity::kError, base + pos,
                             "not a header field \"name: value\" (RFC 5322 §2.2)",
                             text::Printable(line, 40)));
        return false;
      }
      e.fields.push_back(Field{text::ToLowerCopy(line.substr(0, colon)),
                               std::string(Trim(line.substr(colon + 1))), base + pos});
    }
    pos = next;
  }
  if (need_body) {
    d.push_back(MakeDiag("tlsrpt.submission.header", Severity::kError, base + s.size(),
                         "no empty line ends the header section, so there is no body"));
    return false;
  }
  e.body = {};
  e.body_offset = base + s.size();
  return true;
}

// A Content-Type or Content-Disposition value (RFC 2045 §5.1, RFC 2183):
// the lower-cased type, then parameters with lower-cased names and
// unquoted values, RFC 2231 forms joined (JoinRfc2231).
struct MimeValue {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;

  std::optional<std::string> Param(std::string_view name) const {
    for (const auto& [n, v] : params) {
      if (n == name) {
        return v;
      }
    }
    return std::nullopt;
  }
};

// RFC 2231 §4: an extended value, charset'language'%XX..., decoded to its
// bytes (`first`: the charset and language come first). A value with a
// '%' not followed by two hex digits is kept as it is.
std::string DecodeExtended(std::string_view v, bool first) {
  if (first) {
    const std::size_t q1 = v.find('\'');
    const std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
    if (q2 != std::string_view::npos) {
      v.remove_prefix(q2 + 1);
    }
  }
  return text::PercentDecode(v).value_or(std::string(v));
}

// RFC 2231 §3, §4: "name*=" (an extended value) and "name*0=", "name*1=",
// ... (continuations, each "*N*=" when extended) are joined into one
// "name" parameter, put first so that it is the one Param() finds (mail
// programs write long or non-ASCII filenames this way; a TLS-RPT filename
// is long). The pieces stay in the list as they were.
void JoinRfc2231(std::vector<std::pair<std::string, std::string>>& params) {
  std::map<std::string, std::map<unsigned, std::string>> pieces;
  std::map<std::string, std::string> whole;
  for (const auto& [name, value] : params) {
    const std::size_t star = name.find('*');
    if (star == std::string::npos || star == 0) {
      continue;
    }
    const std::string base = name.substr(0, star);
    std::string_view rest = std::string_view(name).substr(star + 1);
    if (rest.empty()) {
      whole[base] = DecodeExtended(value, true);
      continue;
    }
    const bool extended = rest.back() == '*';
    if (extended) {
      rest.remove_suffix(1);
    }
    // N: decimal, no leading zero, at most 3 digits (enough for any header).
    if (rest.empty() || rest.size() > 3 || (rest[0] == '0' && rest.size() > 1) ||
        !std::all_of(rest.begin(), rest.end(), [](char c) { return text::IsDigit(c); })) {
      continue;
    }
    const auto n = static_cast<unsigned>(std::stoul(std::string(rest)));
    pieces[base][n] = extended ? DecodeExtended(value, n == 0) : value;
  }
  for (auto& [base, parts] : pieces) {
    std::string joined;
    unsigned next = 0;
    for (const auto& [n, part] : parts) {
      if (n != next) {
        break;  // a gap: the pieces after it are not part of the value
      }
      joined += part;
      ++next;
    }
    if (next != 0 && whole.count(base) == 0) {
      whole[base] = std::move(joined);
    }
  }
  for (auto& [base, value] : whole) {
    params.insert(params.begin(), {base, std::move(value)});
  }
}

MimeValue ParseMimeValue(std::string_view v) {
  MimeValue m;
  std::size_t i = v.find(';');
  m.type = text::ToLowerCopy(Trim(v.substr(0, i)));
  while (i != std::string_view::npos && i < v.size()) {
    ++i;  // past ';'
    while (i < v.size() && text::IsWsp(v[i])) {
      ++i;
    }
    const std::size_t eq = v.find('=', i);
    const std::size_t semi = v.find(';', i);
    if (eq == std::string_view::npos || (semi != std::string_view::npos && semi < eq)) {
      i = semi;  // a parameter without '=': skipped
      continue;
    }
    std::string name = text::ToLowerCopy(Trim(v.substr(i, eq - i)));
    std::size_t k = eq + 1;
    while (k < v.size() && text::IsWsp(v[k])) {
      ++k;
    }
    std::string value;
    if (k < v.size() && v[k] == '"') {
      for (++k; k < v.size() && v[k] != '"'; ++k) {
        if (v[k] == '\\' && k + 1 < v.size()) {
          ++k;
        }
        value.push_back(v[k]);
      }
      i = k < v.size() ? v.find(';', k) : std::string_view::npos;
    } else {
      const std::size_t end = v.find(';', k);
      value = std::string(Trim(v.substr(k, end == std::string_view::npos ? v.npos : end - k)));
      i = end;
    }
    m.params.emplace_back(std::move(name), std::move(value));
  }
  JoinRfc2231(m.params);
  return m;
}

// RFC 5321 Domain, as the filename and Subject ABNF ask (common/domain.h).
bool IsLdhDomain(std::string_view s) {
  domain::NameRules rules;
  rules.check_a_labels = false;
  return domain::CheckName(s, rules).ok();
}

bool AllDigits(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!text::IsDigit(c)) {
      return false;
    }
  }
  return true;
}

// RFC 8460 §5.1: sender "!" policy-domain "!" begin "!" end [ "!" unique-id ]
// "." extension. `policy_domain` gets the second field when there is one.
bool FilenameMatchesAbnf(std::string_view name, std::string& policy_domain) {
  std::string_view stem = name;
  if (stem.ends_with(".json.gz")) {
    stem.remove_suffix(8);
  } else if (stem.ends_with(".json")) {
    stem.remove_suffix(5);
  } else {
    return false;
  }
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t bang = stem.find('!', start);
    parts.push_back(stem.substr(start, bang == std::string_view::npos ? stem.npos : bang - start));
    if (bang == std::string_view::npos) {
      break;
    }
    start = bang + 1;
  }
  if (parts.size() >= 2) {
    policy_domain = std::string(parts[1]);
  }
  if (parts.size() != 4 && parts.size() != 5) {
    return false;
  }
  bool ok =
      IsLdhDomain(parts[0]) && IsLdhDomain(parts[1]) && AllDigits(parts[2]) && AllDigits(parts[3]);
  if (parts.size() == 5) {
    ok = ok && !parts[4].empty();
    for (char c : parts[4]) {
      ok = ok && text::IsAlnum(c);
    }
  }
  return ok;
}

// The policy domains the report covers, lower-cased.
std::vector<std::string> PolicyDomains(const Report& r) {
  std::vector<std::string> out;
  for (const PolicyReport& p : r.policies) {
    std::string d = text::ToLowerCopy(p.policy_domain);
    if (!d.empty() && d.back() == '.') {
      d.pop_back();
    }
    out.push_back(std::move(d));
  }
  return out;
}

bool Covers(const Report& r, std::string_view domain) {
  std::string d = text::ToLowerCopy(domain);
  if (!d.empty() && d.back() == '.') {
    d.pop_back();
  }
  for (const std::string& p : PolicyDomains(r)) {
    if (p == d) {
      return true;
    }
  }
  return false;
}

void Disagrees(Diagnostics& d, std::size_t at, std::string detail) {
  d.push_back(MakeDiag("tlsrpt.submission.body_disagrees", Severity::kWarning, at,
                       "names a policy domain the report does not cover; the report body is "
                       "authoritative (RFC 8460 §5.6)",
                       std::move(detail)));
}

// The report in `data` (the decoded attachment or POST body) of media type
// +gzip or +json; `at` is its offset in the input.
bool ReadBody(std::string_view data, bool gzip, std::size_t at, Submission& out, Diagnostics& d) {
  std::string json;
  if (gzip) {
    Result<std::string> plain = Gunzip(data, kMaxReportBytes);
    if (!plain) {
      d.push_back(MakeDiag("tlsrpt.submission.gzip", Severity::kError, at,
                           "the report is not readable gzip (RFC 8460 §5.2)",
                           std::string(plain.error().id) + ": " + plain.error().Text()));
      return false;
    }
    json = std::move(*plain);
  } else {
    json.assign(data);
    // RFC 8460 §5.2 (RPT-5.2-01): reports SHOULD be compressed.
    d.push_back(MakeDiag("tlsrpt.submission.not_gzip", Severity::kWarning, at,
                         "the report is sent uncompressed; RFC 8460 §5.2 asks for gzip"));
  }
  Result<Report> rep = ReadReport(json);
  if (!rep) {
    for (Diagnostic x : rep.diagnostics()) {
      x.detail = "at byte " + std::to_string(x.offset) + " of the report" +
                 (x.detail.empty() ? "" : ": " + x.detail);
      x.offset = static_cast<std::uint32_t>(at);
      d.push_back(std::move(x));
    }
    return false;
  }
  out.report = std::move(*rep);
  out.gzip = gzip;
  for (Diagnostic x : out.report.diagnostics) {
    x.offset = static_cast<std::uint32_t>(at);
    d.push_back(std::move(x));
  }
  return true;
}

// The media type of a report part or POST: 1 for +gzip, 0 for +json, -1
// for anything else.
int ReportMediaKind(std::string_view type) {
  if (type == "application/tlsrpt+gzip") {
    return 1;
  }
  return type == "application/tlsrpt+json" ? 0 : -1;
}

Result<Submission> Finish(Submission s, Diagnostics d) {
  if (HasError(d)) {
    return Result<Submission>::Failure(std::move(d));
  }
  s.diagnostics = std::move(d);
  return s;
}

// §5.3 Subject: "Report" FWS "Domain:" FWS domain FWS "Submitter:" FWS
// domain FWS "Report-ID:" FWS "<" id ">". Returns the domain, or nullopt.
std::optional<std::string> SubjectDomain(std::string_view subject) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < subject.size()) {
    while (i < subject.size() && text::IsWsp(subject[i])) {
      ++i;
    }
    const std::size_t start = i;
    while (i < subject.size() && !text::IsWsp(subject[i])) {
      ++i;
    }
    if (i > start) {
      words.push_back(subject.substr(start, i - start));
    }
  }
  if (words.size() != 7 || words[0] != "Report" || words[1] != "Domain:" ||
      words[3] != "Submitter:" || words[5] != "Report-ID:" || !IsLdhDomain(words[2]) ||
      !IsLdhDomain(words[4]) || words[6].size() < 5 || words[6].front() != '<' ||
      words[6].back() != '>' || words[6].find('@') == std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(words[2]);
}

}  // namespace

Result<Submission> ReadReportMail(std::string_view message) {
  Diagnostics d;
  Submission out;
  if (message.size() > kMaxSubmissionBytes) {
    return MakeDiag("tlsrpt.submission.too_large", Severity::kError, kMaxSubmissionBytes,
                    "message larger than a report can need");
  }
  Entity top;
  if (!ReadEntity(message, 0, true, top, d)) {
    return Result<Submission>::Failure(std::move(d));
  }
  // RFC 8460 §5.3 (RPT-5.3-01): multipart/report; report-type="tlsrpt".
  const Field* ct = top.Get("content-type");
  const MimeValue type = ParseMimeValue(ct ? ct->value : "");
  const std::optional<std::string> report_type = type.Param("report-type");
  if (type.type != "multipart/report" || !report_type ||
      !text::EqualsIgnoreCase(*report_type, "tlsrpt")) {
    d.push_back(MakeDiag("tlsrpt.submission.content_type", Severity::kError, ct ? ct->offset : 0,
                         "a report mail is multipart/report; report-type=\"tlsrpt\" "
                         "(RFC 8460 §5.3)",
                         text::Printable(ct ? ct->value : "(no Content-Type)", 60)));
    return Result<Submission>::Failure(std::move(d));
  }
  // RFC 8460 §5.3 (RPT-5.3-02): the two TLS-Report header fields.
  for (const char* name : {"tls-report-domain", "tls-report-submitter"}) {
    const Field* f = top.Get(name);
    if (f == nullptr || Trim(f->value).empty()) {  // an empty one says nothing
      d.push_back(MakeDiag("tlsrpt.submission.missing_header", Severity::kError, 0,
                           "a report mail carries TLS-Report-Domain and TLS-Report-Submitter "
                           "(RFC 8460 §5.3)",
                           name));
    }
  }
  if (const Field* f = top.Get("tls-report-domain")) {
    out.report_domain = f->value;
  }
  if (const Field* f = top.Get("tls-report-submitter")) {
    out.submitter = f->value;
  }
  if (const Field* f = top.Get("subject")) {
    out.subject = f->value;
  }

  const std::optional<std::string> boundary = type.Param("boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) {
    d.push_back(MakeDiag("tlsrpt.submission.boundary", Severity::kError, ct->offset,
                         "multipart without a boundary of 1 to 70 characters (RFC 2046 §5.1.1)"));
    return Result<Submission>::Failure(std::move(d));
  }
  // RFC 2046 §5.1.1: the parts lie between "--boundary" lines; "--boundary--"
  // closes them.
  const std::string delimiter = "--" + *boundary;
  std::vector<std::pair<std::size_t, std::size_t>> parts;  // [begin, end) in the body
  std::optional<std::size_t> open;
  bool closed = false;
  std::size_t pos = 0;
  const std::string_view body = top.body;
  while (pos < body.size() && !closed) {
    std::size_t next = 0;
    const std::string_view line = LineAt(body, pos, next);
    if (line.starts_with(delimiter)) {
      std::string_view rest = line.substr(delimiter.size());
      const bool close = rest.starts_with("--");
      if (close) {
        rest.remove_prefix(2);
      }
      if (Trim(rest).empty()) {
        if (open) {
          // The CR LF before the delimiter belongs to it.
          std::size_t end = pos;
          if (end > *open && body[end - 1] == '\n') {
            --end;
            if (end > *open && body[end - 1] == '\r') {
              --end;
            }
          }
          parts.emplace_back(*open, end);
        }
        open = next;
        closed = close;
      }
    }
    pos = next;
  }
  if (!closed) {
    d.push_back(MakeDiag("tlsrpt.submission.boundary", Severity::kError, top.body_offset,
                         "the multipart body never closes its boundary (RFC 2046 §5.1.1)",
                         text::Printable(*boundary, 40)));
    return Result<Submission>::Failure(std::move(d));
  }

  bool found = false;
  for (const auto& [b, e] : parts) {
    Entity part;
    Diagnostics ignored;
    if (!ReadEntity(body.substr(b, e - b), top.body_offset + b, false, part, ignored)) {
      continue;  // not the report part; other parts are not ours to judge
    }
    const Field* pct = part.Get("content-type");
    const MimeValue ptype = ParseMimeValue(pct ? pct->value : "text/plain");
    const int kind = ReportMediaKind(ptype.type);
    if (kind < 0) {
      continue;
    }
    found = true;
    // The attachment's bytes.
    const Field* cte = part.Get("content-transfer-encoding");
    const std::string encoding = text::ToLowerCopy(cte ? cte->value : "7bit");
    std::optional<std::string> data;
    if (encoding == "base64") {
      data = text::Base64Decode(part.body);
    } else if (encoding == "quoted-printable") {
      data = text::QuotedPrintableDecode(part.body);
    } else if (encoding == "7bit" || encoding == "8bit" || encoding == "binary") {
      data = std::string(part.body);
    } else {
      d.push_back(MakeDiag(
          "tlsrpt.submission.encoding", Severity::kError, cte ? cte->offset : part.body_offset,
          "unknown Content-Transfer-Encoding (RFC 2045 §6)", text::Printable(encoding, 30)));
      break;
    }
    if (!data) {
      d.push_back(MakeDiag("tlsrpt.submission.encoding", Severity::kError, part.body_offset,
                           "the attachment is not valid in its Content-Transfer-Encoding",
                           encoding));
      break;
    }
    // RFC 8460 §5.1 (RPT-5.1-01): the filename's extension is the media
    // type's; the rest of the ABNF is RECOMMENDED.
    const Field* disp = part.Get("content-disposition");
    std::optional<std::string> filename =
        disp ? ParseMimeValue(disp->value).Param("filename") : std::nullopt;
    if (!filename) {
      filename = ptype.Param("name");
    }
    const std::size_t part_at = pct ? pct->offset : part.body_offset;
    std::string filename_domain;
    if (!filename) {
      d.push_back(MakeDiag("tlsrpt.submission.filename", Severity::kError, part_at,
                           "the report attachment has no filename (RFC 8460 §5.1)"));
    } else {
      out.filename = *filename;
      const std::string_view ext = kind == 1 ? ".json.gz" : ".json";
      // ABNF strings are case-insensitive (RFC 5234 §2.3): ".JSON" is one.
      const std::string lower = text::ToLowerCopy(*filename);
      if (!lower.ends_with(ext) || (kind == 0 && lower.ends_with(".gz.json"))) {
        d.push_back(MakeDiag("tlsrpt.submission.filename", Severity::kError, part_at,
                             kind == 1 ? std::string_view("a gzip report's filename ends in "
                                                          "\".json.gz\" (RFC 8460 §5.1)")
                                       : std::string_view("a JSON report's filename ends in "
                                                          "\".json\" (RFC 8460 §5.1)"),
                             text::Printable(*filename, 80)));
      } else if (!FilenameMatchesAbnf(*filename, filename_domain)) {
        d.push_back(MakeDiag("tlsrpt.submission.filename_abnf", Severity::kWarning, part_at,
                             "filename is not sender!policy-domain!begin!end[!id].ext "
                             "(RFC 8460 §5.1)",
                             text::Printable(*filename, 80)));
        filename_domain.clear();
      }
    }
    if (!ReadBody(*data, kind == 1, part.body_offset, out, d)) {
      break;
    }
    // RFC 8460 §5.6 (RPT-5.6-01): where the envelope disagrees, the body
    // is authoritative.
    if (!filename_domain.empty() && !Covers(out.report, filename_domain)) {
      Disagrees(d, part_at, "filename: " + text::Printable(filename_domain, 60));
    }
    if (!out.report_domain.empty() && !Covers(out.report, out.report_domain)) {
      Disagrees(d, top.Get("tls-report-domain")->offset,
                "TLS-Report-Domain: " + text::Printable(out.report_domain, 60));
    }
    // RPT-5.3-02: the submitter MUST be the domain of the contact-info
    // mailbox; a contact-info with no domain cannot match.
    const std::string& contact = out.report.contact_info;
    const std::size_t at = contact.rfind('@');
    if (!out.submitter.empty() &&
        (at == std::string::npos ||
         !text::EqualsIgnoreCase(contact.substr(at + 1), out.submitter))) {
      d.push_back(
          MakeDiag("tlsrpt.submission.submitter_mismatch", Severity::kError,
                   top.Get("tls-report-submitter")->offset,
                   "TLS-Report-Submitter is not the domain of the report's contact-info "
                   "(RFC 8460 §5.3)",
                   text::Printable(out.submitter, 60) + " vs " + text::Printable(contact, 60)));
    }
    break;
  }
  if (!found) {
    d.push_back(MakeDiag("tlsrpt.submission.no_report", Severity::kError, top.body_offset,
                         "no application/tlsrpt+gzip or application/tlsrpt+json part "
                         "(RFC 8460 §5.3)"));
  }
  // RFC 8460 §5.3 (RPT-5.3-03): the Subject SHOULD follow its ABNF.
  const std::optional<std::string> subject_domain = SubjectDomain(out.subject);
  if (!subject_domain) {
    const Field* f = top.Get("subject");
    d.push_back(MakeDiag("tlsrpt.submission.subject", Severity::kWarning, f ? f->offset : 0,
                         "Subject is not \"Report Domain: D Submitter: S Report-ID: <id>\" "
                         "(RFC 8460 §5.3)",
                         text::Printable(out.subject, 80)));
  } else if (found && !HasError(d) && !Covers(out.report, *subject_domain)) {
    Disagrees(d, top.Get("subject")->offset, "Subject: " + text::Printable(*subject_domain, 60));
  }
  return Finish(std::move(out), std::move(d));
}

Result<Submission> ReadReportPost(std::string_view content_type, std::string_view body) {
  Diagnostics d;
  Submission out;
  if (body.size() > kMaxSubmissionBytes) {
    return MakeDiag("tlsrpt.submission.too_large", Severity::kError, kMaxSubmissionBytes,
                    "body larger than a report can need");
  }
  // RFC 8460 §5.4 (RPT-5.4-01): the report SHOULD be POSTed with its
  // media type. Another one is a warning, and the body says what it is: gzip
  // by its magic bytes (RFC 1952 §2.3.1), JSON otherwise.
  int kind = ReportMediaKind(ParseMimeValue(content_type).type);
  if (kind < 0) {
    d.push_back(MakeDiag("tlsrpt.submission.content_type", Severity::kWarning, 0,
                         "a POSTed report should be application/tlsrpt+gzip or "
                         "application/tlsrpt+json (RFC 8460 §5.4)",
                         text::Printable(content_type, 60)));
    kind = body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
                   static_cast<unsigned char>(body[1]) == 0x8b
               ? 1
               : 0;
  }
  ReadBody(body, kind == 1, 0, out, d);
  return Finish(std::move(out), std::move(d));
}

}  // namespace mxconform::tlsrpt
