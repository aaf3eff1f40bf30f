#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The Debian packages, end to end, as an ordinary user: builds them from a copy of the source
# tree (packaging/build-debs.sh), wants no lintian error, unpacks them into a throw-away root and
# runs what was installed there: daftari-cli on a fresh home, daftari-server serving on loopback
# (its health answered), the unit's hardening, and, where this user may make a private mount
# namespace, the translations and the settings schema found where the packages put them (/usr).
#
#   tests/test-packages.sh SOURCE_DIR
#
# Exits 77 (skipped) without dpkg-buildpackage, debhelper or lintian. It takes minutes: the
# packages build the whole project once more (README.md, "Installing"). DAFTARI_DEBS=FOLDER
# checks packages build-debs.sh made before instead.
set -euo pipefail

src=${1:?usage: $0 SOURCE_DIR}
src=$(cd "$src" && pwd)
started=$(date +%s)

for tool in dpkg-buildpackage dh lintian dpkg-deb curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is missing (packages dpkg-dev, debhelper, lintian, curl)"
    exit 77
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/daftari-packages.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
fail() {
  echo "not ok $((n + 1)) $*"
  exit 1
}

# ---- Build, lintian -------------------------------------------------------------------------
# DAFTARI_DEBS names a folder build-debs.sh already filled, to check those packages again
# without building them.
if [ -n "${DAFTARI_DEBS:-}" ]; then
  mkdir -p "$work/out"
  cp "$DAFTARI_DEBS"/*.deb "$DAFTARI_DEBS"/*.changes "$DAFTARI_DEBS/lintian.txt" "$work/out/"
  if grep -q '^E: ' "$work/out/lintian.txt"; then
    grep '^E: ' "$work/out/lintian.txt"
    fail "the packages have no lintian error"
  fi
elif ! bash "$src/packaging/build-debs.sh" "$work/out"; then
  [ -f "$work/out/lintian.txt" ] && grep -E '^E: ' "$work/out/lintian.txt" || true
  fail "the packages build with no lintian error"
fi
built=$(($(date +%s) - started))
grep -E '^W: ' "$work/out/lintian.txt" | sed 's/^/# lintian: /' || true
for p in daftari daftari-cli daftari-server daftari-common; do
  ls "$work/out/${p}_"*.deb >/dev/null 2>&1 || fail "the package $p is built"
done
how="built in ${built} s"
[ -n "${DAFTARI_DEBS:-}" ] && how="from $DAFTARI_DEBS"
ok "four packages $how, no lintian error"

# ---- The throw-away root --------------------------------------------------------------------
root="$work/root"
mkdir "$root"
for deb in "$work/out"/*.deb; do
  case "$deb" in *-dbgsym_*) continue ;; esac
  dpkg-deb -x "$deb" "$root"
done
for f in usr/bin/daftari usr/bin/daftari-cli usr/bin/daftari-server \
  lib/systemd/system/daftari-server.service etc/daftari/server.conf \
  usr/share/applications/org.daftari.Daftari.desktop \
  usr/share/metainfo/org.daftari.Daftari.metainfo.xml \
  usr/share/icons/hicolor/scalable/apps/org.daftari.Daftari.svg \
  usr/share/glib-2.0/schemas/org.daftari.Daftari.gschema.xml \
  usr/share/daftari/sample-workshops.json usr/libexec/daftari-xls-reader; do
  [ -e "$root/$f" ] || fail "/$f is installed"
done
for lang in $(grep -v '^\s*#' "$src/po/LINGUAS"); do
  [ -f "$root/usr/share/locale/$lang/LC_MESSAGES/daftari.mo" ] \
    || fail "the $lang translation is installed"
done
# The default profile, not the development one: the real id, the real data folder, /usr's
# catalogues.
for bin in daftari daftari-cli; do
  grep -aq 'org.daftari.Daftari.Devel' "$root/usr/bin/$bin" && fail "$bin is a development build"
  grep -aq '/usr/share/locale' "$root/usr/bin/$bin" || fail "$bin reads its catalogues from /usr"
done
control="$work/control"
dpkg-deb -e "$work/out"/daftari-server_*.deb "$control"
grep -q 'adduser --system' "$control/postinst" || fail "daftari-server's postinst makes its user"
ok "the files are where Debian puts them, with every translation"

# ---- The command-line tool on a fresh home ---------------------------------------------------
home="$work/home"
mkdir "$home"
cli() {
  env -u XDG_DATA_HOME -u DAFTARI_DB HOME="$home" DAFTARI_NO_KEYRING=1 \
    "$root/usr/bin/daftari-cli" "$@"
}
cli --help > "$work/cli-help.txt" 2>&1 || fail "daftari-cli --help runs"
grep -q 'init' "$work/cli-help.txt" || fail "daftari-cli --help lists its commands"
cli init > /dev/null || fail "daftari-cli init runs"
cli event-add --title "Package test" --start 2026-12-07 > /dev/null \
  || fail "daftari-cli adds a workshop"
cli list events | grep -q "Package test" || fail "daftari-cli lists the workshop it added"
[ -f "$home/.local/share/daftari/daftari.db" ] || fail "the data goes to ~/.local/share/daftari/"
[ ! -e "$home/.local/share/daftari-devel" ] || fail "nothing goes to the development folder"
ok "the installed daftari-cli works in ~/.local/share/daftari/"

# ---- The server on loopback ------------------------------------------------------------------
srv="$work/server"
mkdir -p "$srv"
# The packaged configuration, pointed at a folder of this user's.
server="$root/usr/bin/daftari-server"
sed "s|^data=.*|data=$srv/data|; s|^port=.*|port=0|" "$root/etc/daftari/server.conf" \
  > "$srv/server.conf"
"$server" --version | grep -q '^daftari-server ' || fail "daftari-server --version"
"$server" admin --config "$srv/server.conf" create-team "Package team" > /dev/null \
  || fail "daftari-server admin create-team"
"$server" serve --config "$srv/server.conf" > "$srv/out.log" 2> "$srv/err.log" &
server_pid=$!
url=
for _ in $(seq 1 600); do
  url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$srv/out.log" | head -n1)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$url" ] || { cat "$srv/err.log"; fail "the installed daftari-server listens"; }
curl -fsS "$url/api/v1/health" > "$srv/health.json" || fail "health answers at $url"
grep -q '"status" *: *"ok"' "$srv/health.json" \
  || fail "health says it is well: $(cat "$srv/health.json")"
kill -TERM "$server_pid"
wait "$server_pid" || fail "daftari-server stops cleanly on SIGTERM"
server_pid=
ok "the installed daftari-server serves $url/api/v1/health and stops on SIGTERM"

# ---- The unit ---------------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null; then
  exposure=$(systemd-analyze security --offline=yes --no-pager \
    "$root/lib/systemd/system/daftari-server.service" 2>/dev/null \
    | sed -n 's/.*Overall exposure level for daftari-server.service: \([0-9.]*\).*/\1/p')
  [ -n "$exposure" ] || fail "systemd-analyze security reads the unit"
  awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' \
    || fail "the unit's exposure is at most 2.0 (it is $exposure)"
  ok "the unit's systemd-analyze security exposure is $exposure"
else
  ok "# SKIP no systemd-analyze"
fi

# ---- /usr as the packages make it -------------------------------------------------------------
# A private mount namespace lays the unpacked catalogues and schemas over /usr's, so the installed
# programs find them where a real installation has them; a machine that refuses unprivileged
# namespaces (some containers) skips this part.
if unshare -rm true 2>/dev/null && command -v glib-compile-schemas >/dev/null \
  && command -v gsettings >/dev/null; then
  # What libglib2.0-0's dpkg trigger does on a real installation.
  glib-compile-schemas --strict "$root/usr/share/glib-2.0/schemas"
  cat > "$work/in-usr.sh" <<'EOS'
set -e
root=$1
shift
mount --bind "$root/usr/share/locale" /usr/share/locale
mount --bind "$root/usr/share/glib-2.0/schemas" /usr/share/glib-2.0/schemas
exec "$@"
EOS
  in_usr() { unshare -rm bash "$work/in-usr.sh" "$root" "$@"; }
  in_usr env -u GSETTINGS_SCHEMA_DIR GSETTINGS_BACKEND=memory gsettings list-keys \
    org.daftari.Daftari > "$work/keys.txt" || fail "the schema is found in /usr"
  grep -q '^language$' "$work/keys.txt" || fail "the schema has its keys"
  # Cyrillic letters are two bytes that begin with 0xd0 or 0xd1 in UTF-8; the English help has none.
  cyrillic=$'[\xd0\xd1]'
  in_usr env HOME="$home" LC_ALL=C.UTF-8 LANGUAGE=ru "$root/usr/bin/daftari-server" --help \
    > "$work/server-ru.txt" 2>&1 || true
  LC_ALL=C grep -q "$cyrillic" "$work/server-ru.txt" \
    || fail "daftari-server speaks Russian from /usr: $(head -n 2 "$work/server-ru.txt")"
  in_usr env HOME="$home" LC_ALL=C.UTF-8 LANGUAGE=ru DAFTARI_NO_KEYRING=1 \
    "$root/usr/bin/daftari-cli" --help > "$work/cli-ru.txt" 2>&1 || true
  LC_ALL=C grep -q "$cyrillic" "$work/cli-ru.txt" \
    || fail "daftari-cli speaks Russian from /usr: $(head -n 2 "$work/cli-ru.txt")"
  ok "the schema and the translations are found in /usr"

  # The installed app itself, on a headless display: it must find its schema (else it warns
  # that it is not installed) and open its database in ~/.local/share/daftari/.
  if command -v xvfb-run >/dev/null; then
    apphome="$work/apphome"
    mkdir "$apphome"
    # Its own session, so that the display server xvfb-run starts stops with it.
    setsid unshare -rm bash "$work/in-usr.sh" "$root" \
      env -u DAFTARI_DB -u XDG_DATA_HOME -u GSETTINGS_SCHEMA_DIR -u DAFTARI_LOCALEDIR \
      HOME="$apphome" GSETTINGS_BACKEND=memory DAFTARI_NO_KEYRING=1 \
      xvfb-run -a "$root/usr/bin/daftari" > "$work/app.log" 2>&1 &
    app_group=$!
    for _ in $(seq 1 600); do
      [ -s "$apphome/.local/share/daftari/daftari.db" ] && break
      kill -0 "$app_group" 2>/dev/null || break
      sleep 0.1
    done
    kill -TERM -- "-$app_group" 2>/dev/null || true
    wait "$app_group" 2>/dev/null || true
    [ -s "$apphome/.local/share/daftari/daftari.db" ] \
      || { cat "$work/app.log"; fail "the installed app opens ~/.local/share/daftari/daftari.db"; }
    if grep -q 'is not installed' "$work/app.log"; then
      cat "$work/app.log"
      fail "the app finds its schema"
    fi
    [ ! -e "$apphome/.local/share/daftari-devel" ] \
      || fail "the app leaves the development folder alone"
    ok "the installed app starts, finds its schema and keeps its data in ~/.local/share/daftari/"
  else
    ok "# SKIP no xvfb-run: the installed app is not started"
  fi
else
  ok "# SKIP no unprivileged mount namespace here: the lookups in /usr are not tried"
fi

echo "1..$n"
echo "# the whole test took $(($(date +%s) - started)) s"
