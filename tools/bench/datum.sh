#!/usr/bin/env bash
# Datum hashing + statistics: 1 GiB of uint16 frames (512 frames of 1024x1024, 64 points of
# 8 frames) as uncompressed AD_TIFF (one file a frame) and as contiguous AD_HDF5, hashed
# (SHA-1) and described by bench_datum, against the same run's `openssl speed -evp sha1`
# (-elapsed, 1 MiB blocks: hashing alone, no reading) and tools/bench/datum_numpy.py (numpy + tifffile
# + h5py doing the same work; idiomatic, and with np.bincount statistics). bench_datum runs
# twice: as built (statistics on a second thread beside the hash) and with one thread.
# Every tool reads from the page cache (the files are read once before the rounds): this
# measures the work on the values, not the disk. Rounds are interleaved; each round takes
# D1_BENCH_LOCK exclusively when that names a lock file (flock -x), so builds pause.
# D1_BASELINE_BUILD=DIR adds, each round, that build's bench_datum on the HDF5 stack as tool
# "baseline hdf5" (another commit's reader, e.g. main's, measured beside this one).
# Usage: tools/bench/datum.sh [BUILD_DIR] [ROUNDS]   (defaults: build, 5)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
rounds=${2:-5}
py=/usr/bin/python3  # Debian's, with python3-numpy, python3-h5py, python3-tifffile
work=$(mktemp -d /tmp/d1-datum-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

frames=${D1_DATUM_FRAMES:-512} height=1024 width=1024 fpp=8  # D1_DATUM_FRAMES: a quick check
points=$((frames / fpp))
tiff_kwargs="{\"template\": \"%s%s_%6.6d.tiff\", \"filename\": \"img\", \"frame_per_point\": $fpp}"
echo "== writing $frames frames of ${width}x${height} uint16 (TIFF files, one HDF5 file) in $work"
"$build/bench_datum" write-tiff "$work/tiff" "$frames" "$height" "$width"
"$build/bench_datum" write-hdf5 "$work/stack.h5" "$frames" "$height" "$width"
cat "$work"/tiff/*.tiff "$work/stack.h5" >/dev/null

run_round() {
  local r=$1
  openssl speed -elapsed -evp sha1 -bytes 1048576 -seconds 3 2>/dev/null | tail -1 |
    awk -v r="$r" '{v=$NF; sub(/k$/, "", v); printf "{\"tool\": \"openssl\", \"round\": %d, \"mb_per_s\": %.1f}\n", r, v/1000}'
  for tool in tiff hdf5; do
    for threads in two one-thread; do
      if [[ $tool == tiff ]]; then
        line=$("$build/bench_datum" hash AD_TIFF "$work" tiff "$tiff_kwargs" "$points" SHA-1 $threads)
        where="$work/tiff"
      else
        line=$("$build/bench_datum" hash AD_HDF5 "$work" stack.h5 "{\"frame_per_point\": $fpp}" "$points" SHA-1 $threads)
        where="$work/stack.h5"
      fi
      name="d1drive"
      [[ $threads == one-thread ]] && name="d1drive-1-thread"
      echo "{\"tool\": \"$name $tool\", \"round\": $r, \"run\": $line}"
    done
    if [[ $tool == hdf5 && -n ${D1_BASELINE_BUILD:-} ]]; then
      line=$("$D1_BASELINE_BUILD/bench_datum" hash AD_HDF5 "$work" stack.h5 "{\"frame_per_point\": $fpp}" "$points" SHA-1)
      echo "{\"tool\": \"baseline $tool\", \"round\": $r, \"run\": $line}"
    fi
    echo "{\"tool\": \"numpy $tool\", \"round\": $r, \"run\": $("$py" "$repo/tools/bench/datum_numpy.py" "$tool" "$where" "$points" "$fpp")}"
    echo "{\"tool\": \"numpy-bincount $tool\", \"round\": $r, \"run\": $("$py" "$repo/tools/bench/datum_numpy.py" "$tool" "$where" "$points" "$fpp" bincount)}"
  done
}

for r in $(seq "$rounds"); do
  echo "== round $r/$rounds"
  if [[ -n ${D1_BENCH_LOCK:-} ]]; then
    export -f run_round
    export build work py repo tiff_kwargs points fpp D1_BASELINE_BUILD
    flock -x "$D1_BENCH_LOCK" bash -c "run_round $r" | tee -a "$work/results"
  else
    run_round "$r" | tee -a "$work/results"
  fi
done

"$py" - "$work/results" <<'EOF'
import json, statistics as st, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def rate(row): return row["mb_per_s"] if "mb_per_s" in row else row["run"]["mb_per_s"]
by = {}
for row in rows:
    by.setdefault(row["tool"], {})[row["round"]] = row
rounds = sorted(by["openssl"])
for tool in by:
    if tool != "openssl":
        fmt = tool.split()[-1]
        mine = {r: by[f"d1drive {fmt}"][r]["run"]["hashes"] for r in rounds}
        assert all(by[tool][r]["run"]["hashes"] == mine[r] for r in rounds), f"{tool}: other hashes"
def span(xs, f): return f"{f(st.median(xs))} [{f(min(xs))}-{f(max(xs))}]"
print(f"\n== {len(rounds)} rounds; MB/s = 10^6 bytes of values hashed + described per second (wall); median [min-max]")
print("| tool | MB/s | % of openssl sha1 (same round) | CPU s | d1drive / this | d1drive 1-thread / this |")
print("|---|---|---|---|---|---|")
for tool in by:
    rates = [rate(by[tool][r]) for r in rounds]
    pct = [100 * rate(by[tool][r]) / rate(by["openssl"][r]) for r in rounds]
    cpu = [by[tool][r]["run"].get("cpu_seconds") for r in rounds] if tool != "openssl" else []
    line = f"| {tool} | {span(rates, lambda x: f'{x:.0f}')} | {span(pct, lambda x: f'{x:.0f} %')} | "
    line += (span(cpu, lambda x: f"{x:.2f}") if cpu and cpu[0] is not None else "") + " |"
    if tool.startswith("numpy"):
        fmt = tool.split()[-1]
        for mine in (f"d1drive {fmt}", f"d1drive-1-thread {fmt}"):
            x = [rate(by[mine][r]) / rate(by[tool][r]) for r in rounds]
            line += f" {span(x, lambda v: f'{v:.2f}x')} |"
    else:
        line += " | |"
    print(line)
EOF
