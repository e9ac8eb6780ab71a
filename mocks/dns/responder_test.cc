#include "mocks/dns/responder.h"

#include <gtest/gtest.h>

namespace mxconform::mocks::dns {
namespace {

namespace wire = mxconform::dns;

Name N(std::string_view s) { return *Name::Parse(s); }
constexpr std::uint16_t kA = 1, kTxt = 16, kMx = 15;

Record A(std::string_view owner, std::uint8_t last) {
  Record r;
  r.name = N(owner);
  r.type = kA;
  r.ttl = 60;
  r.rdata = wire::RdataA{{192, 0, 2, last}};
  return r;
}

Zone SmallZone() {
  Zone z;
  z.AddOrigin(N("example.com"));
  z.Add(A("mail.example.com", 1));
  Record txt;
  txt.name = N("example.com");
  txt.type = kTxt;
  txt.rdata = wire::RdataTxt{{"v=spf1 ", "-all"}};
  z.Add(txt);
  return z;
}

std::string Query(std::string_view name, std::uint16_t type, std::uint16_t id = 0x1234,
                  std::uint16_t payload = 1232) {
  return *wire::Encode(wire::MakeQuery(id, N(name), type, payload));
}

Reply Ask(Responder& r, std::string_view bytes, Transport t = Transport::kUdp) {
  return r.Handle({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, t,
                  "127.0.0.1:5000");
}

wire::Message Decoded(const Reply& r) {
  EXPECT_TRUE(r.bytes.has_value());
  auto m = wire::Decode(r.bytes.value_or(""));
  EXPECT_TRUE(m.ok());
  return m.ok() ? *m : wire::Message{};
}

TEST(ResponderTest, AnswersFromTheZoneAndLogsIt) {
  Responder r(SmallZone());
  auto m = Decoded(Ask(r, Query("MAIL.example.com", kA)));
  EXPECT_EQ(m.header.id, 0x1234);
  EXPECT_TRUE(m.header.qr);
  EXPECT_TRUE(m.header.aa);
  EXPECT_EQ(m.header.rcode, 0);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].name.labels()[0], "MAIL");  // 0x20 spelling kept
  ASSERT_NE(m.Opt(), nullptr);                       // EDNS answered with EDNS
  auto nx = Decoded(Ask(r, Query("none.example.com", kA)));
  EXPECT_EQ(nx.header.rcode, 3);
  auto log = r.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].answered_by, "zone");
  EXPECT_EQ(log[0].qname, "MAIL.example.com");
  EXPECT_EQ(log[0].qtype, kA);
  EXPECT_EQ(log[1].rcode, 3);
  EXPECT_NE(log[1].Text().find("none.example.com A -> NXDOMAIN (zone)"), std::string::npos);
}

TEST(ResponderTest, UnscriptedNamesAreRefusedAndLogged) {
  Responder r(SmallZone());
  auto m = Decoded(Ask(r, Query("www.google.com", kA)));
  EXPECT_EQ(m.header.rcode, 5);
  EXPECT_TRUE(m.answers.empty());
  EXPECT_EQ(r.Log().back().answered_by, "unscripted");
}

TEST(ResponderTest, BadQueriesGetFormerrOrNothing) {
  Responder r(SmallZone());
  EXPECT_FALSE(Ask(r, "short").bytes);  // no header: nothing to answer
  std::string response = Query("mail.example.com", kA);
  response[2] = static_cast<char>(response[2] | 0x80);  // QR: a response
  EXPECT_FALSE(Ask(r, response).bytes);
  std::string cut = Query("mail.example.com", kA);
  cut.resize(cut.size() - 3);
  auto fe = Decoded(Ask(r, cut));
  EXPECT_EQ(fe.header.rcode, 1);
  EXPECT_EQ(fe.header.id, 0x1234);
  wire::Message two = wire::MakeQuery(7, N("a.example.com"), kA, 0);
  two.questions.push_back(two.questions[0]);
  EXPECT_EQ(Decoded(Ask(r, *wire::Encode(two))).header.rcode, 1);
  wire::Message notify = wire::MakeQuery(8, N("example.com"), kA, 0);
  notify.header.opcode = 4;
  EXPECT_EQ(Decoded(Ask(r, *wire::Encode(notify))).header.rcode, 4);
  auto log = r.Log();
  EXPECT_EQ(log[0].answered_by, "ignored");
  EXPECT_FALSE(log[0].replied);
  EXPECT_EQ(log[2].answered_by, "formerr");
  EXPECT_EQ(log[4].answered_by, "notimp");
}

// RFC 6891 §6.1.1: a query with two OPT records, or one outside the
// additional section, is a FORMERR; §6.1.3: an EDNS version the server does
// not speak gets BADVERS with an OPT of version 0.
TEST(ResponderTest, EdnsRulesFormerrAndBadvers) {
  Responder r(SmallZone());
  wire::Message two = wire::MakeQuery(9, N("mail.example.com"), kA, 1232);
  two.additional.push_back(two.additional[0]);
  auto fe = Decoded(Ask(r, *wire::Encode(two)));
  EXPECT_EQ(fe.header.rcode, 1);
  EXPECT_TRUE(fe.answers.empty());
  wire::Message misplaced = wire::MakeQuery(10, N("mail.example.com"), kA, 1232);
  misplaced.answers.push_back(misplaced.additional[0]);
  misplaced.additional.clear();
  EXPECT_EQ(Decoded(Ask(r, *wire::Encode(misplaced))).header.rcode, 1);

  wire::Message v1 = wire::MakeQuery(11, N("mail.example.com"), kA, 1232);
  v1.additional[0].ttl = 0x00010000;  // VERSION 1
  auto bv = Decoded(Ask(r, *wire::Encode(v1)));
  EXPECT_EQ(bv.header.id, 11);
  EXPECT_EQ(bv.header.rcode, 0);
  EXPECT_EQ(bv.ExtendedRcode(), 16);
  ASSERT_NE(bv.Opt(), nullptr);
  EXPECT_EQ((bv.Opt()->ttl >> 16) & 0xFF, 0u);  // the version spoken
  EXPECT_TRUE(bv.answers.empty());
  ASSERT_EQ(bv.questions.size(), 1u);
  EXPECT_EQ(bv.questions[0].name, N("mail.example.com"));
  // Version 0 with the DO bit and other flags is answered as usual.
  wire::Message v0 = wire::MakeQuery(12, N("mail.example.com"), kA, 1232);
  v0.additional[0].ttl = 0x00008000;
  EXPECT_EQ(Decoded(Ask(r, *wire::Encode(v0))).answers.size(), 1u);
  auto log = r.Log();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].answered_by, "formerr");
  EXPECT_EQ(log[1].answered_by, "formerr");
  EXPECT_EQ(log[2].answered_by, "badvers");
  EXPECT_EQ(log[2].rcode, 16);
  EXPECT_EQ(log[3].answered_by, "zone");
}

// RFC 6891 §6.1.1: a reply to a query with an OPT has one, error replies
// included; RFC 3225 §3: the query's DO bit is copied into it.
TEST(ResponderTest, RepliesCarryAnOptWithTheDoBitWhenTheQueryHadOne) {
  Responder r(SmallZone());
  for (const std::uint32_t flags : {0x00008000u, 0u}) {
    wire::Message plain = wire::MakeQuery(20, N("mail.example.com"), kA, 1232);
    plain.additional[0].ttl = flags;
    wire::Message notimp = plain;
    notimp.header.opcode = 4;  // NOTIFY
    wire::Message empty = plain;
    empty.questions.clear();
    for (const auto& [query, rcode] :
         {std::pair{plain, 0}, std::pair{notimp, 4}, std::pair{empty, 1}}) {
      auto m = Decoded(Ask(r, *wire::Encode(query)));
      EXPECT_EQ(m.header.rcode, rcode);
      EXPECT_EQ(m.header.opcode, query.header.opcode);
      ASSERT_NE(m.Opt(), nullptr) << "rcode " << rcode;
      EXPECT_EQ(m.Opt()->ttl, flags) << "rcode " << rcode;  // DO as asked, version 0
    }
  }
  // Without an OPT in the query, none in the reply.
  wire::Message no_edns = wire::MakeQuery(21, N("example.com"), kA, 0);
  no_edns.header.opcode = 4;
  EXPECT_EQ(Decoded(Ask(r, *wire::Encode(no_edns))).Opt(), nullptr);
  EXPECT_EQ(Decoded(Ask(r, Query("mail.example.com", kA, 22, 0))).Opt(), nullptr);
  // BADVERS keeps the DO bit beside its extended rcode.
  wire::Message v1 = wire::MakeQuery(23, N("mail.example.com"), kA, 1232);
  v1.additional[0].ttl = 0x00018000;
  auto bv = Decoded(Ask(r, *wire::Encode(v1)));
  ASSERT_NE(bv.Opt(), nullptr);
  EXPECT_EQ(bv.Opt()->ttl, 0x01008000u);
}

Rule Knob(Fault f, std::string_view name = "", std::optional<std::uint16_t> type = std::nullopt) {
  Rule r;
  r.fault = f;
  if (!name.empty()) {
    r.name = N(name);
  }
  r.type = type;
  return r;
}

TEST(ResponderTest, RcodeKnobs) {
  for (auto [fault, rcode] : {std::pair{Fault::kServfail, 2}, std::pair{Fault::kRefused, 5},
                              std::pair{Fault::kNxDomain, 3}, std::pair{Fault::kNoData, 0}}) {
    Responder r(SmallZone(), {Knob(fault, "mail.example.com", kA)});
    auto m = Decoded(Ask(r, Query("mail.example.com", kA)));
    EXPECT_EQ(m.header.rcode, rcode) << FaultName(fault);
    EXPECT_TRUE(m.answers.empty()) << FaultName(fault);
    EXPECT_EQ(r.Log().back().answered_by, "rule1");
    // Another type at the same name is not touched.
    EXPECT_EQ(Decoded(Ask(r, Query("mail.example.com", kMx))).header.rcode, 0);
    EXPECT_EQ(r.Log().back().answered_by, "zone");
  }
}

// RFC 2308 §3: a negative answer carries the origin's SOA in its authority
// section, whether the zone gives it or a knob forces it.
TEST(ResponderTest, NegativeAnswersCarryTheSoa) {
  Zone z = SmallZone();
  Record soa;
  soa.name = N("example.com");
  soa.type = static_cast<std::uint16_t>(wire::RrType::kSoa);
  soa.ttl = 300;
  soa.rdata = wire::RdataSoa{N("ns.example.com"), N("hostmaster.example.com"), 1, 2, 3, 4, 60};
  z.Add(soa);
  Responder r(std::move(z), {Knob(Fault::kNxDomain, "mail.example.com", kA),
                             Knob(Fault::kNoData, "example.com", kTxt)});
  struct Ex {
    std::string_view name;
    std::uint16_t type;
    int rcode;
    std::string_view by;
  };
  for (const Ex& ex :
       {Ex{"none.example.com", kA, 3, "zone"}, Ex{"mail.example.com", kMx, 0, "zone"},
        Ex{"mail.example.com", kA, 3, "rule1"}, Ex{"example.com", kTxt, 0, "rule2"}}) {
    auto m = Decoded(Ask(r, Query(ex.name, ex.type)));
    EXPECT_EQ(m.header.rcode, ex.rcode) << ex.name;
    EXPECT_TRUE(m.answers.empty()) << ex.name;
    ASSERT_EQ(m.authority.size(), 1u) << ex.name;
    Record negative = soa;
    negative.ttl = 60;  // its minimum field, lower than its TTL (RFC 2308 §3)
    EXPECT_EQ(m.authority[0], negative) << ex.name;
    EXPECT_EQ(r.Log().back().answered_by, ex.by);
  }
  // A positive answer has no authority section.
  auto positive = Decoded(Ask(r, Query("example.com", soa.type)));
  ASSERT_EQ(positive.answers.size(), 1u);
  EXPECT_EQ(positive.answers[0], soa);
  EXPECT_TRUE(positive.authority.empty());
}

// A fault rule applies inside the zone only: one without a name answered
// any name, so an unscripted query outside the origins got SERVFAIL (or a
// spoofed answer) and was logged by the rule, not as unscripted (review
// finding).
TEST(ResponderTest, RulesDoNotAnswerOutsideTheZone) {
  for (Fault fault : {Fault::kServfail, Fault::kSpoof, Fault::kNxDomain, Fault::kTimeout}) {
    Responder r(SmallZone(), {Knob(fault)});
    const Reply reply = Ask(r, Query("mx.other.test", kA));
    ASSERT_TRUE(reply.bytes.has_value()) << FaultName(fault);
    auto m = Decoded(reply);
    EXPECT_EQ(m.header.rcode, 5) << FaultName(fault);
    EXPECT_FALSE(m.header.aa);
    EXPECT_TRUE(m.answers.empty());
    EXPECT_EQ(r.Log().back().answered_by, "unscripted") << FaultName(fault);
    // Inside the zone the rule still applies.
    Ask(r, Query("mail.example.com", kA));
    EXPECT_EQ(r.Log().back().answered_by, "rule1") << FaultName(fault);
  }
}

TEST(ResponderTest, TimeoutAndDropAfter) {
  Rule drop = Knob(Fault::kDropAfter);
  drop.count = 2;
  drop.id = "flaky";
  Responder r(SmallZone(), {Knob(Fault::kTimeout, "example.com", kTxt), drop});
  EXPECT_FALSE(Ask(r, Query("example.com", kTxt)).bytes);
  EXPECT_TRUE(Ask(r, Query("mail.example.com", kA)).bytes);
  EXPECT_TRUE(Ask(r, Query("mail.example.com", kA)).bytes);
  EXPECT_FALSE(Ask(r, Query("mail.example.com", kA)).bytes);
  EXPECT_EQ(r.Log().back().answered_by, "flaky");
  // Reset starts the count again.
  r.Reset(SmallZone(), {drop});
  EXPECT_TRUE(Ask(r, Query("mail.example.com", kA)).bytes);
}

TEST(ResponderTest, TruncateSetsTcOverUdpOnlyAndBigAnswersTruncateThemselves) {
  Responder r(SmallZone(), {Knob(Fault::kTruncate)});
  auto udp = Decoded(Ask(r, Query("mail.example.com", kA)));
  EXPECT_TRUE(udp.header.tc);
  EXPECT_TRUE(udp.answers.empty());
  auto tcp = Decoded(Ask(r, Query("mail.example.com", kA), Transport::kTcp));
  EXPECT_FALSE(tcp.header.tc);
  EXPECT_EQ(tcp.answers.size(), 1u);

  Zone big = SmallZone();
  for (int i = 0; i < 60; ++i) {
    big.Add(A("many.example.com", static_cast<std::uint8_t>(i)));
  }
  Responder b(std::move(big));
  // Without EDNS the limit is 512 octets; 60 A records do not fit.
  auto plain = Decoded(Ask(b, Query("many.example.com", kA, 1, 0)));
  EXPECT_TRUE(plain.header.tc);
  auto edns = Decoded(Ask(b, Query("many.example.com", kA, 1, 1232)));
  EXPECT_FALSE(edns.header.tc);
  EXPECT_EQ(edns.answers.size(), 60u);
}

TEST(ResponderTest, WrongIdSpoofMalformedAndDelay) {
  Rule spoof = Knob(Fault::kSpoof, "mail.example.com");
  spoof.spoof.push_back(A(".", 66));  // the root owner takes the query name
  Rule bad = Knob(Fault::kMalformed, "example.com");
  bad.raw = std::string("\0\0\x81\x80\0\x01", 6);
  Rule slow = Knob(Fault::kWrongId, "slow.example.com");
  slow.delay_ms = 250;
  Responder r(SmallZone(), {spoof, bad, slow});
  auto s = Decoded(Ask(r, Query("mail.example.com", kA)));
  ASSERT_EQ(s.answers.size(), 1u);
  EXPECT_EQ(s.answers[0].name, N("mail.example.com"));
  EXPECT_EQ(std::get<wire::RdataA>(s.answers[0].rdata).address[3], 66);
  auto m = Ask(r, Query("example.com", kTxt, 0xBEEF));
  ASSERT_TRUE(m.bytes);
  EXPECT_EQ(m.bytes->size(), 6u);
  EXPECT_EQ(static_cast<std::uint8_t>((*m.bytes)[0]), 0xBE);
  EXPECT_FALSE(wire::Decode(*m.bytes).ok());
  auto w = Ask(r, Query("slow.example.com", kA, 0x1111));
  EXPECT_EQ(w.delay.count(), 250);
  EXPECT_NE(Decoded(w).header.id, 0x1111);
  EXPECT_EQ(r.Log().back().delay_ms, 250u);
}

TEST(ResponderTest, RulesMatchSubtreesTransportsAndTimeRanges) {
  FixedClock clock(1000);
  Rule sub = Knob(Fault::kServfail, "example.com");
  sub.subtree = true;
  sub.transport = Transport::kTcp;
  Rule later = Knob(Fault::kNxDomain, "mail.example.com");
  later.from = 2000;
  Responder r(SmallZone(), {later, sub}, ResponderOptions{.clock = &clock});
  EXPECT_EQ(Decoded(Ask(r, Query("mail.example.com", kA))).header.rcode, 0);
  EXPECT_EQ(Decoded(Ask(r, Query("mail.example.com", kA), Transport::kTcp)).header.rcode, 2);
  clock.Set(2000);
  EXPECT_EQ(Decoded(Ask(r, Query("mail.example.com", kA))).header.rcode, 3);
}

TEST(ResponderTest, TheLogIsBounded) {
  Responder r(SmallZone(), {}, ResponderOptions{.max_log = 3});
  for (int i = 0; i < 10; ++i) {
    Ask(r, Query("mail.example.com", kA));
  }
  EXPECT_EQ(r.Log().size(), 3u);
  EXPECT_EQ(r.logged(), 10u);
}

// LogSince counts from a logged() value, over the bound and ClearLog, in
// one read (QueriesSince read Log() and logged() apart: review finding).
TEST(ResponderTest, LogSinceCountsFromAMark) {
  Responder r(SmallZone(), {}, ResponderOptions{.max_log = 3});
  Ask(r, Query("mail.example.com", kA));
  const std::uint64_t mark = r.logged();
  EXPECT_TRUE(r.LogSince(mark).empty());
  Ask(r, Query("example.com", kTxt));
  Ask(r, Query("none.example.com", kA));
  auto since = r.LogSince(mark);
  ASSERT_EQ(since.size(), 2u);
  EXPECT_EQ(since[0].qname, "example.com");
  EXPECT_EQ(since[1].qname, "none.example.com");
  EXPECT_EQ(r.LogSince(0).size(), 3u);  // all the bounded log keeps
  for (int i = 0; i < 5; ++i) {
    Ask(r, Query("mail.example.com", kA));
  }
  EXPECT_EQ(r.LogSince(mark).size(), 3u);  // the older ones are gone
  EXPECT_EQ(r.LogSince(r.logged() - 1).size(), 1u);
  r.ClearLog();
  EXPECT_TRUE(r.LogSince(mark).empty());
  Ask(r, Query("example.com", kTxt));
  ASSERT_EQ(r.LogSince(r.logged() - 1).size(), 1u);
  EXPECT_EQ(r.LogSince(r.logged() - 1)[0].qname, "example.com");
  EXPECT_TRUE(r.LogSince(r.logged() + 5).empty());
}

TEST(ResponderTest, FaultNamesRoundTrip) {
  for (auto f : {Fault::kNone, Fault::kServfail, Fault::kRefused, Fault::kNxDomain, Fault::kNoData,
                 Fault::kTimeout, Fault::kTruncate, Fault::kWrongId, Fault::kSpoof,
                 Fault::kMalformed, Fault::kDropAfter}) {
    EXPECT_EQ(ParseFault(FaultName(f)), f);
  }
  EXPECT_FALSE(ParseFault("explode"));
}

}  // namespace
}  // namespace mxconform::mocks::dns
