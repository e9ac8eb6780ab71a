// The mock DNS server's brain, without sockets: it takes the bytes of one
// query and returns the bytes to send back (or none), after consulting the
// scenario's fault rules and then its zone. The Asio server (server.h), the
// server-side fuzzer and the unit tests all drive this one class, so a knob
// behaves the same on every path.
//
// Every misbehaviour is a named knob of a Rule; the zone itself always
// answers correctly. Queries the zone does not cover (outside its origins)
// answer REFUSED and are logged as unscripted: nothing is ever forwarded.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "dns/message.h"
#include "dns/zone.h"

namespace mxconform::mocks::dns {

using mxconform::dns::Name;
using mxconform::dns::Record;
using mxconform::dns::Zone;

enum class Transport : std::uint8_t { kUdp, kTcp };
std::string_view TransportName(Transport t);  // "udp", "tcp"

// What a matching rule does to the answer. Names are the knob names of the
// zone file format (conformance/README.md, "Mock DNS zones").
enum class Fault : std::uint8_t {
  kNone,       // answer from the zone (only delay_ms applies)
  kServfail,   // servfail, if set, makes the server answer SERVFAIL
  kRefused,    // refused, if set, makes the server answer REFUSED
  kNxDomain,   // nxdomain, if set, makes the server deny the name (NXDOMAIN)
  kNoData,     // nodata, if set, makes the server answer NOERROR with no records
  kTimeout,    // timeout, if set, makes the server never answer
  kTruncate,   // truncate, if set, makes UDP answers empty with TC set; TCP answers fully
  kWrongId,    // wrong_id, if set, makes the server answer with another message id
  kSpoof,      // spoof, if set, makes the server answer with `spoof` records instead
  kMalformed,  // malformed, if set, makes the server send `raw` bytes (id patched in)
  kDropAfter,  // drop_after, if set, makes the server answer `count` queries, then none
};
std::string_view FaultName(Fault f);  // the knob name ("none" for kNone)
std::optional<Fault> ParseFault(std::string_view name);

// One knob setting. A rule matches a query when every condition it sets
// holds; the first matching rule (in order) decides.
struct Rule {
  std::string id;                     // shown in the log; "rule<N>" when empty
  std::optional<Name> name;           // unset: every name
  bool subtree = false;               // name matches its descendants too
  std::optional<std::uint16_t> type;  // unset: every type
  std::optional<Transport> transport;
  std::optional<UnixSeconds> from, until;  // on the server's clock
  Fault fault = Fault::kNone;
  // delay_ms, if set, makes the server wait this long before answering
  // (with any fault but timeout).
  std::uint32_t delay_ms = 0;
  // kSpoof: the answer records. A record with the root as owner is given
  // the query name, so one rule can spoof any name.
  std::vector<Record> spoof;
  // kMalformed: the reply bytes (empty: an empty datagram or TCP message);
  // when 2 or more, the first two are replaced by the query id so that a
  // client reads past the id check.
  std::string raw;
  std::uint64_t count = 0;  // kDropAfter
};

// One query as the server saw it.
struct LogEntry {
  std::chrono::system_clock::time_point time;
  Transport transport = Transport::kUdp;
  std::string peer;   // "127.0.0.1:40000"
  std::string qname;  // presentation form ("" if unreadable)
  std::uint16_t qtype = 0;
  // What answered: "zone", "zone:wildcard", the rule id, "unscripted"
  // (outside the zone), "formerr" (unreadable or not a single-question
  // query; an OPT record out of place, RFC 6891 §6.1.1), "badvers" (an
  // EDNS version other than 0, §6.1.3), "notimp" (opcode not QUERY),
  // "ignored" (a response, or too short to answer).
  std::string answered_by;
  bool replied = false;               // a reply was sent (or is delayed)
  std::optional<std::uint8_t> rcode;  // of the reply, when it has a header
  bool truncated = false;             // TC set on the reply
  std::uint32_t delay_ms = 0;
  std::string Text() const;  // one line for humans and for `lab dns`
};

// The reply to one query: bytes to send after `delay`, or none.
struct Reply {
  std::optional<std::string> bytes;
  std::chrono::milliseconds delay{0};
};

struct ResponderOptions {
  // The server's clock for time-ranged records and rules.
  const Clock* clock = nullptr;  // null: the system clock
  // The log keeps the last `max_log` entries (memory stays bounded under a
  // flood); `logged()` counts all of them.
  std::size_t max_log = 100000;
  // Largest UDP reply without EDNS (RFC 1035 §4.2.1); with EDNS, the
  // client's advertised size, capped at `max_udp_payload`.
  std::size_t max_udp_payload = 1232;
};

class Responder {
 public:
  explicit Responder(Zone zone, std::vector<Rule> rules = {}, ResponderOptions opts = {});

  // Handles one query. Never throws; any input gets a reply or none. A
  // reply that does not fit UDP is sent truncated (TC, no records) so the
  // client retries over TCP. Thread-safe.
  Reply Handle(std::span<const std::uint8_t> query, Transport transport, std::string_view peer);

  // Handle() for a client in the same process (net::MemoryExchange): the
  // reply bytes, or nullopt when there is none or when its delay_ms is not
  // less than the client's `timeout` (virtual time: nobody waits). The log
  // names the peer "memory".
  std::optional<std::string> HandleInMemory(std::string_view query, Transport transport,
                                            std::chrono::milliseconds timeout);

  // Replaces the zone and rules (and resets drop_after counters); the log
  // is kept. Thread-safe.
  void Reset(Zone zone, std::vector<Rule> rules);

  // Called with each entry as it is logged (for `lab dns`), outside the
  // lock. Set before serving.
  void SetObserver(std::function<void(const LogEntry&)> observer) {
    observer_ = std::move(observer);
  }

  std::vector<LogEntry> Log() const;  // the last max_log entries, oldest first
  std::uint64_t logged() const;       // every entry ever logged
  // The entries logged after `mark` (a value logged() returned) that the
  // log still keeps, oldest first, read under one lock: Log() and logged()
  // called one after the other could see a query in between and misplace
  // the mark (review finding).
  std::vector<LogEntry> LogSince(std::uint64_t mark) const;
  void ClearLog();

 private:
  LogEntry Answer(std::span<const std::uint8_t> query, Transport transport, Reply& reply);
  const Rule* Match(const mxconform::dns::Question& q, Transport transport, UnixSeconds now,
                    std::size_t& index) const;

  mutable std::mutex mu_;
  Zone zone_;
  std::vector<Rule> rules_;
  std::vector<std::uint64_t> hits_;  // per rule, for drop_after
  ResponderOptions opts_;
  SystemClock system_clock_;
  std::deque<LogEntry> log_;
  std::uint64_t logged_ = 0;
  std::function<void(const LogEntry&)> observer_;
};

}  // namespace mxconform::mocks::dns
