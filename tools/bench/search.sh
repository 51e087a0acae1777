#!/usr/bin/env bash
# `make bench`, part 3: the FacetedSearch measurements, each against a baseline
# from the same run, on a real d1drive daemon over the stand-in node (--synthetic N):
#  1. `ls -l` of a cached 10k-entry folder (FacetedSearch/ with object_limit 10000) vs
#     `ls -l` of a 10k-entry ext4 folder of empty files (interleaved, medians).
#  2. a cold listing through the mount (fresh state dir and daemon each run) vs curl of the
#     same Solr select URLs (taken from the node's request log) in sequence.
#  3. 20 concurrent cold listings of one folder: select requests the node logged.
#  4. daemon RSS per cached entry after listing 100k distinct objects (object_limit 100000).
# Usage: tools/bench/search.sh [BUILD_DIR]   (default: build)
# D1_BENCH_RUNS (default 11) timed runs for part 1; D1_BENCH_COLD (default 5) for part 2.
# D1_BENCH_PARTS (default "1 2 3 4") the parts to run.
# D1_BENCH_SETTLE (default 0.5) seconds to wait after a listing before reading RSS in part 4
# (releasedir reaches the daemon after `ls` exits; dir_cache writes 50 ms after a put).
# D1_BENCH_CPUS (default: none) pins everything (node, daemons, ls, curl) to these CPUs
# (taskset -c), as getattr.sh does: on an idle 2-vCPU VM each FUSE round trip may wait for
# the other vCPU to wake, which makes `ls -l` (three getxattr round trips per entry) bimodal.
# D1_BENCH_NODE_CPUS (default: none) pins the stand-in node alone to these CPUs, e.g.
# D1_BENCH_NODE_CPUS=0 D1_BENCH_CPUS=1: the node then stands in for a remote Coordinating
# Node with a CPU of its own, and does not compete with the client (mount or curl) it
# answers; without it, work the client does while a page is being served slows the node.
set -euo pipefail
cpus=${D1_BENCH_CPUS:-}
if [[ -n $cpus && -z ${D1_BENCH_PINNED:-} ]]; then
  D1_BENCH_PINNED=1 exec taskset -c "$cpus" "$0" "$@"
fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
d1drive="$build/d1drive"
runs=${D1_BENCH_RUNS:-11}
cold_runs=${D1_BENCH_COLD:-5}
settle=${D1_BENCH_SETTLE:-0.5}
parts=" ${D1_BENCH_PARTS:-1 2 3 4} "
want() { [[ $parts == *" $1 "* ]]; }
nsel=0
work=$(mktemp -d /tmp/d1-search-bench.XXXXXX)
node_pid=""
cleanup() {
  for m in "$work"/mnt*; do
    mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" 2>/dev/null || umount -l "$m"; }
  done
  [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

median() { python3 -c 'import statistics,sys; print(statistics.median(map(float, sys.argv[1:])))' "$@"; }
now_ns() { date +%s%N; }
ms_since() { python3 -c "print(round(($(now_ns) - $1) / 1e6, 2))"; }
log_lines() { wc -l <"$work/node.log"; }
# Solr select requests (not the engine description) logged after line $1.
selects_after() { tail -n +"$(($1 + 1))" "$work/node.log" | grep -c '"endpoint":"query/solr/"' || true; }

node_pin=()
[[ -n ${D1_BENCH_NODE_CPUS:-} ]] && node_pin=(taskset -c "$D1_BENCH_NODE_CPUS")
"${node_pin[@]}" python3 "$repo/tools/d1-test-node/d1-test-node" --port 0 --port-file "$work/port" \
  --log "$work/node.log" --synthetic 100000 --no-fixtures >"$work/node.out" 2>&1 &
node_pid=$!
for _ in $(seq 600); do [[ -s $work/port ]] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")/cn"
printf '[faceted_search]\nobject_limit = 10000\n' >"$work/10k.toml"
printf '[faceted_search]\nobject_limit = 100000\n' >"$work/100k.toml"

# mount NAME CONFIG: mounts a fresh daemon at $work/mnt-NAME with state dir
# $work/state-NAME; sets daemon_pid.
daemon_pid=""
mount_fresh() {
  local name=$1 cfg=$2 out
  mkdir -p "$work/mnt-$name"
  out=$("$d1drive" mount "$work/mnt-$name" --base-url "$base" --state-dir "$work/state-$name" \
    --config "$cfg" --daemon)
  daemon_pid=$(sed -n 's/.*(pid \([0-9]*\).*/\1/p' <<<"$out")
}
unmount() { "$d1drive" unmount "$work/mnt-$1" >/dev/null; rm -rf "$work/state-$1"; }
# The daemon reads the query engine description at its first search listing: read it
# with a tiny listing (a field's values) so cold runs time the folder's selects only.
warm_description() { ls "$work/mnt-$1/FacetedSearch/@isPublic" >/dev/null; }

if want 1; then
echo "== 1. ls -l of a cached 10k-entry folder vs ext4 (medians of $runs, interleaved)"
mount_fresh warm "$work/10k.toml"
folder="$work/mnt-warm/FacetedSearch"
entries=$(ls -f "$folder" | grep -vc '^\.\.\?$')
ls -l "$folder" >/dev/null
ext4="$work/ext4-10k"
mkdir -p "$ext4"
(cd "$ext4" && seq -f 'f%05g' "$entries" | xargs touch)
t_fuse=() t_ext4=() s_fuse=() s_ext4=() r_fuse=()
for _ in $(seq "$runs"); do
  s=$(now_ns); ls -l "$folder" >/dev/null; t_fuse+=("$(ms_since "$s")")
  s=$(now_ns); ls -l "$ext4" >/dev/null; t_ext4+=("$(ms_since "$s")")
  # stat only (no xattr probes): what `ls -l` costs without getxattr round trips
  s=$(now_ns); find "$folder" -mindepth 1 -maxdepth 1 -printf '%s\n' >/dev/null; s_fuse+=("$(ms_since "$s")")
  s=$(now_ns); find "$ext4" -mindepth 1 -maxdepth 1 -printf '%s\n' >/dev/null; s_ext4+=("$(ms_since "$s")")
  s=$(now_ns); ls -f "$folder" >/dev/null; r_fuse+=("$(ms_since "$s")")  # readdir only
done
mf=$(median "${t_fuse[@]}"); me=$(median "${t_ext4[@]}")
sf=$(median "${s_fuse[@]}"); se=$(median "${s_ext4[@]}")
echo "entries in the mount folder: $entries"
echo "ls -l mount (ms): ${t_fuse[*]}"
echo "ls -l ext4  (ms): ${t_ext4[*]}"
echo "ls -l: mount $mf ms, ext4 $me ms, ratio $(python3 -c "print(round($mf/$me, 2))") (target <= 2)"
echo "find -printf %s (stat only): mount $sf ms, ext4 $se ms, ratio $(python3 -c "print(round($sf/$se, 2))")"
echo "ls -f of the cached mount folder (readdir only): $(median "${r_fuse[@]}") ms"
unmount warm

fi
echo
if want 2; then
echo "== 2. cold listing of FacetedSearch/ (object_limit 10000) vs curl of the same selects ($cold_runs runs)"
c_mount=() c_curl=() nsel=0 g_mount=() g_curl=() d_mount=() d_curl=() b_mount=() a_mount=() b_curl=() a_curl=()
# gaps FROM TO: over the selects logged in lines (FROM, TO]: the total time the node spent
# on them and the median gap between the end of one response and the start of the next
# request's handling (client-side time between pages), both in ms; with START and END
# (ns since the epoch) also the ms from START to the first request and from the last
# response to END.
gaps() {
  sed -n "$(($1 + 1)),$2p" "$work/node.log" | python3 -c '
import datetime, json, statistics, sys
rs = [json.loads(l) for l in sys.stdin]
rs = [r for r in rs if r["endpoint"] == "query/solr/"]
end = [datetime.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000 for r in rs]
g = [end[i] - rs[i]["duration_ms"] - end[i - 1] for i in range(1, len(rs))]
out = [round(sum(r["duration_ms"] for r in rs), 1), round(statistics.median(g), 1) if g else 0]
if len(sys.argv) > 2:
    out += [round(end[0] - rs[0]["duration_ms"] - int(sys.argv[1]) / 1e6, 1),
            round(int(sys.argv[2]) / 1e6 - end[-1], 1)]
print(*out)' "${@:3}"
}
for i in $(seq "$cold_runs"); do
  mount_fresh "cold$i" "$work/10k.toml"
  warm_description "cold$i"
  mark=$(log_lines)
  sm=$(now_ns); ls -f "$work/mnt-cold$i/FacetedSearch" >/dev/null; em=$(now_ns)
  c_mount+=("$(python3 -c "print(round(($em - $sm) / 1e6, 2))")")
  mark2=$(log_lines)
  urls=()
  while IFS= read -r u; do urls+=("$u"); done < <(tail -n +"$((mark + 1))" "$work/node.log" |
    python3 -c '
import json, sys
base = sys.argv[1].rsplit("/cn", 1)[0]
for line in sys.stdin:
    r = json.loads(line)
    if r["endpoint"] == "query/solr/":
        print(base + r["path"] + "?" + r["query"])' "$base")
  nsel=${#urls[@]}
  args=()
  for u in "${urls[@]}"; do args+=(-o /dev/null "$u"); done
  sc=$(now_ns); curl -sf "${args[@]}"; ec=$(now_ns)
  c_curl+=("$(python3 -c "print(round(($ec - $sc) / 1e6, 2))")")
  read -r d g b a < <(gaps "$mark" "$mark2" "$sm" "$em"); d_mount+=("$d"); g_mount+=("$g")
  b_mount+=("$b"); a_mount+=("$a")
  read -r d g b a < <(gaps "$mark2" "$(log_lines)" "$sc" "$ec"); d_curl+=("$d"); g_curl+=("$g")
  b_curl+=("$b"); a_curl+=("$a")
  unmount "cold$i"
done
cm=$(median "${c_mount[@]}"); cc=$(median "${c_curl[@]}")
echo "select requests per cold listing: $nsel"
echo "node time on the selects (ms, sum per run): mount ${d_mount[*]}; curl ${d_curl[*]}"
echo "median gap response -> next request (ms): mount ${g_mount[*]}; curl ${g_curl[*]}"
echo "mount: ls start -> first select (ms): ${b_mount[*]}; last response -> ls done: ${a_mount[*]}"
echo "curl:  start -> first select (ms): ${b_curl[*]}; last response -> curl done: ${a_curl[*]}"
echo "cold ls -f mount (ms): ${c_mount[*]}"
echo "curl replay      (ms): ${c_curl[*]}"
echo "cold listing: mount $cm ms, curl $cc ms, ratio $(python3 -c "print(round($cm/$cc, 3))"), +$(python3 -c "print(round($cm-$cc, 1))") ms (target <= 1.10x or +5 ms)"

fi
echo
if want 3; then
echo "== 3. 20 concurrent cold listings of one folder (object_limit 10000)"
mount_fresh conc "$work/10k.toml"
warm_description conc
mark=$(log_lines)
pids=()
for _ in $(seq 20); do ls -f "$work/mnt-conc/FacetedSearch" >/dev/null & pids+=($!); done
wait "${pids[@]}"
echo "select requests: $(selects_after "$mark") (one listing needs $nsel; target: one listing's worth)"
# A folder of one page: the rarest formatId value (the value list itself is read first).
value=$(ls "$work/mnt-conc/FacetedSearch/@formatId" | grep '^#' | tail -1)
mark=$(log_lines)
pids=()
for _ in $(seq 20); do ls -f "$work/mnt-conc/FacetedSearch/@formatId/$value" >/dev/null & pids+=($!); done
wait "${pids[@]}"
echo "FacetedSearch/@formatId/$value ($(ls -f "$work/mnt-conc/FacetedSearch/@formatId/$value" | grep -vc -e '^\.\.\?$' -e '^@') objects): select requests: $(selects_after "$mark") (target 1)"
unmount conc

fi
echo
if want 4; then
echo "== 4. daemon RSS per cached entry, FacetedSearch/ with object_limit 100000"
rss() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
printf '[faceted_search]\nobject_limit = 100000\n[cache]\nattr_memory_mb = 1\ndir_memory_mb = 1\n' \
  >"$work/100k-small.toml"
# memory CONFIG LABEL: RSS before and after listing (ls -f), then after ls -l.
memory() {
  mount_fresh mem "$1"
  warm_description mem
  local r0 a0 f0 r1 a1 f1 r2 a2 f2 n
  r0=$(rss "$daemon_pid" VmRSS); a0=$(rss "$daemon_pid" RssAnon); f0=$(rss "$daemon_pid" RssFile)
  n=$(ls -f "$work/mnt-mem/FacetedSearch" | grep -vc -e '^\.\.\?$' -e '^@')
  sleep "$settle"
  r1=$(rss "$daemon_pid" VmRSS); a1=$(rss "$daemon_pid" RssAnon); f1=$(rss "$daemon_pid" RssFile)
  ls -l "$work/mnt-mem/FacetedSearch" >/dev/null
  sleep "$settle"
  r2=$(rss "$daemon_pid" VmRSS); a2=$(rss "$daemon_pid" RssAnon); f2=$(rss "$daemon_pid" RssFile)
  echo "$2: objects listed: $n"
  echo "  VmRSS kB: before $r0, after listing $r1, after ls -l $r2 (RssAnon $a0/$a1/$a2, RssFile $f0/$f1/$f2)"
  echo "  bytes per entry after listing: $(((r1 - r0) * 1024 / n)) (anon $(((a1 - a0) * 1024 / n)))"
  echo "  bytes per entry after ls -l:   $(((r2 - r0) * 1024 / n)) (anon $(((a2 - a0) * 1024 / n))) (target <= 500)"
  unmount mem
}
memory "$work/100k.toml" "default cache budgets (attr 64 MB, dir 128 MB)"
memory "$work/100k-small.toml" "cache budgets 1 MB (attr_memory_mb = dir_memory_mb = 1)"
fi
