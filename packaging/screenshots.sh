#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts Daftari on the sample workshops under a headless X server (Xvfb) and saves a PNG of
# each main screen into docs/screenshots/. The windows are driven through their actions by
# tests/ui/test-ui --screenshots, in a throw-away data folder: your own data is never touched.
# Usage: packaging/screenshots.sh [BUILD_DIR]   (default _build_screenshots)
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
build=${1:-_build_screenshots}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Dprofile=default -Dtests=true -Dbench=false
fi
ninja -C "$build" tests/ui/test-ui tests/ui/test-desk tests/ui/test-reports-page \
  ui/data/gschemas.compiled

out="$top/docs/screenshots"
mkdir -p "$out"
# A fixed "today", inside the Tbilisi workshop, so the attendance view opens on a session.
env GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/ui/data" GTK_A11Y=none \
    DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/daftari-screenshots GDK_BACKEND=x11 \
    DAFTARI_SAMPLE="$top/packaging/sample/sample-workshops.json" DAFTARI_TODAY=2026-02-03 \
    LC_ALL=C.UTF-8 \
  xvfb-run -a -s '-screen 0 1280x800x24' "$build/tests/ui/test-ui" --screenshots "$out"
# The coordinator's desk: the review queue, the merge dialog, the merges and the conflicts.
env GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/ui/data" GTK_A11Y=none \
    DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/daftari-screenshots GDK_BACKEND=x11 \
    DAFTARI_NO_KEYRING=1 DAFTARI_SCREENSHOTS="$out" LC_ALL=C.UTF-8 \
  xvfb-run -a -s '-screen 0 1280x800x24' "$build/tests/ui/test-desk"
# The Reports page over the sample workshops, and a selection no workshop matches.
env GSETTINGS_BACKEND=memory GSETTINGS_SCHEMA_DIR="$build/ui/data" GTK_A11Y=none \
    DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent/daftari-screenshots GDK_BACKEND=x11 \
    DAFTARI_NO_KEYRING=1 DAFTARI_SCREENSHOTS="$out" LC_ALL=C.UTF-8 \
    DAFTARI_SAMPLE="$top/packaging/sample/sample-workshops.json" \
  xvfb-run -a -s '-screen 0 1280x800x24' "$build/tests/ui/test-reports-page" -p /reports/figures
echo "Screenshots are in $out"
