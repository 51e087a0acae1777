#!/usr/bin/env bash
# `d1drive stage` of a package against plain tools over the same bytes, in one run: nginx on
# loopback serves MEMBERS objects of SIZE_MB each (the stand-in node's resolve points at
# it, SHA-1 checksums), packaged by one resource map. Each round stages the package into an
# empty root with a fresh daemon (`[stage] parallel = PARALLEL`), then fetches the same URLs
#   - with a serial shell loop of `curl -o FILE` + `sha1sum FILE`;
#   - with `rclone copy` from an http remote (its default 4 transfers; it checks sizes only).
# Prints one line per measurement and round (MB/s of object bytes), then medians.
# Run it alone: `flock -x LOCK bash stage.sh`.
# Usage: tools/bench/stage.sh [BUILD_DIR]   (ROUNDS=3 MEMBERS=100 SIZE_MB=10 PARALLEL=8)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$repo/build}" && pwd)
rounds=${ROUNDS:-3}
members=${MEMBERS:-100}
size_mb=${SIZE_MB:-10}
parallel=${PARALLEL:-8}
fixtures=${D1_FIXTURES:-$repo/../shared/fixtures/dataone}
work=$(mktemp -d /tmp/d1-stage-bench.XXXXXX)
chmod 755 "$work"  # nginx's workers run as nobody
nginx_pid="" node_pid=""
cleanup() {
  [[ -d $work/state ]] && "$build/d1drive" status --state-dir "$work/state" >/dev/null 2>&1 \
    && kill "$(cat "$work/state/d1drive.pid")" 2>/dev/null
  [[ -n $node_pid ]] && kill "$node_pid" 2>/dev/null
  [[ -n $nginx_pid ]] && kill "$nginx_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# -- the bytes, the map, nginx, the stand-in node -----------------------------------------
mkdir -p "$work/www/mn/v2/object" "$work/nginx-tmp" "$work/fx/resource_maps"
ln -s "$fixtures/cn" "$work/fx/cn"
node_args=()
base_uri="https://cn.dataone.org/cn/v2/resolve/"
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ore="http://www.openarchives.org/ore/terms/" xmlns:dcterms="http://purl.org/dc/terms/">'
  echo "<rdf:Description rdf:about=\"${base_uri}bench_package\"><rdf:type rdf:resource=\"http://www.openarchives.org/ore/terms/ResourceMap\"/><ore:describes rdf:resource=\"${base_uri}bench_package#aggregation\"/><dcterms:identifier>bench_package</dcterms:identifier></rdf:Description>"
  echo "<rdf:Description rdf:about=\"${base_uri}bench_package#aggregation\"><rdf:type rdf:resource=\"http://www.openarchives.org/ore/terms/Aggregation\"/>"
  for i in $(seq "$members"); do echo "<ore:aggregates rdf:resource=\"${base_uri}bench.member.$i\"/>"; done
  echo "</rdf:Description>"
  for i in $(seq "$members"); do
    echo "<rdf:Description rdf:about=\"${base_uri}bench.member.$i\"><dcterms:identifier>bench.member.$i</dcterms:identifier></rdf:Description>"
  done
  echo "</rdf:RDF>"
} > "$work/fx/resource_maps/bench.xml"
for i in $(seq "$members"); do
  f="$work/www/mn/v2/object/bench.member.$i"
  head -c "$((size_mb << 20))" /dev/urandom > "$f"
  node_args+=(--object-file "$f" "bench.member.$i")
done
total=$((members * (size_mb << 20)))
port=$(free_port)
cat > "$work/nginx.conf" <<EOF
worker_processes 2;
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
objects="http://127.0.0.1:$port/mn/v2/object"
for _ in $(seq 100); do curl -sf -o /dev/null -r 0-0 "$objects/bench.member.1" && break; sleep 0.1; done
python3 "$repo/tools/d1-test-node/d1-test-node" --port 0 --port-file "$work/node.port" \
  --fixtures "$work/fx" --synthetic 0 --object-file-algorithm SHA-1 "${node_args[@]}" \
  --object-base-url "http://127.0.0.1:$port/mn" >"$work/node.out" 2>&1 &
node_pid=$!
for _ in $(seq 1200); do [[ -s $work/node.port ]] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/node.port")/cn"

mbps() { python3 -c "print('%.1f' % ($total / ($2 - $1) / 1e6))"; }

# -- the runs -------------------------------------------------------------------------------
d1_stage() {
  rm -rf "$work/state" "$work/root"
  mkdir -p "$work/root"
  printf 'base_url = "%s"\n[stage]\nparallel = %s\n[mobile]\nbackup_every = 0\n' "$base" \
    "$parallel" > "$work/d1.toml"
  "$build/d1drive" serve --daemon --state-dir "$work/state" --config "$work/d1.toml" >/dev/null
  local t0 t1
  t0=$(date +%s.%N)
  "$build/d1drive" stage bench_package --to "$work/root" --state-dir "$work/state" >/dev/null
  t1=$(date +%s.%N)
  kill "$(cat "$work/state/d1drive.pid")"
  for _ in $(seq 100); do [[ -e $work/state/control.sock ]] || break; sleep 0.1; done
  mbps "$t0" "$t1"
}

curl_loop() {
  rm -rf "$work/curl" && mkdir -p "$work/curl"
  local t0 t1 i
  t0=$(date +%s.%N)
  for i in $(seq "$members"); do
    curl -sf -o "$work/curl/bench.member.$i" "$objects/bench.member.$i"
    sha1sum "$work/curl/bench.member.$i" >/dev/null
  done
  t1=$(date +%s.%N)
  mbps "$t0" "$t1"
}

rclone_copy() {
  rm -rf "$work/rclone"
  local t0 t1
  t0=$(date +%s.%N)
  rclone copy :http: "$work/rclone" --http-url "$objects/" -q
  t1=$(date +%s.%N)
  mbps "$t0" "$t1"
}

echo "# $(date -u +%F) $(git -C "$repo" rev-parse --short HEAD): $members x $size_mb MiB, parallel $parallel, $rounds rounds"
d1=() cl=() rc=()
for r in $(seq "$rounds"); do
  d1+=("$(d1_stage)"); cl+=("$(curl_loop)"); rc+=("$(rclone_copy)")
  echo "round $r: d1drive stage ${d1[-1]} MB/s, curl+sha1sum loop ${cl[-1]} MB/s, rclone copy ${rc[-1]} MB/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median: d1drive stage $(median "${d1[@]}") MB/s, curl+sha1sum loop $(median "${cl[@]}") MB/s, rclone copy $(median "${rc[@]}") MB/s"
