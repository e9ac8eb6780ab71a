// ZoneResolver: the in-memory zone check_host() runs against in tests, the
// fuzzers and the openspf suite (zone.h documents every rule tested here).

#include "spf/zone.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "spf/ip_test_util.h"

namespace mxconform::spf {
namespace {

using testing::Ip;

TEST(ZoneResolverTest, UnknownNameIsNxdomain) {
  ZoneResolver z;
  DnsAnswer a = z.Query("nowhere.example", QueryType::kTxt);
  EXPECT_EQ(a.status, DnsStatus::kNxDomain);
  EXPECT_TRUE(a.empty());
}

TEST(ZoneResolverTest, KnownNameWithoutTypeIsNoerrorEmpty) {
  ZoneResolver z;
  z.AddA("host.example", Ip("192.0.2.1"));
  z.Touch("touched.example");
  for (QueryType t : {QueryType::kTxt, QueryType::kAaaa, QueryType::kMx, QueryType::kPtr}) {
    DnsAnswer a = z.Query("host.example", t);
    EXPECT_EQ(a.status, DnsStatus::kOk);
    EXPECT_TRUE(a.empty());
  }
  DnsAnswer a = z.Query("touched.example", QueryType::kA);
  EXPECT_EQ(a.status, DnsStatus::kOk);
  EXPECT_TRUE(a.empty());
}

TEST(ZoneResolverTest, EmptyNonTerminalsOnlyWhenAsked) {
  ZoneResolver z;
  z.AddTxt("_dmarc.a.Example.com", "v=DMARC1; p=none");
  // Off (the openspf drivers' reading): an ancestor never added is NXDOMAIN.
  EXPECT_EQ(z.Query("a.example.com", QueryType::kA).status, DnsStatus::kNxDomain);
  z.SetEmptyNonTerminals(true);
  for (std::string_view name : {"a.example.com", "A.EXAMPLE.COM.", "example.com", "com"}) {
    DnsAnswer a = z.Query(name, QueryType::kA);
    EXPECT_EQ(a.status, DnsStatus::kOk) << name;
    EXPECT_TRUE(a.empty()) << name;
  }
  // Not ancestors: a sibling, a longer name, a name that merely ends alike.
  for (std::string_view name :
       {"b.example.com", "x._dmarc.a.example.com", "dmarc.a.example.com", "xa.example.com"}) {
    EXPECT_EQ(z.Query(name, QueryType::kA).status, DnsStatus::kNxDomain) << name;
  }
}

TEST(ZoneResolverTest, NamesAreCaseInsensitiveAndIgnoreOneTrailingDot) {
  ZoneResolver z;
  z.AddTxt("Example.COM.", "v=spf1 -all");
  for (const char* q : {"example.com", "EXAMPLE.com", "example.com."}) {
    DnsAnswer a = z.Query(q, QueryType::kTxt);
    EXPECT_EQ(a.status, DnsStatus::kOk) << q;
    ASSERT_EQ(a.txt.size(), 1u) << q;
    EXPECT_EQ(a.txt[0], "v=spf1 -all");
  }
  EXPECT_EQ(z.Query("example.com..", QueryType::kTxt).status, DnsStatus::kNxDomain);
}

TEST(ZoneResolverTest, TxtRecordsStayInOrderAndVerbatim) {
  ZoneResolver z;
  z.AddTxt("t.example", "first");
  z.AddTxt("t.example", "");
  z.AddTxt("t.example", std::string("bin\0ary", 7));
  DnsAnswer a = z.Query("t.example", QueryType::kTxt);
  ASSERT_EQ(a.txt.size(), 3u);
  EXPECT_EQ(a.txt[0], "first");
  EXPECT_EQ(a.txt[1], "");
  EXPECT_EQ(a.txt[2], std::string("bin\0ary", 7));
}

TEST(ZoneResolverTest, AddressesGoByFamily) {
  ZoneResolver z;
  z.AddA("h.example", Ip("192.0.2.1"));
  z.AddA("h.example", Ip("2001:db8::1"));
  z.AddA("h.example", Ip("192.0.2.2"));
  DnsAnswer a = z.Query("h.example", QueryType::kA);
  ASSERT_EQ(a.addresses.size(), 2u);
  EXPECT_EQ(a.addresses[0], Ip("192.0.2.1"));
  EXPECT_EQ(a.addresses[1], Ip("192.0.2.2"));
  DnsAnswer aaaa = z.Query("h.example", QueryType::kAaaa);
  ASSERT_EQ(aaaa.addresses.size(), 1u);
  EXPECT_EQ(aaaa.addresses[0], Ip("2001:db8::1"));
}

TEST(ZoneResolverTest, MxSortedByPreferenceThenInsertion) {
  ZoneResolver z;
  z.AddMx("m.example", 20, "c.example.");
  z.AddMx("m.example", 10, "a.example");
  z.AddMx("m.example", 20, "d.example");
  z.AddMx("m.example", 10, "b.example");
  DnsAnswer a = z.Query("m.example", QueryType::kMx);
  EXPECT_EQ(a.names,
            (std::vector<std::string>{"a.example", "b.example", "c.example", "d.example"}));
  EXPECT_EQ(a.preferences, (std::vector<std::uint16_t>{10, 10, 20, 20}));
}

TEST(ZoneResolverTest, NullMxStaysRoot) {
  ZoneResolver z;
  z.AddMx("null.example", 0, ".");
  DnsAnswer a = z.Query("null.example", QueryType::kMx);
  EXPECT_EQ(a.names, std::vector<std::string>{"."});
}

TEST(ZoneResolverTest, PtrAnswers) {
  ZoneResolver z;
  z.AddPtr("1.2.0.192.in-addr.arpa", "mail.Example.com.");
  z.AddPtr("1.2.0.192.IN-ADDR.ARPA", "other.example.com");
  DnsAnswer a = z.Query("1.2.0.192.in-addr.arpa", QueryType::kPtr);
  EXPECT_EQ(a.names, (std::vector<std::string>{"mail.Example.com", "other.example.com"}));
}

TEST(ZoneResolverTest, CnameIsFollowed) {
  ZoneResolver z;
  z.AddCname("b.example.org", "A.example.org.");
  z.AddTxt("a.example.org", "v=spf1 -all");
  z.AddA("a.example.org", Ip("192.0.2.7"));
  DnsAnswer t = z.Query("b.example.org", QueryType::kTxt);
  EXPECT_EQ(t.status, DnsStatus::kOk);
  EXPECT_EQ(t.txt, std::vector<std::string>{"v=spf1 -all"});
  EXPECT_EQ(z.Query("b.example.org", QueryType::kA).addresses.size(), 1u);
  // A CNAME to a name that does not exist is NXDOMAIN.
  z.AddCname("dangling.example.org", "gone.example.org");
  EXPECT_EQ(z.Query("dangling.example.org", QueryType::kA).status, DnsStatus::kNxDomain);
}

TEST(ZoneResolverTest, CnameLoopOrLongChainIsError) {
  ZoneResolver z;
  z.AddCname("loop.example", "LOOP.example.");
  EXPECT_EQ(z.Query("loop.example", QueryType::kA).status, DnsStatus::kError);
  z.AddCname("x.example", "y.example");
  z.AddCname("y.example", "x.example");
  EXPECT_EQ(z.Query("x.example", QueryType::kTxt).status, DnsStatus::kError);
  // Eight links are followed, nine are not.
  for (int i = 0; i < 9; ++i) {
    z.AddCname("c" + std::to_string(i) + ".example", "c" + std::to_string(i + 1) + ".example");
  }
  z.AddTxt("c9.example", "end");
  EXPECT_EQ(z.Query("c1.example", QueryType::kTxt).txt, std::vector<std::string>{"end"});
  EXPECT_EQ(z.Query("c0.example", QueryType::kTxt).status, DnsStatus::kError);
}

TEST(ZoneResolverTest, TimeoutAndServfailKnobs) {
  ZoneResolver z;
  z.AddTxt("slow.example", "v=spf1 -all");
  z.SetTimeout("slow.example");
  z.SetServfail("broken.example");
  for (QueryType t : {QueryType::kTxt, QueryType::kA, QueryType::kMx}) {
    EXPECT_EQ(z.Query("slow.example", t).status, DnsStatus::kTimeout);
    EXPECT_EQ(z.Query("broken.example", t).status, DnsStatus::kError);
  }
  // Through a CNAME, the target's knob applies.
  z.AddCname("alias.example", "slow.example");
  EXPECT_EQ(z.Query("alias.example", QueryType::kTxt).status, DnsStatus::kTimeout);
}

TEST(ZoneResolverTest, TimeoutWhereEmpty) {
  ZoneResolver z;
  z.AddTxt("spftimeout.example", "v=spf1 -all");
  z.SetTimeoutWhereEmpty("spftimeout.example");
  EXPECT_EQ(z.Query("spftimeout.example", QueryType::kTxt).status, DnsStatus::kOk);
  EXPECT_EQ(z.Query("spftimeout.example", QueryType::kA).status, DnsStatus::kTimeout);
  z.SetTimeoutWhereEmpty("alltimeout.example");
  EXPECT_EQ(z.Query("alltimeout.example", QueryType::kTxt).status, DnsStatus::kTimeout);
}

}  // namespace
}  // namespace mxconform::spf
