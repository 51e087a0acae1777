#!/usr/bin/env bash
# Reading a tracked resource through MOUNT/Resources/ against `cat` of the same local file,
# in one run: a RAW resource of SIZE_MB on a root in a temp dir, registered (hashed) by a
# mounted daemon, then per round
#   - cold: the page cache dropped before each reader (echo 3 > drop_caches): cat of the
#     local file vs cat through Resources/ (the daemon splices from the same file);
#   - warm: the local file in the page cache: cat of it vs cat through Resources/ (each
#     open of a Resources/ file starts with no FUSE pages, so the mount copies every byte).
# Prints one line per round, then medians and spreads of the ratios (target >= 0.80).
# Run it alone: `flock -x LOCK bash resources.sh`.
# Usage: tools/bench/resources.sh [BUILD_DIR]   (ROUNDS=5 SIZE_MB=2048 by default)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
rounds=${ROUNDS:-5}
size_mb=${SIZE_MB:-2048}
work=$(mktemp -d /var/tmp/d1-resources-bench.XXXXXX)  # on disk, not tmpfs
node_pid=""
cleanup() {
  mountpoint -q "$work/mnt" 2>/dev/null && { "$build/d1drive" unmount "$work/mnt" >/dev/null 2>&1 || umount -l "$work/mnt"; }
  [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/root/data" "$work/mnt" "$work/state"
file="$work/root/data/big.bin"
head -c "$((size_mb << 20))" /dev/urandom > "$file"
python3 "$repo/tools/d1-test-node/d1-test-node" --port 0 --port-file "$work/node.port" \
  --log "$work/node.log" --no-fixtures --synthetic 5 >"$work/node.out" 2>&1 &
node_pid=$!
for _ in $(seq 600); do [[ -s $work/node.port ]] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/node.port")/cn"
"$build/d1drive" mount "$work/mnt" --base-url "$base" --state-dir "$work/state" --daemon >/dev/null
uid=$("$build/d1drive" resource register --spec RAW --root "$work/root" --path data/big.bin \
        --wait --json --state-dir "$work/state" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["resource_uid"])')
through="$work/mnt/Resources/$uid/data/big.bin"
cmp "$file" "$through"

seconds() {  # wall seconds of `cat $1 > /dev/null`
  local t0 t1
  t0=$(date +%s.%N); cat "$1" > /dev/null; t1=$(date +%s.%N)
  python3 -c "print($t1 - $t0)"
}
cold() { sync; echo 3 > /proc/sys/vm/drop_caches; seconds "$1"; }

results="$work/results"
for r in $(seq "$rounds"); do
  lc=$(cold "$file"); mc=$(cold "$through")
  cat "$file" > /dev/null
  lw=$(seconds "$file"); mw=$(seconds "$through")
  line="$lc $mc $lw $mw"
  echo "$line" >> "$results"
  echo "round $r: cat cold ${lc}s, Resources/ cold ${mc}s, cat warm ${lw}s, Resources/ warm ${mw}s"
done
python3 - "$results" "$size_mb" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
mb = float(sys.argv[2]) * 1048576 / 1e6
lc, mc, lw, mw = zip(*rows)
def show(name, xs, unit, fmt="{:.2f}"):
    print(f"{name}: median " + fmt.format(statistics.median(xs)) + f" {unit} (min "
          + fmt.format(min(xs)) + ", max " + fmt.format(max(xs)) + ")")
show("cat local file, cold", [mb / x for x in lc], "MB/s", "{:.0f}")
show("cat through Resources/, cold", [mb / x for x in mc], "MB/s", "{:.0f}")
show("Resources/ / cat, cold (per round)", [l / m for l, m in zip(lc, mc)], "x (target >= 0.80)")
show("cat local file, warm", [mb / x for x in lw], "MB/s", "{:.0f}")
show("cat through Resources/, local file warm", [mb / x for x in mw], "MB/s", "{:.0f}")
show("Resources/ / cat, warm (per round)", [l / m for l, m in zip(lw, mw)], "x")
PY
