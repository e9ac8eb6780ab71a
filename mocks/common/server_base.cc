#include "mocks/common/server_base.h"

#include <boost/asio/post.hpp>

#include "common/text.h"

namespace mxconform::mocks {

void IoThread::Start() {
  thread_ = std::thread([this] {
    for (;;) {
      try {
        io_.run();
        break;
      } catch (...) {
        continue;
      }
    }
    done_.set_value();
  });
}

void IoThread::Stop(const std::function<void()>& close_all) {
  std::lock_guard lock(stop_mu_);
  if (stopped_ || !thread_.joinable()) {
    stopped_ = true;
    return;
  }
  if (std::this_thread::get_id() == thread_.get_id()) {
    close_all();
    io_.stop();
    return;
  }
  stopped_ = true;
  boost::asio::post(io_, close_all);
  if (done_future_.wait_for(kGracefulStop) != std::future_status::ready) {
    io_.stop();
  }
  thread_.join();
  // The io thread is gone, so this thread may run the io_context: after a
  // hard stop (or a Stop() from the io thread), close what is left and let
  // every coroutine see its operation aborted and end. After a graceful
  // stop there is nothing to run.
  close_all();
  io_.restart();
  try {
    io_.poll();
  } catch (...) {
    // A handler threw on its way out; the rest go with the io_context.
  }
}

boost::system::error_code BindListener(boost::asio::ip::tcp::acceptor& acceptor,
                                       const boost::asio::ip::tcp::endpoint& ep,
                                       std::uint16_t& port) {
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) {
    acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(ep, ec);
  }
  if (!ec) {
    acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  }
  std::uint16_t got = 0;
  if (!ec) {
    got = acceptor.local_endpoint(ec).port();
  }
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
  } else {
    port = got;
  }
  return ec;
}

std::string EndpointText(const boost::asio::ip::address& address, std::uint16_t port) {
  std::string out;
  if (address.is_v6()) {
    out = "[" + address.to_string() + "]";
  } else {
    out.reserve(21);
    const auto bytes = address.to_v4().to_bytes();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      if (i != 0) {
        out.push_back('.');
      }
      text::AppendDecimal(out, bytes[i]);
    }
  }
  out.push_back(':');
  text::AppendDecimal(out, port);
  return out;
}

}  // namespace mxconform::mocks
