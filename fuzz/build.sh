#!/bin/bash -eu
# shellcheck disable=SC2086  # $CXXFLAGS and $LIB_FUZZING_ENGINE hold several flags
# Builds every fuzz target the OSS-Fuzz / ClusterFuzzLite way: the libraries
# and fuzz/<name>.cc with $CXX $CXXFLAGS, each target linked with
# $LIB_FUZZING_ENGINE into $OUT/<name>, next to <name>.dict, <name>.options
# and <name>_seed_corpus.zip (from corpus/<name>/).
#
# CMake is not used here: the builder images ship older CMake and package
# versions than the project's CMakeLists.txt asks for, and the fuzz targets
# need only src/common, src/mtasts, src/tlsrpt, src/spf, src/dmarc, src/dns
# the mock DNS server's Responder (mocks/dns/responder.cc), the mock MX's
# dialogue (mocks/smtp/dialogue.cc), the mock policy host's routing
# (mocks/https/routing.cc), the SMTP text
# layer (src/net/smtp_text.cc) and the conformance model
# (conformance/runner: scenarios, mock zones, the catalog, the case files
# and DMARC suites; the mx_conformance_model sources), none of which needs Boost; libidn2, libpsl,
# yaml-cpp, zlib and the header-only nlohmann/json (>= 3.10).
#
# Locally, without a builder image:
#   CXX=clang++ CXXFLAGS='-O1 -g -fsanitize=address,undefined -fsanitize=fuzzer-no-link' \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/fuzz-out fuzz/build.sh

# Also when run as `bash fuzz/build.sh`, which ignores the -eu above.
set -eu
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${CXX:=clang++}"
: "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?set OUT to the output directory}"
: "${WORK:=$(mktemp -d)}"

OBJ="$WORK/mxconform-fuzz-obj"
rm -rf "$OBJ"
mkdir -p "$OBJ" "$OUT"
OUT="$(cd "$OUT" && pwd)"

# report.cc needs nlohmann/json 3.10 or newer (ordered_json, binary_t);
# say so plainly instead of failing deep inside the header.
if ! echo '#include <nlohmann/json.hpp>
#if NLOHMANN_JSON_VERSION_MAJOR < 3 || (NLOHMANN_JSON_VERSION_MAJOR == 3 && NLOHMANN_JSON_VERSION_MINOR < 10)
#error nlohmann/json older than 3.10
#endif' | $CXX $CXXFLAGS -std=c++20 -x c++ -fsyntax-only - 2>/dev/null; then
  echo "fuzz/build.sh: nlohmann/json >= 3.10 is required (nlohmann-json3-dev)" >&2
  exit 1
fi

# The libraries: every non-test source of the six folders and the
# Responder, in one archive
# (the linker takes only the objects a target needs).
LIB="$OBJ/libmxconform_fuzz.a"
objects=()
for src in "$ROOT"/src/common/*.cc "$ROOT"/src/mtasts/*.cc "$ROOT"/src/tlsrpt/*.cc "$ROOT"/src/spf/*.cc \
  "$ROOT"/src/dmarc/*.cc "$ROOT"/src/dns/*.cc "$ROOT"/mocks/dns/responder.cc "$ROOT"/mocks/smtp/dialogue.cc \
  "$ROOT"/mocks/https/routing.cc \
  "$ROOT"/src/net/smtp_text.cc "$ROOT"/conformance/runner/catalog.cc \
  "$ROOT"/conformance/runner/dmarc_cases.cc \
  "$ROOT"/conformance/runner/mock_zone.cc "$ROOT"/conformance/runner/model_json.cc \
  "$ROOT"/conformance/runner/openspf.cc "$ROOT"/conformance/runner/scenario_model.cc \
  "$ROOT"/conformance/runner/vectors.cc; do
  case "$src" in
    *_test.cc | *_bench.cc) continue ;;
  esac
  dir="$(basename "$(dirname "$src")")"
  obj="$OBJ/${dir}_$(basename "${src%.cc}").o"
  echo "compile $src"
  $CXX $CXXFLAGS -std=c++20 -I"$ROOT/src" -I"$ROOT" -c "$src" -o "$obj"
  objects+=("$obj")
done
ar rcs "$LIB" "${objects[@]}"

# libidn2 statically when its archives exist: the runner image that executes
# the targets need not have the shared library.
if [ "$($CXX -print-file-name=libidn2.a)" != "libidn2.a" ] &&
   [ "$($CXX -print-file-name=libunistring.a)" != "libunistring.a" ]; then
  IDN_LIBS=("-Wl,-Bstatic" -lidn2 -lunistring "-Wl,-Bdynamic")
else
  IDN_LIBS=(-lidn2)
fi
# libpsl (src/dmarc, RFC 7489 Organizational Domains) likewise, but only
# when libidn2 and libunistring, which it needs, are static too (they follow
# it on the link line). Without Debian's `publicsuffix` file at run time it
# uses its built-in list.
if [ "${IDN_LIBS[0]}" = "-Wl,-Bstatic" ] &&
   [ "$($CXX -print-file-name=libpsl.a)" != "libpsl.a" ]; then
  PSL_LIBS=("-Wl,-Bstatic" -lpsl "-Wl,-Bdynamic")
else
  PSL_LIBS=(-lpsl)
fi

# zlib (src/common/compress.cc) statically when its archive exists.
if [ "$($CXX -print-file-name=libz.a)" != "libz.a" ]; then
  Z_LIBS=("-Wl,-Bstatic" -lz "-Wl,-Bdynamic")
else
  Z_LIBS=(-lz)
fi

zip_corpus() {  # zip_corpus DIR ZIP: the files of DIR, without folders
  local dir="$1" zip="$2"
  rm -f "$zip"
  if command -v zip >/dev/null; then
    (cd "$dir" && zip -q -X "$zip" ./*)
  else
    (cd "$dir" && python3 -m zipfile -c "$zip" ./*)
  fi
}

count=0
for target_src in "$ROOT"/fuzz/*_fuzzer.cc; do
  name="$(basename "${target_src%.cc}")"
  echo "fuzz target $name"
  $CXX $CXXFLAGS -std=c++20 -I"$ROOT/src" -I"$ROOT" -c "$target_src" -o "$OBJ/$name.o"
  $CXX $CXXFLAGS "$OBJ/$name.o" -o "$OUT/$name" $LIB_FUZZING_ENGINE "$LIB" "${PSL_LIBS[@]}" "${IDN_LIBS[@]}" \
    "${Z_LIBS[@]}" -lyaml-cpp
  for extra in dict options; do
    if [ -f "$ROOT/fuzz/$name.$extra" ]; then
      cp "$ROOT/fuzz/$name.$extra" "$OUT/"
    fi
  done
  if [ -d "$ROOT/corpus/$name" ]; then
    zip_corpus "$ROOT/corpus/$name" "$OUT/${name}_seed_corpus.zip"
  fi
  count=$((count + 1))
done
echo "fuzz/build.sh: built $count fuzz targets into $OUT"
