#!/usr/bin/env bash
# stat() calls per second through FUSE with attr_timeout=0, so every stat() is answered by
# the filesystem (one GETATTR; two with default_permissions, see below):
# the bare libfuse baseline (bench_bare_fs), d1drive's fuse layer over a trivial gateway
# (fast path from the inode table, and every getattr through the actor), and optionally
# any other mount command, each reported with its ratio to the baseline.
#
# usage: tools/bench/getattr.sh [BUILD_DIR] [-- MOUNT_CMD ARGS...]
#   MOUNT_CMD runs in the background (foreground or daemonizing, either works); the word
#   {mnt} in its arguments is replaced by a fresh mountpoint. D1_BENCH_REL is the path
#   under that mount to stat (default: file). D1_BENCH_MIN_TIME (seconds, default 2) and
#   D1_BENCH_REPS (default 3) tune each run; D1_BENCH_ROUNDS (default 3) runs all mounts in
#   turn that many times (a noisy shared VM drifts) and reports the median per mount.
#   D1_BENCH_CPUS (default 0) pins everything to these CPUs (taskset -c); empty: no pinning.
#   Unpinned on an idle VM, each round trip waits for an idle vCPU to wake up, and rates
#   drop several-fold (e.g. 10k instead of 75k stat/s here); pinned runs are reproducible.
# example: tools/bench/getattr.sh build -- build/d1drive mount {mnt} -o attr_timeout=0
set -euo pipefail

cpus=${D1_BENCH_CPUS-0}
if [[ -n $cpus && -z ${D1_BENCH_PINNED:-} ]]; then
  D1_BENCH_PINNED=1 exec taskset -c "$cpus" "$0" "$@"
fi

build=build
if [[ $# -gt 0 && $1 != "--" ]]; then build=$1; shift; fi
[[ ${1:-} == "--" ]] && shift
build=$(cd "$build" && pwd)
bench="$build/bench_getattr"
[[ -x $bench ]] || { echo "no $bench (is Google Benchmark installed?)" >&2; exit 1; }

work=$(mktemp -d /tmp/d1-getattr-bench.XXXXXX)
bg_pid=""
current_mnt=""
# measure runs in a subshell ($(...)): find its mounts by place, not by variable.
cleanup() {
  for m in "$work"/mnt.*; do
    [[ -d $m ]] || continue
    if mountpoint -q "$m"; then
      fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    fi
    rmdir "$m" 2>/dev/null || true
  done
  rm -f "$work/mount.log"
  rmdir "$work" 2>/dev/null || true
}
trap cleanup EXIT

# measure REL CMD... : mounts with CMD ({mnt} replaced), stats REL once, prints stat/s.
measure() {
  local rel=$1; shift
  local mnt
  mnt=$(mktemp -d "$work/mnt.XXXXXX")
  current_mnt=$mnt
  local args=()
  for a in "$@"; do args+=("${a//\{mnt\}/$mnt}"); done
  "${args[@]}" >"$work/mount.log" 2>&1 &
  bg_pid=$!
  for _ in $(seq 200); do
    mountpoint -q "$mnt" && break
    sleep 0.1
  done
  if ! mountpoint -q "$mnt"; then
    echo "mount did not come up: ${args[*]}; its output:" >&2
    cat "$work/mount.log" >&2
    return 1
  fi
  timeout 20 stat "$mnt/$rel" >/dev/null  # the lookup: later stats are getattr only
  local json
  json=$(D1_BENCH_PATH="$mnt/$rel" timeout 300 "$bench" \
    --benchmark_min_time="${D1_BENCH_MIN_TIME:-2}" \
    --benchmark_repetitions="${D1_BENCH_REPS:-3}" \
    --benchmark_report_aggregates_only=true --benchmark_format=json 2>/dev/null)
  fusermount3 -u "$mnt" 2>/dev/null || umount -l "$mnt"
  timeout 20 tail --pid="$bg_pid" -f /dev/null 2>/dev/null || kill "$bg_pid" 2>/dev/null || true
  bg_pid=""
  current_mnt=""
  rmdir "$mnt"
  python3 -c '
import json, sys
d = json.load(sys.stdin)
m = [b for b in d["benchmarks"] if b.get("aggregate_name") == "median"]
print(int((m or d["benchmarks"])[0]["items_per_second"]))' <<<"$json"
}

# One line per mount: NAME|REL|CMD ARGS (space-separated; {mnt} is the mountpoint).
# The baseline (first line) is a bare libfuse filesystem with the options d1drive uses
# (ro, no default_permissions: with default_permissions and attr_timeout=0 the kernel also
# asks for the attributes of every directory on the path, two GETATTRs per stat()).
names=() rels=() cmds=()
add() { names+=("$1"); rels+=("$2"); shift 2; cmds+=("$*"); }
add "bare libfuse, ro" file \
  "$build/bench_bare_fs" {mnt} -f -o attr_timeout=0,ro
add "bare libfuse, ro,default_permissions" file \
  "$build/bench_bare_fs" {mnt} -f -o attr_timeout=0,ro,default_permissions
if [[ -x $build/bench_fuse_layer_fs ]]; then
  add "fuse layer, inode table fresh" file \
    "$build/bench_fuse_layer_fs" {mnt} -o attr_timeout=0
  add "fuse layer, every getattr via the actor" file \
    "$build/bench_fuse_layer_fs" {mnt} --table-ttl 0 -o attr_timeout=0
fi
given=()
if [[ $# -gt 0 ]]; then
  given=("$@")
  names+=("$(basename "$1") (given command)")
  rels+=("${D1_BENCH_REL:-file}")
  cmds+=("")
fi

declare -A rates
for round in $(seq "${D1_BENCH_ROUNDS:-3}"); do
  for i in "${!names[@]}"; do
    if [[ -n ${cmds[$i]} ]]; then
      read -r -a cmd <<<"${cmds[$i]}"
    else
      cmd=("${given[@]}")
    fi
    rate=$(measure "${rels[$i]}" "${cmd[@]}")
    rates[$i]="${rates[$i]:-} $rate"
    echo "round $round: ${names[$i]}: $rate stat/s" >&2
  done
done

baseline=""
for i in "${!names[@]}"; do
  median=$(python3 -c 'import statistics, sys; print(int(statistics.median(map(int, sys.argv[1:]))))' ${rates[$i]})
  if [[ -z $baseline ]]; then
    baseline=$median
    printf '%-44s %9d stat/s  %6.2f us  (baseline)\n' "${names[$i]}" "$median" \
      "$(python3 -c "print(1e6/$median)")"
  else
    printf '%-44s %9d stat/s  %6.2f us  %5.1f %% of baseline\n' "${names[$i]}" "$median" \
      "$(python3 -c "print(1e6/$median)")" "$(python3 -c "print(100.0*$median/$baseline)")"
  fi
done
