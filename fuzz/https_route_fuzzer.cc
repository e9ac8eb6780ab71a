// Fuzz target: what the mock policy host does with a request it has read
// (mocks/https/routing.h): HostWithoutPort on the Host header, Route by
// Host (or SNI) and path over a two-host config, and Render of the scripted
// response or of the 404 for an unscripted request. The HTTP parsing itself
// is Boost.Beast's, with the server's size limits; its input here is the
// fields Beast hands over.
//
// Input: byte 0 sets the response knobs (bit 0 chunked, 1 redirect, 2
// content_type, 3 an empty content_type, 4 oversized, 5 trickle, 6 a HEAD
// request, 7 a scripted Content-Length that frames the body itself); byte 1
// the sizes (trickle bytes, the oversized size, the status: 200, 204,
// 301, 302, 404, 304, 103); then
// "HOST\nSNI\nTARGET\nBODY".
//
// Asserts, for any input:
//  - HostWithoutPort is a prefix of the lower-cased input, has no upper
//    case, and keeps no port after a name; a Host value ValidHostHeader
//    takes is printable, with no space, '%', '/', '?', '#' or '@', and a
//    name before any port;
//  - a request is scripted exactly when its route (Host without port, or
//    the SNI when there is no Host; for an absolute-form target, its
//    authority) names a configured host and its path (the target, after
//    any authority, up to '?'; "/" when an absolute-form target has none)
//    one of that host's paths; an unscripted one is a 404 whose head holds
//    nothing of the request; TargetProblem refuses an absolute-form target
//    exactly when its authority has userinfo or is no Host value, and no
//    other target;
//  - the head is a status line, printable header lines and a blank line;
//    the framing it declares matches the pieces: Content-Length = the body
//    written, chunks that decode to the body and end with the last chunk,
//    trickled pieces no longer than asked; a HEAD gets no body; a redirect
//    has a 3xx status and a Location; an oversized body has exactly its
//    size; a 1xx, 204 or 304 gets neither framing nor body unless a
//    scripted header frames it.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "fuzz_check.h"
#include "mocks/https/routing.h"

namespace {

namespace https = mxconform::mocks::https;

std::string_view Field(std::string_view& in) {
  const std::size_t nl = in.find('\n');
  const std::string_view f = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  return f;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The value of header `name` (as written here: exact case) in `head`, or
// nullptr-like empty with found = false.
std::string_view HeaderValue(std::string_view head, std::string_view name, bool& found) {
  const std::string key = "\r\n" + std::string(name) + ": ";
  const std::size_t at = head.find(key);
  found = at != std::string_view::npos;
  if (!found) {
    return {};
  }
  const std::size_t from = at + key.size();
  return head.substr(from, head.find("\r\n", from) - from);
}

// The body a chunked encoding carries (FUZZ_CHECK on its framing).
std::string Dechunk(const std::vector<std::string>& pieces) {
  std::string body;
  FUZZ_CHECK(!pieces.empty() && pieces.back() == "0\r\n\r\n");
  for (std::size_t i = 0; i + 1 < pieces.size(); ++i) {
    const std::string& p = pieces[i];
    const std::size_t crlf = p.find("\r\n");
    FUZZ_CHECK(crlf != std::string::npos && crlf > 0);
    const std::size_t len = std::stoul(p.substr(0, crlf), nullptr, 16);
    FUZZ_CHECK(len > 0 && p.size() == crlf + 2 + len + 2);
    FUZZ_CHECK(p.compare(p.size() - 2, 2, "\r\n") == 0);
    body += p.substr(crlf + 2, len);
  }
  return body;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  mxconform::fuzz::SetInput(std::string_view(reinterpret_cast<const char*>(data), size));
  if (size < 2) {
    return 0;
  }
  const std::uint8_t knobs = data[0];
  const std::uint8_t sizes = data[1];
  std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::string_view host = Field(in);
  const std::string_view sni = Field(in);
  const std::string_view target = Field(in);
  const std::string_view body = in;

  // HostWithoutPort.
  const std::string h = https::HostWithoutPort(host);
  FUZZ_CHECK(h.size() <= host.size());
  FUZZ_CHECK(StartsWith(mxconform::text::ToLowerCopy(host), h));
  FUZZ_CHECK(mxconform::text::ToLowerCopy(h) == h);
  if (!h.empty() && h.front() != '[' && h.find(':') != std::string::npos) {
    // A colon is kept only when there are two or more (an IPv6 literal
    // without brackets, which has no port to cut).
    FUZZ_CHECK(h.find(':') != h.rfind(':') || host.find(':') != host.rfind(':'));
  }

  // ValidHostHeader: a valid value is printable, has no space, '%', '/',
  // '?', '#' or '@', and keeps a name before any port.
  if (https::ValidHostHeader(host)) {
    FUZZ_CHECK(!host.empty() && host.front() != ':');
    for (const char c : host) {
      FUZZ_CHECK(c > 0x20 && c < 0x7f && c != '%' && c != '/' && c != '?' && c != '#' && c != '@');
    }
    FUZZ_CHECK(!h.empty());
  }

  // The config: a policy host and a bracketed literal, keyed as Start
  // stores them.
  https::Response r;
  r.headers.push_back({"Content-Type", "text/plain"});
  r.body = std::string(body);
  r.chunked = (knobs & 1) != 0;
  if ((knobs & 2) != 0) {
    r.redirect = "https://mta-sts.example.test/elsewhere";
  }
  if ((knobs & 4) != 0) {
    r.content_type = (knobs & 8) != 0 ? "" : "application/json";
  }
  if ((knobs & 16) != 0) {
    r.oversized = r.body.size() + static_cast<std::size_t>(sizes) * 37;
  }
  if ((knobs & 32) != 0) {
    r.trickle_ms = 1;
    r.trickle_bytes = sizes % 17;  // 0 sends one byte at a time
  }
  if ((knobs & 128) != 0) {
    r.headers.push_back({"Content-Length", "3"});
  }
  static const int kStatuses[] = {200, 200, 204, 301, 302, 404, 304, 103};
  r.status = kStatuses[sizes % 8];
  https::Config cfg;
  cfg.hosts[https::HostWithoutPort("MTA-STS.Example.Test.:443")].paths["/.well-known/mta-sts.txt"] =
      r;
  cfg.hosts[https::HostWithoutPort("[::1]:8443")].paths["/"] = https::Response::Text("ok\n");

  // Route: by the Host header and the target, or, for an absolute-form
  // target, by its authority and what follows it ("/" when nothing does).
  const https::Routed routed = https::Route(cfg, host, sni, target);
  const auto absolute = https::AbsoluteTarget(target);
  const std::string want_host = absolute ? https::HostWithoutPort(absolute->authority) : h;
  std::string_view path_part = absolute ? absolute->rest : target;
  path_part = path_part.substr(0, path_part.find('?'));
  FUZZ_CHECK(routed.host == want_host);
  FUZZ_CHECK(routed.route == (want_host.empty() ? mxconform::text::ToLowerCopy(sni) : want_host));
  FUZZ_CHECK(routed.path == (absolute && path_part.empty() ? std::string_view("/") : path_part));
  FUZZ_CHECK(routed.path.find('?') == std::string::npos);
  if (absolute) {
    FUZZ_CHECK(absolute->authority.find('/') == std::string_view::npos &&
               absolute->authority.find('?') == std::string_view::npos);
    FUZZ_CHECK(target.substr(target.size() - absolute->rest.size()) == absolute->rest);
  }
  // A target is refused only in absolute-form, and then exactly when its
  // authority has userinfo or is no Host value.
  const std::string target_problem = https::TargetProblem(target);
  FUZZ_CHECK(target_problem.empty() ==
             (!absolute || (absolute->authority.find('@') == std::string_view::npos &&
                            https::ValidHostHeader(absolute->authority))));
  const bool want =
      (routed.route == "mta-sts.example.test" && routed.path == "/.well-known/mta-sts.txt") ||
      (routed.route == "[::1]" && routed.path == "/");
  FUZZ_CHECK(routed.scripted == want);
  if (!routed.scripted) {
    FUZZ_CHECK(routed.response().status == 404);
    FUZZ_CHECK(routed.response().body ==
               "not scripted: " + routed.route + " " + routed.path + "\n");
  }

  // Render.
  const bool head_request = (knobs & 64) != 0;
  const https::Response& resp = routed.response();
  const https::Rendered out = https::Render(resp, "Reason", head_request);
  FUZZ_CHECK(out.status == https::StatusOf(resp));
  FUZZ_CHECK(StartsWith(out.head, "HTTP/1.1 " + std::to_string(out.status) + " Reason\r\n"));
  FUZZ_CHECK(out.head.size() >= 4 && out.head.compare(out.head.size() - 4, 4, "\r\n\r\n") == 0);
  {
    std::string_view rest(out.head);
    rest.remove_suffix(4);
    while (!rest.empty()) {
      const std::size_t end = rest.find("\r\n");
      const std::string_view line = rest.substr(0, end);
      FUZZ_CHECK(!line.empty());
      for (char c : line) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_CHECK(u >= 0x20 && u < 0x7f);
      }
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    }
  }
  if (!routed.scripted) {
    // Nothing of the request in the head: its bytes are fixed.
    FUZZ_CHECK(out.head == "HTTP/1.1 404 Reason\r\nContent-Type: text/plain\r\nContent-Length: " +
                               std::to_string(resp.body.size()) + "\r\nConnection: close\r\n\r\n");
  }
  if (!resp.redirect.empty()) {
    FUZZ_CHECK(out.status >= 300 && out.status <= 399);
    bool found = false;
    FUZZ_CHECK(HeaderValue(out.head, "Location", found) == resp.redirect && found);
  }
  if (head_request) {
    FUZZ_CHECK(out.pieces.empty());
    return 0;
  }
  // 1xx, 204 and 304 have no content: no framing, no body, unless the
  // scripted headers frame one themselves.
  if (https::StatusWithoutContent(out.status) && !(knobs & 128)) {
    bool cl = false;
    bool te = false;
    HeaderValue(out.head, "Content-Length", cl);
    HeaderValue(out.head, "Transfer-Encoding", te);
    FUZZ_CHECK(!cl && !te && out.pieces.empty());
    return 0;
  }
  const std::size_t body_size = resp.oversized > 0 ? resp.oversized : resp.body.size();
  bool preframed = false;
  HeaderValue(out.head, "Content-Length", preframed);
  preframed = preframed && resp.headers.size() > 1 && resp.headers.back().name == "Content-Length";
  if (resp.chunked) {
    const std::string decoded = Dechunk(out.pieces);
    FUZZ_CHECK(decoded.size() == body_size);
    if (resp.oversized == 0) {
      FUZZ_CHECK(decoded == resp.body);
    }
    if (!preframed) {
      bool te = false;
      FUZZ_CHECK(HeaderValue(out.head, "Transfer-Encoding", te) == "chunked" && te);
    }
  } else {
    std::string joined;
    for (const std::string& p : out.pieces) {
      FUZZ_CHECK(!p.empty());
      if (resp.trickle_ms > 0) {
        FUZZ_CHECK(p.size() <= std::max<std::size_t>(resp.trickle_bytes, 1));
      }
      joined += p;
    }
    FUZZ_CHECK(joined.size() == body_size);
    if (resp.oversized == 0) {
      FUZZ_CHECK(joined == resp.body);
    } else {
      FUZZ_CHECK(StartsWith(joined, resp.body));
    }
    if (!preframed) {
      bool cl = false;
      FUZZ_CHECK(HeaderValue(out.head, "Content-Length", cl) == std::to_string(body_size) && cl);
    }
  }
  return 0;
}
