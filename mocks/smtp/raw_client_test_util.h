// A raw POSIX-socket SMTP client for tests: it sends exactly the bytes it
// is given and reads whole replies with a deadline, so a test can say what
// no well-behaved client would (server_test.cc) or connect from a chosen
// loopback address (the reference receiver's tests).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace mxconform::mocks::smtp::testing {

class Raw {
 public:
  // Connects to 127.0.0.1:port, from `source` (another loopback address
  // such as 127.0.0.2 makes a different SMTP client) when given.
  explicit Raw(std::uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (source != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &from.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
        return;
      }
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~Raw() { Close(); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  bool ok() const { return ok_; }
  void Close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Sends `command` and CR LF; the reply's code ("250"), "" if the send
  // failed or no reply came.
  std::string Ask(std::string_view command) {
    if (!Send(std::string(command) + "\r\n")) {
      return "";
    }
    return Reply().substr(0, 3);
  }
  // One whole reply (up to its "NNN " line); "" on timeout or close.
  std::string Reply(int ms = 5000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      // A complete reply: its last line has a space after the code.
      std::size_t start = 0;
      while (start < buf_.size()) {
        const std::size_t lf = buf_.find('\n', start);
        if (lf == std::string::npos) {
          break;
        }
        if (lf - start >= 4 && buf_[start + 3] == ' ') {
          std::string out = buf_.substr(0, lf + 1);
          buf_.erase(0, lf + 1);
          return out;
        }
        start = lf + 1;
      }
      if (!Fill(end)) {
        return "";
      }
    }
  }
  // True if the server closes the connection before `ms`.
  bool ClosedWithin(int ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (Fill(end)) {
    }
    return closed_;
  }
  const std::string& pending() const { return buf_; }

 private:
  bool Fill(std::chrono::steady_clock::time_point end) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          end - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) != 1) {
      return false;
    }
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool ok_ = false;
  bool closed_ = false;
  std::string buf_;
};

}  // namespace mxconform::mocks::smtp::testing
