#include "spf/ip.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>

namespace mxconform::spf {
namespace {

IpAddress V6(std::string_view s) {
  auto a = ParseIp6(s);
  EXPECT_TRUE(a.has_value()) << s;
  return a.value_or(IpAddress{});
}

TEST(IpTest, ParseIp4Valid) {
  EXPECT_EQ(ParseIp4("192.0.2.3"), IpAddress::V4(192, 0, 2, 3));
  EXPECT_EQ(ParseIp4("0.0.0.0"), IpAddress::V4(0, 0, 0, 0));
  EXPECT_EQ(ParseIp4("255.255.255.255"), IpAddress::V4(255, 255, 255, 255));
  EXPECT_EQ(ParseIp4("10.100.0.9"), IpAddress::V4(10, 100, 0, 9));
  EXPECT_FALSE(ParseIp4("192.0.2.3")->v6);
}

TEST(IpTest, ParseIp4RejectsDeviations) {
  // RFC 7208 §5.6 qnum: no leading zeros, 0..255, exactly four parts (S13).
  for (const char* bad :
       {"",         "1.2.3",     "1.2.3.4.5",  "01.2.3.4",  "1.2.3.04",   "1.02.3.4",
        "00.1.1.1", "256.1.1.1", "1.2.3.256",  "1.2.3.999", "1..2.3",     ".1.2.3",
        "1.2.3.",   "1.2.3.4 ",  " 1.2.3.4",   "a.b.c.d",   "1.2.3.4/24", "1.2.3.4:25",
        "1.2.3.-4", "1.2.3.+4",  "1234.1.1.1", "0x1.2.3.4"}) {
    EXPECT_FALSE(ParseIp4(bad).has_value()) << bad;
  }
}

TEST(IpTest, ParseIp6Valid) {
  IpAddress a = V6("2001:db8::cb01");
  EXPECT_TRUE(a.v6);
  EXPECT_EQ(a.bytes[0], 0x20);
  EXPECT_EQ(a.bytes[1], 0x01);
  EXPECT_EQ(a.bytes[2], 0x0d);
  EXPECT_EQ(a.bytes[3], 0xb8);
  EXPECT_EQ(a.bytes[14], 0xcb);
  EXPECT_EQ(a.bytes[15], 0x01);
  EXPECT_EQ(V6("2001:DB8::CB01"), a);  // hex digits are case-insensitive
  EXPECT_EQ(V6("2001:0db8:0000:0000:0000:0000:0000:cb01"), a);
  EXPECT_EQ(V6("::"), IpAddress{.v6 = true});
  EXPECT_EQ(V6("::1").bytes[15], 1);
  EXPECT_EQ(V6("1::").bytes[1], 1);
  EXPECT_EQ(V6("1:2:3:4:5:6:7:8").bytes[15], 8);
  EXPECT_EQ(V6("1:2:3:4:5:6:7::").bytes[13], 7);  // "::" for one group
  EXPECT_EQ(V6("::2:3:4:5:6:7:8").bytes[3], 2);
  // RFC 4291 §2.2 form 3: a dotted-quad tail.
  IpAddress m = V6("::ffff:192.0.2.1");
  EXPECT_EQ(m.bytes[10], 0xff);
  EXPECT_EQ(m.bytes[11], 0xff);
  EXPECT_EQ(m.bytes[12], 192);
  EXPECT_EQ(m.bytes[15], 1);
  EXPECT_EQ(V6("1:2:3:4:5:6:1.2.3.4").bytes[12], 1);
  EXPECT_EQ(V6("::FFFF:1.2.3.4"), V6("::ffff:1.2.3.4"));
  EXPECT_EQ(V6("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255").bytes[15], 255);
}

TEST(IpTest, ParseIp6RejectsDeviations) {
  for (const char* bad : {"",
                          ":",
                          ":::",
                          "1",
                          "1:2",
                          "1:2:3:4:5:6:7",
                          "1:2:3:4:5:6:7:8:9",
                          "1::2::3",
                          "::1::",
                          "12345::",
                          "1:23456::",
                          ":1::",
                          "1::2:",
                          "1:",
                          "fe80::1%eth0",
                          "[::1]",
                          "::1/64",
                          "::1 ",
                          " ::1",
                          "g::1",
                          "1:2:3:4:5:6:7:1.2.3.4",
                          "::1.2.3",
                          "::01.2.3.4",
                          "::1.2.3.256",
                          "::1.2.3.4:1",
                          "1.2.3.4",
                          "::ffff:1.2.3.4.5",
                          "1:2:3:4:5:6:7:8::",
                          "::1:2:3:4:5:6:7:8"}) {
    EXPECT_FALSE(ParseIp6(bad).has_value()) << bad;
  }
  EXPECT_FALSE(ParseIp6(std::string(46, ':')).has_value());  // longer than any address
  EXPECT_FALSE(ParseIp6Delimited(std::string(46, ':')).has_value());
  // A NUL inside is no separator.
  EXPECT_FALSE(ParseIp6(std::string_view("::1\0", 4)).has_value());
}

TEST(IpTest, ParseIpPicksTheFamily) {
  EXPECT_EQ(ParseIp("192.0.2.3"), IpAddress::V4(192, 0, 2, 3));
  EXPECT_EQ(ParseIp("2001:db8::cb01"), V6("2001:db8::cb01"));
  EXPECT_FALSE(ParseIp("192.0.2").has_value());
  EXPECT_FALSE(ParseIp("example.com").has_value());
}

TEST(IpTest, UnmapIpv4MappedAddresses) {
  // RFC 7208 §5 (SPF-5-01): ::ffff:a.b.c.d is treated as IPv4.
  EXPECT_EQ(Unmap(V6("::ffff:192.0.2.1")), IpAddress::V4(192, 0, 2, 1));
  EXPECT_EQ(Unmap(V6("::1")), V6("::1"));
  EXPECT_EQ(Unmap(V6("::192.0.2.1")), V6("::192.0.2.1"));  // compatible, not mapped
  EXPECT_EQ(Unmap(IpAddress::V4(1, 2, 3, 4)), IpAddress::V4(1, 2, 3, 4));
}

TEST(IpTest, CidrMatch) {
  const IpAddress a = IpAddress::V4(192, 0, 2, 3);
  EXPECT_TRUE(CidrMatch(a, IpAddress::V4(192, 0, 2, 3), 32));
  EXPECT_FALSE(CidrMatch(a, IpAddress::V4(192, 0, 2, 4), 32));
  EXPECT_TRUE(CidrMatch(a, IpAddress::V4(192, 0, 2, 0), 24));
  EXPECT_TRUE(CidrMatch(a, IpAddress::V4(192, 0, 3, 0), 23 - 1));
  EXPECT_FALSE(CidrMatch(a, IpAddress::V4(192, 0, 3, 0), 24));
  EXPECT_TRUE(CidrMatch(a, IpAddress::V4(192, 0, 2, 2), 31));
  EXPECT_FALSE(CidrMatch(a, IpAddress::V4(192, 0, 2, 4), 30));
  EXPECT_TRUE(CidrMatch(a, IpAddress::V4(1, 1, 1, 1), 0));
  // Different families never match, whatever the length (cidr6-0-ip4).
  EXPECT_FALSE(CidrMatch(a, V6("::"), 0));
  EXPECT_FALSE(CidrMatch(V6("::ffff:192.0.2.3"), a, 32));
  const IpAddress b = V6("2001:db8::cb01");
  EXPECT_TRUE(CidrMatch(b, V6("2001:db8::"), 32));
  EXPECT_TRUE(CidrMatch(b, V6("2001:db8::"), 64));
  EXPECT_FALSE(CidrMatch(b, V6("2001:db8::"), 128));
  EXPECT_TRUE(CidrMatch(b, V6("2001:db9::"), 31));
  EXPECT_FALSE(CidrMatch(b, V6("2001:db9::"), 32));
  EXPECT_TRUE(CidrMatch(V6("cafe:babe:8000::1"), V6("cafe:babe:8000::"), 33));  // cidr6-33
  EXPECT_TRUE(CidrMatch(b, b, 200));                                            // clamped to 128
}

TEST(IpTest, MacroIpForm) {
  // RFC 7208 §7.3, §7.4 (S24, SPF-7.3-04).
  EXPECT_EQ(MacroIpForm(IpAddress::V4(192, 0, 2, 3)), "192.0.2.3");
  EXPECT_EQ(MacroIpForm(V6("2001:db8::cb01")),
            "2.0.0.1.0.d.b.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.c.b.0.1");
  EXPECT_EQ(MacroIpForm(V6("::")).size(), 63u);
}

TEST(IpTest, ReadableIpForm) {
  // %{c}: RFC 5952 text for IPv6.
  EXPECT_EQ(ReadableIpForm(IpAddress::V4(192, 0, 2, 3)), "192.0.2.3");
  EXPECT_EQ(ReadableIpForm(V6("2001:0DB8:0:0:0:0:0:CB01")), "2001:db8::cb01");
  EXPECT_EQ(ReadableIpForm(V6("::")), "::");
  EXPECT_EQ(ReadableIpForm(V6("::1")), "::1");
  EXPECT_EQ(ReadableIpForm(V6("1::")), "1::");
  EXPECT_EQ(ReadableIpForm(V6("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");     // first on a tie
  EXPECT_EQ(ReadableIpForm(V6("2001:0:0:1:0:0:0:1")), "2001:0:0:1::1");           // the longest
  EXPECT_EQ(ReadableIpForm(V6("2001:db8:0:1:1:1:1:1")), "2001:db8:0:1:1:1:1:1");  // one zero
  EXPECT_EQ(ReadableIpForm(V6("1:2:3:4:5:6:7:8")), "1:2:3:4:5:6:7:8");
  EXPECT_EQ(ReadableIpForm(V6("::ffff:192.0.2.1")), "::ffff:192.0.2.1");  // RFC 5952 §5
}

TEST(IpTest, ReverseName) {
  EXPECT_EQ(ReverseName(IpAddress::V4(192, 0, 2, 3)), "3.2.0.192.in-addr.arpa");
  EXPECT_EQ(ReverseName(V6("2001:db8::cb01")),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST(IpTest, TextFormsRoundTrip) {
  std::mt19937 rng(7208);
  for (int k = 0; k < 2000; ++k) {
    IpAddress a;
    a.v6 = (k % 2) != 0;
    for (int j = 0; j < (a.v6 ? 16 : 4); ++j) {
      // Runs of zero groups now and then, so that "::" shows up.
      a.bytes[j] = (rng() % 3 == 0) ? 0 : static_cast<std::uint8_t>(rng());
    }
    const std::string text = ReadableIpForm(a);
    EXPECT_EQ(ParseIp(text), a) << text;
    if (!a.v6) {
      EXPECT_EQ(ParseIp4(MacroIpForm(a)), a);
    }
  }
}

// The in-place parser the SPF record parser uses gives ParseIp6's answer
// when the text is followed by a CIDR suffix or a space, whose digits must
// not be read as part of the last group.
TEST(IpTest, ParseIp6DelimitedAgreesWithParseIp6) {
  for (const char* text :
       {"::", "::1", "2001:db8::1", "1:2:3:4:5:6:7:8", "2a01:111:f400::", "::ffff:1.2.3.4",
        "1:2:3:4:5:6:1.2.3.4", "12345::", "1::2::3", "1:", "::1.2.3", "::1.2.3.256", "fe80::1%eth0",
        "g::1", "1:2:3:4:5:6:7:8:9", "2001:db8::ab", "2001:db8::abcd"}) {
    for (const char* after : {"/48 ", " ", "/128"}) {
      const std::string buf = std::string(text) + after;
      EXPECT_EQ(ParseIp6Delimited(std::string_view(buf).substr(0, std::strlen(text))),
                ParseIp6(text))
          << text << after;
    }
  }
}

}  // namespace
}  // namespace mxconform::spf
