// The mock policy host's answer to a request, without the transport: the
// rule a request meets (by its Host header, or by its SNI when it has none,
// and by its path) and the response it gets, head and body pieces as they
// are written. server.cc reads the request (Boost.Beast, with its size
// limits) and writes what these return; fuzz/https_route_fuzzer.cc feeds
// them arbitrary requests and scripted responses. No I/O and no Boost.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mocks/https/server.h"

namespace mxconform::mocks::https {

// A Host header value (or a configured host name) as a route key:
// "mta-sts.example.test:8443" -> "mta-sts.example.test", "[::1]:80" ->
// "[::1]", lower case, without one trailing dot.
std::string HostWithoutPort(std::string_view host);

// True if a Host header value is a uri-host with an optional numeric port
// (RFC 9112 §3.2, RFC 3986 §3.2.2: a reg-name of unreserved and sub-delims
// characters, no percent-escapes, or an IP literal in brackets) that
// leaves a name to route by ("." does not). A server MUST answer 400 to an
// HTTP/1.1 request whose Host is not.
bool ValidHostHeader(std::string_view host);

// An absolute-form request-target (RFC 9112 §3.2.2, "http://host:port/p?q",
// the scheme case-insensitive): its authority and what follows it, the
// path and query ("" when it stops at the authority). nullopt for any
// other form (origin-form "/p" above all).
struct AbsoluteForm {
  std::string_view authority;
  std::string_view rest;
};
std::optional<AbsoluteForm> AbsoluteTarget(std::string_view target);

// Why a request-target cannot be routed, or "" when it can: origin-form,
// or absolute-form with an authority ValidHostHeader() takes and no
// userinfo (RFC 9110 §4.2.4: a recipient treats one as an error). A
// server answers 400 otherwise.
std::string TargetProblem(std::string_view target);

// The rule for one request.
struct Routed {
  // HostWithoutPort of the Host header, or of the target's authority when
  // the target is in absolute-form (RFC 9112 §3.2.2: the server MUST then
  // ignore the Host header); empty: none.
  std::string host;
  std::string route;  // `host`, or the SNI in lower case when there is none
  // The target's path: up to any '?' (after the authority in absolute-form,
  // and "/" when that form has no path).
  std::string path;
  bool scripted = false;
  // The scripted response (in the config), or a 404 text/plain "not
  // scripted: ROUTE PATH" (exhaustive: a request the scenario did not
  // script is its error).
  const Response& response() const { return rule != nullptr ? *rule : *unscripted; }

  const Response* rule = nullptr;      // into Config::hosts, when scripted
  std::optional<Response> unscripted;  // otherwise
};
// `cfg.hosts` keyed by HostWithoutPort (as Server::Start stores them); the
// result refers into `cfg`.
Routed Route(const Config& cfg, std::string_view host_header, std::string_view sni,
             std::string_view target);

// The status a response is sent with: its own, or 301 when it redirects
// and its own is not a 3xx.
int StatusOf(const Response& r);

// Chunks of a chunked body, unless trickling (RFC 9112 §7.1).
inline constexpr std::size_t kChunkBytes = 1024;

// True for the statuses whose responses have no content (RFC 9110 §15.2,
// §15.3.5, §15.4.5; RFC 9112 §6.3): 1xx, 204 and 304.
bool StatusWithoutContent(int status);

// A response as written: the head (status line with `reason`, the scripted
// headers less those the content_type and redirect knobs replace, the
// framing unless a scripted header already frames it, Connection: close,
// the blank line), then the body in pieces: `trickle_bytes` each when
// trickling, chunks of kChunkBytes (each framed, then the last chunk) when
// chunked, else one; no pieces for a HEAD request. An `oversized` body is
// the scripted one padded to that size. A status without content gets no
// framing and no body (RFC 9110 §8.6: no Content-Length with 1xx or 204),
// unless the scripted headers frame it, which a scenario may do on purpose.
struct Rendered {
  int status = 200;
  std::string head;
  std::vector<std::string> pieces;
};
// `date` (common/clock.h HttpDate), when not empty, is sent as the Date header (RFC 9110 §6.6.1: an
// origin server with a clock MUST send one), after the status line, unless
// the scripted headers carry their own Date.
Rendered Render(const Response& r, std::string_view reason, bool head_request,
                std::string_view date = {});

// `response` (a status line, headers, the blank line, any body) with
// "Date: `date`" after its status line; `response` as it is when `date` is
// empty or no status line ends in it.
std::string WithDate(std::string_view response, std::string_view date);

}  // namespace mxconform::mocks::https
