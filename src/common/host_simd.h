// SSE2 (and AVX2) classification of host-name bytes and the label rules on
// the resulting bit masks, shared by the fast paths of domain::CheckName,
// the policy's mx lines and DMARC and TLS-RPT mailto: URIs. Hand-written:
// no library offers an LDH check. Every fast path that uses it returns to a
// byte loop whenever it is unsure, and tests compare the two.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace mxconform::domain {

// Bit i describes byte i of the classified bytes.
struct HostBytes {
  std::uint64_t ldh = 0;     // letter, digit or '-'
  std::uint64_t dot = 0;     // '.'
  std::uint64_t hyphen = 0;  // '-'
  std::uint64_t x = 0;       // 'x' or 'X'
};

#if defined(__SSE2__)
// Classifies the 16 bytes at `p` into bits [shift, shift + 16) of `m`.
// Bytes >= 0x80 are negative as signed bytes and fall in no class.
inline void ClassifyHost16(const void* p, int shift, HostBytes& m) {
  __m128i v = _mm_loadu_si128(static_cast<const __m128i*>(p));
  __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
  __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                                _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
  __m128i hy = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
  auto bits = [shift](__m128i mask) {
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(mask))) << shift;
  };
  m.ldh |= bits(_mm_or_si128(_mm_or_si128(digit, alpha), hy));
  m.hyphen |= bits(hy);
  m.dot |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')));
  m.x |= bits(_mm_cmpeq_epi8(lower, _mm_set1_epi8('x')));
}
#endif

#if defined(__AVX2__)
// ClassifyHost16 for the 32 bytes at `p`, into bits [shift, shift + 32).
inline void ClassifyHost32(const void* p, int shift, HostBytes& m) {
  const __m256i v = _mm256_loadu_si256(static_cast<const __m256i*>(p));
  const __m256i lower = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
  // v in [lo, lo + span], unsigned: max(v - lo, span) == span.
  auto in = [](__m256i x, char lo, char span) {
    const __m256i s = _mm256_set1_epi8(span);
    return _mm256_cmpeq_epi8(_mm256_max_epu8(_mm256_sub_epi8(x, _mm256_set1_epi8(lo)), s), s);
  };
  const __m256i hy = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('-'));
  auto bits = [shift](__m256i mask) {
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(mask)))
           << shift;
  };
  m.ldh |= bits(_mm256_or_si256(_mm256_or_si256(in(v, '0', 9), in(lower, 'a', 25)), hy));
  m.hyphen |= bits(hy);
  m.dot |= bits(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('.')));
  m.x |= bits(_mm256_cmpeq_epi8(lower, _mm256_set1_epi8('x')));
}
#endif

// `m` shifted down by `n` bytes (the name starts `n` bytes in).
inline HostBytes ShiftHostBytes(const HostBytes& m, std::size_t n) {
  return {m.ldh >> n, m.dot >> n, m.hyphen >> n, m.x >> n};
}

// True if bytes [0, len) (1 <= len <= 64) form a name CheckName accepts
// without asking libidn2: LDH labels separated by single dots, none empty,
// none starting or ending with '-', and none that could be an A-label
// ("x?--"). Bits at `len` and above are ignored.
inline bool IsPlainLdhName(const HostBytes& m, std::size_t len) {
  const std::uint64_t valid = len >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << len) - 1;
  const std::uint64_t last = std::uint64_t{1} << (len - 1);
  const std::uint64_t dot = m.dot & valid;
  const std::uint64_t hyphen = m.hyphen & valid;
  if (((m.ldh | dot) & valid) != valid) {
    return false;  // a byte outside LDH and '.'
  }
  if ((dot & 1) != 0 || (dot & last) != 0 || (dot & (dot >> 1)) != 0) {
    return false;  // an empty label
  }
  const std::uint64_t starts = ((dot << 1) | 1) & valid;
  const std::uint64_t ends = (dot >> 1) | last;
  if ((hyphen & (starts | ends)) != 0) {
    return false;  // a label begins or ends with '-'
  }
  return (m.x & starts & (hyphen >> 2) & (hyphen >> 3)) == 0;  // else maybe an A-label
}

}  // namespace mxconform::domain
