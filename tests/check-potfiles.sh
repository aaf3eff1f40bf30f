#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every source file with a translatable string is in po/POTFILES.in, the list is sorted,
# and every listed file exists: otherwise its strings never reach translators.
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
listed=$(grep -v '^\s*#' po/POTFILES.in | sed '/^\s*$/d' || true)
status=0

if [ "$listed" != "$(printf '%s\n' "$listed" | LC_ALL=C sort)" ]; then
  echo "po/POTFILES.in is not sorted"; status=1
fi
for f in $listed; do
  [ -f "$f" ] || { echo "po/POTFILES.in lists $f, which does not exist"; status=1; }
done
while IFS= read -r f; do
  grep -qxF "$f" <<<"$listed" || { echo "$f has translatable strings but is not in po/POTFILES.in"; status=1; }
done < <(grep -rlE '(^|[^A-Za-z0-9_])(_|N_|C_|NC_|ngettext)\s*\(' --include='*.c' --include='*.ui' app sync ui 2>/dev/null | LC_ALL=C sort)
# The strings must also be extractable: a syntax xgettext cannot read loses them silently.
if command -v xgettext >/dev/null; then
  pot=$(mktemp)
  trap 'rm -f "$pot"' EXIT
  if xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
       --keyword=ngettext:1,2 --add-comments=Translators --files-from=<(printf '%s\n' "$listed") \
       -o "$pot" 2>/dev/null; then
    echo "xgettext extracted $(grep -c '^msgid ' "$pot") strings"
  else
    echo "xgettext failed on po/POTFILES.in"; status=1
  fi
fi
[ $status -eq 0 ] && echo "po/POTFILES.in lists all $(wc -l <<<"$listed") files with translatable strings"
exit $status
