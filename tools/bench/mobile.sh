#!/usr/bin/env bash
# `make bench`: verified copies with d1drive's mobile files (a real `d1drive serve`
# daemon driven by the CLI) against rclone, rsync and cp + sha256sum, all in the same run.
#  1. 2 GiB in 4 x 512 MiB random files: d1drive (4 RAW resources copied one after
#     another, the same 4 submitted at once, and 1 AD_TIFF resource listing the 4 files)
#     vs `rclone copy --checksum` vs `cp -r && sha256sum` of the copies; plus
#     `cp -r && sync` (disk rate) and `openssl speed -evp sha256` (16 KiB blocks).
#  2. 10k files of 4-64 KiB (seed 42): d1drive (1 AD_TIFF resource, 10k frames) vs
#     `rsync -a` vs `rclone copy`; plus `rsync -a && sync`, `cp -r`, and `cp -r && sync`
#     from a copy of the files in tmpfs (the cost of the writes alone) for reference.
#     Then, once every round is done: removing each round's 10k-file copy with d1drive
#     (every file re-checked against the source copy first, [mobile] recheck = "stat")
#     vs `rm -r && sync` of the same round's rsync copy, alternating which goes first.
# Every timed run starts cold (sync + drop_caches when root); rounds are interleaved, and
# each round starts the list of tools one further on (round 2 starts with the second).
# Usage: tools/bench/mobile.sh [BUILD_DIR]   (env: D1_BENCH_ROUNDS, default 6, so each of
#   a part's 6 tools runs once in each position of a round; D1_BENCH_DIR;
#   D1_BENCH_PARTS: all (default), big (only the 2 GiB part) or small (only the 10k files);
#   D1_BENCH_CONFIG: a TOML file for the daemon, e.g. to try other [mobile] settings;
#   D1_BENCH_SETTLE: seconds to wait after a round's 2 GiB deletes, default 30;
#   D1_BENCH_WARMUP: 1 (default) starts each 2 GiB round with an untimed-for-the-targets
#   `cp -r && sync`, reported as "warmup": the first copy after the deletes runs slow)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
rounds=${D1_BENCH_ROUNDS:-6}
parts=${D1_BENCH_PARTS:-all}
case $parts in all|big|small) ;; *) echo "mobile.sh: D1_BENCH_PARTS must be all, big or small"; exit 2 ;; esac
want() { [[ $parts == all || $parts == "$1" ]]; }
for t in rclone rsync openssl sha256sum python3; do
  command -v "$t" >/dev/null || { echo "mobile.sh: $t is missing (scripts/install-deps.sh)"; exit 2; }
done
work=$(mktemp -d "${D1_BENCH_DIR:-/tmp}/d1-bench-mobile.XXXXXX")
# A private copy of the binary: a rebuild during the run must not change what is measured.
d1="$work/d1drive"
cp "$build/d1drive" "$d1"
state="$work/state"
daemon_pid=""
shm_src=""
cleanup() {
  [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && sleep 0.5
  rm -rf "$work"
  [[ -n $shm_src ]] && rm -rf "$shm_src"
  return 0
}
trap cleanup EXIT

cold=warm
drop_caches() {
  sync
  if [[ -w /proc/sys/vm/drop_caches ]]; then echo 3 >/proc/sys/vm/drop_caches; cold=cold; fi
}
# Runs "$@" (each command in it bounded by `timeout`) and appends its wall time (s) to $work/t.<label>.
timed() {
  local label=$1; shift
  drop_caches
  local start end
  start=$(date +%s.%N)
  "$@" >>"$work/cmd.log" 2>&1 || { echo "mobile.sh: $label failed: $*"; tail -5 "$work/cmd.log"; exit 1; }
  end=$(date +%s.%N)
  python3 -c "print($end-$start)" | tee -a "$work/t.$label" | sed "s/^/  $label ($cold): /"
}

echo "== generating data under $work"
mkdir -p "$work/big/src/blob" "$work/small/src/scan"
if want big; then
  for i in 0 1 2 3; do
    head -c $((512 << 20)) /dev/urandom >"$work/big/src/blob/big_$(printf %06d $i).bin"
  done
fi
want small && python3 - "$work/small/src/scan" <<'EOF'
import random, sys
rnd = random.Random(42)
for n in range(10000):
    size = rnd.randint(4 << 10, 64 << 10)
    with open(f"{sys.argv[1]}/img_{n:06d}.tiff", "wb") as f:
        f.write(rnd.randbytes(size))
EOF
file_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%.0f\n", s}'; }
big_bytes=$(file_bytes "$work/big/src")
small_bytes=$(file_bytes "$work/small/src")
echo "big: 4 files, $big_bytes bytes; small: 10000 files, $small_bytes bytes"

config_args=()
[[ -n ${D1_BENCH_CONFIG:-} ]] && config_args=(--config "$(cd "$(dirname "$D1_BENCH_CONFIG")" && pwd)/$(basename "$D1_BENCH_CONFIG")")
"$d1" serve --daemon --state-dir "$state" "${config_args[@]}" >"$work/serve.out"
daemon_pid=$(sed -n 's/.*(pid \([0-9]*\).*/\1/p' "$work/serve.out")
dcli() { timeout 900 "$d1" "$@" --state-dir "$state"; }
want big && for i in 0 1 2 3; do
  dcli resource register --spec RAW --root "$work/big/src" --path "blob/big_00000$i.bin" \
    --uid "raw$i" --wait >>"$work/cmd.log"
done
want big && dcli resource register --spec AD_TIFF --root "$work/big/src" --path blob --uid bigtiff --wait \
  --kwargs '{"template": "%s%s_%6.6d.bin", "filename": "big", "frame_per_point": 1, "num_points": 4}' \
  >>"$work/cmd.log"
# One resource per round over the same 10k source files, so each timed copy starts from a
# catalogue holding one copy of its resource, as the first round does.
want small && for r in $(seq "$rounds"); do
  dcli resource register --spec AD_TIFF --root "$work/small/src" --path scan --uid "smalltiff$r" --wait \
    --kwargs '{"template": "%s%s_%6.6d.tiff", "filename": "img", "frame_per_point": 1, "num_points": 10000}' \
    >>"$work/cmd.log"
done

# The copy commands. Each gets a fresh destination, removed after the run (with --from, the
# source is always the registered root, not an earlier, since deleted, destination).
d1_raw() {
  local dst=$1
  for i in 0 1 2 3; do dcli resource copy "raw$i" --from "$work/big/src" --to "$dst" --wait; done
}
# The same 4 jobs submitted at once (they run side by side, up to mobile.max_active_jobs),
# then waited for.
d1_raw_parallel() {
  local dst=$1 ids=() i id
  for i in 0 1 2 3; do
    id=$(dcli resource copy "raw$i" --from "$work/big/src" --to "$dst" | sed -n 's/^job \([0-9]*\) .*/\1/p')
    [[ -n $id ]] || return 1
    ids+=("$id")
  done
  for id in "${ids[@]}"; do dcli job "$id" --wait || return 1; done
}
d1_one() { dcli resource copy "$1" --from "$2" --to "$3" --wait; }
cp_sha() { timeout 900 cp -r "$1" "$2" && (cd "$2" && find . -type f -print0 | timeout 900 xargs -0 sha256sum >/dev/null); }
cp_sync() { timeout 900 cp -r "$1" "$2" && sync; }
rsync_sync() { timeout 900 rsync -a "$1" "$2" && sync; }
# Removes d1drive's copies at a destination through d1drive (untimed), so the catalogue
# does not accumulate a copy per run that was deleted behind its back.
d1_forget() {
  local dst=$1 uid; shift
  for uid in "$@"; do dcli resource remove "$uid" --from "$dst" --wait >>"$work/cmd.log"; done
}

# The tools of a part in round `r`: the list rotated by r - 1, so no tool always runs
# first (after the previous round's deletes) or always right after the same other tool.
rotated() {
  local r=$1; shift
  local list=("$@") n=$# i
  for i in $(seq 0 $((n - 1))); do echo "${list[$(( (i + r - 1) % n ))]}"; done
}
# A round's 2 GiB destinations are deleted after the round (d1drive's through the daemon,
# so its catalogue does not keep copies deleted behind its back), then the disk is given
# time to finish the discards before the next round: a delete just before a tool's run
# would charge that tool for it.
run_big() {
  local r=$1 dst label
  # The disk is slow for a while after the previous round's deletes (discard); whichever
  # tool ran first took it (1.5-2x its other runs), so a throwaway copy goes first.
  if [[ ${D1_BENCH_WARMUP:-1} == 1 ]]; then
    timed warmup cp_sync "$work/big/src" "$work/big/dst-warmup-$r"
  fi
  for label in $(rotated "$r" d1drive_raw d1drive_raw_parallel d1drive_adtiff rclone cp_sha256sum cp_sync); do
    dst="$work/big/dst-$label-$r"
    mkdir -p "$dst"
    case $label in
      d1drive_raw) timed $label d1_raw "$dst" ;;
      d1drive_raw_parallel) timed $label d1_raw_parallel "$dst" ;;
      d1drive_adtiff) timed $label d1_one bigtiff "$work/big/src" "$dst" ;;
      rclone) timed $label timeout 900 rclone copy --checksum "$work/big/src" "$dst" ;;
      cp_sha256sum) rmdir "$dst"; timed $label cp_sha "$work/big/src" "$dst" ;;
      cp_sync) rmdir "$dst"; timed $label cp_sync "$work/big/src" "$dst" ;;
    esac
  done
  d1_forget "$work/big/dst-d1drive_raw-$r" raw0 raw1 raw2 raw3
  d1_forget "$work/big/dst-d1drive_raw_parallel-$r" raw0 raw1 raw2 raw3
  d1_forget "$work/big/dst-d1drive_adtiff-$r" bigtiff
  rm -rf "$work/big/dst-"*"-$r"
  sync
  sleep "${D1_BENCH_SETTLE:-30}"
}
# The small part's destinations are kept until the end: on ext4 without a journal (as
# here) creating files soon after deleting thousands costs extra (the allocator skips
# inodes freed in the last minute), and a delete with the discard mount option keeps the
# disk busy, so deleting one tool's 10k files just before the next tool's run would
# charge it for them.
run_small() {
  local r=$1 dst label
  for label in $(rotated "$r" small_d1drive small_rsync small_rsync_sync small_rclone small_cp small_writes_only); do
    dst="$work/small/dst-$label-$r"
    mkdir -p "$dst"
    case $label in
      small_d1drive) timed $label d1_one "smalltiff$r" "$work/small/src" "$dst" ;;
      small_rsync) timed $label timeout 900 rsync -a "$work/small/src/" "$dst/" ;;
      small_rsync_sync) timed $label rsync_sync "$work/small/src/" "$dst/" ;;
      small_rclone) timed $label timeout 900 rclone copy "$work/small/src" "$dst" ;;
      small_cp) rmdir "$dst"; timed $label timeout 900 cp -r "$work/small/src" "$dst" ;;
      small_writes_only) rmdir "$dst"; timed $label cp_sync "$shm_src" "$dst" ;;
    esac
  done
}

# The small files once more in tmpfs: copying them from there costs only the writes.
if want small; then
  shm_src=$(mktemp -d /dev/shm/d1-bench-mobile.XXXXXX)
  cp -r "$work/small/src/." "$shm_src/"
fi
want big && echo "== openssl speed -evp sha256 (16384-byte blocks)"
want big && for r in $(seq "$rounds"); do
  openssl speed -evp sha256 -bytes 16384 -seconds 2 -mr 2>/dev/null |
    sed -n 's/^+F:[0-9]*:sha256:\([0-9.]*\).*/\1/p' >>"$work/sha_rate"
done
for r in $(seq "$rounds"); do
  if want big; then
    echo "== round $r/$rounds: 2 GiB"
    run_big "$r"
  fi
  if want small; then
    echo "== round $r/$rounds: 10k small files"
    run_small "$r"
  fi
done

# Removals of the kept 10k-file copies: d1drive's re-checked removal vs rm -r + sync (the
# deletions made durable, as d1drive's directory fsyncs do).
d1_remove() { dcli resource remove "$1" --from "$2" --wait; }
rm_sync() { timeout 900 rm -r "$1" && sync; }
if want small; then
  echo "== removing each round's 10k-file copies"
  for r in $(seq "$rounds"); do
    if (( r % 2 )); then
      timed small_remove_d1drive d1_remove "smalltiff$r" "$work/small/dst-small_d1drive-$r"
      timed small_remove_rm rm_sync "$work/small/dst-small_rsync-$r"
    else
      timed small_remove_rm rm_sync "$work/small/dst-small_rsync-$r"
      timed small_remove_d1drive d1_remove "smalltiff$r" "$work/small/dst-small_d1drive-$r"
    fi
  done
fi

python3 - "$work" "$big_bytes" "$small_bytes" "$cold" "$rounds" "$parts" <<'EOF'
import statistics as st, sys, os
work, big, small, cold, rounds, parts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
def times(label):
    with open(os.path.join(work, "t." + label)) as f:
        return [float(x) for x in f.read().split()]
def med(label): return st.median(times(label))
MB = 1e6
print(f"\n== results: {rounds} interleaved rounds, medians, every run {cold} (caches dropped before it)")
if parts in ("all", "big"):
    sha = st.median(float(x) for x in open(os.path.join(work, "sha_rate")).read().split())
    disk = big / med("cp_sync")
    slower = min(disk, sha)
    print(f"openssl sha256 (16 KiB blocks): {sha/MB:.0f} MB/s; disk (cp -r + sync of 2 GiB): {disk/MB:.0f} MB/s")
    print(f"\n2 GiB ({big} bytes) in 4 files\n| tool | runs (s) | median (s) | MB/s | rclone time / tool time | vs min(disk, sha256) |")
    print("|---|---|---|---|---|---|")
    for label in ["d1drive_raw", "d1drive_raw_parallel", "d1drive_adtiff", "rclone", "cp_sha256sum", "cp_sync"]:
        t = times(label); m = st.median(t)
        print(f"| {label} | {' '.join(f'{x:.2f}' for x in t)} | {m:.2f} | {big/m/MB:.0f} | "
              f"{med('rclone')/m:.2f}x | {big/m/slower*100:.0f} % |")
    print("targets: d1drive >= 1.5x rclone, >= 90 % of min(disk, sha256)")
    # Round by round against that round's cp + sync (the disk drifts between rounds).
    cps = times("cp_sync")
    for label in ["d1drive_raw", "d1drive_raw_parallel", "d1drive_adtiff"]:
        ratios = [c / t * 100 for c, t in zip(cps, times(label))]
        print(f"{label} vs the same round's cp_sync: {' '.join(f'{x:.0f}' for x in ratios)} % "
              f"(median {st.median(ratios):.0f} %)")
    if os.path.exists(os.path.join(work, "t.warmup")):
        print(f"warmup (cp -r + sync first in each round, not in the targets): "
              f"{' '.join(f'{x:.2f}' for x in times('warmup'))} s")
if parts in ("all", "small"):
    print(f"\n10k files ({small} bytes)\n| tool | runs (s) | median (s) | files/s | MB/s | rsync time / tool time | rclone time / tool time |")
    print("|---|---|---|---|---|---|---|")
    for label in ["small_d1drive", "small_rsync", "small_rsync_sync", "small_rclone", "small_cp", "small_writes_only"]:
        t = times(label); m = st.median(t)
        print(f"| {label[6:]} | {' '.join(f'{x:.2f}' for x in t)} | {m:.2f} | {10000/m:.0f} | {small/m/MB:.0f} | "
              f"{med('small_rsync')/m:.2f}x | {med('small_rclone')/m:.2f}x |")
    print("target: d1drive >= 1.5x rsync. rsync_sync: rsync -a then sync (the durability d1drive gives);")
    print("cp: cp -r with neither verification nor sync; writes_only: cp -r && sync from a copy in")
    print("tmpfs (no disk reads: a floor for any durable copy of these files to this disk)")
    d, r = times("small_remove_d1drive"), times("small_remove_rm")
    ratios = [a / b for a, b in zip(d, r)]
    print(f"\nremove 10k files: d1drive (recheck stat) {' '.join(f'{x:.2f}' for x in d)} s, "
          f"median {st.median(d):.2f}; rm -r + sync {' '.join(f'{x:.2f}' for x in r)} s, "
          f"median {st.median(r):.2f}; d1drive / rm per round {' '.join(f'{x:.2f}' for x in ratios)}, "
          f"median {st.median(ratios):.2f}x (target <= 3x)")
EOF
