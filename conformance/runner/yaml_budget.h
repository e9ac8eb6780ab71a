// yaml-cpp keeps an alias as one more reference to the anchored node, so a
// few hundred bytes of anchors and aliases ("billion laughs") stand for
// billions of nodes to whoever walks the tree, as every reader here does
// (and the JSON copies of tests and case files expand them); an alias
// inside its own anchor even makes the tree endless. Each reader checks its
// tree with WithinYamlBudget right after loading it and refuses one that is
// too large or too deep, with its own `*.yaml` error id.
#pragma once

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace mxconform::conformance {

// Far above any hand-written file (the openspf RFC 7208 suite has a few
// thousand nodes, our files nest less than ten levels deep), far below what
// would take time, memory or stack to walk. The depth bound also ends an
// alias inside its own anchor (`a: &x [*x]`), a tree that nests forever.
inline constexpr std::size_t kMaxYamlNodes = 200000;
inline constexpr std::size_t kMaxYamlDepth = 100;
inline constexpr const char* kYamlTooLarge =
    "YAML anchors and aliases expand to more than 200000 nodes or nest deeper than 100 levels";

namespace internal {
inline bool CountYamlNodes(const YAML::Node& n, std::size_t& left, std::size_t depth) {
  if (left == 0 || depth > kMaxYamlDepth) {
    return false;
  }
  --left;
  if (n.IsSequence()) {
    for (const auto& x : n) {
      if (!CountYamlNodes(x, left, depth + 1)) {
        return false;
      }
    }
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      if (!CountYamlNodes(kv.first, left, depth + 1) ||
          !CountYamlNodes(kv.second, left, depth + 1)) {
        return false;
      }
    }
  }
  return true;
}
}  // namespace internal

// True if walking `n` visits at most `limit` nodes, an alias counted each
// time it is reached, and no node lies deeper than kMaxYamlDepth.
inline bool WithinYamlBudget(const YAML::Node& n, std::size_t limit = kMaxYamlNodes) {
  return internal::CountYamlNodes(n, limit, 0);
}

// YAML::LoadAll, except that it stops: yaml-cpp 0.7's document loop can
// return empty documents forever on some malformed text (the scenario
// fuzzer found one of 446 bytes that grew to gigabytes). A first pass
// through the parser counts the documents without building them, and gives
// up past one per byte of text (a document takes at least one); false then.
// Throws what YAML::LoadAll throws.
inline bool LoadAllDocuments(const std::string& text, std::vector<YAML::Node>& out) {
  struct Counter final : YAML::EventHandler {
    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  };
  std::istringstream in(text);
  YAML::Parser parser(in);
  Counter counter;
  for (std::size_t documents = 0; parser.HandleNextDocument(counter);) {
    if (++documents > text.size() + 1) {
      return false;
    }
  }
  out = YAML::LoadAll(text);
  return true;
}

// The 1-based line and column of a yaml-cpp mark. The node of an empty
// document has no position (yaml-cpp's null mark, -1:-1); it is reported at
// 1:1, the start of the file, rather than as 0:0, which reads as "no
// location".
struct YamlPosition {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};
inline YamlPosition PositionOf(const YAML::Mark& m) {
  if (m.line < 0 || m.column < 0) {
    return {};
  }
  return {static_cast<std::uint32_t>(m.line) + 1, static_cast<std::uint32_t>(m.column) + 1};
}
// Sets `x.line` and `x.column` (a Diagnostic, a test, a record...) from
// PositionOf(m).
template <typename T>
void SetPosition(T& x, const YAML::Mark& m) {
  const YamlPosition p = PositionOf(m);
  x.line = p.line;
  x.column = p.column;
}
// "LINE:COLUMN" of PositionOf.
inline std::string LineColumn(const YAML::Mark& m) {
  const YamlPosition p = PositionOf(m);
  return std::to_string(p.line) + ":" + std::to_string(p.column);
}

// The message of a yaml-cpp exception a loader's guard caught after the
// document parsed (a key looked up in a list or a single value, a value
// read as a number it is not), in the terms of the file rather than of
// yaml-cpp's API: "operator[] call on a scalar (key: "to")" becomes
// "expected a map with key "to" here, found a single value". Other
// messages pass unchanged.
inline std::string YamlShapeError(const std::string& msg) {
  const std::string subscript = YAML::ErrorMsg::BAD_SUBSCRIPT;
  if (msg.rfind(subscript, 0) == 0) {
    const std::string rest = msg.substr(subscript.size());
    const std::string prefix = " (key: ";
    if (rest.rfind(prefix, 0) == 0 && rest.size() > prefix.size() && rest.back() == ')') {
      return "expected a map with key " +
             rest.substr(prefix.size(), rest.size() - prefix.size() - 1) +
             " here, found a single value";
    }
    return "expected a map here, found a single value";
  }
  if (msg.rfind("invalid node", 0) == 0) {
    return "expected a map here, found a list or a single value";
  }
  if (msg == YAML::ErrorMsg::BAD_CONVERSION) {
    return "a value here is not of the type this key takes";
  }
  return msg;
}

}  // namespace mxconform::conformance
