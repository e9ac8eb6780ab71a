// gzip (RFC 1952) for report bodies: RFC 8460 §5.2 and RFC 7489 §7.2.1.1
// compress aggregate reports with it.
#pragma once

#include <string>
#include <string_view>

namespace mxconform {

// `data` as one gzip member. The output depends on the input only (the
// header's MTIME is 0), so tests can compare it.
std::string Gzip(std::string_view data);

}  // namespace mxconform
