// The policy host's routing and rendering without a socket
// (server_test.cc drives the same code over loopback with real clients).
#include "mocks/https/routing.h"

#include <gtest/gtest.h>

#include <string>

#include "common/clock.h"

namespace mxconform::mocks::https {
namespace {

TEST(HostWithoutPort, CutsThePortOneTrailingDotAndCase) {
  EXPECT_EQ(HostWithoutPort("MTA-STS.Example.Test:8443"), "mta-sts.example.test");
  EXPECT_EQ(HostWithoutPort("mta-sts.example.test."), "mta-sts.example.test");
  EXPECT_EQ(HostWithoutPort("mta-sts.example.test.:443"), "mta-sts.example.test");
  EXPECT_EQ(HostWithoutPort("[::1]:80"), "[::1]");
  EXPECT_EQ(HostWithoutPort("[::1"), "[::1");
  EXPECT_EQ(HostWithoutPort("::1"), "::1");  // two colons: no port to cut
  EXPECT_EQ(HostWithoutPort(""), "");
}

Config TwoHosts() {
  Config cfg;
  Response policy = Response::Text("version: STSv1\r\n");
  cfg.hosts["mta-sts.example.test"].paths["/.well-known/mta-sts.txt"] = policy;
  cfg.hosts["[::1]"].paths["/"] = Response::Text("ok\n");
  return cfg;
}

// RFC 9112 §3.2 / RFC 3986 §3.2.2: what a Host header may hold.
TEST(ValidHostHeader, NameOrLiteralWithANumericPort) {
  for (const char* ok : {"mta-sts.example.test", "MTA-STS.example.test:443", "[::1]", "[::1]:80",
                         "192.0.2.1:8443", "a_b.example", "example.test."}) {
    EXPECT_TRUE(ValidHostHeader(ok)) << ok;
  }
  for (const char* bad : {"", ".", ".:443", ":443", "a.test:xyz", "a.test:-1", "a b.test",
                          "a%20b.test", "user@a.test", "a.test/x", "[::1", "[::1]x", "a.test?x"}) {
    EXPECT_FALSE(ValidHostHeader(bad)) << bad;
  }
}

TEST(Route, ByHostElseBySniAndByPathWithoutTheQuery) {
  const Config cfg = TwoHosts();
  Routed r = Route(cfg, "MTA-STS.example.test:443", "other.example", "/.well-known/mta-sts.txt?a");
  EXPECT_TRUE(r.scripted);
  EXPECT_EQ(r.route, "mta-sts.example.test");
  EXPECT_EQ(r.path, "/.well-known/mta-sts.txt");
  EXPECT_EQ(r.response().body, "version: STSv1\r\n");

  r = Route(cfg, "", "MTA-STS.Example.Test", "/.well-known/mta-sts.txt");
  EXPECT_TRUE(r.scripted);
  EXPECT_EQ(r.host, "");

  r = Route(cfg, "other.example", "mta-sts.example.test", "/.well-known/mta-sts.txt");
  EXPECT_FALSE(r.scripted);  // the Host header decides when there is one
  EXPECT_EQ(r.response().status, 404);
  EXPECT_EQ(r.response().body, "not scripted: other.example /.well-known/mta-sts.txt\n");
}

TEST(Render, FramesWithContentLengthUnlessChunkedOrAlreadyFramed) {
  Response r = Response::Text("hello");
  Rendered out = Render(r, "OK", false);
  EXPECT_EQ(out.head,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
            "Connection: close\r\n\r\n");
  ASSERT_EQ(out.pieces.size(), 1u);
  EXPECT_EQ(out.pieces[0], "hello");

  r.chunked = true;
  r.body = std::string(1500, 'x');
  out = Render(r, "OK", false);
  EXPECT_NE(out.head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  ASSERT_EQ(out.pieces.size(), 3u);
  EXPECT_EQ(out.pieces[0], "400\r\n" + std::string(1024, 'x') + "\r\n");
  EXPECT_EQ(out.pieces[1], "1dc\r\n" + std::string(476, 'x') + "\r\n");
  EXPECT_EQ(out.pieces[2], "0\r\n\r\n");

  Response framed = Response::Text("abc");
  framed.headers.push_back({"content-length", "99"});  // wrong on purpose
  out = Render(framed, "OK", false);
  EXPECT_NE(out.head.find("content-length: 99\r\n"), std::string::npos);
  EXPECT_EQ(out.head.find("Content-Length"), std::string::npos);

  // close_delimited: no framing at all, the body as is.
  Response delimited = Response::Text("hello");
  delimited.close_delimited = true;
  out = Render(delimited, "OK", false);
  EXPECT_EQ(out.head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(out.pieces.size(), 1u);
  EXPECT_EQ(out.pieces[0], "hello");
  // ... chunked or not: the chunks went out without their header (review
  // finding).
  delimited.chunked = true;
  out = Render(delimited, "OK", false);
  EXPECT_EQ(out.head, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(out.pieces.size(), 1u);
  EXPECT_EQ(out.pieces[0], "hello");

  // No content with 1xx, 204 and 304 (RFC 9110 §8.6).
  for (const int status : {103, 204, 304}) {
    Response none = Response::Text("not sent");
    none.status = status;
    out = Render(none, "X", false);
    EXPECT_EQ(out.head, "HTTP/1.1 " + std::to_string(status) +
                            " X\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
        << status;
    EXPECT_TRUE(out.pieces.empty()) << status;
  }

  // chunk_extension_bytes: on the first chunk-size line only.
  r.chunk_extension_bytes = 5;
  out = Render(r, "OK", false);
  ASSERT_EQ(out.pieces.size(), 3u);
  EXPECT_EQ(out.pieces[0], "400;x=xxxxx\r\n" + std::string(1024, 'x') + "\r\n");
  EXPECT_EQ(out.pieces[1], "1dc\r\n" + std::string(476, 'x') + "\r\n");
}

TEST(Render, KnobsReplaceHeadersTrickleAndPad) {
  Response r = Response::Text("body");
  r.content_type = "";
  r.redirect = "https://elsewhere.example/";
  Rendered out = Render(r, "Moved Permanently", true);
  EXPECT_EQ(out.status, 301);
  EXPECT_EQ(out.head,
            "HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.example/\r\n"
            "Content-Length: 4\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(out.pieces.empty());  // HEAD

  Response t = Response::Text("abcdefg");
  t.trickle_ms = 10;
  t.trickle_bytes = 3;
  out = Render(t, "OK", false);
  ASSERT_EQ(out.pieces.size(), 3u);
  EXPECT_EQ(out.pieces[2], "g");

  Response big = Response::Text("version: STSv1");
  big.oversized = kOversizedBytes;
  out = Render(big, "OK", false);
  ASSERT_EQ(out.pieces.size(), 1u);
  EXPECT_EQ(out.pieces[0].size(), kOversizedBytes);
  EXPECT_EQ(out.pieces[0].rfind("version: STSv1\r\nx-padding-0: ", 0), 0u);
  // A body longer than the size is cut to it (as documented).
  big.oversized = 7;
  out = Render(big, "OK", false);
  ASSERT_EQ(out.pieces.size(), 1u);
  EXPECT_EQ(out.pieces[0], "version");
}

}  // namespace
// RFC 9110 §6.6.1: an origin server with a clock sends Date (review
// finding: the mock sent none). After the status line; a scripted Date is
// kept instead; the 400 and 413 constants get one too.
TEST(Render, DateAfterTheStatusLineUnlessScripted) {
  const UnixSeconds t = 784111777;
  EXPECT_EQ(HttpDate(t), "Sun, 06 Nov 1994 08:49:37 GMT");
  Response r;
  r.body = "x";
  Rendered out = Render(r, "OK", false, HttpDate(t));
  EXPECT_EQ(out.head.rfind("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n", 0), 0u)
      << out.head;
  r.headers.push_back({"date", "Mon, 01 Jan 2001 00:00:00 GMT"});
  out = Render(r, "OK", false, HttpDate(t));
  EXPECT_EQ(out.head.find("1994"), std::string::npos) << out.head;
  EXPECT_NE(out.head.find("date: Mon, 01 Jan 2001"), std::string::npos) << out.head;
  EXPECT_EQ(WithDate("HTTP/1.1 400 Bad Request\r\nA: b\r\n\r\n", "D"),
            "HTTP/1.1 400 Bad Request\r\nDate: D\r\nA: b\r\n\r\n");
  EXPECT_EQ(WithDate("HTTP/1.1 400 Bad Request\r\n\r\n", ""), "HTTP/1.1 400 Bad Request\r\n\r\n");
}

}  // namespace mxconform::mocks::https
