// Time behind a narrow interface, so cache and expiry logic runs the same in
// tests (a fixed, steppable clock) and on the wire (the system clock).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace mxconform {

// Seconds since the Unix epoch.
using UnixSeconds = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixSeconds Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixSeconds Now() const override;
};

// A clock that only moves when told to. Atomic, so a scenario's virtual
// clock can be read by the mock servers' threads while the runner moves it.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(UnixSeconds t) : t_(t) {}
  UnixSeconds Now() const override { return t_.load(std::memory_order_relaxed); }
  void Set(UnixSeconds t) { t_.store(t, std::memory_order_relaxed); }
  void Advance(std::int64_t seconds) { t_.fetch_add(seconds, std::memory_order_relaxed); }

 private:
  std::atomic<UnixSeconds> t_;
};

// `t` as RFC 5322 §3.3 writes a date in UTC, "Sat, 28 Nov 2026 04:00:00
// +0000" (mail headers), and as RFC 9110 §5.6.7's IMF-fixdate, "Sat, 28 Nov
// 2026 04:00:00 GMT" (HTTP's Date). Day and month names are English
// whatever the locale.
std::string Rfc5322Date(UnixSeconds t);
std::string HttpDate(UnixSeconds t);

}  // namespace mxconform
