#include "common/compress.h"

#include <zlib.h>

#include <algorithm>
#include <cstddef>

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

}  // namespace mxconform
