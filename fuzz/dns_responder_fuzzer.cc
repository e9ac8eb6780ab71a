// Fuzz target: the mock DNS server's request handler (mocks/dns/responder.h),
// which reads whatever arrives on its UDP and TCP sockets.
//
// Input: one control byte, then the bytes of a datagram or TCP message.
// The control byte picks the transport (bit 0), the server clock (bits 1-2:
// before, inside and after the time-ranged rules and records) and which
// set of fault rules is active (bits 3-7), over a fixed zone with a
// wildcard, a CNAME chain, a CNAME loop, an empty non-terminal, an SOA,
// an RRset too big for 512 octets and names outside the zone.
//
// Asserts, for any input:
//  - too short for a header (< 12 octets), or a response (QR set): no reply;
//  - otherwise a reply, except for the timeout and drop_after knobs; a
//    reply that is not a `malformed` knob's raw bytes decodes, has QR set,
//    the query's id (or, under `wrong_id`, another one) and opcode, at most
//    one question, equal to the query's when the query decoded;
//  - a readable query with an EDNS version other than 0 gets BADVERS (16)
//    with no records but an OPT of version 0, and only such a query does;
//  - over UDP the reply fits 512 octets, or the client's EDNS size capped
//    at 1232; a reply cut to fit has TC set and no records;
//  - the log grows by exactly one entry per query, within its bound, and
//    the entry names the query's transport.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dns/message.h"
#include "dns/zone.h"
#include "fuzz_check.h"
#include "mocks/dns/responder.h"

namespace {

namespace wire = mxconform::dns;
namespace mock = mxconform::mocks::dns;

wire::Name N(std::string_view s) { return *wire::Name::Parse(s); }

wire::Record Rr(std::string_view owner, wire::RrType type, wire::Rdata data) {
  wire::Record r;
  r.name = N(owner);
  r.type = static_cast<std::uint16_t>(type);
  r.ttl = 300;
  r.rdata = std::move(data);
  return r;
}

wire::Zone MakeZone() {
  wire::Zone z;
  z.AddOrigin(N("example.com"));
  z.AddOrigin(N("example.net"));
  z.Add(Rr("example.com", wire::RrType::kSoa,
           wire::RdataSoa{N("ns.example.com"), N("hostmaster.example.com"), 1, 2, 3, 4, 60}));
  z.Add(Rr("example.com", wire::RrType::kTxt, wire::RdataTxt{{"v=spf1 ", "mx -all"}}));
  z.Add(Rr("example.com", wire::RrType::kMx, wire::RdataMx{10, N("mx.example.com")}));
  z.Add(Rr("mx.example.com", wire::RrType::kA, wire::RdataA{{192, 0, 2, 1}}));
  z.Add(Rr("mx.example.com", wire::RrType::kAaaa, wire::RdataAaaa{{0x20, 0x01, 0x0d, 0xb8}}));
  z.Add(Rr("*.wild.example.com", wire::RrType::kA, wire::RdataA{{192, 0, 2, 2}}));
  z.Add(Rr("a.example.com", wire::RrType::kCname, wire::RdataName{N("b.example.com")}));
  z.Add(Rr("b.example.com", wire::RrType::kCname, wire::RdataName{N("mx.example.com")}));
  z.Add(Rr("loop1.example.com", wire::RrType::kCname, wire::RdataName{N("loop2.example.com")}));
  z.Add(Rr("loop2.example.com", wire::RrType::kCname, wire::RdataName{N("loop1.example.com")}));
  z.Add(Rr("_dmarc.ent.example.com", wire::RrType::kTxt, wire::RdataTxt{{"v=DMARC1; p=none"}}));
  z.Add(Rr("_mta-sts.example.com", wire::RrType::kTxt, wire::RdataTxt{{"v=STSv1; id=1"}}),
        std::nullopt, 200);
  z.Add(Rr("_mta-sts.example.com", wire::RrType::kTxt, wire::RdataTxt{{"v=STSv1; id=2"}}), 200,
        std::nullopt);
  for (std::uint8_t i = 0; i < 50; ++i) {
    z.Add(Rr("big.example.net", wire::RrType::kA, wire::RdataA{{198, 51, 100, i}}));
  }
  return z;
}

// Rule sets, selected by the control byte's top five bits (0: none).
std::vector<mock::Rule> MakeRules(unsigned pick) {
  std::vector<mock::Rule> rules;
  if (pick == 0) {
    return rules;
  }
  mock::Rule r;
  r.fault = static_cast<mock::Fault>(pick % 11);
  r.name = N("example.com");
  r.subtree = (pick & 16) != 0;
  if ((pick & 8) != 0) {
    r.type = 16;
  }
  r.from = 100;
  r.until = 300;
  r.count = 1;
  r.delay_ms = 5;
  r.spoof.push_back(Rr(".", wire::RrType::kA, wire::RdataA{{203, 0, 113, 9}}));
  r.raw = std::string("\0\0\x81\x80\0\x01\0\x01", 8);
  rules.push_back(r);
  return rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mxconform::fuzz::SetInput({reinterpret_cast<const char*>(data), size});
  if (size < 1) {
    return 0;
  }
  const std::uint8_t control = data[0];
  std::span<const std::uint8_t> query(data + 1, size - 1);
  const auto transport = (control & 1) != 0 ? mock::Transport::kTcp : mock::Transport::kUdp;
  static const std::int64_t kTimes[4] = {0, 150, 250, 400};
  mxconform::FixedClock clock(kTimes[(control >> 1) & 3]);
  const unsigned pick = control >> 3;
  std::vector<mock::Rule> rules = MakeRules(pick);
  const mock::Fault fault = rules.empty() ? mock::Fault::kNone : rules[0].fault;

  mock::Responder responder(MakeZone(), rules,
                            mock::ResponderOptions{.clock = &clock, .max_log = 4});
  const mock::Reply reply = responder.Handle(query, transport, "192.0.2.99:53000");
  FUZZ_CHECK(responder.logged() == 1);
  const auto log = responder.Log();
  FUZZ_CHECK(log.size() == 1);
  FUZZ_CHECK(log[0].transport == transport);
  FUZZ_CHECK(log[0].replied == reply.bytes.has_value());

  if (query.size() < 12 || (query[2] & 0x80) != 0) {
    FUZZ_CHECK(!reply.bytes);
    return 0;
  }
  auto q = wire::Decode(query);
  // A rule applies only to a query that decoded, within the time range.
  const bool rule_may_apply = q.ok() && clock.Now() >= 100 && clock.Now() < 300 && !rules.empty();
  if (!reply.bytes) {
    FUZZ_CHECK(rule_may_apply &&
               (fault == mock::Fault::kTimeout || fault == mock::Fault::kDropAfter));
    return 0;
  }
  if (rule_may_apply && fault == mock::Fault::kMalformed && log[0].answered_by == "rule1") {
    FUZZ_CHECK(reply.bytes->size() == 8);
    FUZZ_CHECK((*reply.bytes)[0] == static_cast<char>(query[0]));
    return 0;
  }
  auto r = wire::Decode(*reply.bytes);
  FUZZ_CHECK_MSG(r.ok(), std::string(r.ok() ? "" : r.error().id));
  FUZZ_CHECK(r->header.qr);
  FUZZ_CHECK(r->header.opcode == ((query[2] >> 3) & 0x0F));
  const std::uint16_t qid = static_cast<std::uint16_t>(query[0] << 8 | query[1]);
  if (rule_may_apply && fault == mock::Fault::kWrongId && log[0].answered_by == "rule1") {
    FUZZ_CHECK(r->header.id != qid);
  } else {
    FUZZ_CHECK(r->header.id == qid);
  }
  FUZZ_CHECK(r->questions.size() <= 1);
  if (q.ok() && r->questions.size() == 1) {
    FUZZ_CHECK(q->questions.size() == 1);
    FUZZ_CHECK(r->questions[0] == q->questions[0]);
  }
  const bool other_version = q.ok() && q->Opt() != nullptr && ((q->Opt()->ttl >> 16) & 0xFF) != 0;
  if (log[0].answered_by == "badvers") {
    FUZZ_CHECK(other_version);
    FUZZ_CHECK(r->ExtendedRcode() == 16);
    FUZZ_CHECK(r->answers.empty() && r->authority.empty());
    FUZZ_CHECK(r->Opt() != nullptr && ((r->Opt()->ttl >> 16) & 0xFF) == 0);
  } else if (other_version) {
    FUZZ_CHECK_MSG(log[0].answered_by == "formerr" || log[0].answered_by == "notimp",
                   log[0].answered_by);
  }
  if (transport == mock::Transport::kUdp) {
    std::size_t limit = 512;
    if (q.ok() && q->Opt() != nullptr) {
      limit = std::min<std::size_t>(std::max<std::size_t>(q->Opt()->klass, 512), 1232);
    }
    FUZZ_CHECK_MSG(reply.bytes->size() <= limit, std::to_string(reply.bytes->size()));
    if (r->header.tc) {
      FUZZ_CHECK(r->answers.empty() && r->authority.empty());
    }
  }
  return 0;
}
