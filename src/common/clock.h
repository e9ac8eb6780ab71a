// Time behind a narrow interface, so cache and expiry logic runs the same in
// tests (a fixed, steppable clock) and on the wire (the system clock).
#pragma once

#include <atomic>
#include <cstdint>

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

}  // namespace mxconform
