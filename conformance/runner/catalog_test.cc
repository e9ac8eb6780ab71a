#include "conformance/runner/catalog.h"

#include <gtest/gtest.h>

#include <fstream>

namespace mxconform::conformance {
namespace {

namespace fs = std::filesystem;

TEST(Catalog, IdsAreTheTableRowsInScope) {
  const char* md = R"(| ID | § |
|---|---|
| STS-3.1-01 | 3.1 | out of scope |
| STS-3.3-01 | 3.3 | in |
| STS-4-01 | 4 | in |
| STS-4.2-03 | 4.2 | in |
| STS-5.1-02 | 5.1 | in |
| STS-7.2-01 | 7.2 | in |
| STS-8.3-01 | 8.3 | out |
| ATK-07 | self-signed | mentions STS-4.2-02 in prose |
| **ATK-08** | bold is not a row we read |
Prose naming ATK-09 and STS-5-01 is not a row.
| ATK-07 | again |
)";
  EXPECT_EQ(CatalogIds(md), (std::vector<std::string>{"STS-3.3-01", "STS-4-01", "STS-4.2-03",
                                                      "STS-5.1-02", "STS-7.2-01", "ATK-07"}));
}

class CatalogFiles : public ::testing::Test {
 protected:
  CatalogFiles()
      : dir_(fs::temp_directory_path() / ("mxconform-catalog-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~CatalogFiles() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

TEST_F(CatalogFiles, ReasonsLoadAndErrorsAreLocated) {
  auto ok = LoadInformational(Write("a.yaml", "ATK-17: \"no OCSP stapling knob\"\n"));
  ASSERT_TRUE(ok.ok()) << ok.error().Text();
  EXPECT_EQ(ok->at("ATK-17"), "no OCSP stapling knob");
  auto empty = LoadInformational(Write("b.yaml", "ATK-18: \"\"\n"));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().id, "catalog.field");
  EXPECT_EQ(empty.error().detail.rfind((dir_ / "b.yaml").string() + ":1:9: ATK-18", 0), 0u)
      << empty.error().detail;
  auto list = LoadInformational(Write("c.yaml", "- ATK-18\n"));
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().id, "catalog.field");
  auto yaml = LoadInformational(Write("d.yaml", "ATK-18: [unclosed\n"));
  ASSERT_FALSE(yaml.ok());
  EXPECT_EQ(yaml.error().id, "catalog.yaml");
  EXPECT_EQ(yaml.error().detail.rfind((dir_ / "d.yaml").string() + ":2:1: ", 0), 0u)
      << yaml.error().detail;
  EXPECT_EQ(LoadInformational(dir_ / "missing.yaml").error().id, "catalog.unreadable");
}

TEST_F(CatalogFiles, AFolderMergesAndRefusesAnIdTwice) {
  fs::create_directories(dir_ / "cat");
  std::ofstream(dir_ / "cat/one.yaml") << "ATK-17: \"revocation is a MAY\"\n";
  std::ofstream(dir_ / "cat/two.yaml") << "ATK-49: \"reports are not sent\"\n";
  std::ofstream(dir_ / "cat/notes.txt") << "ignored\n";
  auto merged = LoadCatalogFolder(dir_ / "cat");
  ASSERT_TRUE(merged.ok()) << merged.error().Text();
  EXPECT_EQ(merged->size(), 2u);
  std::ofstream(dir_ / "cat/three.yaml") << "ATK-17: \"again\"\n";
  auto twice = LoadCatalogFolder(dir_ / "cat");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().detail.find("ATK-17 is already explained"), std::string::npos);
  // A file of the folder that does not parse is named once, then located.
  std::ofstream(dir_ / "cat/three.yaml") << "- ATK-17\n";
  auto broken = LoadCatalogFolder(dir_ / "cat");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().detail.rfind((dir_ / "cat/three.yaml").string() + ":1:1: ", 0), 0u)
      << broken.error().detail;
  auto none = LoadCatalogFolder(dir_ / "absent");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(Catalog, CoverageFindsTheUnmappedAndTheStray) {
  Scenario a;
  a.id = "x/a";
  a.requirements = {{"STS-5-01", "MUST"}};
  a.attacks = {"ATK-01"};
  Scenario b;
  b.id = "x/b";
  b.requirements = {{"STS-5-01", "MUST"}, {"STS-5-01", "MUST"}};
  const std::vector<std::string> ids = {"ATK-01", "ATK-02", "ATK-17", "STS-5-01"};
  const Coverage c =
      ComputeCoverage(ids, {a, b}, {{"ATK-17", "revocation is a MAY"}, {"ATK-99", "stray"}});
  ASSERT_EQ(c.entries.size(), 4u);
  EXPECT_EQ(c.entries[0].scenarios, (std::vector<std::string>{"x/a"}));
  EXPECT_EQ(c.entries[3].scenarios, (std::vector<std::string>{"x/a", "x/b"}));  // once each
  EXPECT_EQ(c.unmapped, (std::vector<std::string>{"ATK-02"}));
  EXPECT_EQ(c.stray, (std::vector<std::string>{"ATK-99"}));
  const auto cases = InformationalCases(c);
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].id, "catalog/ATK-17");
  EXPECT_EQ(cases[0].outcome, Outcome::kInformational);
  EXPECT_EQ(cases[0].message, "revocation is a MAY");
  const auto j = CatalogJson({&a}, c);
  EXPECT_EQ(j["scenarios"].size(), 1u);
  EXPECT_EQ(j["unmapped"][0], "ATK-02");
  EXPECT_EQ(j["coverage"][2]["informational"], "revocation is a MAY");
}

}  // namespace
}  // namespace mxconform::conformance
