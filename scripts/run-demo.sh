#!/usr/bin/env bash
# `make run`: start the stand-in DataONE node on the bundled corpus and mount it with
# d1drive (or mount the real federation when a base URL is given), print what to try, and
# on Ctrl-C unmount cleanly and stop the node.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
mount=${1:-$repo/mnt}
base_url=${2:-}
state=$repo/.state/demo
d1drive=$repo/build/d1drive
node_pid=""

mkdir -p "$mount" "$state"
# A mount left behind by a killed run answers "Transport endpoint is not connected".
if grep -qs " $(realpath "$mount") " /proc/self/mounts; then
  fusermount3 -u "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
fi

cleanup() {
  trap - INT TERM EXIT
  echo
  echo "run: unmounting $mount"
  "$d1drive" unmount "$mount" 2>/dev/null || true
  if [ -n "$node_pid" ]; then
    kill "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
}
trap cleanup INT TERM EXIT

if [ -z "$base_url" ]; then
  rm -f "$state/node.port"
  python3 "$repo/tools/d1-test-node/d1-test-node" --port 0 --port-file "$state/node.port" \
    --log "$state/node.log" >"$state/node.out" 2>&1 &
  node_pid=$!
  for _ in $(seq 1 300); do
    [ -s "$state/node.port" ] && break
    if ! kill -0 "$node_pid" 2>/dev/null; then
      echo "run: the stand-in node failed to start:" >&2
      cat "$state/node.out" >&2
      exit 1
    fi
    sleep 0.1
  done
  if [ ! -s "$state/node.port" ]; then
    echo "run: the stand-in node did not report its port within 30 s" >&2
    exit 1
  fi
  base_url="http://127.0.0.1:$(cat "$state/node.port")/cn"
  echo "run: stand-in DataONE node at $base_url (requests logged to $state/node.log)"
fi

"$d1drive" mount "$mount" --base-url "$base_url" --state-dir "$state/d1drive" \
  --config "$repo/config/searches.example.toml" --daemon
echo "run: $base_url mounted at $mount (log: $state/d1drive/d1drive.log)"

# A few identifiers to try, straight from the index.
pids=$(curl -sf --max-time 20 "$base_url/v2/query/solr/?q=formatType:DATA&fl=id&rows=3&wt=json" |
  python3 -c 'import json,sys; [print(d["id"]) for d in json.load(sys.stdin)["response"]["docs"]]' 2>/dev/null || true)
escape() { python3 -c 'import sys; p=sys.argv[1].replace("%","%25").replace("/","%2F"); print(p)' "$1"; }

cat <<TXT

Try, in another terminal:
  ls $mount
  ls $mount/FacetedSearch/
  ls -l $mount/FacetedSearch/@formatId/          # one folder per value; its size is the count
  ls $mount/FacetedSearch/@formatId/#text%2Fcsv/
  ls $mount/PreconfiguredSearch/
  cat $mount/Status/daemon.txt
  cat $mount/Status/content.txt                  # cached objects, downloads, checksum failures
  ls $mount/Resources/                           # tracked files (d1drive resource register …)
  ls $mount/FlatSpace/
TXT
for pid in $pids; do
  seg=$(escape "$pid")
  echo "  ls -l '$mount/FlatSpace/$seg/'"
  echo "  sha1sum '$mount/FlatSpace/$seg/'*"
done
if [ -z "${2:-}" ]; then
  cat <<TXT
  # A data object's folder also holds the EML document describing it. The bundled EML
  # files are a byte shorter than their system metadata says: reading them fails (EIO,
  # logged), as any object whose bytes do not verify.
  cat $mount/FlatSpace/cbfs.38.9/search_fields.txt
  ls $mount/FlatSpace/resourceMap_Blandy.76.2/   # a package: its members are folders
  cat $mount/FlatSpace/Blandy.76.2/*.xml     # bytes do not match their checksum: EIO, logged
  ls '$mount/FlatSpace/no-such-pid/'          # an error folder: its file names the problem
TXT
fi
echo
echo "Press Ctrl-C to unmount and stop."
while grep -qs " $(realpath "$mount") " /proc/self/mounts; do sleep 1; done
