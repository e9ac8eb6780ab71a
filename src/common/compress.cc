#include "common/compress.h"

#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <limits>

namespace mxconform {

namespace {
constexpr uInt kStep = 16384;
}  // namespace

std::string Gzip(std::string_view data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's. The
  // header zlib writes has MTIME 0 and no name.
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    return {};  // only when out of memory
  }
  std::string out;
  std::size_t done = 0;
  while (true) {
    const std::size_t chunk = std::min<std::size_t>(data.size() - done, std::size_t{1} << 30);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + done));
    z.avail_in = static_cast<uInt>(chunk);
    done += chunk;
    const bool last = done == data.size();
    int rc = Z_OK;
    do {
      const std::size_t have = out.size();
      out.resize(have + kStep);
      z.next_out = reinterpret_cast<Bytef*>(out.data() + have);
      z.avail_out = kStep;
      rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
      out.resize(have + kStep - z.avail_out);
      if (rc == Z_STREAM_ERROR) {
        deflateEnd(&z);
        return {};
      }
    } while (last ? rc != Z_STREAM_END : z.avail_out == 0);
    if (last) {
      break;
    }
  }
  deflateEnd(&z);
  return out;
}

Result<std::string> Gunzip(std::string_view gz, std::size_t max_out) {
  if (gz.size() > std::numeric_limits<uInt>::max()) {
    return MakeDiag("gzip.too_large", Severity::kError, 0, "compressed input above 4 GiB");
  }
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {
    return MakeDiag("gzip.invalid", Severity::kError, 0, "cannot start the gzip reader");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  int rc = Z_OK;
  while (true) {
    const std::size_t have = out.size();
    // One byte past the limit tells "exactly max_out" from "more".
    const std::size_t room = std::min<std::size_t>(kStep, max_out + 1 - have);
    out.resize(have + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    z.avail_out = static_cast<uInt>(room);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(have + room - z.avail_out);
    if (out.size() > max_out) {
      inflateEnd(&z);
      return MakeDiag("gzip.too_large", Severity::kError, 0, "inflates to more than the limit",
                      std::to_string(max_out) + " bytes");
    }
    if (rc == Z_STREAM_END && z.avail_in != 0) {
      // RFC 1952 §2.2: a file is a series of members; read the next.
      if (inflateReset(&z) != Z_OK) {
        break;
      }
      rc = Z_OK;
      continue;
    }
    if (rc != Z_OK || (z.avail_in == 0 && z.avail_out != 0)) {
      break;
    }
  }
  const std::size_t consumed = gz.size() - z.avail_in;
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return MakeDiag("gzip.invalid", Severity::kError, consumed,
                    rc == Z_OK || rc == Z_BUF_ERROR
                        ? std::string_view("gzip data ends inside a member")
                        : std::string_view("not gzip data, or corrupt"));
  }
  return out;
}

}  // namespace mxconform
