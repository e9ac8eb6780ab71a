// Fuzz target: the `_mta-sts` TXT record parser (RFC 8461 §3.1).
//
// Asserts, for any input:
//  - a failure carries at least one error, a success none; every diagnostic
//    has an `mtasts.txt.*` id and an offset inside the input (<= size);
//  - strict-valid implies interop-valid with the same id and extensions;
//  - a valid record (either profile) serialises to a strict-valid record
//    with the same id and extensions, and serialising that again gives the
//    same text;
//  - parsing into a reused TxtRecord gives what a fresh one gives;
//  - SelectTxtRecord over the input split on '\n' (one RR per line) agrees
//    with ParseTxtRecord on the record it chose and with the "v=STSv1;"
//    prefix rule.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/profile.h"
#include "common/result.h"
#include "fuzz_check.h"
#include "mtasts/txt_record.h"

namespace {

namespace mtasts = mxconform::mtasts;
using mxconform::Profile;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;
using mxconform::fuzz::SameDiagnostics;
using mxconform::fuzz::SplitLines;

mtasts::ParseOptions Options(Profile p) {
  mtasts::ParseOptions o;
  o.profile = p;
  return o;
}

// A valid record's canonical form parses (strict) to the same record.
void CheckRoundTrip(const mtasts::TxtRecord& r) {
  std::string text = mtasts::SerializeTxtRecord(r);
  mtasts::TxtRecord again;
  bool ok = mtasts::ParseTxtRecordInto(text, Options(Profile::kStrict), again);
  FUZZ_CHECK_MSG(ok, "serialised: " + text + " -> " + Describe(again.diagnostics));
  FUZZ_CHECK_MSG(again.id == r.id, "serialised: " + text);
  FUZZ_CHECK_MSG(again.extensions == r.extensions, "serialised: " + text);
  FUZZ_CHECK_MSG(mtasts::SerializeTxtRecord(again) == text, "serialised: " + text);
}

void CheckSelect(std::string_view in, Profile profile) {
  std::vector<std::string> rrs = SplitLines(in);
  std::size_t prefixed = 0;
  std::size_t last_prefixed = 0;
  std::size_t longest = 0;
  for (std::size_t k = 0; k < rrs.size(); ++k) {
    if (rrs[k].starts_with("v=STSv1;")) {
      ++prefixed;
      last_prefixed = k;
    }
    longest = std::max(longest, rrs[k].size());
  }
  std::size_t chosen = rrs.size();
  auto r = mtasts::SelectTxtRecord(rrs, Options(profile), &chosen);
  for (const auto& x : r.ok() ? r->diagnostics : r.diagnostics()) {
    FUZZ_CHECK(x.offset <= longest);
  }
  if (rrs.size() > 1 && prefixed != 1) {
    // No record, or several: never a policy, whatever the records say.
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(r.error().IsError());
    return;
  }
  std::size_t expect = rrs.size() == 1 ? 0 : last_prefixed;
  if (r.ok()) {
    FUZZ_CHECK(chosen == expect);
  }
  auto direct = mtasts::ParseTxtRecord(rrs[expect], Options(profile));
  FUZZ_CHECK(direct.ok() == r.ok());
  if (r.ok()) {
    FUZZ_CHECK(direct->id == r->id);
    FUZZ_CHECK(direct->extensions == r->extensions);
  } else {
    FUZZ_CHECK(SameDiagnostics(direct.diagnostics(), r.diagnostics()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);

  mtasts::TxtRecord strict;
  mtasts::TxtRecord interop;
  bool strict_ok = mtasts::ParseTxtRecordInto(in, Options(Profile::kStrict), strict);
  bool interop_ok = mtasts::ParseTxtRecordInto(in, Options(Profile::kInterop), interop);
  CheckDiagnostics(strict_ok, strict.diagnostics, size, "mtasts.txt.");
  CheckDiagnostics(interop_ok, interop.diagnostics, size, "mtasts.txt.");

  // Profile::kStrict accepts a subset of Profile::kInterop, with one meaning.
  if (strict_ok) {
    FUZZ_CHECK_MSG(interop_ok, Describe(interop.diagnostics));
    FUZZ_CHECK(interop.id == strict.id);
    FUZZ_CHECK(interop.extensions == strict.extensions);
  }
  if (strict_ok) {
    CheckRoundTrip(strict);
  }
  if (interop_ok) {
    CheckRoundTrip(interop);
  }

  // The fast path for the usual shape gives exactly what the general path
  // gives.
  for (Profile p : {Profile::kStrict, Profile::kInterop}) {
    mtasts::ParseOptions slow_opts = Options(p);
    slow_opts.fast_paths = false;
    mtasts::TxtRecord slow;
    const bool slow_ok = mtasts::ParseTxtRecordInto(in, slow_opts, slow);
    const mtasts::TxtRecord& fast = p == Profile::kStrict ? strict : interop;
    FUZZ_CHECK(slow_ok == (p == Profile::kStrict ? strict_ok : interop_ok));
    FUZZ_CHECK_MSG(SameDiagnostics(slow.diagnostics, fast.diagnostics),
                   Describe(slow.diagnostics) + " vs " + Describe(fast.diagnostics));
    if (slow_ok) {
      FUZZ_CHECK(slow.id == fast.id);
      FUZZ_CHECK(slow.extensions == fast.extensions);
    }
  }

  // Reusing a TxtRecord that holds another parse's state changes nothing.
  mtasts::TxtRecord reused = interop;
  bool reused_ok = mtasts::ParseTxtRecordInto(in, Options(Profile::kStrict), reused);
  FUZZ_CHECK(reused_ok == strict_ok);
  FUZZ_CHECK(SameDiagnostics(reused.diagnostics, strict.diagnostics));
  if (strict_ok) {
    FUZZ_CHECK(reused.id == strict.id);
    FUZZ_CHECK(reused.extensions == strict.extensions);
  }

  // The Result-returning wrapper agrees with the Into form.
  auto wrapped = mtasts::ParseTxtRecord(in, Options(Profile::kInterop));
  FUZZ_CHECK(wrapped.ok() == interop_ok);
  if (interop_ok) {
    FUZZ_CHECK(wrapped->id == interop.id);
    FUZZ_CHECK(wrapped->extensions == interop.extensions);
  } else {
    FUZZ_CHECK(SameDiagnostics(wrapped.diagnostics(), interop.diagnostics));
  }

  CheckSelect(in, Profile::kStrict);
  CheckSelect(in, Profile::kInterop);
  return 0;
}
