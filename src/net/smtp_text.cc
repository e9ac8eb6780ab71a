#include "net/smtp_text.h"

#include <algorithm>
#include <string>

namespace mxconform::net {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<ReplyLine> ParseReplyLine(std::string_view line) {
  if (line.size() < 3 || !IsDigit(line[0]) || !IsDigit(line[1]) || !IsDigit(line[2]) ||
      line[0] < '2' || line[0] > '5') {
    return std::nullopt;
  }
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') {
    return std::nullopt;
  }
  ReplyLine r;
  r.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  r.last = line.size() == 3 || line[3] == ' ';
  if (line.size() > 4) {
    r.text.assign(line.substr(4));
  }
  return r;
}

std::string_view EnhancedStatusCode(std::string_view text) {
  const std::string_view word = text.substr(0, text.find(' '));
  if (word.size() < 5 || (word[0] != '2' && word[0] != '4' && word[0] != '5') || word[1] != '.') {
    return {};
  }
  // Subject and detail: 1 to 3 digits each, one '.' between them.
  std::size_t k = 2;
  for (int part = 0; part < 2; ++part) {
    const std::size_t start = k;
    while (k < word.size() && word[k] >= '0' && word[k] <= '9' && k - start < 3) {
      ++k;
    }
    if (k == start || (part == 0 && (k == word.size() || word[k] != '.'))) {
      return {};
    }
    k += part == 0 ? 1 : 0;
  }
  return k == word.size() ? word : std::string_view();
}

std::optional<PathArgument> ParsePathArgument(std::string_view rest) {
  while (!rest.empty() && rest.front() == ' ') {
    rest.remove_prefix(1);
  }
  if (rest.empty() || rest.front() != '<') {
    return std::nullopt;
  }
  const std::size_t close = rest.find('>');
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  PathArgument a;
  a.path.assign(rest.substr(1, close - 1));
  a.params.assign(rest.substr(close + 1));
  if (!a.params.empty() && a.params.front() != ' ') {
    return std::nullopt;
  }
  return a;
}

long long SizeParameter(std::string_view params) {
  // " SIZE=" without case (RFC 1870 §3: parameter names are case-insensitive).
  constexpr std::string_view kKey = " SIZE=";
  std::size_t at = std::string_view::npos;
  for (std::size_t i = 0; i + kKey.size() <= params.size(); ++i) {
    bool match = true;
    for (std::size_t k = 0; k < kKey.size() && match; ++k) {
      const char c = params[i + k];
      match = (c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c) == kKey[k];
    }
    if (match) {
      at = i;
      break;
    }
  }
  if (at == std::string_view::npos) {
    return 0;
  }
  std::size_t i = at + kKey.size();
  if (i >= params.size() || !IsDigit(params[i])) {
    return -1;
  }
  long long n = 0;
  for (; i < params.size() && IsDigit(params[i]); ++i) {
    n = std::min<long long>(n * 10 + (params[i] - '0'), 1LL << 50);
  }
  return n;
}

std::string TranscriptText(std::string_view bytes) {
  constexpr std::size_t kMaxShownOctets = 1024;
  std::string out;
  const std::size_t shown = std::min(bytes.size(), kMaxShownOctets);
  out.reserve(shown + 16);
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (shown < bytes.size()) {
    out += "... (" + std::to_string(bytes.size()) + " octets)";
  }
  return out;
}

}  // namespace mxconform::net
