// dns_loadgen: a UDP load generator for the mock DNS server (issue 5: "the
// mock server answers >= 50,000 UDP queries/s on loopback from one core
// ... while staying correct").
//
// Without --server it starts the mock Server in process on 127.0.0.1:0
// (its io_context on a thread of its own, so the server takes one core and
// this loop the other) with a generated zone of --names names, each with A,
// TXT and MX, and checks every answer against that zone. With --server it
// loads a server elsewhere and checks only the rcode and the question.
//
// It keeps --outstanding queries in flight over --sockets non-blocking UDP
// sockets (epoll), matches replies by (socket, id), counts a query lost
// after --timeout-ms and sends another in its place, and prints one JSON
// line: {"qps":..,"sent":..,"answered":..,"wrong":..,"lost":..,"late":..,
// "seconds":..}. `qps` is the answers verified correct per second of the
// sending window; `late` counts replies after their query was counted
// lost. In process, "server_cpu_seconds" (the server thread's CPU time in
// the window) and "qps_per_server_core" (answers per second of it) are
// added: the server's capacity on one core even on a busy machine. Exit
// status: 0, 1 if any answer was wrong or none came back, 2 on a setup
// error.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dns/message.h"
#include "dns/zone.h"
#include "mocks/dns/responder.h"
#include "mocks/dns/server.h"

namespace mxconform {
namespace {

namespace wire = mxconform::dns;
using Clock = std::chrono::steady_clock;

constexpr std::uint16_t kTypes[] = {static_cast<std::uint16_t>(wire::RrType::kA),
                                    static_cast<std::uint16_t>(wire::RrType::kTxt),
                                    static_cast<std::uint16_t>(wire::RrType::kMx)};
constexpr std::size_t kTypeCount = std::size(kTypes);

struct Options {
  std::string server;  // ADDR:PORT; empty: in process
  double seconds = 5;
  std::size_t outstanding = 64;
  std::size_t names = 1000;
  std::size_t sockets = 4;
  std::uint32_t timeout_ms = 1000;
  std::uint32_t seed = 1;
};

// One (name, type) the generator asks about: the query bytes (id patched
// in at send time), the question to find in the reply and the records the
// zone answers with.
struct Ask {
  std::string query;
  wire::Question question;
  std::vector<wire::Record> answers;
};

std::vector<Ask> MakeAsks(std::size_t names, wire::Zone& zone) {
  const wire::Name origin = *wire::Name::Parse("load.example");
  zone.AddOrigin(origin);
  std::vector<Ask> asks;
  asks.reserve(names * kTypeCount);
  for (std::size_t i = 0; i < names; ++i) {
    const wire::Name name = *wire::Name::Parse("n" + std::to_string(i) + ".load.example");
    wire::Record a{name, kTypes[0], 1, 300, {}};
    a.rdata = wire::RdataA{{10, static_cast<std::uint8_t>(i >> 16),
                            static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)}};
    wire::Record txt{name, kTypes[1], 1, 300, {}};
    txt.rdata = wire::RdataTxt{{"v=spf1 ip4:10.0.0.0/8 ", "-all ", "n=" + std::to_string(i)}};
    wire::Record mx{name, kTypes[2], 1, 300, {}};
    mx.rdata = wire::RdataMx{static_cast<std::uint16_t>(10 + i % 5),
                             *wire::Name::Parse("mx" + std::to_string(i) + ".load.example")};
    for (const wire::Record* r : {&a, &txt, &mx}) {
      zone.Add(*r);
      Ask ask;
      ask.query = *wire::Encode(wire::MakeQuery(0, name, r->type, 1232));
      ask.question = {name, r->type, 1};
      ask.answers = {*r};
      asks.push_back(std::move(ask));
    }
  }
  return asks;
}

// Parses "ADDR:PORT" or "[V6]:PORT".
bool ParseServer(const std::string& text, sockaddr_storage& out, socklen_t& len) {
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find("]:");
    if (close == std::string::npos) {
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      return false;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  char* end = nullptr;
  const unsigned long p = std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p == 0 || p > 65535) {
    return false;
  }
  out = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(p));
    len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(p));
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

struct Totals {
  std::uint64_t sent = 0, answered = 0, wrong = 0, lost = 0, late = 0;
  std::uint64_t answered_in_window = 0;
  double seconds = 0;
  double other_cpu = 0;  // CPU seconds of the process's other threads in the window
};

double CpuSeconds(int who) {
  rusage u{};
  ::getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

class LoadGen {
 public:
  LoadGen(const Options& opts, const std::vector<Ask>& asks, bool check_data)
      : opts_(opts), asks_(asks), check_data_(check_data), rng_(opts.seed) {}

  ~LoadGen() {
    for (int fd : fds_) {
      ::close(fd);
    }
    if (epoll_ >= 0) {
      ::close(epoll_);
    }
  }

  // Opens the sockets, connected to the server; false on failure.
  bool Open(const sockaddr_storage& to, socklen_t len) {
    epoll_ = ::epoll_create1(0);
    if (epoll_ < 0) {
      return false;
    }
    for (std::size_t i = 0; i < opts_.sockets; ++i) {
      const int fd = ::socket(to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
      if (fd < 0) {
        return false;
      }
      fds_.push_back(fd);
      const int buf = 1 << 20;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), len) != 0) {
        return false;
      }
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u32 = static_cast<std::uint32_t>(i);
      if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
        return false;
      }
    }
    slots_.assign(opts_.sockets, std::vector<Slot>(65536));
    return true;
  }

  Totals Run() {
    const auto start = Clock::now();
    const auto stop_sending = start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(opts_.seconds));
    const auto timeout = std::chrono::milliseconds(opts_.timeout_ms);
    const double cpu_start = CpuSeconds(RUSAGE_SELF) - CpuSeconds(RUSAGE_THREAD);
    sending_ = true;
    Fill();
    epoll_event events[16];
    std::string buf(65535, '\0');
    for (;;) {
      const int n = ::epoll_wait(epoll_, events, 16, 1);
      for (int e = 0; e < n; ++e) {
        const std::uint32_t s = events[e].data.u32;
        for (;;) {
          const ssize_t got = ::recv(fds_[s], buf.data(), buf.size(), 0);
          if (got < 0) {
            break;  // EAGAIN; or ECONNREFUSED (nobody there): counted lost later
          }
          OnReply(s, std::string_view(buf.data(), static_cast<std::size_t>(got)));
        }
      }
      const auto now = Clock::now();
      while (!deadlines_.empty() && deadlines_.front().sent + timeout <= now) {
        const Pending p = deadlines_.front();
        deadlines_.pop_front();
        Slot& slot = slots_[p.socket][p.id];
        if (slot.busy && slot.generation == p.generation) {
          slot.busy = false;
          --in_flight_;
          ++totals_.lost;
        }
      }
      if (sending_ && now >= stop_sending) {
        sending_ = false;
        totals_.answered_in_window = totals_.answered;
        totals_.seconds = std::chrono::duration<double>(now - start).count();
        totals_.other_cpu = CpuSeconds(RUSAGE_SELF) - CpuSeconds(RUSAGE_THREAD) - cpu_start;
      }
      if (sending_) {
        Fill();
      } else if (in_flight_ == 0) {
        break;
      }
    }
    return totals_;
  }

 private:
  struct Slot {
    bool busy = false;
    std::uint32_t generation = 0;
    std::uint32_t ask = 0;
  };
  struct Pending {
    Clock::time_point sent;
    std::uint32_t socket;
    std::uint16_t id;
    std::uint32_t generation;
  };

  void Fill() {
    while (in_flight_ < opts_.outstanding) {
      if (!SendOne()) {
        return;
      }
    }
  }

  bool SendOne() {
    const std::uint32_t s = next_socket_++ % fds_.size();
    std::uint16_t id = static_cast<std::uint16_t>(rng_());
    while (slots_[s][id].busy) {
      ++id;
    }
    const std::uint32_t ask = static_cast<std::uint32_t>(rng_() % asks_.size());
    std::string& query = scratch_;
    query = asks_[ask].query;
    query[0] = static_cast<char>(id >> 8);
    query[1] = static_cast<char>(id & 0xFF);
    if (::send(fds_[s], query.data(), query.size(), 0) != static_cast<ssize_t>(query.size())) {
      return false;  // the send buffer is full: try again after the next wait
    }
    Slot& slot = slots_[s][id];
    slot.busy = true;
    slot.ask = ask;
    ++slot.generation;
    deadlines_.push_back({Clock::now(), s, id, slot.generation});
    ++in_flight_;
    ++totals_.sent;
    return true;
  }

  void OnReply(std::uint32_t s, std::string_view bytes) {
    if (bytes.size() < 2) {
      ++totals_.wrong;  // nothing a server should send
      return;
    }
    const auto id = static_cast<std::uint16_t>(static_cast<std::uint8_t>(bytes[0]) << 8 |
                                               static_cast<std::uint8_t>(bytes[1]));
    Slot& slot = slots_[s][id];
    if (!slot.busy) {
      ++totals_.late;  // after its timeout, or an id never asked
      return;
    }
    slot.busy = false;
    --in_flight_;
    if (Correct(asks_[slot.ask], bytes)) {
      ++totals_.answered;
    } else {
      ++totals_.wrong;
    }
  }

  bool Correct(const Ask& ask, std::string_view bytes) const {
    auto m = wire::Decode(bytes);
    if (!m.ok() || !m->header.qr || m->header.rcode != 0 || m->header.tc ||
        m->questions.size() != 1 || !(m->questions[0] == ask.question)) {
      return false;
    }
    if (!check_data_) {
      return true;
    }
    return m->answers == ask.answers;
  }

  const Options& opts_;
  const std::vector<Ask>& asks_;
  const bool check_data_;
  std::minstd_rand rng_;
  int epoll_ = -1;
  std::vector<int> fds_;
  std::vector<std::vector<Slot>> slots_;  // [socket][id]
  std::deque<Pending> deadlines_;         // in send order, so in deadline order
  std::size_t in_flight_ = 0;
  std::uint32_t next_socket_ = 0;
  bool sending_ = false;
  std::string scratch_;
  Totals totals_;
};

int Main(int argc, char** argv) {
  Options opts;
  CLI::App app{"dns_loadgen: UDP load on the mock DNS server, every answer checked"};
  app.add_option("--server", opts.server,
                 "ADDR:PORT of a running server (checks rcode and question only); default: "
                 "an in-process mock server on 127.0.0.1:0 (checks every answer)");
  app.add_option("--seconds", opts.seconds, "sending window")->check(CLI::PositiveNumber);
  app.add_option("--outstanding", opts.outstanding, "queries in flight")
      ->check(CLI::Range(1, 60000));
  app.add_option("--names", opts.names, "names in the generated zone (A, TXT, MX each)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--sockets", opts.sockets, "source ports")->check(CLI::Range(1, 1024));
  app.add_option("--timeout-ms", opts.timeout_ms, "a query unanswered this long is lost")
      ->check(CLI::Range(1, 60000));
  app.add_option("--seed", opts.seed, "random seed (names, types, ids)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  wire::Zone zone;
  const std::vector<Ask> asks = MakeAsks(opts.names, zone);
  sockaddr_storage to{};
  socklen_t len = 0;
  std::unique_ptr<mocks::dns::Responder> responder;
  std::unique_ptr<mocks::dns::Server> server;
  if (opts.server.empty()) {
    responder = std::make_unique<mocks::dns::Responder>(std::move(zone));
    auto started = mocks::dns::Server::Start(*responder, {});
    if (!started.ok()) {
      std::fprintf(stderr, "dns_loadgen: %s\n", started.error().Text().c_str());
      return 2;
    }
    server = std::move(*started);
    ParseServer("127.0.0.1:" + std::to_string(server->port()), to, len);
  } else if (!ParseServer(opts.server, to, len)) {
    std::fprintf(stderr, "dns_loadgen: --server wants ADDR:PORT or [ADDR]:PORT, not %s\n",
                 opts.server.c_str());
    return 2;
  }

  LoadGen gen(opts, asks, /*check_data=*/opts.server.empty());
  if (!gen.Open(to, len)) {
    std::fprintf(stderr, "dns_loadgen: cannot open sockets: %s\n", std::strerror(errno));
    return 2;
  }
  const Totals t = gen.Run();
  if (server) {
    server->Stop();
  }
  const double qps = t.seconds > 0 ? static_cast<double>(t.answered_in_window) / t.seconds : 0;
  std::printf(
      "{\"qps\":%.0f,\"sent\":%llu,\"answered\":%llu,\"wrong\":%llu,\"lost\":%llu,\"late\":%llu,"
      "\"seconds\":%.3f",
      qps, static_cast<unsigned long long>(t.sent), static_cast<unsigned long long>(t.answered),
      static_cast<unsigned long long>(t.wrong), static_cast<unsigned long long>(t.lost),
      static_cast<unsigned long long>(t.late), t.seconds);
  if (server) {
    // The server thread's CPU time in the window, and the answers per
    // second of it: what one core sustains, however busy the machine is.
    std::printf(",\"server_cpu_seconds\":%.3f,\"qps_per_server_core\":%.0f", t.other_cpu,
                t.other_cpu > 0 ? static_cast<double>(t.answered_in_window) / t.other_cpu : 0);
  }
  std::printf("}\n");
  // A server that answers nothing is not fast; one that answers wrongly is
  // not correct. Either fails the run.
  return t.wrong > 0 || t.answered == 0 ? 1 : 0;
}

}  // namespace
}  // namespace mxconform

int main(int argc, char** argv) { return mxconform::Main(argc, argv); }
