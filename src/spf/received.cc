// The Received-SPF reader (see received.h). Hand-written from the ABNF of
// RFC 7208 §9.1 with erratum 5436 and RFC 5322 §3.2: one pass over the
// field, iterative (comments nest, the depth is bounded), the first
// syntax error located and reported.
#include "spf/received.h"

#include <algorithm>
#include <array>
#include <optional>

#include "common/text.h"
#include "spf/ip.h"
#include "spf/record.h"

namespace mxconform::spf {
namespace {

constexpr std::string_view kFieldName = "Received-SPF";

constexpr std::array<std::pair<std::string_view, SpfResult>, 7> kResults = {{
    {"pass", SpfResult::kPass},
    {"fail", SpfResult::kFail},
    {"softfail", SpfResult::kSoftFail},
    {"neutral", SpfResult::kNeutral},
    {"none", SpfResult::kNone},
    {"temperror", SpfResult::kTempError},
    {"permerror", SpfResult::kPermError},
}};

// Folding white space once the line breaks are known to be folds (see
// CheckBytes): SP, HTAB, CR, LF.
bool IsFwsByte(char c) { return text::IsWsp(c) || c == '\r' || c == '\n'; }

// RFC 5322 §3.2.2 ctext and §3.2.4 qtext (no obsolete forms).
bool IsCtext(char c) { return text::IsVchar(c) && c != '(' && c != ')' && c != '\\'; }
bool IsQtext(char c) { return text::IsVchar(c) && c != '"' && c != '\\'; }

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  Result<ReceivedSpf> Run() {
    if (in_.size() > kMaxReceivedSpfBytes) {
      return MakeDiag("spf.received.too_large", Severity::kError, 0,
                      "header field larger than 16 KiB");
    }
    if (!CheckBytes() || !Field()) {
      return Result<ReceivedSpf>::Failure({std::move(*error_)});
    }
    Lint();
    return std::move(out_);
  }

 private:
  bool Fail(std::string_view id, std::size_t at, std::string_view message,
            std::string detail = {}) {
    if (!error_) {
      error_ = MakeDiag(id, Severity::kError, at, message, std::move(detail));
    }
    return false;
  }

  // Printable US-ASCII, SP and HTAB; a line break (CRLF, or LF alone) is a
  // fold when white space follows it, else it must end the field. `end_`
  // stops before that final line end.
  bool CheckBytes() {
    end_ = in_.size();
    for (std::size_t i = 0; i < in_.size(); ++i) {
      const char c = in_[i];
      if (c == '\r' || c == '\n') {
        const std::size_t brk = i;
        if (c == '\r') {
          if (i + 1 >= in_.size() || in_[i + 1] != '\n') {
            return Fail("spf.received.fold", i, "a CR not followed by LF");
          }
          ++i;
        }
        if (i + 1 == in_.size()) {
          end_ = brk;  // the field's own CRLF
          return true;
        }
        if (!text::IsWsp(in_[i + 1])) {
          return Fail("spf.received.fold", brk,
                      "a line break inside the field must be followed by white space (RFC 5322 "
                      "§3.2.2 folding)");
        }
        continue;
      }
      if (!text::IsVchar(c) && !text::IsWsp(c)) {
        return Fail("spf.received.byte", i,
                    "a byte outside printable US-ASCII, SP and HTAB (RFC 5322 §3.2)",
                    text::Printable(in_.substr(i, 1)));
      }
    }
    return true;
  }

  bool AtEnd() const { return p_ >= end_; }
  char Peek() const { return AtEnd() ? '\0' : in_[p_]; }

  // FWS; true if any was skipped.
  bool SkipFws() {
    const std::size_t from = p_;
    while (!AtEnd() && IsFwsByte(in_[p_])) {
      ++p_;
    }
    return p_ != from;
  }

  // CFWS (or nothing); true if anything was skipped. False with an error
  // set when a comment is broken.
  bool SkipCfws(bool& skipped) {
    const std::size_t from = p_;
    while (true) {
      SkipFws();
      if (Peek() != '(') {
        break;
      }
      if (!Comment(nullptr)) {
        return false;
      }
    }
    skipped = p_ != from;
    return true;
  }

  // A comment at p_ ('('), nested ones included; its text between the
  // outer parentheses into `text` when given.
  bool Comment(std::string* text) {
    const std::size_t open = p_;
    std::size_t depth = 0;
    while (!AtEnd()) {
      const char c = in_[p_];
      if (c == '(') {
        if (++depth > kMaxCommentDepth) {
          return Fail("spf.received.comment", p_, "comments nested more than 32 deep");
        }
        ++p_;
      } else if (c == ')') {
        ++p_;
        if (--depth == 0) {
          if (text != nullptr) {
            *text = std::string(in_.substr(open + 1, p_ - open - 2));
          }
          return true;
        }
      } else if (c == '\\') {
        if (p_ + 1 >= end_ || !(text::IsVchar(in_[p_ + 1]) || text::IsWsp(in_[p_ + 1]))) {
          return Fail("spf.received.comment", p_, "a backslash must quote a printable byte");
        }
        p_ += 2;
      } else if (IsCtext(c) || IsFwsByte(c)) {
        ++p_;
      } else {
        return Fail("spf.received.comment", p_, "byte not allowed in a comment");
      }
    }
    return Fail("spf.received.comment", open, "comment not closed");
  }

  bool Field() {
    const std::size_t colon = kFieldName.size();
    if (end_ <= colon || !text::EqualsIgnoreCase(in_.substr(0, colon), kFieldName) ||
        in_[colon] != ':') {
      return Fail("spf.received.field_name", 0,
                  "the field must begin with \"Received-SPF:\" (RFC 7208 §9.1)");
    }
    p_ = colon + 1;
    bool skipped = false;
    if (!SkipCfws(skipped)) {
      return false;
    }
    const std::size_t r = p_;
    while (!AtEnd() && text::IsAlpha(in_[p_])) {
      ++p_;
    }
    const std::string_view word = in_.substr(r, p_ - r);
    const auto it = std::find_if(kResults.begin(), kResults.end(), [&](const auto& x) {
      return text::EqualsIgnoreCase(x.first, word);
    });
    if (it == kResults.end()) {
      return Fail("spf.received.result", r,
                  "the result is one of pass, fail, softfail, neutral, none, temperror, "
                  "permerror (RFC 7208 §9.1)",
                  text::Printable(word, 16));
    }
    out_.result = it->second;
    bool ws = SkipFws();
    if (Peek() == '(') {
      if (!ws) {
        return Fail("spf.received.syntax", p_,
                    "white space must come between the result and the "
                    "comment (RFC 7208 erratum 5436)");
      }
      if (!Comment(&out_.comment)) {
        return false;
      }
      ws = SkipFws();
    }
    if (AtEnd()) {
      return true;
    }
    if (!ws) {
      return Fail("spf.received.syntax", p_,
                  "white space must come between the result or comment and the key-value list");
    }
    return Pairs();
  }

  bool Pairs() {
    while (true) {
      const std::size_t k = p_;
      // The key runs to the first byte that can follow it: CFWS or '='.
      while (!AtEnd() && !IsFwsByte(in_[p_]) && in_[p_] != '=' && in_[p_] != '(' &&
             in_[p_] != ';') {
        ++p_;
      }
      const std::string_view key = in_.substr(k, p_ - k);
      if (!IsModifierName(key)) {
        return Fail("spf.received.key", k,
                    "a key is a name: a letter, then letters, digits, '-', '_' or '.' (RFC 7208 "
                    "§9.1)",
                    text::Printable(in_.substr(k, std::min<std::size_t>(end_ - k, 12)), 12));
      }
      bool skipped = false;
      if (!SkipCfws(skipped)) {
        return false;
      }
      if (Peek() != '=') {
        return Fail("spf.received.equals", p_, "expected '=' after the key", std::string(key));
      }
      ++p_;
      ReceivedSpfPair pair;
      pair.key = std::string(key);
      pair.offset = static_cast<std::uint32_t>(k);
      if (!Value(pair)) {
        return false;
      }
      out_.pairs.push_back(std::move(pair));
      if (AtEnd()) {
        return true;
      }
      if (Peek() != ';') {
        return Fail("spf.received.syntax", p_,
                    "expected ';' or the end of the field after a value");
      }
      ++p_;
      if (!SkipCfws(skipped)) {
        return false;
      }
      if (AtEnd()) {
        return true;  // a final ';'
      }
    }
  }

  // dot-atom or quoted-string, each with its optional CFWS around it.
  bool Value(ReceivedSpfPair& pair) {
    bool skipped = false;
    if (!SkipCfws(skipped)) {
      return false;
    }
    const std::size_t v = p_;
    if (Peek() == '"') {
      pair.quoted = true;
      ++p_;
      while (true) {
        if (AtEnd()) {
          return Fail("spf.received.value", v, "quoted string not closed");
        }
        const char c = in_[p_];
        if (c == '"') {
          ++p_;
          break;
        }
        if (c == '\\') {
          if (p_ + 1 >= end_ || !(text::IsVchar(in_[p_ + 1]) || text::IsWsp(in_[p_ + 1]))) {
            return Fail("spf.received.value", p_, "a backslash must quote a printable byte");
          }
          pair.value.push_back(in_[p_ + 1]);
          p_ += 2;
        } else if (IsQtext(c) || text::IsWsp(c)) {
          pair.value.push_back(c);
          ++p_;
        } else if (c == '\r' || c == '\n') {
          ++p_;  // a fold: the line break is not part of the value (RFC 5322 §3.2.2)
        } else {
          return Fail("spf.received.value", p_, "byte not allowed in a quoted string");
        }
      }
    } else {
      // dot-atom-text = 1*atext *("." 1*atext)
      bool need_atext = true;
      while (!AtEnd()) {
        const char c = in_[p_];
        if (text::IsAtext(c)) {
          need_atext = false;
        } else if (c == '.' && !need_atext) {
          need_atext = true;
        } else {
          break;
        }
        ++p_;
      }
      if (need_atext) {
        return Fail("spf.received.value", p_,
                    p_ == v ? "expected a value: a dot-atom or a quoted string"
                            : "a dot-atom cannot end in '.' or hold \"..\"");
      }
      pair.value = std::string(in_.substr(v, p_ - v));
      if (!AtEnd() && !IsFwsByte(in_[p_]) && in_[p_] != ';' && in_[p_] != '(') {
        return Fail("spf.received.value", p_,
                    "a byte a dot-atom cannot hold (RFC 5322 §3.2.3): quote the value, as an "
                    "IPv6 address must be",
                    text::Printable(in_.substr(p_, 1)));
      }
    }
    return SkipCfws(skipped);
  }

  void Warn(std::string_view id, std::size_t at, std::string_view message,
            std::string detail = {}) {
    out_.diagnostics.push_back(MakeDiag(id, Severity::kWarning, at, message, std::move(detail)));
  }

  // What §9.1 asks the pairs to say.
  void Lint() {
    for (std::size_t i = 0; i < out_.pairs.size(); ++i) {
      const ReceivedSpfPair& a = out_.pairs[i];
      for (std::size_t j = 0; j < i; ++j) {
        if (text::EqualsIgnoreCase(out_.pairs[j].key, a.key)) {
          Warn("spf.received.duplicate_key", a.offset, "the key appears twice", a.key);
          break;
        }
      }
    }
    const std::size_t at = out_.pairs.empty() ? end_ : out_.pairs.front().offset;
    const ReceivedSpfPair* identity = out_.Find("identity");
    for (std::string_view key : {"client-ip", "helo", "envelope-from"}) {
      if (out_.Find(key) != nullptr) {
        continue;
      }
      if (key == "envelope-from" && identity != nullptr &&
          !text::EqualsIgnoreCase(identity->value, "mailfrom")) {
        continue;  // only when the MAIL FROM identity was checked
      }
      Warn("spf.received.missing_key", at,
           "§9.1 asks for client-ip, helo, and envelope-from when MAIL FROM was checked, so "
           "that the result can be verified (RFC 7208 §9.1)",
           std::string(key));
    }
    if (const ReceivedSpfPair* ip = out_.Find("client-ip"); ip != nullptr && !ParseIp(ip->value)) {
      Warn("spf.received.client_ip", ip->offset, "client-ip is not an IP address",
           text::Printable(ip->value, 40));
    }
    if (identity != nullptr && !IsModifierName(identity->value)) {
      Warn("spf.received.identity", identity->offset,
           "identity is mailfrom, helo or a name (RFC 7208 §9.1)",
           text::Printable(identity->value, 40));
    }
  }

  std::string_view in_;
  std::size_t end_ = 0;
  std::size_t p_ = 0;
  ReceivedSpf out_;
  std::optional<Diagnostic> error_;
};

}  // namespace

const ReceivedSpfPair* ReceivedSpf::Find(std::string_view key) const {
  for (const auto& p : pairs) {
    if (text::EqualsIgnoreCase(p.key, key)) {
      return &p;
    }
  }
  return nullptr;
}

Result<ReceivedSpf> ReadReceivedSpf(std::string_view field) { return Reader(field).Run(); }

}  // namespace mxconform::spf
