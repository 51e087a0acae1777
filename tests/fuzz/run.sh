#!/usr/bin/env bash
# `make fuzz`: runs every libFuzzer target of tests/fuzz (or those named) for a while, each
# from its built-in seeds (tests, fixtures read in place) and the corpus it grew in earlier
# runs, and prints runs, executions per second and the outcome per target.
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS_PER_TARGET [TARGET...]
#   FUZZ_RUNS=N     stop a target after N runs (whichever of time and runs comes first)
#   FUZZ_MAX_LEN=B  longest input tried (default 16384; longer seeds are cut)
# A crash leaves its input in BUILD_DIR/fuzz/work/TARGET/crashes/; once fixed, commit it as
# tests/fuzz/regressions/TARGET/NAME so that `make test` replays it.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
runs=${FUZZ_RUNS:--1}
max_len=${FUZZ_MAX_LEN:-16384}
build=$(cd "$build" && pwd)
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <("$build/fuzz_replay" --list); fi

# Every run stops at its first finding; reports go to the log, not to files elsewhere.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(cd "$(dirname "$0")/../sanitizers" && pwd)/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
printf '%-18s %12s %10s %8s %8s  %s\n' target runs exec/s seconds corpus result
for t in "${targets[@]}"; do
  work=$build/fuzz/work/$t
  mkdir -p "$work/corpus" "$work/seeds" "$work/crashes"
  "$build/fuzz_replay" --write-seeds "$t" "$work/seeds" >/dev/null
  start=$(date +%s%N)
  set +e
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -runs="$runs" -max_len="$max_len" \
    -timeout=30 -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$work/crashes/" \
    "$work/corpus" "$work/seeds" >"$work/log" 2>&1
  rc=$?
  set -e
  elapsed=$(( ($(date +%s%N) - start) / 1000000000 ))
  executed=$(awk '/^stat::number_of_executed_units:/ {print $2}' "$work/log")
  per_s=$(awk '/^stat::average_exec_per_sec:/ {print $2}' "$work/log")
  corpus=$(find "$work/corpus" -type f | wc -l)
  result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc): see $work/log and $work/crashes/"
    failed=1
  fi
  printf '%-18s %12s %10s %8s %8s  %s\n' "$t" "${executed:-?}" "${per_s:-?}" "$elapsed" \
    "$corpus" "$result"
done
exit $failed
