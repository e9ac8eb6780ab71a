#include "mocks/https/routing.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "common/text.h"

namespace mxconform::mocks::https {
namespace {

constexpr std::size_t kPaddingLineBytes = 80;  // `oversized` padding lines

std::string Hex(std::size_t n) {
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n, 16);
  return std::string(buf, end);
}

// `body`, then `x-padding-N: xxx` lines (RFC 8461 §3.2 extension fields) up
// to exactly `size` bytes. The last line takes what is left; when that is
// too little for a line, it is filled with 'x'.
std::string OversizedBody(const std::string& body, std::size_t size) {
  std::string out = body;
  if (!out.empty() && out.back() != '\n') {
    out += "\r\n";
  }
  for (std::size_t n = 0; out.size() < size; ++n) {
    const std::size_t remaining = size - out.size();
    std::string line = "x-padding-" + std::to_string(n) + ": ";
    const std::size_t len = remaining >= 2 * kPaddingLineBytes ? kPaddingLineBytes : remaining;
    if (len < line.size() + 3) {
      out.append(remaining, 'x');
      break;
    }
    line.append(len - line.size() - 2, 'x');
    line += "\r\n";
    out += line;
  }
  out.resize(size);
  return out;
}

}  // namespace

Response Response::Text(std::string body) {
  Response r;
  r.headers.push_back({"Content-Type", "text/plain"});
  r.body = std::move(body);
  return r;
}

std::string HostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    host = host.substr(0, close == std::string_view::npos ? host.size() : close + 1);
  } else if (const std::size_t colon = host.find(':');
             colon != std::string_view::npos &&
             host.find(':', colon + 1) == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  return text::ToLowerCopy(host);
}

bool ValidHostHeader(std::string_view host) {
  std::string_view name = host;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {  // an IP literal
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    name = host.substr(0, close + 1);
    port = host.substr(close + 1);
  } else if (const std::size_t colon = host.find(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon);
  }
  const bool port_ok =
      port.empty() || (port.front() == ':' && std::all_of(port.begin() + 1, port.end(), [](char c) {
                         return c >= '0' && c <= '9';
                       }));
  // reg-name and IP-literal characters (RFC 3986 §3.2.2), no '%' escapes.
  const bool name_ok = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return text::IsAlnum(c) ||
           std::string_view("-._~!$&'()*+,;=[]:").find(c) != std::string_view::npos;
  });
  // And a name to route by: "." alone (the root) leaves none.
  return port_ok && name_ok && !HostWithoutPort(host).empty();
}

std::optional<AbsoluteForm> AbsoluteTarget(std::string_view target) {
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() >= scheme.size() &&
        text::EqualsIgnoreCase(target.substr(0, scheme.size()), scheme)) {
      const std::string_view after = target.substr(scheme.size());
      const std::size_t end = std::min(after.find_first_of("/?"), after.size());
      return AbsoluteForm{after.substr(0, end), after.substr(end)};
    }
  }
  return std::nullopt;
}

std::string TargetProblem(std::string_view target) {
  const std::optional<AbsoluteForm> abs = AbsoluteTarget(target);
  if (!abs) {
    return "";  // origin-form, or a target no rule has: unscripted
  }
  if (abs->authority.find('@') != std::string_view::npos) {
    return "userinfo in the target's authority";
  }
  if (!ValidHostHeader(abs->authority)) {
    return "bad authority in the target";
  }
  return "";
}

Routed Route(const Config& cfg, std::string_view host_header, std::string_view sni,
             std::string_view target) {
  Routed out;
  const std::optional<AbsoluteForm> abs = AbsoluteTarget(target);
  out.host = HostWithoutPort(abs ? abs->authority : host_header);
  out.route = out.host.empty() ? text::ToLowerCopy(sni) : out.host;
  if (abs) {
    target = abs->rest;
  }
  out.path = std::string(target.substr(0, target.find('?')));
  if (abs && out.path.empty()) {
    out.path = "/";  // RFC 9112 §3.2.1: an empty path is sent as "/"
  }
  if (auto h = cfg.hosts.find(out.route); h != cfg.hosts.end()) {
    if (auto p = h->second.paths.find(out.path); p != h->second.paths.end()) {
      out.scripted = true;
      out.rule = &p->second;
      return out;
    }
  }
  out.unscripted = Response::Text("not scripted: " + out.route + " " + out.path + "\n");
  out.unscripted->status = 404;
  return out;
}

bool StatusWithoutContent(int status) {
  return (status >= 100 && status <= 199) || status == 204 || status == 304;
}

int StatusOf(const Response& r) {
  if (!r.redirect.empty() && (r.status < 300 || r.status > 399)) {
    return 301;
  }
  return r.status;
}

std::string WithDate(std::string_view response, std::string_view date) {
  const std::size_t eol = response.find("\r\n");
  if (date.empty() || eol == std::string_view::npos) {
    return std::string(response);
  }
  std::string out(response.substr(0, eol + 2));
  out += "Date: ";
  out += date;
  out += "\r\n";
  out += response.substr(eol + 2);
  return out;
}

Rendered Render(const Response& r, std::string_view reason, bool head_request,
                std::string_view date) {
  Rendered out;
  out.status = StatusOf(r);
  const std::string body = r.oversized > 0 ? OversizedBody(r.body, r.oversized) : r.body;
  std::string& head = out.head;
  head.clear();
  for (const int status : r.interim) {
    head += "HTTP/1.1 " + std::to_string(status) + " Interim\r\n\r\n";
  }
  head += "HTTP/1.1 " + std::to_string(out.status) + " " + std::string(reason) + "\r\n";
  const bool scripted_date = std::any_of(r.headers.begin(), r.headers.end(), [](const Header& h) {
    return text::EqualsIgnoreCase(h.name, "Date");
  });
  if (!date.empty() && !scripted_date) {
    head += "Date: " + std::string(date) + "\r\n";
  }
  bool framed = false;
  for (const Header& h : r.headers) {
    if ((r.content_type && text::EqualsIgnoreCase(h.name, "Content-Type")) ||
        (!r.redirect.empty() && text::EqualsIgnoreCase(h.name, "Location"))) {
      continue;
    }
    framed = framed || text::EqualsIgnoreCase(h.name, "Content-Length") ||
             text::EqualsIgnoreCase(h.name, "Transfer-Encoding");
    head += h.name + ": " + h.value + "\r\n";
  }
  if (r.content_type && !r.content_type->empty()) {
    head += "Content-Type: " + *r.content_type + "\r\n";
  }
  if (!r.redirect.empty()) {
    head += "Location: " + r.redirect + "\r\n";
  }
  const bool no_content = StatusWithoutContent(out.status) && !framed;
  if (!framed && !r.close_delimited && !no_content) {
    head += r.chunked ? "Transfer-Encoding: chunked\r\n"
                      : "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  head += "Connection: close\r\n\r\n";
  if (head_request || no_content) {
    return out;
  }
  // close_delimited means no framing at all: chunked is dropped with it
  // (the chunks went out without their header, review finding).
  const bool chunked = r.chunked && !r.close_delimited;
  const std::size_t piece = r.trickle_ms > 0 ? std::max<std::size_t>(r.trickle_bytes, 1)
                            : chunked        ? kChunkBytes
                                             : std::max<std::size_t>(body.size(), 1);
  for (std::size_t off = 0; off < body.size(); off += piece) {
    std::string part = body.substr(off, piece);
    std::string extension;
    if (chunked && off == 0 && r.chunk_extension_bytes > 0) {
      extension = ";x=" + std::string(r.chunk_extension_bytes, 'x');
    }
    out.pieces.push_back(chunked ? Hex(part.size()) + extension + "\r\n" + part + "\r\n"
                                 : std::move(part));
  }
  if (chunked) {
    out.pieces.emplace_back("0\r\n\r\n");
  }
  return out;
}

}  // namespace mxconform::mocks::https
