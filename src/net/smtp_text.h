// The text of SMTP that both ends read (RFC 5321 §4.1, §4.2, RFC 1870): a
// reply line, the path argument of MAIL FROM / RCPT TO and the SIZE
// parameter. Pure functions: the mock MX (mocks/smtp) and the reference
// sender's SMTP client (smtp_client.h) read the wire through them, and
// fuzz/smtp_text_fuzzer.cc fuzzes them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxconform::net {

// One line of a reply, without its CRLF: "250-SIZE 1048576", "354 go".
struct ReplyLine {
  int code = 0;      // 200-599 (RFC 5321 §4.2: the first digit 2 to 5)
  bool last = true;  // "250 x" (or just "250") ends the reply; "250-x" does not
  std::string text;  // what follows the code and the separator
};

// nullopt unless the line is three digits with a first digit of 2-5,
// alone or followed by ' ' or '-' (RFC 5321 §4.2).
std::optional<ReplyLine> ParseReplyLine(std::string_view line);

// The enhanced status code (RFC 3463 §2, RFC 2034: class "." subject "."
// detail, class 2, 4 or 5, subject and detail 1 to 3 digits) that starts
// a reply line's text, as in "5.7.1 Sender rejected"; "" when the text
// does not start with one followed by a space or its end.
std::string_view EnhancedStatusCode(std::string_view text);

// The argument after "MAIL FROM:" or "RCPT TO:": optional spaces, then
// "<path>", then nothing or " " and parameters. Lenient about the space
// after the colon, as servers are. nullopt when there is no "<...>" or
// something other than a space follows it.
struct PathArgument {
  std::string path;    // between the angle brackets
  std::string params;  // from the first space after '>' on ("" when none)
};
std::optional<PathArgument> ParsePathArgument(std::string_view rest);

// The SIZE= parameter of MAIL (RFC 1870, case-insensitive) in `params`:
// 0 when absent, -1 when it is not followed by a digit, else the number,
// capped at 2^50.
long long SizeParameter(std::string_view params);

// Bytes as an SMTP transcript shows them, on both ends: CR, LF and '\\' as
// \r \n \\, other controls and non-ASCII octets as \xHH, at most the first
// 1024 octets, then "... (N octets)".
std::string TranscriptText(std::string_view bytes);

}  // namespace mxconform::net
