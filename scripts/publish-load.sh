#!/usr/bin/env bash
# Publish throughput of one node under wrk, with the node's CPU per publish and its split by thread.
# Usage: scripts/publish-load.sh [JARDIR] [CONNECTIONS] [BYTES]
#   JARDIR: a directory with bulwark-cli.jar and lib/ (default: bulwark-cli/target of this checkout,
#   built with ./mvnw -pl bulwark-cli -am package -DskipTests); CONNECTIONS: wrk connections (256);
#   BYTES: payload size (1024; e.g. 1048576 for the 1 MiB figure, with 4 connections).
# A fresh node home in a temporary directory; 40 s of load to warm the JIT, then two 20 s runs.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
. "$root/scripts/select-jdk.sh"
bulwark_select_jdk
dir="${1:-$root/bulwark-cli/target}"; conns="${2:-256}"; bytes="${3:-1024}"; port=18383
command -v wrk >/dev/null || { echo "publish-load: wrk is not installed (Debian package wrk)" >&2; exit 1; }
work="$(mktemp -d)"; trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
bulwark() { "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$dir/bulwark-cli.jar:$dir/lib/*" io.bulwark.cli.Bulwark "$@"; }
bulwark init --home "$work/node" --nation DEU --node deu-1 --listen "127.0.0.1:$port" >/dev/null 2>&1
bulwark user add --home "$work/node" anna --nationality DEU --clearance "NATO SECRET" --role analyst >/dev/null 2>&1
token="$(bulwark token --home "$work/node" anna --ttl 8h 2>/dev/null)"
head -c "$bytes" /dev/urandom > "$work/payload"
python3 - "$work" "$token" <<'PY'
import sys
work, token = sys.argv[1], sys.argv[2]
open(work + '/post.lua', 'w').write(f'''wrk.method = "POST"
local payload = io.open("{work}/payload", "rb")
wrk.body = payload:read("*a")
payload:close()
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Bulwark-Label"] = "NATO SECRET//REL TO DEU, FRA, USA"
wrk.headers["Content-Type"] = "application/octet-stream"
''')
PY
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$dir/bulwark-cli.jar:$dir/lib/*" io.bulwark.cli.Bulwark \
    start --home "$work/node" > "$work/node.log" 2>&1 &
pid=$! # the node's own process, whose CPU is measured
for _ in $(seq 1 240); do grep -q '^ready' "$work/node.log" && break; sleep 0.5; done
url="http://127.0.0.1:$port/api/v1/records"
threads() { for t in /proc/$pid/task/*; do echo "$(awk '{print $14+$15}' "$t/stat" 2>/dev/null) $(cat "$t/comm" 2>/dev/null)"; done; }
wrk -t2 -c"$conns" -d40s -s "$work/post.lua" "$url" >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); connections $conns; payload $bytes bytes"
for run in 1 2; do
  threads > "$work/t0"; read -r u0 s0 < <(awk '{print $14, $15}' /proc/$pid/stat); load0="$(cut -d' ' -f1 /proc/loadavg)"
  wrk -t2 -c"$conns" -d20s -s "$work/post.lua" "$url" > "$work/wrk"
  read -r u1 s1 < <(awk '{print $14, $15}' /proc/$pid/stat); threads > "$work/t1"
  n="$(grep -oP '\d+(?= requests in)' "$work/wrk")"
  rate="$(grep Requests/sec "$work/wrk" | awk '{print $2}')"
  echo "run $run: $rate publishes/s ($(awk -v r="$rate" -v b="$bytes" 'BEGIN{printf "%.0f", r * b / 1e6}') MB/s), mean latency $(grep -E '^ +Latency' "$work/wrk" | awk '{print $2}'), $(grep -c Non-2xx "$work/wrk" || true) non-2xx lines; load $load0 -> $(cut -d' ' -f1 /proc/loadavg)"
  python3 - "$n" $((u1-u0)) $((s1-s0)) "$work/t0" "$work/t1" <<'PY'
import collections, re, sys
n, u, s = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tick = 1e6 / 100  # µs per clock tick (Linux USER_HZ)
print(f'  node CPU per publish: user {u * tick / n:.0f} µs + system {s * tick / n:.0f} µs = {(u + s) * tick / n:.0f} µs')
def read(f):
    c = collections.Counter()
    for line in open(f):
        v, _, name = line.strip().partition(' ')
        if v: c[re.sub(r'\d+', 'N', name)] += int(v)
    return c
a, b = read(sys.argv[4]), read(sys.argv[5])
for k in sorted(b, key=lambda k: a.get(k, 0) - b[k])[:6]:
    print(f'    {k:28s} {(b[k] - a.get(k, 0)) * tick / n:5.0f} µs per publish')
PY
done
