#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Translations are complete and well-formed:
#  1. every po/*.po passes msgfmt --check (headers, plural forms, c-format placeholders);
#  2. no PO has an untranslated or fuzzy message against a template made now from the
#     sources, so a string added without a translation fails here (run po/update-po.sh);
#  3. every message with a placeholder has a "Translators:" comment saying what it stands for.
set -euo pipefail
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top"
export LC_ALL=C.UTF-8
status=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

langs=$(grep -v '^\s*#' po/LINGUAS | sed '/^\s*$/d' || true)
[ -n "$langs" ] || { echo "po/LINGUAS names no language"; exit 1; }
for lang in $langs; do
  [ -f "po/$lang.po" ] || { echo "po/LINGUAS names $lang but po/$lang.po does not exist"; status=1; }
done

# 1. msgfmt --check on every PO file, listed or not.
for po in po/*.po; do
  [ -e "$po" ] || continue
  if ! out=$(msgfmt --check --statistics --output-file=/dev/null "$po" 2>&1); then
    echo "$po: msgfmt --check failed:"; printf '%s\n' "$out" | sed 's/^/  /'; status=1
  else
    echo "$po: $out"
  fi
done

# 2. Nothing untranslated or fuzzy against a fresh template (the keywords of po/update-po.sh).
pot=$work/daftari.pot
if ! xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
     --keyword=ngettext:1,2 --add-comments=Translators --package-name=daftari \
     --files-from=po/POTFILES.in --output="$pot" 2>"$work/xgettext.log"; then
  echo "xgettext failed:"; sed 's/^/  /' "$work/xgettext.log"; exit 1
fi
for lang in $langs; do
  [ -f "po/$lang.po" ] || continue
  cp "po/$lang.po" "$work/$lang.po"
  msgmerge --quiet --update --backup=none "$work/$lang.po" "$pot"
  for kind in untranslated only-fuzzy; do
    left=$(msgattrib --no-obsolete --no-wrap --"$kind" "$work/$lang.po" | grep -c '^msgid ' || true)
    # The header entry counts as one when anything is left.
    if [ "$left" -gt 0 ]; then
      echo "po/$lang.po: $((left - 1)) ${kind#only-} message(s); run po/update-po.sh and translate:"
      msgattrib --no-obsolete --no-wrap --"$kind" "$work/$lang.po" | awk '
        /^#: / { ref = $2 }
        /^msgid "/ { id = substr($0, 7); want = (id == "\"\""); if (!want) print "  " ref ": " id; next }
        want && /^"/ { print "  " ref ": " $0; want = 0 }
        /^msgstr/ { want = 0 }'
      status=1
    fi
  done
done

# 3. A message with a placeholder needs a comment for translators ("#." in the template).
missing=$(msgattrib --no-wrap "$pot" | awk '
  /^$/ { if (fmt && !note && id != "\"\"") print "  " ref ": " id; fmt = note = 0; ref = id = ""; next }
  /^#\. /        { note = 1 }
  /^#: /         { if (ref == "") ref = $2 }
  /^#, .*c-format/ && !/no-c-format/ { fmt = 1 }
  /^msgid /      { id = substr($0, 7) }
  END { if (fmt && !note) print "  " ref ": " id }')
if [ -n "$missing" ]; then
  echo "Messages with placeholders but no /* Translators: */ comment above them:"
  printf '%s\n' "$missing"; status=1
fi

[ $status -eq 0 ] && echo "All translations ($(tr "\n" " " <<<"$langs")) are complete and pass msgfmt --check"
exit $status
