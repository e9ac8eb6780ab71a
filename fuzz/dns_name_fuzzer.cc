// Fuzz target: DNS names (src/dns/message.h): Name::Parse, ToString,
// Folded, ==, <, IsSubdomainOf, WireLength, EncodeName and the decoder's
// name reading.
//
// Input: a name in presentation form. When it holds a '\n', the text
// before and after the first one are also parsed as a pair.
//
// Asserts, for any input:
//  - a failure carries exactly one error, with a `dns.name.` id, a message
//    and an offset <= size;
//  - a parsed name has labels of 1-63 octets and WireLength() <= 255, equal
//    to 1 + the sum of (1 + label size);
//  - ToString() is printable ASCII, re-parses to the very same labels, and
//    is stable;
//  - Folded() == the name, has no upper-case letter, changes nothing but
//    A-Z, and sorts neither before nor after the name;
//  - the name is a subdomain of itself, of the root and of its suffixes
//    (the upper-cased ones too), and sorts after them;
//  - the input read as a record type (ParseRrType): a type it accepts
//    prints (RrTypeName) as text that parses back to the same type, and
//    matches the input without case;
//  - EncodeName writes WireLength() octets that Decode, inside a minimal
//    message, reads back to the same labels, also through a compression
//    pointer and below an extra label;
//  - Name::FromDotted takes the bytes between dots as labels: it accepts
//    exactly what a split-at-dot reference accepts (one trailing dot
//    ignored, labels 1-63, <= 255 octets) with the same labels, and without
//    a '\\' in the input it agrees with Parse;
//  - for a pair: exactly one of a < b, b < a, a == b; == agrees with
//    comparing the folded labels; IsSubdomainOf agrees with a label-suffix
//    reference.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/text.h"
#include "dns/message.h"
#include "fuzz_check.h"

namespace {

namespace dns = mxconform::dns;
using mxconform::fuzz::CheckDiagnostics;
using mxconform::fuzz::Describe;
using mxconform::fuzz::ToUpperAscii;

std::string FoldLabel(const std::string& l) {
  std::string out = l;
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

// The name made of labels [from, end) of `n`.
dns::Name Suffix(const dns::Name& n, std::size_t from) {
  dns::Name out;
  for (std::size_t i = from; i < n.labels().size(); ++i) {
    out.Append(n.labels()[i]);
  }
  return out;
}

bool RefSubdomain(const dns::Name& a, const dns::Name& b) {
  const auto& x = a.labels();
  const auto& y = b.labels();
  if (y.size() > x.size()) {
    return false;
  }
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (FoldLabel(x[x.size() - y.size() + i]) != FoldLabel(y[i])) {
      return false;
    }
  }
  return true;
}

// A query whose question section holds `names` (wire form, in order).
std::string Query(const std::vector<std::string>& names) {
  std::string m("\x00\x00\x00\x00\x00", 5);
  m += static_cast<char>(names.size());
  m += std::string(6, '\0');
  for (const auto& n : names) {
    m += n;
    m += std::string("\x00\x01\x00\x01", 4);
  }
  return m;
}

void CheckDecodesTo(const std::string& wire, const std::vector<std::vector<std::string>>& want) {
  auto r = dns::Decode(wire);
  FUZZ_CHECK_MSG(r.ok(), Describe(r.diagnostics()));
  FUZZ_CHECK(r->questions.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    FUZZ_CHECK(r->questions[i].name.labels() == want[i]);
  }
}

void CheckName(const dns::Name& n) {
  std::size_t wire = 1;
  for (const auto& l : n.labels()) {
    FUZZ_CHECK(!l.empty() && l.size() <= 63);
    wire += 1 + l.size();
  }
  FUZZ_CHECK(n.WireLength() == wire && wire <= 255);
  FUZZ_CHECK(n.IsRoot() == n.labels().empty());

  const std::string text = n.ToString();
  for (char c : text) {
    FUZZ_CHECK(c > 0x20 && c < 0x7f);
  }
  auto again = dns::Name::Parse(text);
  FUZZ_CHECK_MSG(again.ok(), text + " " + Describe(again.diagnostics()));
  FUZZ_CHECK_MSG(again->labels() == n.labels(), text);
  FUZZ_CHECK(again->ToString() == text);
  auto dotted = dns::Name::Parse(n.IsRoot() ? "." : text + ".");
  FUZZ_CHECK(dotted.ok() && dotted->labels() == n.labels());

  const dns::Name f = n.Folded();
  FUZZ_CHECK(f == n && n == f);
  FUZZ_CHECK(!(f < n) && !(n < f) && !(n < n));
  FUZZ_CHECK(f.labels().size() == n.labels().size());
  for (std::size_t i = 0; i < f.labels().size(); ++i) {
    FUZZ_CHECK(f.labels()[i] == FoldLabel(n.labels()[i]));
  }
  FUZZ_CHECK(f.Folded().labels() == f.labels());

  FUZZ_CHECK(n.IsSubdomainOf(n) && n.IsSubdomainOf(dns::Name()));
  // A few suffixes (all of them would make long names quadratic).
  const std::size_t k = n.labels().size();
  for (std::size_t i : {std::size_t{0}, std::size_t{1}, k / 2, k > 0 ? k - 1 : 0, k}) {
    if (i > k) {
      continue;
    }
    const dns::Name s = Suffix(n, i);
    FUZZ_CHECK(n.IsSubdomainOf(s));
    FUZZ_CHECK(s.IsSubdomainOf(n) == (i == 0));
    FUZZ_CHECK(i == 0 || s < n);
    auto upper = dns::Name::Parse(ToUpperAscii(s.ToString()));
    FUZZ_CHECK(upper.ok() && n.IsSubdomainOf(*upper) && *upper == s);
  }

  std::string encoded;
  dns::EncodeName(n, encoded);
  FUZZ_CHECK(encoded.size() == n.WireLength());
  CheckDecodesTo(Query({encoded}), {n.labels()});
  // The second question as a pointer to the first (at 12).
  CheckDecodesTo(Query({encoded, std::string("\xc0\x0c", 2)}), {n.labels(), n.labels()});
  // And one label in front of that pointer, when it fits.
  if (n.WireLength() + 2 <= 255) {
    std::vector<std::string> longer = {"x"};
    longer.insert(longer.end(), n.labels().begin(), n.labels().end());
    CheckDecodesTo(Query({encoded, std::string("\x01x\xc0\x0c", 4)}), {n.labels(), longer});
  }
}

void CheckPair(const dns::Name& a, const dns::Name& b) {
  const bool eq = a == b;
  const int n = (a < b ? 1 : 0) + (b < a ? 1 : 0) + (eq ? 1 : 0);
  FUZZ_CHECK_MSG(n == 1, a.ToString() + " / " + b.ToString());
  FUZZ_CHECK(eq == (b == a));
  FUZZ_CHECK(eq == (a.Folded().labels() == b.Folded().labels()));
  FUZZ_CHECK(a.IsSubdomainOf(b) == RefSubdomain(a, b));
  FUZZ_CHECK(b.IsSubdomainOf(a) == RefSubdomain(b, a));
  FUZZ_CHECK(eq == (a.IsSubdomainOf(b) && b.IsSubdomainOf(a)));
}

dns::Name ParseChecked(std::string_view text, bool* ok) {
  auto r = dns::Name::Parse(text);
  CheckDiagnostics(r.ok(), r.diagnostics(), text.size(), "dns.name.");
  FUZZ_CHECK(r.diagnostics().size() == (r.ok() ? 0u : 1u));
  *ok = r.ok();
  if (!r.ok()) {
    return dns::Name();
  }
  CheckName(*r);
  return std::move(r).value();
}

// FromDotted against a split-at-dot reference, and against Parse.
void CheckFromDotted(std::string_view in) {
  auto r = dns::Name::FromDotted(in);
  CheckDiagnostics(r.ok(), r.diagnostics(), in.size(), "dns.name.");
  std::string_view body = in;
  if (!body.empty() && body.back() == '.') {
    body.remove_suffix(1);
  }
  std::vector<std::string> want;
  bool valid = true;
  std::size_t wire = 1;
  if (!body.empty()) {
    std::size_t start = 0;
    for (;;) {
      const std::size_t dot = body.find('.', start);
      const std::string_view label = body.substr(start, dot - start);
      valid = valid && !label.empty() && label.size() <= 63;
      wire += 1 + label.size();
      want.emplace_back(label);
      if (dot == std::string_view::npos) {
        break;
      }
      start = dot + 1;
    }
  }
  valid = valid && wire <= 255;
  FUZZ_CHECK(r.ok() == valid);
  if (r.ok()) {
    FUZZ_CHECK(r->labels() == want);
    CheckName(*r);
  }
  if (in.find('\\') == std::string_view::npos) {
    auto p = dns::Name::Parse(in);
    FUZZ_CHECK(p.ok() == r.ok());
    if (p.ok()) {
      FUZZ_CHECK(p->labels() == r->labels());
    }
  }
}

}  // namespace

// ParseRrType / RrTypeName agree both ways.
void CheckRrType(std::string_view in) {
  const std::optional<std::uint16_t> t = dns::ParseRrType(in);
  if (!t) {
    return;
  }
  const std::string name = dns::RrTypeName(*t);
  FUZZ_CHECK(dns::ParseRrType(name) == t);
  // A mnemonic reads back as itself (any case); "TYPE<n>" may print as the
  // mnemonic of n ("TYPE5" is CNAME).
  const bool generic = in.size() > 4 && mxconform::text::EqualsIgnoreCase(in.substr(0, 4), "TYPE");
  if (!generic) {
    FUZZ_CHECK(mxconform::text::EqualsIgnoreCase(name, in));
  }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(in);
  CheckRrType(in);
  CheckFromDotted(in);
  bool ok = false;
  ParseChecked(in, &ok);
  const std::size_t nl = in.find('\n');
  if (nl != std::string_view::npos) {
    bool ok_a = false;
    bool ok_b = false;
    const dns::Name a = ParseChecked(in.substr(0, nl), &ok_a);
    const dns::Name b = ParseChecked(in.substr(nl + 1), &ok_b);
    if (ok_a && ok_b) {
      CheckPair(a, b);
    }
  }
  return 0;
}
