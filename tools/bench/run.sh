#!/usr/bin/env bash
# `make bench`: the getattr and restart measurements, each against a baseline from the same run.
#  1. getattr round trips/s with attr_timeout=0: d1drive (a real daemon mounted on the
#     stand-in node, stat() of an object's bytes) vs a bare low-level libfuse filesystem.
#  2. restart: time from `d1drive mount --daemon` to a live mount with a warm state dir,
#     and the requests the node sees for the first listing of a folder seen before.
#  3. the search measurements: tools/bench/search.sh (see there).
# Usage: tools/bench/run.sh [BUILD_DIR]   (default: build)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
work=$(mktemp -d /tmp/d1-bench.XXXXXX)
node_pid=""
cleanup() {
  for m in "$work"/mnt*; do
    mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" 2>/dev/null || umount -l "$m"; }
  done
  [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

python3 "$repo/tools/d1-test-node/d1-test-node" --port 0 --port-file "$work/port" \
  --log "$work/node.log" --synthetic 100 >"$work/node.out" 2>&1 &
node_pid=$!
for _ in $(seq 300); do [[ -s $work/port ]] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")/cn"
pid=$(curl -sf "$base/v2/query/solr/?q=formatType:DATA&fl=id&rows=1&sort=id%20asc&wt=json" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["docs"][0]["id"])')
seg=$(python3 -c 'import sys; print(sys.argv[1].replace("%","%25").replace("/","%2F"))' "$pid")
# The object's file name, from a throwaway mount.
mkdir -p "$work/mnt0"
"$build/d1drive" mount "$work/mnt0" --base-url "$base" --state-dir "$work/state0" --daemon >/dev/null
file=$(ls "$work/mnt0/FlatSpace/$seg/" | grep -v -e '^system.xml$' -e '^search_fields.txt$' | head -1)
"$build/d1drive" unmount "$work/mnt0"

echo "== getattr round trips, attr_timeout=0 (stat of FlatSpace/$seg/$file)"
D1_BENCH_REL="FlatSpace/$seg/$file" bash "$repo/tools/bench/getattr.sh" "$build" -- \
  "$build/d1drive" mount {mnt} --base-url "$base" --state-dir "$work/state-getattr" \
  -o attr_timeout=0

echo
echo "== restart with a warm state dir"
mnt="$work/mnt1"
mkdir -p "$mnt"
state="$work/state-restart"
"$build/d1drive" mount "$mnt" --base-url "$base" --state-dir "$state" --daemon >/dev/null
ls -l "$mnt/FlatSpace/$seg/" >/dev/null
"$build/d1drive" unmount "$mnt"
times=()
for _ in 1 2 3 4 5; do
  start=$(date +%s.%N)
  "$build/d1drive" mount "$mnt" --base-url "$base" --state-dir "$state" --daemon >/dev/null
  end=$(date +%s.%N)
  times+=("$(python3 -c "print(round(($end-$start)*1000, 1))")")
  before=$(grep -vc '"side":"control"' "$work/node.log" || true)
  ls -l "$mnt/FlatSpace/$seg/" >/dev/null
  after=$(grep -vc '"side":"control"' "$work/node.log" || true)
  requests=$((after - before))
  "$build/d1drive" unmount "$mnt"
done
echo "mount --daemon to live (ms, 5 runs): ${times[*]}"
echo "median: $(python3 -c 'import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))' "${times[@]}") ms (target <= 1000)"
echo "requests for the first listing of the seen folder after restart: $requests (target 0)"

echo
echo "== FacetedSearch listings and memory (tools/bench/search.sh)"
bash "$repo/tools/bench/search.sh" "$build"
