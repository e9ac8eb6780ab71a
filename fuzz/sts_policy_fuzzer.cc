// Fuzz target: the MTA-STS policy file parser (RFC 8461 §3.2).
//
// Asserts, for any input:
//  - a failure carries at least one error, a success none; every diagnostic
//    has an `mtasts.policy.*` id and an offset <= the input size;
//  - a valid policy has max_age <= 31557600, mode none or at least one mx,
//    mx patterns that are ["*."] RFC 5321 names without a trailing dot, and
//    extensions with unique names other than the four known fields;
//  - strict-valid implies interop-valid with the same mode, max_age, mx and
//    extensions;
//  - parse -> SerializePolicy -> parse gives the same policy back under both
//    profiles, and serialising again gives the same text (see the note on
//    the 64 KiB cap in CheckRoundTrip);
//  - SerializePolicy is PolicyStrings joined with CRLF, and every mx pattern
//    matches a host it names (PolicyMatchesMx);
//  - parsing into a reused Policy gives what a fresh one gives.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/domain.h"
#include "common/profile.h"
#include "common/result.h"
#include "common/text.h"
#include "fuzz_check.h"
#include "mtasts/policy.h"

namespace {

namespace mtasts = mxconform::mtasts;
namespace domain = mxconform::domain;
using mxconform::Profile;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;
using mxconform::fuzz::SameDiagnostics;
using mxconform::fuzz::ToUpperAscii;

mtasts::ParseOptions Options(Profile p) {
  mtasts::ParseOptions o;
  o.profile = p;
  return o;
}

std::string Describe(const mtasts::Policy& p) {
  std::string out = "mode=" + std::string(mtasts::ModeName(p.mode)) +
                    " max_age=" + std::to_string(p.max_age) + " mx=[";
  for (std::size_t i = 0; i < p.mx_count(); ++i) {
    out += mxconform::text::Printable(p.mx(i)) + " ";
  }
  out += "] ext=[";
  for (const auto& e : p.extensions) {
    out += mxconform::text::Printable(e.name) + ":" + mxconform::text::Printable(e.value) + " ";
  }
  return out + "]";
}

bool SamePolicy(const mtasts::Policy& a, const mtasts::Policy& b) {
  return a.mode == b.mode && a.max_age == b.max_age && a.MxPatterns() == b.MxPatterns() &&
         a.extensions == b.extensions;
}

// What every valid policy satisfies, whichever profile accepted it.
void CheckValidPolicy(const mtasts::Policy& p) {
  FUZZ_CHECK_MSG(p.max_age <= mtasts::kMaxAgeCap, Describe(p));
  FUZZ_CHECK_MSG(p.mode == mtasts::Mode::kNone || p.mx_count() != 0, Describe(p));
  for (std::size_t i = 0; i < p.mx_count(); ++i) {
    std::string_view m = p.mx(i);
    std::string_view host = m;
    if (host.starts_with("*.")) {
      host.remove_prefix(2);
    }
    // Interop drops a trailing root dot, so what comes out is a plain name.
    FUZZ_CHECK_MSG(domain::CheckName(host).ok(), Describe(p));
    // Every pattern matches a host it names, in any case. PolicyMatchesMx
    // scans every pattern, so it is only asked about the first few (a body
    // near 64 KiB holds thousands).
    std::string named = m.starts_with("*.") ? "a." + std::string(m.substr(2)) : std::string(m);
    std::string shouted = ToUpperAscii(named) + ".";
    FUZZ_CHECK_MSG(domain::MatchesMxPattern(m, named), named);
    FUZZ_CHECK_MSG(domain::MatchesMxPattern(m, shouted), shouted);
    if (i < 8) {
      FUZZ_CHECK_MSG(mtasts::PolicyMatchesMx(p, named), named);
      FUZZ_CHECK_MSG(mtasts::PolicyMatchesMx(p, shouted), shouted);
    }
  }
  for (std::size_t i = 0; i < p.extensions.size(); ++i) {
    const auto& e = p.extensions[i];
    FUZZ_CHECK_MSG(!e.name.empty() && !e.value.empty(), Describe(p));
    FUZZ_CHECK_MSG(e.name != "version" && e.name != "mode" && e.name != "max_age" && e.name != "mx",
                   Describe(p));
    for (std::size_t j = 0; j < i; ++j) {
      FUZZ_CHECK_MSG(p.extensions[j].name != e.name, Describe(p));
    }
  }
  std::string joined;
  for (const auto& line : mtasts::PolicyStrings(p)) {
    FUZZ_CHECK(line.find_first_of("\r\n") == std::string::npos);
    joined += line;
    joined += "\r\n";
  }
  FUZZ_CHECK(joined == mtasts::SerializePolicy(p));
}

// parse -> serialise -> parse under `profile`, and under strict: the
// canonical form is always strict (policy.h: ParsePolicy(SerializePolicy(p))
// gives p back).
void CheckRoundTrip(const mtasts::Policy& p, Profile profile) {
  std::string text = mtasts::SerializePolicy(p);
  if (text.size() > mtasts::kMaxPolicyBytes) {
    // The canonical form adds a space after each ':' and a CR before each LF,
    // so an input just under the 64 KiB cap can serialise to more than it.
    // The parser then refuses the body as too large, as documented; the
    // round trip is only defined below the cap.
    mtasts::Policy again;
    FUZZ_CHECK(!mtasts::ParsePolicyInto(text, Options(profile), again));
    FUZZ_CHECK(again.diagnostics.size() == 1 &&
               again.diagnostics[0].id == "mtasts.policy.too_large");
    return;
  }
  for (Profile reparse : {profile, Profile::kStrict}) {
    mtasts::Policy again;
    bool ok = mtasts::ParsePolicyInto(text, Options(reparse), again);
    FUZZ_CHECK_MSG(ok, "serialised: " + mxconform::text::Printable(text, 512) + " -> " +
                           Describe(again.diagnostics));
    FUZZ_CHECK_MSG(SamePolicy(p, again), Describe(p) + " vs " + Describe(again));
    FUZZ_CHECK(mtasts::SerializePolicy(again) == text);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);

  mtasts::Policy strict;
  mtasts::Policy interop;
  bool strict_ok = mtasts::ParsePolicyInto(in, Options(Profile::kStrict), strict);
  bool interop_ok = mtasts::ParsePolicyInto(in, Options(Profile::kInterop), interop);
  CheckDiagnostics(strict_ok, strict.diagnostics, size, "mtasts.policy.");
  CheckDiagnostics(interop_ok, interop.diagnostics, size, "mtasts.policy.");

  if (strict_ok) {
    FUZZ_CHECK_MSG(interop_ok, Describe(interop.diagnostics));
    FUZZ_CHECK_MSG(SamePolicy(strict, interop), Describe(strict) + " vs " + Describe(interop));
    CheckValidPolicy(strict);
    CheckRoundTrip(strict, Profile::kStrict);
  }
  if (interop_ok) {
    CheckValidPolicy(interop);
    CheckRoundTrip(interop, Profile::kInterop);
  }

  // The SIMD fast paths for common lines give exactly what the general path
  // gives: the same verdict, value and diagnostics, under both profiles.
  for (Profile p : {Profile::kStrict, Profile::kInterop}) {
    mtasts::ParseOptions slow_opts = Options(p);
    slow_opts.fast_paths = false;
    mtasts::Policy slow;
    bool slow_ok = mtasts::ParsePolicyInto(in, slow_opts, slow);
    const mtasts::Policy& fast = p == Profile::kStrict ? strict : interop;
    FUZZ_CHECK(slow_ok == (p == Profile::kStrict ? strict_ok : interop_ok));
    FUZZ_CHECK_MSG(SameDiagnostics(slow.diagnostics, fast.diagnostics),
                   Describe(slow.diagnostics) + " vs " + Describe(fast.diagnostics));
    if (slow_ok) {
      FUZZ_CHECK_MSG(SamePolicy(slow, fast), Describe(slow) + " vs " + Describe(fast));
    }
  }

  // Reusing a Policy that holds another parse's state (more or fewer mx,
  // other extensions) changes nothing.
  mtasts::Policy reused = interop;
  reused.AddMx("stale.example");
  bool reused_ok = mtasts::ParsePolicyInto(in, Options(Profile::kStrict), reused);
  FUZZ_CHECK(reused_ok == strict_ok);
  FUZZ_CHECK(SameDiagnostics(reused.diagnostics, strict.diagnostics));
  if (strict_ok) {
    FUZZ_CHECK_MSG(SamePolicy(reused, strict), Describe(reused) + " vs " + Describe(strict));
  }

  auto wrapped = mtasts::ParsePolicy(in, Options(Profile::kInterop));
  FUZZ_CHECK(wrapped.ok() == interop_ok);
  if (interop_ok) {
    FUZZ_CHECK(SamePolicy(*wrapped, interop));
  } else {
    FUZZ_CHECK(SameDiagnostics(wrapped.diagnostics(), interop.diagnostics));
  }
  return 0;
}
