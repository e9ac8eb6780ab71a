// Refuses to start, with a message and exit status 2, on a CPU that lacks
// the instructions this build was compiled for (MXCONFORM_X86_64_LEVEL in
// CMakeLists.txt), instead of dying of SIGILL somewhere in a parser. This
// unit alone is compiled for the baseline x86-64 (src/cli/CMakeLists.txt),
// and the check runs as a constructor of high priority: before main() and
// before the static constructors of the other units, which may already use
// AVX2.
#if defined(MXCONFORM_X86_64_V3) && defined(__x86_64__)
#include <unistd.h>

#include <cstdlib>

namespace {

__attribute__((constructor(101))) void RequireX8664V3() {
  __builtin_cpu_init();
  // MXCONFORM_ISA_GUARD_REFUSE=1 plays an older CPU, for the test of this
  // message (conformance/CMakeLists.txt).
  const char* refuse = std::getenv("MXCONFORM_ISA_GUARD_REFUSE");
  const bool pretend = refuse != nullptr && refuse[0] == '1';
  if (!pretend && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
      __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt")) {
    return;
  }
  static constexpr char kMessage[] =
      "mxconform: this build is for x86-64-v3 CPUs (AVX2, BMI2, FMA) and this CPU lacks them;\n"
      "rebuild with cmake -DMXCONFORM_X86_64_LEVEL=baseline\n";
  // Nothing else has run yet: write(2) and _exit(2), no stdio.
  [[maybe_unused]] const auto written = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  _exit(2);
}

}  // namespace
#endif
