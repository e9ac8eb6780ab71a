#include "dns/message.h"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "dns/hex_test_util.h"

namespace mxconform::dns {
namespace {

using test_util::Hex;

Name N(std::string_view text) {
  auto r = Name::Parse(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? *r : Name();
}

// "id@offset" of a failure, or "ok".
template <typename T>
std::string Err(const Result<T>& r) {
  if (r.ok()) {
    return "ok";
  }
  return std::string(r.error().id) + "@" + std::to_string(r.error().offset);
}

Message MustDecode(const std::string& wire, const DecodeLimits& limits = {}) {
  auto r = Decode(wire, limits);
  EXPECT_TRUE(r.ok()) << Err(r) << " " << (r.ok() ? "" : r.error().Text());
  return r.ok() ? *r : Message();
}

// --- Packets, written byte by byte. Offsets in the comments are decimal. ---

// RFC 1035 §4.1.4: F.ISI.ARPA at 20, FOO.F.ISI.ARPA as FOO plus a pointer
// to 20, ARPA as a pointer to 26, and the root. The example's offsets 20
// and 26 are kept; the question "ab." fills 12..19.
const std::string kRfc1035Example =
    Hex("0001 8000 0001 0004 0000 0000"     // ID 1, QR; 1 question, 4 answers
        "02 6162 00 0001 0001"              // 12: ab. A IN
        "01 46 03 495349 04 41525041 00"    // 20: F.ISI.ARPA (ISI at 22, ARPA at 26)
        "0001 0001 00000e10 0004 0a000001"  // 32: A IN 3600, 10.0.0.1
        "03 464f4f c014"                    // 46: FOO + pointer to 20
        "0001 0001 00000e10 0004 0a000002"  // 52: A IN 3600, 10.0.0.2
        "c01a"                              // 66: pointer to 26 (ARPA)
        "0002 0001 00000e10 0002 c014"      // 68: NS IN 3600, F.ISI.ARPA
        "00"                                // 80: the root
        "0002 0001 00000e10 0002 c02e");    // 81: NS IN 3600, FOO.F.ISI.ARPA (46)

// example.com. A → 192.0.2.1.
const std::string kA =
    Hex("abcd"                            // ID
        "8180"                            // QR RD, RA; NOERROR
        "0001 0001 0000 0000"             // QD AN NS AR
        "07 6578616d706c65 03 636f6d 00"  // 12: example.com.
        "0001 0001"                       // 25: A IN
        "c00c"                            // 29: pointer to 12
        "0001 0001 0000012c"              // 31: A IN TTL 300
        "0004"                            // 39: RDLENGTH 4
        "c0000201");                      // 41: 192.0.2.1

// example.com. AAAA → 2001:db8::1.
const std::string kAaaa =
    Hex("1c1c 8180 0001 0001 0000 0000"
        "07 6578616d706c65 03 636f6d 00 001c 0001"  // 12: example.com. AAAA IN
        "c00c 001c 0001 0000012c 0010"              // 29: AAAA IN 300, RDLENGTH 16
        "20010db8 00000000 00000000 00000001");     // 41

// example.com. MX: 10 mx1.example.com., 20 mx2.example.com.; mx1's A in
// additional. The exchanges point at the question's example.com (12) and
// the additional owner at mx1 inside the first RDATA (43).
const std::string kMx =
    Hex("0f0f 8580 0001 0002 0000 0001"             // QR AA RD, RA; 1, 2, 0, 1
        "07 6578616d706c65 03 636f6d 00 000f 0001"  // 12: example.com. MX IN
        "c00c 000f 0001 00000e10 0008"              // 29: MX IN 3600, RDLENGTH 8
        "000a 03 6d7831 c00c"                       // 41: 10; 43: mx1 + pointer to 12
        "c00c 000f 0001 00000e10 0008"              // 49
        "0014 03 6d7832 c00c"                       // 61: 20; 63: mx2 + pointer to 12
        "c02b 0001 0001 00000e10 0004 c0000202");   // 69: mx1.example.com. A 192.0.2.2

// example.com. TXT with three character-strings: "v=spf1", "", " -all".
const std::string kTxt =
    Hex("7478 8180 0001 0001 0000 0000"
        "07 6578616d706c65 03 636f6d 00 0010 0001"  // 12: example.com. TXT IN
        "c00c 0010 0001 0000012c 000e"              // 29: TXT IN 300, RDLENGTH 14
        "06 763d73706631"                           // 41: "v=spf1"
        "00"                                        // 48: ""
        "05 202d616c6c");                           // 49: " -all"

// www.example.com. A: CNAME web.example.com., which is a CNAME for
// cdn.example.net., which has A 192.0.2.7.
const std::string kCnameChain =
    Hex("cafe 8180 0001 0003 0000 0000"
        "03 777777 07 6578616d706c65 03 636f6d 00"  // 12: www.example.com. (example at 16)
        "0001 0001"                                 // 29: A IN
        "c00c 0005 0001 0000012c 0006"              // 33: CNAME IN 300
        "03 776562 c010"                            // 45: web + pointer to 16
        "c02d 0005 0001 0000012c 0011"              // 51: web.example.com. CNAME
        "03 63646e 07 6578616d706c65 03 6e6574 00"  // 63: cdn.example.net.
        "c03f 0001 0001 0000012c 0004 c0000207");   // 80: cdn.example.net. A 192.0.2.7

// nope.example.com. A → NXDOMAIN, the zone's SOA in authority.
const std::string kNxDomain =
    Hex("dead 8583 0001 0000 0001 0000"                   // QR AA RD, RA; NXDOMAIN
        "04 6e6f7065 07 6578616d706c65 03 636f6d 00"      // 12: nope.example.com. (example at 17)
        "0001 0001"                                       // 30: A IN
        "c011 0006 0001 00000e10 0027"                    // 34: example.com. SOA IN 3600, 39 octets
        "03 6e7331 c011"                                  // 46: ns1.example.com.
        "0a 686f73746d6173746572 c011"                    // 52: hostmaster.example.com.
        "78a3f175 00001c20 00000e10 00127500 0000012c");  // 65: 2024010101 7200 3600 1209600 300

// example.com. AAAA → NOERROR, no answer (NODATA), SOA in authority.
const std::string kNoData =
    Hex("beef 8580 0001 0000 0001 0000"
        "07 6578616d706c65 03 636f6d 00 001c 0001"        // 12: example.com. AAAA IN
        "c00c 0006 0001 00000e10 0027"                    // 29: SOA IN 3600, 39 octets
        "03 6e7331 c00c"                                  // 41: ns1.example.com.
        "0a 686f73746d6173746572 c00c"                    // 47: hostmaster.example.com.
        "78a3f175 00001c20 00000e10 00127500 0000012c");  // 60

// example.com. MX 0 . (RFC 7505 null MX).
const std::string kNullMx =
    Hex("0e0e 8580 0001 0001 0000 0000"
        "07 6578616d706c65 03 636f6d 00 000f 0001"  // 12: example.com. MX IN
        "c00c 000f 0001 00015180 0003"              // 29: MX IN 86400, RDLENGTH 3
        "0000 00");                                 // 41: preference 0, the root

// A query for example.com. A with EDNS0: payload 1232, DO, a COOKIE option.
const std::string kEdnsQuery =
    Hex("1234 0120 0001 0000 0000 0001"             // RD, AD; 1 question, 1 additional
        "07 6578616d706c65 03 636f6d 00 0001 0001"  // 12: example.com. A IN
        "00 0029"                                   // 29: root, OPT
        "04d0"                                      // 32: UDP payload 1232
        "00 00 8000"                                // 34: ext-rcode 0, version 0, DO
        "000c"                                      // 38: RDLENGTH 12
        "000a 0008 0102030405060708");              // 40: COOKIE, 8 octets

// example.com. TYPE65280 with RDATA 01 02 03, kept raw (RFC 3597).
const std::string kUnknownType =
    Hex("5a5a 8180 0001 0001 0000 0000"
        "07 6578616d706c65 03 636f6d 00 ff00 0001"  // 12: example.com. TYPE65280 IN
        "c00c ff00 0001 0000003c 0003"              // 29: TTL 60, RDLENGTH 3
        "010203");                                  // 41

const std::vector<std::pair<const char*, const std::string*>> kPackets = {
    {"rfc1035", &kRfc1035Example},
    {"a", &kA},
    {"aaaa", &kAaaa},
    {"mx", &kMx},
    {"txt", &kTxt},
    {"cname", &kCnameChain},
    {"nxdomain", &kNxDomain},
    {"nodata", &kNoData},
    {"null-mx", &kNullMx},
    {"edns", &kEdnsQuery},
    {"unknown", &kUnknownType},
};

std::string Labels(const Name& n) {
  std::string out;
  for (const auto& l : n.labels()) {
    out += "[" + l + "]";
  }
  return out;
}

// --- Decoding real packets. ---

TEST(DnsDecodeTest, Rfc1035CompressionExample) {
  Message m = MustDecode(kRfc1035Example);
  ASSERT_EQ(m.answers.size(), 4u);
  EXPECT_EQ(Labels(m.answers[0].name), "[F][ISI][ARPA]");
  EXPECT_EQ(Labels(m.answers[1].name), "[FOO][F][ISI][ARPA]");
  EXPECT_EQ(Labels(m.answers[2].name), "[ARPA]");
  EXPECT_TRUE(m.answers[3].name.IsRoot());
  EXPECT_EQ(std::get<RdataName>(m.answers[2].rdata).name, N("f.isi.arpa"));
  EXPECT_EQ(std::get<RdataName>(m.answers[3].rdata).name, N("foo.f.isi.arpa"));
  EXPECT_EQ(std::get<RdataA>(m.answers[1].rdata).address,
            (std::array<std::uint8_t, 4>{10, 0, 0, 2}));
}

TEST(DnsDecodeTest, AAnswer) {
  Message m = MustDecode(kA);
  EXPECT_EQ(m.header.id, 0xabcd);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  EXPECT_TRUE(m.header.ra);
  EXPECT_FALSE(m.header.aa);
  EXPECT_FALSE(m.header.tc);
  EXPECT_EQ(m.header.rcode, 0);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, N("example.com"));
  EXPECT_EQ(m.questions[0].type, 1);
  EXPECT_EQ(m.questions[0].klass, 1);
  ASSERT_EQ(m.answers.size(), 1u);
  const Record& r = m.answers[0];
  EXPECT_EQ(r.name, N("example.com"));
  EXPECT_EQ(r.type, static_cast<std::uint16_t>(RrType::kA));
  EXPECT_EQ(r.ttl, 300u);
  EXPECT_EQ(std::get<RdataA>(r.rdata).address, (std::array<std::uint8_t, 4>{192, 0, 2, 1}));
  EXPECT_EQ(RdataToString(r), "192.0.2.1");
  EXPECT_TRUE(m.authority.empty());
  EXPECT_TRUE(m.additional.empty());
}

TEST(DnsDecodeTest, AaaaAnswer) {
  Message m = MustDecode(kAaaa);
  ASSERT_EQ(m.answers.size(), 1u);
  const auto& a = std::get<RdataAaaa>(m.answers[0].rdata).address;
  EXPECT_EQ(a[0], 0x20);
  EXPECT_EQ(a[3], 0xb8);
  EXPECT_EQ(a[15], 0x01);
  EXPECT_EQ(RdataToString(m.answers[0]), "2001:db8::1");
}

TEST(DnsDecodeTest, MxAnswerWithCompression) {
  Message m = MustDecode(kMx);
  EXPECT_TRUE(m.header.aa);
  ASSERT_EQ(m.answers.size(), 2u);
  const auto& mx1 = std::get<RdataMx>(m.answers[0].rdata);
  const auto& mx2 = std::get<RdataMx>(m.answers[1].rdata);
  EXPECT_EQ(mx1.preference, 10);
  EXPECT_EQ(Labels(mx1.exchange), "[mx1][example][com]");
  EXPECT_EQ(mx2.preference, 20);
  EXPECT_EQ(mx2.exchange, N("mx2.example.com"));
  ASSERT_EQ(m.additional.size(), 1u);
  EXPECT_EQ(m.additional[0].name, N("mx1.example.com"));
  EXPECT_EQ(RdataToString(m.answers[0]), "10 mx1.example.com.");
  EXPECT_EQ(RdataToString(m.additional[0]), "192.0.2.2");
  EXPECT_EQ(m.answers[0].ttl, 3600u);
}

TEST(DnsDecodeTest, TxtKeepsCharacterStringsApart) {
  Message m = MustDecode(kTxt);
  ASSERT_EQ(m.answers.size(), 1u);
  const auto& t = std::get<RdataTxt>(m.answers[0].rdata);
  EXPECT_EQ(t.strings, (std::vector<std::string>{"v=spf1", "", " -all"}));
  EXPECT_EQ(RdataToString(m.answers[0]), R"("v=spf1" "" " -all")");
}

TEST(DnsDecodeTest, CnameChain) {
  Message m = MustDecode(kCnameChain);
  ASSERT_EQ(m.answers.size(), 3u);
  EXPECT_EQ(m.answers[0].name, N("www.example.com"));
  EXPECT_EQ(std::get<RdataName>(m.answers[0].rdata).name, N("web.example.com"));
  EXPECT_EQ(m.answers[1].name, N("web.example.com"));
  EXPECT_EQ(std::get<RdataName>(m.answers[1].rdata).name, N("cdn.example.net"));
  EXPECT_EQ(m.answers[2].name, N("cdn.example.net"));
  EXPECT_EQ(RdataToString(m.answers[0]), "web.example.com.");
  EXPECT_EQ(RdataToString(m.answers[2]), "192.0.2.7");
}

TEST(DnsDecodeTest, NxDomainWithSoa) {
  Message m = MustDecode(kNxDomain);
  EXPECT_EQ(m.header.rcode, static_cast<std::uint8_t>(Rcode::kNxDomain));
  EXPECT_EQ(m.ExtendedRcode(), 3);
  EXPECT_EQ(RcodeName(m.header.rcode), "NXDOMAIN");
  EXPECT_TRUE(m.answers.empty());
  ASSERT_EQ(m.authority.size(), 1u);
  const Record& r = m.authority[0];
  EXPECT_EQ(r.name, N("example.com"));
  const auto& soa = std::get<RdataSoa>(r.rdata);
  EXPECT_EQ(soa.mname, N("ns1.example.com"));
  EXPECT_EQ(soa.rname, N("hostmaster.example.com"));
  EXPECT_EQ(soa.serial, 2024010101u);
  EXPECT_EQ(soa.refresh, 7200u);
  EXPECT_EQ(soa.retry, 3600u);
  EXPECT_EQ(soa.expire, 1209600u);
  EXPECT_EQ(soa.minimum, 300u);
  EXPECT_EQ(RdataToString(r),
            "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300");
}

TEST(DnsDecodeTest, NoData) {
  Message m = MustDecode(kNoData);
  EXPECT_EQ(m.header.rcode, 0);
  EXPECT_TRUE(m.answers.empty());
  ASSERT_EQ(m.authority.size(), 1u);
  EXPECT_EQ(m.authority[0].type, static_cast<std::uint16_t>(RrType::kSoa));
  EXPECT_EQ(m.questions[0].type, static_cast<std::uint16_t>(RrType::kAaaa));
}

TEST(DnsDecodeTest, NullMx) {
  Message m = MustDecode(kNullMx);
  ASSERT_EQ(m.answers.size(), 1u);
  const auto& mx = std::get<RdataMx>(m.answers[0].rdata);
  EXPECT_EQ(mx.preference, 0);
  EXPECT_TRUE(mx.exchange.IsRoot());
  EXPECT_EQ(RdataToString(m.answers[0]), "0 .");
}

TEST(DnsDecodeTest, EdnsQuery) {
  Message m = MustDecode(kEdnsQuery);
  EXPECT_FALSE(m.header.qr);
  EXPECT_TRUE(m.header.rd);
  EXPECT_TRUE(m.header.ad);
  ASSERT_EQ(m.additional.size(), 1u);
  const Record* opt = m.Opt();
  ASSERT_NE(opt, nullptr);
  EXPECT_TRUE(opt->name.IsRoot());
  EXPECT_EQ(opt->klass, 1232);
  EXPECT_EQ(opt->ttl, 0x8000u);  // DO
  EXPECT_EQ(std::get<RdataRaw>(opt->rdata).bytes, Hex("000a 0008 0102030405060708"));
  EXPECT_EQ(RdataToString(*opt), "\\# 12 000a00080102030405060708");
  EXPECT_EQ(m.ExtendedRcode(), 0);
}

TEST(DnsDecodeTest, UnknownTypeKeptRaw) {
  Message m = MustDecode(kUnknownType);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].type, 65280);
  EXPECT_EQ(std::get<RdataRaw>(m.answers[0].rdata).bytes, Hex("010203"));
  EXPECT_EQ(RdataToString(m.answers[0]), "\\# 3 010203");
  EXPECT_EQ(RrTypeName(m.answers[0].type), "TYPE65280");
}

// RFC 3597 §4: names in the RDATA of MB, MG, MR, MD, MF (one) and MINFO
// (two) may be compressed; they are decompressed and the RDATA kept raw in
// uncompressed form, so it means the same once written elsewhere.
TEST(DnsDecodeTest, ObsoleteNameTypesAreDecompressed) {
  // Question "a." at 12; MB a. -> pointer to 12; MINFO a. -> "b" + pointer,
  // pointer.
  const std::string wire =
      Hex("0000 8000 0001 0002 0000 0000 01 61 00 0001 0001"
          "c00c 0007 0001 00000000 0002 c00c"
          "c00c 000e 0001 00000000 0006 01 62 c00c c00c");
  Message m = MustDecode(wire);
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(std::get<RdataRaw>(m.answers[0].rdata).bytes, Hex("01 61 00"));
  EXPECT_EQ(std::get<RdataRaw>(m.answers[1].rdata).bytes, Hex("01 62 01 61 00 01 61 00"));
  // Written again (at other offsets) and read back: the same names.
  auto again = Encode(m);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(MustDecode(*again), m);
  // A name that runs past RDATA, or RDATA left over after the names.
  EXPECT_EQ(Err(Decode(Hex("0000 8000 0001 0001 0000 0000 01 61 00 0001 0001"
                           "c00c 0009 0001 00000000 0002 01 61"))),
            "dns.wire.rdata_length@33");
  EXPECT_EQ(Err(Decode(Hex("0000 8000 0001 0001 0000 0000 01 61 00 0001 0001"
                           "c00c 0009 0001 00000000 0003 c00c ff"))),
            "dns.wire.rdata_length@33");
}

TEST(DnsDecodeTest, HeaderBits) {
  // ID 0x0102; QR, opcode 2, AA, TC, RD; RA, Z, AD, CD, rcode 5.
  Message m = MustDecode(Hex("0102 97 f5 0000 0000 0000 0000"));
  EXPECT_EQ(m.header.id, 0x0102);
  EXPECT_TRUE(m.header.qr);
  EXPECT_EQ(m.header.opcode, 2);
  EXPECT_TRUE(m.header.aa && m.header.tc && m.header.rd);
  EXPECT_TRUE(m.header.ra && m.header.z && m.header.ad && m.header.cd);
  EXPECT_EQ(m.header.rcode, 5);
  EXPECT_EQ(*Encode(m), Hex("0102 97 f5 0000 0000 0000 0000"));
  Message zero = MustDecode(Hex("0000 0000 0000 0000 0000 0000"));
  EXPECT_EQ(zero, Message());
}

TEST(DnsDecodeTest, SpanAndStringViewAgree) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(kMx.data());
  auto a = Decode(std::span<const std::uint8_t>(p, kMx.size()));
  auto b = Decode(std::string_view(kMx));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

// --- Every error, with its offset. ---

TEST(DnsDecodeErrorTest, TruncatedHeader) {
  EXPECT_EQ(Err(Decode(Hex("abcd 8180 00"))), "dns.wire.truncated@0");
  EXPECT_EQ(Err(Decode(std::string_view())), "dns.wire.truncated@0");
}

TEST(DnsDecodeErrorTest, TruncatedInsideSections) {
  // Cut in the question name's "com" label (length octet at 20).
  EXPECT_EQ(Err(Decode(kA.substr(0, 22))), "dns.wire.truncated@20");
  // Cut before the question's root octet (at 24).
  EXPECT_EQ(Err(Decode(kA.substr(0, 24))), "dns.wire.truncated@24");
  // Cut in the question's type and class (at 25).
  EXPECT_EQ(Err(Decode(kA.substr(0, 27))), "dns.wire.truncated@25");
  // Cut in the owner's pointer (at 29).
  EXPECT_EQ(Err(Decode(kA.substr(0, 30))), "dns.wire.truncated@29");
  // Cut in TYPE..RDLENGTH (at 31).
  EXPECT_EQ(Err(Decode(kA.substr(0, 36))), "dns.wire.truncated@31");
  // A record the header announces but that is not there.
  EXPECT_EQ(Err(Decode(kA.substr(0, 29))), "dns.wire.truncated@29");
}

TEST(DnsDecodeErrorTest, TruncatedRdata) {
  // RDLENGTH 4 at 39, but only two octets follow at 41.
  auto r = Decode(kA.substr(0, kA.size() - 2));
  EXPECT_EQ(Err(r), "dns.wire.truncated@41");
  EXPECT_EQ(r.error().detail, "RDLENGTH 4, 2 octets remain");
}

TEST(DnsDecodeErrorTest, ForwardPointer) {
  // Question name at 12 is a pointer to 32 (past itself).
  EXPECT_EQ(Err(Decode(Hex("0000 0000 0001 0000 0000 0000 c020 0001 0001"))),
            "dns.wire.pointer_forward@12");
  // An answer owner pointing at the answer's own RDATA (41 > 29).
  std::string m = kA;
  m[30] = 0x29;
  EXPECT_EQ(Err(Decode(m)), "dns.wire.pointer_forward@29");
}

TEST(DnsDecodeErrorTest, PointerToItself) {
  EXPECT_EQ(Err(Decode(Hex("0000 0000 0001 0000 0000 0000 c00c 0001 0001"))),
            "dns.wire.pointer_forward@12");
}

TEST(DnsDecodeErrorTest, PointerLoopAttempts) {
  // "a" at 12, then a pointer at 14 back to 12: backwards from the pointer,
  // but to the start of its own name, which would loop.
  EXPECT_EQ(Err(Decode(Hex("0000 0000 0001 0000 0000 0000 01 61 c00c 0001 0001"))),
            "dns.wire.pointer_forward@14");
  // Two hops: the header reads as the label "A" (01 41) followed by a
  // pointer to 12 (c0 0c); the question at 12 points to 0. 12 → 0 → 12
  // would loop; the second pointer (at 2) is not below 0, where its run of
  // labels began.
  // The same through the header: the pointer to 0 is refused first, as no
  // name can lie in the 12-octet header.
  EXPECT_EQ(Err(Decode(Hex("0141 c00c 0001 0000 0000 0000 c000 0001 0001"))),
            "dns.wire.pointer_header@12");
}

TEST(DnsDecodeErrorTest, PointerIntoTheHeader) {
  // The question "a" then a pointer to 0, 4 and 11: each in the header.
  for (const char* target : {"00", "04", "0b"}) {
    EXPECT_EQ(Err(Decode(Hex(std::string("0161 0100 0001 0000 0000 0000 01 61 c0") + target +
                             " 0001 0001"))),
              "dns.wire.pointer_header@14")
        << target;
  }
  // 12, where the question starts, is the first target allowed.
  EXPECT_EQ(Err(Decode(Hex("0000 8000 0001 0001 0000 0000 01 61 00 0001 0001"
                           "c00c 0001 0001 00000000 0004 c0000201"))),
            "ok");
}

TEST(DnsDecodeErrorTest, PointerHops) {
  // One hop allowed: the second answer's owner (51, to web.example.com at
  // 45) is one, the pointer at 49 to example.com a second.
  EXPECT_EQ(Err(Decode(kCnameChain, DecodeLimits{.max_pointer_hops = 1})),
            "dns.wire.pointer_hops@49");
  EXPECT_EQ(Err(Decode(kCnameChain, DecodeLimits{.max_pointer_hops = 2})), "ok");
  // No pointers at all.
  EXPECT_EQ(Err(Decode(kA, DecodeLimits{.max_pointer_hops = 0})), "dns.wire.pointer_hops@29");
}

// A message whose first answer (TYPE65280, raw) holds "x." at 23 and
// `chain` pointers from 26 on, each to the one before (the first to 23);
// the second answer's owner points to the last: chain + 1 hops.
std::string PointerChain(std::size_t chain) {
  std::string m = Hex("0000 8000 0000 0002 0000 0000");
  m += Hex("00 ff00 0001 00000000");  // 12: root TYPE65280 IN TTL 0
  const std::size_t rdlength = 3 + 2 * chain;
  m += static_cast<char>(rdlength >> 8);
  m += static_cast<char>(rdlength & 0xff);
  m += Hex("01 78 00");  // 23: x.
  std::size_t prev = 23;
  for (std::size_t i = 0; i < chain; ++i) {
    const std::size_t at = m.size();
    m += static_cast<char>(0xc0 | (prev >> 8));
    m += static_cast<char>(prev & 0xff);
    prev = at;
  }
  m += static_cast<char>(0xc0 | (prev >> 8));
  m += static_cast<char>(prev & 0xff);
  m += Hex("0001 0001 00000000 0004 c0000201");
  return m;
}

TEST(DnsDecodeErrorTest, PointerHopsDefaultLimit) {
  Message m = MustDecode(PointerChain(63));  // 64 hops: the default limit
  ASSERT_EQ(m.answers.size(), 2u);
  EXPECT_EQ(Labels(m.answers[1].name), "[x]");
  // 65 hops: the pointer at 26 (to 23) is the 65th.
  EXPECT_EQ(Err(Decode(PointerChain(64))), "dns.wire.pointer_hops@26");
}

TEST(DnsDecodeErrorTest, BadLabelTypes) {
  EXPECT_EQ(Err(Decode(Hex("0000 0000 0001 0000 0000 0000 41 00 0001 0001"))),
            "dns.wire.bad_label_type@12");
  EXPECT_EQ(Err(Decode(Hex("0000 0000 0001 0000 0000 0000 01 61 81 00 0001 0001"))),
            "dns.wire.bad_label_type@14");
}

// A query whose question name is made of `labels` labels of the given sizes.
std::string QueryWithLabels(const std::vector<std::size_t>& sizes) {
  std::string m = Hex("0000 0000 0001 0000 0000 0000");
  for (std::size_t s : sizes) {
    m += static_cast<char>(s);
    m += std::string(s, 'a');
  }
  m += Hex("00 0001 0001");
  return m;
}

TEST(DnsDecodeErrorTest, NameLength) {
  // 63 + 63 + 63 + 61 octets: 4 * 1 + 250 + 1 = 255 octets, the most.
  Message m = MustDecode(QueryWithLabels({63, 63, 63, 61}));
  EXPECT_EQ(m.questions[0].name.WireLength(), 255u);
  // One more: 256 octets; the fourth label's length octet is at 12 + 192.
  EXPECT_EQ(Err(Decode(QueryWithLabels({63, 63, 63, 62}))), "dns.wire.name_too_long@204");
  // 127 one-octet labels (255 octets) are fine; the 128th (at 12 + 254) is not.
  EXPECT_EQ(Err(Decode(QueryWithLabels(std::vector<std::size_t>(127, 1)))), "ok");
  EXPECT_EQ(Err(Decode(QueryWithLabels(std::vector<std::size_t>(128, 1)))),
            "dns.wire.name_too_long@266");
  // Through a pointer: 3 * 63 at 12 (ends at 204), then a name of one
  // 63-octet label pointing at it: 64 + 193 = 257 octets, too many once
  // the third 63-octet label (at 140) is added.
  std::string p = Hex("0000 0000 0002 0000 0000 0000");
  for (int i = 0; i < 3; ++i) {
    p += static_cast<char>(63);
    p += std::string(63, 'b');
  }
  p += Hex("00 0001 0001");    // 204: root, 205: A IN
  p += static_cast<char>(63);  // 209
  p += std::string(63, 'c');
  p += Hex("c00c 0001 0001");  // 273: pointer to 12
  EXPECT_EQ(Err(Decode(p)), "dns.wire.name_too_long@140");
}

TEST(DnsDecodeErrorTest, TrailingBytes) {
  EXPECT_EQ(Err(Decode(kA + Hex("00"))), "dns.wire.trailing_bytes@45");
  EXPECT_EQ(Err(Decode(Hex("0000 0000 0000 0000 0000 0000 ff"))), "dns.wire.trailing_bytes@12");
}

TEST(DnsDecodeErrorTest, AddressLengths) {
  // A with RDLENGTH 5 (at 39): bad_address_length at the RDLENGTH field.
  std::string a = kA.substr(0, 39) + Hex("0005 c0000201 07");
  EXPECT_EQ(Err(Decode(a)), "dns.wire.bad_address_length@39");
  std::string a3 = kA.substr(0, 39) + Hex("0003 c00002");
  EXPECT_EQ(Err(Decode(a3)), "dns.wire.bad_address_length@39");
  // AAAA with 4 octets.
  std::string aaaa = kAaaa.substr(0, 39) + Hex("0004 20010db8");
  EXPECT_EQ(Err(Decode(aaaa)), "dns.wire.bad_address_length@39");
}

TEST(DnsDecodeErrorTest, TxtStringOverrunsRdata) {
  // RDATA of 3 octets at 41: a string of 5 that has only 2.
  std::string m = kTxt.substr(0, 39) + Hex("0003 05 6162");
  EXPECT_EQ(Err(Decode(m)), "dns.wire.txt_string@41");
  // The second string (at 44) overruns; the message goes on after RDATA.
  std::string m2 = kTxt.substr(0, 10) + Hex("0001") + kTxt.substr(12, 27) +
                   Hex("0004 02 6869 02 6a") + Hex("c00c 0001 0001 00000000 0004 c0000201");
  EXPECT_EQ(Err(Decode(m2)), "dns.wire.txt_string@44");
}

TEST(DnsDecodeErrorTest, RdataLength) {
  // MX with one octet of RDATA (at 41).
  EXPECT_EQ(Err(Decode(kMx.substr(0, 39) + Hex("0001 00"))), "dns.wire.rdata_length@41");
  // MX whose exchange name runs past RDATA (RDLENGTH 4: 000a 03 6d).
  std::string mx = kNullMx.substr(0, 39) + Hex("0004 000a 03 6d 78");
  EXPECT_EQ(Err(Decode(mx.substr(0, 45))), "dns.wire.rdata_length@43");
  // MX with an octet after the exchange (at 44).
  EXPECT_EQ(Err(Decode(kNullMx.substr(0, 39) + Hex("0004 0000 00 ff"))),
            "dns.wire.rdata_length@44");
  // CNAME RDATA (at 45) of 5 octets: "web" and half a pointer (at 49).
  std::string c = kCnameChain.substr(0, 43) + Hex("0005 03 776562 c0");
  EXPECT_EQ(Err(Decode(c + kCnameChain.substr(51))), "dns.wire.rdata_length@49");
  // SOA with 19 octets of numbers (at 65).
  std::string soa = kNxDomain.substr(0, 44) + Hex("0026") + kNxDomain.substr(46, 38);
  EXPECT_EQ(Err(Decode(soa)), "dns.wire.rdata_length@65");
}

TEST(DnsDecodeErrorTest, TooManyRecords) {
  DecodeLimits small;
  small.max_records = 1;
  EXPECT_EQ(Err(Decode(kMx, small)), "dns.wire.too_many_records@6");  // ANCOUNT 2
  EXPECT_EQ(Err(Decode(kA, small)), "ok");
  // A header announcing 65535 additional records in 12 octets: truncated,
  // with nothing allocated for them.
  EXPECT_EQ(Err(Decode(Hex("0000 0000 0000 0000 0000 ffff"))), "dns.wire.too_many_records@10");
  DecodeLimits big;
  big.max_records = 65535;
  EXPECT_EQ(Err(Decode(Hex("0000 0000 0000 0000 0000 ffff"), big)), "dns.wire.truncated@12");
}

// RFC 6891 §6.1.1 and §6.1.2. The query "a." A IN (12..18), then records
// at 19; "00 0029 04d0 00000000 LLLL ..." is an OPT owned by the root.
TEST(DnsDecodeErrorTest, OptRecordRules) {
  const std::string q = "0000 0000 0001 %s 01 61 00 0001 0001 ";
  auto with = [&](const char* counts, const std::string& records) {
    std::string h = q;
    h.replace(h.find("%s"), 2, counts);
    return Decode(Hex(h + records));
  };
  const std::string opt = "00 0029 04d0 00000000 0000";
  EXPECT_EQ(Err(with("0000 0000 0001", opt)), "ok");
  // In the answer or the authority section.
  EXPECT_EQ(Err(with("0001 0000 0000", opt)), "dns.wire.opt_section@19");
  EXPECT_EQ(Err(with("0000 0001 0000", opt)), "dns.wire.opt_section@19");
  // Two, the second at 30.
  EXPECT_EQ(Err(with("0000 0000 0002", opt + opt)), "dns.wire.opt_duplicate@30");
  // Owned by "a." (a pointer to 12) rather than the root.
  EXPECT_EQ(Err(with("0000 0000 0001", "c00c 0029 04d0 00000000 0000")), "dns.wire.opt_owner@19");
  // Options: a whole one (code 10, length 2) is fine; a header cut short at
  // 30 or a length past RDATA's end is not.
  EXPECT_EQ(Err(with("0000 0000 0001", "00 0029 04d0 00000000 0006 000a 0002 abcd")), "ok");
  EXPECT_EQ(Err(with("0000 0000 0001", "00 0029 04d0 00000000 0003 000a 00")),
            "dns.wire.opt_options@30");
  EXPECT_EQ(Err(with("0000 0000 0001", "00 0029 04d0 00000000 0006 000a 0003 abcd")),
            "dns.wire.opt_options@30");
  EXPECT_EQ(Err(with("0000 0000 0001", "00 0029 04d0 00000000 000a 000a 0002 abcd 000c 0001")),
            "dns.wire.opt_options@36");
  // Another record of the additional section beside the one OPT is fine.
  EXPECT_EQ(Err(with("0000 0000 0002", "c00c 0001 0001 00000000 0004 c0000201 " + opt)), "ok");
}

TEST(DnsDecodeTest, QuestionOnlyReadsTheHeaderAndTheQuestion) {
  // TC set, one answer announced, the answer cut after its owner name.
  const std::string cut = Hex("1234 8380 0001 0001 0000 0000 01 61 00 0001 0001 c00c 0001");
  EXPECT_EQ(Err(Decode(cut)), "dns.wire.truncated@21");
  DecodeLimits head;
  head.question_only = true;
  Message m = MustDecode(cut, head);
  EXPECT_EQ(m.header.id, 0x1234);
  EXPECT_TRUE(m.header.tc);
  ASSERT_EQ(m.questions.size(), 1u);
  EXPECT_EQ(m.questions[0].name, N("a"));
  EXPECT_TRUE(m.answers.empty() && m.authority.empty() && m.additional.empty());
  // The question itself must still read.
  EXPECT_EQ(Err(Decode(Hex("1234 8380 0001 0001 0000 0000 01 61 00 0001"), head)),
            "dns.wire.truncated@15");
}

TEST(DnsDecodeErrorTest, DiagnosticsAreErrorsWithText) {
  auto r = Decode(Hex("0000 0000 0001 0000 0000 0000 c00c 0001 0001"));
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics().size(), 1u);
  EXPECT_TRUE(r.error().IsError());
  EXPECT_FALSE(r.error().message.empty());
  EXPECT_EQ(r.error().detail, "pointer to 12, must be below 12");
}

// --- Round trips. ---

TEST(DnsEncodeTest, EveryPacketRoundTrips) {
  for (const auto& [name, wire] : kPackets) {
    SCOPED_TRACE(name);
    Message m = MustDecode(*wire);
    auto compressed = Encode(m);
    auto plain = Encode(m, EncodeOptions{.compress = false});
    ASSERT_TRUE(compressed.ok()) << Err(compressed);
    ASSERT_TRUE(plain.ok()) << Err(plain);
    // The packets compress the way Encode does, so the bytes are the same.
    EXPECT_EQ(*compressed, *wire);
    EXPECT_EQ(MustDecode(*compressed), m);
    EXPECT_EQ(MustDecode(*plain), m);
    EXPECT_LE(compressed->size(), plain->size());
    // Case is kept exactly.
    EXPECT_EQ(*Encode(MustDecode(*plain)), *compressed);
  }
}

TEST(DnsEncodeTest, CompressionShortensRepeatedNames) {
  Message m = MustDecode(kMx);
  auto compressed = Encode(m);
  auto plain = Encode(m, EncodeOptions{.compress = false});
  ASSERT_TRUE(compressed.ok() && plain.ok());
  // Four repeats of example.com (13 octets → 2) and one of mx1.example.com.
  EXPECT_EQ(plain->size(), compressed->size() + std::size_t{4 * 11 + 15});
}

TEST(DnsEncodeTest, CompressionKeepsCase) {
  Message m;
  m.questions.push_back({N("Example.COM"), 1, 1});
  Record r;
  r.name = N("example.com");
  r.type = 1;
  r.rdata = RdataA{{192, 0, 2, 1}};
  m.answers.push_back(r);
  auto wire = Encode(m);
  ASSERT_TRUE(wire.ok());
  // The owner differs in case: written out, not pointed at the question.
  EXPECT_EQ(wire->size(), 12 + 17 + 13 + 14u);
  Message back = MustDecode(*wire);
  EXPECT_EQ(Labels(back.questions[0].name), "[Example][COM]");
  EXPECT_EQ(Labels(back.answers[0].name), "[example][com]");
}

TEST(DnsEncodeTest, PointerChainsStayShort) {
  // Owners n_k = ak.a(k-1)...a1, each one label longer than the last: a
  // greedy encoder would point each at the previous one, a chain of ~50.
  Message m;
  std::vector<std::string> labels;
  for (int k = 1; k <= 100; ++k) {
    labels.insert(labels.begin(), "a" + std::to_string(k));
    Name nk;
    for (const auto& l : labels) {
      nk.Append(l);
    }
    if (nk.WireLength() > 255) {
      break;
    }
    Record r;
    r.name = nk;
    r.type = 1;
    r.rdata = RdataA{};
    m.answers.push_back(r);
  }
  ASSERT_GT(m.answers.size(), 40u);
  auto wire = Encode(m);
  ASSERT_TRUE(wire.ok());
  DecodeLimits limits;
  limits.max_pointer_hops = 15;
  auto back = Decode(*wire, limits);
  ASSERT_TRUE(back.ok()) << Err(back);
  EXPECT_EQ(*back, m);
  EXPECT_LT(wire->size(), Encode(m, EncodeOptions{.compress = false})->size());
}

TEST(DnsEncodeTest, RdataNamesCompressOnlyInRfc1035Types) {
  Message m = MustDecode(kA);
  Record r;
  r.name = N("example.com");
  r.type = 39;  // DNAME (RFC 6672): never compressed
  r.rdata = RdataName{N("example.com")};
  m.answers.push_back(r);
  auto wire = Encode(m);
  ASSERT_TRUE(wire.ok());
  // The owner is a pointer (2), the RDATA written out (13).
  EXPECT_EQ(wire->size(), kA.size() + 2 + 10 + 13);
  EXPECT_EQ(wire->substr(kA.size() + 12), Hex("07 6578616d706c65 03 636f6d 00"));
}

TEST(DnsEncodeTest, PointersOnlyBelow0x4000) {
  Message m;
  Record big;
  big.type = 65280;
  big.rdata = RdataRaw{std::string(0x4000, 'x')};
  m.answers.push_back(big);
  for (int i = 0; i < 2; ++i) {
    Record r;
    r.name = N("late.example");
    r.type = 1;
    r.rdata = RdataA{};
    m.answers.push_back(r);
  }
  auto wire = Encode(m);
  ASSERT_TRUE(wire.ok());
  // Both owners written out: the first lies beyond 0x3fff.
  EXPECT_EQ(wire->size(), 12 + 11 + 0x4000 + 2 * (14 + 14u));
  EXPECT_EQ(MustDecode(*wire), m);
}

TEST(DnsEncodeTest, Errors) {
  Message m;
  Name long_label;
  long_label.Append(std::string(64, 'a'));
  m.questions.push_back({long_label, 1, 1});
  EXPECT_EQ(Err(Encode(m)), "dns.encode.name@12");
  Name empty_label;
  empty_label.Append("");
  m.questions[0].name = empty_label;
  EXPECT_EQ(Err(Encode(m)), "dns.encode.name@12");
  Name too_long;
  for (int i = 0; i < 4; ++i) {
    too_long.Append(std::string(63, 'a'));
  }
  m.questions[0].name = too_long;
  EXPECT_EQ(Err(Encode(m, EncodeOptions{.compress = false})), "dns.encode.name@12");

  Message t;
  Record txt;
  txt.type = 16;
  txt.rdata = RdataTxt{{"ok", std::string(256, 'x')}};
  t.answers.push_back(txt);
  EXPECT_EQ(Err(Encode(t)), "dns.encode.txt@26");  // 12 + 11 + "ok" (3)

  Message r;
  Record raw;
  raw.type = 65280;
  raw.rdata = RdataRaw{std::string(65536, 'x')};
  r.answers.push_back(raw);
  EXPECT_EQ(Err(Encode(r)), "dns.encode.too_large@23");
  raw.rdata = RdataRaw{std::string(65535, 'x')};
  r.answers[0] = raw;
  EXPECT_EQ(Err(Encode(r)), "ok");
}

TEST(DnsEncodeTest, EncodeNameMatchesHandBytes) {
  std::string out;
  EncodeName(N("example.com"), out);
  EXPECT_EQ(out, Hex("07 6578616d706c65 03 636f6d 00"));
  out.clear();
  EncodeName(Name(), out);
  EXPECT_EQ(out, Hex("00"));
  out.clear();
  EncodeName(N(R"(a\.b.\000)"), out);
  EXPECT_EQ(out, Hex("03 612e62 01 00 00"));
  out.clear();
  EncodeName(N("F.ISI.ARPA"), out);
  EXPECT_EQ(out, kRfc1035Example.substr(20, 12));
}

// --- Names. ---

TEST(DnsNameTest, ParseAndToString) {
  Name n = N("Example.COM.");
  EXPECT_EQ(Labels(n), "[Example][COM]");
  EXPECT_EQ(n.ToString(), "Example.COM");
  EXPECT_EQ(n.WireLength(), 13u);
  EXPECT_EQ(N("example.com").labels(), n.Folded().labels());
  EXPECT_EQ(N("_dmarc.example.com").ToString(), "_dmarc.example.com");
  EXPECT_EQ(N("a-b.c").ToString(), "a-b.c");
}

TEST(DnsNameTest, Escapes) {
  EXPECT_EQ(Labels(N(R"(a\.b.c)")), "[a.b][c]");
  EXPECT_EQ(N(R"(a\.b.c)").ToString(), R"(a\.b.c)");
  EXPECT_EQ(Labels(N(R"(a\\b)")), "[a\\b]");
  EXPECT_EQ(N(R"(a\\b)").ToString(), R"(a\\b)");
  EXPECT_EQ(Labels(N(R"(\065bc)")), "[Abc]");
  EXPECT_EQ(N(R"(\065bc)").ToString(), "Abc");
  EXPECT_EQ(N(R"(\000)").labels()[0], std::string(1, '\0'));
  EXPECT_EQ(N(R"(\000.x)").ToString(), R"(\000.x)");
  EXPECT_EQ(N(R"(\255)").labels()[0], "\xff");
  EXPECT_EQ(N(R"(\255)").ToString(), R"(\255)");
  EXPECT_EQ(N("a b").ToString(), R"(a\032b)");
  EXPECT_EQ(N("*.example").ToString(), "*.example");  // a wildcard stays readable
  EXPECT_EQ(N("_dmarc.a/b.example").ToString(), "_dmarc.a/b.example");
  EXPECT_EQ(N(R"(\"\(\)\;\@\$)").ToString(), R"(\"\(\)\;\@\$)");  // the specials
  EXPECT_EQ(Labels(N(R"(\x\y)")), "[xy]");                        // \X is X (RFC 1035 §5.1)
  // Every octet survives ToString → Parse (two names of 4 * 32 octets).
  for (int half = 0; half < 2; ++half) {
    Name all;
    for (int i = half * 128; i < half * 128 + 128; i += 32) {
      std::string l;
      for (int j = i; j < i + 32; ++j) {
        l += static_cast<char>(j);
      }
      all.Append(l);
    }
    auto back = Name::Parse(all.ToString());
    ASSERT_TRUE(back.ok()) << Err(back);
    EXPECT_EQ(back->labels(), all.labels());
  }
}

TEST(DnsNameTest, ParseErrors) {
  EXPECT_EQ(Err(Name::Parse("a..b")), "dns.name.empty_label@2");
  EXPECT_EQ(Err(Name::Parse(".a")), "dns.name.empty_label@0");
  EXPECT_EQ(Err(Name::Parse("..")), "dns.name.empty_label@0");
  EXPECT_EQ(Err(Name::Parse("a..")), "dns.name.empty_label@2");
  EXPECT_EQ(Err(Name::Parse("a\\")), "dns.name.syntax@1");
  EXPECT_EQ(Err(Name::Parse("\\25")), "dns.name.syntax@0");
  EXPECT_EQ(Err(Name::Parse("x.\\2a5")), "dns.name.syntax@2");
  EXPECT_EQ(Err(Name::Parse("\\256")), "dns.name.syntax@0");
  EXPECT_EQ(Err(Name::Parse(std::string(63, 'a'))), "ok");
  EXPECT_EQ(Err(Name::Parse(std::string(64, 'a'))), "dns.name.label_too_long@0");
  EXPECT_EQ(Err(Name::Parse("x." + std::string(64, 'a') + ".y")), "dns.name.label_too_long@2");
  // 63 octets written with escapes still count as 63.
  std::string escaped;
  for (int i = 0; i < 63; ++i) {
    escaped += "\\046";
  }
  EXPECT_EQ(N(escaped).labels()[0].size(), 63u);
  EXPECT_EQ(Err(Name::Parse(escaped + "a")), "dns.name.label_too_long@0");
  // 255 octets: fine; 256: too long, at the label that crosses.
  const std::string l63(63, 'a');
  EXPECT_EQ(N(l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b')).WireLength(), 255u);
  EXPECT_EQ(Err(Name::Parse(l63 + "." + l63 + "." + l63 + "." + std::string(62, 'b'))),
            "dns.name.too_long@192");
  std::string many;
  for (int i = 0; i < 128; ++i) {
    many += "a.";
  }
  EXPECT_EQ(Err(Name::Parse(many)), "dns.name.too_long@254");
  EXPECT_EQ(Err(Name::Parse(many.substr(2))), "ok");
}

TEST(DnsNameTest, Root) {
  for (const char* root : {"", "."}) {
    Name n = N(root);
    EXPECT_TRUE(n.IsRoot());
    EXPECT_EQ(n.ToString(), ".");
    EXPECT_EQ(n.WireLength(), 1u);
    EXPECT_EQ(n, Name());
  }
  EXPECT_FALSE(N("a").IsRoot());
}

TEST(DnsNameTest, CaseInsensitiveEquality) {
  EXPECT_EQ(N("Example.COM"), N("example.com."));
  EXPECT_NE(N("example.com"), N("example.org"));
  EXPECT_NE(N("example.com"), N("www.example.com"));
  EXPECT_NE(N("a.b"), N("ab"));
  // Only ASCII letters fold.
  EXPECT_NE(N("\\196"), N("\\228"));  // Ä, ä in Latin-1
  EXPECT_NE(N("["), N("{"));          // 0x5b vs 0x7b
  EXPECT_EQ(Labels(N("ExAmPle.\\196").Folded()), "[example][\xc4]");
}

TEST(DnsNameTest, IsSubdomainOf) {
  EXPECT_TRUE(N("www.Example.com").IsSubdomainOf(N("example.COM")));
  EXPECT_TRUE(N("example.com").IsSubdomainOf(N("example.com")));
  EXPECT_TRUE(N("example.com").IsSubdomainOf(Name()));
  EXPECT_TRUE(Name().IsSubdomainOf(Name()));
  EXPECT_FALSE(Name().IsSubdomainOf(N("com")));
  EXPECT_FALSE(N("example.com").IsSubdomainOf(N("www.example.com")));
  EXPECT_FALSE(N("xexample.com").IsSubdomainOf(N("example.com")));
  EXPECT_FALSE(N("example.com.org").IsSubdomainOf(N("example.com")));
}

TEST(DnsNameTest, CanonicalOrder) {
  // RFC 4034 §6.1's example, in order.
  const std::vector<Name> order = {
      N("example"),         N("a.example"),      N("yljkjljk.a.example"),
      N("Z.a.example"),     N("zABC.a.EXAMPLE"), N("z.example"),
      N("\\001.z.example"), N("*.z.example"),    N("\\200.z.example"),
  };
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (std::size_t j = 0; j < order.size(); ++j) {
      EXPECT_EQ(order[i] < order[j], i < j) << order[i].ToString() << " " << order[j].ToString();
    }
  }
  EXPECT_FALSE(N("EXAMPLE") < N("example"));
  EXPECT_FALSE(N("example") < N("EXAMPLE"));
  EXPECT_TRUE(Name() < N("example"));
}

// --- Queries, responses, types, rcodes. ---

TEST(DnsMessageTest, MakeQuery) {
  Message q = MakeQuery(0x4242, N("example.com"), static_cast<std::uint16_t>(RrType::kMx));
  EXPECT_EQ(q.header.id, 0x4242);
  EXPECT_FALSE(q.header.qr);
  EXPECT_TRUE(q.header.rd);
  EXPECT_EQ(q.header.opcode, 0);
  ASSERT_EQ(q.questions.size(), 1u);
  EXPECT_EQ(q.questions[0].name, N("example.com"));
  EXPECT_EQ(q.questions[0].type, 15);
  EXPECT_EQ(q.questions[0].klass, 1);
  ASSERT_NE(q.Opt(), nullptr);
  EXPECT_EQ(q.Opt()->klass, 1232);
  EXPECT_EQ(q.Opt()->ttl, 0u);
  EXPECT_TRUE(q.Opt()->name.IsRoot());
  EXPECT_TRUE(q.answers.empty() && q.authority.empty());
  // On the wire: header, question, then 00 0029 04d0 00000000 0000.
  auto wire = Encode(q);
  ASSERT_TRUE(wire.ok());
  EXPECT_EQ(*wire, Hex("4242 0100 0001 0000 0000 0001"
                       "07 6578616d706c65 03 636f6d 00 000f 0001"
                       "00 0029 04d0 00000000 0000"));
  Message plain = MakeQuery(1, N("example.com"), 1, 0);
  EXPECT_TRUE(plain.additional.empty());
  EXPECT_EQ(plain.Opt(), nullptr);
}

TEST(DnsMessageTest, MakeResponse) {
  Message q = MustDecode(kEdnsQuery);
  Message r = MakeResponse(q, Rcode::kServFail);
  EXPECT_EQ(r.header.id, 0x1234);
  EXPECT_TRUE(r.header.qr);
  EXPECT_TRUE(r.header.rd);
  EXPECT_FALSE(r.header.aa);
  EXPECT_EQ(r.header.rcode, 2);
  EXPECT_EQ(r.questions, q.questions);
  EXPECT_TRUE(r.answers.empty() && r.authority.empty() && r.additional.empty());
  Message no_rd = q;
  no_rd.header.rd = false;
  EXPECT_FALSE(MakeResponse(no_rd, Rcode::kNoError).header.rd);
}

TEST(DnsMessageTest, ExtendedRcode) {
  // Header rcode 0 and OPT extended rcode 1: 16 (BADVERS, RFC 6891 §9).
  Message m = MakeResponse(MakeQuery(7, N("example.com"), 1), Rcode::kNoError);
  Record opt;
  opt.type = static_cast<std::uint16_t>(RrType::kOpt);
  opt.klass = 1232;
  opt.ttl = 0x01000000;
  m.additional.push_back(opt);
  EXPECT_EQ(m.ExtendedRcode(), 16);
  EXPECT_EQ(RcodeName(static_cast<std::uint8_t>(m.ExtendedRcode())), "BADVERS");
  m.header.rcode = 3;
  m.additional[0].ttl = 0xff000000;
  EXPECT_EQ(m.ExtendedRcode(), 0xff3);
  // Two OPTs: none counts.
  m.additional.push_back(opt);
  EXPECT_EQ(m.Opt(), nullptr);
  EXPECT_EQ(m.ExtendedRcode(), 3);
}

TEST(DnsMessageTest, TypeAndRcodeNames) {
  EXPECT_EQ(RrTypeName(1), "A");
  EXPECT_EQ(RrTypeName(16), "TXT");
  EXPECT_EQ(RrTypeName(99), "SPF");
  EXPECT_EQ(RrTypeName(41), "OPT");
  EXPECT_EQ(RrTypeName(0), "TYPE0");
  EXPECT_EQ(RrTypeName(65535), "TYPE65535");
  EXPECT_EQ(ParseRrType("aaaa"), 28);
  EXPECT_EQ(ParseRrType("Mx"), 15);
  EXPECT_EQ(ParseRrType("TYPE65280"), 65280);
  EXPECT_EQ(ParseRrType("type16"), 16);
  EXPECT_EQ(ParseRrType("TYPE65536"), std::nullopt);
  EXPECT_EQ(ParseRrType("TYPE"), std::nullopt);
  EXPECT_EQ(ParseRrType("TYPE1x"), std::nullopt);
  EXPECT_EQ(ParseRrType("TYPE-1"), std::nullopt);
  EXPECT_EQ(ParseRrType("FOO"), std::nullopt);
  EXPECT_EQ(ParseRrType(""), std::nullopt);
  for (std::uint32_t t = 0; t <= 0xffff; t += 257) {
    EXPECT_EQ(ParseRrType(RrTypeName(static_cast<std::uint16_t>(t))), t);
  }
  EXPECT_EQ(RcodeName(0), "NOERROR");
  EXPECT_EQ(RcodeName(2), "SERVFAIL");
  EXPECT_EQ(RcodeName(5), "REFUSED");
  EXPECT_EQ(RcodeName(15), "RCODE15");
  EXPECT_EQ(RcodeName(255), "RCODE255");
}

TEST(DnsMessageTest, RdataToStringEachType) {
  Record r;
  r.rdata = RdataA{{192, 0, 2, 1}};
  EXPECT_EQ(RdataToString(r), "192.0.2.1");
  r.rdata = RdataAaaa{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}};
  EXPECT_EQ(RdataToString(r), "2001:db8::1");
  r.rdata = RdataName{N("ns1.example.com")};
  EXPECT_EQ(RdataToString(r), "ns1.example.com.");
  r.rdata = RdataName{Name()};
  EXPECT_EQ(RdataToString(r), ".");
  r.rdata = RdataMx{10, N("mx.example.com")};
  EXPECT_EQ(RdataToString(r), "10 mx.example.com.");
  r.rdata = RdataMx{0, Name()};
  EXPECT_EQ(RdataToString(r), "0 .");
  r.rdata = RdataTxt{{"v=spf1", " -all"}};
  EXPECT_EQ(RdataToString(r), R"("v=spf1" " -all")");
  r.rdata = RdataTxt{{"a\"b\\c\x01\x7f"}};
  EXPECT_EQ(RdataToString(r), R"("a\"b\\c\001\127")");
  r.rdata = RdataTxt{};
  EXPECT_EQ(RdataToString(r), "");
  r.rdata = RdataSoa{N("a.example"), N("b\\.c.example"), 1, 2, 3, 4, 5};
  EXPECT_EQ(RdataToString(r), "a.example. b\\.c.example. 1 2 3 4 5");
  r.rdata = RdataRaw{};
  EXPECT_EQ(RdataToString(r), "\\# 0");
  r.rdata = RdataRaw{Hex("00ff10")};
  EXPECT_EQ(RdataToString(r), "\\# 3 00ff10");
}

TEST(DnsMessageTest, EmptyTxtRdataReadsAsNoStrings) {
  std::string m = kTxt.substr(0, 39) + Hex("0000");
  Message d = MustDecode(m);
  EXPECT_TRUE(std::get<RdataTxt>(d.answers[0].rdata).strings.empty());
  EXPECT_EQ(*Encode(d), m);
}

TEST(DnsMessageTest, SpfTypeIsTxtShaped) {
  std::string m = kTxt;
  m[26] = 99;  // question type
  m[32] = 99;  // answer type
  Message d = MustDecode(m);
  EXPECT_EQ(d.answers[0].type, 99);
  EXPECT_EQ(std::get<RdataTxt>(d.answers[0].rdata).strings.size(), 3u);
}

}  // namespace
}  // namespace mxconform::dns

namespace mxconform::dns {
namespace {

TEST(NameFromDottedTest, TakesBackslashesAsBytes) {
  auto n = Name::FromDotted("a\\065.Example.com.");
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(n->labels().size(), 3u);
  EXPECT_EQ(n->labels()[0], "a\\065");  // Parse would read \065 as 'A'
  EXPECT_EQ(Name::Parse("a\\065.example.com")->labels()[0], "aA");
  EXPECT_TRUE(Name::FromDotted("")->IsRoot());
  EXPECT_TRUE(Name::FromDotted(".")->IsRoot());
  EXPECT_EQ(Name::FromDotted("a..b").error().id, "dns.name.empty_label");
  EXPECT_EQ(Name::FromDotted(std::string(64, 'x') + ".com").error().id, "dns.name.label_too_long");
  std::string long_name;
  for (int i = 0; i < 64; ++i) {
    long_name += "abc.";
  }
  EXPECT_EQ(Name::FromDotted(long_name).error().id, "dns.name.too_long");
}

}  // namespace
}  // namespace mxconform::dns
