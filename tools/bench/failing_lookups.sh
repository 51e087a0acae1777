#!/usr/bin/env bash
# Memory under endless distinct failing names: a real d1drive daemon over the stand-in node
# (1000 synthetic records), 4 processes looking up and listing random malformed names under
# FacetedSearch/ and FlatSpace/ for D1_SOAK_SECONDS (default 600). Prints the daemon's RSS
# every D1_SOAK_EVERY seconds (default 30) with the lookups done so far, then the memory
# lines of Status/daemon.txt. The RSS must level off below the budgets plus a fixed base.
# D1_SOAK_CONFIG adds TOML to the daemon's config (e.g. small [cache] budgets, so the
# plateau is reached within minutes).
# Usage: tools/bench/failing_lookups.sh [BUILD_DIR]   (default: build)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
d1drive="$build/d1drive"
seconds=${D1_SOAK_SECONDS:-600}
every=${D1_SOAK_EVERY:-30}
work=$(mktemp -d /tmp/d1-soak-bench.XXXXXX)
node_pid="" workers=()
cleanup() {
  for w in "${workers[@]}"; do kill "$w" 2>/dev/null || true; done
  mountpoint -q "$work/mnt" 2>/dev/null && { "$d1drive" unmount "$work/mnt" >/dev/null 2>&1 || fusermount3 -u "$work/mnt" 2>/dev/null || umount -l "$work/mnt"; }
  [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

python3 "$repo/tools/d1-test-node/d1-test-node" --port 0 --port-file "$work/port" \
  --log /dev/null --synthetic 1000 --no-fixtures >"$work/node.out" 2>&1 &
node_pid=$!
for _ in $(seq 600); do [[ -s $work/port ]] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")/cn"
# Not the crawl guard under test: every process may query freely.
printf '[crawl]\nenabled = false\n%b\n' "${D1_SOAK_CONFIG:-}" >"$work/d1drive.toml"
mkdir -p "$work/mnt"
"$d1drive" mount "$work/mnt" --base-url "$base" --state-dir "$work/state" \
  --config "$work/d1drive.toml" --daemon >/dev/null
daemon=$(cat "/run/d1drive/$(echo "$work/mnt" | tr / _).pid")  # written by the daemon

# One worker: random malformed names (bad escapes, unknown facets, unknown PIDs), each
# looked up and, when it is a folder, listed; counts its lookups in a file.
cat >"$work/worker.py" <<'PY'
import os, random, string, sys, time
mnt, seed, count_file, until = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
rng = random.Random(seed)
def junk(n):
    return "".join(rng.choice(string.ascii_letters + string.digits + "-_.:") for _ in range(n))
forms = [lambda: "FlatSpace/" + junk(24),
         lambda: "FlatSpace/" + junk(12) + "%Z" + junk(6),
         lambda: "FacetedSearch/@" + junk(10),
         lambda: "FacetedSearch/#" + junk(10) + "%",
         lambda: "FacetedSearch/@formatId/#" + junk(16) + "/@" + junk(8)]
done = 0
while time.time() < until:
    path = os.path.join(mnt, rng.choice(forms)())
    try:
        if os.path.isdir(path):
            os.listdir(path)
    except OSError:
        pass
    done += 1
    if done % 1000 == 0:
        with open(count_file, "w") as f:
            f.write(str(done))
with open(count_file, "w") as f:
    f.write(str(done))
PY
until=$(( $(date +%s) + seconds ))
for i in 1 2 3 4; do
  /usr/bin/python3 "$work/worker.py" "$work/mnt" "$i" "$work/count$i" "$until" &
  workers+=($!)
done
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$daemon/status"; }
# Anonymous memory is what the daemon holds; file pages (the LMDB map, the binary) the
# kernel can take back at will.
anon_mb() { awk '/RssAnon/ {printf "%.1f", $2 / 1024}' "/proc/$daemon/status"; }
lookups() { awk '{s += $1} END {print s + 0}' "$work"/count* 2>/dev/null || echo 0; }
echo "seconds lookups rss_mb anon_mb"
start=$(date +%s)
while (( $(date +%s) < until )); do
  sleep "$every"
  echo "$(( $(date +%s) - start )) $(lookups) $(rss_mb) $(anon_mb)"
done
wait "${workers[@]}" 2>/dev/null || true
workers=()
echo "total lookups: $(lookups); final rss: $(rss_mb) MB (anonymous $(anon_mb) MB)"
grep -E "^(memory|inodes|actor restarts)" "$work/mnt/Status/daemon.txt" || true
