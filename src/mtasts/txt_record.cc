#include "mtasts/txt_record.h"

#include <cstring>

#include "common/text.h"
#include "common/txt.h"

namespace mxconform::mtasts {
namespace {

constexpr std::string_view kVersion = "v=STSv1";

// RFC 8461 §3.1 sts-ext-value: %x21-3A / %x3C / %x3E-7E (printable, no '=' ';' SP).
constexpr bool IsExtValueChar(char c) { return c >= 0x21 && c <= 0x7e && c != '=' && c != ';'; }

class TxtParser {
 public:
  TxtParser(std::string_view in, const ParseOptions& opts, TxtRecord& out)
      : in_(in),
        n_(in.size()),
        interop_(opts.profile == Profile::kInterop),
        fast_paths_(opts.fast_paths),
        out_(out) {}

  bool Run() {
    out_.extensions.clear();
    out_.diagnostics.clear();
    if (fast_paths_ && FastRecord()) {
      return true;
    }
    out_.id.clear();
    // STS-3.1-02: the record starts with the case-sensitive "v=STSv1".
    if (in_.substr(0, kVersion.size()) != kVersion) {
      return FailVersion(0);
    }
    // P15 and control bytes are checked lazily: every byte of a valid record
    // passes a class test that excludes them, so only a failure (Fail) or a
    // skip over unparsed bytes (interop) needs the scan, CheckBytes().
    std::size_t i = kVersion.size();
    bool have_id = false;
    bool first_delim = true;
    while (true) {
      // sts-field-delim = *WSP ";" *WSP
      std::size_t ws = i;
      while (i < n_ && text::IsWsp(in_[i])) {
        ++i;
      }
      if (i == n_) {
        if (i == kVersion.size() || !have_id) {
          break;  // reported below as missing id
        }
        if (ws != i) {
          // Trailing WSP without a final ';' is outside the ABNF.
          if (!Relax("mtasts.txt.trailing_whitespace", ws,
                     "white space after the last field without a ';'")) {
            return false;
          }
        }
        break;
      }
      if (in_[i] != ';') {
        if (ws == i && i == kVersion.size()) {
          return FailVersion(i + 1);
        }
        return Fail("mtasts.txt.expected_delimiter", i, "expected ';' between fields");
      }
      if (first_delim && ws != i) {
        // Erratum 6285: the ABNF allows WSP before ';', but §3.1 filters
        // multiple records on the literal prefix "v=STSv1;". A lone record is
        // parsed by the ABNF (valid); SelectTxtRecord applies the prefix rule.
        Note("mtasts.txt.wsp_before_delimiter", ws,
             "white space before ';' (RFC 8461 erratum 6285): valid by the ABNF, but such a "
             "record is discarded when several TXT records are present");
      }
      first_delim = false;
      ++i;
      while (i < n_ && text::IsWsp(in_[i])) {
        ++i;
      }
      if (i == n_) {
        break;  // trailing delimiter (P1)
      }
      if (in_[i] == ';') {
        if (!Relax("mtasts.txt.empty_field", i, "empty field between ';' delimiters")) {
          return false;
        }
        continue;
      }
      if (!Field(i, have_id)) {
        return false;
      }
    }
    if (!have_id) {
      // STS-3.1-03, P5: at least one field, and id is required.
      return Fail("mtasts.txt.missing_id", n_, "record has no \"id\" field");
    }
    return true;
  }

 private:
  // The shape nearly every published record has, "v=STSv1;" then spaces,
  // "id=" and 1 to 32 ALPHA / DIGIT, then the end or ";" and spaces to the
  // end, in straight-line code. Returns false, having changed nothing but
  // the cleared extensions and diagnostics, for anything else: the general
  // path then decides, with the same result (the sts_txt fuzzer compares).
  // Every byte is checked, so the lazy bad-byte scan has nothing to find.
  bool FastRecord() {
    constexpr std::string_view kPrefix = "v=STSv1;";
    if (n_ < kPrefix.size() + 4 || std::memcmp(in_.data(), kPrefix.data(), kPrefix.size()) != 0) {
      return false;
    }
    std::size_t i = kPrefix.size();
    while (i < n_ && in_[i] == ' ') {
      ++i;
    }
    if (n_ - i < 4 || in_[i] != 'i' || in_[i + 1] != 'd' || in_[i + 2] != '=') {
      return false;
    }
    const std::size_t id = i + 3;
    const std::size_t end = text::AlnumRunEnd(in_, id);
    if (end == id || end - id > 32) {
      return false;
    }
    std::size_t j = end;
    if (j < n_) {
      if (in_[j] != ';') {
        return false;
      }
      ++j;
      while (j < n_ && in_[j] == ' ') {
        ++j;
      }
      if (j != n_) {
        return false;
      }
    }
    text::AssignInPlace(out_.id, in_.substr(id, end - id));
    return true;
  }

  // Parses one field starting at `i`; leaves `i` after it.
  bool Field(std::size_t& i, bool& have_id) {
    std::size_t start = i;
    if (!have_id && n_ - i > 3 && in_[i] == 'i' && in_[i + 1] == 'd' && in_[i + 2] == '=') {
      // The common case in one loop: "id=" and 1..32 ALPHA / DIGIT up to a
      // delimiter. Anything else takes the general path below.
      const std::size_t k = text::AlnumRunEnd(in_, i + 3);
      std::size_t len = k - (i + 3);
      if (len >= 1 && len <= 32 && (k == n_ || in_[k] == ';' || text::IsWsp(in_[k]))) {
        text::AssignInPlace(out_.id, in_.substr(i + 3, len));
        have_id = true;
        i = k;
        return true;
      }
    }
    std::size_t eq = i;
    while (eq < n_ && in_[eq] != '=' && in_[eq] != ';' && !text::IsWsp(in_[eq])) {
      ++eq;
    }
    std::string_view name = in_.substr(start, eq - start);
    if (eq == n_ || in_[eq] != '=') {
      return BadExtension(i, start, "field without '='", name);
    }
    std::size_t vstart = eq + 1;
    std::size_t vend = vstart;
    while (vend < n_ && in_[vend] != ';' && !text::IsWsp(in_[vend])) {
      ++vend;
    }
    std::string_view value = in_.substr(vstart, vend - vstart);
    const bool duplicate_id = name == "id" && have_id;
    if (name == "id" && !have_id) {
      // STS-3.1-03, P7/P8: 1*32(ALPHA / DIGIT).
      if (value.empty()) {
        return Fail("mtasts.txt.bad_id", vstart, "empty id");
      }
      if (value.size() > 32) {
        return Fail("mtasts.txt.bad_id", vstart + 32, "id longer than 32 characters");
      }
      for (std::size_t k = 0; k < value.size(); ++k) {
        if (!text::IsAlnum(value[k])) {
          return Fail("mtasts.txt.bad_id", vstart + k, "id may only contain letters and digits",
                      text::Printable(value));
        }
      }
      text::AssignInPlace(out_.id, value);
      have_id = true;
      i = vend;
      return true;
    }
    if (duplicate_id) {
      // P9, ambiguity A1: the first id wins (RFC 8461 §3.2 duplicate rule).
      // A later one is ignored whatever its value, which need only be that
      // of a well-formed field (as an sts-extension it is one; below).
      Warn("mtasts.txt.duplicate_id", start, "duplicate id: the first one is used");
    } else if (!text::IsFieldName(name)) {
      return BadExtension(i, start, "extension name outside the RFC 8461 grammar", name);
    }
    if (value.empty()) {
      return BadExtension(i, start, "extension with an empty value", name);
    }
    for (std::size_t k = 0; k < value.size(); ++k) {
      if (!IsExtValueChar(value[k])) {
        return BadExtension(i, vstart + k, "character not allowed in an extension value", name);
      }
    }
    std::size_t after = vend;
    while (after < n_ && text::IsWsp(in_[after])) {
      ++after;
    }
    if (after != vend && after < n_ && in_[after] != ';') {
      return BadExtension(i, vend, "white space inside an extension value", name);
    }
    // P10, STS-3.1-07: unknown fields are ignored (kept for round trips).
    if (!duplicate_id) {
      out_.extensions.push_back(Extension{std::string(name), std::string(value)});
    }
    i = vend;
    return true;
  }

  // P11: strict rejects a malformed extension; interop skips it to the next ';'.
  bool BadExtension(std::size_t& i, std::size_t at, std::string_view message,
                    std::string_view name) {
    if (!interop_) {
      return Fail("mtasts.txt.bad_extension", at, message, text::Printable(name));
    }
    std::size_t from = i;
    while (i < n_ && in_[i] != ';') {
      ++i;
    }
    if (!CheckBytes(in_.substr(from, i - from), from)) {
      return false;
    }
    Warn("mtasts.txt.bad_extension", at, message, text::Printable(name));
    return true;
  }

  // RFC 8461 §3.1 (P15): the record is US-ASCII, and control bytes other
  // than HTAB (a WSP) have no place in it. Returns false after recording the
  // first offending byte of `part` (at `base` in the record).
  bool CheckBytes(std::string_view part, std::size_t base) {
    for (std::size_t k = text::FindNonPrintable(part); k < part.size();
         k = k + 1 + text::FindNonPrintable(part.substr(k + 1))) {
      if (static_cast<unsigned char>(part[k]) >= 0x80) {
        Record("mtasts.txt.non_ascii", base + k, "non-ASCII byte in record");
        return false;
      }
      if (part[k] != '\t') {
        Record("mtasts.txt.control_character", base + k, "control character in record");
        return false;
      }
    }
    return true;
  }

  // The version is checked before the bytes, as it decides whether this is
  // an MTA-STS record at all.
  bool FailVersion(std::size_t shown) {
    std::string detail = shown == 0 ? std::string() : text::Printable(in_.substr(0, shown));
    Record("mtasts.txt.version", 0, "record does not start with \"v=STSv1\"", std::move(detail));
    return false;
  }

  // Records an error; a non-ASCII or control byte anywhere in the record is
  // reported in its place (it is the more basic problem).
  bool Fail(std::string_view id, std::size_t at, std::string_view message,
            std::string detail = {}) {
    if (CheckBytes(in_, 0)) {
      Record(id, at, message, std::move(detail));
    }
    return false;
  }
  void Record(std::string_view id, std::size_t at, std::string_view message,
              std::string detail = {}) {
    out_.diagnostics.push_back(MakeDiag(id, Severity::kError, at, message, std::move(detail)));
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
  // STS-3.1-04: discard RRs that do not begin with "v=STSv1;"; exactly one
  // must remain (P13, P14). A lone RR is parsed as is (erratum 6285).
  static constexpr txt::SelectionRule kRule = {
      "v=STSv1;", "mtasts.txt.no_record", "no TXT record begins with \"v=STSv1;\"",
      "mtasts.txt.multiple_records",
      "more than one TXT record begins with \"v=STSv1;\": no policy"};
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
  std::string out = "v=STSv1; id=";
  out += r.id;
  for (const auto& e : r.extensions) {
    out += "; ";
    out += e.name;
    out += '=';
    out += e.value;
  }
  return out;
}

}  // namespace mxconform::mtasts
