#include "common/txt.h"

#include "common/text.h"

namespace mxconform::txt {

Result<std::string> DecodePresentation(std::string_view in, std::vector<std::uint32_t>* source) {
  std::string out;
  // Where each output byte came from (its escape's backslash for \X and
  // \DDD), when asked.
  auto from = [&](std::size_t at) {
    if (source != nullptr) {
      source->push_back(static_cast<std::uint32_t>(at));
    }
  };
  if (source != nullptr) {
    source->clear();
  }
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
          from(i);
          i += 4;
        } else {
          out.push_back(in[i + 1]);
          from(i);
          i += 2;
        }
      } else {
        out.push_back(c);
        from(i);
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

Result<std::vector<FileRecord>> SplitRecords(std::string_view file) {
  std::vector<FileRecord> out;
  std::size_t pos = 0;
  std::uint32_t line_no = 0;
  while (pos <= file.size()) {
    ++line_no;
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
      FileRecord r;
      r.line = line_no;
      r.column = static_cast<std::uint32_t>(first + 1);
      if (line[first] == '"') {
        std::vector<std::uint32_t> source;
        auto d = DecodePresentation(line, &source);
        if (!d) {
          Diagnostics diags = d.diagnostics();
          for (auto& x : diags) {
            x.line = line_no;
            x.column = x.offset + 1;
            x.offset += static_cast<std::uint32_t>(pos);
          }
          return Result<std::vector<FileRecord>>::Failure(std::move(diags));
        }
        r.text = std::move(*d);
        r.presentation = true;
        // 1-based columns, and one past the line's end for the text's end.
        r.columns.reserve(source.size() + 1);
        for (const std::uint32_t at : source) {
          r.columns.push_back(at + 1);
        }
        r.columns.push_back(static_cast<std::uint32_t>(line.size() + 1));
      } else {
        // The whole line: blanks before the record are part of it, as those
        // after it are (review finding: " v=STSv1; id=1" read as valid
        // here, while the same bytes in quotes did not).
        r.text = std::string(line);
        r.column = 1;
      }
      out.push_back(std::move(r));
    }
    if (nl == std::string_view::npos) {
      break;
    }
    pos = nl + 1;
  }
  return out;
}

Result<std::size_t> SelectRecord(std::span<const std::string> rrs, const SelectionRule& rule) {
  if (rrs.size() == 1) {
    return std::size_t{0};
  }
  std::size_t found = rrs.size();
  std::size_t count = 0;
  for (std::size_t k = 0; k < rrs.size(); ++k) {
    if (std::string_view(rrs[k]).substr(0, rule.prefix.size()) == rule.prefix) {
      found = k;
      ++count;
    }
  }
  if (count == 0) {
    return MakeDiag(rule.none_id, Severity::kError, 0, rule.none_message);
  }
  if (count > 1) {
    return MakeDiag(rule.multiple_id, Severity::kError, 0, rule.multiple_message,
                    std::to_string(count) + " records");
  }
  return found;
}

}  // namespace mxconform::txt
