// Regression: the scenario fuzzer ran out of memory once it fed
// ParseOpenspf. 571 bytes of YAML anchors and aliases in an openspf test,
// standing for 10^8 nodes, reproduce it: ParseOpenspf copied them into the
// test's JSON fields until memory ran out. Every reader of hand-written
// YAML now refuses such a tree at once, with its own id.
#include "conformance/runner/yaml_budget.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "conformance/runner/catalog.h"
#include "conformance/runner/mock_zone.h"
#include "conformance/runner/openspf.h"
#include "conformance/runner/scenario_model.h"

namespace mxconform::conformance {
namespace {

// `levels` anchors, each a list of ten aliases of the one before: 10^levels
// nodes to a walk, a few hundred bytes of text. `indent` nests it under a key.
std::string Laughs(int levels, const std::string& indent = "") {
  std::string s = indent + "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i <= levels; ++i) {
    s += indent + "x" + std::to_string(i) + ": &x" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) {
      s += (k == 0 ? "*x" : ", *x") + std::to_string(i - 1);
    }
    s += "]\n";
  }
  return s;
}

TEST(YamlBudget, CountsAliasesEachTimeTheyAreReached) {
  EXPECT_TRUE(WithinYamlBudget(YAML::Load(Laughs(3))));   // ~1,111 lists and 10,000 leaves
  EXPECT_FALSE(WithinYamlBudget(YAML::Load(Laughs(6))));  // ~10^6
  EXPECT_TRUE(WithinYamlBudget(YAML::Load("[a, b]"), 3));
  EXPECT_FALSE(WithinYamlBudget(YAML::Load("[a, b]"), 2));
}

TEST(YamlBudget, EveryReaderRefusesABillionLaughs) {
  const std::string suite =
      "description: d\ntests:\n  t:\n    host: 192.0.2.1\n"
      "    mailfrom: a@example.test\n    result: pass\n" +
      Laughs(8, "    ");
  auto s = ParseOpenspf(suite, "x.yml", OpenspfOrigin::kOurs);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().id, "vectors.openspf.yaml");
  EXPECT_EQ(s.error().message, kYamlTooLarge);

  auto z = ParseOpenspfZone(Laughs(8));
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().id, "vectors.openspf.yaml");

  auto m = ParseMockZone(Laughs(8));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().id, "zone.yaml");

  auto c = ParseScenario(Laughs(8), "t/s.yaml",
                         [](const std::filesystem::path&) { return std::optional<std::string>(); });
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().id, "scenario.yaml");
  EXPECT_EQ(c.error().message, kYamlTooLarge);

  auto r = ParseInformational(Laughs(8));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "catalog.yaml");
}

TEST(YamlBudget, AnAliasInsideItsOwnAnchorAndDeepNestingAreRefused) {
  // Regression (scenario_fuzzer): `&x2 [*x2, ...]` makes a list that holds
  // itself; the node count only ran out 200000 levels down, past the end of
  // the stack.
  EXPECT_FALSE(WithinYamlBudget(YAML::Load("a: &x [*x]\n")));
  EXPECT_FALSE(WithinYamlBudget(YAML::Load("a: &x {k: *x}\n")));
  auto nested = [](int levels) {
    return std::string(static_cast<std::size_t>(levels), '[') + "a" +
           std::string(static_cast<std::size_t>(levels), ']');
  };
  EXPECT_TRUE(WithinYamlBudget(YAML::Load(nested(kMaxYamlDepth))));
  EXPECT_FALSE(WithinYamlBudget(YAML::Load(nested(kMaxYamlDepth + 1))));

  std::ifstream f(std::string(MXCONFORM_SOURCE_DIR) +
                  "/corpus/scenario_fuzzer/yaml-alias-inside-its-anchor.yml");
  std::stringstream text;
  text << f.rdbuf();
  ASSERT_FALSE(text.str().empty());
  const std::string input = text.str();
  auto s = ParseOpenspf(input, "x.yml", OpenspfOrigin::kOurs);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().id, "vectors.openspf.yaml");
  EXPECT_EQ(s.error().message, kYamlTooLarge);
  const std::string self = "x: &x [a, *x]\n";
  auto c = ParseScenario(self, "t/s.yaml",
                         [](const std::filesystem::path&) { return std::optional<std::string>(); });
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().id, "scenario.yaml");
  EXPECT_EQ(ParseMockZone(self).error().id, "zone.yaml");
  EXPECT_EQ(ParseOpenspfZone(self).error().id, "vectors.openspf.yaml");
  EXPECT_EQ(ParseInformational(self).error().id, "catalog.yaml");
}

TEST(YamlBudget, TheOpenspfReaderStopsWhereYamlCppLoopsOverDocuments) {
  // Regression (scenario_fuzzer): on this text yaml-cpp 0.7's LoadAll
  // returned empty documents forever (31 s and 3.8 GB before the kill).
  std::ifstream f(std::string(MXCONFORM_SOURCE_DIR) +
                  "/corpus/scenario_fuzzer/yaml-cpp-endless-documents.yaml");
  std::stringstream text;
  text << f.rdbuf();
  ASSERT_FALSE(text.str().empty());
  auto s = ParseOpenspf(text.str(), "x.yml", OpenspfOrigin::kOurs);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().id, "vectors.openspf.yaml");
  std::vector<YAML::Node> docs;
  EXPECT_FALSE(LoadAllDocuments(text.str(), docs));
  EXPECT_TRUE(LoadAllDocuments("a: 1\n---\nb: 2\n", docs));
  EXPECT_EQ(docs.size(), 2u);
}

}  // namespace

// yaml-cpp's API words put in the file's terms; other messages unchanged.
TEST(YamlShapeError, NamesTheShapeTheFileGotWrong) {
  EXPECT_EQ(YamlShapeError("operator[] call on a scalar (key: \"to\")"),
            "expected a map with key \"to\" here, found a single value");
  EXPECT_EQ(YamlShapeError("operator[] call on a scalar"),
            "expected a map here, found a single value");
  EXPECT_EQ(YamlShapeError("invalid node; first invalid key: \"x\""),
            "expected a map here, found a list or a single value");
  EXPECT_EQ(YamlShapeError("bad conversion"), "a value here is not of the type this key takes");
  EXPECT_EQ(YamlShapeError("end of map not found"), "end of map not found");
}

}  // namespace mxconform::conformance
