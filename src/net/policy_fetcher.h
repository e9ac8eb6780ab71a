// The MTA-STS policy fetch on the wire (RFC 8461 §3.3): HTTPS GET
// /.well-known/mta-sts.txt from the policy host over Boost.Beast and
// asio::ssl, implementing mtasts::PolicyFetcher so the reference sender
// runs against the mock policy host (mocks/https) or any HTTPS server.
//
// What it enforces, as the sender's contract (mtasts/sender.h) asks: no
// redirect is followed (STS-3.3-06: a 3xx comes back with its status and
// Location), the body cap (STS-3.3-09), a deadline on the whole fetch
// (STS-3.3-09), and the certificate (STS-3.3-01, -02: PKIX to the trust
// store and the host name, at the clock's time, through tls::Verify). It
// sends no conditional request and keeps no HTTP cache (STS-3.3-07). The
// status, media type and policy are the sender's to judge.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "mtasts/sender.h"
#include "tls/verify.h"

namespace mxconform::net {

// RFC 8461 §3.3 suggests a cap of about 64 KiB on the policy body.
inline constexpr std::size_t kMaxPolicyBody = 64 * 1024;

struct HttpsFetcherOptions {
  // Where each policy host is: "mta-sts.example.com" -> "127.0.0.1:8443"
  // (or "[::1]:8443"). Names compare ASCII case-insensitively, one trailing
  // dot ignored. A host not here fails as kNetwork ("no address"): the
  // fetcher does no DNS.
  std::map<std::string, std::string> addresses;
  // The roots the policy host's chain must lead to; null: every chain fails
  // as certificate-not-trusted.
  std::shared_ptr<const tls::TrustStore> trust;
  // The verification time (the scenario's clock); null: the system time.
  // Must outlive the fetcher.
  const Clock* clock = nullptr;
  // How chains are checked (CN fallback, security level); `time` is taken
  // from `clock`. RFC 8461 §3.3 (STS-3.3-02): only DNS-IDs, so allow_cn
  // stays false.
  tls::VerifyOptions verify;
  // Each phase ends at its own timeout or the whole fetch's, whichever
  // comes first. RFC 8461 §3.3 lets a sender bound the fetch
  // (STS-3.3-09, about 60 s suggested there); 10 s here, so that a wire
  // run meeting a stalling host fails fast.
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds total_timeout{10000};
  // Bodies above this fail as kTooLarge (RFC 8461 §3.3, STS-3.3-09); a
  // Content-Length above it fails before any of the body is read.
  std::size_t max_body = kMaxPolicyBody;
};

// An HTTPS POST: a TLS-RPT report to an https rua (RFC 8460 §3, RPT-3-09).
struct HttpsPostRequest {
  std::string host;  // the SNI, the Host header and the certificate's name
  std::string path;  // the request target
  std::string content_type;
  std::string body;
  // RFC 8460 §3 (RPT-3-10): a report submitter MAY ignore certificate
  // errors. false sends the report whatever tls::Verify says of the chain;
  // the response's `detail` then names the error ignored.
  bool verify_certificate = true;
};

class HttpsPolicyFetcher final : public mtasts::PolicyFetcher {
 public:
  explicit HttpsPolicyFetcher(HttpsFetcherOptions opts);

  // GET https://<host><path> (HTTP/1.1, SNI and Host = `host`), on a
  // private io_context in the calling thread. Never throws. A response (any
  // status) fills status, content_type, location and body, with no
  // failure. Failures:
  //   kNetwork: no address for the host, connect refused, a reset or a
  //     response cut short, a malformed response (detail says which);
  //   kTimeout: a phase's deadline or the whole fetch's passed;
  //   kTlsHandshake: the TLS handshake failed (an alert, the peer closed,
  //     a peer that does not speak TLS);
  //   kCertificateInvalid: tls::Verify refused the chain for `host`;
  //     detail: "<RFC 8460 result type>: <why>", e.g. "certificate-expired:
  //     certificate has expired";
  //   kTooLarge: the body exceeds max_body (reading stops there).
  // The request is sent only after the chain was verified.
  mtasts::FetchResponse Fetch(std::string_view host, std::string_view path) override;

  // POST https://<host><path> with the body, its Content-Type and a
  // Content-Length, through the same connection, deadlines and checks as
  // Fetch (the chain is not checked with verify_certificate false). The
  // status comes back with the response's headers and body; the failures
  // are Fetch's.
  mtasts::FetchResponse Post(const HttpsPostRequest& request);

  const HttpsFetcherOptions& options() const { return opts_; }

 private:
  HttpsFetcherOptions opts_;
};

}  // namespace mxconform::net
