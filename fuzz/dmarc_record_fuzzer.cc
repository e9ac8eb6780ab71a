// Fuzz target: the DMARC policy record parser (RFC 9989 §4.7 / §4.8, RFC
// 7489 §6.3 / §6.4).
//
// Input: the first byte picks the mode (bit 0: RFC 7489, else RFC 9989) and
// whether the first parse takes the fast paths (bit 1 set: general path);
// the rest is the record.
//
// Asserts, for any input:
//  - the fast paths and the general path (ParseOptions::fast_paths) give the
//    same verdict, fields, spans and diagnostics;
//  - success exactly when IsDmarcRecord() accepts the text, exactly when
//    there is no dmarc.record.version error; a failure carries that error
//    alone;
//  - every diagnostic has a `dmarc.` id and an offset <= size; there is an
//    error exactly when the record is not usable (so usable => no error);
//  - every span lies inside the text, which is the input;
//  - the fields obey the mode and the D5-D8 rule (request, usable, sizes,
//    tags of the other mode at their defaults);
//  - parse(serialise(r)) in the same mode equals r up to spans and
//    diagnostics, and serialising that again gives the same text;
//  - parsing into a reused Record gives what a fresh one gives (also when
//    a longer text left bytes past the end of this one), and
//    ParseRecord agrees with ParseRecordInto;
//  - the same text read as an authentication result (ParseAuthResult,
//    dmarc/eval.h) prints back as itself in lower case;
//  - PublisherAdvice (dmarc/advice.h): none for an unusable record or in
//    7489 mode; otherwise the one §7.4 info note exactly when p=reject,
//    at an offset where the p value "reject" starts.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/text.h"
#include "dmarc/advice.h"
#include "dmarc/eval.h"
#include "dmarc/record.h"
#include "fuzz_check.h"

namespace {

namespace dmarc = mxconform::dmarc;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;
using mxconform::fuzz::SameDiagnostics;
using mxconform::fuzz::SameNameValueTexts;

bool SpanInside(const dmarc::Record& r, dmarc::TextSpan s) {
  return s.pos <= r.text.size() && s.len <= r.text.size() - s.pos;
}

// The fields other than the text, the spans and the diagnostics.
bool SameScalars(const dmarc::Record& a, const dmarc::Record& b) {
  return a.mode == b.mode && a.p == b.p && a.sp == b.sp && a.np == b.np &&
         a.p_invalid == b.p_invalid && a.sp_invalid == b.sp_invalid &&
         a.np_invalid == b.np_invalid && a.usable == b.usable && a.request == b.request &&
         a.adkim == b.adkim && a.aspf == b.aspf && a.fo == b.fo && a.t == b.t && a.psd == b.psd &&
         a.pct == b.pct && a.ri == b.ri && a.has_pct == b.has_pct;
}

bool SameUris(const dmarc::Record& a, const std::vector<dmarc::ReportUri>& x,
              const dmarc::Record& b, const std::vector<dmarc::ReportUri>& y) {
  if (x.size() != y.size()) {
    return false;
  }
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (a.View(x[k].uri) != b.View(y[k].uri) || x[k].max_size != y[k].max_size ||
        x[k].had_size_suffix != y[k].had_size_suffix || x[k].mailto != y[k].mailto) {
      return false;
    }
  }
  return true;
}

// Equal up to spans and diagnostics.
bool SameMeaning(const dmarc::Record& a, const dmarc::Record& b) {
  return SameScalars(a, b) && SameUris(a, a.rua, b, b.rua) && SameUris(a, a.ruf, b, b.ruf) &&
         SameNameValueTexts(a, a.unknown, b, b.unknown);
}

// The same parse: verdict, text, fields with spans, diagnostics.
bool SameParse(bool ok_a, const dmarc::Record& a, bool ok_b, const dmarc::Record& b) {
  return ok_a == ok_b && a.text == b.text && SameScalars(a, b) && a.rua == b.rua &&
         a.ruf == b.ruf && a.unknown == b.unknown && SameDiagnostics(a.diagnostics, b.diagnostics);
}

bool StartsWithMailto(std::string_view uri) {
  return uri.size() >= 7 && mxconform::text::EqualsIgnoreCase(uri.substr(0, 7), "mailto:");
}

void CheckUris(const dmarc::Record& r, const std::vector<dmarc::ReportUri>& list) {
  const bool bis = r.mode == dmarc::Mode::kBis;
  for (const auto& u : list) {
    FUZZ_CHECK(SpanInside(r, u.uri));
    FUZZ_CHECK(!u.uri.empty());
    std::string_view uri = r.View(u.uri);
    FUZZ_CHECK(uri.find_first_of(",;! \t") == std::string_view::npos);
    FUZZ_CHECK(mxconform::text::FindNonPrintable(uri) == uri.size());
    FUZZ_CHECK(uri.find(':') != std::string_view::npos);
    FUZZ_CHECK(!u.mailto || (StartsWithMailto(uri) && uri.find('@') != std::string_view::npos));
    if (bis) {
      FUZZ_CHECK(!u.max_size.has_value());
    } else {
      FUZZ_CHECK(u.max_size.has_value() == u.had_size_suffix);
    }
    if (u.had_size_suffix) {
      FUZZ_CHECK(u.uri.pos + u.uri.len < r.text.size() && r.text[u.uri.pos + u.uri.len] == '!');
    }
  }
}

void CheckFields(const dmarc::Record& r) {
  const bool bis = r.mode == dmarc::Mode::kBis;
  FUZZ_CHECK(!(r.p && r.p_invalid) && !(r.sp && r.sp_invalid) && !(r.np && r.np_invalid));
  const bool fallback = !r.p || r.sp_invalid || r.np_invalid;
  if (!fallback) {
    FUZZ_CHECK(r.usable && r.request == *r.p);
    FUZZ_CHECK(r.SubdomainRequest() == r.sp.value_or(*r.p));
    FUZZ_CHECK(r.NonExistentRequest() == r.np.value_or(r.sp.value_or(*r.p)));
  } else {
    // D5-D8: none everywhere with a valid rua, else unusable.
    FUZZ_CHECK(r.usable == r.HasValidRua());
    FUZZ_CHECK(r.request == dmarc::Disposition::kNone);
    FUZZ_CHECK(r.SubdomainRequest() == dmarc::Disposition::kNone);
    FUZZ_CHECK(r.NonExistentRequest() == dmarc::Disposition::kNone);
  }
  FUZZ_CHECK(r.fo != 0 && r.fo <= 15);
  if (bis) {
    FUZZ_CHECK((r.fo & 3) != 3);
    FUZZ_CHECK(!r.has_pct && r.pct == 100 && r.ri == 86400);
  } else {
    FUZZ_CHECK(!r.t && r.psd == dmarc::Psd::kUnknown);
    FUZZ_CHECK(r.pct <= 100);
    FUZZ_CHECK(r.has_pct || r.pct == 100);
  }
  CheckUris(r, r.rua);
  CheckUris(r, r.ruf);
  for (const auto& u : r.unknown) {
    FUZZ_CHECK(SpanInside(r, u.name) && SpanInside(r, u.value));
    FUZZ_CHECK(!u.name.empty());
    std::string_view v = r.View(u.value);
    FUZZ_CHECK(v.find(';') == std::string_view::npos);
    FUZZ_CHECK(v.empty() ||
               (!mxconform::text::IsWsp(v.front()) && !mxconform::text::IsWsp(v.back())));
  }
}

void CheckRoundTrip(const dmarc::Record& r, const dmarc::ParseOptions& opts) {
  const std::string text = dmarc::SerializeRecord(r);
  dmarc::Record again;
  const bool ok = dmarc::ParseRecordInto(text, again, opts);
  FUZZ_CHECK_MSG(ok, "serialised: " + text + " -> " + Describe(again.diagnostics));
  FUZZ_CHECK_MSG(SameMeaning(r, again), "serialised: " + text);
  FUZZ_CHECK_MSG(dmarc::SerializeRecord(again) == text, "serialised: " + text);
}

}  // namespace

// ParseAuthResult (dmarc/eval.h), the --spf / --dkim / case-file reader of
// an authentication result: what it accepts prints back as the input in
// lower case.
void CheckAuthResult(std::string_view in) {
  const std::optional<dmarc::AuthResult> r = dmarc::ParseAuthResult(in);
  if (r) {
    FUZZ_CHECK(dmarc::AuthResultName(*r) == mxconform::text::ToLowerCopy(in));
  }
}

// PublisherAdvice (dmarc/advice.h) on whatever the parse gave.
void CheckAdvice(const dmarc::Record& r) {
  const mxconform::Diagnostics advice = dmarc::PublisherAdvice(r);
  const bool reject = r.usable && r.mode == dmarc::Mode::kBis && r.p == dmarc::Disposition::kReject;
  FUZZ_CHECK_MSG(advice.size() == (reject ? 1u : 0u), Describe(advice));
  for (const auto& d : advice) {
    FUZZ_CHECK(d.id == "dmarc.advice.reject_indirect_flows");
    FUZZ_CHECK(d.severity == mxconform::Severity::kInfo);
    FUZZ_CHECK(d.offset <= r.text.size());
    // The p value ("reject" in any case, D22) starts at the offset.
    FUZZ_CHECK_MSG(
        mxconform::text::EqualsIgnoreCase(std::string_view(r.text).substr(d.offset, 6), "reject"),
        std::to_string(d.offset));
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  mxconform::fuzz::SetInput(in);
  CheckAuthResult(in);
  dmarc::ParseOptions opts;
  opts.mode = (data[0] & 1) != 0 ? dmarc::Mode::k7489 : dmarc::Mode::kBis;
  opts.fast_paths = (data[0] & 2) == 0;
  dmarc::ParseOptions other = opts;
  other.fast_paths = !opts.fast_paths;

  dmarc::Record r;
  dmarc::Record o;
  const bool ok = dmarc::ParseRecordInto(in, r, opts);
  const bool other_ok = dmarc::ParseRecordInto(in, o, other);
  FUZZ_CHECK_MSG(SameParse(ok, r, other_ok, o),
                 "fast paths " + std::string(opts.fast_paths ? "on" : "off") + ": " +
                     Describe(r.diagnostics) + " / other: " + Describe(o.diagnostics));

  FUZZ_CHECK(r.text == in);
  FUZZ_CHECK(r.mode == opts.mode);
  CheckDiagnostics(ok && r.usable, r.diagnostics, in.size(), "dmarc.");
  bool version_error = false;
  for (const auto& d : r.diagnostics) {
    version_error |= d.id == "dmarc.record.version";
  }
  FUZZ_CHECK(ok == !version_error);
  FUZZ_CHECK(ok == dmarc::IsDmarcRecord(in));
  if (!ok) {
    FUZZ_CHECK_MSG(r.diagnostics.size() == 1, Describe(r.diagnostics));
  } else {
    CheckFields(r);
    CheckRoundTrip(r, opts);
  }
  CheckAdvice(r);

  // Reusing a Record that holds another parse's state changes nothing.
  dmarc::Record reused;
  dmarc::ParseRecordInto(
      "v=DMARC1; p=reject; sp=bogus; np=none; adkim=s; aspf=s; fo=1:d; t=y; psd=y; pct=5; ri=9; "
      "rua=mailto:a@example.com!10m,https://x.example; ruf=mailto:b@example.com; foo=bar; p=x",
      reused, opts);
  const bool reused_ok = dmarc::ParseRecordInto(in, reused, opts);
  FUZZ_CHECK(SameParse(ok, r, reused_ok, reused));
  // And one whose longer text left URI bytes in the buffer past the end of
  // this one, where FastMailto's loads reach.
  dmarc::Record longer;
  dmarc::ParseRecordInto(std::string(in) + std::string(64, 'a'), longer, opts);
  const bool longer_ok = dmarc::ParseRecordInto(in, longer, opts);
  FUZZ_CHECK(SameParse(ok, r, longer_ok, longer));

  // The Result wrapper agrees.
  auto wrapped = dmarc::ParseRecord(in, opts);
  FUZZ_CHECK(wrapped.ok() == ok);
  if (ok) {
    FUZZ_CHECK(SameParse(true, r, true, *wrapped));
  } else {
    FUZZ_CHECK(SameDiagnostics(wrapped.diagnostics(), r.diagnostics));
  }
  return 0;
}
