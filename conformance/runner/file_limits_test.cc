// Every loader of the runner reads through ReadFileAtMost: a file that
// never ends (/dev/zero here) or is larger than kMaxInputFileBytes gets the
// loader's own `*.too_large` diagnostic instead of the std::bad_alloc abort
// that `mxconform run --suite /dev/zero` and `mxconform lint /dev/zero` ended
// in before.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/file.h"
#include "conformance/runner/catalog.h"
#include "conformance/runner/dmarc_cases.h"
#include "conformance/runner/mock_zone.h"
#include "conformance/runner/openspf.h"
#include "conformance/runner/scenario_model.h"
#include "conformance/runner/vectors.h"

namespace mxconform::conformance {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEndless = "/dev/zero";

TEST(FileLimits, EndlessInputGivesEachLoadersTooLarge) {
  ASSERT_TRUE(fs::exists(kEndless));
  EXPECT_EQ(LoadCaseFile(kEndless).error().id, "vectors.file.too_large");
  EXPECT_EQ(LoadDmarcCaseFile(kEndless).error().id, "vectors.file.too_large");
  EXPECT_EQ(LoadExpectations(kEndless).error().id, "vectors.expectations.too_large");
  EXPECT_EQ(LoadOpenspfFile(kEndless, OpenspfOrigin::kOurs).error().id,
            "vectors.openspf.too_large");
  EXPECT_EQ(LoadMockZoneFile(kEndless).error().id, "zone.too_large");
  EXPECT_EQ(LoadScenario(kEndless).error().id, "scenario.too_large");
  EXPECT_EQ(LoadInformational(kEndless).error().id, "catalog.too_large");
  const Diagnostic d = LoadScenario(kEndless).error();
  EXPECT_EQ(d.detail,
            std::string(kEndless) + ": more than " + std::to_string(kMaxInputFileBytes) + " bytes");
}

// The limit is a limit on size, not on kind: a regular file one byte over
// it is refused the same way; one at it is read and handed to the parser
// (which refuses it for what it says: a comment alone is not a zone map).
TEST(FileLimits, RegularFileOneByteOverTheLimit) {
  const fs::path dir =
      fs::temp_directory_path() / ("mxconform-file-limits-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    // A YAML comment line of the whole size.
    std::ofstream at(dir / "at.yaml", std::ios::binary);
    at << '#' << std::string(kMaxInputFileBytes - 2, 'x') << '\n';
    std::ofstream over(dir / "over.yaml", std::ios::binary);
    over << '#' << std::string(kMaxInputFileBytes - 1, 'x') << '\n';
  }
  ASSERT_EQ(fs::file_size(dir / "at.yaml"), kMaxInputFileBytes);
  EXPECT_EQ(LoadMockZoneFile((dir / "at.yaml").string()).error().id, "zone.yaml");
  EXPECT_EQ(LoadMockZoneFile((dir / "over.yaml").string()).error().id, "zone.too_large");
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace mxconform::conformance
