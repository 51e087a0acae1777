#!/usr/bin/env bash
# Object bytes through the mount against the same bytes over plain HTTP, in one run: nginx
# on loopback serves a 1 GiB object (the stand-in node's resolve points at it), read
#   - cold, sequentially: d1drive vs `curl -o /dev/null` vs `rclone mount` (http backend,
#     --vfs-cache-mode full) of the same nginx directory;
#     and curl piped into SHA-256 (the same verified-byte work without a file system), with the
#     daemon's CPU seconds per GiB (user + system) read from /proc;
#   - to its first byte: d1drive (open + read 1 byte, attributes already looked up) vs curl's
#     time_starttransfer (and rclone's);
#   - 1000 random 4 KiB reads of a cold object vs 1000 curl Range requests on one connection;
#   - again, once cached (the kernel's page cache), beside the source file read the same way.
# Every round starts d1drive and rclone with empty caches. Prints one line per measurement
# and per round, then medians and spreads. Run it alone: `flock -x LOCK bash streaming.sh`.
# Usage: tools/bench/streaming.sh [BUILD_DIR]   (ROUNDS=5 SIZE_MB=1024 by default)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
rounds=${ROUNDS:-5}
size_mb=${SIZE_MB:-1024}
probe="$repo/tools/bench/stream_probe.py"
work=$(mktemp -d /tmp/d1-stream-bench.XXXXXX)
chmod 755 "$work"  # nginx's workers run as nobody: they must reach and list the files
nginx_pid="" node_pid="" rclone_pid=""
cleanup() {
  for m in "$work"/mnt-*; do
    mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" 2>/dev/null || umount -l "$m"; }
  done
  [[ -n $rclone_pid ]] && kill "$rclone_pid" 2>/dev/null
  [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# -- the bytes, nginx, the stand-in node ------------------------------------------------
pid="bench.object"
mkdir -p "$work/www/mn/v2/object" "$work/nginx-tmp"
object="$work/www/mn/v2/object/$pid"
head -c "$((size_mb << 20))" /dev/urandom > "$object"
size=$(stat -c %s "$object")
port=$(free_port)
cat > "$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $work/nginx-tmp; proxy_temp_path $work/nginx-tmp;
  fastcgi_temp_path $work/nginx-tmp; uwsgi_temp_path $work/nginx-tmp; scgi_temp_path $work/nginx-tmp;
  server { listen 127.0.0.1:$port; root $work/www; autoindex on; }
}
EOF
nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
url="http://127.0.0.1:$port/mn/v2/object/$pid"
for _ in $(seq 100); do curl -sf -o /dev/null -r 0-0 "$url" && break; sleep 0.1; done

python3 "$repo/tools/d1-test-node/d1-test-node" --port 0 --port-file "$work/node.port" \
  --log "$work/node.log" --no-fixtures --synthetic 5 --object-file "$object" "$pid" \
  --object-base-url "http://127.0.0.1:$port/mn" >"$work/node.out" 2>&1 &
node_pid=$!
for _ in $(seq 600); do [[ -s $work/node.port ]] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/node.port")/cn"
python3 "$probe" offsets 1000 "$size" 17 > "$work/offsets"

# -- the readers --------------------------------------------------------------------------
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

# Both set $f to the object's path in the fresh mount (not in a subshell: rclone stays ours).
d1_mount() {  # a fresh daemon with an empty state dir
  local m="$work/mnt-d1" s="$work/state-d1"
  mountpoint -q "$m" 2>/dev/null && "$build/d1drive" unmount "$m" >/dev/null
  rm -rf "$s"
  mkdir -p "$m"
  "$build/d1drive" mount "$m" --base-url "$base" --state-dir "$s" --daemon >/dev/null
  local dir="$m/FlatSpace/$pid" name
  for name in $(ls "$dir"); do
    [[ $name != system.xml && $name != search_fields.txt ]] && { f="$dir/$name"; stat "$f" >/dev/null; return; }
  done
}

rclone_mount() {  # a fresh rclone mount with an empty VFS cache
  local m="$work/mnt-rclone"
  rclone_unmount
  rm -rf "$work/rclone-cache"
  mkdir -p "$m"
  rclone mount :http: "$m" --http-url "http://127.0.0.1:$port/mn/v2/object/" --read-only \
    --vfs-cache-mode full --cache-dir "$work/rclone-cache" --log-file "$work/rclone.log" \
    </dev/null >/dev/null 2>&1 &
  rclone_pid=$!
  for _ in $(seq 100); do mountpoint -q "$m" && break; sleep 0.1; done
  f="$m/$pid"
  stat "$f" >/dev/null || { tail -20 "$work/rclone.log" >&2; return 1; }
}

rclone_unmount() {
  local m="$work/mnt-rclone"
  mountpoint -q "$m" 2>/dev/null && fusermount3 -u "$m"
  if [[ -n $rclone_pid ]]; then wait "$rclone_pid" 2>/dev/null || true; rclone_pid=""; fi
}

curl_seq() { curl -sf -o /dev/null -w '%{speed_download} %{time_starttransfer}' "$url"; }

# The same verified-byte work without a file system: curl piped into SHA-256, the object's
# checksum algorithm (Python's hashlib, which runs OpenSSL's code, 1 MiB reads), MB/s.
curl_sha_seq() {
  local t0 t1
  t0=$(date +%s.%N)
  curl -sf "$url" | python3 -c 'import hashlib, sys
h = hashlib.sha256()
for b in iter(lambda: sys.stdin.buffer.read(1 << 20), b""):
    h.update(b)'
  t1=$(date +%s.%N)
  python3 -c "print($size / ($t1 - $t0) / 1e6)"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system, in clock ticks

curl_random() {  # 1000 Range requests on one connection: median and p90 of their times
  python3 - "$url" "$work/offsets" <<'EOF'
import subprocess, sys, statistics
url, offs = sys.argv[1], [int(x) for x in open(sys.argv[2]).read().split()]
args = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}\n"]
for i, o in enumerate(offs):
    if i:
        args.append("--next")
    args += ["-s", "-o", "/dev/null", "-w", "%{time_total}\n", "-r", "%d-%d" % (o, o + 4095), url]
out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
lat = sorted(float(x) for x in out)
print('{"median": %f, "p90": %f, "n": %d, "total": %f}'
      % (statistics.median(lat), lat[int(0.9 * len(lat))], len(lat), sum(lat)))
EOF
}

echo "# streaming bench: $size bytes, $rounds rounds, nginx on 127.0.0.1:$port, $(date -u +%FT%TZ)"
echo "# d1drive $(git -C "$repo" rev-parse --short HEAD)"
results="$work/results"
for r in $(seq "$rounds"); do
  # Cold sequential, round-robin so no tool always goes first.
  c=$(curl_seq); curl_mbs=$(python3 -c "print(${c% *}/1e6)"); curl_ttfb=${c#* }
  d1_mount; t=$(python3 "$probe" ttfb "$f"); d1_ttfb=$(field "$t" seconds)
  cs_mbs=$(curl_sha_seq)
  d1_mount; d1pid=$(pgrep -f "d1drive mount $work/mnt-d1" | head -1); t0=$(cpu_ticks "$d1pid")
  s=$(python3 "$probe" seq "$f"); d1_mbs=$(field "$s" mb_per_s)
  d1_cpu=$(python3 -c "print(($(cpu_ticks "$d1pid") - $t0) / $(getconf CLK_TCK) / ($size / 2**30))")
  re1=$(field "$(python3 "$probe" seq "$f")" mb_per_s)
  re2=$(field "$(python3 "$probe" seq "$f")" mb_per_s)
  plain=$(field "$(python3 "$probe" seq "$object")" mb_per_s)  # the page cache without FUSE
  cmp -s "$f" "$object" || { echo "d1drive served other bytes" >&2; exit 1; }
  d1_mount; rnd=$(python3 "$probe" random "$f" "$work/offsets")
  d1_rand=$(field "$rnd" median); d1_rand90=$(field "$rnd" p90); d1_randsum=$(field "$rnd" total)
  "$build/d1drive" unmount "$work/mnt-d1" >/dev/null
  cr=$(curl_random); curl_rand=$(field "$cr" median); curl_rand90=$(field "$cr" p90); curl_randsum=$(field "$cr" total)
  rclone_mount; t=$(python3 "$probe" ttfb "$f"); rc_ttfb=$(field "$t" seconds)
  rclone_mount; s=$(python3 "$probe" seq "$f"); rc_mbs=$(field "$s" mb_per_s)
  rclone_unmount
  line=$(python3 -c "
import sys
cm, ct, dt, dm, r1, r2, dr, dr9, cr, cr9, rt, rm, pl, ds, cs, hm, cpu = map(float, sys.argv[1:])
print(f'round $r: seq MB/s curl {cm:.0f} curl|sha256 {hm:.0f} d1drive {dm:.0f} ({dm/cm:.2f}x curl, {dm/hm:.2f}x curl|sha256; daemon CPU {cpu:.2f} s/GiB) rclone {rm:.0f} '
      f'(d1drive {dm/rm:.2f}x rclone); first byte ms curl {ct*1e3:.1f} d1drive {dt*1e3:.1f} '
      f'(+{(dt-ct)*1e3:.1f}) rclone {rt*1e3:.1f}; random 4 KiB median ms curl {cr*1e3:.2f} '
      f'd1drive {dr*1e3:.2f} ({dr/cr:.2f}x), p90 curl {cr9*1e3:.2f} d1drive {dr9*1e3:.2f}, '
      f'all 1000 s curl {cs:.3f} d1drive {ds:.3f}; '
      f'cached re-read MB/s {r1:.0f}, {r2:.0f} (the plain file from the page cache {pl:.0f})')
print(f'{cm} {dm} {rm} {ct} {dt} {rt} {cr} {dr} {r1} {r2} {pl} {cs} {ds} {hm} {cpu}', file=open('$results', 'a'))
" "$curl_mbs" "$curl_ttfb" "$d1_ttfb" "$d1_mbs" "$re1" "$re2" "$d1_rand" "$d1_rand90" \
    "$curl_rand" "$curl_rand90" "$rc_ttfb" "$rc_mbs" "$plain" "$d1_randsum" "$curl_randsum" \
    "$cs_mbs" "$d1_cpu")
  echo "$line"
done
python3 - "$results" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
cols = list(zip(*rows))
def show(name, xs, unit, scale=1.0, fmt="{:.2f}"):
    xs = [x * scale for x in xs]
    print(f"{name}: median " + fmt.format(statistics.median(xs)) + f" {unit} (min "
          + fmt.format(min(xs)) + ", max " + fmt.format(max(xs)) + ")")
cm, dm, rm, ct, dt, rt, cr, dr, r1, r2, pl, cs, ds, hm, cpu = cols
show("curl cold sequential", cm, "MB/s", fmt="{:.0f}")
show("d1drive cold sequential", dm, "MB/s", fmt="{:.0f}")
show("rclone cold sequential", rm, "MB/s", fmt="{:.0f}")
show("curl | sha256 cold sequential", hm, "MB/s", fmt="{:.0f}")
show("d1drive / curl (per round)", [d / c for d, c in zip(dm, cm)], "x (target >= 0.70)")
show("d1drive / curl | sha256 (per round)", [d / h for d, h in zip(dm, hm)], "x")
show("d1drive daemon CPU per GiB read cold", cpu, "s")
show("d1drive / rclone (per round)", [d / r for d, r in zip(dm, rm)], "x (target >= 3)")
show("curl first byte", ct, "ms", 1e3, "{:.1f}")
show("d1drive first byte", dt, "ms", 1e3, "{:.1f}")
show("rclone first byte", rt, "ms", 1e3, "{:.1f}")
show("d1drive first byte - curl (per round)", [d - c for d, c in zip(dt, ct)], "ms (target <= 20)", 1e3, "{:.1f}")
show("curl random 4 KiB median", cr, "ms", 1e3, "{:.3f}")
show("d1drive random 4 KiB median", dr, "ms", 1e3, "{:.3f}")
show("d1drive / curl random (per round)", [d / c for d, c in zip(dr, cr)], "x (target <= 2)")
show("d1drive / curl, all 1000 random reads (per round)", [d / c for d, c in zip(ds, cs)], "x")
show("d1drive cached re-read", r1 + r2, "MB/s (target >= 5000)", fmt="{:.0f}")
show("plain file re-read (page cache, no FUSE)", pl, "MB/s", fmt="{:.0f}")
EOF
