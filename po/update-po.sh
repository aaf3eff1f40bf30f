#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Regenerate po/daftari.pot from the files in po/POTFILES.in and merge it into every
# po/<lang>.po named in po/LINGUAS (creating a missing one). Run it from anywhere after
# strings change; then translate what msgmerge left untranslated or fuzzy.
#   po/update-po.sh            regenerate and merge
#   po/update-po.sh --pot      only regenerate po/daftari.pot
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# The same keywords as po/meson.build and tests/check-potfiles.sh.
xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=ngettext:1,2 --add-comments=Translators --package-name=daftari \
  --files-from=po/POTFILES.in --output=po/daftari.pot
echo "po/daftari.pot: $(grep -c '^msgid ' po/daftari.pot) messages (counting the header)"
[ "${1:-}" = --pot ] && exit 0

grep -v '^\s*#' po/LINGUAS | sed '/^\s*$/d' | while read -r lang; do
  po="po/$lang.po"
  if [ ! -f "$po" ]; then
    msginit --no-translator --locale="$lang" --input=po/daftari.pot --output-file="$po"
  fi
  msgmerge --quiet --update --backup=none --previous "$po" po/daftari.pot
  printf '%s: ' "$po"
  msgfmt --check --statistics --output-file=/dev/null "$po"
done
