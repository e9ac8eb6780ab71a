// yaml-cpp keeps an alias as one more reference to the anchored node, so a
// few hundred bytes of anchors and aliases ("billion laughs") stand for
// billions of nodes to whoever walks the tree, as every reader here does
// (and the JSON copies of tests and case files expand them). Each reader
// checks its tree with WithinYamlBudget right after loading it and refuses
// one that is too large, with its own `*.yaml` error id.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>

namespace mxconform::conformance {

// Far above any hand-written file (the openspf RFC 7208 suite has a few
// thousand nodes), far below what would take time or memory to walk.
inline constexpr std::size_t kMaxYamlNodes = 200000;
inline constexpr const char* kYamlTooLarge =
    "YAML anchors and aliases expand to more than 200000 nodes";

namespace internal {
inline bool CountYamlNodes(const YAML::Node& n, std::size_t& left) {
  if (left == 0) {
    return false;
  }
  --left;
  if (n.IsSequence()) {
    for (const auto& x : n) {
      if (!CountYamlNodes(x, left)) {
        return false;
      }
    }
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      if (!CountYamlNodes(kv.first, left) || !CountYamlNodes(kv.second, left)) {
        return false;
      }
    }
  }
  return true;
}
}  // namespace internal

// True if walking `n` visits at most `limit` nodes, an alias counted each
// time it is reached.
inline bool WithinYamlBudget(const YAML::Node& n, std::size_t limit = kMaxYamlNodes) {
  return internal::CountYamlNodes(n, limit);
}

}  // namespace mxconform::conformance
