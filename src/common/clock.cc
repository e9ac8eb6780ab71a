#include "common/clock.h"

#include <chrono>
#include <cstdio>
#include <string_view>

namespace mxconform {

UnixSeconds SystemClock::Now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// The date-time both forms share, then `zone`.
std::string ImfDate(UnixSeconds t, std::string_view zone) {
  static constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  constexpr std::int64_t kDay = 86400;
  const std::int64_t r = t % kDay;
  const UnixSeconds day = t - (r < 0 ? r + kDay : r);
  const std::int64_t second = t - day;
  const std::chrono::sys_days d{std::chrono::days{day / kDay}};
  const std::chrono::year_month_day ymd{d};
  char buf[48];
  std::snprintf(
      buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d %.*s",
      kWeekdays[std::chrono::weekday{d}.c_encoding() % 7], static_cast<unsigned>(ymd.day()),
      kMonths[(static_cast<unsigned>(ymd.month()) + 11) % 12], static_cast<int>(ymd.year()),
      static_cast<int>(second / 3600), static_cast<int>(second / 60 % 60),
      static_cast<int>(second % 60), static_cast<int>(zone.size()), zone.data());
  return buf;
}

}  // namespace

std::string Rfc5322Date(UnixSeconds t) { return ImfDate(t, "+0000"); }
std::string HttpDate(UnixSeconds t) { return ImfDate(t, "GMT"); }

}  // namespace mxconform
