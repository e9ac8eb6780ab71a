#include "mocks/dns/responder.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <utility>

namespace mxconform::mocks::dns {
namespace {

namespace wire = mxconform::dns;

constexpr std::size_t kHeaderBytes = 12;
constexpr std::size_t kPlainUdpPayload = 512;  // RFC 1035 §4.2.1
constexpr std::uint16_t kTypeOpt = static_cast<std::uint16_t>(wire::RrType::kOpt);

struct FaultNameRow {
  Fault fault;
  std::string_view name;
};
constexpr std::array<FaultNameRow, 11> kFaultNames = {{
    {Fault::kNone, "none"},
    {Fault::kServfail, "servfail"},
    {Fault::kRefused, "refused"},
    {Fault::kNxDomain, "nxdomain"},
    {Fault::kNoData, "nodata"},
    {Fault::kTimeout, "timeout"},
    {Fault::kTruncate, "truncate"},
    {Fault::kWrongId, "wrong_id"},
    {Fault::kSpoof, "spoof"},
    {Fault::kMalformed, "malformed"},
    {Fault::kDropAfter, "drop_after"},
}};

// A reply skeleton for a query that could not be decoded: the id, opcode
// and RD bit read from the raw header, no question.
std::string BareReply(std::span<const std::uint8_t> query, wire::Rcode rcode) {
  std::string out(kHeaderBytes, '\0');
  out[0] = static_cast<char>(query[0]);
  out[1] = static_cast<char>(query[1]);
  // QR, the opcode as asked, RD as asked.
  out[2] = static_cast<char>(0x80 | (query[2] & 0x79));
  out[3] = static_cast<char>(static_cast<std::uint8_t>(rcode));
  return out;
}

// The DO bit of an OPT record's flags (RFC 3225 §3), in its TTL field.
constexpr std::uint32_t kDoBit = 0x8000;

// The OPT record of a reply to a query that had `query_opt` (RFC 6891
// §6.1.1: a responder MUST include one), with the query's DO bit copied
// (RFC 3225 §3: MUST).
wire::Record ReplyOpt(std::size_t payload, const wire::Record& query_opt) {
  wire::Record opt;
  opt.type = kTypeOpt;
  opt.klass = static_cast<std::uint16_t>(payload);
  opt.ttl = query_opt.ttl & kDoBit;
  opt.rdata = wire::RdataRaw{};
  return opt;
}

// The header-only reply of BareReply(), for a query that decoded: with the
// OPT of ReplyOpt() when the query had one.
std::string BareReply(std::span<const std::uint8_t> query, const wire::Message& q,
                      wire::Rcode rcode, std::size_t payload) {
  wire::Message m;
  m.header.id = q.header.id;
  m.header.qr = true;
  m.header.opcode = q.header.opcode;
  m.header.rd = q.header.rd;
  m.header.rcode = static_cast<std::uint8_t>(rcode);
  if (const wire::Record* opt = q.Opt()) {
    m.additional.push_back(ReplyOpt(payload, *opt));
  }
  auto bytes = wire::Encode(m);
  return bytes ? std::move(*bytes) : BareReply(query, rcode);
}

}  // namespace

std::string_view TransportName(Transport t) { return t == Transport::kUdp ? "udp" : "tcp"; }

std::string_view FaultName(Fault f) {
  for (const auto& row : kFaultNames) {
    if (row.fault == f) {
      return row.name;
    }
  }
  return "none";
}

std::optional<Fault> ParseFault(std::string_view name) {
  for (const auto& row : kFaultNames) {
    if (row.name == name) {
      return row.fault;
    }
  }
  return std::nullopt;
}

std::string LogEntry::Text() const {
  const std::time_t secs = std::chrono::system_clock::to_time_t(time);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  std::string out = std::string(stamp) + " " + std::string(TransportName(transport)) + " " + peer +
                    " " + (qname.empty() ? "-" : qname) + " " +
                    (qname.empty() ? "-" : wire::RrTypeName(qtype)) + " -> ";
  out += !replied ? "no reply" : rcode ? std::string(wire::RcodeName(*rcode)) : "reply";
  if (truncated) {
    out += " TC";
  }
  if (delay_ms != 0) {
    out += " after " + std::to_string(delay_ms) + " ms";
  }
  out += " (" + answered_by + ")";
  return out;
}

Responder::Responder(Zone zone, std::vector<Rule> rules, ResponderOptions opts)
    : zone_(std::move(zone)), rules_(std::move(rules)), hits_(rules_.size(), 0), opts_(opts) {}

std::optional<std::string> Responder::HandleInMemory(std::string_view query, Transport transport,
                                                     std::chrono::milliseconds timeout) {
  Reply r = Handle({reinterpret_cast<const std::uint8_t*>(query.data()), query.size()}, transport,
                   "memory");
  if (!r.bytes || r.delay >= timeout) {
    return std::nullopt;
  }
  return std::move(r.bytes);
}

void Responder::Reset(Zone zone, std::vector<Rule> rules) {
  std::lock_guard lock(mu_);
  zone_ = std::move(zone);
  rules_ = std::move(rules);
  hits_.assign(rules_.size(), 0);
}

std::vector<LogEntry> Responder::Log() const {
  std::lock_guard lock(mu_);
  return {log_.begin(), log_.end()};
}

std::vector<LogEntry> Responder::LogSince(std::uint64_t mark) const {
  std::lock_guard lock(mu_);
  // log_ holds the last entries: the first of them is entry number
  // logged_ - log_.size() (ClearLog empties it and keeps the count).
  const std::uint64_t first = logged_ - log_.size();
  const std::uint64_t skip = mark > first ? std::min<std::uint64_t>(mark - first, log_.size()) : 0;
  return {log_.begin() + static_cast<std::ptrdiff_t>(skip), log_.end()};
}

std::uint64_t Responder::logged() const {
  std::lock_guard lock(mu_);
  return logged_;
}

void Responder::ClearLog() {
  std::lock_guard lock(mu_);
  log_.clear();
}

const Rule* Responder::Match(const wire::Question& q, Transport transport, UnixSeconds now,
                             std::size_t& index) const {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    if (r.name && !(r.subtree ? q.name.IsSubdomainOf(*r.name) : q.name == *r.name)) {
      continue;
    }
    if ((r.type && *r.type != q.type) || (r.transport && *r.transport != transport) ||
        (r.from && now < *r.from) || (r.until && now >= *r.until)) {
      continue;
    }
    index = i;
    return &r;
  }
  return nullptr;
}

Reply Responder::Handle(std::span<const std::uint8_t> query, Transport transport,
                        std::string_view peer) {
  Reply reply;
  LogEntry entry;
  {
    std::lock_guard lock(mu_);
    entry = Answer(query, transport, reply);
    entry.time = std::chrono::system_clock::now();
    entry.transport = transport;
    entry.peer = std::string(peer);
    entry.delay_ms = static_cast<std::uint32_t>(reply.delay.count());
    ++logged_;
    log_.push_back(entry);
    while (log_.size() > opts_.max_log) {
      log_.pop_front();
    }
  }
  if (observer_) {
    observer_(entry);
  }
  return reply;
}

// Decides the reply; called with mu_ held. Fills everything of the entry
// but time, transport, peer and delay.
LogEntry Responder::Answer(std::span<const std::uint8_t> query, Transport transport, Reply& reply) {
  LogEntry entry;
  auto send = [&](std::string bytes) {
    entry.replied = true;
    if (bytes.size() >= 4) {
      entry.rcode = static_cast<std::uint8_t>(bytes[3]) & 0x0F;
      entry.truncated = (static_cast<std::uint8_t>(bytes[2]) & 0x02) != 0;
    }
    reply.bytes = std::move(bytes);
  };
  // Too short for a header, or a response (QR set): answering a response
  // could start a loop between two servers, so neither gets a reply.
  if (query.size() < kHeaderBytes || (query[2] & 0x80) != 0) {
    entry.answered_by = "ignored";
    return entry;
  }
  wire::DecodeLimits limits;
  limits.max_records = 16;  // a query has one question and an OPT
  auto decoded = wire::Decode(query, limits);
  if (!decoded) {
    entry.answered_by = "formerr";
    send(BareReply(query, wire::Rcode::kFormErr));
    return entry;
  }
  const wire::Message& q = *decoded;
  const wire::Record* opt = q.Opt();
  if (q.header.opcode != static_cast<std::uint8_t>(wire::Opcode::kQuery)) {
    entry.answered_by = "notimp";
    send(BareReply(query, q, wire::Rcode::kNotImp, opts_.max_udp_payload));
    return entry;
  }
  if (q.questions.size() != 1) {
    entry.answered_by = "formerr";
    send(BareReply(query, q, wire::Rcode::kFormErr, opts_.max_udp_payload));
    return entry;
  }
  const wire::Question& question = q.questions[0];
  entry.qname = question.name.ToString();
  entry.qtype = question.type;

  if (opt != nullptr && ((opt->ttl >> 16) & 0xFF) != 0) {
    // RFC 6891 §6.1.3: an EDNS version above 0 gets BADVERS (16: header
    // rcode 0, extended rcode 1) and an OPT of the version spoken, 0.
    entry.answered_by = "badvers";
    wire::Message m = wire::MakeResponse(q, wire::Rcode::kNoError);
    wire::Record reply_opt = ReplyOpt(opts_.max_udp_payload, *opt);
    reply_opt.ttl |= 0x01000000;
    m.additional.push_back(std::move(reply_opt));
    if (auto bytes = wire::Encode(m)) {
      send(std::move(*bytes));
      entry.rcode = static_cast<std::uint8_t>(m.ExtendedRcode());  // the log says BADVERS
    }
    return entry;
  }
  std::size_t udp_limit = kPlainUdpPayload;
  if (opt != nullptr) {
    udp_limit = std::min<std::size_t>(std::max<std::size_t>(opt->klass, kPlainUdpPayload),
                                      opts_.max_udp_payload);
  }
  auto encode = [&](wire::Message m) {
    if (opt != nullptr) {
      m.additional.push_back(ReplyOpt(opts_.max_udp_payload, *opt));
    }
    auto bytes = wire::Encode(m);
    if (!bytes) {
      // Data the scenario gave cannot be written (a spoofed name too long):
      // the server fails the way a real one would.
      entry.answered_by += " (unencodable: SERVFAIL)";
      wire::Message fail = wire::MakeResponse(q, wire::Rcode::kServFail);
      if (opt != nullptr) {
        fail.additional.push_back(ReplyOpt(opts_.max_udp_payload, *opt));
      }
      bytes = wire::Encode(fail);
    }
    if (transport == Transport::kUdp && bytes->size() > udp_limit) {
      // RFC 1035 §4.2.1, RFC 2181 §9: cut to the header and question, TC set.
      m.answers.clear();
      m.authority.clear();
      m.additional.clear();
      m.header.tc = true;
      if (opt != nullptr) {
        m.additional.push_back(ReplyOpt(opts_.max_udp_payload, *opt));
      }
      bytes = wire::Encode(m);
    }
    return std::move(*bytes);
  };
  auto rcode_only = [&](wire::Rcode rcode) {
    wire::Message m = wire::MakeResponse(q, rcode);
    m.header.aa = true;
    return m;
  };

  const Clock& clock = opts_.clock != nullptr ? *opts_.clock : system_clock_;
  const UnixSeconds now = clock.Now();
  // Outside the zone's class and origins nothing answers, a fault rule
  // included: the mock serves its zone only, and the run must see the
  // query as unscripted (a rule without a name used to answer any name).
  if (question.klass != static_cast<std::uint16_t>(wire::RrClass::kIn) ||
      !zone_.Covers(question.name)) {
    entry.answered_by = "unscripted";
    send(encode(wire::MakeResponse(q, wire::Rcode::kRefused)));
    return entry;
  }

  std::size_t index = 0;
  const Rule* rule = Match(question, transport, now, index);
  Fault fault = Fault::kNone;
  if (rule != nullptr) {
    entry.answered_by = rule->id.empty() ? "rule" + std::to_string(index + 1) : rule->id;
    fault = rule->fault;
    reply.delay = std::chrono::milliseconds(rule->delay_ms);
    if (fault == Fault::kDropAfter) {
      ++hits_[index];
      if (hits_[index] > rule->count) {
        fault = Fault::kTimeout;
      } else {
        fault = Fault::kNone;
      }
    }
  }

  switch (fault) {
    case Fault::kTimeout:
      reply.delay = std::chrono::milliseconds(0);
      return entry;
    case Fault::kServfail:
      send(encode(rcode_only(wire::Rcode::kServFail)));
      return entry;
    case Fault::kRefused:
      send(encode(rcode_only(wire::Rcode::kRefused)));
      return entry;
    case Fault::kNxDomain:
    case Fault::kNoData: {
      // A negative answer as the zone would give one, SOA included.
      wire::Message m =
          rcode_only(fault == Fault::kNxDomain ? wire::Rcode::kNxDomain : wire::Rcode::kNoError);
      m.authority = zone_.NegativeAuthority(question.name, now);
      send(encode(std::move(m)));
      return entry;
    }
    case Fault::kSpoof: {
      wire::Message m = rcode_only(wire::Rcode::kNoError);
      for (wire::Record r : rule->spoof) {
        if (r.name.IsRoot()) {
          r.name = question.name;
        }
        m.answers.push_back(std::move(r));
      }
      send(encode(std::move(m)));
      return entry;
    }
    case Fault::kMalformed: {
      std::string bytes = rule->raw;
      if (bytes.size() >= 2) {
        bytes[0] = static_cast<char>(query[0]);
        bytes[1] = static_cast<char>(query[1]);
      }
      send(std::move(bytes));
      return entry;
    }
    case Fault::kNone:
    case Fault::kTruncate:
    case Fault::kWrongId:
    case Fault::kDropAfter:
      break;
  }

  // The zone's answer.
  wire::ZoneAnswer za = zone_.Find(question.name, question.type, now);  // covered: see above
  if (rule == nullptr) {
    entry.answered_by = za.wildcard ? "zone:wildcard" : "zone";
  }
  wire::Message m = rcode_only(za.rcode);
  m.answers = std::move(za.answers);
  m.authority = std::move(za.authority);
  if (fault == Fault::kTruncate && transport == Transport::kUdp) {
    m.answers.clear();
    m.authority.clear();
    m.header.tc = true;
  }
  send(encode(std::move(m)));
  if (fault == Fault::kWrongId && reply.bytes && reply.bytes->size() >= 2) {
    // Any other id will do; flipping every bit guarantees a different one.
    (*reply.bytes)[0] = static_cast<char>(~(*reply.bytes)[0]);
    (*reply.bytes)[1] = static_cast<char>(~(*reply.bytes)[1]);
  }
  return entry;
}

}  // namespace mxconform::mocks::dns
