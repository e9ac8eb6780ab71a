#include "conformance/runner/mock_zone.h"

#include <gtest/gtest.h>

#include "mocks/dns/responder.h"

namespace mxconform::conformance {
namespace {

namespace wire = mxconform::dns;
namespace mock = mxconform::mocks::dns;

wire::Name N(std::string_view s) { return *wire::Name::Parse(s); }
constexpr std::uint16_t kA = 1, kTxt = 16, kMx = 15, kSpf = 99, kAaaa = 28, kPtr = 12, kSoa = 6;

std::vector<std::string> TxtStrings(const wire::ZoneAnswer& a, std::size_t i = 0) {
  return std::get<wire::RdataTxt>(a.answers.at(i).rdata).strings;
}

TEST(MockZoneTest, ReadsZonedataOriginsOptionsAndFaults) {
  auto z = ParseMockZone(R"(
origins: [example.com]
options: {wildcards: true}
zonedata:
  example.com:
    - TXT: ["v=spf1 ", "mx -all"]
    - MX: [10, mx.example.com]
  mx.example.com:
    - A: 192.0.2.1
    - AAAA: "2001:db8::1"
  "*.wild.example.com":
    - A: 192.0.2.9
faults:
  - {name: example.com, type: TXT, servfail: true, id: txt-down}
  - {name: example.com, subtree: true, transport: udp, truncate: true, from: 10, until: 20}
  - {name: mx.example.com, type: A, spoof: [{A: 203.0.113.7}], delay_ms: 50}
  - {malformed: "00 00 81 80 00 01", name: bad.example.com}
  - {drop_after: 3}
  - {delay_ms: 100}
)");
  ASSERT_TRUE(z.ok()) << z.error().Text();
  EXPECT_EQ(z->zone.origins().size(), 1u);
  auto txt = z->zone.Find(N("example.com"), kTxt, 0);
  EXPECT_EQ(TxtStrings(txt), (std::vector<std::string>{"v=spf1 ", "mx -all"}));
  EXPECT_TRUE(z->zone.Find(N("x.wild.example.com"), kA, 0).wildcard);
  EXPECT_EQ(z->zone.Find(N("example.org"), kA, 0).rcode, wire::Rcode::kRefused);
  ASSERT_EQ(z->rules.size(), 6u);
  EXPECT_EQ(z->rules[0].id, "txt-down");
  EXPECT_EQ(z->rules[0].fault, mock::Fault::kServfail);
  EXPECT_EQ(z->rules[0].type, kTxt);
  EXPECT_TRUE(z->rules[1].subtree);
  EXPECT_EQ(z->rules[1].transport, mock::Transport::kUdp);
  EXPECT_EQ(z->rules[1].from, 10);
  EXPECT_EQ(z->rules[1].until, 20);
  ASSERT_EQ(z->rules[2].spoof.size(), 1u);
  EXPECT_TRUE(z->rules[2].spoof[0].name.IsRoot());
  EXPECT_EQ(z->rules[2].delay_ms, 50u);
  EXPECT_EQ(z->rules[3].raw, std::string("\0\0\x81\x80\0\x01", 6));
  EXPECT_EQ(z->rules[4].count, 3u);
  EXPECT_EQ(z->rules[5].fault, mock::Fault::kNone);
  EXPECT_EQ(z->rules[5].delay_ms, 100u);
}

wire::RdataSoa SoaOf(const wire::Record& r) { return std::get<wire::RdataSoa>(r.rdata); }

TEST(MockZoneTest, EachOriginHasAnSoaThatNegativeAnswersCarry) {
  auto z = ParseMockZone(R"(
origins: [example.com, example.net]
zonedata:
  example.com:
    - MX: [10, mx.example.com]
  mx.example.com:
    - A: 192.0.2.1
)");
  ASSERT_TRUE(z.ok()) << z.error().Text();
  // RFC 2308 §3: NXDOMAIN and NODATA carry the origin's SOA.
  const auto nx = z->zone.Find(N("nope.example.com"), kTxt, 0);
  EXPECT_EQ(nx.rcode, wire::Rcode::kNxDomain);
  ASSERT_EQ(nx.authority.size(), 1u);
  EXPECT_EQ(nx.authority[0].name, N("example.com"));
  EXPECT_EQ(nx.authority[0].type, kSoa);
  EXPECT_EQ(SoaOf(nx.authority[0]).mname, N("ns.example.com"));
  EXPECT_EQ(SoaOf(nx.authority[0]).rname, N("hostmaster.example.com"));
  EXPECT_EQ(SoaOf(nx.authority[0]).minimum, 300u);
  const auto nodata = z->zone.Find(N("mx.example.com"), kTxt, 0);
  EXPECT_EQ(nodata.rcode, wire::Rcode::kNoError);
  EXPECT_TRUE(nodata.answers.empty());
  ASSERT_EQ(nodata.authority.size(), 1u);
  EXPECT_EQ(nodata.authority[0].name, N("example.com"));
  // An origin with no records of its own has one too, and answers for it.
  const auto net = z->zone.Find(N("example.net"), kSoa, 0);
  ASSERT_EQ(net.answers.size(), 1u);
  EXPECT_EQ(SoaOf(net.answers[0]).mname, N("ns.example.net"));
  EXPECT_EQ(z->zone.Find(N("x.example.net"), kA, 0).authority.size(), 1u);
  // A positive answer has none.
  EXPECT_TRUE(z->zone.Find(N("mx.example.com"), kA, 0).authority.empty());
}

// Adding the default SOAs used pointers that Zone::Add() had invalidated
// (a use after free the scenario fuzzer found under ASan): several origins,
// the first with records of its own, one listed twice.
TEST(MockZoneTest, DefaultSoasForSeveralOriginsWithRecords) {
  auto z = ParseMockZone(R"(
origins: [a.example, b.example, c.example, a.example]
zonedata:
  a.example: [{MX: [10, mx.a.example]}, {TXT: x}, {A: 192.0.2.1}]
  b.example: [{A: 192.0.2.2}]
  c.example: [{SOA: [ns.c.example, h.c.example, 7, 1, 1, 1, 1]}]
)");
  ASSERT_TRUE(z.ok()) << z.error().Text();
  for (const char* origin : {"a.example", "b.example", "c.example"}) {
    const auto soa = z->zone.Find(N(origin), kSoa, 0);
    ASSERT_EQ(soa.answers.size(), 1u) << origin;
    EXPECT_EQ(SoaOf(soa.answers[0]).serial, std::string_view(origin) == "c.example" ? 7u : 1u);
  }
}

TEST(MockZoneTest, AnSoaWrittenInTheZoneReplacesTheDefault) {
  auto z = ParseMockZone(R"(
origins: [example.com]
zonedata:
  example.com:
    - SOA: [a.example.org., dns-admin.example.org, 2026120301, 7200, 900, 1209600, 60]
)");
  ASSERT_TRUE(z.ok()) << z.error().Text();
  const auto soa = z->zone.Find(N("example.com"), kSoa, 0);
  ASSERT_EQ(soa.answers.size(), 1u);
  const wire::RdataSoa want{
      N("a.example.org"), N("dns-admin.example.org"), 2026120301, 7200, 900, 1209600, 60};
  EXPECT_EQ(SoaOf(soa.answers[0]), want);
  EXPECT_EQ(soa.answers[0].ttl, 300u);
  const auto nx = z->zone.Find(N("nope.example.com"), kA, 0);
  ASSERT_EQ(nx.authority.size(), 1u);
  EXPECT_EQ(SoaOf(nx.authority[0]), want);
  // RFC 2308 §3: in a negative answer, the lesser of its TTL and minimum.
  EXPECT_EQ(nx.authority[0].ttl, 60u);
}

TEST(MockZoneTest, TheSoaKnobOffServesNegativeAnswersWithoutOne) {
  // A server that leaves the SOA out (the misbehaviour RFC 2308 §5 says not
  // to cache) is a knob, not the default.
  auto z = ParseMockZone(R"(
origins: [example.com]
options: {soa: false}
zonedata:
  example.com:
    - A: 192.0.2.1
)");
  ASSERT_TRUE(z.ok()) << z.error().Text();
  const auto nx = z->zone.Find(N("nope.example.com"), kA, 0);
  EXPECT_EQ(nx.rcode, wire::Rcode::kNxDomain);
  EXPECT_TRUE(nx.authority.empty());
  EXPECT_TRUE(z->zone.Find(N("example.com"), kSoa, 0).answers.empty());
  // Without origins there is no apex to put one at.
  auto plain = ParseMockZone("example.com:\n  - A: 192.0.2.1\n");
  ASSERT_TRUE(plain.ok()) << plain.error().Text();
  EXPECT_TRUE(plain->zone.Find(N("nope.example.com"), kA, 0).authority.empty());
}

TEST(MockZoneTest, BadSoaDataIsLocated) {
  for (const char* data :
       {"[a.example, b.example, 1, 2, 3, 4]",  // six fields
        "a.example", "[a.example, b.example, 1, 2, 3, 4, 4294967296]",
        "[a.example, b.example, 1, 2, x, 4, 5]", "[a..example, b.example, 1, 2, 3, 4, 5]"}) {
    auto z = ParseMockZone(std::string("origins: [example.com]\nzonedata:\n  example.com:\n") +
                           "    - SOA: " + data + "\n");
    ASSERT_FALSE(z.ok()) << data;
    EXPECT_NE(z.error().Text().find("4:"), std::string::npos) << data << ": " << z.error().Text();
  }
}

TEST(MockZoneTest, APlainZonedataMapIsAZone) {
  auto z = ParseMockZone("example.com:\n  - TXT: v=spf1 -all\n");
  ASSERT_TRUE(z.ok()) << z.error().Text();
  EXPECT_TRUE(z->zone.origins().empty());
  EXPECT_EQ(z->zone.Find(N("example.com"), kTxt, 0).answers.size(), 1u);
  // openspf TIMEOUT and SERVFAIL entries become knobs, after the faults given.
  auto t = ParseMockZone(
      "zonedata:\n  slow.example:\n    - TIMEOUT\n  down.example:\n    - SERVFAIL\n"
      "faults:\n  - {name: other.example, refused: true}\n");
  ASSERT_TRUE(t.ok()) << t.error().Text();
  ASSERT_EQ(t->rules.size(), 3u);
  EXPECT_EQ(t->rules[0].fault, mock::Fault::kRefused);
  EXPECT_EQ(t->rules[1].fault, mock::Fault::kTimeout);
  EXPECT_FALSE(t->rules[1].type.has_value());  // nothing listed before it: every type
  EXPECT_EQ(t->rules[2].fault, mock::Fault::kServfail);
}

TEST(MockZoneTest, ErrorsAreLocated) {
  struct Case {
    const char* text;
    const char* id;
    const char* where;
  };
  const Case cases[] = {
      {"zonedata: {}\nfaults:\n  - {name: a.example, explode: true}\n", "zone.fault", "3:"},
      {"zonedata: {}\nfaults:\n  - {servfail: true, refused: true}\n", "zone.fault", "3:"},
      {"zonedata: {}\nfaults:\n  - {name: a.example}\n", "zone.fault", "3:"},
      {"zonedata: {}\nfaults:\n  - {type: NOPE, servfail: true}\n", "zone.fault", "3:"},
      {"zonedata: {}\nfaults:\n  - {malformed: xyz}\n", "zone.fault", "3:"},
      {"zonedata: {}\nfaults:\n  - {servfail: false}\n", "zone.fault", "3:"},
      {"zonedata:\n  a.example:\n    - A: 300.1.1.1\n", "zone.record", "3:"},
      {"zonedata:\n  a.example:\n    - MX: [70000, mx.example]\n", "zone.record", "3:"},
      {"origins: [example.com]\nzonedata:\n  example.org:\n    - A: 192.0.2.1\n", "zone.record",
       "3:"},
      {"origins: [example.com]\n", "zone.yaml", "1:"},
      {"zonedata: {}\nextra: 1\n", "zone.yaml", "2:"},
      {"zonedata: [\n", "zone.yaml", ""},
      // An empty file or a comment alone: no node to point at, so the start
      // of the file (this was "0:0", no location at all).
      {"", "zone.yaml", "1:1"},
      {"# nothing\n", "zone.yaml", "1:1"},
      {"zonedata:\n  a.example:\n    - DELAY: 3\n", "zone.type", "3:"},
      {"zonedata:\n  a.example:\n    - HINFO: x\n", "zone.type", "3:"},
  };
  for (const auto& c : cases) {
    auto z = ParseMockZone(c.text);
    ASSERT_FALSE(z.ok()) << c.text;
    EXPECT_EQ(z.error().id, c.id) << c.text << " -> " << z.error().Text();
    EXPECT_EQ(z.error().detail.rfind(c.where, 0), 0u) << c.text << " -> " << z.error().Text();
  }
}

// The openspf-format zone of `eval spf` / `eval dmarc`: an empty file is
// located at 1:1, like any other file that is not a map.
TEST(MockZoneTest, EmptyOpenspfZoneIsLocatedAtTheStart) {
  for (const char* text : {"", "# nothing\n", "[]\n"}) {
    auto z = ParseOpenspfZone(text);
    ASSERT_FALSE(z.ok()) << text;
    EXPECT_EQ(z.error().id, "vectors.openspf.zonedata") << text;
    EXPECT_EQ(z.error().line, 1u) << text;
    EXPECT_EQ(z.error().column, 1u) << text;
  }
}

OpenspfDocument Doc(std::string_view zonedata) {
  auto d = ParseOpenspfZone(zonedata);
  EXPECT_TRUE(d.ok()) << (d.ok() ? "" : d.error().Text());
  return d.ok() ? *d : OpenspfDocument{};
}

TEST(MockZoneTest, OpenspfDocumentsKeepTheirDriverSemantics) {
  const std::string long_txt(300, 'x');
  auto z = OpenspfMockZone(Doc("e1.example.com:\n"
                               "  - SPF: v=spf1 -all\n"
                               "e2.example.com:\n"
                               "  - SPF: v=spf1 +all\n"
                               "  - TXT: v=spf1 -all\n"
                               "e3.example.com:\n"
                               "  - TXT: NONE\n"
                               "  - SPF: v=spf1 ?all\n"
                               "e4.example.com:\n"
                               "  - TXT: [\"v=spf1 \", \"" +
                               long_txt +
                               "\"]\n"
                               "e5.example.com:\n"
                               "  - A: 192.0.2.5\n"
                               "  - TIMEOUT\n"
                               "e6.example.com:\n"
                               "  - SERVFAIL\n"
                               "  - DELAY: 7\n"
                               "_dmarc.org.example:\n"
                               "  - TXT: v=DMARC1; p=none\n"),
                           /*empty_non_terminals=*/false);
  ASSERT_TRUE(z.ok()) << z.error().Text();
  // SPF stands for TXT when the name has no TXT entry, and is served as SPF.
  EXPECT_EQ(TxtStrings(z->zone.Find(N("e1.example.com"), kTxt, 0)),
            (std::vector<std::string>{"v=spf1 -all"}));
  EXPECT_EQ(z->zone.Find(N("e1.example.com"), kSpf, 0).answers.size(), 1u);
  EXPECT_EQ(TxtStrings(z->zone.Find(N("e2.example.com"), kTxt, 0)),
            (std::vector<std::string>{"v=spf1 -all"}));
  // TXT: NONE is no record and stops the duplication.
  EXPECT_TRUE(z->zone.Find(N("e3.example.com"), kTxt, 0).answers.empty());
  // Strings over 255 octets are cut.
  EXPECT_EQ(TxtStrings(z->zone.Find(N("e4.example.com"), kTxt, 0)),
            (std::vector<std::string>{"v=spf1 ", std::string(255, 'x'), std::string(45, 'x')}));
  // TIMEOUT: the types listed before it answer, every other query times out.
  ASSERT_EQ(z->rules.size(), 3u);
  EXPECT_EQ(*z->rules[0].name, N("e5.example.com"));
  EXPECT_EQ(z->rules[0].type, kA);
  EXPECT_EQ(z->rules[0].fault, mock::Fault::kNone);
  EXPECT_EQ(*z->rules[1].name, N("e5.example.com"));
  EXPECT_FALSE(z->rules[1].type.has_value());
  EXPECT_EQ(z->rules[1].fault, mock::Fault::kTimeout);
  EXPECT_EQ(z->rules.back().fault, mock::Fault::kServfail);
  EXPECT_EQ(z->delays.at("e6.example.com"), 7);
  // No empty non-terminals, as the openspf drivers answer.
  EXPECT_EQ(z->zone.Find(N("org.example"), kA, 0).rcode, wire::Rcode::kNxDomain);
  // A name DNS cannot carry is left out, and listed.
  auto odd = OpenspfMockZone(Doc(std::string(64, 'x') + ".example.com:\n  - A: 192.0.2.1\n"
                                                        "ok.example.com:\n  - A: 192.0.2.2\n"),
                             false);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->unservable, (std::vector<std::string>{std::string(64, 'x') + ".example.com"}));
  EXPECT_EQ(odd->zone.NameCount(), 1u);
  auto with_ent = OpenspfMockZone(Doc("_dmarc.org.example:\n  - TXT: v=DMARC1; p=none\n"), true);
  ASSERT_TRUE(with_ent.ok());
  EXPECT_EQ(with_ent->zone.Find(N("org.example"), kA, 0).rcode, wire::Rcode::kNoError);
}

}  // namespace
}  // namespace mxconform::conformance
