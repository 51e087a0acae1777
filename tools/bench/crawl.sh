#!/usr/bin/env bash
# The crawl_guard measurements on a real d1drive daemon over the stand-in node
# with 100k synthetic records (one mount, one run):
#  1. `find MOUNT/FacetedSearch` (timeout 120): wall time and Solr selects the node logged.
#  2. plocate's `updatedb` over the mount with PRUNEFS/PRUNEPATHS empty: the same.
#  3. another process's `ls` of fresh folders: latency with no crawl, then beside a fresh
#     `find` of the search tree; p50 and p99 (of D1_BENCH_LS, default 30 folders each).
# Usage: tools/bench/crawl.sh [BUILD_DIR]   (default: build)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
d1drive="$build/d1drive"
n_ls=${D1_BENCH_LS:-30}
work=$(mktemp -d /tmp/d1-crawl-bench.XXXXXX)
node_pid="" find_pid=""
cleanup() {
  [[ -n $find_pid ]] && kill "$find_pid" 2>/dev/null
  mountpoint -q "$work/mnt" 2>/dev/null && { "$d1drive" unmount "$work/mnt" >/dev/null 2>&1 || fusermount3 -u "$work/mnt" 2>/dev/null || umount -l "$work/mnt"; }
  [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

now_ns() { date +%s%N; }
secs_since() { python3 -c "print(round(($(now_ns) - $1) / 1e9, 2))"; }
selects() { grep -c '"endpoint": \?"query/solr/"' "$work/node.log" || true; }
pct() { python3 -c 'import sys; xs=sorted(map(float, sys.argv[2:])); p=float(sys.argv[1]); print(round(xs[min(len(xs)-1, int(round(p/100*(len(xs)-1))))], 1))' "$@"; }

python3 "$repo/tools/d1-test-node/d1-test-node" --port 0 --port-file "$work/port" \
  --log "$work/node.log" --synthetic 100000 --no-fixtures >"$work/node.out" 2>&1 &
node_pid=$!
for _ in $(seq 600); do [[ -s $work/port ]] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")/cn"
printf '[crawl]\nenabled = true\ndepth_first_threshold = %s\n' "${D1_CRAWL_THRESHOLD:-10}" >"$work/d1drive.toml"
mkdir -p "$work/mnt"
"$d1drive" mount "$work/mnt" --base-url "$base" --state-dir "$work/state" \
  --config "$work/d1drive.toml" --daemon >/dev/null
fs="$work/mnt/FacetedSearch"
grep -q "fuse.d1drive" /proc/mounts && echo "fs type in /proc/mounts: fuse.d1drive"

echo "== 1. find over FacetedSearch"
b=$(selects); s=$(now_ns)
n=$(timeout 120 find "$fs" 2>/dev/null | wc -l)
echo "find: $n entries in $(secs_since "$s") s, $(( $(selects) - b )) Solr selects"

echo "== 2. updatedb (plocate) over the mount, PRUNEFS empty"
if command -v updatedb >/dev/null; then
  b=$(selects); s=$(now_ns)
  timeout 120 updatedb -U "$work/mnt" -o "$work/plocate.db" --prunefs '' --prunepaths '' \
    --prune-bind-mounts no -l no
  echo "updatedb: $(secs_since "$s") s, $(( $(selects) - b )) Solr selects," \
    "$(locate -d "$work/plocate.db" -c "$work/mnt") paths indexed"
else
  echo "updatedb: not installed (Debian plocate)"
fi

echo "== 3. ls of fresh folders: alone, then beside a find"
mapfile -t formats < <(curl -sf "$base/v2/query/solr/?q=*:*&rows=0&facet=true&facet.field=datasource&facet.mincount=1&facet.limit=-1&wt=json" \
  | python3 -c 'import json,sys; f=json.load(sys.stdin)["facet_counts"]["facet_fields"]["datasource"]; print("\n".join(f[0::2]))')
fields=(formatId formatType author origin keywords authoritativeMN rightsHolder submitter)
# Fresh folders: @datasource/#D/@FIELD, never listed before in this run; even ones are
# timed alone, odd ones beside the crawl, so both sets hold the same mix of fields.
folders=()
for f in "${fields[@]}"; do
  for d in "${formats[@]}"; do folders+=("$fs/@datasource/#$d/@$f"); done
done
(( ${#folders[@]} >= 2 * n_ls )) || n_ls=$(( ${#folders[@]} / 2 ))
time_ls() {  # time_ls PARITY COUNT: ms per ls, one line each
  for ((k = 0; k < $2; k++)); do
    i=$((2 * k + $1))
    s=$(now_ns); ls -A1 "${folders[$i]}" >/dev/null; python3 -c "print(($(now_ns) - $s) / 1e6)"
  done
}
ls "$fs/@isPublic" >/dev/null  # the query engine description is read once: not timed
mapfile -t quiet < <(time_ls 0 "$n_ls")
timeout 120 find "$fs" >/dev/null 2>&1 &
find_pid=$!
mapfile -t busy < <(time_ls 1 "$n_ls")
kill "$find_pid" 2>/dev/null || true; wait "$find_pid" 2>/dev/null || true; find_pid=""
echo "ls alone        ($n_ls): p50 $(pct 50 "${quiet[@]}") ms, p99 $(pct 99 "${quiet[@]}") ms"
echo "ls beside find  ($n_ls): p50 $(pct 50 "${busy[@]}") ms, p99 $(pct 99 "${busy[@]}") ms"
echo "== Status/crawl"
cat "$work/mnt/Status/crawl"
