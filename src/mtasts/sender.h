// The reference MTA-STS sender (RFC 8461 §3-§5, RFC 8460 §4.3): one
// delivery attempt to a recipient domain, doing what the RFCs ask and
// saying why at each step. All I/O is behind interfaces, so the same code
// runs in-process against the scenario's fakes (a virtual clock, no
// sockets) and on the wire against the socket mocks: DNS through
// spf::Resolver (TXT, A, MX), the policy fetch through PolicyFetcher, SMTP
// through MxConnector / MxSession, the policy cache as mtasts::PolicyCache
// (which reads the time from its Clock; the fetcher and the MX sessions
// verify certificates at that clock's time too).
//
// Decisions the RFCs leave open, and what the reference does:
//  - No MX records (NXDOMAIN aside): the domain itself is the implicit MX
//    (RFC 5321 §5.1). A null MX (RFC 7505) bounces.
//  - A TLS handshake that fails leaves no usable connection: the next MX is
//    tried; the same MX is never retried in plaintext (that would be the
//    `cleartext-fallback` corner cut, RFC 8461 §4.2).
//  - Without a policy (or under mode none) STARTTLS is used when offered
//    and the message goes over TLS whatever the certificate (opportunistic
//    TLS, RFC 3207); the channel then says verified or unverified.
//  - A 4xx reply to the message (greylisting) defers it and the next MX is
//    tried; a 5xx bounces it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mtasts/cache.h"
#include "mtasts/decision.h"
#include "mtasts/policy.h"
#include "spf/resolver.h"
#include "tlsrpt/result_type.h"

namespace mxconform::mtasts {

// What a policy fetch (HTTPS GET https://mta-sts.<domain>/.well-known/
// mta-sts.txt, RFC 8461 §3.3) gave. The fetcher enforces what it can see on
// the wire: no redirect followed, the size cap, the timeout, the
// certificate (PKIX and the name mta-sts.<domain>); the sender checks the
// status, the media type and the policy itself.
struct FetchResponse {
  std::optional<FetchFailure> failure;  // kNetwork, kTimeout, kTooLarge, kTls*, kCertificateInvalid
  std::string detail;                   // why, for the report
  int status = 0;                       // HTTP status when a response came
  std::string content_type;             // the Content-Type header, as sent
  std::string location;                 // Location, for a 3xx
  std::string body;
};

// Where the policy lives on its host (RFC 8461 §3.2).
inline constexpr std::string_view kPolicyPath = "/.well-known/mta-sts.txt";

class PolicyFetcher {
 public:
  virtual ~PolicyFetcher() = default;
  // GET https://<host><path>. The sender asks for "mta-sts." + the policy
  // domain and kPolicyPath; only the `follow-redirects` corner cut asks for
  // anything else.
  virtual FetchResponse Fetch(std::string_view host, std::string_view path) = 0;
};

// How a message left, if it did.
enum class Channel : std::uint8_t { kNone, kVerifiedTls, kUnverifiedTls, kPlaintext };
std::string_view ChannelName(Channel c);  // "none", "verified-tls", "unverified-tls", "plaintext"

struct StartTlsResult {
  TlsOutcome outcome = TlsOutcome::kOk;  // kStarttlsRefused, kHandshakeFailed, kCert*
  bool usable = true;  // the session went on over TLS (false after a failed handshake)
  std::string detail;
};

enum class SendStatus : std::uint8_t { kAccepted, kTempFail, kPermFail, kBroken };
struct SendResult {
  SendStatus status = SendStatus::kBroken;
  std::string detail;  // the server's reply, or what broke
};

// One SMTP session with an MX, after the TCP connection was made.
class MxSession {
 public:
  virtual ~MxSession() = default;
  // Reads the banner and sends EHLO. False (with `detail`) when the server
  // refused or the dialogue broke.
  virtual bool Greet(std::string& detail) = 0;
  virtual bool StarttlsOffered() const = 0;
  // STARTTLS, the handshake with SNI `sni`, and the verification of the
  // peer's chain for `sni` against the sender's trust store at the clock's
  // time (RFC 8461 §4.1, §4.2), then EHLO again: at once when the
  // certificate is valid, else only when the caller goes on to Send(), so
  // that a caller who finds the session not good enough sends QUIT as the
  // first command under TLS (RFC 3207 §4.1).
  virtual StartTlsResult StartTls(std::string_view sni) = 0;
  // MAIL FROM, RCPT TO, DATA with `message` (an RFC 5322 message, lines
  // ending in CRLF or LF, sent dot-stuffed; empty: a short test message of
  // the session's own); kAccepted only when the final reply to the data is
  // 2xx.
  virtual SendResult Send(std::string_view from, std::string_view to, std::string_view message) = 0;
  virtual void Quit() = 0;
};

class MxConnector {
 public:
  virtual ~MxConnector() = default;
  // Connects to exchange `mx_host` at `address` (one of its A or AAAA
  // records as text; for an address literal, the literal) on port 25 (the
  // fakes and mocks map the pair to where they listen). Null, with
  // `detail`, when no connection could be made.
  virtual std::unique_ptr<MxSession> Connect(std::string_view mx_host, std::string_view address,
                                             std::string& detail) = 0;
};

enum class Verdict : std::uint8_t { kDelivered, kDeferred, kBounced };
std::string_view VerdictName(Verdict v);  // "delivered", "deferred", "bounced"

// One TLS-RPT failure the sender would report (RFC 8460 §4.3).
struct RptFailure {
  tlsrpt::ResultType type = tlsrpt::ResultType::kValidationFailure;
  std::string receiving_mx;  // empty for policy failures
  std::string detail;
  std::string receiving_ip;  // the address connected to; empty when none was
};

// The story of one delivery.
struct DeliveryReport {
  Verdict verdict = Verdict::kDeferred;
  Channel channel = Channel::kNone;
  std::string mx;                   // where it was delivered
  std::optional<Mode> policy_mode;  // the policy that applied, if any
  std::string policy_id;
  // That policy as TLS-RPT's policy-string gives it (RFC 8460 §4.4), taken
  // when it was applied: the cache may no longer hold it once the delivery
  // is over (max_age 0, say).
  std::vector<std::string> policy_strings;
  std::vector<RptFailure> failures;
  std::vector<std::string> contacted;  // MX hosts connected to, in order
  std::vector<std::string> steps;      // one line per decision, for the transcript
  // What the sender would tell its administrator: a cached enforce or
  // testing policy failed to refresh (STS-3.3-13).
  std::vector<std::string> alerts;
  // The delivery carried a TLS-RPT report (Purpose::kReport): its sessions
  // are not to be counted in a report (RFC 8460 §3, RPT-3-12).
  bool report_delivery = false;
};

// What a delivery carries. A TLS-RPT report mailed to a `rua=mailto:`
// address must get through whatever happens to TLS (RFC 8460 §3,
// RPT-3-11): MTA-STS is not enforced for it (no policy is consulted, any
// certificate is taken), and a failed TLS handshake is retried in
// plaintext on the same host.
enum class Purpose : std::uint8_t { kMessage, kReport };

// The reference sender, or one of the corner cuts real senders make
// (issue 7's negative controls: the conformance catalog must catch each).
// Only kReference conforms.
enum class SenderProfile : std::uint8_t {
  kReference,
  kOpportunistic,      // no MTA-STS: STARTTLS when offered, any certificate
  kNoCache,            // never keeps a policy between deliveries
  kFollowRedirects,    // follows 3xx answers to the policy fetch
  kCleartextFallback,  // after a failed TLS handshake, retries that MX in plaintext
  kNoNameCheck,        // checks the MX chain but not the MX name
  kNoShuffle,          // tries equal-preference MX hosts in the DNS answer's order
};
std::string_view ProfileName(SenderProfile p);  // "reference", "opportunistic", "no-cache", ...
std::optional<SenderProfile> ParseProfile(std::string_view name);
// Every profile, kReference first.
const std::vector<SenderProfile>& AllProfiles();

struct SenderOptions {
  std::string from = "sender@mxconform.invalid";
  ParseOptions policy_parse;  // how fetched policies are read (strict by default)
  SenderProfile profile = SenderProfile::kReference;
  // MX hosts of equal preference are tried in a random order (RFC 5321
  // §5.1, MX-5.1-09), drawn from this seed; none: a seed from the system's
  // entropy. A fixed seed makes a run reproducible (the scenario runner).
  std::optional<std::uint64_t> mx_shuffle_seed;
  // The names this sender is known by as an MX host (RFC 5321 §5.1,
  // MX-5.1-10): when one of a domain's exchanges is one of them, the
  // exchanges of its preference and above are not tried, and a domain
  // left with none is undeliverable. Compared case-insensitively, a
  // trailing dot ignored.
  std::vector<std::string> local_names;
};

class Sender {
 public:
  // Every reference must outlive the sender. The cache is the sender's
  // memory between deliveries; a "restart without cache" is a new one.
  Sender(spf::Resolver& dns, PolicyFetcher& fetcher, MxConnector& mx, PolicyCache& cache,
         SenderOptions opts = {});

  // One delivery attempt of `message` (empty: a test message; see
  // MxSession::Send) to `recipient` (local@domain).
  DeliveryReport Deliver(std::string_view recipient, Purpose purpose = Purpose::kMessage,
                         std::string_view message = {});

 private:
  struct PolicyState;
  PolicyState Discover(std::string_view domain, DeliveryReport& report);
  FetchResponse FetchPolicy(const std::string& host, DeliveryReport& report);
  DeliveryReport DeliverOnce(std::string_view recipient, std::string_view message, Purpose purpose);
  // kCleartextFallback: a new session with `host` at `address`, the
  // message sent without STARTTLS. True when it was accepted.
  bool SendInClear(const std::string& host, const std::string& address, std::string_view recipient,
                   std::string_view message, DeliveryReport& report);
  // One delivery attempt to exchange `host` at one of its addresses
  // (`name_address`: the steps name it, the host having several).
  enum class Attempt : std::uint8_t { kDelivered, kNext, kBounce };
  Attempt TryAddress(const Policy* policy, const std::string& host, const std::string& address,
                     bool name_address, bool literal, std::string_view recipient,
                     std::string_view message, Purpose purpose, DeliveryReport& report);
  // RFC 5321 §5.1: the hosts to try, in order, for `domain` (an address
  // literal is its own host). False when there are none: the report then
  // holds the verdict (deferred on a DNS error; bounced on NXDOMAIN, a
  // null MX, or when no exchange is more preferred than this host).
  bool Destinations(const std::string& domain, bool literal, DeliveryReport& report,
                    std::vector<std::string>& hosts);
  // The A and AAAA records of exchange `host` (asked in that order), as
  // text into `addresses`, and whether it has any.
  enum class Reach : std::uint8_t { kAddressed, kNoAddress, kLookupFailed };
  Reach Resolve(const std::string& host, DeliveryReport& report,
                std::vector<std::string>& addresses);
  // True if `host` is one of SenderOptions::local_names.
  bool IsLocalName(std::string_view host) const;

  spf::Resolver& dns_;
  PolicyFetcher& fetcher_;
  MxConnector& mx_;
  PolicyCache& cache_;
  SenderOptions opts_;
  std::mt19937_64 rng_;  // the order of equal-preference MX hosts
};

}  // namespace mxconform::mtasts
