// A stub resolver (RFC 1035 §7, RFC 7766): one server address and port,
// UDP first with TCP when the answer is truncated, a timeout per attempt,
// retries, and one overall deadline per query. It implements the
// evaluators' spf::Resolver, so SPF and DMARC evaluation runs over real
// sockets against the mock DNS server (or any server). POSIX sockets and
// poll(2): a synchronous client needs nothing more.
//
// Replies are checked as RFC 5452 §9.1 asks: from the address and port
// queried, the same id, QR set and the same question (name compared without
// case); anything else is ignored and the wait goes on until the attempt's
// timeout. A reply that does not decode is an error for that query
// (`net.dns.malformed`), not a crash.
//
// RFC 5452 §9.2 (id and source port unpredictable): every UDP try and every
// TCP exchange gets a fresh id from the kernel's CSPRNG (getrandom(2)),
// and every UDP try a fresh socket (a new ephemeral port), connect()ed to
// the server so the kernel drops other sources.
//
// Not thread-safe: one resolver per thread (the id generator is state).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "dns/message.h"
#include "spf/resolver.h"

namespace mxconform::net {

struct StubOptions {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal
  std::uint16_t port = 53;
  std::chrono::milliseconds attempt_timeout{2000};  // per UDP try or TCP exchange
  int attempts = 2;                                 // UDP tries before giving up (< 1: 1)
  std::chrono::milliseconds deadline{5000};         // whole query, all tries included
  bool tcp_fallback = true;                         // retry over TCP when TC is set
  bool tcp_only = false;
  std::uint16_t udp_payload = 1232;  // EDNS0 (0: no OPT record)
  std::size_t max_cname_links = 8;   // for Query(): links followed, in answers and re-queries
};

// One exchange, as it happened.
struct Exchange {
  dns::Message response;
  bool over_tcp = false;
  int udp_tries = 0;
};

// A transport without sockets, for in-process runs: given the bytes of a
// query and whether it goes over TCP, the reply bytes, or nullopt for "no
// reply" (a timeout, at once: in-process time is virtual). The mock DNS
// server's Responder::Handle fits here, so the same answers and knobs
// reach the evaluators in-process and on the wire.
using MemoryExchange = std::function<std::optional<std::string>(std::string_view query, bool tcp)>;

class StubResolver final : public spf::Resolver {
 public:
  // Errors: `net.dns.address` (not an IP literal: no brackets, no zone
  // id), `net.dns.random` (getrandom(2) gave no bytes for the ids;
  // detail: why).
  static Result<StubResolver> Create(const StubOptions& opts);
  // The same resolver over `exchange` instead of sockets (the address and
  // port of `opts` are not used; tries, TC fallback and every reply check
  // are). Errors: `net.dns.random`.
  static Result<StubResolver> CreateInMemory(const StubOptions& opts, MemoryExchange exchange);

  // Sends one query and returns the checked response, whatever its rcode.
  // A UDP reply with TC set goes to TCP even when it does not decode whole
  // (its header and question must, and must match: RFC 2181 §9). With
  // tcp_fallback off it is returned as is, or with its header and question
  // alone when it was cut inside a record.
  // Errors: `net.dns.timeout` (no acceptable reply before the deadline),
  // `net.dns.malformed` (a reply with our id that does not decode; detail:
  // the codec's diagnostic id and offset, which is also the offset),
  // `net.dns.socket` (the OS refused a socket operation, an ICMP "port
  // unreachable" included; detail: errno text), `net.dns.tcp` (the TCP
  // exchange failed: refused, reset, short read; detail says which), and
  // the codec's `dns.encode.*` for a name it cannot write (nothing sent).
  // A decodable reply with our id but another question (or QR clear) is
  // treated like a spoof: ignored, the wait goes on (RFC 5452 §9.1); over
  // TCP such a message is skipped and the next one read.
  Result<Exchange> Ask(const dns::Name& name, std::uint16_t type);

  // spf::Resolver: NOERROR answers give the data of the requested type
  // found by following the CNAME chain from `name` inside the answer
  // section; a chain that ends without data and without an answer for its
  // last target is re-queried for that target, within max_cname_links (a
  // loop or a longer chain is kError). TXT records have their strings
  // joined (RFC 7208 §3.3); MX exchanges are sorted by preference (stable).
  // NXDOMAIN is kNxDomain, a timeout kTimeout, any other rcode or failure
  // kError, and so is a NOERROR reply with TC set (tcp_fallback off). `name` is taken as raw labels
  // split at '.', not as presentation text; a name that cannot be sent (an empty label, a label
  // over 63 octets, over 255 octets) is kError without a query. One
  // trailing dot is ignored, so "" and "." (the root) are kError too.
  // Links are CNAME records followed (RFC 1034 §3.6.2), whether found in
  // one answer or through re-queries; a re-query only follows a link.
  // Records count only in class IN; A/AAAA records whose RDATA has another
  // shape are skipped. MX exchanges and PTR targets are
  // dns::Name::ToString() text ("." for a null MX, RFC 7505).
  spf::DnsAnswer Query(std::string_view name, spf::QueryType type) override;

  const StubOptions& options() const { return opts_; }

 private:
  explicit StubResolver(StubOptions opts) : opts_(std::move(opts)) {}
  // A fresh message id (RFC 5452 §9.2): from a batch of getrandom(2)
  // bytes, refilled (RefillIds: false when the kernel gives none) when used
  // up.
  std::uint16_t NextId();
  bool RefillIds();

  StubOptions opts_;
  bool v6_ = false;                         // the family of `address_`
  std::array<std::uint8_t, 16> address_{};  // opts_.address, network order
  std::array<std::uint16_t, 32> ids_{};     // the batch NextId() hands out
  std::size_t next_id_ = 0;
  MemoryExchange memory_;  // set: no sockets
};

}  // namespace mxconform::net
