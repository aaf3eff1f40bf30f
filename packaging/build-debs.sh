#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the Debian packages from a clean copy of the source tree, as an ordinary user:
#   packaging/build-debs.sh OUTDIR
# OUTDIR receives the .deb files, the .changes and .buildinfo, build.log and lintian.txt.
# It exits non-zero when the build fails or lintian reports an error (warnings are listed in
# lintian.txt). dpkg-buildpackage wants debian/ at the top of the tree, and the tree it builds in
# gains build files, so the copy keeps the checkout itself untouched.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:?usage: $0 OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/daftari-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src="$work/daftari-0.1.0"
mkdir "$src"

# What git knows of (tracked files and new ones not ignored), as they are in the working tree,
# so uncommitted work is what gets packaged; a tree without git is copied minus build folders.
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (cd "$top" && git ls-files -z --cached --others --exclude-standard) \
    | (cd "$top" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _) \
    | tar -C "$top" --null -T - -cf - | tar -C "$src" -xf -
else
  tar -C "$top" --exclude='./_build*' --exclude='./_ci-logs' --exclude='./.git' -cf - . \
    | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
cp -a "$src/packaging/debian" "$src/debian"

status=0
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
  tail -n 40 "$out/build.log" >&2
  echo "dpkg-buildpackage failed ($status); the whole log is $out/build.log" >&2
  exit 1
fi
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/

# lintian exits 2 on an error tag; --fail-on error makes that explicit across its versions.
changes=$(ls "$out"/*.changes | head -n1)
lintian --fail-on error --info --display-info --tag-display-limit 0 "$changes" \
  > "$out/lintian.txt" 2>&1 || status=$?
errors=$(grep -c '^E: ' "$out/lintian.txt" || true)
warnings=$(grep -c '^W: ' "$out/lintian.txt" || true)
echo "lintian: $errors errors, $warnings warnings (see $out/lintian.txt)"
[ "$errors" -eq 0 ] && [ "$status" -eq 0 ]
