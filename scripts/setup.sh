#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build the default preset and
# run the main job (`mxconform run`: every suite against the reference,
# reports in reports/latest/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/deps.sh
cmake --preset default >/dev/null
cmake --build --preset default -j"$(nproc)"
build/default/src/cli/mxconform run "$@"
