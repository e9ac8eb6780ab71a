// gzip (RFC 1952) for report bodies: RFC 8460 §5.2 and RFC 7489 §7.2.1.1
// compress aggregate reports with it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace mxconform {

// `data` as one gzip member. The output depends on the input only (the
// header's MTIME is 0), so tests can compare it.
std::string Gzip(std::string_view data);

// The data of `gz` (every member, RFC 1952 §2.2), at most `max_out` bytes.
// Errors: `gzip.invalid` (not gzip, corrupt, or ending inside a member;
// offset: where the reader stopped), `gzip.too_large` (more than max_out
// bytes: a bomb is cut off, never inflated in full).
Result<std::string> Gunzip(std::string_view gz, std::size_t max_out);

}  // namespace mxconform
