#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The UI's folders include one way: ui/ -> ui/form/ -> ui/common/ (and app/, sync/ below
# them). ui/form/ includes nothing of ui/, ui/common/ nothing of ui/ or ui/form/; headers of
# app/forms are spelled "forms/dft-....h" everywhere in ui/ and tests/. A helper both need
# belongs in ui/common/.
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
shopt -s nullglob
status=0

# The headers a folder holds, one name a line.
headers_of () {
  [ -d "$1" ] || return 0
  find "$1" -maxdepth 1 -name '*.h' -printf '%f\n' | LC_ALL=C sort
}

# check FOLDER BELOW...: FOLDER's files include only their own headers, those of the
# folders BELOW, and those of app/ and sync/.
check () {
  local folder=$1
  shift
  local allowed
  allowed=$(for d in "$folder" "$@"; do headers_of "$d"; done)
  for f in "$folder"/*.c "$folder"/*.h; do
    while IFS= read -r name; do
      case $name in
        ../*) echo "$f includes \"$name\": a path out of its folder"; status=1; continue ;;
      esac
      for upper in ui ui/form; do
        [ "$upper" = "$folder" ] && continue
        if [ -f "$upper/$name" ] && ! grep -qxF "$name" <<<"$allowed"; then
          echo "$f includes $upper/$name: $folder/ is below $upper/"; status=1
        fi
      done
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
  done
}

check ui/common
check ui/form ui/common

# One spelling for app/forms headers.
forms_headers=$(headers_of app/forms)
while IFS= read -r hit; do
  name=${hit#*\"}
  name=${name%\"*}
  if grep -qxF "$name" <<<"$forms_headers"; then
    echo "${hit%%:*} includes \"$name\": spell it \"forms/$name\""; status=1
  fi
done < <(grep -rHE '^#include "[^"/]*"' ui tests --include='*.c' --include='*.h' || true)

[ $status -eq 0 ] && echo "ui/common, ui/form and ui include one way"
exit $status
