// The pieces the mock servers share that can be checked without a server:
// how an endpoint is named, and the listener's bind sequence.
#include "mocks/common/server_base.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace mxconform::mocks {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

TEST(EndpointText, NamesV4AndV6TheWayTheLogsDo) {
  EXPECT_EQ(EndpointText(asio::ip::make_address("127.0.0.1"), 25), "127.0.0.1:25");
  EXPECT_EQ(EndpointText(asio::ip::make_address("0.0.0.0"), 0), "0.0.0.0:0");
  EXPECT_EQ(EndpointText(asio::ip::make_address("255.255.255.255"), 65535),
            "255.255.255.255:65535");
  EXPECT_EQ(EndpointText(asio::ip::make_address("10.20.3.100"), 5353), "10.20.3.100:5353");
  EXPECT_EQ(EndpointText(asio::ip::make_address("::1"), 443), "[::1]:443");
  EXPECT_EQ(EndpointText(asio::ip::make_address("2001:db8::25"), 8025), "[2001:db8::25]:8025");
  EXPECT_EQ(EndpointText(tcp::endpoint(asio::ip::make_address("192.0.2.7"), 587)), "192.0.2.7:587");
}

TEST(BindListener, PortZeroGivesTheKernelsPickAndAFailureLeavesThePortAlone) {
  asio::io_context io;
  tcp::acceptor first(io);
  std::uint16_t port = 0;
  ASSERT_FALSE(BindListener(first, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0), port));
  ASSERT_NE(port, 0);
  EXPECT_TRUE(first.is_open());
  EXPECT_EQ(first.local_endpoint().port(), port);

  // The same port again: Linux never lets two listeners share it, even with
  // SO_REUSEADDR, so this fails, closes the second acceptor and keeps `got`.
  tcp::acceptor second(io);
  std::uint16_t got = 7;
  const auto ec =
      BindListener(second, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), got);
  EXPECT_EQ(ec, asio::error::address_in_use) << ec.message();
  EXPECT_FALSE(second.is_open());
  EXPECT_EQ(got, 7);
}

}  // namespace
}  // namespace mxconform::mocks
