#!/usr/bin/env bash
# Quick start, step 2: install what is missing, then build and run every test
# through ctest: the default (GCC) build, then the asan-ubsan build.
# Pass a preset name (default, asan-ubsan, ...) to run only that one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/deps.sh
presets=("$@")
if [ ${#presets[@]} -eq 0 ]; then
  presets=(default asan-ubsan)
fi
for p in "${presets[@]}"; do
  echo "== preset $p" >&2
  cmake --preset "$p" >/dev/null
  cmake --build --preset "$p" -j"$(nproc)"
  ctest --preset "$p" -j"$(nproc)"
done
