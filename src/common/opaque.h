// Opaque(v): `v`, computed in full. The compiler cannot split the test of a
// value it does not know back into branches on its parts. For tests whose
// parts vary at random from one input to the next while their combination
// hardly ever holds (an SPF ip4 term with or without a CIDR length, a
// DMARC alignment of r or s): a branch on a part mispredicts often, the
// branch on the whole seldom. Measured to help in the parsers that use it;
// elsewhere a predicted branch is cheaper than the computation.
#pragma once

namespace mxconform {

template <class T>
[[gnu::always_inline]] inline T Opaque(T v) {
  asm("" : "+r"(v));  // GCC and Clang: v must be in a register, value unknown
  return v;
}

}  // namespace mxconform
