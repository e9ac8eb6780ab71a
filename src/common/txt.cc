#include "common/txt.h"

#include "common/text.h"

namespace mxconform::txt {

Result<std::string> DecodePresentation(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  const std::size_t n = in.size();
  bool any = false;
  while (true) {
    while (i < n && text::IsWsp(in[i])) {
      ++i;
    }
    if (i >= n) {
      break;
    }
    bool quoted = in[i] == '"';
    std::size_t start = i;
    if (quoted) {
      ++i;
    }
    std::size_t piece = 0;
    bool closed = !quoted;
    while (i < n) {
      char c = in[i];
      if (quoted && c == '"') {
        ++i;
        closed = true;
        break;
      }
      if (!quoted && text::IsWsp(c)) {
        break;
      }
      if (c == '\\') {
        if (i + 1 >= n) {
          return MakeDiag("txt.presentation.bad_escape", Severity::kError, i,
                          "backslash at end of input");
        }
        if (text::IsDigit(in[i + 1])) {
          if (i + 3 >= n || !text::IsDigit(in[i + 2]) || !text::IsDigit(in[i + 3])) {
            return MakeDiag("txt.presentation.bad_escape", Severity::kError, i,
                            "\\DDD escape needs three digits");
          }
          int v = (in[i + 1] - '0') * 100 + (in[i + 2] - '0') * 10 + (in[i + 3] - '0');
          if (v > 255) {
            return MakeDiag("txt.presentation.bad_escape", Severity::kError, i,
                            "\\DDD escape above 255");
          }
          out.push_back(static_cast<char>(v));
          i += 4;
        } else {
          out.push_back(in[i + 1]);
          i += 2;
        }
      } else {
        out.push_back(c);
        ++i;
      }
      ++piece;
    }
    if (!closed) {
      return MakeDiag("txt.presentation.unterminated", Severity::kError, start,
                      "quoted character-string is not closed");
    }
    if (piece > 255) {
      return MakeDiag("txt.presentation.string_too_long", Severity::kError, start,
                      "character-string longer than 255 octets (RFC 1035 §3.3)");
    }
    any = true;
  }
  if (!any) {
    return MakeDiag("txt.presentation.empty", Severity::kError, 0, "no character-string");
  }
  return out;
}

Result<std::vector<std::string>> SplitRecords(std::string_view file) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= file.size()) {
    std::size_t nl = file.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? file.size() : nl;
    std::string_view line = file.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    std::size_t first = 0;
    while (first < line.size() && text::IsWsp(line[first])) {
      ++first;
    }
    if (first < line.size()) {
      if (line[first] == '"') {
        auto r = DecodePresentation(line);
        if (!r) {
          Diagnostics d = r.diagnostics();
          for (auto& x : d) {
            x.offset += static_cast<std::uint32_t>(pos);
          }
          return Result<std::vector<std::string>>::Failure(std::move(d));
        }
        out.push_back(std::move(r.value()));
      } else {
        out.emplace_back(line);
      }
    }
    if (nl == std::string_view::npos) {
      break;
    }
    pos = nl + 1;
  }
  return out;
}

}  // namespace mxconform::txt
