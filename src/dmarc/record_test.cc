#include "dmarc/record.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace mxconform::dmarc {
namespace {

constexpr Mode kModes[] = {Mode::kBis, Mode::k7489};

ParseOptions Opts(Mode m, bool fast = true) {
  ParseOptions o;
  o.mode = m;
  o.fast_paths = fast;
  return o;
}

// The ids of the diagnostics, in order, as one string: "id@offset id@offset".
std::string Ids(const Diagnostics& d) {
  std::string out;
  for (const auto& x : d) {
    if (!out.empty()) {
      out += ' ';
    }
    out += std::string(x.id) + "@" + std::to_string(x.offset);
  }
  return out;
}

// Every field, spans and diagnostics (id, severity, offset, detail) included.
void ExpectSameRecord(const Record& a, const Record& b, const std::string& ctx) {
  EXPECT_EQ(a.text, b.text) << ctx;
  EXPECT_EQ(a.mode, b.mode) << ctx;
  EXPECT_EQ(a.p, b.p) << ctx;
  EXPECT_EQ(a.sp, b.sp) << ctx;
  EXPECT_EQ(a.np, b.np) << ctx;
  EXPECT_EQ(a.p_invalid, b.p_invalid) << ctx;
  EXPECT_EQ(a.sp_invalid, b.sp_invalid) << ctx;
  EXPECT_EQ(a.np_invalid, b.np_invalid) << ctx;
  EXPECT_EQ(a.usable, b.usable) << ctx;
  EXPECT_EQ(a.request, b.request) << ctx;
  EXPECT_EQ(a.adkim, b.adkim) << ctx;
  EXPECT_EQ(a.aspf, b.aspf) << ctx;
  EXPECT_EQ(a.fo, b.fo) << ctx;
  EXPECT_EQ(a.t, b.t) << ctx;
  EXPECT_EQ(a.psd, b.psd) << ctx;
  EXPECT_EQ(a.pct, b.pct) << ctx;
  EXPECT_EQ(a.ri, b.ri) << ctx;
  EXPECT_EQ(a.has_pct, b.has_pct) << ctx;
  EXPECT_EQ(a.rua, b.rua) << ctx;
  EXPECT_EQ(a.ruf, b.ruf) << ctx;
  EXPECT_EQ(a.unknown, b.unknown) << ctx;
  ASSERT_EQ(a.diagnostics.size(), b.diagnostics.size()) << ctx;
  for (std::size_t k = 0; k < a.diagnostics.size(); ++k) {
    EXPECT_EQ(a.diagnostics[k].id, b.diagnostics[k].id) << ctx;
    EXPECT_EQ(a.diagnostics[k].severity, b.diagnostics[k].severity) << ctx;
    EXPECT_EQ(a.diagnostics[k].offset, b.diagnostics[k].offset) << ctx;
    EXPECT_EQ(a.diagnostics[k].detail, b.diagnostics[k].detail) << ctx;
  }
}

// Parses `rec` with the fast paths on and off (they must agree) and returns
// the fast result; `ok` gets the return value.
Record Parse(std::string_view rec, Mode mode, bool* ok = nullptr) {
  Record fast;
  Record general;
  const bool a = ParseRecordInto(rec, fast, Opts(mode, true));
  const bool b = ParseRecordInto(rec, general, Opts(mode, false));
  EXPECT_EQ(a, b) << rec;
  ExpectSameRecord(fast, general, std::string(rec) + " (fast vs general)");
  if (ok != nullptr) {
    *ok = a;
  }
  return fast;
}

// A record that parses and is usable, with no diagnostics at all.
void ExpectClean(std::string_view rec, Mode mode) {
  bool ok = false;
  Record r = Parse(rec, mode, &ok);
  EXPECT_TRUE(ok) << rec;
  EXPECT_TRUE(r.usable) << rec;
  EXPECT_EQ(Ids(r.diagnostics), "") << rec << " (" << ModeName(mode) << ")";
}

// Not a DMARC record: false, exactly one error, dmarc.record.version at `at`.
void ExpectNotDmarc(std::string_view rec, std::uint32_t at) {
  for (Mode m : kModes) {
    bool ok = true;
    Record r = Parse(rec, m, &ok);
    EXPECT_FALSE(ok) << rec;
    EXPECT_FALSE(IsDmarcRecord(rec)) << rec;
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.record.version@" + std::to_string(at)) << rec;
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_EQ(r.diagnostics[0].severity, Severity::kError);
    auto res = ParseRecord(rec, Opts(m));
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.error().id, "dmarc.record.version");
  }
}

TEST(DmarcRecord, D1ValidWithAndWithoutFinalSemicolon) {
  for (Mode m : kModes) {
    for (const char* rec :
         {"v=DMARC1; p=reject", "v=DMARC1;p=reject;", "v=DMARC1;  p=reject ;  "}) {
      ExpectClean(rec, m);
      Record r = Parse(rec, m);
      EXPECT_EQ(r.p, Disposition::kReject);
      EXPECT_EQ(r.request, Disposition::kReject);
      EXPECT_EQ(r.SubdomainRequest(), Disposition::kReject);
      EXPECT_EQ(r.NonExistentRequest(), Disposition::kReject);
      EXPECT_EQ(r.mode, m);
      EXPECT_EQ(r.text, rec);
      EXPECT_TRUE(IsDmarcRecord(rec));
    }
  }
}

TEST(DmarcRecord, D2D3D27D28NotADmarcRecord) {
  ExpectNotDmarc("v=dmarc1; p=reject", 2);  // D2: the value is case-sensitive
  ExpectNotDmarc("V=DMARC1; p=reject", 0);  // D2: so is the tag name
  ExpectNotDmarc("p=reject; v=DMARC1", 0);  // D3: v first
  ExpectNotDmarc("v=DMARC1p=reject", 8);    // D27
  ExpectNotDmarc("", 0);                    // D28
  ExpectNotDmarc("v=spf1 -all", 2);         // D28
  ExpectNotDmarc("v=DMARC2; p=none", 7);
  ExpectNotDmarc("v=DMARC1.0; p=none", 8);
  ExpectNotDmarc("v=DMARC", 7);
  ExpectNotDmarc(" v=DMARC1; p=none", 0);
  ExpectNotDmarc("v:DMARC1; p=none", 1);
  ExpectNotDmarc(std::string_view("v=DMARC1\0; p=none", 17), 8);
  ExpectNotDmarc("v=DMARC1\x01; p=none", 8);  // a control byte in the version
}

// RFC 7489 §6.3: "v" and "p" MUST appear in that order (the §6.4 ABNF: p
// right after v). A warning in 7489 mode; RFC 9989 dropped the rule.
// Review finding: `check --mode 7489` said nothing.
TEST(DmarcRecord, PNotRightAfterVIsWarnedAboutIn7489) {
  for (std::string_view late : {"v=DMARC1; sp=none; p=reject", "v=DMARC1; x=1; p=reject"}) {
    Record r = Parse(late, Mode::k7489);
    EXPECT_TRUE(r.usable) << late;
    EXPECT_EQ(r.p, Disposition::kReject) << late;
    EXPECT_EQ(Ids(r.diagnostics).rfind("dmarc.tag.p_not_second@", 0), 0u)
        << late << ": " << Ids(r.diagnostics);
    r = Parse(late, Mode::kBis);
    EXPECT_EQ(Ids(r.diagnostics).find("p_not_second"), std::string::npos) << late;
  }
  Record r = Parse("v=DMARC1; p=reject; sp=none", Mode::k7489);
  EXPECT_EQ(Ids(r.diagnostics), "");
}

TEST(DmarcRecord, D4WhiteSpaceAroundEqualsAndSemicolon) {
  for (Mode m : kModes) {
    ExpectClean("v = DMARC1 ; p = reject", m);
    ExpectClean("v\t=\tDMARC1\t;\tp\t=\treject\t;", m);
  }
}

TEST(DmarcRecord, D5NoPolicyNoRuaIsUnusable) {
  for (Mode m : kModes) {
    for (const char* rec : {"v=DMARC1", "v=DMARC1;", "v=DMARC1; adkim=s"}) {
      bool ok = false;
      Record r = Parse(rec, m, &ok);
      EXPECT_TRUE(ok) << rec;  // a DMARC record (discovery keeps it), D-A1
      EXPECT_FALSE(r.usable);
      EXPECT_FALSE(r.p.has_value());
      EXPECT_FALSE(r.p_invalid);
      EXPECT_EQ(r.request, Disposition::kNone);
      ASSERT_EQ(r.diagnostics.size(), 1u) << rec;
      EXPECT_EQ(r.diagnostics[0].id, "dmarc.record.unusable");
      EXPECT_EQ(r.diagnostics[0].severity, Severity::kError);
      EXPECT_EQ(r.diagnostics[0].offset, std::string_view(rec).size());
      EXPECT_EQ(r.diagnostics[0].detail, "no p");
      auto res = ParseRecord(rec, Opts(m));
      ASSERT_TRUE(res.ok());  // an unusable record is a value
      EXPECT_FALSE(res->usable);
    }
  }
}

TEST(DmarcRecord, D6NoPolicyWithRuaActsAsNone) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; rua=mailto:a@example.com", m);
    EXPECT_TRUE(r.usable);
    EXPECT_EQ(r.request, Disposition::kNone);
    EXPECT_EQ(r.SubdomainRequest(), Disposition::kNone);
    EXPECT_EQ(r.NonExistentRequest(), Disposition::kNone);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.record.policy_none@34");
    EXPECT_EQ(r.diagnostics[0].severity, Severity::kWarning);
    EXPECT_TRUE(r.HasValidRua());
    // sp alone does not stand in for p.
    r = Parse("v=DMARC1; sp=reject; rua=mailto:a@example.com", m);
    EXPECT_TRUE(r.usable);
    EXPECT_EQ(r.sp, Disposition::kReject);
    EXPECT_EQ(r.SubdomainRequest(), Disposition::kNone);
    // A rua of another scheme is a syntactically valid reporting URI
    // (RFC 7489 §6.6.3, RFC 9989 §4.10.1), though reports are never sent
    // to it (D14). Review finding: it used to leave the record unusable.
    r = Parse("v=DMARC1; rua=https://r.example/dmarc", m);
    EXPECT_TRUE(r.usable);
    EXPECT_EQ(r.request, Disposition::kNone);
    EXPECT_TRUE(r.HasValidRua());
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.unsupported@14 dmarc.record.policy_none@37");
    // A mailto: without an addr-spec is not one (RFC 6068; D13).
    r = Parse("v=DMARC1; rua=mailto:a", m);
    EXPECT_FALSE(r.usable);
    EXPECT_FALSE(r.HasValidRua());
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.unsupported@14 dmarc.record.unusable@22");
  }
}

TEST(DmarcRecord, D7InvalidPolicyWithRuaActsAsNone) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=bogus; rua=mailto:a@example.com", m);
    EXPECT_TRUE(r.usable);
    EXPECT_TRUE(r.p_invalid);
    EXPECT_FALSE(r.p.has_value());
    EXPECT_EQ(r.request, Disposition::kNone);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@12 dmarc.record.policy_none@10");
    EXPECT_EQ(r.diagnostics[0].detail, "p=bogus");
    EXPECT_EQ(r.diagnostics[1].detail, "p");
    // Empty value (corpus "empty-p").
    r = Parse("v=DMARC1; p=; rua=mailto:a@example.com", m);
    EXPECT_TRUE(r.usable && r.p_invalid);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@12 dmarc.record.policy_none@10");
    // bis: an invalid np makes every policy none, p included
    // (DMB-4.10.1-04). 7489: np (RFC 9091) is not among the tags §6.6.3
    // voids a record for, so it takes its default, sp or else p (§6.3).
    // Review finding: 7489 mode used to drop the record's reject.
    r = Parse("v=DMARC1; p=reject; np=x; rua=mailto:a@example.com", m);
    EXPECT_TRUE(r.usable);
    EXPECT_EQ(r.p, Disposition::kReject);
    EXPECT_FALSE(r.np.has_value());
    if (m == Mode::kBis) {
      EXPECT_TRUE(r.np_invalid);
      EXPECT_EQ(r.request, Disposition::kNone);
      EXPECT_EQ(r.SubdomainRequest(), Disposition::kNone);
      EXPECT_EQ(r.NonExistentRequest(), Disposition::kNone);
      EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@23 dmarc.record.policy_none@20");
      EXPECT_EQ(r.diagnostics[1].detail, "np");
    } else {
      EXPECT_FALSE(r.np_invalid);
      EXPECT_EQ(r.request, Disposition::kReject);
      EXPECT_EQ(r.SubdomainRequest(), Disposition::kReject);
      EXPECT_EQ(r.NonExistentRequest(), Disposition::kReject);
      EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@23");
      EXPECT_NE(r.diagnostics[0].message.find("np takes its default"), std::string::npos);
      // Without a rua, and repeated: the same.
      r = Parse("v=DMARC1; p=reject; sp=quarantine; np=x", m);
      EXPECT_TRUE(r.usable);
      EXPECT_EQ(r.NonExistentRequest(), Disposition::kQuarantine);
      r = Parse("v=DMARC1; p=reject; np=none; np=none", m);
      EXPECT_TRUE(r.usable);
      EXPECT_EQ(r.NonExistentRequest(), Disposition::kReject);
    }
  }
}

TEST(DmarcRecord, D8InvalidSubdomainPolicyWithoutRuaIsUnusable) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=reject; sp=bogus", m);
    EXPECT_FALSE(r.usable);
    EXPECT_TRUE(r.sp_invalid);
    EXPECT_EQ(r.p, Disposition::kReject);
    EXPECT_EQ(r.request, Disposition::kNone);
    EXPECT_EQ(r.SubdomainRequest(), Disposition::kNone);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@23 dmarc.record.unusable@20");
    EXPECT_EQ(r.diagnostics[1].detail, "sp");
    EXPECT_EQ(r.diagnostics[0].severity, Severity::kWarning);
    EXPECT_EQ(r.diagnostics[1].severity, Severity::kError);
  }
}

TEST(DmarcRecord, D9PctPerMode) {
  Record r = Parse("v=DMARC1; p=reject; pct=50", Mode::k7489);
  EXPECT_TRUE(r.has_pct);
  EXPECT_EQ(r.pct, 50);
  EXPECT_TRUE(r.unknown.empty());
  EXPECT_EQ(Ids(r.diagnostics), "");
  r = Parse("v=DMARC1; p=reject; pct=50", Mode::kBis);
  EXPECT_FALSE(r.has_pct);
  EXPECT_EQ(r.pct, 100);
  ASSERT_EQ(r.unknown.size(), 1u);
  EXPECT_EQ(r.View(r.unknown[0].name), "pct");
  EXPECT_EQ(r.View(r.unknown[0].value), "50");
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.removed@20");
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kInfo);
  EXPECT_TRUE(r.usable);
}

TEST(DmarcRecord, D10BadPct) {
  for (const char* v : {"101", "999", "-1", "abc", "", "1000", "0100", "50%", "5 0"}) {
    const std::string rec = std::string("v=DMARC1; p=none; pct=") + v;
    Record r = Parse(rec, Mode::k7489);
    EXPECT_TRUE(r.usable) << rec;
    EXPECT_FALSE(r.has_pct) << rec;
    EXPECT_EQ(r.pct, 100) << rec;
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@22") << rec;
    r = Parse(rec, Mode::kBis);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.removed@18") << rec;
    ASSERT_EQ(r.unknown.size(), 1u);
    EXPECT_EQ(r.View(r.unknown[0].value), v);
  }
  for (const char* v : {"0", "100", "050", "7"}) {
    const std::string rec = std::string("v=DMARC1; p=none; pct=") + v;
    Record r = Parse(rec, Mode::k7489);
    EXPECT_TRUE(r.has_pct) << rec;
    EXPECT_EQ(r.pct, std::stoi(v)) << rec;
    EXPECT_EQ(Ids(r.diagnostics), "") << rec;
  }
}

TEST(DmarcRecord, D11SizeSuffixPerMode) {
  const char* rec = "v=DMARC1; p=none; rua=mailto:r@example.com!10m";
  Record r = Parse(rec, Mode::k7489);
  ASSERT_EQ(r.rua.size(), 1u);
  EXPECT_EQ(r.View(r.rua[0].uri), "mailto:r@example.com");
  EXPECT_EQ(r.rua[0].max_size, std::uint64_t{10} << 20);
  EXPECT_TRUE(r.rua[0].had_size_suffix);
  EXPECT_TRUE(r.rua[0].mailto);
  EXPECT_EQ(Ids(r.diagnostics), "");
  r = Parse(rec, Mode::kBis);
  ASSERT_EQ(r.rua.size(), 1u);
  EXPECT_EQ(r.View(r.rua[0].uri), "mailto:r@example.com");
  EXPECT_FALSE(r.rua[0].max_size.has_value());
  EXPECT_TRUE(r.rua[0].had_size_suffix);
  EXPECT_TRUE(r.rua[0].mailto);
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.size_ignored@42");
  EXPECT_EQ(r.diagnostics[0].severity, Severity::kInfo);
}

TEST(DmarcRecord, SizeSuffixArithmetic) {
  struct Case {
    const char* suffix;
    std::optional<std::uint64_t> bytes;  // empty: the URI is invalid
  };
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  const Case kCases[] = {
      {"!0", 0},
      {"!1", 1},
      {"!100", 100},
      {"!1k", 1024},
      {"!1K", 1024},
      {"!500k", 500 * 1024},
      {"!10m", 10u << 20},
      {"!10M", 10u << 20},
      {"!1g", std::uint64_t{1} << 30},
      {"!1t", std::uint64_t{1} << 40},
      {"!0010k", 10 * 1024},
      {"!16777215t", std::uint64_t{16777215} << 40},
      // Past 64 bits the grammar still allows it (no upper bound): the
      // largest size in 7489 mode, ignored in bis mode, the URI kept.
      {"!16777216t", kMax},  // 2^64
      {"!17179869183g", std::uint64_t{17179869183} << 30},
      {"!17179869184g", kMax},
      {"!18446744073709551615", 18446744073709551615u},
      {"!18446744073709551616", kMax},
      {"!99999999999999999999999", kMax},
      {"!20000000t", kMax},
      {"!10x", std::nullopt},
      {"!", std::nullopt},
      {"!k", std::nullopt},
      {"!10kk", std::nullopt},
      {"!-1", std::nullopt},
      {"!1 k", std::nullopt},
  };
  for (const auto& c : kCases) {
    const std::string rec = std::string("v=DMARC1; p=none; rua=mailto:r@example.com") + c.suffix;
    Record r = Parse(rec, Mode::k7489);
    Record b = Parse(rec, Mode::kBis);
    if (c.bytes) {
      ASSERT_EQ(r.rua.size(), 1u) << rec;
      EXPECT_EQ(r.rua[0].max_size, c.bytes) << rec;
      EXPECT_TRUE(r.rua[0].had_size_suffix);
      ASSERT_EQ(b.rua.size(), 1u) << rec;
      EXPECT_FALSE(b.rua[0].max_size.has_value());
      EXPECT_TRUE(b.rua[0].had_size_suffix);
    } else {
      EXPECT_TRUE(r.rua.empty()) << rec;
      EXPECT_TRUE(b.rua.empty()) << rec;
      ASSERT_FALSE(r.diagnostics.empty());
      EXPECT_EQ(r.diagnostics[0].id, "dmarc.uri.invalid") << rec;
      EXPECT_EQ(r.diagnostics[0].detail, std::string("mailto:r@example.com") + c.suffix);
      EXPECT_EQ(Ids(r.diagnostics), Ids(b.diagnostics)) << rec;
    }
  }
  // Where the problem is reported: the '!' with no digits, the byte after a
  // size.
  EXPECT_EQ(Ids(Parse("v=DMARC1; p=none; rua=mailto:r@example.com!", Mode::k7489).diagnostics),
            "dmarc.uri.invalid@42");
  EXPECT_EQ(Ids(Parse("v=DMARC1; p=none; rua=mailto:r@example.com!10x", Mode::k7489).diagnostics),
            "dmarc.uri.invalid@45");
}

TEST(DmarcRecord, D12TwoUris) {
  for (Mode m : kModes) {
    for (const char* rec : {"v=DMARC1; p=none; rua=mailto:a@x.example,mailto:b@y.example",
                            "v=DMARC1; p=none; rua=mailto:a@x.example , mailto:b@y.example ;"}) {
      Record r = Parse(rec, m);
      ASSERT_EQ(r.rua.size(), 2u) << rec;
      EXPECT_EQ(r.View(r.rua[0].uri), "mailto:a@x.example");
      EXPECT_EQ(r.View(r.rua[1].uri), "mailto:b@y.example");
      EXPECT_TRUE(r.rua[0].mailto && r.rua[1].mailto);
      EXPECT_EQ(Ids(r.diagnostics), "");
    }
  }
}

TEST(DmarcRecord, D13RawCommaMisSplits) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=none; rua=mailto:a,b@x.example", m);
    // "mailto:a" is a URI but no address (kept, not mailto); "b@x.example"
    // has no scheme (dropped).
    ASSERT_EQ(r.rua.size(), 1u);
    EXPECT_EQ(r.View(r.rua[0].uri), "mailto:a");
    EXPECT_FALSE(r.rua[0].mailto);
    EXPECT_FALSE(r.HasValidRua());
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.unsupported@22 dmarc.uri.invalid@31");
    EXPECT_EQ(r.diagnostics[1].detail, "b@x.example");
    EXPECT_TRUE(r.usable);
  }
}

TEST(DmarcRecord, D14OtherSchemesKeptUnsupported) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=none; rua=https://r.example/dmarc,mailto:a@example.com", m);
    ASSERT_EQ(r.rua.size(), 2u);
    EXPECT_EQ(r.View(r.rua[0].uri), "https://r.example/dmarc");
    EXPECT_FALSE(r.rua[0].mailto);
    EXPECT_TRUE(r.rua[1].mailto);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.unsupported@22");
    EXPECT_EQ(r.diagnostics[0].severity, Severity::kInfo);
  }
}

TEST(DmarcRecord, MailtoForms) {
  struct Case {
    std::string uri;
    bool kept;
    bool mailto;
  };
  const Case kCases[] = {
      {"mailto:a@example.com", true, true},
      {"MAILTO:A@EXAMPLE.COM", true, true},
      {"MailTo:a@example.com", true, true},
      {"mailto:a@example.com?subject=dmarc", true, true},
      {"mailto:re+x_y@sub.example.co.uk", true, true},
      {"mailto:%61@example.com", true, true},
      {"mailto:a@xn--bcher-kva.example", true, true},
      {"mailto:a@" + std::string(63, 'l') + ".example", true, true},
      {"mailto:", true, false},
      {"mailto:a", true, false},
      {"mailto:@example.com", true, false},
      {"mailto:a@", true, false},
      {"mailto:a@b@example.com", true, false},
      {"mailto:a@-x.example", true, false},
      {"mailto:a@example.com.", true, false},
      {"mailto:a@exa_mple.com", true, false},
      {"mailto:a@xn--zz.example", true, false},  // not an A-label
      {"mailto:a@" + std::string(64, 'l') + ".example", true, false},
      {"mailto:a@ex%41mple.com", true, false},
      {"ftp://r.example", true, false},
      {"x-y.z+w:anything", true, false},
      {"dmarc@example.com", false, false},
      {"1mailto:a@example.com", false, false},
      {"mailto:a@exa mple.com", false, false},
      {"mailto:a@example.com%", false, false},
      {"mailto:a@example.com%4", false, false},
      {"mailto:a@example.com%zz", false, false},
      {"mailto:a\"b@example.com", false, false},
      {"mailto:a<b@example.com", false, false},
      {"mailto:a@example.com\x80", false, false},
      {":x", false, false},
  };
  for (const auto& c : kCases) {
    for (Mode m : kModes) {
      const std::string rec = "v=DMARC1; p=none; rua=" + c.uri;
      Record r = Parse(rec, m);
      ASSERT_EQ(r.rua.size(), c.kept ? 1u : 0u) << c.uri;
      if (c.kept) {
        EXPECT_EQ(r.View(r.rua[0].uri), c.uri);
        EXPECT_EQ(r.rua[0].mailto, c.mailto) << c.uri;
        EXPECT_EQ(Ids(r.diagnostics), c.mailto ? "" : "dmarc.uri.unsupported@22") << c.uri;
      } else {
        ASSERT_EQ(r.diagnostics.size(), 1u) << c.uri;
        EXPECT_EQ(r.diagnostics[0].id, "dmarc.uri.invalid") << c.uri;
      }
    }
  }
  // Empty elements: a final ',', ",,", an empty value.
  Record r = Parse("v=DMARC1; p=none; rua=mailto:a@example.com,", Mode::kBis);
  EXPECT_EQ(r.rua.size(), 1u);
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.invalid@43");
  r = Parse("v=DMARC1; p=none; rua=mailto:a@example.com,,mailto:b@example.com", Mode::kBis);
  EXPECT_EQ(r.rua.size(), 2u);
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.invalid@43");
  r = Parse("v=DMARC1; p=none; rua=", Mode::kBis);
  EXPECT_TRUE(r.rua.empty());
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.invalid@22");
  // White space inside an element spoils that element only.
  r = Parse("v=DMARC1; p=none; rua=mailto:a@example.com mailto:b@example.com, mailto:c@x.example",
            Mode::kBis);
  ASSERT_EQ(r.rua.size(), 1u);
  EXPECT_EQ(r.View(r.rua[0].uri), "mailto:c@x.example");
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.invalid@42");
}

TEST(DmarcRecord, D15BadAlignmentDefaultsToRelaxed) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=none; adkim=x; aspf=", m);
    EXPECT_EQ(r.adkim, Alignment::kRelaxed);
    EXPECT_EQ(r.aspf, Alignment::kRelaxed);
    EXPECT_TRUE(r.usable);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@24 dmarc.tag.invalid_value@32");
    r = Parse("v=DMARC1; p=none; adkim=S; aspf=s", m);
    EXPECT_EQ(r.adkim, Alignment::kStrict);
    EXPECT_EQ(r.aspf, Alignment::kStrict);
    EXPECT_EQ(Ids(r.diagnostics), "");
    for (const char* bad : {"relaxed", "strict", "R S", "rs", "1"}) {
      r = Parse(std::string("v=DMARC1; p=none; aspf=") + bad, m);
      EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@23") << bad;
      EXPECT_EQ(r.aspf, Alignment::kRelaxed);
    }
  }
}

TEST(DmarcRecord, D16FailureOptions) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=none; fo=1:d:s", m);
    EXPECT_EQ(r.fo, kFo1 | kFoD | kFoS);
    EXPECT_EQ(Ids(r.diagnostics), "");
    r = Parse("v=DMARC1; p=none; fo=D:S", m);  // D-A4
    EXPECT_EQ(r.fo, kFoD | kFoS);
    r = Parse("v=DMARC1; p=none; fo=s:0:d", m);
    EXPECT_EQ(r.fo, kFo0 | kFoD | kFoS);
    for (const char* bad : {"2", "x", "", "d:z", "1:", ":1", "1,d", "0 1"}) {
      r = Parse(std::string("v=DMARC1; p=none; fo=") + bad, m);
      EXPECT_EQ(r.fo, kFo0) << bad;
      ASSERT_FALSE(r.diagnostics.empty()) << bad;
      EXPECT_EQ(r.diagnostics[0].id, "dmarc.tag.invalid_value") << bad;
      EXPECT_EQ(r.diagnostics[0].offset, 21u) << bad;
    }
  }
  // 7489 allows any list; bis makes 0 and 1 exclusive, d and s once each,
  // and has no WSP around ':'.
  for (const char* fo : {"0:1", "1:1", "d:d", "1 : d", "0:1:d:s"}) {
    const std::string rec = std::string("v=DMARC1; p=none; fo=") + fo;
    Record r = Parse(rec, Mode::k7489);
    EXPECT_EQ(Ids(r.diagnostics), "") << fo;
    EXPECT_NE(r.fo, 0);
    r = Parse(rec, Mode::kBis);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@21") << fo;
    EXPECT_EQ(r.fo, kFo0);
  }
  EXPECT_EQ(Parse("v=DMARC1; p=none; fo=0:1", Mode::k7489).fo, kFo0 | kFo1);
}

TEST(DmarcRecord, D17FoWithoutRufIsKept) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=none; fo=1", m);
    EXPECT_EQ(r.fo, kFo1);  // ignored at report time, not here
    EXPECT_FALSE(r.HasValidRuf());
  }
}

TEST(DmarcRecord, D18TestingFlag) {
  Record r = Parse("v=DMARC1; t=y; p=reject", Mode::kBis);
  EXPECT_TRUE(r.t);
  EXPECT_EQ(r.request, Disposition::kReject);  // the evaluator applies t (DMB-4.7-06)
  EXPECT_EQ(Ids(r.diagnostics), "");
  EXPECT_FALSE(Parse("v=DMARC1; t=N; p=reject", Mode::kBis).t);
  r = Parse("v=DMARC1; p=reject; t=yes", Mode::kBis);
  EXPECT_FALSE(r.t);
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@22");
  r = Parse("v=DMARC1; t=y; p=reject", Mode::k7489);
  EXPECT_FALSE(r.t);
  ASSERT_EQ(r.unknown.size(), 1u);
  EXPECT_EQ(r.View(r.unknown[0].name), "t");
  // ... and p is not right after v, as 7489 wants it.
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.not_in_7489@10 dmarc.tag.p_not_second@15");
}

TEST(DmarcRecord, D19Psd) {
  EXPECT_EQ(Parse("v=DMARC1; p=none; psd=y", Mode::kBis).psd, Psd::kYes);
  EXPECT_EQ(Parse("v=DMARC1; p=none; psd=N", Mode::kBis).psd, Psd::kNo);
  EXPECT_EQ(Parse("v=DMARC1; p=none; psd=u", Mode::kBis).psd, Psd::kUnknown);
  Record r = Parse("v=DMARC1; p=none; psd=x", Mode::kBis);
  EXPECT_EQ(r.psd, Psd::kUnknown);
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@22");
  r = Parse("v=DMARC1; p=none; psd=y", Mode::k7489);
  EXPECT_EQ(r.psd, Psd::kUnknown);
  EXPECT_EQ(r.unknown.size(), 1u);
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.not_in_7489@18");
}

TEST(DmarcRecord, D20DuplicateTags) {
  // D-A3, strict reading: a repeated tag is a syntax error in that tag.
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=none; p=reject", m);
    EXPECT_FALSE(r.usable);
    EXPECT_TRUE(r.p_invalid);
    EXPECT_FALSE(r.p.has_value());
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.duplicate@18 dmarc.record.unusable@18");
    EXPECT_EQ(r.diagnostics[0].detail, "p");
    r = Parse("v=DMARC1; p=none; p=reject; rua=mailto:a@example.com", m);
    EXPECT_TRUE(r.usable);
    EXPECT_EQ(r.request, Disposition::kNone);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.duplicate@18 dmarc.record.policy_none@18");
    r = Parse("v=DMARC1; p=reject; adkim=s; adkim=s; fo=1; fo=1", m);
    EXPECT_TRUE(r.usable);
    EXPECT_EQ(r.adkim, Alignment::kRelaxed);
    EXPECT_EQ(r.fo, kFo0);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.duplicate@29 dmarc.tag.duplicate@44");
    // A third one stays a duplicate; the value after it does not come back.
    r = Parse("v=DMARC1; p=reject; aspf=s; aspf=s; aspf=s", m);
    EXPECT_EQ(r.aspf, Alignment::kRelaxed);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.duplicate@28 dmarc.tag.duplicate@36");
    // A repeated rua leaves no URIs: the record is then unusable without p.
    r = Parse("v=DMARC1; rua=mailto:a@example.com; rua=mailto:b@example.com", m);
    EXPECT_TRUE(r.rua.empty());
    EXPECT_FALSE(r.usable);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.duplicate@36 dmarc.record.unusable@60");
    // A repeated v is dropped; unknown tags may repeat.
    r = Parse("v=DMARC1; p=none; v=DMARC1; foo=1; foo=2", m);
    EXPECT_TRUE(r.usable);
    EXPECT_EQ(r.unknown.size(), 2u);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.duplicate@18");
  }
}

TEST(DmarcRecord, D21TagNamesAreCaseSensitive) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; P=reject", m);
    EXPECT_FALSE(r.usable);
    EXPECT_FALSE(r.p.has_value());
    ASSERT_EQ(r.unknown.size(), 1u);
    EXPECT_EQ(r.View(r.unknown[0].name), "P");
    EXPECT_EQ(r.View(r.unknown[0].value), "reject");
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.record.unusable@18");
    r = Parse("v=DMARC1; P=reject; rua=mailto:a@example.com", m);
    EXPECT_TRUE(r.usable);
    EXPECT_EQ(r.request, Disposition::kNone);
  }
}

TEST(DmarcRecord, D22PolicyValuesAnyCase) {
  for (Mode m : kModes) {
    EXPECT_EQ(Parse("v=DMARC1; p=REJECT", m).p, Disposition::kReject);
    EXPECT_EQ(Parse("v=DMARC1; p=Quarantine", m).p, Disposition::kQuarantine);
    EXPECT_EQ(Parse("v=DMARC1; p=nOnE", m).request, Disposition::kNone);
    Record r = Parse("v=DMARC1; p=none; sp=REJECT; np=Quarantine", m);
    EXPECT_EQ(r.SubdomainRequest(), Disposition::kReject);
    EXPECT_EQ(r.NonExistentRequest(), Disposition::kQuarantine);
    ExpectClean("v=DMARC1; p=REJECT", m);
  }
}

// Policy words take a fast path that picks the word by its first letter and
// compares its bytes in 4-byte loads: every case, every terminator, near
// misses and words running into the end of the record.
TEST(DmarcRecord, PolicyWordsFastPath) {
  const std::pair<const char*, Disposition> kGood[] = {{"none", Disposition::kNone},
                                                       {"NONE", Disposition::kNone},
                                                       {"nOnE", Disposition::kNone},
                                                       {"reject", Disposition::kReject},
                                                       {"REJECT", Disposition::kReject},
                                                       {"rEjEcT", Disposition::kReject},
                                                       {"quarantine", Disposition::kQuarantine},
                                                       {"QUARANTINE", Disposition::kQuarantine},
                                                       {"quaRANTine", Disposition::kQuarantine}};
  const char* const kAfter[] = {"", ";", " ;", "\t; ", "; sp=none", " ; rua=mailto:a@b.example"};
  for (Mode m : kModes) {
    for (const auto& [word, d] : kGood) {
      for (const char* after : kAfter) {
        const std::string rec = std::string("v=DMARC1; p=") + word + after;
        Record r = Parse(rec, m);
        EXPECT_EQ(r.p, d) << rec;
        EXPECT_FALSE(r.p_invalid) << rec;
        if (std::string_view(after).find("sp=") == std::string_view::npos) {
          Record sp = Parse(std::string("v=DMARC1; p=none; sp=") + word + after, m);
          EXPECT_EQ(sp.sp, d) << rec;
        }
      }
    }
    // Near misses: each is an invalid policy, with the same diagnostics on
    // both paths (Parse() compares them).
    const char* const kBad[] = {"non",
                                "nonee",
                                "none2",
                                "none_",
                                "none x",
                                "nome",
                                "rejec",
                                "rejects",
                                "reject-",
                                "rej ect",
                                "quarant",
                                "quarantin",
                                "quarantinE1",
                                "quarantinf",
                                "qu",
                                ".one",
                                "Nne",
                                "n",
                                "",
                                "\xee"
                                "one",
                                "\xf2"
                                "eject",
                                "quarantine!",
                                "none=",
                                "re\x01"
                                "ect"};
    for (const char* word : kBad) {
      for (const char* after : kAfter) {
        const std::string rec = std::string("v=DMARC1; p=") + word + after;
        Record r = Parse(rec, m);
        EXPECT_FALSE(r.p.has_value()) << rec;
        EXPECT_TRUE(r.p_invalid) << rec;
      }
    }
  }
}

TEST(DmarcRecord, SubdomainAndNonExistentFallbacks) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=reject", m);
    EXPECT_EQ(r.SubdomainRequest(), Disposition::kReject);  // DM7-6.3-07
    EXPECT_EQ(r.NonExistentRequest(), Disposition::kReject);
    r = Parse("v=DMARC1; p=none; sp=quarantine", m);
    EXPECT_EQ(r.SubdomainRequest(), Disposition::kQuarantine);
    EXPECT_EQ(r.NonExistentRequest(), Disposition::kQuarantine);  // DMB-4.7-03
    r = Parse("v=DMARC1; p=none; np=reject", m);                  // RFC 9091 in both modes
    EXPECT_EQ(r.SubdomainRequest(), Disposition::kNone);
    EXPECT_EQ(r.NonExistentRequest(), Disposition::kReject);
    EXPECT_EQ(Ids(r.diagnostics), "");
  }
}

TEST(DmarcRecord, D24JoinedStringsAreOneRecord) {
  // The caller joins the character-strings with no separator.
  const std::string joined = std::string("v=DMARC1; p=rej") + "ect; rua=mailto:a@exa" + "mple.com";
  Record r = Parse(joined, Mode::kBis);
  EXPECT_EQ(r.p, Disposition::kReject);
  ASSERT_EQ(r.rua.size(), 1u);
  EXPECT_EQ(r.View(r.rua[0].uri), "mailto:a@example.com");
}

TEST(DmarcRecord, D25UnknownTagsKept) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=none; foo=bar; x_1 = a b ;z=", m);
    ASSERT_EQ(r.unknown.size(), 3u);
    EXPECT_EQ(r.View(r.unknown[0].name), "foo");
    EXPECT_EQ(r.View(r.unknown[0].value), "bar");
    EXPECT_EQ(r.View(r.unknown[1].name), "x_1");
    EXPECT_EQ(r.View(r.unknown[1].value), "a b");
    EXPECT_EQ(r.View(r.unknown[2].name), "z");
    EXPECT_EQ(r.View(r.unknown[2].value), "");
    EXPECT_EQ(Ids(r.diagnostics), "");
  }
}

TEST(DmarcRecord, D26Ri) {
  Record r = Parse("v=DMARC1; p=none; ri=3600", Mode::k7489);
  EXPECT_EQ(r.ri, 3600u);
  EXPECT_EQ(Ids(r.diagnostics), "");
  EXPECT_EQ(Parse("v=DMARC1; p=none; ri=4294967295", Mode::k7489).ri, 4294967295u);
  EXPECT_EQ(Parse("v=DMARC1; p=none; ri=000000000000004294967295", Mode::k7489).ri, 4294967295u);
  EXPECT_EQ(Parse("v=DMARC1; p=none; ri=0", Mode::k7489).ri, 0u);
  for (const char* bad : {"abc", "4294967296", "99999999999999999999999", "-5", "1.5", ""}) {
    const std::string rec = std::string("v=DMARC1; p=none; ri=") + bad;
    r = Parse(rec, Mode::k7489);
    EXPECT_EQ(r.ri, 86400u) << bad;
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@21") << bad;
    r = Parse(rec, Mode::kBis);
    EXPECT_EQ(r.ri, 86400u) << bad;
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.removed@18") << bad;
    EXPECT_EQ(r.unknown.size(), 1u);
  }
}

TEST(DmarcRecord, RfIn7489) {
  for (const char* ok : {"afrf", "afrf:iodef", "afrf :iodef", "x-1"}) {
    Record r = Parse(std::string("v=DMARC1; p=none; rf=") + ok, Mode::k7489);
    EXPECT_EQ(Ids(r.diagnostics), "") << ok;
    EXPECT_TRUE(r.unknown.empty());
  }
  for (const char* bad : {"", "afrf:", "afrf: iodef", "a_b", "x-", "afrf,iodef"}) {
    Record r = Parse(std::string("v=DMARC1; p=none; rf=") + bad, Mode::k7489);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@21") << bad;
  }
  Record r = Parse("v=DMARC1; p=none; rf=afrf", Mode::kBis);
  EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.removed@18");
  EXPECT_EQ(r.unknown.size(), 1u);
}

TEST(DmarcRecord, D29TrailingWhiteSpaceTrimmed) {
  for (Mode m : kModes) {
    ExpectClean("v=DMARC1; p=reject ", m);
    ExpectClean("v=DMARC1; p=reject \t ", m);
  }
}

TEST(DmarcRecord, SyntaxErrorsInTagSpecs) {
  for (Mode m : kModes) {
    // WSP after the version but no ';' (corpus "no-semicolon"): a DMARC
    // record whose first tag-spec is broken.
    Record r = Parse("v=DMARC1 p=reject rua=mailto:a@example.com", m);
    EXPECT_TRUE(IsDmarcRecord(r.text));
    EXPECT_FALSE(r.usable);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.syntax@9 dmarc.record.unusable@42");
    // No '=', a name starting with a digit, a bad name character.
    r = Parse("v=DMARC1; p=none; foo; 1x=2; a-b=3; =x", m);
    EXPECT_TRUE(r.usable);
    EXPECT_TRUE(r.unknown.empty());
    EXPECT_EQ(Ids(r.diagnostics),
              "dmarc.tag.syntax@21 dmarc.tag.syntax@23 dmarc.tag.syntax@30 dmarc.tag.syntax@36");
    EXPECT_EQ(r.diagnostics[0].detail, "foo");
    // p=reject followed by more text in its value (no ';').
    r = Parse("v=DMARC1; p=reject rua=mailto:a@example.com", m);
    EXPECT_TRUE(r.p_invalid);
    EXPECT_FALSE(r.usable);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.invalid_value@12 dmarc.record.unusable@10");
    // Empty tag-specs.
    ExpectClean("v=DMARC1;;p=none;;;", m);
    ExpectClean("v=DMARC1; ; p=none ; ;", m);
  }
}

TEST(DmarcRecord, NonPrintableBytes) {
  for (Mode m : kModes) {
    Record r = Parse("v=DMARC1; p=none; foo=b\x01r", m);
    EXPECT_TRUE(r.usable);
    EXPECT_TRUE(r.unknown.empty());
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.non_printable@23");
    r = Parse(
        "v=DMARC1; p=rej\xc3\xa9"
        "ct; rua=mailto:a@example.com",
        m);
    EXPECT_TRUE(r.p_invalid);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.non_printable@15 dmarc.record.policy_none@10");
    r = Parse("v=DMARC1; p=none; adkim=s\x7f", m);
    EXPECT_EQ(r.adkim, Alignment::kRelaxed);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.non_printable@25");
    r = Parse("v=DMARC1; p=none; \x02x=1", m);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.non_printable@18");
    r = Parse("v=DMARC1; p=none; rua=mailto:a@example.com\r\n", m);
    EXPECT_TRUE(r.rua.empty());
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.uri.invalid@42");
    r = Parse(std::string_view("v=DMARC1; p=none;\0", 18), m);
    EXPECT_EQ(Ids(r.diagnostics), "dmarc.tag.non_printable@17");
  }
}

TEST(DmarcRecord, FullRecordBothModes) {
  const char* rec =
      "v=DMARC1; p=quarantine; sp=reject; np=none; adkim=s; aspf=r; fo=1:d; t=y; psd=n; "
      "pct=25; ri=3600; rf=afrf; rua=mailto:a@example.com!1m,https://r.example/x; "
      "ruf=mailto:f@example.net; ext=1";
  Record b = Parse(rec, Mode::kBis);
  EXPECT_TRUE(b.usable);
  EXPECT_EQ(b.p, Disposition::kQuarantine);
  EXPECT_EQ(b.sp, Disposition::kReject);
  EXPECT_EQ(b.np, Disposition::kNone);
  EXPECT_EQ(b.adkim, Alignment::kStrict);
  EXPECT_EQ(b.aspf, Alignment::kRelaxed);
  EXPECT_EQ(b.fo, kFo1 | kFoD);
  EXPECT_TRUE(b.t);
  EXPECT_EQ(b.psd, Psd::kNo);
  EXPECT_FALSE(b.has_pct);
  EXPECT_EQ(b.ri, 86400u);
  ASSERT_EQ(b.rua.size(), 2u);
  ASSERT_EQ(b.ruf.size(), 1u);
  EXPECT_TRUE(b.HasValidRuf());
  ASSERT_EQ(b.unknown.size(), 4u);  // pct ri rf ext
  EXPECT_EQ(Ids(b.diagnostics),
            "dmarc.tag.removed@81 dmarc.tag.removed@89 dmarc.tag.removed@98 "
            "dmarc.uri.size_ignored@131 dmarc.uri.unsupported@135");
  Record s = Parse(rec, Mode::k7489);
  EXPECT_TRUE(s.usable);
  EXPECT_FALSE(s.t);
  EXPECT_EQ(s.psd, Psd::kUnknown);
  EXPECT_TRUE(s.has_pct);
  EXPECT_EQ(s.pct, 25);
  EXPECT_EQ(s.ri, 3600u);
  EXPECT_EQ(s.rua[0].max_size, std::uint64_t{1} << 20);
  ASSERT_EQ(s.unknown.size(), 3u);  // t psd ext
  EXPECT_EQ(Ids(s.diagnostics),
            "dmarc.tag.not_in_7489@69 dmarc.tag.not_in_7489@74 dmarc.uri.unsupported@135");
}

void ExpectRoundTrip(std::string_view rec, Mode m, std::string_view canonical) {
  bool ok = false;
  Record r = Parse(rec, m, &ok);
  ASSERT_TRUE(ok) << rec;
  const std::string text = SerializeRecord(r);
  EXPECT_EQ(text, canonical) << rec;
  Record again = Parse(text, m);
  // Equal up to spans and diagnostics.
  EXPECT_EQ(again.p, r.p);
  EXPECT_EQ(again.sp, r.sp);
  EXPECT_EQ(again.np, r.np);
  EXPECT_EQ(again.p_invalid, r.p_invalid);
  EXPECT_EQ(again.sp_invalid, r.sp_invalid);
  EXPECT_EQ(again.np_invalid, r.np_invalid);
  EXPECT_EQ(again.usable, r.usable);
  EXPECT_EQ(again.request, r.request);
  EXPECT_EQ(again.adkim, r.adkim);
  EXPECT_EQ(again.aspf, r.aspf);
  EXPECT_EQ(again.fo, r.fo);
  EXPECT_EQ(again.t, r.t);
  EXPECT_EQ(again.psd, r.psd);
  EXPECT_EQ(again.pct, r.pct);
  EXPECT_EQ(again.has_pct, r.has_pct);
  EXPECT_EQ(again.ri, r.ri);
  ASSERT_EQ(again.rua.size(), r.rua.size());
  for (std::size_t k = 0; k < r.rua.size(); ++k) {
    EXPECT_EQ(again.View(again.rua[k].uri), r.View(r.rua[k].uri));
    EXPECT_EQ(again.rua[k].max_size, r.rua[k].max_size);
    EXPECT_EQ(again.rua[k].had_size_suffix, r.rua[k].had_size_suffix);
    EXPECT_EQ(again.rua[k].mailto, r.rua[k].mailto);
  }
  ASSERT_EQ(again.ruf.size(), r.ruf.size());
  ASSERT_EQ(again.unknown.size(), r.unknown.size());
  for (std::size_t k = 0; k < r.unknown.size(); ++k) {
    EXPECT_EQ(again.View(again.unknown[k].name), r.View(r.unknown[k].name));
    EXPECT_EQ(again.View(again.unknown[k].value), r.View(r.unknown[k].value));
  }
  EXPECT_EQ(SerializeRecord(again), text);
}

TEST(DmarcRecord, SerializeRoundTrips) {
  ExpectRoundTrip("v=DMARC1;p=reject", Mode::kBis, "v=DMARC1; p=reject");
  ExpectRoundTrip("v=DMARC1", Mode::kBis, "v=DMARC1");
  ExpectRoundTrip("v = DMARC1 ; P=x ; p = REJECT ; rua = mailto:A@B.example!10M , ftp://x ;",
                  Mode::k7489, "v=DMARC1; p=reject; rua=mailto:A@B.example!10M,ftp://x; P=x");
  ExpectRoundTrip("v=DMARC1; p=reject; rua=mailto:a@example.com!10m", Mode::kBis,
                  "v=DMARC1; p=reject; rua=mailto:a@example.com!10m");
  ExpectRoundTrip(
      "v=DMARC1; p=quarantine; sp=reject; np=none; adkim=s; aspf=s; fo=d:1; t=y; psd=y; "
      "pct=25; ri=3600; rf=afrf; foo=bar",
      Mode::kBis,
      "v=DMARC1; p=quarantine; sp=reject; np=none; adkim=s; aspf=s; fo=1:d; t=y; psd=y; "
      "pct=25; ri=3600; rf=afrf; foo=bar");
  ExpectRoundTrip("v=DMARC1; p=quarantine; fo=d:1:0; t=y; psd=y; pct=0; ri=0; rf=afrf; foo=bar",
                  Mode::k7489,
                  "v=DMARC1; p=quarantine; fo=0:1:d; pct=0; ri=0; t=y; psd=y; foo=bar");
  // Invalid policies stay invalid (as empty values), so the record means
  // the same; defaults are not written.
  ExpectRoundTrip("v=DMARC1; p=bogus; sp=none; np=x; rua=mailto:a@example.com; adkim=r; fo=0",
                  Mode::kBis, "v=DMARC1; p=; sp=none; np=; rua=mailto:a@example.com");
  ExpectRoundTrip("v=DMARC1; p=none; p=none", Mode::k7489, "v=DMARC1; p=");
  ExpectRoundTrip("v=DMARC1; p=none; psd=u; t=n", Mode::kBis, "v=DMARC1; p=none");
  // A Record built by hand: the size is written in bytes.
  Record r;
  r.p = Disposition::kNone;
  r.text = "mailto:a@example.com";
  r.rua.push_back(ReportUri{TextSpan{0, 20}, std::uint64_t{2048}, true, true});
  EXPECT_EQ(SerializeRecord(r), "v=DMARC1; p=none; rua=mailto:a@example.com!2048");
}

TEST(DmarcRecord, ReusedRecordEqualsFresh) {
  const std::vector<std::string> inputs = {
      "v=DMARC1; p=reject; sp=none; np=quarantine; adkim=s; aspf=s; fo=1:d:s; t=y; psd=y; "
      "rua=mailto:a@example.com!10m,https://x.example; ruf=mailto:b@example.com; foo=bar",
      "v=DMARC1; p=reject; pct=10; ri=5; rf=afrf",
      "v=DMARC1",
      "not dmarc",
      "v=DMARC1; p=bogus",
      "v=DMARC1; p=none; rua=mailto:a@example.com",
      "",
  };
  for (Mode m : kModes) {
    Record reused;
    for (int round = 0; round < 2; ++round) {
      for (const auto& in : inputs) {
        Record fresh;
        const bool a = ParseRecordInto(in, fresh, Opts(m));
        const bool b = ParseRecordInto(in, reused, Opts(m));
        EXPECT_EQ(a, b) << in;
        ExpectSameRecord(fresh, reused, in);
      }
    }
    // The text may be the record's own.
    ASSERT_TRUE(ParseRecordInto("v=DMARC1; p=none; rua=mailto:a@example.com", reused, Opts(m)));
    ASSERT_TRUE(ParseRecordInto(reused.text, reused, Opts(m)));
    EXPECT_EQ(reused.text, "v=DMARC1; p=none; rua=mailto:a@example.com");
    EXPECT_EQ(reused.rua.size(), 1u);
    ASSERT_TRUE(ParseRecordInto(std::string_view(reused.text).substr(0, 17), reused, Opts(m)));
    EXPECT_EQ(reused.text, "v=DMARC1; p=none;");
    EXPECT_TRUE(reused.rua.empty());
  }
}

TEST(DmarcRecord, ReuseKeepsCapacity) {
  Record r;
  const std::string rec =
      "v=DMARC1; p=none; rua=mailto:a@example.com,mailto:b@example.com; ruf=mailto:c@example.com";
  ASSERT_TRUE(ParseRecordInto(rec, r));
  const auto* text = r.text.data();
  const auto* rua = r.rua.data();
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(ParseRecordInto(rec, r));
    EXPECT_EQ(r.text.data(), text);
    EXPECT_EQ(r.rua.data(), rua);
  }
}

// FastMailto loads 64 bytes from where a URI starts, so near the end of the
// text it reads into the buffer's slack, which holds what a longer record
// parsed into the same Record left there (plain URI bytes here). The URI
// must still end at the end of the text, at every distance from it.
TEST(DmarcRecord, MailtoNearTheEndOfAReusedBuffer) {
  const std::string head = "v=DMARC1; p=none; rua=mailto:a@e.";
  for (Mode m : kModes) {
    Record r;
    for (std::size_t len = 1; len <= 62; ++len) {
      const std::string domain = "e." + std::string(len, 'b');
      const std::string rec = head.substr(0, head.size() - 2) + domain;
      ASSERT_TRUE(ParseRecordInto(rec + std::string(80, 'c'), r, Opts(m)));
      ASSERT_TRUE(ParseRecordInto(rec, r, Opts(m))) << rec;
      EXPECT_TRUE(r.usable) << rec;
      ASSERT_EQ(r.rua.size(), 1u) << rec;
      EXPECT_EQ(r.View(r.rua[0].uri), "mailto:a@" + domain) << rec;
      EXPECT_TRUE(r.rua[0].mailto) << rec;
      EXPECT_EQ(Ids(r.diagnostics), "") << rec;
      ExpectSameRecord(r, Parse(rec, m), rec);
    }
    // The text handed in may be the Record's own, in a buffer with no slack.
    Record own;
    own.text = head + "example";
    own.text.shrink_to_fit();
    ASSERT_TRUE(ParseRecordInto(own.text, own, Opts(m)));
    EXPECT_EQ(own.text, head + "example");
    ASSERT_EQ(own.rua.size(), 1u);
    EXPECT_EQ(own.View(own.rua[0].uri), "mailto:a@e.example");
  }
}

TEST(DmarcRecord, FastAndGeneralPathsAgree) {
  // Parse() compares the two on every record of every test; these are the
  // shapes the fast path takes and those that send it back.
  const std::vector<std::string> inputs = {
      "v=DMARC1; p=none; rua=mailto:dmarc@example.com",
      "v=DMARC1; p=none; rua=mailto:re+x_y@a-b.example.co.uk,mailto:z@x.example",
      "v=DMARC1; p=none; rua=mailto:a@b.c",
      "v=DMARC1; p=none; rua=mailto:a@b",
      "v=DMARC1; p=none; rua=mailto:@b.example",
      "v=DMARC1; p=none; rua=mailto:a@@b.example",
      "v=DMARC1; p=none; rua=mailto:a@b..example",
      "v=DMARC1; p=none; rua=mailto:a@-b.example",
      "v=DMARC1; p=none; rua=mailto:a@b-.example",
      "v=DMARC1; p=none; rua=mailto:a@.example",
      "v=DMARC1; p=none; rua=mailto:a@example.",
      "v=DMARC1; p=none; rua=mailto:a@xn--bcher-kva.example",
      "v=DMARC1; p=none; rua=mailto:a@xn--zz.example",
      "v=DMARC1; p=none; rua=mailto:a@XN--ZZ.example",
      "v=DMARC1; p=none; rua=mailto:a@ab--cd.example",
      "v=DMARC1; p=none; rua=mailto:a:b@example.com",
      "v=DMARC1; p=none; rua=mailto:a@exa:mple.com",
      "v=DMARC1; p=none; rua=mailto:a@example.com!10m",
      "v=DMARC1; p=none; rua=mailto:a@example.com!10M , mailto:b@example.com!0;",
      "v=DMARC1; p=none; rua=mailto:a@example.com!99999999999999999999999t",
      "v=DMARC1; p=none; rua=mailto:a@example.com!",
      "v=DMARC1; p=none; rua=mailto:a@example.com!m",
      "v=DMARC1; p=none; rua=mailto:a@example.com!10mm",
      "v=DMARC1; p=none; rua=mailto:a@example.com!10 m",
      "v=DMARC1; p=none; rua=mailto:a@example.com!10m!5k",
      "v=DMARC1; p=none; rua=mailto:a@example.com!10m x",
      "v=DMARC1; p=none; rua=mailto:a@b..example!10m",
      "v=DMARC1; p=none; ruf=mailto:a@example.com!1g",
      "v=DMARC1; p=none; rua=mailto:a@example.com?x=y",
      "v=DMARC1; p=none; rua=mailto:a@example.com x",
      "v=DMARC1; p=none; rua=mailto:a@example.com\t,\tmailto:b@example.com\t;",
      "v=DMARC1; p=none; rua=mailto:a@" + std::string(50, 'x') + ".example",
      "v=DMARC1; p=none; rua=mailto:a@" + std::string(62, 'x') + ".ex",
      "v=DMARC1; p=none; rua=mailto:" + std::string(60, 'l') + "@example.com",
      "v=DMARC1; p=none; rua=mailto:a@" + std::string(64, 'x') + ".example",
      "v=DMARC1; p=none; rua=mailto:a@b.example\x80",
      "v=DMARC1; p=none; rua=mailto:a@b.ex\x80mple",
      "v=DMARC1; p=none; rua=mailto:a@b.example\x01",
      "v=DMARC1; p=none; rua=mailt0:a@b.example",
      "v=DMARC1; p=none; rua=mailto:a",
      "v=DMARC1; p=none; rua=mailto:ab",
      "v=DMARC1; p=none; rua=mailto:a@b.e",
      "mailto:a@b.example",
      "v=DMARC1;rua=mailto:a@b.example",
      "v=DMARC1;rua=mailto:a@b.example;",
      "v=DMARC1;rua=mailto:a@b.example,",
      // Tag names IdentifyWord() takes, and their near misses.
      "v=DMARC1;p=",
      "v=DMARC1;p",
      "v=DMARC1; p =none; rua =mailto:a@b.example",
      "v=DMARC1; P=none; Rua=mailto:a@b.example; SP=reject",
      "v=DMARC1; p=none; pct=50; pct=20; fo=1; fo=d; sp=none; sp=reject",
      "v=DMARC1; pp=none; ruaa=x; adkimm=s; aspff=r; spp=none; pctt=1; foo=1",
      "v=DMARC1; p=none; adkim=s; aspf=r; ruf=mailto:f@b.example; ri=3600; np=none; rf=afrf",
  };
  for (const auto& in : inputs) {
    for (Mode m : kModes) {
      Parse(in, m);
    }
  }
}

TEST(DmarcRecord, Names) {
  EXPECT_EQ(ModeName(Mode::kBis), "bis");
  EXPECT_EQ(ModeName(Mode::k7489), "7489");
  EXPECT_EQ(DispositionName(Disposition::kNone), "none");
  EXPECT_EQ(DispositionName(Disposition::kQuarantine), "quarantine");
  EXPECT_EQ(DispositionName(Disposition::kReject), "reject");
}

TEST(DmarcRecord, IsDmarcRecord) {
  EXPECT_TRUE(IsDmarcRecord("v=DMARC1"));
  EXPECT_TRUE(IsDmarcRecord("v=DMARC1;"));
  EXPECT_TRUE(IsDmarcRecord("v=DMARC1 "));
  EXPECT_TRUE(IsDmarcRecord("v = DMARC1 x"));
  EXPECT_FALSE(IsDmarcRecord("v=DMARC1x"));
  EXPECT_FALSE(IsDmarcRecord("v=DMARC"));
  EXPECT_FALSE(IsDmarcRecord("v=dmarc1"));
}

}  // namespace
}  // namespace mxconform::dmarc
