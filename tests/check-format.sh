#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every C file is formatted as .clang-format says. "packaging/dev.sh format" fixes them.
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed: skipped"
  exit 77
fi
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find app sync ui tests bench -name '*.[ch]')
if clang-format --dry-run --Werror "${files[@]}" 2>/tmp/daftari-format.$$; then
  echo "${#files[@]} files formatted as .clang-format says"
  rm -f /tmp/daftari-format.$$
else
  grep -E '^[^ ].*(warning|error):' /tmp/daftari-format.$$ | cut -d: -f1 | sort -u | sed 's/^/not formatted: /'
  rm -f /tmp/daftari-format.$$
  echo "run: bash packaging/dev.sh format"
  exit 1
fi
