#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sign-ins in a burst: N devices sign in to a daftari-server on loopback, 16 at a time, with
# the same account (each with a device id of its own). Prints the wall time of the burst and
# the server's sign-ins per second next to the processors it had, the bound of Argon2id at
# libsodium's interactive cost (about a tenth of a second a hash on one core).
#
#   bash bench/bench-sign-in.sh [SERVER_BINARY] [N]
set -euo pipefail
server=${1:-_build/sync/server/daftari-server}
n=${2:-60}
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"' EXIT

printf '[server]\nlisten=127.0.0.1\nport=0\ndata=%s/data\n' "$dir" > "$dir/server.conf"
echo "a long enough password" > "$dir/password"
"$server" admin --config "$dir/server.conf" create-team Bench >/dev/null
"$server" admin --config "$dir/server.conf" create-account --username bench --role trainer \
  --team Bench --password-file "$dir/password" >/dev/null
"$server" serve --config "$dir/server.conf" > "$dir/log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$dir/log" | head -n1)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }

sign_in() {
  curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"a long enough password","device_id":"'"$(cat /proc/sys/kernel/random/uuid)"'","device_name":"bench"}' \
    "$url/api/v1/login"
}
export -f sign_in
export url

# One at a time first: what one sign-in costs here, now.
one_start=$(date +%s.%N)
for _ in 1 2 3 4 5; do sign_in >> "$dir/codes"; done
one_end=$(date +%s.%N)
# Then the burst.
start=$(date +%s.%N)
seq "$n" | xargs -P 16 -I{} bash -c sign_in >> "$dir/codes"
end=$(date +%s.%N)
ok=$(grep -c '^200$' "$dir/codes" || true)
python3 - "$n" "$ok" "$one_start" "$one_end" "$start" "$end" "$(nproc)" <<'PY'
import sys
n, ok = int(sys.argv[1]), int(sys.argv[2])
one = (float(sys.argv[4]) - float(sys.argv[3])) / 5
wall = float(sys.argv[6]) - float(sys.argv[5])
cores = int(sys.argv[7])
print(f"one sign-in alone: {one * 1000:.0f} ms")
print(f"{n} at once (16 clients): {wall:.1f} s, {n / wall:.1f} a second ({ok} of {n + 5} accepted)")
print(f"speed-up over one at a time: {one * n / wall:.2f}x; the bound is {min(cores, 4)}x "
      f"({cores} processors, at most 4 hashes at once)")
PY
