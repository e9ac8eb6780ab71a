#include "common/file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace mxconform {

ReadStatus ReadStreamAtMost(std::FILE* f, std::size_t max, std::string& out, int& error) {
  out.clear();
  char buf[65536];
  while (true) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, f);
    if (n == 0) {
      if (std::ferror(f) != 0) {
        error = errno;
        return ReadStatus::kError;
      }
      return ReadStatus::kOk;
    }
    if (n > max - out.size()) {
      return ReadStatus::kTooLarge;
    }
    out.append(buf, n);
  }
}

Result<std::string> ReadFileAtMost(const std::filesystem::path& path, std::size_t max,
                                   const FileReadIds& ids) {
  struct Closer {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  errno = 0;
  std::unique_ptr<std::FILE, Closer> f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    const int e = errno;
    return MakeDiag(ids.unreadable, Severity::kError, 0, "cannot read the file",
                    path.string() + ": " + std::strerror(e));
  }
  std::string out;
  int error = 0;
  switch (ReadStreamAtMost(f.get(), max, out, error)) {
    case ReadStatus::kOk:
      return out;
    case ReadStatus::kError:
      return MakeDiag(ids.unreadable, Severity::kError, 0, "cannot read the file",
                      path.string() + ": " + std::strerror(error));
    case ReadStatus::kTooLarge:
      break;
  }
  return MakeDiag(ids.too_large, Severity::kError, 0, "the file is too large",
                  path.string() + ": more than " + std::to_string(max) + " bytes");
}

bool ListedAsFile(const std::filesystem::directory_entry& e) {
  std::error_code ec;
  const bool regular = e.is_regular_file(ec);
  return regular || ec;
}

std::vector<std::filesystem::path> FilesWithExtension(const std::filesystem::path& dir,
                                                      std::string_view extension) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (ListedAsFile(e) && e.path().extension() == extension) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace mxconform
