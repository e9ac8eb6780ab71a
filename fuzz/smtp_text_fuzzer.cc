// Fuzz target: the SMTP text both ends of a session read (src/net/smtp_text.h):
// a reply line (the reference sender's client), the path argument of MAIL
// FROM / RCPT TO and the SIZE parameter (the mock MX).
//
// Input: any bytes, read as one line.
//
// Asserts, for any input:
//  - ParseReplyLine accepts exactly three digits with a first digit 2-5,
//    alone or followed by ' ' or '-', and then gives that code, `last`
//    for ' ' or nothing, and the rest of the line as text;
//  - ParsePathArgument accepts exactly: spaces, '<', no '>' until the
//    path's end, '>', then nothing or ' ...'; the path and parameters it
//    gives put back together (with the spaces it skipped) are the input;
//  - SizeParameter is -1, 0 or a number no larger than 2^50, 0 when " SIZE="
//    (any case) does not occur, and equal to a reference reading;
//  - EnhancedStatusCode gives "" or the input's first word, and then a
//    word that a straightforward reading of RFC 3463 §2 accepts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "net/smtp_text.h"

namespace {

namespace net = mxconform::net;

bool Digit(char c) { return c >= '0' && c <= '9'; }

void CheckReply(std::string_view in) {
  auto r = net::ParseReplyLine(in);
  const bool want = in.size() >= 3 && Digit(in[0]) && Digit(in[1]) && Digit(in[2]) &&
                    in[0] >= '2' && in[0] <= '5' &&
                    (in.size() == 3 || in[3] == ' ' || in[3] == '-');
  FUZZ_CHECK(r.has_value() == want);
  if (!r) {
    return;
  }
  FUZZ_CHECK(r->code >= 200 && r->code <= 599);
  FUZZ_CHECK(std::to_string(r->code) == std::string(in.substr(0, 3)));
  FUZZ_CHECK(r->last == (in.size() == 3 || in[3] == ' '));
  FUZZ_CHECK(r->text == (in.size() > 4 ? std::string(in.substr(4)) : std::string()));
}

void CheckPath(std::string_view in) {
  auto a = net::ParsePathArgument(in);
  std::size_t skip = 0;
  while (skip < in.size() && in[skip] == ' ') {
    ++skip;
  }
  const std::string_view rest = in.substr(skip);
  const std::size_t close = rest.find('>');
  const bool want = !rest.empty() && rest[0] == '<' && close != std::string_view::npos &&
                    (close + 1 == rest.size() || rest[close + 1] == ' ');
  FUZZ_CHECK(a.has_value() == want);
  if (a) {
    FUZZ_CHECK(std::string(in.substr(0, skip)) + "<" + a->path + ">" + a->params ==
               std::string(in));
    FUZZ_CHECK(a->path.find('>') == std::string::npos);
  }
}

void CheckSize(std::string_view in) {
  const long long n = net::SizeParameter(in);
  FUZZ_CHECK(n >= -1 && n <= (1LL << 50));
  // Reference: the first " SIZE=" without case, then digits.
  std::string upper(in);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 32);
    }
  }
  const std::size_t at = upper.find(" SIZE=");
  if (at == std::string::npos) {
    FUZZ_CHECK(n == 0);
    return;
  }
  std::size_t i = at + 6;
  if (i >= upper.size() || !Digit(upper[i])) {
    FUZZ_CHECK(n == -1);
    return;
  }
  long long want = 0;
  for (; i < upper.size() && Digit(upper[i]); ++i) {
    want = want * 10 + (upper[i] - '0');
    if (want > (1LL << 50)) {
      want = 1LL << 50;
    }
  }
  FUZZ_CHECK(n == want);
}

// RFC 3463 §2 read plainly: [245] "." 1*3DIGIT "." 1*3DIGIT.
bool ReferenceEnhanced(std::string_view w) {
  const std::size_t a = w.find('.', 2);
  if (w.size() < 5 || (w[0] != '2' && w[0] != '4' && w[0] != '5') || w[1] != '.' ||
      a == std::string_view::npos) {
    return false;
  }
  auto digits = [](std::string_view d) {
    return !d.empty() && d.size() <= 3 &&
           d.find_first_not_of("0123456789") == std::string_view::npos;
  };
  return digits(w.substr(2, a - 2)) && digits(w.substr(a + 1));
}

void CheckEnhanced(std::string_view in) {
  const std::string_view code = mxconform::net::EnhancedStatusCode(in);
  const std::string_view word = in.substr(0, in.find(' '));
  FUZZ_CHECK(code.empty() || code == word);
  FUZZ_CHECK(code.empty() == !ReferenceEnhanced(word));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);
  CheckReply(in);
  CheckPath(in);
  CheckSize(in);
  CheckEnhanced(in);
  return 0;
}
