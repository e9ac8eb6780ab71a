// Fuzz target: the ASCII / UTF-8 helpers every parser stands on
// (common/text.h, common/profile.h) and the names the command line reads
// (mtasts::ParseProfile, the sender profiles of `--target
// reference:PROFILE`), each against a plain reference written here.
//
// Asserts, for any input:
//  - FindNonPrintable (eight bytes at a time) = the first byte < 0x20,
//    = 0x7f or >= 0x80;
//  - AlnumRunEnd (SSE2, from every start) = the byte loop over IsAlnum;
//  - ParseDecimal, for every digit limit 1..25, = a reference that rejects
//    empty, over-long, non-digit and above-UINT64_MAX input;
//  - ValidUtf8Prefix is a prefix whose bytes re-validate, and the byte after
//    it (if any) does not extend it;
//  - ParseProfileName accepts exactly "strict" and "interop";
//  - mtasts::ParseProfile accepts exactly the names ProfileName gives, and
//    gives back the profile of that name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/profile.h"
#include "common/text.h"
#include "fuzz_check.h"
#include "mtasts/sender.h"

namespace {

namespace text = mxconform::text;

bool RefDecimal(std::string_view s, std::size_t max_digits, std::uint64_t& out) {
  if (s.empty() || s.size() > max_digits) {
    return false;
  }
  unsigned __int128 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    v = v * 10 + static_cast<unsigned>(c - '0');
    if (v > UINT64_MAX) {
      return false;
    }
  }
  out = static_cast<std::uint64_t>(v);
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);

  std::size_t bad = 0;
  while (bad < in.size()) {
    const auto c = static_cast<unsigned char>(in[bad]);
    if (c < 0x20 || c >= 0x7f) {
      break;
    }
    ++bad;
  }
  FUZZ_CHECK(text::FindNonPrintable(in) == bad);

  for (std::size_t from = 0; from <= in.size(); ++from) {
    std::size_t want = from;
    while (want < in.size() && text::IsAlnum(in[want])) {
      ++want;
    }
    FUZZ_CHECK_MSG(text::AlnumRunEnd(in, from) == want, std::to_string(from));
  }

  for (std::size_t max = 1; max <= 25; ++max) {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    const bool ok = text::ParseDecimal(in, max, a);
    FUZZ_CHECK(ok == RefDecimal(in, max, b));
    FUZZ_CHECK(!ok || a == b);
  }

  const std::size_t good = text::ValidUtf8Prefix(in);
  FUZZ_CHECK(good <= in.size());
  FUZZ_CHECK(text::IsValidUtf8(in.substr(0, good)));
  if (good < in.size()) {
    FUZZ_CHECK(text::ValidUtf8Prefix(in.substr(good)) == 0);
  }

  mxconform::Profile p = mxconform::Profile::kStrict;
  const bool named = mxconform::ParseProfileName(in, p);
  FUZZ_CHECK(named == (in == "strict" || in == "interop"));
  FUZZ_CHECK(!named || (p == mxconform::Profile::kInterop) == (in == "interop"));

  namespace mtasts = mxconform::mtasts;
  const auto sender = mtasts::ParseProfile(in);
  bool listed = false;
  for (const mtasts::SenderProfile q : mtasts::AllProfiles()) {
    listed |= mtasts::ProfileName(q) == in;
  }
  FUZZ_CHECK(sender.has_value() == listed);
  FUZZ_CHECK(!sender || mtasts::ProfileName(*sender) == in);
  return 0;
}
