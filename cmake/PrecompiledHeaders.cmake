# Precompiled headers for the heavy third-party headers, to keep the
# build (and with it CI, which builds twice) within its time budget: about
# 70 translation units parse GoogleTest and nlohmann/json, which alone take
# 3-4 s a unit at -O0.
#
# Off by default; the asan-ubsan and default presets turn it on. GCC only,
# and not in the fuzz build: clang refuses a PCH made with other options,
# and the fuzz build adds -fsanitize=fuzzer-no-link per library. Not for
# optimised sources either: through a PCH, GCC 12 loses the warning pragmas
# of libstdc++ and reports false -Warray-bounds errors at -O2 (GCC bug
# 64117). The default build's libraries and the release build, which use
# none, still catch a source file that forgot an #include.
#
# MXCONFORM_TESTS_O0 compiles the GoogleTest executables' own sources at
# -O0 (the libraries they test keep the build's flags): a test's code needs
# no optimiser, which took about 40% of an optimised build's compile time.
# The test PCH then applies to an optimised build too, the bug above being
# an optimiser warning; the libraries' JSON PCH still does not.
option(MXCONFORM_PCH "Precompile GoogleTest, nlohmann/json and the standard headers" OFF)
option(MXCONFORM_TESTS_O0 "Compile the GoogleTest executables' own sources at -O0" OFF)

set(MXCONFORM_PCH_ACTIVE OFF)
set(MXCONFORM_JSON_PCH_ACTIVE OFF)
if(MXCONFORM_PCH AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND NOT MXCONFORM_FUZZ)
  string(TOUPPER "${CMAKE_BUILD_TYPE}" mx_build_type)
  if(mx_build_type STREQUAL "DEBUG" OR mx_build_type STREQUAL "")
    set(MXCONFORM_PCH_ACTIVE ON)
    set(MXCONFORM_JSON_PCH_ACTIVE ON)
  elseif(MXCONFORM_TESTS_O0)
    set(MXCONFORM_PCH_ACTIVE ON)
  endif()
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
  if(MXCONFORM_TESTS_O0)
    target_compile_options(mx_pch_test PRIVATE -O0)  # the flags of the tests that reuse it
  endif()
endif()
if(MXCONFORM_JSON_PCH_ACTIVE)
  # One for the libraries that read and write JSON and YAML.
  add_library(mx_pch_json OBJECT ${CMAKE_CURRENT_LIST_DIR}/pch_stub.cc)
  target_link_libraries(mx_pch_json PRIVATE nlohmann_json::nlohmann_json yaml-cpp)
  target_precompile_headers(mx_pch_json PRIVATE <nlohmann/json.hpp> <yaml-cpp/yaml.h>
                            ${MXCONFORM_PCH_STD})
endif()

# Every GoogleTest executable defined so far (in `dir` and below) gets the
# test PCH and, with MXCONFORM_TESTS_O0, -O0 for its own sources.
function(mx_apply_precompiled_headers dir)
  if(NOT MXCONFORM_PCH_ACTIVE AND NOT MXCONFORM_TESTS_O0)
    return()
  endif()
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    get_target_property(libs ${t} LINK_LIBRARIES)
    if(type STREQUAL "EXECUTABLE" AND libs MATCHES "GTest::")
      if(MXCONFORM_TESTS_O0)
        target_compile_options(${t} PRIVATE -O0)
      endif()
      # A target built with other -march flags than the PCH cannot use it.
      get_target_property(own_isa ${t} MX_OWN_ISA)
      if(MXCONFORM_PCH_ACTIVE AND NOT own_isa)
        target_precompile_headers(${t} REUSE_FROM mx_pch_test)
      endif()
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(d IN LISTS subdirs)
    mx_apply_precompiled_headers(${d})
  endforeach()
endfunction()

function(mx_use_json_pch)
  if(MXCONFORM_JSON_PCH_ACTIVE)
    foreach(t IN LISTS ARGN)
      target_precompile_headers(${t} REUSE_FROM mx_pch_json)
    endforeach()
  endif()
endfunction()
