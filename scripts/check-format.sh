#!/usr/bin/env bash
# The ctest lint.format: every C and C++ source of the project is formatted
# as .clang-format says. Checked with clang-format 14 only (Debian 12's),
# because other versions format some constructs differently; exits 77 (the
# test is reported skipped, with the reason) where it is not installed.
# Usage: scripts/check-format.sh [ROOT]   (default: the checkout this is in)
#        scripts/check-format.sh --fix    (rewrites the files in place)
set -euo pipefail
fix=0
if [ "${1:-}" = "--fix" ]; then
  fix=1
  shift
fi
root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
cd "$root"
cf=""
for c in clang-format-14 clang-format; do
  if command -v "$c" >/dev/null && "$c" --version | grep -q "version 14\."; then
    cf="$c"
    break
  fi
done
if [ -z "$cf" ]; then
  echo "check-format: SKIPPED: clang-format 14 not found (scripts/deps.sh installs it)" >&2
  exit 77
fi
# The project's own sources; build trees and third-party data are not ours.
mapfile -t files < <(find src mocks conformance fuzz bench cmake \
  -type d -name build -prune -o -type f \( -name '*.cc' -o -name '*.h' \) -print | sort)
if [ ${#files[@]} -eq 0 ]; then
  echo "check-format: no sources under $root" >&2
  exit 2
fi
if [ "$fix" = 1 ]; then
  "$cf" -i "${files[@]}"
  exit 0
fi
if ! "$cf" --dry-run -Werror "${files[@]}"; then
  echo "check-format: the files above differ from .clang-format; scripts/check-format.sh --fix rewrites them" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted as .clang-format says"
