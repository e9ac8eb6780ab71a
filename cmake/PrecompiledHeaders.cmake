# Precompiled headers for the heavy third-party headers, to keep the
# build (and with it CI, which builds twice) within its time budget: about
# 70 translation units parse GoogleTest and nlohmann/json, which alone take
# 3-4 s a unit at -O0.
#
# Off by default; the asan-ubsan preset turns it on. GCC only, and not in
# the fuzz build: clang refuses a PCH made with other options, and the fuzz
# build adds -fsanitize=fuzzer-no-link per library. Not in optimised builds
# either: through a PCH, GCC 12 loses the warning pragmas of libstdc++ and
# reports false -Warray-bounds errors at -O2 (GCC bug 64117). Builds
# without it (default, release) still catch a source file that forgot an
# #include.
option(MXCONFORM_PCH "Precompile GoogleTest, nlohmann/json and the standard headers" OFF)

set(MXCONFORM_PCH_ACTIVE OFF)
if(MXCONFORM_PCH AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND NOT MXCONFORM_FUZZ)
  set(MXCONFORM_PCH_ACTIVE ON)
endif()

set(MXCONFORM_PCH_STD
    <algorithm> <cstdint> <filesystem> <fstream> <functional> <map> <memory> <optional>
    <set> <sstream> <string> <string_view> <utility> <vector>)

if(MXCONFORM_PCH_ACTIVE)
  # One PCH for every GoogleTest executable (REUSE_FROM needs the same
  # flags, which the global options give every target).
  add_library(mx_pch_test OBJECT ${CMAKE_CURRENT_LIST_DIR}/pch_stub.cc)
  target_link_libraries(mx_pch_test PRIVATE GTest::gtest nlohmann_json::nlohmann_json)
  target_precompile_headers(mx_pch_test PRIVATE <gtest/gtest.h> <nlohmann/json.hpp>
                            ${MXCONFORM_PCH_STD})
  # One for the libraries that read and write JSON and YAML.
  add_library(mx_pch_json OBJECT ${CMAKE_CURRENT_LIST_DIR}/pch_stub.cc)
  target_link_libraries(mx_pch_json PRIVATE nlohmann_json::nlohmann_json yaml-cpp)
  target_precompile_headers(mx_pch_json PRIVATE <nlohmann/json.hpp> <yaml-cpp/yaml.h>
                            ${MXCONFORM_PCH_STD})
endif()

# Every GoogleTest executable defined so far (in `dir` and below) gets the
# test PCH; each target named in `json_targets` gets the JSON one.
function(mx_apply_precompiled_headers dir)
  if(NOT MXCONFORM_PCH_ACTIVE)
    return()
  endif()
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(type STREQUAL "EXECUTABLE" AND libs MATCHES "GTest::")
      target_precompile_headers(${t} REUSE_FROM mx_pch_test)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(d IN LISTS subdirs)
    mx_apply_precompiled_headers(${d})
  endforeach()
endfunction()

function(mx_use_json_pch)
  if(MXCONFORM_PCH_ACTIVE)
    foreach(t IN LISTS ARGN)
      target_precompile_headers(${t} REUSE_FROM mx_pch_json)
    endforeach()
  endif()
endfunction()
