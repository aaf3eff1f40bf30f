#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The README's two commands:
#   packaging/dev.sh run    install what is missing, build, and start Daftari with sample data
#                           (the GTK window when there is a display, else the command-line tour)
#   packaging/dev.sh test   install what is missing, build, and run every test, then again
#                           under AddressSanitizer and UndefinedBehaviorSanitizer, then fuzz
#                           every parser of untrusted bytes for a short time (clang, libFuzzer)
#   packaging/dev.sh deps   only install what is missing (CI does this as root, then tests as a user)
#   packaging/dev.sh format format every C file as .clang-format says
# Set DAFTARI_NO_INSTALL=1 to skip the package step (for machines where you manage packages).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

say() { printf '\n== %s\n' "$*"; }

install_missing() {
  [ "${DAFTARI_NO_INSTALL:-0}" = 1 ] && return 0
  local wanted missing=()
  mapfile -t wanted < <(grep -v '^\s*#' packaging/debian-packages.txt | sed '/^\s*$/d')
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing missing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure() { # dir, meson options...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@"
  else
    meson setup --reconfigure "$dir" "$@" >/dev/null
  fi
}

build() { # dir, meson options...
  configure "$@"
  ninja -C "$1"
}

build_only() { # dir, ninja target, meson options...
  local dir=$1 target=$2; shift 2
  configure "$dir" "$@"
  ninja -C "$dir" "$target"
}

# Meson prints its own summary; CI also wants one plain closing line for the whole run.
tally() { # testlog.json files...
  python3 - "$@" <<'PY'
import json, sys
passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            res = r.get("result")
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                skipped += 1
            else:
                failed += 1
                failures.append((path, r))
# CI keeps only the end of what this prints: name each failure there, with the end of its output.
for path, r in failures:
    build = path.split("/")[0]
    print(f"\n-- {build}: {r.get('name')} {r.get('result')} after {r.get('duration', 0):.1f}s")
    out = (r.get("stdout") or "") + (r.get("stderr") or "")
    for l in out.splitlines()[-25:]:
        print(f"   {l[:300]}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
}

# A local daftari-server on loopback, on the embedded SQLite store, with the accounts of one
# team as people really have them: "trainer" (role trainer) and "coordinator" (role
# coordinator). Their passwords are made here and kept in files only you can read.
start_local_server() {
  local dir=$1 server=_build/sync/server/daftari-server
  mkdir -p "$dir" && chmod 700 "$dir"
  if [ ! -f "$dir/server.conf" ]; then
    printf '[server]\nlisten=127.0.0.1\nport=0\ndata=%s/data\n' "$dir" > "$dir/server.conf"
    $server admin --config "$dir/server.conf" create-team "Sample team" >/dev/null
    for role in trainer coordinator; do
      head -c 18 /dev/urandom | base64 > "$dir/$role-password"
      chmod 600 "$dir/$role-password"
      $server admin --config "$dir/server.conf" create-account --username "$role" --role "$role" \
        --team "Sample team" --password-file "$dir/$role-password" >/dev/null
    done
  fi
  $server serve --config "$dir/server.conf" > "$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    server_url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$dir/server.log" | head -n1)
    [ -n "$server_url" ] && return 0
    sleep 0.1
  done
  echo "The local server did not start; see $dir/server.log" >&2
  return 1
}

run_app() {
  install_missing
  say "Building"
  build _build -Dprofile=development -Dtests=false -Dbench=false
  local cli=_build/app/cli/daftari-cli
  local data="${XDG_DATA_HOME:-$HOME/.local/share}/daftari-devel"
  # The development profile keeps its data apart from a real installation's.
  say "Preparing the sample data with the command-line tool"
  $cli init
  if $cli list events | grep -q .; then
    echo "The database already holds workshops."
  else
    $cli sample
  fi
  say "Workshops"
  $cli list events
  local first
  # awk reads to the end: head would close the pipe early, and pipefail would call that a failure.
  first=$($cli list events | awk 'NR == 1 { print $1 }')
  say "People in the first workshop"
  $cli list people --event "$first" | awk 'NR <= 12'
  say "Search in any script: 'aibek' and 'giorgi'"
  $cli search aibek | awk 'NR <= 3'
  $cli search giorgi | awk 'NR <= 3'

  say "Starting a local sync server and sending the workshops to it"
  start_local_server "$data/server"
  trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null' EXIT
  $cli login --server "$server_url" --username trainer \
    --password-file "$data/server/trainer-password"
  $cli sync
  say "What the database holds"
  $cli info
  echo
  echo "The local server answers at $server_url (log: $data/server/server.log)."
  echo "This laptop is signed in as \"trainer\" (role trainer). The coordinator's password is in"
  echo "$data/server/coordinator-password, the trainer's in $data/server/trainer-password."
  echo "Try: $cli --help"
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    say "Starting the Daftari window"
    # Uninstalled: the settings schema compiled in the build folder, the server just started.
    GSETTINGS_SCHEMA_DIR=_build/ui/data DAFTARI_LOCALEDIR=_build/po _build/ui/daftari || true
  else
    echo "No display (neither \$DISPLAY nor \$WAYLAND_DISPLAY is set): the window was not started."
    echo "On a desktop session, run: GSETTINGS_SCHEMA_DIR=_build/ui/data DAFTARI_LOCALEDIR=_build/po _build/ui/daftari"
    if [ -t 0 ]; then
      echo "Press Ctrl+C to stop the local server."
      wait $server_pid || true
    fi
  fi
}

# Whether clang can link a libFuzzer program (DAFTARI_NO_INSTALL=1 may leave it out).
have_libfuzzer() {
  command -v clang >/dev/null || return 1
  printf 'int LLVMFuzzerTestOneInput (const char *d, unsigned long n) { return 0; }\n' \
    | clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null
}

# Debian gives an ordinary user a soft limit of 1,024 open descriptors; root and some desktops
# have far more. The tests run under Debian's figure everywhere, so that a leak fails on every
# machine instead of only on a new user's.
lower_descriptor_limit() {
  local soft
  soft=$(ulimit -Sn)
  if [ "$soft" = unlimited ] || [ "$soft" -gt 1024 ]; then
    ulimit -Sn 1024
  fi
}

run_tests() {
  install_missing
  lower_descriptor_limit
  local status=0 logs=()
  say "Testing as $(id -un), with at most $(ulimit -Sn) open descriptors per process"
  say "Building and testing"
  build _build -Dprofile=default -Dtests=true -Dbench=true
  meson test -C _build --print-errorlogs --num-processes 2 || status=1
  logs+=(_build/meson-logs/testlog.json)

  say "Building and testing under AddressSanitizer and UndefinedBehaviorSanitizer"
  build _build-sanitize -Dtests=true -Dbench=false -Dsanitizers=true -Db_lundef=false
  meson test -C _build-sanitize --print-errorlogs --num-processes 2 --timeout-multiplier 3 || status=1
  logs+=(_build-sanitize/meson-logs/testlog.json)

  # The fuzz suite: every parser of untrusted bytes under libFuzzer for a short fixed time, two
  # at a time (tests/fuzz/). Only the fuzz targets and what they link are built here.
  if have_libfuzzer; then
    say "Building the fuzz targets with clang and fuzzing each for ${DAFTARI_FUZZ_SECONDS:-25} s"
    CC=clang build_only _build-fuzz fuzz -Dprofile=default -Dtests=false -Dbench=false -Dfuzz=true \
      -Db_lundef=false
    meson test -C _build-fuzz --no-rebuild --suite fuzz --print-errorlogs --num-processes 2 || status=1
    logs+=(_build-fuzz/meson-logs/testlog.json)
  else
    say "No clang with libFuzzer (packages clang, libclang-rt-14-dev): the fuzz suite is skipped"
  fi

  say "All tests"
  tally "${logs[@]}"
  return $status
}

format_sources() {
  git ls-files '*.c' '*.h' | xargs clang-format -i
  echo "Formatted $(git ls-files '*.c' '*.h' | wc -l) files."
}

case "${1:-}" in
  run) run_app ;;
  test) run_tests ;;
  deps) install_missing ;;
  format) format_sources ;;
  *) echo "usage: $0 run|test|deps|format" >&2; exit 2 ;;
esac
