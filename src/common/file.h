// Whole-file reads with a size limit. Every file mxconform reads whole (case
// files, scenarios, zones, suites, corpora, records) goes through here, so a
// device such as /dev/zero, a FIFO that never ends or a file of gigabytes
// ends in a diagnostic instead of exhausting memory: at most `max` bytes are
// kept and at most one 64 KiB block more is read.
#pragma once

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace mxconform {

// The limit for the YAML and text files the runner reads (case files,
// scenarios and their bases, zones, suites, the catalogue): far above any
// real one (the openspf RFC 7208 suite is ~100 KB), far below memory.
inline constexpr std::size_t kMaxInputFileBytes = std::size_t{16} << 20;

enum class ReadStatus { kOk, kError, kTooLarge };

// Reads `f` to its end into `out` (replacing it). kError leaves errno's value
// in `error`; kTooLarge means the stream holds more than `max` bytes (`out`
// then holds a prefix). Does not close `f`.
ReadStatus ReadStreamAtMost(std::FILE* f, std::size_t max, std::string& out, int& error);

// The ids a caller reports a failed read under (static strings, as
// Diagnostic::id is a view).
struct FileReadIds {
  std::string_view unreadable;  // cannot open or read; detail "PATH: strerror"
  std::string_view too_large;   // more than max bytes; detail names PATH and max
};

// Reads the whole file at `path`, at most `max` bytes. A directory is
// unreadable (EISDIR), not empty.
Result<std::string> ReadFileAtMost(const std::filesystem::path& path, std::size_t max,
                                   const FileReadIds& ids);

// Whether a directory scan lists `e` as a file to read: a regular file, or
// one that cannot be examined (a symlink loop), which ReadFileAtMost then
// reports as unreadable. Never throws, where is_regular_file() without an
// error code does.
bool ListedAsFile(const std::filesystem::directory_entry& e);

// The files of `dir` (not below it) whose names end in `extension`, as
// ListedAsFile takes them, sorted; none if `dir` cannot be read.
std::vector<std::filesystem::path> FilesWithExtension(const std::filesystem::path& dir,
                                                      std::string_view extension);

}  // namespace mxconform
