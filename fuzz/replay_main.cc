// A libFuzzer-compatible driver without libFuzzer: replays saved inputs
// through LLVMFuzzerTestOneInput so every fuzz target doubles as a corpus
// regression test in builds that have no libFuzzer (GCC, coverage).
//
// Usage: <target>_replay PATH...
// Each PATH is a file, or a directory whose files (and the files of its
// immediate subdirectories) are replayed in name order. Each input is copied
// into a heap buffer of exactly its size, so AddressSanitizer reports any
// read past the end. Exits non-zero if a path cannot be read or no input was
// replayed at all (an empty or missing corpus is a mistake, not a pass), or
// if an input is not a regular file of at most 64 MiB.

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// The input being replayed, for the crash handler (async-signal-safe access
// only: a fixed buffer written before each run).
char g_current[4096];

void OnDeadlySignal(int sig) {
  constexpr char kPrefix[] = "\nreplay: crashed while running ";
  ssize_t ignored = write(STDERR_FILENO, kPrefix, sizeof(kPrefix) - 1);
  ignored = write(STDERR_FILENO, g_current, std::strlen(g_current));
  ignored = write(STDERR_FILENO, "\n", 1);
  static_cast<void>(ignored);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void SetCurrent(const std::string& path) {
  std::size_t n = std::min(path.size(), sizeof(g_current) - 1);
  std::memcpy(g_current, path.data(), n);
  g_current[n] = '\0';
}

// Far above any fuzz input (libFuzzer's -max_len defaults to 4 KiB); an
// input over it is refused, not read.
constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{64} << 20;

// Reads the regular file `path` whole into `out`; on failure says why in
// `why`. A FIFO or device is refused: it could block or never end.
bool ReadFile(const fs::path& path, std::vector<char>& out, std::string& why) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    why = "not a regular file";
    return false;
  }
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    why = ec.message();
    return false;
  }
  if (size > kMaxInputBytes) {
    why = "larger than 64 MiB";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  out.resize(static_cast<std::size_t>(size));
  if (!in || !in.read(out.data(), static_cast<std::streamsize>(out.size()))) {
    why = "read failed";
    return false;
  }
  return true;
}

bool Replay(const fs::path& path) {
  std::vector<char> bytes;
  std::string why;
  if (!ReadFile(path, bytes, why)) {
    std::fprintf(stderr, "replay: cannot read %s: %s\n", path.c_str(), why.c_str());
    return false;
  }
  SetCurrent(path.string());
  // Exact size: no slack after the last byte for an over-read to hide in.
  std::unique_ptr<std::uint8_t[]> buf(new std::uint8_t[bytes.size()]);
  if (!bytes.empty()) {
    std::memcpy(buf.get(), bytes.data(), bytes.size());
  }
  LLVMFuzzerTestOneInput(buf.get(), bytes.size());
  return true;
}

// Regular files of `dir` in name order; with `recurse`, subdirectories'
// files follow (one level only).
bool CollectDirectory(const fs::path& dir, bool recurse, std::vector<fs::path>& files) {
  std::error_code ec;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    entries.push_back(it->path());
  }
  if (ec) {
    std::fprintf(stderr, "replay: cannot list %s: %s\n", dir.c_str(), ec.message().c_str());
    return false;
  }
  std::sort(entries.begin(), entries.end());
  bool ok = true;
  for (const auto& p : entries) {
    if (fs::is_directory(p, ec)) {
      if (recurse) {
        ok &= CollectDirectory(p, false, files);
      }
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    }
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  // CHECK failures abort and __builtin_trap raises SIGILL; SIGSEGV is left
  // to AddressSanitizer, whose report is more useful than ours.
  std::signal(SIGABRT, OnDeadlySignal);
  std::signal(SIGILL, OnDeadlySignal);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  bool ok = true;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    fs::path p(argv[i]);
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      ok &= CollectDirectory(p, true, files);
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", argv[i]);
      ok = false;
    }
  }
  const bool verbose = std::getenv("MXCONFORM_REPLAY_VERBOSE") != nullptr;
  std::size_t replayed = 0;
  for (const auto& f : files) {
    if (verbose) {
      std::fprintf(stderr, "replay: %s\n", f.c_str());
    }
    if (Replay(f)) {
      ++replayed;
    } else {
      ok = false;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  if (replayed == 0) {
    std::fprintf(stderr, "replay: no inputs found\n");
    return 1;
  }
  return ok ? 0 : 1;
}
